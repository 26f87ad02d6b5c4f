"""Who lives in the simulated world: parties (people, companies, charities, banks) and accounts.

Parties are held as numpy columns so that normal life can be generated for hundreds of
thousands of them at once. The typologies first *cast* some of them into roles (moving a
company to Gaziantep, making it a new trader whose accounts open shortly before its first
deal); only then are accounts drawn, so that every account agrees with its holder's final
country and opening date. Party ids are assigned in a shuffled order, so that neither kind nor
role can be read from an id; account ids follow opening dates, as a bank's numbering would.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date

import numpy as np

from counterflow.simulate import geo
from counterflow.simulate.names import (
    CULTURE_INDEX,
    SURNAMES,
    bank_names,
    company_name,
    npo_name,
    person_names,
)
from counterflow.transactions.schema import PARTY_KINDS

PERSON, COMPANY, NPO, BANK = (PARTY_KINDS.index(k) for k in ("person", "company", "npo", "bank"))
#: a day long before the simulation: "active since forever"
LONG_AGO = -1_000_000
FAR_AHEAD = 1_000_000

#: business sectors of companies, with their share of companies
SECTORS: tuple[tuple[str, float], ...] = (
    ("retail", 0.22), ("food & hospitality", 0.10), ("utilities", 0.03), ("telecom", 0.02),
    ("real estate", 0.06), ("insurance", 0.015), ("construction", 0.07), ("manufacturing", 0.07),
    ("logistics", 0.05), ("wholesale food", 0.05), ("textiles", 0.04), ("IT services", 0.04),
    ("consulting", 0.04), ("travel & airlines", 0.02), ("payment services", 0.01),
    ("automotive", 0.03), ("healthcare", 0.03), ("oil & fuel trading", 0.02),
    ("grain & milling", 0.02), ("cotton & fibres", 0.01), ("construction materials", 0.02),
    ("chemicals & fertilisers", 0.015), ("art & antiques", 0.008), ("general trading", 0.03),
)  # fmt: skip
SECTOR_NAMES: tuple[str, ...] = (*(s for s, _ in SECTORS), "charity", "banking")
SECTOR_INDEX: dict[str, int] = {s: i for i, s in enumerate(SECTOR_NAMES)}
#: where a sector is more common than its world share (oil in the Gulf and Iraq, grain in
#: Turkey and Iraq, the art trade in London, Geneva and Beirut)
_SECTOR_BIAS: dict[str, dict[str, float]] = {
    "oil & fuel trading": {"IQ": 4, "AE": 4, "SA": 4, "KW": 4, "QA": 3, "TR": 2, "NL": 2},
    "grain & milling": {"TR": 3, "IQ": 2, "SY": 3, "JO": 2, "LB": 2},
    "cotton & fibres": {"TR": 3, "SY": 3},
    "construction materials": {"TR": 3, "IQ": 2, "JO": 2, "LB": 2},
    "chemicals & fertilisers": {"JO": 4, "TR": 2, "DE": 2, "LB": 2},
    "art & antiques": {"GB": 4, "CH": 4, "FR": 3, "LB": 3, "AE": 3, "DE": 2, "US": 2},
    "general trading": {"AE": 4, "TR": 2, "IQ": 2, "LB": 2, "JO": 2},
    "payment services": {"AE": 3, "LB": 2, "IQ": 2, "TR": 2},
}


@dataclass
class Population:
    """The parties of the world, one array entry per party (index = row in parties.parquet)."""

    start: date
    days: int
    kind: np.ndarray  # int8 index into PARTY_KINDS
    country: np.ndarray  # int16 index into geo.COUNTRIES
    city: np.ndarray  # int16 index into geo.CITY_NAMES
    sector: np.ndarray  # int16 index into SECTOR_NAMES, -1 for people
    born: np.ndarray  # int32 days since 1970-01-01 (birth or registration)
    female: np.ndarray  # bool
    origin: np.ndarray  # int16 country a diaspora member sends money to, else -1
    culture: np.ndarray  # int8 index into names.CULTURES (people), else -1
    scale: np.ndarray  # float64 monthly pay (people) or turnover (others), in USD
    names: list[str]
    banks: list[tuple[str, str, int]]  # (name, BIC, country index) of each bank
    bank_party: np.ndarray  # party index of each bank
    #: first and last simulated day the party acts (new accounts, dormant travellers)
    active_from: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int32))
    active_until: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int32))
    #: simulated day a cast party's accounts open (new traders), else LONG_AGO
    new_from: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int32))
    reserved: np.ndarray = field(default_factory=lambda: np.zeros(0, bool))
    #: cast parties whose accounts must predate the span (they have a history to compare with)
    established: np.ndarray = field(default_factory=lambda: np.zeros(0, bool))

    def __len__(self) -> int:
        return len(self.kind)

    @property
    def epoch_day(self) -> int:
        """Days from 1970-01-01 to the first simulated day."""
        return (self.start - date(1970, 1, 1)).days

    def of_kind(self, kind: int) -> np.ndarray:
        return np.flatnonzero(self.kind == kind)


@dataclass
class Accounts:
    """Accounts, ordered by opening date; ``primary[p]`` is party p's main account."""

    party: np.ndarray  # int32
    bank: np.ndarray  # int16 index into Population.banks
    country: np.ndarray  # int16
    opened: np.ndarray  # int32 days since 1970-01-01
    primary: np.ndarray  # int32, one per party
    ids: list[str]

    def __len__(self) -> int:
        return len(self.party)

    @property
    def currency(self) -> np.ndarray:
        return np.asarray(geo.COUNTRY_CURRENCY[self.country], dtype=np.int16)


