"""One database transaction as a ``with`` block: committed when the block ends, rolled back
when anything in it fails, so an import or a run is stored whole or not at all."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager, suppress

import duckdb

from counterflow.errors import StoreError


@contextmanager
def transaction(conn: duckdb.DuckDBPyConnection, what: str) -> Iterator[None]:
    """Run the block in one transaction. A database error becomes a :class:`StoreError` saying
    that ``what`` ("storing edition un-sc@2026-02-27") failed and nothing was written; any
    other error rolls back and goes on unchanged."""
    conn.execute("BEGIN TRANSACTION")
    try:
        yield
        conn.execute("COMMIT")
    except duckdb.Error as exc:
        _rollback(conn)
        raise StoreError(f"{what} failed, nothing was written: {exc}") from exc
    except BaseException:
        _rollback(conn)
        raise


def _rollback(conn: duckdb.DuckDBPyConnection) -> None:
    # the transaction may already be aborted by the error that brought us here
    with suppress(duckdb.Error):
        conn.execute("ROLLBACK")
