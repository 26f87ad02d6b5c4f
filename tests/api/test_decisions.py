"""Cleared hits: a false positive an analyst cleared stays cleared for the same query until the
list entry changes; the API and the command line share the decisions."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from fastapi.testclient import TestClient

from counterflow.api.keys import KeyStore, Role
from counterflow.cases import AuditLog, DecisionStore, verify
from counterflow.cli import main
from counterflow.cli.demo_cmd import sample_list_path
from counterflow.lists import store
from counterflow.workspace import Workspace

from .conftest import ClientFactory

PERSON = {"schema": "Person", "properties": {"name": ["Fulan Allan"], "birthDate": ["1970"]}}
TARGET = "un-sc:ZZi.001"
REVIEW = ("--analyst", "B. Reviewer", "--reason", "four eyes")


@pytest.fixture
def client(client_with: ClientFactory) -> Iterator[TestClient]:
    """A client whose default key is an analyst's ``admin`` key."""
    with client_with(Role.ADMIN) as test_client:
        yield test_client


def _hit(client: TestClient, query: dict[str, Any], entity_id: str = TARGET) -> dict[str, Any]:
    response = client.post("/match/un-sc", json={"queries": {"q": query}})
    assert response.status_code == 200, response.text
    return next(r for r in response.json()["responses"]["q"]["results"] if r["id"] == entity_id)


def _clear(client: TestClient, query: dict[str, Any], **extra: str) -> dict[str, Any]:
    body = {
        "query": query,
        "entity_id": TARGET,
        "analyst": "A. Analyst",
        "reason": "customer born 1970 in Lyon; different family",
        **extra,
    }
    response = client.post("/decisions", json=body)
    assert response.status_code == 201, response.text
    return dict(response.json())


def _new_edition(tmp_path: Path, home: Path, date: str, *replacements: tuple[str, str]) -> None:
    text = sample_list_path().read_text(encoding="utf-8").replace("2026-01-15T", f"{date}T")
    for old, new in replacements:
        assert old in text
        text = text.replace(old, new)
    path = tmp_path / f"sample-{date}.xml"
    path.write_text(text, encoding="utf-8")
    store.import_list(Workspace(home), path)


def test_a_cleared_hit_is_flagged_not_raised(client: TestClient) -> None:
    before = _hit(client, PERSON)
    assert before["match"] is True and before["decision"] is None
    decision = _clear(client, PERSON)
    assert decision["status"] == "cleared" and decision["edition"] == "2026-01-15"
    assert decision["actor"].endswith("(tests (admin))")
    after = _hit(client, PERSON)
    assert after["match"] is False and after["score"] == before["score"]
    assert after["decision"]["decision_id"] == decision["decision_id"]
    assert after["decision"]["status"] == "cleared"
    assert after["decision"]["analyst"] == "A. Analyst"


def test_the_same_query_spelled_out_differently_is_still_cleared(client: TestClient) -> None:
    _clear(client, PERSON)
    same = {"schema": "Person", "properties": {"birthDate": ["1970"], "name": ["  fulan ALLAN"]}}
    assert _hit(client, same)["decision"]["status"] == "cleared"
    other = {"schema": "Person", "properties": {"name": ["Fulan Allan"]}}  # no birth date
    assert _hit(client, other)["decision"] is None
    assert _hit(client, other)["match"] is True


def test_a_changed_entry_raises_the_hit_again(
    client: TestClient, home: Path, tmp_path: Path
) -> None:
    decision = _clear(client, PERSON)
    # an edition that changes another entry only: the decision still holds
    _new_edition(tmp_path, home, "2026-02-01", ("EXAMPLE RELIEF FOUNDATION", "EXAMPLE AID TRUST"))
    client.post("/admin/reload")
    assert _hit(client, PERSON)["decision"]["status"] == "cleared"
    # an edition that adds an alias to the cleared entry: raised again, the old decision shown
    _new_edition(tmp_path, home, "2026-03-01", ("Abu Mithal", "Abu Mithal al-Jadid"))
    assert client.post("/admin/reload").json()["editions"] == {"un-sc": "2026-03-01"}
    again = _hit(client, PERSON)
    assert again["match"] is True
    assert again["decision"] == {
        "decision_id": decision["decision_id"],
        "status": "entry_changed",
        "analyst": "A. Analyst",
        "time": decision["time"],
        "reason": decision["reason"],
    }


