"""Latency of the case endpoints over HTTP (``counterflow serve``) with a full case store.

Why: analysts open the case list and a case many times a day, and the alert queue
(``GET /alerts?status=open``) joins every alert in the workspace with the case store's evidence
on each request. Issue 11 asks for p99 under 100 ms at concurrency 8 with 10,000 cases and
100,000 alerts. This times ``GET /cases``, ``GET /cases/{id}`` and ``GET /alerts?status=open``
against the real server, as deployed, with an analyst's user key.

The workspace (cached, keyed by every parameter that shapes it, under
``bench/results/cases-cache/``; ``--rebuild`` to start over) holds:

- a simulated world (``counterflow simulate``, seeded) and the alerts ``monitor`` raises on it;
- synthetic alerts up to ``--alerts``, because monitor raises only a handful on a simulated
  world (13 on 10,000 parties over a year): each names a party of the world and 1 to 5 of its
  real outgoing transactions, under a ``synthetic-*`` scenario that borrows the typology and
  severity of a real one, and is stored with ``counterflow.cases.alerts.replace_alerts`` in the
  schema ``monitor`` writes (``counterflow.monitoring.runner.ALERTS``);
- analysts and reviewers (``counterflow.cases.users.add_user``) and ``--cases`` cases opened
  one by one through the library (``counterflow.cases.lifecycle.open_case``, which freezes the
  alerts, their transactions and parties as evidence), each with 1 to 20 alerts, then worked
  so statuses vary: assigned, commented, proposed, approved, returned, closed, reported.
  ``open_case`` alone opens 1.5 cases/s here (two hours for 10,000), so the world's exposure
  paths are computed once (:func:`reuse_exposure`) and evidence is frozen 100 cases at a time
  (:class:`BatchFreezer`, checked against ``freeze``); ``open_case`` still opens every case;
- an analyst's user key (``counterflow keys create --user``).

Then the server (``bench/service/run.py``'s ``server``: a free loopback port, ``/readyz``) gets
a warm-up and, per endpoint, a closed-loop run at ``--concurrency`` (8) of at most
``--requests`` requests and ``--seconds`` seconds. ``GET /cases/{id}`` asks for seeded random
cases. The load generator is ``bench/service/loadgen.py``'s, driven with GET requests.
``--workers N`` passes ``--workers`` to ``serve``; ``--only`` picks endpoints. ``--postgres URL``
puts the case store in that (empty) PostgreSQL database, through ``COUNTERFLOW_CASES_URL``.

Run from the repository root::

    .venv/bin/python bench/cases/run.py                       # 10,000 cases, 100,000 alerts
    .venv/bin/python bench/cases/run.py --cases 50 --alerts 500 --parties 1000 --days 30 \\
        --requests 40 --out /tmp/cases.json                  # a smoke run

Prints a Markdown table to stdout (progress to stderr) and writes everything as JSON to
``bench/results/cases.json``; the server log goes to ``bench/results/cases/``.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import importlib.util
import inspect
import json
import math
import os
import platform
import random
import shutil
import signal
import sys
import time
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from types import ModuleType
from typing import Any, ClassVar

import pyarrow as pa

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
RESULTS = ROOT / "bench" / "results"
CACHE = RESULTS / "cases-cache"
LOGS = RESULTS / "cases"
OUT = RESULTS / "cases.json"
SEED = 20261207
TARGET_CONCURRENCY = 8
TARGET_P99_MS = 100.0
DATASET = "world"
ANALYSTS = ("Amira Haddad", "Samir Khoury", "Lina Aziz", "Yusuf Demir", "Hana Karimi")
REVIEWERS = ("Rania Saleh", "Omar Farouk")
#: the analyst whose key the load uses
CALLER = ANALYSTS[0]
#: bump when the way the workspace is built changes, so old caches are not reused
BUILD_VERSION = 1

#: seconds a request may take before it counts as an error
CLIENT_TIMEOUT = 60.0


def _load(name: str, path: Path) -> ModuleType:
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


# bench/service/run.py imports its load generator as the top-level module ``loadgen``
sys.path.insert(0, str(ROOT / "bench" / "service"))
service = _load("bench_service_run", ROOT / "bench" / "service" / "run.py")
loadgen = _load("loadgen", ROOT / "bench" / "service" / "loadgen.py")
log = service.log


# --------------------------------------------------------------------------- the workspace


def open_workspace(home: Path) -> Any:
    """The workspace with the settings ``counterflow`` would take from this environment, so
    the case store is the one the server uses (``COUNTERFLOW_CASES_URL`` with ``--postgres``)."""
    from counterflow.settings import Settings
    from counterflow.workspace import Workspace

    return Workspace(home, settings=Settings.from_env(home=home))


def store_revisions() -> list[str]:
    """The case store's migrations this counterflow has: a store built by another set may be
    refused (behind) or not readable (ahead), so the cache is keyed by them too."""
    import counterflow.cases.migrations as migrations

    versions = Path(migrations.__file__).parent / "versions"
    return sorted(p.name for p in versions.glob("[0-9]*.py"))


def cache_key(args: argparse.Namespace) -> str:
    shape = [BUILD_VERSION, args.parties, args.days, args.alerts, args.cases, args.seed]
    shape.append(store_revisions())
    if args.postgres:
        shape.append(args.postgres)
    return hashlib.sha256(json.dumps(shape).encode()).hexdigest()[:12]


def simulate(home: Path, args: argparse.Namespace) -> dict[str, Any]:
    world = home.parent / "world"
    t0 = time.perf_counter()
    for cmd in (
        ("simulate", "-o", str(world), "--parties", str(args.parties), "--days", str(args.days)),
        ("monitor", "--dataset", DATASET),
    ):
        extra = ("--seed", str(args.seed), "--dataset", DATASET) if cmd[0] == "simulate" else ()
        proc = service.cli(home, *cmd, *extra)
        if proc.returncode != 0:
            raise RuntimeError(f"{cmd[0]} failed:\n{proc.stdout}{proc.stderr}")
        log(f"  {proc.stdout.strip().splitlines()[-1]}")
    return {"seconds": time.perf_counter() - t0}


def synthetic_alerts(home: Path, wanted: int, seed: int) -> dict[str, Any]:
    """Add alerts until the workspace holds ``wanted``, each on real transactions of the world."""
    from counterflow.cases.alerts import alert_id, replace_alerts
    from counterflow.monitoring.pack import SCENARIOS
    from counterflow.monitoring.runner import ALERTS

    t0 = time.perf_counter()
    workspace = open_workspace(home)
    with workspace.connect() as conn:
        real = int(conn.execute("SELECT count(*) FROM alerts").fetchone()[0])
        rows = conn.execute(
            "SELECT payer_party, list(tx_id ORDER BY tx_id), list(timestamp ORDER BY tx_id) "
            "FROM transactions WHERE dataset = ? AND payer_party IS NOT NULL "
            "GROUP BY payer_party ORDER BY payer_party",
            [DATASET],
        ).fetchall()
        rng = random.Random(f"{seed}:alerts")
        scenarios = [s for s in SCENARIOS if s.subject_kind == "party"]
        by_scenario: dict[str, dict[str, list[Any]]] = {}
        seen: set[str] = set()
        by_transactions = len(inspect.signature(alert_id).parameters) == 4
        while len(seen) < wanted - real:
            party, tx_ids, stamps = rng.choice(rows)
            scenario = rng.choice(scenarios)
            picks = sorted(rng.sample(range(len(tx_ids)), min(len(tx_ids), rng.randint(1, 5))))
            txs = [tx_ids[i] for i in picks]
            times = [stamps[i] for i in picks]
            sid = f"synthetic-{scenario.id}"
            # the id hashes the dataset, scenario and subject (and, before alerts merged
            # across runs, the transactions)
            aid = alert_id(DATASET, sid, party, *([txs] if by_transactions else []))
            if aid in seen:
                continue
            seen.add(aid)
            out = by_scenario.setdefault(sid, {name: [] for name in ALERTS.names})
            explanation = {
                "scenario": f"{scenario.title} (synthetic, for the benchmark)",
                "facts": {"transactions_usd": round(rng.uniform(1e3, 5e6), 2)},
                "parameters": {},
                "transactions": len(txs),
            }
            for name, value in (
                ("alert_id", aid),
                ("scenario", sid),
                ("typology", scenario.typology),
                ("severity", scenario.severity),
                ("subject_kind", "party"),
                ("subject_id", party),
                ("score", round(rng.random(), 4)),
                ("tx_ids", txs),
                ("explanation", json.dumps(explanation)),
                ("first_ts", min(times)),
                ("last_ts", max(times)),
            ):
                out[name].append(value)
        conn.execute("BEGIN")
        for sid, columns in sorted(by_scenario.items()):
            replace_alerts(conn, DATASET, sid, pa.table(columns, schema=ALERTS))
        conn.execute("COMMIT")
        total = int(conn.execute("SELECT count(*) FROM alerts").fetchone()[0])
    return {"real": real, "synthetic": total - real, "seconds": time.perf_counter() - t0}


def open_cases(home: Path, count: int, seed: int, batch: int = 100) -> dict[str, Any]:
    """Users, then ``count`` cases through the library, each with 1-20 alerts, worked so their
    statuses vary. Evidence is frozen ``batch`` cases at a time (:class:`BatchFreezer`)."""
    from counterflow.cases import lifecycle as lc
    from counterflow.cases.db import CaseStore
    from counterflow.cases.users import add_user

    workspace = open_workspace(home)
    reuse_exposure()
    with workspace.connect(read_only=True) as conn:
        rows = conn.execute("SELECT alert_id FROM alerts ORDER BY alert_id").fetchall()
    alerts = [r[0] for r in rows]
    rng = random.Random(f"{seed}:cases")
    priorities = list(workspace.settings.case_sla_days)
    plans = [
        (rng.choice(ANALYSTS), rng.sample(alerts, rng.randint(1, 20)), rng.choice(priorities))
        for _ in range(count)
    ]
    freezer = BatchFreezer(workspace)
    statuses: dict[str, int] = {}
    t0 = time.perf_counter()
    opening = 0.0
    with CaseStore.open(workspace.settings, write=True) as store:
        for name in ANALYSTS:
            add_user(store, name, "analyst")
        for name in REVIEWERS:
            add_user(store, name, "reviewer")
        for n, (analyst, picked, priority) in enumerate(plans):
            if n % batch == 0:
                freezer.prepare([p[1] for p in plans[n : n + batch]], check=n == 0)
            t1 = time.perf_counter()
            case = lc.open_case(
                store,
                workspace,
                analyst,
                title=f"Case {n + 1}: {len(picked)} alerts",
                alerts=picked,
                priority=priority,
            )
            opening += time.perf_counter() - t1
            case = work(store, case, rng)
            statuses[case.status] = statuses.get(case.status, 0) + 1
            if (n + 1) % max(1, count // 20) == 0 or n + 1 == count:
                rate = (n + 1) / (time.perf_counter() - t0)
                log(f"  {n + 1:,} cases ({rate:.1f}/s; {(count - n - 1) / rate:.0f} s left)")
    freezer.restore()
    return {
        "seconds": time.perf_counter() - t0,
        "open_case_seconds": opening,
        "freeze_seconds": freezer.seconds,
        "checked_against_freeze": freezer.checked,
        "statuses": dict(sorted(statuses.items())),
    }


class BatchFreezer:
    """``open_case``'s evidence, frozen for many cases at once.

    ``counterflow.cases.evidence.freeze`` reads the alerts, transactions and parties of one
    case with ``list_contains`` scans of the whole tables (about 0.2 s a case on 470,000
    transactions). This calls ``freeze`` once for the alerts of ``batch`` cases and hands each
    ``open_case`` (through ``counterflow.cases.lifecycle.freeze``) the items of its own alerts,
    chosen as ``freeze`` chooses them: the alerts, the transactions they name, the parties of
    those transactions and the alerts' subjects, and the subjects' exposure paths, in
    ``freeze``'s order. The first batch's first 20 cases are checked against ``freeze`` itself."""

    KINDS = ("alert", "transaction", "party", "list_entry", "exposure", "hit")
    ORDER: ClassVar[dict[str, int]] = {kind: n for n, kind in enumerate(KINDS)}

    def __init__(self, workspace: Any) -> None:
        from counterflow.cases import evidence, lifecycle

        self.workspace = workspace
        self.original = evidence.freeze
        self.lifecycle = lifecycle
        self.ready: dict[tuple[str, ...], list[Any]] = {}
        self.seconds = 0.0
        self.checked = 0
        lifecycle.freeze = self.freeze  # type: ignore[attr-defined]

    def restore(self) -> None:
        self.lifecycle.freeze = self.original  # type: ignore[attr-defined]

    def freeze(self, workspace: Any, *, alerts: Sequence[str] = (), **rest: Any) -> list[Any]:
        if any(rest.values()) or workspace is not self.workspace:
            return list(self.original(workspace, alerts=alerts, **rest))
        return self.ready.pop(tuple(alerts))

    def prepare(self, cases: Sequence[Sequence[str]], *, check: bool) -> None:
        t0 = time.perf_counter()
        wanted = sorted({a for alerts in cases for a in alerts})
        items = {(i.kind, i.key): i for i in self.original(self.workspace, alerts=wanted)}
        exposure: dict[str, list[Any]] = {}
        for (kind, key), item in items.items():
            if kind == "exposure":
                exposure.setdefault(key.split("->", 1)[0], []).append(item)
        for alerts in cases:
            keys: set[tuple[str, str]] = set()
            chosen: list[Any] = []
            for alert in alerts:
                keys.add(("alert", alert))
                body = json.loads(items["alert", alert].body)
                ds = body["dataset"]
                if body["explanation"].get("facts", {}).get("list_entry"):
                    raise RuntimeError(f"{alert} names a list entry: BatchFreezer cannot split")
                if body["subject_kind"] == "party":
                    keys.add(("party", f"{ds}/{body['subject_id']}"))
                    chosen.extend(exposure.get(f"{ds}/{body['subject_id']}", []))
                for tx in body["tx_ids"]:
                    found = items.get(("transaction", f"{ds}/{tx}"))
                    if found is None:
                        continue
                    keys.add(("transaction", found.key))
                    row = json.loads(found.body)
                    for side in ("payer_party", "beneficiary_party"):
                        if row.get(side):
                            keys.add(("party", f"{ds}/{row[side]}"))
            chosen.extend(items[k] for k in keys if k in items)
            unique = {(i.kind, i.key): i for i in chosen}
            self.ready[tuple(alerts)] = sorted(
                unique.values(), key=lambda i: (self.ORDER[i.kind], i.key)
            )
        self.seconds += time.perf_counter() - t0
        if check:
            for alerts in cases[:20]:
                if self.original(self.workspace, alerts=alerts) != self.ready[tuple(alerts)]:
                    raise RuntimeError(f"BatchFreezer differs from freeze for {alerts}")
                self.checked += 1


def reuse_exposure() -> None:
    """Compute the world's exposure paths once, not once per case.

    ``open_case`` freezes the exposure paths of its subject parties to listed parties, and
    ``counterflow.cases.evidence._exposure`` computes them over the whole dataset on every call
    (0.5-1.5 s a case here, 85 % of opening one: 10,000 cases would take hours). The world does
    not change while the cases are opened, so this computes the paths of every party once and
    hands each case the rows of its parties: the same rows, in the same order."""
    from counterflow.cases import evidence

    original = evidence._exposure
    if getattr(original, "bench_reused", False):
        return
    done: dict[tuple[str, str], list[tuple[str, dict[str, Any]]]] = {}

    def reused(workspace: Any, dataset: str, parties: set[str]) -> Any:
        key = (str(workspace.home), dataset)
        if key not in done:
            with workspace.connect(read_only=True) as conn:
                rows = conn.execute(
                    "SELECT party_id FROM parties WHERE dataset = ?", [dataset]
                ).fetchall()
            done[key] = original(workspace, dataset, {str(r[0]) for r in rows})
        return [(k, body) for k, body in done[key] if str(body["path"]["party"]) in parties]

    reused.bench_reused = True  # type: ignore[attr-defined]
    evidence._exposure = reused


def work(store: Any, case: Any, rng: random.Random) -> Any:
    """Take a fresh case some way down its lifecycle, as analysts and reviewers would."""
    from counterflow.cases import lifecycle as lc

    roll = rng.random()
    cid, analyst = case.id, rng.choice(ANALYSTS)
    reviewer = rng.choice(REVIEWERS)
    if roll < 0.2:  # untouched, or just commented
        if roll < 0.05:
            case = lc.comment(store, cid, analyst, "Looked at the counterparties; more to come.")
        return case
    case = lc.assign(store, cid, analyst, analyst)
    if rng.random() < 0.5:
        case = lc.comment(store, cid, analyst, "Payments fan out to new accounts abroad.")
    if roll < 0.55:  # investigating
        return case
    decision = "report" if rng.random() < 0.5 else "no-report"
    case = lc.propose(store, cid, analyst, decision, "Pattern matches the typology; see alerts.")
    if roll < 0.7:  # proposed
        return case
    if roll < 0.75:  # returned to the analyst
        return lc.return_case(store, cid, reviewer, "Check the beneficiaries' owners first.")
    case = lc.approve(store, cid, reviewer, "Agreed.")
    if roll < 0.85:  # approved
        return case
    if decision == "report":
        return lc.mark_reported(store, cid, analyst, reference=f"FIU-{cid}")
    return lc.close(store, cid, analyst)


def analyst_key(home: Path) -> str:
    proc = service.cli(home, "keys", "create", "--user", CALLER)
    lines = proc.stdout.strip().splitlines()
    if proc.returncode != 0 or not lines:
        raise RuntimeError(f"keys create failed:\n{proc.stdout}{proc.stderr}")
    return str(lines[-1]).strip()


def build(args: argparse.Namespace) -> tuple[Path, dict[str, Any]]:
    base = (args.cache / cache_key(args)).resolve()
    home = base / "ws"
    manifest = base / "built.json"
    if manifest.exists() and not args.rebuild:
        if store_counts(home)["cases"] == args.cases:
            log(f"workspace: reusing {home}")
            return home, json.loads(manifest.read_text())
        log(f"workspace: {home} was built but its case store does not hold {args.cases} cases")
    if base.exists():
        shutil.rmtree(base)
    if args.postgres and store_counts(home)["users"]:
        raise SystemExit(f"--postgres needs an empty database; {args.postgres} has users")
    base.mkdir(parents=True)
    log(f"workspace: building {home}")
    built: dict[str, Any] = {
        "parameters": {
            "parties": args.parties,
            "days": args.days,
            "alerts": args.alerts,
            "cases": args.cases,
            "seed": args.seed,
        }
    }
    built["simulate"] = simulate(home, args)
    built["alerts"] = synthetic_alerts(home, args.alerts, args.seed)
    log(f"  alerts: {built['alerts']}")
    built["cases"] = open_cases(home, args.cases, args.seed)
    log(f"  cases: {built['cases']}")
    built["workspace_bytes"] = service.workspace_bytes(home)
    manifest.write_text(json.dumps(built, indent=2) + "\n")
    return home, built


def store_counts(home: Path) -> dict[str, int]:
    """Rows in the case store's tables (none when it was never written)."""
    import sqlalchemy as sa

    from counterflow.cases.db import CaseEventRow, CaseEvidenceRow, CaseRow, CaseStore
    from counterflow.cases.users import UserRow

    tables = {
        "cases": CaseRow,
        "case_evidence": CaseEvidenceRow,
        "case_events": CaseEventRow,
        "users": UserRow,
    }
    with CaseStore.open(open_workspace(home).settings, write=False) as store:
        if store.empty:
            return dict.fromkeys(tables, 0)
        with store.session() as session:
            return {
                name: int(session.scalar(sa.select(sa.func.count()).select_from(row)) or 0)
                for name, row in tables.items()
            }


