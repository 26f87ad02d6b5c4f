"""Run ``counterflow serve`` in a subprocess on a free loopback port, and talk to it."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def counterflow_command(home: Path, *args: str) -> list[str]:
    return [sys.executable, "-m", "counterflow", "--home", str(home), *args]


@contextmanager
def serving(home: Path, *args: str) -> Iterator[str]:
    """``counterflow serve`` on a free loopback port; yields its base URL once it is ready."""
    with serving_process(home, *args) as (base, _server):
        yield base


@contextmanager
def serving_process(home: Path, *args: str) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    """As :func:`serving`, with the server's process (one worker serves in that process)."""
    port = _free_port()
    server = subprocess.Popen(
        counterflow_command(home, "serve", "--port", str(port), *args),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        env={**os.environ, "COLUMNS": "200"},
    )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(300):  # bounded wait for the server to come up
            if server.poll() is not None:
                output = server.stdout.read().decode() if server.stdout else ""
                pytest.fail(f"the server exited: {output}")
            try:
                with urllib.request.urlopen(f"{base}/readyz", timeout=1) as response:
                    if response.status == 200:
                        break
            except OSError:
                time.sleep(0.1)
        yield base, server
    finally:
        server.terminate()
        server.wait(timeout=10)


def post(url: str, body: dict[str, Any], key: str | None) -> tuple[int, dict[str, Any]]:
    headers = {"Content-Type": "application/json"}
    if key:
        headers["Authorization"] = f"ApiKey {key}"
    request = urllib.request.Request(url, data=json.dumps(body).encode(), headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read())
