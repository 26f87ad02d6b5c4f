"""The transactions the alerts name, kept in memory by the UI's process until a monitoring run
changes the alerts.

An alert names its transactions by id, and the transactions table is in import order, so
finding a few hundred ids means reading the id column of every transaction (a fifth of a
second at ten million, more for the other columns). The alerts name few transactions in all,
so one pass after each monitoring run fetches them all, and the alert pages and the
dashboard's money by channel read them from memory. Past :data:`MAX_CACHED` transactions the
pages query the workspace instead (slower, the same answer).
"""

from __future__ import annotations

import threading
from typing import Any

import duckdb
from fastapi import Request

#: the columns kept per transaction, in this order
COLUMNS = (
    "tx_id",
    "timestamp",
    "payer_party",
    "payer_name",
    "beneficiary_party",
    "beneficiary_name",
    "amount",
    "currency",
    "base_amount",
    "channel",
    "remittance_text",
)
#: the most transactions kept (a few hundred bytes each)
MAX_CACHED = 500_000

Key = tuple[str, str]


class AlertRows:
    """Per (dataset, tx_id), the transaction's :data:`COLUMNS` for every transaction some
    current alert names; rebuilt when the alerts change (their count, their last run, their
    last change, the retired ones) or a dataset is imported again."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._version: tuple[Any, ...] | None = None
        self._rows: dict[Key, tuple[Any, ...]] | None = None

    def of(self, conn: duckdb.DuckDBPyConnection) -> dict[Key, tuple[Any, ...]] | None:
        """The rows, or None when the alerts name more than :data:`MAX_CACHED`."""
        version = tuple(
            conn.execute(
                "SELECT count(*), max(seen_at), max(changed_at), "
                "(SELECT count(*) FROM retired_alerts), "
                "(SELECT max(imported_at) FROM tx_datasets) FROM alerts"
            ).fetchall()[0]
        )
        with self._lock:
            if version == self._version:
                return self._rows
        named = conn.execute(
            "SELECT count(*) FROM (SELECT DISTINCT dataset, unnest(tx_ids) FROM alerts)"
        ).fetchall()[0][0]
        rows: dict[Key, tuple[Any, ...]] | None = None
        if named <= MAX_CACHED:
            found = conn.execute(
                "WITH named AS (SELECT DISTINCT dataset, unnest(tx_ids) AS tx_id FROM alerts) "
                f"SELECT t.dataset, {', '.join('t.' + c for c in COLUMNS)} FROM named "
                "JOIN transactions t USING (dataset, tx_id)"
            ).fetchall()
            rows = {(r[0], r[1]): r[1:] for r in found}
        with self._lock:
            self._version, self._rows = version, rows
        return rows


def alert_rows_of(request: Request) -> AlertRows:
    """The app's cache (one per app: a process may serve several workspaces, in tests)."""
    found = getattr(request.app.state, "alert_rows", None)
    if not isinstance(found, AlertRows):
        found = request.app.state.alert_rows = AlertRows()
    return found
