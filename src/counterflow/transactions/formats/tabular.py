"""Any bank's CSV or Parquet export, through a column mapping file.

Banks export transactions in their own layouts. A mapping file (TOML) says which source column
feeds which canonical column, which values are fixed, and how the bank's payment types map onto
counterflow's channels::

    # bank-x.toml
    [file]
    delimiter = ";"              # CSV only (default ",")
    encoding = "cp1252"          # CSV only (default utf-8)

    [transactions]               # canonical column = source column
    tx_id = "Reference"
    timestamp = "Booking date"
    amount = "Amount"
    currency = "Ccy"
    payer_account = "Debtor IBAN"
    payer_name = "Debtor"
    beneficiary_account = "Creditor IBAN"
    beneficiary_name = "Creditor"
    channel = "Type"
    remittance_text = "Details"

    [constants]                  # canonical column = the same value on every row
    payer_country = "DE"

    [channels]                   # a value of the channel column = a canonical channel
    "SEPA-CT" = "wire"
    "ATM" = "cash"

Without a mapping, the file's columns must carry the canonical names (as ``counterflow
transactions export`` writes them). A mapping is checked whole before any row is read; every
problem in it is listed at once.
"""

from __future__ import annotations

import csv
import tomllib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from counterflow.errors import ConfigError, DataError
from counterflow.transactions.formats.base import (
    BATCH_ROWS,
    REQUIRED_COLUMNS,
    Batch,
    Reject,
    RowError,
    TransactionReader,
    raw_text,
    transaction_row,
)
from counterflow.transactions.formats.messages import add_holders
from counterflow.transactions.schema import CHANNELS, TRANSACTIONS

_SECTIONS = {"file", "transactions", "constants", "channels"}
_FILE_OPTIONS = {"delimiter", "encoding"}


@dataclass(frozen=True)
class ColumnMapping:
    """Where each canonical transaction column comes from."""

    columns: dict[str, str] = field(default_factory=dict)
    constants: dict[str, str] = field(default_factory=dict)
    channels: dict[str, str] = field(default_factory=dict)
    delimiter: str = ","
    encoding: str = "utf-8"

    @classmethod
    def load(cls, path: Path) -> ColumnMapping:
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except OSError as exc:
            raise ConfigError(f"{path}: cannot read the mapping: {exc.strerror}") from None
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
            raise ConfigError(f"{path}: not a TOML mapping file: {exc}") from None
        problems = _mapping_problems(data)
        if problems:
            raise ConfigError(f"{path}: the mapping has problems:\n- " + "\n- ".join(problems))
        options = data.get("file", {})
        return cls(
            columns=dict(data.get("transactions", {})),
            constants={k: str(v) for k, v in data.get("constants", {}).items()},
            channels={str(k).lower(): v for k, v in data.get("channels", {}).items()},
            delimiter=options.get("delimiter", ","),
            encoding=options.get("encoding", "utf-8"),
        )

    @classmethod
    def identity(cls, header: list[str]) -> ColumnMapping:
        """Canonical column names in the file: each maps to itself."""
        return cls(columns={c: c for c in header if c in TRANSACTIONS.names})

    def check_header(self, header: list[str], path: Path) -> None:
        """Every mapped source column exists and every required column is fed."""
        problems = [
            f"the column {source!r} (for {target}) is not in the file"
            for target, source in self.columns.items()
            if source not in header
        ]
        fed = set(self.columns) | set(self.constants)
        missing = [c for c in REQUIRED_COLUMNS if c not in fed]
        if missing:
            problems.append(
                "nothing feeds the required column(s) "
                + ", ".join(missing)
                + " (map them under [transactions] or fix them under [constants])"
            )
        if problems:
            raise DataError("; ".join(problems), path=path)

    def apply(self, source: Mapping[str, Any]) -> dict[str, Any]:
        row: dict[str, Any] = dict(self.constants)
        for target, column in self.columns.items():
            value = source.get(column)
            if value is not None and value != "":
                row[target] = value
        channel = row.get("channel")
        if isinstance(channel, str) and channel.lower() in self.channels:
            row["channel"] = self.channels[channel.lower()]
        return row


