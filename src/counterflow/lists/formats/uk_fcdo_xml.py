"""The UK Sanctions List published by the FCDO, XML (``UK_Sanctions_List.xml``).

Since January 2026 this is the only UK list (it replaced the OFSI Consolidated List). The
document is flat: ``<Designations>`` holds a ``<DateGenerated>`` (dd/mm/yyyy) and one
``<Designation>`` per target, which carries everything inline as element text: ``UniqueID``
(e.g. "AFG0001", the reference), ``OFSIGroupID`` (the old OFSI list's reference),
``UNReferenceNumber``, ``Names/Name`` (``Name1`` … ``Name6``, ``NameType``, ``AliasStrength``),
``NonLatinNames``, ``RegimeName``, ``IndividualEntityShip`` and the type's details
(``IndividualDetails``, ``EntityDetails``, ``ShipDetails``).

The published text is not uniform (``NameType`` appears as "Primary Name", "Primary name" and
"ALias"; ``AliasStrength`` as "Good quality a.k.a" or "Low quality a.k.a", blank where the FCDO
gives none), and descriptions of the file disagree on a few wrappers (``Passport`` or
``PassportDetail``; titles under the designation or under the individual). The parser compares
types case-blind, reads any "low"/"weak" strength as a weak alias, and takes every child of a
details wrapper whatever its name, so such variants do not lose values.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from counterflow.errors import DataError
from counterflow.lists.base import (
    EntityCollector,
    ListParser,
    ParsedList,
    local_name,
    parse_list_xml,
)
from counterflow.model import APPROXIMATE, Entity, ParsedDate, clean_text, parse_date

Element = Any  # defusedxml returns stdlib ElementTree elements

LIST_ID = "uk"
ROOT = "Designations"
AUTHORITY = "Foreign, Commonwealth & Development Office"

#: IndividualEntityShip -> FtM schema.
TYPE_SCHEMA = {"individual": "Person", "entity": "Organization", "ship": "Vessel"}
#: NameType -> property; an alias whose AliasStrength reads low or weak is a weakAlias.
NAME_TYPE_PROPERTY = {
    "primary name": "name",
    "primary name variation": "alias",
    "alias": "alias",
}

_HEAD_ROOT = re.compile(
    rb"^(?:\s|<\?[^>]*\?>|<!--.*?-->|<!DOCTYPE[^>]*>)*<(?:[\w.\-]+:)?(\w+)", re.S
)
_DD_MM = re.compile(r"\b(?:dd|mm)\b", re.I)
_IMO = re.compile(r"^(?:IMO)?\s*[:.]?\s*(\d{7})$", re.I)
_ACRONYM = re.compile(r"\(([A-Z][A-Z0-9&\-]{1,11})\)\s*$")
_EMAIL_SPLIT = re.compile(r"[;,\s]+")


def _kids(node: Element | None, name: str) -> list[Element]:
    """Direct children with this local name (namespaces ignored)."""
    if node is None:
        return []
    return [child for child in node if local_name(child.tag) == name]


def _kid(node: Element | None, *names: str) -> Element | None:
    for name in names:
        found = _kids(node, name)
        if found:
            return found[0]
    return None


def _text(node: Element | None, *names: str) -> str | None:
    """The cleaned text of the first child with one of these names."""
    return clean_text(_raw(node, *names))


def _raw(node: Element | None, *names: str) -> str | None:
    child = _kid(node, *names)
    return child.text if child is not None else None


def _values(node: Element | None, container: str, item: str) -> list[str]:
    """Texts of ``container/item`` children, e.g. ``Nationalities/Nationality``."""
    out = []
    for wrapper in _kids(node, container):
        for child in _kids(wrapper, item):
            text = clean_text(child.text)
            if text:
                out.append(text)
    return out


def _records(node: Element | None, container: str) -> list[Element]:
    """Every child of every ``container`` whatever its name (``Passport``, ``PassportDetail``)."""
    return [child for wrapper in _kids(node, container) for child in wrapper]


def _date(raw: str | None) -> tuple[ParsedDate, str] | None:
    """(parsed date, source text) of an FCDO date; "dd" and "mm" stand for unknown parts."""
    text = clean_text(raw)
    if not text:
        return None
    parsed = parse_date(_DD_MM.sub("00", text))
    return (parsed, text) if parsed is not None else None


def _add_date(entity: Entity, prop: str, raw: str, label: str) -> None:
    """A dated property with its source text and approximation; unreadable dates go to notes."""
    parsed = _date(raw)
    if parsed is None:
        entity.add("notes", f"{label}: {raw}")
        return
    date, text = parsed
    qualifier = APPROXIMATE if date.approximate else None
    _put(entity, prop, date.value, label, original=text, qualifier=qualifier)


class UKSanctionsListParser(ListParser):
    format = "uk-fcdo-xml"
    list_id = LIST_ID
    title = "UK Sanctions List (FCDO, XML)"

    def sniff(self, path: Path, head: bytes) -> bool:
        match = _HEAD_ROOT.match(head.removeprefix(b"\xef\xbb\xbf"))
        return match is not None and match.group(1) == ROOT.encode()

    def parse(self, path: Path) -> ParsedList:
        root = parse_list_xml(path)
        if local_name(root.tag) != ROOT:
            raise DataError(
                f"root element is <{local_name(root.tag)}>, expected <{ROOT}> "
                "(not a UK Sanctions List XML)",
                path=path,
            )
        designations = _kids(root, "Designation")
        if not designations:
            raise DataError("the file holds no <Designation> records", path=path)
        return ParsedList(
            list_id=LIST_ID,
            format=self.format,
            files=[path],
            entities=self._entities(path, designations),
            published=_published(path, root),
            title=self.title,
        )

    def _entities(self, path: Path, designations: list[Element]) -> Iterator[Entity]:
        collector = EntityCollector(path)
        for index, node in enumerate(designations, start=1):
            ref = _text(node, "UniqueID")
            location = f"<Designation> #{index}" + (f" ({ref})" if ref else "")
            if not ref:
                raise DataError("the designation has no UniqueID", path=path, location=location)
            yield collector.check(_entity(path, node, ref, location), location)


def _published(path: Path, root: Element) -> str | None:
    """The generation date: ``<DateGenerated>`` under the root (or a root attribute)."""
    raw = _raw(root, "DateGenerated") or root.get("DateGenerated") or root.get("dateGenerated")
    if clean_text(raw) is None:
        return None
    parsed = _date(raw)
    if parsed is None:
        raise DataError(f"DateGenerated {clean_text(raw)!r} is not a date", path=path)
    return parsed[0].value


def _entity(path: Path, node: Element, ref: str, location: str) -> Entity:
    kind = _text(node, "IndividualEntityShip") or ""
    schema = TYPE_SCHEMA.get(kind.lower())
    if schema is None:
        raise DataError(
            f"IndividualEntityShip is {kind!r}, expected Individual, Entity or Ship",
            path=path,
            location=location,
        )
    entity = Entity.make(LIST_ID, ref, schema)
    _names(path, entity, node, location)
    for item in _kids(node, "NonLatinNames"):
        for name in _kids(item, "NonLatinName"):
            entity.add("alias", _text(name, "NameNonLatinScript"), qualifier="original script")
    for title in _values(node, "Titles", "Title"):
        _put(entity, "title", title, "Title")
    _contacts(entity, node)
    entity.add("notes", _text(node, "OtherInformation"))
    group = _text(node, "OFSIGroupID")
    if group:
        entity.add("notes", f"OFSI Group ID: {group}")
    for individual in _records(node, "IndividualDetails"):
        _individual(entity, individual)
    for details in _records(node, "EntityDetails"):
        _organization(entity, details)
    for ship in _records(node, "ShipDetails"):
        _ship(entity, ship)
    _sanction(entity, node)
    return entity


def _names(path: Path, entity: Entity, node: Element, location: str) -> None:
    """Primary names, variations and aliases; without a primary name the first alias leads."""
    names: list[tuple[str, str, Element]] = []
    for item in _kids(node, "Names"):
        for name in _kids(item, "Name"):
            full = " ".join(p for p in (_text(name, f"Name{i}") for i in range(1, 7)) if p)
            if full:
                names.append((_name_property(name), full, name))
    if not names:
        raise DataError("the designation has no name", path=path, location=location)
    if not any(prop == "name" for prop, _, _ in names):
        names[0] = ("name", names[0][1], names[0][2])
    for prop, full, name in names:
        entity.add(prop, full)
        acronym = _ACRONYM.search(full)
        if acronym and entity.schema.name != "Person":
            entity.add("weakAlias", acronym.group(1), original=full, qualifier="acronym")
        if prop == "name" and entity.schema.name == "Person":
            entity.add("firstName", _text(name, "Name1"))
            middle = " ".join(p for p in (_text(name, f"Name{i}") for i in range(2, 6)) if p)
            entity.add("middleName", middle)
            entity.add("lastName", _text(name, "Name6"))


def _name_property(name: Element) -> str:
    kind = (_text(name, "NameType") or "alias").lower()
    prop = NAME_TYPE_PROPERTY.get(kind, "alias")
    strength = (_text(name, "AliasStrength") or "").lower()
    if prop == "alias" and ("low" in strength or "weak" in strength):
        return "weakAlias"
    return prop


def _put(
    entity: Entity,
    prop: str,
    value: str | None,
    label: str,
    *,
    original: str | None = None,
    qualifier: str | None = None,
) -> None:
    """Add a value, or keep it as a labelled note where the schema has no such property."""
    if not value:
        return
    if prop in entity.schema.properties:
        entity.add(prop, value, original=original, qualifier=qualifier)
    else:
        entity.add("notes", f"{label}: {original or value}")


def _contacts(entity: Entity, node: Element) -> None:
    for address in _records(node, "Addresses"):
        parts = [_text(address, f"AddressLine{i}") for i in range(1, 7)]
        parts += [_text(address, "AddressPostalCode"), _text(address, "AddressCountry")]
        entity.add("address", ", ".join(p for p in parts if p))
        entity.add("country", _text(address, "AddressCountry"))
    for phone in _values(node, "PhoneNumbers", "PhoneNumber"):
        _put(entity, "phone", phone, "Phone")
    for raw in _values(node, "EmailAddresses", "EmailAddress"):
        for email in _EMAIL_SPLIT.split(raw):
            if "@" in email:
                _put(entity, "email", email, "Email", original=raw)
        if "@" not in raw:
            entity.add("notes", f"Email: {raw}")
    for website in _values(node, "Websites", "Website"):
        _put(entity, "website", website, "Website")


def _individual(entity: Entity, node: Element) -> None:
    for raw in _values(node, "DOBs", "DOB"):
        _add_date(entity, "birthDate", raw, "DOB")
    for title in [*_values(node, "Titles", "Title"), *filter(None, [_text(node, "Title")])]:
        _put(entity, "title", title, "Title")
    for nationality in _values(node, "Nationalities", "Nationality"):
        _put(entity, "nationality", nationality, "Nationality")
    for position in _values(node, "Positions", "Position"):
        _put(entity, "position", position, "Position")
    for gender in _values(node, "Genders", "Gender"):
        _put(entity, "gender", gender, "Gender")
    for place in _records(node, "BirthDetails"):
        town, country = _text(place, "TownOfBirth"), _text(place, "CountryOfBirth")
        _put(entity, "birthPlace", ", ".join(p for p in (town, country) if p), "Place of birth")
        _put(entity, "birthCountry", country, "Country of birth")
    for passport in _records(node, "PassportDetails"):
        _document(entity, passport, "passportNumber", "Passport")
    for national_id in _records(node, "NationalIdentifierDetails"):
        _document(entity, national_id, "idNumber", "NationalIdentifier")


def _document(entity: Entity, node: Element, prop: str, prefix: str) -> None:
    """A passport or national identifier: the number, its description kept as the original."""
    number = _text(node, f"{prefix}Number")
    info = _text(node, f"{prefix}AdditionalInformation", f"{prefix}Details")
    label = "Passport" if prop == "passportNumber" else "National identifier"
    if number:
        original = f"{number}; {info}" if info else None
        _put(entity, prop, number, label, original=original)
    elif info:
        entity.add("notes", f"{label}: {info}")


def _organization(entity: Entity, node: Element) -> None:
    types = [
        *_values(node, "TypeOfEntities", "TypeOfEntity"),
        *filter(None, [_text(node, "TypeOfEntity")]),
    ]
    for kind in types:
        _put(entity, "legalForm", kind, "Type of entity")
    for number in _values(node, "BusinessRegistrationNumbers", "BusinessRegistrationNumber"):
        _put(entity, "registrationNumber", number, "Business registration number")
    for parent in _values(node, "ParentCompanies", "ParentCompany"):
        entity.add("notes", f"Parent company: {parent}")
    for subsidiary in _values(node, "Subsidiaries", "Subsidiary"):
        entity.add("notes", f"Subsidiary: {subsidiary}")


def _ship(entity: Entity, node: Element) -> None:
    for raw in _values(node, "IMONumbers", "IMONumber"):
        match = _IMO.match(raw)
        value = f"IMO{match.group(1)}" if match else raw
        _put(entity, "imoNumber", value, "IMO number", original=raw)
    for owner in _values(node, "CurrentOwnerOperators", "CurrentOwnerOperator"):
        _put(entity, "owner", owner, "Current owner/operator")
    for owner in _values(node, "PreviousOwnerOperators", "PreviousOwnerOperator"):
        entity.add("notes", f"Previous owner/operator: {owner}")
    for flag in _values(node, "CurrentBelievedFlagOfShips", "CurrentBelievedFlagOfShip"):
        _put(entity, "flag", flag, "Flag")
    for flag in _values(node, "PreviousFlags", "PreviousFlag"):
        entity.add("notes", f"Previous flag: {flag}")
    for kind in _values(node, "TypeOfShipDetails", "TypeOfShip"):
        _put(entity, "type", kind, "Type of ship")
    for tonnage in _values(node, "TonnageOfShipDetails", "TonnageOfShip"):
        _put(entity, "tonnage", tonnage, "Tonnage")
    for length in _values(node, "LengthOfShipDetails", "LengthOfShip"):
        entity.add("notes", f"Length: {length}")
    for raw in _values(node, "YearsBuilt", "YearBuilt"):
        _add_date(entity, "buildDate", raw, "Year built")


def _sanction(entity: Entity, node: Element) -> None:
    sanction = entity.sanction
    sanction.add("authority", AUTHORITY)
    sanction.add("authorityId", entity.ref)
    sanction.add("unscId", _text(node, "UNReferenceNumber"))
    sanction.add("program", _text(node, "RegimeName"))
    sanction.add("listType", _text(node, "DesignationSource"))
    for measure in (_text(node, "SanctionsImposed") or "").split("|"):
        sanction.add("provisions", measure)
    sanction.add("reason", _text(node, "UKStatementofReasons", "UKStatementOfReasons"))
    for prop, tag in (("listingDate", "DateDesignated"), ("modifiedAt", "LastUpdated")):
        raw = _text(node, tag)
        parsed = _date(raw)
        if parsed is not None:
            sanction.add(prop, parsed[0].value, original=parsed[1])
        elif raw:
            entity.add("notes", f"{tag}: {raw}")
