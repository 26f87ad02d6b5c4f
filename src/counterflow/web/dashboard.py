"""The dashboard: open alerts by typology and by week, open cases by status and overdue, and
the money in open alerts by channel, each as a chart with its table."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import duckdb
import pyarrow as pa
from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from counterflow.api.case_routes import case_stores
from counterflow.api.security import service_of
from counterflow.cases.db import CaseStore
from counterflow.cases.dispositions import closed_alerts
from counterflow.cases.lifecycle import list_cases
from counterflow.web.alert_rows import COLUMNS, AlertRows, alert_rows_of
from counterflow.web.charts import bar_chart, column_chart
from counterflow.web.render import render, usd
from counterflow.web.session import AnalystViewer

router = APIRouter(prefix="/ui", include_in_schema=False)

#: the weeks the alerts-by-week chart shows (the latest ones with open alerts)
WEEKS = 26
#: case statuses in the order of their life
CASE_STATUSES = ("new", "investigating", "proposed", "approved", "reported", "closed")


#: the alerts neither in a case nor dismissed (``closed_ids`` is registered per query)
_OPEN = (
    "WITH open_alerts AS (SELECT * FROM alerts "
    "WHERE alert_id NOT IN (SELECT alert_id FROM closed_ids))"
)


@dataclass(frozen=True)
class Summary:
    by_typology: list[tuple[str, int]]
    by_week: list[tuple[str, int]]
    by_channel: list[tuple[str, float]]
    cases_by_status: list[tuple[str, int]]
    overdue: int
    open_alerts: int


def summary(
    store: CaseStore, conn: duckdb.DuckDBPyConnection, cache: AlertRows | None = None
) -> Summary:
    """What the dashboard shows, from the workspace's alerts and the case store's cases."""
    closed = pa.table({"alert_id": pa.array(sorted(closed_alerts(store, conn)), pa.string())})
    with conn.cursor() as cursor:
        cursor.register("closed_ids", closed)
        by_typology = cursor.execute(
            f"{_OPEN} SELECT typology, count(*) FROM open_alerts "
            "GROUP BY typology ORDER BY 2 DESC, 1"
        ).fetchall()
        by_week = cursor.execute(
            f"{_OPEN} SELECT strftime(date_trunc('week', coalesce(last_ts, created_at)), "
            "'%Y-%m-%d') AS w, count(*) FROM open_alerts GROUP BY w ORDER BY w DESC LIMIT ?",
            [WEEKS],
        ).fetchall()
        open_tx = cursor.execute(
            f"{_OPEN} SELECT DISTINCT dataset, unnest(tx_ids) FROM open_alerts"
        ).fetchall()
    by_channel = _by_channel(conn, closed, open_tx, (cache or AlertRows()).of(conn))
    cases = list_cases(store)
    counts = {status: 0 for status in CASE_STATUSES}
    overdue = 0
    for case in cases:
        counts[case.status] = counts.get(case.status, 0) + 1
        overdue += case.overdue()
    return Summary(
        by_typology=[(str(t), int(n)) for t, n in by_typology],
        by_week=[(str(w), int(n)) for w, n in reversed(by_week)],
        by_channel=[(str(c), float(v)) for c, v in by_channel],
        cases_by_status=list(counts.items()),
        overdue=overdue,
        open_alerts=sum(n for _, n in by_typology),
    )


_CHANNEL, _USD = COLUMNS.index("channel"), COLUMNS.index("base_amount")


def _by_channel(
    conn: duckdb.DuckDBPyConnection,
    closed: pa.Table,
    open_tx: list[tuple[str, str]],
    rows: dict[tuple[str, str], tuple[Any, ...]] | None,
) -> list[tuple[str, float]]:
    """USD of the open alerts' transactions by channel (each transaction once), from the
    cached rows, or from the workspace when the alerts name too many to keep."""
    if rows is None:
        with conn.cursor() as cursor:
            cursor.register("closed_ids", closed)
            found = cursor.execute(
                f"{_OPEN}, tx AS (SELECT DISTINCT dataset, unnest(tx_ids) AS tx_id "
                "FROM open_alerts) SELECT t.channel, sum(coalesce(t.base_amount, 0)) FROM tx "
                "JOIN transactions t USING (dataset, tx_id) GROUP BY t.channel"
            ).fetchall()
        channels = {str(c): float(u) for c, u in found}
    else:
        channels = {}
        for key in open_tx:
            row = rows.get(key)
            if row is not None:
                channel = str(row[_CHANNEL])
                channels[channel] = channels.get(channel, 0.0) + float(row[_USD] or 0.0)
    return sorted(channels.items(), key=lambda item: (-item[1], item[0]))


@router.get("/", response_class=HTMLResponse)
def dashboard(request: Request, viewer: AnalystViewer) -> HTMLResponse:
    svc = service_of(request)
    store = case_stores(request, svc).read()
    with svc.workspace.connect(read_only=True) as conn:
        found = summary(store, conn, alert_rows_of(request))
    charts: dict[str, Any] = {
        "typology": bar_chart(found.by_typology),
        "week": column_chart(found.by_week),
        "channel": bar_chart(found.by_channel, usd),
        "cases": bar_chart([(s, float(n)) for s, n in found.cases_by_status]),
    }
    return render(request, "dashboard.html", viewer, summary=found, charts=charts)
