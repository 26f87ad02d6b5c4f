"""The channels report: alerted flows by source of funds, the way the UN Monitoring Team tables
ISIL's revenue (oil, extortion of trade, antiquities, donations, ransom …).

It reads what ``monitor`` stored: the dataset's alerts and the transactions they name, in the
workspace's DuckDB file (read-only; a workspace that does not exist is not created). Each
alert's typology maps onto a *channel*, a source of funds (:data:`REVENUE_CHANNELS`; not the
payment channel of a transaction, wire or cash): the layering scenarios share one, the
listed-party scenarios share one, and the crops scenario (wheat, rye, cotton, cement) is split
by the goods each payment is for — its HS heading, else the words of its goods text; a
payment of such an alert that names no goods (the seller passing the money on) takes the main
goods of its alert, by amount.

Every figure counts a transaction **once per channel**, however many alerts of that channel
name it; the totals over all channels count it once in all (a payment in two channels is in
both rows, so the rows may add up to more than the total). Amounts are in the dataset's base
currency (USD unless it was imported with another): ``base_amount``, else ``amount`` when the
payment is in the base currency; payments with neither are counted but carry no amount, and
their number is given.

:func:`channels_report` computes the figures (:class:`ChannelsReport`, with ``to_dict`` for
``--json``); :func:`render_html` makes one self-contained HTML page (inline CSS and SVG
charts, no script, nothing fetched; it prints to PDF cleanly); :func:`write_html` writes it.
"""

from __future__ import annotations

import os
from dataclasses import asdict, dataclass
from datetime import date, datetime
from typing import Any

import duckdb
import pyarrow as pa
from markupsafe import Markup

from counterflow.errors import StoreError
from counterflow.io import atomic_output
from counterflow.reporting import charts
from counterflow.reporting.html import load_template
from counterflow.transactions import store
from counterflow.workspace import Workspace

#: the channels (sources of funds), in the order the report lists them, with their captions
REVENUE_CHANNELS: dict[str, str] = {
    "oil": "Oil and fuel",
    "grain": "Grain (wheat, rye)",
    "cotton": "Cotton",
    "cement": "Cement",
    "crops": "Crops and cement, goods not stated",
    "phosphates": "Phosphates and acids",
    "antiquities": "Antiquities",
    "donations": "Donations",
    "ransom": "Kidnapping for ransom",
    "hubs": "Laundering hubs",
    "layering": "Layering",
    "travel": "Travel funding",
    "listed": "Listed parties and exposure",
}
#: the pack's typologies and their channels (``crops`` is split by goods: :data:`GOODS`)
TYPOLOGY_CHANNELS: dict[str, str] = {
    "oil": "oil",
    "crops": "crops",
    "phosphates": "phosphates",
    "antiquities": "antiquities",
    "donations": "donations",
    "ransom": "ransom",
    "laundering-hub": "hubs",
    "travel-funding": "travel",
    "listed-counterparty": "listed",
    "listed-counterparty-exposure": "listed",
    # split payments move money the way layering does: a laundering method, not a revenue
    "structuring": "layering",
}
#: the goods of the crops scenario: channel, HS headings (first four digits), words of the
#: goods text (as a regular expression, matched case-insensitively) when there is no HS code
GOODS: tuple[tuple[str, tuple[str, ...], str], ...] = (
    ("grain", ("1001", "1002"), r"\b(wheat|rye)\b"),
    ("cotton", ("5201",), r"\bcotton\b"),
    ("cement", ("2523",), r"\bcement\b"),
)
#: the most corridors the report's table and diagram show (the JSON has them all)
SHOWN_CORRIDORS = 20
UNKNOWN_COUNTRY = "unknown"


def channel_of(typology: str) -> str:
    """The channel of an alert's typology; a typology the pack does not know is its own."""
    if typology in TYPOLOGY_CHANNELS:
        return TYPOLOGY_CHANNELS[typology]
    if typology.startswith("layering-"):
        return "layering"
    return typology


def caption(channel: str) -> str:
    return REVENUE_CHANNELS.get(channel, channel)


@dataclass(frozen=True)
class ChannelRow:
    channel: str
    caption: str
    #: the alerts' typologies that fed the channel
    typologies: tuple[str, ...]
    alerts: int
    transactions: int
    amount: float
    parties: int
    first_day: date | None
    last_day: date | None


