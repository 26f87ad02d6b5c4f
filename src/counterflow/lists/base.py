"""What every list parser shares: the parser interface, its result, and careful file reading.

Parsers turn one publication (a file, or a set of files such as OFAC's CSV set) into entities.
They never touch the workspace: the importer stores what they yield only once the whole file
has been read without error, so a bad file never leaves a partial edition behind.
"""

from __future__ import annotations

import csv
import hashlib
import io
from abc import ABC, abstractmethod
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import ClassVar

from defusedxml import ElementTree as SafeET

from counterflow.errors import DataError
from counterflow.model import Entity

#: Files larger than this are refused before parsing: no official list comes near it.
MAX_LIST_FILE_BYTES = 512 * 1024 * 1024
#: CSV fields larger than this are refused (the csv module's default guard, made explicit).
MAX_CSV_FIELD = 1024 * 1024


@dataclass
class ParsedList:
    """One publication of a list: its metadata, the files read, and its entities (lazily)."""

    list_id: str
    format: str
    files: Sequence[Path]
    entities: Iterable[Entity]
    #: the publication date or time the file states (ISO 8601), None when it states none
    published: str | None = None
    title: str | None = None
    extra: dict[str, str] = field(default_factory=dict)

    def content_hash(self) -> str:
        """SHA-256 over the bytes of every file read, in order: the edition's identity."""
        return files_hash(self.files)


class ListParser(ABC):
    """Reads one list format. Subclasses declare their format name and default list id."""

    #: short format name used by ``--format``
    format: ClassVar[str]
    #: the list id entities go to unless the file says otherwise
    list_id: ClassVar[str]
    #: a human title for ``--help`` and docs
    title: ClassVar[str]

    @abstractmethod
    def sniff(self, path: Path, head: bytes) -> bool:
        """True when the file (its name and first bytes) is of this format."""

    @abstractmethod
    def parse(self, path: Path) -> ParsedList:
        """Read the file; raise DataError naming the file, record and problem on bad input."""


def files_hash(paths: Iterable[Path]) -> str:
    digest = hashlib.sha256()
    for path in paths:
        with open(path, "rb") as fh:
            for chunk in iter(lambda: fh.read(1 << 20), b""):
                digest.update(chunk)
    return digest.hexdigest()


def read_head(path: Path, size: int = 4096) -> bytes:
    with open(path, "rb") as fh:
        return fh.read(size)


def check_file(path: Path) -> None:
    """Refuse missing, empty and oversized files with a message naming the file."""
    if not path.exists():
        raise DataError("file not found", path=path)
    if not path.is_file():
        raise DataError("not a file", path=path)
    size = path.stat().st_size
    if size == 0:
        raise DataError("the file is empty", path=path)
    if size > MAX_LIST_FILE_BYTES:
        raise DataError(
            f"the file is {size:,} bytes, over the {MAX_LIST_FILE_BYTES:,} limit", path=path
        )


def decode(data: bytes, path: Path, encoding: str) -> str:
    """Decode bytes, naming the line and byte of the first bad sequence on failure."""
    try:
        return data.decode(encoding)
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise DataError(
            f"not valid {encoding} text (byte 0x{data[exc.start]:02x} at offset {exc.start})",
            path=path,
            location=f"line {line}",
        ) from None


def decode_text(data: bytes, path: Path) -> str:
    """Text from a list publisher: UTF-8 when it is valid UTF-8, else Windows-1252.

    OFAC, OFSI and the EU published their CSV files in cp1252 (or its ASCII subset); newer
    exports are UTF-8. A NUL byte means UTF-16 or a binary file and is refused.
    """
    nul = data.find(b"\x00")
    if nul >= 0:
        line = data.count(b"\n", 0, nul) + 1
        raise DataError(
            "NUL byte in the file: not a single-byte or UTF-8 text file (UTF-16?)",
            path=path,
            location=f"line {line}",
        )
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return decode(data, path, "cp1252")


@dataclass(frozen=True, slots=True)
class CsvRow:
    """One CSV record: its line number and its cells by column name."""

    line: int
    cells: dict[str, str]

    def get(self, column: str) -> str:
        return self.cells.get(column, "")


def read_csv_rows(
    path: Path, *, encoding: str | None = None, delimiter: str = ",", strip_eof: bool = False
) -> Iterator[tuple[int, list[str]]]:
    """Yield (line number, fields) for every non-blank row; bad encoding or quoting is a DataError.

    Without ``encoding`` the text is decoded by :func:`decode_text`. ``strip_eof`` drops the
    DOS end-of-file byte (0x1A) that OFAC's legacy files end with.
    """
    check_file(path)
    data = path.read_bytes()
    text = decode(data, path, encoding) if encoding else decode_text(data, path)
    if text.startswith("\ufeff"):
        text = text[1:]
    if strip_eof:
        text = text.rstrip("\x1a\r\n ")
    old_limit = csv.field_size_limit(MAX_CSV_FIELD)
    try:
        reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
        try:
            for row in reader:
                if any(cell.strip() for cell in row):
                    yield reader.line_num, row
        except csv.Error as exc:
            raise DataError(
                f"malformed CSV: {exc}", path=path, location=f"line {reader.line_num}"
            ) from None
    finally:
        csv.field_size_limit(old_limit)


def parse_xml(path: Path) -> SafeET.Element:
    """Parse a whole XML file safely (no entity expansion, no external DTDs).

    A truncated or malformed file raises DataError with the line and column of the problem.
    """
    check_file(path)
    try:
        return SafeET.parse(str(path)).getroot()
    except SafeET.ParseError as exc:
        line, column = getattr(exc, "position", (None, None))
        location = f"line {line}, column {column}" if line else None
        raise DataError(
            f"malformed XML: {exc.msg if hasattr(exc, 'msg') else exc}",
            path=path,
            location=location,
        ) from None
    except Exception as exc:  # noqa: BLE001 - defusedxml refusals (entities, DTDs) name themselves
        raise DataError(f"refused XML: {type(exc).__name__}: {exc}", path=path) from None


def local_name(tag: str) -> str:
    """An XML tag without its namespace: '{urn:x}entry' -> 'entry'."""
    return tag.rsplit("}", 1)[-1]


class EntityCollector:
    """Gathers a file's entities, refusing a reference that appears twice."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._seen: dict[str, str] = {}

    def check(self, entity: Entity, location: str) -> Entity:
        previous = self._seen.get(entity.id)
        if previous is not None:
            raise DataError(
                f"duplicate reference {entity.ref!r} (first at {previous})",
                path=self.path,
                location=location,
            )
        self._seen[entity.id] = location
        return entity
