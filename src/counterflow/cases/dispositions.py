"""What became of each alert: open, in a case, or dismissed (why, by whom), across re-runs.

The alerts live in the workspace (``monitor`` writes them); what analysts decided about them
lives in the case store, next to the cases. An alert's disposition joins the two:

- **in case C** when it is evidence in a case (whatever else was decided about it);
- **dismissed** when an analyst dismissed it with a reason and its transactions are the ones
  they dismissed;
- **open** otherwise: never decided on, reopened, or dismissed but *changed since*: a run that
  added or removed transactions brings it back, saying what changed. A dismissal is a
  judgement on the activity, so a score moved by a retuned threshold alone leaves it dismissed.

Dismissals are append-only rows (``alert_dispositions``): dismissing again, or reopening, adds a
row, and the latest one stands, so who decided what, and when, is never lost.
"""

from __future__ import annotations

import json
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

import duckdb
import sqlalchemy as sa
from sqlalchemy.orm import Session

from counterflow.cases.alerts import (
    Alert,
    AlertWindow,
    compare,
    count_alerts,
    get_alert,
    get_alerts,
    list_alerts,
)
from counterflow.cases.db import (
    AlertDispositionRow,
    CaseEvidenceRow,
    CaseStore,
    as_utc,
    utcnow,
)
from counterflow.cases.lifecycle import MAX_TEXT, checked_text, format_case_id
from counterflow.cases.policy import Action
from counterflow.cases.users import UserRow, acting_row
from counterflow.errors import ConfigError, ConflictError
from counterflow.settings import Settings
from counterflow.workspace import Workspace

Status = Literal["open", "in-case", "dismissed"]
STATUSES: tuple[Status, ...] = ("open", "in-case", "dismissed")


@dataclass(frozen=True)
class Dismissal:
    """A standing dismissal: who, when, why, and the alert as they saw it."""

    by: str
    at: datetime
    reason: str
    tx_ids: list[str]
    score: float

    def to_json(self) -> dict[str, Any]:
        return {
            "by": self.by,
            "at": as_utc(self.at).isoformat(timespec="seconds").replace("+00:00", "Z"),
            "reason": self.reason,
            "transactions": len(self.tx_ids),
            "score": round(self.score, 4),
        }


@dataclass(frozen=True)
class Disposition:
    """An alert's disposition: its status, the cases it is evidence in, its standing
    dismissal, and how it changed since that dismissal (when it did, the alert is open)."""

    status: Status
    cases: list[str] = field(default_factory=list)
    dismissal: Dismissal | None = None
    changed_since_dismissal: dict[str, Any] | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "status": self.status,
            "cases": self.cases,
            "dismissal": self.dismissal.to_json() if self.dismissal else None,
            "changed_since_dismissal": self.changed_since_dismissal,
        }


def disposition_of(
    alert: Alert, cases: Mapping[str, list[str]], dismissed: Mapping[str, Dismissal]
) -> Disposition:
    """The disposition of ``alert`` given the alerts' cases and standing dismissals."""
    in_cases = list(cases.get(alert.alert_id, []))
    dismissal = dismissed.get(alert.alert_id)
    changed = _activity_changed(dismissal, alert) if dismissal else None
    if in_cases:
        status: Status = "in-case"
    elif dismissal is not None and changed is None:
        status = "dismissed"
    else:
        status = "open"
    return Disposition(status, in_cases, dismissal, changed)


def alert_cases(store: CaseStore, ids: Collection[str] | None = None) -> dict[str, list[str]]:
    """Each alert that is evidence in a case (of ``ids``, or all), with those cases' ids."""
    if store.empty:
        return {}
    with store.session() as session:
        return _alert_cases(session, ids)


def dismissals(store: CaseStore, ids: Collection[str] | None = None) -> dict[str, Dismissal]:
    """The standing dismissals (of ``ids``, or all): alerts whose latest disposition row is a
    dismissal."""
    if store.empty:
        return {}
    with store.session() as session:
        return _dismissals(session, ids)


def _alert_cases(session: Session, ids: Collection[str] | None) -> dict[str, list[str]]:
    query = (
        sa.select(CaseEvidenceRow.key, CaseEvidenceRow.case_id)
        .where(CaseEvidenceRow.kind == "alert")
        .order_by(CaseEvidenceRow.case_id)
    )
    if ids is not None:
        query = query.where(CaseEvidenceRow.key.in_(sorted(set(ids))))
    linked: dict[str, list[str]] = {}
    for key, case in session.execute(query):
        linked.setdefault(key, []).append(format_case_id(case))
    return linked


