"""One database transaction: committed whole, or rolled back with a StoreError."""

from __future__ import annotations

import duckdb
import pytest

from counterflow.errors import StoreError
from counterflow.io import transaction


@pytest.fixture
def conn() -> duckdb.DuckDBPyConnection:
    conn = duckdb.connect(":memory:")
    conn.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, name VARCHAR)")
    return conn


def _rows(conn: duckdb.DuckDBPyConnection) -> list[tuple[object, ...]]:
    return conn.execute("SELECT * FROM t ORDER BY id").fetchall()


def test_a_block_that_ends_well_is_committed(conn: duckdb.DuckDBPyConnection) -> None:
    with transaction(conn, "storing two rows"):
        conn.execute("INSERT INTO t VALUES (1, 'a'), (2, 'b')")
    assert _rows(conn) == [(1, "a"), (2, "b")]


def test_a_database_error_rolls_back_and_says_so(conn: duckdb.DuckDBPyConnection) -> None:
    conn.execute("INSERT INTO t VALUES (1, 'a')")
    with pytest.raises(StoreError) as caught, transaction(conn, "storing edition un-sc@x"):
        conn.execute("INSERT INTO t VALUES (2, 'b')")
        conn.execute("INSERT INTO t VALUES (1, 'again')")  # a duplicate key
    assert str(caught.value).startswith("storing edition un-sc@x failed, nothing was written: ")
    assert isinstance(caught.value.__cause__, duckdb.ConstraintException)
    assert _rows(conn) == [(1, "a")]  # row 2 went with the rest
    with transaction(conn, "after"):  # the connection is usable again
        conn.execute("INSERT INTO t VALUES (3, 'c')")
    assert len(_rows(conn)) == 2


def test_any_other_error_rolls_back_and_goes_on_unchanged(
    conn: duckdb.DuckDBPyConnection,
) -> None:
    with pytest.raises(KeyboardInterrupt), transaction(conn, "importing"):
        conn.execute("INSERT INTO t VALUES (1, 'a')")
        raise KeyboardInterrupt
    assert _rows(conn) == []
