"""Load benchmark of the HTTP screening service (``counterflow serve``, ``POST /match/default``).

Why: the in-process screening benchmark (``bench/screening``) times the matcher alone; a client
of the service also pays for HTTP, JSON validation and serialisation, the event loop and thread
pool, authentication and the audit trail. This drives the real server, as deployed, with the
traffic it should expect: single-name queries, about 80 % ordinary customers that are on no list
(``negatives_us.csv``; organisations made from their surnames) and 20 % listed names and their
variants (UN untreated positives, UN organisation names; typos, reordered or dropped parts),
a seeded mix of Person and Organization. The target is at least 300 requests/s at concurrency 8
with p99 under 50 ms, on a 2-core machine.

It builds a workspace from the real lists (UN 2026, OFAC SDN 2021, UK OFSI 2018) in a temporary
folder, or reuses ``--workspace``; then for each configuration (audit trail on, audit trail off,
and each ``--workers`` count) starts the server on a free loopback port, waits for ``/readyz``,
checks one known answer, warms up, and runs the closed-loop load generator (``loadgen.py``) at
concurrency 1, 8 and 64, each bounded by ``--requests`` and ``--seconds``. The audit trail's
cost is reported as rps(audit on) / rps(audit off) at concurrency 8, per worker count.

Requests carry a ``screen`` API key, as in production; ``serve --no-audit`` gives the
audit-off runs.

Run from the repository root::

    .venv/bin/python bench/service/run.py                  # 1 worker, audit on and off: ~1.5 min
    .venv/bin/python bench/service/run.py --workers 1 2    # also 2 worker processes: ~3.5 min
    .venv/bin/python bench/service/run.py --workspace bench/results/service/ws   # keep/reuse

Prints a Markdown table to stdout (progress to stderr) and writes everything as JSON to
``bench/results/service.json``; server logs go to ``bench/results/service/``. The load generator
runs on the same machine as the server and takes CPU from it (about a tenth of a core at
400 requests/s): numbers are a floor. ``nagle_suspects`` guards a fixed regression: uvicorn's
multi-worker listener left TCP_NODELAY off (Kludex/uvicorn#3149), so every keep-alive request
waited ~40 ms for a delayed ACK, until ``counterflow.api.server`` set it per connection.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import platform
import random
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections import Counter
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from types import ModuleType
from typing import Any

from loadgen import load

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
RESULTS = ROOT / "bench" / "results"
LOGS = RESULTS / "service"
OUT = RESULTS / "service.json"
LEVELS = (1, 8, 64)
SEED = 20260227
TARGET_CONCURRENCY = 8
TARGET_RPS = 300.0
TARGET_P99_MS = 50.0
POSITIVE_SHARE = 0.2
ORGANIZATION_SHARE = 0.25
#: a known answer, checked on every server before load: the service must find this party
PROBE = {"queries": {"q": {"schema": "Person", "properties": {"name": ["Aiman al-Zawahiri"]}}}}
ORG_SUFFIXES = (
    "Ltd",
    "LLC",
    "Inc.",
    "Holdings",
    "Trading Co.",
    "& Sons",
    "Group",
    "Logistics",
    "Consulting",
    "Foods",
    "Realty",
)


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def _datasets() -> ModuleType:
    """``bench/screening/datasets.py``: the list paths and the name-variant makers, shared."""
    path = ROOT / "bench" / "screening" / "datasets.py"
    spec = importlib.util.spec_from_file_location("bench_screening_datasets", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


ds = _datasets()


# --------------------------------------------------------------------------- the CLI


def counterflow_exe() -> str:
    """The ``counterflow`` script next to this Python (the project's venv), else on PATH."""
    local = Path(sys.executable).parent / "counterflow"
    return str(local) if local.exists() else shutil.which("counterflow") or "counterflow"


def cli(home: Path | None, *args: str) -> subprocess.CompletedProcess[str]:
    cmd = [counterflow_exe(), *(["--home", str(home)] if home else []), *args]
    return subprocess.run(cmd, capture_output=True, text=True, check=False)


def build_workspace(home: Path) -> list[str]:
    """Import UN + OFAC SDN + UK into ``home`` unless it already holds a workspace."""
    if (home / "counterflow.duckdb").exists():
        log(f"workspace: reusing {home}")
        return cli(home, "lists").stdout.strip().splitlines()
    home.mkdir(parents=True, exist_ok=True)
    lines = []
    for path in (ds.UN_2026, ds.OFAC_SDN, ds.UK_OFSI):
        proc = cli(home, "lists", "import", str(path))
        if proc.returncode != 0:
            raise RuntimeError(f"import {path} failed:\n{proc.stdout}{proc.stderr}")
        lines.append(" ".join(proc.stdout.split()))
        log(f"workspace: {lines[-1]}")
    return lines


def create_key(home: Path) -> str:
    """A fresh screening key; a reused workspace may already hold one named ``bench``."""
    for name in ("bench", f"bench-{os.getpid()}-{int(time.time())}"):
        proc = cli(home, "keys", "create", "--role", "screen", "--name", name)
        lines = proc.stdout.strip().splitlines()
        if proc.returncode == 0 and lines:
            return lines[-1].strip()
    raise RuntimeError(f"keys create failed:\n{proc.stdout}{proc.stderr}")


def workspace_bytes(home: Path) -> int:
    return sum(p.stat().st_size for p in home.rglob("*") if p.is_file())


# --------------------------------------------------------------------------- queries


def _variant(name: str, rng: random.Random, person: bool) -> tuple[str, str]:
    """A listed name as a client might type it: as listed, or with a slip or reordering."""
    kinds = ("as_listed", "typo_1", "typo_2", "swap", "drop_middle")
    kind = rng.choice(kinds if person else kinds[:3])
    made = {
        "as_listed": lambda: name,
        "typo_1": lambda: ds.typo(name, 1, rng),
        "typo_2": lambda: ds.typo(name, 2, rng),
        "swap": lambda: ds.swap_parts(name, rng),
        "drop_middle": lambda: ds.drop_middle(name, rng),
    }[kind]()
    return (made, kind) if made else (name, "as_listed")


def make_bodies(count: int, seed: int) -> tuple[list[dict[str, Any]], dict[str, int]]:
    """``count`` seeded single-name /match bodies and how many of each kind there are."""
    rng = random.Random(f"{seed}:service")
    negatives = [r for r in ds.read_csv(ds.NEGATIVES) if r.get("full_name")]
    listed_people = [r["full_name"] for r in ds.read_csv(ds.POSITIVES) if r.get("full_name")]
    listed_orgs = [
        name
        for e in ds.load_entities(ds.UN_2026)
        if e.schema.name == "Organization"
        for name in ds.latin_names(e)
    ]
    bodies: list[dict[str, Any]] = []
    kinds: Counter[str] = Counter()
    for _ in range(count):
        schema = "Organization" if rng.random() < ORGANIZATION_SHARE else "Person"
        person = schema == "Person"
        if rng.random() < POSITIVE_SHARE:
            name, kind = _variant(rng.choice(listed_people if person else listed_orgs), rng, person)
            kind = f"listed:{kind}"
        elif person:
            name, kind = rng.choice(negatives)["full_name"], "unlisted"
        else:
            owners = [rng.choice(negatives)["last_name"] for _ in range(rng.choice((1, 1, 2)))]
            name, kind = f"{' & '.join(owners)} {rng.choice(ORG_SUFFIXES)}", "unlisted"
        kinds[f"{schema} {kind}"] += 1
        bodies.append({"queries": {"q": {"schema": schema, "properties": {"name": [name]}}}})
    return bodies, dict(sorted(kinds.items()))


# --------------------------------------------------------------------------- the server


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def request(
    url: str, body: Any = None, headers: dict[str, str] | None = None, timeout: float = 10.0
) -> tuple[int, Any]:
    """One blocking request (stdlib only), for readiness and the known-answer probe."""
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(url, data=data, headers={**(headers or {})})
    if data is not None:
        req.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(req, timeout=timeout) as response:
            return response.status, json.loads(response.read() or b"null")
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode(errors="replace")


@contextmanager
def server(home: Path, args: Sequence[str], log_path: Path, ready_timeout: float) -> Iterator[str]:
    """``counterflow serve`` in its own process group, ready; stopped on any exit (Ctrl-C too)."""
    port = free_port()
    cmd = [counterflow_exe(), "--home", str(home), "serve", "--host", "127.0.0.1"]
    cmd += ["--port", str(port), *args]
    base = f"http://127.0.0.1:{port}"
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with open(log_path, "w") as log_file:
        proc = subprocess.Popen(
            cmd, stdout=log_file, stderr=subprocess.STDOUT, start_new_session=True
        )
        try:
            started = time.perf_counter()
            while True:
                if proc.poll() is not None:
                    raise RuntimeError(f"server exited ({proc.returncode}): {tail(log_path)}")
                try:
                    status = request(f"{base}/readyz", timeout=2)[0]
                except (OSError, ValueError):
                    status = None  # not listening yet: uvicorn binds after the index is built
                if status == 200:
                    break
                if status not in (None, 503):  # 503 is "still loading"; anything else is broken
                    raise RuntimeError(f"/readyz answered {status}: {tail(log_path)}")
                if time.perf_counter() - started > ready_timeout:
                    raise RuntimeError(f"server not ready after {ready_timeout:.0f} s")
                time.sleep(0.2)
            log(f"  ready in {time.perf_counter() - started:.1f} s on {base}")
            yield base
        finally:
            stop(proc)


def tail(path: Path, chars: int = 3000) -> str:
    """The end of a server log, for error messages (a failing server can log megabytes)."""
    text = path.read_text(errors="replace")
    return text if len(text) <= chars else "…" + text[-chars:]


def stop(proc: subprocess.Popen[bytes]) -> None:
    """SIGTERM to the server's group (uvicorn's workers too), SIGKILL if it lingers."""
    if proc.poll() is not None:
        return
    for sig, wait in ((signal.SIGTERM, 15.0), (signal.SIGKILL, 5.0)):
        try:
            os.killpg(proc.pid, sig)
        except ProcessLookupError:
            return
        try:
            proc.wait(wait)
            return
        except subprocess.TimeoutExpired:
            continue


# --------------------------------------------------------------------------- one configuration


@dataclass(frozen=True)
class Config:
    workers: int
    audit: bool

    @property
    def name(self) -> str:
        return f"audit {'on' if self.audit else 'off'}, {self.workers} worker(s)"

    def serve_args(self, auth: str) -> list[str]:
        args = ["--workers", str(self.workers)]
        if not self.audit:
            args.append("--no-audit")
        if auth == "open":
            args.append("--open")
        return args


def run_config(
    config: Config,
    home: Path,
    bodies: Sequence[dict[str, Any]],
    headers: dict[str, str],
    auth: str,
    args: argparse.Namespace,
) -> dict[str, Any]:
    log(f"config: {config.name}")
    slug = f"audit-{'on' if config.audit else 'off'}-w{config.workers}"
    size_before = workspace_bytes(home)
    levels = []
    with server(
        home, config.serve_args(auth), LOGS / f"server-{slug}.log", args.ready_timeout
    ) as base:
        url = f"{base}/match/default"
        status, answer = request(url, PROBE, headers)
        found = isinstance(answer, dict) and answer.get("responses", {}).get("q", {})
        if status != 200 or not (found and found.get("results")):
            raise RuntimeError(f"known-answer probe failed ({status}): {str(answer)[:500]}")
        warm = load(
            url,
            list(bodies[-args.warmup :]),
            concurrency=TARGET_CONCURRENCY,
            max_requests=args.warmup,
            max_seconds=args.seconds,
            headers=headers,
        )
        log(f"  warm-up: {warm.requests} requests, {warm.errors} errors")
        for concurrency in args.concurrency:
            result = load(
                url,
                bodies,
                concurrency=concurrency,
                max_requests=args.requests,
                max_seconds=args.seconds,
                headers=headers,
            )
            summary = result.summary()
            levels.append(summary)
            log(
                f"  c={concurrency}: {summary['requests']} requests, {summary['rps']:.0f} rps, "
                f"p50 {summary['p50_ms']:.1f} ms, p99 {summary['p99_ms']:.1f} ms, "
                f"{summary['errors']} errors"
            )
    return {
        "config": config.name,
        "workers": config.workers,
        "audit": config.audit,
        "serve_args": config.serve_args(auth),
        "workspace_growth_bytes": workspace_bytes(home) - size_before,
        "levels": levels,
    }


# --------------------------------------------------------------------------- report


def at(run: dict[str, Any], concurrency: int) -> dict[str, Any] | None:
    return next((lv for lv in run["levels"] if lv["concurrency"] == concurrency), None)


def audit_ratios(runs: Sequence[dict[str, Any]]) -> dict[str, float | None]:
    """rps(audit on) / rps(audit off) at the target concurrency, per worker count."""
    out: dict[str, float | None] = {}
    for workers in sorted({r["workers"] for r in runs}):
        on = next((r for r in runs if r["workers"] == workers and r["audit"]), None)
        off = next((r for r in runs if r["workers"] == workers and not r["audit"]), None)
        lv_on = at(on, TARGET_CONCURRENCY) if on else None
        lv_off = at(off, TARGET_CONCURRENCY) if off else None
        if lv_on and lv_off and lv_on["rps"] and lv_off["rps"]:
            out[f"{workers} worker(s)"] = lv_on["rps"] / lv_off["rps"]
    return out


def target(runs: Sequence[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    out = {}
    for run in runs:
        lv = at(run, TARGET_CONCURRENCY)
        if lv:
            met = lv["rps"] >= TARGET_RPS and lv["p99_ms"] < TARGET_P99_MS and not lv["errors"]
            out[run["config"]] = {"rps": lv["rps"], "p99_ms": lv["p99_ms"], "met": met}
    return out


def nagle_suspects(runs: Sequence[dict[str, Any]]) -> list[str]:
    """A ~40 ms floor at c=1 with several workers is Nagle meeting delayed ACK: uvicorn's
    multi-worker listener leaves TCP_NODELAY off (github.com/Kludex/uvicorn/issues/3149)."""
    out = []
    for run in runs:
        lv = at(run, 1)
        if run["workers"] > 1 and lv and lv["p50_ms"] and lv["p50_ms"] >= 38.0:
            out.append(
                f"{run['config']}: p50 {lv['p50_ms']:.0f} ms at c=1 looks like Nagle + delayed "
                "ACK (uvicorn --workers N leaves TCP_NODELAY off: Kludex/uvicorn#3149)"
            )
    return out


def markdown(report: dict[str, Any]) -> str:
    lines = [
        "| config | concurrency | requests | rps | p50 ms | p99 ms | errors |",
        "|---|--:|--:|--:|--:|--:|--:|",
    ]
    for run in report["runs"]:
        for lv in run["levels"]:
            lines.append(
                f"| {run['config']} | {lv['concurrency']} | {lv['requests']:,} | {lv['rps']:,.0f} "
                f"| {lv['p50_ms']:.1f} | {lv['p99_ms']:.1f} | {lv['errors']} |"
            )
    lines.append("")
    goal = f"≥{TARGET_RPS:.0f} rps and p99 < {TARGET_P99_MS:.0f} ms at c={TARGET_CONCURRENCY}"
    for config, t in report["target"].items():
        verdict = "met" if t["met"] else "MISSED"
        lines.append(
            f"- target ({goal}), {config}: {verdict} "
            f"({t['rps']:,.0f} rps, p99 {t['p99_ms']:.1f} ms)"
        )
    for workers, ratio in report["audit_cost"].items():
        lines.append(f"- audit trail cost, {workers}: rps on/off at c=8 = {ratio:.2f}")
    lines.extend(f"- note: {note}" for note in report["notes"])
    return "\n".join(lines)


# --------------------------------------------------------------------------- main


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--workspace", type=Path, help="build here, or reuse if it exists")
    parser.add_argument("--workers", type=int, nargs="+", default=[1], help="e.g. 1 2")
    parser.add_argument("--concurrency", type=int, nargs="+", default=list(LEVELS))
    parser.add_argument("--requests", type=int, default=3000, help="per level, at most")
    parser.add_argument("--seconds", type=float, default=30.0, help="per level, at most")
    parser.add_argument("--warmup", type=int, default=300, help="requests before each config")
    parser.add_argument("--bodies", type=int, default=5000, help="distinct queries")
    parser.add_argument("--seed", type=int, default=SEED)
    parser.add_argument("--ready-timeout", type=float, default=180.0)
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args(argv)
    # Ctrl-C (even when started in the background, where SIGINT is ignored by default) and
    # SIGTERM end the run through the finally blocks that stop the server
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))

    notes: list[str] = []
    bodies, kinds = make_bodies(args.bodies, args.seed)
    log(f"queries: {len(bodies)} distinct, {kinds}")
    with tempfile.TemporaryDirectory(prefix="counterflow-service-") as tmp:
        home = (args.workspace or Path(tmp) / "ws").resolve()
        lists = build_workspace(home)
        auth = "api-key"  # a screen key, checked on every request as in production
        headers = {"Authorization": f"ApiKey {create_key(home)}"}
        configs = [Config(w, audit) for w in args.workers for audit in (True, False)]
        started = time.perf_counter()
        runs = [run_config(c, home, bodies, headers, auth, args) for c in configs]
        seconds = time.perf_counter() - started
    notes.extend(nagle_suspects(runs))
    report: dict[str, Any] = {
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
        "command": " ".join([Path(sys.executable).name, *sys.argv]),
        "machine": {
            "platform": platform.platform(),
            "python": platform.python_version(),
            "cpus": os.cpu_count(),
        },
        "auth": auth,
        "workspace": lists,
        "queries": {"distinct": len(bodies), "kinds": kinds, "seed": args.seed},
        "bounds": {"requests": args.requests, "seconds": args.seconds, "warmup": args.warmup},
        "seconds": seconds,
        "runs": runs,
        "audit_cost": audit_ratios(runs),
        "target": target(runs),
        "notes": notes,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2) + "\n")
    print(markdown(report))
    log(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        log("interrupted; the server was stopped")
        sys.exit(130)
