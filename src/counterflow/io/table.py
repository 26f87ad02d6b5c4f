"""Tables of records in a user's file, CSV or Parquet alike: read as columns then rows, and
written whole or not at all.

Batch screening and bank exports come as either; the reader is chosen by the file name
(``.parquet`` / ``.pq``), and both stream, so a file larger than memory is read row by row.
"""

from __future__ import annotations

import csv
import os
from collections.abc import Iterator, Mapping, Sequence
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from counterflow.errors import DataError
from counterflow.io.atomic import atomic_output, atomic_path, is_stdout
from counterflow.io.csvfile import CsvFile, CsvOptions
from counterflow.io.files import check_file

PARQUET_SUFFIXES = (".parquet", ".pq")
_BATCH_ROWS = 10_000


@dataclass(frozen=True, slots=True)
class TableRow:
    """One record: its 1-based number among the data rows, where it is in the file (``line
    17`` of a CSV file, ``row 17`` of a Parquet file), and its values by column."""

    number: int
    location: str
    values: dict[str, Any]


@dataclass
class Table:
    """A file's columns, as the file names them, and an iterator over its rows."""

    path: Path
    columns: list[str]
    rows: Iterator[TableRow]
    #: how the file was read (``Parquet``, ``semicolon-separated utf-8``), for messages
    described: str


def is_parquet(path: Path) -> bool:
    return path.suffix.lower() in PARQUET_SUFFIXES


def open_table(path: Path, csv_options: CsvOptions | None = None) -> Table:
    """A CSV or Parquet file as a :class:`Table`; a CSV record whose field count is not the
    header's is an error naming its line."""
    if is_parquet(path):
        return read_parquet(path)
    csv_file = CsvFile(path, csv_options)

    def rows() -> Iterator[TableRow]:
        for number, (line, values) in enumerate(csv_file.rows(), start=1):
            yield TableRow(number, f"line {line}", values)

    return Table(path, list(csv_file.header or []), rows(), csv_file.describe())


def read_parquet(path: Path, *, batch_rows: int = _BATCH_ROWS) -> Table:
    """A Parquet file as a :class:`Table`, read a batch of rows at a time."""
    check_file(path)
    try:
        parquet = pq.ParquetFile(path)
    except (pa.ArrowException, OSError) as exc:
        raise DataError(f"not a readable Parquet file: {exc}", path=path) from exc

    def rows() -> Iterator[TableRow]:
        number = 0
        try:
            for batch in parquet.iter_batches(batch_size=batch_rows):
                for values in batch.to_pylist():
                    number += 1
                    yield TableRow(number, f"row {number}", values)
        except (pa.ArrowException, OSError) as exc:
            raise DataError(
                f"the Parquet file is damaged: {exc}", path=path, location=f"after row {number}"
            ) from exc

    return Table(path, [str(c) for c in parquet.schema_arrow.names], rows(), "Parquet")


def read_parquet_schema(path: Path) -> pa.Schema:
    """The Arrow schema of a Parquet file (its footer only, no rows read)."""
    check_file(path)
    try:
        return pq.read_schema(path)
    except (pa.ArrowException, OSError) as exc:
        raise DataError(f"not a readable Parquet file: {exc}", path=path) from exc


def write_parquet(path: str | os.PathLike[str], table: pa.Table, **options: Any) -> None:
    """``table`` as the Parquet file ``path``, whole or not at all; ``options`` go to
    :func:`pyarrow.parquet.write_table` (compression, row group size...). For a table already
    in memory; :class:`TableWriter` writes rows as they come."""
    with atomic_path(path) as tmp:
        try:
            pq.write_table(table, tmp, **options)
        except (pa.ArrowException, OSError) as exc:
            raise DataError(f"cannot write the Parquet file: {exc}", path=path) from exc


class TableWriter:
    """Rows to a CSV or Parquet file (by the file name; ``-`` is CSV on standard output),
    written whole or not at all. Use as a context manager; Parquet is written a batch at a time,
    so the rows never all sit in memory."""

    def __init__(
        self,
        path: str | Path,
        columns: Sequence[str],
        *,
        schema: pa.Schema | None = None,
        delimiter: str = ",",
    ) -> None:
        self.path = path
        self.columns = list(columns)
        self.schema = schema
        #: the CSV output's delimiter (Parquet has none)
        self.delimiter = delimiter
        self.rows = 0
        self._stack = ExitStack()
        self._csv: Any = None
        self._parquet: pq.ParquetWriter | None = None
        self._target: Path | None = None
        self._pending: list[dict[str, Any]] = []

    def __enter__(self) -> TableWriter:
        if not is_stdout(self.path) and is_parquet(Path(self.path)):
            self._target = self._stack.enter_context(atomic_path(self.path))
        else:
            out = self._stack.enter_context(atomic_output(self.path))
            self._csv = csv.DictWriter(
                out, fieldnames=self.columns, extrasaction="ignore", delimiter=self.delimiter
            )
            self._csv.writeheader()
        return self

    def write(self, row: Mapping[str, Any]) -> None:
        self.rows += 1
        if self._csv is not None:
            self._csv.writerow(row)
            return
        self._pending.append(dict(row))
        if len(self._pending) >= _BATCH_ROWS:
            self._flush()

    def _flush(self) -> None:
        assert self._target is not None
        if self.schema is None:
            self.schema = (
                pa.Table.from_pylist(self._pending).select(self.columns).schema
                if self._pending
                else pa.schema([(c, pa.string()) for c in self.columns])
            )
        batch = pa.Table.from_pylist(
            [{c: row.get(c) for c in self.columns} for row in self._pending], schema=self.schema
        )
        if self._parquet is None:
            self._parquet = pq.ParquetWriter(self._target, self.schema)
        self._parquet.write_table(batch)
        self._pending.clear()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        try:
            if exc_type is None and self._target is not None:
                if self._pending or self._parquet is None:
                    self._flush()
                assert self._parquet is not None
                self._parquet.close()
            elif self._parquet is not None:
                self._parquet.close()
        except BaseException as error:
            # the last batch failed: the temporary file must go, not take the target's place
            self._stack.__exit__(type(error), error, error.__traceback__)
            raise
        self._stack.__exit__(exc_type, exc, tb)
