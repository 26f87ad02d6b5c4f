"""The channels report on a small simulated world: its figures add up to the alerted
transactions, every planted channel with alerts is in it, and its HTML stands alone."""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner, Result

from counterflow.cases.alerts import replace_alerts
from counterflow.cli import main
from counterflow.errors import NotFoundError
from counterflow.monitoring.runner import ALERTS
from counterflow.reporting.channels import (
    GOODS,
    REVENUE_CHANNELS,
    ChannelRow,
    ChannelsReport,
    CorridorRow,
    DayRow,
    MonthRow,
    channel_of,
    channels_report,
    render_html,
    write_html,
)
from counterflow.transactions import store
from counterflow.transactions.schema import TRANSACTIONS
from counterflow.workspace import Workspace

DATASET = "world"
HOSTILE = "</svg><script>alert(1)</script>"


def run(*args: str) -> Result:
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def ok(*args: str) -> Result:
    result = run(*args)
    assert result.exit_code == 0, result.output
    return result


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Any]]:
    """A workspace with a small simulated world and its alerts; what the simulator planted."""
    base = tmp_path_factory.mktemp("channels")
    home = base / "home"
    simulated = ok(
        "simulate", "-o", str(base / DATASET), "--parties", "2000", "--days", "60",
        "--home", str(home), "--json", "-q",
    )  # fmt: skip
    ok("monitor", "--dataset", DATASET, "--home", str(home), "-q")
    return home, json.loads(simulated.stdout)


@pytest.fixture(scope="module")
def report(world: tuple[Path, dict[str, Any]]) -> ChannelsReport:
    return channels_report(Workspace(world[0]), DATASET)


def _alerted_usd(home: Path, typologies: list[str] | None = None) -> tuple[int, float]:
    """The alerted transactions (each once) and their USD, straight from the store."""
    where = "" if typologies is None else "AND list_contains(?, typology)"
    params: list[Any] = [DATASET] + ([] if typologies is None else [typologies]) + [DATASET]
    conn = duckdb.connect(str(Workspace(home).db_path), read_only=True)
    try:
        ((count, usd),) = conn.execute(
            f"""SELECT count(*), sum(base_amount) FROM transactions
            WHERE tx_id IN (SELECT unnest(tx_ids) FROM alerts WHERE dataset = ? {where})
              AND dataset = ?""",
            params,
        ).fetchall()
    finally:
        conn.close()
    return int(count), float(usd or 0.0)


def _alerted_typologies(home: Path) -> set[str]:
    conn = duckdb.connect(str(Workspace(home).db_path), read_only=True)
    try:
        rows = conn.execute(
            "SELECT DISTINCT typology FROM alerts WHERE dataset = ?", [DATASET]
        ).fetchall()
    finally:
        conn.close()
    return {str(r[0]) for r in rows}


# ------------------------------------------------------------------------------------ figures


def test_the_totals_are_the_alerted_transactions_usd(
    world: tuple[Path, dict[str, Any]], report: ChannelsReport
) -> None:
    count, usd = _alerted_usd(world[0])
    assert report.transactions == count > 0
    assert report.amount == pytest.approx(usd, abs=0.01)
    assert report.currency == "USD" and report.without_amount == 0
    assert report.alerts >= len(report.channels) > 0
    assert report.monitored_at is not None
    # the corridors and the days count each transaction once too
    assert sum(c.transactions for c in report.corridors) == count
    assert sum(c.amount for c in report.corridors) == pytest.approx(usd, abs=0.05)
    assert sum(d.amount for d in report.days) == pytest.approx(usd, abs=0.05)


def test_each_channel_is_its_typologies_transactions_once(
    world: tuple[Path, dict[str, Any]], report: ChannelsReport
) -> None:
    home = world[0]
    for row in report.channels:
        if row.typologies == ("crops",):
            continue  # split by goods: below
        count, usd = _alerted_usd(home, list(row.typologies))
        assert (row.transactions, row.amount) == (count, pytest.approx(usd, abs=0.01)), row
        months = [m for m in report.months if m.channel == row.channel]
        assert sum(m.transactions for m in months) == row.transactions
        assert sum(m.amount for m in months) == pytest.approx(row.amount, abs=0.05)
        assert row.first_day is not None and row.last_day is not None
        assert row.first_day <= row.last_day and row.parties > 0
    crops = [r for r in report.channels if r.typologies == ("crops",)]
    if crops:
        count, usd = _alerted_usd(home, ["crops"])
        assert {r.channel for r in crops} <= {g[0] for g in GOODS} | {"crops"}
        assert sum(r.transactions for r in crops) == count
        assert sum(r.amount for r in crops) == pytest.approx(usd, abs=0.05)


