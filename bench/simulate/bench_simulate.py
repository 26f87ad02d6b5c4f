"""Time the simulator (issue 5): about 10 million transactions, wall time, rows/s, peak memory.

Why: the simulator must write a year of a mid-sized bank's transactions (10,000,000 rows) in
under three minutes on this 2-core machine with bounded memory, so that monitoring scenarios
can be measured at scale. The run writes into a temporary folder (deleted afterwards unless
``--out`` is given) and reports:

  - wall time of ``simulate`` and transactions per second;
  - peak resident memory of the process (``resource.getrusage``; psutil is not a dependency);
  - what was written: parties, accounts, transactions, planted transactions, parts, bytes;
  - the time to the first part and the slowest gap between parts (from the progress callback),
    which shows whether the windows stay even;
  - unless ``--no-workspace``: the time to load the world into a fresh workspace as a dataset
    (``counterflow.transactions.store.load_parquet``, what ``counterflow ingest`` does with a
    ``counterflow-parquet`` folder), since the issue's budget covers Parquet plus workspace.

Run from the repository root::

    .venv/bin/python bench/simulate/bench_simulate.py            # 200,000 parties × 365 days
    .venv/bin/python bench/simulate/bench_simulate.py --quick    # 20,000 parties × 365 days

It prints a Markdown table and writes the figures as JSON to ``bench/results/simulate.json``
(``--json`` elsewhere).
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import platform
import resource
import shutil
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from counterflow.simulate import estimate_transactions, simulate

HERE = Path(__file__).resolve().parent
TARGET_SECONDS = 180.0


def peak_rss_mib() -> float:
    """Peak resident set size of this process so far (Linux reports KiB, macOS bytes)."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / (1024 * 1024) if sys.platform == "darwin" else peak / 1024


def folder_bytes(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())


def load_into_workspace(out: Path, home: Path) -> float:
    """Seconds to load the written world into a fresh workspace as one dataset."""
    from counterflow.transactions.store import load_parquet
    from counterflow.workspace import Workspace

    files = {
        "parties": [out / "parties.parquet"],
        "accounts": [out / "accounts.parquet"],
        "party_labels": [out / "party_labels.parquet"],
        "transactions": sorted((out / "transactions").glob("part-*.parquet")),
    }
    started = time.perf_counter()
    load_parquet(Workspace(home), "simulated", files, fmt="counterflow-parquet", source=str(out))
    return time.perf_counter() - started


def run(parties: int, days: int, seed: int, out: Path) -> dict[str, Any]:
    """One simulation, timed."""
    stamps: list[tuple[float, int]] = []
    started = time.perf_counter()

    def progress(rows: int) -> None:
        stamps.append((time.perf_counter() - started, rows))

    rss_before = peak_rss_mib()
    summary = simulate(out, parties=parties, days=days, seed=seed, progress=progress)
    wall = time.perf_counter() - started
    gaps = [b[0] - a[0] for a, b in itertools.pairwise(stamps)]
    return {
        "parties": parties,
        "days": days,
        "seed": seed,
        "estimated_transactions": estimate_transactions(parties, days),
        "transactions": summary.transactions,
        "planted_transactions": summary.suspicious_transactions,
        "accounts": summary.accounts,
        "parts": summary.parts,
        "bytes": folder_bytes(out),
        "wall_seconds": round(wall, 2),
        "transactions_per_second": round(summary.transactions / wall),
        "first_part_seconds": round(stamps[0][0], 2) if stamps else None,
        "slowest_part_gap_seconds": round(max(gaps), 2) if gaps else None,
        "peak_rss_mib_before": round(rss_before, 1),
        "peak_rss_mib": round(peak_rss_mib(), 1),  # simulate alone
        "under_target": wall < TARGET_SECONDS,
    }


def table(result: dict[str, Any]) -> str:
    load = result.get("workspace_load_seconds")
    lines = [
        "| parties × days | transactions | planted | parts | size (MiB) | simulate (s) | "
        "transactions/s | + workspace load (s) | peak RSS of simulate (MiB) | < 3 min |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---|",
        f"| {result['parties']:,} × {result['days']} | {result['transactions']:,} | "
        f"{result['planted_transactions']:,} | {result['parts']} | "
        f"{result['bytes'] / 2**20:,.0f} | {result['wall_seconds']:.1f} | "
        f"{result['transactions_per_second']:,} | "
        f"{'—' if load is None else f'{load:.1f}'} | {result['peak_rss_mib']:,.0f} | "
        f"{'yes' if result['under_target'] else 'NO'} |",
    ]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="20,000 parties (about 1M rows)")
    parser.add_argument("--parties", type=int, default=None)
    parser.add_argument("--days", type=int, default=365)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--out", type=Path, default=None, help="keep the world here")
    parser.add_argument("--json", type=Path, default=HERE.parent / "results" / "simulate.json")
    parser.add_argument(
        "--no-workspace", action="store_true", help="skip loading the world into a workspace"
    )
    args = parser.parse_args()
    parties = args.parties or (20_000 if args.quick else 200_000)

    scratch = Path(tempfile.mkdtemp(prefix="bench-simulate-"))
    out = args.out or scratch / "world"
    try:
        result = run(parties, args.days, args.seed, out)
        if not args.no_workspace:
            seconds = load_into_workspace(out, scratch / "home")
            result["workspace_load_seconds"] = round(seconds, 2)
            result["total_seconds"] = round(result["wall_seconds"] + seconds, 2)
            result["under_target"] = result["total_seconds"] < TARGET_SECONDS
            result["peak_rss_mib_with_workspace_load"] = round(peak_rss_mib(), 1)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    result["machine"] = {
        "python": platform.python_version(),
        "platform": platform.platform(),
        "cpus": os.cpu_count(),
    }
    result["measured_at"] = datetime.now(UTC).isoformat(timespec="seconds")
    print(table(result))
    args.json.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    print(f"\nfigures written to {args.json}")


if __name__ == "__main__":
    main()
