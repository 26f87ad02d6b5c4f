"""The UI's cases pages: the queue (mine, my team's open cases, overdue), the case page with its
frozen evidence, its timeline, comments, assignment, and propose / approve / return / reopen
under the four-eyes rule, and the goAML and printable-report downloads.

Every change is a POST form carrying the session's CSRF token, made as the signed-in user
through the same library calls as the JSON API (:mod:`counterflow.api.case_routes`), and
audited as it audits them. The four-eyes rule is the library's
(:func:`counterflow.cases.policy.check_approval`): the page asks it whether to offer the
approve button and says why not, and the approval itself is refused by the library anyway.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Any, Literal
from urllib.parse import urlencode

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from starlette.responses import Response

from counterflow.api.case_routes import NO_FIU_PROFILE, CaseId, case_stores
from counterflow.api.keys import Principal
from counterflow.api.security import audit, call_of, service_of
from counterflow.cases import lifecycle
from counterflow.cases.db import CASE_STATUSES, CaseStore
from counterflow.cases.evidence import EVIDENCE_NOUNS
from counterflow.cases.lifecycle import DECISIONS, FINISHED, Case, CaseView
from counterflow.cases.policy import Role, check_approval, same_user
from counterflow.cases.sessions import same_token
from counterflow.cases.users import list_users
from counterflow.errors import ConfigError, CounterflowError, DataError, PermissionDeniedError
from counterflow.web.paging import page_of
from counterflow.web.render import render
from counterflow.web.session import AnalystViewer, BadFormToken, ReviewerViewer, Viewer

router = APIRouter(prefix="/ui", include_in_schema=False)

#: rows a queue page shows by default, and at most
PAGE_SIZE, MAX_PAGE_SIZE = 50, 200
#: evidence items of one kind the case page lists (the printable report has them all)
MAX_EVIDENCE_ROWS = 200
VIEWS = ("mine", "team", "overdue", "all")
View = Literal["mine", "team", "overdue", "all"]
Status = Literal["new", "investigating", "proposed", "approved", "reported", "closed"]
Sort = Literal["due", "-due"]

#: a form field: optional, so that a form without its CSRF token is refused as such (403)
#: rather than as an incomplete form (422)
FormText = Annotated[str | None, Form(max_length=20_000)]


class ServiceUnavailable(CounterflowError):
    """The server cannot make what was asked (no FIU profile)."""

    status = 503


# ---------------------------------------------------------------------------- helpers


def _checked(viewer: Viewer, csrf: str | None) -> None:
    """The form's CSRF token is the session's (the rule of ``web.session.checked_form``)."""
    if not same_token(viewer.csrf, csrf):
        raise BadFormToken("the form's security token is missing or out of date; reload the page")


def _principal(request: Request) -> Principal | None:
    call = call_of(request.scope)
    return call.principal if call is not None else None


def _version(value: str | None) -> int | None:
    """The case version a form was made from (its changes are refused if the case changed)."""
    if not value:
        return None
    if not value.isascii() or not value.isdigit() or len(value) > 18:
        raise ConfigError("the form's case version is not a number: reload the page")
    return int(value)


def _to_case(case_id: str) -> RedirectResponse:
    return RedirectResponse(f"/ui/cases/{case_id}", status_code=303)


def _queue_url(**params: Any) -> str:
    kept = {k: v for k, v in params.items() if v not in (None, "", False)}
    return "/ui/cases" + ("?" + urlencode(kept) if kept else "")


# ---------------------------------------------------------------------------- the queue


@router.get("/cases", response_class=HTMLResponse)
def queue(
    request: Request,
    viewer: AnalystViewer,
    view: View = "team",
    status: Status | None = None,
    sort: Sort = "due",
    page: Annotated[int, Query(ge=1, le=10**6)] = 1,
    size: Annotated[int, Query(ge=1, le=MAX_PAGE_SIZE)] = PAGE_SIZE,
) -> HTMLResponse:
    """Cases earliest due first (or latest, ``sort=-due``): the viewer's own (``mine``), every
    open one (``team``), the overdue ones, or all; of one status if asked."""
    store = case_stores(request, service_of(request)).read()
    cases = lifecycle.list_cases(
        store,
        status=status,
        assignee=viewer.name if view == "mine" else None,
        overdue=view == "overdue",
    )
    if view in ("mine", "team"):
        cases = [c for c in cases if c.status not in FINISHED]
    if sort == "-due":
        cases.reverse()
    total = len(cases)
    start = (page - 1) * size
    shown = cases[start : start + size]
    params: dict[str, str | None] = {
        "view": view,
        "status": status,
        "sort": None if sort == "due" else sort,
    }
    if size != PAGE_SIZE:
        params["size"] = str(size)
    query = {k: str(v) for k, v in params.items() if v}
    found = page_of("/ui/cases", query, page, size, total)
    return render(
        request,
        "cases.html",
        viewer,
        found=found,
        cases=shown,
        view=view,
        views=VIEWS,
        status_filter=status,
        statuses=CASE_STATUSES,
        sort=sort,
        view_urls={v: _queue_url(view=v, status=status) for v in VIEWS},
        sort_url=_queue_url(view=view, status=status, sort=None if sort == "-due" else "-due"),
        priorities=list(service_of(request).settings.case_sla_days),
    )


@router.post("/cases/open")
def open_from_alert(
    request: Request,
    viewer: AnalystViewer,
    csrf: FormText = None,
    alert_id: FormText = None,
    title: FormText = None,
    priority: FormText = None,
) -> Response:
    """Open a case from one alert, freezing its evidence (as ``POST /cases`` with an alert),
    and go to it."""
    _checked(viewer, csrf)
    alert = (alert_id or "").strip()
    if not alert:
        raise ConfigError("give the id of the alert to open a case from")
    if len(alert) > 64:
        raise ConfigError("an alert id has at most 64 characters")
    svc = service_of(request)
    case = lifecycle.open_case(
        case_stores(request, svc).write(),
        svc.workspace,
        viewer.name,
        title=(title or "").strip() or f"Alert {alert}",
        alerts=[alert],
        priority=(priority or "").strip() or "medium",
    )
    svc_audit(request, "case open", case=case.id, status=case.status, alerts=[alert], hits=0)
    return _to_case(case.id)


def svc_audit(request: Request, action: str, **details: object) -> None:
    """Audit as the JSON API audits the same change (the principal is the signed-in user)."""
    audit(request, action, _principal(request), **details)


# ---------------------------------------------------------------------------- the case page


@dataclass(frozen=True)
class EvidenceGroup:
    kind: str
    title: str
    total: int
    items: list[tuple[lifecycle.Evidence, Any]]


def _groups(view: CaseView) -> list[EvidenceGroup]:
    by_kind: dict[str, list[lifecycle.Evidence]] = {}
    for item in view.evidence:
        by_kind.setdefault(item.kind, []).append(item)
    order = [k for k in EVIDENCE_NOUNS if k in by_kind] + [
        k for k in by_kind if k not in EVIDENCE_NOUNS
    ]
    groups = []
    for kind in order:
        items = by_kind[kind]
        title = EVIDENCE_NOUNS.get(kind, (kind, kind))[1].capitalize()
        shown = [(e, e.data) for e in items[:MAX_EVIDENCE_ROWS]]
        groups.append(EvidenceGroup(kind, title, len(items), shown))
    return groups


def _assignees(view: CaseView) -> list[str]:
    """Everyone who was ever the case's assignee, from its history (as the library reads it)."""
    return [str(e.payload.get("assignee")) for e in view.events if e.kind == "assigned"]


