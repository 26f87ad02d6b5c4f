"""The DuckDB engine: the workspace's own database, seen through Ibis.

DuckDB's working memory is the workspace's ``Settings.memory_limit`` (for the command line,
``COUNTERFLOW_MEMORY_LIMIT``, read once by :mod:`counterflow.settings`); beyond it, joins and
sorts spill to ``<home>/tmp``. Nothing here reads the environment.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import duckdb
import ibis
import ibis.expr.types as ir
import pyarrow as pa
from ibis.common.exceptions import TableNotFound

from counterflow.engines.base import BatchFunction, DatasetTables, Engine
from counterflow.errors import ConfigError
from counterflow.settings import MEMORY_LIMIT_ENV
from counterflow.transactions import store
from counterflow.workspace import Workspace


class DuckDBEngine(Engine):
    """Expressions run in the process, on one DuckDB connection."""

    name = "duckdb"
    dialect = "duckdb"

    def __init__(self, connection: duckdb.DuckDBPyConnection) -> None:
        self.connection = connection
        self.backend: Any = ibis.duckdb.from_connection(connection)

    def to_arrow(self, expression: ir.Table) -> pa.Table:
        return self.backend.to_pyarrow(expression)

    def materialise(self, expression: ir.Table, name: str) -> ir.Table:
        # in memory, as Arrow: the intermediates are the one-off transfers, a fraction of the
        # dataset, and a memtable keeps the workspace file unwritten by a read-only run
        return ibis.memtable(self.to_arrow(expression))

    def from_arrow(self, table: pa.Table, name: str) -> ir.Table:
        return ibis.memtable(table)

    def stored(self, name: str, dataset: str) -> ir.Table | None:
        try:
            whole = self.backend.table(name)
        except TableNotFound:  # a workspace from before the table existed
            return None
        return whole.filter(whole.dataset == dataset)

    def write_parquet(self, expression: ir.Table, path: str) -> None:
        self.backend.to_parquet(expression, path)

    def map_batches(
        self,
        expression: ir.Table,
        function: BatchFunction,
        schema: pa.Schema,
        name: str,
        shared: Any = None,
    ) -> ir.Table:
        batches = self.backend.to_pyarrow_batches(expression)
        out = pa.Table.from_batches(list(function(iter(batches), shared)), schema=schema)
        return ibis.memtable(out)


@contextmanager
def open_dataset(
    workspace: Workspace, dataset: str, *, read_only: bool = True
) -> Iterator[tuple[DatasetTables, duckdb.DuckDBPyConnection]]:
    """The dataset's tables over a workspace connection (also yielded, for writing results)."""
    with workspace.connect(read_only=read_only) as conn:
        store.get_dataset(conn, dataset)  # a clear error for an unknown dataset
        spill = workspace.home / "tmp"
        spill.mkdir(parents=True, exist_ok=True)
        limit = workspace.settings.memory_limit
        try:
            conn.execute(f"SET memory_limit = '{limit.replace(chr(39), '')}'")
        except duckdb.Error as exc:
            raise ConfigError(
                f"the memory limit {limit!r} ({MEMORY_LIMIT_ENV}) is not a size DuckDB takes: {exc}"
            ) from exc
        conn.execute(f"SET temp_directory = '{str(spill).replace(chr(39), chr(39) * 2)}'")
        engine = DuckDBEngine(conn)

        def table(name: str) -> ir.Table:
            whole = engine.backend.table(name)
            return whole.filter(whole.dataset == dataset).drop("dataset")

        yield (
            DatasetTables(
                dataset,
                transactions=table("transactions"),
                parties=table("parties"),
                accounts=table("accounts"),
                party_labels=table("party_labels"),
                engine=engine,
                workspace=workspace,
                store=conn,
                memory_limit=limit,
            ),
            conn,
        )
