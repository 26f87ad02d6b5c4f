"""The cases-over-HTTP benchmark (``bench/cases/run.py``) runs end to end at a tiny scale: it
builds a workspace with a simulated world, synthetic alerts and cases opened through the
library, starts ``counterflow serve`` and times every endpoint without an error; with the case
store in SQLite (the default) and in PostgreSQL (``--postgres``, on the session's throw-away
server)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

pytest.importorskip("aiohttp")


@pytest.mark.slow
@pytest.mark.parametrize("store", ["sqlite", "postgresql"])
def test_cases_bench_runs_at_tiny_scale(
    store: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    if store == "postgresql":
        server = request.getfixturevalue("postgres")  # tests/conftest.py's PostgresServer
        with server.database() as url:
            _run(tmp_path, ["--postgres", url], store)
    else:
        _run(tmp_path, [], store)


def _run(tmp_path: Path, extra: list[str], store: str) -> None:
    out = tmp_path / "cases.json"
    args = [*extra, "--cases", "50", "--alerts", "500", "--parties", "1000", "--days", "30"]
    args += ["--requests", "24", "--warmup", "4", "--seconds", "20"]
    args += ["--cache", str(tmp_path / "cache"), "--out", str(out), "--logs", str(tmp_path)]
    proc = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "cases" / "run.py"), *args],
        capture_output=True,
        text=True,
        timeout=600,
        cwd=ROOT,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    report = json.loads(out.read_text())
    assert report["store"].startswith(store)
    assert report["store_counts"]["cases"] == 50
    assert report["built"]["alerts"]["real"] + report["built"]["alerts"]["synthetic"] == 500
    assert report["built"]["cases"]["checked_against_freeze"] == 20
    assert sum(report["built"]["cases"]["statuses"].values()) == 50
    endpoints = {run["endpoint"]: run for run in report["runs"]}
    assert set(endpoints) == {
        "GET /cases",
        "GET /cases?offset=9000",
        "GET /cases?limit=1000",
        "GET /cases?status=investigating",
        "GET /cases/{id}",
        "GET /alerts?status=open",
    }
    for run in endpoints.values():
        assert run["requests"] > 0 and run["errors"] == 0, run
        assert run["p50_ms"] <= run["p95_ms"] <= run["p99_ms"]
    assert "| `GET /cases/{id}` |" in proc.stdout
