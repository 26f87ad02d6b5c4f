"""The engine interface: what every analytical step asks of the place its queries run.

Scenarios, graph steps, profiles and rankings are Ibis expressions over a dataset's tables
(:class:`DatasetTables`). An :class:`Engine` runs them: DuckDB on the workspace's own database
(:mod:`counterflow.engines.duckdb`), or Apache Spark on Parquet in a data lake
(:mod:`counterflow.engines.spark`). Callers never see the backend underneath: they execute an
expression to Arrow (small results: alerts, aggregates), materialise an intermediate on the
engine (several scenarios share it; on Spark it stays on the executors), write a result to
Parquet without passing it through the driver, or run a Python function over Arrow batches
where the data lives (name screening on Spark's executors).

Every engine failure becomes an :class:`~counterflow.errors.EngineError` naming the dataset,
the scenario when one was running, and carrying the SQL the engine was given (``--debug``
shows it), as splink does for its own engine errors.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Hashable, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import ibis
import ibis.expr.types as ir
import pyarrow as pa

from counterflow.engines.errors import EngineError, describe, is_engine_failure, out_of_memory

if TYPE_CHECKING:
    from counterflow.workspace import Workspace

#: a function over Arrow record batches, run where the data is (see :meth:`Engine.map_batches`)
BatchFunction = Callable[[Iterator[pa.RecordBatch], Any], Iterator[pa.RecordBatch]]
#: the dataset's tables every engine gives, in this order
DATASET_TABLES = ("transactions", "parties", "accounts", "party_labels")
#: where a run that keeps its alerts to itself holds them (see DatasetTables.alerts)
_RUN_ALERTS = "run alerts"


class Engine(ABC):
    """Where a dataset's expressions run. One engine serves one dataset at a time."""

    #: the engine's name on the command line (``--engine``)
    name: str
    #: the SQL dialect its expressions compile to (sqlglot's name: ``duckdb``, ``spark``)
    dialect: str

    @abstractmethod
    def to_arrow(self, expression: ir.Table) -> pa.Table:
        """Run ``expression`` and bring its rows here (only for small results)."""

    @abstractmethod
    def materialise(self, expression: ir.Table, name: str) -> ir.Table:
        """``expression`` computed once and kept on the engine, for intermediates several
        steps read (on Spark: cached on the executors, never collected)."""

    @abstractmethod
    def from_arrow(self, table: pa.Table, name: str) -> ir.Table:
        """A small table made here (ids to join against) as a table of the engine."""

    @abstractmethod
    def stored(self, name: str, dataset: str) -> ir.Table | None:
        """The rows of ``dataset`` in a table of the workspace's store (``alerts``) as they
        are now, or None when the workspace has no such table; read again on every call (a
        run adds alerts as it goes)."""

    @abstractmethod
    def write_parquet(self, expression: ir.Table, path: str) -> None:
        """Write ``expression``'s rows to Parquet at ``path`` (a folder on Spark), from where
        they are computed."""

    @abstractmethod
    def map_batches(
        self,
        expression: ir.Table,
        function: BatchFunction,
        schema: pa.Schema,
        name: str,
        shared: Any = None,
    ) -> ir.Table:
        """``function(batches, shared)`` over ``expression``'s rows as Arrow batches, where
        the rows are (each Spark executor runs it on its own partitions, ``shared`` broadcast
        to them once), giving rows of ``schema``. The function must be picklable."""

    def sql(self, expression: ir.Expr) -> str:
        """The SQL ``expression`` compiles to in this engine's dialect ("" when it cannot)."""
        try:
            return str(ibis.to_sql(expression, dialect=self.dialect))
        except Exception:  # noqa: BLE001 - only for messages: a failure to show is no failure
            return ""

    def close(self) -> None:  # noqa: B027 - most engines hold nothing of their own
        """Free what the engine holds (cached intermediates)."""


