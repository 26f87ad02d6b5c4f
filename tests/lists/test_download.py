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
from counterflow.lists.download import source_url, update_list
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


def test_update_imports_and_keeps_the_file(home: Path, server: str) -> None:
    ws = Workspace(home)
    urls = {"un-sc": f"{server}/consolidated.xml"}
    result = update_list(ws, "un-sc", overrides=urls)
    assert result.created and result.edition.label == "2026-01-15"
    assert (home / "downloads/un-sc/2026-01-15-consolidated.xml").read_bytes() == SAMPLE
    assert not list((home / "downloads/un-sc").glob(".part-*"))
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
    assert not list((home / "downloads/un-sc").glob(".part-*"))


def test_size_cap_and_timeout(home: Path, server: str) -> None:
    ws = Workspace(home)
    with pytest.raises(DownloadError, match="over the 100 limit"):
        update_list(ws, "un-sc", overrides={"un-sc": f"{server}/consolidated.xml"}, max_bytes=100)
    with pytest.raises(DownloadError, match=r"did not answer within 0\.5 seconds"):
        update_list(ws, "un-sc", overrides={"un-sc": f"{server}/slow.xml"}, timeout=0.5)
    assert _active(ws) is None


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
    assert source_url("ofac-sdn") == "http://mirror.invalid/SDN.XML"
    assert source_url("ofac-sdn", {"ofac-sdn": "file:///x"}) == "file:///x"
    with pytest.raises(ConfigError, match="no download source for list 'nope'"):
        update_list(Workspace(home), "nope")
    with pytest.raises(ConfigError, match="unsupported URL"):
        update_list(Workspace(home), "un-sc", overrides={"un-sc": "ftp://x/y"})