def _approval(viewer: Viewer, view: CaseView) -> tuple[bool, str | None]:
    """Whether the viewer is offered the approve button, and if not (on a proposed case) why:
    the library's own four-eyes check, asked in advance."""
    case = view.case
    if case.status != "proposed" or case.proposed_by is None:
        return False, None
    try:
        check_approval(
            viewer.name, viewer.role, proposer=case.proposed_by, assignees=_assignees(view)
        )
    except PermissionDeniedError as exc:
        return False, str(exc)
    return True, None


@router.get("/cases/{case_id}", response_class=HTMLResponse)
def case_page(case_id: CaseId, request: Request, viewer: AnalystViewer) -> HTMLResponse:
    store = case_stores(request, service_of(request)).read()
    view = lifecycle.get_case(store, case_id)
    may_approve, why_not = _approval(viewer, view)
    users = [u for u in list_users(store, include_disabled=False) if u.role != Role.SCREEN]
    return render(
        request,
        "case.html",
        viewer,
        case=view.case,
        overdue=view.case.overdue(),
        groups=_groups(view),
        events=view.events,
        is_proposer=view.case.proposed_by is not None
        and same_user(viewer.name, view.case.proposed_by),
        users=users,
        decisions=DECISIONS,
        is_reviewer=viewer.may(Role.REVIEWER),
        may_approve=may_approve,
        why_not=why_not,
        pretty=pretty,
    )


