"""The alerts pages: the queue (filters, sorting and paging in the query string, so a view can
be shared) and one alert (its explanation in words, its transactions, a small graph of the
parties involved, and the actions: open a case, dismiss with a reason).

The queue reads :func:`counterflow.cases.dispositions.list_with_dispositions` (the same call as
``GET /alerts``) and filters by score and date, sorts and pages here; dismissing goes through
:func:`counterflow.cases.dispositions.dismiss` like ``POST /alerts/{id}/dismiss``.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from urllib.parse import quote, urlencode

import duckdb
from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from counterflow.api.case_routes import case_stores
from counterflow.api.security import audit, service_of
from counterflow.cases.alerts import Alert, AlertWindow
from counterflow.cases.dispositions import (
    STATUSES,
    Status,
    alert_with_disposition,
    count_with_dispositions,
    dismiss,
    list_with_dispositions,
)
from counterflow.errors import ConfigError
from counterflow.web.alert_rows import COLUMNS, alert_rows_of
from counterflow.web.paging import page_of
from counterflow.web.render import render
from counterflow.web.session import AnalystViewer, checked_form, form_reason

router = APIRouter(prefix="/ui", include_in_schema=False)

#: rows a page of the queue shows by default, and at most
PAGE_SIZE, MAX_PAGE_SIZE = 50, 100
#: transactions an alert page lists (the rest are counted)
MAX_TRANSACTIONS = 200
#: parties the alert's graph shows at most (those moving the most money)
MAX_GRAPH_PARTIES = 60
SORTS = ("score", "date")
ORDERS = ("desc", "asc")
MAX_REASON = 2000


def parse_day(value: str | None, name: str) -> date | None:
    """A ``YYYY-MM-DD`` filter (empty: none)."""
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError as exc:
        raise ConfigError(f"{name}: not a date (YYYY-MM-DD): {value[:40]!r}") from exc


def _utc(value: datetime | None) -> datetime | None:
    if value is None:
        return None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


@dataclass(frozen=True)
class QueueFilters:
    typology: str | None
    dataset: str | None
    status: Status | None
    min_score: float | None
    since: date | None
    until: date | None
    sort: str
    order: str
    page: int
    size: int

    def window(self) -> AlertWindow:
        """The score and date filters, the order and the page, for the database."""
        return AlertWindow(
            min_score=self.min_score,
            active_from=datetime.combine(self.since, time(), UTC) if self.since else None,
            active_until=(
                datetime.combine(self.until + timedelta(days=1), time(), UTC)
                if self.until
                else None
            ),
            by_date=self.sort == "date",
            ascending=self.order == "asc",
        )

    def query(self) -> dict[str, str]:
        """The filters as query parameters (without the page)."""
        out = {
            "typology": self.typology or "",
            "dataset": self.dataset or "",
            "status": self.status or "",
            "min_score": "" if self.min_score is None else f"{self.min_score:g}",
            "from": self.since.isoformat() if self.since else "",
            "to": self.until.isoformat() if self.until else "",
            "sort": self.sort,
            "order": self.order,
            "size": str(self.size),
        }
        return {k: v for k, v in out.items() if v}


def queue_filters(request: Request) -> QueueFilters:
    """The queue's filters from the query string; a bad value is a :class:`ConfigError`."""
    q = request.query_params

    def text(name: str) -> str | None:
        value = (q.get(name) or "").strip()
        if len(value) > 200:
            raise ConfigError(f"{name}: too long")
        return value or None

    status = text("status")
    if status is not None and status not in STATUSES:
        raise ConfigError(f"status: one of {', '.join(STATUSES)}, not {status!r}")
    score_text = text("min_score")
    try:
        min_score = float(score_text) if score_text else None
    except ValueError as exc:
        raise ConfigError(f"min_score: not a number: {score_text!r}") from exc
    sort, order = text("sort") or "score", text("order") or "desc"
    if sort not in SORTS:
        raise ConfigError(f"sort: one of {', '.join(SORTS)}")
    if order not in ORDERS:
        raise ConfigError(f"order: one of {', '.join(ORDERS)}")
    try:
        page = max(int(text("page") or 1), 1)
        size = min(max(int(text("size") or PAGE_SIZE), 1), MAX_PAGE_SIZE)
    except ValueError as exc:
        raise ConfigError("page and size: whole numbers") from exc
    return QueueFilters(
        typology=text("typology"),
        dataset=text("dataset"),
        status=status,
        min_score=min_score,
        since=parse_day(text("from"), "from"),
        until=parse_day(text("to"), "to"),
        sort=sort,
        order=order,
        page=page,
        size=size,
    )


def _choices(conn: duckdb.DuckDBPyConnection) -> tuple[list[str], list[str]]:
    datasets = [
        str(r[0]) for r in conn.execute("SELECT dataset FROM tx_datasets ORDER BY 1").fetchall()
    ]
    typologies = [
        str(r[0])
        for r in conn.execute("SELECT DISTINCT typology FROM alerts ORDER BY 1").fetchall()
    ]
    return datasets, typologies


