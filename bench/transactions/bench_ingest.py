"""Import speed of ``counterflow ingest``: rows per second per format, against a bare DuckDB scan.

Why a DuckDB scan as the yardstick: it is the least any import must do (read and parse every
byte), done by a vectorised C++ reader, so the ratio shows what counterflow's row-level
checking costs on the same machine in the same run, whatever the machine's speed.

Inputs:
- the real AMLSim runs in ../shared/data (graph layout, 118,250 transactions each);
- synthetic files written here, of ``--rows`` rows (default 500,000), in the AMLworld layout and
  as a bank export with a column mapping, seeded so every run reads the same bytes;
- a folder of canonical Parquet files (the same rows), loaded by DuckDB directly; its yardstick
  is a bare copy of the same files into a fresh DuckDB file.

Run from the repository root::

    .venv/bin/python bench/transactions/bench_ingest.py [--rows 500000] [--repeat 3]

Prints a Markdown table; nothing is written into the repository (temporary folders only).
"""

from __future__ import annotations

import argparse
import csv
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import duckdb

from counterflow.transactions import store
from counterflow.transactions.formats.amlsim import AmlsimReader
from counterflow.transactions.formats.amlworld import HEADER, AmlworldReader
from counterflow.transactions.formats.base import TransactionReader
from counterflow.transactions.formats.tabular import ColumnMapping, TableReader
from counterflow.workspace import Workspace

ROOT = Path(__file__).resolve().parents[2]
AMLSIM = ROOT.parent / "shared" / "data" / "transactions" / "amlsim"
SEED = 20261129
FORMATS = ("ACH", "Wire", "Cheque", "Credit Card", "Cash", "Reinvestment", "Bitcoin")
CURRENCIES = ("US Dollar", "Euro", "UK Pound", "Yuan", "Rupee")
MAPPING = """
[transactions]
tx_id = "ref"
timestamp = "booked"
amount = "amount"
currency = "ccy"
payer_account = "from_iban"
payer_name = "from_name"
beneficiary_account = "to_iban"
beneficiary_name = "to_name"
channel = "type"
remittance_text = "details"
[channels]
"SEPA" = "wire"
"ATM" = "cash"
"""


