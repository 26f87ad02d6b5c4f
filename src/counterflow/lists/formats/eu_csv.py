"""The EU Financial Sanctions Files (FSF), CSV v1.0: the older, flat export of the EU list.

The file repeats the subject's columns (Date_file, Entity_logical_id, Subject_type P/E, the
regulation ``Leba_*``, Programme, Entity_remark, EU_ref_num) on every row and fills one
section per row: a name (``Naal_*``), address (``Addr_*``), birth (``Birt_*``), document
(``Iden_*``) or citizenship (``Citi_*``), each with its own logical id. Rows of one subject are
consecutive; they are gathered by Entity_logical_id, the same reference as the XML's
``logicalId``, and become entities through the builder the XML parser uses
(:func:`.eu_xml.build_entity`), so both formats give the same entity for the same listing.

What the real files do, and how it is read:

- cp1252 text (a file that is valid UTF-8 is read as UTF-8). Letters cp1252 lacks were written
  as "?": such names are kept as weakAlias qualified "low quality", never as the main name.
- Each physical line may be wrapped in one pair of double quotes (inner quotes doubled), with
  tab padding before the closing quote; the header's first column may read "Date_filexxxx".
  Both wrapped and plain lines are read. A line left open (a truncated last line) is refused
  with the line number: an edition is imported whole or not at all.
- Commas inside values were written as tabs ("al-Awja<TAB> near Tikrit") and line breaks as
  the two characters ``\\n``: both are restored, the published text kept as original.
- Remarks are wrapped in parentheses; the packed document field reads
  "NUMBER (code-Description) (remark)"; Addr_other packs "PHONE[…]" and "FAX[…]".
- "N/A" and "-" mean no value; countries are ISO 3166 alpha-3 codes.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterator
from pathlib import Path

from counterflow.errors import DataError
from counterflow.lists.base import CsvRow, EntityCollector, ListParser, ParsedList, csv_records
from counterflow.lists.formats.eu_xml import (
    LIST_ID,
    MISSING,
    AddressRecord,
    BirthRecord,
    Country,
    EURecord,
    IdRecord,
    NameRecord,
    Regulation,
    build_entity,
)
from counterflow.model import Entity, parse_date
from counterflow.model.countries import to_code

#: The columns read; the file has more (each section's regulation), which are ignored.
REQUIRED_COLUMNS = (
    "Date_file", "Entity_logical_id", "Subject_type", "Leba_numtitle",
    "Leba_publication_date", "Leba_url", "Programme", "Entity_remark",
    "Naal_logical_id", "Naal_lastname", "Naal_firstname", "Naal_middlename", "Naal_wholename",
    "Naal_gender", "Naal_title", "Naal_function", "Naal_language",
    "Addr_logical_id", "Addr_number", "Addr_street", "Addr_zipcode", "Addr_city",
    "Addr_country", "Addr_other",
    "Birt_logical_id", "Birt_date", "Birt_place", "Birt_country",
    "Iden_logical_id", "Iden_number", "Iden_country",
    "Citi_logical_id", "Citi_country",
    "EU_ref_num",
)  # fmt: skip

_TAB = re.compile(r" *\t[\t ]*")
_DOCUMENT = re.compile(
    r"^(?P<number>.*?)\s*\((?P<code>[A-Za-z]+)-(?P<desc>[^()]*)\)\s*(?:\((?P<remark>.*)\))?\s*$",
    re.S,
)
_CONTACT = re.compile(r"([A-Za-z][A-Za-z -]*)\[([^\]]*)\]")
_SECTIONS = ("Naal", "Addr", "Birt", "Iden", "Citi")


def csv_country(code: str | None) -> Country | None:
    """An alpha-3 (or alpha-2) code as an FtM country; unknown text is kept as published."""
    text = (code or "").strip()
    if text.upper() in MISSING:
        return None
    return Country(to_code(text) or text, text)


def unparen(text: str) -> str:
    """Drop one pair of parentheses around the whole text: "(a (b))" -> "a (b)"."""
    t = text.strip()
    if not (t.startswith("(") and t.endswith(")")):
        return t
    depth = 0
    for i, ch in enumerate(t):
        depth += (ch == "(") - (ch == ")")
        if depth == 0 and i < len(t) - 1:
            return t  # "(a) b (c)": the first group closes before the end
    return t[1:-1].strip()


class EUCSVParser(ListParser):
    format = "eu-csv"
    list_id = LIST_ID
    title = "EU Financial Sanctions Files (CSV v1.0)"

    def sniff(self, path: Path, head: bytes) -> bool:
        """The header starts with Date_file, maybe inside the line's wrapping quote."""
        text = head.removeprefix(b"\xef\xbb\xbf").removeprefix(b'"')
        return text.startswith(b"Date_file")

    def parse(self, path: Path) -> ParsedList:
        rows = read_rows(path)
        if not rows:
            raise DataError("the file has a header but no records", path=path)
        return ParsedList(
            list_id=LIST_ID,
            format=self.format,
            files=[path],
            entities=self._entities(path, group_rows(rows)),
            published=_published(path, rows),
            title=self.title,
        )

    def _entities(self, path: Path, groups: list[list[CsvRow]]) -> Iterator[Entity]:
        collector = EntityCollector(path)
        for rows in groups:
            location = f"line {rows[0].line}, record {rows[0].get('Entity_logical_id')!r}"
            entity = build_entity(_record(path, rows))
            if entity.first("name") is None:
                raise DataError(
                    "record has no name (no Naal_wholename)", path=path, location=location
                )
            yield collector.check(entity, location)