def _choice(rng: np.random.Generator, weights: np.ndarray, n: int) -> np.ndarray:
    cdf = np.cumsum(weights / weights.sum())
    return np.minimum(np.searchsorted(cdf, rng.random(n), side="right"), len(weights) - 1)


def _cities(rng: np.random.Generator, country: np.ndarray) -> np.ndarray:
    """A city in each party's country, weighted by population."""
    city = np.zeros(len(country), dtype=np.int16)
    offset = 0
    for ci, c in enumerate(geo.COUNTRIES):
        where = np.flatnonzero(country == ci)
        weights = np.array([w for _, w in c.cities])
        city[where] = offset + _choice(rng, weights, len(where))
        offset += len(c.cities)
    return city


def _sectors(rng: np.random.Generator, country: np.ndarray) -> np.ndarray:
    base = np.array([w for _, w in SECTORS])
    sector = np.zeros(len(country), dtype=np.int16)
    for ci, c in enumerate(geo.COUNTRIES):
        where = np.flatnonzero(country == ci)
        weights = base.copy()
        for k, (name, _) in enumerate(SECTORS):
            weights[k] *= _SECTOR_BIAS.get(name, {}).get(c.code, 1.0)
        sector[where] = _choice(rng, weights, len(where))
    return sector


def _cultures(rng: np.random.Generator, home: np.ndarray) -> np.ndarray:
    """The name culture of each person, from the country they (or their family) come from."""
    culture = np.zeros(len(home), dtype=np.int8)
    for ci, c in enumerate(geo.COUNTRIES):
        where = np.flatnonzero(home == ci)
        names = [CULTURE_INDEX[k] for k, _ in c.cultures]
        weights = np.array([w for _, w in c.cultures])
        culture[where] = np.array(names, dtype=np.int8)[_choice(rng, weights, len(where))]
    return culture


