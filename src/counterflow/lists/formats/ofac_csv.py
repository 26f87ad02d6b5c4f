"""OFAC's legacy CSV set: ``sdn.csv`` with ``alt.csv``, ``add.csv`` and ``sdn_comments.csv``.

The same layout carries the Consolidated (non-SDN) List as ``cons_prim.csv``, ``cons_alt.csv``,
``cons_add.csv`` and ``cons_comments.csv``. The files have no header row, write ``-0-`` (often
with a trailing space) for an empty field and end with the DOS end-of-file byte 0x1A. The
primary file's Remarks field stops at 1,000 characters and goes on, mid-word, in the comments
file; the two are joined byte for byte.

Most of an entry's facts live in free-text Remarks ("DOB 10 Dec 1948; POB Cairo, Egypt;
Passport 1084010 (Egypt); a.k.a. 'ABU X'; Linked To: Y."). This module also holds the mapping
from OFAC's feature labels ("Passport", "Vessel Registration Identification", "Gender", …) to
FtM properties, which the SDN.XML parser shares so that both formats give entities of the same
shape: the XML's ``idType`` values are the very labels the CSV Remarks use.

Weak aliases: OFAC's FAQ 123 says the CSV set lists weak a.k.a.s only inside Remarks, between
single quotes ("a.k.a. 'BNC'"); every name in ``alt.csv`` is a strong one. So quoted remark names
become ``weakAlias`` and ``alt.csv`` names ``alias`` (aka, nka) or ``previousName`` (fka).
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from counterflow.errors import DataError
from counterflow.lists.base import (
    EntityCollector,
    ListParser,
    ParsedList,
    csv_records,
)
from counterflow.model import APPROXIMATE, Entity, clean_text, parse_date

LIST_SDN = "ofac-sdn"
LIST_NONSDN = "ofac-nonsdn"
AUTHORITY = "US Department of the Treasury, Office of Foreign Assets Control (OFAC)"
LIST_TYPES = {LIST_SDN: "SDN List", LIST_NONSDN: "Consolidated Sanctions List (non-SDN)"}

#: OFAC's empty-field marker
EMPTY = "-0-"
#: the Remarks field's length in the primary file; a full field may go on in the comments file
REMARKS_FIELD_LENGTH = 1000

#: SDN_Type (CSV, lower case) or sdnType (XML) -> schema. OFAC gives no reliable signal that an
#: entity is a company rather than any other organisation, so every entity is an Organization.
SCHEMA_BY_TYPE = {
    "individual": "Person",
    "vessel": "Vessel",
    "aircraft": "Airplane",
    "entity": "Organization",
    "": "Organization",
}


@dataclass(frozen=True, slots=True)
class CsvSet:
    """The four file names of one OFAC CSV publication."""

    list_id: str
    primary: str
    alt: str
    add: str
    comments: str


CSV_SETS = (
    CsvSet(LIST_SDN, "sdn.csv", "alt.csv", "add.csv", "sdn_comments.csv"),
    CsvSet(LIST_NONSDN, "cons_prim.csv", "cons_alt.csv", "cons_add.csv", "cons_comments.csv"),
)

_PRIMARY_FIELDS = 12
_ALT_FIELDS = 5
_ADD_FIELDS = 6
_COMMENT_FIELDS = 2
_SNIFF = re.compile(rb"^(?:\xef\xbb\xbf)?\s*\d+,\"")


# --------------------------------------------------------------------------------------------
# Features: OFAC's labelled facts, shared with the SDN.XML parser
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Feature:
    """How one OFAC label is stored: the property, and how its value is read.

    kind: "value" (the text as is), "id" (an identifier, followed by "(Country) issued …
    expires …"), "date", "imo" or "regcountry" (registrationCountry on vehicles, jurisdiction
    otherwise).
    """

    prop: str | None
    kind: str = "value"


_ID = "id"
FEATURES: dict[str, Feature] = {
    # people
    "dob": Feature("birthDate", "date"),
    "pob": Feature("birthPlace"),
    "nationality": Feature("nationality"),
    "citizen": Feature("citizenship"),
    "gender": Feature("gender"),
    "position": Feature("position"),
    "passport": Feature("passportNumber", _ID),
    "diplomatic passport": Feature("passportNumber", _ID),
    "passport booklet": Feature("passportNumber", _ID),
    "british national overseas passport": Feature("passportNumber", _ID),
    # identity documents
    "national id no.": Feature("idNumber", _ID),
    "cedula no.": Feature("idNumber", _ID),
    "identification number": Feature("idNumber", _ID),
    "d.n.i.": Feature("idNumber", _ID),
    "c.u.r.p.": Feature("idNumber", _ID),
    "ssn": Feature("idNumber", _ID),
    "personal id card": Feature("idNumber", _ID),
    "travel document number": Feature("idNumber", _ID),
    "electoral registry no.": Feature("idNumber", _ID),
    "credencial electoral": Feature("idNumber", _ID),
    "i.f.e.": Feature("idNumber", _ID),
    "c.u.i.p.": Feature("idNumber", _ID),
    "c.u.i.": Feature("idNumber", _ID),
    "kenyan id no.": Feature("idNumber", _ID),
    "driver's license no.": Feature("idNumber", _ID),
    "residency number": Feature("idNumber", _ID),
    "numero de identidad": Feature("idNumber", _ID),
    "birth certificate number": Feature("idNumber", _ID),
    "turkish identification number": Feature("idNumber", _ID),
    "citizen's card number": Feature("idNumber", _ID),
    "cartilla de servicio militar nacional": Feature("idNumber", _ID),
    "national foreign id number": Feature("idNumber", _ID),
    "visanumberid": Feature("idNumber", _ID),
    "bik (ru)": Feature("idNumber", _ID),
    # tax and company registers
    "tax id no.": Feature("taxNumber", _ID),
    "r.f.c.": Feature("taxNumber", _ID),
    "rfc": Feature("taxNumber", _ID),
    "v.a.t. number": Feature("taxNumber", _ID),
    "italian fiscal code": Feature("taxNumber", _ID),
    "us fein": Feature("taxNumber", _ID),
    "c.u.i.t.": Feature("taxNumber", _ID),
    "rtn": Feature("taxNumber", _ID),
    "nit #": Feature("taxNumber", _ID),
    "ruc #": Feature("taxNumber", _ID),
    "rif #": Feature("taxNumber", _ID),
    "numero unico de identificacao tributaria (nuit)": Feature("taxNumber", _ID),
    "registration id": Feature("registrationNumber", _ID),
    "registration number": Feature("registrationNumber", _ID),
    "business number": Feature("registrationNumber", _ID),
    "company number": Feature("registrationNumber", _ID),
    "uk company number": Feature("registrationNumber", _ID),
    "business registration number": Feature("registrationNumber", _ID),
    "business registration document #": Feature("registrationNumber", _ID),
    "commercial registry number": Feature("registrationNumber", _ID),
    "chamber of commerce number": Feature("registrationNumber", _ID),
    "certificate of incorporation number": Feature("registrationNumber", _ID),
    "trade license no.": Feature("registrationNumber", _ID),
    "government gazette number": Feature("registrationNumber", _ID),
    "legal entity number": Feature("registrationNumber", _ID),
    "le number": Feature("registrationNumber", _ID),
    "unified social credit code (uscc)": Feature("registrationNumber", _ID),
    "united social credit code certificate (usccc)": Feature("registrationNumber", _ID),
    "matricula mercantil no": Feature("registrationNumber", _ID),
    "folio mercantil no.": Feature("registrationNumber", _ID),
    "enterprise number": Feature("registrationNumber", _ID),
    "c.r. no.": Feature("registrationNumber", _ID),
    "public registration number": Feature("registrationNumber", _ID),
    "branch unit number": Feature("registrationNumber", _ID),
    "registered charity no.": Feature("registrationNumber", _ID),
    "d-u-n-s number": Feature("registrationNumber", _ID),
    "dubai chamber of commerce membership no.": Feature("registrationNumber", _ID),
    "swift/bic": Feature("swiftBic", _ID),
    "organization established date": Feature("incorporationDate", "date"),
    "organization type": Feature("sector"),
    # contact
    "website": Feature("website"),
    "email address": Feature("email"),
    "email": Feature("email"),
    "phone number": Feature("phone"),
    "telephone": Feature("phone"),
    "telephone no.": Feature("phone"),
    "telephone number": Feature("phone"),
    "phone": Feature("phone"),
    "phone no.": Feature("phone"),
    # vessels
    "vessel registration identification": Feature("imoNumber", "imo"),
    "imo": Feature("imoNumber", "imo"),
    "mmsi": Feature("mmsi", _ID),
    "vessel year of build": Feature("buildDate", "date"),
    "nationality of registration": Feature(None, "regcountry"),
    # aircraft
    "aircraft manufacturer's serial number (msn)": Feature("serialNumber", _ID),
    "aircraft construction number (also called l/n or s/n or f/n)": Feature("serialNumber", _ID),
    "aircraft serial identification": Feature("serialNumber", _ID),
    "aircraft model": Feature("model"),
    "aircraft manufacture date": Feature("buildDate", "date"),
    "aircraft tail number": Feature("registrationNumber", _ID),
}
#: label beginnings of facts about the listing's scope (directives, secondary sanctions, …):
#: they go to the sanction's ``provisions``
PROVISION_LABELS = (
    "additional sanctions information",
    "secondary sanctions risk",
    "transactions prohibited for persons owned or controlled by u.s. financial institutions",
    "executive order",
    "caatsa section",
    "ifca determination",
    "listing date (",
    "effective date (",
    "purchase/sales for divestment date",
)
#: labels longest first, so "Passport Booklet" wins over "Passport"
_LABELS = sorted(FEATURES, key=len, reverse=True)
#: labels whose part is kept as a note (no property fits), recognised so that XML ids with
#: these types are not mistaken for identity numbers
NOTE_LABELS = (
    "linked to",
    "former vessel flag",
    "previous aircraft tail number",
    "aircraft operator",
    "aircraft mode s transponder code",
    "target type",
    "digital currency address",
    "fax",
    "isin",
    "equity ticker",
    "issuer name",
    "listing date",
    "effective date",
    "for more information",
    "chinese commercial code",
    "micex code",
)
_GENERIC_ID = re.compile(
    r"^(?P<label>[A-Z][\w.'/()\- ]{0,60}(?:\bNo\.?|\bNumber|\bID|#|\bCode|\bCard))\s*:?\s+"
    r"(?P<value>[A-Za-z0-9].*)$"
)
_ID_TAIL = re.compile(r",?\s+(?:\(|issued\b|expire[sd]?\b)", re.I)
_ALT_PREFIX = re.compile(r"^alt\.\s+", re.I)
_WEAK_NAME = re.compile(r"^(?P<kind>[afn]\.k\.a\.)\s*'(?P<name>.*)'$", re.I)
_IMO = re.compile(r"^(?:IMO\s*)?(\d{7})$", re.I)
_ABBREVIATION_END = re.compile(
    r"(?:\b[A-Za-z]\.){2,}$|\b(?:Jr|Sr|Ltd|Inc|Co|Corp|Bros|St|No)\.$", re.I
)


def empty(cell: str | None) -> bool:
    """True for OFAC's empty marker ``-0-`` (with or without spaces) and blank cells."""
    return cell is None or cell.strip() in ("", EMPTY)


