"""Exchange rates to the workspace's base currency, for ``base_amount``.

Scenarios compare amounts across currencies, so each transaction also carries its amount in one
base currency (USD unless told otherwise). counterflow ships a small table of reference rates
(units of USD per unit of the currency, rounded 2025 averages) so that imports work offline;
they are good enough to rank and threshold amounts, not to account. A bank with its own rates
passes a CSV of ``currency,rate`` (units of the base currency per unit of the currency).
"""

from __future__ import annotations

import csv
from collections.abc import Mapping
from pathlib import Path

from counterflow.errors import DataError

#: USD per unit, rounded 2025 averages; XBT is bitcoin
REFERENCE_USD: Mapping[str, float] = {
    "USD": 1.0,
    "EUR": 1.09,
    "GBP": 1.28,
    "CHF": 1.13,
    "JPY": 0.0067,
    "CNY": 0.14,
    "INR": 0.012,
    "RUB": 0.011,
    "CAD": 0.73,
    "AUD": 0.66,
    "MXN": 0.055,
    "BRL": 0.18,
    "SAR": 0.27,
    "AED": 0.27,
    "QAR": 0.27,
    "KWD": 3.25,
    "JOD": 1.41,
    "ILS": 0.27,
    "TRY": 0.028,
    "IQD": 0.00076,
    "SYP": 0.000077,
    "LBP": 0.000011,
    "EGP": 0.020,
    "PKR": 0.0036,
    "AFN": 0.014,
    "SOS": 0.0017,
    "NGN": 0.00065,
    "XBT": 65000.0,
}


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
