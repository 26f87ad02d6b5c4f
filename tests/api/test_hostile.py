"""Hostile input: whatever a caller sends, the service answers 4xx (never 5xx), reads no more
than its body limit, lets nobody anonymous make it read a body, cites instead of echoing, and
audits every answer with the caller's key."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import re
import socket
import stat
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from starlette.types import Message

from counterflow.api import create_app
from counterflow.api.keys import KeyStore, Role
from counterflow.cases import AuditLog, verify
from counterflow.cli.demo_cmd import sample_list_path
from counterflow.errors import DataError
from counterflow.lists import store
from counterflow.screening import Query as ScreeningQuery
from counterflow.workspace import Workspace

from .serving import serving_process

LIMIT = 64 * 1024
MB = 1024 * 1024
PERSON = {"schema": "Person", "properties": {"name": ["Fulan Allan"]}}
MATCH = {"queries": {"q": PERSON}}


@dataclass
class Service:
    """A service over the sample list with a small body limit, and a key of each role."""

    client: TestClient
    app: FastAPI
    home: Path
    screen: str
    admin: str
    screen_actor: str
    admin_actor: str

    def auth(self, key: str) -> dict[str, str]:
        return {"Authorization": f"ApiKey {key}"}

    def records(self) -> list[dict[str, Any]]:
        path = AuditLog.for_home(self.home).path
        if not path.exists():
            return []
        return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def _app(home: Path, **settings: Any) -> FastAPI:
    workspace = Workspace(home)
    changes = {"reload_seconds": 0, "max_body_bytes": LIMIT, **settings}
    return create_app(workspace, workspace.settings.with_(**changes))


@pytest.fixture
def service(home: Path) -> Iterator[Service]:
    store.import_list(Workspace(home), sample_list_path())
    keys = KeyStore(home)
    screen_record, screen = keys.create("gateway", Role.SCREEN)
    admin_record, admin = keys.create("analyst", Role.ADMIN)
    app = _app(home)
    with TestClient(app) as client:
        yield Service(
            client,
            app,
            home,
            screen,
            admin,
            f"key:{screen_record.key_id} (gateway)",
            f"key:{admin_record.key_id} (analyst)",
        )


def _raw(text: str) -> bytes:
    """A JSON body written by hand, so ``\\ud800`` reaches the server as a JSON escape."""
    return text.encode("ascii")


DECISION = (
    '{"query": {"schema": "Person", "properties": {"name": ["Fulan Allan"]}}, '
    '"entity_id": "un-sc:ZZi.001", "analyst": %s, "reason": %s}'
)


@pytest.mark.parametrize(
    ("where", "path", "body"),
    [
        (
            "name",
            "/match/default",
            '{"queries": {"q": {"schema": "Person", "properties": {"name": ["a\\ud800b"]}}}}',
        ),
        (
            "schema",
            "/match/default",
            '{"queries": {"q": {"schema": "Per\\udc00son", "properties": {"name": ["x"]}}}}',
        ),
        (
            "query key",
            "/match/default",
            '{"queries": {"q\\ud800": {"schema": "Person", "properties": {"name": ["x"]}}}}',
        ),
        (
            "property name",
            "/match/default",
            '{"queries": {"q": {"schema": "Person", "properties": {"na\\udfffme": ["x"]}}}}',
        ),
        ("analyst", "/decisions", DECISION % ('"A. \\ud800"', '"different person"')),
        ("reason", "/decisions", DECISION % ('"A. Analyst"', '"born \\udbff in Leeds"')),
        ("revoke", "/decisions/d-000000000000/revoke", '{"analyst": "\\ud800", "reason": "x"}'),
    ],
)
def test_a_lone_surrogate_anywhere_in_a_body_is_a_short_422_and_audited(
    service: Service, where: str, path: str, body: str
) -> None:
    response = service.client.post(
        path,
        content=_raw(body),
        headers={**service.auth(service.admin), "Content-Type": "application/json"},
    )
    assert response.status_code == 422, (where, response.text)
    assert len(response.content) < 2048
    problems = response.json()["detail"]
    assert "lone surrogate" in problems[0]["msg"]
    assert all(set(p) == {"loc", "msg", "type"} for p in problems)
    (record,) = service.records()
    assert record["action"] == "error" and record["status"] == 422
    assert record["actor"] == service.admin_actor and record["role"] == "admin"
    assert verify(AuditLog.for_home(service.home)).ok


def test_the_422_names_where_the_surrogate_is(service: Service) -> None:
    body = '{"queries": {"q/1": {"schema": "Person", "properties": {"name": ["x", "\\ud800"]}}}}'
    response = service.client.post(
        "/match/default",
        content=_raw(body),
        headers={**service.auth(service.screen), "Content-Type": "application/json"},
    )
    assert "/queries/q~11/properties/name/1" in response.json()["detail"][0]["msg"]


def test_text_that_is_not_utf8_in_the_url_is_a_422(service: Service) -> None:
    auth = service.auth(service.screen)
    query = service.client.get("/search/default?q=%ED%A0%80", headers=auth)
    assert query.status_code == 422
    assert query.json()["detail"][0]["loc"] == ["query", "q"]
    path = service.client.get("/entities/un-sc:%ED%A0%80", headers=auth)
    assert path.status_code == 422 and path.json()["detail"][0]["loc"] == ["path"]
    # a server that decodes paths with surrogateescape would hand the app a lone surrogate
    status, answer, _ = asyncio.run(_asgi(service.app, "GET", "/entities/\udced", service.screen))
    assert status == 422 and answer["detail"][0]["loc"] == ["path"]
    records = service.records()
    assert [r["status"] for r in records] == [422, 422, 422]
    assert {r["actor"] for r in records} == {service.screen_actor}
    assert verify(AuditLog.for_home(service.home)).ok


def test_a_422_cites_the_request_and_does_not_echo_it(service: Service) -> None:
    auth = service.auth(service.screen)
    name = "x" * MB
    many = {str(i): {"schema": "Person", "properties": {"name": ["y" * 5000]}} for i in range(60)}
    with TestClient(_app(service.home, max_body_bytes=4 * MB), headers=auth) as client:
        big = client.post(
            "/match/default",
            json={"queries": {"q": {"schema": "Person", "properties": {"name": [name]}}}},
        )
        batch = client.post("/match/default", json={"queries": many})
        broken = client.post(
            "/match/default",
            content=b'{"queries": ',
            headers={"Content-Type": "application/json"},
        )
    assert big.status_code == 422 and len(big.content) < 2048
    problem = big.json()["detail"][0]
    assert set(problem) == {"loc", "msg", "type"} and "xxxxxxxxxx" not in big.text
    assert problem["loc"] == ["body", "queries", "q", "properties", "name", 0]
    assert batch.status_code == 422 and len(batch.content) < 4096
    assert "50 more problems" in batch.json()["detail"][-1]["msg"]
    assert broken.status_code == 422 and "JSON decode error" in broken.json()["detail"][0]["msg"]
    records = service.records()
    assert [r["status"] for r in records] == [422, 422, 422]
    assert all(len(json.dumps(r)) < 4096 for r in records)  # the trail cites too


# --------------------------------------------------------------------------- the body limit


async def _asgi(
    app: FastAPI,
    method: str,
    path: str,
    key: str | None,
    *,
    length: int | None = None,
    chunks: int = 0,
    chunk: int = LIMIT // 4,
) -> tuple[int, dict[str, Any], int]:
    """Call the app as a server would; (status, answer, body bytes the app pulled).

    ``length`` declares a Content-Length; ``chunks`` streams that many ``chunk``-byte pieces
    (a chunked body) to whoever reads them."""
    pulled = 0
    sent = 0

    async def receive() -> Message:
        nonlocal pulled, sent
        if sent >= chunks:
            return {"type": "http.request", "body": b"", "more_body": False}
        sent += 1
        pulled += chunk
        return {"type": "http.request", "body": b"{" * chunk, "more_body": sent < chunks}

    messages: list[Message] = []

    async def send(message: Message) -> None:
        messages.append(message)

    headers = [(b"content-type", b"application/json")]
    if key:
        headers.append((b"authorization", f"ApiKey {key}".encode()))
    if length is not None:
        headers.append((b"content-length", str(length).encode()))
    elif chunks:
        headers.append((b"transfer-encoding", b"chunked"))
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": path,
        "raw_path": path.encode("utf-8", "surrogateescape"),
        "query_string": b"",
        "root_path": "",
        "headers": headers,
        "client": ("127.0.0.1", 50000),
        "server": ("127.0.0.1", 8000),
        "state": {},
    }
    await app(scope, receive, send)
    start = next(m for m in messages if m["type"] == "http.response.start")
    body = b"".join(m.get("body", b"") for m in messages if m["type"] == "http.response.body")
    return start["status"], json.loads(body), pulled


def test_a_declared_body_over_the_limit_is_refused_without_reading_it(service: Service) -> None:
    status, answer, pulled = asyncio.run(
        _asgi(service.app, "POST", "/match/default", service.screen, length=100 * MB, chunks=1600)
    )
    assert status == 413 and pulled == 0
    assert "limit of 65,536 bytes" in answer["detail"]
    (record,) = service.records()
    assert record["status"] == 413 and record["actor"] == service.screen_actor


def test_a_streamed_body_is_cut_off_at_the_limit(service: Service) -> None:
    chunk = LIMIT // 4
    status, answer, pulled = asyncio.run(
        _asgi(service.app, "POST", "/match/default", service.screen, chunks=1600, chunk=chunk)
    )
    assert status == 413 and "limit" in answer["detail"]
    assert pulled <= LIMIT + chunk  # 100 MB offered; one chunk past the limit read at most
    (record,) = service.records()
    assert record["status"] == 413 and record["actor"] == service.screen_actor


@pytest.mark.parametrize("declared", [True, False])
def test_an_anonymous_post_is_refused_before_its_body_is_read(
    service: Service, declared: bool
) -> None:
    length = 100 * MB if declared else None
    for key in (None, "cf_000000000000_" + "A" * 43):
        status, answer, pulled = asyncio.run(
            _asgi(service.app, "POST", "/match/default", key, length=length, chunks=1600)
        )
        assert status == 401 and pulled == 0
        assert "API key" in answer["detail"]
    records = service.records()
    assert [(r["action"], r["status"], r["actor"]) for r in records] == [
        ("denied", 401, "anonymous"),
        ("denied", 401, "anonymous"),
    ]


def test_large_posts_do_not_grow_the_real_server(home: Path) -> None:
    """``counterflow serve`` over loopback: four 100 MB posts with a key, four without, and
    four streamed (chunked) ones leave its memory where it was."""
    store.import_list(Workspace(home), sample_list_path())
    _, key = KeyStore(home).create("tests", Role.SCREEN)
    with serving_process(home, "--reload-seconds", "0") as (base, server):
        host, port = urlsplit(base).hostname or "", urlsplit(base).port or 0
        before = _rss(server.pid)
        for auth in (key, None, key, None, key, None, key, None):
            assert _declared_post(host, port, auth, 100 * MB) == (413 if auth else 401)
        for _ in range(4):
            _chunked_post(host, port, key, 100 * MB)
        after = _rss(server.pid)
        assert after - before < 30 * MB, (before, after)
    records = [r for r in AuditLog.for_home(home).records() if r[1]]
    statuses = sorted(r[1]["status"] for r in records if r[1] is not None)
    assert statuses == [401] * 4 + [413] * 8


def _rss(pid: int) -> int:
    status = Path(f"/proc/{pid}/status").read_text()
    match = re.search(r"VmRSS:\s+(\d+) kB", status)
    assert match, status
    return int(match.group(1)) * 1024


def _head(host: str, port: int, key: str | None, framing: str) -> bytes:
    auth = f"Authorization: ApiKey {key}\r\n" if key else ""
    return (
        f"POST /match/default HTTP/1.1\r\nHost: {host}:{port}\r\n{auth}"
        f"Content-Type: application/json\r\n{framing}\r\n"
    ).encode()


def _declared_post(host: str, port: int, key: str | None, size: int) -> int:
    """Declare ``size`` bytes, send the first megabyte, and read the status line."""
    with socket.create_connection((host, port), timeout=10) as sock:
        sock.sendall(_head(host, port, key, f"Content-Length: {size}\r\n"))
        # the server may answer and close without reading: what is tested
        with contextlib.suppress(OSError):
            sock.sendall(b"{" * MB)
        return _status(sock)


def _chunked_post(host: str, port: int, key: str | None, size: int) -> None:
    """Stream up to ``size`` bytes in 1 MB chunks until the server stops taking them."""
    with socket.create_connection((host, port), timeout=2) as sock:
        sock.sendall(_head(host, port, key, "Transfer-Encoding: chunked\r\n"))
        piece = f"{MB:x}\r\n".encode() + b"{" * MB + b"\r\n"
        deadline = time.monotonic() + 10
        try:
            for _ in range(size // MB):
                sock.sendall(piece)
                if time.monotonic() > deadline:
                    break
        except OSError:
            pass  # cut off: the server answered 413 and closed the connection


def _status(sock: socket.socket) -> int:
    data = b""
    while b"\r\n" not in data:
        got = sock.recv(4096)
        if not got:
            break
        data += got
    return int(data.split(b" ", 2)[1])


# --------------------------------------------------------------------------- the audit trail


def test_every_answer_is_audited_once_with_its_caller(service: Service) -> None:
    screen, admin = service.auth(service.screen), service.auth(service.admin)
    client = service.client
    asked = [
        (client.post("/match/default", json=MATCH, params={"algorithm": "x"}, headers=screen), 400),
        (client.post("/match/nowhere", json=MATCH, headers=screen), 404),
        (client.get("/no/such/path", headers=screen), 404),
        (client.delete("/catalog", headers=screen), 405),
        (client.post("/match/default", content=b"{" * (LIMIT + 1), headers=screen), 413),
        (client.post("/match/default", json={"queries": 1}, headers=screen), 422),
        (client.get("/catalog", headers=screen), 200),
        (client.get("/decisions", params={"status": "cleared"}, headers=admin), 200),
    ]
    assert [r.status_code for r, _ in asked] == [status for _, status in asked]
    for public in ("/healthz", "/readyz", "/openapi.json", "/docs"):
        assert client.get(public).status_code == 200  # not audited: no customer data
    records = service.records()
    assert [r["status"] for r in records[:6]] == [400, 404, 404, 405, 413, 422]
    assert all(r["action"] == "error" and r["actor"] == service.screen_actor for r in records[:6])
    assert all(r["role"] == "screen" and r["detail"] for r in records[:6])
    assert records[1]["detail"].startswith("no dataset 'nowhere'")
    assert records[2]["path"] == "/no/such/path" and records[2]["method"] == "GET"
    assert records[6]["action"] == "request" and records[6]["path"] == "/catalog"
    listed = records[7]
    assert listed["action"] == "decisions" and listed["actor"] == service.admin_actor
    assert listed["filters"] == {"status": "cleared", "entity_id": None}
    assert listed["count"] == 0
    assert len(records) == len(asked)
    assert verify(AuditLog.for_home(service.home)).ok


def test_a_403_records_the_key_that_asked(service: Service) -> None:
    refused = service.client.get("/decisions", headers=service.auth(service.screen))
    assert refused.status_code == 403
    (record,) = service.records()
    assert record["action"] == "denied" and record["status"] == 403
    assert record["actor"] == service.screen_actor and record["role"] == "screen"


def test_a_revoked_key_is_named_in_its_refusal(service: Service) -> None:
    keys = KeyStore(service.home)
    revoked = next(k for k in keys.all() if k.name == "gateway")
    keys.revoke(revoked.key_id)
    refused = service.client.post(
        "/match/default", json=MATCH, headers=service.auth(service.screen)
    )
    assert refused.status_code == 401 and refused.headers["WWW-Authenticate"] == "ApiKey"
    (record,) = service.records()
    assert record["action"] == "denied" and record["actor"] == service.screen_actor
    assert "revoked" in record["reason"]


def test_a_500_is_audited_and_says_nothing_of_the_cause(
    service: Service, monkeypatch: pytest.MonkeyPatch
) -> None:
    holder = service.app.state.service.holder

    def broken(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("secret internals at /srv/counterflow")

    monkeypatch.setattr(holder.state.screener, "screen", broken)
    with TestClient(service.app, raise_server_exceptions=False) as client:
        failed = client.post("/match/default", json=MATCH, headers=service.auth(service.screen))
    assert failed.status_code == 500 and "/srv" not in failed.text
    (record,) = service.records()
    assert record["status"] == 500 and record["actor"] == service.screen_actor


@pytest.mark.parametrize("raised", [DataError("nothing to screen"), ValueError("odd text")])
def test_whatever_the_query_cleaning_raises_is_a_400(
    service: Service, monkeypatch: pytest.MonkeyPatch, raised: Exception
) -> None:
    def refuse(*args: Any, **kwargs: Any) -> Any:
        raise raised

    monkeypatch.setattr(ScreeningQuery, "from_properties", refuse)
    monkeypatch.setattr(ScreeningQuery, "make", refuse)
    auth = service.auth(service.admin)
    decision = {"query": PERSON, "entity_id": "un-sc:ZZi.001", "analyst": "A", "reason": "B"}
    answers = [
        service.client.post("/match/default", json=MATCH, headers=auth),
        service.client.get("/search/default", params={"q": "x"}, headers=auth),
        service.client.post("/decisions", json=decision, headers=auth),
    ]
    assert [a.status_code for a in answers] == [400, 400, 400]
    assert [r["status"] for r in service.records()] == [400, 400, 400]


def test_an_unwritable_trail_answers_503_without_paths(
    service: Service, caplog: pytest.LogCaptureFixture
) -> None:
    trail = AuditLog.for_home(service.home).path
    trail.parent.mkdir(exist_ok=True)
    trail.mkdir()  # a folder where the file should be: every append fails, even for root
    for key in (service.screen, None):
        headers = service.auth(key) if key else {}
        failed = service.client.post("/match/default", json=MATCH, headers=headers)
        assert failed.status_code == 503, failed.text
        assert "audit trail cannot be written" in failed.json()["detail"]
        assert str(service.home) not in failed.text and "/" not in failed.json()["detail"]
    assert str(trail) in caplog.text  # the operator sees where


def test_workspace_files_with_customer_names_are_private(home: Path) -> None:
    old = os.umask(0o022)
    try:
        store.import_list(Workspace(home), sample_list_path())
        _, admin = KeyStore(home).create("analyst", Role.ADMIN)
        decision = {"query": PERSON, "entity_id": "un-sc:ZZi.001", "analyst": "A", "reason": "B"}
        with TestClient(_app(home), headers={"Authorization": f"ApiKey {admin}"}) as client:
            assert client.post("/decisions", json=decision).status_code == 201
    finally:
        os.umask(old)
    trail = AuditLog.for_home(home).path
    assert stat.S_IMODE(trail.stat().st_mode) == 0o600
    assert stat.S_IMODE(trail.parent.stat().st_mode) == 0o700
    assert stat.S_IMODE((home / "decisions.jsonl").stat().st_mode) == 0o600
    assert stat.S_IMODE((home / "keys.json").stat().st_mode) == 0o600


def test_open_mode_marks_every_answer(home: Path) -> None:
    store.import_list(Workspace(home), sample_list_path())
    with TestClient(_app(home, open_mode=True)) as client:
        answers = [
            client.post("/match/default", json=MATCH),
            client.post("/match/nowhere", json=MATCH),
            client.post("/match/default", content=b"{" * (LIMIT + 1)),
            client.post("/match/default", json={"queries": 1}),
            client.get("/healthz"),
        ]
    assert [a.status_code for a in answers] == [200, 404, 413, 422, 200]
    assert all(a.headers["X-Counterflow-Open-Mode"].startswith("true") for a in answers)
    records = [json.loads(line) for line in AuditLog.for_home(home).path.read_text().splitlines()]
    assert [r["actor"] for r in records] == ["open-mode"] * 4


# --------------------------------------------------------------------------- the docs page


def test_the_docs_page_loads_everything_from_this_server(service: Service) -> None:
    page = service.client.get("/docs")
    assert page.status_code == 200 and "SwaggerUIBundle" in page.text
    urls = re.findall(r'(?:src|href)="([^"]+)"', page.text)
    urls += re.findall(r"url: '([^']+)'", page.text)
    assert len(urls) >= 4, urls  # script, style, icon, the OpenAPI description
    for url in urls:
        assert url.startswith("/") and not url.startswith("//"), url
        assert service.client.get(url).status_code == 200, url  # public: no key sent
    assert "http://" not in page.text and "https://" not in page.text
    assert service.client.get("/redoc", headers=service.auth(service.screen)).status_code == 404
    assert service.records()[-1]["path"] == "/redoc"  # asked with a key: audited


def test_a_damaged_key_file_is_a_503_that_names_no_file(
    service: Service, caplog: pytest.LogCaptureFixture
) -> None:
    (service.home / "keys.json").write_text("{not json", encoding="utf-8")
    failed = service.client.post("/match/default", json=MATCH, headers=service.auth(service.screen))
    assert failed.status_code == 503 and "keys.json" not in failed.text
    assert str(service.home) not in failed.text
    assert "keys.json" in caplog.text
    (record,) = service.records()
    assert record["status"] == 503 and record["actor"] == "anonymous"


def test_health_stays_public_behind_a_path_prefix(service: Service) -> None:
    # as uvicorn --root-path hands it over: the prefix is in the path too
    with TestClient(service.app, root_path="/screening") as client:
        assert client.get("/screening/healthz").status_code == 200
        assert client.get("/screening/catalog").status_code == 401
