"""The EU Financial Sanctions Files (FSF), XML: the current ``export`` format.

The root is ``<export generationDate=… globalFileId=…>`` in the namespace
``http://eu.europa.ec/fpi/fsd/export``; each ``<sanctionEntity logicalId=… euReferenceNumber=…
unitedNationId=… designationDate=… designationDetails=…>`` holds its ``regulation`` (attributes
programme, publicationDate, numberTitle; the URL is a ``publicationUrl`` child), one
``subjectType`` (code person / enterprise), and repeated ``nameAlias``, ``citizenship``,
``birthdate``, ``identification``, ``address`` and ``remark`` elements.

This module also holds what the older CSV v1.0 export (:mod:`.eu_csv`) shares with it: both
formats are read into one :class:`EURecord`, and :func:`build_entity` alone turns a record into
an Entity, so the same listing gives the same entity whichever file it was read from.

Mapping decisions, the same for both formats:

- name: the strong name with the lowest logical id among the English ones (no language, or
  EN); when there is none, the lowest strong one. Logical ids grow as the EU records names, so
  this is the name the listing began with; other languages' renderings are translations.
  Every other strong name is an ``alias``; ``strong="false"`` names are ``weakAlias``.
- countries: FtM codes (lowercase ISO 3166 alpha-2), the published code kept as original;
  "UNKNOWN" / "00" mean no country.
- sanction: program from the regulations, listingDate the earliest regulation's publication
  date, modifiedAt the latest when later, startDate the designation date, sourceUrl and
  summary (the act's number and title) per regulation, authorityId the EU reference number,
  unscId the UN reference, reason the designation details.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
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
from counterflow.model import APPROXIMATE, Entity, clean_text, parse_date

Element = Any  # defusedxml returns stdlib ElementTree elements

LIST_ID = "eu"
NAMESPACE = "http://eu.europa.ec/fpi/fsd/export"
AUTHORITY = "European Union"
#: Values the EU uses for "no value" in country and date fields.
MISSING = frozenset({"", "00", "UNKNOWN", "N/A", "-"})
#: Qualifier for names the CSV export damaged ("?" in place of letters it could not encode).
LOW_QUALITY = "low quality"

SUBJECT_SCHEMA = {
    "person": "Person",
    "p": "Person",
    "enterprise": "Organization",
    "e": "Organization",
}
#: Contact keys (XML contactInfo key, CSV "KEY[value]") -> property; others become notes.
CONTACT_PROPERTY = {
    "phone": "phone",
    "tel": "phone",
    "telephone": "phone",
    "email": "email",
    "e-mail": "email",
    "web": "website",
    "website": "website",
    "url": "website",
}

_ROOT_TAG = re.compile(rb"<(?![?!])(?:[A-Za-z_][\w.-]*:)?([A-Za-z_][\w.-]*)([^>]*)")
_COMMENT = re.compile(rb"<!--.*?-->", re.S)


@dataclass(frozen=True, slots=True)
class Country:
    """A country as counterflow keeps it (FtM code, or the published text) and as published."""

    value: str
    original: str


@dataclass(frozen=True, slots=True)
class Regulation:
    """The legal act behind a listing or one of its amendments."""

    number_title: str | None = None
    publication_date: str | None = None
    url: str | None = None
    programme: str | None = None


@dataclass(slots=True)
class NameRecord:
    """One name of the listed subject, with its parts and the details filed with it."""

    logical_id: str | None
    whole: str | None
    first: str | None = None
    middle: str | None = None
    last: str | None = None
    gender: str | None = None
    title: str | None = None
    function: str | None = None
    language: str | None = None
    strong: bool = True
    damaged: bool = False
    remarks: list[str] = field(default_factory=list)


@dataclass(slots=True)
class BirthRecord:
    """A date and place of birth; ``date`` is text for :func:`parse_date`."""

    date: str | None
    circa: bool = False
    calendar: str | None = None
    place: list[str | None] = field(default_factory=list)
    country: Country | None = None
    remarks: list[str] = field(default_factory=list)


@dataclass(slots=True)
class IdRecord:
    """A passport, identity card or other document; ``original`` is the CSV's packed field."""

    number: str | None
    latin_number: str | None = None
    type_code: str | None = None
    type_description: str | None = None
    country: Country | None = None
    remarks: list[str] = field(default_factory=list)
    original: str | None = None


