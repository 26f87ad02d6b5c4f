"""Keys and roles: 401 without a valid key, 403 with the wrong role; open mode is marked."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from counterflow.api import create_app
from counterflow.api.keys import KeyStore, Role
from counterflow.cases import AuditLog, verify
from counterflow.cli.demo_cmd import sample_list_path
from counterflow.errors import AuthenticationError, PermissionDeniedError
from counterflow.lists import store
from counterflow.workspace import Workspace

BODY = {"queries": {"q": {"schema": "Organization", "properties": {"name": ["Jabhet al-Misal"]}}}}


@pytest.fixture
def app_client(home: Path) -> Iterator[TestClient]:
    ws = Workspace(home)
    store.import_list(ws, sample_list_path())
    with TestClient(create_app(ws, ws.settings.with_(reload_seconds=0))) as client:
        yield client


def _auth(key: str, scheme: str = "ApiKey") -> dict[str, str]:
    return {"Authorization": f"{scheme} {key}"}


def test_keys_are_stored_hashed_and_checked(home: Path) -> None:
    keys = KeyStore(home)
    record, key = keys.create("payments gateway", Role.SCREEN)
    stored = (home / "keys.json").read_text()
    assert key not in stored and key.split("_", 2)[2] not in stored  # the secret may hold "_"
    assert record.secret_hash in stored
    assert (home / "keys.json").stat().st_mode & 0o777 == 0o600
    assert keys.authenticate(key, Role.SCREEN).name == "payments gateway"
    with pytest.raises(PermissionDeniedError, match="role screen; this needs admin"):
        keys.authenticate(key, Role.ADMIN)
    with pytest.raises(AuthenticationError, match="not valid"):
        keys.authenticate(key[:-1] + ("A" if key[-1] != "A" else "B"), Role.SCREEN)
    keys.revoke(record.key_id)
    with pytest.raises(AuthenticationError, match="revoked"):
        KeyStore(home).authenticate(key, Role.SCREEN)


def test_requests_without_a_valid_key_get_401(app_client: TestClient, home: Path) -> None:
    _, key = KeyStore(home).create("tests", Role.SCREEN)
    missing = app_client.post("/match/default", json=BODY)
    assert missing.status_code == 401 and missing.headers["WWW-Authenticate"] == "ApiKey"
    assert "Authorization: ApiKey" in missing.json()["detail"]
    assert (
        app_client.post("/match/default", json=BODY, headers=_auth("cf_nonsense")).status_code
        == 401
    )
    for path in ("/catalog", "/algorithms", "/search/default?q=x", "/entities/un-sc:ZZe.001"):
        assert app_client.get(path).status_code == 401, path
    assert app_client.post("/match/default", json=BODY, headers=_auth(key)).status_code == 200
    assert (
        app_client.post("/match/default", json=BODY, headers=_auth(key, "Bearer")).status_code
        == 200
    )
    # health and the API description stay open for load balancers and client generators
    assert app_client.get("/healthz").status_code == 200
    assert app_client.get("/readyz").json()["auth"] == "api keys"
    assert app_client.get("/openapi.json").status_code == 200


def test_a_key_created_or_revoked_while_serving_counts_at_once(
    app_client: TestClient, home: Path
) -> None:
    keys = KeyStore(home)
    record, key = keys.create("late", Role.SCREEN)
    assert app_client.post("/match/default", json=BODY, headers=_auth(key)).status_code == 200
    keys.revoke(record.key_id)
    refused = app_client.post("/match/default", json=BODY, headers=_auth(key))
    assert refused.status_code == 401 and "revoked" in refused.json()["detail"]


def test_the_wrong_role_gets_403(app_client: TestClient, home: Path) -> None:
    _, screen = KeyStore(home).create("gateway", Role.SCREEN)
    _, admin = KeyStore(home).create("analyst", Role.ADMIN)
    assert app_client.post("/admin/reload", headers=_auth(screen)).status_code == 403
    assert app_client.get("/decisions", headers=_auth(screen)).status_code == 403
    assert app_client.post("/admin/reload", headers=_auth(admin)).json()["reloaded"] is False
    assert app_client.post("/match/default", json=BODY, headers=_auth(admin)).status_code == 200


def test_refusals_and_answers_are_audited(app_client: TestClient, home: Path) -> None:
    _, key = KeyStore(home).create("gateway", Role.SCREEN)
    app_client.post("/match/default", json=BODY)
    app_client.post("/match/un-sc", json=BODY, params={"threshold": 0.8}, headers=_auth(key))
    log = AuditLog.for_home(home)
    denied, answered = [json.loads(line) for line in log.path.read_text().splitlines()]
    assert denied["action"] == "denied" and denied["status"] == 401
    assert denied["path"] == "/match/default" and denied["actor"] == "anonymous"
    assert answered["action"] == "match" and answered["actor"].endswith("(gateway)")
    assert answered["role"] == "screen" and answered["dataset"] == "un-sc"
    assert answered["editions"] == {"un-sc": "2026-01-15"}
    assert answered["params"]["threshold"] == 0.8
    assert answered["queries"]["q"]["properties"]["name"] == ["Jabhet al-Misal"]
    top = answered["results"]["q"][0]
    assert top["id"] == "un-sc:ZZe.001" and top["match"] is True and top["score"] > 0.8
    assert verify(log).ok


def test_open_mode_needs_no_key_and_says_so(home: Path) -> None:
    ws = Workspace(home)
    store.import_list(ws, sample_list_path())
    settings = ws.settings.with_(open_mode=True, reload_seconds=0)
    with TestClient(create_app(ws, settings)) as client:
        response = client.post("/match/default", json=BODY)
        assert response.status_code == 200
        assert response.headers["X-Counterflow-Open-Mode"].startswith("true")
        assert "OPEN MODE" in client.get("/readyz").json()["auth"]
        assert "OPEN MODE" in client.get("/openapi.json").json()["info"]["description"]
    record = json.loads(AuditLog.for_home(home).path.read_text().splitlines()[0])
    assert record["actor"] == "open-mode"


def test_no_audit_writes_nothing(home: Path) -> None:
    ws = Workspace(home)
    store.import_list(ws, sample_list_path())
    settings = ws.settings.with_(open_mode=True, audit=False, reload_seconds=0)
    with TestClient(create_app(ws, settings)) as client:
        assert client.post("/match/default", json=BODY).status_code == 200
        assert client.get("/readyz").json()["audit"] == "OFF"
    assert not AuditLog.for_home(home).path.exists()
