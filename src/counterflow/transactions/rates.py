"""Exchange rates to the workspace's base currency, for ``base_amount``.

Scenarios compare amounts across currencies, so each transaction also carries its amount in one
base currency (USD unless told otherwise). counterflow ships a small table of reference rates
(mid-market rates of 1 January 2025) so that imports work offline;
they are good enough to rank and threshold amounts, not to account. A bank with its own rates
passes a CSV of ``currency,rate`` (units of the base currency per unit of the currency).
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from counterflow.errors import DataError
from counterflow.io import CsvFile, CsvOptions

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
#: a rates file has a line per currency: a few kilobytes
MAX_RATES_BYTES = 1024 * 1024
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
    def from_csv(cls, path: Path, base: str, csv_options: CsvOptions | None = None) -> Rates:
        """Rates from a ``currency,rate`` file: units of ``base`` per unit of the currency.
        The delimiter and encoding are found out unless ``csv_options`` names them."""
        options = csv_options or CsvOptions(max_bytes=MAX_RATES_BYTES)
        csv_file = CsvFile(path, options)
        if not {"currency", "rate"} <= set(csv_file.header or []):
            raise DataError(
                f"needs the columns currency,rate; found {', '.join(csv_file.header or [])} "
                f"(read as {csv_file.describe()})",
                path=path,
            )
        table: dict[str, float] = {base.upper(): 1.0}
        for line, row in csv_file.rows():
            try:
                table[row["currency"].strip().upper()] = float(row["rate"])
            except ValueError as exc:
                raise DataError(
                    f"rate {row['rate']!r} is not a number", path=path, location=f"line {line}"
                ) from exc
        return cls(base, table)

    def to_base(self, amount: float, currency: str) -> float | None:
        rate = self._to_base.get(currency)
        return None if rate is None else amount * rate

    def knows(self, currency: str) -> bool:
        return currency in self._to_base
