"""Dates as lists publish them: exact, month or year only, approximate, or a range of years.

A date value is kept as a partial ISO 8601 string ("1971", "1971-05", "1971-05-03") or an
interval of two of them ("1960/1965"); approximation is a qualifier on the value, not a change
of the date. Precision is never invented: "1971" does not become 1 January 1971.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

APPROXIMATE = "approximately"

_MONTHS = {
    name: number
    for number, names in enumerate(
        (
            ("jan", "january", "janvier", "enero"),
            ("feb", "february", "fevrier", "février", "febrero"),
            ("mar", "march", "mars", "marzo"),
            ("apr", "april", "avril", "abril"),
            ("may", "mai", "mayo"),
            ("jun", "june", "juin", "junio"),
            ("jul", "july", "juillet", "julio"),
            ("aug", "august", "aout", "août", "agosto"),
            ("sep", "sept", "september", "septembre", "septiembre"),
            ("oct", "october", "octobre", "octubre"),
            ("nov", "november", "novembre", "noviembre"),
            ("dec", "december", "decembre", "décembre", "diciembre"),
        ),
        start=1,
    )
    for name in names
}

_APPROX = re.compile(r"^(?:circa|ca\.?|c\.|approx(?:imately|\.)?|about|around|~)\s*", re.I)
_RANGE = re.compile(
    r"^(?:between\s+)?(?P<a>.+?)\s*(?:\bto\b|\band\b|–|—|-(?=\s*\d{4}\s*$))\s*(?P<b>.+)$", re.I
)
_ISO = re.compile(r"^(\d{4})(?:-(\d{1,2})(?:-(\d{1,2}))?)?(?:T.*)?$")
_NUMERIC = re.compile(r"^(\d{1,2})[/.\-](\d{1,2})[/.\-](\d{4})$")
_MONTH_YEAR_NUMERIC = re.compile(r"^(\d{1,2})[/.\-](\d{4})$")
_WORDY = re.compile(r"^(?:(\d{1,2})(?:st|nd|rd|th)?\.?\s+)?([A-Za-zéû]+)\.?,?\s+(\d{4})$")
_WORDY_US = re.compile(r"^([A-Za-zéû]+)\.?\s+(\d{1,2}),?\s+(\d{4})$")


@dataclass(frozen=True, slots=True)
class ParsedDate:
    """A cleaned date (partial ISO or interval) and whether the source called it approximate."""

    value: str
    approximate: bool = False


def _partial(year: int, month: int | None = None, day: int | None = None) -> str | None:
    if not 1000 <= year <= 2999:
        return None
    if not month:
        return f"{year:04d}"
    if not 1 <= month <= 12:
        return None
    if not day:
        return f"{year:04d}-{month:02d}"
    try:
        date(year, month, day)
    except ValueError:
        return None
    return f"{year:04d}-{month:02d}-{day:02d}"


def parse_single(text: str, *, dayfirst: bool = True) -> str | None:
    """Parse one date in any of the usual list notations into partial ISO, or None.

    Zero day or month fields ("00/00/1960", "1960-00-00") mean "unknown", as UK and EU
    files use them, and reduce the precision instead of failing.
    """
    t = text.strip().rstrip(".").strip()
    if not t:
        return None
    m = _ISO.match(t)
    if m:
        y, mo, d = (int(g) if g else None for g in m.groups())
        assert y is not None
        return _partial(y, mo or None, d or None if mo else None)
    m = _NUMERIC.match(t)
    if m:
        a, b, y = (int(g) for g in m.groups())
        day, month = (a, b) if dayfirst else (b, a)
        if not month:
            return _partial(y)
        return _partial(y, month, day or None)
    m = _MONTH_YEAR_NUMERIC.match(t)
    if m:
        month, y = int(m.group(1)), int(m.group(2))
        return _partial(y, month or None)
    m = _WORDY.match(t)
    if m and m.group(2).lower() in _MONTHS:
        day_of_month = int(m.group(1)) if m.group(1) else None
        return _partial(int(m.group(3)), _MONTHS[m.group(2).lower()], day_of_month)
    m = _WORDY_US.match(t)
    if m and m.group(1).lower() in _MONTHS:
        return _partial(int(m.group(3)), _MONTHS[m.group(1).lower()], int(m.group(2)))
    return None


def parse_date(text: str | None, *, dayfirst: bool = True) -> ParsedDate | None:
    """Parse a date expression: a single date, "circa 1960", or a range "1958 to 1960".

    Returns None when the text holds no date this function can read; callers keep the
    original text elsewhere (notes) rather than guess.
    """
    if text is None:
        return None
    t = " ".join(text.split())
    approximate = False
    m = _APPROX.match(t)
    if m:
        approximate = True
        t = t[m.end() :]
    single = parse_single(t, dayfirst=dayfirst)
    if single:
        return ParsedDate(single, approximate)
    m = _RANGE.match(t)
    if m:
        start = parse_single(m.group("a"), dayfirst=dayfirst)
        end = parse_single(m.group("b"), dayfirst=dayfirst)
        if start and end:
            return ParsedDate(date_range(start, end), approximate)
    return None


def date_range(start: str, end: str) -> str:
    """An ISO 8601 interval of two partial dates, earliest first."""
    a, b = sorted((start, end))
    return a if a == b else f"{a}/{b}"


def year_span(value: str) -> tuple[int, int]:
    """The first and last year a date value may fall in: "1971" -> (1971, 1971)."""
    parts = value.split("/")
    return int(parts[0][:4]), int(parts[-1][:4])