@dataclass(slots=True)
class AddressRecord:
    """An address: its parts in reading order, its country and its contact details."""

    parts: list[str | None]
    country: Country | None = None
    contacts: list[tuple[str, str]] = field(default_factory=list)
    remarks: list[str] = field(default_factory=list)


@dataclass(slots=True)
class EURecord:
    """One listed subject as either EU format states it, before it becomes an Entity."""

    ref: str
    subject_type: str
    eu_reference: str | None = None
    un_id: str | None = None
    designation_date: str | None = None
    designation_details: str | None = None
    regulations: list[Regulation] = field(default_factory=list)
    names: list[NameRecord] = field(default_factory=list)
    births: list[BirthRecord] = field(default_factory=list)
    ids: list[IdRecord] = field(default_factory=list)
    addresses: list[AddressRecord] = field(default_factory=list)
    citizenships: list[Country] = field(default_factory=list)
    remarks: list[str] = field(default_factory=list)
    #: cleaned text -> the text as published, where the reader had to repair it
    originals: dict[str, str] = field(default_factory=dict)


# --- from record to entity ----------------------------------------------------------------


def build_entity(record: EURecord) -> Entity:
    """The Entity for one EU record; the same for a record read from CSV or from XML."""
    schema = SUBJECT_SCHEMA.get(record.subject_type.lower(), "LegalEntity")
    entity = Entity.make(LIST_ID, record.ref, schema)
    if schema == "LegalEntity":
        entity.add("notes", f"Subject type: {record.subject_type}")
    _add_names(entity, record)
    _add_sanction(entity, record)
    for birth in record.births:
        _add_birth(entity, record, birth)
    for country in record.citizenships:
        _add_country(entity, _person_prop(entity, "nationality"), country)
    for document in record.ids:
        _add_id(entity, document)
    for address in record.addresses:
        _add_address(entity, record, address)
    for remark in record.remarks:
        _add(entity, record, "notes", remark)
    return entity


def _add(entity: Entity, record: EURecord, prop: str, value: str | None) -> None:
    """Add a value, passing the published text along when the reader repaired it."""
    if value:
        entity.add(prop, value, original=record.originals.get(value))


def _is_person(entity: Entity) -> bool:
    return entity.schema.name == "Person"


def _person_prop(entity: Entity, prop: str) -> str:
    """Person-only country properties fall back to ``country`` on other schemata."""
    return prop if _is_person(entity) else "country"


def _id_key(name: NameRecord, index: int) -> tuple[int, int, str, int]:
    lid = name.logical_id or ""
    return (0, int(lid), "", index) if lid.isdigit() else (1, 0, lid, index)


def main_name(names: list[NameRecord]) -> NameRecord | None:
    """The name to list the subject under (see the module docstring for the rule)."""
    strong = [(i, n) for i, n in enumerate(names) if n.whole and n.strong and not n.damaged]
    english = [(i, n) for i, n in strong if (n.language or "").upper() in ("", "EN")]
    pool = english or strong or [(i, n) for i, n in enumerate(names) if n.whole]
    if not pool:
        return None
    return min(pool, key=lambda pair: _id_key(pair[1], pair[0]))[1]


def _add_names(entity: Entity, record: EURecord) -> None:
    main = main_name(record.names)
    for name in record.names:
        if name is main:
            _add(entity, record, "name", name.whole)
        elif clean_text(name.whole) in entity.get("name"):
            pass  # the main name filed again (under another regulation)
        elif name.damaged:
            entity.add("weakAlias", name.whole, qualifier=LOW_QUALITY)
        else:
            _add(entity, record, "alias" if name.strong else "weakAlias", name.whole)
        _add_name_details(entity, record, name)


