"""The Spark engine: the same expressions on Apache Spark, over a dataset in Parquet.

A dataset reaches Spark as Parquet: a folder holding ``transactions``, ``parties``,
``accounts`` and ``party_labels`` (each a ``.parquet`` file or a folder of them: what
``counterflow transactions export`` writes, and what a data lake keeps), or tables of the
session's catalog (``catalog:DATABASE``). The columns are the workspace's (see
docs/workspace.md); a missing table other than ``transactions`` is read as empty.

The workspace stays beside the cluster, on the driver: it holds the lists, the analysts'
decisions and the stored alerts. Results are small (alerts) and come to the driver as Arrow;
intermediates stay on the executors (cached), and bulk output is written, never collected.
Nothing needs Maven at run time: no GraphFrames, no ``--packages``.

Spark is the ``spark`` extra (``pip install 'counterflow[spark]'``); nothing else in
counterflow imports it.
"""

from __future__ import annotations

import itertools
import sys
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import duckdb
import ibis
import ibis.expr.types as ir
import pyarrow as pa

from counterflow.engines.base import (
    DATASET_TABLES,
    BatchFunction,
    DatasetTables,
    Engine,
)
from counterflow.errors import ConfigError, DataError, NotFoundError
from counterflow.transactions.schema import OPTIONAL_COLUMNS, TABLES
from counterflow.workspace import Workspace

#: what a Spark session gets unless told otherwise: UTC (the workspace's timestamps are UTC),
#: no web UI (a port nobody asked for), Arrow for the few results that come to the driver
SESSION_DEFAULTS: dict[str, str] = {
    "spark.app.name": "counterflow",
    "spark.sql.session.timeZone": "UTC",
    "spark.ui.enabled": "false",
    "spark.sql.execution.arrow.pyspark.enabled": "true",
    "spark.sql.ansi.enabled": "false",
    "spark.ui.showConsoleProgress": "false",
}
#: on a local master, shuffles get a few partitions per core instead of Spark's 200 (one
#: machine's data; adaptive execution merges small ones anyway on a cluster)
LOCAL_SHUFFLE_PARTITIONS = "8"
#: on a local master the executors live in the driver's JVM: Spark's 1g is too little for
#: the layering shapes' joins on a million transactions (--spark-conf spark.driver.memory=…)
LOCAL_DRIVER_MEMORY = "4g"
#: Spark's logging while counterflow drives it: errors only
LOG_CONFIG = Path(__file__).with_name("spark-log4j2.properties")
#: where Spark runs unless told (and not started by spark-submit): this machine, every core
DEFAULT_MASTER = "local[*]"
#: the prefix of a --input that names a database of the session's catalog
CATALOG_PREFIX = "catalog:"
_names = itertools.count()


def spark_available() -> str | None:
    """None when Spark can run here, else why not (in words a user can act on)."""
    try:
        import pyspark  # noqa: F401
    except ImportError:
        return "Spark is not installed: pip install 'counterflow[spark]'"
    return None


