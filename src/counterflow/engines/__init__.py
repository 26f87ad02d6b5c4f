"""Where queries run, behind one interface (:class:`Engine`): scenarios and graph steps are
Ibis expressions (the portable layer of ARCHITECTURE.md) over :class:`DatasetTables`; DuckDB
runs them on the workspace (:mod:`counterflow.engines.duckdb`), Apache Spark on Parquet in a
data lake (:mod:`counterflow.engines.spark`, the ``spark`` extra)."""

from counterflow.engines.base import DatasetTables, Engine, engine_error
from counterflow.engines.duckdb import DuckDBEngine, open_dataset
from counterflow.engines.errors import ENGINE_FAILURES, EngineError, is_engine_failure

__all__ = [
    "ENGINE_FAILURES",
    "DatasetTables",
    "DuckDBEngine",
    "Engine",
    "EngineError",
    "engine_error",
    "is_engine_failure",
    "open_dataset",
]