def _add_name_details(entity: Entity, record: EURecord, name: NameRecord) -> None:
    if _is_person(entity):
        if not name.damaged:
            for prop, value in (
                ("firstName", name.first),
                ("middleName", name.middle),
                ("lastName", name.last),
            ):
                _add(entity, record, prop, value)
        entity.add("gender", name.gender)
        _add(entity, record, "title", name.title)
        _add(entity, record, "position", name.function)
    else:
        for label, value in (("Title", name.title), ("Function", name.function)):
            if value:
                entity.add("notes", f"{label}: {value}")
    for remark in name.remarks:
        entity.add("notes", f"Name {name.whole}: {remark}")


def _add_sanction(entity: Entity, record: EURecord) -> None:
    sanction = entity.sanction
    sanction.add("authority", AUTHORITY)
    sanction.add("authorityId", record.eu_reference)
    sanction.add("unscId", record.un_id)
    dates: list[str] = []
    for regulation in record.regulations:
        sanction.add("program", regulation.programme)
        sanction.add("sourceUrl", regulation.url)
        sanction.add("summary", regulation.number_title)
        parsed = parse_date(regulation.publication_date)
        if parsed is not None:
            dates.append(parsed.value)
    if dates:
        dates.sort()
        sanction.add("listingDate", dates[0])
        if dates[-1] != dates[0]:
            sanction.add("modifiedAt", dates[-1])
    start = parse_date(record.designation_date)
    sanction.add("startDate", start.value if start else None, original=record.designation_date)
    sanction.add("reason", record.designation_details)


def _add_country(entity: Entity, prop: str, country: Country | None) -> None:
    if country is not None:
        entity.add(prop, country.value, original=country.original)


def _add_birth(entity: Entity, record: EURecord, birth: BirthRecord) -> None:
    """Birth date, place and country; dates the parser cannot read (or in a calendar other
    than the Gregorian) go to notes as published."""
    place = ", ".join(p for p in birth.place if p) or None
    raw = birth.date
    gregorian = (birth.calendar or "GREGORIAN").upper() == "GREGORIAN"
    parsed = parse_date(raw) if gregorian else None
    if _is_person(entity) and parsed is not None:
        qualifier = APPROXIMATE if birth.circa or parsed.approximate else None
        entity.add("birthDate", parsed.value, original=raw, qualifier=qualifier)
    elif raw:
        calendar = "" if gregorian else f" ({birth.calendar} calendar)"
        circa = "circa " if birth.circa else ""
        entity.add("notes", f"Date of birth{calendar}: {circa}{raw}")
    if _is_person(entity):
        _add(entity, record, "birthPlace", place)
        _add_country(entity, "birthCountry", birth.country)
    else:
        if place:
            entity.add("notes", f"Place of birth: {place}")
        _add_country(entity, "country", birth.country)
    for remark in birth.remarks:
        entity.add("notes", f"Birth: {remark}")


def _add_id(entity: Entity, document: IdRecord) -> None:
    """Passports to passportNumber (people only), other documents to idNumber."""
    kind = f"{document.type_code or ''} {document.type_description or ''}".lower()
    prop = "passportNumber" if "passport" in kind and _is_person(entity) else "idNumber"
    for number in (document.number, document.latin_number):
        if number:
            entity.add(prop, number, original=document.original)
    _add_country(entity, "country", document.country)
    label = document.number or document.latin_number or "without number"
    for remark in document.remarks:
        entity.add("notes", f"Identification {label}: {remark}")


def _add_address(entity: Entity, record: EURecord, address: AddressRecord) -> None:
    parts = [p for p in address.parts if p]
    if parts:
        text = ", ".join(parts)
        raw = ", ".join(record.originals.get(p, p) for p in parts)
        entity.add("address", text, original=raw if raw != text else None)
    _add_country(entity, "country", address.country)
    for key, value in address.contacts:
        add_contact(entity, key, value)
    for remark in address.remarks:
        entity.add("notes", f"Address: {remark}")


