"""Signing in and out of the web UI: sessions in secure cookies that the server can end, CSRF
tokens on every form, the UI's security headers, and the dashboard."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from counterflow.api import create_app
from counterflow.api.keys import KeyStore, Role
from counterflow.cases.db import CaseStore, utcnow
from counterflow.cases.sessions import IDLE, LIFETIME, current, sign_in
from counterflow.cases.users import add_user, disable_user
from counterflow.settings import Settings
from counterflow.workspace import Workspace

PASSWORD = "correct horse 1"
_CSRF = re.compile(r'name="csrf" value="([^"]+)"')


@pytest.fixture
def settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Settings:
    monkeypatch.delenv("COUNTERFLOW_CASES_URL", raising=False)
    found = Settings.defaults(tmp_path / "home").with_(reload_seconds=0)
    with CaseStore.open(found, write=True) as store:
        add_user(store, "ana", "analyst", PASSWORD)
        add_user(store, "rev", "reviewer", PASSWORD)
        add_user(store, "nopass", "analyst")
    return found


@pytest.fixture
def client(settings: Settings) -> Iterator[TestClient]:
    app = create_app(Workspace(settings=settings), settings)
    # the session cookie is Secure: the client must speak HTTPS for the browser rules to hold
    with TestClient(app, base_url="https://testserver") as found:
        yield found


def csrf_of(html: str) -> str:
    found = _CSRF.search(html)
    assert found, "the page has no CSRF field"
    return found.group(1)


def sign_in_as(client: TestClient, name: str, password: str = PASSWORD) -> str:
    """Sign in through the form; the dashboard's CSRF token."""
    form = client.get("/ui/login")
    answer = client.post(
        "/ui/login",
        data={"username": name, "password": password, "csrf": csrf_of(form.text)},
        follow_redirects=False,
    )
    assert answer.status_code == 303, answer.text
    page = client.get("/ui/")
    assert page.status_code == 200
    return csrf_of(page.text)


def test_a_page_without_a_session_sends_the_browser_to_sign_in(client: TestClient) -> None:
    answer = client.get("/ui/alerts?status=open", follow_redirects=False)
    assert answer.status_code == 303
    assert answer.headers["location"] == "/ui/login?next=/ui/alerts%3Fstatus%3Dopen"


def test_signing_in_sets_a_secure_httponly_samesite_cookie(client: TestClient) -> None:
    form = client.get("/ui/login")
    assert 'name="username"' in form.text and 'name="password"' in form.text
    answer = client.post(
        "/ui/login",
        data={"username": "ana", "password": PASSWORD, "csrf": csrf_of(form.text)},
        follow_redirects=False,
    )
    assert answer.status_code == 303 and answer.headers["location"] == "/ui/"
    cookie = answer.headers["set-cookie"].lower()
    assert "cf_session=" in cookie
    for flag in ("secure", "httponly", "samesite=strict", "path=/ui"):
        assert flag in cookie


def test_wrong_passwords_unknown_users_and_users_without_one_get_one_answer(
    client: TestClient,
) -> None:
    for name, password in (("ana", "wrong password"), ("nobody", PASSWORD), ("nopass", PASSWORD)):
        form = client.get("/ui/login")
        answer = client.post(
            "/ui/login",
            data={"username": name, "password": password, "csrf": csrf_of(form.text)},
        )
        assert answer.status_code == 401
        assert "Unknown user or wrong password." in answer.text
        assert "cf_session" not in answer.headers.get("set-cookie", "")


def test_the_sign_in_form_needs_its_own_token(client: TestClient) -> None:
    client.get("/ui/login")
    answer = client.post(
        "/ui/login", data={"username": "ana", "password": PASSWORD, "csrf": "forged"}
    )
    assert answer.status_code == 403
    assert client.get("/ui/", follow_redirects=False).status_code == 303


def test_after_signing_in_the_browser_goes_back_only_to_this_ui(client: TestClient) -> None:
    form = client.get("/ui/login?next=https://evil.example/")
    assert "evil.example" not in form.text
    answer = client.post(
        "/ui/login",
        data={
            "username": "ana",
            "password": PASSWORD,
            "csrf": csrf_of(form.text),
            "next": "//evil.example/",
        },
        follow_redirects=False,
    )
    assert answer.headers["location"] == "/ui/"


