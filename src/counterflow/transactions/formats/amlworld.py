"""IBM AMLworld (Altman et al., NeurIPS 2023): the transactions CSV and its patterns file.

The header names ``Account`` twice (payer's, then beneficiary's), so columns are read by
position::

    Timestamp,From Bank,Account,To Bank,Account,Amount Received,Receiving Currency,
    Amount Paid,Payment Currency,Payment Format,Is Laundering

Each row becomes a transaction. It has no id of its own, so the id is its row number (the
line it starts on, less the header's). The
amount is what the payer paid, in the payment currency. Accounts are the parties, as in the
data set: an account holder is not identified beyond the account. Currency names become ISO
codes, and ``Bitcoin`` becomes XBT with channel ``crypto``.

The patterns file (``HI-Small_Patterns.txt`` beside ``HI-Small_Trans.csv``, found
automatically) lists laundering attempts as blocks::

    BEGIN LAUNDERING ATTEMPT - FAN-OUT:  Max 16-degree Fan-Out
    2022/09/01 00:06,021174,800737690,012,80011F990,2848.96,Euro,2848.96,Euro,ACH,1
    …
    END LAUNDERING ATTEMPT - FAN-OUT

Transactions found in a block get the block's typology (``fan-out``), and their accounts are
labelled with it and with the block's instance, ``fan-out/3`` for the third FAN-OUT block of
the file, so that evaluation can count laundering attempts found and not only accounts. An
account in several attempts keeps the first one a transaction of the transactions file puts
it in (a label names one instance). The patterns file must fit in memory (the published ones
are a few MB); the transactions file streams.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any, NamedTuple

from counterflow.errors import DataError
from counterflow.io import CsvFile, CsvOptions
from counterflow.io.csvfile import DELIMITERS
from counterflow.transactions.formats.base import (
    BATCH_ROWS,
    Batch,
    Reject,
    RowError,
    TransactionReader,
    raw_text,
    transaction_row,
)
from counterflow.transactions.formats.messages import add_holders

HEADER = (
    "Timestamp",
    "From Bank",
    "Account",
    "To Bank",
    "Account",
    "Amount Received",
    "Receiving Currency",
    "Amount Paid",
    "Payment Currency",
    "Payment Format",
    "Is Laundering",
)
_BEGIN = re.compile(r"BEGIN LAUNDERING ATTEMPT - ([A-Z\- ]+?)\s*(?::|$)")
_FORMATS = {"bitcoin": "crypto", "ach": "wire", "wire": "wire", "cheque": "cheque"}

#: a transaction as the patterns file and the transactions file both state it
Key = tuple[str, ...]


class Attempt(NamedTuple):
    """One laundering attempt (a block of the patterns file): its typology and instance id."""

    typology: str
    instance: str


class AmlworldReader(TransactionReader):
    format = "amlworld"
    title = "IBM AMLworld transactions CSV (with its patterns file)"
    suffixes = (".csv",)

    def __init__(
        self, patterns: Path | None = None, *, csv_options: CsvOptions | None = None
    ) -> None:
        self.patterns = patterns
        self.csv_options = csv_options

    @classmethod
    def sniff(cls, path: Path, head: str) -> bool:
        first = head.splitlines()[0] if head else ""
        return any(
            [c.strip() for c in first.split(delimiter)] == list(HEADER) for delimiter in DELIMITERS
        )

    def read(self, path: Path) -> Iterator[Batch]:
        csv_file = CsvFile(path, self.csv_options)
        header = csv_file.header or []
        if header != list(HEADER):
            raise DataError(
                f"not an AMLworld transactions file: the header is {header[:11]} "
                f"(read as {csv_file.describe()})",
                path=path,
            )
        patterns = self.patterns or _patterns_beside(path)
        attempts = read_patterns(patterns, csv_file.delimiter) if patterns else {}
        labelled: dict[str, Attempt] = {}
        seen: set[str] = set()  # accounts already emitted
        batch = Batch()
        for record in csv_file.records():
            try:
                row = _row(record.line, record.fields)
            except RowError as exc:
                batch.rejects.append(
                    Reject(f"line {record.line}", exc.problem, raw_text(record.fields))
                )
            else:
                attempt = attempts.get(_key(row)) if attempts else None
                if attempt:
                    row["typology"] = attempt.typology
                    for account in (row["payer_account"], row["beneficiary_account"]):
                        if account:
                            labelled.setdefault(account, attempt)
                batch.transactions.append(row)
                add_holders(row, batch, seen)
            if len(batch) >= BATCH_ROWS:
                yield batch
                batch = Batch()
        batch.party_labels.extend(
            {
                "party_id": account,
                "is_suspicious": True,
                "typology": attempt.typology,
                "role": None,
                "instance": attempt.instance,
            }
            for account, attempt in labelled.items()
        )
        yield batch


def _row(line: int, values: list[str]) -> dict[str, Any]:
    """The transaction on ``line`` (its id: the row number, the header being line 1)."""
    if len(values) != len(HEADER):
        raise RowError(f"has {len(values)} fields, AMLworld rows have {len(HEADER)}")
    stamp, from_bank, payer, to_bank, payee = values[:5]
    paid, paid_currency, payment_format, laundering = values[7:]
    channel = _FORMATS.get(payment_format.strip().lower(), payment_format)
    return transaction_row(
        {
            "tx_id": str(line - 1),
            "timestamp": stamp,
            "amount": paid,
            "currency": paid_currency,
            "payer_account": payer,
            "payer_party": payer,
            "payer_bank": from_bank,
            "beneficiary_account": payee,
            "beneficiary_party": payee,
            "beneficiary_bank": to_bank,
            "channel": channel,
            "source_type": payment_format,
            "is_suspicious": laundering,
        }
    )


def _key(row: dict[str, Any]) -> Key:
    """A cleaned transaction's time, banks, accounts, amount and currency: how the patterns
    file and the transactions file name the same transaction."""
    return (
        row["timestamp"].isoformat(),
        row["payer_bank"],
        row["payer_account"],
        row["beneficiary_bank"],
        row["beneficiary_account"],
        f"{row['amount']:.2f}",
        row["currency"],
    )


def _patterns_beside(path: Path) -> Path | None:
    candidate = path.with_name(re.sub(r"_Trans\.csv$", "_Patterns.txt", path.name))
    return candidate if candidate != path and candidate.exists() else None


def read_patterns(path: Path, delimiter: str = ",") -> dict[Key, Attempt]:
    """Each transaction of the patterns file, keyed as in :func:`_key`, with its attempt: the
    block's typology and an instance id numbering the blocks of that typology from 1.

    The file is read as CSV without a header (``delimiter`` as in the transactions file), so
    its transaction lines are split exactly as the transactions file's rows are."""
    found: dict[Key, Attempt] = {}
    blocks: Counter[str] = Counter()
    current: Attempt | None = None
    options = CsvOptions(delimiter=delimiter, header=False)
    for record in CsvFile(path, options).records():
        line = delimiter.join(record.fields).strip()
        begin = _BEGIN.match(line)
        if begin:
            typology = begin.group(1).strip().lower().replace(" ", "-")
            blocks[typology] += 1
            current = Attempt(typology, f"{typology}/{blocks[typology]}")
        elif line.startswith("END LAUNDERING ATTEMPT"):
            current = None
        elif current is None:
            raise DataError(
                "a transaction outside any laundering attempt block",
                path=path,
                location=f"line {record.line}",
            )
        else:
            try:
                found[_key(_row(record.line, record.fields))] = current
            except RowError as exc:
                raise DataError(
                    f"not a transaction line: {exc.problem}",
                    path=path,
                    location=f"line {record.line}",
                ) from exc
    return found
