"""Listed counterparties against large lists (issue 13): one simulated world screened against
the UN list alone, UN + OFAC, and UN + OFAC + UK + EU.

The world's listed-counterparty channel varies the names of the UN ISIL & Al-Qaida entries
(as ``bench/monitoring/run.py`` builds it); its truth labels those counterparties and their
customers. With each set of lists loaded, the ``listed-counterparty`` scenario runs twice:

- *before*: the alert threshold on the name, with what the screener weighs of the party's
  record (``use_evidence = false``: the scenario as it was before issue 13), and exposure
  seeded with every alert;
- *after*: every fact of the record (``use_evidence = true``, the default), and exposure
  seeded with the confirmed hits only (the default).

"Confirmed" counts the alerts at ``confirmed_score`` or above (no analyst decisions here).
Party precision and key-party recall come from :func:`counterflow.monitoring.evaluate.evaluate`.
The rules were tuned on seed 20261129 (the default ``--seed``); report on others (``--seed
11``): the rules are reasons, not fitted to a world.

Run from the repository root (about 10 minutes with the defaults)::

    .venv/bin/python bench/monitoring/listed_four_lists.py --seed 11

Prints a Markdown table; JSON goes to ``bench/results/listed_four_lists.json``.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from counterflow.cli.ingest_cmd import parquet_files
from counterflow.io import atomic_output
from counterflow.lists import store as lists_store
from counterflow.monitoring import run_scenarios
from counterflow.monitoring.evaluate import evaluate
from counterflow.monitoring.scenarios.exposure import EXPOSURE
from counterflow.monitoring.scenarios.listed import LISTED
from counterflow.simulate import TypologyConfig, simulate
from counterflow.transactions import store
from counterflow.workspace import Workspace

ROOT = Path(__file__).resolve().parents[2]
LISTS = ROOT.parent / "shared" / "data" / "lists"
UN = LISTS / "un_sc" / "un_sc_2026-02-27.xml"
OFAC_SDN = LISTS / "ofac_sdn_2021"
OFAC_CONS = LISTS / "ofac_nonsdn_2025"
UK = LISTS / "uk_ofsi_2018" / "sanctionsconlist.csv"
EU = LISTS / "eu_fsf_sample_2018" / "EUSanctionsShort.csv"
OUT = ROOT / "bench" / "results" / "listed_four_lists.json"

#: (label, files added at this step with the list id to file them under, or None)
STEPS: list[tuple[str, list[tuple[Path, str | None]]]] = [
    ("UN", [(UN, None)]),
    ("UN+OFAC", [(OFAC_SDN, None), (OFAC_CONS, "ofac-cons")]),
    ("UN+OFAC+UK+EU", [(UK, None), (EU, None)]),
]


def _world(root: Path, args: argparse.Namespace) -> Workspace:
    """A simulated world whose listed names come from the UN list (as bench/monitoring/run.py
    makes it), loaded as dataset ``world``; the UN list is imported."""
    from counterflow.cli.simulate_cmd import _watchlist

    ws = Workspace(root / "home")
    lists_store.import_list(ws, UN)
    out = root / "world"
    simulate(
        out,
        parties=args.parties,
        days=args.days,
        seed=args.seed,
        watchlist=_watchlist(ws),
        typology_params=TypologyConfig().scaled(args.density),
    )
    store.load_parquet(ws, "world", parquet_files(out), fmt="simulated", source=str(out))
    return ws


def _measure(ws: Workspace, use_evidence: bool) -> dict[str, Any]:
    """Run listed-counterparty then exposure; the figures of both. *Before* seeds exposure
    with every listed-counterparty alert (threshold only, as before issue 13); *after* with
    the confirmed ones (the scenario's default)."""
    started = time.perf_counter()
    run_scenarios(ws, "world", [LISTED], {LISTED.id: {"use_evidence": use_evidence}})
    seeds: list[str] = []
    if not use_evidence:
        with ws.connect(read_only=True) as conn:
            rows = conn.execute(
                "SELECT subject_id FROM alerts WHERE dataset = 'world' AND scenario = ?",
                [LISTED.id],
            ).fetchall()
        seeds = sorted(str(r[0]) for r in rows)
    ran = bool(seeds) or use_evidence  # no seeds given: the scenario would pick the confirmed
    if ran:
        run_scenarios(ws, "world", [EXPOSURE], {EXPOSURE.id: {"seed_parties": seeds}})
    seconds = time.perf_counter() - started
    with ws.connect(read_only=True) as conn:
        scores = {s.typology: s for s in evaluate(conn, "world")}
        facts = conn.execute(
            "SELECT json_extract_string(explanation, '$.facts.confirmed') FROM alerts "
            "WHERE dataset = 'world' AND scenario = ?",
            [LISTED.id],
        ).fetchall()
        exposure = conn.execute(
            "SELECT count(*) FROM alerts WHERE dataset = 'world' AND scenario = ?",
            [EXPOSURE.id],
        ).fetchone()
    listed = scores.get(LISTED.typology)
    return {
        "alerts": listed.alerts if listed else 0,
        "party_precision": listed.party_precision if listed else None,
        "key_recall": listed.key_recall if listed else None,
        "confirmed": sum(1 for (c,) in facts if c and c.startswith("confirmed")),
        "exposure_alerts": exposure[0] if exposure and ran else 0,
        "seconds": round(seconds, 1),
    }


def run(args: argparse.Namespace) -> list[dict[str, Any]]:
    rows = []
    with tempfile.TemporaryDirectory(prefix="counterflow-listed-") as tmp:
        ws = _world(Path(tmp), args)
        for label, files in STEPS:
            for path, list_id in files:
                if path != UN:
                    lists_store.import_list(ws, path, list_id=list_id)
            for use_evidence in (False, True):
                found = _measure(ws, use_evidence)
                found.update(lists=label, rules="after" if use_evidence else "before")
                rows.append(found)
                print(json.dumps(found), file=sys.stderr)
    return rows


def _f(value: float | None) -> str:
    return "–" if value is None else f"{value:.3f}"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--parties", type=int, default=20_000)
    parser.add_argument("--days", type=int, default=90)
    parser.add_argument("--density", type=float, default=10.0)
    parser.add_argument("--seed", type=int, default=20261129)
    args = parser.parse_args()
    rows = run(args)
    print(
        f"\nWorld: {args.parties:,} parties over {args.days} days, density ×{args.density:g}, "
        f"seed {args.seed}.\n"
    )
    print(
        "| lists | rules | alerts | party precision | key-party recall | confirmed alerts "
        "| exposure alerts | seconds |"
    )
    print("|---|---|---:|---:|---:|---:|---:|---:|")
    for r in rows:
        print(
            f"| {r['lists']} | {r['rules']} | {r['alerts']:,} | {_f(r['party_precision'])} "
            f"| {_f(r['key_recall'])} | {r['confirmed']:,} | {r['exposure_alerts']:,} "
            f"| {r['seconds']} |"
        )
    OUT.parent.mkdir(parents=True, exist_ok=True)
    with atomic_output(OUT) as out:
        out.write(json.dumps({"command": " ".join(sys.argv), "rows": rows}, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
