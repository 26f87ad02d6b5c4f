"""A tiny hand-written dataset in the canonical schema (four parties, twenty transactions over
every channel), for the engine tests: small enough to reason about row by row, varied enough
that a dataset profile measured on it has every part a relative default reads."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from counterflow.transactions.schema import CHANNELS, TABLES

PARTIES = ("p1", "p2", "p3", "p4")
KINDS = {"p1": "person", "p2": "company", "p3": "npo", "p4": "company"}
COUNTRIES = {"p1": "JO", "p2": "TR", "p3": "LB", "p4": "AE"}
START = datetime(2025, 1, 1, tzinfo=UTC)
TRANSACTIONS = 20


def tables() -> dict[str, pa.Table]:
    """The four tables, each of exactly its canonical Arrow schema."""
    parties = pa.table(
        {
            "party_id": list(PARTIES),
            "name": ["Ali Hassan", "Orient Trading LLC", "Hope Relief", "Gulf Freight Ltd"],
            "kind": [KINDS[p] for p in PARTIES],
            "country": [COUNTRIES[p] for p in PARTIES],
            "city": ["Amman", "Gaziantep", "Beirut", "Dubai"],
            "born": [date(1980, 5, 1), date(2010, 1, 1), date(2015, 3, 3), date(2001, 7, 7)],
            "sector": [None, "trade", "charity", "logistics"],
        },
        schema=TABLES["parties"],
    )
    accounts = pa.table(
        {
            "account_id": [f"a{p}" for p in PARTIES],
            "party_id": list(PARTIES),
            "bank": ["BANKJO", "BANKTR", "BANKLB", "BANKAE"],
            "country": [COUNTRIES[p] for p in PARTIES],
            "opened": [date(2020, 1, 1)] * len(PARTIES),
        },
        schema=TABLES["accounts"],
    )
    rows: dict[str, list[object]] = {name: [] for name in TABLES["transactions"].names}
    for i in range(TRANSACTIONS):
        payer, beneficiary = PARTIES[i % 4], PARTIES[(i + 1 + i // 4) % 4]
        if payer == beneficiary:
            beneficiary = PARTIES[(i + 2) % 4]
        amount = 1000.0 + 250.0 * i
        values = {
            "tx_id": f"t{i:02d}",
            "timestamp": START + timedelta(days=i, hours=i % 3),
            "amount": amount,
            "currency": "USD",
            "base_amount": amount,
            "payer_account": f"a{payer}",
            "payer_party": payer,
            "payer_name": None,
            "payer_country": COUNTRIES[payer],
            "payer_bank": None,
            "beneficiary_account": f"a{beneficiary}",
            "beneficiary_party": beneficiary,
            "beneficiary_name": None,
            "beneficiary_country": COUNTRIES[beneficiary],
            "beneficiary_bank": None,
            "channel": CHANNELS[i % len(CHANNELS)],
            "source_type": None,
            "purpose_code": None,
            "remittance_text": "donation" if i % 5 == 0 else None,
            "goods_description": "crude oil" if i % 7 == 0 else None,
            "hs_code": "2709" if i % 7 == 0 else None,
            "location": None,
            "is_suspicious": i % 7 == 0,
            "typology": "oil" if i % 7 == 0 else None,
        }
        for name, value in values.items():
            rows[name].append(value)
    transactions = pa.table(rows, schema=TABLES["transactions"])
    labels = pa.table(
        {
            "party_id": ["p2"],
            "is_suspicious": [True],
            "typology": ["oil"],
            "role": ["front company"],
            "instance": ["oil-1"],
        },
        schema=TABLES["party_labels"],
    )
    return {
        "transactions": transactions,
        "parties": parties,
        "accounts": accounts,
        "party_labels": labels,
    }


def write(folder: Path, *, parts: bool = False, only: tuple[str, ...] = ()) -> Path:
    """The dataset as Parquet in ``folder``: ``name.parquet`` files, or with ``parts`` a
    ``name/`` folder of two part files each (as Spark writes); ``only`` writes just those
    tables."""
    folder.mkdir(parents=True, exist_ok=True)
    for name, table in tables().items():
        if only and name not in only:
            continue
        if parts:
            (folder / name).mkdir()
            half = table.num_rows // 2
            pq.write_table(table.slice(0, half), folder / name / "part-00000.parquet")
            pq.write_table(table.slice(half), folder / name / "part-00001.parquet")
        else:
            pq.write_table(table, folder / f"{name}.parquet")
    return folder
