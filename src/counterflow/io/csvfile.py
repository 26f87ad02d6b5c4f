"""CSV files as users and publishers write them: the delimiter and encoding found out, quoting
checked strictly, every fault an error that names the line.

Lenient CSV readers lose rows without a word: one unbalanced quote turns the rest of the file
into a single field. Here an unterminated quote is an error naming the line it opened on, and a
quoted field that swallows what look like whole rows is refused too. Excel writes ``;`` where
the decimal separator is a comma (much of Europe) and UTF-16 tab-separated "Unicode text", so
the delimiter and encoding are sniffed unless the caller names them.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

from counterflow.errors import ConfigError, DataError
from counterflow.io.files import bad_text_error, check_file, read_head, sniff_encoding

#: delimiters tried when sniffing, in order of preference on a tie
DELIMITERS = (",", ";", "\t", "|")
#: the longest field a CSV file may hold unless the caller says otherwise
DEFAULT_MAX_FIELD = 1024 * 1024
_SNIFF_BYTES = 64 * 1024
_NAMES = {",": "comma", ";": "semicolon", "\t": "tab", "|": "bar"}
#: what a blank record holds when the DOS end-of-file byte counts as blank
_EOF_BLANK = " \t\r\n\x1a"


def _next_record(reader: Iterator[list[str]], limit: int) -> list[str]:
    """The next record, read under this file's field-size limit.

    The csv module's limit is one per process; it is set for the one record being read and put
    back at once, so files read side by side each keep theirs, and nothing is left changed
    when a reader is dropped half-way."""
    previous = csv.field_size_limit(limit)
    try:
        return next(reader)
    finally:
        csv.field_size_limit(previous)


@dataclass(frozen=True)
class CsvOptions:
    """How to read a CSV file; ``None`` means "find out from the file"."""

    delimiter: str | None = None
    encoding: str | None = None
    #: refuse files larger than this (None: any size; the file is streamed)
    max_bytes: int | None = None
    max_field: int = DEFAULT_MAX_FIELD
    #: the first record names the columns
    header: bool = True
    #: drop the DOS end-of-file byte (0x1A) that OFAC's legacy files end with
    strip_eof: bool = False

    def __post_init__(self) -> None:
        if self.delimiter is not None and len(self.delimiter) != 1:
            raise ConfigError(f"a CSV delimiter is one character, not {self.delimiter!r}")


@dataclass(slots=True)
class CsvRecord:
    """One record: the physical line it starts on and its fields."""

    line: int
    fields: list[str]


class CsvFile:
    """A CSV file with its delimiter, encoding and header decided; iterate :meth:`records`."""

    def __init__(self, path: Path, options: CsvOptions | None = None) -> None:
        options = options or CsvOptions()
        self.path = path
        self.options = options
        check_file(path, max_bytes=options.max_bytes)
        self.encoding = options.encoding or sniff_encoding(path)
        self.delimiter = options.delimiter or sniff_delimiter(path, self.encoding)
        self.header: list[str] | None = None
        self._records = self._read()
        if options.header:
            first = next(self._records, None)
            if first is None:
                raise DataError("the file has no header row", path=path)
            self.header = [cell.strip() for cell in first.fields]
            if self.header and self.header[0].startswith("\ufeff"):
                self.header[0] = self.header[0][1:]

    def describe(self) -> str:
        """``semicolon-separated cp1252``: how the file was read, for messages."""
        name = _NAMES.get(self.delimiter, repr(self.delimiter))
        return f"{name}-separated {self.encoding}"

    def records(self) -> Iterator[CsvRecord]:
        """The data records after the header (every record when there is none); blank lines
        are skipped. Raises :class:`DataError` naming the line on the first fault."""
        return self._records

    def rows(self) -> Iterator[tuple[int, dict[str, str]]]:
        """Each data record as (line, {column: value}); a record whose field count is not the
        header's is an error naming its line."""
        header = self.header or []
        for record in self._records:
            if len(record.fields) != len(header):
                raise self.width_error(record)
            yield record.line, dict(zip(header, record.fields, strict=True))

    def width_error(self, record: CsvRecord) -> DataError:
        width = len(self.header or [])
        return DataError(
            f"{len(record.fields)} fields where the header has {width} "
            f"(read as {self.describe()}; give the delimiter if that is wrong)",
            path=self.path,
            location=f"line {record.line}",
        )

    def _read(self) -> Iterator[CsvRecord]:
        try:
            with open(self.path, encoding=self.encoding, newline="") as text:
                yield from self._parse(text)
        except UnicodeDecodeError as exc:
            raise bad_text_error(self.path, self.encoding, "; name the encoding") from exc
        except OSError as exc:
            raise DataError(f"cannot read: {exc.strerror}", path=self.path) from exc

    def _parse(self, text: TextIO) -> Iterator[CsvRecord]:
        reader = csv.reader(text, delimiter=self.delimiter, strict=True)
        limit = self.options.max_field
        chars = _EOF_BLANK if self.options.strip_eof else None
        width: int | None = None
        end = 0  # the line the previous record ended on
        while True:
            start = end + 1
            try:
                fields = _next_record(reader, limit)
            except StopIteration:
                return
            except csv.Error as exc:
                raise self._fault(exc, start, reader.line_num) from exc
            end = reader.line_num
            # most records have a first cell: the whole-record test only when not
            if not (fields and fields[0].strip(chars)) and self._blank(fields):
                continue
            if width is None:
                width = len(fields)
            if end > start and width > 1:
                self._check_span(fields, start, end, width)
            yield CsvRecord(start, fields)

    def _blank(self, fields: list[str]) -> bool:
        chars = _EOF_BLANK if self.options.strip_eof else None
        return all(not cell.strip(chars) for cell in fields)

    def _fault(self, exc: csv.Error, start: int, end: int) -> DataError:
        message = str(exc)
        if "field larger than field limit" in message:
            hint = (
                f" (the record runs from line {start} to line {end}: an unbalanced quote?)"
                if end > start
                else ""
            )
            return DataError(
                f"a field is over the {self.options.max_field:,}-character limit{hint}",
                path=self.path,
                location=f"line {start}",
            )
        if "unexpected end of data" in message:
            return DataError(
                f"a quote opened on line {start} is never closed: the rest of the file "
                "would be one field (an unbalanced quote)",
                path=self.path,
                location=f"line {start}",
            )
        if end > start:
            return DataError(
                f"malformed CSV: {message} on line {end}, in a record that starts on line "
                f"{start} (an unbalanced quote on line {start}?)",
                path=self.path,
                location=f"line {start}",
            )
        return DataError(f"malformed CSV: {message}", path=self.path, location=f"line {end}")

    def _check_span(self, fields: list[str], start: int, end: int, width: int) -> None:
        """A quoted field may hold line breaks (an address), but not lines that look like whole
        rows: that is a quote left open which a later quote happened to close."""
        threshold = max(2, width - 1)
        for cell in fields:
            if "\n" not in cell and "\r" not in cell:
                continue
            for embedded in cell.splitlines()[1:]:
                if embedded.count(self.delimiter) >= threshold:
                    raise DataError(
                        f"a quoted field runs from line {start} to line {end} and holds what "
                        "look like whole rows: check for an unbalanced quote on line "
                        f"{start}",
                        path=self.path,
                        location=f"line {start}",
                    )


