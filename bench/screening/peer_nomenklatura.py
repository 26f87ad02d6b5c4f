"""Score the benchmark's queries and pairs with OpenSanctions' matchers (the peer).

Why a separate script: nomenklatura pins ``duckdb<2`` and builds PyICU, so it lives in its own
virtual environment (``bench/.venv-peer``, made by ``setup_peer.sh``) and cannot import
counterflow. ``run.py`` hands it plain files instead: candidates as FollowTheMoney entity JSON
lines (written by counterflow's ``write_ftm``), queries as FtM-shaped JSON lines, pairs as
JSON lines, and reads back JSON lines.

How it scores: exactly the library calls yente makes per candidate, with no search index in
front, i.e. brute force over every candidate as yente's own tests do without Elasticsearch::

    algorithm = nomenklatura.matching.get_algorithm("logic-v2")   # or "name-based"
    config = algorithm.default_config()                           # a ScoringConfig
    algorithm.compare(query_proxy, candidate_proxy, config).score

Neither algorithm carries a match threshold in nomenklatura 4.17.4 (``grep -rn threshold
nomenklatura/matching`` finds none for them); the 0.7 used with logic-v2 is yente's
``SCORE_THRESHOLD = 0.70`` in ``yente/settings.py``, the cut-off behind ``match: true`` in
yente's ``/match`` responses. ``info`` prints the versions and where the code was found.

Commands (all write JSON lines; ``screen`` also writes ``OUT.meta.json`` with timings)::

    peer_nomenklatura.py screen --candidates C.ftm.jsonl --queries Q.jsonl --algorithm A
                                --out OUT.jsonl [--limit 5] [--jobs N]
    peer_nomenklatura.py pairs  --pairs P.jsonl --algorithm A --out OUT.jsonl
    peer_nomenklatura.py info
"""

from __future__ import annotations

import argparse
import heapq
import json
import multiprocessing
import resource
import sys
import time
from collections.abc import Iterable, Iterator
from importlib.metadata import version
from pathlib import Path
from typing import Any

from followthemoney import EntityProxy, model
from nomenklatura.matching import get_algorithm
from nomenklatura.matching.types import ScoringAlgorithm, ScoringConfig

#: set in the parent before the worker pool forks, shared copy-on-write with the workers
_STATE: dict[str, Any] = {}
MAX_RANGE_YEARS = 30


def _algorithm(name: str) -> tuple[type[ScoringAlgorithm], ScoringConfig]:
    algorithm = get_algorithm(name)
    if algorithm is None:
        raise SystemExit(f"nomenklatura has no algorithm {name!r}")
    return algorithm, algorithm.default_config()


def _years(value: str) -> list[str]:
    """counterflow keeps a range of years as an ISO interval ("1960/1965"); FtM dates cannot
    hold one, so the peer gets every year of it, as OpenSanctions publishes such ranges."""
    start, _, end = value.partition("/")
    first, last = int(start[:4]), int(end[:4])
    if last < first or last - first > MAX_RANGE_YEARS:
        return [start]
    return [str(year) for year in range(first, last + 1)]


def _proxy(data: dict[str, Any]) -> EntityProxy | None:
    schema = model.get(str(data.get("schema", "")))
    if schema is None or not schema.matchable:
        return None  # Sanction records and other satellites of the listed party
    props = dict(data.get("properties") or {})
    for prop in ("birthDate", "deathDate", "incorporationDate"):
        if prop in props:
            values: list[str] = []
            for value in props[prop]:
                values.extend(_years(value) if "/" in str(value) else [str(value)])
            props[prop] = values
    return model.get_proxy(
        {"id": data["id"], "schema": schema.name, "properties": props}, cleaned=False
    )


def _read_jsonl(path: Path) -> Iterator[dict[str, Any]]:
    with open(path, encoding="utf-8") as fh:
        for line in fh:
            if line.strip():
                yield json.loads(line)


def load_candidates(path: Path) -> list[EntityProxy]:
    out = []
    for data in _read_jsonl(path):
        proxy = _proxy(data)
        if proxy is not None:
            out.append(proxy)
    return out


def _top(query: EntityProxy, limit: int) -> list[tuple[str, float]]:
    algorithm, config = _STATE["algorithm"]
    scored = (
        (algorithm.compare(query, candidate, config).score, -index, candidate.id)
        for index, candidate in enumerate(_STATE["candidates"])
    )
    best = heapq.nlargest(limit, scored)
    return [(str(entity_id), round(score, 6)) for score, _, entity_id in best]


def _screen_one(data: dict[str, Any]) -> dict[str, Any]:
    query = _proxy(data)
    started = time.perf_counter()
    hits = _top(query, _STATE["limit"]) if query is not None else []
    return {"id": data["id"], "hits": hits, "seconds": time.perf_counter() - started}


