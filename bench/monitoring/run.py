"""Monitoring benchmark (issue 6): detection quality against ground truth, and speed at scale.

Three parts, each optional:

- ``quality``: a simulated world of about 1,000,000 transactions (20,000 parties × 365 days),
  every channel planted ``--density`` times as densely as the default so each typology has
  enough instances to count. The whole pack runs; precision and recall per typology, by
  transaction and by party (``counterflow.monitoring.evaluate``); then the party ranking, by
  rules and by the learned ranker (time and party split), scored by average precision.
- ``amlsim``: the real AMLSim runs in ../shared/data, each alone, the whole pack at its
  **default parameters** (nothing tuned to AMLSim): alerts by scenario, alerted-account
  precision, instance recall of the planted patterns (instances derived from the labelled
  pattern payments: :func:`counterflow.monitoring.evaluate.derived_instances`), then the
  rankings (rules without labels, learned on held-out accounts and the later period) beside
  chance, in-degree, out-degree and PageRank: precision, recall and F1 in the top k (k = the
  labelled positives ranked) and average precision.
- ``speed``: the pack over about 10,000,000 simulated transactions (200,000 parties × 365
  days), wall time and peak memory, against one plain DuckDB scan-and-aggregate of the same
  table in the same run (``GROUP BY payer_party`` with sums and counts).

Run from the repository root::

    .venv/bin/python bench/monitoring/run.py                   # all three: ~10 minutes
    .venv/bin/python bench/monitoring/run.py --parts quality amlsim

Prints Markdown tables; JSON goes to ``bench/results/monitoring.json``.
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

from counterflow.cli.ingest_cmd import parquet_files
from counterflow.engines import open_dataset
from counterflow.io import atomic_output
from counterflow.monitoring import SCENARIOS, run_scenarios
from counterflow.monitoring.evaluate import evaluate, instance_recall
from counterflow.monitoring.risk import (
    RankedParty,
    Ranking,
    average_precision,
    party_features,
    rank_by_rules,
    rank_learned,
)
from counterflow.simulate import TypologyConfig, simulate
from counterflow.transactions import store
from counterflow.transactions.formats.amlsim import AmlsimReader
from counterflow.workspace import Workspace

ROOT = Path(__file__).resolve().parents[2]
SHARED = ROOT.parent / "shared" / "data"
UN = SHARED / "lists" / "un_sc" / "un_sc_2026-02-27.xml"
AMLSIM = SHARED / "transactions" / "amlsim"
OUT = ROOT / "bench" / "results" / "monitoring.json"


def peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _world(root: Path, parties: int, days: int, seed: int, density: float) -> Workspace:
    from counterflow.lists import store as lists_store

    ws = Workspace(root / "home")
    lists_store.import_list(ws, UN)
    out = root / "world"
    from counterflow.cli.simulate_cmd import _watchlist

    simulate(
        out,
        parties=parties,
        days=days,
        seed=seed,
        watchlist=_watchlist(ws),
        typology_params=TypologyConfig().scaled(density),
    )
    store.load_parquet(ws, "world", parquet_files(out), fmt="simulated", source=str(out))
    return ws


def _ranking_scores(ranking: Ranking, positives: set[str]) -> dict[str, Any]:
    ranked = [p.party_id for p in ranking.parties]
    relevant = [p for p in ranked if p in positives]
    k = len(relevant)
    found = sum(1 for p in ranked[:k] if p in positives)
    return {
        "method": ranking.method,
        "ranked": len(ranked),
        "positives": k,
        "precision_at_k": found / k if k else None,
        "recall_at_k": found / k if k else None,
        "f1_at_k": found / k if k else None,
        "average_precision": average_precision(ranking, positives) if k else None,
    }


def _rankings(ws: Workspace, dataset: str, seed: int) -> list[dict[str, Any]]:
    """The rules and learned rankings, beside the simple baselines measured on the same
    parties: chance (a seeded shuffle), in-degree, out-degree and PageRank."""
    with open_dataset(ws, dataset) as (tables, conn):
        labels = conn.execute(
            "SELECT party_id, typology, role FROM party_labels WHERE dataset = ? AND is_suspicious",
            [dataset],
        ).fetchall()
        features = party_features(tables)
        rules = rank_by_rules(features)
        learned = rank_learned(tables, seed=seed)
    positives = {party for party, _, _ in labels}
    parties = features["party"].to_pylist()
    baselines = {
        "chance": list(np.random.default_rng(seed).random(len(parties))),
        "in-degree": features["in_parties"].to_pylist(),
        "out-degree": features["out_parties"].to_pylist(),
        "pagerank": features["pagerank"].to_pylist(),
    }
    rankings = [rules, learned]
    for method, values in baselines.items():
        ranked = [RankedParty(p, float(v), 0) for p, v in zip(parties, values, strict=True)]
        ranked.sort(key=lambda r: (-r.score, r.party_id))
        for rank, party in enumerate(ranked, start=1):
            party.rank = rank
        rankings.append(Ranking(ranked, method))
    out = []
    for ranking in rankings:
        scores = _ranking_scores(ranking, positives)
        scores["typologies"] = _per_typology(ranking, labels, scores["positives"])
        out.append(scores)
    return out


def _per_typology(
    ranking: Ranking, labels: list[tuple[str, str | None, str | None]], k: int
) -> dict[str, dict[str, int]]:
    """Per typology: its labelled parties among those ranked, and how many made the top k."""
    top = {p.party_id for p in ranking.parties[:k]}
    ranked = {p.party_id for p in ranking.parties}
    found: dict[str, dict[str, int]] = {}
    for party, typology, _role in labels:
        if party not in ranked or typology is None:
            continue
        entry = found.setdefault(typology, {"ranked": 0, "in_top_k": 0})
        entry["ranked"] += 1
        entry["in_top_k"] += party in top
    return found


def quality(args: argparse.Namespace) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="counterflow-monitor-") as tmp:
        ws = _world(Path(tmp), args.parties, args.days, args.seed, args.density)
        with ws.connect(read_only=True) as conn:
            transactions = store.get_dataset(conn, "world").counts["transactions"]
        started = time.perf_counter()
        report = run_scenarios(ws, "world", SCENARIOS)
        seconds = time.perf_counter() - started
        with ws.connect(read_only=True) as conn:
            scores = evaluate(conn, "world")
        rankings = _rankings(ws, "world", args.seed)
    print(f"\n### Simulated world: {transactions:,} transactions, density ×{args.density:g}\n")
    print(
        "| typology | alerts | planted tx | tx precision | tx recall | planted parties "
        "| party precision | party recall | key-party recall | instances | found "
        "| instance recall |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for s in scores:
        print(
            f"| {s.typology} | {s.alerts:,} | {s.planted_transactions:,} | {_f(s.tx_precision)} | "
            f"{_f(s.tx_recall)} | {s.planted_parties:,} | {_f(s.party_precision)} | "
            f"{_f(s.party_recall)} | {_f(s.key_recall)} | {s.instances} | "
            f"{s.instances_found} | {_f(s.instance_recall)} |"
        )
    _print_rankings(rankings)
    print("\n| typology | rules: in top k / ranked | learned: in top k / ranked |")
    print("|---|---:|---:|")
    rules_t, learned_t = rankings[0]["typologies"], rankings[1]["typologies"]
    for typology in sorted(set(rules_t) | set(learned_t)):
        cells = []
        for found in (rules_t, learned_t):
            entry = found.get(typology)
            cells.append(f"{entry['in_top_k']} / {entry['ranked']}" if entry else "–")
        print(f"| {typology} | {cells[0]} | {cells[1]} |")
    return {
        "transactions": transactions,
        "density": args.density,
        "pack_seconds": seconds,
        "alerts": report.alerts,
        "per_scenario_seconds": {r.scenario: r.seconds for r in report.runs},
        "typologies": [s.__dict__ for s in scores],
        "rankings": rankings,
    }


def amlsim(args: argparse.Namespace) -> dict[str, Any]:
    """Each shared AMLSim set alone, the whole pack at its default parameters."""
    out: dict[str, Any] = {}
    for name in ("20K_fanin200", "20K_cycle200"):
        with tempfile.TemporaryDirectory(prefix="counterflow-amlsim-") as tmp:
            ws = Workspace(Path(tmp) / "home")
            store.ingest(ws, AMLSIM / name, AmlsimReader(), dataset=name)
            report = run_scenarios(ws, name, SCENARIOS)
            with ws.connect(read_only=True) as conn:
                found = conn.execute(
                    "SELECT a.scenario, count(DISTINCT a.subject_id), "
                    "count(DISTINCT a.subject_id) FILTER (l.is_suspicious) "
                    "FROM alerts a LEFT JOIN party_labels l ON l.dataset = a.dataset "
                    "AND l.party_id = a.subject_id WHERE a.dataset = ? "
                    "GROUP BY a.scenario ORDER BY 1",
                    [name],
                ).fetchall()
                alerted = conn.execute(
                    "SELECT count(DISTINCT a.subject_id), "
                    "count(DISTINCT a.subject_id) FILTER (l.is_suspicious) "
                    "FROM alerts a LEFT JOIN party_labels l ON l.dataset = a.dataset "
                    "AND l.party_id = a.subject_id WHERE a.dataset = ?",
                    [name],
                ).fetchone()
                typology = conn.execute(
                    "SELECT any_value(typology) FROM party_labels WHERE dataset = ? "
                    "AND is_suspicious",
                    [name],
                ).fetchone()[0]
                shape = {typology: [typology]}  # the shape's own scenario is named after it
                every = {typology: [s.id for s in SCENARIOS]}
                own = instance_recall(conn, name, shape)[typology]
                any_alert = instance_recall(conn, name, every)[typology]
            rankings = _rankings(ws, name, args.seed)
        assert alerted is not None
        print(f"\n### AMLSim {name} ({report.alerts:,} alerts, default parameters)\n")
        print("| scenario | alerted accounts | of them labelled fraud |\n|---|---:|---:|")
        for scenario, subjects, fraud in found:
            print(f"| {scenario} | {subjects:,} | {fraud:,} |")
        precision = alerted[1] / alerted[0] if alerted[0] else None
        print(
            f"\nAlerted accounts: {alerted[0]:,}, of them fraud {alerted[1]:,} "
            f"(precision {_f(precision)}). Planted {typology} instances (derived from the "
            f"labelled pattern payments): {any_alert.instances}; found by any alert "
            f"{any_alert.found} (recall {_f(any_alert.recall)}), by {typology} itself "
            f"{own.found} (recall {_f(own.recall)})."
        )
        _print_rankings(rankings)
        out[name] = {
            "alerts": report.alerts,
            "subjects": found,
            "alerted_accounts": alerted[0],
            "alerted_fraud": alerted[1],
            "instances": any_alert.instances,
            "instances_found_any_alert": any_alert.found,
            "instances_found_own_scenario": own.found,
            "rankings": rankings,
        }
    return out


def speed(args: argparse.Namespace) -> dict[str, Any]:
    import duckdb

    with tempfile.TemporaryDirectory(prefix="counterflow-speed-") as tmp:
        ws = _world(Path(tmp), args.speed_parties, 365, args.seed, 1.0)
        with ws.connect(read_only=True) as conn:
            transactions = store.get_dataset(conn, "world").counts["transactions"]
        before = peak_rss_mib()
        started = time.perf_counter()
        report = run_scenarios(ws, "world", SCENARIOS)
        pack = time.perf_counter() - started
        peak = peak_rss_mib()
        conn = duckdb.connect(str(ws.db_path), read_only=True)
        started = time.perf_counter()
        conn.execute(
            "SELECT payer_party, sum(base_amount), count(*), count(DISTINCT beneficiary_party) "
            "FROM transactions WHERE dataset = 'world' GROUP BY payer_party"
        ).fetchall()
        scan = time.perf_counter() - started
        conn.close()
    print(f"\n### Speed: the pack over {transactions:,} transactions\n")
    print("| scenario | seconds |\n|---|---:|")
    for r in report.runs:
        print(f"| {r.scenario} | {r.seconds:.1f} |")
    print(
        f"\nWhole pack: {pack:.1f} s; one DuckDB scan-and-aggregate: {scan:.2f} s "
        f"(pack ÷ scan {pack / scan:.0f}×); peak RSS {peak:,.0f} MiB (before the pack "
        f"{before:,.0f} MiB)."
    )
    return {
        "transactions": transactions,
        "pack_seconds": pack,
        "scan_seconds": scan,
        "ratio": pack / scan,
        "peak_rss_mib": peak,
        "per_scenario_seconds": {r.scenario: r.seconds for r in report.runs},
        "alerts": report.alerts,
    }


def _print_rankings(rankings: list[dict[str, Any]]) -> None:
    print(
        "\n| ranking | parties ranked | positives ranked | P@k = R@k = F1@k | average precision |"
    )
    print("|---|---:|---:|---:|---:|")
    for r in rankings:
        print(
            f"| {r['method']} | {r['ranked']:,} | {r['positives']:,} | {_f(r['precision_at_k'])} "
            f"| {_f(r['average_precision'])} |"
        )


def _f(value: float | None) -> str:
    return "–" if value is None else f"{value:.3f}"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--parts", nargs="+", default=["quality", "amlsim", "speed"])
    parser.add_argument("--parties", type=int, default=20_000)
    parser.add_argument("--days", type=int, default=365)
    parser.add_argument("--density", type=float, default=10.0)
    parser.add_argument("--speed-parties", type=int, default=200_000)
    parser.add_argument("--seed", type=int, default=20261129)
    args = parser.parse_args()
    results: dict[str, Any] = {"command": " ".join(sys.argv)}
    for part in args.parts:
        results[part] = {"quality": quality, "amlsim": amlsim, "speed": speed}[part](args)
    OUT.parent.mkdir(parents=True, exist_ok=True)
    with atomic_output(OUT) as out:
        out.write(json.dumps(results, indent=2, default=str) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
