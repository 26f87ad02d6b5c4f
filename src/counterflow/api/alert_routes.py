"""Alerts over HTTP: list them with their disposition, and dismiss them.

Every call needs an ``analyst`` key or above. An alert's disposition lives in the case store
(the cases it is evidence in, its dismissal); the alert itself in the workspace, so the two are
joined here, per request.
"""

from __future__ import annotations

from typing import Annotated, Literal

import sqlalchemy as sa
from fastapi import APIRouter, Query, Request

from counterflow.api.case_routes import case_stores
from counterflow.api.models import AlertList, AlertOut
from counterflow.api.security import AnalystCaller, ServiceDep, audit
from counterflow.cases.alerts import list_alerts as list_stored_alerts
from counterflow.cases.db import CaseEvidenceRow, CaseStore
from counterflow.cases.evidence import plain
from counterflow.cases.lifecycle import format_case_id
from counterflow.transactions.store import get_dataset

router = APIRouter(tags=["alerts"])

#: the most alerts one ``GET /alerts`` answers with
MAX_ALERTS = 1000


@router.get("/alerts", response_model=AlertList)
def list_alerts(
    request: Request,
    caller: AnalystCaller,
    svc: ServiceDep,
    status: Annotated[
        Literal["open", "in-case"] | None,
        Query(description="open: in no case yet; in-case: in a case's evidence."),
    ] = None,
    typology: Annotated[str | None, Query(max_length=200)] = None,
    dataset: Annotated[str | None, Query(max_length=200)] = None,
    scenario: Annotated[str | None, Query(max_length=200)] = None,
    party: Annotated[
        str | None, Query(max_length=200, description="Only about this party.")
    ] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_ALERTS)] = 100,
) -> AlertList:
    """The stored alerts (of every dataset, or one), highest score first, each with the cases
    it is evidence in."""
    linked = _alert_cases(case_stores(request, svc).read())
    with svc.workspace.connect(read_only=True) as conn:
        if dataset is not None:
            get_dataset(conn, dataset)  # an unknown dataset is 404, not an empty list
        found = list_stored_alerts(
            conn,
            dataset,
            scenario=scenario,
            subject_id=party,
            typology=typology,
            among=linked if status == "in-case" else None,
            outside=linked if status == "open" else None,
            limit=limit,
        )
    alerts = [
        AlertOut(
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
            status="in-case" if a.alert_id in linked else "open",
            cases=linked.get(a.alert_id, []),
        )
        for a in found
    ]
    audit(
        request,
        "alerts",
        caller,
        filters={
            "status": status,
            "typology": typology,
            "dataset": dataset,
            "scenario": scenario,
            "party": party,
        },
        count=len(alerts),
    )
    return AlertList(alerts=alerts, limit=limit)


def _alert_cases(store: CaseStore) -> dict[str, list[str]]:
    """Each alert that is evidence in a case, with those cases' ids."""
    if store.empty:
        return {}
    linked: dict[str, list[str]] = {}
    with store.session() as session:
        rows = session.execute(
            sa.select(CaseEvidenceRow.key, CaseEvidenceRow.case_id)
            .where(CaseEvidenceRow.kind == "alert")
            .order_by(CaseEvidenceRow.case_id)
        )
        for key, case in rows:
            linked.setdefault(key, []).append(format_case_id(case))
    return linked
