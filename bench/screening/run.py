"""The screening benchmark of issue 3: counterflow against OpenSanctions' matchers, same inputs.

Why: screening is judged on what an analyst sees (is the listed party first? how many false
alarms on ordinary customers?) and on what it costs (queries per second, memory). Comparing
against nomenklatura's ``logic-v2`` and ``name-based`` on the very same queries and candidates,
in the same run on the same machine, keeps the comparison honest where absolute numbers drift.

Run from the repository root with the product's environment (the peer's own environment is
built by ``bench/screening/setup_peer.sh``)::

    .venv/bin/python bench/screening/run.py            # full run (about an hour, mostly peer)
    .venv/bin/python bench/screening/run.py --quick    # small samples, a few minutes

It builds the datasets (``datasets.py``), runs counterflow in process and the peer
(``peer_nomenklatura.py``) in ``bench/.venv-peer`` through a subprocess, measures speed and
memory in a fresh subprocess per measurement, and writes Markdown tables to stdout and
``bench/results/screening.md``, everything as JSON to ``bench/results/screening.json``.
Peer results are cached under ``bench/results/screening/peer`` by a hash of their inputs
(``--fresh-peer`` ignores the cache).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import platform
import random
import resource
import subprocess
import sys
import tempfile
import time
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import datasets as ds
import four_lists
from calibrate import CALIBRATION_NEGATIVES
from startup import FOUR_LISTS, UN_ONLY, build_workspace, measure_startup

from counterflow.errors import CounterflowError
from counterflow.lists.formats.ftm import write_ftm
from counterflow.model import Entity
from counterflow.screening import DEFAULT_THRESHOLD, Query, Screener, score_pair

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
RESULTS = ROOT / "bench" / "results"
WORK = RESULTS / "screening"
PEER_PYTHON = ROOT / "bench" / ".venv-peer" / "bin" / "python"
PEER_SCRIPT = HERE / "peer_nomenklatura.py"
PEER_ALGORITHMS = ("logic-v2", "name-based")
#: yente's SCORE_THRESHOLD (yente/settings.py), the cut-off for ``match: true``; nomenklatura
#: itself defines no threshold for either algorithm, so it is used for both.
PEER_THRESHOLD = 0.7
LIMIT = 5
#: calibrate.py reads the first 100 hard-set queries of each category (same seed) and the
#: first CALIBRATION_NEGATIVES negatives; the rows past those are reported as held out.
CALIBRATED_PER_CATEGORY = 100
SYSTEMS = ("counterflow", *PEER_ALGORITHMS)

Hits = list[tuple[str, float]]
Results = dict[str, Hits]


# --------------------------------------------------------------------------- helpers


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def sha256_files(*parts: Path | str) -> str:
    digest = hashlib.sha256()
    for part in parts:
        digest.update(part.read_bytes() if isinstance(part, Path) else part.encode())
    return digest.hexdigest()[:16]


def rss_kib() -> int:
    """Resident memory now (VmRSS), KiB."""
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def maxrss_kib() -> int:
    """Peak resident memory of this process so far (getrusage ru_maxrss; KiB on Linux)."""
    return int(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)


def query_rows(queries: Sequence[ds.LabelledQuery]) -> list[dict[str, Any]]:
    """Rows for the query files: the peer reads ``ftm``; measurement runs read ``record``."""
    return [
        {
            **ds.record_to_ftm(q),
            "record": q.record,
            "expected": list(q.expected),
            "category": q.category,
        }
        for q in queries
    ]


def read_results(path: Path) -> Results:
    """The peer's top hits per query id, as (entity id, score)."""
    return {
        row["id"]: [(str(h[0]), float(h[1])) for h in row["hits"]] for row in ds.read_jsonl(path)
    }


# --------------------------------------------------------------------------- systems


def screen_counterflow(
    screener: Screener, queries: Sequence[ds.LabelledQuery], label: str
) -> tuple[Results, dict[str, Any]]:
    """Top-``LIMIT`` hits of every query (threshold 0, so misses show their best score)."""
    out: Results = {}
    errors: Counter[str] = Counter()
    started = time.perf_counter()
    for number, q in enumerate(queries, start=1):
        try:
            query = Query.from_record(q.record)
        except CounterflowError as exc:  # e.g. a row without a usable name
            errors[type(exc).__name__] += 1
            out[q.id] = []
            continue
        matches = screener.screen(query, limit=LIMIT, threshold=0.0)
        out[q.id] = [(m.entity.id, float(m.score)) for m in matches]
        if number % 10_000 == 0:
            log(f"  counterflow {label}: {number:,}/{len(queries):,}")
    seconds = time.perf_counter() - started
    return out, {
        "queries": len(queries),
        "seconds": seconds,
        "qps": len(queries) / seconds if seconds else None,
        "errors": dict(errors),
    }


