"""An engine that runs nothing: it compiles every expression it is given to both dialects
counterflow runs on (DuckDB's and PySpark's), records what fails, and answers with empty
results of the right schema (an intermediate it materialises becomes a table of its schema,
as on the real engines). Driving a scenario's logic through it shows, without a Spark
session, every operation one engine's compiler lacks (``Mode`` on PySpark), named with the
scenario that needs it: the backend test matrix of Ibis, for counterflow's own queries."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

import ibis
import ibis.expr.types as ir
import pyarrow as pa

from counterflow.engines import DatasetTables, Engine
from counterflow.engines.base import BatchFunction
from counterflow.transactions.schema import TABLES

#: the dialects every expression must compile to (ibis.to_sql's names)
DIALECTS = ("duckdb", "pyspark")

#: the workspace's alerts table (see counterflow.workspace's migrations)
ALERTS = ibis.schema(
    {
        "dataset": "!string",
        "alert_id": "!string",
        "scenario": "!string",
        "typology": "!string",
        "severity": "!string",
        "subject_kind": "!string",
        "subject_id": "!string",
        "score": "!float64",
        "tx_ids": "!array<string>",
        "explanation": "!string",
        "first_ts": "timestamp('UTC')",
        "last_ts": "timestamp('UTC')",
        "created_at": "!timestamp",
        "seen_at": "timestamp",
        "changed_at": "timestamp",
        "changes": "string",
    }
)


@dataclass(frozen=True)
class Failure:
    """An expression a dialect's compiler refused, and while doing what."""

    scenario: str
    dialect: str
    step: str
    error: str

    def __str__(self) -> str:
        return f"[{self.scenario}] {self.dialect} ({self.step}): {self.error}"


@dataclass(eq=False)
class CompileOnlyEngine(Engine):
    """Compiles what it is asked to run; see the module docstring. ``one_row`` answers every
    query with one row of zeros and empty texts instead of none (for code that reads the
    first row of an aggregate, like the dataset profile)."""

    one_row: bool = False
    #: the scenario (or step) whose expressions are being compiled, for the failures' names
    scenario: str = ""
    compiled: dict[str, int] = field(default_factory=dict)
    failures: list[Failure] = field(default_factory=list)

    name = "compile-only"
    dialect = "duckdb"

    def check(self, expression: ir.Expr, step: str) -> None:
        """Compile ``expression`` to every dialect, keeping what fails."""
        load_pyspark_backend()
        for dialect in DIALECTS:
            try:
                ibis.to_sql(expression, dialect=dialect)
            except Exception as exc:  # noqa: BLE001 - every refusal is a finding
                self.failures.append(
                    Failure(self.scenario, dialect, step, f"{type(exc).__name__}: {exc}")
                )
        self.compiled[self.scenario] = self.compiled.get(self.scenario, 0) + 1

    def to_arrow(self, expression: ir.Table) -> pa.Table:
        self.check(expression, "to_arrow")
        schema = expression.schema().to_pyarrow()
        if not self.one_row:
            return schema.empty_table()
        return pa.table({f.name: pa.array([_zero(f.type)], f.type) for f in schema}, schema=schema)

    def materialise(self, expression: ir.Table, name: str) -> ir.Table:
        # compiled here once; what reads it sees a table, as on both engines (a memtable on
        # DuckDB, a cached view on Spark), so its SQL is not compiled again inside theirs
        self.check(expression, f"materialise {name}")
        return ibis.table(expression.schema(), name=name)

    def from_arrow(self, table: pa.Table, name: str) -> ir.Table:
        return ibis.memtable(table)

    def stored(self, name: str, dataset: str) -> ir.Table | None:
        if name != "alerts":
            return None
        whole = ibis.table(ALERTS, name="alerts")
        return whole.filter(whole.dataset == dataset)

    def write_parquet(self, expression: ir.Table, path: str) -> None:
        self.check(expression, f"write_parquet {path}")

    def map_batches(
        self,
        expression: ir.Table,
        function: BatchFunction,
        schema: pa.Schema,
        name: str,
        shared: Any = None,
    ) -> ir.Table:
        self.check(expression, f"map_batches {name}")
        return ibis.table(ibis.Schema.from_pyarrow(schema), name=name)


def load_pyspark_backend() -> None:
    """Load Ibis's PySpark backend (no session): its compiler reads ``ibis.options.pyspark``,
    which exists only once the backend is loaded, as the Spark engine loads it by
    connecting. Needs pyspark installed (an ImportError without)."""
    if ibis.options.pyspark is None:
        ibis.pyspark  # noqa: B018 - loading the entry point registers its options


def _zero(kind: pa.DataType) -> Any:
    """A plain value of ``kind``: what one row of an aggregate over no data could hold."""
    if pa.types.is_integer(kind):
        return 0
    if pa.types.is_floating(kind) or pa.types.is_decimal(kind):
        return 0.0
    if pa.types.is_boolean(kind):
        return False
    if pa.types.is_string(kind) or pa.types.is_large_string(kind):
        return ""
    if pa.types.is_timestamp(kind):
        return datetime(1970, 1, 1, tzinfo=UTC)
    if pa.types.is_date(kind):
        return date(1970, 1, 1)
    if pa.types.is_list(kind) or pa.types.is_large_list(kind):
        return []
    return None


def unbound_tables(engine: CompileOnlyEngine, dataset: str = "d") -> DatasetTables:
    """A dataset's tables as unbound Ibis tables of the canonical schema, run by ``engine``."""
    tables = {
        name: ibis.table(ibis.Schema.from_pyarrow(schema), name=name)
        for name, schema in TABLES.items()
    }
    return DatasetTables(
        dataset,
        transactions=tables["transactions"],
        parties=tables["parties"],
        accounts=tables["accounts"],
        party_labels=tables["party_labels"],
        engine=engine,
    )
