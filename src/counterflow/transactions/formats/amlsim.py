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
- ``alerts.csv``: ``ALERT_KEY,ALERT_TEXT,ACCOUNT_ID,CUSTOMER_ID,EVENT_DATE,CHECK_NAME,…``;
  ``ALERT_KEY`` becomes the instance of the account's label.

The graph layout names no instances: evaluation derives them from the transactions
(:func:`counterflow.monitoring.evaluate.derived_instances`).

AMLSim models accounts, not people, so each account is also its own party: ``party_id`` is the
AMLSim account id. Steps are days counted from ``start`` (day 1; default 2017-01-01, the first
event date of AMLSim's sample alerts). Amounts are in USD, as AMLSim's are.
"""

from __future__ import annotations

import re
from collections.abc import Generator, Iterator
from datetime import date
from pathlib import Path
from typing import Any

from counterflow.errors import DataError
from counterflow.io import CsvFile, CsvOptions, read_text
from counterflow.io.csvfile import DELIMITERS
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
    width_reject,
)

DEFAULT_START = date(2017, 1, 1)
_GRAPH_TX = ["sourceNodeId", "targetNodeId", "value", "time"]
_GRAPH_NODES = ["nodeid", "isFraud", "init_balance", "fraudStep"]
_PATTERN = re.compile(r"patterns:\s*[\d,]+\s+([\w\-]+)")
_TYPES = {"CASH-IN": "cash", "CASH-OUT": "cash", "CHECK": "cheque", "DEPOSIT": "cash"}
#: metadata.txt is a few lines of text
_METADATA_BYTES = 1024 * 1024


class AmlsimReader(TransactionReader):
    format = "amlsim"
    title = "IBM AMLSim output (transactions.csv + nodes.csv, or accounts/tx/cash_tx/alerts)"
    suffixes = ("/", ".csv")

    def __init__(
        self,
        start: date = DEFAULT_START,
        currency: str = "USD",
        *,
        csv_options: CsvOptions | None = None,
    ) -> None:
        self.start = start
        self.currency = currency
        self.csv_options = csv_options

    @classmethod
    def sniff(cls, path: Path, head: str) -> bool:
        folder = path if path.is_dir() else path.parent
        if path.is_dir():
            return (folder / "transactions.csv").exists() or (folder / "tx.csv").exists()
        first = head.splitlines()[0].strip() if head else ""
        return any(first.split(delimiter) == _GRAPH_TX for delimiter in DELIMITERS)

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
        # the step at which each fraud account acted (-1: none), to label its pattern payments
        fraud_steps: dict[str, str | None] = {}
        for location, row, reject in self._rows(folder / "nodes.csv", _GRAPH_NODES):
            if reject is not None:
                batch.rejects.append(reject)
                batch = yield from _flush(batch)
                continue
            try:
                node = required(row, "nodeid", "nodeid")
                suspicious = clean_flag(row.get("isFraud"), "isFraud")
                if suspicious:
                    fraud_steps[node] = (row.get("fraudStep") or "").strip() or None
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
        for location, row, reject in self._rows(folder / "transactions.csv", _GRAPH_TX):
            if reject is not None:
                batch.rejects.append(reject)
                batch = yield from _flush(batch)
                continue
            number = int(location.split()[-1]) - 1  # the row number: the header is line 1
            payer, payee = (
                (row.get("sourceNodeId") or "").strip(),
                (row.get("targetNodeId") or "").strip(),
            )
            # a pattern payment: between two fraud accounts, at the step the payer acted
            planted = (
                payer in fraud_steps
                and payee in fraud_steps
                and fraud_steps[payer] == (row.get("time") or "").strip()
            )
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
                    "is_suspicious": planted,
                    "typology": typology if planted else None,
                },
            )
            batch = yield from _flush(batch)
        yield batch

    # ------------------------------------------------------------------ full output schema

    def _full(self, folder: Path) -> Iterator[Batch]:
        batch = Batch()
        alerted = self._alerts(folder / "alerts.csv")
        for location, row, reject in self._rows(folder / "accounts.csv", ["ACCOUNT_ID"]):
            if reject is not None:
                batch.rejects.append(reject)
                batch = yield from _flush(batch)
                continue
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
                alert = alerted.get(account)
                batch.party_labels.append(
                    label_row(
                        {
                            "party_id": account,
                            "is_suspicious": suspicious,
                            "typology": alert[0] if alert else None,
                            "instance": alert[1] if alert else None,
                        }
                    )
                )
            except RowError as exc:
                batch.rejects.append(Reject(f"accounts.csv {location}", exc.problem, raw_text(row)))
            batch = yield from _flush(batch)
        for location, row, reject in self._rows(folder / "tx.csv", ["TXN_ID", "ACCOUNT_ID"]):
            if reject is not None:
                batch.rejects.append(reject)
                batch = yield from _flush(batch)
                continue
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
            for location, row, reject in self._rows(cash, ["TXN_ID", "ACCOUNT_ID"]):
                if reject is not None:
                    batch.rejects.append(reject)
                    batch = yield from _flush(batch)
                    continue
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
                        "is_suspicious": tx.get("is_suspicious"),
                        "typology": tx.get("typology"),
                    }
                )
            )
        except RowError as exc:
            batch.rejects.append(Reject(location, exc.problem, raw_text(raw)))

    def _rows(
        self, path: Path, needed: list[str]
    ) -> Iterator[tuple[str, dict[str, str], Reject | None]]:
        """(location, values by column, None) for each record of the file, or (location, {},
        a reject) for one whose field count is not the header's."""
        csv_file = CsvFile(path, self.csv_options)
        header = csv_file.header or []
        missing = [c for c in needed if c not in header]
        if missing:
            raise DataError(
                f"lacks the column(s) {', '.join(missing)} (read as {csv_file.describe()})",
                path=path,
            )
        width = len(header)
        for record in csv_file.records():
            location = f"line {record.line}"
            fields = record.fields
            if len(fields) == width:
                yield location, dict(zip(header, fields, strict=False)), None  # same length
            else:
                yield location, {}, width_reject(f"{path.name} {location}", fields, width)

    def _alerts(self, path: Path) -> dict[str, tuple[str, str | None]]:
        """Accounts named in AMLSim's alerts, with the alert's typology (CHECK_NAME) and its
        ``ALERT_KEY`` as the instance: AMLSim raises one alert per injected pattern, so the
        key groups the pattern's accounts. An account in several alerts keeps the first."""
        if not path.exists():
            return {}
        found: dict[str, tuple[str, str | None]] = {}
        for location, row, reject in self._rows(path, ["ACCOUNT_ID"]):
            if reject is not None:
                raise DataError(reject.problem, path=path, location=location)
            typology = typology_name(row.get("CHECK_NAME") or "") or "alert"
            found.setdefault(
                row["ACCOUNT_ID"], (typology, (row.get("ALERT_KEY") or "").strip() or None)
            )
        return found


def _flush(batch: Batch) -> Generator[Batch, None, Batch]:
    """Yield the batch when full; hand back the batch to keep filling (``yield from``)."""
    if len(batch) >= BATCH_ROWS:
        yield batch
        return Batch()
    return batch


def _metadata_typology(path: Path) -> str | None:
    if not path.exists():
        return None
    found = _PATTERN.search(read_text(path, max_bytes=_METADATA_BYTES))
    return typology_name(found.group(1)) if found else None


#: AMLSim's own names of its laundering shapes; counterflow's typologies call them layering-*
_SHAPES = ("fan-in", "fan-out", "cycle", "bipartite", "stack", "scatter-gather", "gather-scatter")


def typology_name(amlsim: str) -> str:
    """AMLSim's typology (``fan_in``, ``CYCLE``) as counterflow's scenarios name it
    (``layering-fan-in``), so alerts score against it; other names are kept."""
    name = amlsim.strip().lower().replace("_", "-")
    if name not in _SHAPES and name.endswith("s") and name[:-1] in _SHAPES:
        name = name[:-1]  # metadata.txt says "200 cycles"
    return f"layering-{name}" if name in _SHAPES else name