# ---------------------------------------------------------------------------- working


def _act(
    request: Request,
    viewer: Viewer,
    csrf: str | None,
    action: str,
    change: Callable[[CaseStore], Case],
    *shown: str,
) -> Response:
    """One change to a case from a form: the CSRF check, the change as the signed-in user (the
    library enforces the roles and the four-eyes rule), the audit record (with the case's
    ``shown`` fields, as the API's), then back to the case page."""
    _checked(viewer, csrf)
    case = change(case_stores(request, service_of(request)).write())
    details = {name: getattr(case, name) for name in shown}
    svc_audit(request, f"case {action}", case=case.id, status=case.status, **details)
    return _to_case(case.id)


@router.post("/cases/{case_id}/comment")
def comment(
    case_id: CaseId,
    request: Request,
    viewer: AnalystViewer,
    csrf: FormText = None,
    text: FormText = None,
    version: FormText = None,
) -> Response:
    return _act(
        request,
        viewer,
        csrf,
        "comment",
        lambda store: lifecycle.comment(
            store, case_id, viewer.name, text or "", expected_version=_version(version)
        ),
    )


@router.post("/cases/{case_id}/assign")
def assign(
    case_id: CaseId,
    request: Request,
    viewer: AnalystViewer,
    csrf: FormText = None,
    user: FormText = None,
    version: FormText = None,
) -> Response:
    return _act(
        request,
        viewer,
        csrf,
        "assign",
        lambda store: lifecycle.assign(
            store, case_id, viewer.name, (user or "").strip(), expected_version=_version(version)
        ),
        "assignee",
    )


@router.post("/cases/{case_id}/propose")
def propose(
    case_id: CaseId,
    request: Request,
    viewer: AnalystViewer,
    csrf: FormText = None,
    decision: FormText = None,
    reason: FormText = None,
    version: FormText = None,
) -> Response:
    return _act(
        request,
        viewer,
        csrf,
        "propose",
        lambda store: lifecycle.propose(
            store,
            case_id,
            viewer.name,
            (decision or "").strip(),
            reason or "",
            expected_version=_version(version),
        ),
        "decision",
    )


# ---------------------------------------------------------------------------- deciding


@router.post("/cases/{case_id}/approve")
def approve(
    case_id: CaseId,
    request: Request,
    viewer: ReviewerViewer,
    csrf: FormText = None,
    comment: FormText = None,
    version: FormText = None,
) -> Response:
    """Approve the proposal; the library refuses it (four-eyes) to the proposer and to
    anyone who was the case's assignee, whatever this page offered."""
    return _act(
        request,
        viewer,
        csrf,
        "approve",
        lambda store: lifecycle.approve(
            store,
            case_id,
            viewer.name,
            (comment or "").strip() or None,
            expected_version=_version(version),
        ),
    )