def test_every_planted_channel_with_alerts_is_in_the_report(
    world: tuple[Path, dict[str, Any]], report: ChannelsReport
) -> None:
    home, simulated = world
    alerted = _alerted_typologies(home)
    planted = set(simulated["channels"]) & alerted
    assert {"oil", "donations", "laundering-hub"} <= planted  # the world is not empty
    shown = {r.channel for r in report.channels}
    for typology in planted:
        if typology == "crops":
            assert shown & {g[0] for g in GOODS}, "the crops alerts are split by goods"
        else:
            assert channel_of(typology) in shown, typology
    # the layering scenarios share one channel
    layering = [r for r in report.channels if r.channel == "layering"]
    assert layering and all(t.startswith("layering-") for t in layering[0].typologies)
    assert set(report.silent_channels).isdisjoint(shown)


def test_the_figures_are_json() -> None:
    found = _hostile_report()
    data = json.loads(json.dumps(found.to_dict()))
    assert data["channels"][0]["first_day"] == "2025-01-02"
    assert "oil" in data["silent_channels"]


def test_an_unknown_dataset_is_named() -> None:
    with pytest.raises(NotFoundError, match="no dataset 'nowhere'"):
        channels_report(Workspace(Path("/nonexistent/counterflow-home")), "nowhere")


# --------------------------------------------------------------------------------------- HTML


def _assert_self_contained(html: str) -> None:
    assert html.startswith("<!DOCTYPE html>")
    lowered = html.lower()
    assert "<script" not in lowered
    assert not re.search(r"\b(src|href|srcset|action|formaction|xlink:href)\s*=", lowered)
    assert "@import" not in lowered and "url(" not in lowered and "<link" not in lowered
    # the only http(s) text is the SVG namespace (a name, never fetched)
    found = set(re.findall(r"https?://[^\s\"'<>]+", html))
    assert found <= {"http://www.w3.org/2000/svg"}, found
    assert "@media print" in html
    svgs = re.findall(r"<svg\b.*?</svg>", html, flags=re.S)
    assert svgs
    for svg in svgs:
        ET.fromstring(svg)


def test_the_html_stands_alone_and_is_deterministic(report: ChannelsReport) -> None:
    html = render_html(report)
    _assert_self_contained(html)
    assert html == render_html(report)
    assert len(re.findall(r"<svg\b", html)) == 4
    assert report.channels[0].caption in html
    assert f"USD {round(report.amount):,}" in html


def _hostile_report() -> ChannelsReport:
    row = ChannelRow(
        channel=HOSTILE,
        caption=HOSTILE,
        typologies=(HOSTILE,),
        alerts=1,
        transactions=2,
        amount=1234.5,
        parties=2,
        first_day=date(2025, 1, 2),
        last_day=date(2025, 1, 3),
    )
    return ChannelsReport(
        dataset=HOSTILE,
        currency="USD",
        monitored_at=None,
        alerts=1,
        transactions=2,
        amount=1234.5,
        parties=2,
        without_amount=0,
        channels=(row,),
        months=(MonthRow("2025-01", HOSTILE, 2, 1234.5),),
        corridors=(CorridorRow(HOSTILE, "IQ", 2, 1234.5, (HOSTILE,)),),
        days=(DayRow(date(2025, 1, 2), 1000.0), DayRow(date(2025, 1, 3), 234.5)),
    )


def test_hostile_names_stay_text_in_the_html(tmp_path: Path) -> None:
    html = render_html(_hostile_report())
    _assert_self_contained(html)
    assert "&lt;/svg&gt;&lt;script&gt;" in html
    target = tmp_path / "out.html"
    write_html(_hostile_report(), target)
    assert target.read_text(encoding="utf-8") == html


def test_an_empty_report_says_to_run_the_scenarios() -> None:
    empty = ChannelsReport("w", "USD", None, 0, 0, 0.0, 0, 0, (), (), (), ())
    html = render_html(empty)
    assert "counterflow monitor --dataset w" in html
    assert set(empty.silent_channels) == set(REVENUE_CHANNELS) - {"crops"}


# ---------------------------------------------------------------------------------------- CLI


def test_the_command_writes_the_report(
    world: tuple[Path, dict[str, Any]], report: ChannelsReport, tmp_path: Path
) -> None:
    home = str(world[0])
    target = tmp_path / "channels.html"
    written = ok("report", "channels", "--dataset", DATASET, "-o", str(target), "--home", home)
    assert target.read_text(encoding="utf-8") == render_html(report)
    assert f"Wrote the channels report of dataset {DATASET}" in written.stderr
    assert "oil" in written.stdout and f"USD {round(report.amount):,}" in written.stdout

    as_json = json.loads(ok("report", "channels", "--home", home, "--json").stdout)
    assert as_json["amount"] == report.amount and as_json["written"] is None
    assert [c["channel"] for c in as_json["channels"]] == [c.channel for c in report.channels]

    to_stdout = ok("report", "channels", "--home", home, "-o", "-")
    assert to_stdout.stdout == render_html(report)

    both = run("report", "channels", "--home", home, "-o", "-", "--json")
    assert both.exit_code == 2 and "give -o FILE" in both.output


