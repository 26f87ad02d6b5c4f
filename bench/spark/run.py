"""Spark against DuckDB (issue 15): the whole pack at 1M and 10M transactions, and batch screening.

Two parts, each optional (``--parts``):

- ``monitoring``: for each ``--scales`` (``1M`` = 20,000 parties over 365 days, ``10M`` =
  200,000 parties: bench/monitoring's worlds, built by its ``_world``), the simulated world is
  built once and cached under ``bench/results/spark-cache/`` (gitignored, like every folder of
  ``bench/results``) with its Parquet export (``counterflow.transactions.store.export_dataset``,
  what ``counterflow transactions export`` writes). The whole pack
  (``counterflow.monitoring.SCENARIOS`` through ``run_scenarios``) then runs on each
  ``--engines``: DuckDB on the workspace, and Spark ``--master`` (``local[2]``) over the
  export, ``spark_opener(export, spark_session(master, conf))``.
- ``screening``: ``--names`` names (the UN list's Latin names, hard variants of them, people
  of ``negatives_us.csv`` (5%) and synthetic names recombined from list and population
  tokens, all built by bench/screening's ``datasets``, shuffled, cached) screened against
  the UN list: in-process (``counterflow.screening.batch.screen_file``, one core) and on
  Spark (``counterflow.screening.spark_batch.screen_file_spark``).

Each measurement runs in its own process, so peak memory is its own and every Spark run pays
its own JVM start (reported apart). Measured: wall time of the pack and of each scenario
(what is left, the dataset profile, opening and storing, is shown as "profile, stores"), the
peak RSS of the Python driver, of the JVM (in local mode the driver and the executors are one
JVM) and of the Python workers Spark forks, and what came back to the driver: every result of
``Engine.to_arrow`` (which ``DatasetTables.execute`` calls) and, on Spark, every
``DataFrame.toPandas``/``toArrow``/``collect``/``take``, counted in rows, with the largest
and the line of counterflow that asked for them.

Run from the repository root (each run merges into ``bench/results/spark.json``)::

    export SPARK_LOCAL_IP=127.0.0.1
    .venv/bin/python bench/spark/run.py --parts monitoring --scales 1M 10M
    .venv/bin/python bench/spark/run.py --parts screening --names 100000
    .venv/bin/python bench/spark/run.py --report          # the tables from the JSON

``--deadline HH:MM`` (UTC) stops a measurement still running then and keeps the per-scenario
times it had logged (``bench/results/spark-logs/``); a run of the same scale and engine again
keeps the earlier one under ``earlier_runs``. ``COUNTERFLOW_BENCH_RESULTS=DIR`` puts the
caches, logs and JSON elsewhere (a trial run).
"""

from __future__ import annotations

import argparse
import importlib.util
import itertools
import json
import os
import platform
import random
import shutil
import subprocess
import sys
import threading
import time
import traceback
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import ModuleType
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
#: where the caches, logs and JSON go (another folder for a trial run)
RESULTS = Path(os.environ.get("COUNTERFLOW_BENCH_RESULTS", ROOT / "bench" / "results"))
CACHE = RESULTS / "spark-cache"
UN = ROOT.parent / "shared" / "data" / "lists" / "un_sc" / "un_sc_2026-02-27.xml"
LOGS = RESULTS / "spark-logs"
OUT = RESULTS / "spark.json"
DATASET = "world"
#: transactions per party over 365 days in the simulator's default world (about 50)
PER_PARTY = 50
#: JVM heap for the local session: the whole of Spark lives in it in local mode; 8 GiB of
#: the 24 GiB leaves room for the Python driver, the Python workers and other processes
DRIVER_MEMORY = "8g"


def log(message: str) -> None:
    print(f"[{datetime.now(UTC):%H:%M:%S}] {message}", file=sys.stderr, flush=True)


