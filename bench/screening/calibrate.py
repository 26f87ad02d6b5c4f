"""Calibrate counterflow's default screening threshold on labelled data.

The threshold trades missed matches against false alarms, so it is read off three curves
measured on data the benchmark builds or holds out, never on the figures it reports:

All generated sets use another seed than run.py, so the benchmark's figures come from other
queries and pairs.

- recall: the derived hard set (typos, swapped and dropped parts, initials, Arabic originals,
  Cyrillic and Russian-style renderings of UN names; see datasets.hard_set), counting a query
  as found when its entity comes first *and* scores at or above the threshold;
- false alarms: the first 20,000 rows of negatives_us.csv (persons on no list), screened
  against the UN list, counted per 1,000 queries;
- pairwise F1: the labelled name pairs of datasets.labelled_pairs.

Run: .venv/bin/python bench/screening/calibrate.py [--thresholds 0.6,0.65,...]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import datasets as ds

from counterflow.screening import Query, Screener, score_pair

DATA = Path(__file__).resolve().parents[3] / "shared" / "data"
CALIBRATION_NEGATIVES = 20_000
#: another seed than the benchmark's, so calibration and reported figures use different queries
CALIBRATION_SEED = ds.SEED + 1


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--thresholds", default="0.6,0.65,0.7,0.75,0.8,0.85,0.9")
    parser.add_argument("--per-category", type=int, default=100)
    args = parser.parse_args()
    thresholds = [float(t) for t in args.thresholds.split(",")]
    un = ds.load_entities(DATA / "lists/un_sc/un_sc_2026-02-27.xml")
    negatives = ds.read_csv(DATA / "screening/negatives_us.csv")
    screener = Screener(un)
    found = []
    for query in ds.hard_set(un, args.per_category, seed=CALIBRATION_SEED):
        matches = screener.screen(
            Query.make(query.name, schema=query.schema), limit=1, threshold=0.0
        )
        hit = bool(matches) and matches[0].entity.id == query.expected
        found.append(matches[0].score if hit else 0.0)
    alarms = []
    for row in negatives[:CALIBRATION_NEGATIVES]:
        matches = screener.screen(Query.from_record(row), limit=1, threshold=0.0)
        alarms.append(matches[0].score if matches else 0.0)
    pairs = [
        (score_pair(p.name1, p.name2, p.schema).score, p.match)
        for p in ds.labelled_pairs(un, negatives, 3000, CALIBRATION_SEED)
    ]
    positives = sum(1 for _, match in pairs if match)
    print(f"{len(found)} hard-set queries, {len(alarms):,} negatives, {len(pairs):,} pairs\n")
    print(
        "| threshold | hard-set recall (first and ≥ threshold) | false alarms / 1,000 | "
        "pairwise F1 |"
    )
    print("|---:|---:|---:|---:|")
    for t in thresholds:
        recall = sum(s >= t for s in found) / len(found)
        false_alarms = 1000 * sum(s >= t for s in alarms) / len(alarms)
        true_pos = sum(1 for s, m in pairs if s >= t and m)
        predicted = sum(1 for s, _ in pairs if s >= t)
        f1 = 2 * true_pos / (predicted + positives)
        print(f"| {t:.2f} | {recall:.3f} | {false_alarms:.2f} | {f1:.3f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
