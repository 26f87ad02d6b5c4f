"""The UK OFSI Consolidated List of Financial Sanctions Targets, CSV (``ConList.csv``).

HM Treasury's Office of Financial Sanctions Implementation published this list until the FCDO's
UK Sanctions List replaced it in January 2026; old editions remain the record of who was listed
when. The file is cp1252 text: line 1 is ``Last Updated,<dd/mm/yyyy>``, line 2 the header, then
one row per *name variant*. Rows sharing a ``Group ID`` are one target, so the parser groups
them and merges their names, dates of birth and addresses into one entity (ref = Group ID).

Two header layouts are read (:data:`LAYOUTS`): the one used until February 2022 and the one
after it, which added non-Latin names, alias quality and separate document-number columns.
Several fields pack numbered lists ("(1) Afghan (2) Pakistani", "a) French, b) Tunisian") and
free text around document numbers ("Passport No: 592667 (Qatari passport issued on …)");
:func:`split_numbered` and :func:`document_numbers` take them apart, keeping the source text
of every value as its ``original``.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

from counterflow.errors import DataError
from counterflow.lists.base import (
    CsvRow,
    EntityCollector,
    ListParser,
    ParsedList,
    csv_records,
)
from counterflow.model import APPROXIMATE, Entity, clean_text, parse_date

LIST_ID = "uk"
AUTHORITY = "Office of Financial Sanctions Implementation (HM Treasury)"

NAME_COLUMNS = ("Name 1", "Name 2", "Name 3", "Name 4", "Name 5", "Name 6")
ADDRESS_COLUMNS = (
    "Address 1",
    "Address 2",
    "Address 3",
    "Address 4",
    "Address 5",
    "Address 6",
    "Post/Zip Code",
    "Country",
)
#: Columns of line 2 in every edition this parser reads.
COMMON_COLUMNS = (
    *NAME_COLUMNS,
    "Title",
    "DOB",
    "Town of Birth",
    "Country of Birth",
    "Nationality",
    "Passport Details",
    "Position",
    *ADDRESS_COLUMNS,
    "Other Information",
    "Group Type",
    "Alias Type",
    "Regime",
    "Listed On",
    "Last Updated",
    "Group ID",
)
#: The two published layouts: until February 2022 (one ``NI Number`` column of free text), and
#: from then on (non-Latin names, alias quality, separate document numbers and details).
LAYOUTS: dict[str, tuple[str, ...]] = {
    "2018": (*COMMON_COLUMNS, "NI Number"),
    "2022": (
        *COMMON_COLUMNS,
        "Name Non-Latin Script",
        "Non-Latin Script Type",
        "Non-Latin Script Language",
        "Passport Number",
        "National Identification Number",
        "National Identification Details",
        "Alias Quality",
        "UK Sanctions List Date Designated",
    ),
}
COLUMNS = LAYOUTS["2018"]

#: Group Type -> FtM schema.
GROUP_SCHEMA = {"individual": "Person", "entity": "Organization", "ship": "Vessel"}
#: Alias Type -> name property. "Prime Alias" (before 2022) and "Primary name" are the
#: primary name; "Primary name variation" is a spelling variant, kept as a strong alias.
#: Any other type is kept as a strong alias too: a listed name is never dropped.
ALIAS_PROPERTY = {
    "prime alias": "name",
    "primary name": "name",
    "primary name variation": "alias",
    "aka": "alias",
    "fka": "previousName",
}

_MARKER = r"\(?(?:\d{1,2}|[a-hA-H])\)"
_MARKERS = re.compile(rf"(?:^|(?<=[\s,;.]))(?:{_MARKER}\s*(?:(?:-|to|and|,)\s*)?)+")
_DOC_NUMBER = re.compile(
    r"(?<![A-Za-z0-9])(?:[A-Z]+|[a-z])?[-/]?\d[0-9A-Z]*(?:[-/][0-9A-Z]+)*(?![A-Za-z0-9])"
)
_DATE_LIKE = re.compile(r"^\d{1,2}[/.]\d{1,2}[/.]\d{2,4}$")
_SPACED_DIGITS = re.compile(r"^\d+(?: \d+)+$")
_SPACED_PREFIX = re.compile(r"(?:^|(?<=[\s(:]))([A-Z]) $")
_YEARS = re.compile(r"^(?:19|20)\d\d(?:-(?:19|20)\d\d)?$")
_UN_REF = re.compile(
    r"\bUN\s*Ref(?:erence)?(?:\s*(?:No|Number)\b)?[\s.:]*"
    r"([A-Z][A-Za-z0-9]*(?:\.[A-Za-z0-9]+)+)",
    re.I,
)
_IMO = re.compile(r"\bIMO(?:\s*(?:number|no\.?))?\s*:?\s*(\d{7})\b", re.I)
_ACRONYM = re.compile(r"\(([A-Z][A-Z0-9&\-]{1,11})\)\s*$")


def split_numbered(text: str | None) -> list[str]:
    """Split "(1) X (2) Y", "1) X 2) Y", "a) X, b) Y" into items; other text is one item.

    Runs of markers ("(1)-(2) Algeria", "(1) to (6) Algeria") introduce one item; empty
    items and "-" placeholders are dropped.
    """
    cleaned = clean_text(text)
    if not cleaned:
        return []
    items = [p.strip(" ,;") for p in _MARKERS.split(cleaned)]
    return [item for item in items if item and item != "-"]


def document_numbers(text: str) -> list[str]:
    """The document numbers in one passport or ID description, in order.

    A number is a token with digits ("592667", "NC5140251", "SE-011697", "L 191609",
    "B/014965"). Further in the text, short pure numbers, years ("2007", "2000-2001") and
    dates are not numbers; a number opening the description may be short ("2246 (Diplomatic)").
    """
    if _SPACED_DIGITS.match(text):  # "842 781": one number written in groups
        return [text]
    numbers: list[str] = []
    for match in _DOC_NUMBER.finditer(text):
        token = match.group(0)
        digits = sum(ch.isdigit() for ch in token)
        if _DATE_LIKE.match(token):
            continue
        leading = not text[: match.start()].strip(" (")
        if not leading and (_YEARS.match(token) or digits < 4 or (token.isdigit() and digits < 5)):
            continue
        if leading and digits < 3:
            continue
        prefix = _SPACED_PREFIX.search(text[: match.start()])
        numbers.append(f"{prefix.group(1)} {token}" if prefix else token)
    return numbers


def un_references(text: str) -> list[str]:
    """UN reference numbers cited in free text: "UN Ref QDe.004", "UN REF:QE.A.146.14"."""
    return [m.group(1).rstrip(".") for m in _UN_REF.finditer(text)]


class OFSIConsolidatedParser(ListParser):
    format = "uk-ofsi-csv"
    list_id = LIST_ID
    title = "UK OFSI Consolidated List of Financial Sanctions Targets (CSV)"

    def sniff(self, path: Path, head: bytes) -> bool:
        return head.removeprefix(b"\xef\xbb\xbf").startswith(b"Last Updated,")

    def parse(self, path: Path) -> ParsedList:
        rows = csv_records(path)
        published = _published(path, next(rows, None))
        header = _header(path, next(rows, None))
        groups = _group_rows(path, header, rows)
        return ParsedList(
            list_id=LIST_ID,
            format=self.format,
            files=[path],
            entities=self._entities(path, groups),
            published=published,
            title=self.title,
        )

    def _entities(self, path: Path, groups: dict[str, list[CsvRow]]) -> Iterator[Entity]:
        collector = EntityCollector(path)
        for group_id, rows in groups.items():
            location = f"Group ID {group_id!r} (line {rows[0].line})"
            yield collector.check(_entity(path, group_id, rows, location), location)


def _published(path: Path, first: tuple[int, list[str]] | None) -> str:
    """The date of line 1, ``Last Updated,13/04/2018,,,`` -> "2018-04-13"."""
    if first is None:
        raise DataError("the file holds no rows", path=path)
    line, fields = first
    label = fields[0].strip() if fields else ""
    raw = fields[1].strip() if len(fields) > 1 else ""
    if label != "Last Updated":
        raise DataError(
            f"expected 'Last Updated,<date>' on the first line, found {label!r} "
            "(not an OFSI Consolidated List CSV)",
            path=path,
            location=f"line {line}",
        )
    parsed = parse_date(raw)
    if parsed is None or len(parsed.value) != 10:
        raise DataError(
            f"the 'Last Updated' date {raw!r} is not a dd/mm/yyyy date",
            path=path,
            location=f"line {line}",
        )
    return parsed.value


def _header(path: Path, row: tuple[int, list[str]] | None) -> list[str]:
    """The column names of line 2, which must hold every column of one of :data:`LAYOUTS`."""
    if row is None:
        raise DataError("the file ends before its header row", path=path)
    line, fields = row
    names = [f.strip() for f in fields]
    missing = min(([c for c in cols if c not in names] for cols in LAYOUTS.values()), key=len)
    if missing:
        raise DataError(
            f"not the OFSI Consolidated List layout: missing columns {', '.join(missing)}",
            path=path,
            location=f"line {line}",
        )
    duplicated = sorted({n for n in names if n and names.count(n) > 1})
    if duplicated:
        raise DataError(
            f"duplicated columns {', '.join(duplicated)}", path=path, location=f"line {line}"
        )
    return names


def _group_rows(
    path: Path, names: list[str], rows: Iterator[tuple[int, list[str]]]
) -> dict[str, list[CsvRow]]:
    """Read every data row and group them by Group ID, in order of first appearance."""
    groups: dict[str, list[CsvRow]] = {}
    for line, fields in rows:
        if len(fields) != len(names):
            raise DataError(
                f"the row has {len(fields)} fields, the header {len(names)}",
                path=path,
                location=f"line {line}",
            )
        cells = {n: clean_text(v) or "" for n, v in zip(names, fields, strict=True) if n}
        group_id = cells["Group ID"]
        if not group_id:
            raise DataError("the row has no Group ID", path=path, location=f"line {line}")
        groups.setdefault(group_id, []).append(CsvRow(line, cells))
    if not groups:
        raise DataError("the file holds a header but no targets", path=path)
    return groups


def _schema(path: Path, rows: list[CsvRow], location: str) -> str:
    kinds = {row.get("Group Type") for row in rows}
    if len(kinds) > 1:
        raise DataError(
            f"the rows disagree on Group Type ({', '.join(sorted(kinds))})",
            path=path,
            location=location,
        )
    kind = kinds.pop()
    schema = GROUP_SCHEMA.get(kind.lower())
    if schema is None:
        raise DataError(
            f"unknown Group Type {kind!r} (known: Individual, Entity, Ship)",
            path=path,
            location=location,
        )
    return schema


def _entity(path: Path, group_id: str, rows: list[CsvRow], location: str) -> Entity:
    entity = Entity.make(LIST_ID, group_id, _schema(path, rows, location))
    primary = [r for r in rows if ALIAS_PROPERTY.get(r.get("Alias Type").lower()) == "name"]
    if not primary:  # no primary-name row: the first alias (else the first row) stands in
        aliases = [r for r in rows if r.get("Alias Type").lower() != "fka"]
        primary = [(aliases or rows)[0]]
    for row in rows:
        full = _full_name(row)
        if not full:
            raise DataError(
                "the row has no name (Name 1 to Name 6 are empty)",
                path=path,
                location=f"line {row.line}",
            )
        prop = "name" if row in primary else _name_property(row)
        entity.add(prop, full)
        acronym = _ACRONYM.search(full)
        if acronym and entity.schema.name != "Person":
            entity.add("weakAlias", acronym.group(1), original=full, qualifier="acronym")
        if prop == "name" and entity.schema.name == "Person":
            _name_parts(entity, row)
    for row in rows:
        _row_details(entity, row)
    _sanction(entity, rows)
    return entity


def _name_property(row: CsvRow) -> str:
    """alias, weakAlias (Alias Quality "Low quality") or previousName for a non-primary row."""
    prop = ALIAS_PROPERTY.get(row.get("Alias Type").lower(), "alias")
    quality = row.get("Alias Quality").lower()
    if prop == "alias" and ("low" in quality or "weak" in quality):
        return "weakAlias"
    return prop


def _full_name(row: CsvRow) -> str:
    """Name 1 … Name 5 then Name 6 (the surname or the entity's name), in natural order."""
    return " ".join(p for p in (row.get(c) for c in NAME_COLUMNS) if p)


def _name_parts(entity: Entity, row: CsvRow) -> None:
    entity.add("firstName", row.get("Name 1"))
    middle = " ".join(p for p in (row.get(c) for c in NAME_COLUMNS[1:5]) if p)
    entity.add("middleName", middle)
    entity.add("lastName", row.get("Name 6"))


def _put(
    entity: Entity,
    prop: str,
    value: str,
    label: str,
    *,
    original: str | None = None,
    qualifier: str | None = None,
) -> None:
    """Add a value, or keep it as a labelled note where the schema has no such property."""
    if prop in entity.schema.properties:
        entity.add(prop, value, original=original, qualifier=qualifier)
    else:
        entity.add("notes", f"{label}: {original or value}")


def _row_details(entity: Entity, row: CsvRow) -> None:
    """Everything but the name: the row's date of birth, places, documents, addresses."""
    for title in split_numbered(row.get("Title")):
        _put(entity, "title", title, "Title")
    _birth_date(entity, row.get("DOB"))
    _birth_place(entity, row)
    for nationality in split_numbered(row.get("Nationality")):
        _put(entity, "nationality", nationality, "Nationality", original=row.get("Nationality"))
    entity.add("alias", row.get("Name Non-Latin Script"), qualifier="original script")
    _documents(entity, row, "passportNumber", "Passport Number", "Passport Details")
    id_text = "NI Number" if "NI Number" in row.cells else "National Identification Details"
    _documents(entity, row, "idNumber", "National Identification Number", id_text)
    for position in split_numbered(row.get("Position")):
        _put(entity, "position", position, "Position")
    address = ", ".join(p for p in (row.get(c) for c in ADDRESS_COLUMNS) if p)
    entity.add("address", address)
    entity.add("country", row.get("Country"))
    entity.add("notes", row.get("Other Information"))
    if "imoNumber" in entity.schema.properties:  # ships' IMO numbers sit in the free text
        for match in _IMO.finditer(row.get("Other Information")):
            entity.add("imoNumber", f"IMO{match.group(1)}", original=match.group(0))


def _birth_date(entity: Entity, raw: str) -> None:
    if not raw:
        return
    parsed = parse_date(raw)
    if parsed is None:
        entity.add("notes", f"DOB: {raw}")
        return
    _put(
        entity,
        "birthDate",
        parsed.value,
        "DOB",
        original=raw,
        qualifier=APPROXIMATE if parsed.approximate else None,
    )


def _birth_place(entity: Entity, row: CsvRow) -> None:
    """Town and country of birth; numbered lists of equal length are paired item by item."""
    towns = split_numbered(row.get("Town of Birth"))
    countries = split_numbered(row.get("Country of Birth"))
    for country in countries:
        _put(
            entity,
            "birthCountry",
            country,
            "Country of Birth",
            original=row.get("Country of Birth"),
        )
    if towns and len(towns) == len(countries):
        places = [f"{t}, {c}" for t, c in zip(towns, countries, strict=True)]
    else:
        places = towns
    for place in places:
        _put(entity, "birthPlace", place, "Town of Birth")


def _documents(
    entity: Entity, row: CsvRow, prop: str, number_column: str, text_column: str
) -> None:
    """Document numbers: from their own column (2022 layout) or out of the description.

    Numbers read from a description keep the whole field as their original; a piece of it
    without a number is kept as a note, unless it is the label that opens a list
    ("Passport No: (a) … (b) …"). Beside a number column, the description is a note.
    """
    raw, text = row.get(number_column), row.get(text_column)
    if raw:
        for item in split_numbered(raw):
            for number in document_numbers(item) or [item]:
                _put(entity, prop, number, number_column, original=raw)
        if text:
            entity.add("notes", f"{text_column}: {text}")
        return
    items = split_numbered(text)
    for index, item in enumerate(items):
        numbers = document_numbers(item) if prop in entity.schema.properties else []
        for number in numbers:
            entity.add(prop, number, original=text)
        label_only = index == 0 and len(items) > 1 and not any(ch.isdigit() for ch in item)
        if not numbers and not label_only:
            entity.add("notes", f"{text_column}: {item}")


def _sanction(entity: Entity, rows: list[CsvRow]) -> None:
    sanction = entity.sanction
    sanction.add("authority", AUTHORITY)
    sanction.add("authorityId", entity.ref)
    for row in rows:
        sanction.add("program", row.get("Regime"))
        for ref in un_references(row.get("Other Information")):
            sanction.add("unscId", ref)
        for prop, column in (
            ("listingDate", "Listed On"),
            ("startDate", "UK Sanctions List Date Designated"),
            ("modifiedAt", "Last Updated"),
        ):
            raw = row.get(column)
            parsed = parse_date(raw) if raw else None
            if parsed is not None:
                sanction.add(prop, parsed.value, original=raw)
            elif raw:
                entity.add("notes", f"{column}: {raw}")