def _load(name: str, path: Path) -> ModuleType:
    """A bench module by file (bench folders are not packages)."""
    sys.path.insert(0, str(path.parent))
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def parties_for(scale: str) -> int:
    """``1M``/``10M``/``250K`` (transactions) as the simulator's party count."""
    units = {"K": 1_000, "M": 1_000_000}
    text = scale.strip().upper()
    count = int(float(text[:-1]) * units[text[-1]]) if text[-1] in units else int(text)
    return max(count // PER_PARTY, 100)


# --------------------------------------------------------------------------- the worlds


def world(scale: str, seed: int) -> dict[str, Any]:
    """The cached world of ``scale``: its workspace (UN list, dataset ``world``) and its
    Parquet export, built once (a rerun reads the cache)."""
    parties = parties_for(scale)
    folder = CACHE / f"p{parties}-s{seed}"
    ready = folder / "ready.json"
    if ready.exists():
        return dict(json.loads(ready.read_text()))
    if folder.exists():
        shutil.rmtree(folder)  # a build that did not finish
    folder.mkdir(parents=True)
    from counterflow.transactions import store

    log(f"{scale}: simulating {parties:,} parties over 365 days")
    started = time.perf_counter()
    ws = _load("monitoring_bench", ROOT / "bench" / "monitoring" / "run.py")._world(
        folder, parties, 365, seed, 1.0
    )
    simulated = time.perf_counter() - started
    with ws.connect(read_only=True) as conn:
        transactions = store.get_dataset(conn, DATASET).counts["transactions"]
    started = time.perf_counter()
    store.export_dataset(ws, DATASET, folder / "export")
    exported = time.perf_counter() - started
    shutil.rmtree(folder / "world")  # the simulator's own files: the workspace has them
    info = {
        "scale": scale,
        "parties": parties,
        "seed": seed,
        "transactions": transactions,
        "home": str(ws.home),
        "export": str(folder / "export"),
        "export_mib": sum(p.stat().st_size for p in (folder / "export").rglob("*") if p.is_file())
        / 2**20,
        "simulate_and_load_seconds": simulated,
        "export_seconds": exported,
    }
    ready.write_text(json.dumps(info, indent=2) + "\n")
    log(f"{scale}: {transactions:,} transactions, exported in {exported:.1f} s")
    return info


# --------------------------------------------------------------------------- what is measured


class Collected:
    """Rows that came back to the driver: per kind, calls, total rows and the largest."""

    def __init__(self) -> None:
        self.kinds: dict[str, dict[str, Any]] = {}
        self.scenario = "(opening, profile)"
        self._depth: dict[str, int] = {}

    def add(self, kind: str, rows: int, nbytes: int = 0) -> None:
        entry = self.kinds.setdefault(
            kind, {"calls": 0, "rows": 0, "bytes": 0, "max_rows": 0, "max_in": None}
        )
        entry["calls"] += 1
        entry["rows"] += rows
        entry["bytes"] += nbytes
        if rows > entry["max_rows"]:
            entry["max_rows"], entry["max_in"] = rows, self.scenario
        top = entry.setdefault("largest", [])
        top.append([rows, self.scenario, _caller()])
        top.sort(key=lambda item: -item[0])
        del top[5:]

    def wrap(self, cls: type, method: str, kind: str, count: Callable[[Any], int]) -> None:
        """Count what ``cls.method`` returns (the outermost call of each kind's group only:
        toPandas calls others)."""
        original = getattr(cls, method)
        collected = self
        group = kind.split(".")[0]

        def wrapped(self_: Any, *args: Any, **kwargs: Any) -> Any:
            depth = collected._depth
            depth[group] = depth.get(group, 0) + 1
            try:
                result = original(self_, *args, **kwargs)
            finally:
                depth[group] -= 1
            if depth[group] == 0:
                collected.add(kind, count(result), int(getattr(result, "nbytes", 0) or 0))
            return result

        setattr(cls, method, wrapped)


def _caller() -> str:
    """The innermost counterflow line outside the engines that asked (file:line function)."""
    for frame in reversed(traceback.extract_stack()):
        name = frame.filename.replace("\\", "/")
        if "/counterflow/" in name and "/engines/" not in name:
            return f"{name.rsplit('/counterflow/', 1)[1]}:{frame.lineno} {frame.name}"
    return "?"


def _rss_kib(pid: int, field: str = "VmRSS") -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1])
    except (OSError, ValueError):
        pass
    return 0


def _children() -> dict[int, list[int]]:
    tree: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue
        tree.setdefault(ppid, []).append(int(entry.name))
    return tree


def _descendants(pid: int) -> list[int]:
    tree, out, todo = _children(), [], [pid]
    while todo:
        for child in tree.get(todo.pop(), []):
            out.append(child)
            todo.append(child)
    return out


