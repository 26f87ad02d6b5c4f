"""Small simulated worlds shared by the simulate tests (2,000 parties over 60 days: about
17,000 transactions, a fraction of a second each)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest

from counterflow.simulate import WorldSummary, simulate

PARTIES, DAYS, SEED = 2_000, 60, 7
#: a small watchlist as the CLI would pass it: (entity_id, name) of listed people and groups
WATCHLIST = [
    ("un-sc:QDe.137", "Jabhat al-Nusrah"),
    ("un-sc:QDe.115", "Islamic State in Iraq and the Levant"),
    ("un-sc:QDi.299", "Abd al-Rahman Muhammad Zafir al-Dubaysi al-Juhani"),
    ("un-sc:QDi.327", "Hajjaj bin Fahd al-Ajmi"),
    ("un-sc:QDi.343", "Abdul Mohsen Abdallah Ibrahim al-Sharikh"),
]


@pytest.fixture(scope="session")
def world(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, WorldSummary]:
    """One world with a given watchlist, written once for the session."""
    out = tmp_path_factory.mktemp("sim") / "world"
    summary = simulate(out, parties=PARTIES, days=DAYS, seed=SEED, watchlist=WATCHLIST)
    return out, summary


@pytest.fixture(scope="session")
def con(world: tuple[Path, WorldSummary]) -> Iterator[duckdb.DuckDBPyConnection]:
    """DuckDB views over the world: t (transactions), parties, accounts, labels."""
    out, _ = world
    conn = duckdb.connect()
    conn.execute(f"CREATE VIEW t AS SELECT * FROM read_parquet('{out}/transactions/*.parquet')")
    conn.execute(f"CREATE VIEW parties AS SELECT * FROM read_parquet('{out}/parties.parquet')")
    conn.execute(f"CREATE VIEW accounts AS SELECT * FROM read_parquet('{out}/accounts.parquet')")
    conn.execute(f"CREATE VIEW labels AS SELECT * FROM read_parquet('{out}/party_labels.parquet')")
    yield conn
    conn.close()


def rows(conn: duckdb.DuckDBPyConnection, sql: str, *params: object) -> list[tuple[object, ...]]:
    return conn.execute(sql, list(params)).fetchall()


def one(conn: duckdb.DuckDBPyConnection, sql: str, *params: object) -> object:
    found = conn.execute(sql, list(params)).fetchone()
    assert found is not None
    return found[0]
