"""Cases over HTTP: open, list, read and work cases, propose and decide under the four-eyes rule.

Every call needs an ``analyst`` key or above; approving, returning and reopening need a
``reviewer``. A change is made *as a user of the case store*: a user key
(``counterflow keys create --user NAME``) acts as its user, and the library's rules hold for
them (roles, the four-eyes rule); a service key, which is nobody, may read cases but not work
them (403).

A case's ``ETag`` is its version (``"7"``). A write may send it back as ``If-Match``: if the
case changed since, the answer is 409 with the current version in its ``ETag`` and nothing is
changed. A transition the case's status does not allow is 409 naming the status; an unknown
case, user, alert or party is 404 naming it. Each answered call is in the audit trail with the
case's id and what was done (the guard records refusals and errors).
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable
from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Header, Path, Query, Request, Response
from fastapi.responses import HTMLResponse
from starlette.responses import Response as StarletteResponse

from counterflow.api.keys import Principal
from counterflow.api.models import (
    ApproveRequest,
    AssignRequest,
    CaseDetail,
    CaseEvidenceRequest,
    CaseList,
    CaseOpenRequest,
    CaseOut,
    CommentRequest,
    EventOut,
    ProposeRequest,
    ReasonRequest,
)
from counterflow.api.problems import cite, error_response, problem, public_message
from counterflow.api.security import AnalystCaller, ReviewerCaller, ServiceDep, audit
from counterflow.api.state import Service
from counterflow.cases import AuditLog, lifecycle
from counterflow.cases.db import CaseStore, as_utc
from counterflow.cases.hits import expand_hits, record_escalations
from counterflow.cases.lifecycle import Case
from counterflow.errors import (
    ConfigError,
    ConflictError,
    CounterflowError,
    PermissionDeniedError,
)

log = logging.getLogger("counterflow.api")
router = APIRouter(tags=["cases"])

#: the most cases one ``GET /cases`` answers with
MAX_CASES = 1000

CaseId = Annotated[str, Path(max_length=40, examples=["C-000001"])]
IfMatch = Annotated[
    str | None,
    Header(
        alias="If-Match",
        max_length=40,
        description='The case\'s ETag as read ("7"): the write is refused (409) if it changed.',
    ),
]
Status = Literal["new", "investigating", "proposed", "approved", "reported", "closed"]

_lock = threading.Lock()


class _Stores:
    """The case store as this app uses it: one reading open (a SQLite reader takes no write
    lock) once the store exists, and one writing open from the first write on, each kept for
    the app's life (SQLAlchemy engines are thread-safe)."""

    def __init__(self, svc: Service) -> None:
        self.svc = svc
        self.writer: CaseStore | None = None
        self.reader: CaseStore | None = None

    def read(self) -> CaseStore:
        if self.reader is not None:
            return self.reader
        store = CaseStore.open(self.svc.settings, write=False)
        if not store.empty:
            with _lock:
                self.reader = self.reader or store
        return store

    def write(self) -> CaseStore:
        if self.writer is None:
            with _lock:
                if self.writer is None:
                    self.writer = CaseStore.open(self.svc.settings, write=True)
        return self.writer


def case_stores(request: Request, svc: Service) -> _Stores:
    state = request.app.state
    found = getattr(state, "case_stores", None)
    if not isinstance(found, _Stores):
        with _lock:
            found = getattr(state, "case_stores", None)
            if not isinstance(found, _Stores):
                found = _Stores(svc)
                state.case_stores = found
    return found


def user_of(caller: Principal) -> str:
    """The user a caller works cases as; a service key (or open mode) is nobody."""
    if caller.user is None:
        raise PermissionDeniedError(
            f"cases are worked by people: the API key {caller.key_id} is a service key and "
            "acts as no user; use a user key (counterflow keys create --user NAME)"
        )
    return caller.user