def test_a_revoked_decision_raises_the_hit(client: TestClient) -> None:
    decision = _clear(client, PERSON)
    revoked = client.post(
        f"/decisions/{decision['decision_id']}/revoke",
        json={"analyst": "B. Reviewer", "reason": "second look: same person"},
    )
    assert revoked.status_code == 200 and revoked.json()["status"] == "revoked"
    assert _hit(client, PERSON)["match"] is True
    listed = client.get("/decisions", params={"status": "revoked"}).json()["decisions"]
    assert [d["decision_id"] for d in listed] == [decision["decision_id"]]
    assert client.get("/decisions", params={"status": "cleared"}).json()["decisions"] == []


@pytest.mark.parametrize(
    ("change", "status"),
    [
        ({"entity_id": "un-sc:ZZi.999"}, 404),
        ({"analyst": ""}, 422),
        ({"reason": "x" * 3000}, 422),
        ({"query": {"schema": "Spaceship", "properties": {"name": ["x"]}}}, 400),
        ({"query": {"schema": "Person", "properties": {}}}, 400),
    ],
)
def test_bad_decisions_are_refused(client: TestClient, change: dict[str, Any], status: int) -> None:
    body = {"query": PERSON, "entity_id": TARGET, "analyst": "A", "reason": "r", **change}
    response = client.post("/decisions", json=body)
    assert response.status_code == status and "detail" in response.json()
    assert client.get("/decisions").json()["decisions"] == []


def test_a_screen_key_cannot_clear_hits(client: TestClient, home: Path) -> None:
    _, key = KeyStore(home).create("gateway", Role.SCREEN)
    body = {"query": PERSON, "entity_id": TARGET, "analyst": "A", "reason": "r"}
    response = client.post("/decisions", json=body, headers={"Authorization": f"ApiKey {key}"})
    assert response.status_code == 403


def test_decisions_made_on_the_command_line_reach_the_service(
    client: TestClient, home: Path
) -> None:
    runner = CliRunner()
    args = ["--home", str(home), "decisions", "clear", "ZZi.001", "--name", "Fulan Allan"]
    args += ["--birth-date", "1970", "--schema", "Person"]
    args += ["--analyst", "C. Clerk", "--reason", "other person"]
    result = runner.invoke(main, args)
    assert result.exit_code == 0, result.output
    assert "Cleared un-sc:ZZi.001" in result.output
    hit = _hit(client, PERSON)
    assert hit["match"] is False and hit["decision"]["analyst"] == "C. Clerk"
    screened = runner.invoke(
        main,
        [
            "--home",
            str(home),
            "screen",
            "Fulan Allan",
            "--birth-date",
            "1970",
            "--schema",
            "Person",
        ],
    )
    assert "CLEARED by C. Clerk" in screened.output
    listed = runner.invoke(main, ["--home", str(home), "decisions", "list"])
    assert "un-sc:ZZi.001" in listed.output and "C. Clerk" in listed.output
    decision_id = DecisionStore(home).all()[0].decision_id
    revoked = runner.invoke(
        main,
        ["--home", str(home), "decisions", "revoke", decision_id, *REVIEW],
    )
    assert revoked.exit_code == 0 and _hit(client, PERSON)["match"] is True
    actions = [
        json.loads(line)["action"] for line in AuditLog.for_home(home).path.read_text().splitlines()
    ]
    assert actions.count("decision") == 1 and actions.count("revoke") == 1
    assert verify(AuditLog.for_home(home)).ok


def test_an_ambiguous_or_unknown_entry_is_refused_on_the_command_line(home: Path) -> None:
    store.import_list(Workspace(home), sample_list_path())
    result = CliRunner().invoke(
        main,
        ["--home", str(home), "decisions", "clear", "ZZi.404", "--name", "X", *REVIEW],
    )
    assert result.exit_code == 1 and "no list entry 'ZZi.404'" in result.output
