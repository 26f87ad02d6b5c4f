"""Transactions of normal life as numpy columns, before they become Arrow.

Normal life makes millions of rows; building a Python object per row would take minutes, so
every generator returns a :class:`Rows` of parallel numpy arrays. Text columns hold indices:
``source_type``, ``purpose`` and ``hs`` into the fixed vocabularies below, ``remit`` and
``goods`` into the batch's own ``texts`` list, ``location`` into the city table; -1 is null.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, fields

import numpy as np

from counterflow.transactions.schema import CHANNELS

#: the source's own payment types, as a core-banking export would name them
SOURCE_TYPES: tuple[str, ...] = (
    "CREDIT-TRANSFER", "SWIFT-MT103", "PAYROLL", "DIRECT-DEBIT", "CARD-POS", "CARD-ONLINE",
    "ATM-WITHDRAWAL", "CASH-DEPOSIT", "CASH-WITHDRAWAL", "MONEY-TRANSFER",
    "LOAN-DISBURSEMENT", "LOAN-REPAYMENT", "CHEQUE", "CRYPTO-TRANSFER",
)  # fmt: skip
SOURCE = {s: i for i, s in enumerate(SOURCE_TYPES)}
#: ISO 20022 ExternalPurpose1Code values the world uses
PURPOSES: tuple[str, ...] = (
    "SALA", "SUPP", "GDDS", "TRAD", "CHAR", "LOAN", "LOAR", "ELEC", "PHON", "RENT", "INSU",
    "CASH", "INTC", "TAXS",
)  # fmt: skip
PURPOSE = {p: i for i, p in enumerate(PURPOSES)}
CHANNEL = {c: i for i, c in enumerate(CHANNELS)}


@dataclass
class Rows:
    """A batch of transactions as parallel columns (see the module docstring)."""

    day: np.ndarray  # int32 simulated day
    ts: np.ndarray  # int64 microseconds since the epoch, UTC
    payer: np.ndarray  # int32 account index, -1 for none (cash deposit)
    bene: np.ndarray  # int32 account index, -1 for none (cash withdrawal)
    amount: np.ndarray  # float64, in the row's currency
    currency: np.ndarray  # int16 index into geo.CURRENCIES
    channel: np.ndarray  # int8 index into CHANNELS
    source_type: np.ndarray  # int16 index into SOURCE_TYPES
    purpose: np.ndarray  # int16 index into PURPOSES, -1 for none
    remit: np.ndarray  # int32 index into texts, -1 for none
    goods: np.ndarray  # int32 index into texts, -1 for none
    hs: np.ndarray  # int32 index into texts, -1 for none
    location: np.ndarray  # int16 index into geo.CITY_NAMES, -1 for none
    texts: list[str]

    def __len__(self) -> int:
        return len(self.day)

    def take(self, keep: np.ndarray) -> Rows:
        """The rows selected by a boolean mask or index array (texts are kept whole)."""
        values = {f.name: getattr(self, f.name)[keep] for f in fields(self) if f.name != "texts"}
        return Rows(**values, texts=self.texts)

    @staticmethod
    def concat(parts: Sequence[Rows]) -> Rows:
        """One batch from several, re-basing each part's text indices."""
        texts: list[str] = []
        columns: dict[str, list[np.ndarray]] = {
            f.name: [] for f in fields(Rows) if f.name != "texts"
        }
        for part in parts:
            base = len(texts)
            texts.extend(part.texts)
            for name, values in columns.items():
                column = getattr(part, name)
                if name in {"remit", "goods", "hs"}:
                    column = np.where(column >= 0, column + base, -1)
                values.append(column)
        return Rows(**{k: np.concatenate(v) for k, v in columns.items()}, texts=texts)


def make_rows(
    day: np.ndarray,
    ts: np.ndarray,
    payer: np.ndarray,
    bene: np.ndarray,
    amount: np.ndarray,
    currency: np.ndarray,
    *,
    channel: str | np.ndarray,
    source_type: str | np.ndarray,
    purpose: str | np.ndarray | None = None,
    remit: np.ndarray | None = None,
    goods: np.ndarray | None = None,
    hs: np.ndarray | None = None,
    location: np.ndarray | None = None,
    texts: list[str] | None = None,
) -> Rows:
    """A batch where one-value columns are given once (``channel="card"``)."""
    n = len(day)

    def fill(value: str | np.ndarray | None, table: dict[str, int], dtype: type) -> np.ndarray:
        if value is None:
            return np.full(n, -1, dtype=dtype)
        if isinstance(value, str):
            return np.full(n, table[value], dtype=dtype)
        return value.astype(dtype)

    def given(value: np.ndarray | None, dtype: type) -> np.ndarray:
        return np.full(n, -1, dtype=dtype) if value is None else value.astype(dtype)

    return Rows(
        day=day.astype(np.int32),
        ts=ts.astype(np.int64),
        payer=payer.astype(np.int32),
        bene=bene.astype(np.int32),
        amount=amount.astype(np.float64),
        currency=currency.astype(np.int16),
        channel=fill(channel, CHANNEL, np.int8),
        source_type=fill(source_type, SOURCE, np.int16),
        purpose=fill(purpose, PURPOSE, np.int16),
        remit=given(remit, np.int32),
        goods=given(goods, np.int32),
        hs=given(hs, np.int32),
        location=given(location, np.int16),
        texts=texts or [],
    )


def empty_rows() -> Rows:
    none = np.zeros(0, dtype=np.int32)
    return make_rows(none, none, none, none, none, none, channel="wire", source_type="CHEQUE")
