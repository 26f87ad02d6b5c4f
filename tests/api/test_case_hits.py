"""Escalating a screening hit over HTTP: a /match answer names its request id, its audit record
holds enough to rebuild each hit, and ``POST /cases`` opens a case from
``{"audit": REQUEST_ID, "entity_id": …}`` with the hit frozen as evidence and an ``escalated``
decision recorded; unknown requests and entries are 404 naming them, a damaged record is
refused (503, the log naming it)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from counterflow.api import create_app
from counterflow.api.keys import KeyStore, Role
from counterflow.cases import AuditLog, DecisionStore, verify
from counterflow.cases.db import CaseStore
from counterflow.cases.decisions import Status
from counterflow.cases.users import add_user
from counterflow.cli.demo_cmd import sample_list_path
from counterflow.lists import store
from counterflow.workspace import Workspace

PERSON = {"schema": "Person", "properties": {"name": ["Fulan Allan"], "birthDate": ["1970"]}}
TARGET = "un-sc:ZZi.001"


@dataclass
class Service:
    home: Path
    client: TestClient
    analyst: dict[str, str]
    gateway: dict[str, str]


@pytest.fixture
def service(home: Path) -> Iterator[Service]:
    """The sample list served, a screening key for the gateway and a user key for Rania."""
    workspace = Workspace(home)
    store.import_list(workspace, sample_list_path())
    with CaseStore.open(workspace.settings, write=True) as cases:
        add_user(cases, "Rania", "analyst")
    keys = KeyStore(home)
    _, gateway = keys.create("gateway", Role.SCREEN)
    _, rania = keys.create("Rania", Role.ANALYST, user="Rania")
    app = create_app(workspace, workspace.settings.with_(reload_seconds=0))
    with TestClient(app) as client:
        yield Service(
            home,
            client,
            {"Authorization": f"ApiKey {rania}"},
            {"Authorization": f"ApiKey {gateway}"},
        )


def _match(service: Service) -> str:
    answer = service.client.post(
        "/match/default", json={"queries": {"q": PERSON}}, headers=service.gateway
    )
    assert answer.status_code == 200, answer.text
    ids = [r["id"] for r in answer.json()["responses"]["q"]["results"]]
    assert TARGET in ids
    return answer.headers["X-Request-Id"]


def _records(home: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in AuditLog.for_home(home).path.read_text().splitlines()]


def test_match_audits_its_request_id_and_what_each_result_was(service: Service) -> None:
    request_id = _match(service)
    assert request_id.startswith("r-") and len(request_id) == 18
    record = _records(service.home)[-1]
    assert record["action"] == "match" and record["request_id"] == request_id
    top = next(r for r in record["results"]["q"] if r["id"] == TARGET)
    assert top["list"] == "un-sc" and top["caption"] and top["matched_name"]


def test_a_case_opened_from_an_audited_hit(service: Service) -> None:
    request_id = _match(service)
    made = service.client.post(
        "/cases",
        json={"title": "Fulan", "hits": [{"audit": request_id, "entity_id": TARGET}]},
        headers=service.analyst,
    )
    assert made.status_code == 201, made.text
    case_id = made.json()["id"]
    detail = service.client.get(f"/cases/{case_id}", headers=service.analyst).json()
    hits = [e for e in detail["evidence"] if e["kind"] == "hit"]
    assert len(hits) == 1
    hit = hits[0]["data"]["hit"]
    assert hit["request_id"] == request_id and hit["entity_id"] == TARGET
    assert hit["query_name"] == "Fulan Allan" and hit["matched_name"]
    assert hit["list"] == "un-sc" and hit["edition"].startswith("un-sc@")
    assert isinstance(hit["score"], float) and hit["query"] == PERSON
    entries = [e for e in detail["evidence"] if e["kind"] == "list_entry"]
    assert [e["key"] for e in entries] == [f"{hit['edition']}/{TARGET}"]
    # the escalation is a decision on the (query, entry) pair, and the hit stays raised
    escalated = [d for d in DecisionStore(service.home).all() if d.status is Status.ESCALATED]
    assert [(d.entity_id, d.reason, d.analyst) for d in escalated] == [
        (TARGET, f"escalated to case {case_id}", "Rania")
    ]
    again = service.client.post(
        "/match/default", json={"queries": {"q": PERSON}}, headers=service.gateway
    ).json()["responses"]["q"]["results"]
    assert next(r for r in again if r["id"] == TARGET)["decision"] is None
    opened = [r for r in _records(service.home) if r["action"] == "case open"][-1]
    assert opened["escalated"] == [escalated[0].decision_id] and opened["hits"] == 1
    assert verify(AuditLog.for_home(service.home)).ok


def test_evidence_from_an_audited_hit_by_seq(service: Service) -> None:
    _match(service)
    seq = _records(service.home)[-1]["seq"]
    made = service.client.post("/cases", json={"title": "Later"}, headers=service.analyst)
    case_id = made.json()["id"]
    added = service.client.post(
        f"/cases/{case_id}/evidence",
        json={"hits": [{"audit": str(seq), "entity_id": "ZZi.001"}]},
        headers=service.analyst,
    )
    assert added.status_code == 200, added.text
    detail = service.client.get(f"/cases/{case_id}", headers=service.analyst).json()
    assert {e["kind"] for e in detail["evidence"]} == {"hit", "list_entry"}


def test_unknown_requests_and_entries_are_404_naming_them(service: Service) -> None:
    request_id = _match(service)
    for hit, named in (
        ({"audit": "r-0000000000000000", "entity_id": TARGET}, "r-0000000000000000"),
        ({"audit": request_id, "entity_id": "un-sc:ZZe.999"}, "un-sc:ZZe.999"),
    ):
        answer = service.client.post(
            "/cases", json={"title": "T", "hits": [hit]}, headers=service.analyst
        )
        assert answer.status_code == 404, answer.text
        assert named in answer.text


def test_an_edited_audit_record_is_not_trusted(
    service: Service, caplog: pytest.LogCaptureFixture
) -> None:
    """A damaged trail is the server's problem (503, as for any damaged workspace file); the
    service log names the record."""
    request_id = _match(service)
    path = AuditLog.for_home(service.home).path
    lines = path.read_text().splitlines()
    lines[-1] = lines[-1].replace('"match":true', '"match":false', 1)
    path.write_text("\n".join(lines) + "\n")
    answer = service.client.post(
        "/cases",
        json={"title": "T", "hits": [{"audit": request_id, "entity_id": TARGET}]},
        headers=service.analyst,
    )
    assert answer.status_code == 503, answer.text
    assert "not intact" in caplog.text and request_id in caplog.text