def spark_session(master: str | None = None, conf: Mapping[str, str] | None = None) -> Any:
    """A Spark session for ``master`` (``local[2]``, ``spark://host:7077``, ``yarn``,
    ``k8s://…``) with :data:`SESSION_DEFAULTS` under ``conf``. Without ``master``, the one
    ``spark-submit`` was given when it started this process (the command line decides which:
    :func:`counterflow.cli.engine_options.spark_for`). An existing session in this process is
    reused (Spark allows one)."""
    missing = spark_available()
    if missing:
        raise ConfigError(missing)
    from pyspark.sql import SparkSession

    builder = SparkSession.builder
    if master is not None:
        builder = builder.master(master)
    defaults = dict(SESSION_DEFAULTS)
    # Spark's INFO and WARN lines on the terminal from the start (setLogLevel comes too late
    # for the JVM's first ones); a user's own driver options replace this
    # (and no JVM warnings on standard output, such as the garbage collector's)
    defaults["spark.driver.extraJavaOptions"] = (
        f"-Dlog4j2.configurationFile={LOG_CONFIG} -Xlog:disable -Xlog:all=error:stderr"
    )
    if (master or "").startswith("local"):
        defaults["spark.sql.shuffle.partitions"] = LOCAL_SHUFFLE_PARTITIONS
        defaults["spark.driver.memory"] = LOCAL_DRIVER_MEMORY

    for key, value in {**defaults, **(conf or {})}.items():
        builder = builder.config(key, value)
    try:
        session = builder.getOrCreate()
    except Exception as exc:  # Java not found, a master that does not answer
        where = f"master {master!r}" if master else "the master spark-submit was given"
        raise ConfigError(f"cannot start Spark ({where}): {exc}") from exc
    session.sparkContext.setLogLevel("ERROR")
    if (master or "").startswith("local"):
        # the local executors' Python is this one (a virtualenv's, with counterflow in it),
        # not the first python3 on the PATH; on a cluster it is the packed environment's,
        # set with spark.pyspark.python (docs/spark.md)
        session.sparkContext.pythonExec = sys.executable
    return session


@contextmanager
def session_scope(master: str | None, conf: Mapping[str, str] | None = None) -> Iterator[Any]:
    """A Spark session for one command: stopped at the end if this started it (a session the
    process already had, a notebook's or spark-submit's, is left running)."""
    missing = spark_available()
    if missing:
        raise ConfigError(missing)
    from pyspark.sql import SparkSession

    had = SparkSession.getActiveSession()
    session = spark_session(master, conf)
    try:
        yield session
    finally:
        if had is None:
            session.stop()


def parse_conf(pairs: Sequence[str]) -> dict[str, str]:
    """``--spark-conf k=v`` values as a mapping; a pair without ``=`` is a ConfigError."""
    out: dict[str, str] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            raise ConfigError(
                f"--spark-conf {pair!r}: expected KEY=VALUE (spark.executor.memory=4g)"
            )
        out[key.strip()] = value.strip()
    return out


