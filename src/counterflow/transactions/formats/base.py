"""What every transaction reader shares: batches of canonical rows, rejects, and value cleaning.

A reader turns one source file (or folder) into a stream of :class:`Batch` objects holding
canonical rows (dicts keyed by the column names of :mod:`counterflow.transactions.schema`) and
the rows it could not read, each a :class:`Reject` naming where it was and what is wrong. The
store decides what rejects mean (fail the import, or keep them in a side file under
``--max-errors``). Readers stream: a batch holds at most :data:`BATCH_ROWS` rows, so files
larger than memory import.

The ``clean_*`` functions are the one place where source values become canonical ones; a bad
value raises :class:`RowError`, which the reader turns into a :class:`Reject`.

Readers open files through :mod:`counterflow.io` only. CSV files have their delimiter and
encoding sniffed unless :attr:`TransactionReader.csv_options` names them, and their quoting is
checked strictly: an unbalanced quote, or a field over the size limit, fails the import with
the line named, where a lenient reader would lose rows without a word.
"""

from __future__ import annotations

import math
import re
from abc import ABC, abstractmethod
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any, ClassVar

from counterflow.io import CsvOptions
from counterflow.model.countries import to_code
from counterflow.transactions.schema import CHANNELS, PARTY_KINDS

BATCH_ROWS = 50_000
MAX_TEXT = 2_000  # longest free text kept (remittance text, goods); longer is cut
RAW_LIMIT = 1_000  # longest text of a rejected row kept in the rejects file

Row = dict[str, Any]


class RowError(ValueError):
    """One row is unusable; ``problem`` says which field and why."""

    def __init__(self, problem: str) -> None:
        super().__init__(problem)
        self.problem = problem


@dataclass(frozen=True)
class Reject:
    """A row a reader could not use: where it was (``row 17``, ``message 3``), why, and its
    text as read (cut to 1,000 characters)."""

    location: str
    problem: str
    raw: str = ""


@dataclass
class Batch:
    """Canonical rows of each table, and the rows rejected while reading them."""

    transactions: list[Row] = field(default_factory=list)
    parties: list[Row] = field(default_factory=list)
    accounts: list[Row] = field(default_factory=list)
    party_labels: list[Row] = field(default_factory=list)
    rejects: list[Reject] = field(default_factory=list)

    def __len__(self) -> int:
        return (
            len(self.transactions)
            + len(self.parties)
            + len(self.accounts)
            + len(self.party_labels)
            + len(self.rejects)
        )


class TransactionReader(ABC):
    """One source format. Subclasses set :attr:`format` and :attr:`title`."""

    format: ClassVar[str]
    title: ClassVar[str]
    #: file name endings this reader is tried on when sniffing (a folder: "/")
    suffixes: ClassVar[tuple[str, ...]] = ()
    #: how CSV files are read (``--delimiter``, ``--encoding``); None: found out per file.
    #: Readers of other formats ignore it.
    csv_options: CsvOptions | None = None

    @classmethod
    @abstractmethod
    def sniff(cls, path: Path, head: str) -> bool:
        """True if ``path`` (whose first few kilobytes decode to ``head``, empty for a
        folder) is in this format."""

    @abstractmethod
    def read(self, path: Path) -> Iterator[Batch]:
        """The file's rows, in batches of at most :data:`BATCH_ROWS`."""


# --------------------------------------------------------------------------- cleaning values

_CURRENCY_NAMES = {
    # names some sources (AMLworld) use instead of ISO 4217 codes
    "us dollar": "USD",
    "euro": "EUR",
    "yuan": "CNY",
    "yen": "JPY",
    "uk pound": "GBP",
    "rupee": "INR",
    "ruble": "RUB",
    "canadian dollar": "CAD",
    "australian dollar": "AUD",
    "swiss franc": "CHF",
    "mexican peso": "MXN",
    "brazil real": "BRL",
    "saudi riyal": "SAR",
    "shekel": "ILS",
    "bitcoin": "XBT",
}
_CHANNEL_WORDS = {
    "wire": "wire",
    "transfer": "wire",
    "credit": "wire",
    "ach": "wire",
    "sepa": "wire",
    "swift": "wire",
    "mt103": "wire",
    "pacs.008": "wire",
    "cash": "cash",
    "cash-in": "cash",
    "cash-out": "cash",
    "cash_in": "cash",
    "cash_out": "cash",
    "deposit": "cash",
    "withdrawal": "cash",
    "card": "card",
    "credit card": "card",
    "debit card": "card",
    "pos": "card",
    "remittance": "remittance",
    "money transfer": "remittance",
    "hawala": "remittance",
    "crypto": "crypto",
    "bitcoin": "crypto",
    "cheque": "cheque",
    "check": "cheque",
    "reinvestment": "wire",
}
_DATE_FORMATS = ("%Y-%m-%d", "%Y/%m/%d", "%Y%m%d", "%d.%m.%Y")
_DATETIME_FORMATS = ("%Y/%m/%d %H:%M", "%Y-%m-%d %H:%M", "%Y/%m/%d %H:%M:%S", "%d.%m.%Y %H:%M")


