"""The case journey over HTTP, on SQLite and on PostgreSQL: two users, an analyst who opens a
case from a simulated world's alerts, comments and proposes a report, and is refused approving
it; a reviewer who approves it; a goAML report that validates against the real 5.0.1 schema and
carries the evidence transactions; a history that verifies, evidence that ``monitor`` run again
leaves byte for byte as it was, and an edited history that is caught."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from click.testing import CliRunner
from fastapi.testclient import TestClient
from lxml import etree

from counterflow.api import create_app
from counterflow.api.keys import KeyStore, Role
from counterflow.cases.db import CaseEventRow, CaseStore
from counterflow.cases.lifecycle import parse_case_id, verify_history
from counterflow.cases.users import add_user
from counterflow.cli import main
from counterflow.settings import Settings
from counterflow.workspace import Workspace

PROFILE = Path(__file__).resolve().parents[1] / "fixtures" / "reporting" / "fiu-generic.toml"


def _cli(home: Path, *args: str) -> str:
    result = CliRunner().invoke(main, ["--home", str(home), *args], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.stdout


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A small simulated world and its alerts (each test copies nothing: it opens its own
    cases in its own case store)."""
    home = tmp_path_factory.mktemp("journey") / "home"
    with pytest.MonkeyPatch.context() as mp:
        mp.delenv("COUNTERFLOW_CASES_URL", raising=False)
        _cli(
            home, "simulate", "-o", str(home.parent / "world"), "--parties", "2000", "--days", "60"
        )
        _cli(home, "monitor")
    return home


@pytest.fixture(params=["sqlite", "postgresql"])
def settings(
    request: pytest.FixtureRequest, world: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Settings]:
    """The world's settings with a fresh case store of each kind; the CLI sees the same one
    (COUNTERFLOW_CASES_URL)."""
    base = Settings.defaults(world).with_(reload_seconds=0, fiu_profile=PROFILE)
    if request.param == "sqlite":
        url = f"sqlite:///{world.parent / f'cases-{request.node.name}.sqlite'}"
        monkeypatch.setenv("COUNTERFLOW_CASES_URL", url)
        yield base.with_(cases_url=url)
        return
    server = request.getfixturevalue("postgres")
    with server.database() as url:
        monkeypatch.setenv("COUNTERFLOW_CASES_URL", url)
        yield base.with_(cases_url=url)


def _auth(key: str) -> dict[str, str]:
    return {"Authorization": f"ApiKey {key}"}


@pytest.mark.slow
@pytest.mark.shared_data
def test_the_journey(settings: Settings, shared_data: Path) -> None:
    with CaseStore.open(settings, write=True) as store:
        add_user(store, "Rania", "analyst")
        add_user(store, "Omar", "reviewer")
    keys = KeyStore(settings.home)
    analyst = _auth(keys.create(f"Rania {settings.cases_url}", Role.ANALYST, user="Rania")[1])
    reviewer = _auth(keys.create(f"Omar {settings.cases_url}", Role.REVIEWER, user="Omar")[1])
    workspace = Workspace(settings=settings)

    with TestClient(create_app(workspace, settings)) as client:
        listed = client.get("/alerts", params={"status": "open", "limit": 3}, headers=analyst)
        alerts = [a["alert_id"] for a in listed.json()["alerts"]]
        made = client.post(
            "/cases",
            json={"title": "Money through a hub", "alerts": alerts, "priority": "high"},
            headers=analyst,
        )
        assert made.status_code == 201, made.text
        case_id = made.json()["id"]
        said = client.post(
            f"/cases/{case_id}/comments", json={"text": "three listed payees"}, headers=analyst
        )
        assert said.status_code == 200
        proposed = client.post(
            f"/cases/{case_id}/propose",
            json={"decision": "report", "reason": "funds routed to listed parties"},
            headers=analyst,
        )
        assert proposed.status_code == 200 and proposed.json()["status"] == "proposed"
        own = client.post(f"/cases/{case_id}/approve", json={}, headers=analyst)
        assert own.status_code == 403 and "this needs reviewer" in own.json()["detail"]
        early = client.get(f"/cases/{case_id}/goaml", headers=analyst)
        assert early.status_code == 409
        approved = client.post(
            f"/cases/{case_id}/approve", json={"comment": "file it"}, headers=reviewer
        )
        assert approved.status_code == 200 and approved.json()["approved_by"] == "Omar"
        in_case = client.get("/alerts", params={"status": "in-case"}, headers=analyst).json()
        assert {a["alert_id"] for a in in_case["alerts"]} == set(alerts)

        report = client.get(f"/cases/{case_id}/goaml", headers=analyst)
        assert report.status_code == 200, report.text
        before = client.get(f"/cases/{case_id}", headers=analyst).json()

        _cli(settings.home, "monitor")  # the same world monitored again under the case
        after = client.get(f"/cases/{case_id}", headers=analyst).json()
        page = client.get(f"/cases/{case_id}/report", headers=analyst)
        assert page.status_code == 200

    schema = etree.XMLSchema(etree.parse(str(shared_data / "goaml" / "goAMLSchema_5.0.1.xsd")))
    root = etree.fromstring(report.content)
    assert schema.validate(root), schema.error_log
    evidence_tx = {
        e["key"].split("/", 1)[1] for e in before["evidence"] if e["kind"] == "transaction"
    }
    assert evidence_tx and set(root.xpath("//transaction/transactionnumber/text()")) == evidence_tx
    assert root.findtext("reporting_person/last_name") or root.find("reporting_person") is not None

    assert _frozen(after) == _frozen(before)  # byte for byte: the canonical bodies and hashes
    with CaseStore.open(settings, write=True) as store:
        assert verify_history(store, case_id).ok
        assert store.engine is not None
        with store.engine.begin() as conn:
            conn.execute(
                sa.update(CaseEventRow)
                .where(CaseEventRow.case_id == parse_case_id(case_id), CaseEventRow.seq == 2)
                .values(payload=json.dumps({"text": "nothing to see"}))
            )
        check = verify_history(store, case_id)
        assert not check.ok and any("2" in problem for problem in check.problems)


def _frozen(case: dict[str, Any]) -> list[tuple[str, str, str, str]]:
    return [
        (e["kind"], e["key"], e["content_hash"], json.dumps(e["data"], sort_keys=True))
        for e in case["evidence"]
    ]
