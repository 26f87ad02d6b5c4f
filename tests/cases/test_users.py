"""Users: names checked, roles of people only, passwords kept as argon2 hashes, disabled users
refused everywhere; on SQLite and PostgreSQL."""

from __future__ import annotations

import contextlib
import json
import threading
from pathlib import Path

import pytest
import sqlalchemy as sa
from click.testing import CliRunner, Result

from counterflow.cases import (
    CaseStore,
    Role,
    add_user,
    authenticate,
    disable_user,
    get_user,
    list_users,
)
from counterflow.cases.users import UserRow, check_name
from counterflow.cli import main
from counterflow.errors import (
    AuthenticationError,
    ConfigError,
    NotFoundError,
    PermissionDeniedError,
)
from counterflow.settings import Settings


def test_users_are_added_and_listed_by_name(store: CaseStore) -> None:
    add_user(store, "Rania", "reviewer")
    added = add_user(store, "amira", Role.ANALYST, password="correct horse")
    assert added.role is Role.ANALYST and added.active and added.has_password
    add_user(store, "Omar", "ADMIN")
    assert [(u.name, u.role) for u in list_users(store)] == [
        ("amira", Role.ANALYST),
        ("Omar", Role.ADMIN),
        ("Rania", Role.REVIEWER),
    ]
    record = get_user(store, "AMIRA").to_json()
    assert record["name"] == "amira" and record["role"] == "analyst"
    assert record["created"].endswith("Z") and record["disabled"] is None
    assert "password" not in str(record).replace("has_password", "")


def test_a_name_is_one_user_whatever_its_case(store: CaseStore) -> None:
    add_user(store, "Amira", "analyst")
    with pytest.raises(ConfigError, match="exists already"):
        add_user(store, "amira ", "reviewer")


def test_names_are_checked() -> None:
    assert check_name("  Jean-Luc Ndiaye ") == "Jean-Luc Ndiaye"
    assert check_name("Cafe\u0301") == "Café"  # composed
    assert check_name("عمر") == "عمر"
    for bad, why in (
        ("", "empty"),
        ("   ", "empty"),
        ("x" * 65, "at most 64"),
        ("amira\nadmin", "control"),
        ("amira\x00", "control"),
        ("ami\u200bra", "formatting"),  # zero-width space
        ("ami\tra", "control"),
        ("ami\u2028ra", "control"),
    ):
        with pytest.raises(ConfigError, match=why):
            check_name(bad)


def test_screen_is_a_role_for_machines_not_people(store: CaseStore) -> None:
    with pytest.raises(ConfigError, match=r"machines.*keys create"):
        add_user(store, "gateway", "screen")
    with pytest.raises(ConfigError, match="no role 'boss'"):
        add_user(store, "amira", "boss")
    assert list_users(store) == []


def test_passwords_are_kept_as_argon2_hashes_only(store: CaseStore) -> None:
    add_user(store, "amira", "analyst", password="correct horse")
    with store.session() as session:
        digest = session.scalars(sa.select(UserRow.password_hash)).one()
    assert digest is not None
    assert digest.startswith("$argon2id$") and "correct horse" not in digest
    with pytest.raises(ConfigError, match="at least 8"):
        add_user(store, "omar", "analyst", password="short")


def test_authenticate(store: CaseStore) -> None:
    add_user(store, "amira", "analyst", password="correct horse")
    add_user(store, "omar", "reviewer")  # no password: cannot sign in
    assert authenticate(store, "Amira", "correct horse").name == "amira"
    for name, password in (
        ("amira", "wrong horse"),
        ("nobody", "correct horse"),
        ("omar", "anything at all"),
        ("amira", "x" * 5000),
    ):
        with pytest.raises(AuthenticationError, match="unknown user or wrong password"):
            authenticate(store, name, password)


def test_a_disabled_user_can_do_nothing(store: CaseStore) -> None:
    add_user(store, "amira", "analyst", password="correct horse")
    disabled = disable_user(store, "amira")
    assert not disabled.active and disabled.disabled is not None
    again = disable_user(store, "AMIRA")  # changes nothing
    assert again.disabled == disabled.disabled
    with pytest.raises(PermissionDeniedError, match="disabled"):
        authenticate(store, "amira", "correct horse")
    # still listed (what they did keeps naming them), and their name is not reused
    assert [u.active for u in list_users(store)] == [False]
    assert list_users(store, include_disabled=False) == []
    with pytest.raises(ConfigError, match="exists already"):
        add_user(store, "amira", "analyst")


def test_unknown_users_are_not_found(store: CaseStore) -> None:
    with pytest.raises(NotFoundError, match="no user 'ghost'"):
        disable_user(store, "ghost")
    with pytest.raises(NotFoundError, match="no user 'ghost'"):
        get_user(store, "ghost")


