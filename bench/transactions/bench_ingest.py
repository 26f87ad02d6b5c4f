"""Import speed of ``counterflow ingest``: rows per second per format, against a bare DuckDB scan.

Why a bare read as the yardstick: it is the least any import must do (read and parse every
byte), so the ratio shows what counterflow's mapping and row-level checking cost on the same
machine in the same run, whatever the machine's speed. For CSV it is a DuckDB scan (a
vectorised C++ reader), for XML the standard library's streaming parse, for MT103 reading the
lines.

Inputs:
- the real AMLSim runs in ../shared/data (graph layout, 118,250 transactions each);
- synthetic files written here, of ``--rows`` rows (default 500,000), in the AMLworld layout and
  as a bank export with a column mapping, seeded so every run reads the same bytes;
- ``--messages`` pacs.008 transactions and MT103 messages (default 20,000 each), made by
  repeating the hand-written fixtures with fresh ids;
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
from counterflow.transactions.formats.iso20022 import Pacs008Reader
from counterflow.transactions.formats.mt103 import Mt103Reader
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


FIXTURES = ROOT / "tests" / "fixtures" / "transactions"


def write_pacs008(path: Path, count: int) -> None:
    """One pacs.008.001.08 message with ``count`` transactions, repeating the fixture's first
    with fresh ids."""
    source = (FIXTURES / "pacs008" / "v08_two_transactions.xml").read_text(encoding="utf-8")
    head, rest = source.split("<CdtTrfTxInf>", 1)
    one = "<CdtTrfTxInf>" + rest.split("</CdtTrfTxInf>", 1)[0] + "</CdtTrfTxInf>\n"
    tail = source.rsplit("</CdtTrfTxInf>", 1)[1]
    with open(path, "w", encoding="utf-8") as out:
        out.write(head)
        for i in range(count):
            out.write(one.replace("8a562c67-ca16-48ba-b074-65581be6f011", f"uetr-{i:012d}"))
        out.write(tail)


def write_mt103(path: Path, count: int) -> None:
    """``count`` MT103 messages: the fixture's first, with fresh references."""
    source = (FIXTURES / "mt103" / "three_messages.txt").read_text(encoding="utf-8")
    first = source.split("{1:", 2)[1]
    first = "{1:" + first.replace("3f6e9a2c-1b47-4d58-8e0f-5a9c2d7b61e4", "UETR")
    with open(path, "w", encoding="utf-8") as out:
        for i in range(count):
            out.write(first.replace("UETR", f"uetr-{i:012d}"))


def bare_lines(paths: list[Path]) -> None:
    """The yardstick for text messages: read every line."""
    for path in paths:
        with open(path, encoding="utf-8") as lines:
            for _ in lines:
                pass


def bare_xml(paths: list[Path]) -> None:
    """The yardstick for XML: the standard library's streaming parse of every element."""
    import xml.etree.ElementTree as ET

    for path in paths:
        for _ in ET.iterparse(path):
            pass


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
    parser.add_argument("--messages", type=int, default=20_000, help="pacs.008 and MT103")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="counterflow-ingest-") as tmp:
        folder = Path(tmp)
        amlworld = folder / "Synthetic_Trans.csv"
        bank = folder / "bank.csv"
        mapping = folder / "bank.toml"
        pacs = folder / "pacs008.xml"
        mt103 = folder / "mt103.txt"
        write_pacs008(pacs, args.messages)
        write_mt103(mt103, args.messages)
        write_amlworld(amlworld, args.rows)
        write_bank(bank, args.rows)
        mapping.write_text(MAPPING, encoding="utf-8")
        cases: list[
            tuple[str, Path, TransactionReader, list[Path], Callable[[list[Path]], None]]
        ] = [
            (
                "AMLSim 20K_fanin200 (real)",
                AMLSIM / "20K_fanin200",
                AmlsimReader(),
                [
                    AMLSIM / "20K_fanin200" / "transactions.csv",
                    AMLSIM / "20K_fanin200" / "nodes.csv",
                ],
                scan,
            ),
            (
                "AMLSim 20K_cycle200 (real)",
                AMLSIM / "20K_cycle200",
                AmlsimReader(),
                [
                    AMLSIM / "20K_cycle200" / "transactions.csv",
                    AMLSIM / "20K_cycle200" / "nodes.csv",
                ],
                scan,
            ),
            ("AMLworld layout (synthetic)", amlworld, AmlworldReader(), [amlworld], scan),
            (
                "bank CSV + mapping (synthetic)",
                bank,
                TableReader(ColumnMapping.load(mapping)),
                [bank],
                scan,
            ),
            ("pacs.008.001.08 (synthetic)", pacs, Pacs008Reader(), [pacs], bare_xml),
            ("MT103 (synthetic)", mt103, Mt103Reader(), [mt103], bare_lines),
        ]
        print("| input | transactions | bare read (s) | ingest (s) | rows/s | ingest ÷ bare read |")
        print("|---|---:|---:|---:|---:|---:|")
        runs = 0
        for label, path, reader, raw_files, bare in cases:
            if not path.exists():
                print(f"| {label} | – | – | – | – | absent: {path} |")
                continue

            def one(path: Path = path, reader: TransactionReader = reader) -> store.IngestReport:
                nonlocal runs
                runs += 1
                return store.ingest(Workspace(folder / f"ws{runs}"), path, reader, dataset="d")

            report = one()
            seconds = timed(one, args.repeat)
            baseline = timed(lambda files=raw_files, bare=bare: bare(files), args.repeat)
            rows = report.counts["transactions"]
            print(
                f"| {label} | {rows:,} | {baseline:.2f} | {seconds:.2f} | {rows / seconds:,.0f} "
                f"| {seconds / baseline:.0f}× |"
            )
        export = folder / "export"
        source = Workspace(folder / "parquet-source")  # the AMLworld rows, as Parquet
        store.ingest(source, amlworld, AmlworldReader(), dataset="d")
        store.export_dataset(source, "d", export)
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