def _expected(if_match: str | None) -> int | None:
    """The version an ``If-Match`` header names (``"7"``, ``W/"7"`` or ``7``); ``*`` or none:
    any version."""
    if if_match is None or if_match.strip() == "*":
        return None
    text = if_match.strip().removeprefix("W/").strip().strip('"')
    if not text.isascii() or not text.isdigit() or len(text) > 18:
        raise ConfigError('If-Match must be a case\'s ETag as read (a version in quotes: "7")')
    return int(text)


def _iso(value: datetime) -> str:
    return as_utc(value).isoformat(timespec="microseconds").replace("+00:00", "Z")


def _etag(version: int) -> str:
    return f'"{version}"'


def _out(case: Case) -> CaseOut:
    return CaseOut(**case.to_json(), overdue=case.overdue())


def _answer(response: Response, case: Case) -> CaseOut:
    response.headers["ETag"] = _etag(case.version)
    return _out(case)


def _write(
    request: Request,
    response: Response,
    svc: ServiceDep,
    caller: Principal,
    case_id: str,
    action: str,
    change: Callable[[CaseStore, str], Case],
    **details: object,
) -> CaseOut | StarletteResponse:
    """Make ``change`` as the caller's user, audit it, and answer with the case; a conflict
    is answered with the case's current version in the ``ETag``."""
    user = user_of(caller)
    store = case_stores(request, svc).write()
    try:
        case = change(store, user)
    except ConflictError as exc:
        headers: dict[str, str] = {}
        try:
            current = lifecycle.get_case(store, case_id).case
            headers["ETag"] = _etag(current.version)
        except CounterflowError:
            pass
        return error_response(request, exc.status, public_message(exc), headers or None)
    audit(request, f"case {action}", caller, case=case.id, status=case.status, **details)
    return _answer(response, case)


# ---------------------------------------------------------------------------- reading


@router.get("/cases", response_model=CaseList)
def list_cases(
    request: Request,
    caller: AnalystCaller,
    svc: ServiceDep,
    status: Annotated[Status | None, Query(description="Only cases in this status.")] = None,
    assignee: Annotated[
        str | None, Query(max_length=64, description="Only this user's cases.")
    ] = None,
    overdue: Annotated[
        bool, Query(description="Only cases past their due date and not finished.")
    ] = False,
    limit: Annotated[int, Query(ge=1, le=MAX_CASES)] = 100,
    offset: Annotated[int, Query(ge=0, le=10**9)] = 0,
) -> CaseList:
    """Cases, earliest due first, a page at a time (``more``: another page follows)."""
    cases = lifecycle.list_cases(
        case_stores(request, svc).read(),
        status=status,
        assignee=assignee,
        overdue=overdue,
        limit=limit + 1,  # one more than asked: whether another page follows
        offset=offset,
    )
    more = len(cases) > limit
    cases = cases[:limit]
    audit(
        request,
        "cases",
        caller,
        filters={"status": status, "assignee": assignee, "overdue": overdue},
        count=len(cases),
        offset=offset,
    )
    return CaseList(cases=[_out(c) for c in cases], limit=limit, offset=offset, more=more)


@router.get("/cases/{case_id}", response_model=CaseDetail)
def get_case(
    case_id: CaseId, request: Request, caller: AnalystCaller, svc: ServiceDep
) -> StarletteResponse:
    """The case, its frozen evidence (in the order added) and its history; ``ETag`` is its
    version. Each evidence item's ``data`` is its frozen canonical JSON, sent as stored."""
    view = lifecycle.get_case(case_stores(request, svc).read(), case_id)
    audit(request, "case read", caller, case=view.case.id)
    return StarletteResponse(
        _detail_json(view),
        media_type="application/json",
        headers={"ETag": _etag(view.case.version)},
    )