class SparkEngine(Engine):
    """Expressions compiled to Spark SQL and run on the session's cluster."""

    name = "spark"
    dialect = "pyspark"

    def __init__(self, session: Any, store: duckdb.DuckDBPyConnection | None) -> None:
        self.session = session
        self.backend: Any = ibis.pyspark.connect(session)
        self._store = store
        self._cached: list[ir.Table] = []
        self._views: list[str] = []

    def to_arrow(self, expression: ir.Table) -> pa.Table:
        return self.backend.to_pyarrow(expression)

    def materialise(self, expression: ir.Table, name: str) -> ir.Table:
        cached = expression.cache()  # Spark's cache, on the executors
        self._cached.append(cached)
        return cached

    def from_arrow(self, table: pa.Table, name: str) -> ir.Table:
        # list columns (an alert's transactions) do not cross PySpark's Arrow path from pandas;
        # what is joined against never needs them
        plain = [f.name for f in table.schema if not pa.types.is_list(f.type)]
        return ibis.memtable(table.select(plain))

    def stored(self, name: str, dataset: str) -> ir.Table | None:
        if self._store is None:
            return None
        try:
            rows = self._store.sql(
                f'SELECT * FROM "{name}" WHERE dataset = $dataset', params={"dataset": dataset}
            ).to_arrow_table()
        except duckdb.CatalogException:
            return None
        return self.from_arrow(rows, name)

    def write_parquet(self, expression: ir.Table, path: str) -> None:
        self.dataframe(expression).write.mode("overwrite").parquet(path)

    def map_batches(
        self,
        expression: ir.Table,
        function: BatchFunction,
        schema: pa.Schema,
        name: str,
        shared: Any = None,
    ) -> ir.Table:
        from pyspark.sql.pandas.types import from_arrow_schema

        frame = self.dataframe(expression)
        value = self.session.sparkContext.broadcast(shared)

        def run(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
            return function(batches, value.value)

        out = frame.mapInArrow(run, from_arrow_schema(schema))
        view = f"{name}_{next(_names)}"
        out.createOrReplaceTempView(view)
        self._views.append(view)
        return self.backend.table(view)

    def dataframe(self, expression: ir.Table) -> Any:
        """``expression`` as a Spark DataFrame (the in-memory tables it uses registered)."""
        self.backend._run_pre_execute_hooks(expression)
        return self.session.sql(self.backend.compile(expression))

    def close(self) -> None:
        for cached in self._cached:
            cached.release()
        self._cached.clear()
        for view in self._views:
            self.session.catalog.dropTempView(view)
        self._views.clear()


def read_dataset(engine: SparkEngine, source: str) -> dict[str, ir.Table]:
    """The four tables of the dataset at ``source`` (a Parquet folder, or ``catalog:DB``),
    checked for the canonical columns (:data:`counterflow.transactions.schema.TABLES`, what
    ``counterflow transactions export`` writes) and cast to their types."""
    tables: dict[str, ir.Table] = {}
    for name in DATASET_TABLES:
        expected = TABLES[name]
        table = _read(engine, source, name)
        if table is None:
            if name == "transactions":
                raise NotFoundError(
                    f"{source}: no transactions (expected {name}.parquet, a {name}/ folder of "
                    "Parquet files, or the table in the catalog)"
                )
            table = ibis.memtable(expected.empty_table())
        have = set(table.columns)
        optional = OPTIONAL_COLUMNS.get(name, frozenset())
        missing = [c for c in expected.names if c not in have and c not in optional]
        if missing:
            raise DataError(
                f"{source}: {name} has no column(s) {', '.join(missing)} (the canonical "
                f"{name} has {', '.join(expected.names)}; see docs/transactions.md)"
            )
        table = table.select(
            *[
                (
                    table[c].cast(ibis.dtype(expected.field(c).type))
                    if c in have
                    else ibis.null(ibis.dtype(expected.field(c).type))  # an optional column
                ).name(c)
                for c in expected.names
            ]
        )
        tables[name] = table
    return tables


def _read(engine: SparkEngine, source: str, name: str) -> ir.Table | None:
    if source.startswith(CATALOG_PREFIX):
        database = source[len(CATALOG_PREFIX) :]
        if not engine.session.catalog.tableExists(name, database):
            return None
        return engine.backend.table(name, database=database)
    folder = Path(source)
    if not folder.is_dir():
        raise NotFoundError(f"{source}: no such folder (the dataset's Parquet files)")
    for path in (folder / f"{name}.parquet", folder / name):
        if path.exists():
            return engine.backend.read_parquet(str(path), table_name=f"cf_{name}_{next(_names)}")
    return None


@contextmanager
def open_spark_dataset(
    workspace: Workspace,
    dataset: str,
    *,
    source: str,
    session: Any,
    read_only: bool = True,
) -> Iterator[tuple[DatasetTables, duckdb.DuckDBPyConnection]]:
    """The dataset at ``source`` on Spark, with the workspace connection (lists, decisions;
    alerts are stored through it)."""
    with workspace.connect(read_only=read_only) as conn:
        engine = SparkEngine(session, conn)
        try:
            found = read_dataset(engine, source)
            yield (
                DatasetTables(
                    dataset,
                    transactions=found["transactions"],
                    parties=found["parties"],
                    accounts=found["accounts"],
                    party_labels=found["party_labels"],
                    engine=engine,
                    workspace=workspace,
                    store=conn,
                ),
                conn,
            )
        finally:
            engine.close()


def spark_opener(source: str, session: Any) -> Any:
    """An opener for :func:`counterflow.monitoring.run_scenarios`: the dataset at ``source``
    on ``session``."""

    def opener(workspace: Workspace, dataset: str, *, read_only: bool = True) -> Any:
        return open_spark_dataset(
            workspace, dataset, source=source, session=session, read_only=read_only
        )

    return opener
