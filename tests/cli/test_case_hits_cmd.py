"""``cases open`` and ``cases add-evidence`` with screening hits: a row of a real batch results
file, a hit of a /match answer the service audited (escalated, so recorded as a decision),
and the errors that name the file, row, column, request or entity."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from fastapi.testclient import TestClient

from counterflow.api import create_app
from counterflow.api.keys import KeyStore, Role
from counterflow.cases import AuditLog, verify
from counterflow.cli import main
from counterflow.cli.demo_cmd import sample_list_path
from counterflow.lists import store
from counterflow.workspace import Workspace

TARGET = "un-sc:ZZi.001"


def run(home: Path, *args: str) -> Result:
    return CliRunner().invoke(main, ["--home", str(home), *args], catch_exceptions=False)


@pytest.fixture
def ws(home: Path, tmp_path: Path) -> Path:
    """The sample list, an analyst 'ana', and a results file of two screened parties."""
    store.import_list(Workspace(home), sample_list_path())
    assert run(home, "users", "add", "ana", "--role", "analyst").exit_code == 0
    parties = tmp_path / "parties.csv"
    parties.write_text("id,name\nc1,Fulan Allan\nc2,Example Relief Foundation\n")
    screened = run(
        home, "screen", "--input", str(parties), "-o", str(tmp_path / "results.csv"), "--limit", "1"
    )
    assert screened.exit_code == 0, screened.output
    return home


def _served_match(home: Path) -> str:
    """A /match answered (and audited) by the service: its request id."""
    _, key = KeyStore(home).create("gateway", Role.SCREEN)
    workspace = Workspace(home)
    app = create_app(workspace, workspace.settings.with_(reload_seconds=0))
    with TestClient(app, headers={"Authorization": f"ApiKey {key}"}) as client:
        answer = client.post(
            "/match/default",
            json={"queries": {"q": {"schema": "Person", "properties": {"name": ["Fulan Allan"]}}}},
        )
    assert answer.status_code == 200, answer.text
    return answer.headers["X-Request-Id"]


def _show(home: Path, case_id: str) -> dict:
    shown = run(home, "cases", "show", case_id, "--json")
    assert shown.exit_code == 0, shown.output
    return json.loads(shown.stdout)


def test_open_from_a_result_row(ws: Path, tmp_path: Path) -> None:
    opened = run(
        ws, "cases", "open", "--user", "ana", "--title", "Fulan at the counter",
        "--hits-from", str(tmp_path / "results.csv"), "--row", "1",
    )  # fmt: skip
    assert opened.exit_code == 0, opened.output
    assert "Opened C-000001" in opened.output
    assert "1 list entry, 1 screening hit" in opened.output
    assert "decision" not in opened.output  # a row names its query by id only
    (hit,) = [e for e in _show(ws, "C-000001")["evidence"] if e["kind"] == "hit"]
    assert hit["data"]["hit"]["entity_id"] == TARGET and hit["data"]["hit"]["row"] == 1
    by_entity = run(
        ws, "cases", "add-evidence", "C-000001", "--user", "ana",
        "--hits-from", str(tmp_path / "results.csv"), "--where-entity", "un-sc:ZZe.002",
    )  # fmt: skip
    assert by_entity.exit_code == 0, by_entity.output
    assert "C-000001 now holds 2 list entries, 2 screening hits." in by_entity.output


def test_open_and_add_from_an_audited_answer(ws: Path) -> None:
    request_id = _served_match(ws)
    opened = run(
        ws, "cases", "open", "--user", "ana", "--title", "Escalated",
        "--hit-from-audit", f"{request_id}:{TARGET}",
    )  # fmt: skip
    assert opened.exit_code == 0, opened.output
    assert "Escalation recorded as decision d-" in opened.output
    (hit,) = [e for e in _show(ws, "C-000001")["evidence"] if e["kind"] == "hit"]
    assert hit["data"]["hit"]["request_id"] == request_id
    assert hit["data"]["hit"]["query_name"] == "Fulan Allan"
    listed = json.loads(run(ws, "decisions", "list", "--all", "--json").stdout)
    assert [(d["status"], d["reason"], d["analyst"]) for d in listed] == [
        ("escalated", "escalated to case C-000001", "ana")
    ]
    # the same hit into another case, by the answer alone (every result flagged a match)
    second = run(ws, "cases", "open", "--user", "ana", "--title", "Second", "--json")
    assert second.exit_code == 0, second.output
    added = run(
        ws, "cases", "add-evidence", "C-000002", "--user", "ana", "--hit-from-audit", request_id
    )
    assert added.exit_code == 0, added.output
    assert "Escalation recorded" in added.output
    log = AuditLog.for_home(ws)
    assert verify(log).ok
    actions = [json.loads(line)["action"] for line in log.path.read_text().splitlines()]
    assert actions.count("decision") == 2


def test_errors_name_the_file_row_column_request_and_entity(ws: Path, tmp_path: Path) -> None:
    base = ("cases", "open", "--user", "ana", "--title", "T")
    usage = run(ws, *base, "--row", "1")
    assert usage.exit_code == 2 and "--hits-from" in usage.output
    parties = tmp_path / "parties.csv"
    wrong = run(ws, *base, "--hits-from", str(parties), "--row", "1")
    assert wrong.exit_code == 1
    assert "parties.csv" in wrong.output and "row 1" in wrong.output
    assert "missing columns query_id, entity_id" in wrong.output
    missing_row = run(ws, *base, "--hits-from", str(tmp_path / "results.csv"), "--row", "7")
    assert missing_row.exit_code == 1 and "no row 7 in" in missing_row.output
    unknown = run(ws, *base, "--hit-from-audit", "r-0123456789abcdef:" + TARGET)
    assert unknown.exit_code == 1 and "r-0123456789abcdef" in unknown.output
    request_id = _served_match(ws)
    absent = run(ws, *base, "--hit-from-audit", f"{request_id}:un-sc:ZZe.999")
    assert absent.exit_code == 1 and "un-sc:ZZe.999" in absent.output
    nothing = run(ws, "cases", "add-evidence", "C-000001", "--user", "ana")
    assert nothing.exit_code == 2 and "name the evidence" in nothing.output
    # nothing was opened by the refused commands
    listed = run(ws, "cases", "list", "--json")
    assert json.loads(listed.stdout) == []