def screen(args: argparse.Namespace) -> int:
    started = time.perf_counter()
    _STATE["candidates"] = load_candidates(args.candidates)
    _STATE["algorithm"] = _algorithm(args.algorithm)
    _STATE["limit"] = args.limit
    load_seconds = time.perf_counter() - started
    queries = list(_read_jsonl(args.queries))
    # untimed first queries, one per schema: the first person or organisation compare loads
    # rigour's name data (seconds), which workers then share after the fork
    warm = time.perf_counter()
    for schema in sorted({str(q.get("schema")) for q in queries}):
        _screen_one(next(q for q in queries if q.get("schema") == schema))
    warmup_seconds = time.perf_counter() - warm
    wall = time.perf_counter()
    results: Iterable[dict[str, Any]]
    if args.jobs > 1 and len(queries) > 1:
        pool = multiprocessing.get_context("fork").Pool(args.jobs)
        results = pool.imap(_screen_one, queries, chunksize=4)
    else:
        pool = None
        results = map(_screen_one, queries)
    per_query = 0.0
    args.out.parent.mkdir(parents=True, exist_ok=True)
    with open(args.out, "w", encoding="utf-8") as fh:
        for result in results:
            per_query += result["seconds"]
            fh.write(json.dumps(result, ensure_ascii=False) + "\n")
    if pool is not None:
        pool.close()
        pool.join()
    wall_seconds = time.perf_counter() - wall
    meta = {
        "algorithm": args.algorithm,
        "candidates": len(_STATE["candidates"]),
        "queries": len(queries),
        "jobs": args.jobs,
        "load_seconds": load_seconds,
        "warmup_seconds": warmup_seconds,
        "wall_seconds": wall_seconds,
        "query_seconds_sum": per_query,
        "qps_per_process": len(queries) / per_query if per_query else None,
        "maxrss_kib": max(
            resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
            resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss,
        ),
        **versions(),
    }
    Path(f"{args.out}.meta.json").write_text(json.dumps(meta, indent=2) + "\n")
    print(json.dumps(meta))
    return 0


def pairs(args: argparse.Namespace) -> int:
    algorithm, config = _algorithm(args.algorithm)
    started = time.perf_counter()
    count = 0
    args.out.parent.mkdir(parents=True, exist_ok=True)
    with open(args.out, "w", encoding="utf-8") as fh:
        for data in _read_jsonl(args.pairs):
            schema = data.get("schema") or "LegalEntity"
            left = model.make_entity(schema)
            left.id = f"{data['id']}-1"
            left.add("name", data["name1"])
            right = model.make_entity(schema)
            right.id = f"{data['id']}-2"
            right.add("name", data["name2"])
            score = algorithm.compare(left, right, config).score
            fh.write(json.dumps({"id": data["id"], "score": round(score, 6)}) + "\n")
            count += 1
    seconds = time.perf_counter() - started
    meta = {"algorithm": args.algorithm, "pairs": count, "seconds": seconds, **versions()}
    Path(f"{args.out}.meta.json").write_text(json.dumps(meta, indent=2) + "\n")
    print(json.dumps(meta))
    return 0


def versions() -> dict[str, str]:
    return {
        "nomenklatura": version("nomenklatura"),
        "followthemoney": version("followthemoney"),
        "rigour": version("rigour"),
        "python": sys.version.split()[0],
    }


def info(_: argparse.Namespace) -> int:
    import nomenklatura.matching.logic_v2.model as logic_v2
    import nomenklatura.matching.name_based.model as name_based

    print(
        json.dumps(
            {
                **versions(),
                "logic-v2": logic_v2.__file__,
                "name-based": name_based.__file__,
                "threshold": "none in nomenklatura; 0.7 is yente/settings.py SCORE_THRESHOLD",
            },
            indent=2,
        )
    )
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    s = sub.add_parser("screen", help="top hits per query, brute force over all candidates")
    s.add_argument("--candidates", type=Path, required=True)
    s.add_argument("--queries", type=Path, required=True)
    s.add_argument("--algorithm", required=True)
    s.add_argument("--out", type=Path, required=True)
    s.add_argument("--limit", type=int, default=5)
    s.add_argument("--jobs", type=int, default=1, help="worker processes (1: single process)")
    s.set_defaults(func=screen)
    p = sub.add_parser("pairs", help="one score per name pair")
    p.add_argument("--pairs", type=Path, required=True)
    p.add_argument("--algorithm", required=True)
    p.add_argument("--out", type=Path, required=True)
    p.set_defaults(func=pairs)
    i = sub.add_parser("info", help="versions and where the algorithms live")
    i.set_defaults(func=info)
    args = parser.parse_args(argv)
    return int(args.func(args))


if __name__ == "__main__":
    sys.exit(main())
