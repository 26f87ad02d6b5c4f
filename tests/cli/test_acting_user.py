"""The command line acts as a named user: the global --user (before or after the command), the
password from standard input or a terminal when the workspace's users have passwords, disabled
and unknown users refused; decisions clear and revoke record the user."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click
import pytest
from click.testing import CliRunner, Result

from counterflow.cases import AuditLog, DecisionStore, verify
from counterflow.cases.db import CaseStore
from counterflow.cases.users import add_user, disable_user
from counterflow.cli import identity as identity_module
from counterflow.cli import main
from counterflow.cli.context import Command, Group
from counterflow.cli.demo_cmd import sample_list_path
from counterflow.cli.identity import acting_user, password_stdin_option
from counterflow.lists import store
from counterflow.workspace import Workspace

PASSWORD = "correct horse battery"
CLEAR = ["decisions", "clear", "ZZi.001", "--name", "Fulan Allan", "--birth-date", "1970"]
CLEAR += ["--schema", "Person", "--reason", "born 1970 in Lyon"]


def run(*args: str, input: str | None = None) -> Result:
    return CliRunner().invoke(main, list(args), input=input, catch_exceptions=False)


def _users(home: Path, *users: tuple[str, str, str | None]) -> None:
    with CaseStore.open(Workspace(home).settings, write=True) as cases:
        for name, role, password in users:
            add_user(cases, name, role, password)


def _disable(home: Path, name: str) -> None:
    with CaseStore.open(Workspace(home).settings, write=True) as cases:
        disable_user(cases, name)


def _audit(home: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in AuditLog.for_home(home).path.read_text().splitlines()]


@pytest.fixture
def listed(home: Path) -> Path:
    store.import_list(Workspace(home), sample_list_path())
    return home


# --- through decisions clear / revoke --------------------------------------------------------


def test_user_before_or_after_the_command_without_passwords(listed: Path) -> None:
    _users(listed, ("Rania", "analyst", None), ("omar", "reviewer", None))
    cleared = run("--user", "rania", "--home", str(listed), *CLEAR, "--json")
    assert cleared.exit_code == 0, cleared.output
    decision = json.loads(cleared.stdout)
    assert decision["analyst"] == "Rania" and decision["actor"].startswith("user:Rania (cli:")
    revoked = run(
        "--home", str(listed), "decisions", "revoke", "ZZi.001", "--reason", "four eyes",
        "--user", "omar",
    )  # fmt: skip
    assert revoked.exit_code == 0, revoked.output
    [gone] = DecisionStore(listed).all()
    assert gone.status == "revoked"
    first, second = _audit(listed)
    assert (first["action"], first["role"]) == ("decision", "analyst")
    assert first["actor"] == decision["actor"]
    assert (second["action"], second["role"], second["analyst"]) == ("revoke", "reviewer", "omar")
    assert second["actor"].startswith("user:omar (cli:")
    assert verify(AuditLog.for_home(listed)).ok


def test_analyst_alone_works_as_before(listed: Path) -> None:
    cleared = run("--home", str(listed), *CLEAR, "--analyst", "C. Clerk", "--json")
    assert cleared.exit_code == 0, cleared.output
    assert json.loads(cleared.stdout)["actor"].startswith("cli:")
    assert _audit(listed)[0]["role"] == "cli"


def test_neither_user_nor_analyst_names_the_options(listed: Path) -> None:
    missing = run("--home", str(listed), *CLEAR)
    assert missing.exit_code == 2
    assert "give --analyst NAME (who decided), or --user NAME" in missing.output
    assert not DecisionStore(listed).all()


def test_analyst_other_than_the_user_is_refused(listed: Path) -> None:
    _users(listed, ("rania", "analyst", None))
    both = run("--home", str(listed), *CLEAR, "--user", "rania", "--analyst", "Someone Else")
    assert both.exit_code == 2 and "is not the --user 'rania'" in both.output
    same = run("--home", str(listed), *CLEAR, "--user", "rania", "--analyst", "RANIA")
    assert same.exit_code == 0, same.output


def test_password_from_stdin(listed: Path) -> None:
    _users(listed, ("rania", "analyst", PASSWORD), ("omar", "reviewer", None))
    args = ["--home", str(listed), *CLEAR, "--user", "rania", "--password-stdin"]
    ok = run(*args, "--json", input=PASSWORD + "\n")
    assert ok.exit_code == 0, ok.output
    assert json.loads(ok.stdout)["analyst"] == "rania"
    wrong = run(*args, input="not the password\n")
    assert wrong.exit_code == 1 and "unknown user or wrong password" in wrong.output
    empty = run(*args, input="")
    assert empty.exit_code == 1 and "standard input has no password" in empty.output
    # once anyone has a password, everyone signs in: a user without one cannot act
    nopass = run("--home", str(listed), *CLEAR, "--user", "omar", "--password-stdin", input="x\n")
    assert nopass.exit_code == 1 and "user 'omar' has no password" in nopass.output
    # no terminal and no --password-stdin: say how to give it
    untyped = run("--home", str(listed), *CLEAR, "--user", "rania")
    assert untyped.exit_code == 2 and "--password-stdin" in untyped.output
    assert len(DecisionStore(listed).all()) == 1


def test_unknown_and_disabled_users_are_refused(listed: Path) -> None:
    nobody = run("--home", str(listed), *CLEAR, "--user", "rania")
    assert nobody.exit_code == 1 and "has no users yet" in nobody.output
    _users(listed, ("rania", "analyst", None), ("yusuf", "analyst", None))
    unknown = run("--home", str(listed), *CLEAR, "--user", "nobody")
    assert unknown.exit_code == 1 and "no user 'nobody'" in unknown.output
    _disable(listed, "yusuf")
    disabled = run("--home", str(listed), *CLEAR, "--user", "yusuf")
    assert disabled.exit_code == 1 and "user 'yusuf' is disabled" in disabled.output
    assert not DecisionStore(listed).all()


def test_a_disabled_user_with_a_password_is_refused_after_it(listed: Path) -> None:
    _users(listed, ("yusuf", "analyst", PASSWORD))
    _disable(listed, "yusuf")
    args = ["--home", str(listed), *CLEAR, "--user", "yusuf", "--password-stdin"]
    assert "wrong password" in run(*args, input="wrong password\n").output
    refused = run(*args, input=PASSWORD + "\n")
    assert refused.exit_code == 1 and "user 'yusuf' is disabled" in refused.output


# --- acting_user itself, on a command of its own --------------------------------------------


@click.group(cls=Group, top=True)
def _root() -> None:
    """Test root."""


@_root.command("act", cls=Command)
@password_stdin_option
@click.pass_context
def _act(ctx: click.Context) -> None:
    """Act twice: the second time is the same user, not asked again."""
    first = acting_user(ctx)
    assert acting_user(ctx) is first
    click.echo(f"{first.name} {first.role}")


def test_the_password_is_asked_on_a_terminal(home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _users(home, ("rania", "reviewer", PASSWORD))
    asked: list[tuple[str, bool]] = []

    def prompt(text: str, hide_input: bool = False, err: bool = False) -> str:
        asked.append((text, hide_input))
        return PASSWORD

    monkeypatch.setattr(click, "prompt", prompt)
    monkeypatch.setattr(identity_module, "_on_terminal", lambda: True)
    result = CliRunner().invoke(_root, ["act", "--home", str(home), "--user", "rania"])
    assert result.exit_code == 0, result.output
    assert result.stdout.strip() == "rania reviewer"
    assert asked == [("Password for rania", True)]


def test_user_is_a_hidden_global_option(home: Path) -> None:
    top = run("--help").output
    assert "--user NAME" in top and "Act as this user of the case store" in top
    sub = run("decisions", "clear", "--help").output
    assert "--password-stdin" in sub and "Act as this user" not in sub  # hidden below the top
    assert "--user" in sub  # named in the global options' epilog
    missing = CliRunner().invoke(_root, ["act", "--home", str(home)])
    assert missing.exit_code == 2 and "give --user NAME" in missing.output


def test_keys_create_keeps_its_own_user_option(home: Path) -> None:
    """keys create --user names the key's user; the global --user still works before it."""
    _users(home, ("rania", "analyst", None))
    made = run("--user", "omar", "keys", "create", "--user", "rania", "--home", str(home), "--json")
    assert made.exit_code == 0, made.output
    assert json.loads(made.stdout)["user"] == "rania"
