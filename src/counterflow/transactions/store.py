"""Transactions in the workspace: imports that are all-or-nothing, Parquet in and out.

A dataset is one named body of transactions (a bank's export, an AMLSim run, a simulated
world). :func:`ingest` streams a reader's batches into DuckDB inside one transaction. Every
batch is converted to Arrow with the canonical schema and appended; at the end, ids are checked
for uniqueness, parties and accounts seen more than once are merged, and the dataset's row counts
are recorded. Any failure rolls everything back, so a failed import leaves the workspace as it
was; rejected rows go to a side file only when the import succeeds. Files are read and written
through :mod:`counterflow.io` only.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping, Sequence
from contextlib import ExitStack
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa

from counterflow.errors import ConfigError, DataError, NotFoundError, StoreError
from counterflow.io import TableWriter, atomic_folder, read_parquet_schema, transaction
from counterflow.transactions.formats.base import Batch, Reject, TransactionReader
from counterflow.transactions.ledger import drop_ledger, rebuild_ledger
from counterflow.transactions.rates import Rates
from counterflow.transactions.schema import KEYS, OPTIONAL_COLUMNS, TABLES
from counterflow.workspace import Workspace

Progress = Callable[[int], None]
#: how many rejects a report keeps in memory (the side file has them all)
KEPT_REJECTS = 20


@dataclass
class Dataset:
    """One imported dataset, as recorded in ``tx_datasets``."""

    dataset: str
    format: str
    source: str
    base_currency: str
    imported_at: datetime
    counts: dict[str, int]


@dataclass
class IngestReport:
    """What an import did."""

    dataset: str
    format: str
    counts: dict[str, int] = field(default_factory=dict)
    rejected: int = 0
    first_rejects: list[Reject] = field(default_factory=list)
    rejects_path: Path | None = None
    #: currencies seen without a rate to the base currency (their base_amount is empty)
    unpriced: dict[str, int] = field(default_factory=dict)


def check_dataset_name(name: str) -> str:
    if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9_.\-]{0,63}", name):
        raise ConfigError(
            f"dataset name {name!r} must be 1-64 letters, digits, '-', '_' or '.', "
            "starting with a letter or digit"
        )
    return name


def ingest(
    workspace: Workspace,
    path: Path,
    reader: TransactionReader,
    *,
    dataset: str,
    mode: str = "new",
    max_errors: int = 0,
    rejects_path: Path | None = None,
    rates: Rates | None = None,
    progress: Progress | None = None,
) -> IngestReport:
    """Import ``path`` with ``reader`` as ``dataset``; ``mode`` is new, append or replace.

    With ``max_errors`` 0 the first rejected row fails the import. Above 0, up to that many
    rows may be rejected; they are written to ``rejects_path`` (default: beside the input,
    ``<name>.rejects.csv``) and the rest is imported.
    """
    check_dataset_name(dataset)
    rates = rates or Rates()
    report = IngestReport(dataset=dataset, format=reader.format)
    rejects_path = rejects_path or path.with_name(f"{path.name}.rejects.csv")
    # the side file is written beside its place and put there only once the import is
    # committed: the stack closes it after the transaction, with the transaction's outcome
    with ExitStack() as outputs:
        rejects = _RejectWriter(rejects_path, outputs)
        with workspace.connect() as conn, transaction(conn, f"importing {dataset!r}"):
            _prepare(conn, dataset, mode, rates.base)
            done = 0
            for batch in reader.read(path):
                _check_rejects(batch.rejects, report, max_errors, path)
                rejects.write(batch.rejects)
                _append(conn, dataset, batch, rates, report)
                done += len(batch.transactions)
                if progress:
                    progress(done)
            _finish(conn, dataset, reader.format, str(path.resolve()), rates.base, report)
    if report.rejected:
        report.rejects_path = rejects_path
    return report


def _prepare(conn: duckdb.DuckDBPyConnection, dataset: str, mode: str, base: str) -> None:
    # fetchall, not fetchone: DuckDB keeps a half-read result open, and register() refuses
    rows = conn.execute(
        "SELECT base_currency FROM tx_datasets WHERE dataset = ?", [dataset]
    ).fetchall()
    if not rows:
        return
    row = rows[0]
    if mode == "new":
        raise ConfigError(
            f"dataset {dataset!r} exists: choose another name (--dataset), --append to add "
            "to it, or --replace to replace it"
        )
    if mode == "replace":
        for table in TABLES:
            conn.execute(f"DELETE FROM {table} WHERE dataset = ?", [dataset])
        drop_ledger(conn, dataset)
        conn.execute("DELETE FROM tx_datasets WHERE dataset = ?", [dataset])
    elif row[0] != base:
        raise ConfigError(
            f"dataset {dataset!r} is in base currency {row[0]}, not {base}: use --base {row[0]}"
        )


def _check_rejects(
    rejects: Sequence[Reject], report: IngestReport, max_errors: int, path: Path
) -> None:
    if not rejects:
        return
    report.rejected += len(rejects)
    report.first_rejects.extend(rejects[: KEPT_REJECTS - len(report.first_rejects)])
    if report.rejected > max_errors:
        first = report.first_rejects[0]
        if max_errors == 0:
            raise DataError(
                f"{first.problem} (nothing imported; --max-errors N keeps going and writes "
                "bad rows to a side file)",
                path=path,
                location=first.location,
            )
        raise DataError(
            f"more than {max_errors} rows rejected, nothing imported; the first: "
            f"{first.location}: {first.problem}",
            path=path,
        )


def _append(
    conn: duckdb.DuckDBPyConnection,
    dataset: str,
    batch: Batch,
    rates: Rates,
    report: IngestReport,
) -> None:
    for row in batch.transactions:
        if row.get("base_amount") is None:
            converted = rates.to_base(row["amount"], row["currency"])
            if converted is None:
                report.unpriced[row["currency"]] = report.unpriced.get(row["currency"], 0) + 1
            row["base_amount"] = converted
    for table, schema in TABLES.items():
        rows: list[dict[str, Any]] = getattr(batch, table)
        if rows:
            insert_arrow(conn, table, dataset, pa.Table.from_pylist(rows, schema=schema))


def insert_arrow(conn: duckdb.DuckDBPyConnection, table: str, dataset: str, data: pa.Table) -> None:
    """Append an Arrow table with the canonical columns of ``table`` to the dataset."""
    columns = ", ".join(f'"{name}"' for name in TABLES[table].names)
    conn.register("incoming", data)
    try:
        conn.execute(
            f"INSERT INTO {table} (dataset, {columns}) SELECT ?, {columns} FROM incoming",
            [dataset],
        )
    finally:
        conn.unregister("incoming")


def _finish(
    conn: duckdb.DuckDBPyConnection,
    dataset: str,
    fmt: str,
    source: str,
    base: str,
    report: IngestReport | None = None,
) -> dict[str, int]:
    """Check ids, merge repeated parties and accounts, record the dataset's counts."""
    duplicates = conn.execute(
        "SELECT tx_id, count(*) FROM transactions WHERE dataset = ? "
        "GROUP BY tx_id HAVING count(*) > 1 ORDER BY tx_id LIMIT 5",
        [dataset],
    ).fetchall()
    if duplicates:
        listed = ", ".join(f"{tx_id!r} ({n}×)" for tx_id, n in duplicates)
        raise DataError(
            f"transaction ids repeat in dataset {dataset!r}: {listed}; nothing imported"
        )
    for table in ("parties", "accounts", "party_labels"):
        _merge_repeats(conn, table, dataset)
    rebuild_ledger(conn, dataset)
    counts = {table: _count(conn, table, dataset) for table in TABLES}
    conn.execute("DELETE FROM tx_datasets WHERE dataset = ?", [dataset])
    conn.execute(
        "INSERT INTO tx_datasets VALUES (?, ?, ?, ?, ?, ?)",
        [dataset, fmt, source, base, datetime.now(UTC).replace(tzinfo=None), json.dumps(counts)],
    )
    if report is not None:
        report.counts = counts
    return counts


