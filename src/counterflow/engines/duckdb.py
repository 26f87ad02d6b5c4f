"""The DuckDB engine: the workspace's own database, seen through Ibis.

Scenarios receive :class:`DatasetTables`, Ibis tables already narrowed to one dataset, so
their expressions never mention the storage layout, and the same expression can later be
bound to Spark tables of the same columns.

DuckDB's working memory is the workspace's ``Settings.memory_limit`` (for the command line,
``COUNTERFLOW_MEMORY_LIMIT``, read once by :mod:`counterflow.settings`); beyond it, joins and
sorts spill to ``<home>/tmp``. Nothing here reads the environment.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import duckdb
import ibis
import pyarrow as pa

from counterflow.engines.errors import ENGINE_FAILURES, EngineError
from counterflow.errors import ConfigError
from counterflow.settings import MEMORY_LIMIT_ENV
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
    _cache: dict[Hashable, ibis.Table] = field(default_factory=dict)
    _values: dict[Hashable, Any] = field(default_factory=dict)
    #: the engine's memory cap, named when a query runs out of it
    memory_limit: str | None = None

    def cached(self, key: Hashable, build: Callable[[], ibis.Table]) -> ibis.Table:
        """``build()`` computed once per run and kept in memory (Arrow), for intermediate
        tables several scenarios share (the one-off transfers of the layering shapes)."""
        if key not in self._cache:
            self._cache[key] = ibis.memtable(self.execute(build()))
        return self._cache[key]

    def memo(self, key: Hashable, build: Callable[[], Any]) -> Any:
        """``build()`` computed once per run: plain values several scenarios share (the
        dataset's profile)."""
        if key not in self._values:
            self._values[key] = build()
        return self._values[key]

    def execute(self, expression: ibis.Table) -> pa.Table:
        """Run an expression to an Arrow table; an engine failure is an :class:`EngineError`."""
        try:
            return self.backend.to_pyarrow(expression)
        except ENGINE_FAILURES as exc:
            raise engine_error(exc, self.dataset, self.memory_limit) from exc


def engine_error(
    exc: BaseException, dataset: str, memory_limit: str | None, *, scenario: str | None = None
) -> EngineError:
    """``exc`` as an :class:`EngineError` naming the dataset (and the scenario, when one was
    running), with a hint when the engine ran out of memory. The caller chains it."""
    if scenario:
        what = f"scenario {scenario!r} failed on dataset {dataset!r}"
    else:
        what = f"a query on dataset {dataset!r} failed"
    if isinstance(exc, duckdb.OutOfMemoryException):
        # DuckDB's own advice that follows (SET memory_limit …) is not the user's to follow
        first = str(exc).split("\n", 1)[0]
        cap = f" (now {memory_limit})" if memory_limit else ""
        return EngineError(
            f"{what}: {type(exc).__name__}: {first}; raise the memory limit{cap} "
            f"(Settings.memory_limit, {MEMORY_LIMIT_ENV}) or free disk space for spilling in "
            "the workspace's tmp folder",
            scenario=scenario,
        )
    return EngineError(f"{what}: {type(exc).__name__}: {exc}", scenario=scenario)


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
                memory_limit=limit,
            ),
            conn,
        )