# --------------------------------------------------------------------------- load


def endpoints(cases: int, seed: int, count: int) -> dict[str, list[str]]:
    rng = random.Random(f"{seed}:requests")
    return {
        # a page of 100 (the default), a deep page, and the largest page the API gives
        "GET /cases": ["/cases"],
        "GET /cases?offset=9000": ["/cases?offset=9000"],
        "GET /cases?limit=1000": ["/cases?limit=1000"],
        "GET /cases?status=investigating": ["/cases?status=investigating"],
        "GET /cases/{id}": [f"/cases/C-{rng.randint(1, cases):06d}" for _ in range(count)],
        "GET /alerts?status=open": ["/alerts?status=open"],
    }


def probe(base: str, headers: dict[str, str], cases: int) -> dict[str, Any]:
    """One answer of each endpoint, checked, with its size."""
    out = {}
    for path in ("/cases", f"/cases/C-{cases:06d}", "/alerts?status=open"):
        t0 = time.perf_counter()
        status, body = service.request(base + path, headers=headers, timeout=120)
        seconds = time.perf_counter() - t0
        if status != 200:
            raise RuntimeError(f"GET {path} answered {status}: {str(body)[:500]}")
        size = len(json.dumps(body))
        out[path] = {"seconds": round(seconds, 4), "json_bytes": size}
        if path == "/cases" and len(body["cases"]) != min(cases, 100):
            raise RuntimeError(f"GET /cases listed {len(body['cases'])} cases, not a page of 100")
        if path.startswith("/cases/"):
            out[path]["evidence"] = len(body["evidence"])
            out[path]["events"] = len(body["events"])
        if path.startswith("/alerts"):
            out[path]["alerts"] = len(body["alerts"])
            if any(a["status"] != "open" for a in body["alerts"]):
                raise RuntimeError("GET /alerts?status=open answered an alert in a case")
    return out


