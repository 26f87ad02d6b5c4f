"""The four-list part of the screening benchmark (issue 12): UN, OFAC, UK and EU loaded at once.

A bank screens against every list it must honour, not the UN list alone, and a matcher that is
quiet on 1,000 UN entries can be noisy on 13,000 entries from four lists. This part measures,
with UN 2026 + OFAC SDN + OFAC non-SDN + UK OFSI + the EU sample loaded and the entries of one
party across lists resolved (:mod:`counterflow.lists.resolve`):

- false hits per 1,000 on the 50,000 negatives, split into rows 1-10,000 (the rows looked at
  while the issue-12 rules were written: ``dev``) and rows 10,001-50,000 (never looked at:
  ``held out``), with the peer on a seeded sample of the held-out rows;
- recall@1 on the untreated positives and on the derived hard set, counting a hit on any
  listing of the expected UN entry's party;
- the labelled pairs of :mod:`pair_sets` (OpenSanctions benchmark style), F1 per split and per
  category, counterflow against the peer;
- queries per second and the whole-process time of ``counterflow screen NAME`` with four lists
  against UN only (:mod:`startup`).
"""

from __future__ import annotations

import random
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Sequence
from dataclasses import asdict
from pathlib import Path
from typing import Any

import datasets as ds
import pair_sets as ps

from counterflow.lists.formats.ftm import write_ftm
from counterflow.lists.resolve import resolve
from counterflow.model import Entity
from counterflow.screening import DEFAULT_THRESHOLD, Query, Screener, score_pair

OFAC_CONS = ds.LISTS / "ofac_nonsdn_2025"
EU_SAMPLE = ds.LISTS / "eu_fsf_sample_2018" / "EUSanctionsShort.csv"
#: negatives rows looked at while the rules were written; the rest are held out
DEV_NEGATIVES = 10_000

Hits = list[tuple[str, float]]
PeerRunner = Callable[..., tuple[Path, dict[str, Any]]]


def load_four() -> list[Entity]:
    """UN 2026, OFAC SDN, OFAC non-SDN (filed as ``ofac-cons``), UK OFSI 2018, EU sample."""
    entities = ds.load_entities(ds.UN_2026) + ds.load_entities(ds.OFAC_SDN)
    entities += [e.moved_to("ofac-cons") for e in ds.load_entities(OFAC_CONS)]
    return entities + ds.load_entities(ds.UK_OFSI) + ds.load_entities(EU_SAMPLE)


def _screen(
    screener: Screener, queries: Sequence[ds.LabelledQuery]
) -> tuple[dict[str, list[tuple[float, set[str]]]], float]:
    """Each query's hits as (score, every listing's entity id), best first; and seconds."""
    out: dict[str, list[tuple[float, set[str]]]] = {}
    started = time.perf_counter()
    for q in queries:
        matches = screener.screen(Query.from_record(q.record), limit=5, threshold=0.0)
        out[q.id] = [(m.score, {lst.entity_id for lst in m.listings}) for m in matches]
    return out, time.perf_counter() - started


def _recall_at_1(
    results: dict[str, list[tuple[float, set[str]]]], queries: Sequence[ds.LabelledQuery]
) -> float:
    found = 0
    for q in queries:
        hits = results.get(q.id, [])
        found += bool(hits) and bool(hits[0][1] & set(q.expected))
    return found / len(queries) if queries else float("nan")


def _recall_tied(
    results: dict[str, list[tuple[float, set[str]]]], queries: Sequence[ds.LabelledQuery]
) -> float:
    """Recall@1 where the expected party scoring as high as the first counts: another list's
    entry of the same person that no rule linked ties with it, and is not a wrong answer."""
    found = 0
    for q in queries:
        hits = results.get(q.id, [])
        found += any(s == hits[0][0] and ids & set(q.expected) for s, ids in hits)
    return found / len(queries) if queries else float("nan")


def _alerts_per_1000(
    results: dict[str, list[tuple[float, set[str]]]],
    queries: Sequence[ds.LabelledQuery],
    threshold: float,
) -> dict[str, float]:
    alerted = sum(1 for q in queries if any(s >= threshold for s, _ in results.get(q.id, [])))
    return {
        "queries": len(queries),
        "alerted": alerted,
        "per_1000": 1000 * alerted / len(queries) if queries else float("nan"),
    }


def _prf(labels: Sequence[bool], predicted: Sequence[bool]) -> dict[str, float]:
    tp = sum(1 for y, p in zip(labels, predicted, strict=True) if y and p)
    fp = sum(1 for y, p in zip(labels, predicted, strict=True) if not y and p)
    fn = sum(1 for y, p in zip(labels, predicted, strict=True) if y and not p)
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"precision": precision, "recall": recall, "f1": f1}


