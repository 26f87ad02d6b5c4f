"""What the readers share about the two sides of a payment: a side as a message states it
(pacs.008, MT103), a batch builder that keeps one party and one account row per id, and the
accounts and holders derived from bare rows (bank exports, AMLworld)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from counterflow.transactions.formats.base import (
    BATCH_ROWS,
    Batch,
    Row,
    RowError,
    account_row,
    clean_country,
    party_row,
    transaction_row,
)

_IBAN = re.compile(r"^[A-Z]{2}\d{2}[A-Z0-9]{10,30}$")
#: the most rows one transaction adds to a batch: itself, two parties, two accounts
ROWS_PER_TRANSACTION = 5


@dataclass
class Side:
    """What a message says of the debtor or the creditor."""

    name: str | None
    country: str | None
    city: str | None
    kind: str | None
    born: date | None
    account: str | None
    account_country: str | None
    bank: str | None


@dataclass
class BatchBuilder:
    """The batch being filled, with its parties and accounts by id (one row each); the MT103
    reader shares it."""

    batch: Batch = field(default_factory=Batch)
    parties: dict[str, Row] = field(default_factory=dict)
    accounts: dict[str, Row] = field(default_factory=dict)

    def add(self, tx: Row, parties: list[Row], accounts: list[Row]) -> None:
        self.batch.transactions.append(tx)
        _merge_into(self.parties, self.batch.parties, parties, "party_id")
        _merge_into(self.accounts, self.batch.accounts, accounts, "account_id")

    def full(self) -> bool:
        """True when one more transaction (a row, two parties, two accounts) might not fit."""
        return len(self.batch) + ROWS_PER_TRANSACTION > BATCH_ROWS

    def take(self) -> Batch:
        full, self.batch = self.batch, Batch()
        self.parties, self.accounts = {}, {}
        return full


def _merge_into(seen: dict[str, Row], rows: list[Row], new: list[Row], key: str) -> None:
    """Add rows not seen in this batch; fill the gaps of one seen before."""
    for row in new:
        old = seen.get(row[key])
        if old is None:
            seen[row[key]] = row
            rows.append(row)
        else:
            for name, value in row.items():
                if old.get(name) is None and value is not None:
                    old[name] = value


def iban_country(account: str | None, label: str) -> str | None:
    """The country an IBAN's first two letters name; None for an account that is no IBAN."""
    if account is None or not _IBAN.match(account.replace(" ", "").upper()):
        return None
    return clean_country(account[:2].upper(), label)


def credit_transfer(
    *,
    tx_id: str,
    when: Any,
    amount: Any,
    currency: Any,
    payer: Side,
    payee: Side,
    source_type: str,
    purpose: str | None,
    remittance: str | None,
) -> tuple[Row, list[Row], list[Row]]:
    """A customer credit transfer as a canonical wire row, with its two sides' parties and
    accounts (an account number is its holder's party id, as the message names no customer)."""
    row = transaction_row(
        {
            "tx_id": tx_id,
            "timestamp": when,
            "amount": amount,
            "currency": currency,
            "payer_account": payer.account,
            "payer_party": payer.account,
            "payer_name": payer.name,
            "payer_country": payer.country,
            "payer_bank": payer.bank,
            "beneficiary_account": payee.account,
            "beneficiary_party": payee.account,
            "beneficiary_name": payee.name,
            "beneficiary_country": payee.country,
            "beneficiary_bank": payee.bank,
            "channel": "wire",
            "source_type": source_type,
            "purpose_code": purpose,
            "remittance_text": remittance,
        }
    )
    parties, accounts = party_rows(payer, payee)
    return row, parties, accounts


def party_rows(*sides: Side) -> tuple[list[Row], list[Row]]:
    """Each side with an account as a party (keyed by the account) and an account."""
    parties: list[Row] = []
    accounts: list[Row] = []
    for one in sides:
        if one.account is None:
            continue
        parties.append(
            party_row(
                {
                    "party_id": one.account,
                    "name": one.name,
                    "kind": one.kind,
                    "country": one.country,
                    "city": one.city,
                    "born": one.born,
                }
            )
        )
        accounts.append(
            account_row(
                {
                    "account_id": one.account,
                    "party_id": one.account,
                    "bank": one.bank,
                    "country": one.account_country,
                }
            )
        )
    return parties, accounts


def add_holders(row: dict[str, Any], batch: Batch, seen: set[str]) -> None:
    """Each side's account once, and its holder as a party (the account id when the row names
    no customer id), from what the transaction says: an export or a research data set often
    gives nothing more. Fills in ``row``'s party ids."""
    for side in ("payer", "beneficiary"):
        account = row[f"{side}_account"]
        if account is None:
            continue
        party = row[f"{side}_party"] or account
        row[f"{side}_party"] = party
        if account in seen:
            continue
        seen.add(account)
        batch.accounts.append(
            {
                "account_id": account,
                "party_id": party,
                "bank": row[f"{side}_bank"],
                "country": _iban_country_or_none(account),
                "opened": None,
            }
        )
        batch.parties.append(
            {
                "party_id": party,
                "name": row[f"{side}_name"],
                "kind": None,
                "country": row[f"{side}_country"],
                "city": None,
                "born": None,
                "sector": None,
            }
        )


def _iban_country_or_none(account: str) -> str | None:
    try:
        return iban_country(account, "account")
    except RowError:
        return None
