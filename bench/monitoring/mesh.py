"""Bipartite and stack layering (issue 13): do the two mesh scenarios find the simulator's
planted meshes at their default parameters, and do they keep quiet on AMLSim?

- ``world``: for each seed, a simulated world built as ``bench/monitoring/run.py`` builds its
  quality world (``--parties`` parties × 365 days, every channel planted ``--density`` times
  as densely), then BIPARTITE and STACK alone at their defaults, scored with
  ``counterflow.monitoring.evaluate``: alerts, party precision, party recall and key-party
  recall (sources for bipartite, intermediaries for stack), transaction precision and recall.
  The defaults were chosen looking at seed 11 only; the other seeds are held out.
- ``amlsim``: AMLSim's 20K_fanin200 and 20K_cycle200 (no bipartite nor stack planted there),
  each alone: the alerts at the defaults, and with the amount floor dropped
  (``min_total_usd = 0``: AMLSim moves USD 100-200 a transfer, so the default floor alone would
  silence the scenarios) and the window widened to AMLSim's pattern periods (20 days). Every
  alert there is a false alarm of its typology; how many name an account AMLSim labels fraud
  (a member of another pattern) is reported beside.
- ``speed`` (not run unless named): the two scenarios over about 10,000,000 simulated
  transactions (``--speed-parties`` parties × 365 days, default density), seconds each and the
  alerts scored, against one plain DuckDB scan-and-aggregate of the same table in the same run.

Run from the repository root::

    .venv/bin/python bench/monitoring/mesh.py                       # ~2 minutes
    .venv/bin/python bench/monitoring/mesh.py --seeds 11 20261129 --parts world
    .venv/bin/python bench/monitoring/mesh.py --parts speed        # ~5 minutes

Prints Markdown tables; JSON goes to ``bench/results/mesh.json``.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from counterflow.io import atomic_output
from counterflow.monitoring import run_scenarios
from counterflow.monitoring.evaluate import evaluate
from counterflow.monitoring.scenarios.mesh import BIPARTITE, STACK
from counterflow.transactions import store
from counterflow.transactions.formats.amlsim import AmlsimReader
from counterflow.workspace import Workspace

sys.path.insert(0, str(Path(__file__).resolve().parent))
from run import AMLSIM, _world  # the quality world of bench/monitoring/run.py

ROOT = Path(__file__).resolve().parents[2]
OUT = ROOT / "bench" / "results" / "mesh.json"
MESH = (BIPARTITE, STACK)
#: AMLSim's scale: USD 100-200 a transfer, patterns spread over 10-20 daily steps
AMLSIM_LOOSE: dict[str, Any] = {"min_total_usd": 0.0, "window_days": 20}


def world(args: argparse.Namespace) -> list[dict[str, Any]]:
    out = []
    for seed in args.seeds:
        with tempfile.TemporaryDirectory(prefix="counterflow-mesh-") as tmp:
            ws = _world(Path(tmp), args.parties, args.days, seed, args.density)
            with ws.connect(read_only=True) as conn:
                transactions = store.get_dataset(conn, "world").counts["transactions"]
            started = time.perf_counter()
            report = run_scenarios(ws, "world", list(MESH))
            seconds = time.perf_counter() - started
            with ws.connect(read_only=True) as conn:
                scores = {s.typology: s for s in evaluate(conn, "world")}
        for scenario in MESH:
            s = scores[scenario.typology]
            out.append(
                {
                    "seed": seed,
                    "parties": args.parties,
                    "transactions": transactions,
                    "scenario": scenario.id,
                    "alerts": s.alerts,
                    "planted_parties": s.planted_parties,
                    "party_precision": s.party_precision,
                    "party_recall": s.party_recall,
                    "key_parties": s.key_parties,
                    "key_found": s.key_found,
                    "key_recall": s.key_recall,
                    "tx_precision": s.tx_precision,
                    "tx_recall": s.tx_recall,
                    "seconds": next(r.seconds for r in report.runs if r.scenario == scenario.id),
                    "both_seconds": seconds,
                }
            )
    print(
        f"\n### Simulated worlds ({args.parties:,} parties × {args.days} days, ×{args.density:g})\n"
    )
    print(
        "| seed | transactions | scenario | alerts | party precision | key-party recall "
        "| party recall | tx precision | tx recall | seconds |"
    )
    print("|---:|---:|---|---:|---:|---:|---:|---:|---:|---:|")
    for r in out:
        print(
            f"| {r['seed']} | {r['transactions']:,} | {r['scenario']} | {r['alerts']:,} "
            f"| {_f(r['party_precision'])} | {_f(r['key_recall'])} ({r['key_found']} of "
            f"{r['key_parties']}) | {_f(r['party_recall'])} | {_f(r['tx_precision'])} "
            f"| {_f(r['tx_recall'])} | {r['seconds']:.1f} |"
        )
    return out


def amlsim(args: argparse.Namespace) -> list[dict[str, Any]]:
    out = []
    for name in ("20K_fanin200", "20K_cycle200"):
        with tempfile.TemporaryDirectory(prefix="counterflow-mesh-amlsim-") as tmp:
            ws = Workspace(Path(tmp) / "home")
            store.ingest(ws, AMLSIM / name, AmlsimReader(), dataset=name)
            for setting, params in (("defaults", {}), ("no floor, 20 days", AMLSIM_LOOSE)):
                run_scenarios(ws, name, list(MESH), {s.id: dict(params) for s in MESH})
                with ws.connect(read_only=True) as conn:
                    rows = conn.execute(
                        "SELECT a.scenario, count(*), count(*) FILTER (l.is_suspicious) "
                        "FROM alerts a LEFT JOIN party_labels l ON l.dataset = a.dataset "
                        "AND l.party_id = a.subject_id WHERE a.dataset = ? "
                        "GROUP BY a.scenario",
                        [name],
                    ).fetchall()
                found = {scenario: (n, fraud) for scenario, n, fraud in rows}
                for scenario in MESH:
                    n, fraud = found.get(scenario.id, (0, 0))
                    out.append(
                        {
                            "dataset": name,
                            "setting": setting,
                            "scenario": scenario.id,
                            "alerts": n,
                            "labelled_fraud": fraud,
                        }
                    )
    print("\n### AMLSim (no bipartite nor stack planted: every alert is a false alarm)\n")
    print("| data set | parameters | scenario | alerts | of them on fraud-labelled accounts |")
    print("|---|---|---|---:|---:|")
    for r in out:
        print(
            f"| {r['dataset']} | {r['setting']} | {r['scenario']} | {r['alerts']:,} "
            f"| {r['labelled_fraud']:,} |"
        )
    return out


def speed(args: argparse.Namespace) -> dict[str, Any]:
    import duckdb

    with tempfile.TemporaryDirectory(prefix="counterflow-mesh-speed-") as tmp:
        ws = _world(Path(tmp), args.speed_parties, 365, args.seeds[-1], 1.0)
        with ws.connect(read_only=True) as conn:
            transactions = store.get_dataset(conn, "world").counts["transactions"]
        report = run_scenarios(ws, "world", list(MESH))
        with ws.connect(read_only=True) as conn:
            scores = {s.typology: s for s in evaluate(conn, "world")}
        conn = duckdb.connect(str(ws.db_path), read_only=True)
        started = time.perf_counter()
        conn.execute(
            "SELECT payer_party, sum(base_amount), count(*), count(DISTINCT beneficiary_party) "
            "FROM transactions WHERE dataset = 'world' GROUP BY payer_party"
        ).fetchall()
        scan = time.perf_counter() - started
        conn.close()
    runs = {r.scenario: r.seconds for r in report.runs}
    print(f"\n### Speed: {transactions:,} transactions (seed {args.seeds[-1]})\n")
    print("| scenario | seconds | alerts | party precision | key-party recall |")
    print("|---|---:|---:|---:|---:|")
    for scenario in MESH:
        s = scores[scenario.typology]
        print(
            f"| {scenario.id} | {runs[scenario.id]:.1f} | {s.alerts:,} | {_f(s.party_precision)} "
            f"| {_f(s.key_recall)} ({s.key_found} of {s.key_parties}) |"
        )
    print(f"\nOne DuckDB scan-and-aggregate of the same table: {scan:.2f} s.")
    return {
        "transactions": transactions,
        "seed": args.seeds[-1],
        "seconds": runs,
        "scan_seconds": scan,
        "typologies": {t: scores[t].__dict__ for t in (s.typology for s in MESH) if t in scores},
    }


def _f(value: float | None) -> str:
    return "–" if value is None else f"{value:.3f}"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--parts", nargs="+", default=["world", "amlsim"])
    parser.add_argument("--seeds", nargs="+", type=int, default=[11, 20261129, 3])
    parser.add_argument("--parties", type=int, default=20_000)
    parser.add_argument("--days", type=int, default=365)
    parser.add_argument("--density", type=float, default=10.0)
    parser.add_argument("--speed-parties", type=int, default=200_000)
    args = parser.parse_args()
    results: dict[str, Any] = {"command": " ".join(sys.argv)}
    for part in args.parts:
        parts = {"world": world, "amlsim": amlsim, "speed": speed}
        results[part] = parts[part](args)
    OUT.parent.mkdir(parents=True, exist_ok=True)
    with atomic_output(OUT) as out:
        out.write(json.dumps(results, indent=2, default=str) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