def run(
    *,
    work: Path,
    seed: int,
    quick: bool,
    peer: PeerRunner | None,
    peer_algorithms: Sequence[str],
    peer_threshold: float,
    peer_negatives: int,
    peer_jobs: int,
    fresh_peer: bool,
    log: Callable[[str], None],
) -> dict[str, Any]:
    log("four lists: parsing")
    entities = load_four()
    un = [e for e in entities if e.list_id == "un-sc"]
    started = time.perf_counter()
    screener = Screener(entities)
    build_seconds = time.perf_counter() - started
    started = time.perf_counter()
    resolution = resolve(entities)
    screener.set_clusters(resolution.clusters)
    resolve_seconds = time.perf_counter() - started
    log(f"four lists: {len(entities):,} entries, {resolution.counts()}")

    negatives = ds.negatives()
    positives, _ = ds.positives(un)
    hard = ds.hard_queries(ds.hard_set(un, 200, seed))
    if quick:
        rng = random.Random(f"{seed}:four:quick")
        negatives = negatives[:1000] + rng.sample(negatives[DEV_NEGATIVES:], 2000)
        positives = rng.sample(positives, 100)
        hard = rng.sample(hard, 300)
    dev = [q for q in negatives if int(q.id.split("-")[1]) <= DEV_NEGATIVES]
    held = [q for q in negatives if int(q.id.split("-")[1]) > DEV_NEGATIVES]

    log(f"four lists: counterflow on {len(negatives):,} negatives")
    neg_results, neg_seconds = _screen(screener, negatives)
    log("four lists: positives and hard set")
    pos_results, _ = _screen(screener, positives)
    hard_results, _ = _screen(screener, hard)
    false_alerts = sorted(
        (
            (hits[0][0], q.record.get("full_name", ""), sorted(hits[0][1]))
            for q in negatives
            for hits in [neg_results.get(q.id, [])]
            if hits and hits[0][0] >= DEFAULT_THRESHOLD
        ),
        reverse=True,
    )
    by_category: dict[str, list[ds.LabelledQuery]] = defaultdict(list)
    for q in hard:
        by_category[q.category].append(q)

    # pairs in the OpenSanctions benchmark style
    pairs = ps.os_style_pairs(entities, ds.read_csv(ds.NEGATIVES))
    cf_scores = {p.id: score_pair(p.name1, p.name2, schema=p.schema).score for p in pairs}
    pair_scores: dict[str, dict[str, float]] = {"counterflow": cf_scores}
    thresholds = {"counterflow": DEFAULT_THRESHOLD}

    peer_negatives_result: dict[str, dict[str, float]] = {}
    if peer is not None:
        pairs_file = work / "four_pairs.jsonl"
        ds.write_jsonl(pairs_file, (asdict(p) for p in pairs))
        candidates = work / "four_lists.ftm.jsonl"
        with open(candidates, "w", encoding="utf-8") as fh:
            write_ftm(entities, fh)
        sample = random.Random(f"{seed}:four:peer").sample(held, min(peer_negatives, len(held)))
        sample_file = work / "four_negatives_sample.jsonl"
        ds.write_jsonl(
            sample_file,
            ({**ds.record_to_ftm(q), "record": q.record, "expected": []} for q in sample),
        )
        sample_cf = {q.id: neg_results[q.id] for q in sample}
        peer_negatives_result["counterflow (same sample)"] = _alerts_per_1000(
            sample_cf, sample, DEFAULT_THRESHOLD
        )
        for algorithm in peer_algorithms:
            path, _ = peer(
                algorithm, "pairs", {"pairs": pairs_file}, "four_pairs", fresh=fresh_peer
            )
            pair_scores[algorithm] = {row["id"]: float(row["score"]) for row in ds.read_jsonl(path)}
            thresholds[algorithm] = peer_threshold
            path, _ = peer(
                algorithm,
                "screen",
                {"candidates": candidates, "queries": sample_file},
                "four_negatives",
                jobs=peer_jobs,
                fresh=fresh_peer,
            )
            rows = {row["id"]: row["hits"] for row in ds.read_jsonl(path)}
            alerted = sum(
                1 for q in sample if any(float(h[1]) >= peer_threshold for h in rows.get(q.id, []))
            )
            peer_negatives_result[algorithm] = {
                "queries": len(sample),
                "alerted": alerted,
                "per_1000": 1000 * alerted / len(sample) if sample else float("nan"),
            }

    pair_report: dict[str, Any] = {"count": len(pairs), "systems": {}, "by_category": {}}
    for system, scores in pair_scores.items():
        out = {}
        for split in ("dev", "held", "all"):
            chosen = [p for p in pairs if split == "all" or p.split == split]
            out[split] = {
                **_prf(
                    [p.match for p in chosen], [scores[p.id] >= thresholds[system] for p in chosen]
                ),
                "n": len(chosen),
            }
        pair_report["systems"][system] = out
    for category in sorted({p.category for p in pairs}):
        chosen = [p for p in pairs if p.category == category and p.split == "held"]
        if not chosen:
            continue
        pair_report["by_category"][category] = {
            "match": chosen[0].match,
            "n": len(chosen),
            "systems": {
                s: sum(1 for p in chosen if (scores[p.id] >= thresholds[s]) == p.match)
                / len(chosen)
                for s, scores in pair_scores.items()
            },
        }

    return {
        "entities": len(entities),
        "by_list": dict(Counter(e.list_id for e in entities)),
        "build_seconds": build_seconds,
        "resolve_seconds": resolve_seconds,
        "resolution": resolution.counts(),
        "negatives": {
            "dev": _alerts_per_1000(neg_results, dev, DEFAULT_THRESHOLD),
            "held": _alerts_per_1000(neg_results, held, DEFAULT_THRESHOLD),
            "all": _alerts_per_1000(neg_results, negatives, DEFAULT_THRESHOLD),
            "qps": len(negatives) / neg_seconds if neg_seconds else None,
            "peer_sample": peer_negatives_result,
            "false_alerts": [
                {"score": s, "query": name, "listings": ids} for s, name, ids in false_alerts[:30]
            ],
        },
        "positives": {
            "n": len(positives),
            "recall_at_1": _recall_at_1(pos_results, positives),
            "recall_at_1_tied": _recall_tied(pos_results, positives),
        },
        "hard": {
            "n": len(hard),
            "recall_at_1": _recall_at_1(hard_results, hard),
            "recall_at_1_tied": _recall_tied(hard_results, hard),
            "by_category": {c: _recall_at_1(hard_results, v) for c, v in by_category.items()},
        },
        "pairs": pair_report,
    }


