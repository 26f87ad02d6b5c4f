"""The party page over a small simulated world (TestClient): profile, weekly activity,
counterparties (paged), alerts, screening hits, the graph's data and its JSON endpoints
(``graph.json`` capped per expansion, ``paths.json`` from the library's trace), hostile names as
text; and one browser journey: the alert queue, an alert, a party's graph expanded."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from .conftest import ANALYST, UiPages, sign_in
from .test_alert_pages import assert_inert, build_world, signed_in


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, dict[str, str]]]:
    home = tmp_path_factory.mktemp("ui-parties") / "home"
    with pytest.MonkeyPatch.context() as mp:
        mp.delenv("COUNTERFLOW_CASES_URL", raising=False)
        yield home, build_world(home)


@pytest.fixture(scope="module")
def client(world: tuple[Path, dict[str, str]]) -> Iterator[TestClient]:
    with pytest.MonkeyPatch.context() as mp:
        mp.delenv("COUNTERFLOW_CASES_URL", raising=False)
        with signed_in(world[0]) as c:
            yield c


def _graph(html: str) -> dict:
    block = html.split('id="party-graph-data">')[1].split("</script>")[0]
    return json.loads(block)


@pytest.mark.slow
def test_the_party_page(client: TestClient, world: tuple[Path, dict[str, str]]) -> None:
    party = world[1]["party"]
    page = client.get(f"/ui/parties/world/{party}")
    assert page.status_code == 200
    html = page.text
    for heading in (
        "Profile",
        "Money flow",
        "Activity by week",
        "Counterparties",
        "Alerts",
        "Screening hits",
    ):
        assert f">{heading}</h2>" in html, heading
    assert "USD in by week" in html and "<svg" in html
    assert world[1]["alert"] in html  # its alert is listed
    assert "graph.js" in html and "cytoscape.min.js" in html
    graph = _graph(html)
    assert graph["root"] == party
    assert graph["nodes"][0]["id"] == party
    assert 1 < len(graph["nodes"]) <= 51
    assert graph["edges"] and all("usd" in e for e in graph["edges"])
    assert_inert(html)
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert client.get("/ui/parties/world/NOBODY").status_code == 404
    assert client.get(f"/ui/parties/nowhere/{party}").status_code == 404


@pytest.mark.slow
def test_counterparties_are_paged(client: TestClient, world: tuple[Path, dict[str, str]]) -> None:
    party = world[1]["party"]
    # the party with the most counterparties of the first page's graph
    html = client.get(f"/ui/parties/world/{party}").text
    ids = re.findall(r'class="counterparties">.*', html, re.S)
    assert ids
    rows = re.findall(
        r'<tr><td><a href="/ui/parties/world/([^"]+)">', html.split('class="counterparties"')[1]
    )
    nav = html.split('class="counterparties"')[1]
    if 'rel="next"' in nav:
        second = client.get(f"/ui/parties/world/{party}?cp_page=2").text
        more = re.findall(
            r'<tr><td><a href="/ui/parties/world/([^"]+)">',
            second.split('class="counterparties"')[1],
        )
        assert more and not set(more) & set(rows[:25])
    far = client.get(f"/ui/parties/world/{party}?cp_page=9999")
    assert far.status_code == 200 and "No counterparties." in far.text


@pytest.mark.slow
def test_graph_json_is_capped_and_filtered(
    client: TestClient, world: tuple[Path, dict[str, str]]
) -> None:
    party = world[1]["party"]
    base = f"/ui/parties/world/{party}/graph.json"
    whole = client.get(base, params={"limit": "100"}).json()
    n = len(whole["nodes"]) - 1
    assert n >= 2
    two = client.get(base, params={"limit": "2"}).json()
    assert len(two["nodes"]) == 3 and two["more"] == n + whole["more"] - 2
    # the biggest counterparties come first
    assert [x["id"] for x in two["nodes"][1:]] == [x["id"] for x in whole["nodes"][1:3]]
    # the cap holds whatever is asked
    capped = client.get(base, params={"limit": "100000"}).json()
    assert len(capped["nodes"]) <= 101
    # expanding another node
    other = whole["nodes"][1]["id"]
    theirs = client.get(base, params={"node": other, "limit": "5"}).json()
    assert theirs["node"] == other and theirs["nodes"][0]["id"] == other
    assert 2 <= len(theirs["nodes"]) <= 6  # the party itself is among its neighbours
    # a time window outside the world has nothing
    empty = client.get(base, params={"from": "2030-01-01"}).json()
    assert empty["nodes"] == [
        {
            "id": party,
            "label": empty["nodes"][0]["label"],
            "party": party,
            "flag": empty["nodes"][0]["flag"],
        }
    ]
    assert empty["edges"] == [] and empty["more"] == 0
    assert client.get(base, params={"from": "soon"}).status_code == 400
    assert client.get(base, params={"node": "x" * 500}).status_code == 400
    # names are data: the hostile name is in the JSON as a string
    assert "<script>alert(1)</script>" in {x["label"] for x in whole["nodes"]}


@pytest.mark.slow
def test_paths_to_listed_parties(client: TestClient, world: tuple[Path, dict[str, str]]) -> None:
    party = world[1]["party"]
    found = client.get(f"/ui/parties/world/{party}/paths.json").json()
    assert set(found) >= {"nodes", "edges", "paths", "found", "note"}
    assert len(found["paths"]) <= 25
    ids = {x["id"] for x in found["nodes"]}
    for path in found["paths"]:
        assert set(path["parties"]) <= ids
        assert path["parties"][0] == party or path["parties"][-1] == party
        assert path["usd"] >= 0


@pytest.mark.slow
def test_browser_alert_and_party_graph(ui_server: str, ui_page: UiPages) -> None:
    page = ui_page()
    sign_in(page, ui_server, *ANALYST)
    page.goto(f"{ui_server}/ui/alerts")
    page.wait_for_selector("table.alert-queue")
    page.locator("table.alert-queue tbody a[href^='/ui/alerts/']").first.click()
    page.wait_for_selector("table.transactions tbody tr")
    assert page.locator("table.transactions tbody tr").count() > 0
    page.wait_for_selector("#alert-graph[data-ready]")
    assert int(page.get_attribute("#alert-graph", "data-ready") or 0) > 0
    assert page.locator("#alert-graph canvas").count() > 0
    # a party of the alert, and its graph
    page.locator("ul.graph-nodes a").first.click()
    page.wait_for_selector("#party-graph[data-nodes]")
    before = int(page.get_attribute("#party-graph", "data-nodes") or 0)
    assert before >= 2
    # expand the counterparty with the most dealings of its own (keyboard: the list's buttons)
    buttons = page.locator("#graph-nodes button.expand")
    grew = False
    for i in range(1, min(buttons.count(), 6)):
        buttons.nth(i).focus()
        page.keyboard.press("Enter")
        page.wait_for_function(
            "i => document.querySelectorAll('#graph-nodes button.expand')[i].textContent"
            " === 'Expanded'",
            arg=i,
        )
        after = int(page.get_attribute("#party-graph", "data-nodes") or 0)
        if after > before:
            grew = True
            break
    assert grew, "expanding a node added no party"
    assert page.locator("#graph-nodes li").count() == int(
        page.get_attribute("#party-graph", "data-nodes") or 0
    )