def write_amlworld(path: Path, rows: int) -> None:
    rng = random.Random(SEED)
    start = datetime(2022, 9, 1, tzinfo=UTC)
    accounts = [f"{rng.getrandbits(36):09X}" for _ in range(max(rows // 10, 10))]
    with open(path, "w", encoding="utf-8", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(HEADER)
        for i in range(rows):
            when = start + timedelta(seconds=i * 7)
            amount = f"{rng.lognormvariate(6, 1.5):.2f}"
            currency = rng.choice(CURRENCIES)
            writer.writerow(
                [
                    when.strftime("%Y/%m/%d %H:%M"),
                    f"{rng.randrange(1, 3000):03d}",
                    rng.choice(accounts),
                    f"{rng.randrange(1, 3000):03d}",
                    rng.choice(accounts),
                    amount,
                    currency,
                    amount,
                    currency,
                    rng.choice(FORMATS),
                    "1" if rng.random() < 0.001 else "0",
                ]
            )


def write_bank(path: Path, rows: int) -> None:
    rng = random.Random(SEED + 1)
    start = datetime(2026, 1, 1)
    names = ["Müller GmbH", "Anna Schmidt", "Hassan Al-Khatib", "Hilfswerk e.V.", "Petrol AŞ"]
    with open(path, "w", encoding="utf-8", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(
            [
                "ref",
                "booked",
                "amount",
                "ccy",
                "from_iban",
                "from_name",
                "to_iban",
                "to_name",
                "type",
                "details",
            ]
        )
        for i in range(rows):
            writer.writerow(
                [
                    f"R{i:09d}",
                    (start + timedelta(minutes=i)).strftime("%Y-%m-%d %H:%M"),
                    f"{rng.lognormvariate(5, 1.2):.2f}",
                    "EUR",
                    f"DE{rng.randrange(10**20):020d}",
                    rng.choice(names),
                    f"DE{rng.randrange(10**20):020d}",
                    rng.choice(names),
                    rng.choice(("SEPA", "ATM")),
                    f"invoice {rng.randrange(10**6)}",
                ]
            )


def timed(action: Callable[[], object], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        action()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def scan(paths: list[Path]) -> None:
    """The yardstick: DuckDB reads and parses every row of the CSV files."""
    con = duckdb.connect()
    for path in paths:
        con.execute("SELECT count(*) FROM read_csv(?, all_varchar = true)", [str(path)]).fetchall()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=500_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="counterflow-ingest-") as tmp:
        folder = Path(tmp)
        amlworld = folder / "Synthetic_Trans.csv"
        bank = folder / "bank.csv"
        mapping = folder / "bank.toml"
        write_amlworld(amlworld, args.rows)
        write_bank(bank, args.rows)
        mapping.write_text(MAPPING, encoding="utf-8")
        cases: list[tuple[str, Path, TransactionReader, list[Path]]] = [
            (
                "AMLSim 20K_fanin200 (real)",
                AMLSIM / "20K_fanin200",
                AmlsimReader(),
                [
                    AMLSIM / "20K_fanin200" / "transactions.csv",
                    AMLSIM / "20K_fanin200" / "nodes.csv",
                ],
            ),
            (
                "AMLSim 20K_cycle200 (real)",
                AMLSIM / "20K_cycle200",
                AmlsimReader(),
                [
                    AMLSIM / "20K_cycle200" / "transactions.csv",
                    AMLSIM / "20K_cycle200" / "nodes.csv",
                ],
            ),
            ("AMLworld layout (synthetic)", amlworld, AmlworldReader(), [amlworld]),
            (
                "bank CSV + mapping (synthetic)",
                bank,
                TableReader(ColumnMapping.load(mapping)),
                [bank],
            ),
        ]
        print("| input | transactions | DuckDB scan (s) | ingest (s) | rows/s | ingest ÷ scan |")
        print("|---|---:|---:|---:|---:|---:|")
        runs = 0
        for label, path, reader, raw_files in cases:
            if not path.exists():
                print(f"| {label} | – | – | – | – | absent: {path} |")
                continue

            def one(path: Path = path, reader: TransactionReader = reader) -> store.IngestReport:
                nonlocal runs
                runs += 1
                return store.ingest(Workspace(folder / f"ws{runs}"), path, reader, dataset="d")

            report = one()
            seconds = timed(one, args.repeat)
            baseline = timed(lambda files=raw_files: scan(files), args.repeat)
            rows = report.counts["transactions"]
            print(
                f"| {label} | {rows:,} | {baseline:.2f} | {seconds:.2f} | {rows / seconds:,.0f} "
                f"| {seconds / baseline:.0f}× |"
            )
        export = folder / "export"
        store.export_dataset(Workspace(folder / f"ws{runs}"), "d", export)
        files = {t: [export / f"{t}.parquet"] for t in store.TABLES}

        def load() -> None:
            nonlocal runs
            runs += 1
            store.load_parquet(Workspace(folder / f"ws{runs}"), "d", files, fmt="p", source="b")

        seconds = timed(load, args.repeat)
        parquet = [str(p) for paths in files.values() for p in paths]
        rows = (
            duckdb.connect()
            .execute("SELECT count(*) FROM read_parquet(?)", [str(files["transactions"][0])])
            .fetchall()[0][0]
        )

        def copy() -> None:
            """The yardstick: the same files copied into a fresh DuckDB file, unchecked."""
            nonlocal runs
            runs += 1
            con = duckdb.connect(str(folder / f"copy{runs}.duckdb"))
            for number, path in enumerate(parquet):
                con.execute(f"CREATE TABLE t{number} AS SELECT * FROM read_parquet(?)", [path])
            con.close()

        baseline = timed(copy, args.repeat)
        print(
            f"| canonical Parquet folder | {rows:,} | {baseline:.2f} | {seconds:.2f} "
            f"| {rows / seconds:,.0f} | {seconds / baseline:.1f}× |"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