def text(value: Any, limit: int = MAX_TEXT) -> str | None:
    """A value as text with runs of whitespace collapsed; None when empty."""
    if value is None or value == "" or (isinstance(value, float) and math.isnan(value)):
        return None
    raw = value if isinstance(value, str) else str(value)
    cleaned = raw.strip()
    if "  " in cleaned or "\t" in cleaned or "\n" in cleaned or "\r" in cleaned:
        cleaned = " ".join(cleaned.split())
    return cleaned[:limit] if cleaned else None


def required(row: Mapping[str, Any], key: str, label: str | None = None) -> str:
    value = text(row.get(key))
    if value is None:
        raise RowError(f"{label or key} is empty")
    return value


_THOUSANDS_COMMA = re.compile(r"-?\d{1,3}(,\d{3})+(\.\d+)?")  # 1,250.00
_THOUSANDS_DOT = re.compile(r"-?\d{1,3}(\.\d{3})+(,\d+)?")  # 1.250,00
_DECIMAL_COMMA = re.compile(r"-?\d+,\d{1,2}")  # 80,00
_CURRENCY_CODE = re.compile(r"[A-Z]{3}")


def clean_amount(value: Any, label: str = "amount") -> float:
    """A non-negative finite number; accepts ``1,234.50``, ``1.234,50`` and ``1234,50``."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        number = float(value)
    else:
        raw = text(value)
        if raw is None:
            raise RowError(f"{label} is empty")
        try:
            number = float(raw)  # the common case, without regular expressions
        except ValueError:
            number = _localised_number(raw, label)
    if not math.isfinite(number) or number < 0:
        raise RowError(f"{label} {value!r} must be a finite number of zero or more")
    return number


def _localised_number(raw: str, label: str) -> float:
    compact = raw.replace(" ", "").replace("'", "")
    if _THOUSANDS_COMMA.fullmatch(compact):
        compact = compact.replace(",", "")
    elif _THOUSANDS_DOT.fullmatch(compact):
        compact = compact.replace(".", "").replace(",", ".")
    elif _DECIMAL_COMMA.fullmatch(compact):
        compact = compact.replace(",", ".")
    try:
        return float(compact)
    except ValueError as exc:
        raise RowError(f"{label} {raw!r} is not a number") from exc


def clean_currency(value: Any) -> str:
    """An ISO 4217 code (``usd`` and ``US Dollar`` become ``USD``)."""
    raw = text(value)
    if raw is None:
        raise RowError("currency is empty")
    code = _CURRENCY_NAMES.get(raw.lower(), raw.upper())
    if not _CURRENCY_CODE.fullmatch(code):
        raise RowError(f"currency {raw!r} is not an ISO 4217 code")
    return code


def clean_channel(value: Any) -> str:
    """One of :data:`CHANNELS`, from the source's own payment type."""
    raw = text(value)
    if raw is None:
        raise RowError("channel is empty")
    channel = _CHANNEL_WORDS.get(raw.lower(), raw.lower())
    if channel not in CHANNELS:
        raise RowError(f"channel {raw!r} is none of {', '.join(CHANNELS)}")
    return channel


def clean_kind(value: Any) -> str | None:
    raw = text(value)
    if raw is None:
        return None
    kind = raw.lower()
    kind = {"individual": "person", "i": "person", "organization": "company", "b": "company"}.get(
        kind, kind
    )
    if kind not in PARTY_KINDS:
        raise RowError(f"party kind {raw!r} is none of {', '.join(PARTY_KINDS)}")
    return kind


def clean_country(value: Any, label: str = "country") -> str | None:
    """An ISO 3166 alpha-2 code, from a code or a name; None when empty."""
    raw = text(value)
    if raw is None:
        return None
    code = to_code(raw)
    if code is None:
        raise RowError(f"{label} {raw!r} is not a known country")
    return code.upper()  # banking's convention (ISO 20022), where FtM writes lower case


def clean_timestamp(value: Any, label: str = "timestamp") -> datetime:
    """A UTC datetime from ISO 8601 text (with or without offset), a date, or the common bank
    formats; naive times are taken as UTC."""
    if isinstance(value, datetime):
        parsed = value
    elif isinstance(value, date):
        parsed = datetime(value.year, value.month, value.day)
    else:
        raw = text(value)
        if raw is None:
            raise RowError(f"{label} is empty")
        parsed = _parse_datetime(raw, label)
    if parsed.tzinfo is None:
        return parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)


def _parse_datetime(raw: str, label: str) -> datetime:
    # ISO 8601, and 2022/09/01 00:20 (AMLworld) read as ISO once its slashes are dashes
    iso = raw.replace("/", "-") if raw[4:5] == "/" else raw.replace("Z", "+00:00")
    try:
        return datetime.fromisoformat(iso)
    except ValueError:
        pass
    for fmt in (*_DATETIME_FORMATS, *_DATE_FORMATS):
        try:
            return datetime.strptime(raw, fmt)
        except ValueError:
            continue
    raise RowError(f"{label} {raw!r} is not a date or time (use ISO 8601, e.g. 2024-05-01T10:30)")


