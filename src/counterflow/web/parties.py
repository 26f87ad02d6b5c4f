"""The party page: profile, activity by week, counterparties, alerts, screening hits, and an
interactive money-flow graph whose neighbours are fetched on demand (``graph.json``, capped
per expansion) and whose paths to listed parties come from :func:`counterflow.graph.trace`.
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from urllib.parse import quote

import duckdb
from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, JSONResponse

from counterflow.api.case_routes import case_stores
from counterflow.api.security import service_of
from counterflow.cases.dispositions import list_with_dispositions
from counterflow.errors import ConfigError, NotFoundError
from counterflow.graph.exposure import LISTED_SCENARIO
from counterflow.graph.trace import MAX_HOPS, trace
from counterflow.web.alerts import parse_day
from counterflow.web.charts import column_chart
from counterflow.web.paging import page_of
from counterflow.web.render import render, usd
from counterflow.web.session import AnalystViewer

router = APIRouter(prefix="/ui", include_in_schema=False)

#: counterparties a page of the table shows
COUNTERPARTIES_PAGE = 25
#: neighbours one expansion of the graph adds by default, and at most
EXPAND, MAX_EXPAND = 50, 100
#: weeks the activity chart shows at most (the latest)
MAX_WEEKS = 104
#: alerts about the party the page lists at most
MAX_ALERTS = 100
#: paths to listed parties the graph highlights at most, and the longest
MAX_PATHS, PATH_HOPS = 25, 3
MAX_ID = 200


def _check_id(value: str, name: str) -> str:
    if not value or len(value) > MAX_ID:
        raise ConfigError(f"{name}: between 1 and {MAX_ID} characters")
    return value


def _rows(cursor: duckdb.DuckDBPyConnection) -> list[dict[str, Any]]:
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def profile(conn: duckdb.DuckDBPyConnection, dataset: str, party: str) -> dict[str, Any]:
    """What the workspace holds about the party: its record, accounts, and the names and
    countries the payment messages give it. Unknown everywhere: :class:`NotFoundError`."""
    record = _rows(
        conn.execute(
            "SELECT name, kind, country, city, born, sector FROM parties "
            "WHERE dataset = ? AND party_id = ? LIMIT 1",
            [dataset, party],
        )
    )
    accounts = _rows(
        conn.execute(
            "SELECT account_id, bank, country, opened FROM accounts "
            "WHERE dataset = ? AND party_id = ? ORDER BY account_id LIMIT 50",
            [dataset, party],
        )
    )
    seen = conn.execute(
        "SELECT name, country, count(*) n FROM party_ledger WHERE dataset = ? AND party = ? "
        "GROUP BY ALL ORDER BY n DESC LIMIT 20",
        [dataset, party],
    ).fetchall()
    if not record and not seen:
        raise NotFoundError(f"no party {party!r} in dataset {dataset!r}")
    names = sorted({str(n) for n, _, _ in seen if n})
    countries = sorted({str(c) for _, c, _ in seen if c})
    return {
        "record": record[0] if record else None,
        "accounts": accounts,
        "names": names,
        "countries": countries,
        "name": (record[0]["name"] if record else None) or (names[0] if names else party),
    }


def _time_filter(since: date | None, until: date | None) -> tuple[str, list[Any]]:
    sql, params = "", []
    if since:
        sql += " AND timestamp >= ?"
        params.append(datetime.combine(since, time(), UTC))
    if until:
        sql += " AND timestamp < ?"
        params.append(datetime.combine(until + timedelta(days=1), time(), UTC))
    return sql, params


def weekly(
    conn: duckdb.DuckDBPyConnection, dataset: str, party: str
) -> list[tuple[str, float, float]]:
    """USD in and out by week (the latest :data:`MAX_WEEKS`)."""
    rows = conn.execute(
        "SELECT strftime(date_trunc('week', timestamp), '%Y-%m-%d') w, "
        "sum(CASE WHEN outgoing THEN 0 ELSE coalesce(usd, 0) END), "
        "sum(CASE WHEN outgoing THEN coalesce(usd, 0) ELSE 0 END) "
        "FROM party_ledger WHERE dataset = ? AND party = ? "
        "GROUP BY w ORDER BY w DESC LIMIT ?",
        [dataset, party, MAX_WEEKS],
    ).fetchall()
    return [(str(w), float(i), float(o)) for w, i, o in reversed(rows)]


#: the party's payments with another party (its ledger rows: counterflow.transactions.ledger)
_EDGES = (
    "SELECT counterparty, counterparty_name, outgoing, coalesce(usd, 0) usd FROM party_ledger "
    "WHERE dataset = ? AND party = ? AND counterparty IS NOT NULL AND counterparty <> party"
)


def counterparties(
    conn: duckdb.DuckDBPyConnection,
    dataset: str,
    party: str,
    *,
    limit: int,
    offset: int = 0,
    since: date | None = None,
    until: date | None = None,
) -> tuple[list[dict[str, Any]], int]:
    """The party's counterparties, most USD (in and out) first: one page, and how many in
    all."""
    when, params = _time_filter(since, until)
    sql = (
        f"WITH e AS ({_EDGES}{when}) SELECT counterparty party, min(counterparty_name) name, "
        "sum(CASE WHEN outgoing THEN 0 ELSE usd END) usd_in, "
        "sum(CASE WHEN outgoing THEN usd ELSE 0 END) usd_out, "
        "count(*) payments, count(*) OVER () total FROM e GROUP BY counterparty "
        "ORDER BY sum(usd) DESC, counterparty LIMIT ? OFFSET ?"
    )
    rows = _rows(conn.execute(sql, [dataset, party, *params, limit, offset]))
    total = int(rows[0]["total"]) if rows else 0
    if not rows and offset:
        total = counterparties(conn, dataset, party, limit=1, since=since, until=until)[1]
    return rows, total


def _names(conn: duckdb.DuckDBPyConnection, dataset: str, ids: list[str]) -> dict[str, str]:
    if not ids:
        return {}
    rows = conn.execute(
        "SELECT party_id, name FROM parties WHERE dataset = ? "
        "AND party_id IN (SELECT unnest(?::VARCHAR[])) AND name IS NOT NULL",
        [dataset, ids],
    ).fetchall()
    return {str(p): str(n) for p, n in rows}


def flagged(conn: duckdb.DuckDBPyConnection, dataset: str, ids: list[str]) -> dict[str, str]:
    """Of ``ids``, the parties the dataset's alerts name: ``listed`` (a listed-counterparty
    hit) or ``alerted`` (any other alert's subject)."""
    if not ids:
        return {}
    rows = conn.execute(
        "SELECT subject_id, bool_or(scenario = ?) FROM alerts WHERE dataset = ? "
        "AND subject_kind = 'party' AND subject_id IN (SELECT unnest(?::VARCHAR[])) "
        "GROUP BY subject_id",
        [LISTED_SCENARIO, dataset, ids],
    ).fetchall()
    return {str(p): ("listed" if listed else "alerted") for p, listed in rows}


def neighbours(
    conn: duckdb.DuckDBPyConnection,
    dataset: str,
    node: str,
    *,
    limit: int,
    since: date | None = None,
    until: date | None = None,
) -> dict[str, Any]:
    """The node's neighbours by USD (at most ``limit``), the money between it and them, and
    how many more there are: Cytoscape elements' data."""
    found, total = counterparties(conn, dataset, node, limit=limit, since=since, until=until)
    ids = [str(r["party"]) for r in found]
    names = _names(conn, dataset, [node, *ids])
    flags = flagged(conn, dataset, [node, *ids])
    nodes = [_node(node, names.get(node), flags.get(node))]
    edges = []
    for r in found:
        other = str(r["party"])
        nodes.append(_node(other, names.get(other) or r["name"], flags.get(other)))
        if r["usd_out"] or (r["payments"] and not r["usd_in"]):
            edges.append(_edge(node, other, float(r["usd_out"] or 0)))
        if r["usd_in"]:
            edges.append(_edge(other, node, float(r["usd_in"])))
    return {"node": node, "nodes": nodes, "edges": edges, "more": max(total - len(found), 0)}


def _node(party: str, name: str | None, flag: str | None) -> dict[str, Any]:
    return {"id": party, "label": name or party, "party": party, "flag": flag or ""}


def _edge(src: str, dst: str, amount: float) -> dict[str, Any]:
    return {"id": f"{src}>{dst}", "source": src, "target": dst, "usd": round(amount, 2)}


def screening_hits(
    conn: duckdb.DuckDBPyConnection, dataset: str, party: str
) -> list[dict[str, Any]]:
    """The listed-counterparty alerts on the party and on its counterparties: who was hit,
    on which list entry, how strongly, and whether the hit is confirmed."""
    rows = conn.execute(
        "WITH cp AS (SELECT DISTINCT counterparty p FROM party_ledger "
        "WHERE dataset = ? AND party = ? UNION SELECT ?) "
        "SELECT alert_id, subject_id, score, explanation FROM alerts WHERE dataset = ? "
        "AND scenario = ? AND subject_kind = 'party' AND subject_id IN (SELECT p FROM cp) "
        "ORDER BY subject_id <> ?, score DESC LIMIT 100",
        [dataset, party, party, dataset, LISTED_SCENARIO, party],
    ).fetchall()
    names = _names(conn, dataset, [str(r[1]) for r in rows])
    hits = []
    for alert_id, subject, score, explanation in rows:
        try:
            facts = json.loads(explanation).get("facts") or {}
        except (ValueError, AttributeError):
            facts = {}
        if not isinstance(facts, dict):
            facts = {}
        shown = {
            k.replace("_", " "): (", ".join(map(str, v)) if isinstance(v, list) else str(v))
            for k, v in facts.items()
            if not isinstance(v, dict)
        }
        hits.append(
            {
                "alert_id": alert_id,
                "party": subject,
                "name": names.get(subject) or subject,
                "self": subject == party,
                "score": float(score),
                "confirmed": str(facts.get("confirmed") or ""),
                "facts": shown,
            }
        )
    return hits


def _int(request: Request, name: str, default: int, low: int, high: int) -> int:
    text = request.query_params.get(name) or ""
    try:
        value = int(text) if text else default
    except ValueError as exc:
        raise ConfigError(f"{name}: a whole number") from exc
    return min(max(value, low), high)


@router.get("/parties/{dataset}/{party_id}", response_class=HTMLResponse)
def party_page(
    request: Request, viewer: AnalystViewer, dataset: str, party_id: str
) -> HTMLResponse:
    _check_id(dataset, "dataset")
    _check_id(party_id, "party")
    page_number = _int(request, "cp_page", 1, 1, 1_000_000)
    svc = service_of(request)
    store = case_stores(request, svc).read()
    with svc.workspace.connect(read_only=True) as conn:
        about = profile(conn, dataset, party_id)
        weeks = weekly(conn, dataset, party_id)
        cps, total = counterparties(
            conn,
            dataset,
            party_id,
            limit=COUNTERPARTIES_PAGE,
            offset=(page_number - 1) * COUNTERPARTIES_PAGE,
        )
        alerts = list_with_dispositions(store, conn, dataset, subject_id=party_id, limit=MAX_ALERTS)
        hits = screening_hits(conn, dataset, party_id)
        graph = neighbours(conn, dataset, party_id, limit=EXPAND)
        flags = flagged(conn, dataset, [str(c["party"]) for c in cps])
    base = f"/ui/parties/{_q(dataset)}/{_q(party_id)}"
    graph["root"] = party_id
    graph["expand_url"] = f"{base}/graph.json"
    graph["paths_url"] = f"{base}/paths.json"
    graph["party_url"] = f"/ui/parties/{_q(dataset)}/"
    graph["limit"] = EXPAND
    return render(
        request,
        "party.html",
        viewer,
        dataset=dataset,
        party_id=party_id,
        about=about,
        weeks=weeks,
        chart_in=column_chart([(w, i) for w, i, _ in weeks], usd),
        chart_out=column_chart([(w, o) for w, _, o in weeks], usd),
        counterparties=cps,
        flags=flags,
        cp_page=page_of(request.url.path, {}, page_number, COUNTERPARTIES_PAGE, total, "cp_page"),
        alerts=alerts,
        hits=hits,
        graph=graph,
    )


def _q(value: str) -> str:
    return quote(value, safe="")


@router.get("/parties/{dataset}/{party_id}/graph.json")
def party_graph(
    request: Request, viewer: AnalystViewer, dataset: str, party_id: str
) -> JSONResponse:
    """One expansion of the party's graph: the neighbours of ``node`` (the party by default)
    by USD, at most ``limit`` (≤ :data:`MAX_EXPAND`), within the dates ``from``–``to``."""
    _check_id(dataset, "dataset")
    _check_id(party_id, "party")
    node = _check_id(request.query_params.get("node") or party_id, "node")
    limit = _int(request, "limit", EXPAND, 1, MAX_EXPAND)
    since = parse_day(request.query_params.get("from"), "from")
    until = parse_day(request.query_params.get("to"), "to")
    svc = service_of(request)
    with svc.workspace.connect(read_only=True) as conn:
        found = neighbours(conn, dataset, node, limit=limit, since=since, until=until)
    return JSONResponse(found)


@router.get("/parties/{dataset}/{party_id}/paths.json")
def party_paths(
    request: Request, viewer: AnalystViewer, dataset: str, party_id: str
) -> JSONResponse:
    """The money paths between the party and the dataset's listed parties
    (:func:`counterflow.graph.trace.trace`), strongest first, at most :data:`MAX_PATHS`."""
    _check_id(dataset, "dataset")
    _check_id(party_id, "party")
    hops = _int(request, "hops", PATH_HOPS, 1, min(MAX_HOPS, 4))
    svc = service_of(request)
    try:
        found = trace(svc.workspace, dataset, party_id, hops=hops, limit=MAX_PATHS)
    except NotFoundError as exc:
        return JSONResponse({"nodes": [], "edges": [], "paths": [], "found": 0, "note": str(exc)})
    nodes, edges, paths = {}, {}, []
    for path in found.paths:
        for pid in path.parties:
            p = found.parties.get(pid)
            flag = (
                "listed"
                if p is not None and p.listed
                else ("possible" if p and p.possible_match else "")
            )
            nodes[pid] = {
                "id": pid,
                "label": (p.name if p else None) or pid,
                "party": pid,
                "flag": flag,
            }
        for hop in path.hops:
            key = f"{hop.payer}>{hop.beneficiary}"
            edges[key] = {
                "id": key,
                "source": hop.payer,
                "target": hop.beneficiary,
                "usd": round(hop.usd, 2),
            }
        paths.append(
            {
                "direction": path.direction,
                "parties": path.parties,
                "edges": [f"{h.payer}>{h.beneficiary}" for h in path.hops],
                "usd": round(path.usd, 2),
            }
        )
    return JSONResponse(
        {
            "nodes": list(nodes.values()),
            "edges": list(edges.values()),
            "paths": paths,
            "found": found.found,
            "note": f"listed parties from {found.listed_from}",
        }
    )