def test_the_command_creates_no_workspace(tmp_path: Path) -> None:
    home = tmp_path / "nothing-here"
    result = run("report", "channels", "--dataset", DATASET, "--home", str(home))
    assert result.exit_code == 1 and f"no dataset '{DATASET}'" in result.output
    without = run("report", "channels", "--home", str(home))
    assert without.exit_code == 2 and "give --dataset" in without.output
    assert not home.exists()


# ------------------------------------------------------------------ the counting rules, by hand


def _tx(
    tx_id: str, usd: float | None, payer: str | None, beneficiary: str | None, **more: Any
) -> dict[str, Any]:
    return {
        "tx_id": tx_id,
        "timestamp": datetime(2025, 1, 5, 23, 30, tzinfo=UTC),
        "amount": usd if usd is not None else 77.0,
        "currency": "USD" if usd is not None else "XXX",
        "base_amount": usd,
        "payer_party": f"P-{tx_id}-a",
        "beneficiary_party": f"P-{tx_id}-b",
        "payer_country": payer,
        "beneficiary_country": beneficiary,
        "channel": "wire",
        **more,
    }


def _alert(alert_id: str, typology: str, tx_ids: list[str]) -> dict[str, Any]:
    return {
        "alert_id": alert_id,
        "scenario": f"s-{alert_id}",
        "typology": typology,
        "severity": "high",
        "subject_kind": "party",
        "subject_id": "P1",
        "score": 1.0,
        "tx_ids": tx_ids,
        "explanation": "{}",
        "first_ts": None,
        "last_ts": None,
    }


@pytest.fixture(scope="module")
def by_hand(tmp_path_factory: pytest.TempPathFactory) -> ChannelsReport:
    """Five transactions and six alerts laid out to exercise every counting rule."""
    base = tmp_path_factory.mktemp("by-hand")
    rows = [
        _tx("T1", 1000.0, "TR", "SY", hs_code="1001", goods_description="Wheat, 10 t"),
        _tx("T2", 300.0, "TR", "TR"),  # the crops seller passing the money on: no goods
        _tx("T3", 200.0, "JO", "TR", goods_description="Portland cement, 40 t"),
        _tx("T4", 500.0, "IQ", "IQ"),
        _tx("T5", None, None, None),  # no rate to USD, no countries
    ]
    path = base / "transactions.parquet"
    pq.write_table(pa.Table.from_pylist(rows, schema=TRANSACTIONS), path)
    workspace = Workspace(base / "home")
    store.load_parquet(workspace, "hand", {"transactions": [path]}, fmt="test", source="test")
    alerts = [
        _alert("A1", "crops", ["T1", "T2"]),
        _alert("A2", "crops", ["T3"]),
        _alert("A3", "oil", ["T4"]),
        _alert("A4", "oil", ["T4"]),  # the same payment again: once in the channel
        _alert("A5", "layering-cycle", ["T4"]),  # and once more in another channel
        _alert("A6", HOSTILE, ["T5"]),
    ]
    with workspace.connect() as conn:
        for alert in alerts:
            table = pa.Table.from_pylist([alert], schema=ALERTS)
            replace_alerts(conn, "hand", alert["scenario"], table)
    return channels_report(workspace, "hand")


def test_the_counting_rules(by_hand: ChannelsReport) -> None:
    rows = {r.channel: r for r in by_hand.channels}
    figures = {c: (r.alerts, r.transactions, r.amount) for c, r in rows.items()}
    assert figures == {
        "grain": (1, 2, 1300.0),  # T2 takes its alert's goods
        "cement": (1, 1, 200.0),  # from the goods text: no HS code
        "oil": (2, 1, 500.0),
        "layering": (1, 1, 500.0),
        HOSTILE: (1, 1, 0.0),
    }
    assert [r.channel for r in by_hand.channels][:4] == ["oil", "grain", "cement", "layering"]
    assert rows["grain"].parties == 4 and rows["oil"].typologies == ("oil",)
    assert (by_hand.alerts, by_hand.transactions, by_hand.amount) == (6, 5, 2000.0)
    assert by_hand.without_amount == 1 and by_hand.parties == 10
    # 23:30 UTC stays on the 5th whatever the machine's time zone
    assert [(d.day, d.amount) for d in by_hand.days] == [(date(2025, 1, 5), 2000.0)]
    corridors = {(c.payer_country, c.beneficiary_country): c for c in by_hand.corridors}
    assert corridors[("IQ", "IQ")].channels == ("layering", "oil")
    assert corridors[("IQ", "IQ")].transactions == 1
    assert corridors[("unknown", "unknown")].amount == 0.0
    html = render_html(by_hand)
    _assert_self_contained(html)
    assert "1 alerted transaction(s) have no rate to USD" in html
    assert "&lt;/svg&gt;&lt;script&gt;" in html