def build_population(rng: np.random.Generator, parties: int, start: date, days: int) -> Population:
    """``parties`` parties: three invented banks per country, about 0.8% charities, 11%
    companies and the rest people, each with a home, a name and a scale of money."""
    banks = [
        (name, bic, ci)
        for ci, c in enumerate(geo.COUNTRIES)
        for name, bic in bank_names(c.code, c.cities[0][0])
    ]
    n_bank = len(banks)
    n_npo = max(10, round(parties * 0.008))
    n_company = max(60, round(parties * 0.11))
    n_person = parties - n_bank - n_npo - n_company
    kind = np.concatenate(
        [
            np.full(n_bank, BANK),
            np.full(n_npo, NPO),
            np.full(n_company, COMPANY),
            np.full(n_person, PERSON),
        ]
    ).astype(np.int8)
    country = _choice(rng, geo.COUNTRY_WEIGHT, parties).astype(np.int16)
    country[:n_bank] = [ci for _, _, ci in banks]
    city = _cities(rng, country)
    for b, (_, _, ci) in enumerate(banks):
        city[b] = int(np.flatnonzero(ci == geo.CITY_COUNTRY)[0])
    sector = np.full(parties, -1, dtype=np.int16)
    sector[:n_bank] = SECTOR_INDEX["banking"]
    sector[n_bank : n_bank + n_npo] = SECTOR_INDEX["charity"]
    sector[n_bank + n_npo : n_bank + n_npo + n_company] = _sectors(
        rng, country[n_bank + n_npo : n_bank + n_npo + n_company]
    )
    people = slice(n_bank + n_npo + n_company, parties)
    origin = np.full(parties, -1, dtype=np.int16)
    diaspora = rng.random(n_person) < geo.COUNTRY_DIASPORA[country[people]]
    person_origin = np.full(n_person, -1, dtype=np.int16)
    for ci, c in enumerate(geo.COUNTRIES):
        where = np.flatnonzero(diaspora & (country[people] == ci))
        if c.origins and len(where):
            codes = np.array([geo.COUNTRY_INDEX[o] for o, _ in c.origins], dtype=np.int16)
            person_origin[where] = codes[
                _choice(rng, np.array([w for _, w in c.origins]), len(where))
            ]
    origin[people] = person_origin
    female = rng.random(parties) < 0.5
    epoch_day = (start - date(1970, 1, 1)).days
    age_years = np.where(kind == PERSON, rng.uniform(18, 80, parties), rng.uniform(1, 40, parties))
    born = (epoch_day - age_years * 365.25).astype(np.int32)
    scale = _scales(rng, kind, country)
    home = np.where(origin >= 0, origin, country)
    culture = np.full(parties, -1, dtype=np.int8)
    culture[people] = _cultures(rng, home[people])
    names = _names(rng, kind, country, city, sector, female, culture, banks)
    pop = Population(
        start=start,
        days=days,
        kind=kind,
        country=country,
        city=city,
        sector=sector,
        born=born,
        female=female,
        origin=origin,
        culture=culture,
        scale=scale,
        names=names,
        banks=banks,
        bank_party=np.arange(n_bank, dtype=np.int32),
    )
    _shuffle(pop, rng)
    pop.active_from = np.full(parties, LONG_AGO, dtype=np.int32)
    pop.active_until = np.full(parties, FAR_AHEAD, dtype=np.int32)
    pop.new_from = np.full(parties, LONG_AGO, dtype=np.int32)
    pop.reserved = np.zeros(parties, dtype=bool)
    pop.established = pop.kind == BANK  # banks were there before any customer
    return pop


def _scales(rng: np.random.Generator, kind: np.ndarray, country: np.ndarray) -> np.ndarray:
    wage = geo.COUNTRY_WAGE[country]
    person = wage * rng.lognormal(0.0, 0.45, len(kind))
    company = 60_000 * np.sqrt(wage / 3000) * rng.lognormal(0.0, 1.1, len(kind))
    npo = 20_000 * rng.lognormal(0.0, 1.0, len(kind))
    bank = np.full(len(kind), 5e7)
    return np.select(
        [kind == PERSON, kind == COMPANY, kind == NPO], [person, company, npo], default=bank
    )


def _names(
    rng: np.random.Generator,
    kind: np.ndarray,
    country: np.ndarray,
    city: np.ndarray,
    sector: np.ndarray,
    female: np.ndarray,
    culture: np.ndarray,
    banks: Sequence[tuple[str, str, int]],
) -> list[str]:
    names = [name for name, _, _ in banks]
    person = np.flatnonzero(kind == PERSON)
    people = person_names(rng, culture[person], female[person])
    local_culture = _cultures(rng, country)
    for p in range(len(banks), int(person[0]) if len(person) else len(kind)):
        code = geo.COUNTRY_CODES[int(country[p])]
        if kind[p] == NPO:
            names.append(npo_name(rng, code, geo.CITY_NAMES[int(city[p])]))
        else:
            pool = SURNAMES[int(local_culture[p])]
            surname = pool[int(rng.integers(len(pool)))]
            names.append(company_name(rng, code, SECTOR_NAMES[int(sector[p])], surname))
    return names + people


