"""Analysts' endpoints: clear a hit as a false positive, list and revoke decisions, reload.

All of them need an ``admin`` key: a payment system's ``screen`` key must not be able to clear
the hits it raises. Each is audited, listing decisions too: the list holds customers' names.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, HTTPException, Path, Query, Request

from counterflow.api.models import (
    DecisionList,
    DecisionRequest,
    ReloadResponse,
    RevokeRequest,
)
from counterflow.api.security import AdminCaller, ServiceDep, audit
from counterflow.cases.decisions import Decision, Status
from counterflow.errors import DataError, NotFoundError
from counterflow.screening import Query as ScreeningQuery

router = APIRouter(tags=["decisions"])


@router.post("/decisions", response_model=Decision, status_code=201)
def clear_hit(
    body: DecisionRequest, request: Request, caller: AdminCaller, svc: ServiceDep
) -> Decision:
    """Record that the query's hit on an entry is a false positive.

    The same query (as screened: spelling case, spacing and value order do not matter) then
    gets that entry back with ``match: false`` and the decision, until a new list edition
    changes the entry.
    """
    try:
        query = ScreeningQuery.from_properties(body.query.schema_, body.query.properties)
    except DataError as exc:
        raise HTTPException(400, f"query: {exc.problem}") from exc
    except ValueError as exc:  # the caller's text, not the server, is the cause: never a 500
        raise HTTPException(400, "query: cannot be screened") from exc
    state = svc.holder.state
    entity = state.screener.entity(body.entity_id)
    if entity is None:
        raise NotFoundError(f"no entity {body.entity_id!r} in the active editions")
    decision = svc.decisions.clear(
        query,
        entity,
        edition=state.edition_labels().get(entity.list_id, ""),
        analyst=body.analyst,
        actor=caller.actor,
        reason=body.reason,
        party=state.screener.party(entity.id),
    )
    audit(request, "decision", caller, decision=decision.to_json())
    return decision


@router.get("/decisions", response_model=DecisionList)
def list_decisions(
    request: Request,
    caller: AdminCaller,
    svc: ServiceDep,
    status: Annotated[Status | None, Query(description="Only decisions in this state.")] = None,
    entity_id: Annotated[str | None, Query(max_length=300)] = None,
) -> DecisionList:
    """Every decision, oldest first."""
    decisions = [
        d
        for d in svc.decisions.all()
        if (status is None or d.status is status)
        and (entity_id is None or entity_id in d.entity_ids)
    ]
    audit(
        request,
        "decisions",
        caller,
        filters={"status": status, "entity_id": entity_id},
        count=len(decisions),
    )
    return DecisionList(decisions=decisions)


@router.post("/decisions/{decision_id}/revoke", response_model=Decision)
def revoke_decision(
    decision_id: Annotated[str, Path(max_length=64)],
    body: RevokeRequest,
    request: Request,
    caller: AdminCaller,
    svc: ServiceDep,
) -> Decision:
    """Withdraw a decision: the hit is raised again from now on."""
    decision = svc.decisions.revoke(
        decision_id, analyst=body.analyst, actor=caller.actor, reason=body.reason
    )
    audit(
        request,
        "revoke",
        caller,
        decision_id=decision_id,
        analyst=body.analyst,
        reason=body.reason,
    )
    return decision


@router.post("/admin/reload", response_model=ReloadResponse, tags=["system"])
def reload_lists(request: Request, caller: AdminCaller, svc: ServiceDep) -> ReloadResponse:
    """Pick up new list editions now rather than at the next poll."""
    reloaded = svc.holder.reload()
    editions = svc.holder.state.edition_labels()
    audit(request, "reload", caller, reloaded=reloaded, editions=editions)
    return ReloadResponse(reloaded=reloaded, editions=editions)