def cell_text(cell: str | None) -> str | None:
    """A cell's cleaned text, None for ``-0-`` and blanks."""
    return None if empty(cell) else clean_text(cell)


def split_programs(text: str | None) -> list[str]:
    """Program codes: the CSV packs several as "SDGT] [IFSR"; brackets are dropped."""
    if empty(text):
        return []
    codes = re.split(r"\]\s*\[", text or "")
    return [c for c in (clean_text(code.strip(" []")) for code in codes) if c]


def split_remarks(text: str) -> list[str]:
    """Split Remarks on ";" outside parentheses (a bracketed aside keeps its own ";").

    An unbalanced "(" would swallow the rest, so then the text is split on every ";".
    """
    parts: list[str] = []
    depth, start = 0, 0
    for i, ch in enumerate(text):
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth = max(0, depth - 1)
        elif ch == ";" and depth == 0:
            parts.append(text[start:i])
            start = i + 1
    parts.append(text[start:])
    if depth:
        parts = text.split(";")
    return [p for p in (clean_text(part) for part in parts) if p]


def strip_final_period(text: str) -> str:
    """Drop the full stop OFAC ends Remarks with, but not one that ends "S.A." or "Jr."."""
    if text.endswith(".") and not _ABBREVIATION_END.search(text):
        return text[:-1].rstrip()
    return text