@router.post("/cases/{case_id}/return")
def return_case(
    case_id: CaseId,
    request: Request,
    viewer: ReviewerViewer,
    csrf: FormText = None,
    reason: FormText = None,
    version: FormText = None,
) -> Response:
    return _act(
        request,
        viewer,
        csrf,
        "return",
        lambda store: lifecycle.return_case(
            store, case_id, viewer.name, reason or "", expected_version=_version(version)
        ),
    )


@router.post("/cases/{case_id}/reopen")
def reopen(
    case_id: CaseId,
    request: Request,
    viewer: ReviewerViewer,
    csrf: FormText = None,
    reason: FormText = None,
    version: FormText = None,
) -> Response:
    return _act(
        request,
        viewer,
        csrf,
        "reopen",
        lambda store: lifecycle.reopen(
            store, case_id, viewer.name, reason or "", expected_version=_version(version)
        ),
    )


# ---------------------------------------------------------------------------- downloads


@router.get("/cases/{case_id}/report")
def report(case_id: CaseId, request: Request, viewer: AnalystViewer) -> Response:
    """The printable report (as ``GET /cases/{id}/report``), opened in the browser to print or
    save: one self-contained page styled inline, so it carries its own policy (inline styles,
    no script at all), which the guard keeps instead of the UI's."""
    from counterflow.reporting.case_report import render_case_report
    from counterflow.reporting.from_case import base_currency

    svc = service_of(request)
    store = case_stores(request, svc).read()
    view = lifecycle.get_case(store, case_id)
    check = lifecycle.verify_history(store, view.case.id)
    currency, _ = base_currency(svc.workspace, view)
    html = render_case_report(view, check, base_currency=currency)
    svc_audit(request, "case report", case=view.case.id, intact=check.ok)
    return HTMLResponse(
        html,
        headers={
            "Cache-Control": "no-store",
            "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; "
            "img-src data:; frame-ancestors 'none'",
            "Content-Disposition": f'inline; filename="case-{view.case.id}.html"',
        },
    )


@router.get("/cases/{case_id}/goaml.xml")
def goaml(case_id: CaseId, request: Request, viewer: AnalystViewer) -> Response:
    """The goAML XML of a case whose ``report`` decision was approved (as
    ``GET /cases/{id}/goaml``), as a file to download."""
    from counterflow.reporting import build_report, load_profile, report_from_case
    from counterflow.reporting.from_case import base_currency
    from counterflow.reporting.goaml import ReportProblems

    svc = service_of(request)
    view = lifecycle.get_case(case_stores(request, svc).read(), case_id)
    path = svc.settings.fiu_profile
    if path is None:
        raise ServiceUnavailable(NO_FIU_PROFILE)
    try:
        profile = load_profile(path)
    except CounterflowError as exc:
        raise ServiceUnavailable(
            "the server's FIU profile cannot be used; the service log says why"
        ) from exc
    currency, _ = base_currency(svc.workspace, view)
    try:
        made = report_from_case(view, profile, base_currency=currency)
        xml = build_report(made, profile)
    except ReportProblems as exc:
        raise DataError(f"{exc.headline}: " + "; ".join(exc.problems[:20])) from exc
    svc_audit(
        request,
        "case goaml",
        case=view.case.id,
        transactions=len(made.transactions),
        bytes=len(xml),
    )
    return Response(
        xml,
        media_type="application/xml",
        headers={
            "Cache-Control": "no-store",
            "Content-Disposition": f'attachment; filename="goaml-{view.case.id}.xml"',
        },
    )


def pretty(data: Any) -> str:
    """Frozen evidence as indented JSON text (the template escapes it)."""
    return json.dumps(data, ensure_ascii=False, indent=2, sort_keys=True)
