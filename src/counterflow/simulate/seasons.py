"""When things happen: weekdays and weekends, month ends, Ramadan, harvests and hours of day.

Days are counted from the simulation's first day (day 0). Timestamps are microseconds since
the Unix epoch in UTC; each event is drawn in local time and moved to UTC by its country's
offset, wrapping within the same UTC day so that no event leaves the simulated span.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import numpy as np

DAY_US = 86_400_000_000
SECOND_US = 1_000_000

#: first day of Ramadan 2025 (Umm al-Qura); other years follow the lunar year of 354.367 days.
#: Good to a day or two, which is all a seasonal donation peak needs.
_RAMADAN_2025 = date(2025, 3, 1)
_LUNAR_YEAR = 354.367
#: Eid al-Adha falls about 96 days after the first of Ramadan
_EID_ADHA_AFTER = 96


def epoch_us(start: date) -> int:
    """Microseconds from the Unix epoch to midnight UTC of ``start``."""
    moment = datetime(start.year, start.month, start.day, tzinfo=UTC)
    return int(moment.timestamp()) * SECOND_US


def dates(start: date, days: int) -> list[date]:
    return [start + timedelta(days=d) for d in range(days)]


def weekdays(start: date, days: int) -> np.ndarray:
    """Day of week of each simulated day, Monday = 0."""
    return ((start.weekday() + np.arange(days)) % 7).astype(np.int8)


def weekend(weekday: np.ndarray, friday_weekend: np.ndarray) -> np.ndarray:
    """True where a day is a weekend day in a country (Fri-Sat or Sat-Sun)."""
    return np.where(friday_weekend, (weekday == 4) | (weekday == 5), weekday >= 5)


def ramadan_starts(start: date, days: int) -> list[date]:
    """First days of every Ramadan that overlaps the span (and the one before it)."""
    first = start - timedelta(days=40)
    last = start + timedelta(days=days)
    k = int(np.floor((first - _RAMADAN_2025).days / _LUNAR_YEAR))
    found: list[date] = []
    while True:
        day = _RAMADAN_2025 + timedelta(days=round(k * _LUNAR_YEAR))
        if day > last:
            return found
        found.append(day)
        k += 1


def ramadan_weight(start: date, days: int, peak: float) -> np.ndarray:
    """Per-day multiplier: ``peak`` during Ramadan and the week of Eid al-Adha, else 1.

    Zakat and sadaqa giving rises in Ramadan, most of all in its last ten days; Eid al-Adha
    brings another, smaller peak."""
    weight = np.ones(days)
    for first in ramadan_starts(start, days):
        offset = (first - start).days
        for d in range(offset, offset + 30):
            if 0 <= d < days:
                weight[d] = peak * (1.5 if d >= offset + 20 else 1.0)
        for d in range(offset + _EID_ADHA_AFTER - 3, offset + _EID_ADHA_AFTER + 4):
            if 0 <= d < days:
                weight[d] = max(weight[d], (1 + peak) / 2)
    return weight


def month_weight(start: date, days: int, months: dict[int, float]) -> np.ndarray:
    """Per-day multiplier from a month → weight table (missing months weigh 1)."""
    return np.array([months.get(d.month, 1.0) for d in dates(start, days)])


#: wheat and barley are harvested in Syria and northern Iraq in May-July, cotton in
#: September-November; trade in the crop follows the harvest
HARVEST = {
    "grain": {5: 2.5, 6: 3.0, 7: 2.5, 8: 1.5},
    "cotton": {9: 2.0, 10: 3.0, 11: 2.5, 12: 1.5},
}


def month_ends(start: date, days: int, weekday: np.ndarray, friday_weekend: bool) -> list[int]:
    """Salary days: the last working day of each month that ends inside the span."""
    result = []
    all_dates = dates(start, days)
    for d, when in enumerate(all_dates):
        if (when + timedelta(days=1)).month == when.month:
            continue
        pay = d
        while pay > 0 and bool(weekend(weekday[pay : pay + 1], np.array([friday_weekend]))[0]):
            pay -= 1
        result.append(pay)
    return result


# --------------------------------------------------------------------------- hours of day

PROFILES: dict[str, np.ndarray] = {
    # wires and trade payments: office hours, a dip at lunch
    "office": np.array([0, 0, 0, 0, 0, 0, 0, 1, 4, 9, 10, 9, 5, 7, 9, 9, 7, 4, 2, 1, 0, 0, 0, 0]),
    # card purchases: day and evening, a lunch peak and an after-work peak
    "card": np.array([1, 0, 0, 0, 0, 0, 1, 2, 4, 5, 6, 7, 9, 8, 6, 6, 7, 9, 10, 9, 7, 5, 3, 2]),
    # cash machines
    "atm": np.array([1, 0, 0, 0, 0, 0, 1, 3, 5, 6, 7, 7, 8, 7, 6, 6, 7, 8, 8, 6, 4, 3, 2, 1]),
    # salaries and direct debits leave in the bank's night batch
    "batch": np.array([0, 1, 3, 6, 8, 6, 3, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]),
    # money transfer shops and mobile apps: late morning to late evening
    "remit": np.array([0, 0, 0, 0, 0, 0, 0, 1, 2, 4, 6, 7, 7, 7, 7, 7, 7, 7, 7, 6, 5, 4, 2, 1]),
}
_CDF = {k: np.cumsum(v / v.sum()) for k, v in PROFILES.items()}


def seconds_of_day(
    rng: np.random.Generator, profile: str, utc_offset: np.ndarray | int
) -> np.ndarray:
    """UTC seconds into the day for events drawn in local time from an hour profile.

    ``utc_offset`` is one offset or one per event; its length sets the number of events."""
    count = np.size(utc_offset)
    hour = np.searchsorted(_CDF[profile], rng.random(count), side="right")
    hour = np.minimum(hour, 23)
    local = hour * 3600 + rng.integers(0, 3600, count)
    return np.asarray((local - np.asarray(utc_offset) * 3600) % 86_400, dtype=np.int64)


def timestamps(span_start_us: int, day: np.ndarray, seconds: np.ndarray) -> np.ndarray:
    """Microsecond UTC timestamps from day numbers and seconds into the day; a random
    sub-second part keeps timestamps distinct."""
    return span_start_us + day.astype(np.int64) * DAY_US + seconds.astype(np.int64) * SECOND_US


def one_timestamp(
    span_start_us: int, day: int, rng: np.random.Generator, profile: str, utc_offset: int
) -> int:
    """One event's timestamp, as :func:`timestamps` would give it."""
    second = int(seconds_of_day(rng, profile, np.array([utc_offset]))[0])
    return span_start_us + day * DAY_US + second * SECOND_US + int(rng.integers(0, SECOND_US))