def _detail_json(view: lifecycle.CaseView) -> bytes:
    """A :class:`CaseDetail` as JSON, the frozen evidence bodies spliced in as they are
    (canonical JSON already: parsing and writing them again costs most of the answer's
    time, and could only change them)."""
    head = _out(view.case).model_dump(mode="json")
    evidence = []
    for e in view.evidence:
        meta = json.dumps(
            {
                "seq": e.seq,
                "kind": e.kind,
                "key": e.key,
                "dataset": e.dataset,
                "content_hash": e.content_hash,
                "added": _iso(e.added),
                "added_by": e.added_by,
            },
            ensure_ascii=False,
        )
        evidence.append(f'{meta[:-1]}, "data": {e.body}}}')
    events = [
        EventOut(
            seq=e.seq,
            time=_iso(e.time),
            actor=e.actor,
            kind=e.kind,
            payload=e.payload,
            prev=e.prev,
            hash=e.hash,
        ).model_dump(mode="json")
        for e in view.events
    ]
    text = (
        f"{json.dumps(head, ensure_ascii=False)[:-1]}, "
        f'"evidence": [{", ".join(evidence)}], '
        f'"events": {json.dumps(events, ensure_ascii=False)}}}'
    )
    return text.encode("utf-8")


# ---------------------------------------------------------------------------- opening


@router.post("/cases", response_model=CaseOut, status_code=201)
def open_case(
    body: CaseOpenRequest,
    request: Request,
    response: Response,
    caller: AnalystCaller,
    svc: ServiceDep,
) -> CaseOut:
    """Open a case from alerts, parties (of ``dataset``) and screening hits, freezing their
    evidence as the workspace has it now; with none, a manual case.

    A hit is given as it is (a ``/match`` result or a batch result row), or as
    ``{"audit": REQUEST_ID, "entity_id": ID}``: the hit on that entry in the audited ``/match``
    answer ``REQUEST_ID`` (its ``X-Request-Id``), rebuilt from the audit trail. Each hit whose
    query is known gets an ``escalated`` decision naming the case."""
    user = user_of(caller)
    hits = expand_hits(_trail(svc), body.hits)
    case = lifecycle.open_case(
        case_stores(request, svc).write(),
        svc.workspace,
        user,
        title=body.title,
        alerts=body.alerts,
        parties=body.parties,
        hits=hits,
        priority=body.priority,
        dataset=body.dataset,
    )
    escalated = record_escalations(
        svc.workspace, svc.decisions, hits, case.id, analyst=user, actor=caller.actor
    )
    audit(
        request,
        "case open",
        caller,
        case=case.id,
        status=case.status,
        alerts=body.alerts,
        parties=body.parties,
        hits=len(hits),
        escalated=[d.decision_id for d in escalated],
    )
    # under the prefix a proxy serves the app at, if any
    response.headers["Location"] = f"{request.scope.get('root_path', '')}/cases/{case.id}"
    return _answer(response, case)


@router.post("/cases/{case_id}/evidence", response_model=CaseOut)
def add_evidence(
    case_id: CaseId,
    body: CaseEvidenceRequest,
    request: Request,
    response: Response,
    caller: AnalystCaller,
    svc: ServiceDep,
    if_match: IfMatch = None,
) -> CaseOut | StarletteResponse:
    """Freeze more evidence into a case being worked (items it has keep their first form);
    hits as for ``POST /cases``, audited answers' included."""
    expected = _expected(if_match)
    hits = expand_hits(_trail(svc), body.hits)
    answer = _write(
        request,
        response,
        svc,
        caller,
        case_id,
        "evidence",
        lambda store, user: lifecycle.add_evidence(
            store,
            svc.workspace,
            case_id,
            user,
            alerts=body.alerts,
            parties=body.parties,
            hits=hits,
            dataset=body.dataset,
            expected_version=expected,
        ),
        alerts=body.alerts,
        parties=body.parties,
        hits=len(hits),
    )
    if isinstance(answer, CaseOut) and caller.user is not None:
        record_escalations(
            svc.workspace, svc.decisions, hits, answer.id, analyst=caller.user, actor=caller.actor
        )
    return answer


def _trail(svc: Service) -> AuditLog:
    """The audit trail the service writes (read even when ``--no-audit`` writes none)."""
    return svc.audit if svc.audit is not None else AuditLog.for_home(svc.workspace.home)


