"""Hostile text on every page that shows it: a list entry, a party's name, a remittance text and
a case comment carrying ``<script>``, ``<img onerror>``, ``<svg onload>`` and ``javascript:``
payloads render as text, and nothing of them runs.

Every payload sets ``window.__xss`` if it runs; the test also looks for the elements a payload
would make if it were parsed as markup (an ``img`` with ``src="x"``, an ``svg`` with an
``onload``, a link to ``javascript:``), since the page's Content-Security-Policy would stop an
inline handler from running even if escaping had failed: escaping is checked on its own.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import duckdb
import pytest

from api.serving import serving
from counterflow.cases.db import CaseStore
from counterflow.cases.dispositions import list_with_dispositions
from counterflow.cases.lifecycle import comment, open_case
from counterflow.settings import Settings
from counterflow.transactions.ledger import rebuild_ledger
from counterflow.workspace import Workspace
from web.conftest import ANALYST, REVIEWER, UiPages, _cli, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.slow]

HOSTILE_LIST = Path(__file__).resolve().parents[1] / "fixtures" / "web" / "hostile_un.xml"
PARTY_NAME = '<script>window.__xss=11</script><img src=x onerror="window.__xss=12">'
REMITTANCE = 'javascript:window.__xss=13 <svg onload="window.__xss=14"> for goods'
COMMENT = '<img src=x onerror="window.__xss=15"><script>window.__xss=16</script>'
ENTRY_NAME = "ZAHIR <script>window.__xss=1</script> AL-QADIM"


@pytest.fixture(scope="module")
def hostile(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, dict[str, str]]]:
    """A served workspace with hostile text in a list, in the transactions of its top alert,
    and in a case comment; the base URL and the pages that show each."""
    home = tmp_path_factory.mktemp("hostile") / "home"
    with pytest.MonkeyPatch.context() as mp:
        mp.delenv("COUNTERFLOW_CASES_URL", raising=False)
        _cli(home, "lists", "import", str(HOSTILE_LIST), "--list-id", "hostile")
        _cli(
            home, "simulate", "-o", str(home.parent / "world"), "--parties", "1500", "--days", "45"
        )
        _cli(home, "monitor")
        _cli(home, "keys", "create", "--role", "screen", "--name", "hostile-tests")
        for (name, password), role in ((ANALYST, "analyst"), (REVIEWER, "reviewer")):
            _cli(home, "users", "add", name, "--role", role, "--password-stdin", input=password)
        settings = Settings.defaults(home)
        ws = Workspace(settings=settings)
        with CaseStore.open(settings, write=True) as store:
            with ws.connect(read_only=True) as conn:
                alert, _ = list_with_dispositions(store, conn, None, status="open", limit=1)[0]
            case = open_case(store, ws, ANALYST[0], title="Hostile text", alerts=[alert.alert_id])
            comment(store, case.id, ANALYST[0], COMMENT)
        conn = duckdb.connect(str(ws.db_path))
        conn.execute(
            "UPDATE transactions SET payer_name = ? WHERE payer_party = ?",
            [PARTY_NAME, alert.subject_id],
        )
        conn.execute(
            "UPDATE transactions SET beneficiary_name = ? WHERE beneficiary_party = ?",
            [PARTY_NAME, alert.subject_id],
        )
        conn.execute(
            "UPDATE transactions SET remittance_text = ? WHERE tx_id IN (SELECT unnest(?))",
            [REMITTANCE, alert.tx_ids],
        )
        rebuild_ledger(conn, alert.dataset)  # the party pages read the names from it
        conn.close()
        pages = {
            "screen": f"/ui/screen?q={quote(ENTRY_NAME)}",
            "list entry": "/ui/lists/entry/" + quote("hostile:ZZi.901", safe=""),
            "list entry (organisation)": "/ui/lists/entry/" + quote("hostile:ZZe.902", safe=""),
            "lists": "/ui/lists",
            "alert": f"/ui/alerts/{alert.alert_id}",
            "party": f"/ui/parties/{alert.dataset}/{quote(alert.subject_id, safe='')}",
            "case": f"/ui/cases/{case.id}",
            "alert queue": "/ui/alerts?status=in-case",
            "cases": "/ui/cases?view=team",
        }
        with serving(home) as base:
            yield base, pages


def _parsed_payloads(page: object) -> list[str]:
    """Elements the payloads would have made had any been parsed as markup."""
    found: list[str] = page.evaluate(  # type: ignore[attr-defined]
        """() => {
        const bad = [];
        document.querySelectorAll('img[src="x"], svg[onload], [onerror], [onload]')
          .forEach(e => bad.push(e.outerHTML.slice(0, 80)));
        document.querySelectorAll('a[href^="javascript:" i], [src^="javascript:" i]')
          .forEach(e => bad.push(e.outerHTML.slice(0, 80)));
        document.querySelectorAll('script:not([src]):not([type="application/json"])')
          .forEach(e => bad.push(e.outerHTML.slice(0, 80)));
        return bad;
    }"""
    )
    return found


def test_hostile_text_is_text_on_every_page(
    hostile: tuple[str, dict[str, str]], ui_page: UiPages
) -> None:
    base, pages = hostile
    page = ui_page()
    dialogs: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    sign_in(page, base, *ANALYST)
    shown: dict[str, str] = {}
    for name, path in pages.items():
        answer = page.goto(base + path)
        assert answer is not None and answer.status == 200, f"{name}: {path} answered {answer}"
        page.wait_for_load_state("networkidle")
        assert page.evaluate("() => window.__xss") is None, f"a payload ran on the {name} page"
        assert _parsed_payloads(page) == [], f"markup from data on the {name} page"
        shown[name] = page.inner_text("main")
    assert dialogs == []
    # the payloads are there, as the text they are
    assert "<script>window.__xss=1</script>" in shown["list entry"]
    assert 'onerror="window.__xss=2"' in shown["list entry"]
    assert "<svg onload=" in shown["list entry (organisation)"]
    assert "<script>window.__xss=1</script>" in shown["screen"]
    assert "<script>window.__xss=11</script>" in shown["party"]
    assert "javascript:window.__xss=13" in shown["alert"]
    assert 'onerror="window.__xss=15"' in shown["case"]