def add_contact(entity: Entity, key: str, value: str) -> None:
    """One contact detail (phone, e-mail, web site; others to notes), split on , and ;."""
    prop = CONTACT_PROPERTY.get(key.strip().lower())
    for item in re.split(r"[,;]", value):
        item = item.strip()
        if not item:
            continue
        if prop is None:
            entity.add("notes", f"{key.strip().capitalize()}: {item}")
        else:
            entity.add(prop, item, original=value if value.strip() != item else None)


# --- reading the XML ----------------------------------------------------------------------


def _attr(node: Element, name: str) -> str | None:
    return clean_text(node.get(name))


def _children(node: Element, name: str) -> list[Element]:
    return [child for child in node if local_name(child.tag) == name]


def _texts(node: Element, name: str) -> list[str]:
    return [t for t in (clean_text(c.text) for c in _children(node, name)) if t]


def xml_country(node: Element) -> Country | None:
    """The country of an element from its ISO code, else its description."""
    code = _attr(node, "countryIso2Code")
    if code and code.upper() not in MISSING and len(code) == 2 and code.isalpha():
        return Country(code.lower(), code)
    description = _attr(node, "countryDescription")
    if description and description.upper() not in MISSING:
        return Country(description, description)
    return None


def _regulation(node: Element) -> Regulation:
    urls = _texts(node, "publicationUrl")
    return Regulation(
        number_title=_attr(node, "numberTitle"),
        publication_date=_attr(node, "publicationDate"),
        url=urls[0] if urls else _attr(node, "publicationUrl"),
        programme=_attr(node, "programme"),
    )


def _name(node: Element) -> NameRecord:
    parts = [_attr(node, p) for p in ("firstName", "middleName", "lastName")]
    remarks = _texts(node, "remark")
    low = any("low quality" in r.lower() for r in remarks)
    return NameRecord(
        logical_id=_attr(node, "logicalId"),
        whole=_attr(node, "wholeName") or " ".join(p for p in parts if p) or None,
        first=parts[0],
        middle=parts[1],
        last=parts[2],
        gender=_attr(node, "gender"),
        title=_attr(node, "title"),
        function=_attr(node, "function"),
        language=_attr(node, "nameLanguage"),
        strong=(_attr(node, "strong") or "true").lower() != "false" and not low,
        remarks=[r for r in remarks if "quality" not in r.lower()],
    )


def _birth_text(node: Element) -> str | None:
    """The date as text: the full date, else year/month/day, else a span of years."""
    full = _attr(node, "birthdate")
    if full and full.upper() not in MISSING:
        return full
    year = _attr(node, "year")
    if year and year.isdigit():
        month = _attr(node, "monthOfYear") or _attr(node, "month")
        day = _attr(node, "dayOfMonth") or _attr(node, "day")
        if month and month.isdigit() and int(month):
            if day and day.isdigit() and int(day):
                return f"{year}-{int(month):02d}-{int(day):02d}"
            return f"{year}-{int(month):02d}"
        return year
    start, end = _attr(node, "yearRangeFrom"), _attr(node, "yearRangeTo")
    if start and end:
        return f"{start} to {end}"
    if start or end:
        return f"{start or '…'} to {end or '…'}"
    return None


def _birth(node: Element) -> BirthRecord:
    return BirthRecord(
        date=_birth_text(node),
        circa=(_attr(node, "circa") or "").lower() == "true",
        calendar=_attr(node, "calendarType"),
        place=[_attr(node, p) for p in ("city", "region", "place")],
        country=xml_country(node),
        remarks=_texts(node, "remark"),
    )


def _identification(node: Element) -> IdRecord:
    return IdRecord(
        number=_attr(node, "number"),
        latin_number=_attr(node, "latinNumber"),
        type_code=_attr(node, "identificationTypeCode"),
        type_description=_attr(node, "identificationTypeDescription"),
        country=xml_country(node),
        remarks=_texts(node, "remark"),
    )