# ---------------------------------------------------------------------------- working


@router.post("/cases/{case_id}/assign", response_model=CaseOut)
def assign(
    case_id: CaseId,
    body: AssignRequest,
    request: Request,
    response: Response,
    caller: AnalystCaller,
    svc: ServiceDep,
    if_match: IfMatch = None,
) -> CaseOut | StarletteResponse:
    """Give the case to a user; a new case starts being investigated."""
    expected = _expected(if_match)
    return _write(
        request,
        response,
        svc,
        caller,
        case_id,
        "assign",
        lambda store, user: lifecycle.assign(
            store, case_id, user, body.user, expected_version=expected
        ),
        assignee=body.user,
    )


@router.post("/cases/{case_id}/comments", response_model=CaseOut)
def comment(
    case_id: CaseId,
    body: CommentRequest,
    request: Request,
    response: Response,
    caller: AnalystCaller,
    svc: ServiceDep,
    if_match: IfMatch = None,
) -> CaseOut | StarletteResponse:
    """Add a comment to the case's history."""
    expected = _expected(if_match)
    return _write(
        request,
        response,
        svc,
        caller,
        case_id,
        "comment",
        lambda store, user: lifecycle.comment(
            store, case_id, user, body.text, expected_version=expected
        ),
    )


@router.post("/cases/{case_id}/propose", response_model=CaseOut)
def propose(
    case_id: CaseId,
    body: ProposeRequest,
    request: Request,
    response: Response,
    caller: AnalystCaller,
    svc: ServiceDep,
    if_match: IfMatch = None,
) -> CaseOut | StarletteResponse:
    """Propose ``report`` or ``no-report``, with the reason, for a reviewer to approve."""
    expected = _expected(if_match)
    return _write(
        request,
        response,
        svc,
        caller,
        case_id,
        "propose",
        lambda store, user: lifecycle.propose(
            store, case_id, user, body.decision, body.reason, expected_version=expected
        ),
        decision=body.decision,
    )


# ---------------------------------------------------------------------------- deciding


@router.post("/cases/{case_id}/approve", response_model=CaseOut)
def approve(
    case_id: CaseId,
    body: ApproveRequest,
    request: Request,
    response: Response,
    caller: ReviewerCaller,
    svc: ServiceDep,
    if_match: IfMatch = None,
) -> CaseOut | StarletteResponse:
    """Approve the proposal: refused (403, naming the four-eyes rule) to its proposer and to
    anyone who was the case's assignee."""
    expected = _expected(if_match)
    return _write(
        request,
        response,
        svc,
        caller,
        case_id,
        "approve",
        lambda store, user: lifecycle.approve(
            store, case_id, user, body.comment, expected_version=expected
        ),
    )


@router.post("/cases/{case_id}/return", response_model=CaseOut)
def return_case(
    case_id: CaseId,
    body: ReasonRequest,
    request: Request,
    response: Response,
    caller: ReviewerCaller,
    svc: ServiceDep,
    if_match: IfMatch = None,
) -> CaseOut | StarletteResponse:
    """Send a proposal back to be investigated further, saying why."""
    expected = _expected(if_match)
    return _write(
        request,
        response,
        svc,
        caller,
        case_id,
        "return",
        lambda store, user: lifecycle.return_case(
            store, case_id, user, body.reason, expected_version=expected
        ),
    )


@router.post("/cases/{case_id}/reopen", response_model=CaseOut)
def reopen(
    case_id: CaseId,
    body: ReasonRequest,
    request: Request,
    response: Response,
    caller: ReviewerCaller,
    svc: ServiceDep,
    if_match: IfMatch = None,
) -> CaseOut | StarletteResponse:
    """Reopen a closed case for investigation, saying why."""
    expected = _expected(if_match)
    return _write(
        request,
        response,
        svc,
        caller,
        case_id,
        "reopen",
        lambda store, user: lifecycle.reopen(
            store, case_id, user, body.reason, expected_version=expected
        ),
    )