@dataclass(frozen=True)
class DatasetTables:
    """One dataset's tables as Ibis expressions (``dataset`` column dropped), and the engine
    that runs them.

    ``workspace`` is the workspace beside the data: the lists, analysts' decisions and stored
    alerts, which every engine reads from the workspace's own store. ``store`` is that store's
    open connection, for steps that are not queries over the dataset (loading the screening
    index); nothing analytical runs through it."""

    dataset: str
    transactions: ir.Table
    parties: ir.Table
    accounts: ir.Table
    party_labels: ir.Table
    engine: Engine
    workspace: Workspace | None = None
    store: Any = None
    #: the engine's memory cap, named when a query runs out of it
    memory_limit: str | None = None
    _cache: dict[Hashable, ir.Table] = field(default_factory=dict)
    _values: dict[Hashable, Any] = field(default_factory=dict)

    def cached(self, key: Hashable, build: Callable[[], ir.Table]) -> ir.Table:
        """``build()`` computed once per run and kept on the engine, for intermediate tables
        several scenarios share (the one-off transfers of the layering shapes)."""
        if key not in self._cache:
            expression = build()
            try:
                self._cache[key] = self.engine.materialise(
                    expression, f"cf_cached_{len(self._cache)}"
                )
            except EngineError:
                raise
            except Exception as exc:
                if not is_engine_failure(exc):
                    raise
                raise self.error(exc, expression) from exc
        return self._cache[key]

    def memo(self, key: Hashable, build: Callable[[], Any]) -> Any:
        """``build()`` computed once per run: plain values several scenarios share (the
        dataset's profile)."""
        if key not in self._values:
            self._values[key] = build()
        return self._values[key]

    def execute(self, expression: ir.Table) -> pa.Table:
        """Run an expression to an Arrow table; an engine failure is an :class:`EngineError`
        carrying the SQL."""
        try:
            return self.engine.to_arrow(expression)
        except EngineError:
            raise
        except Exception as exc:
            if not is_engine_failure(exc):
                raise
            raise self.error(exc, expression) from exc

    def alerts(self) -> ir.Table | None:
        """The dataset's stored alerts as they are now (None: the workspace has none); for a
        run that keeps its alerts to itself (:meth:`keep_alerts_of_run`), that run's."""
        if _RUN_ALERTS in self._values:
            parts: list[pa.Table] = self._values[_RUN_ALERTS]
            if not parts:
                return None
            return self.engine.from_arrow(pa.concat_tables(parts), "cf_run_alerts")
        return self.engine.stored("alerts", self.dataset)

    def keep_alerts_of_run(self) -> None:
        """From now on, :meth:`alerts` gives the alerts this run adds (:meth:`add_run_alerts`),
        not the stored ones: a run whose alerts go to a file stands on its own."""
        self._values[_RUN_ALERTS] = []

    def add_run_alerts(self, alerts: pa.Table) -> None:
        self._values[_RUN_ALERTS].append(alerts)

    def ids(self, ids: pa.Table, name: str = "cf_ids") -> ir.Table:
        """A small table made here, as a table of the engine (to join against)."""
        return self.engine.from_arrow(ids, name)

    def error(
        self, exc: BaseException, expression: ir.Expr | None = None, *, scenario: str | None = None
    ) -> EngineError:
        """``exc`` as an :class:`EngineError` naming the dataset (and the scenario), with the
        SQL of ``expression``."""
        sql = self.engine.sql(expression) if expression is not None else ""
        return engine_error(
            exc,
            self.dataset,
            self.memory_limit,
            scenario=scenario,
            sql=sql,
            engine=self.engine.name,
        )


def engine_error(
    exc: BaseException,
    dataset: str,
    memory_limit: str | None,
    *,
    scenario: str | None = None,
    sql: str = "",
    engine: str = "duckdb",
) -> EngineError:
    """``exc`` as an :class:`EngineError` naming the dataset (and the scenario, when one was
    running), with a hint when the engine ran out of memory and the SQL it was given. The
    caller chains it. An :class:`EngineError` given keeps its SQL."""
    if isinstance(exc, EngineError):
        sql = sql or exc.sql
        exc = exc.__cause__ if exc.__cause__ is not None else exc
    if scenario:
        what = f"scenario {scenario!r} failed on dataset {dataset!r} ({engine})"
    else:
        what = f"a query on dataset {dataset!r} failed ({engine})"
    first = describe(exc)
    if out_of_memory(exc):
        cap = f" (now {memory_limit})" if memory_limit else ""
        from counterflow.settings import MEMORY_LIMIT_ENV

        hint = (
            f"; raise the memory limit{cap} (Settings.memory_limit, {MEMORY_LIMIT_ENV}) or free "
            "disk space for spilling in the workspace's tmp folder"
            if engine == "duckdb"
            else "; give the executors more memory (--spark-conf spark.executor.memory=…)"
        )
        message = f"{what}: {type(exc).__name__}: {first}{hint}"
    else:
        message = f"{what}: {type(exc).__name__}: {first}"
    if sql:
        message += " (--debug shows the SQL)"
    return EngineError(message, scenario=scenario, sql=sql)
