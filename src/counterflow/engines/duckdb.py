"""The DuckDB engine: the workspace's own database, seen through Ibis.

Scenarios receive :class:`DatasetTables`, Ibis tables already narrowed to one dataset, so
their expressions never mention the storage layout, and the same expression can later be
bound to Spark tables of the same columns.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Hashable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import duckdb
import ibis
import pyarrow as pa

from counterflow.errors import ConfigError
from counterflow.transactions import store
from counterflow.workspace import Workspace

#: DuckDB's working memory for monitoring; beyond it, joins and sorts spill to
#: ``<home>/tmp``. DuckDB's own default is 80% of the machine's memory.
MEMORY_LIMIT_ENV = "COUNTERFLOW_MEMORY_LIMIT"
DEFAULT_MEMORY_LIMIT = "4GB"


@dataclass(frozen=True)
class DatasetTables:
    """One dataset's tables as Ibis expressions (``dataset`` column dropped)."""

    dataset: str
    transactions: ibis.Table
    parties: ibis.Table
    accounts: ibis.Table
    party_labels: ibis.Table
    backend: Any  # the Ibis backend, to execute expressions
    #: the workspace connection underneath, for steps that are not queries (the lists)
    connection: duckdb.DuckDBPyConnection
    _cache: dict[Hashable, ibis.Table] = field(default_factory=dict)

    def cached(self, key: Hashable, build: Callable[[], ibis.Table]) -> ibis.Table:
        """``build()`` computed once per run and kept in memory (Arrow), for intermediate
        tables several scenarios share (the one-off transfers of the layering shapes)."""
        if key not in self._cache:
            self._cache[key] = ibis.memtable(self.execute(build()))
        return self._cache[key]

    def execute(self, expression: ibis.Table) -> pa.Table:
        """Run an expression to an Arrow table."""
        return self.backend.to_pyarrow(expression)


@contextmanager
def open_dataset(
    workspace: Workspace, dataset: str, *, read_only: bool = True
) -> Iterator[tuple[DatasetTables, duckdb.DuckDBPyConnection]]:
    """The dataset's tables over a workspace connection (also yielded, for writing results)."""
    with workspace.connect(read_only=read_only) as conn:
        store.get_dataset(conn, dataset)  # a clear error for an unknown dataset
        spill = workspace.home / "tmp"
        spill.mkdir(parents=True, exist_ok=True)
        limit = os.environ.get(MEMORY_LIMIT_ENV, DEFAULT_MEMORY_LIMIT)
        try:
            conn.execute(f"SET memory_limit = '{limit.replace(chr(39), '')}'")
        except duckdb.Error as exc:
            raise ConfigError(f"{MEMORY_LIMIT_ENV}={limit!r} is not a memory size: {exc}") from None
        conn.execute(f"SET temp_directory = '{str(spill).replace(chr(39), chr(39) * 2)}'")
        backend = ibis.duckdb.from_connection(conn)

        def table(name: str) -> ibis.Table:
            whole = backend.table(name)
            return whole.filter(whole.dataset == dataset).drop("dataset")

        yield (
            DatasetTables(
                dataset=dataset,
                transactions=table("transactions"),
                parties=table("parties"),
                accounts=table("accounts"),
                party_labels=table("party_labels"),
                backend=backend,
                connection=conn,
            ),
            conn,
        )
