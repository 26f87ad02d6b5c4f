"""Any bank's CSV or Parquet export, through a column mapping file.

Banks export transactions in their own layouts. A mapping file (TOML) says which source column
feeds which canonical column, which values are fixed, and how the bank's payment types map onto
counterflow's channels::

    # bank-x.toml
    [file]                       # CSV only; both found out from the file when not given
    delimiter = ";"
    encoding = "cp1252"

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

A CSV file's delimiter (``,`` ``;`` tab ``|``) and encoding (UTF-8, UTF-16 with a byte-order
mark, else Windows-1252) are found out from the file unless the caller's
:class:`~counterflow.io.CsvOptions` or the mapping's ``[file]`` section names them; the
caller's options win over the mapping's.
"""

from __future__ import annotations

import codecs
import dataclasses
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from counterflow.errors import ConfigError, DataError
from counterflow.io import CsvFile, CsvOptions, is_parquet, read_parquet, read_toml
from counterflow.transactions.formats.base import (
    BATCH_ROWS,
    REQUIRED_COLUMNS,
    Batch,
    Reject,
    RowError,
    TransactionReader,
    raw_text,
    transaction_row,
    width_reject,
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
    #: the CSV delimiter and encoding ``[file]`` names; None: found out from the file
    delimiter: str | None = None
    encoding: str | None = None

    @classmethod
    def load(cls, path: Path) -> ColumnMapping:
        data = read_toml(path, "column mapping")
        problems = _mapping_problems(data)
        if problems:
            raise ConfigError(f"{path}: the mapping has problems:\n- " + "\n- ".join(problems))
        options = data.get("file", {})
        return cls(
            columns=dict(data.get("transactions", {})),
            constants={k: str(v) for k, v in data.get("constants", {}).items()},
            channels={str(k).lower(): v for k, v in data.get("channels", {}).items()},
            delimiter=options.get("delimiter"),
            encoding=options.get("encoding"),
        )

    def csv_options(self, given: CsvOptions | None = None) -> CsvOptions:
        """How to read the CSV file: what the caller gives, else what ``[file]`` says, else
        found out from the file."""
        given = given or CsvOptions()
        return dataclasses.replace(
            given,
            delimiter=given.delimiter or self.delimiter,
            encoding=given.encoding or self.encoding,
            header=True,
        )

    @classmethod
    def identity(cls, header: list[str]) -> ColumnMapping:
        """Canonical column names in the file: each maps to itself."""
        return cls(columns={c: c for c in header if c in TRANSACTIONS.names})

    def check_header(self, header: list[str], path: Path, read_as: str = "") -> None:
        """Every mapped source column exists and every required column is fed; ``read_as``
        (``semicolon-separated cp1252``) says how the file was read, for the message."""
        problems = [
            f"the column {source!r} (for {target}) is not in the file"
            for target, source in self.columns.items()
            if source not in header
        ]
        if problems and read_as:
            problems[-1] += f" (read as {read_as}; its columns: {', '.join(header)})"
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
    for option, value in data.get("file", {}).items():
        if option not in _FILE_OPTIONS:
            problems.append(f"[file] {option}: unknown option ({', '.join(sorted(_FILE_OPTIONS))})")
        elif option == "delimiter" and (not isinstance(value, str) or len(value) != 1):
            problems.append(f"[file] delimiter = {value!r}: must be one character")
        elif option == "encoding" and not _known_encoding(value):
            problems.append(f"[file] encoding = {value!r}: not a text encoding Python knows")
    return problems


def _known_encoding(name: object) -> bool:
    if not isinstance(name, str):
        return False
    try:
        codecs.lookup(name)
    except LookupError:
        return False
    return True


class TableReader(TransactionReader):
    """CSV or Parquet, with an optional :class:`ColumnMapping`."""

    format = "table"
    title = "CSV or Parquet with canonical or mapped columns"
    suffixes = (".csv", ".tsv", ".parquet", ".pq")

    def __init__(
        self, mapping: ColumnMapping | None = None, *, csv_options: CsvOptions | None = None
    ) -> None:
        self.mapping = mapping
        self.csv_options = csv_options

    @classmethod
    def sniff(cls, path: Path, head: str) -> bool:
        return path.suffix.lower() in cls.suffixes

    def read(self, path: Path) -> Iterator[Batch]:
        if is_parquet(path):
            table = read_parquet(path, batch_rows=BATCH_ROWS)
            rows: Iterator[_Source] = ((r.location, r.values, r.values) for r in table.rows)
            yield from _batches(table.columns, rows, self.mapping, path, table.described)
            return
        options = (
            self.mapping.csv_options(self.csv_options)
            if self.mapping
            else dataclasses.replace(self.csv_options or CsvOptions(), header=True)
        )
        csv_file = CsvFile(path, options)
        header = csv_file.header or []
        rows = _csv_rows(csv_file, header)
        yield from _batches(header, rows, self.mapping, path, csv_file.describe())


#: a source record: where it is, its values by column (None: the wrong number of fields),
#: and what it was as read (for the rejects file)
_Source = tuple[str, Mapping[str, Any] | None, list[str] | Mapping[str, Any]]


def _csv_rows(csv_file: CsvFile, header: list[str]) -> Iterator[_Source]:
    width = len(header)
    for record in csv_file.records():
        fields = record.fields
        if len(fields) != width:
            yield f"line {record.line}", None, fields
        else:
            values = dict(zip(header, fields, strict=False))  # the same length: checked above
            yield f"line {record.line}", values, fields


def _batches(
    header: list[str],
    rows: Iterator[_Source],
    mapping: ColumnMapping | None,
    path: Path,
    read_as: str,
) -> Iterator[Batch]:
    mapping = mapping or ColumnMapping.identity(header)
    mapping.check_header(header, path, read_as)
    batch = Batch()
    seen: set[str] = set()  # accounts already emitted
    for location, record, raw in rows:
        if record is None:
            assert isinstance(raw, list)
            batch.rejects.append(width_reject(location, raw, len(header)))
        else:
            try:
                row = transaction_row(mapping.apply(record))
            except RowError as exc:
                batch.rejects.append(Reject(location, exc.problem, raw_text(raw)))
            else:
                add_holders(row, batch, seen)
                batch.transactions.append(row)
        if len(batch) >= BATCH_ROWS:
            yield batch
            batch = Batch()
    if len(batch):
        yield batch
