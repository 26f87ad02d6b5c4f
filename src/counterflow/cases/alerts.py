"""Alerts in the workspace: what a scenario raised, about whom, on which transactions, and why.

An alert is a scenario's finding about one subject, so its id is a hash of the dataset, the
scenario and the subject: running the scenario again gives the same id while the finding's
transactions grow or shrink, and a case or a dismissal that names the alert keeps naming it.

Each run of a scenario merges its alerts into the stored ones, in the caller's transaction:

- an alert raised for the first time is *new* (``created_at`` is this run);
- one raised before keeps its ``created_at``; if its transactions or score changed, ``changes``
  says how (transactions added and removed, the score before and after) and ``changed_at`` when;
- one no longer raised is dropped, unless a case or a dismissal refers to it: then it moves to
  ``retired_alerts``, where its id still resolves (and it comes back, changed, if raised again).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import duckdb
import pyarrow as pa

from counterflow.errors import NotFoundError

#: the transactions a change names by id (the counts are always whole)
SHOWN_CHANGED_TX = 20
#: a score moving less than this is not a change (rounding across engines)
SCORE_TOLERANCE = 0.005


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
    #: when a run first raised it, when a run last raised it
    created_at: datetime | None = None
    seen_at: datetime | None = None
    #: when and how its transactions or score last changed from one run to the next
    changed_at: datetime | None = None
    changes: dict[str, Any] | None = None
    #: when it stopped being raised (kept because a case or a dismissal refers to it)
    retired_at: datetime | None = None

    @property
    def new(self) -> bool:
        """Raised for the first time by the run that last raised it."""
        return (
            self.retired_at is None
            and self.created_at is not None
            and (self.created_at == self.seen_at)
        )


@dataclass
class MergeCounts:
    """What one scenario run did to the stored alerts."""

    raised: int = 0
    new: int = 0
    changed: int = 0
    retired: int = 0
    dropped: int = 0


def alert_id(dataset: str, scenario: str, subject_id: str) -> str:
    blob = json.dumps([dataset, scenario, subject_id], ensure_ascii=False)
    return "A-" + hashlib.sha256(blob.encode("utf-8")).hexdigest()[:16]


def compare(
    before_tx: Iterable[str], before_score: float, after_tx: Iterable[str], after_score: float
) -> dict[str, Any] | None:
    """How an alert changed (None: it did not): the transactions added and removed (counts,
    and the first ids) and the score before and after when it moved."""
    old, new = set(before_tx), set(after_tx)
    added, removed = sorted(new - old), sorted(old - new)
    changes: dict[str, Any] = {}
    if added:
        changes["added"] = len(added)
        changes["added_ids"] = added[:SHOWN_CHANGED_TX]
    if removed:
        changes["removed"] = len(removed)
        changes["removed_ids"] = removed[:SHOWN_CHANGED_TX]
    if abs(after_score - before_score) >= SCORE_TOLERANCE:
        changes["score"] = [round(before_score, 4), round(after_score, 4)]
    return changes or None


def describe_changes(changes: dict[str, Any] | None) -> str:
    """A change in words: "2 transactions added (T1, T2); score 0.41 → 0.63"."""
    if not changes:
        return "unchanged"
    parts: list[str] = []
    for key, verb in (("added", "added"), ("removed", "removed")):
        count = int(changes.get(key) or 0)
        if count:
            ids = list(changes.get(f"{key}_ids") or [])
            more = f", … {count - len(ids):,} more" if count > len(ids) else ""
            noun = "transaction" if count == 1 else "transactions"
            parts.append(f"{count:,} {noun} {verb} ({', '.join(ids)}{more})")
    if changes.get("score"):
        before, after = changes["score"]
        parts.append(f"score {before:.2f} → {after:.2f}")
    if changes.get("returned"):
        parts.insert(0, "raised again after it had stopped")
    return "; ".join(parts) or "unchanged"


def replace_alerts(
    conn: duckdb.DuckDBPyConnection,
    dataset: str,
    scenario: str,
    alerts: pa.Table,
    keep: Collection[str] = (),
) -> MergeCounts:
    """Merge a run of ``scenario`` (``alerts``: columns of the ``alerts`` table but ``dataset``
    and the run stamps) into the stored alerts; the scenario's alerts this run did not raise
    are dropped, or retired when their id is in ``keep``. Call inside the caller's
    transaction."""
    now = datetime.now(UTC).replace(tzinfo=None)
    stored = {
        row[0]: row[1:]
        for row in conn.execute(
            "SELECT alert_id, tx_ids, score, created_at, changed_at, changes FROM alerts "
            "WHERE dataset = ? AND scenario = ?",
            [dataset, scenario],
        ).fetchall()
    }
    retired = {
        row[0]: row[1:]
        for row in conn.execute(
            "SELECT alert_id, tx_ids, score, created_at FROM retired_alerts "
            "WHERE dataset = ? AND scenario = ?",
            [dataset, scenario],
        ).fetchall()
    }
    ids = alerts.column("alert_id").to_pylist()
    tx_lists = alerts.column("tx_ids").to_pylist()
    scores = alerts.column("score").to_pylist()
    counts = MergeCounts(raised=len(ids))
    created: list[datetime] = []
    changed_at: list[datetime | None] = []
    changes: list[str | None] = []
    for key, tx_ids, score in zip(ids, tx_lists, scores, strict=True):
        if key in stored:
            before_tx, before_score, first, last_changed, last_changes = stored[key]
            diff = compare(before_tx, before_score, tx_ids, score)
        elif key in retired:
            before_tx, before_score, first = retired[key]
            diff = {**(compare(before_tx, before_score, tx_ids, score) or {}), "returned": True}
            last_changed, last_changes = None, None
        else:
            counts.new += 1
            created.append(now)
            changed_at.append(None)
            changes.append(None)
            continue
        created.append(first)
        if diff:
            counts.changed += 1
            changed_at.append(now)
            changes.append(json.dumps(diff, ensure_ascii=False))
        else:
            changed_at.append(last_changed)
            changes.append(last_changes)
    gone = sorted(set(stored) - set(ids))
    kept = sorted(set(gone) & set(keep))
    counts.retired, counts.dropped = len(kept), len(gone) - len(kept)
    if kept:
        conn.execute(
            "INSERT INTO retired_alerts SELECT *, ? FROM alerts "
            "WHERE dataset = ? AND scenario = ? AND list_contains(?, alert_id)",
            [now, dataset, scenario, kept],
        )
    if retired:
        conn.execute(
            "DELETE FROM retired_alerts WHERE dataset = ? AND scenario = ? "
            "AND list_contains(?, alert_id)",
            [dataset, scenario, sorted(set(retired) & set(ids))],
        )
    conn.execute("DELETE FROM alerts WHERE dataset = ? AND scenario = ?", [dataset, scenario])
    if not ids:
        return counts
    incoming = alerts.append_column(
        "created_at", pa.array(created, pa.timestamp("us"))
    ).append_column("changed_at", pa.array(changed_at, pa.timestamp("us")))
    incoming = incoming.append_column("changes", pa.array(changes, pa.string()))
    conn.register("incoming_alerts", incoming)
    try:
        columns = ", ".join(incoming.column_names)
        conn.execute(
            f"INSERT INTO alerts (dataset, {columns}, seen_at) "
            f"SELECT ?, {columns}, ? FROM incoming_alerts",
            [dataset, now],
        )
    finally:
        conn.unregister("incoming_alerts")
    return counts


#: the columns that are the finding itself (what a case freezes), without the run stamps
FINDING_COLUMNS = (
    "dataset, alert_id, scenario, typology, severity, subject_kind, subject_id, score, tx_ids, "
    "explanation, first_ts, last_ts"
)
_COLUMNS = f"{FINDING_COLUMNS}, created_at, seen_at, changed_at, changes"
_RETIRED = f"SELECT {_COLUMNS}, retired_at FROM retired_alerts"


def list_alerts(
    conn: duckdb.DuckDBPyConnection,
    dataset: str | None,
    *,
    scenario: str | None = None,
    subject_id: str | None = None,
    typology: str | None = None,
    among: Collection[str] | None = None,
    outside: Collection[str] | None = None,
    new: bool = False,
    retired: bool = False,
    limit: int | None = None,
    window: AlertWindow | None = None,
) -> list[Alert]:
    """Alerts of a dataset (of every dataset when None), highest score first; ``among`` keeps
    only those ids, ``outside`` drops them (the alerts in cases, for instance); ``new`` only
    the alerts raised for the first time by their scenario's last run; ``retired`` the alerts
    no longer raised that were kept, instead of the current ones; ``window`` a page of them,
    filtered by score and activity and in another order (:class:`AlertWindow`)."""
    window = window or AlertWindow()
    sql, params, views = _selection(
        dataset, scenario, subject_id, typology, among, outside, new, retired, window
    )
    sql += window.order_by()
    if limit:
        sql += f" LIMIT {int(limit)}"
    if window.offset:
        sql += f" OFFSET {int(window.offset)}"
    return [_alert(row) for row in _fetch(conn, sql, params, views)]


def count_alerts(
    conn: duckdb.DuckDBPyConnection,
    dataset: str | None,
    *,
    scenario: str | None = None,
    subject_id: str | None = None,
    typology: str | None = None,
    among: Collection[str] | None = None,
    outside: Collection[str] | None = None,
    new: bool = False,
    window: AlertWindow | None = None,
) -> int:
    """How many alerts :func:`list_alerts` would list with no limit (a queue's total)."""
    sql, params, views = _selection(
        dataset, scenario, subject_id, typology, among, outside, new, False, window or AlertWindow()
    )
    return int(_fetch(conn, f"SELECT count(*) FROM ({sql})", params, views)[0][0])


def _selection(
    dataset: str | None,
    scenario: str | None,
    subject_id: str | None,
    typology: str | None,
    among: Collection[str] | None,
    outside: Collection[str] | None,
    new: bool,
    retired: bool,
    window: AlertWindow,
) -> tuple[str, list[Any], dict[str, pa.Table]]:
    """The SELECT of the alerts these filters keep, its parameters, and the id tables it
    joins (registered by :func:`_fetch`)."""
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
    # a semi- or anti-join on the ids as a table (list_contains would search a list per row;
    # an Arrow table is handed over without converting each id to a DuckDB value)
    views: dict[str, pa.Table] = {}
    for name, ids, test in (("among_ids", among, "IN"), ("outside_ids", outside, "NOT IN")):
        if ids is not None:
            views[name] = pa.table({"alert_id": pa.array(list(ids), pa.string())})
            where.append(f"alert_id {test} (SELECT alert_id FROM {name})")
    if new:
        where.append("created_at = seen_at")
    window.filter(where, params)
    sql = _RETIRED if retired else f"SELECT {_COLUMNS}, NULL AS retired_at FROM alerts"
    if where:
        sql += f" WHERE {' AND '.join(where)}"
    return sql, params, views


def _fetch(
    conn: duckdb.DuckDBPyConnection, sql: str, params: list[Any], views: dict[str, pa.Table]
) -> list[tuple[Any, ...]]:
    # a cursor of its own: the ids' tables are registered on it alone, whatever the caller's
    # connection has under way
    with conn.cursor() as cursor:
        for name, table in views.items():
            cursor.register(name, table)
        return cursor.execute(sql, params).fetchall()


@dataclass(frozen=True)
class AlertWindow:
    """A page of alerts as a queue shows it: those scoring ``min_score`` or more whose activity
    (first to last transaction) overlaps ``[active_from, active_until)``, by score or by last
    activity, ``offset`` rows in; :func:`count_alerts` gives the total. The page and its total
    come from the database, not from every alert loaded into memory."""

    min_score: float | None = None
    active_from: datetime | None = None
    active_until: datetime | None = None
    by_date: bool = False
    ascending: bool = False
    offset: int = 0

    def filter(self, where: list[str], params: list[Any]) -> None:
        if self.min_score is not None:
            where.append("score >= ?")
            params.append(self.min_score)
        if self.active_from is not None:
            where.append("coalesce(last_ts, first_ts) >= ?")
            params.append(self.active_from)
        if self.active_until is not None:
            where.append("coalesce(first_ts, last_ts) < ?")
            params.append(self.active_until)

    def order_by(self) -> str:
        if not self.by_date and not self.ascending:
            return " ORDER BY score DESC, alert_id"  # the queue's own order
        direction = "ASC" if self.ascending else "DESC"
        key = "last_ts" if self.by_date else "score"
        nulls = " NULLS LAST" if self.by_date else ""
        return f" ORDER BY {key} {direction}{nulls}, alert_id {direction}"


def get_alerts(conn: duckdb.DuckDBPyConnection, ids: Collection[str]) -> dict[str, Alert]:
    """These alerts by id, current or retired (the ids not found are left out)."""
    if not ids:
        return {}
    wanted = sorted(set(ids))
    rows = conn.execute(
        f"SELECT {_COLUMNS}, NULL AS retired_at FROM alerts "
        "WHERE alert_id IN (SELECT unnest(?::VARCHAR[])) "
        f"UNION ALL {_RETIRED} WHERE alert_id IN (SELECT unnest(?::VARCHAR[]))",
        [wanted, wanted],
    ).fetchall()
    return {alert.alert_id: alert for alert in map(_alert, rows)}


def get_alert(conn: duckdb.DuckDBPyConnection, alert: str) -> Alert:
    """One alert, current or retired; unknown is a :class:`NotFoundError`."""
    found = get_alerts(conn, [alert])
    if alert not in found:
        raise NotFoundError(f"no alert {alert!r}")
    return found[alert]


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
        created_at=row[12],
        seen_at=row[13],
        changed_at=row[14],
        changes=json.loads(row[15]) if row[15] else None,
        retired_at=row[16],
    )