# --- reading lines ------------------------------------------------------------------------


def _unwrap(path: Path, line: int, fields: list[str], wrapped: bool) -> list[str]:
    """The fields of a line; a wrapped line is one quoted field holding the real record."""
    if not wrapped:
        return fields
    if len(fields) != 1:
        raise DataError(
            "line is not wrapped in double quotes as the header is",
            path=path,
            location=f"line {line}",
        )
    text = fields[0].rstrip("\t ")
    if "\n" in text or "\r" in text:
        raise DataError(
            "a quoted line runs over a line break: a line is not closed by its "
            "double quote (truncated or damaged file)",
            path=path,
            location=f"line {line}",
        )
    try:
        return next(csv.reader([text], delimiter=";", strict=True), [])
    except csv.Error as exc:
        raise DataError(
            f"malformed CSV inside the quoted line: {exc}", path=path, location=f"line {line}"
        ) from exc


def _header(path: Path, line: int, fields: list[str]) -> list[str]:
    names = [f.strip() for f in fields]
    names = ["Date_file" if n.startswith("Date_file") else n for n in names]
    missing = [c for c in REQUIRED_COLUMNS if c not in names]
    if missing:
        raise DataError(
            "not an EU FSF CSV v1.0 header; missing column(s): " + ", ".join(missing),
            path=path,
            location=f"line {line}",
        )
    return names


def _lines(path: Path) -> Iterator[tuple[int, list[str]]]:
    """The CSV lines; a file ending inside a quoted field is reported as truncated."""
    try:
        yield from csv_records(path, delimiter=";")
    except DataError as exc:
        if "is never closed" not in exc.problem:
            raise
        raise DataError(
            "the file ends inside a quoted line: the last line is not closed by its double "
            "quote (truncated file)",
            path=path,
            location=exc.location,
        ) from exc


def read_rows(path: Path) -> list[CsvRow]:
    """Every record line as a CsvRow; bad encoding, quoting, header or width is a DataError."""
    lines = _lines(path)
    first = next(lines, None)
    if first is None:
        raise DataError("the file holds no lines", path=path)
    line, fields = first
    wrapped = len(fields) == 1 and ";" in fields[0]
    header = _header(path, line, _unwrap(path, line, fields, wrapped))
    index: dict[str, int] = {}
    for i, name in enumerate(header):
        index.setdefault(name, i)
    owners = [i for i, name in enumerate(header) if name == "Entity_logical_id"]
    rows = []
    for line, fields in lines:
        cells = _unwrap(path, line, fields, wrapped)
        if len(cells) != len(header):
            raise DataError(
                f"{len(cells)} fields where the header has {len(header)} "
                "(truncated or damaged line)",
                path=path,
                location=f"line {line}",
            )
        cells[-1] = cells[-1].rstrip("\t ")
        _check_owner(path, line, [cells[i].strip() for i in owners])
        rows.append(CsvRow(line, {name: cells[i].strip() for name, i in index.items()}))
    return rows


def _check_owner(path: Path, line: int, refs: list[str]) -> None:
    """Every section's Entity_logical_id must be the row's own (or empty)."""
    if not refs[0]:
        raise DataError("Entity_logical_id is empty", path=path, location=f"line {line}")
    others = {r for r in refs[1:] if r and r != refs[0]}
    if others:
        raise DataError(
            f"a section of entity {refs[0]!r} names entity {sorted(others)[0]!r}",
            path=path,
            location=f"line {line}",
        )


def group_rows(rows: list[CsvRow]) -> list[list[CsvRow]]:
    """Consecutive rows with one Entity_logical_id form one record."""
    groups: list[list[CsvRow]] = []
    for row in rows:
        if groups and groups[-1][0].get("Entity_logical_id") == row.get("Entity_logical_id"):
            groups[-1].append(row)
        else:
            groups.append([row])
    return groups


def _published(path: Path, rows: list[CsvRow]) -> str:
    """Date_file (dd/mm/yyyy), the same on every row, as an ISO date."""
    stated = {row.get("Date_file"): row.line for row in reversed(rows)}
    if len(stated) > 1:
        (a, la), (b, lb) = sorted(stated.items(), key=lambda kv: kv[1])[:2]
        raise DataError(
            f"rows state different file dates: {a!r} on line {la}, {b!r} on line {lb}",
            path=path,
            location=f"line {lb}",
        )
    raw, line = next(iter(stated.items()))
    parsed = parse_date(raw, dayfirst=True)
    if parsed is None or len(parsed.value) != 10:
        raise DataError(
            f"Date_file {raw!r} is not a dd/mm/yyyy date", path=path, location=f"line {line}"
        )
    return parsed.value