def read_csv(path: Path, options: CsvOptions | None = None) -> CsvFile:
    """Open a CSV file for reading (see :class:`CsvFile`)."""
    return CsvFile(path, options)


def sniff_delimiter(path: Path, encoding: str) -> str:
    """The delimiter that splits the first rows most consistently into more than one column;
    a comma when none does (a one-column file)."""
    head = read_head(path, _SNIFF_BYTES)
    sample = head.decode(encoding, errors="ignore")
    if sample.startswith("\ufeff"):
        sample = sample[1:]
    whole = len(head) < _SNIFF_BYTES
    best, best_score = ",", (0.0, 0)
    for delimiter in DELIMITERS:
        widths = _widths(sample, delimiter, whole)
        if not widths or widths[0] < 2:
            continue
        agreeing = sum(1 for w in widths if w == widths[0]) / len(widths)
        score = (agreeing, widths[0])
        if score > best_score:
            best, best_score = delimiter, score
    return best


def _widths(sample: str, delimiter: str, whole: bool) -> list[int]:
    reader = csv.reader(io.StringIO(sample, newline=""), delimiter=delimiter)
    widths = []
    try:
        for fields in reader:
            if any(cell.strip() for cell in fields):
                widths.append(len(fields))
    except csv.Error:
        pass
    if not whole and len(widths) > 1:
        widths.pop()  # the last record of a cut sample may be partial
    return widths[:50]
