"""What every list parser shares: the parser interface, its result, and reading list files.

Parsers turn one publication (a file, or a set of files such as OFAC's CSV set) into entities.
They read files through :mod:`counterflow.io` only, and never touch the workspace: the importer
stores what they yield only once the whole file has been read without error, so a bad file
never leaves a partial edition behind.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import ClassVar

from defusedxml import ElementTree as SafeET

from counterflow.errors import DataError
from counterflow.io import CsvFile, CsvOptions, files_hash, parse_xml
from counterflow.model import Entity

#: Files larger than this are refused before parsing: parsers hold a whole list in memory, and
#: no official list comes near it.
MAX_LIST_FILE_BYTES = 512 * 1024 * 1024


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


@dataclass(frozen=True, slots=True)
class CsvRow:
    """One CSV record: its line number and its cells by column name."""

    line: int
    cells: dict[str, str]

    def get(self, column: str) -> str:
        return self.cells.get(column, "")


def csv_records(
    path: Path, *, delimiter: str = ",", strip_eof: bool = False
) -> Iterator[tuple[int, list[str]]]:
    """(line number, fields) of every non-blank record of a list publisher's CSV file, with no
    header taken: the formats put a title or a date before theirs, or have none. Bad encoding
    or quoting is a DataError naming the line."""
    options = CsvOptions(
        delimiter=delimiter, header=False, max_bytes=MAX_LIST_FILE_BYTES, strip_eof=strip_eof
    )
    for record in CsvFile(path, options).records():
        yield record.line, record.fields


def parse_list_xml(path: Path) -> SafeET.Element:
    """A whole XML list file, parsed safely (see :func:`counterflow.io.parse_xml`)."""
    return parse_xml(path, max_bytes=MAX_LIST_FILE_BYTES)


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