def test_every_ui_answer_has_a_csp_without_inline_scripts(client: TestClient) -> None:
    sign_in_as(client, "ana")
    for path in ("/ui/login", "/ui/", "/ui/no-such-page"):
        answer = client.get(path)
        policy = answer.headers["content-security-policy"]
        script = next(p for p in policy.split(";") if p.strip().startswith("script-src"))
        assert script.strip() == "script-src 'self'"
        assert "frame-ancestors 'none'" in policy
        assert answer.headers["x-content-type-options"] == "nosniff"
    missing = client.get("/ui/no-such-page")
    assert missing.status_code == 404 and missing.headers["content-type"].startswith("text/html")


def test_signing_out_ends_the_session_on_the_server(client: TestClient) -> None:
    token = sign_in_as(client, "ana")
    cookie = client.cookies.get("cf_session")
    assert cookie
    # without its token the form does nothing
    client.post("/ui/logout", data={"csrf": "forged"}, follow_redirects=False)
    client.cookies.set("cf_session", cookie, domain="testserver.local", path="/ui")
    assert client.get("/ui/", follow_redirects=False).status_code == 200
    answer = client.post("/ui/logout", data={"csrf": token}, follow_redirects=False)
    assert answer.status_code == 303
    # a copy of the old cookie lets nobody in any more
    client.cookies.set("cf_session", cookie, domain="testserver.local", path="/ui")
    assert client.get("/ui/", follow_redirects=False).status_code == 303


def test_disabling_a_user_ends_their_session_at_once(
    client: TestClient, settings: Settings
) -> None:
    sign_in_as(client, "ana")
    assert client.get("/ui/", follow_redirects=False).status_code == 200
    with CaseStore.open(settings, write=True) as store:
        disable_user(store, "ana")
    assert client.get("/ui/", follow_redirects=False).status_code == 303
    form = client.get("/ui/login")
    answer = client.post(
        "/ui/login", data={"username": "ana", "password": PASSWORD, "csrf": csrf_of(form.text)}
    )
    assert answer.status_code == 401 and "disabled" in answer.text


def test_api_keys_do_not_open_the_ui(client: TestClient, settings: Settings) -> None:
    """A screen-only key is a machine's: it reaches /match, never a page; and its secret is
    not a password anybody can sign in with."""
    _, secret = KeyStore(settings.home).create("screening robot", Role.SCREEN)
    headers = {"Authorization": f"ApiKey {secret}"}
    assert client.get("/ui/", headers=headers, follow_redirects=False).status_code == 303
    form = client.get("/ui/login")
    for name in ("screening robot", "ana"):
        answer = client.post(
            "/ui/login", data={"username": name, "password": secret, "csrf": csrf_of(form.text)}
        )
        assert answer.status_code in (401, 403)
        assert "cf_session" not in answer.headers.get("set-cookie", "")


def test_the_dashboard_of_an_empty_workspace_says_what_to_do(client: TestClient) -> None:
    sign_in_as(client, "ana")
    page = client.get("/ui/")
    assert "Dashboard" in page.text
    assert "No open alerts" in page.text and "counterflow monitor" in page.text


def test_sessions_end_when_idle_or_too_old(settings: Settings) -> None:
    with CaseStore.open(settings, write=True) as store:
        token, session = sign_in(store, "rev", PASSWORD)
        assert session.role is Role.REVIEWER
        start = session.started
        assert current(store, token, now=start + timedelta(minutes=5)) is not None
        assert current(store, token, now=start + IDLE + timedelta(seconds=1)) is None
        assert current(store, token, now=start + LIFETIME + timedelta(seconds=1)) is None
        assert current(store, token[:-1] + "x", now=utcnow()) is None
        assert current(store, "short", now=utcnow()) is None


def test_a_new_password_ends_the_users_sessions(client: TestClient, settings: Settings) -> None:
    from counterflow.cases.users import set_password

    sign_in_as(client, "ana")
    with CaseStore.open(settings, write=True) as store:
        set_password(store, "ana", "a new passphrase")
    assert client.get("/ui/", follow_redirects=False).status_code == 303
    sign_in_as(client, "ana", "a new passphrase")