@router.get("/alerts", response_class=HTMLResponse)
def alert_queue(request: Request, viewer: AnalystViewer) -> HTMLResponse:
    f = queue_filters(request)
    svc = service_of(request)
    store = case_stores(request, svc).read()
    window = f.window()
    with svc.workspace.connect(read_only=True) as conn:
        datasets, typologies = _choices(conn)
        total = count_with_dispositions(
            store, conn, f.dataset, status=f.status, typology=f.typology, window=window
        )
        last_page = max((total + f.size - 1) // f.size, 1)
        number = min(f.page, last_page)
        shown = list_with_dispositions(
            store,
            conn,
            f.dataset,
            status=f.status,
            typology=f.typology,
            limit=f.size,
            window=replace(window, offset=(number - 1) * f.size),
        )
    page = page_of(request.url.path, f.query(), number, f.size, total)
    sort_links = {
        key: request.url.path
        + "?"
        + urlencode(
            {
                **f.query(),
                "sort": key,
                "order": "asc" if f.sort == key and f.order == "desc" else "desc",
            }
        )
        for key in SORTS
    }
    return render(
        request,
        "alerts.html",
        viewer,
        filters=f,
        rows=shown,
        page=page,
        datasets=datasets,
        typologies=typologies,
        statuses=STATUSES,
        sort_links=sort_links,
    )


def readable(value: Any, depth: int = 0) -> Any:
    """An explanation value for the page: lists and mappings kept (the template walks them),
    numbers rounded, anything else as text."""
    if isinstance(value, float):
        return f"{value:,.4g}" if abs(value) < 1000 else f"{value:,.2f}"
    if isinstance(value, dict) and depth < 4:
        return {str(k): readable(v, depth + 1) for k, v in value.items()}
    if isinstance(value, list) and depth < 4:
        if all(not isinstance(v, dict | list) for v in value):
            return ", ".join(str(readable(v, depth + 1)) for v in value)
        return [readable(v, depth + 1) for v in value]
    if isinstance(value, bool) or value is None:
        return "yes" if value else ("no" if value is False else "—")
    return str(value)


def explanation_sections(explanation: dict[str, Any]) -> tuple[str | None, list[tuple[str, Any]]]:
    """The explanation's summary sentence and its sections (facts, parameters, …) as
    (title, readable mapping or value) pairs."""
    summary = explanation.get("scenario")
    order = ["facts", "evidence", "resolved", "parameters"]
    keys = sorted(
        (k for k in explanation if k != "scenario"),
        key=lambda k: (order.index(k) if k in order else len(order), k),
    )
    sections = [(k.replace("_", " ").capitalize(), readable(explanation[k])) for k in keys]
    return (str(summary) if summary else None), sections


_TX_COLUMNS = (
    "tx_id, timestamp, payer_party, payer_name, beneficiary_party, beneficiary_name, amount, "
    "currency, base_amount, channel, remittance_text"
)


def _alert_rows(alert: Alert) -> tuple[str, list[Any]]:
    """The filter of an alert's transactions. Its first and last times bound them, and the
    transactions table is stored in the order it was imported (by time, as a rule), so DuckDB
    skips every block outside the alert's weeks by their minimum and maximum times instead of
    reading ten million rows for a few hundred."""
    where = "dataset = ? AND tx_id IN (SELECT unnest(?::VARCHAR[]))"
    params: list[Any] = [alert.dataset, alert.tx_ids]
    if alert.first_ts is not None and alert.last_ts is not None:
        where += " AND timestamp BETWEEN ? AND ?"
        params += [alert.first_ts, alert.last_ts]
    return where, params


def alert_transactions(
    conn: duckdb.DuckDBPyConnection,
    alert: Alert,
    limit: int,
    cached: dict[tuple[str, str], tuple[Any, ...]] | None = None,
) -> list[dict[str, Any]]:
    """The alert's transactions (the first ``limit`` by time): from the cached rows of the
    alerts' transactions (:mod:`counterflow.web.alert_rows`) when they hold them all, else
    from the workspace."""
    if not alert.tx_ids:
        return []
    if cached is not None:
        found = [cached.get((alert.dataset, tx)) for tx in alert.tx_ids]
        if all(row is not None for row in found):
            rows = sorted((r for r in found if r is not None), key=lambda r: (r[1], r[0]))
            return [dict(zip(COLUMNS, row, strict=True)) for row in rows[:limit]]
    where, params = _alert_rows(alert)
    cursor = conn.execute(
        f"SELECT {_TX_COLUMNS} FROM transactions WHERE {where} ORDER BY timestamp, tx_id LIMIT ?",
        [*params, limit],
    )
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def alert_graph(
    conn: duckdb.DuckDBPyConnection,
    alert: Alert,
    cached: dict[tuple[str, str], tuple[Any, ...]] | None = None,
) -> dict[str, Any]:
    """The parties of the alert's transactions and the money between them (USD), as
    Cytoscape elements' data: the parties moving the most money, at most
    :data:`MAX_GRAPH_PARTIES`."""
    if not alert.tx_ids:
        return {"nodes": [], "edges": [], "more": 0}
    subject = alert.subject_id
    rows = _pair_flows(alert, cached) if cached is not None else None
    if rows is None:
        rows = _pair_flows_of_workspace(conn, alert)
    weight: dict[str, float] = {}
    names: dict[str, str] = {}
    for src, src_name, dst, dst_name, usd, _ in rows:
        for party, name in ((src, src_name), (dst, dst_name)):
            weight[party] = weight.get(party, 0.0) + float(usd)
            if name and party not in names:
                names[party] = str(name)
    keep = sorted(weight, key=lambda p: (p != subject, -weight[p], p))[:MAX_GRAPH_PARTIES]
    kept = set(keep)
    nodes = [{"id": p, "label": names.get(p) or p, "party": p, "root": p == subject} for p in keep]
    edges = [
        {
            "id": f"{src}>{dst}",
            "source": src,
            "target": dst,
            "usd": round(float(usd), 2),
            "payments": int(n),
        }
        for src, _, dst, _, usd, n in rows
        if src in kept and dst in kept
    ]
    return {"nodes": nodes, "edges": edges, "more": len(weight) - len(keep)}


def _pair_flows(
    alert: Alert, cached: dict[tuple[str, str], tuple[Any, ...]]
) -> list[tuple[Any, ...]] | None:
    """(payer, payer name, beneficiary, beneficiary name, USD, payments) per pair of parties,
    from the cached rows (None when they miss one of the alert's transactions)."""
    pairs: dict[tuple[str, str], list[Any]] = {}
    for tx in alert.tx_ids:
        row = cached.get((alert.dataset, tx))
        if row is None:
            return None
        found = dict(zip(COLUMNS, row, strict=True))
        src, dst = found["payer_party"], found["beneficiary_party"]
        if src is None or dst is None:
            continue
        pair = pairs.setdefault((src, dst), [src, found["payer_name"], dst, None, 0.0, 0])
        pair[3] = pair[3] or found["beneficiary_name"]
        pair[1] = pair[1] or found["payer_name"]
        pair[4] += float(found["base_amount"] or 0.0)
        pair[5] += 1
    return sorted((tuple(p) for p in pairs.values()), key=lambda p: -p[4])


def _pair_flows_of_workspace(conn: duckdb.DuckDBPyConnection, alert: Alert) -> list[Any]:
    where, params = _alert_rows(alert)
    return conn.execute(
        "SELECT payer_party, any_value(payer_name), beneficiary_party, "
        "any_value(beneficiary_name), "
        f"sum(coalesce(base_amount, 0)), count(*) FROM transactions WHERE {where} "
        "AND payer_party IS NOT NULL AND beneficiary_party IS NOT NULL "
        "GROUP BY payer_party, beneficiary_party ORDER BY 5 DESC",
        params,
    ).fetchall()


@router.get("/alerts/{alert_id}", response_class=HTMLResponse)
def alert_page(request: Request, viewer: AnalystViewer, alert_id: str) -> HTMLResponse:
    if len(alert_id) > 40:
        raise ConfigError("alert id: too long")
    svc = service_of(request)
    store = case_stores(request, svc).read()
    with svc.workspace.connect(read_only=True) as conn:
        alert, disposition = alert_with_disposition(store, conn, alert_id)
        cached = alert_rows_of(request).of(conn)
        transactions = alert_transactions(conn, alert, MAX_TRANSACTIONS, cached)
        graph = alert_graph(conn, alert, cached)
    summary, sections = explanation_sections(alert.explanation)
    return render(
        request,
        "alert.html",
        viewer,
        alert=alert,
        disposition=disposition,
        summary=summary,
        sections=sections,
        transactions=transactions,
        more_transactions=max(len(alert.tx_ids) - len(transactions), 0),
        graph=graph,
    )


@router.post("/alerts/{alert_id}/dismiss")
async def dismiss_page(request: Request, viewer: AnalystViewer, alert_id: str) -> Response:
    form = await checked_form(request, viewer)
    reason = form_reason(form, "the alert is dismissed", MAX_REASON)
    if len(alert_id) > 40:
        raise ConfigError("alert id: too long")

    def work() -> None:
        svc = service_of(request)
        store = case_stores(request, svc).write()
        alert, disposition = dismiss(store, svc.workspace, alert_id, viewer.name, reason)
        principal = viewer.principal
        audit(request, "alert dismiss", principal, alert=alert.alert_id, status=disposition.status)

    await run_in_threadpool(work)
    return RedirectResponse(f"/ui/alerts/{quote(alert_id, safe='')}", status_code=303)
