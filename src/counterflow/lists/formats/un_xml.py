"""The UN Security Council Consolidated List, XML (``CONSOLIDATED_LIST``, sc-sanctions.xsd).

Every name matters for screening, so the parser unpacks what the UN packs into one field:
``ALIAS_NAME`` often carries several names ("جبهة النصرة (the Victory Front; Jabhat al-Nusrah;
…)"), acronyms ("(AQAP)"), original-script renderings and editorial notes ("(birth name)").
:func:`split_alias` turns such a field into separate names, acronyms and notes.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from counterflow.errors import DataError
from counterflow.lists.base import EntityCollector, ListParser, ParsedList, parse_list_xml
from counterflow.model import APPROXIMATE, Entity, clean_text, parse_date
from counterflow.model.dates import date_range

Element = Any  # defusedxml returns stdlib ElementTree elements

LIST_ID = "un-sc"

#: ALIAS QUALITY -> property; anything else is a strong alias
QUALITY_PROPERTY = {"low": "weakAlias", "f.k.a.": "previousName", "fka": "previousName"}

_UN_REF = re.compile(r"^[A-Z]{2,3}[ieIE]\.\d{3}$")
_ACRONYM = re.compile(r"^[A-Z0-9][A-Z0-9/&.\-]{1,15}$")
_ENUMERATOR = re.compile(r"(?:^|\s)[a-z]\)\s+")
_BORN = re.compile(r",\s*born\b.*$", re.I)
_ORIGINAL_SCRIPT_PREFIX = re.compile(r"^original script\s*:\s*", re.I)
_ORIGINAL_SCRIPT_SUFFIX = re.compile(r"\s*\(original script\)\s*$", re.I)
_SUB_UNIT = re.compile(r"\s+-\s+sub-unit name\s*$", re.I)


@dataclass(frozen=True, slots=True)
class AliasPart:
    """One piece of a packed alias field: a name, an acronym, or an editorial note."""

    kind: str  # "name" | "acronym" | "note"
    text: str


def _is_latin(text: str) -> bool:
    return all(ord(ch) < 0x0250 or not ch.isalpha() for ch in text)


def _split_top_level(text: str, sep: str = ";") -> list[str]:
    """Split on ``sep`` outside parentheses."""
    parts, depth, start = [], 0, 0
    for i, ch in enumerate(text):
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth = max(0, depth - 1)
        elif ch == sep and depth == 0:
            parts.append(text[start:i])
            start = i + 1
    parts.append(text[start:])
    return [p.strip() for p in parts if p.strip()]


def _peel_trailing_group(text: str) -> tuple[str, str] | None:
    """Split "main (inner)" at the last balanced group that closes the text."""
    if not text.endswith(")"):
        return None
    depth = 0
    for i in range(len(text) - 1, -1, -1):
        if text[i] == ")":
            depth += 1
        elif text[i] == "(":
            depth -= 1
            if depth == 0:
                return text[:i].strip(), text[i + 1 : -1].strip()
    return None


def _inner_parts(main: str, inner: str) -> list[AliasPart]:
    """Decide what a trailing parenthesised group holds, relative to the name before it."""
    inner = _SUB_UNIT.sub("", _ORIGINAL_SCRIPT_PREFIX.sub("", inner)).strip()
    if not inner or inner.lower() == "original script" or _UN_REF.match(inner):
        return []
    if ";" in inner or (main and _is_latin(main) != _is_latin(inner)):
        return split_alias(inner)
    if _ACRONYM.match(inner) and any(ch.isalpha() for ch in inner):
        return [AliasPart("acronym", inner)]
    words = inner.split()
    if len(words) == 1 and inner[0].isupper() and main:
        # "Lom-ali Butayev (Butaev)": a variant of the last name part
        head = main.rsplit(" ", 1)[0] if " " in main else ""
        return [AliasPart("name", f"{head} {inner}".strip())]
    return [AliasPart("note", inner)]


def split_alias(text: str) -> list[AliasPart]:
    """Unpack one UN alias field into names, acronyms and notes, in order of appearance."""
    cleaned = clean_text(text)
    if not cleaned:
        return []
    cleaned = _SUB_UNIT.sub("", _ORIGINAL_SCRIPT_SUFFIX.sub("", cleaned.strip(" ,;")))
    parts: list[AliasPart] = []
    for piece in _split_top_level(cleaned):
        for chunk in _ENUMERATOR.split(piece):
            chunk = chunk.strip(" ,;")
            if chunk:
                parts.extend(_split_one(chunk))
    return parts


def _split_one(chunk: str) -> list[AliasPart]:
    leading = re.match(r"^\(([^()]+)\)\s*(.+)$", chunk)
    if leading:  # "(Sheikh) Musa Hilal": an honorific in front
        return [AliasPart("note", leading.group(1)), *split_alias(leading.group(2))]
    peeled = _peel_trailing_group(chunk)
    if peeled is None:
        born = _BORN.search(chunk)
        if born:
            return [
                AliasPart("name", chunk[: born.start()].strip()),
                AliasPart("note", born.group(0).strip(" ,")),
            ]
        return [AliasPart("name", chunk)]
    main, inner = peeled
    if not main:
        return split_alias(inner)
    return [*_split_one(main), *_inner_parts(main, inner)]


def _text(node: Element, path: str) -> str | None:
    return clean_text(node.findtext(path))


def _values(node: Element, path: str) -> list[str]:
    return [v for v in (clean_text(el.text) for el in node.findall(path)) if v]


class UNConsolidatedParser(ListParser):
    format = "un-xml"
    list_id = LIST_ID
    title = "UN Security Council Consolidated List (XML)"

    def sniff(self, path: Path, head: bytes) -> bool:
        return b"<CONSOLIDATED_LIST" in head

    def parse(self, path: Path) -> ParsedList:
        root = parse_list_xml(path)
        if root.tag != "CONSOLIDATED_LIST":
            raise DataError(
                f"root element is <{root.tag}>, expected <CONSOLIDATED_LIST>", path=path
            )
        individuals = root.find("INDIVIDUALS")
        entities = root.find("ENTITIES")
        if individuals is None and entities is None:
            raise DataError("no <INDIVIDUALS> or <ENTITIES> section", path=path)
        return ParsedList(
            list_id=LIST_ID,
            format=self.format,
            files=[path],
            entities=self._entities(path, individuals, entities),
            published=clean_text(root.get("dateGenerated")),
            title=self.title,
        )

    def _entities(
        self, path: Path, individuals: Element | None, entities: Element | None
    ) -> Iterator[Entity]:
        collector = EntityCollector(path)
        sections = ((individuals, "INDIVIDUAL", "Person"), (entities, "ENTITY", "Organization"))
        for section, tag, schema in sections:
            if section is None:
                continue
            for index, node in enumerate(section.findall(tag), start=1):
                ref = _text(node, "REFERENCE_NUMBER") or _text(node, "DATAID")
                location = f"<{tag}> #{index}" + (f" ({ref})" if ref else "")
                if not ref:
                    raise DataError(
                        "record has no REFERENCE_NUMBER or DATAID", path=path, location=location
                    )
                yield collector.check(self._entity(node, tag, schema, ref), location)

    def _entity(self, node: Element, tag: str, schema: str, ref: str) -> Entity:
        entity = Entity.make(LIST_ID, ref, schema)
        parts = [_text(node, p) for p in ("FIRST_NAME", "SECOND_NAME", "THIRD_NAME", "FOURTH_NAME")]
        name = " ".join(p for p in parts if p)
        entity.add("name", name)
        if schema == "Organization":  # "ABZAR BORESH KAVEH CO. (BK CO.)": unpack as aliases
            self._unpack(entity, name, "alias", name, primary=True)
        if schema == "Person":
            for prop, value in zip(
                ("firstName", "secondName", "middleName", "middleName"), parts, strict=True
            ):
                entity.add(prop, value)
        entity.add("alias", _text(node, "NAME_ORIGINAL_SCRIPT"), qualifier="original script")
        self._sanction(entity, node)
        for alias in node.findall(f"{tag}_ALIAS"):
            self._alias(entity, alias)
        for address in node.findall(f"{tag}_ADDRESS"):
            self._address(entity, address, schema)
        entity.add("notes", _text(node, "COMMENTS1"))
        if schema == "Person":
            self._person(entity, node)
        return entity

    def _sanction(self, entity: Entity, node: Element) -> None:
        sanction = entity.sanction
        sanction.add("authority", "United Nations Security Council")
        sanction.add("authorityId", entity.ref)
        sanction.add("unscId", entity.ref)
        sanction.add("program", _text(node, "UN_LIST_TYPE"))
        sanction.add("listingDate", _text(node, "LISTED_ON"))
        sanction.add_all("listType", _values(node, "LIST_TYPE/VALUE"))
        sanction.add_all("modifiedAt", _values(node, "LAST_DAY_UPDATED/VALUE"))

    def _alias(self, entity: Entity, node: Element) -> None:
        # older editions hang extra birth dates and places on empty alias elements
        if entity.schema.name == "Person":
            self._birth_date(entity, _text(node, "DATE_OF_BIRTH"), None)
            self._place(entity, node, city="CITY_OF_BIRTH", country="COUNTRY_OF_BIRTH")
        raw = node.findtext("ALIAS_NAME")
        if not clean_text(raw):
            return
        quality = (_text(node, "QUALITY") or "").lower()
        prop = QUALITY_PROPERTY.get(quality, "alias")
        self._unpack(entity, raw or "", prop, raw)
        note = _text(node, "NOTE")
        if note:
            script = _ORIGINAL_SCRIPT_PREFIX.match(note)
            if script:
                entity.add(prop, note[script.end() :], qualifier="original script")
            else:
                entity.add("notes", f"Alias note: {note}")

    def _unpack(
        self, entity: Entity, packed: str, prop: str, original: str | None, primary: bool = False
    ) -> None:
        """Add each name, acronym and note packed into one field where it belongs."""
        parts = split_alias(packed)
        if primary and len(parts) == 1:
            return  # a primary name with nothing packed in it
        for part in parts:
            if part.kind == "name":
                entity.add(prop, part.text, original=original)
            elif part.kind == "acronym":
                entity.add("weakAlias", part.text, original=original, qualifier="acronym")
            else:
                entity.add("notes", f"Alias note: {part.text}")

    def _address(self, entity: Entity, node: Element, schema: str) -> None:
        fields = [
            _text(node, p) for p in ("STREET", "CITY", "STATE_PROVINCE", "ZIP_CODE", "COUNTRY")
        ]
        entity.add("address", ", ".join(f for f in fields if f))
        entity.add("country", _text(node, "COUNTRY"))

    def _person(self, entity: Entity, node: Element) -> None:
        entity.add("gender", _text(node, "GENDER"))
        entity.add_all("title", _values(node, "TITLE/VALUE"))
        entity.add_all("position", _values(node, "DESIGNATION/VALUE"))
        entity.add_all("nationality", _values(node, "NATIONALITY/VALUE"))
        for dob in node.findall("INDIVIDUAL_DATE_OF_BIRTH"):
            self._date_of_birth(entity, dob)
        for pob in node.findall("INDIVIDUAL_PLACE_OF_BIRTH"):
            self._place(entity, pob, city="CITY", country="COUNTRY")
        for doc in node.findall("INDIVIDUAL_DOCUMENT"):
            self._document(entity, doc)

    def _date_of_birth(self, entity: Entity, node: Element) -> None:
        kind = (_text(node, "TYPE_OF_DATE") or "").upper()
        qualifier = APPROXIMATE if kind == "APPROXIMATELY" else None
        start, end = _text(node, "FROM_YEAR"), _text(node, "TO_YEAR")
        if start and end:
            entity.add(
                "birthDate",
                date_range(start, end),
                original=f"{start} to {end}",
                qualifier=qualifier,
            )
        for path in ("DATE", "YEAR"):
            self._birth_date(entity, _text(node, path), qualifier)
        note = _text(node, "NOTE")
        if note:
            entity.add("notes", f"Date of birth: {note}")

    def _birth_date(self, entity: Entity, raw: str | None, qualifier: str | None) -> None:
        if not raw:
            return
        parsed = parse_date(raw)
        if parsed is None:
            entity.add("notes", f"Date of birth: {raw}")
            return
        approximate = qualifier or (APPROXIMATE if parsed.approximate else None)
        entity.add("birthDate", parsed.value, original=raw, qualifier=approximate)

    def _place(self, entity: Entity, node: Element, *, city: str, country: str) -> None:
        fields = [_text(node, p) for p in ("STREET", city, "STATE_PROVINCE", country)]
        entity.add("birthPlace", ", ".join(f for f in fields if f))
        entity.add("birthCountry", _text(node, country))

    def _document(self, entity: Entity, node: Element) -> None:
        number = _text(node, "NUMBER")
        kind = " ".join(
            t for t in (_text(node, "TYPE_OF_DOCUMENT"), _text(node, "TYPE_OF_DOCUMENT2")) if t
        )
        details = [
            kind,
            number,
            _text(node, "ISSUING_COUNTRY"),
            _text(node, "DATE_OF_ISSUE"),
            _text(node, "NOTE"),
        ]
        description = "; ".join(d for d in details if d)
        if number:
            prop = "passportNumber" if "pas" in kind.lower() else "idNumber"
            entity.add(prop, number, original=description)
        elif description:
            entity.add("notes", f"Document: {description}")