def _dismissals(session: Session, ids: Collection[str] | None) -> dict[str, Dismissal]:
    latest = sa.select(sa.func.max(AlertDispositionRow.id)).group_by(AlertDispositionRow.alert_id)
    if ids is not None:
        latest = latest.where(AlertDispositionRow.alert_id.in_(sorted(set(ids))))
    query = (
        sa.select(AlertDispositionRow, UserRow.name)
        .join(UserRow, UserRow.id == AlertDispositionRow.user_id)
        .where(AlertDispositionRow.id.in_(latest), AlertDispositionRow.action == "dismiss")
    )
    return {
        row.alert_id: Dismissal(
            by=name,
            at=as_utc(row.at),
            reason=row.reason,
            tx_ids=list(json.loads(row.tx_ids)),
            score=row.score,
        )
        for row, name in session.execute(query)
    }


def referenced_alerts(settings: Settings) -> set[str]:
    """The alerts a case or a disposition refers to, which ``monitor`` must never delete."""
    with CaseStore.open(settings, write=False) as store:
        if store.empty:
            return set()
        with store.session() as session:
            decided = set(session.scalars(sa.select(AlertDispositionRow.alert_id).distinct()))
        return _alerts_in_cases(store) | decided


def list_with_dispositions(
    store: CaseStore,
    conn: duckdb.DuckDBPyConnection,
    dataset: str | None,
    *,
    status: Status | None = None,
    new: bool = False,
    scenario: str | None = None,
    subject_id: str | None = None,
    typology: str | None = None,
    limit: int | None = None,
    window: AlertWindow | None = None,
) -> list[tuple[Alert, Disposition]]:
    """The current alerts (of ``dataset``, or all), highest score first, each with its
    disposition; ``status`` keeps those in that status, ``new`` those raised for the first
    time by their scenario's last run; ``window``: one page, filtered and ordered
    (:class:`~counterflow.cases.alerts.AlertWindow`; :func:`count_with_dispositions` gives
    its total)."""
    among, outside = _of_status(store, conn, status)
    found = list_alerts(
        conn,
        dataset,
        scenario=scenario,
        subject_id=subject_id,
        typology=typology,
        among=among,
        outside=outside,
        new=new,
        limit=limit,
        window=window,
    )
    ids = [alert.alert_id for alert in found]
    cases, dismissed = alert_cases(store, ids), dismissals(store, ids)
    return [(alert, disposition_of(alert, cases, dismissed)) for alert in found]


def count_with_dispositions(
    store: CaseStore,
    conn: duckdb.DuckDBPyConnection,
    dataset: str | None,
    *,
    status: Status | None = None,
    typology: str | None = None,
    window: AlertWindow | None = None,
) -> int:
    """How many alerts :func:`list_with_dispositions` would list with no limit."""
    among, outside = _of_status(store, conn, status)
    return count_alerts(
        conn, dataset, typology=typology, among=among, outside=outside, window=window
    )


def _of_status(
    store: CaseStore, conn: duckdb.DuckDBPyConnection, status: Status | None
) -> tuple[set[str] | None, set[str] | None]:
    """The alert ids a status keeps (``among``) or drops (``outside``); None: no filter."""
    if status is not None and status not in STATUSES:
        raise ConfigError(f"no alert status {status!r}: the statuses are {', '.join(STATUSES)}")
    if status is None:
        return None, None
    # the whole sets are needed to filter; the page's own dispositions are read after
    in_cases = _alerts_in_cases(store)
    standing = _standing(conn, dismissals(store))
    if status == "in-case":
        return in_cases, None
    if status == "dismissed":
        return standing - in_cases, None
    return None, in_cases | standing


def closed_alerts(store: CaseStore, conn: duckdb.DuckDBPyConnection) -> set[str]:
    """The ids of the alerts that are not open: evidence in a case, or dismissed and unchanged
    since (the complement of ``status="open"``, for summaries over every alert)."""
    return _alerts_in_cases(store) | _standing(conn, dismissals(store))