def _count(conn: duckdb.DuckDBPyConnection, table: str, dataset: str) -> int:
    rows = conn.execute(f"SELECT count(*) FROM {table} WHERE dataset = ?", [dataset]).fetchall()
    return int(rows[0][0])


def _merge_repeats(conn: duckdb.DuckDBPyConnection, table: str, dataset: str) -> None:
    """One row per key: the first non-empty value of each column wins."""
    key = KEYS[table]
    repeated = conn.execute(
        f"SELECT count(*) - count(DISTINCT {key}) FROM {table} WHERE dataset = ?", [dataset]
    ).fetchall()
    if not repeated[0][0]:
        return
    others = [c for c in TABLES[table].names if c != key]
    picks = ", ".join(f'first("{c}" ORDER BY "{c}" IS NULL) AS "{c}"' for c in others)
    conn.execute(
        f"CREATE TEMP TABLE merged AS SELECT dataset, {key}, {picks} FROM {table} "
        f"WHERE dataset = ? GROUP BY dataset, {key}",
        [dataset],
    )
    conn.execute(f"DELETE FROM {table} WHERE dataset = ?", [dataset])
    conn.execute(f"INSERT INTO {table} (dataset, {key}, {', '.join(others)}) SELECT * FROM merged")
    conn.execute("DROP TABLE merged")


class _RejectWriter:
    """Rejected rows, as CSV (location, problem, raw), written only if there are any: the
    file is opened on the first reject, on ``stack``, which puts it in place when it closes
    without an error and removes it otherwise."""

    def __init__(self, path: Path, stack: ExitStack) -> None:
        self.path = path
        self._stack = stack
        self._writer: TableWriter | None = None

    def write(self, rejects: Sequence[Reject]) -> None:
        if not rejects:
            return
        if self._writer is None:
            self._writer = self._stack.enter_context(TableWriter(self.path, _REJECT_COLUMNS))
        for reject in rejects:
            self._writer.write(
                {"location": reject.location, "problem": reject.problem, "raw": reject.raw}
            )


_REJECT_COLUMNS = ("location", "problem", "raw")


# --------------------------------------------------------------------------- Parquet