# ---------------------------------------------------------------------------- reporting


@router.get(
    "/cases/{case_id}/report",
    response_class=HTMLResponse,
    responses={200: {"content": {"text/html": {}}, "description": "The case report page."}},
)
def case_report(
    case_id: CaseId, request: Request, caller: AnalystCaller, svc: ServiceDep
) -> HTMLResponse:
    """The printable case report: one self-contained HTML page (inline CSS and SVG, no script,
    nothing fetched) with the case's summary, decision trail, history verification, frozen
    evidence and money flows. ``ETag`` is the case's version."""
    from counterflow.reporting.case_report import render_case_report
    from counterflow.reporting.from_case import base_currency

    store = case_stores(request, svc).read()
    view = lifecycle.get_case(store, case_id)
    check = lifecycle.verify_history(store, view.case.id)
    currency, _ = base_currency(svc.workspace, view)
    html = render_case_report(view, check, base_currency=currency)
    audit(request, "case report", caller, case=view.case.id, intact=check.ok)
    return HTMLResponse(
        html,
        headers={
            "ETag": _etag(view.case.version),
            "Cache-Control": "no-store",
            # the page needs nothing from anywhere: a browser is told to fetch nothing
            "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; "
            "img-src data:; frame-ancestors 'none'",
            "Content-Disposition": f'inline; filename="{view.case.id}.html"',
        },
    )


#: what the service says when it was started without an FIU profile
NO_FIU_PROFILE = (
    "the server has no FIU profile: start it with --fiu-profile or COUNTERFLOW_FIU_PROFILE"
)


@router.get(
    "/cases/{case_id}/goaml",
    response_class=StarletteResponse,
    responses={
        200: {"content": {"application/xml": {}}, "description": "The goAML report."},
        409: {"description": "The case's report decision is not approved."},
        422: {"description": "The report cannot be made: every problem, listed."},
        503: {"description": "The server has no usable FIU profile."},
    },
)
def case_goaml(
    case_id: CaseId, request: Request, caller: AnalystCaller, svc: ServiceDep
) -> StarletteResponse:
    """The goAML XML of a case whose ``report`` decision was approved (409 naming the status
    otherwise), under the FIU profile the server was started with, validated against the
    profile's XSD; 422 listing every problem when the case's evidence cannot make a valid
    report. Nothing in the case changes (the filing is recorded as a case step)."""
    from counterflow.reporting import build_report, load_profile, report_from_case
    from counterflow.reporting.from_case import base_currency
    from counterflow.reporting.goaml import ReportProblems

    view = lifecycle.get_case(case_stores(request, svc).read(), case_id)
    path = svc.settings.fiu_profile
    if path is None:
        return error_response(request, 503, NO_FIU_PROFILE)
    try:
        profile = load_profile(path)
    except CounterflowError as exc:  # names the server's files: for the log only
        log.error("the FIU profile %s cannot be used: %s", path, exc)
        return error_response(
            request, 503, "the server's FIU profile cannot be used; the service log says why"
        )
    currency, _ = base_currency(svc.workspace, view)
    try:
        report = report_from_case(view, profile, base_currency=currency)
        xml = build_report(report, profile)
    except ReportProblems as exc:
        return error_response(
            request,
            422,
            [
                problem(("case", view.case.id), exc.headline, "goaml_report"),
                *cite(
                    [
                        {"loc": ("case", view.case.id), "msg": p, "type": "goaml"}
                        for p in exc.problems
                    ]
                ),
            ],
        )
    audit(
        request,
        "case goaml",
        caller,
        case=view.case.id,
        transactions=len(report.transactions),
        bytes=len(xml),
    )
    return StarletteResponse(
        xml,
        media_type="application/xml",
        headers={
            "Cache-Control": "no-store",
            "Content-Disposition": f'attachment; filename="goaml-{view.case.id}.xml"',
        },
    )
