"""Which reader reads a path: by ``--format``, else by looking at the path and its first bytes."""

from __future__ import annotations

from pathlib import Path

from counterflow.errors import ConfigError, DataError
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
    path: Path, fmt: str | None = None, mapping: Path | None = None
) -> TransactionReader:
    """The reader for ``path``; a mapping file implies the table reader."""
    if mapping is not None:
        if fmt not in (None, TableReader.format):
            raise ConfigError(f"--mapping goes with CSV or Parquet files, not --format {fmt}")
        return TableReader(ColumnMapping.load(mapping))
    if fmt is not None:
        for reader in READERS:
            if reader.format == fmt:
                return reader()
        known = ", ".join(sorted(formats()))
        raise ConfigError(f"unknown format {fmt!r} (known: {known})")
    head = "" if path.is_dir() else _head(path)
    for reader in READERS:
        if reader.sniff(path, head):
            return reader()
    raise DataError(
        "cannot tell the format; give --format (" + ", ".join(sorted(formats())) + ")",
        path=path,
    )


def is_parquet_folder(path: Path) -> bool:
    """A folder with ``transactions.parquet`` or ``transactions/*.parquet``."""
    return path.is_dir() and (
        (path / "transactions.parquet").exists() or (path / "transactions").is_dir()
    )


def _head(path: Path) -> str:
    try:
        with open(path, "rb") as f:
            return f.read(HEAD_BYTES).decode("utf-8", errors="replace")
    except OSError as exc:
        raise DataError(f"cannot read: {exc.strerror}", path=path) from None
