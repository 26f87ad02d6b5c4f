"""The printable case report: every section of a case with evidence of every kind, hostile
names and free text escaped, nothing fetched, tables bounded, the history's verification shown
(intact or not), the same bytes for the same case; and a real case of a simulated world."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from counterflow.cases.db import CaseStore
from counterflow.cases.evidence import canonical_text
from counterflow.cases.lifecycle import (
    Case,
    CaseView,
    Event,
    Evidence,
    HistoryCheck,
    approve,
    get_case,
    open_case,
    propose,
    verify_history,
)
from counterflow.cases.users import add_user
from counterflow.cli import main
from counterflow.errors import ConfigError
from counterflow.reporting.case_report import render_case_report, write_case_report
from counterflow.workspace import Workspace

HOSTILE = "<script>alert(1)</script>"
T0 = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
#: what would make a browser fetch something or run something
EXTERNAL = re.compile(
    r"<script|<link|<iframe|<object|<embed|<img|@import|url\s*\(|"
    r"(?:src|href|action|srcset)\s*=|(?<!xmlns=\")https?://",
    re.IGNORECASE,
)


def _item(seq: int, kind: str, key: str, data: dict[str, Any], dataset: str | None = "world"):
    body = canonical_text(data)
    digest = hashlib.sha256(body.encode("utf-8")).hexdigest()
    return Evidence(seq, kind, key, dataset, body, digest, T0, "ana")


def _transaction(n: int, payer: str, payee: str, amount: float, currency: str = "USD"):
    return {
        "tx_id": f"T{n:04d}",
        "timestamp": (T0 - timedelta(days=30 - n)).isoformat().replace("+00:00", "Z"),
        "amount": amount,
        "currency": currency,
        "base_amount": amount * 1.1 if currency != "USD" else amount,
        "payer_party": payer,
        "beneficiary_party": payee,
        "payer_country": "SY",
        "beneficiary_country": "TR",
        "channel": "wire",
        "goods_description": f"crude oil {HOSTILE}",
    }


def synthetic(transactions: int = 3) -> CaseView:
    """An approved, reported case with evidence of every kind, hostile text everywhere."""
    items = [
        _item(
            1,
            "alert",
            "A-1",
            {
                "alert_id": "A-1",
                "scenario": "oil-border-trade",
                "typology": "oil",
                "severity": "high",
                "subject_kind": "party",
                "subject_id": "P1",
                "score": 0.91,
                "tx_ids": [f"T{n:04d}" for n in range(transactions)],
                "first_ts": "2025-01-02T10:00:00Z",
                "last_ts": "2025-01-05T10:00:00Z",
                "explanation": {
                    "scenario": f"Oil under price {HOSTILE}",
                    "facts": {"amount_usd": 12345.5, "buyer": HOSTILE, "payers": ["P2"]},
                    "parameters": {"min_amount_usd": 1000},
                },
            },
        ),
        *[
            _item(
                2 + n,
                "transaction",
                f"world/T{n:04d}",
                _transaction(n, "P1", "P2" if n % 2 else "P3", 1000.0 + n, "EUR" if n else "USD"),
            )
            for n in range(transactions)
        ],
        _item(90, "party", "world/P1", {"party_id": "P1", "name": HOSTILE, "kind": "person"}),
        _item(91, "party", "world/P2", {"party_id": "P2", "name": "Front & Co", "kind": "company"}),
        _item(92, "party", "world/P3", {"party_id": "P3", "name": "x" * 5000, "city": "Raqqa\x07"}),
        _item(
            93,
            "list_entry",
            "un-sc-2026-02-27/un-sc:QDe.1",
            {
                "edition": {
                    "id": "un-sc-2026-02-27",
                    "list": "un-sc",
                    "published": "2026-02-27",
                    "content_hash": "ab" * 32,
                    "title": "UN",
                },
                "entity": {
                    "id": "un-sc:QDe.1",
                    "schema": "Organization",
                    "list": "un-sc",
                    "properties": {"name": [{"value": f"Listed {HOSTILE}"}]},
                },
            },
            None,
        ),
        _item(
            94,
            "exposure",
            "world/P1->P9",
            {
                "path": {
                    "party": "P1",
                    "seed": "P9",
                    "hops": 2,
                    "direction": "out",
                    "via": ["P2"],
                    "exposure_usd": 900.0,
                    "payments": 2,
                },
                "options": {"hops": 2},
            },
        ),
        _item(
            95,
            "hit",
            "un-sc:QDe.1#0123456789abcdef",
            {"hit": {"entity_id": "un-sc:QDe.1", "list": "un-sc", "score": 0.97, "q": HOSTILE}},
            None,
        ),
    ]
    listing = [{"kind": i.kind, "key": i.key, "hash": i.content_hash} for i in items]
    events = [
        Event(
            1, T0, "ana", "opened", {"title": "t", "priority": "high", "evidence": listing}, "", ""
        ),
        Event(2, T0 + timedelta(hours=1), HOSTILE, "comment", {"text": f"see {HOSTILE}"}, "", ""),
        Event(
            3,
            T0 + timedelta(hours=2),
            "ana",
            "proposed",
            {"decision": "report", "reason": "r"},
            "",
            "",
        ),
        Event(
            4,
            T0 + timedelta(hours=3),
            "rui",
            "approved",
            {"decision": "report", "proposed_by": "ana", "comment": f"file {HOSTILE}"},
            "",
            "",
        ),
        Event(
            5, T0 + timedelta(hours=4), "ana", "reported", {"reference": "FIU-2026-0142"}, "", ""
        ),
    ]
    events = [replace(e, hash=f"{e.seq}" * 64, prev=f"{e.seq - 1}" * 64) for e in events]
    case = Case(
        id="C-000042",
        title=f"Oil {HOSTILE}",
        status="reported",
        priority="high",
        due=T0 + timedelta(days=2),
        dataset="world",
        assignee=None,
        created_by="ana",
        decision="report",
        reason=f"Proceeds of {HOSTILE}",
        proposed_by="ana",
        approved_by="rui",
        reference="FIU-2026-0142",
        version=5,
        created=T0,
        updated=T0,
    )
    return CaseView(case, items, events)


INTACT = HistoryCheck("C-000042", 5, "5" * 64, [])


def test_every_section_is_there() -> None:
    page = render_case_report(synthetic(), INTACT)
    assert page.startswith("<!DOCTYPE html>") and page.rstrip().endswith("</html>")
    for heading in (
        "<h2>Summary</h2>",
        "<h2>Decision trail</h2>",
        "<h2>Money flows</h2>",
        "<h2>Alerts</h2>",
        "<h2>Transactions (3)</h2>",
        "<h2>Parties (3)</h2>",
        "<h2>List entries (1)</h2>",
        "<h2>Exposure paths to listed parties (1)</h2>",
        "<h2>Screening hits (1)</h2>",
    ):
        assert heading in page, heading
    assert "History verified: 5 events intact" in page
    assert "@media print" in page
    assert page.count("<svg") == 3  # flows, timeline, exposure
    # the summary: decision, approval and filing
    assert "rui on 2026-03-01 12:00:00 UTC" in page
    assert "2026-03-01 13:00:00 UTC by ana, FIU reference FIU-2026-0142" in page
    # the trail in order, the evidence as frozen
    trail = page[page.index("<h2>Decision trail") : page.index("<h2>Money flows")]
    assert trail.index(">opened<") < trail.index(">comment<") < trail.index(">reported<")
    assert "un-sc-2026-02-27" in page and "2026-02-27" in page  # the entry's edition
    assert "1,000.00 USD" in page and "1,001.00 EUR" in page and "1,101.10" in page
    assert "amount_usd" in page and "12345.5" in page  # the alert's facts
    assert "Frozen evidence: 1 alert, 3 transactions, 3 parties, 1 list entry" in page


def test_hostile_text_is_escaped_and_nothing_is_fetched() -> None:
    page = render_case_report(synthetic(), INTACT)
    assert HOSTILE not in page
    assert page.count("&lt;script&gt;alert(1)&lt;/script&gt;") >= 8
    found = EXTERNAL.findall(page)
    assert not found, found
    assert "\x07" not in page and "Raqqa\ufffd" in page
    assert "x" * 301 not in page  # long cells are cut
    assert "<script" not in page.lower()


def test_the_same_case_gives_the_same_bytes(tmp_path: Path) -> None:
    view = synthetic()
    first = render_case_report(view, INTACT)
    assert render_case_report(synthetic(), INTACT) == first
    assert "Report made" not in first
    stamped = render_case_report(view, INTACT, generated=datetime(2026, 3, 5, tzinfo=UTC))
    assert "Report made 2026-03-05 00:00:00 UTC" in stamped
    assert "(overdue)" not in stamped  # reported: finished, never overdue
    out = tmp_path / "case.html"
    assert write_case_report(out, view, INTACT) == first
    assert out.read_text("utf-8") == first


def test_long_tables_are_cut_and_say_so() -> None:
    page = render_case_report(synthetic(transactions=12), INTACT, shown_rows=5)
    assert "<h2>Transactions (12)</h2>" in page
    assert "The first 5 of 12 are shown; 7 were left out" in page
    table = page[page.index("<h2>Transactions") : page.index("<h2>Parties")]
    assert table.count("<tr><td>T") == 5
    assert table.index("T0000") < table.index("T0004")  # oldest first
    with pytest.raises(ConfigError):
        render_case_report(synthetic(), INTACT, shown_rows=0)


def test_a_broken_history_is_shown_not_hidden() -> None:
    view = synthetic()
    edited = replace(view.evidence[1], body=view.evidence[1].body.replace("1000", "10"))
    view = replace(view, evidence=[view.evidence[0], edited, *view.evidence[2:]])
    check = HistoryCheck(
        "C-000042", 5, "5" * 64, [f"event 2 (comment): the hash does not match {HOSTILE}"]
    )
    page = render_case_report(view, check)
    assert "History NOT intact" in page and "History verified" not in page
    assert "event 2 (comment): the hash does not match &lt;script&gt;" in page
    assert "Evidence edited since it was frozen: world/T0000" in page


def test_a_manual_case_from_the_store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("COUNTERFLOW_CASES_URL", raising=False)
    workspace = Workspace(tmp_path / "home")
    with CaseStore.open(workspace.settings, write=True) as store:
        add_user(store, HOSTILE, "analyst")
        add_user(store, "rui", "reviewer")
        case = open_case(store, workspace, HOSTILE, title=f"Tip-off {HOSTILE}")
        propose(store, case.id, HOSTILE, "no-report", f"A known {HOSTILE}")
        approve(store, case.id, "rui")
        view, check = get_case(store, case.id), verify_history(store, case.id)
    page = render_case_report(view, check)
    assert "No evidence: a manual case." in page and "Money flows" not in page
    assert "History verified: 3 events intact" in page
    assert HOSTILE not in page and not EXTERNAL.findall(page)
    assert render_case_report(view, check) == page


# ---------------------------------------------------------------------------- a real world


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A small simulated world with its alerts and one approved report case, C-000001."""
    home = tmp_path_factory.mktemp("case-report") / "home"
    with pytest.MonkeyPatch.context() as mp:
        mp.delenv("COUNTERFLOW_CASES_URL", raising=False)
        for args in (
            ["simulate", "-o", str(home.parent / "world"), "--parties", "1000", "--days", "30"],
            ["monitor"],
        ):
            result = CliRunner().invoke(main, ["--home", str(home), *args])
            assert result.exit_code == 0, result.output
        ws = Workspace(home)
        with ws.connect(read_only=True) as conn:
            alerts = [
                str(r[0])
                for r in conn.execute(
                    "SELECT min(alert_id) FROM alerts GROUP BY scenario ORDER BY 1 LIMIT 3"
                ).fetchall()
            ]
        with CaseStore.open(ws.settings, write=True) as store:
            add_user(store, "amira", "analyst")
            add_user(store, "rania", "reviewer")
            case = open_case(store, ws, "amira", title="Money sent on", alerts=alerts)
            propose(store, case.id, "amira", "report", "Forwarded the same week")
            approve(store, case.id, "rania", "File it.")
        yield home


@pytest.mark.slow
def test_a_real_case(world: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("COUNTERFLOW_CASES_URL", raising=False)
    with CaseStore.open(Workspace(world).settings) as store:
        view, check = get_case(store, "C-000001"), verify_history(store, "C-000001")
    page = render_case_report(view, check)
    transactions = [e for e in view.evidence if e.kind == "transaction"]
    assert transactions
    assert f"<h2>Transactions ({len(transactions)})</h2>" in page
    for item in view.evidence:
        if item.kind == "alert":
            assert item.key in page
    assert "History verified: 3 events intact" in page
    assert page.count("<svg") >= 2 and not EXTERNAL.findall(page)
    assert render_case_report(view, check) == page
