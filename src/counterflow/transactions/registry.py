"""Which reader reads a path: by ``--format``, else by looking at the path and its first bytes.

Sniffing tries the readers in the order of :data:`READERS`: the formats with a signature of
their own first (an AMLSim folder or header, the AMLworld header, an ISO 20022 namespace, FIN
blocks), and the generic table reader, which takes any ``.csv``, ``.tsv``, ``.parquet`` or
``.pq`` file by its name, last. A mapping file means the table reader whatever the file looks
like. ``docs/transactions.md`` states this order, and a test holds the two together.
"""

from __future__ import annotations

import codecs
from pathlib import Path

from counterflow.errors import ConfigError, DataError
from counterflow.io import CsvOptions, check_file, read_head
from counterflow.transactions.formats.amlsim import AmlsimReader
from counterflow.transactions.formats.amlworld import AmlworldReader
from counterflow.transactions.formats.base import TransactionReader
from counterflow.transactions.formats.iso20022 import Pacs008Reader
from counterflow.transactions.formats.mt103 import Mt103Reader
from counterflow.transactions.formats.tabular import ColumnMapping, TableReader

#: tried in this order when sniffing; the generic table reader comes last
READERS: tuple[type[TransactionReader], ...] = (
    AmlsimReader,
    AmlworldReader,
    Pacs008Reader,
    Mt103Reader,
    TableReader,
)
#: a folder of canonical Parquet files, as 'counterflow transactions export' and
#: 'counterflow simulate' write them: loaded by DuckDB directly
PARQUET_FOLDER = "counterflow-parquet"
HEAD_BYTES = 8192


def formats() -> dict[str, str]:
    """Format name: what it is."""
    found = {r.format: r.title for r in READERS}
    found[PARQUET_FOLDER] = "a folder of canonical Parquet files (export or simulate output)"
    return found


def reader_for(
    path: Path,
    fmt: str | None = None,
    mapping: Path | None = None,
    csv_options: CsvOptions | None = None,
) -> TransactionReader:
    """The reader for ``path``; a mapping file implies the table reader. ``csv_options``
    (``--delimiter``, ``--encoding``) go to the reader for its CSV files, over what a mapping
    says."""
    if mapping is not None:
        if fmt not in (None, TableReader.format):
            raise ConfigError(f"--mapping goes with CSV or Parquet files, not --format {fmt}")
        return TableReader(ColumnMapping.load(mapping), csv_options=csv_options)
    if fmt is not None:
        for reader in READERS:
            if reader.format == fmt:
                return _made(reader, csv_options)
        known = ", ".join(sorted(formats()))
        raise ConfigError(f"unknown format {fmt!r} (known: {known})")
    head = "" if path.is_dir() else _head(path)
    for reader in READERS:
        if reader.sniff(path, head):
            return _made(reader, csv_options)
    raise DataError(
        "cannot tell the format; give --format (" + ", ".join(sorted(formats())) + ")",
        path=path,
    )


def is_parquet_folder(path: Path) -> bool:
    """A folder with ``transactions.parquet`` or ``transactions/*.parquet``."""
    return path.is_dir() and (
        (path / "transactions.parquet").exists() or (path / "transactions").is_dir()
    )


def _made(reader: type[TransactionReader], csv_options: CsvOptions | None) -> TransactionReader:
    made = reader()
    made.csv_options = csv_options
    return made


def _head(path: Path) -> str:
    """The first bytes as text, for the readers' sniffing: by the byte-order mark, else
    UTF-8 (a cp1252 byte becomes U+FFFD, which no signature needs)."""
    check_file(path)
    head = read_head(path, HEAD_BYTES)
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return head.decode("utf-16", errors="replace")
    return head.decode("utf-8-sig", errors="replace")
