"""Whole-process start-up of ``counterflow screen NAME`` with four lists against the UN list alone.

A single screen is start-up plus one query, and start-up was the screener: with the UN, OFAC
SDN, OFAC non-SDN, UK and EU lists loaded (12,620 entries, 31,509 names) it took 5.3 s against
1.5-2.1 s with the UN list alone. The persisted screening index (docs/screening.md, "Persisted
index") is meant to bring the two together; this benchmark measures how close they are.

It builds two workspaces from ../shared/data/lists with the ordinary CLI (so each import writes
its index as a user's would): one with the UN list alone, one with the UN 2026 list, OFAC SDN
2021, OFAC non-SDN 2025 (as ``ofac-cons``), UK OFSI 2018 and the EU sample, screens once in each
to warm the file cache, then runs ``counterflow --home H screen NAME`` ``--runs`` times in each,
alternating, and prints the medians of the wall times and their ratio as JSON. With
``--without-index`` it measures the same again with the index file's name taken by a folder, so
every run builds in memory as before the index existed (the "before" of the comparison).

Run: .venv/bin/python bench/screening/startup.py [--runs 7] [--name "Joseph Kony"] [--keep DIR]
                                                 [--without-index]
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT.parent / "shared" / "data" / "lists"
CLI = ROOT / ".venv" / "bin" / "counterflow"
INDEX = "screening-index.bin"

#: (path under shared/data/lists, extra import options)
UN_ONLY: tuple[tuple[str, tuple[str, ...]], ...] = (("un_sc/un_sc_2026-02-27.xml", ()),)
FOUR_LISTS: tuple[tuple[str, tuple[str, ...]], ...] = (
    *UN_ONLY,
    ("ofac_sdn_2021", ()),
    ("ofac_nonsdn_2025", ("--list-id", "ofac-cons")),
    ("uk_ofsi_2018/sanctionsconlist.csv", ()),
    ("eu_fsf_sample_2018/EUSanctionsShort.csv", ()),
)


def _run(args: Sequence[str]) -> float:
    """Wall time of one whole process, in seconds; a failure stops the benchmark."""
    started = time.perf_counter()
    done = subprocess.run(args, capture_output=True, text=True, check=False)
    seconds = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(args)} failed ({done.returncode}):\n{done.stderr}")
    return seconds


def build_workspace(home: Path, lists: Sequence[tuple[str, Sequence[str]]]) -> Path:
    """A workspace with ``lists`` imported through the CLI (unless it already has them)."""
    if (home / "counterflow.duckdb").exists():
        return home
    for path, options in lists:
        _run([str(CLI), "--home", str(home), "lists", "import", str(DATA / path), *options])
    return home


def measure_startup(
    four_lists: Path,
    un_only: Path,
    *,
    name: str = "Joseph Kony",
    runs: int = 7,
    cli: Path = CLI,
) -> dict[str, Any]:
    """Median wall time of ``counterflow --home H screen NAME`` in two ready workspaces
    (``runs`` each, alternating, after one warm-up each) and their ratio, four lists ÷ UN."""
    command = [str(cli), "--home", "{home}", "screen", name]

    rebuilt = 0

    def once(home: Path) -> float:
        nonlocal rebuilt
        before = _stamp(home / INDEX)
        seconds = _run([part.format(home=home) for part in command])
        rebuilt += before != _stamp(home / INDEX)
        return seconds

    once(four_lists)
    once(un_only)
    rebuilt = 0
    four: list[float] = []
    un: list[float] = []
    for _ in range(runs):
        four.append(once(four_lists))
        un.append(once(un_only))
    four_median = statistics.median(four)
    un_median = statistics.median(un)
    return {
        "command": f"counterflow --home H screen {name!r}",
        "runs": runs,
        "four_lists_seconds": round(four_median, 3),
        "un_only_seconds": round(un_median, 3),
        "ratio": round(four_median / un_median, 3),
        "four_lists_all": [round(s, 3) for s in four],
        "un_only_all": [round(s, 3) for s in un],
        "index_bytes": {
            "four_lists": _size(four_lists / INDEX),
            "un_only": _size(un_only / INDEX),
        },
        # a timed run that rewrote the index (the matcher's code changed under it) built
        "runs_that_rebuilt": rebuilt,
    }


def _size(path: Path) -> int | None:
    return path.stat().st_size if path.is_file() else None


def _stamp(path: Path) -> int | None:
    return path.stat().st_mtime_ns if path.exists() else None


@contextmanager
def without_index(*homes: Path) -> Iterator[None]:
    """The workspaces as if the index did not exist: its file set aside and its name taken by
    a folder, so every screen builds in memory and cannot save. Put back afterwards."""
    for home in homes:
        if (home / INDEX).is_file():
            (home / INDEX).rename(home / f"{INDEX}.aside")
        (home / INDEX).mkdir(exist_ok=True)
    try:
        yield
    finally:
        for home in homes:
            (home / INDEX).rmdir()
            if (home / f"{INDEX}.aside").exists():
                (home / f"{INDEX}.aside").rename(home / INDEX)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--name", default="Joseph Kony")
    parser.add_argument(
        "--keep", type=Path, help="Build (or reuse) the two workspaces in this folder."
    )
    parser.add_argument(
        "--without-index",
        action="store_true",
        help="Also measure every run building in memory, as before the persisted index.",
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="counterflow-startup-") as scratch:
        folder = args.keep or Path(scratch)
        four = build_workspace(folder / "four-lists", FOUR_LISTS)
        un = build_workspace(folder / "un-only", UN_ONLY)
        result = measure_startup(four, un, name=args.name, runs=args.runs)
        if args.without_index:
            with without_index(four, un):
                result["without_index"] = measure_startup(four, un, name=args.name, runs=args.runs)
    json.dump(result, sys.stdout, indent=2)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