# --- from rows to the shared record -------------------------------------------------------


def _text(record: EURecord, raw: str) -> str | None:
    """A value with commas and line breaks restored; the published text is remembered."""
    raw = raw.strip()
    if raw.upper() in MISSING - {"00"}:
        return None
    text = _TAB.sub(", ", raw.replace("\\n", "\n")).strip(" ,\t")
    if text and text != raw:
        record.originals[text] = raw
    return text or None


def _remarks(record: EURecord, raw: str) -> list[str]:
    """A remark field: one "(remark)" per line, parentheses dropped."""
    text = _text(record, raw)
    if not text:
        return []
    pieces = [unparen(p) for p in text.split("\n") if p.strip()]
    for piece in pieces:
        if piece != raw:
            record.originals[piece] = raw
    return [p for p in pieces if p]


def _record(path: Path, rows: list[CsvRow]) -> EURecord:
    first = rows[0]
    record = EURecord(
        ref=first.get("Entity_logical_id"),
        subject_type=first.get("Subject_type"),
        eu_reference=first.get("EU_ref_num") or None,
    )
    if not record.subject_type:
        raise DataError("Subject_type is empty", path=path, location=f"line {first.line}")
    for row in rows:
        _subject_part(path, record, row, first.line)
        if row.get("Naal_logical_id"):
            record.names.append(_name(record, row))
        if row.get("Addr_logical_id"):
            record.addresses.append(_address(record, row))
        if row.get("Birt_logical_id"):
            record.births.append(_birth(record, row))
        if row.get("Iden_logical_id"):
            record.ids.append(_document(record, row))
        country = csv_country(row.get("Citi_country"))
        if row.get("Citi_logical_id") and country:
            record.citizenships.append(country)
    return record


def _subject_part(path: Path, record: EURecord, row: CsvRow, first_line: int) -> None:
    """The columns every row repeats: they must agree, regulations and remarks accumulate."""
    for column, known in (
        ("Subject_type", record.subject_type),
        ("EU_ref_num", record.eu_reference or ""),
    ):
        if row.get(column) != known:
            raise DataError(
                f"{column} is {row.get(column)!r} here but {known!r} on line {first_line}",
                path=path,
                location=f"line {row.line}, record {record.ref!r}",
            )
    regulation = Regulation(
        number_title=_text(record, row.get("Leba_numtitle")),
        publication_date=_text(record, row.get("Leba_publication_date")),
        url=_text(record, row.get("Leba_url")),
        programme=_text(record, row.get("Programme")),
    )
    if regulation != Regulation() and regulation not in record.regulations:
        record.regulations.append(regulation)
    for remark in _remarks(record, row.get("Entity_remark")):
        if remark not in record.remarks:
            record.remarks.append(remark)


def _name(record: EURecord, row: CsvRow) -> NameRecord:
    parts = [
        _text(record, row.get(c)) for c in ("Naal_firstname", "Naal_middlename", "Naal_lastname")
    ]
    whole = _text(record, row.get("Naal_wholename")) or " ".join(p for p in parts if p) or None
    return NameRecord(
        logical_id=row.get("Naal_logical_id"),
        whole=whole,
        first=parts[0],
        middle=parts[1],
        last=parts[2],
        gender=_text(record, row.get("Naal_gender")),
        title=_text(record, row.get("Naal_title")),
        function=_text(record, row.get("Naal_function")),
        language=_text(record, row.get("Naal_language")),
        damaged=whole is not None and "?" in whole,
    )


def _address(record: EURecord, row: CsvRow) -> AddressRecord:
    other = _text(record, row.get("Addr_other")) or ""
    contacts = [(key.strip(), value) for key, value in _CONTACT.findall(other)]
    rest = ", ".join(p.strip(" ,") for p in _CONTACT.sub("", other).split("\n") if p.strip(" ,"))
    street = " ".join(
        p
        for p in (_text(record, row.get("Addr_number")), _text(record, row.get("Addr_street")))
        if p
    )
    zip_city = " ".join(
        p
        for p in (_text(record, row.get("Addr_zipcode")), _text(record, row.get("Addr_city")))
        if p
    )
    return AddressRecord(
        parts=[street, zip_city, rest],
        contacts=contacts,
        country=csv_country(row.get("Addr_country")),
    )


def _birth(record: EURecord, row: CsvRow) -> BirthRecord:
    return BirthRecord(
        date=_text(record, row.get("Birt_date")),
        place=[_text(record, row.get("Birt_place"))],
        country=csv_country(row.get("Birt_country")),
    )


def _document(record: EURecord, row: CsvRow) -> IdRecord:
    """Unpack "NUMBER (code-Description) (remark)"; other text is all number."""
    raw = row.get("Iden_number")
    country = csv_country(row.get("Iden_country"))
    match = _DOCUMENT.match(raw)
    if match is None:
        return IdRecord(number=_text(record, raw), country=country)
    remark = (match.group("remark") or "").strip()
    return IdRecord(
        number=match.group("number").strip() or None,
        type_code=match.group("code"),
        type_description=match.group("desc").strip() or None,
        country=country,
        remarks=[remark] if remark else [],
        original=raw,
    )
