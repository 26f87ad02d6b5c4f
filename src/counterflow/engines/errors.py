"""The engine failures that become :class:`counterflow.errors.EngineError`: DuckDB out of
memory, a query it cannot bind, an Arrow conversion that fails (chained ``from exc``)."""

from __future__ import annotations

import duckdb
import pyarrow as pa
from ibis.common.exceptions import IbisError

from counterflow.errors import EngineError

#: the exceptions an engine raises while building or running a query
ENGINE_FAILURES: tuple[type[Exception], ...] = (duckdb.Error, IbisError, pa.ArrowException)

__all__ = ["ENGINE_FAILURES", "EngineError"]
