"""User keys: an API key that acts as a user of the case store, with the user's role as it is
at each request; service keys for machines unchanged."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result
from fastapi.testclient import TestClient

from counterflow.api import create_app
from counterflow.api.keys import CaseUsers, KeyStore, Principal, Role, UserKeyRefusedError
from counterflow.cases import AuditLog, verify
from counterflow.cases.db import CaseStore
from counterflow.cases.users import UserRow, add_user, disable_user
from counterflow.cli import main
from counterflow.cli.demo_cmd import sample_list_path
from counterflow.errors import ConfigError, NotFoundError, PermissionDeniedError, StoreError
from counterflow.lists import store
from counterflow.workspace import Workspace

BODY = {"queries": {"q": {"schema": "Organization", "properties": {"name": ["Jabhet al-Misal"]}}}}
DECISION = {
    "query": {"schema": "Person", "properties": {"name": ["Fulan Allan"], "birthDate": ["1970"]}},
    "entity_id": "un-sc:ZZi.001",
    "analyst": "Omar",
    "reason": "born 1970 in Lyon",
}


def _auth(key: str) -> dict[str, str]:
    return {"Authorization": f"ApiKey {key}"}


def _cases(home: Path) -> CaseStore:
    return CaseStore.open(Workspace(home).settings, write=True)


@pytest.fixture
def app_client(home: Path) -> Iterator[TestClient]:
    ws = Workspace(home)
    store.import_list(ws, sample_list_path())
    with _cases(home) as cases:
        add_user(cases, "Rania", "analyst")
        add_user(cases, "omar", "admin", "correct horse battery")
    with TestClient(create_app(ws, ws.settings.with_(reload_seconds=0))) as client:
        yield client


def _records(home: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in AuditLog.for_home(home).path.read_text().splitlines()]


def test_a_user_key_acts_as_the_user_with_the_users_role(
    app_client: TestClient, home: Path
) -> None:
    record, key = KeyStore(home).create("Rania", Role.ANALYST, user="Rania")
    # an analyst may screen (screen+) but not clear hits or reload (admin)
    assert app_client.post("/match/default", json=BODY, headers=_auth(key)).status_code == 200
    denied = app_client.post("/admin/reload", headers=_auth(key))
    assert denied.status_code == 403
    assert denied.json()["detail"] == (
        f"the API key {record.key_id} acts as user 'Rania', who has role analyst; this needs admin"
    )
    matched, refused = _records(home)
    assert matched["action"] == "match" and matched["actor"] == f"user:Rania (key {record.key_id})"
    assert matched["role"] == "analyst"
    assert refused["action"] == "denied" and refused["actor"] == matched["actor"]
    assert verify(AuditLog.for_home(home)).ok


def test_an_admin_users_key_may_do_what_admin_keys_do(app_client: TestClient, home: Path) -> None:
    record, key = KeyStore(home).create("omar's laptop", Role.ADMIN, user="omar")
    made = app_client.post("/decisions", json=DECISION, headers=_auth(key))
    assert made.status_code == 201, made.text
    assert made.json()["actor"] == f"user:omar (key {record.key_id})"
    assert app_client.post("/admin/reload", headers=_auth(key)).status_code == 200
    assert {r["actor"] for r in _records(home)} == {f"user:omar (key {record.key_id})"}


def test_a_role_change_follows_the_user(app_client: TestClient, home: Path) -> None:
    _, key = KeyStore(home).create("Rania", Role.ANALYST, user="Rania")
    assert app_client.post("/admin/reload", headers=_auth(key)).status_code == 403
    with _cases(home) as cases, cases.session() as session:  # promoted in the store itself
        row = session.query(UserRow).filter_by(name="Rania").one()
        row.role = "admin"
    assert app_client.post("/admin/reload", headers=_auth(key)).status_code == 200
    assert _records(home)[-1]["role"] == "admin"


def test_a_disabled_users_key_is_refused_at_once(app_client: TestClient, home: Path) -> None:
    record, key = KeyStore(home).create("Rania", Role.ANALYST, user="rania")
    assert app_client.post("/match/default", json=BODY, headers=_auth(key)).status_code == 200
    with _cases(home) as cases:
        disable_user(cases, "rania")
    refused = app_client.post("/match/default", json=BODY, headers=_auth(key))
    assert refused.status_code == 401 and refused.headers["WWW-Authenticate"] == "ApiKey"
    assert refused.json()["detail"] == (
        f"the API key {record.key_id} acts as user 'Rania', who is disabled"
    )
    denied = _records(home)[-1]
    assert denied["action"] == "denied" and denied["status"] == 401
    assert denied["actor"] == f"user:Rania (key {record.key_id})"
    assert "disabled" in denied["reason"]


def test_a_key_whose_user_is_not_in_the_store_is_refused(
    app_client: TestClient, home: Path
) -> None:
    record, key = KeyStore(home).create("ghost", Role.ANALYST, user="nobody")
    refused = app_client.post("/match/default", json=BODY, headers=_auth(key))
    assert refused.status_code == 401
    assert "acts as user 'nobody', who is not in the case store" in refused.json()["detail"]
    assert _records(home)[-1]["actor"] == f"user:nobody (key {record.key_id})"


def test_service_keys_are_unchanged(app_client: TestClient, home: Path) -> None:
    screen_record, screen = KeyStore(home).create("gateway", Role.SCREEN)
    _, admin = KeyStore(home).create("desk", Role.ADMIN)
    assert app_client.post("/match/default", json=BODY, headers=_auth(screen)).status_code == 200
    assert app_client.get("/decisions", headers=_auth(screen)).status_code == 403
    assert app_client.get("/decisions", headers=_auth(admin)).status_code == 200
    first = _records(home)[0]
    assert first["actor"] == f"key:{screen_record.key_id} (gateway)" and first["role"] == "screen"
    assert json.loads((home / "keys.json").read_text())["keys"][0]["user"] is None


def test_keys_json_written_before_user_keys_still_reads(home: Path) -> None:
    keys = KeyStore(home)
    _, key = keys.create("gateway", Role.SCREEN)
    data = json.loads(keys.path.read_text())
    for record in data["keys"]:
        del record["user"]
    keys.path.write_text(json.dumps(data))
    assert KeyStore(home).authenticate(key, Role.SCREEN).user is None


def test_the_roles_are_a_ladder_and_keys_have_the_right_ones(home: Path) -> None:
    assert [str(r) for r in Role] == ["screen", "analyst", "reviewer", "admin"]
    assert Role.REVIEWER.allows(Role.ANALYST) and not Role.ANALYST.allows(Role.REVIEWER)
    assert Role.SCREEN.allows(Role.SCREEN) and not Role.SCREEN.allows(Role.ANALYST)
    with pytest.raises(ConfigError, match="acts as a user"):
        KeyStore(home).create("desk", Role.ANALYST)
    with pytest.raises(ConfigError, match="a user's role"):
        KeyStore(home).create("gateway", Role.SCREEN, user="rania")


def test_as_user_without_a_store_or_user(home: Path) -> None:
    keys = KeyStore(home)
    principal = Principal("0123456789ab", "rania", Role.ANALYST, user="rania")
    with pytest.raises(UserKeyRefusedError, match="no case store"):
        keys.as_user(principal, None)

    def lookup(name: str) -> tuple[str, Role, bool]:
        raise NotFoundError(name)

    with pytest.raises(UserKeyRefusedError, match="not in the case store"):
        keys.as_user(principal, lookup)
    _, key = keys.create("rania", Role.ANALYST, user="rania")
    promoted = keys.authenticate(key, Role.REVIEWER, lambda name: ("Rania", Role.REVIEWER, True))
    assert promoted.role is Role.REVIEWER and promoted.actor.startswith("user:Rania (key ")
    with pytest.raises(PermissionDeniedError, match="who has role analyst; this needs reviewer"):
        keys.authenticate(key, Role.REVIEWER, lambda name: ("Rania", Role.ANALYST, True))


# --- the command line: keys create --user, keys list ------------------------------------------


def _cli(home: Path, *args: str) -> Result:
    return CliRunner().invoke(main, [*args, "--home", str(home)], catch_exceptions=False)


def test_keys_create_for_a_user_and_list_it(home: Path) -> None:
    with _cases(home) as cases:
        add_user(cases, "Rania", "reviewer")
        add_user(cases, "yusuf", "analyst")
    made = _cli(home, "keys", "create", "--user", "rania", "--json")
    assert made.exit_code == 0, made.output
    created = json.loads(made.stdout)
    assert created["user"] == "Rania" and created["role"] == "reviewer"
    assert created["name"] == "Rania" and created["key"].startswith("cf_")
    stored = json.loads((home / "keys.json").read_text())["keys"]
    assert stored[0]["user"] == "Rania" and (home / "keys.json").stat().st_mode & 0o777 == 0o600
    assert KeyStore(home).identify(created["key"]).user == "Rania"
    plain = _cli(home, "keys", "create", "--user", "yusuf", "--name", "yusuf's script")
    assert plain.exit_code == 0 and plain.stdout.startswith("cf_")
    assert "acting as user 'yusuf'" in plain.stderr
    _cli(home, "keys", "create", "--role", "screen", "--name", "gateway")
    with _cases(home) as cases:
        disable_user(cases, "yusuf")
    listed = json.loads(_cli(home, "keys", "list", "--json").stdout)
    assert [(k["name"], k["role"], k["user"], k["user_active"]) for k in listed] == [
        ("Rania", "reviewer", "Rania", True),
        ("yusuf's script", "analyst", "yusuf", False),
        ("gateway", "screen", None, None),
    ]
    table = _cli(home, "keys", "list").stdout
    assert "as user Rania" in table and "(disabled)" in table
    assert all(k["key_id"] in table for k in listed)  # never cut (the table widens if it must)


def test_keys_create_refusals(home: Path) -> None:
    with _cases(home) as cases:
        add_user(cases, "yusuf", "analyst")
        disable_user(cases, "yusuf")
    both = _cli(home, "keys", "create", "--user", "yusuf", "--role", "screen")
    assert both.exit_code == 2 and "not both" in both.output
    neither = _cli(home, "keys", "create", "--name", "x")
    assert neither.exit_code == 2 and "--role screen|admin and --name" in neither.output
    unknown = _cli(home, "keys", "create", "--user", "nobody")
    assert unknown.exit_code == 1 and "no user 'nobody'" in unknown.output
    disabled = _cli(home, "keys", "create", "--user", "yusuf")
    assert disabled.exit_code == 1 and "user 'yusuf' is disabled" in disabled.output
    analyst = _cli(home, "keys", "create", "--role", "analyst", "--name", "x")
    assert analyst.exit_code == 2  # service keys are screen or admin
    assert not (home / "keys.json").exists()


def test_keys_tables_without_user_keys_are_unchanged(home: Path) -> None:
    _cli(home, "keys", "create", "--role", "screen", "--name", "gateway")
    assert "as user" not in _cli(home, "keys", "list").stdout
    [record] = json.loads(_cli(home, "keys", "list", "--json").stdout)
    assert record["user"] is None and record["user_active"] is None


def test_an_unreadable_case_store_lets_no_user_key_in(
    app_client: TestClient, home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _, user_key = KeyStore(home).create("Rania", Role.ANALYST, user="Rania")
    _, screen = KeyStore(home).create("gateway", Role.SCREEN)

    def broken(self: CaseUsers, name: str) -> tuple[str, Role, bool]:
        raise StoreError("case store /secret/path: database is locked")

    monkeypatch.setattr(CaseUsers, "__call__", broken)
    refused = app_client.post("/match/default", json=BODY, headers=_auth(user_key))
    assert refused.status_code == 503 and "/secret/path" not in refused.text
    # service keys never touch the case store
    assert app_client.post("/match/default", json=BODY, headers=_auth(screen)).status_code == 200


def test_keys_list_without_a_readable_case_store_still_lists(
    home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    KeyStore(home).create("Rania", Role.ANALYST, user="Rania")

    def broken(self: CaseUsers, name: str) -> tuple[str, Role, bool]:
        raise StoreError("database is locked")

    monkeypatch.setattr(CaseUsers, "__call__", broken)
    listed = _cli(home, "keys", "list")
    assert listed.exit_code == 0 and "as user Rania" in listed.stdout
    assert "cannot read the users of the case store" in listed.stderr
    [record] = json.loads(_cli(home, "keys", "list", "--json").stdout)
    assert (record["user"], record["role"], record["user_active"]) == ("Rania", "analyst", None)