def run_peer(
    algorithm: str,
    command: str,
    inputs: dict[str, Path],
    name: str,
    *,
    jobs: int = 1,
    fresh: bool = False,
) -> tuple[Path, dict[str, Any]]:
    """Run the peer script once (or reuse a cached result of identical inputs)."""
    key = sha256_files(
        PEER_SCRIPT, *inputs.values(), f"{algorithm}:{command}:{LIMIT}:{jobs > 1}", _peer_tag()
    )
    out = WORK / "peer" / f"{name}.{algorithm}.{key}.jsonl"
    meta_path = Path(f"{out}.meta.json")
    if out.exists() and meta_path.exists() and not fresh:
        log(f"  peer {algorithm} {name}: cached ({out.name})")
        return out, json.loads(meta_path.read_text())
    args = [str(PEER_PYTHON), str(PEER_SCRIPT), command, "--algorithm", algorithm]
    for flag, path in inputs.items():
        args += [f"--{flag}", str(path)]
    args += ["--out", str(out)]
    if command == "screen":
        args += ["--limit", str(LIMIT), "--jobs", str(jobs)]
    log(f"  peer {algorithm} {name}: running ({' '.join(args[2:4])}, jobs {jobs})")
    started = time.perf_counter()
    proc = subprocess.run(args, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        raise RuntimeError(f"peer failed ({proc.returncode}):\n{proc.stderr[-4000:]}")
    log(f"  peer {algorithm} {name}: {time.perf_counter() - started:,.0f} s")
    return out, json.loads(meta_path.read_text())


def _peer_tag() -> str:
    site = next((ROOT / "bench" / ".venv-peer" / "lib").glob("python*/site-packages"), None)
    if site is None:
        return "no-peer"
    return ",".join(sorted(p.name for p in site.glob("nomenklatura-*.dist-info")))


# --------------------------------------------------------------------------- metrics


def recall(
    results: Results,
    queries: Sequence[ds.LabelledQuery],
    k: int = 1,
    threshold: float | None = None,
) -> float:
    found = 0
    for q in queries:
        hits = results.get(q.id, [])[:k]
        if any(h[0] in q.expected and (threshold is None or h[1] >= threshold) for h in hits):
            found += 1
    return found / len(queries) if queries else float("nan")


def false_positives(
    results: Results, queries: Sequence[ds.LabelledQuery], threshold: float
) -> dict[str, float]:
    alerted = sum(1 for q in queries if any(h[1] >= threshold for h in results.get(q.id, [])))
    hits = sum(sum(1 for h in results.get(q.id, []) if h[1] >= threshold) for q in queries)
    n = len(queries)
    return {
        "queries": n,
        "threshold": threshold,
        "alerted_queries": alerted,
        "alerts_per_1000": 1000 * alerted / n if n else float("nan"),
        "hits_per_1000": 1000 * hits / n if n else float("nan"),
    }


def prf(labels: Sequence[bool], predicted: Sequence[bool]) -> dict[str, float]:
    tp = sum(1 for y, p in zip(labels, predicted, strict=True) if y and p)
    fp = sum(1 for y, p in zip(labels, predicted, strict=True) if not y and p)
    fn = sum(1 for y, p in zip(labels, predicted, strict=True) if y and not p)
    precision = tp / (tp + fp) if tp + fp else 0.0
    rec = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * precision * rec / (precision + rec) if precision + rec else 0.0
    return {"precision": precision, "recall": rec, "f1": f1, "tp": tp, "fp": fp, "fn": fn}


def best_f1(labels: Sequence[bool], scores: Sequence[float]) -> dict[str, float]:
    """The threshold with the highest F1 on these very pairs (an optimistic upper bound)."""
    best = {"f1": -1.0, "threshold": 0.0}
    for threshold in sorted(set(round(s, 4) for s in scores)):
        result = prf(labels, [s >= threshold for s in scores])
        if result["f1"] > best["f1"]:
            best = {**result, "threshold": threshold}
    return best


def misses(
    results: Results, queries: Sequence[ds.LabelledQuery], limit: int = 300
) -> list[dict[str, Any]]:
    out = []
    for q in queries:
        hits = results.get(q.id, [])
        if not hits or hits[0][0] not in q.expected:
            out.append(
                {
                    "id": q.id,
                    "category": q.category,
                    "query": q.record.get("name") or q.record.get("full_name"),
                    "expected": list(q.expected),
                    "top": hits[:3],
                }
            )
    return out[:limit]


# --------------------------------------------------------------------------- speed


def measure(args: argparse.Namespace) -> int:
    """One speed and memory measurement in this (fresh) process; prints JSON."""
    started = time.perf_counter()
    entities: list[Entity] = ds.load_entities(ds.UN_2026)
    if args.measure == "four":
        entities = four_lists.load_four()
    elif args.measure == "un+ofac+uk":
        entities += ds.load_entities(ds.OFAC_SDN) + ds.load_entities(ds.UK_OFSI)
    elif args.measure == "synthetic":
        pools = ds.NamePools.from_json(json.loads(Path(args.pools).read_text()))
        entities += list(ds.synthetic_entities(args.synthetic_size, pools, args.seed))
    load_seconds = time.perf_counter() - started
    rss_loaded = rss_kib()
    names = sum(1 for e in entities for _ in e.names())
    started = time.perf_counter()
    screener = Screener(entities)
    build_seconds = time.perf_counter() - started
    if args.measure == "four":
        screener.set_clusters(four_lists.resolve(entities).clusters)
    rss_built = rss_kib()
    rows = ds.read_jsonl(Path(args.queries))
    for row in rows[:5]:  # warm-up, untimed
        screener.screen(Query.from_record(row["record"]), limit=LIMIT)
    latencies = []
    found = labelled = 0
    started = time.perf_counter()
    for row in rows:
        t = time.perf_counter()
        matches = screener.screen(Query.from_record(row["record"]), limit=LIMIT)
        latencies.append(time.perf_counter() - t)
        if row["expected"]:
            labelled += 1
            found += bool(matches) and matches[0].entity.id in row["expected"]
    seconds = time.perf_counter() - started
    latencies.sort()
    print(
        json.dumps(
            {
                "list": args.measure,
                "entities": len(entities),
                "names": names,
                "load_seconds": load_seconds,
                "build_seconds": build_seconds,
                "queries": len(rows),
                "seconds": seconds,
                "qps": len(rows) / seconds,
                "p50_ms": 1000 * latencies[len(latencies) // 2],
                "p95_ms": 1000 * latencies[int(len(latencies) * 0.95)],
                "max_ms": 1000 * latencies[-1],
                "recall_at_1_labelled": found / labelled if labelled else None,
                "labelled": labelled,
                "rss_after_load_kib": rss_loaded,
                "rss_after_build_kib": rss_built,
                "maxrss_kib": maxrss_kib(),
            }
        )
    )
    return 0


def measure_in_subprocess(kind: str, queries: Path, args: argparse.Namespace) -> dict[str, Any]:
    cmd = [
        sys.executable,
        str(Path(__file__).resolve()),
        "--measure",
        kind,
        "--queries",
        str(queries),
        "--pools",
        str(WORK / "pools.json"),
        "--synthetic-size",
        str(args.synthetic_size),
        "--seed",
        str(args.seed),
    ]
    log(f"speed: {kind} (fresh process)")
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        raise RuntimeError(f"measurement {kind} failed:\n{proc.stderr[-4000:]}")
    result: dict[str, Any] = json.loads(proc.stdout.strip().splitlines()[-1])
    log(f"  {kind}: {result['qps']:,.0f} q/s, peak {result['maxrss_kib'] / 1024:,.0f} MiB")
    return result


# --------------------------------------------------------------------------- report


def fmt(value: float | None, digits: int = 3) -> str:
    if value is None or value != value:
        return "–"
    return f"{value:.{digits}f}"


def table(header: Sequence[str], rows: Iterable[Sequence[str]], align: str = "") -> str:
    align = align or "l" + "r" * (len(header) - 1)
    sep = ["---:" if a == "r" else "---" for a in align]
    lines = ["| " + " | ".join(header) + " |", "| " + " | ".join(sep) + " |"]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines)


def report(r: dict[str, Any]) -> str:
    cfg = r["config"]
    out = [
        "# Screening benchmark",
        "",
        f"Run {r['started']} on {r['machine']['cpu']} ({r['machine']['cpus']} CPUs), "
        f"Python {r['machine']['python']}; counterflow {r['counterflow_version']}, "
        "DEFAULT_THRESHOLD "
        f"{r['thresholds']['counterflow']}; peer nomenklatura "
        f"{r['peer_versions'].get('nomenklatura', '?')} "
        f"(logic-v2 / name-based, brute force over all candidates; threshold "
        f"{PEER_THRESHOLD}, yente's SCORE_THRESHOLD). Seed {cfg['seed']}"
        f"{', QUICK run (small samples)' if cfg['quick'] else ''}.",
        "",
        "## Recall on the untreated UN positives",
        "",
        f"{r['positives']['rows']} rows; {r['positives']['mapped']} mapped to a UN 2026 entity by "
        f"exact case-folded name ({len(r['positives']['unmapped'])} not on the 2026 list: "
        f"{', '.join(r['positives']['unmapped']) or 'none'}); "
        f"{r['positives']['evaluated']} evaluated. Queries carry name, birth date, nationality "
        'and place of birth. "@1 ≥ thr": first and at or above the system\'s default threshold.',
        "",
    ]
    rows = []
    for system in SYSTEMS:
        m = r["positives"]["systems"].get(system)
        if m:
            rows.append(
                [system, fmt(m["recall_at_1"]), fmt(m["recall_at_5"]), fmt(m["recall_at_1_thr"])]
            )
    out += [table(["system", "recall@1", "recall@5", "recall@1 ≥ thr"], rows), ""]

    hard = r["hard"]
    out += [
        "## Recall@1 on the derived hard set (UN 2026)",
        "",
        f"{hard['queries']} name-only queries derived from UN names (see datasets.py); each has "
        "exactly one right entity.",
        "",
    ]
    rows = []
    for category in [*ds.CATEGORIES, "overall"]:
        n = hard["counts"].get(category)
        if not n:
            continue
        rows.append(
            [category, str(n)] + [fmt(hard["systems"].get(s, {}).get(category)) for s in SYSTEMS]
        )
    for schema in ("Person", "Organization"):
        rows.append(
            [f"(all {schema})", str(hard["schema_counts"][schema])]
            + [fmt(hard["by_schema"].get(s, {}).get(schema)) for s in SYSTEMS]
        )
    if hard["held_out"]["queries"]:
        rows.append(
            [
                f"(held out: beyond the first {CALIBRATED_PER_CATEGORY} per category, "
                "which calibrate.py reads)",
                str(hard["held_out"]["queries"]),
            ]
            + [fmt(hard["held_out"]["systems"].get(s)) for s in SYSTEMS]
        )
    out += [table(["category", "queries", *SYSTEMS], rows), ""]

    neg = r["negatives"]
    out += [
        "## False positives on negatives_us.csv (50,000 persons on no list)",
        "",
        "An alert is a query with at least one hit at or above the system's default threshold "
        f"(top {LIMIT} hits considered). The peer ran on a seeded sample of "
        f"{neg['sample_size']:,} (brute force is slow)"
        + (f" and {' and '.join(neg['peer_all'])} also on all rows" if neg["peer_all"] else "")
        + '; counterflow ran on the same sample and on all rows. Rows "at T" show the '
        "same run at another threshold.",
        "",
    ]
    rows = []
    for label, m in neg["rows"]:
        rows.append(
            [
                label,
                f"{m['queries']:,}",
                fmt(m["threshold"], 2),
                f"{m['alerted_queries']:,}",
                fmt(m["alerts_per_1000"], 2),
                fmt(m["hits_per_1000"], 2),
            ]
        )
    out += [
        table(
            ["system", "queries", "threshold", "alerted", "alerts / 1,000", "hits / 1,000"], rows
        ),
        "",
    ]

    speed = r["speed"]
    out += [
        "## Speed and memory (single process)",
        "",
        "Each row is a fresh process: load the lists, build the index, then screen "
        f"{speed['queries']:,} queries (a seeded mix of positives, hard-set queries and "
        "negatives; 5 untimed warm-up queries first). Memory is the process's peak "
        "resident set (getrusage ru_maxrss), "
        'including the Python interpreter and the parsed entities; "after load" is VmRSS '
        "before the index was built. The peer has no index: its row is brute force on a "
        f"{speed['peer_queries']}-query prefix of the same mix, after its own warm-up. "
        '"recall@1 ≥ thr" is over the mix\'s labelled queries (positives and hard set): the '
        "expected UN entity first and at or above the default threshold; it is not given for "
        "UN + OFAC + UK, where the same parties are listed three times.",
        "",
    ]
    rows = []
    for m in speed["rows"]:
        rows.append(
            [
                m["system"],
                m["list"],
                f"{m['entities']:,}",
                f"{m['names']:,}" if m.get("names") else "–",
                fmt(m.get("build_seconds"), 2),
                f"{m['qps']:,.1f}",
                fmt(m.get("p50_ms"), 2),
                fmt(m.get("p95_ms"), 2),
                f"{m['maxrss_kib'] / 1024:,.0f}",
                f"{m['rss_after_load_kib'] / 1024:,.0f}" if m.get("rss_after_load_kib") else "–",
                "–" if m["list"].startswith("UN +") else fmt(m.get("recall_at_1_labelled")),
            ]
        )
    out += [
        table(
            [
                "system",
                "list",
                "entities",
                "names",
                "index build (s)",
                "queries/s",
                "p50 (ms)",
                "p95 (ms)",
                "peak MiB",
                "after load MiB",
                "recall@1 ≥ thr",
            ],
            rows,
        ),
        "",
    ]

    pairs = r["pairs"]
    out += [
        "## Pairwise scorer on labelled name pairs",
        "",
        f"{pairs['count']:,} pairs ({pairs['matches']:,} matches, "
        f"{pairs['count'] - pairs['matches']:,} non-matches). counterflow: `score_pair(...)."
        f'is_match`; peers: score ≥ {PEER_THRESHOLD}. "best F1" is each system\'s F1 at the '
        "threshold that is best on these very pairs (an optimistic bound, for reference).",
        "",
    ]
    rows = []
    for system in SYSTEMS:
        m = pairs["systems"].get(system)
        if m:
            b = m["best"]
            rows.append(
                [
                    system,
                    fmt(m["threshold"], 2),
                    fmt(m["precision"]),
                    fmt(m["recall"]),
                    fmt(m["f1"]),
                    f"{fmt(b['f1'])} @ {fmt(b['threshold'], 2)}",
                    f"{m['pairs_per_second']:,.0f}" if m.get("pairs_per_second") else "–",
                ]
            )
    out += [
        table(["system", "threshold", "precision", "recall", "F1", "best F1", "pairs/s"], rows),
        "",
        "Per category: share of pairs each system labels correctly (match categories: "
        "recall; non-match categories: specificity).",
        "",
    ]
    rows = []
    for category, counts in sorted(
        pairs["by_category"].items(), key=lambda kv: (not kv[1]["match"], kv[0])
    ):
        rows.append(
            [category, "match" if counts["match"] else "non-match", str(counts["n"])]
            + [fmt(counts["systems"].get(s)) for s in SYSTEMS]
        )
    out += [table(["category", "label", "pairs", *SYSTEMS], rows), ""]
    if r.get("notes"):
        out += ["## Notes", ""] + [f"- {n}" for n in r["notes"]] + [""]
    return "\n".join(out)


# --------------------------------------------------------------------------- main


def source_version() -> str:
    """The commit the benchmarked source tree is at, and whether src/ differs from it."""
    try:
        commit = subprocess.run(
            ["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "-C", str(ROOT), "status", "--porcelain", "--", "src"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "outside git"
    return f"commit {commit}" + (" with uncommitted changes in src/" if dirty else "")


def cpu_name() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small samples: a smoke run")
    parser.add_argument("--seed", type=int, default=ds.SEED)
    parser.add_argument("--peer-jobs", type=int, default=min(2, os.cpu_count() or 1))
    parser.add_argument("--fresh-peer", action="store_true", help="ignore cached peer results")
    parser.add_argument("--no-peer", action="store_true", help="counterflow only")
    parser.add_argument(
        "--four-lists-only",
        action="store_true",
        help="only the four-list part of issue 12 (with the peer on pairs and a negatives "
        "sample) and the start-up ratio",
    )
    parser.add_argument(
        "--peer-full-negatives",
        default="",
        help="comma-separated peer algorithms to run on every negative too, not just the "
        "sample (slow: logic-v2 takes about 45 minutes on 2 CPUs)",
    )
    parser.add_argument("--per-category", type=int, help="hard-set queries per category")
    parser.add_argument("--pairs", type=int, help="labelled pairs")
    parser.add_argument("--peer-negatives", type=int, help="negatives sample for the peer")
    parser.add_argument("--synthetic-size", type=int, help="names in the synthetic list")
    parser.add_argument("--speed-queries", type=int, help="queries per speed measurement")
    parser.add_argument("--peer-speed-queries", type=int, help="queries for the peer's q/s")
    # internal: one speed measurement in a fresh process
    parser.add_argument(
        "--measure", choices=("un", "un+ofac+uk", "four", "synthetic"), help=argparse.SUPPRESS
    )
    parser.add_argument("--queries", help=argparse.SUPPRESS)
    parser.add_argument("--pools", help=argparse.SUPPRESS)
    args = parser.parse_args()
    quick = args.quick
    defaults = {
        "per_category": (25, 200),
        "pairs": (400, 3000),
        "peer_negatives": (200, 2000),
        "synthetic_size": (50_000, 1_000_000),
        "speed_queries": (300, 1500),
        "peer_speed_queries": (20, 100),
    }
    for key, (small, full) in defaults.items():
        if getattr(args, key) is None:
            setattr(args, key, small if quick else full)
    if args.measure:
        return measure(args)
    if args.four_lists_only:
        return four_lists_benchmark(args)
    return benchmark(args)


def _four_lists(args: argparse.Namespace) -> dict[str, Any]:
    """The four-list measurements of issue 12 (see four_lists.py), with the start-up ratio."""
    use_peer = not args.no_peer and PEER_PYTHON.exists()
    result = four_lists.run(
        work=WORK,
        seed=args.seed,
        quick=args.quick,
        peer=run_peer if use_peer else None,
        peer_algorithms=PEER_ALGORITHMS,
        peer_threshold=PEER_THRESHOLD,
        peer_negatives=min(args.peer_negatives, 500),
        peer_jobs=args.peer_jobs,
        fresh_peer=args.fresh_peer,
        log=log,
    )
    log("four lists: start-up, whole process")
    with tempfile.TemporaryDirectory(prefix="counterflow-startup-") as scratch:
        four = build_workspace(Path(scratch) / "four-lists", FOUR_LISTS)
        un_only = build_workspace(Path(scratch) / "un-only", UN_ONLY)
        result["startup"] = measure_startup(four, un_only, runs=3 if args.quick else 7)
    result["speed"] = measure_in_subprocess("four", WORK / "queries_speed.jsonl", args)
    return result


def _startup_lines(startup: dict[str, Any]) -> list[str]:
    return [
        "`counterflow screen NAME`, whole process, median of "
        f"{startup['runs']} runs each: four lists {startup['four_lists_seconds']:.2f} s, "
        f"UN only {startup['un_only_seconds']:.2f} s, ratio {startup['ratio']:.2f} "
        "(goal ≤ 1.3).",
        "",
    ]


def four_lists_benchmark(args: argparse.Namespace) -> int:
    """Only the four-list part: writes bench/results/screening-four.md and .json."""
    WORK.mkdir(parents=True, exist_ok=True)
    speed_file = WORK / "queries_speed.jsonl"
    if not speed_file.exists():
        rng = random.Random(f"{args.seed}:speed")
        negatives = ds.negatives()
        ds.write_jsonl(speed_file, query_rows(rng.sample(negatives, args.speed_queries)))
    result = _four_lists(args)
    result["started"] = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    result["counterflow_version"] = source_version()
    lines = [
        f"# Screening with four lists (issue 12), {result['started']}, "
        f"{result['counterflow_version']}",
        "",
        *four_lists.report(result, fmt, table),
        *_startup_lines(result["startup"]),
        f"Queries/s in a fresh process with four lists: {result['speed']['qps']:,.0f} "
        f"(index build {result['speed']['build_seconds']:.1f} s, peak "
        f"{result['speed']['maxrss_kib'] / 1024:,.0f} MiB).",
    ]
    text = "\n".join(lines)
    print(text)
    (RESULTS / "screening-four.md").write_text(text + "\n", encoding="utf-8")
    (RESULTS / "screening-four.json").write_text(
        json.dumps(result, indent=1, ensure_ascii=False, default=str) + "\n", encoding="utf-8"
    )
    return 0


def benchmark(args: argparse.Namespace) -> int:
    if not ds.UN_2026.exists():
        print(f"real data absent: {ds.UN_2026}", file=sys.stderr)
        return 1
    use_peer = not args.no_peer
    if use_peer and not PEER_PYTHON.exists():
        print(f"peer environment missing: run bash {HERE / 'setup_peer.sh'}", file=sys.stderr)
        return 1
    WORK.mkdir(parents=True, exist_ok=True)
    started_at = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    notes: list[str] = []
    rng = random.Random(f"{args.seed}:run")

    # ---------------------------------------------------------------- datasets
    log("datasets: parsing lists")
    un = ds.load_entities(ds.UN_2026)
    negatives_rows = ds.read_csv(ds.NEGATIVES)
    pools = ds.NamePools.build(
        [*un, *ds.load_entities(ds.OFAC_SDN), *ds.load_entities(ds.UK_OFSI)], negatives_rows
    )
    (WORK / "pools.json").write_text(json.dumps(pools.to_json(), ensure_ascii=False))
    positives, unmapped = ds.positives(un)
    positives_all = len(positives) + len(unmapped)
    if args.quick:
        positives = rng.sample(positives, 100)
    hard = ds.hard_queries(ds.hard_set(un, args.per_category, args.seed))
    negatives = ds.negatives()
    if args.quick:
        negatives = rng.sample(negatives, 2000)
    neg_sample = random.Random(f"{args.seed}:negatives").sample(
        negatives, min(args.peer_negatives, len(negatives))
    )
    pairs = ds.labelled_pairs(un, negatives_rows, args.pairs, args.seed)
    mix_rng = random.Random(f"{args.seed}:speed")
    third = args.speed_queries // 3
    speed_mix = [
        *mix_rng.sample(positives, min(third, len(positives))),
        *mix_rng.sample(hard, min(third, len(hard))),
        *mix_rng.sample(negatives, args.speed_queries - 2 * third),
    ]
    mix_rng.shuffle(speed_mix)
    files = {
        "candidates": WORK / "un_2026.ftm.jsonl",
        "positives": WORK / "queries_positives.jsonl",
        "hard": WORK / "queries_hard.jsonl",
        "negatives": WORK / "queries_negatives_sample.jsonl",
        "speed": WORK / "queries_speed.jsonl",
        "peer_speed": WORK / "queries_peer_speed.jsonl",
        "pairs": WORK / "pairs.jsonl",
    }
    with open(files["candidates"], "w", encoding="utf-8") as fh:
        write_ftm(un, fh)
    ds.write_jsonl(files["positives"], query_rows(positives))
    ds.write_jsonl(files["hard"], query_rows(hard))
    ds.write_jsonl(files["negatives"], query_rows(neg_sample))
    ds.write_jsonl(files["speed"], query_rows(speed_mix))
    ds.write_jsonl(files["peer_speed"], query_rows(speed_mix[: args.peer_speed_queries]))
    ds.write_jsonl(files["pairs"], (asdict(p) for p in pairs))
    log(
        f"datasets: {len(positives)} positives, {len(hard)} hard, {len(negatives):,} negatives "
        f"({len(neg_sample)} peer sample), {len(pairs)} pairs, {len(speed_mix)} speed queries"
    )

    results: dict[str, dict[str, Results]] = defaultdict(dict)
    peer_pairs: dict[str, dict[str, float]] = {}
    peer_meta: dict[str, Any] = {}

    # ---------------------------------------------------------------- peer
    if use_peer:
        for algorithm in PEER_ALGORITHMS:
            for name in ("positives", "hard", "negatives"):
                path, meta = run_peer(
                    algorithm,
                    "screen",
                    {"candidates": files["candidates"], "queries": files[name]},
                    name,
                    jobs=args.peer_jobs,
                    fresh=args.fresh_peer,
                )
                results[algorithm][name] = read_results(path)
                peer_meta[f"{algorithm}:{name}"] = meta
            path, meta = run_peer(
                algorithm,
                "screen",
                {"candidates": files["candidates"], "queries": files["peer_speed"]},
                "speed",
                jobs=1,
                fresh=args.fresh_peer,
            )
            peer_meta[f"{algorithm}:speed"] = meta
            path, meta = run_peer(
                algorithm, "pairs", {"pairs": files["pairs"]}, "pairs", fresh=args.fresh_peer
            )
            peer_pairs[algorithm] = {row["id"]: float(row["score"]) for row in ds.read_jsonl(path)}
            peer_meta[f"{algorithm}:pairs"] = meta

    full_peer = [a for a in args.peer_full_negatives.split(",") if a] if use_peer else []
    unknown = set(full_peer) - set(PEER_ALGORITHMS)
    if unknown:
        raise SystemExit(f"unknown peer algorithm(s): {', '.join(sorted(unknown))}")
    if full_peer:
        files["negatives_all"] = WORK / "queries_negatives_all.jsonl"
        ds.write_jsonl(files["negatives_all"], query_rows(negatives))
    for algorithm in full_peer:
        path, meta = run_peer(
            algorithm,
            "screen",
            {"candidates": files["candidates"], "queries": files["negatives_all"]},
            "negatives_all",
            jobs=args.peer_jobs,
            fresh=args.fresh_peer,
        )
        results[algorithm]["negatives_all"] = read_results(path)
        peer_meta[f"{algorithm}:negatives_all"] = meta

    # ---------------------------------------------------------------- counterflow
    log("counterflow: building the UN index")
    started = time.perf_counter()
    screener = Screener(un)
    un_build = time.perf_counter() - started
    cf_meta: dict[str, Any] = {"un_build_seconds": un_build}
    for name, queries in (("positives", positives), ("hard", hard), ("negatives", neg_sample)):
        log(f"counterflow: {name}")
        results["counterflow"][name], cf_meta[name] = screen_counterflow(screener, queries, name)
    log(f"counterflow: all {len(negatives):,} negatives")
    results["counterflow"]["negatives_all"], cf_meta["negatives_all"] = screen_counterflow(
        screener, negatives, "negatives"
    )
    log("counterflow: pairs")
    started = time.perf_counter()
    cf_pairs = {p.id: score_pair(p.name1, p.name2, schema=p.schema) for p in pairs}
    cf_pair_seconds = time.perf_counter() - started

    # ---------------------------------------------------------------- metrics
    thresholds = {
        "counterflow": DEFAULT_THRESHOLD,
        **dict.fromkeys(PEER_ALGORITHMS, PEER_THRESHOLD),
    }
    systems = [s for s in SYSTEMS if s in results]
    report_data: dict[str, Any] = {
        "started": started_at,
        "config": {
            "quick": args.quick,
            "seed": args.seed,
            "per_category": args.per_category,
            "pairs": args.pairs,
            "peer_negatives": args.peer_negatives,
            "synthetic_size": args.synthetic_size,
            "speed_queries": args.speed_queries,
            "peer_jobs": args.peer_jobs,
            "limit": LIMIT,
        },
        "machine": {
            "cpu": cpu_name(),
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "platform": platform.platform(),
        },
        "thresholds": thresholds,
        "counterflow_version": source_version(),
        "peer_versions": next(
            (
                {k: m[k] for k in ("nomenklatura", "followthemoney", "rigour") if k in m}
                for m in peer_meta.values()
            ),
            {},
        ),
    }
    report_data["positives"] = {
        "rows": positives_all,
        "mapped": positives_all - len(unmapped),
        "unmapped": unmapped,
        "evaluated": len(positives),
        "ambiguous": sum(1 for q in positives if len(q.expected) > 1),
        "systems": {
            s: {
                "recall_at_1": recall(results[s]["positives"], positives, 1),
                "recall_at_5": recall(results[s]["positives"], positives, 5),
                "recall_at_1_thr": recall(results[s]["positives"], positives, 1, thresholds[s]),
            }
            for s in systems
        },
        "misses": {s: misses(results[s]["positives"], positives) for s in systems},
    }
    by_category: dict[str, list[ds.LabelledQuery]] = defaultdict(list)
    for q in hard:
        by_category[q.category].append(q)
    held_out = [q for q in hard if int(q.id.rsplit("-", 1)[1]) > CALIBRATED_PER_CATEGORY]
    report_data["hard"] = {
        "queries": len(hard),
        "held_out": {
            "queries": len(held_out),
            "systems": {s: recall(results[s]["hard"], held_out) for s in systems},
        },
        "counts": {**{c: len(v) for c, v in by_category.items()}, "overall": len(hard)},
        "systems": {
            s: {
                **{c: recall(results[s]["hard"], v) for c, v in by_category.items()},
                "overall": recall(results[s]["hard"], hard),
            }
            for s in systems
        },
        "schema_counts": dict(Counter(q.schema for q in hard)),
        "by_schema": {
            s: {
                schema: recall(results[s]["hard"], [q for q in hard if q.schema == schema])
                for schema in ("Person", "Organization")
            }
            for s in systems
        },
        "misses": {s: misses(results[s]["hard"], hard) for s in systems},
    }
    neg_rows = [
        (f"{s} (sample)", false_positives(results[s]["negatives"], neg_sample, thresholds[s]))
        for s in systems
    ]
    neg_rows.append(
        (
            f"counterflow (all {len(negatives):,})",
            false_positives(results["counterflow"]["negatives_all"], negatives, DEFAULT_THRESHOLD),
        )
    )
    if len(negatives) > CALIBRATION_NEGATIVES:
        neg_rows.append(
            (
                f"counterflow (rows {CALIBRATION_NEGATIVES + 1:,}–{len(negatives):,}, "
                "held out from calibrate.py)",
                false_positives(
                    results["counterflow"]["negatives_all"],
                    negatives[CALIBRATION_NEGATIVES:],
                    DEFAULT_THRESHOLD,
                ),
            )
        )
    if DEFAULT_THRESHOLD != PEER_THRESHOLD:
        neg_rows.append(
            (
                f"counterflow (all {len(negatives):,}) at {PEER_THRESHOLD}",
                false_positives(results["counterflow"]["negatives_all"], negatives, PEER_THRESHOLD),
            )
        )
    for algorithm in full_peer:
        for threshold in (PEER_THRESHOLD, 0.6, 0.5):
            neg_rows.append(
                (
                    f"{algorithm} (all {len(negatives):,})"
                    + ("" if threshold == PEER_THRESHOLD else f" at {threshold}"),
                    false_positives(results[algorithm]["negatives_all"], negatives, threshold),
                )
            )
    if "logic-v2" in results:
        for threshold in (0.5, 0.6):
            neg_rows.append(
                (
                    f"logic-v2 (sample) at {threshold}",
                    false_positives(results["logic-v2"]["negatives"], neg_sample, threshold),
                )
            )
    worst = sorted(
        (
            (max(h[1] for h in hits), qid, hits[0])
            for qid, hits in results["counterflow"]["negatives_all"].items()
            if hits
        ),
        reverse=True,
    )[:25]
    by_id = {q.id: q for q in negatives}
    report_data["negatives"] = {
        "sample_size": len(neg_sample),
        "peer_all": full_peer,
        "rows": neg_rows,
        "counterflow_top_false_alerts": [
            {"score": s, "query": by_id[qid].record.get("full_name"), "hit": hit}
            for s, qid, hit in worst
        ],
    }

    # ---------------------------------------------------------------- pairs
    labels = [p.match for p in pairs]
    pair_systems: dict[str, dict[str, Any]] = {}
    pair_scores: dict[str, list[float]] = {"counterflow": [cf_pairs[p.id].score for p in pairs]}
    pair_pred: dict[str, list[bool]] = {"counterflow": [cf_pairs[p.id].is_match for p in pairs]}
    for algorithm in PEER_ALGORITHMS:
        if algorithm in peer_pairs:
            pair_scores[algorithm] = [peer_pairs[algorithm][p.id] for p in pairs]
            pair_pred[algorithm] = [s >= PEER_THRESHOLD for s in pair_scores[algorithm]]
    for system, predicted in pair_pred.items():
        seconds = (
            cf_pair_seconds
            if system == "counterflow"
            else peer_meta.get(f"{system}:pairs", {}).get("seconds")
        )
        pair_systems[system] = {
            **prf(labels, predicted),
            "threshold": thresholds[system],
            "best": best_f1(labels, pair_scores[system]),
            "pairs_per_second": len(pairs) / seconds if seconds else None,
        }
    by_pair_category: dict[str, dict[str, Any]] = {}
    for category in sorted({p.category for p in pairs}):
        idx = [i for i, p in enumerate(pairs) if p.category == category]
        match = pairs[idx[0]].match
        by_pair_category[category] = {
            "match": match,
            "n": len(idx),
            "systems": {
                s: sum(1 for i in idx if pair_pred[s][i] == match) / len(idx) for s in pair_pred
            },
        }
    report_data["pairs"] = {
        "count": len(pairs),
        "matches": sum(labels),
        "systems": pair_systems,
        "by_category": by_pair_category,
        "errors": {
            s: [
                {**asdict(p), "score": pair_scores[s][i]}
                for i, p in enumerate(pairs)
                if pair_pred[s][i] != p.match
            ][:200]
            for s in pair_pred
        },
    }

    # ---------------------------------------------------------------- speed
    speed_rows: list[dict[str, Any]] = []
    for kind in ("un", "un+ofac+uk", "synthetic"):
        m = measure_in_subprocess(kind, files["speed"], args)
        label = {
            "un": "UN 2026",
            "un+ofac+uk": "UN + OFAC SDN + UK",
            "synthetic": f"synthetic {args.synthetic_size:,} + UN",
        }[kind]
        speed_rows.append({**m, "system": "counterflow", "list": label})
    for algorithm in PEER_ALGORITHMS:
        meta = peer_meta.get(f"{algorithm}:speed")
        if meta:
            speed_rows.append(
                {
                    "system": algorithm,
                    "list": "UN 2026",
                    "entities": meta["candidates"],
                    "qps": meta["qps_per_process"],
                    "maxrss_kib": meta["maxrss_kib"],
                    "build_seconds": meta["load_seconds"],
                }
            )
    report_data["speed"] = {
        "queries": len(speed_mix),
        "peer_queries": min(args.peer_speed_queries, len(speed_mix)),
        "rows": speed_rows,
        "counterflow_in_process": cf_meta,
    }
    report_data["peer_meta"] = peer_meta
    notes.append(
        "Peer load time is shown as its index build time: it has no index, only the candidate "
        "entities parsed into FtM proxies."
    )
    notes.append(
        "Ties at the top: the peer keeps list order, counterflow orders by entity id. "
        "Hard-set queries carry a name and schema only; positives and negatives carry every "
        "column of their CSV (name, birth date, nationality, place of birth, ...), handed to "
        "counterflow as a screen record and to the peer as the equivalent FtM properties."
    )
    notes.append(
        "counterflow keeps a birth-year range as an ISO interval (1960/1965); FtM dates cannot "
        "hold one, so the peer's candidates carry every year of the range instead."
    )
    notes.append(
        "Peer recall and false-positive runs used "
        f"{args.peer_jobs} worker processes; its speed row is one process."
    )
    if "logic-v2" in peer_meta.get("logic-v2:hard", {}).get("algorithm", "logic-v2"):
        hard_meta = peer_meta.get("logic-v2:hard")
        if hard_meta:
            notes.append(
                f"logic-v2 spent {hard_meta['query_seconds_sum']:,.0f} CPU-seconds on the "
                f"{hard_meta['queries']:,} hard queries "
                f"({hard_meta['queries'] / hard_meta['query_seconds_sum']:.1f} queries/s "
                "per process)."
            )
    report_data["notes"] = notes
    text = report(report_data)
    print(text)
    (RESULTS / "screening.md").write_text(text + "\n", encoding="utf-8")
    (RESULTS / "screening.json").write_text(
        json.dumps(report_data, indent=1, ensure_ascii=False, default=str) + "\n", encoding="utf-8"
    )
    log(f"wrote {RESULTS / 'screening.md'} and {RESULTS / 'screening.json'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
