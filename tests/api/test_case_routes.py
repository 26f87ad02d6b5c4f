"""Cases over HTTP: an analyst opens a case from a simulated world's alerts and proposes a
report; the four-eyes rule refuses the analyst's own approval and a reviewer approves; stale
writes, impossible transitions, unknown ids and service keys are refused, and audited."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from fastapi.testclient import TestClient

from counterflow.api import create_app
from counterflow.api.keys import KeyStore, Role
from counterflow.api.models import CaseDetail
from counterflow.cases import AuditLog
from counterflow.cases.db import CaseStore
from counterflow.cases.lifecycle import get_case, verify_history
from counterflow.cases.users import add_user
from counterflow.cli import main
from counterflow.workspace import Workspace


def _cli(*args: str) -> str:
    result = CliRunner().invoke(main, list(args), catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.stdout


@dataclass
class World:
    home: Path
    client: TestClient
    alerts: list[str]
    analyst: dict[str, str]
    reviewer: dict[str, str]
    service: dict[str, str]


def _auth(key: str) -> dict[str, str]:
    return {"Authorization": f"ApiKey {key}"}


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    """A small simulated world with its alerts, an analyst (Rania) and a reviewer (Omar) with
    user keys, an admin service key, and the service over it all."""
    base = tmp_path_factory.mktemp("cases-http")
    home = base / "home"
    world = str(base / "world")
    _cli("simulate", "-o", world, "--parties", "2000", "--days", "60", "--home", str(home))
    _cli("monitor", "--home", str(home))
    listed = json.loads(_cli("alerts", "--home", str(home), "--limit", "3", "--json"))
    alerts = [a["alert_id"] for a in listed]
    assert len(alerts) == 3
    with CaseStore.open(Workspace(home).settings, write=True) as cases:
        add_user(cases, "Rania", "analyst")
        add_user(cases, "Omar", "reviewer")
    keys = KeyStore(home)
    _, rania = keys.create("Rania", Role.ANALYST, user="Rania")
    _, omar = keys.create("Omar", Role.REVIEWER, user="Omar")
    _, desk = keys.create("desk", Role.ADMIN)
    workspace = Workspace(home)
    app = create_app(workspace, workspace.settings.with_(reload_seconds=0))
    with TestClient(app) as client:
        yield World(home, client, alerts, _auth(rania), _auth(omar), _auth(desk))


def _records(home: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in AuditLog.for_home(home).path.read_text().splitlines()]


def _open(world: World, **body: Any) -> dict[str, Any]:
    made = world.client.post(
        "/cases", json={"title": "Hub payments", **body}, headers=world.analyst
    )
    assert made.status_code == 201, made.text
    case: dict[str, Any] = made.json()
    return case


def test_the_journey_with_two_users(world: World) -> None:
    client, analyst, reviewer = world.client, world.analyst, world.reviewer
    made = client.post(
        "/cases",
        json={"title": "Hub payments", "alerts": world.alerts[:2], "priority": "high"},
        headers=analyst,
    )
    assert made.status_code == 201, made.text
    case = made.json()
    case_id = case["id"]
    assert case["status"] == "new" and case["created_by"] == "Rania" and case["version"] == 1
    assert made.headers["Location"] == f"/cases/{case_id}"
    assert made.headers["ETag"] == '"1"'

    shown = client.get(f"/cases/{case_id}", headers=analyst)
    assert shown.status_code == 200 and shown.headers["ETag"] == '"1"'
    CaseDetail.model_validate(shown.json())  # the evidence spliced in verbatim fits the model
    with CaseStore.open(Workspace(world.home).settings) as store:
        stored = {e.key: e.body for e in get_case(store, case_id).evidence}
    assert all(f'"data": {body}' in shown.text for body in stored.values())
    evidence = shown.json()["evidence"]
    assert {e["key"] for e in evidence if e["kind"] == "alert"} == set(world.alerts[:2])
    assert any(e["kind"] == "transaction" for e in evidence)
    assert any(e["kind"] == "party" for e in evidence)

    assigned = client.post(
        f"/cases/{case_id}/assign", json={"user": "rania"}, headers={**analyst, "If-Match": '"1"'}
    )
    assert assigned.status_code == 200, assigned.text
    assert assigned.json()["status"] == "investigating" and assigned.headers["ETag"] == '"2"'
    said = client.post(
        f"/cases/{case_id}/comments",
        json={"text": "the hub pays three listed parties"},
        headers=analyst,
    )
    assert said.status_code == 200 and said.json()["version"] == 3
    proposed = client.post(
        f"/cases/{case_id}/propose",
        json={"decision": "report", "reason": "funds routed through a hub"},
        headers={**analyst, "If-Match": '"3"'},
    )
    assert proposed.status_code == 200, proposed.text
    assert proposed.json()["status"] == "proposed" and proposed.json()["proposed_by"] == "Rania"

    # an analyst may not approve at all; as a reviewer, the proposer would meet the four eyes
    own = client.post(f"/cases/{case_id}/approve", json={}, headers=analyst)
    assert own.status_code == 403 and "needs reviewer" in own.json()["detail"]
    approved = client.post(
        f"/cases/{case_id}/approve", json={"comment": "agreed"}, headers=reviewer
    )
    assert approved.status_code == 200, approved.text
    assert approved.json()["status"] == "approved" and approved.json()["approved_by"] == "Omar"

    final = client.get(f"/cases/{case_id}", headers=analyst).json()
    assert [e["kind"] for e in final["events"]] == [
        "opened",
        "assigned",
        "comment",
        "proposed",
        "approved",
    ]
    assert final["events"][2]["payload"] == {"text": "the hub pays three listed parties"}
    assert final["events"][4]["actor"] == "Omar" and final["evidence"] == evidence
    with CaseStore.open(Workspace(world.home).settings) as store:
        assert verify_history(store, case_id).ok

    listed = client.get("/cases", params={"status": "approved"}, headers=analyst).json()
    assert case_id in [c["id"] for c in listed["cases"]]
    mine = client.get("/cases", params={"assignee": "Rania"}, headers=reviewer).json()
    assert case_id in [c["id"] for c in mine["cases"]]

    records = [r for r in _records(world.home) if r.get("case") == case_id]
    assert [r["action"] for r in records] == [
        "case open",
        "case read",
        "case assign",
        "case comment",
        "case propose",
        "case approve",
        "case read",
    ]
    assert records[0]["actor"].startswith("user:Rania (key ")
    assert records[-2]["actor"].startswith("user:Omar (key ")


def test_the_four_eyes_rule_refuses_a_reviewer_who_proposed(world: World) -> None:
    case_id = _open(world)["id"]
    client, reviewer = world.client, world.reviewer
    assert (
        client.post(f"/cases/{case_id}/assign", json={"user": "Omar"}, headers=reviewer)
    ).status_code == 200
    proposed = client.post(
        f"/cases/{case_id}/propose",
        json={"decision": "no-report", "reason": "a known supplier"},
        headers=reviewer,
    )
    assert proposed.status_code == 200
    refused = client.post(f"/cases/{case_id}/approve", json={}, headers=reviewer)
    assert refused.status_code == 403
    assert refused.json()["detail"].startswith("the four-eyes rule: 'Omar' made this proposal")
    denied = _records(world.home)[-1]
    assert denied["action"] == "error" and denied["status"] == 403
    assert "four-eyes" in denied["detail"]
    returned = client.post(
        f"/cases/{case_id}/return", json={"reason": "ask another reviewer"}, headers=reviewer
    )
    assert returned.status_code == 200 and returned.json()["status"] == "investigating"


def test_a_stale_write_is_409_with_the_current_version(world: World) -> None:
    case_id = _open(world)["id"]
    client, analyst = world.client, world.analyst
    client.post(f"/cases/{case_id}/comments", json={"text": "first"}, headers=analyst)
    stale = client.post(
        f"/cases/{case_id}/comments",
        json={"text": "second"},
        headers={**analyst, "If-Match": '"1"'},
    )
    assert stale.status_code == 409 and stale.headers["ETag"] == '"2"'
    assert "changed since it was read (version 1, now 2)" in stale.json()["detail"]
    assert client.get(f"/cases/{case_id}", headers=analyst).json()["version"] == 2
    bad = client.post(
        f"/cases/{case_id}/comments", json={"text": "x"}, headers={**analyst, "If-Match": "soon"}
    )
    assert bad.status_code == 400 and "If-Match" in bad.json()["detail"]


def test_an_impossible_transition_is_409_naming_the_status(world: World) -> None:
    case_id = _open(world)["id"]
    refused = world.client.post(
        f"/cases/{case_id}/reopen", json={"reason": "why not"}, headers=world.reviewer
    )
    assert refused.status_code == 409 and refused.headers["ETag"] == '"1"'
    assert refused.json()["detail"] == (
        f"case {case_id} is new: cannot reopen it (only a case that is closed)"
    )
    approve = world.client.post(f"/cases/{case_id}/approve", json={}, headers=world.reviewer)
    assert approve.status_code == 409 and "is new" in approve.json()["detail"]


def test_unknown_ids_are_404_naming_them(world: World) -> None:
    client, analyst = world.client, world.analyst
    missing = client.get("/cases/C-999999", headers=analyst)
    assert missing.status_code == 404 and missing.json()["detail"] == "no case 'C-999999'"
    odd = client.post("/cases/nonsense/comments", json={"text": "x"}, headers=analyst)
    assert odd.status_code == 404 and "'nonsense'" in odd.json()["detail"]
    no_alert = client.post(
        "/cases", json={"title": "t", "alerts": ["A-0000000000000000"]}, headers=analyst
    )
    assert no_alert.status_code == 404 and "'A-0000000000000000'" in no_alert.json()["detail"]
    case_id = _open(world)["id"]
    nobody = client.post(f"/cases/{case_id}/assign", json={"user": "nobody"}, headers=analyst)
    assert nobody.status_code == 404 and "no user 'nobody'" in nobody.json()["detail"]
    no_one = client.get("/cases", params={"assignee": "nobody"}, headers=analyst)
    assert no_one.status_code == 404


def test_a_service_key_reads_cases_but_cannot_work_them(world: World) -> None:
    case_id = _open(world)["id"]
    client, service = world.client, world.service
    assert client.get(f"/cases/{case_id}", headers=service).status_code == 200
    for path, body in (
        ("/cases", {"title": "from a script"}),
        (f"/cases/{case_id}/comments", {"text": "a machine's note"}),
        (f"/cases/{case_id}/approve", {}),
    ):
        refused = client.post(path, json=body, headers=service)
        assert refused.status_code == 403, path
        assert "use a user key" in refused.json()["detail"]
    assert client.get(f"/cases/{case_id}", headers=world.analyst).json()["version"] == 1


def test_evidence_can_be_added_and_manual_cases_opened(world: World) -> None:
    case = _open(world, priority="low")
    assert case["priority"] == "low" and case["dataset"] is None
    added = world.client.post(
        f"/cases/{case['id']}/evidence",
        json={"alerts": world.alerts[2:]},
        headers={**world.analyst, "If-Match": '"1"'},
    )
    assert added.status_code == 200, added.text
    assert added.json()["version"] == 2 and added.json()["dataset"] is None
    shown = world.client.get(f"/cases/{case['id']}", headers=world.analyst).json()
    assert [e["key"] for e in shown["evidence"] if e["kind"] == "alert"] == world.alerts[2:]
    assert shown["events"][-1]["kind"] == "evidence"


def test_bodies_are_bounded_and_checked(world: World) -> None:
    client, analyst = world.client, world.analyst
    long_title = client.post("/cases", json={"title": "x" * 201}, headers=analyst)
    assert long_title.status_code == 422
    assert long_title.json()["detail"][0]["loc"] == ["body", "title"]
    hostile = client.post(
        "/cases",
        content=b'{"title": "\\ud800"}',
        headers={**analyst, "Content-Type": "application/json"},
    )
    assert hostile.status_code == 422 and "lone surrogate" in hostile.text
    blank = client.post("/cases", json={"title": "   "}, headers=analyst)
    assert blank.status_code == 400 and "cannot be empty" in blank.json()["detail"]
    priority = client.post("/cases", json={"title": "t", "priority": "urgent"}, headers=analyst)
    assert priority.status_code == 400 and "no priority 'urgent'" in priority.json()["detail"]
    case_id = _open(world)["id"]
    decision = client.post(
        f"/cases/{case_id}/propose", json={"decision": "maybe", "reason": "r"}, headers=analyst
    )
    assert decision.status_code == 422
    status = client.get("/cases", params={"status": "lost"}, headers=analyst)
    assert status.status_code == 422


def test_alerts_are_listed_with_the_cases_they_are_in(world: World) -> None:
    client, analyst = world.client, world.analyst
    first = client.get("/alerts", params={"dataset": "world", "limit": 5}, headers=analyst)
    assert first.status_code == 200, first.text
    listed = first.json()["alerts"]
    assert len(listed) == 5 and [a["alert_id"] for a in listed[:3]] == world.alerts
    assert listed[0]["dataset"] == "world" and listed[0]["transactions"]
    assert listed[0]["explanation"]["facts"]
    case_id = _open(world, alerts=[world.alerts[0]])["id"]
    in_case = client.get("/alerts", params={"status": "in-case"}, headers=analyst).json()
    found = {a["alert_id"]: a for a in in_case["alerts"]}
    assert case_id in found[world.alerts[0]]["cases"]
    assert {a["status"] for a in in_case["alerts"]} == {"in-case"}
    still_open = client.get(
        "/alerts", params={"status": "open", "limit": 1000}, headers=analyst
    ).json()
    assert world.alerts[0] not in {a["alert_id"] for a in still_open["alerts"]}
    assert {a["status"] for a in still_open["alerts"]} == {"open"}
    typology = listed[0]["typology"]
    same = client.get("/alerts", params={"typology": typology}, headers=analyst).json()
    assert same["alerts"] and {a["typology"] for a in same["alerts"]} == {typology}
    assert client.get("/alerts", params={"typology": "none"}, headers=analyst).json() == {
        "alerts": [],
        "limit": 100,
    }
    unknown = client.get("/alerts", params={"dataset": "atlantis"}, headers=analyst)
    assert unknown.status_code == 404 and "no dataset 'atlantis'" in unknown.json()["detail"]
    assert _records(world.home)[-2]["action"] == "alerts"


def test_an_analyst_key_is_needed_for_alerts(world: World) -> None:
    _, screen = KeyStore(world.home).create("gateway", Role.SCREEN)
    refused = world.client.get("/alerts", headers=_auth(screen))
    assert refused.status_code == 403 and "this needs analyst" in refused.json()["detail"]


def test_alerts_are_dismissed_and_reopened_as_a_user(world: World) -> None:
    client, analyst = world.client, world.analyst
    listed = client.get("/alerts", params={"status": "open", "limit": 1000}, headers=analyst)
    target = listed.json()["alerts"][-1]
    alert_id = target["alert_id"]
    assert target["new"] is True and target["dismissal"] is None and target["raised_first"]

    dismissed = client.post(
        f"/alerts/{alert_id}/dismiss", json={"reason": "a known client"}, headers=analyst
    )
    assert dismissed.status_code == 200, dismissed.text
    body = dismissed.json()
    assert body["status"] == "dismissed" and body["dismissal"]["by"] == "Rania"
    assert body["dismissal"]["reason"] == "a known client"
    assert _records(world.home)[-1]["action"] == "alert dismiss"
    again = client.post(f"/alerts/{alert_id}/dismiss", json={"reason": "x"}, headers=analyst)
    assert again.status_code == 409 and "dismissed already" in again.json()["detail"]
    shown = client.get(f"/alerts/{alert_id}", headers=analyst).json()
    assert shown["status"] == "dismissed"
    only = client.get("/alerts", params={"status": "dismissed"}, headers=analyst).json()
    assert [a["alert_id"] for a in only["alerts"]] == [alert_id]
    still_open = client.get("/alerts", params={"status": "open", "limit": 1000}, headers=analyst)
    assert alert_id not in {a["alert_id"] for a in still_open.json()["alerts"]}

    service = client.post(f"/alerts/{alert_id}/reopen", json={"reason": "x"}, headers=world.service)
    assert service.status_code == 403 and "acts as no user" in service.json()["detail"]
    reopened = client.post(
        f"/alerts/{alert_id}/reopen", json={"reason": "new deposits"}, headers=analyst
    )
    assert reopened.status_code == 200 and reopened.json()["status"] == "open"

    in_case = _open(world, alerts=[alert_id])["id"]
    refused = client.post(f"/alerts/{alert_id}/dismiss", json={"reason": "x"}, headers=analyst)
    assert refused.status_code == 409 and f"evidence in case {in_case}" in refused.json()["detail"]
    unknown = client.post(
        "/alerts/A-0000000000000000/dismiss", json={"reason": "x"}, headers=analyst
    )
    assert (
        unknown.status_code == 404 and "no alert 'A-0000000000000000'" in unknown.json()["detail"]
    )
    empty = client.post(f"/alerts/{alert_id}/dismiss", json={"reason": ""}, headers=analyst)
    assert empty.status_code == 422


def test_cases_are_listed_a_page_at_a_time(world: World) -> None:
    client, analyst = world.client, world.analyst
    for _ in range(3):
        _open(world)
    every = client.get("/cases", params={"limit": 1000}, headers=analyst).json()
    assert every["more"] is False and len(every["cases"]) >= 3
    ids = [c["id"] for c in every["cases"]]
    first = client.get("/cases", params={"limit": 2}, headers=analyst).json()
    assert [c["id"] for c in first["cases"]] == ids[:2] and first["more"] is True
    second = client.get("/cases", params={"limit": 2, "offset": 2}, headers=analyst).json()
    assert [c["id"] for c in second["cases"]] == ids[2:4] and second["offset"] == 2
    too_many = client.get("/cases", params={"limit": 1001}, headers=analyst)
    assert too_many.status_code == 422