def run_load(home: Path, args: argparse.Namespace) -> tuple[list[dict[str, Any]], Any]:
    headers = {"Authorization": f"ApiKey {analyst_key(home)}"}
    runs = []
    serve = ["--workers", str(args.workers)]
    log_name = f"server-w{args.workers}.log"
    with service.server(home, serve, args.logs / log_name, args.ready_timeout) as base:
        checked = probe(base, headers, args.cases)
        log(f"  probe: {checked}")
        for name, paths in endpoints(args.cases, args.seed, args.requests).items():
            if args.only and name not in args.only:
                continue
            warm = asyncio.run(
                loadgen.run_get_load(
                    base,
                    paths,
                    concurrency=args.concurrency,
                    max_requests=args.warmup,
                    max_seconds=args.seconds,
                    headers=headers,
                    timeout=CLIENT_TIMEOUT,
                )
            )
            result = asyncio.run(
                loadgen.run_get_load(
                    base,
                    paths[::-1],
                    concurrency=args.concurrency,
                    max_requests=args.requests,
                    max_seconds=args.seconds,
                    headers=headers,
                    timeout=CLIENT_TIMEOUT,
                )
            )
            summary = {"endpoint": name, **result.summary()}
            summary["p95_ms"] = percentile(result.latencies, 0.95)
            summary["warmup_requests"] = warm.requests
            runs.append(summary)
            log(
                f"  {name}: {summary['requests']} requests, {summary['rps']:.1f} rps, "
                f"p50 {summary['p50_ms']:.1f} ms, p95 {summary['p95_ms']:.1f} ms, "
                f"p99 {summary['p99_ms']:.1f} ms, {summary['errors']} errors"
            )
    return runs, checked