@dataclass(frozen=True)
class MonthRow:
    month: str  # YYYY-MM, in UTC
    channel: str
    transactions: int
    amount: float


@dataclass(frozen=True)
class CorridorRow:
    payer_country: str
    beneficiary_country: str
    transactions: int
    amount: float
    channels: tuple[str, ...]


@dataclass(frozen=True)
class DayRow:
    day: date
    amount: float


@dataclass(frozen=True)
class ChannelsReport:
    dataset: str
    currency: str
    #: when the alerts were last computed (the latest ``monitor`` run on the dataset)
    monitored_at: datetime | None
    alerts: int
    transactions: int
    amount: float
    parties: int
    #: alerted transactions without an amount in the base currency (no exchange rate)
    without_amount: int
    channels: tuple[ChannelRow, ...]
    months: tuple[MonthRow, ...]
    corridors: tuple[CorridorRow, ...]
    days: tuple[DayRow, ...]

    @property
    def silent_channels(self) -> tuple[str, ...]:
        """The known channels that have no alert (the crops fallback is not one)."""
        seen = {row.channel for row in self.channels}
        return tuple(c for c in REVENUE_CHANNELS if c not in seen and c != "crops")

    def to_dict(self) -> dict[str, Any]:
        """The figures as plain JSON values (dates as ISO strings)."""
        data = asdict(self)
        data["silent_channels"] = list(self.silent_channels)
        return _plain(data)  # type: ignore[no-any-return]


def channels_report(workspace: Workspace, dataset: str) -> ChannelsReport:
    """The figures of ``dataset``'s stored alerts (a :class:`NotFoundError` for an unknown
    dataset; a store problem is a :class:`StoreError`)."""
    with workspace.connect(read_only=True) as conn:
        found = store.get_dataset(conn, dataset)
        try:
            return _compute(conn, dataset, found.base_currency)
        except duckdb.Error as exc:
            raise StoreError(
                f"cannot read the alerts of dataset {dataset!r} from {workspace.db_path}: {exc}"
            ) from exc


def _compute(conn: duckdb.DuckDBPyConnection, dataset: str, currency: str) -> ChannelsReport:
    typologies = [
        str(r[0])
        for r in conn.execute(
            "SELECT DISTINCT typology FROM alerts WHERE dataset = ? ORDER BY 1", [dataset]
        ).fetchall()
    ]
    mapping = pa.table(
        {
            "typology": pa.array(typologies, pa.string()),
            "channel": pa.array([channel_of(t) for t in typologies], pa.string()),
        }
    )
    goods = pa.table(
        {
            "goods_channel": pa.array([g[0] for g in GOODS], pa.string()),
            "hs4": pa.array([list(g[1]) for g in GOODS], pa.list_(pa.string())),
            "pattern": pa.array([g[2] for g in GOODS], pa.string()),
        }
    )
    conn.register("cf_report_mapping", mapping)
    conn.register("cf_report_goods", goods)
    try:
        alerted = conn.sql(_ALERTED, params=[dataset, currency, dataset]).to_arrow_table()
    finally:
        conn.unregister("cf_report_mapping")
        conn.unregister("cf_report_goods")
    (monitored,) = conn.execute(
        "SELECT max(run_at) FROM monitor_runs WHERE dataset = ?", [dataset]
    ).fetchall()
    (alerts_total,) = conn.execute(
        "SELECT count(*) FROM alerts WHERE dataset = ?", [dataset]
    ).fetchall()

    conn.register("cf_report_alerted", alerted)
    try:
        channels = [
            ChannelRow(
                channel=str(r[0]),
                caption=caption(str(r[0])),
                typologies=tuple(sorted(r[1] or ())),
                alerts=int(r[2]),
                transactions=int(r[3]),
                amount=_cents(r[4]),
                parties=int(r[5]),
                first_day=r[6],
                last_day=r[7],
            )
            for r in conn.execute(_BY_CHANNEL).fetchall()
        ]
        order = {c: i for i, c in enumerate(REVENUE_CHANNELS)}
        channels.sort(key=lambda row: (order.get(row.channel, len(order)), row.channel))
        months = tuple(
            MonthRow(str(r[0]), str(r[1]), int(r[2]), _cents(r[3]))
            for r in conn.execute(_BY_MONTH).fetchall()
        )
        corridors = tuple(
            CorridorRow(str(r[0]), str(r[1]), int(r[2]), _cents(r[3]), tuple(r[4] or ()))
            for r in conn.execute(_BY_CORRIDOR, [UNKNOWN_COUNTRY] * 4).fetchall()
        )
        days = tuple(DayRow(r[0], _cents(r[1])) for r in conn.execute(_BY_DAY).fetchall())
        (totals,) = conn.execute(_TOTALS).fetchall()
    finally:
        conn.unregister("cf_report_alerted")
    return ChannelsReport(
        dataset=dataset,
        currency=currency,
        monitored_at=monitored[0],
        alerts=int(alerts_total[0]),
        transactions=int(totals[0]),
        amount=_cents(totals[1]),
        parties=int(totals[2]),
        without_amount=int(totals[3]),
        channels=tuple(channels),
        months=months,
        corridors=corridors,
        days=days,
    )


