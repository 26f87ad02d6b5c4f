"""IBM AMLSim output, in both layouts it is found in.

*Graph layout*, a folder (or its ``transactions.csv``) holding:
- ``transactions.csv``: ``sourceNodeId,targetNodeId,value,time``, where time is a step;
- ``nodes.csv``: ``nodeid,isFraud,init_balance,fraudStep``, the account-level labels;
- optionally ``metadata.txt``, whose ``patterns: 200 fan-in`` line names the typology planted.

*Full output schema*, a folder holding:
- ``accounts.csv``: ``ACCOUNT_ID,PRIMARY_CUSTOMER_ID,init_balance,start,end,country,business,
  suspicious,isFraud,modelID``;
- ``tx.csv``: ``TXN_ID,ACCOUNT_ID,COUNTER_PARTY_ACCOUNT_NUM,TXN_SOURCE_TYPE_CODE,tx_count,
  TXN_AMOUNT_ORIG,start,end``;
- ``cash_tx.csv``: ``TXN_ID,ACCOUNT_ID,BRANCH_ID,TXN_SOURCE_TYPE_CODE,tx_count,
  TXN_AMOUNT_ORIG,RUN_DATE,end``, with CASH-IN or CASH-OUT at a branch;
- ``alerts.csv``: ``ALERT_KEY,ALERT_TEXT,ACCOUNT_ID,CUSTOMER_ID,EVENT_DATE,CHECK_NAME,…``.

AMLSim models accounts, not people, so each account is also its own party: ``party_id`` is the
AMLSim account id. Steps are days counted from ``start`` (day 1; default 2017-01-01, the first
event date of AMLSim's sample alerts). Amounts are in USD, as AMLSim's are.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Generator, Iterator
from datetime import date
from pathlib import Path
from typing import Any

from counterflow.errors import DataError
from counterflow.transactions.formats.base import (
    BATCH_ROWS,
    Batch,
    Reject,
    RowError,
    TransactionReader,
    account_row,
    clean_flag,
    label_row,
    party_row,
    raw_text,
    required,
    step_to_timestamp,
    transaction_row,
)

DEFAULT_START = date(2017, 1, 1)
_GRAPH_TX = ["sourceNodeId", "targetNodeId", "value", "time"]
_GRAPH_NODES = ["nodeid", "isFraud", "init_balance", "fraudStep"]
_PATTERN = re.compile(r"patterns:\s*[\d,]+\s+([\w\-]+)")
_TYPES = {"CASH-IN": "cash", "CASH-OUT": "cash", "CHECK": "cheque", "DEPOSIT": "cash"}


class AmlsimReader(TransactionReader):
    format = "amlsim"
    title = "IBM AMLSim output (transactions.csv + nodes.csv, or accounts/tx/cash_tx/alerts)"
    suffixes = ("/", ".csv")

    def __init__(self, start: date = DEFAULT_START, currency: str = "USD") -> None:
        self.start = start
        self.currency = currency

    @classmethod
    def sniff(cls, path: Path, head: str) -> bool:
        folder = path if path.is_dir() else path.parent
        if path.is_dir():
            return (folder / "transactions.csv").exists() or (folder / "tx.csv").exists()
        first = head.splitlines()[0].strip() if head else ""
        return first.split(",") == _GRAPH_TX

    def read(self, path: Path) -> Iterator[Batch]:
        folder = path if path.is_dir() else path.parent
        if (folder / "transactions.csv").exists() and (folder / "nodes.csv").exists():
            yield from self._graph(folder)
        elif (folder / "tx.csv").exists() and (folder / "accounts.csv").exists():
            yield from self._full(folder)
        else:
            raise DataError(
                "not AMLSim output: expected transactions.csv with nodes.csv, or accounts.csv "
                "with tx.csv",
                path=path,
            )

    # ------------------------------------------------------------------ graph layout

    def _graph(self, folder: Path) -> Iterator[Batch]:
        typology = _metadata_typology(folder / "metadata.txt")
        batch = Batch()
        for location, row in _rows(folder / "nodes.csv", _GRAPH_NODES):
            try:
                node = required(row, "nodeid", "nodeid")
                suspicious = clean_flag(row.get("isFraud"), "isFraud")
                batch.parties.append(party_row({"party_id": node}))
                batch.accounts.append(account_row({"account_id": node, "party_id": node}))
                batch.party_labels.append(
                    label_row(
                        {
                            "party_id": node,
                            "is_suspicious": suspicious,
                            "typology": typology if suspicious else None,
                        }
                    )
                )
            except RowError as exc:
                batch.rejects.append(Reject(f"nodes.csv {location}", exc.problem, raw_text(row)))
            batch = yield from _flush(batch)
        for location, row in _rows(folder / "transactions.csv", _GRAPH_TX):
            number = int(location.split()[-1]) - 1
            self._add(
                batch,
                f"transactions.csv {location}",
                row,
                {
                    "tx_id": str(number),
                    "payer": row.get("sourceNodeId"),
                    "beneficiary": row.get("targetNodeId"),
                    "amount": row.get("value"),
                    "step": row.get("time"),
                    "source_type": "TRANSFER",
                },
            )
            batch = yield from _flush(batch)
        yield batch

    # ------------------------------------------------------------------ full output schema

    def _full(self, folder: Path) -> Iterator[Batch]:
        batch = Batch()
        alerted = _alerts(folder / "alerts.csv")
        for location, row in _rows(folder / "accounts.csv", ["ACCOUNT_ID"]):
            try:
                account = required(row, "ACCOUNT_ID")
                suspicious = bool(
                    clean_flag(row.get("isFraud"), "isFraud")
                    or clean_flag(row.get("suspicious"), "suspicious")
                    or account in alerted
                )
                batch.parties.append(
                    party_row(
                        {
                            "party_id": account,
                            "kind": "person" if row.get("business") == "I" else "company",
                            "country": row.get("country"),
                        }
                    )
                )
                batch.accounts.append(
                    account_row(
                        {"account_id": account, "party_id": account, "country": row.get("country")}
                    )
                )
                batch.party_labels.append(
                    label_row(
                        {
                            "party_id": account,
                            "is_suspicious": suspicious,
                            "typology": alerted.get(account),
                        }
                    )
                )
            except RowError as exc:
                batch.rejects.append(Reject(f"accounts.csv {location}", exc.problem, raw_text(row)))
            batch = yield from _flush(batch)
        for location, row in _rows(folder / "tx.csv", ["TXN_ID", "ACCOUNT_ID"]):
            self._add(
                batch,
                f"tx.csv {location}",
                row,
                {
                    "tx_id": row.get("TXN_ID"),
                    "payer": row.get("ACCOUNT_ID"),
                    "beneficiary": row.get("COUNTER_PARTY_ACCOUNT_NUM"),
                    "amount": row.get("TXN_AMOUNT_ORIG"),
                    "step": row.get("start"),
                    "source_type": row.get("TXN_SOURCE_TYPE_CODE"),
                },
            )
            batch = yield from _flush(batch)
        cash = folder / "cash_tx.csv"
        if cash.exists():
            for location, row in _rows(cash, ["TXN_ID", "ACCOUNT_ID"]):
                cash_in = (row.get("TXN_SOURCE_TYPE_CODE") or "").upper() == "CASH-IN"
                self._add(
                    batch,
                    f"cash_tx.csv {location}",
                    row,
                    {
                        "tx_id": row.get("TXN_ID"),
                        "payer": None if cash_in else row.get("ACCOUNT_ID"),
                        "beneficiary": row.get("ACCOUNT_ID") if cash_in else None,
                        "amount": row.get("TXN_AMOUNT_ORIG"),
                        "step": row.get("RUN_DATE"),
                        "source_type": row.get("TXN_SOURCE_TYPE_CODE"),
                        "location": f"branch {row.get('BRANCH_ID')}",
                    },
                )
                batch = yield from _flush(batch)
        yield batch

    def _add(self, batch: Batch, location: str, raw: dict[str, Any], tx: dict[str, Any]) -> None:
        try:
            source_type = (tx["source_type"] or "TRANSFER").upper()
            batch.transactions.append(
                transaction_row(
                    {
                        "tx_id": tx["tx_id"],
                        "timestamp": step_to_timestamp(tx["step"], self.start),
                        "amount": tx["amount"],
                        "currency": self.currency,
                        "payer_account": tx["payer"],
                        "payer_party": tx["payer"],
                        "beneficiary_account": tx["beneficiary"],
                        "beneficiary_party": tx["beneficiary"],
                        "channel": _TYPES.get(source_type, "wire"),
                        "source_type": source_type,
                        "location": tx.get("location"),
                    }
                )
            )
        except RowError as exc:
            batch.rejects.append(Reject(location, exc.problem, raw_text(raw)))


def _flush(batch: Batch) -> Generator[Batch, None, Batch]:
    """Yield the batch when full; hand back the batch to keep filling (``yield from``)."""
    if len(batch) >= BATCH_ROWS:
        yield batch
        return Batch()
    return batch


def _rows(path: Path, needed: list[str]) -> Iterator[tuple[str, dict[str, str]]]:
    try:
        with open(path, encoding="utf-8", newline="") as lines:
            reader = csv.DictReader(lines)
            header = reader.fieldnames or []
            missing = [c for c in needed if c not in header]
            if missing:
                raise DataError(f"lacks the column(s) {', '.join(missing)}", path=path)
            for number, row in enumerate(reader, start=2):
                yield f"row {number}", row
    except UnicodeDecodeError as exc:
        raise DataError(f"not UTF-8 text ({exc.reason})", path=path) from None
    except OSError as exc:
        raise DataError(f"cannot read: {exc.strerror}", path=path) from None


def _metadata_typology(path: Path) -> str | None:
    if not path.exists():
        return None
    found = _PATTERN.search(path.read_text(encoding="utf-8", errors="replace"))
    return found.group(1).lower().replace("_", "-") if found else None


def _alerts(path: Path) -> dict[str, str]:
    """Accounts named in AMLSim's alerts, with the alert's typology (CHECK_NAME)."""
    if not path.exists():
        return {}
    return {
        row["ACCOUNT_ID"]: (row.get("CHECK_NAME") or "").lower().replace("_", "-") or "alert"
        for _, row in _rows(path, ["ACCOUNT_ID"])
    }