def clean_date(value: Any, label: str) -> date | None:
    if value is None or text(value) is None:
        return None
    return clean_timestamp(value, label).date()


def step_to_timestamp(step: Any, start: date, label: str = "time step") -> datetime:
    """A simulation step (1, 2, …, one per day) as a UTC timestamp, day 1 being ``start``."""
    raw = text(step)
    if raw is None or not re.fullmatch(r"\d+", raw):
        raise RowError(f"{label} {step!r} is not a whole number")
    return datetime(start.year, start.month, start.day, tzinfo=UTC) + timedelta(days=int(raw) - 1)


def width_reject(location: str, fields: list[str], width: int) -> Reject:
    """A CSV record whose field count is not the header's."""
    return Reject(location, f"has {len(fields)} fields, the header has {width}", raw_text(fields))


def raw_text(row: Mapping[str, Any] | list[str] | str) -> str:
    """A rejected row as text for the rejects file."""
    if isinstance(row, str):
        return row[:RAW_LIMIT]
    if isinstance(row, list):
        return ",".join(row)[:RAW_LIMIT]
    return ",".join(f"{k}={v}" for k, v in row.items())[:RAW_LIMIT]


# --------------------------------------------------------------------------- whole rows


#: free-text columns of a transaction and the longest value each keeps
_TEXT_LIMITS = {
    "payer_account": 200,
    "payer_party": 200,
    "payer_name": 500,
    "payer_bank": 200,
    "beneficiary_account": 200,
    "beneficiary_party": 200,
    "beneficiary_name": 500,
    "beneficiary_bank": 200,
    "source_type": 100,
    "purpose_code": 35,
    "remittance_text": MAX_TEXT,
    "goods_description": MAX_TEXT,
    "hs_code": 12,
    "location": 200,
    "typology": 100,
}
_EMPTY_TRANSACTION: Row = dict.fromkeys(
    (
        "base_amount",
        *_TEXT_LIMITS,
        "payer_country",
        "beneficiary_country",
        "is_suspicious",
    )
)


def transaction_row(raw: Mapping[str, Any]) -> Row:
    """A canonical transaction from values already keyed by canonical column names.

    Only the columns present in ``raw`` are cleaned (a reader fills a handful of the 24), which
    keeps imports of millions of rows fast."""
    row = dict(_EMPTY_TRANSACTION)
    row["tx_id"] = required(raw, "tx_id", "transaction id")
    row["timestamp"] = clean_timestamp(raw.get("timestamp"))
    row["amount"] = clean_amount(raw.get("amount"))
    row["currency"] = clean_currency(raw.get("currency"))
    row["channel"] = clean_channel(raw.get("channel"))
    for key, value in raw.items():
        if value is None or key in _REQUIRED_COLUMNS:
            continue
        limit = _TEXT_LIMITS.get(key)
        if limit is not None:
            row[key] = text(value, limit)
        elif key == "payer_country":
            row[key] = clean_country(value, "payer country")
        elif key == "beneficiary_country":
            row[key] = clean_country(value, "beneficiary country")
        elif key == "base_amount":
            row[key] = None if text(value) is None else clean_amount(value, "base_amount")
        elif key == "is_suspicious":
            row[key] = clean_flag(value)
    return row


#: the columns every transaction must have
REQUIRED_COLUMNS = ("tx_id", "timestamp", "amount", "currency", "channel")
_REQUIRED_COLUMNS = frozenset(REQUIRED_COLUMNS)


def party_row(raw: Mapping[str, Any]) -> Row:
    return {
        "party_id": required(raw, "party_id", "party id"),
        "name": text(raw.get("name"), 500),
        "kind": clean_kind(raw.get("kind")),
        "country": clean_country(raw.get("country")),
        "city": text(raw.get("city"), 200),
        "born": clean_date(raw.get("born"), "born"),
        "sector": text(raw.get("sector"), 200),
    }


def account_row(raw: Mapping[str, Any]) -> Row:
    return {
        "account_id": required(raw, "account_id", "account id"),
        "party_id": text(raw.get("party_id"), 200),
        "bank": text(raw.get("bank"), 200),
        "country": clean_country(raw.get("country")),
        "opened": clean_date(raw.get("opened"), "opened"),
    }


def label_row(raw: Mapping[str, Any]) -> Row:
    flag = clean_flag(raw.get("is_suspicious"))
    if flag is None:
        raise RowError("is_suspicious is empty")
    return {
        "party_id": required(raw, "party_id", "party id"),
        "is_suspicious": flag,
        "typology": text(raw.get("typology"), 100),
        "role": text(raw.get("role"), 200),
        "instance": text(raw.get("instance"), 200),
    }


_TRUE = {"1", "true", "yes", "y", "t"}
_FALSE = {"0", "false", "no", "n", "f"}


def clean_flag(value: Any, label: str = "is_suspicious") -> bool | None:
    if value is None or isinstance(value, bool):
        return value
    raw = text(value)
    if raw is None:
        return None
    lowered = raw.lower()
    if lowered in _TRUE:
        return True
    if lowered in _FALSE:
        return False
    raise RowError(f"{label} {raw!r} is not true or false")