# one row per (alert, transaction), with the transaction's channel; the parameters are the
# dataset, the base currency and the dataset again
_ALERTED = """
WITH named AS (
    SELECT a.alert_id, a.typology, m.channel, unnest(a.tx_ids) AS tx_id
    FROM alerts a JOIN cf_report_mapping m USING (typology)
    WHERE a.dataset = ?
), rows AS (
    SELECT n.alert_id, n.typology, n.channel, t.tx_id,
        CAST(timezone('UTC', t."timestamp") AS DATE) AS day,
        coalesce(t.base_amount, CASE WHEN t.currency = ? THEN t.amount END) AS amount,
        t.payer_party, t.beneficiary_party, t.payer_country, t.beneficiary_country,
        (
            SELECT min(g.goods_channel) FROM cf_report_goods g
            WHERE list_contains(g.hs4, substr(trim(coalesce(t.hs_code, '')), 1, 4))
               OR (t.hs_code IS NULL
                   AND regexp_matches(coalesce(t.goods_description, ''), g.pattern, 'i'))
        ) AS goods_channel
    FROM named n JOIN transactions t ON t.dataset = ? AND t.tx_id = n.tx_id
), main_goods AS (
    SELECT alert_id, arg_max(goods_channel, coalesce(amount, 0)) AS alert_goods
    FROM rows WHERE channel = 'crops' AND goods_channel IS NOT NULL
    GROUP BY alert_id
)
SELECT r.alert_id, r.typology,
    CASE WHEN r.channel = 'crops' THEN coalesce(r.goods_channel, g.alert_goods, 'crops')
         ELSE r.channel END AS channel,
    r.tx_id, r.day, r.amount, r.payer_party, r.beneficiary_party, r.payer_country,
    r.beneficiary_country
FROM rows r LEFT JOIN main_goods g USING (alert_id)
ORDER BY r.alert_id, r.tx_id
"""

# every transaction once per channel
_PER_CHANNEL = """
    SELECT DISTINCT channel, tx_id, day, amount, payer_party, beneficiary_party,
        payer_country, beneficiary_country
    FROM cf_report_alerted
"""
# every transaction once
_ONCE = """
    SELECT DISTINCT tx_id, day, amount, payer_party, beneficiary_party, payer_country,
        beneficiary_country
    FROM cf_report_alerted
"""

_BY_CHANNEL = f"""
WITH per AS ({_PER_CHANNEL}),
figures AS (
    SELECT channel, count(*) AS transactions, sum(amount) AS amount, min(day) AS first_day,
        max(day) AS last_day
    FROM per GROUP BY channel
),
parties AS (
    SELECT channel, count(DISTINCT party) AS parties FROM (
        SELECT channel, payer_party AS party FROM per
        UNION ALL SELECT channel, beneficiary_party FROM per
    ) WHERE party IS NOT NULL GROUP BY channel
),
alerts AS (
    SELECT channel, list_sort(list(DISTINCT typology)) AS typologies,
        count(DISTINCT alert_id) AS alerts
    FROM cf_report_alerted GROUP BY channel
)
SELECT f.channel, a.typologies, a.alerts, f.transactions, f.amount,
    coalesce(p.parties, 0), f.first_day, f.last_day
FROM figures f JOIN alerts a USING (channel) LEFT JOIN parties p USING (channel)
ORDER BY f.channel
"""

