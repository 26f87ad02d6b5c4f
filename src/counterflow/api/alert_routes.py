"""Alerts over HTTP: list them with what became of each, read one, dismiss and reopen them.

Every call needs an ``analyst`` key or above; dismissing and reopening are done *as a user* (a
user key: ``counterflow keys create --user NAME``), like working a case. An alert's disposition
lives in the case store (the cases it is evidence in, its dismissal) and the alert itself in
the workspace, so the two are joined here, per request
(:mod:`counterflow.cases.dispositions`). Dismissing an alert that is in a case, or that is
dismissed already and unchanged, is 409; an unknown alert 404.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Path, Query, Request

from counterflow.api.case_routes import case_stores, user_of
from counterflow.api.models import AlertList, AlertOut, DismissalOut, ReasonRequest
from counterflow.api.security import AnalystCaller, ServiceDep, audit
from counterflow.cases.alerts import Alert
from counterflow.cases.dispositions import (
    Disposition,
    alert_with_disposition,
    dismiss,
    list_with_dispositions,
    reopen_alert,
)
from counterflow.cases.evidence import plain
from counterflow.transactions.store import get_dataset

router = APIRouter(tags=["alerts"])

#: the most alerts one ``GET /alerts`` answers with
MAX_ALERTS = 1000

AlertId = Annotated[str, Path(max_length=40, examples=["A-d6369c13856e3daf"])]


@router.get("/alerts", response_model=AlertList)
def list_alerts(
    request: Request,
    caller: AnalystCaller,
    svc: ServiceDep,
    status: Annotated[
        Literal["open", "in-case", "dismissed"] | None,
        Query(
            description="open: in no case and not dismissed (or changed since); in-case: in a "
            "case's evidence; dismissed: dismissed, and unchanged since."
        ),
    ] = None,
    new: Annotated[
        bool, Query(description="Only alerts their scenario's last run raised first.")
    ] = False,
    typology: Annotated[str | None, Query(max_length=200)] = None,
    dataset: Annotated[str | None, Query(max_length=200)] = None,
    scenario: Annotated[str | None, Query(max_length=200)] = None,
    party: Annotated[
        str | None, Query(max_length=200, description="Only about this party.")
    ] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_ALERTS)] = 100,
) -> AlertList:
    """The stored alerts (of every dataset, or one), highest score first, each with what
    became of it."""
    store = case_stores(request, svc).read()
    with svc.workspace.connect(read_only=True) as conn:
        if dataset is not None:
            get_dataset(conn, dataset)  # an unknown dataset is 404, not an empty list
        found = list_with_dispositions(
            store,
            conn,
            dataset,
            status=status,
            new=new,
            scenario=scenario,
            subject_id=party,
            typology=typology,
            limit=limit,
        )
    alerts = [alert_out(a, d) for a, d in found]
    audit(
        request,
        "alerts",
        caller,
        filters={
            "status": status,
            "new": new,
            "typology": typology,
            "dataset": dataset,
            "scenario": scenario,
            "party": party,
        },
        count=len(alerts),
    )
    return AlertList(alerts=alerts, limit=limit)


@router.get("/alerts/{alert_id}", response_model=AlertOut)
def read_alert(
    request: Request, caller: AnalystCaller, svc: ServiceDep, alert_id: AlertId
) -> AlertOut:
    """One alert (still raised, or kept after it stopped because a case or a dismissal
    refers to it) with what became of it."""
    store = case_stores(request, svc).read()
    with svc.workspace.connect(read_only=True) as conn:
        alert, disposition = alert_with_disposition(store, conn, alert_id)
    audit(request, "alert", caller, alert=alert.alert_id)
    return alert_out(alert, disposition)


@router.post("/alerts/{alert_id}/dismiss", response_model=AlertOut)
def dismiss_alert(
    request: Request,
    caller: AnalystCaller,
    svc: ServiceDep,
    alert_id: AlertId,
    body: ReasonRequest,
) -> AlertOut:
    """Dismiss an alert outside any case, saying why: it stays dismissed while monitor raises
    it unchanged, and comes back open, saying what changed, when its transactions change."""
    user = user_of(caller)
    store = case_stores(request, svc).write()
    alert, disposition = dismiss(store, svc.workspace, alert_id, user, body.reason)
    audit(request, "alert dismiss", caller, alert=alert.alert_id, status=disposition.status)
    return alert_out(alert, disposition)


@router.post("/alerts/{alert_id}/reopen", response_model=AlertOut)
def reopen_alert_route(
    request: Request,
    caller: AnalystCaller,
    svc: ServiceDep,
    alert_id: AlertId,
    body: ReasonRequest,
) -> AlertOut:
    """Take back an alert's dismissal, saying why: the alert is open again."""
    user = user_of(caller)
    store = case_stores(request, svc).write()
    alert, disposition = reopen_alert(store, svc.workspace, alert_id, user, body.reason)
    audit(request, "alert reopen", caller, alert=alert.alert_id, status=disposition.status)
    return alert_out(alert, disposition)


def alert_out(a: Alert, d: Disposition) -> AlertOut:
    return AlertOut(
        dataset=a.dataset,
        alert_id=a.alert_id,
        scenario=a.scenario,
        typology=a.typology,
        severity=a.severity,
        subject_kind=a.subject_kind,
        subject_id=a.subject_id,
        score=a.score,
        transactions=sorted(a.tx_ids),
        explanation=a.explanation,
        first=plain(a.first_ts),
        last=plain(a.last_ts),
        status=d.status,
        cases=d.cases,
        new=a.new,
        raised_first=_stamp(a.created_at),
        raised_last=_stamp(a.seen_at),
        changed=_stamp(a.changed_at),
        changes=a.changes,
        retired=_stamp(a.retired_at),
        dismissal=DismissalOut(**d.dismissal.to_json()) if d.dismissal else None,
        changed_since_dismissal=d.changed_since_dismissal,
    )


def _stamp(value: datetime | None) -> str | None:
    """A naive UTC time of the workspace as ISO 8601 with its Z."""
    return None if value is None else value.isoformat(timespec="seconds") + "Z"
