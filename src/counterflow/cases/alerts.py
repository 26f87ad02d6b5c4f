"""Alerts in the workspace: what a scenario raised, about whom, on which transactions, and why.

An alert's id is a hash of its dataset, scenario, subject and transactions, so running the same
scenario again on the same data gives the same ids; a run replaces its scenario's alerts for
the dataset in one transaction (idempotent re-runs, no duplicates).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import duckdb
import pyarrow as pa

from counterflow.errors import NotFoundError


@dataclass(frozen=True)
class Alert:
    dataset: str
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
    "dataset, alert_id, scenario, typology, severity, subject_kind, subject_id, score, tx_ids, "
    "explanation, first_ts, last_ts"
)


def list_alerts(
    conn: duckdb.DuckDBPyConnection,
    dataset: str | None,
    *,
    scenario: str | None = None,
    subject_id: str | None = None,
    typology: str | None = None,
    among: Collection[str] | None = None,
    outside: Collection[str] | None = None,
    limit: int | None = None,
) -> list[Alert]:
    """Alerts of a dataset (of every dataset when None), highest score first; ``among`` keeps
    only those ids, ``outside`` drops them (the alerts in cases, for instance)."""
    where: list[str] = []
    params: list[Any] = []
    for column, value in (
        ("dataset", dataset),
        ("scenario", scenario),
        ("subject_id", subject_id),
        ("typology", typology),
    ):
        if value is not None:
            where.append(f"{column} = ?")
            params.append(value)
    if among is not None:
        where.append("list_contains(?, alert_id)")
        params.append(sorted(among))
    if outside is not None:
        where.append("NOT list_contains(?, alert_id)")
        params.append(sorted(outside))
    sql = f"SELECT {_COLUMNS} FROM alerts"
    if where:
        sql += f" WHERE {' AND '.join(where)}"
    sql += " ORDER BY score DESC, alert_id"
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
        dataset=row[0],
        alert_id=row[1],
        scenario=row[2],
        typology=row[3],
        severity=row[4],
        subject_kind=row[5],
        subject_id=row[6],
        score=row[7],
        tx_ids=list(row[8]),
        explanation=json.loads(row[9]),
        first_ts=row[10],
        last_ts=row[11],
    )
