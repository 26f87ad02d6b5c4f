"""The alert queue and the alert page over a small simulated world (TestClient): filters,
sorting and paging in the query string, the explanation, transactions and graph of one alert,
dismissing with a reason (refused without the form's CSRF token), and hostile names and
remittance texts shown as text."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner
from fastapi.testclient import TestClient

from counterflow.api import create_app
from counterflow.cases.db import CaseStore
from counterflow.cases.users import add_user
from counterflow.cli import main
from counterflow.settings import Settings
from counterflow.transactions.ledger import rebuild_ledger
from counterflow.workspace import Workspace

pytestmark = pytest.mark.slow

PASSWORD = "correct horse 1"
HOSTILE_NAME = "<script>alert(1)</script>"
HOSTILE_TEXTS = ("<img src=x onerror=alert(1)>", "javascript:alert(1)", HOSTILE_NAME)


def _cli(home: Path, *args: str) -> str:
    result = CliRunner().invoke(main, ["--home", str(home), *args], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.stdout


def build_world(home: Path) -> dict[str, str]:
    """A simulated world and its alerts, with hostile text written into it: the top alert's
    subject is named ``<script>…`` (record and messages) and its transactions' remittance
    texts carry the three payloads. Returns the ids the tests use."""
    _cli(home, "simulate", "-o", str(home.parent / "world"), "--parties", "2000", "--days", "60")
    _cli(home, "monitor")
    ws = Workspace(home)
    with ws.connect() as conn:
        alert_id, party, tx_ids = conn.execute(
            "SELECT alert_id, subject_id, tx_ids FROM alerts WHERE subject_kind = 'party' "
            "ORDER BY score DESC, alert_id LIMIT 1"
        ).fetchone()
        conn.execute(
            "UPDATE parties SET name = ? WHERE dataset = 'world' AND party_id = ?",
            [HOSTILE_NAME, party],
        )
        conn.execute(
            "UPDATE transactions SET payer_name = ? WHERE dataset = 'world' AND payer_party = ?",
            [HOSTILE_NAME, party],
        )
        conn.execute(
            "UPDATE transactions SET beneficiary_name = ? "
            "WHERE dataset = 'world' AND beneficiary_party = ?",
            [HOSTILE_NAME, party],
        )
        for i, tx in enumerate(sorted(tx_ids)):
            conn.execute(
                "UPDATE transactions SET remittance_text = ? WHERE dataset = 'world' AND tx_id = ?",
                [HOSTILE_TEXTS[i % len(HOSTILE_TEXTS)], tx],
            )
        rebuild_ledger(conn, "world")  # the party pages read the names from it
    settings = Settings.defaults(home).with_(reload_seconds=0)
    with CaseStore.open(settings, write=True) as store:
        add_user(store, "ana", "analyst", PASSWORD)
    return {"alert": str(alert_id), "party": str(party)}


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, dict[str, str]]]:
    home = tmp_path_factory.mktemp("ui-alerts") / "home"
    with pytest.MonkeyPatch.context() as mp:
        mp.delenv("COUNTERFLOW_CASES_URL", raising=False)
        ids = build_world(home)
        yield home, ids


def signed_in(home: Path) -> TestClient:
    """A client of the world's app, signed in as the analyst ``ana``."""
    settings = Settings.defaults(home).with_(reload_seconds=0)
    client = TestClient(
        create_app(Workspace(settings=settings), settings), base_url="https://testserver"
    )
    page = client.get("/ui/login")
    token = re.search(r'name="csrf" value="([^"]+)"', page.text)
    assert token
    answer = client.post(
        "/ui/login",
        data={"username": "ana", "password": PASSWORD, "csrf": token.group(1)},
        follow_redirects=False,
    )
    assert answer.status_code == 303, answer.text
    return client


