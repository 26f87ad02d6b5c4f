"""The schemata and properties counterflow knows, named as in FollowTheMoney.

Only what sanctions lists carry is declared here; property names, schema names and the
inheritance between them match FtM so entities travel to and from FtM tools unchanged.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class PropType(StrEnum):
    """What kind of value a property holds; decides how values are cleaned and compared."""

    NAME = "name"
    TEXT = "text"
    DATE = "date"
    COUNTRY = "country"
    IDENTIFIER = "identifier"
    GENDER = "gender"
    ADDRESS = "address"
    URL = "url"
    ENTITY = "entity"


# property -> type, for every property any schema may carry
PROPERTIES: dict[str, PropType] = {
    # names
    "name": PropType.NAME,
    "alias": PropType.NAME,
    "weakAlias": PropType.NAME,
    "previousName": PropType.NAME,
    "firstName": PropType.NAME,
    "secondName": PropType.NAME,
    "middleName": PropType.NAME,
    "lastName": PropType.NAME,
    "fatherName": PropType.NAME,
    "motherName": PropType.NAME,
    "title": PropType.TEXT,
    "position": PropType.TEXT,
    # people
    "birthDate": PropType.DATE,
    "deathDate": PropType.DATE,
    "birthPlace": PropType.TEXT,
    "birthCountry": PropType.COUNTRY,
    "nationality": PropType.COUNTRY,
    "citizenship": PropType.COUNTRY,
    "gender": PropType.GENDER,
    "passportNumber": PropType.IDENTIFIER,
    # any legal entity
    "country": PropType.COUNTRY,
    "jurisdiction": PropType.COUNTRY,
    "idNumber": PropType.IDENTIFIER,
    "taxNumber": PropType.IDENTIFIER,
    "registrationNumber": PropType.IDENTIFIER,
    "swiftBic": PropType.IDENTIFIER,
    "email": PropType.TEXT,
    "phone": PropType.TEXT,
    "website": PropType.URL,
    "address": PropType.ADDRESS,
    "incorporationDate": PropType.DATE,
    "legalForm": PropType.TEXT,
    "sector": PropType.TEXT,
    # vessels and aircraft
    "imoNumber": PropType.IDENTIFIER,
    "mmsi": PropType.IDENTIFIER,
    "callSign": PropType.IDENTIFIER,
    "flag": PropType.COUNTRY,
    "type": PropType.TEXT,
    "tonnage": PropType.TEXT,
    "grossRegisteredTonnage": PropType.TEXT,
    "owner": PropType.TEXT,
    "serialNumber": PropType.IDENTIFIER,
    "model": PropType.TEXT,
    "buildDate": PropType.DATE,
    "registrationCountry": PropType.COUNTRY,
    # every thing
    "notes": PropType.TEXT,
    "sourceUrl": PropType.URL,
    "topics": PropType.TEXT,
    "modifiedAt": PropType.DATE,
    "createdAt": PropType.DATE,
}

_THING = {
    "name",
    "alias",
    "weakAlias",
    "previousName",
    "notes",
    "sourceUrl",
    "topics",
    "address",
    "country",
    "modifiedAt",
    "createdAt",
}
_LEGAL_ENTITY = _THING | {
    "idNumber",
    "taxNumber",
    "registrationNumber",
    "email",
    "phone",
    "website",
    "incorporationDate",
    "legalForm",
    "sector",
    "jurisdiction",
    "swiftBic",
    "mmsi",
}
_PERSON = _LEGAL_ENTITY | {
    "firstName",
    "secondName",
    "middleName",
    "lastName",
    "fatherName",
    "motherName",
    "title",
    "position",
    "birthDate",
    "deathDate",
    "birthPlace",
    "birthCountry",
    "nationality",
    "citizenship",
    "gender",
    "passportNumber",
}
_VEHICLE = _THING | {
    "type",
    "owner",
    "registrationNumber",
    "buildDate",
    "model",
    "serialNumber",
    "registrationCountry",
}
_VESSEL = _VEHICLE | {"imoNumber", "mmsi", "callSign", "flag", "tonnage", "grossRegisteredTonnage"}
_AIRPLANE = _VEHICLE

_SANCTION = {
    "authority",
    "authorityId",
    "unscId",
    "program",
    "programId",
    "provisions",
    "status",
    "reason",
    "country",
    "listingDate",
    "startDate",
    "endDate",
    "modifiedAt",
    "summary",
    "sourceUrl",
    "listType",
}
SANCTION_PROPERTIES = frozenset(_SANCTION)
SANCTION_DATES = {"listingDate", "startDate", "endDate", "modifiedAt"}


@dataclass(frozen=True, slots=True)
class Schema:
    """A kind of entity: its FtM name, its parents and the properties it may carry."""

    name: str
    properties: frozenset[str]
    parents: tuple[str, ...]

    def is_a(self, other: str) -> bool:
        return other == self.name or other in self.parents


SCHEMATA: dict[str, Schema] = {
    s.name: s
    for s in (
        Schema("LegalEntity", frozenset(_LEGAL_ENTITY), ("Thing",)),
        Schema("Person", frozenset(_PERSON), ("LegalEntity", "Thing")),
        Schema("Organization", frozenset(_LEGAL_ENTITY), ("LegalEntity", "Thing")),
        Schema("Company", frozenset(_LEGAL_ENTITY), ("Organization", "LegalEntity", "Thing")),
        Schema("Vessel", frozenset(_VESSEL), ("Vehicle", "Thing")),
        Schema("Airplane", frozenset(_AIRPLANE), ("Vehicle", "Thing")),
    )
}

#: Properties whose values are names of the entity, strongest first.
NAME_PROPERTIES = ("name", "alias", "previousName", "weakAlias")


def get_schema(name: str) -> Schema:
    """Look a schema up by its FtM name; unknown names are a ValueError for the caller to wrap."""
    try:
        return SCHEMATA[name]
    except KeyError as exc:
        known = ", ".join(sorted(SCHEMATA))
        raise ValueError(f"unknown schema {name!r} (known: {known})") from exc


#: Properties holding identifiers (passport, national ID, IMO number, …), and countries.
IDENTIFIER_PROPERTIES = tuple(p for p, t in PROPERTIES.items() if t is PropType.IDENTIFIER)
COUNTRY_PROPERTIES = tuple(p for p, t in PROPERTIES.items() if t is PropType.COUNTRY)
