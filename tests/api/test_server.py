"""The real server on loopback: ``counterflow serve`` in a subprocess, queried over HTTP."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from counterflow.cli.demo_cmd import sample_list_path
from counterflow.lists import store
from counterflow.workspace import Workspace


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_serve_answers_match_over_http(home: Path) -> None:
    store.import_list(Workspace(home), sample_list_path())
    port = _free_port()
    command = [
        sys.executable,
        "-m",
        "counterflow",
        "--home",
        str(home),
        "serve",
        "--port",
        str(port),
    ]
    server = subprocess.Popen(
        command,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        env={**os.environ, "COLUMNS": "200"},
    )
    try:
        base = f"http://127.0.0.1:{port}"
        for _ in range(100):  # bounded wait for the server to come up
            try:
                with urllib.request.urlopen(f"{base}/readyz", timeout=1) as response:
                    if response.status == 200:
                        break
            except OSError:
                time.sleep(0.1)
        body = json.dumps(
            {"queries": {"q": {"schema": "Organization", "properties": {"name": ["جبهة المثال"]}}}}
        )
        request = urllib.request.Request(
            f"{base}/match/default",
            data=body.encode(),
            headers={"Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=5) as response:
            data = json.loads(response.read())
        assert data["responses"]["q"]["results"][0]["id"] == "un-sc:ZZe.001"
    finally:
        server.terminate()
        server.wait(timeout=10)