def match_label(part: str) -> tuple[str, str] | None:
    """Split "Passport 123 (Egypt)" into its known label and the rest, case-insensitively."""
    low = part.lower()
    for label in _LABELS:
        if low.startswith(label):
            rest = part[len(label) :]
            if rest and rest[0].isalnum() and label[-1].isalnum():
                continue  # "Phone" must not match "Phonetic"
            return label, rest.lstrip(" :").strip()
    return None


def is_note_label(label: str) -> bool:
    return label.lower().startswith(NOTE_LABELS)


def add_value(
    entity: Entity,
    prop: str,
    value: str | None,
    *,
    text: str,
    original: str | None = None,
    qualifier: str | None = None,
) -> None:
    """Add a value if the schema has the property, else keep ``text`` (the labelled fact) as a
    note: a vessel's phone number or an organisation's birth date is not dropped."""
    if not value:
        return
    if prop in entity.schema.properties:
        entity.add(prop, value, original=original, qualifier=qualifier)
    else:
        entity.add("notes", text)


def add_date(entity: Entity, prop: str, raw: str, *, text: str) -> None:
    """A date as OFAC writes it ("10 Dec 1948", "circa 1960", "1958 to 1960"), else a note."""
    parsed = parse_date(raw)
    if parsed is None:
        entity.add("notes", text)
        return
    add_value(
        entity,
        prop,
        parsed.value,
        text=text,
        original=raw,
        qualifier=APPROXIMATE if parsed.approximate else None,
    )


