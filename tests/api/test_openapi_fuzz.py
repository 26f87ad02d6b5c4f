"""Schemathesis against the running service's own OpenAPI description: whatever it is sent,
the service answers 4xx with a message or 2xx, never a 5xx."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest

from counterflow.api.keys import KeyStore, Role
from counterflow.cli.demo_cmd import sample_list_path
from counterflow.lists import store
from counterflow.workspace import Workspace

from .serving import serving

#: fuzzed cases per operation, beside the examples, coverage and stateful phases
MAX_EXAMPLES = "100"


@pytest.mark.slow
def test_no_request_makes_the_service_fail(home: Path, tmp_path: Path) -> None:
    store.import_list(Workspace(home), sample_list_path())
    _, key = KeyStore(home).create("schemathesis", Role.ADMIN)
    st = shutil.which("st", path=str(Path(sys.executable).parent)) or "st"
    with serving(home, "--reload-seconds", "0") as base:
        with urllib.request.urlopen(f"{base}/openapi.json") as answer:
            spec = json.load(answer)
        operations = sum(len(methods) for methods in spec["paths"].values())
        run = subprocess.run(
            [
                st,
                "run",
                f"{base}/openapi.json",
                "--header",
                f"Authorization: ApiKey {key}",
                "--checks",
                "not_a_server_error",
                "--max-examples",
                MAX_EXAMPLES,
                "--seed",
                "20261129",
                "--generation-database",
                "none",
                "--workers",
                "1",
                "--request-timeout",
                "20",
                "--no-color",
                "--report-dir",
                str(tmp_path / "report"),
            ],
            capture_output=True,
            text=True,
            timeout=900,
            cwd=tmp_path,  # schemathesis keeps its own files in the working folder
        )
    assert run.returncode == 0, run.stdout[-6000:] + run.stderr[-2000:]
    counts = re.search(r"(\d+) generated, (\d+) passed", run.stdout)
    assert counts, run.stdout[-3000:]
    generated, passed = map(int, counts.groups())
    assert generated == passed >= 500  # every operation really exercised
    assert f"Tested: {operations}" in run.stdout  # every operation of the description