def _address(node: Element) -> AddressRecord:
    zip_city = " ".join(p for p in (_attr(node, "zipCode"), _attr(node, "city")) if p)
    contacts = [
        (_attr(c, "key") or "contact", _attr(c, "value") or "")
        for c in _children(node, "contactInfo")
    ]
    return AddressRecord(
        parts=[
            _attr(node, "street"),
            _attr(node, "poBox"),
            zip_city,
            _attr(node, "region"),
            _attr(node, "place"),
        ],
        country=xml_country(node),
        contacts=[(k, v) for k, v in contacts if v],
        remarks=_texts(node, "remark"),
    )


def _subject_type(node: Element) -> str | None:
    for child in _children(node, "subjectType"):
        code = _attr(child, "code") or _attr(child, "classificationCode")
        if code:
            return code
    return None


def _record(node: Element, ref: str, subject_type: str) -> EURecord:
    return EURecord(
        ref=ref,
        subject_type=subject_type,
        eu_reference=_attr(node, "euReferenceNumber"),
        un_id=_attr(node, "unitedNationId"),
        designation_date=_attr(node, "designationDate"),
        designation_details=_attr(node, "designationDetails"),
        regulations=[_regulation(c) for c in _children(node, "regulation")],
        names=[_name(c) for c in _children(node, "nameAlias")],
        births=[_birth(c) for c in _children(node, "birthdate")],
        ids=[_identification(c) for c in _children(node, "identification")],
        addresses=[_address(c) for c in _children(node, "address")],
        citizenships=[c for c in map(xml_country, _children(node, "citizenship")) if c],
        remarks=_texts(node, "remark"),
    )


def _generation_date(path: Path, root: Element) -> str | None:
    value = _attr(root, "generationDate")
    if value is None:
        return None
    try:
        datetime.fromisoformat(value)
    except ValueError as exc:
        raise DataError(
            f"generationDate {value!r} is not an ISO 8601 date", path=path, location="<export>"
        ) from exc
    return value


class EUXMLParser(ListParser):
    format = "eu-xml"
    list_id = LIST_ID
    title = "EU Financial Sanctions Files (XML export)"

    def sniff(self, path: Path, head: bytes) -> bool:
        """XML whose root element is ``export`` in the EU FSD namespace."""
        match = _ROOT_TAG.search(_COMMENT.sub(b"", head))
        return (
            match is not None
            and match.group(1) == b"export"
            and NAMESPACE.encode() in match.group(2)
        )

    def parse(self, path: Path) -> ParsedList:
        root = parse_list_xml(path)
        if root.tag != f"{{{NAMESPACE}}}export":
            raise DataError(
                f"root element is <{root.tag}>, expected <export> in the EU namespace {NAMESPACE}",
                path=path,
            )
        nodes = _children(root, "sanctionEntity")
        if not nodes:
            raise DataError("the file holds no <sanctionEntity>", path=path)
        file_id = _attr(root, "globalFileId")
        return ParsedList(
            list_id=LIST_ID,
            format=self.format,
            files=[path],
            entities=self._entities(path, nodes),
            published=_generation_date(path, root),
            title=self.title,
            extra={"globalFileId": file_id} if file_id else {},
        )

    def _entities(self, path: Path, nodes: list[Element]) -> Iterator[Entity]:
        collector = EntityCollector(path)
        for index, node in enumerate(nodes, start=1):
            ref = _attr(node, "logicalId")
            location = f"<sanctionEntity> #{index}" + (f" (logicalId {ref})" if ref else "")
            yield collector.check(self._entity(path, node, ref, location), location)

    def _entity(self, path: Path, node: Element, ref: str | None, location: str) -> Entity:
        if not ref:
            raise DataError("record has no logicalId", path=path, location=location)
        subject_type = _subject_type(node)
        if not subject_type:
            raise DataError("record has no <subjectType> code", path=path, location=location)
        entity = build_entity(_record(node, ref, subject_type))
        if entity.first("name") is None:
            raise DataError(
                "record has no name (no <nameAlias> with a wholeName)", path=path, location=location
            )
        return entity
