"""Re-screening benchmark: a large customer base against the delta of a new list edition.

Builds a workspace with the UN list's 2024-09-26 and 2026-02-27 editions and a generated
customer base: ordinary names recombined from negatives_us.csv (first names, last names, dates
of birth and nationalities drawn independently) plus a few hundred listed people from
positives_un_untreated.csv, so that there are hits. Then it measures:

- the import (``counterflow customers import``), CSV or Parquet;
- the re-screen from the 2024 edition to the 2026 one (``counterflow rescreen``);
- a full re-screen of the same base for comparison: every customer through
  ``Screener.screen`` against the 2026 edition. Screening a million customers takes about ten
  minutes, so by default a random sample (--sample) is timed and the rate extrapolated; the
  output says so. The sample's hits on the screened entries are also checked against the
  re-screen's (every one must be there).

Run: .venv/bin/python bench/screening/rescreen.py [--customers 1000000] [--listed 300]
     [--sample 20000] [--dir DIR]
"""

from __future__ import annotations

import argparse
import csv
import json
import random
import sys
import tempfile
import time
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from counterflow import Workspace
from counterflow.lists.store import active_editions, import_list, iter_entities
from counterflow.screening import Query, Screener
from counterflow.screening.customers import import_customers, to_query
from counterflow.screening.rescreen import DEFAULT_LIMIT, rescreen

DATA = Path(__file__).resolve().parents[3] / "shared" / "data"
SEED = 12
OLD, NEW = "un_sc/un_sc_2024-09-26.xml", "un_sc/un_sc_2026-02-27.xml"
COLUMNS = ("id", "first_name", "last_name", "full_name", "gender", "date_of_birth", "nationality")


def generate(path: Path, customers: int, listed: int, seed: int) -> None:
    """The customer file: ``customers`` rows, ``listed`` of them listed people."""
    rng = random.Random(seed)
    with (DATA / "screening/negatives_us.csv").open(encoding="utf-8") as f:
        negatives = list(csv.DictReader(f))
    with (DATA / "screening/positives_un_untreated.csv").open(encoding="utf-8") as f:
        positives = list(csv.DictReader(f))
    firsts = [(r["first_name"], r["gender"]) for r in negatives if r["first_name"]]
    lasts = [r["last_name"] for r in negatives if r["last_name"]]
    dates = [r["date_of_birth"] for r in negatives if r["date_of_birth"]]
    countries = [r["nationality"] for r in negatives if r["nationality"]]
    chosen = rng.sample(positives, min(listed, len(positives)))
    slots = set(rng.sample(range(customers), len(chosen)))
    columns: dict[str, list[str | None]] = {c: [] for c in COLUMNS}
    listed_rows = iter(chosen)
    for number in range(customers):
        columns["id"].append(f"C{number:07d}")
        if number in slots:
            row = next(listed_rows)
            values = {
                "first_name": row["first_name"] or None,
                "last_name": row["last_name"] or None,
                "full_name": row["full_name"] or None,
                "gender": row["gender"] or None,
                "date_of_birth": row["date_of_birth"] or None,
                "nationality": row["nationality"] or None,
            }
        else:
            first, gender = rng.choice(firsts)
            values = {
                "first_name": first,
                "last_name": rng.choice(lasts),
                "full_name": None,
                "gender": gender or None,
                "date_of_birth": rng.choice(dates),
                "nationality": rng.choice(countries),
            }
        for column, value in values.items():
            columns[column].append(value)
    pq.write_table(pa.table(columns), path)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=1_000_000)
    parser.add_argument("--listed", type=int, default=300)
    parser.add_argument("--sample", type=int, default=20_000, help="0: screen every customer")
    parser.add_argument("--dir", type=Path, help="work folder (default: a temporary one)")
    parser.add_argument("--seed", type=int, default=SEED)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        folder = args.dir or Path(scratch)
        folder.mkdir(parents=True, exist_ok=True)
        return run(folder, args)


def run(folder: Path, args: argparse.Namespace) -> int:
    ws = Workspace(folder / "ws")
    for edition in (OLD, NEW):
        import_list(ws, DATA / "lists" / edition)
    file = folder / "customers.parquet"
    started = time.perf_counter()
    generate(file, args.customers, args.listed, args.seed)
    print(f"generated {args.customers:,} customers in {time.perf_counter() - started:.1f} s")

    started = time.perf_counter()
    imported = import_customers(ws, file)
    import_seconds = time.perf_counter() - started
    print(f"import: {imported.inserted:,} inserted in {import_seconds:.1f} s")

    started = time.perf_counter()
    report = rescreen(ws, lists=["un-sc"], since="2024-09-26", output=folder / "hits.csv")
    rescreen_seconds = time.perf_counter() - started
    counts = report.counts
    print(
        f"rescreen: {len(report.screened_entries)} entries screened "
        f"({report.deltas[0].added} added, {report.deltas[0].changed} changed, "
        f"{report.deltas[0].removed} removed); {report.candidates:,} customer-entry pairs "
        f"share a key, {report.scored_pairs:,} scored ({report.scored:,} customers), "
        f"{report.confirmed:,} confirmed; hits {counts}; {rescreen_seconds:.1f} s"
    )

    with ws.connect(read_only=True) as conn:
        editions = active_editions(conn)
        entities = [e for ed in editions.values() for e in iter_entities(conn, ed.edition_id)]
        sample_size = args.sample or args.customers
        ids = sorted(random.Random(args.seed).sample(range(args.customers), sample_size))
        wanted = pa.table({"customer_id": [f"C{n:07d}" for n in ids]})
        conn.execute("SELECT 1").fetchall()
        conn.register("wanted", wanted)
        rows = conn.execute(
            "SELECT customer_id, record FROM customers JOIN wanted USING (customer_id)"
        ).fetchall()
    queries: list[Query] = [to_query(str(i), json.loads(r)) for i, r in rows]
    screener = Screener(entities, editions={k: v.label for k, v in editions.items()})
    delta = set(report.screened_entries)
    found = {(h.customer_id, h.entity_id) for h in report.hits if h.status != "lifted"}
    missed = 0
    started = time.perf_counter()
    for query in queries:
        for match in screener.screen(query, limit=DEFAULT_LIMIT):
            if match.entity.id in delta and (query.id, match.entity.id) not in found:
                missed += 1
    full_seconds = time.perf_counter() - started
    rate = len(queries) / full_seconds
    full_estimate = args.customers / rate
    sampled = len(queries) < args.customers
    print(
        f"full re-screen: {len(queries):,} customers in {full_seconds:.1f} s "
        f"({rate:,.0f}/s){' -> extrapolated' if sampled else ''} "
        f"{full_estimate:.0f} s for {args.customers:,}; delta hits missed by rescreen: {missed}"
    )
    print()
    print("| step | customers | time | |")
    print("|---|---:|---:|---|")
    print(f"| import (Parquet) | {args.customers:,} | {import_seconds:.1f} s | |")
    print(
        f"| rescreen UN 2024-09-26 → 2026-02-27 | {args.customers:,} | "
        f"{rescreen_seconds:.1f} s | {len(report.screened_entries)} entries |"
    )
    print(
        f"| full re-screen{' (extrapolated from a sample of ' + format(len(queries), ',') + ')' if sampled else ''} "  # noqa: E501
        f"| {args.customers:,} | {full_estimate:.0f} s | {rate:,.0f} customers/s |"
    )
    print(f"| ratio full / rescreen | | {full_estimate / rescreen_seconds:.1f}× | |")
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