_BY_MONTH = f"""
SELECT strftime(day, '%Y-%m') AS month, channel, count(*), sum(amount)
FROM ({_PER_CHANNEL}) GROUP BY ALL ORDER BY month, channel
"""

_BY_CORRIDOR = f"""
WITH figures AS (
    SELECT coalesce(payer_country, ?) AS payer, coalesce(beneficiary_country, ?) AS beneficiary,
        count(*) AS transactions, sum(amount) AS amount
    FROM ({_ONCE}) GROUP BY ALL
), channels AS (
    SELECT coalesce(payer_country, ?) AS payer, coalesce(beneficiary_country, ?) AS beneficiary,
        list_sort(list(DISTINCT channel)) AS channels
    FROM cf_report_alerted GROUP BY ALL
)
SELECT f.payer, f.beneficiary, f.transactions, f.amount, c.channels
FROM figures f JOIN channels c USING (payer, beneficiary)
ORDER BY f.amount DESC NULLS LAST, f.transactions DESC, f.payer, f.beneficiary
"""

_BY_DAY = f"""
SELECT day, sum(amount) FROM ({_ONCE}) GROUP BY day ORDER BY day
"""

_TOTALS = f"""
WITH once AS ({_ONCE})
SELECT
    (SELECT count(*) FROM once),
    (SELECT sum(amount) FROM once),
    (SELECT count(DISTINCT party) FROM (
        SELECT payer_party AS party FROM once UNION ALL SELECT beneficiary_party FROM once
    ) WHERE party IS NOT NULL),
    (SELECT count(*) FROM once WHERE amount IS NULL)
"""


# ------------------------------------------------------------------------------------ HTML


def render_html(report: ChannelsReport) -> str:
    """One self-contained HTML page: the tables and their SVG charts, inline CSS, no script."""
    template = load_template(
        "channels.html.j2",
        "channels report",
        filters={
            "money": lambda value: charts.money(value, report.currency),
            "caption": caption,
        },
    )
    return template.render(
        report=report,
        corridors=report.corridors[:SHOWN_CORRIDORS],
        charts=_charts(report),
    )


def write_html(report: ChannelsReport, path: str | os.PathLike[str]) -> None:
    """Write the page to ``path`` (``-``: standard output), whole or not at all."""
    html = render_html(report)
    with atomic_output(path) as out:
        out.write(html)


def _charts(report: ChannelsReport) -> dict[str, Markup]:
    currency = report.currency
    by_channel = charts.bar_chart(
        [(row.caption, row.amount) for row in report.channels],
        title=f"Alerted flows by channel ({currency})",
        currency=currency,
    )
    months = sorted({row.month for row in report.months})
    index = {month: i for i, month in enumerate(months)}
    series: dict[str, list[float]] = {}
    for row in report.months:
        values = series.setdefault(row.channel, [0.0] * len(months))
        values[index[row.month]] += row.amount
    order = [r.channel for r in report.channels]
    by_month = charts.stacked_bars(
        months,
        [(caption(c), series[c]) for c in order if c in series],
        title=f"Alerted flows by month and channel ({currency})",
        currency=currency,
    )
    by_day = charts.timeline(
        [(row.day, row.amount) for row in report.days],
        title=f"Alerted amounts by day ({currency})",
        currency=currency,
    )
    by_corridor = charts.flow_diagram(
        [(c.payer_country, c.beneficiary_country, c.amount) for c in report.corridors],
        title=f"Corridors: payer country to beneficiary country ({currency})",
        currency=currency,
    )
    # the builders escape every piece of text themselves
    return {
        "by_channel": Markup(by_channel),
        "by_month": Markup(by_month),
        "by_day": Markup(by_day),
        "by_corridor": Markup(by_corridor),
    }


def _cents(value: Any) -> float:
    """A sum of amounts rounded to cents (the same figures print the same)."""
    return round(float(value or 0.0), 2)


def _plain(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value