def _shuffle(pop: Population, rng: np.random.Generator) -> None:
    """Mix kinds so that a party's id says nothing about what it is."""
    order = rng.permutation(len(pop.kind))
    for name in (
        "kind",
        "country",
        "city",
        "sector",
        "born",
        "female",
        "origin",
        "culture",
        "scale",
    ):
        setattr(pop, name, getattr(pop, name)[order])
    pop.names = [pop.names[i] for i in order.tolist()]
    inverse = np.empty_like(order)
    inverse[order] = np.arange(len(order))
    pop.bank_party = inverse[pop.bank_party].astype(np.int32)


def party_ids(count: int) -> list[str]:
    return [f"P{i:08d}" for i in range(count)]


# --------------------------------------------------------------------------- accounts


def build_accounts(rng: np.random.Generator, pop: Population) -> Accounts:
    """One to three accounts per party at banks of its country; some people also keep one in
    the country their family lives in. Cast new traders open all theirs on their new day."""
    n = len(pop)
    count = np.where(
        pop.kind == PERSON,
        _choice(rng, np.array([0.6, 0.3, 0.1]), n) + 1,
        np.where(pop.kind == BANK, 1, _choice(rng, np.array([0.5, 0.35, 0.15]), n) + 1),
    )
    party = np.repeat(np.arange(n, dtype=np.int32), count)
    nth = np.arange(len(party)) - np.repeat(np.cumsum(count) - count, count)
    country = pop.country[party].copy()
    abroad = (nth == 2) & (pop.origin[party] >= 0)
    country[abroad] = pop.origin[party][abroad]
    bank_country = np.array([ci for _, _, ci in pop.banks], dtype=np.int16)
    bank = np.zeros(len(party), dtype=np.int16)
    for ci in range(len(geo.COUNTRIES)):
        where = np.flatnonzero(country == ci)
        options = np.flatnonzero(bank_country == ci)
        bank[where] = options[rng.integers(0, len(options), len(where))]
    own_bank = pop.kind[party] == BANK
    bank[own_bank] = _bank_of(pop, party[own_bank])  # a bank banks with itself
    opened = _opening_days(rng, pop, party, nth)
    order = np.lexsort((nth, party, opened))
    party, bank, country, opened = party[order], bank[order], country[order], opened[order]
    # the main account is the one opened first
    primary = np.full(n, -1, dtype=np.int32)
    rev = np.arange(len(party) - 1, -1, -1)
    primary[party[rev]] = rev.astype(np.int32)
    epoch_day = pop.epoch_day
    first = opened[primary] - epoch_day
    pop.active_from = np.maximum(pop.active_from, np.where(first > 0, first, LONG_AGO)).astype(
        np.int32
    )
    ids = [f"A{i:09d}" for i in range(len(party))]
    return Accounts(
        party=party, bank=bank, country=country, opened=opened, primary=primary, ids=ids
    )


def _bank_of(pop: Population, parties: np.ndarray) -> np.ndarray:
    lookup = {int(p): b for b, p in enumerate(pop.bank_party.tolist())}
    return np.array([lookup[int(p)] for p in parties], dtype=np.int16)


def _opening_days(
    rng: np.random.Generator, pop: Population, party: np.ndarray, nth: np.ndarray
) -> np.ndarray:
    """Opening dates: most accounts years old, about 5% opened during the simulated span
    (new customers: the benign look-alikes of new traders), cast new traders on their day."""
    epoch_day = pop.epoch_day
    born = pop.born[party].astype(np.int64)
    adult = np.where(pop.kind[party] == PERSON, born + 18 * 365, born + 7)
    earliest = np.maximum(adult, epoch_day - 25 * 365)
    span = np.maximum(epoch_day - earliest, 1)
    opened = earliest + (rng.random(len(party)) * span).astype(np.int64)
    during = (rng.random(len(party)) < 0.05) & ~pop.established[party]
    opened[during] = epoch_day + rng.integers(0, max(pop.days - 1, 1), int(during.sum()))
    opened = np.maximum(opened, adult)
    new = pop.new_from[party]
    is_new = new > LONG_AGO
    later = np.where(nth > 0, rng.integers(0, 20, len(party)), 0)
    opened[is_new] = epoch_day + new[is_new] + later[is_new]
    return np.asarray(opened, dtype=np.int32)
