"""Listed-name variants, the fictitious watchlist, and the world's building blocks."""

from __future__ import annotations

from datetime import date

import numpy as np
import pytest

from counterflow.screening.pairs import score_pair
from counterflow.simulate import geo, seasons
from counterflow.simulate.variants import fictitious_watchlist, listed_kind, namesake, variant
from counterflow.simulate.writer import tx_ids

NAMES = [
    "Jabhat al-Nusrah",
    "Islamic State in Iraq and the Levant",
    "Hajjaj bin Fahd al-Ajmi",
    "Abd al-Rahman Muhammad Zafir al-Dubaysi al-Juhani",
    "جبهة النصرة",
    "Джебхат ан-Нусра",
]


@pytest.mark.parametrize("name", NAMES)
def test_variants_differ_from_the_name_and_say_how(name: str) -> None:
    rng = np.random.default_rng(1)
    for _ in range(50):
        made = variant(name, rng)
        assert made.name.strip() and made.name.casefold() != name.casefold()
        assert made.changes


def test_variants_cover_scripts_and_spellings() -> None:
    rng = np.random.default_rng(2)
    changes = {c for _ in range(300) for c in variant("Hajjaj bin Fahd al-Ajmi", rng).changes}
    assert {"cyrillic", "arabic-script", "article", "vowel", "particle", "typo"} <= changes
    cyrillic = next(
        v
        for v in (variant("Jabhat al-Nusrah", rng) for _ in range(200))
        if v.changes == ("cyrillic",)
    )
    assert any("\u0400" <= ch <= "\u04ff" for ch in cyrillic.name)


def test_most_variants_still_screen_as_the_listed_name_and_namesakes_do_not() -> None:
    """The channel is meant to be findable by a good screener, not trivially and not never."""
    rng = np.random.default_rng(3)
    entries = fictitious_watchlist(np.random.default_rng(4))
    found = alike = total = 0
    for _ in range(5):
        for _, name in entries:
            schema = "Person" if listed_kind(name) == "person" else "Organization"
            found += score_pair(name, variant(name, rng).name, schema).is_match
            alike += score_pair(name, namesake(name, rng), schema).is_match
            total += 1
    assert 0.75 <= found / total < 1.0
    assert alike / total < 0.1


def test_listed_kind_reads_people_companies_and_charities() -> None:
    assert listed_kind("Hajjaj bin Fahd al-Ajmi") == "person"
    assert listed_kind("Jabhat al-Nusrah") == "company"
    assert listed_kind("Al-Fajr Relief Foundation") == "npo"


def test_fictitious_watchlist_says_what_it_is() -> None:
    entries = fictitious_watchlist(np.random.default_rng(5))
    assert len(entries) == len({e for e, _ in entries}) == 36
    assert all(entity_id.startswith("fictitious:") for entity_id, _ in entries)
    assert fictitious_watchlist(np.random.default_rng(5)) == entries


def test_ramadan_and_month_ends() -> None:
    start = date(2025, 2, 1)
    weight = seasons.ramadan_weight(start, 60, peak=3.0)
    assert weight[(date(2025, 3, 10) - start).days] == 3.0
    assert weight[(date(2025, 3, 25) - start).days] == 4.5  # the last ten nights
    assert weight[(date(2025, 2, 10) - start).days] == 1.0
    days = seasons.month_ends(start, 60, seasons.weekdays(start, 60), friday_weekend=False)
    # 28 February 2025 is a Friday; 31 March a Monday
    assert days == [(date(2025, 2, 28) - start).days, (date(2025, 3, 31) - start).days]


def test_money_helpers() -> None:
    usd = np.array([100.0, 12_345.678])
    try_ = np.full(2, geo.CURRENCY_INDEX["TRY"])
    assert geo.to_currency(usd, try_).tolist() == [3536.0, 436_543.17]
    iqd = np.full(2, geo.CURRENCY_INDEX["IQD"])
    assert all(a % 250 == 0 for a in geo.to_currency(usd, iqd))
    assert geo.nice_round(np.array([173.0, 2_360.0, 7.0])).tolist() == [170.0, 2_400.0, 7.0]
    assert geo.nice_round(np.array([2_360.0]), down=True).tolist() == [2_300.0]


def test_tx_ids_are_fixed_width_and_ordered() -> None:
    ids = tx_ids(9_999, 3).to_pylist()
    assert ids == ["T0000009999", "T0000010000", "T0000010001"]
