"""The DuckDB engine: the workspace's own database, seen through Ibis.

Scenarios receive :class:`DatasetTables`, Ibis tables already narrowed to one dataset, so
their expressions never mention the storage layout, and the same expression can later be
bound to Spark tables of the same columns.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import duckdb
import ibis
import pyarrow as pa

from counterflow.transactions import store
from counterflow.workspace import Workspace


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