def test_a_store_never_written_has_no_users(case_settings: Settings) -> None:
    with CaseStore.open(case_settings) as store:
        assert list_users(store) == []
        with pytest.raises(NotFoundError, match="no users yet"):
            get_user(store, "amira")
        with pytest.raises(AuthenticationError):
            authenticate(store, "amira", "correct horse")


def test_many_writers_at_once(case_settings: Settings) -> None:
    """Analysts write at once: every writer gets its turn (SQLite waits on its lock, PostgreSQL
    serialises on the unique name), and two adding one name leave exactly one user."""
    errors: list[BaseException] = []

    def work(index: int) -> None:
        try:
            with CaseStore.open(case_settings, write=True) as store:
                add_user(store, f"analyst {index}", "analyst")
                with contextlib.suppress(ConfigError):
                    add_user(store, "shared", "analyst")
        except BaseException as exc:  # noqa: BLE001 (handed to the test thread)
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    with CaseStore.open(case_settings) as store:
        names = [u.name for u in list_users(store)]
    assert sorted(names) == sorted([f"analyst {i}" for i in range(6)] + ["shared"])


# the command line: counterflow users add|list|disable


def _cli(
    home: Path, *args: str, stdin: str | None = None, env: dict[str, str] | None = None
) -> Result:
    return CliRunner().invoke(main, ["--home", str(home), *args], input=stdin, env=env)


def test_users_commands(tmp_path: Path) -> None:
    home = tmp_path / "ws"
    listed = _cli(home, "users", "list")
    assert listed.exit_code == 0 and "No users in the case store" in listed.output
    assert str(home / "cases.sqlite") in listed.stderr  # where it looked
    nobody = _cli(home, "users", "disable", "ghost")
    assert nobody.exit_code == 1 and "no user 'ghost'" in nobody.output
    assert not home.exists()  # neither reading nor failing to disable created anything
    assert _cli(home, "users", "list", "--json").output.strip() == "[]"

    added = _cli(home, "users", "add", "Amira Haddad", "--role", "analyst")
    assert added.exit_code == 0, added.output
    assert "Added analyst 'Amira Haddad' (no password)." in added.output
    added = _cli(
        home,
        "users",
        "add",
        "rania",
        "--role",
        "reviewer",
        "--password-stdin",
        "--json",
        stdin="correct horse\n",
    )
    assert added.exit_code == 0, added.output
    assert json.loads(added.stdout)["has_password"] is True
    settings = Settings.defaults(home)
    with CaseStore.open(settings) as store:
        assert authenticate(store, "rania", "correct horse").role is Role.REVIEWER

    again = _cli(home, "users", "add", "AMIRA HADDAD", "--role", "admin")
    assert again.exit_code == 1 and "a user 'Amira Haddad' exists already" in again.output
    machine = _cli(home, "users", "add", "gateway", "--role", "screen")
    assert machine.exit_code == 2
    empty = _cli(home, "users", "add", "z", "--role", "analyst", "--password-stdin", stdin="\n")
    assert empty.exit_code == 1 and "no password on its first line" in empty.output

    disabled = _cli(home, "users", "disable", "rania")
    assert disabled.exit_code == 0 and "User 'rania' disabled." in disabled.output
    assert "disabled already" in _cli(home, "users", "disable", "rania").output
    ghost = _cli(home, "users", "disable", "ghost")
    assert ghost.exit_code == 1 and "no user 'ghost'" in ghost.output

    table = _cli(home, "users", "list")
    assert table.exit_code == 0
    lines = table.stdout.splitlines()
    assert "name" in lines[0] and "disabled (UTC)" in lines[0]
    assert [line.split("│")[0].strip() for line in lines[2:]] == ["Amira Haddad", "rania"]
    records = json.loads(_cli(home, "users", "list", "--json").stdout)
    assert [(r["name"], r["active"]) for r in records] == [
        ("Amira Haddad", True),
        ("rania", False),
    ]
    # every change is in the audit trail, the password nowhere
    trail = (home / "audit" / "audit.jsonl").read_text()
    assert [json.loads(line)["action"] for line in trail.splitlines()] == [
        "user-add",
        "user-add",
        "user-disable",
    ]
    assert "correct horse" not in trail


def test_users_commands_use_the_store_the_environment_names(
    case_settings: Settings, tmp_path: Path
) -> None:
    env = {"COUNTERFLOW_CASES_URL": case_settings.cases_url or ""}
    home = case_settings.home
    assert _cli(home, "users", "add", "yusuf", "--role", "analyst", env=env).exit_code == 0
    with CaseStore.open(case_settings) as store:
        assert [u.name for u in list_users(store)] == ["yusuf"]
    assert json.loads(_cli(home, "users", "list", "--json", env=env).stdout)[0]["name"] == "yusuf"
