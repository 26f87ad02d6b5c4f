"""Which exceptions are engine failures (they become :class:`counterflow.errors.EngineError`,
chained ``from exc``): DuckDB's errors, a query Ibis cannot build or compile, an Arrow
conversion that fails, and on Spark its analysis and execution errors (Spark's own, and the
Java ones py4j carries). Spark's are recognised only when Spark has been imported, so the
core never imports it."""

from __future__ import annotations

import sys

import duckdb
import pyarrow as pa
from ibis.common.exceptions import IbisError

from counterflow.errors import EngineError

#: the exceptions the DuckDB engine raises while building or running a query
ENGINE_FAILURES: tuple[type[Exception], ...] = (duckdb.Error, IbisError, pa.ArrowException)


def _spark_failures() -> tuple[type[BaseException], ...]:
    if "pyspark" not in sys.modules:
        return ()
    from py4j.protocol import Py4JError
    from pyspark.errors import PySparkException

    return (PySparkException, Py4JError)


def is_engine_failure(exc: BaseException) -> bool:
    """True when ``exc`` came from an engine (not from counterflow's own code)."""
    return isinstance(exc, ENGINE_FAILURES + _spark_failures())


def out_of_memory(exc: BaseException) -> bool:
    """True when the engine ran out of memory (DuckDB's error, or a Java heap exhausted)."""
    if isinstance(exc, duckdb.OutOfMemoryException):
        return True
    text = describe(exc)
    return "OutOfMemoryError" in text or "Not enough memory to build and broadcast" in text


def describe(exc: BaseException) -> str:
    """The engine's own words, in one line: for a Java failure that py4j carries, the Java
    exception's root cause (not "An error occurred while calling o761.getResult")."""
    java = getattr(exc, "java_exception", None)
    if java is not None:
        try:
            cause = java
            while cause.getCause() is not None:
                cause = cause.getCause()
            return f"{cause.getClass().getName()}: {cause.getMessage()}".strip()[:500]
        except Exception:  # noqa: BLE001 - the JVM may be gone; fall back to Python's words
            pass
    return str(exc).strip().split("\n", 1)[0][:500]


__all__ = ["ENGINE_FAILURES", "EngineError", "describe", "is_engine_failure", "out_of_memory"]
