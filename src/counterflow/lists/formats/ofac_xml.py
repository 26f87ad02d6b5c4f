"""OFAC's SDN.XML publication (root ``sdnList``, schema ``sdnList.xsd``), and the same layout for
the Consolidated (non-SDN) List, ``consolidated.xml``.

Where the CSV set packs facts into Remarks, SDN.XML gives them elements: ``dateOfBirthList``,
``placeOfBirthList``, ``nationalityList``, ``citizenshipList``, ``akaList`` (with a
``category`` of strong or weak) and ``idList``, whose ``idType`` values are the labels the CSV
Remarks use ("Passport", "Vessel Registration Identification", "Gender", "Website", …). Both
parsers store them through the same functions (in :mod:`.ofac_csv`), so one record gives the
same entity from either format. An ``idType`` no mapping knows becomes an ``idNumber`` whose
original text keeps the type ("Pilot License Number PL00825 (Barbados)").

The namespace has changed over time (``http://tempuri.org/sdnList.xsd``, the https form, the
Sanctions List Service's export URL), so elements are matched by local name only.

Which list: the two publications share root and namespace, and their program codes overlap,
so the file name decides: ``consolidated.xml`` (or any name with "cons" or "non-sdn"/"nonsdn")
is the non-SDN list, everything else the SDN list.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
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
from counterflow.lists.formats.ofac_csv import (
    LIST_NONSDN,
    LIST_SDN,
    LIST_TYPES,
    SCHEMA_BY_TYPE,
    add_address,
    add_date,
    add_other_name,
    add_primary_name,
    add_sanction,
    add_title,
    add_value,
    add_vessel_fields,
    apply_feature,
    apply_remarks,
    identifier_text,
)
from counterflow.model import Entity, clean_text

Element = Any  # defusedxml returns stdlib ElementTree elements

_NONSDN_NAME = re.compile(r"cons|non[-_ ]?sdn", re.I)
_FIRST_TAG = re.compile(rb"<([A-Za-z_][\w.\-]*:)?([A-Za-z_][\w.\-]*)")
_VESSEL_TAGS = (
    "callSign",
    "vesselType",
    "tonnage",
    "grossRegisteredTonnage",
    "vesselFlag",
    "vesselOwner",
)


def _children(node: Element, name: str) -> list[Element]:
    return [child for child in node if local_name(child.tag) == name]


def _child(node: Element | None, name: str) -> Element | None:
    if node is None:
        return None
    return next((child for child in node if local_name(child.tag) == name), None)


def _text(node: Element | None, name: str) -> str | None:
    child = _child(node, name)
    return None if child is None else clean_text("".join(child.itertext()))


def _items(node: Element, list_name: str, item_name: str) -> list[Element]:
    container = _child(node, list_name)
    return [] if container is None else _children(container, item_name)


def root_tag(head: bytes) -> str | None:
    """The local name of the first element in an XML head, past declarations and comments."""
    pos = 0
    while (start := head.find(b"<", pos)) >= 0:
        if head.startswith(b"<!--", start):
            end = head.find(b"-->", start)
            pos = end + 3
        elif head.startswith((b"<?", b"<!"), start):
            end = head.find(b">", start)
            pos = end + 1
        else:
            match = _FIRST_TAG.match(head, start)
            return match.group(2).decode("ascii", "replace") if match else None
        if end < 0:
            return None
    return None


def publish_date(text: str | None, path: Path) -> str:
    """Publish_Date is MM/DD/YYYY; it becomes ISO 8601."""
    if not text:
        raise DataError("publshInformation/Publish_Date is missing", path=path)
    try:
        return datetime.strptime(text, "%m/%d/%Y").date().isoformat()
    except ValueError as exc:
        raise DataError(f"Publish_Date {text!r} is not MM/DD/YYYY", path=path) from exc


class OFACXmlParser(ListParser):
    format = "ofac-xml"
    list_id = LIST_SDN
    title = "OFAC SDN / Consolidated (non-SDN) List, SDN.XML"

    def sniff(self, path: Path, head: bytes) -> bool:
        return root_tag(head) == "sdnList"

    def parse(self, path: Path) -> ParsedList:
        path = Path(path)
        root = parse_list_xml(path)
        if local_name(root.tag) != "sdnList":
            raise DataError(
                f"root element is <{local_name(root.tag)}>, expected <sdnList>", path=path
            )
        info = _child(root, "publshInformation")
        published = publish_date(_text(info, "Publish_Date"), path)
        list_id = LIST_NONSDN if _NONSDN_NAME.search(path.stem) else LIST_SDN
        extra = {}
        count = _text(info, "Record_Count")
        if count:
            extra["record_count"] = count
        return ParsedList(
            list_id=list_id,
            format=self.format,
            files=[path],
            entities=self._entities(path, root, list_id),
            published=published,
            title=LIST_TYPES[list_id],
            extra=extra,
        )

    def _entities(self, path: Path, root: Element, list_id: str) -> Iterator[Entity]:
        collector = EntityCollector(path)
        entries = _children(root, "sdnEntry")
        if not entries:
            raise DataError("no <sdnEntry> records", path=path)
        for index, node in enumerate(entries, start=1):
            uid = _text(node, "uid")
            location = f"sdnEntry #{index}" + (f" (uid {uid})" if uid else "")
            problem = self._problem(node, uid)
            if problem:
                raise DataError(problem, path=path, location=location)
            assert uid is not None
            try:
                entity = self._entity(node, list_id, uid)
            except ValueError as exc:
                raise DataError(str(exc), path=path, location=location) from exc
            yield collector.check(entity, location)

    @staticmethod
    def _problem(node: Element, uid: str | None) -> str | None:
        """What makes a record unreadable: no uid, no name, an sdnType OFAC does not use."""
        if not uid:
            return "record has no <uid>"
        if not _text(node, "lastName"):
            return "record has no <lastName>"
        kind = (_text(node, "sdnType") or "").lower()
        if kind not in SCHEMA_BY_TYPE:
            return f"unknown sdnType {_text(node, 'sdnType')!r}"
        return None

    def _entity(self, node: Element, list_id: str, uid: str) -> Entity:
        kind = (_text(node, "sdnType") or "").lower()
        entity = Entity.make(list_id, uid, SCHEMA_BY_TYPE[kind])
        add_primary_name(entity, _text(node, "lastName"), _text(node, "firstName"))
        add_sanction(
            entity,
            list_id,
            [
                p
                for p in (
                    clean_text("".join(el.itertext()))
                    for el in _items(node, "programList", "program")
                )
                if p
            ],
        )
        add_title(entity, _text(node, "title"))
        vessel = _child(node, "vesselInfo")
        if vessel is not None:
            values = {tag: _text(vessel, tag) for tag in _VESSEL_TAGS}
            add_vessel_fields(
                entity,
                [
                    values["callSign"],
                    values["vesselType"],
                    values["tonnage"],
                    values["grossRegisteredTonnage"],
                    values["vesselFlag"],
                    values["vesselOwner"],
                ],
            )
        for aka in _items(node, "akaList", "aka"):
            self._aka(entity, aka)
        for address in _items(node, "addressList", "address"):
            self._address(entity, address)
        self._person_facts(entity, node)
        for ident in _items(node, "idList", "id"):
            self._identifier(entity, ident)
        apply_remarks(entity, _text(node, "remarks"))
        return entity

    @staticmethod
    def _aka(entity: Entity, node: Element) -> None:
        last, first = _text(node, "lastName"), _text(node, "firstName")
        name = f"{last}, {first}" if last and first else (last or first)
        weak = (_text(node, "category") or "strong").lower() == "weak"
        add_other_name(entity, _text(node, "type") or "a.k.a.", name, weak=weak)

    @staticmethod
    def _address(entity: Entity, node: Element) -> None:
        """Street lines, then "city, state postal code" as the CSV's second column has it."""
        street = ", ".join(p for p in (_text(node, f"address{i}") for i in (1, 2, 3)) if p)
        city, state, postal = (_text(node, t) for t in ("city", "stateOrProvince", "postalCode"))
        locality = ", ".join(p for p in (city, state) if p)
        if postal:
            locality = f"{locality} {postal}".strip()
        add_address(entity, street or None, locality or None, _text(node, "country"))

    @staticmethod
    def _person_facts(entity: Entity, node: Element) -> None:
        for item in _items(node, "dateOfBirthList", "dateOfBirthItem"):
            raw = _text(item, "dateOfBirth")
            if raw:
                add_date(entity, "birthDate", raw, text=f"DOB {raw}")
        lists = (
            ("placeOfBirthList", "placeOfBirthItem", "placeOfBirth", "birthPlace", "POB"),
            ("nationalityList", "nationality", "country", "nationality", "nationality"),
            ("citizenshipList", "citizenship", "country", "citizenship", "citizen"),
        )
        for list_name, item_name, field, prop, label in lists:
            for item in _items(node, list_name, item_name):
                value = _text(item, field)
                add_value(entity, prop, value, text=f"{label} {value}")

    @staticmethod
    def _identifier(entity: Entity, node: Element) -> None:
        """One <id>: mapped by its type like a CSV remark, else an idNumber keeping its type."""
        id_type, number = _text(node, "idType"), _text(node, "idNumber")
        if not id_type and not number:
            return
        text = identifier_text(
            id_type or "ID",
            number or "",
            _text(node, "idCountry"),
            _text(node, "issueDate"),
            _text(node, "expirationDate"),
        )
        text = " ".join(text.split())
        if apply_feature(entity, id_type or "", number or "", text=text):
            return
        add_value(entity, "idNumber", number, text=text, original=text)
