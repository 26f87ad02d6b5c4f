"""Time list imports on the real files, next to a bare read of the same bytes.

For every list file in ../shared/data/lists this measures, as the median of --repeat runs:
  - baseline: the bare read a parser cannot avoid (XML tree build with defusedxml; csv.reader
    over every file of the set);
  - parse: counterflow's parser, every entity built;
  - import: parse plus storing the edition in a fresh DuckDB workspace (one transaction).
It prints a Markdown table with entities per second and the ratio of import to baseline.
"""

from __future__ import annotations

import argparse
import csv
import io
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path

from defusedxml import ElementTree as SafeET

from counterflow.lists.registry import detect
from counterflow.lists.store import import_list
from counterflow.workspace import Workspace

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT.parent / "shared" / "data" / "lists"
CASES = [
    ("UN SC 2026-02-27", "un_sc/un_sc_2026-02-27.xml"),
    ("UN SC 2024-09-26", "un_sc/un_sc_2024-09-26.xml"),
    ("OFAC SDN 2021 (CSV set)", "ofac_sdn_2021"),
    ("OFAC non-SDN 2025 (CSV set)", "ofac_nonsdn_2025/cons_prim.csv"),
    ("UK OFSI 2018 (CSV)", "uk_ofsi_2018/sanctionsconlist.csv"),
    ("EU FSF 2018 sample (CSV)", "eu_fsf_sample_2018/EUSanctionsShort.csv"),
]


def median_seconds(run: Callable[[], object], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        run()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def bare_read(path: Path, files: list[Path]) -> None:
    if path.suffix.lower() == ".xml":
        SafeET.parse(str(path))
        return
    for file in files:
        text = file.read_bytes().decode("cp1252", errors="replace")
        for _ in csv.reader(io.StringIO(text)):
            pass


def fresh_import(path: Path) -> None:
    with tempfile.TemporaryDirectory() as home:
        import_list(Workspace(home), path)


def measure(label: str, path: Path, repeat: int) -> str:
    """One Markdown table row for one list file."""
    list_parser = detect(path)
    parsed = list_parser.parse(path)
    files = list(parsed.files)
    count = sum(1 for _ in parsed.entities)
    baseline = median_seconds(partial(bare_read, path, files), repeat)
    parse = median_seconds(lambda: list(list_parser.parse(path).entities), repeat)
    imported = median_seconds(partial(fresh_import, path), repeat)
    return (
        f"| {label} | {count:,} | {baseline:.3f} | {parse:.3f} | {imported:.3f} | "
        f"{count / imported:,.0f} | {imported / baseline:.1f}× |"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5, help="runs per measurement")
    args = parser.parse_args()
    if not DATA.is_dir():
        print(f"real data folder {DATA} is absent", file=sys.stderr)
        return 1
    print(
        "| list | entities | baseline read (s) | parse (s) | import (s) | "
        "import entities/s | import ÷ baseline |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|")
    for label, relative in CASES:
        print(measure(label, DATA / relative, args.repeat))
    return 0


if __name__ == "__main__":
    sys.exit(main())