def percentile(latencies: Sequence[float], p: float) -> float | None:
    """Nearest rank, in ms, as ``loadgen.LoadResult.summary`` computes p50/p90/p99."""
    ordered = sorted(latencies)
    if not ordered:
        return None
    return 1000 * ordered[max(0, math.ceil(p * len(ordered)) - 1)]


# --------------------------------------------------------------------------- report


def code() -> dict[str, Any]:
    """Which counterflow ran: its source folder, and the repository's commit and whether its
    ``src`` had changes (read-only git; a run may use a snapshot through ``PYTHONPATH``)."""
    import subprocess

    import counterflow

    source = Path(counterflow.__file__).resolve().parent
    out: dict[str, Any] = {"source": str(source)}
    if source.is_relative_to(ROOT):
        git = ["git", "-C", str(ROOT)]
        head = subprocess.run([*git, "rev-parse", "HEAD"], capture_output=True, text=True)
        dirty = subprocess.run(
            [*git, "status", "--porcelain", "src"], capture_output=True, text=True
        )
        out["commit"] = head.stdout.strip() or None
        out["src_changed"] = bool(dirty.stdout.strip())
    return out


def markdown(report: dict[str, Any]) -> str:
    lines = [
        "| endpoint | requests | req/s | p50 ms | p95 ms | p99 ms | errors | p99 < 100 ms |",
        "|---|--:|--:|--:|--:|--:|--:|---|",
    ]
    for run in report["runs"]:
        met = "yes" if run["p99_ms"] < TARGET_P99_MS and not run["errors"] else "**no**"
        lines.append(
            f"| `{run['endpoint']}` | {run['requests']:,} | {run['rps']:,.1f} "
            f"| {run['p50_ms']:.1f} | {run['p95_ms']:.1f} | {run['p99_ms']:.1f} "
            f"| {run['errors']} | {met} |"
        )
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--cases", type=int, default=10_000)
    parser.add_argument("--alerts", type=int, default=100_000, help="in the workspace, in all")
    parser.add_argument("--parties", type=int, default=10_000, help="of the simulated world")
    parser.add_argument("--days", type=int, default=365, help="of the simulated world")
    parser.add_argument("--seed", type=int, default=SEED)
    parser.add_argument("--concurrency", type=int, default=TARGET_CONCURRENCY)
    parser.add_argument("--workers", type=int, default=1, help="serve --workers")
    parser.add_argument(
        "--only", nargs="+", metavar="ENDPOINT", help='e.g. "GET /cases/{id}" (default: all)'
    )
    parser.add_argument("--requests", type=int, default=1000, help="per endpoint, at most")
    parser.add_argument("--seconds", type=float, default=60.0, help="per endpoint, at most")
    parser.add_argument("--warmup", type=int, default=16, help="requests per endpoint first")
    parser.add_argument("--cache", type=Path, default=CACHE, help="built workspaces, by key")
    parser.add_argument("--rebuild", action="store_true", help="ignore a cached workspace")
    parser.add_argument("--build-only", action="store_true", help="build (or find) and stop")
    parser.add_argument(
        "--postgres",
        metavar="URL",
        help="the case store in this empty PostgreSQL database (COUNTERFLOW_CASES_URL)",
    )
    parser.add_argument("--ready-timeout", type=float, default=180.0)
    parser.add_argument("--out", type=Path, default=OUT)
    parser.add_argument("--logs", type=Path, default=LOGS, help="the server's log goes here")
    args = parser.parse_args(argv)
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))

    if args.postgres:  # for this process and every counterflow it starts
        os.environ["COUNTERFLOW_CASES_URL"] = args.postgres
    home, built = build(args)
    counts = store_counts(home)
    log(f"case store: {counts}")
    if args.build_only:
        return 0
    started = time.perf_counter()
    runs, checked = run_load(home, args)
    report: dict[str, Any] = {
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
        "command": " ".join([Path(sys.executable).name, *sys.argv]),
        "machine": {
            "platform": platform.platform(),
            "python": platform.python_version(),
            "cpus": os.cpu_count(),
        },
        "code": code(),
        "auth": f"analyst user key ({CALLER})",
        "store": "postgresql" if args.postgres else "sqlite (cases.sqlite in the workspace)",
        "workspace": str(home),
        "built": built,
        "store_counts": counts,
        "probe": checked,
        "workers": args.workers,
        "bounds": {
            "concurrency": args.concurrency,
            "requests": args.requests,
            "seconds": args.seconds,
            "warmup": args.warmup,
        },
        "seconds": time.perf_counter() - started,
        "runs": runs,
        "target": {r["endpoint"]: r["p99_ms"] < TARGET_P99_MS and not r["errors"] for r in runs},
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
