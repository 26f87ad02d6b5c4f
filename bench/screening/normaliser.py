"""What text normalisation (``counterflow.text.clean_name``, issue 10) costs screening, and what
it buys against hidden characters.

Why: every listed name and every query name goes through the normaliser before it is split into
words, so it sits on the hot path of both the index build and each query. This times both with
the normaliser as shipped (``on``) and with it bypassed (``bypassed``: the pre-issue-10
behaviour, names NFC-normalised and their spaces collapsed, nothing refused), in fresh
processes so that no cache carries over, alternating the two, and reports medians and their
ratio. Times are CPU times of the measuring process (the machines are shared). It also screens
the same queries with one invisible character hidden in a word of each name, to show what the
bypass loses.

Run from the repository root::

    .venv/bin/python bench/screening/normaliser.py                 # UN + OFAC SDN + UK, 3 rounds
    .venv/bin/python bench/screening/normaliser.py --lists un --rounds 1   # a quick look

``--src DIR`` runs an extra ``on`` measurement with ``DIR`` (another checkout's ``src``) first on
the import path, for a before/after across source trees. Nothing is written to the repository.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import subprocess
import sys
import time
import unicodedata
from pathlib import Path
from typing import Any

import datasets as ds

#: invisible characters hidden in the queries of the ``hidden`` mix: one per name
HIDDEN = ("\u200b", "\u200c", "\u200d", "\u2060", "\u00ad", "\u200e", "\ufeff", "\u034f", "\ufe0f")
_NAME_KEYS = ("name", "full_name", "first_name", "middle_name", "last_name")
LIMIT = 5
#: CPU time of this process: the machines are shared, and wall time swings with the neighbours
cpu = time.process_time


def _hide(text: str, rng: random.Random) -> str:
    """One invisible character at a random place inside the longest word of ``text``."""
    words = text.split()
    if not words:
        return text
    longest = max(range(len(words)), key=lambda i: len(words[i]))
    word = words[longest]
    if len(word) < 2:
        return text
    at = rng.randint(1, len(word) - 1)
    words[longest] = word[:at] + rng.choice(HIDDEN) + word[at:]
    return " ".join(words)


def _hidden(record: dict[str, str], rng: random.Random) -> dict[str, str]:
    return {k: _hide(v, rng) if k in _NAME_KEYS else v for k, v in record.items()}


def _bypass() -> None:
    """Screen as before issue 10: no cleaning beyond NFC and spaces, no refusal."""
    import counterflow.screening.names as names
    import counterflow.screening.pairs as pairs
    import counterflow.screening.query as query

    def nfc(text: str) -> str:
        return " ".join((text if text.isascii() else unicodedata.normalize("NFC", text)).split())

    def anything(text: str) -> bool:
        return bool(text)

    names.clean_name = nfc  # type: ignore[attr-defined]
    query.clean_name = nfc  # type: ignore[attr-defined]
    query.has_screenable_text = anything  # type: ignore[attr-defined]
    pairs.clean_name = nfc  # type: ignore[attr-defined]
    pairs.has_screenable_text = anything  # type: ignore[attr-defined]


def measure(args: argparse.Namespace) -> None:
    """One measurement in this fresh process; prints JSON."""
    if args.measure == "bypassed":
        _bypass()
    from counterflow.screening import Query, Screener
    from counterflow.text import clean_name

    paths = [ds.UN_2026] + ([ds.OFAC_SDN, ds.UK_OFSI] if args.lists == "all" else [])
    entities = [e for p in paths for e in ds.load_entities(p)]
    listed = [v.value for e in entities for _, v in e.names()]
    clean_seconds = float("inf")
    for _ in range(5):  # the fastest of five passes: the function's own cost, not the noise
        started = cpu()
        for text in listed:
            clean_name(text)
        clean_seconds = min(clean_seconds, cpu() - started)
    started = cpu()
    screener = Screener(entities)
    build_seconds = cpu() - started

    rows = json.loads(Path(args.queries).read_text())
    result: dict[str, Any] = {
        "mode": args.measure,
        "entities": len(entities),
        "names": len(listed),
        "clean_ns_per_name": 1e9 * clean_seconds / len(listed),
        "non_ascii_share": sum(not t.isascii() for t in listed) / len(listed),
        "build_seconds": build_seconds,
    }
    for mix in ("plain", "hidden"):
        for row in rows[:5]:  # warm-up, untimed
            screener.screen(Query.from_record(row[mix]), limit=5)
        found = labelled = 0
        started = cpu()
        for row in rows:
            matches = screener.screen(Query.from_record(row[mix]), limit=LIMIT)
            if row["expected"]:
                labelled += 1
                found += any(m.entity.id in row["expected"] for m in matches)
        seconds = cpu() - started
        result[mix] = {"qps": len(rows) / seconds, "found": found / labelled}
    print(json.dumps(result))


def _run(mode: str, queries: Path, args: argparse.Namespace, src: str | None = None) -> Any:
    env = dict(os.environ)
    if src:
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [src, env.get("PYTHONPATH")]))
    cmd = [sys.executable, __file__, "--measure", mode, "--queries", str(queries)]
    proc = subprocess.run(
        [*cmd, "--lists", args.lists], capture_output=True, text=True, env=env, check=False
    )
    if proc.returncode != 0:
        raise SystemExit(f"measurement {mode} failed:\n{proc.stderr[-4000:]}")
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    print(
        f"  {mode}{' (' + src + ')' if src else ''}: build {result['build_seconds']:.2f} s, "
        f"{result['plain']['qps']:,.0f} q/s plain, {result['hidden']['qps']:,.0f} q/s hidden, "
        f"clean_name {result['clean_ns_per_name']:,.0f} ns/name",
        file=sys.stderr,
        flush=True,
    )
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lists", choices=("un", "all"), default="all")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--queries-per-kind", type=int, default=500)
    parser.add_argument("--seed", type=int, default=ds.SEED)
    parser.add_argument("--src", help="another source tree to measure as 'on' too")
    parser.add_argument("--measure", choices=("on", "bypassed"), help=argparse.SUPPRESS)
    parser.add_argument("--queries", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure:
        measure(args)
        return 0
    if not ds.UN_2026.exists():
        print(f"real data absent: {ds.UN_2026}", file=sys.stderr)
        return 1

    # the query mix of run.py's speed measurement: UN positives, hard-set variants, negatives
    rng = random.Random(f"{args.seed}:normaliser")
    un = ds.load_entities(ds.UN_2026)
    n = args.queries_per_kind
    positives, _ = ds.positives(un)
    hard = ds.hard_queries(ds.hard_set(un, max(1, n // len(ds.CATEGORIES)), args.seed))
    mix = [
        *rng.sample(positives, min(n, len(positives))),
        *rng.sample(hard, min(n, len(hard))),
        *rng.sample(ds.negatives(), n),
    ]
    rng.shuffle(mix)
    rows = [
        {"plain": q.record, "hidden": _hidden(q.record, rng), "expected": list(q.expected)}
        for q in mix
    ]
    out = ds.ROOT / "bench" / "results" / "screening"
    out.mkdir(parents=True, exist_ok=True)
    queries = out / "normaliser_queries.json"
    queries.write_text(json.dumps(rows, ensure_ascii=False))
    print(f"{len(rows)} queries, lists: {args.lists}, {args.rounds} rounds", file=sys.stderr)

    results: dict[str, list[Any]] = {"on": [], "bypassed": [], "src": []}
    for number in range(args.rounds):
        print(f"round {number + 1}", file=sys.stderr)
        order = ("on", "bypassed") if number % 2 == 0 else ("bypassed", "on")
        for mode in order:
            results[mode].append(_run(mode, queries, args))
        if args.src:
            results["src"].append(_run("on", queries, args, args.src))

    def median(mode: str, *keys: str) -> float:
        values: list[float] = []
        for r in results[mode]:
            for key in keys:
                r = r[key]
            values.append(float(r))
        return statistics.median(values)

    modes = [m for m in ("on", "bypassed", "src") if results[m]]
    first = results["on"][0]
    print(
        f"\n{first['entities']:,} entities, {first['names']:,} names; {len(rows):,} queries; "
        f"median of {args.rounds} fresh processes per mode; a labelled query finds its entry when "
        f"it is among the top {LIMIT} at the default threshold\n"
    )
    print(
        f"clean_name as shipped: {median('on', 'clean_ns_per_name'):,.0f} ns per listed name "
        f"({first['non_ascii_share']:.1%} of them not ASCII)\n"
    )
    print("| | " + " | ".join(modes) + " | on / bypassed |")
    print("|---|" + "---:|" * (len(modes) + 1))
    lines = [
        ("index build, CPU s", ("build_seconds",), "{:.2f}"),
        ("queries per CPU second, plain names", ("plain", "qps"), "{:,.0f}"),
        ("queries per CPU second, a hidden character per name", ("hidden", "qps"), "{:,.0f}"),
        ("labelled queries finding their UN entry, plain", ("plain", "found"), "{:.3f}"),
        ("labelled queries finding it, a hidden character", ("hidden", "found"), "{:.3f}"),
    ]
    for label, keys, form in lines:
        cells = [form.format(median(m, *keys)) for m in modes]
        ratio = median("on", *keys) / median("bypassed", *keys)
        print(f"| {label} | " + " | ".join(cells) + f" | {ratio:.3f} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