def _mapping_problems(data: Mapping[str, Any]) -> list[str]:
    problems = [f"unknown section [{s}]" for s in data if s not in _SECTIONS]
    for section in ("transactions", "constants"):
        for column, value in data.get(section, {}).items():
            if column not in TRANSACTIONS.names:
                problems.append(f"[{section}] {column}: not a canonical column")
            if not isinstance(value, str | int | float):
                problems.append(f"[{section}] {column}: must be a text value")
    for value, channel in data.get("channels", {}).items():
        if channel not in CHANNELS:
            problems.append(f"[channels] {value!r} = {channel!r}: none of {', '.join(CHANNELS)}")
    for option in data.get("file", {}):
        if option not in _FILE_OPTIONS:
            problems.append(f"[file] {option}: unknown option ({', '.join(sorted(_FILE_OPTIONS))})")
    return problems


class TableReader(TransactionReader):
    """CSV or Parquet, with an optional :class:`ColumnMapping`."""

    format = "table"
    title = "CSV or Parquet with canonical or mapped columns"
    suffixes = (".csv", ".parquet")

    def __init__(self, mapping: ColumnMapping | None = None) -> None:
        self.mapping = mapping

    @classmethod
    def sniff(cls, path: Path, head: str) -> bool:
        return path.suffix.lower() in cls.suffixes

    def read(self, path: Path) -> Iterator[Batch]:
        rows = self._parquet_rows(path) if path.suffix.lower() == ".parquet" else None
        yield from _batches(rows if rows is not None else self._csv_rows(path), self.mapping, path)

    def _csv_rows(self, path: Path) -> Iterator[tuple[str, list[str], dict[str, Any]]]:
        encoding = self.mapping.encoding if self.mapping else "utf-8"
        delimiter = self.mapping.delimiter if self.mapping else ","
        try:
            with open(path, encoding=encoding, newline="") as lines:
                reader = csv.reader(lines, delimiter=delimiter)
                header = [h.strip() for h in next(reader, [])]
                if not header:
                    raise DataError("the file is empty", path=path)
                yield "header", header, {}
                for number, values in enumerate(reader, start=2):
                    if len(values) != len(header):
                        yield f"row {number}", values, {"__width__": len(values)}
                        continue
                    yield f"row {number}", values, dict(zip(header, values, strict=True))
        except UnicodeDecodeError as exc:
            raise DataError(
                f"not {encoding} text ({exc.reason} at byte {exc.start}); set [file] encoding "
                "in a mapping",
                path=path,
            ) from None
        except OSError as exc:
            raise DataError(f"cannot read: {exc.strerror}", path=path) from None

    def _parquet_rows(self, path: Path) -> Iterator[tuple[str, list[str], dict[str, Any]]]:
        try:
            parquet = pq.ParquetFile(path)
        except (OSError, pa.ArrowInvalid) as exc:
            raise DataError(f"not a readable Parquet file ({exc})", path=path) from None
        yield "header", parquet.schema_arrow.names, {}
        number = 0
        for record_batch in parquet.iter_batches(batch_size=BATCH_ROWS):
            for row in record_batch.to_pylist():
                number += 1
                yield f"row {number}", [], row


def _batches(
    rows: Iterator[tuple[str, list[str], dict[str, Any]]],
    mapping: ColumnMapping | None,
    path: Path,
) -> Iterator[Batch]:
    _, header, _ = next(rows)
    mapping = mapping or ColumnMapping.identity(header)
    mapping.check_header(header, path)
    batch = Batch()
    seen: set[str] = set()  # accounts already emitted
    for location, values, record in rows:
        if "__width__" in record:
            problem = f"has {record['__width__']} fields, the header has {len(header)}"
            batch.rejects.append(Reject(location, problem, raw_text(values)))
        else:
            try:
                row = transaction_row(mapping.apply(record))
            except RowError as exc:
                batch.rejects.append(Reject(location, exc.problem, raw_text(values or record)))
            else:
                add_holders(row, batch, seen)
                batch.transactions.append(row)
        if len(batch) >= BATCH_ROWS:
            yield batch
            batch = Batch()
    if len(batch):
        yield batch