def add_imo(entity: Entity, raw: str, *, text: str) -> None:
    """An IMO number as FtM writes it ("IMO 9187629" -> "IMO9187629"); on a non-vessel, or
    when not seven digits, the number is a registration number instead."""
    compact = " ".join(raw.split())
    match = _IMO.match(compact)
    if match and entity.schema.name == "Vessel":
        entity.add("imoNumber", f"IMO{match.group(1)}", original=text)
    else:
        add_value(entity, "registrationNumber", compact, text=text, original=text)


def apply_feature(entity: Entity, label: str, value: str, *, text: str) -> bool:
    """Store one labelled OFAC fact; False when the label is not one this module maps.

    ``text`` is the fact as OFAC writes it in Remarks ("Passport 1084010 (Egypt) issued …"):
    identifiers keep it as their original, so the document type and country are not lost.
    """
    low = label.lower().strip()
    if low.startswith(PROVISION_LABELS):
        entity.sanction.add("provisions", text)
        return True
    if low.startswith(NOTE_LABELS):
        entity.add("notes", text)
        return True
    feature = FEATURES.get(low.rstrip(" :"))
    if feature is None:
        return False
    if not value:
        entity.add("notes", text)
        return True
    if feature.kind == "date" and feature.prop:
        add_date(entity, feature.prop, value, text=text)
    elif feature.kind == "imo":
        add_imo(entity, value, text=text)
    elif feature.kind == "regcountry":
        prop = "registrationCountry" if entity.schema.is_a("Vehicle") else "jurisdiction"
        add_value(entity, prop, value, text=text)
    elif feature.kind == _ID and feature.prop:
        number = _ID_TAIL.split(value, maxsplit=1)[0].strip()
        add_value(entity, feature.prop, number or value, text=text, original=text)
    elif feature.prop:
        add_value(entity, feature.prop, value, text=text)
    return True


def identifier_text(
    id_type: str,
    number: str,
    country: str | None = None,
    issued: str | None = None,
    expires: str | None = None,
) -> str:
    """An identifier written the way OFAC's Remarks write it: "Passport 123 (Egypt) issued …"."""
    text = f"{id_type} {number}"
    if country:
        text += f" ({country})"
    if issued:
        text += f" issued {issued}"
    if expires:
        text += f" expires {expires}"
    return text


