"""Time a goAML report for a case of 1,000 transactions (issue 11: goal under 2 s).

What is timed is what a filing costs: the input checks, the XML writing and the validation
against the real goAML 5.0.1 XSD (``../shared/data/goaml/``), i.e. one call of
``counterflow.reporting.build_report``, with the schema already compiled as it is in a
running service. The transactions mix what cases hold: light persons, customers in the heavy
``*_my_client`` form, organisations, accounts with their holders, and foreign-currency
payments. The schema's one-off compilation is reported on its own.

Run from the repository root::

    .venv/bin/python bench/reporting/bench_goaml.py [--transactions 1000] [--repeat 5]

It prints the median, minimum and maximum of the runs and the size of the XML.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

from counterflow.reporting import (
    Account,
    Entity,
    Person,
    Phone,
    Report,
    Side,
    Transaction,
    build_report,
    load_profile,
    load_schema,
)

ROOT = Path(__file__).resolve().parents[2]
XSD = ROOT.parent / "shared" / "data" / "goaml" / "goAMLSchema_5.0.1.xsd"
EXAMPLE = ROOT / "docs" / "examples" / "fiu-generic.toml"
CHANNELS = ("wire", "cash", "card", "remittance", "crypto", "cheque")
GOAL_SECONDS = 2.0


def party(i: int) -> Side:
    kind = i % 4
    if kind == 0:
        return Side(Person(f"Ali{i}", "Hassan", residence="SY"))
    if kind == 1:
        return Side(
            Person(
                f"Amina{i}",
                "Haddad",
                birth_date=date(1980, 1, 1) + timedelta(days=i),
                national_id=f"JO-{i:06d}",
                nationality="JO",
                residence="JO",
                phone=Phone("962", f"79{i:07d}", mobile=True),
                occupation="Trader",
                my_client=True,
            )
        )
    if kind == 2:
        return Side(Entity(f"Front Trading {i} LLC", country="TR", business="fuel trade"))
    return Side(
        Account(
            f"TR{i:024d}",
            "Border Bank",
            swift="BORDTRIS",
            holder=Entity(f"Al-Noor Charity {i}", country="LB"),
        )
    )


def case_report(count: int) -> Report:
    start = datetime(2026, 1, 1, 9, 0)
    transactions = []
    for i in range(count):
        foreign = i % 5 == 0
        transactions.append(
            Transaction(
                id=f"T-{i:05d}",
                date=start + timedelta(hours=i),
                amount_local=Decimal(1000 + i) + Decimal("0.25"),
                currency="EUR" if foreign else "USD",
                amount=Decimal(900 + i) if foreign else None,
                channel=CHANNELS[i % len(CHANNELS)],
                payer=party(i),
                beneficiary=party(i + 2),
                description="payment for goods",
            )
        )
    return Report(
        reference="C-BENCH",
        reason="Under-priced oil sold by a new border trader who passes the money on",
        action="Accounts frozen",
        transactions=transactions,
        typologies=["oil", "listed-counterparty"],
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--transactions", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    if not XSD.is_file():
        print(f"the goAML XSD {XSD} is absent (../shared/data)", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory() as folder:
        profile_path = Path(folder) / "fiu.toml"
        text = EXAMPLE.read_text(encoding="utf-8")
        profile_path.write_text(
            text.replace("../../../shared/data/goaml/goAMLSchema_5.0.1.xsd", str(XSD)),
            encoding="utf-8",
        )
        profile = load_profile(profile_path)
    started = time.perf_counter()
    load_schema(profile.xsd)
    compile_seconds = time.perf_counter() - started
    report = case_report(args.transactions)
    times = []
    size = 0
    for _ in range(args.repeat):
        started = time.perf_counter()
        xml = build_report(report, profile)
        times.append(time.perf_counter() - started)
        size = len(xml)
    median = statistics.median(times)
    verdict = "met" if median < GOAL_SECONDS else "missed"
    print(
        f"goAML report, {args.transactions:,} transactions, build + validate "
        f"(median of {args.repeat}):"
    )
    print("| median s | min s | max s | XML bytes | schema compile s (once) | goal |")
    print("|---:|---:|---:|---:|---:|---|")
    print(
        f"| {median:.3f} | {min(times):.3f} | {max(times):.3f} | {size:,} | "
        f"{compile_seconds:.3f} | < {GOAL_SECONDS:.0f} s: {verdict} |"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
