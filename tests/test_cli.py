from __future__ import annotations

import csv
import json
from pathlib import Path

import click
import pytest
from click.testing import CliRunner, Result

from counterflow.cli import main
from counterflow.cli.demo_cmd import sample_list_path


def run(home: Path, *args: str) -> Result:
    return CliRunner().invoke(main, ["--home", str(home), *args], catch_exceptions=False)


def _commands(group: click.Group, prefix: str = "") -> list[tuple[str, click.Command]]:
    found = []
    for name, command in group.commands.items():
        found.append((f"{prefix}{name}", command))
        if isinstance(command, click.Group):
            found.extend(_commands(command, f"{prefix}{name} "))
    return found


@pytest.mark.parametrize(("name", "command"), _commands(main))
def test_every_command_has_help_with_an_example(name: str, command: click.Command) -> None:
    assert command.help and "Example:" in command.help, f"{name} lacks help with an example"


@pytest.mark.slow
def test_demo_imports_and_looks_up(home: Path) -> None:
    result = run(home, "demo")
    assert result.exit_code == 0, result.output
    assert "imported sample edition 2026-01-15, 5 entries" in result.output
    assert "ZZe.001" in result.output and "ZZi.003" in result.output
    assert "no entry scores 0.70 or more" in result.output
    again = run(home, "demo")
    assert "already there" in again.output


@pytest.mark.slow
def test_the_demo_request_works_against_the_demo_workspace(home: Path) -> None:
    """The demo ends with a key, a serve command and a curl request: follow them."""
    from fastapi.testclient import TestClient

    from counterflow.api import create_app
    from counterflow.cli.demo_cmd import program
    from counterflow.settings import Settings
    from counterflow.workspace import Workspace

    output = run(home, "demo").output
    assert f"{program()} --home {home} serve --port 8000" in output
    assert f"KEY=$({program()} --home {home} keys create --role screen --name trial)" in output
    key = run(home, "keys", "create", "--role", "screen", "--name", "trial").stdout.strip()
    body = output.split("-d '", 1)[1].split("'\n", 1)[0]
    app = create_app(Workspace(home), Settings.defaults(home).with_(reload_seconds=0))
    with TestClient(app, headers={"Authorization": f"ApiKey {key}"}) as client:
        answer = client.post(
            "/match/default", content=body.encode(), headers={"Content-Type": "application/json"}
        )
    assert answer.status_code == 200, answer.text
    assert answer.json()["responses"]["q1"]["results"][0]["id"] == "sample:ZZe.001"


def test_lists_import_show_search_export(home: Path, tmp_path: Path) -> None:
    assert "No lists yet" in run(home, "lists").output
    out = run(home, "lists", "import", str(sample_list_path()))
    assert "Imported un-sc edition 2026-01-15: 5 entries (2 Organization, 3 Person)" in out.output
    assert "nothing changed" in run(home, "lists", "import", str(sample_list_path())).output
    table = run(home, "lists").output
    assert "un-sc" in table and "2026-01-15" in table
    assert "2 Organization" in table and "3 Person" in table
    shown = run(home, "lists", "show", "ZZi.002").output
    assert "IVAN PETROVICH PRIMEROV" in shown and "1980/1982" in shown and "Ваня" in shown
    [as_json] = json.loads(run(home, "lists", "show", "un-sc:ZZi.002", "--json").stdout)
    assert as_json["ref"] == "ZZi.002"
    target = tmp_path / "out.ftm.json"
    exported = run(home, "lists", "export", "un-sc", "--format", "ftm", "-o", str(target))
    assert exported.exit_code == 0
    assert len(target.read_text(encoding="utf-8").splitlines()) == 10


def test_diff_and_pin(home: Path, tmp_path: Path) -> None:
    text = sample_list_path().read_text(encoding="utf-8")
    newer = tmp_path / "newer.xml"
    newer.write_text(
        text.replace("2026-01-15T", "2026-02-20T").replace(
            "<FIRST_NAME>EXAMPLE RELIEF FOUNDATION</FIRST_NAME>",
            "<FIRST_NAME>EXAMPLE RELIEF AND AID FOUNDATION</FIRST_NAME>",
        ),
        encoding="utf-8",
    )
    run(home, "lists", "import", str(sample_list_path()))
    assert "only one edition" in run(home, "lists", "diff", "un-sc").output
    run(home, "lists", "import", str(newer))
    out = run(home, "lists", "diff", "un-sc").output
    assert "2026-01-15 → 2026-02-20: 0 added, 0 removed, 1 changed" in out
    assert "- name: EXAMPLE RELIEF FOUNDATION" in out
    assert "+ name: EXAMPLE RELIEF AND AID FOUNDATION" in out
    only_alias = run(home, "lists", "diff", "un-sc", "--field", "alias").output
    assert "0 changed" in only_alias
    assert "1 changed" in run(home, "lists", "diff", "un-sc", "--field", "names").output
    data = json.loads(run(home, "lists", "diff", "un-sc", "--from", "2026-01-15", "--json").output)
    assert data["changed"][0]["ref"] == "ZZe.002"
    assert "pinned to edition 2026-01-15" in run(home, "lists", "pin", "un-sc", "2026-01").output
    assert "(pinned)" in run(home, "lists").output
    assert "EXAMPLE RELIEF FOUNDATION" in run(home, "lists", "show", "ZZe.002").output
    run(home, "lists", "unpin", "un-sc")
    assert "2026-02-20" in run(home, "lists").output