def add_other_name(entity: Entity, kind: str, name: str | None, *, weak: bool) -> None:
    """An a.k.a., f.k.a. or n.k.a. name.

    Strong: a.k.a./n.k.a. -> alias, f.k.a. -> previousName. Weak names of any kind go to
    weakAlias (OFAC does not expect them to be screened on their own); the original keeps the
    kind ("f.k.a. 'X'") so a weak former name is not mistaken for a current one.
    """
    if not name:
        return
    kind = kind.lower().replace(".", "")
    if weak:
        entity.add("weakAlias", name, original=f"{kind[0]}.k.a. '{name}'")
    elif kind == "fka":
        entity.add("previousName", name)
    else:
        entity.add("alias", name)


def apply_remarks(entity: Entity, remarks: str | None) -> None:
    """Map every part of a Remarks text; keep the whole text and any unmapped part as notes.

    A Remarks text of one unmapped part is kept once, as the whole text.
    """
    text = clean_text(remarks)
    if not text:
        return
    entity.add("notes", text)
    parts = split_remarks(text)
    for raw_part in parts:
        part = strip_final_period(_ALT_PREFIX.sub("", raw_part))
        if part.startswith("(") and part.endswith(")") and _is_labelled(part[1:-1]):
            part = part[1:-1].strip()  # "(Linked To: X)", as SDN.XML remarks write it
        if part:
            _apply_part(entity, part, keep_note=len(parts) > 1)


def _is_labelled(text: str) -> bool:
    return bool(match_label(text)) or text.lower().startswith(PROVISION_LABELS + NOTE_LABELS)


def _apply_part(entity: Entity, part: str, *, keep_note: bool = True) -> None:
    """One Remarks part: a weak name, a labelled fact, an identity number, or a note."""
    weak = _WEAK_NAME.match(part)
    if weak:
        add_other_name(entity, weak.group("kind"), weak.group("name"), weak=True)
        return
    if part.lower().startswith(PROVISION_LABELS + NOTE_LABELS):
        apply_feature(entity, part, "", text=part)
        return
    found = match_label(part)
    if found and apply_feature(entity, found[0], found[1], text=part):
        return
    generic = None if found else _GENERIC_ID.match(part)
    if generic and not is_note_label(generic.group("label")):
        number = _ID_TAIL.split(generic.group("value"), maxsplit=1)[0].strip()
        add_value(entity, "idNumber", number, text=part, original=part)
        return
    if keep_note:
        entity.add("notes", part)


def add_sanction(entity: Entity, list_id: str, programs: list[str]) -> None:
    """The listing: OFAC as authority, the entry number, each program code, the list."""
    sanction = entity.sanction
    sanction.add("authority", AUTHORITY)
    sanction.add("authorityId", entity.ref)
    sanction.add_all("program", programs)
    sanction.add("listType", LIST_TYPES.get(list_id))


def add_primary_name(
    entity: Entity, last: str | None, first: str | None, published: str | None = None
) -> None:
    """The name as published ("LAST, First Middle" for people, as OFAC prints it; SDN.XML's
    two parts are joined that way). People also get lastName and firstName (all given names
    together, as SDN.XML has them)."""
    entity.add("name", published or (f"{last}, {first}" if last and first else last or first))
    if entity.schema.name == "Person":
        entity.add("lastName", last)
        entity.add("firstName", first)


def split_person_name(name: str) -> tuple[str, str | None]:
    """Split a person's name at its first comma: "CIFUENTES VILLA, Jorge Milton" gives
    ("CIFUENTES VILLA", "Jorge Milton"); a name without a comma is all last name."""
    last, sep, first = name.partition(",")
    if not sep:
        return name.strip(), None
    return last.strip(), first.strip() or None


VESSEL_FIELDS = (
    ("callSign", "Call sign"),
    ("type", "Vessel type"),
    ("tonnage", "Tonnage"),
    ("grossRegisteredTonnage", "Gross registered tonnage"),
    ("flag", "Vessel flag"),
    ("owner", "Vessel owner"),
)


