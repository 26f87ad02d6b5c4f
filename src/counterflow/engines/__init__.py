"""Where queries run. Scenarios and graph steps are Ibis expressions (the portable layer of
ARCHITECTURE.md); an engine binds them to a backend: DuckDB here, Spark later."""

from counterflow.engines.duckdb import DatasetTables, open_dataset
from counterflow.engines.errors import ENGINE_FAILURES, EngineError

__all__ = ["ENGINE_FAILURES", "DatasetTables", "EngineError", "open_dataset"]