def csrf_of(html: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', html)
    assert found
    return found.group(1)


def assert_inert(html: str) -> None:
    """No hostile payload is markup on the page: each appears escaped, never raw."""
    assert "<script>alert(1)" not in html
    assert "<img src=x" not in html
    assert 'href="javascript:' not in html
    assert "onerror=alert(1)>" not in html.replace("onerror=alert(1)&gt;", "")


@pytest.fixture(scope="module")
def client(world: tuple[Path, dict[str, str]]) -> Iterator[TestClient]:
    with pytest.MonkeyPatch.context() as mp:
        mp.delenv("COUNTERFLOW_CASES_URL", raising=False)
        with signed_in(world[0]) as c:
            yield c


def _ids(html: str) -> list[str]:
    return re.findall(r'<td><a href="/ui/alerts/(A-[0-9a-f]+)">', html)


def test_the_queue_needs_a_session(world: tuple[Path, dict[str, str]]) -> None:
    settings = Settings.defaults(world[0]).with_(reload_seconds=0)
    with TestClient(
        create_app(Workspace(settings=settings), settings), base_url="https://testserver"
    ) as anon:
        answer = anon.get("/ui/alerts?status=open", follow_redirects=False)
        assert answer.status_code == 303
        assert answer.headers["location"].startswith("/ui/login?next=/ui/alerts")
        assert (
            anon.get("/ui/parties/world/P1/graph.json", follow_redirects=False).status_code == 303
        )


def test_the_queue_lists_filters_sorts_and_pages(client: TestClient) -> None:
    everything = client.get("/ui/alerts?size=100")
    assert everything.status_code == 200
    all_ids = _ids(everything.text)
    assert len(all_ids) >= 10
    # paging: 5 a page, the pages add up to the whole, links keep the filters
    first = client.get("/ui/alerts?size=5")
    assert _ids(first.text) == all_ids[:5]
    assert 'rel="next"' in first.text and "size=5" in first.text
    second = client.get("/ui/alerts?size=5&page=2")
    assert _ids(second.text) == all_ids[5:10]
    assert 'rel="prev"' in second.text
    # the page size is bounded on the server
    huge = client.get("/ui/alerts?size=100000")
    assert len(_ids(huge.text)) <= 100
    # score descending by default; ascending reverses it
    scores = [
        float(s) for s in re.findall(r'<td class="num">([0-9.]+)</td>\s*<td><time', everything.text)
    ]
    assert scores == sorted(scores, reverse=True)
    ascending = _ids(client.get("/ui/alerts?size=100&sort=score&order=asc").text)
    assert set(ascending) == set(all_ids)
    by_date = client.get("/ui/alerts?size=100&sort=date&order=desc").text
    times = re.findall(r'<td><time datetime="([^"]+)">', by_date)
    assert times == sorted(times, reverse=True)
    # typology filter
    typology = re.search(r'<option value="([^"]+)">', everything.text.split('name="typology"')[1])
    assert typology
    name = typology.group(1)
    some = client.get("/ui/alerts", params={"typology": name, "size": "100"}).text
    assert 0 < len(_ids(some)) < len(all_ids)
    # score minimum
    high = _ids(client.get("/ui/alerts?size=100&min_score=0.9").text)
    assert len(high) <= len(all_ids)
    assert not _ids(client.get("/ui/alerts?min_score=1000").text)
    assert "No alerts match" in client.get("/ui/alerts?min_score=1000").text
    # dataset and status
    assert _ids(client.get("/ui/alerts?size=100&dataset=world&status=open").text)
    assert not _ids(client.get("/ui/alerts?dataset=nowhere").text)
    # dates: the world is 2025-01-01 – 2025-03-01
    assert not _ids(client.get("/ui/alerts?from=2030-01-01").text)
    assert not _ids(client.get("/ui/alerts?to=2020-01-01").text)
    assert len(_ids(client.get("/ui/alerts?size=100&from=2024-12-01&to=2025-12-31").text)) == len(
        all_ids
    )
    # bad values are a 400 page, not a crash
    for bad in ("status=maybe", "min_score=x", "from=yesterday", "sort=name", "page=x"):
        assert client.get(f"/ui/alerts?{bad}").status_code == 400, bad


def test_the_alert_page(client: TestClient, world: tuple[Path, dict[str, str]]) -> None:
    alert = world[1]["alert"]
    page = client.get(f"/ui/alerts/{alert}")
    assert page.status_code == 200
    html = page.text
    assert "Why it was raised" in html and "Parameters" in html and "Facts" in html
    assert 'class="transactions"' in html
    rows = re.findall(r"<tr>\s*<td><time", html.split('class="transactions"')[1])
    assert rows
    assert 'id="alert-graph-data"' in html and "cytoscape.min.js" in html
    assert 'action="/ui/cases/open"' in html and 'name="alert_id"' in html
    assert f'action="/ui/alerts/{alert}/dismiss"' in html
    assert client.get("/ui/alerts/A-0000000000000000").status_code == 404


def test_hostile_text_is_text(client: TestClient, world: tuple[Path, dict[str, str]]) -> None:
    alert, party = world[1]["alert"], world[1]["party"]
    for url in (f"/ui/alerts/{alert}", "/ui/alerts?size=100", f"/ui/parties/world/{party}"):
        html = client.get(url).text
        assert_inert(html)
    html = client.get(f"/ui/alerts/{alert}").text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "&lt;img src=x onerror=alert(1)&gt;" in html
    assert "javascript:alert(1)" in html  # as text in a cell
    # in the graph's data block the name cannot close the block
    block = html.split('id="alert-graph-data">')[1].split("</script>")[0]
    assert "<" not in block and "\\u003cscript\\u003e" in block


def test_dismiss_needs_the_form_token_and_a_reason(
    client: TestClient, world: tuple[Path, dict[str, str]]
) -> None:
    queue = client.get("/ui/alerts?status=open&size=100&sort=score&order=asc")
    target = _ids(queue.text)[0]
    assert target != world[1]["alert"]
    page = client.get(f"/ui/alerts/{target}")
    token = csrf_of(page.text)
    refused = client.post(f"/ui/alerts/{target}/dismiss", data={"reason": "no token"})
    assert refused.status_code == 403
    wrong = client.post(f"/ui/alerts/{target}/dismiss", data={"reason": "x", "csrf": "nope"})
    assert wrong.status_code == 403
    assert 'class="alert-status">open<' in client.get(f"/ui/alerts/{target}").text
    no_reason = client.post(f"/ui/alerts/{target}/dismiss", data={"reason": "  ", "csrf": token})
    assert no_reason.status_code == 400
    assert 'class="alert-status">open<' in client.get(f"/ui/alerts/{target}").text
    done = client.post(
        f"/ui/alerts/{target}/dismiss",
        data={"reason": "known payroll <b>pattern</b>", "csrf": token},
        follow_redirects=False,
    )
    assert done.status_code == 303
    assert done.headers["location"] == f"/ui/alerts/{target}"
    after = client.get(f"/ui/alerts/{target}").text
    assert 'class="alert-status">dismissed<' in after
    assert "known payroll &lt;b&gt;pattern&lt;/b&gt;" in after
    assert target in _ids(client.get("/ui/alerts?status=dismissed").text)
    assert target not in _ids(client.get("/ui/alerts?status=open&size=100").text)
    # dismissing again is a conflict page, not a crash
    again = client.post(f"/ui/alerts/{target}/dismiss", data={"reason": "again", "csrf": token})
    assert again.status_code == 409
