"""Alerts in the workspace: what a scenario raised, about whom, on which transactions, and why.

An alert's id is a hash of its dataset, scenario, subject and transactions, so running the same
scenario again on the same data gives the same ids; a run replaces its scenario's alerts for
the dataset in one transaction (idempotent re-runs, no duplicates).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import duckdb
import pyarrow as pa

from counterflow.errors import NotFoundError


@dataclass(frozen=True)
class Alert:
    alert_id: str
    scenario: str
    typology: str
    severity: str
    subject_kind: str
    subject_id: str
    score: float
    tx_ids: list[str]
    explanation: dict[str, Any]
    first_ts: datetime | None
    last_ts: datetime | None


def alert_id(dataset: str, scenario: str, subject_id: str, tx_ids: Sequence[str]) -> str:
    blob = json.dumps([dataset, scenario, subject_id, sorted(tx_ids)], ensure_ascii=False)
    return "A-" + hashlib.sha256(blob.encode("utf-8")).hexdigest()[:16]


def replace_alerts(
    conn: duckdb.DuckDBPyConnection, dataset: str, scenario: str, alerts: pa.Table
) -> None:
    """Swap the scenario's alerts for ``alerts`` (columns of the ``alerts`` table but
    ``dataset`` and ``created_at``); call inside the caller's transaction."""
    conn.execute("DELETE FROM alerts WHERE dataset = ? AND scenario = ?", [dataset, scenario])
    if alerts.num_rows == 0:
        return
    now = datetime.now(UTC).replace(tzinfo=None)
    conn.register("incoming_alerts", alerts)
    try:
        columns = ", ".join(alerts.column_names)
        conn.execute(
            f"INSERT INTO alerts (dataset, {columns}, created_at) "
            f"SELECT ?, {columns}, ? FROM incoming_alerts",
            [dataset, now],
        )
    finally:
        conn.unregister("incoming_alerts")


_COLUMNS = (
    "alert_id, scenario, typology, severity, subject_kind, subject_id, score, tx_ids, "
    "explanation, first_ts, last_ts"
)


def list_alerts(
    conn: duckdb.DuckDBPyConnection,
    dataset: str,
    *,
    scenario: str | None = None,
    subject_id: str | None = None,
    limit: int | None = None,
) -> list[Alert]:
    """Alerts of a dataset, highest score first."""
    where, params = ["dataset = ?"], [dataset]
    if scenario:
        where.append("scenario = ?")
        params.append(scenario)
    if subject_id:
        where.append("subject_id = ?")
        params.append(subject_id)
    sql = f"SELECT {_COLUMNS} FROM alerts WHERE {' AND '.join(where)} ORDER BY score DESC, alert_id"
    if limit:
        sql += f" LIMIT {int(limit)}"
    return [_alert(row) for row in conn.execute(sql, params).fetchall()]


def get_alert(conn: duckdb.DuckDBPyConnection, alert: str) -> Alert:
    rows = conn.execute(f"SELECT {_COLUMNS} FROM alerts WHERE alert_id = ?", [alert]).fetchall()
    if not rows:
        raise NotFoundError(f"no alert {alert!r}")
    return _alert(rows[0])


def _alert(row: tuple[Any, ...]) -> Alert:
    return Alert(
        alert_id=row[0],
        scenario=row[1],
        typology=row[2],
        severity=row[3],
        subject_kind=row[4],
        subject_id=row[5],
        score=row[6],
        tx_ids=list(row[7]),
        explanation=json.loads(row[8]),
        first_ts=row[9],
        last_ts=row[10],
    )