def test_errors_are_messages_not_tracebacks(home: Path, tmp_path: Path) -> None:
    bad = tmp_path / "bad.xml"
    bad.write_text("<CONSOLIDATED_LIST><INDIVIDUALS><INDIVIDUAL>", encoding="utf-8")
    result = run(home, "lists", "import", str(bad))
    assert result.exit_code == 1
    assert "Error:" in result.output and "bad.xml, line 1" in result.output
    assert "Traceback" not in result.output
    missing = run(home, "lists", "show", "QDe.999")
    assert missing.exit_code == 1 and "no entry 'QDe.999'" in missing.output
    nolist = run(home, "lists", "diff", "eu")
    assert nolist.exit_code == 1 and "no list 'eu' in the workspace" in nolist.output


def test_update_failure_is_reported_per_list(home: Path) -> None:
    result = run(
        home, "lists", "update", "un-sc", "--url", "un-sc=http://127.0.0.1:9/x", "--timeout", "2"
    )
    assert result.exit_code == 1
    assert "un-sc: failed: cannot reach" in result.output
    assert "previous editions stay active" in result.output
    bad = run(home, "lists", "update", "--url", "nonsense")
    assert bad.exit_code == 2 and "is not LIST=URL" in bad.output


def test_hostile_names_are_printed_as_text(home: Path, tmp_path: Path) -> None:
    text = (
        sample_list_path()
        .read_text(encoding="utf-8")
        .replace("EXAMPLE RELIEF FOUNDATION", "[bold red]EXAMPLE[/] RELIEF &lt;script&gt;")
    )
    path = tmp_path / "hostile.xml"
    path.write_text(text, encoding="utf-8")
    run(home, "lists", "import", str(path))
    shown = run(home, "lists", "show", "ZZe.002").output
    assert "[bold red]EXAMPLE[/] RELIEF <script>" in shown


def test_keys_create_list_revoke(home: Path) -> None:
    created = run(home, "keys", "create", "--role", "screen", "--name", "payments gateway")
    assert created.exit_code == 0
    key = created.stdout.strip()
    assert key.startswith("cf_") and "\n" not in key  # the key alone on stdout, for $(...)
    assert "not shown again" in created.stderr
    key_id = key.split("_")[1]
    listed = run(home, "keys", "list")
    assert key_id in listed.output and "payments gateway" in listed.output
    assert key not in listed.output
    assert run(home, "keys", "revoke", key_id).exit_code == 0
    missing = run(home, "keys", "revoke", "000000000000")
    assert missing.exit_code == 1 and "no key '000000000000'" in missing.output
    refused = run(home, "keys", "create", "--role", "root", "--name", "x")
    assert refused.exit_code == 2


def test_audit_verify_and_export(home: Path, tmp_path: Path) -> None:
    from counterflow.cases import AuditLog

    log = AuditLog.for_home(home)
    for name in ("Fulan", '=HYPERLINK("http://x")', "Jabhat"):
        log.append(
            "match",
            "key:abc (tests)",
            role="screen",
            dataset="default",
            editions={"un-sc": "2026-02-27"},
            params={"threshold": 0.7, "limit": 5},
            queries={"q": {"schema": "Person", "properties": {"name": [name]}}},
            results={"q": [{"id": "un-sc:QDi.1", "score": 0.9, "match": True}]},
        )
    verified = run(home, "audit", "verify")
    assert verified.exit_code == 0 and "3 records" in verified.output
    assert "The chain is intact." in verified.output
    head = next(w for w in verified.output.split() if w.startswith("3:"))
    out = tmp_path / "audit.csv"
    exported = run(home, "audit", "export", "--since", "2000-01-01", "--output", str(out))
    assert exported.exit_code == 0 and "Wrote 3 records" in exported.output
    rows = list(csv.DictReader(out.open(encoding="utf-8")))
    assert [r["seq"] for r in rows] == ["1", "2", "3"]
    assert rows[0]["threshold"] == "0.7" and rows[0]["editions"] == '{"un-sc":"2026-02-27"}'
    assert json.loads(rows[1]["queries"])["q"]["properties"]["name"] == ['=HYPERLINK("http://x")']
    assert rows[1]["queries"].startswith("{")  # never a bare formula in a spreadsheet cell
    jsonl = run(home, "audit", "export", "--until", "2000-01-01", "--format", "jsonl")
    assert jsonl.exit_code == 0 and jsonl.stdout == ""
    # cut the last record: the chain alone still verifies, the anchor does not
    lines = log.path.read_text(encoding="utf-8").splitlines(keepends=True)
    log.path.write_text("".join(lines[:2]), encoding="utf-8")
    cut = run(home, "audit", "verify", "--anchor", head)
    assert cut.exit_code == 1 and "NOT intact" in cut.output and "seq 3 is missing" in cut.output
    bad = run(home, "audit", "export", "--since", "last tuesday")
    assert bad.exit_code == 1 and "--since 'last tuesday'" in bad.output
