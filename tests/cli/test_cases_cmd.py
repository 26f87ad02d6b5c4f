"""``counterflow cases`` on the command line: the journey of a case opened from the alerts of a
simulated world by an analyst, approved by a reviewer under the four-eyes rule, and its history
verified and an edit caught; --user before or after the command, stale writes, missing cases,
and reading commands that create nothing."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from counterflow.cli import main
from counterflow.cli.demo_cmd import sample_list_path
from counterflow.lists import store as lists_store
from counterflow.workspace import Workspace


def run(*args: str, input: str | None = None) -> Result:
    return CliRunner().invoke(main, list(args), input=input, catch_exceptions=False)


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A workspace with the sample UN list, a small simulated world ('world') and its alerts;
    the tests keep their cases elsewhere (``cases``), so this one is only read."""
    home = tmp_path_factory.mktemp("cases-cli") / "home"
    lists_store.import_list(Workspace(home), sample_list_path())
    for args in (
        ["simulate", "-o", str(home.parent / "world"), "--parties", "2000", "--days", "60"],
        ["monitor"],
    ):
        result = run("--home", str(home), *args)
        assert result.exit_code == 0, result.output
    return home


@pytest.fixture
def cases(world: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """This test's own case store (beside the shared world), with an analyst and a
    reviewer."""
    store = tmp_path / "cases.sqlite"
    monkeypatch.setenv("COUNTERFLOW_CASES_URL", f"sqlite:///{store}")
    for name, role in (("amira", "analyst"), ("rania", "reviewer")):
        added = run("--home", str(world), "users", "add", name, "--role", role)
        assert added.exit_code == 0, added.output
    return store


def alerts_of(home: Path, *scenarios: str) -> list[str]:
    with Workspace(home).connect(read_only=True) as conn:
        found = []
        for scenario in scenarios:
            row = conn.execute(
                "SELECT alert_id FROM alerts WHERE scenario = ? ORDER BY alert_id LIMIT 1",
                [scenario],
            ).fetchone()
            assert row is not None, f"the world has no {scenario} alert"
            found.append(str(row[0]))
    return found


def cli(world: Path, *args: str) -> Result:
    return run("--home", str(world), "cases", *args)


def opened(world: Path, *extra: str) -> str:
    result = cli(world, "open", "--title", "A tip-off", "--user", "amira", "--json", *extra)
    assert result.exit_code == 0, result.output
    case_id: str = json.loads(result.stdout)["id"]
    return case_id


def test_the_journey(world: Path, cases: Path) -> None:
    listed, oil = alerts_of(world, "listed-counterparty", "oil-border-trade")
    made = cli(
        world, "open", "--user", "amira", "--title", "Oil money to a listed front",
        "--alert", listed, "--alert", oil, "--priority", "high",
    )  # fmt: skip
    assert made.exit_code == 0, made.output
    assert made.stdout.startswith("Opened C-000001 (high, due ")
    assert "Evidence frozen: 2 alerts, " in made.stdout and " transactions, " in made.stdout

    said = cli(
        world, "comment", "C-000001", "The director is the listed man's son.", "--user", "amira"
    )
    assert said.exit_code == 0 and "Comment added to C-000001." in said.output
    proposed = cli(
        world, "propose", "C-000001", "report", "--reason", "Payments to a front", "--user", "amira"
    )
    assert proposed.exit_code == 0 and "C-000001 proposed: report." in proposed.output

    own = cli(world, "approve", "C-000001", "--user", "amira")
    assert own.exit_code == 1
    assert own.output.startswith("Error: ") and len(own.output.strip().splitlines()) == 1
    assert "'amira' is an analyst and may not approve" in own.output
    assert "reviewer role" in own.output

    approved = cli(
        world, "approve", "C-000001", "--comment", "File it.", "--user", "rania", "--json"
    )
    assert approved.exit_code == 0, approved.output
    case = json.loads(approved.stdout)
    assert (case["status"], case["approved_by"], case["proposed_by"]) == (
        "approved", "rania", "amira",
    )  # fmt: skip

    shown = cli(world, "show", "C-000001")
    assert shown.exit_code == 0, shown.output
    for text in ("2 alerts:", listed, oil,
                 "transactions:", "parties:", "History (4 events):", "File it."):  # fmt: skip
        assert text in shown.stdout, text
    for kind in ("opened", "comment", "proposed", "approved"):
        assert f" {kind} " in shown.stdout
    full = json.loads(cli(world, "show", "C-000001", "--json").stdout)
    assert [e["kind"] for e in full["events"]] == ["opened", "comment", "proposed", "approved"]
    assert {e["key"] for e in full["evidence"] if e["kind"] == "alert"} == {listed, oil}
    assert all(e["intact"] for e in full["evidence"])

    listing = cli(world, "list", "--json")
    assert listing.exit_code == 0
    [row] = json.loads(listing.stdout)
    assert (row["id"], row["status"], row["priority"], row["overdue"]) == (
        "C-000001", "approved", "high", False,
    )  # fmt: skip
    assert json.loads(cli(world, "list", "--status", "new", "--json").stdout) == []

    ok = cli(world, "verify")
    assert ok.exit_code == 0, ok.output
    assert "C-000001: 4 events, intact; head " in ok.stdout

    with sqlite3.connect(cases) as db:
        db.execute(
            "UPDATE case_events SET payload = ? WHERE seq = 2",
            [json.dumps({"text": "Nothing to see."})],
        )
    broken = cli(world, "verify", "C-000001")
    assert broken.exit_code == 1
    assert "C-000001: event 2 (comment): the hash does not match its content (edited)" in (
        broken.output
    )
    assert "Error: the history of C-000001 is NOT intact: event 2 (comment)" in broken.output
    as_json = cli(world, "verify", "--json")
    assert as_json.exit_code == 1
    [check] = json.loads(as_json.stdout.split("\nError:")[0])
    assert not check["ok"] and check["problems"][0].startswith("event 2 (comment)")


def test_four_eyes_between_reviewers(world: Path, cases: Path) -> None:
    run("--home", str(world), "users", "add", "omar", "--role", "reviewer")
    case_id = opened(world)
    assert cli(world, "assign", case_id, "rania", "--user", "amira").exit_code == 0
    cli(world, "propose", case_id, "no-report", "--reason", "A known charity", "--user", "rania")
    refused = cli(world, "approve", case_id, "--user", "rania")
    assert refused.exit_code == 1 and "the four-eyes rule: 'rania'" in refused.output
    returned = cli(world, "return", case_id, "--reason", "Check it", "--user", "omar")
    assert returned.exit_code == 0 and "returned: it is investigating again" in returned.output
    cli(world, "propose", case_id, "no-report", "--reason", "Registered", "--user", "amira")
    assert cli(world, "approve", case_id, "--user", "omar").exit_code == 0
    closed = cli(world, "close", case_id, "--reason", "Nothing to report", "--user", "amira")
    assert closed.exit_code == 0 and f"{case_id} closed." in closed.output
    again = cli(world, "reopen", case_id, "--reason", "New list entry", "--user", "omar", "--json")
    assert again.exit_code == 0 and json.loads(again.stdout)["status"] == "investigating"
    wrong = cli(world, "approve", case_id, "--user", "omar")
    assert wrong.exit_code == 1
    assert f"Error: case {case_id} is investigating: cannot approve it" in wrong.output


def test_user_before_or_after_the_command(world: Path, cases: Path) -> None:
    before = run(
        "--user", "amira", "--home", str(world), "cases", "open", "--title", "Before", "--json"
    )
    after = run("--home", str(world), "cases", "open", "--title", "After", "--user", "amira")
    assert before.exit_code == 0 and after.exit_code == 0, before.output + after.output
    assert json.loads(before.stdout)["created_by"] == "amira"
    assert "Opened C-000002 " in after.stdout and "No evidence (a manual case)." in after.stdout
    missing = cli(world, "comment", "C-000001", "hello")
    assert missing.exit_code == 2 and "give --user NAME" in missing.output


def test_a_stale_write_is_refused(world: Path, cases: Path) -> None:
    case_id = opened(world)  # version 1
    first = cli(world, "comment", case_id, "one", "--expected-version", "1", "--user", "amira")
    assert first.exit_code == 0, first.output
    stale = cli(world, "comment", case_id, "two", "--expected-version", "1", "--user", "amira")
    assert stale.exit_code == 1
    assert stale.output == (
        f"Error: case {case_id} changed since it was read (version 1, now 2): read it again\n"
    )
    events = json.loads(cli(world, "show", case_id, "--json").stdout)["events"]
    assert [e["kind"] for e in events] == ["opened", "comment"]


def test_a_missing_case_is_named_with_the_workspace(world: Path, cases: Path) -> None:
    opened(world)
    for args in (["show", "C-000042"], ["comment", "C-000042", "hi", "--user", "amira"]):
        result = cli(world, *args)
        assert result.exit_code == 1
        assert result.output == f"Error: no case 'C-000042' (workspace: {world})\n"
    bad = cli(world, "verify", "case-7")
    assert bad.exit_code == 1 and "case ids look like C-000123" in bad.output


def test_reading_commands_create_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("COUNTERFLOW_CASES_URL", raising=False)
    home = tmp_path / "nowhere"
    listed = run("--home", str(home), "cases", "list")
    assert listed.exit_code == 0 and "No cases in the case store" in listed.output
    assert run("--home", str(home), "cases", "list", "--json").stdout == "[]\n"
    verified = run("--home", str(home), "cases", "verify")
    assert verified.exit_code == 0 and "No cases" in verified.output
    shown = run("--home", str(home), "cases", "show", "C-000001")
    assert shown.exit_code == 1 and "no case 'C-000001'" in shown.output
    assert not home.exists()