def report(r: dict[str, Any], fmt: Callable[..., str], table: Callable[..., str]) -> list[str]:
    """Markdown lines for the four-list section."""
    neg = r["negatives"]
    out = [
        "## Four lists at once (issue 12)",
        "",
        f"{r['entities']:,} entries ("
        + ", ".join(f"{k} {v:,}" for k, v in sorted(r["by_list"].items()))
        + f"); index built in {r['build_seconds']:.1f} s, parties resolved in "
        f"{r['resolve_seconds']:.1f} s ({r['resolution'].get('parties', 0):,} parties of two "
        "or more listings). A hit counts for the party: any listing of the expected UN entry's "
        "party found first is a hit.",
        "",
        "False alerts on the negatives (a query with any hit at or above 0.70). Rows 1-10,000 "
        "were looked at while the rules were written; rows 10,001-50,000 were not.",
        "",
    ]
    rows = [
        [label, f"{m['queries']:,}", f"{m['alerted']:,}", fmt(m["per_1000"], 2)]
        for label, m in (
            ("counterflow, rows 1-10,000 (dev)", neg["dev"]),
            ("counterflow, rows 10,001-50,000 (held out)", neg["held"]),
            ("counterflow, all", neg["all"]),
        )
    ]
    for system, m in neg["peer_sample"].items():
        rows.append(
            [f"{system}, held-out sample", f"{m['queries']:,}", f"{m['alerted']:,}",
             fmt(m["per_1000"], 2)]
        )  # fmt: skip
    out += [table(["system, rows", "queries", "alerted", "alerts / 1,000"], rows), ""]
    out += [
        f"Recall@1 with four lists: positives {fmt(r['positives']['recall_at_1'])} "
        f"({r['positives']['n']}), hard set {fmt(r['hard']['recall_at_1'])} ({r['hard']['n']}: "
        + ", ".join(f"{c} {fmt(v)}" for c, v in sorted(r["hard"]["by_category"].items()))
        + "). Counting as found an expected party that scores as high as the first (another "
        "list's entry of the same person that no rule linked): positives "
        f"{fmt(r['positives']['recall_at_1_tied'])}, hard set "
        f"{fmt(r['hard']['recall_at_1_tied'])}. "
        f"Queries/s on the negatives, in process: {neg['qps']:,.0f}.",
        "",
        "Labelled pairs in the OpenSanctions benchmark style (bench/screening/pair_sets.py), "
        "F1 at each system's threshold:",
        "",
    ]
    pairs = r["pairs"]
    rows = []
    for system, splits in pairs["systems"].items():
        rows.append(
            [system]
            + [f"{fmt(splits[s]['f1'])} (P {fmt(splits[s]['precision'])}, "
               f"R {fmt(splits[s]['recall'])})" for s in ("dev", "held", "all")]
        )  # fmt: skip
    n = {s: pairs["systems"]["counterflow"][s]["n"] for s in ("dev", "held", "all")}
    out += [
        table(["system", f"dev ({n['dev']})", f"held out ({n['held']})", f"all ({n['all']})"],
              rows),
        "",
        "Held-out pairs per category (share labelled right):",
        "",
    ]  # fmt: skip
    systems = list(pairs["systems"])
    rows = [
        [c, "match" if v["match"] else "non-match", str(v["n"])]
        + [fmt(v["systems"].get(s)) for s in systems]
        for c, v in pairs["by_category"].items()
    ]
    out += [table(["category", "label", "pairs", *systems], rows), ""]
    if neg["false_alerts"]:
        out += ["Counterflow's false alerts on the negatives, highest first:", ""]
        out += [
            f"- {a['score']:.2f} {a['query']} → {', '.join(a['listings'])}"
            for a in neg["false_alerts"][:15]
        ]
        out.append("")
    return out