def load_parquet(
    workspace: Workspace,
    dataset: str,
    files: Mapping[str, Sequence[Path]],
    *,
    fmt: str,
    source: str,
    mode: str = "new",
    base_currency: str = "USD",
) -> dict[str, int]:
    """Load canonical Parquet files (``{"transactions": [...], "parties": [...], …}``) as a
    dataset in one transaction, straight from DuckDB's Parquet reader."""
    check_dataset_name(dataset)
    # files of one table grouped by the optional columns they lack: each group is read in
    # one go, the columns it lacks selected as null
    groups: dict[str, dict[frozenset[str], list[Path]]] = {}
    for table, paths in files.items():
        for path in paths:
            lacking = check_parquet(path, table)
            groups.setdefault(table, {}).setdefault(lacking, []).append(path)
    with workspace.connect() as conn, transaction(conn, f"loading {dataset!r}"):
        _prepare(conn, dataset, mode, base_currency)
        for table, by_lack in groups.items():
            schema = TABLES[table]
            columns = ", ".join(f'"{name}"' for name in schema.names)
            for lacking, paths in by_lack.items():
                picks = ", ".join(
                    f'CAST(NULL AS {_SQL_TYPES[schema.field(name).type]}) AS "{name}"'
                    if name in lacking
                    else f'"{name}"'
                    for name in schema.names
                )
                conn.execute(
                    f"INSERT INTO {table} (dataset, {columns}) SELECT ?, {picks} "
                    "FROM read_parquet(?)",
                    [dataset, [str(p) for p in paths]],
                )
        return _finish(conn, dataset, fmt, source, base_currency)


#: SQL types of the optional columns' Arrow types (for the nulls of files that lack them)
_SQL_TYPES = {pa.string(): "VARCHAR"}


def check_parquet(path: Path, table: str) -> frozenset[str]:
    """The file has every canonical column of ``table`` with its canonical type, except
    perhaps the table's :data:`~counterflow.transactions.schema.OPTIONAL_COLUMNS`; returns the
    optional columns it lacks (read as null)."""
    schema = read_parquet_schema(path)
    optional = OPTIONAL_COLUMNS.get(table, frozenset())
    lacking: set[str] = set()
    for expected in TABLES[table]:
        if expected.name not in schema.names:
            if expected.name in optional:
                lacking.add(expected.name)
                continue
            raise DataError(f"the {table} file lacks the column {expected.name!r}", path=path)
        actual = schema.field(expected.name).type
        if actual != expected.type:
            raise DataError(
                f"column {expected.name!r} is {actual}, the {table} schema needs {expected.type}",
                path=path,
            )
    return frozenset(lacking)


def export_dataset(workspace: Workspace, dataset: str, out: Path) -> dict[str, Path]:
    """Write the dataset's tables as canonical Parquet files into the folder ``out`` (new, or
    empty), whole or not at all (:func:`counterflow.io.atomic_folder`)."""
    with workspace.connect(read_only=True) as conn:
        get_dataset(conn, dataset)
        written: dict[str, Path] = {}
        with atomic_folder(out) as tmp:
            for table, schema in TABLES.items():
                columns = ", ".join(f'"{name}"' for name in schema.names)
                # DuckDB streams the rows to Parquet; its types are the canonical Arrow ones
                try:
                    conn.execute(
                        f"COPY (SELECT {columns} FROM {table} WHERE dataset = $dataset) "
                        f"TO '{_sql_path(tmp / f'{table}.parquet')}' (FORMAT parquet)",
                        {"dataset": dataset},
                    )
                except duckdb.Error as exc:
                    raise StoreError(
                        f"exporting {dataset!r} to {out} failed, nothing was written: {exc}"
                    ) from exc
                written[table] = out / f"{table}.parquet"
    return written


# --------------------------------------------------------------------------- reading back


def _sql_path(path: Path) -> str:
    """A path inside a SQL string literal (COPY takes no parameter for its target)."""
    return str(path).replace("'", "''")


_DATASET_COLUMNS = "dataset, format, source, base_currency, imported_at, counts"


def list_datasets(conn: duckdb.DuckDBPyConnection) -> list[Dataset]:
    rows = conn.execute(f"SELECT {_DATASET_COLUMNS} FROM tx_datasets ORDER BY dataset").fetchall()
    return [_dataset(r) for r in rows]


def find_dataset(conn: duckdb.DuckDBPyConnection, dataset: str) -> Dataset | None:
    rows = conn.execute(
        f"SELECT {_DATASET_COLUMNS} FROM tx_datasets WHERE dataset = ?", [dataset]
    ).fetchall()
    return _dataset(rows[0]) if rows else None


def get_dataset(conn: duckdb.DuckDBPyConnection, dataset: str) -> Dataset:
    found = find_dataset(conn, dataset)
    if found is None:
        known = ", ".join(d.dataset for d in list_datasets(conn)) or "none yet"
        raise NotFoundError(f"no dataset {dataset!r} (datasets: {known})")
    return found


def _dataset(row: tuple[Any, ...]) -> Dataset:
    return Dataset(row[0], row[1], row[2], row[3], row[4], json.loads(row[5]))
