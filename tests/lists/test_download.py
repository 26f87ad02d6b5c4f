"""The downloader against a local stand-in for the official servers (loopback only)."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import ClassVar

import pytest

from counterflow.cli.demo_cmd import sample_list_path
from counterflow.errors import ConfigError, DownloadError
from counterflow.lists import store
from counterflow.lists.download import fetch, source_url, update_list
from counterflow.settings import Settings
from counterflow.workspace import Workspace

SAMPLE = sample_list_path().read_bytes()


class _Handler(BaseHTTPRequestHandler):
    routes: ClassVar[dict[str, tuple[int, bytes, float]]] = {}

    def do_GET(self) -> None:
        status, body, delay = self.routes.get(self.path, (404, b"not found", 0.0))
        time.sleep(delay)
        self.send_response(status)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


class _QuietServer(ThreadingHTTPServer):
    def handle_error(self, request: object, client_address: object) -> None:
        pass  # clients that give up early (size cap, timeout) are part of the tests


@pytest.fixture
def server() -> Iterator[str]:
    httpd = _QuietServer(("127.0.0.1", 0), _Handler)
    _Handler.routes = {
        "/consolidated.xml": (200, SAMPLE, 0.0),
        "/broken.xml": (200, SAMPLE[: len(SAMPLE) // 2], 0.0),
        "/html": (200, b"<html><body>maintenance</body></html>", 0.0),
        "/slow.xml": (200, SAMPLE, 3.0),
        "/empty.xml": (200, b"", 0.0),
    }
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


def _active(ws: Workspace) -> str | None:
    with ws.connect(read_only=True) as conn:
        active = store.active_editions(conn)
    return active["un-sc"].label if "un-sc" in active else None


def _downloads(home: Path) -> list[str]:
    return sorted(p.name for p in (home / "downloads/un-sc").iterdir())


def test_update_imports_and_keeps_the_file(home: Path, server: str) -> None:
    ws = Workspace(home)
    urls = {"un-sc": f"{server}/consolidated.xml"}
    result = update_list(ws, "un-sc", overrides=urls)
    assert result.created and result.edition.label == "2026-01-15"
    assert (home / "downloads/un-sc/2026-01-15-consolidated.xml").read_bytes() == SAMPLE
    assert _downloads(home) == ["2026-01-15-consolidated.xml"]  # no temporary file left
    again = update_list(ws, "un-sc", overrides=urls)
    assert not again.created


@pytest.mark.parametrize(
    ("path", "message"),
    [
        ("/missing.xml", "answered HTTP 404"),
        ("/broken.xml", "does not import: .*malformed XML"),
        ("/html", "did not return a UN Security Council"),
        ("/empty.xml", "returned an empty file"),
    ],
)
def test_failed_update_leaves_previous_edition(
    home: Path, server: str, path: str, message: str
) -> None:
    ws = Workspace(home)
    store.import_list(ws, sample_list_path())
    with pytest.raises(DownloadError, match=message):
        update_list(ws, "un-sc", overrides={"un-sc": server + path})
    assert _active(ws) == "2026-01-15"
    assert _downloads(home) == []  # nothing kept, no temporary file left


def test_size_cap_and_timeout(home: Path, server: str) -> None:
    ws = Workspace(home)
    with pytest.raises(DownloadError, match="over the 100 limit"):
        update_list(ws, "un-sc", overrides={"un-sc": f"{server}/consolidated.xml"}, max_bytes=100)
    with pytest.raises(DownloadError, match=r"did not answer within 0\.5 seconds"):
        update_list(ws, "un-sc", overrides={"un-sc": f"{server}/slow.xml"}, timeout=0.5)
    assert _active(ws) is None
    assert _downloads(home) == []


def test_fetch_writes_whole_or_not_at_all(tmp_path: Path, server: str) -> None:
    dest = tmp_path / "list.xml"
    assert fetch(f"{server}/consolidated.xml", dest) == len(SAMPLE)
    assert dest.read_bytes() == SAMPLE
    for path in ("/empty.xml", "/missing.xml"):
        with pytest.raises(DownloadError):
            fetch(server + path, tmp_path / "other.xml")
    with pytest.raises(DownloadError, match="over the 100 limit"):
        fetch(f"{server}/consolidated.xml", dest, max_bytes=100)
    assert dest.read_bytes() == SAMPLE  # the earlier file is untouched
    assert [p.name for p in tmp_path.iterdir()] == ["list.xml"]


def test_offline_gives_a_clear_message(home: Path) -> None:
    with socket.socket() as sock:  # a port nobody listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    with pytest.raises(DownloadError, match=r"cannot reach .* may be offline"):
        update_list(
            Workspace(home), "un-sc", overrides={"un-sc": f"http://127.0.0.1:{port}/x"}, timeout=2
        )


def test_sources_and_overrides(monkeypatch: pytest.MonkeyPatch, home: Path) -> None:
    assert source_url("un-sc").startswith("https://scsanctions.un.org/")
    monkeypatch.setenv("COUNTERFLOW_LIST_URL_OFAC_SDN", "http://mirror.invalid/SDN.XML")
    mirrors = Settings.from_env().list_urls
    assert source_url("ofac-sdn", mirrors=mirrors) == "http://mirror.invalid/SDN.XML"
    assert source_url("ofac-sdn", {"ofac-sdn": "file:///x"}, mirrors) == "file:///x"
    with pytest.raises(ConfigError, match="no download source for list 'nope'"):
        update_list(Workspace(home), "nope")
    with pytest.raises(ConfigError, match="unsupported URL"):
        update_list(Workspace(home), "un-sc", overrides={"un-sc": "ftp://x/y"})