def add_vessel_fields(entity: Entity, values: list[str | None]) -> None:
    """The vessel columns (or SDN.XML vesselInfo), in VESSEL_FIELDS order."""
    for (prop, label), value in zip(VESSEL_FIELDS, values, strict=True):
        if value:
            add_value(entity, prop, value, text=f"{label}: {value}")


def add_title(entity: Entity, title: str | None) -> None:
    """OFAC's Title is mostly an office or rank ("Minister of Finance"): FtM ``position``."""
    if title:
        add_value(entity, "position", title, text=f"Title: {title}")


def add_address(
    entity: Entity, street: str | None, locality: str | None, country: str | None
) -> None:
    """One address line as "street, city/state/postal code, country"; the country also goes
    to ``country``."""
    entity.add("address", ", ".join(p for p in (street, locality, country) if p))
    entity.add("country", country)


# --------------------------------------------------------------------------------------------
# The CSV set
# --------------------------------------------------------------------------------------------


def _rows(path: Path, fields: int) -> Iterator[tuple[int, list[str]]]:
    """A file's rows, each checked to have the layout's number of fields and an ent_num."""
    for line, row in csv_records(path, strip_eof=True):
        if len(row) != fields:
            raise DataError(
                f"expected {fields} fields (OFAC CSV layout), found {len(row)}",
                path=path,
                location=f"line {line}",
            )
        if not row[0].strip().isdigit():
            raise DataError(
                f"ent_num {row[0].strip()!r} is not a number (a header row or "
                "not an OFAC CSV file?)",
                path=path,
                location=f"line {line}",
            )
        yield line, row


def find_set(path: Path) -> tuple[CsvSet, dict[str, Path]]:
    """The set a folder or primary file belongs to, and the files of it that exist."""
    path = Path(path)
    folder = path if path.is_dir() else path.parent
    if not folder.is_dir():
        raise DataError("file not found", path=path)
    present = {p.name.lower(): p for p in folder.iterdir() if p.is_file()}
    if path.is_dir():
        chosen = next((s for s in CSV_SETS if s.primary in present), None)
        if chosen is None:
            raise DataError("folder holds neither sdn.csv nor cons_prim.csv", path=path)
    else:
        chosen = next((s for s in CSV_SETS if s.primary == path.name.lower()), None)
        if chosen is None:
            raise DataError(
                "an OFAC CSV set is read from sdn.csv or cons_prim.csv (or their "
                "folder), with alt, add and comments files beside it",
                path=path,
            )
        if not path.exists():
            raise DataError("file not found", path=path)
    files = {
        role: present[name]
        for role, name in (
            ("primary", chosen.primary),
            ("alt", chosen.alt),
            ("add", chosen.add),
            ("comments", chosen.comments),
        )
        if name in present
    }
    for role in ("alt", "add"):
        if role not in files:
            name = getattr(chosen, role)
            raise DataError(
                f"{name} is missing beside {chosen.primary}: without it the "
                "list would lack names or addresses",
                path=folder / name,
            )
    return chosen, files


