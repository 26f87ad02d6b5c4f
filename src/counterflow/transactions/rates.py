"""Exchange rates to the workspace's base currency, for ``base_amount``.

Scenarios compare amounts across currencies, so each transaction also carries its amount in one
base currency (USD unless told otherwise). counterflow ships a small table of reference rates
(mid-market rates of 1 January 2025) so that imports work offline;
they are good enough to rank and threshold amounts, not to account. A bank with its own rates
passes a CSV of ``currency,rate`` (units of the base currency per unit of the currency).
"""

from __future__ import annotations

import csv
from collections.abc import Mapping
from pathlib import Path

from counterflow.errors import DataError

#: units of each currency per US dollar, fixed: approximate mid-market rates of
#: 1 January 2025 (XBT is bitcoin). The simulator prices its worlds with this same table.
UNITS_PER_USD: Mapping[str, float] = {
    "USD": 1.0,
    "EUR": 0.966,
    "GBP": 0.799,
    "CHF": 0.907,
    "SEK": 11.05,
    "CAD": 1.438,
    "AUD": 1.616,
    "JPY": 157.2,
    "CNY": 7.30,
    "INR": 85.6,
    "RUB": 110.0,
    "MXN": 20.8,
    "BRL": 6.18,
    "TRY": 35.36,
    "IQD": 1310.0,
    "SYP": 13000.0,
    "LBP": 89500.0,
    "JOD": 0.709,
    "AED": 3.6725,
    "SAR": 3.75,
    "QAR": 3.64,
    "KWD": 0.308,
    "ILS": 3.65,
    "EGP": 50.8,
    "PKR": 278.5,
    "AFN": 70.6,
    "SOS": 571.0,
    "NGN": 1535.0,
    "XBT": 1 / 94_000,
}
#: US dollars per unit of each currency
REFERENCE_USD: Mapping[str, float] = {c: 1 / units for c, units in UNITS_PER_USD.items()}


class Rates:
    """Converts amounts to one base currency."""

    def __init__(self, base: str = "USD", usd_rates: Mapping[str, float] = REFERENCE_USD):
        base = base.upper()
        if base not in usd_rates:
            raise DataError(f"no rate for the base currency {base}")
        per_base = usd_rates[base]
        self.base = base
        self._to_base = {code: rate / per_base for code, rate in usd_rates.items()}

    @classmethod
    def from_csv(cls, path: Path, base: str) -> Rates:
        """Rates from a ``currency,rate`` file: units of ``base`` per unit of the currency."""
        table: dict[str, float] = {base.upper(): 1.0}
        try:
            with open(path, encoding="utf-8", newline="") as rows:
                for number, row in enumerate(csv.DictReader(rows), start=2):
                    try:
                        table[row["currency"].strip().upper()] = float(row["rate"])
                    except (KeyError, ValueError, AttributeError):
                        raise DataError(
                            "needs columns currency,rate with a number in rate",
                            path=path,
                            location=f"row {number}",
                        ) from None
        except OSError as exc:
            raise DataError(f"cannot read rates: {exc.strerror}", path=path) from None
        return cls(base, table)

    def to_base(self, amount: float, currency: str) -> float | None:
        rate = self._to_base.get(currency)
        return None if rate is None else amount * rate

    def knows(self, currency: str) -> bool:
        return currency in self._to_base