def _alerts_in_cases(store: CaseStore) -> set[str]:
    """The ids of the alerts that are evidence in some case."""
    if store.empty:
        return set()
    with store.session() as session:
        # straight from the driver: SQLAlchemy's row handling costs more than the query
        # for 100,000 keys (the SQL is constant, no parameter, the same on every dialect)
        cursor = session.connection().connection.cursor()
        try:
            cursor.execute("SELECT DISTINCT key FROM case_evidence WHERE kind = 'alert'")
            return {row[0] for row in cursor.fetchall()}
        finally:
            cursor.close()


def alert_with_disposition(
    store: CaseStore, conn: duckdb.DuckDBPyConnection, alert_id: str
) -> tuple[Alert, Disposition]:
    """One alert (current or retired) and its disposition; unknown is a NotFoundError."""
    return _with_disposition(store, get_alert(conn, alert_id))


def _with_disposition(store: CaseStore, alert: Alert) -> tuple[Alert, Disposition]:
    cases = alert_cases(store, [alert.alert_id])
    return alert, disposition_of(alert, cases, dismissals(store, [alert.alert_id]))


def dismiss(
    store: CaseStore, workspace: Workspace, alert_id: str, actor: str, reason: str
) -> tuple[Alert, Disposition]:
    """Dismiss an alert (it was looked at and is not suspicious), with the reason, as
    ``actor``. Refused (409) for an alert that is evidence in a case (decide it there) or is
    dismissed already and unchanged since."""
    return _decide(store, workspace, alert_id, actor, "dismiss", reason)


def reopen_alert(
    store: CaseStore, workspace: Workspace, alert_id: str, actor: str, reason: str
) -> tuple[Alert, Disposition]:
    """Take a dismissal back (the alert is open again), with the reason, as ``actor``.
    Refused (409) for an alert that is not dismissed."""
    return _decide(store, workspace, alert_id, actor, "reopen", reason)


def _decide(
    store: CaseStore,
    workspace: Workspace,
    alert_id: str,
    actor: str,
    action: Literal["dismiss", "reopen"],
    reason: str,
) -> tuple[Alert, Disposition]:
    reason = checked_text(reason, f"the reason to {action} an alert", MAX_TEXT)
    with workspace.connect(read_only=True) as conn:
        alert = get_alert(conn, alert_id)
    with store.session() as session:
        user = acting_row(store, session, actor, Action.DISMISS)
        ids = [alert.alert_id]
        current = disposition_of(alert, _alert_cases(session, ids), _dismissals(session, ids))
        if action == "dismiss" and current.status == "in-case":
            raise ConflictError(
                f"alert {alert_id} is evidence in case {', '.join(current.cases)}: "
                "decide it in the case"
            )
        if action == "dismiss" and current.status == "dismissed":
            assert current.dismissal is not None
            raise ConflictError(
                f"alert {alert_id} is dismissed already (by {current.dismissal.by}, "
                f"{current.dismissal.at:%Y-%m-%d %H:%M} UTC), and unchanged since"
            )
        if action == "reopen" and current.dismissal is None:
            raise ConflictError(f"alert {alert_id} is {current.status}, not dismissed")
        session.add(
            AlertDispositionRow(
                alert_id=alert.alert_id,
                dataset=alert.dataset,
                action=action,
                reason=reason,
                user_id=user.id,
                at=utcnow(),
                tx_ids=json.dumps(sorted(alert.tx_ids), ensure_ascii=False),
                score=alert.score,
            )
        )
    return _with_disposition(store, alert)


def _standing(conn: duckdb.DuckDBPyConnection, dismissed: Mapping[str, Dismissal]) -> set[str]:
    """The dismissed alerts whose transactions are still the ones dismissed."""
    current = get_alerts(conn, dismissed)
    return {
        key
        for key, alert in current.items()
        if alert.retired_at is None and _activity_changed(dismissed[key], alert) is None
    }


def _activity_changed(dismissal: Dismissal, alert: Alert) -> dict[str, Any] | None:
    """How the alert's transactions changed since the dismissal (None: they did not); the
    score's move is told along, but alone it changes nothing."""
    changes = compare(dismissal.tx_ids, dismissal.score, alert.tx_ids, alert.score)
    if not changes or not ({"added", "removed"} & set(changes)):
        return None
    return changes