class OFACCsvParser(ListParser):
    format = "ofac-csv"
    list_id = LIST_SDN
    title = "OFAC SDN / Consolidated (non-SDN) List, legacy CSV set"

    def sniff(self, path: Path, head: bytes) -> bool:
        names = {s.primary for s in CSV_SETS}
        return Path(path).name.lower() in names and bool(_SNIFF.match(head))

    def parse(self, path: Path) -> ParsedList:
        """Read a set from its folder or its primary file; a folder holding both sets is read
        as the SDN set (name cons_prim.csv to read the other)."""
        csv_set, files = find_set(Path(path))
        order = [files[r] for r in ("primary", "alt", "add", "comments") if r in files]
        return ParsedList(
            list_id=csv_set.list_id,
            format=self.format,
            files=order,
            entities=self._entities(csv_set, files),
            published=None,
            title=LIST_TYPES[csv_set.list_id],
        )

    def _entities(self, csv_set: CsvSet, files: dict[str, Path]) -> Iterator[Entity]:
        primary = files["primary"]
        rows = list(_rows(primary, _PRIMARY_FIELDS))
        if not rows:
            raise DataError("no records in the file", path=primary)
        known = {row[0].strip() for _, row in rows}
        comments = self._comments(files.get("comments"), known, rows, primary)
        alts = _grouped(files["alt"], _ALT_FIELDS, known, csv_set.primary)
        adds = _grouped(files["add"], _ADD_FIELDS, known, csv_set.primary)
        collector = EntityCollector(primary)
        for line, row in rows:
            ref = row[0].strip()
            location = f"line {line} (ent_num {ref})"
            problem = _row_problem(row)
            if problem:
                raise DataError(problem, path=primary, location=location)
            row[11] = ("" if empty(row[11]) else row[11]) + "".join(comments.get(ref, ()))
            try:
                entity = self._entity(csv_set.list_id, row, alts.get(ref, []), adds.get(ref, []))
            except ValueError as exc:
                raise DataError(str(exc), path=primary, location=location) from exc
            yield collector.check(entity, location)

    @staticmethod
    def _comments(
        path: Path | None, known: set[str], rows: list[tuple[int, list[str]]], primary: Path
    ) -> dict[str, list[str]]:
        """Remarks continuations by ent_num, in file order; a full Remarks field with no
        comments file means the set is incomplete."""
        if path is None:
            full = next((line for line, row in rows if len(row[11]) >= REMARKS_FIELD_LENGTH), None)
            if full is not None:
                raise DataError(
                    "Remarks fill the whole 1,000-character field but the comments "
                    "file that continues them is missing",
                    path=primary,
                    location=f"line {full}",
                )
            return {}
        continued: dict[str, list[str]] = defaultdict(list)
        for line, row in _rows(path, _COMMENT_FIELDS):
            ref = row[0].strip()
            if ref not in known:
                raise DataError(
                    f"ent_num {ref} is not in {primary.name}", path=path, location=f"line {line}"
                )
            continued[ref].append(row[1])
        return continued

    @staticmethod
    def _entity(
        list_id: str, row: list[str], alts: list[list[str]], adds: list[list[str]]
    ) -> Entity:
        """One primary row with its aliases and addresses (Remarks already joined)."""
        ref, name = row[0].strip(), cell_text(row[1]) or ""
        entity = Entity.make(list_id, ref, SCHEMA_BY_TYPE[(cell_text(row[2]) or "").lower()])
        if entity.schema.name == "Person":
            add_primary_name(entity, *split_person_name(name), published=name)
        else:
            entity.add("name", name)
        add_sanction(entity, list_id, split_programs(row[3]))
        add_title(entity, cell_text(row[4]))
        add_vessel_fields(entity, [cell_text(c) for c in row[5:11]])
        for alt in alts:
            add_other_name(entity, cell_text(alt[2]) or "aka", cell_text(alt[3]), weak=False)
            remarks = cell_text(alt[4])
            if remarks:
                entity.add("notes", f"Alias remarks ({cell_text(alt[3])}): {remarks}")
        for add in adds:
            add_address(entity, cell_text(add[2]), cell_text(add[3]), cell_text(add[4]))
            remarks = cell_text(add[5])
            if remarks:
                entity.add("notes", f"Address remarks: {remarks}")
        apply_remarks(entity, row[11])
        return entity


def _row_problem(row: list[str]) -> str | None:
    """What makes a primary row unreadable: an SDN_Type OFAC does not use, or no name."""
    if (cell_text(row[2]) or "").lower() not in SCHEMA_BY_TYPE:
        return f"unknown SDN_Type {row[2].strip()!r}"
    if not cell_text(row[1]):
        return "SDN_Name is empty"
    return None


def _grouped(path: Path, fields: int, known: set[str], primary: str) -> dict[str, list[list[str]]]:
    """A side file's rows by ent_num; a row for an entry the primary file lacks is an error
    (files from two different publications)."""
    grouped: dict[str, list[list[str]]] = defaultdict(list)
    for line, row in _rows(path, fields):
        ref = row[0].strip()
        if ref not in known:
            raise DataError(
                f"ent_num {ref} is not in {primary} (files from different publications?)",
                path=path,
                location=f"line {line}",
            )
        grouped[ref].append(row)
    return grouped