def _comm(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/comm").read_text().strip()
    except OSError:
        return ""


class Memory(threading.Thread):
    """Samples (every second) the RSS of the JVMs this process started and of the processes
    they fork (Spark's Python workers); the Python driver's own peak is its VmHWM. (The first
    java process is Spark's short-lived launcher: each is followed by pid.)"""

    def __init__(self) -> None:
        super().__init__(daemon=True)
        self.jvm_peak_kib: dict[int, int] = {}
        self.workers_peak_kib = 0
        self.jvm_tree_peak_kib = 0
        self._stop_at = threading.Event()

    def run(self) -> None:
        while not self._stop_at.wait(1.0):
            self.sample()

    def sample(self) -> None:
        java = [p for p in _descendants(os.getpid()) if _comm(p) == "java"]
        for pid in java:
            self.jvm_peak_kib[pid] = max(self.jvm_peak_kib.get(pid, 0), _rss_kib(pid, "VmHWM"))
            workers = sum(_rss_kib(p) for p in _descendants(pid))
            self.workers_peak_kib = max(self.workers_peak_kib, workers)
            self.jvm_tree_peak_kib = max(self.jvm_tree_peak_kib, workers + _rss_kib(pid))

    def stop(self) -> dict[str, float | None]:
        self.sample()
        self._stop_at.set()
        jvm = max(self.jvm_peak_kib.values(), default=0)
        return {
            "python_driver_peak_rss_mib": _rss_kib(os.getpid(), "VmHWM") / 1024,
            "jvm_peak_rss_mib": jvm / 1024 if jvm else None,
            "python_workers_peak_rss_mib": self.workers_peak_kib / 1024 if jvm else None,
            "jvm_and_workers_peak_rss_mib": self.jvm_tree_peak_kib / 1024 if jvm else None,
        }


def _conf(args: argparse.Namespace) -> dict[str, str]:
    conf = {"spark.driver.memory": args.driver_memory, "spark.ui.showConsoleProgress": "false"}
    for pair in args.spark_conf:
        key, _, value = pair.partition("=")
        conf[key] = value
    return conf


@contextmanager
def _session(args: argparse.Namespace, out: dict[str, Any]) -> Iterator[Any]:
    from counterflow.engines.spark import spark_session

    started = time.perf_counter()
    session = spark_session(args.master, _conf(args))
    out["session_start_seconds"] = time.perf_counter() - started
    out["spark_conf"] = _conf(args)
    out["jvm_max_heap_mib"] = session._jvm.java.lang.Runtime.getRuntime().maxMemory() / 2**20
    out["spark_version"] = session.version
    try:
        yield session
    finally:
        session.stop()


def _instrument(engine: str, collected: Collected) -> None:
    if engine == "duckdb":
        from counterflow.engines.duckdb import DuckDBEngine

        collected.wrap(DuckDBEngine, "to_arrow", "Engine.to_arrow", lambda t: t.num_rows)
        return
    from pyspark.sql.classic.dataframe import DataFrame

    from counterflow.engines.spark import SparkEngine

    collected.wrap(SparkEngine, "to_arrow", "Engine.to_arrow", lambda t: t.num_rows)
    for method in ("toPandas", "toArrow", "collect", "take"):
        collected.wrap(DataFrame, method, f"DataFrame.{method}", len)


# --------------------------------------------------------------------------- monitoring


def measure_monitoring(args: argparse.Namespace) -> dict[str, Any]:
    """One engine over one world, in this (fresh) process."""
    from counterflow.engines import open_dataset
    from counterflow.monitoring import SCENARIOS, run_scenarios
    from counterflow.workspace import Workspace

    info = json.loads(Path(args.world).read_text())
    ws = Workspace(Path(info["home"]))
    out: dict[str, Any] = {"engine": args.engine}
    collected = Collected()
    _instrument(args.engine, collected)
    memory = Memory()
    memory.start()
    progress_log = open(args.progress_log, "a", encoding="utf-8")  # noqa: SIM115
    started = time.perf_counter()

    def progress(scenario: str) -> None:
        collected.scenario = scenario
        at = time.perf_counter() - started
        progress_log.write(json.dumps({"scenario": scenario, "at": at}) + "\n")
        progress_log.flush()
        log(f"{args.engine} {info['scale']}: {scenario} (at {at:.0f} s)")

    with _session(args, out) if args.engine == "spark" else _nothing() as session:
        if session is not None:
            from counterflow.engines.spark import spark_opener

            opener = spark_opener(info["export"], session)
        else:
            opener = open_dataset
        started = time.perf_counter()
        report = run_scenarios(ws, DATASET, SCENARIOS, progress=progress, opener=opener)
        out["pack_seconds"] = time.perf_counter() - started
        out["memory"] = memory.stop()
    progress_log.close()
    out["per_scenario_seconds"] = {r.scenario: r.seconds for r in report.runs}
    out["per_scenario_alerts"] = {r.scenario: r.alerts for r in report.runs}
    out["skipped"] = {r.scenario: r.skipped for r in report.runs if r.skipped}
    out["alerts"] = report.alerts
    out["profile_and_stores_seconds"] = out["pack_seconds"] - sum(r.seconds for r in report.runs)
    out["collected"] = collected.kinds
    if args.engine == "duckdb":
        out["scan_seconds"] = _scan(info["home"])
    return out


@contextmanager
def _nothing() -> Iterator[None]:
    yield None


def _scan(home: str) -> float:
    """One plain DuckDB scan-and-aggregate of the transactions (bench/monitoring's yardstick)."""
    import duckdb

    conn = duckdb.connect(str(Path(home) / "counterflow.duckdb"), read_only=True)
    started = time.perf_counter()
    conn.execute(
        "SELECT payer_party, sum(base_amount), count(*), count(DISTINCT beneficiary_party) "
        "FROM transactions WHERE dataset = 'world' GROUP BY payer_party"
    ).fetchall()
    seconds = time.perf_counter() - started
    conn.close()
    return seconds


def partial(progress_log: Path) -> dict[str, Any]:
    """What a measurement stopped at the deadline had done: the scenarios that finished (the
    time from each start to the next) and the one it was in."""
    lines = [json.loads(line) for line in progress_log.read_text().splitlines() if line]
    done = {a["scenario"]: b["at"] - a["at"] for a, b in itertools.pairwise(lines)}
    return {
        "unfinished": True,
        "per_scenario_seconds_finished": done,
        "running_at_deadline": lines[-1]["scenario"] if lines else None,
        "it_started_at": lines[-1]["at"] if lines else None,
    }


# --------------------------------------------------------------------------- screening


def names_file(count: int, seed: int) -> tuple[Path, dict[str, int]]:
    """``count`` names to screen (cached), from bench/screening's datasets: every Latin name
    of the UN list (its own spellings), hard variants of them, the 50,000 people of
    negatives_us.csv (up to 5% of the names), and synthetic names for the rest."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    path = CACHE / f"names-{count}-s{seed}.parquet"
    meta = path.with_suffix(".json")
    if path.exists() and meta.exists():
        return path, dict(json.loads(meta.read_text()))
    ds = _load("datasets", ROOT / "bench" / "screening" / "datasets.py")
    un = ds.load_entities(ds.UN_2026)
    negatives = ds.read_csv(ds.NEGATIVES)
    rows: list[dict[str, str]] = []
    parts: dict[str, int] = {}

    def add(part: str, name: str, schema: str) -> None:
        if len(rows) < count:
            rows.append({"id": f"{part}-{len(rows) + 1:07d}", "name": name, "schema": schema})
            parts[part] = parts.get(part, 0) + 1

    for entity in un:
        for name in ds.latin_names(entity):
            add("listed", name, entity.schema.name)
    for query in ds.hard_set(un, 200, seed):
        add("variant", query.name, query.schema)
    for row in negatives[: count // 20]:  # 5%: all 50,000 at a million names
        add("negative", row["full_name"], "Person")
    pools = ds.NamePools.build(
        [*un, *ds.load_entities(ds.OFAC_SDN), *ds.load_entities(ds.UK_OFSI)], negatives
    )
    rest = max(count - len(rows), 0)
    for entity in ds.synthetic_entities(rest, pools, seed):
        add("synthetic", entity.first("name"), entity.schema.name)
    random.Random(f"{seed}:names").shuffle(rows)  # the listed ones spread through the file
    CACHE.mkdir(parents=True, exist_ok=True)
    pq.write_table(pa.Table.from_pylist(rows), path)
    meta.write_text(json.dumps(parts) + "\n")
    return path, parts


def screening_home() -> Path:
    """A workspace with the UN list alone (cached)."""
    from counterflow.lists import store as lists_store
    from counterflow.workspace import Workspace

    home = CACHE / "screen-home"
    if (home / "ready").exists():
        return home
    if home.exists():
        shutil.rmtree(home)
    ws = Workspace(home)
    lists_store.import_list(ws, UN)
    (home / "ready").write_text("UN\n")
    return home


def measure_screening(args: argparse.Namespace) -> dict[str, Any]:
    """One batch screen of the names file, in this (fresh) process."""
    from counterflow.workspace import Workspace

    ws = Workspace(Path(args.home))
    target = CACHE / f"screened-{args.engine}.parquet"
    out: dict[str, Any] = {"engine": args.engine}
    collected = Collected()
    memory = Memory()
    memory.start()
    if args.engine == "in-process":
        from counterflow.screening import Screener
        from counterflow.screening.batch import screen_file

        started = time.perf_counter()
        screener = Screener.from_workspace(ws)
        out["index_seconds"] = time.perf_counter() - started
        started = time.perf_counter()
        report = screen_file(screener, Path(args.names_file), target, limit=5)
        out["seconds"] = time.perf_counter() - started
        out["rows"], out["results"] = report.rows, report.results
        out["memory"] = memory.stop()
    else:
        _instrument("spark", collected)
        with _session(args, out) as session:
            started = time.perf_counter()
            out.update(_spark_screen(ws, Path(args.names_file), target, session))
            out["seconds"] = time.perf_counter() - started - out["index_seconds"]
            out["memory"] = memory.stop()
    out["collected"] = collected.kinds
    out["queries_per_second"] = out["rows"] / out["seconds"] if out.get("rows") else None
    return out


def _spark_screen(ws: Any, names: Path, target: Path, session: Any) -> dict[str, Any]:
    """Batch screening on Spark (``counterflow.screening.spark_batch.screen_file_spark``):
    the index broadcast, the rows screened by ``mapInArrow``, the hits written by Spark."""
    from counterflow.screening import Screener
    from counterflow.screening.spark_batch import screen_file_spark

    started = time.perf_counter()
    screener = Screener.from_workspace(ws)
    index_seconds = time.perf_counter() - started
    report = screen_file_spark(session, screener, names, target, limit=5)
    return {"index_seconds": index_seconds, "rows": report.rows, "results": report.results}


# --------------------------------------------------------------------------- the parent


def child(args: argparse.Namespace, kind: str, extra: list[str], log_name: str) -> dict[str, Any]:
    """Run one measurement in a fresh process (until the deadline, if any)."""
    LOGS.mkdir(parents=True, exist_ok=True)
    progress_log = LOGS / f"{log_name}.progress.jsonl"
    progress_log.write_text("")
    command = [
        sys.executable,
        __file__,
        "--measure",
        kind,
        "--progress-log",
        str(progress_log),
        "--master",
        args.master,
        "--driver-memory",
        args.driver_memory,
        *[f"--spark-conf={c}" for c in args.spark_conf],
        *extra,
    ]
    timeout = None
    if args.deadline:
        now = datetime.now(UTC)
        hour, minute = (int(x) for x in args.deadline.split(":"))
        stop = now.replace(hour=hour, minute=minute, second=0, microsecond=0)
        if stop < now - timedelta(hours=12):
            stop += timedelta(days=1)
        timeout = max((stop - now).total_seconds(), 1)
    started = time.perf_counter()
    with open(LOGS / f"{log_name}.log", "w", encoding="utf-8") as err:
        try:
            done = subprocess.run(
                command, stdout=subprocess.PIPE, stderr=err, text=True, timeout=timeout
            )
        except subprocess.TimeoutExpired:
            log(f"{log_name}: stopped at the deadline {args.deadline} UTC")
            found = partial(progress_log)
            found["stopped_after_seconds"] = time.perf_counter() - started
            return found
    if done.returncode != 0:
        log(f"{log_name}: failed ({done.returncode}); see {LOGS / (log_name + '.log')}")
        return {
            "failed": done.returncode,
            **partial(progress_log),
            "log": str(LOGS / f"{log_name}.log"),
        }
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    result["process_seconds"] = time.perf_counter() - started
    return result


def load_results() -> dict[str, Any]:
    return dict(json.loads(OUT.read_text())) if OUT.exists() else {}


def save(results: dict[str, Any]) -> None:
    OUT.parent.mkdir(parents=True, exist_ok=True)
    tmp = OUT.with_suffix(".tmp")
    tmp.write_text(json.dumps(results, indent=2, default=str) + "\n")
    tmp.replace(OUT)


def machine() -> dict[str, Any]:
    cpu = ""
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            cpu = line.split(":", 1)[1].strip()
            break
    total = next(
        int(line.split()[1])
        for line in Path("/proc/meminfo").read_text().splitlines()
        if line.startswith("MemTotal")
    )
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "memory_gib": round(total / 2**20, 1),
        "python": platform.python_version(),
        "load_at_start": os.getloadavg(),
    }


def monitoring(args: argparse.Namespace, results: dict[str, Any]) -> None:
    part = results.setdefault("monitoring", {})
    for scale in args.scales:
        info = world(scale, args.seed)
        entry = part.setdefault(scale, {})
        entry["world"] = info
        for engine in args.engines:
            if engine in entry:  # an earlier run of the same scale: kept beside
                entry.setdefault("earlier_runs", []).append({engine: entry.pop(engine)})
            log(f"{scale}: the pack on {engine}")
            load = os.getloadavg()
            found = child(
                args,
                "monitoring",
                [
                    "--engine",
                    engine,
                    "--world",
                    str(CACHE / f"p{info['parties']}-s{args.seed}" / "ready.json"),
                ],
                f"monitoring-{scale}-{engine}",
            )
            found["load_before"] = load
            found["load_after"] = os.getloadavg()
            found["at"] = f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC"
            entry[engine] = found
            save(results)
            if "pack_seconds" in found:
                log(f"{scale} {engine}: {found['pack_seconds']:.1f} s")


def screening(args: argparse.Namespace, results: dict[str, Any]) -> None:
    path, parts = names_file(args.names, args.seed)
    home = screening_home()
    entry = results.setdefault("screening", {})
    entry["names"] = args.names
    entry["parts"] = parts
    engines = [e for e in args.engines if e != "duckdb"]
    if "duckdb" in args.engines:
        engines.insert(0, "in-process")
    for engine in engines:
        log(f"screening {args.names:,} names: {engine}")
        load = os.getloadavg()
        found = child(
            args,
            "screening",
            ["--engine", engine, "--names-file", str(path), "--home", str(home)],
            f"screening-{args.names}-{engine}",
        )
        found["load_before"], found["load_after"] = load, os.getloadavg()
        found["at"] = f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC"
        entry[engine] = found
        save(results)


# --------------------------------------------------------------------------- the report


def _s(value: float | None, digits: int = 1) -> str:
    return "–" if value is None else f"{value:,.{digits}f}"


def report(results: dict[str, Any]) -> str:
    lines: list[str] = []
    scales = results.get("monitoring", {})
    for scale, entry in scales.items():
        duck, spark = entry.get("duckdb", {}), entry.get("spark", {})
        world_ = entry["world"]
        lines.append(
            f"\n### The pack over {world_['transactions']:,} transactions ({scale})\n\n"
            "| scenario | DuckDB s | Spark s | Spark ÷ DuckDB |\n|---|---:|---:|---:|"
        )
        d_times = duck.get("per_scenario_seconds", {})
        s_times = spark.get("per_scenario_seconds") or spark.get(
            "per_scenario_seconds_finished", {}
        )
        order = sorted(
            set(d_times) | set(s_times), key=lambda s: -(s_times.get(s) or d_times.get(s) or 0)
        )
        for scenario in order:
            d, s = d_times.get(scenario), s_times.get(scenario)
            ratio = f"{s / d:.1f}×" if d and s else "–"
            lines.append(f"| {scenario} | {_s(d)} | {_s(s)} | {ratio} |")
        lines.append(
            f"| the dataset profile, opening, stores | {_s(duck.get('profile_and_stores_seconds'))}"
            f" | {_s(spark.get('profile_and_stores_seconds'))} | |"
        )
        dp, sp = duck.get("pack_seconds"), spark.get("pack_seconds")
        ratio = f"**{sp / dp:.1f}×**" if dp and sp else "–"
        lines.append(f"| **whole pack** | **{_s(dp)}** | **{_s(sp)}** | {ratio} |")
        lines.append(
            f"| Spark session start (JVM) | | {_s(spark.get('session_start_seconds'))} | |"
        )
        if spark.get("unfinished"):
            lines.append(
                f"\nSpark did not finish by the deadline: it was in "
                f"`{spark.get('running_at_deadline')}`."
            )
    if len(scales) >= 2:
        keys = list(scales)
        lines.append(
            "\n| engine | " + " | ".join(keys) + " | scaling |\n|---|" + "---:|" * (len(keys) + 1)
        )
        for engine in ("duckdb", "spark"):
            times = [scales[k].get(engine, {}).get("pack_seconds") for k in keys]
            grew = (
                scales[keys[-1]]["world"]["transactions"] / scales[keys[0]]["world"]["transactions"]
            )
            factor = (
                f"{times[-1] / times[0]:.1f}× for {grew:.1f}× the data"
                if times[0] and times[-1]
                else "–"
            )
            lines.append(f"| {engine} | " + " | ".join(_s(t) for t in times) + f" | {factor} |")
    if scales:
        lines.append(
            "\n| scale | engine | Python driver peak MiB | JVM peak MiB | Python workers peak MiB "
            "| to_arrow calls | rows to driver (total) | largest (rows, where) |\n"
            "|---|---|---:|---:|---:|---:|---:|---|"
        )
        for scale, entry in scales.items():
            for engine in ("duckdb", "spark"):
                found = entry.get(engine)
                if not found or "memory" not in found:
                    continue
                mem, coll = found["memory"], found["collected"].get("Engine.to_arrow", {})
                lines.append(
                    f"| {scale} | {engine} | {_s(mem['python_driver_peak_rss_mib'], 0)} | "
                    f"{_s(mem['jvm_peak_rss_mib'], 0)} | "
                    f"{_s(mem['python_workers_peak_rss_mib'], 0)} | "
                    f"{coll.get('calls', 0):,} | {coll.get('rows', 0):,} | "
                    f"{coll.get('max_rows', 0):,} ({coll.get('max_in')}) |"
                )
        for scale, entry in scales.items():
            frames = entry.get("spark", {}).get("collected", {})
            for kind, c in sorted(frames.items()):
                if kind.startswith("DataFrame."):
                    lines.append(
                        f"\n{scale}, Spark `{kind}` (every one, inside to_arrow or not): "
                        f"{c['calls']:,} calls, {c['rows']:,} rows, the largest "
                        f"{c['max_rows']:,} ({c['max_in']})."
                    )
    screen = results.get("screening")
    if screen:
        lines.append(
            f"\n### Batch screening of {screen['names']:,} names against the UN list\n\n"
            "| engine | seconds | names/s | hit rows | Python peak MiB | JVM peak MiB |\n"
            "|---|---:|---:|---:|---:|---:|"
        )
        for engine in ("in-process", "spark"):
            found = screen.get(engine)
            if not found or "seconds" not in found:
                continue
            mem = found["memory"]
            lines.append(
                f"| {engine} | {_s(found['seconds'])} | {_s(found.get('queries_per_second'), 0)} | "
                f"{found.get('results') or 0:,} | {_s(mem['python_driver_peak_rss_mib'], 0)} | "
                f"{_s(mem['jvm_peak_rss_mib'], 0)} |"
            )
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--parts", nargs="+", default=["monitoring", "screening"])
    parser.add_argument("--scales", nargs="+", default=["1M", "10M"])
    parser.add_argument("--engines", nargs="+", default=["duckdb", "spark"])
    parser.add_argument("--names", type=int, default=1_000_000)
    parser.add_argument("--master", default="local[2]")
    parser.add_argument("--driver-memory", default=DRIVER_MEMORY)
    parser.add_argument("--spark-conf", action="append", default=[], metavar="KEY=VALUE")
    parser.add_argument("--seed", type=int, default=20261129)
    parser.add_argument("--deadline", help="HH:MM UTC: stop a measurement still running then")
    parser.add_argument("--report", action="store_true", help="print the tables and stop")
    # one measurement in a fresh process (the parent runs these)
    parser.add_argument("--measure", choices=["monitoring", "screening"], help=argparse.SUPPRESS)
    parser.add_argument("--engine", help=argparse.SUPPRESS)
    parser.add_argument("--world", help=argparse.SUPPRESS)
    parser.add_argument("--home", help=argparse.SUPPRESS)
    parser.add_argument("--names-file", help=argparse.SUPPRESS)
    parser.add_argument("--progress-log", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure:
        measure = measure_monitoring if args.measure == "monitoring" else measure_screening
        print(json.dumps(measure(args), default=str))
        return 0
    results = load_results()
    if args.report:
        print(report(results))
        return 0
    os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
    results.setdefault("commands", []).append(" ".join(sys.argv))
    results["machine"] = machine()
    if "monitoring" in args.parts:
        monitoring(args, results)
    if "screening" in args.parts:
        screening(args, results)
    save(results)
    print(report(results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
