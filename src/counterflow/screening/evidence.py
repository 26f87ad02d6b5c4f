"""Evidence beyond the name: dates of birth, countries, gender and identifiers.

Each comparison returns an adjustment to the name score and the values it looked at, so an
analyst sees why a score moved. Dates compare at the precision both sides have: a list "1951"
agrees with a query "1951-06-19"; two exact dates that differ, or years more than a few apart,
conflict. An identical identifier (passport, national ID, IMO number) is strong on its own.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from counterflow.model.dates import year_span

DATE_SAME_DAY = 0.06
DATE_SAME_YEAR = 0.03
# Dates of birth on lists are often uncertain by a year or two (hence the tolerance and the
# lists' own "approximately"), but not by five: a gap that large is another person, and it must
# take a perfect name match well below the threshold (1.0 - 0.45 < 0.7 - 0.1).
DATE_NEAR_CONFLICT = -0.05
DATE_CONFLICT = -0.3
DATE_FAR_CONFLICT = -0.45
DATE_VERY_FAR_CONFLICT = -0.55
DATE_EXACT_CONFLICT = -0.5
COUNTRY_MATCH = 0.02
GENDER_CONFLICT = -0.12
#: the most that evidence beyond the name can add to a score
MAX_GAIN = DATE_SAME_DAY + COUNTRY_MATCH
IDENTIFIER_FLOOR = 0.95

_NON_ALNUM = re.compile(r"[^0-9A-Z]")


@dataclass(frozen=True, slots=True)
class Evidence:
    feature: str  # "birthDate", "country", "gender", "identifier"
    adjustment: float
    query: tuple[str, ...]
    listed: tuple[str, ...]
    verdict: str  # "match", "compatible", "conflict"


def compare_dates(query: Sequence[str], listed: Sequence[tuple[str, bool]]) -> Evidence | None:
    """Query dates (partial ISO) against list dates (value, approximate); None when one is empty.

    The best agreement over all pairs of dates counts, since lists give several dates of birth
    when they are unsure.
    """
    if not query or not listed:
        return None
    best = max(_date_score(q, value, approximate) for q in query for value, approximate in listed)
    verdict = "match" if best > 0 else ("compatible" if best == 0 else "conflict")
    return Evidence("birthDate", best, tuple(query), tuple(v for v, _ in listed), verdict)


def _date_score(q: str, value: str, approximate: bool) -> float:
    q_first, q_last = year_span(q)
    first, last = year_span(value)
    exact = "/" not in value + q and min(len(q), len(value)) >= 10
    if q == value or ("/" not in value + q and q[: len(value)] == value[: len(q)]):
        return DATE_SAME_DAY if exact else DATE_SAME_YEAR  # equal at the shared precision
    if exact and q[:4] == value[:4]:
        month_q, day_q, month, day = q[5:7], q[8:10], value[5:7], value[8:10]
        if month_q == month or day_q == day or (month_q, day_q) == (day, month):
            return 0.0  # one slip in the day or the month, or the two swapped
        return DATE_CONFLICT  # day and month both differ: two people born the same year
    if not exact and q_first <= last and first <= q_last:
        return DATE_SAME_YEAR  # the years or ranges overlap
    gap = min(abs(q_first - last), abs(first - q_last))
    if exact and not approximate and gap > 2:
        return DATE_EXACT_CONFLICT  # two full dates years apart: two people
    return _date_gap_score(gap - (2 if approximate else 0))


def _date_gap_score(gap: int) -> float:
    """Years between two dates beyond the tolerance: 0 is fine, a few years a doubt, many a no."""
    if gap <= 0:
        return 0.0
    if gap <= 2:
        return DATE_NEAR_CONFLICT
    if gap <= 5:
        return DATE_CONFLICT
    return DATE_FAR_CONFLICT if gap <= 10 else DATE_VERY_FAR_CONFLICT


def compare_countries(query: Sequence[str], listed: Iterable[str]) -> Evidence | None:
    listed_set = {c for c in listed if len(c) == 2}
    wanted = {c for c in query if len(c) == 2}
    if not wanted or not listed_set:
        return None
    if wanted & listed_set:
        return Evidence(
            "country", COUNTRY_MATCH, tuple(sorted(wanted)), tuple(sorted(listed_set)), "match"
        )
    return Evidence("country", 0.0, tuple(sorted(wanted)), tuple(sorted(listed_set)), "compatible")


def compare_gender(query: str | None, listed: Sequence[str]) -> Evidence | None:
    if not query or not listed:
        return None
    if query in listed:
        return Evidence("gender", 0.0, (query,), tuple(listed), "match")
    return Evidence("gender", GENDER_CONFLICT, (query,), tuple(listed), "conflict")


def normalize_identifier(value: str) -> str:
    """Upper-case letters and digits only: "AB 123-456" and "ab123456" are one number.

    An IMO prefix goes too, so "IMO 9123456" and "9123456" agree.
    """
    cleaned = _NON_ALNUM.sub("", value.upper())
    return cleaned[3:] if cleaned.startswith("IMO") and cleaned[3:].isdigit() else cleaned


def compare_identifiers(query: Sequence[str], listed: Sequence[str]) -> Evidence | None:
    wanted = {normalize_identifier(v) for v in query} - {""}
    have = {normalize_identifier(v): v for v in listed}
    have.pop("", None)
    if not wanted or not have:
        return None
    shared = [have[v] for v in wanted if v in have and len(v) >= 5]
    if shared:
        return Evidence("identifier", 0.0, tuple(query), tuple(shared), "match")
    return None
