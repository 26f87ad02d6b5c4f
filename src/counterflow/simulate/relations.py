"""Who deals with whom in normal life: employers, landlords, shops, suppliers, family abroad.

Relationships are drawn once per world, after the typologies have cast their parties, so that
normal life and the planted channels share one population (a donor to a planted collector
also pays rent and shops). Everything is an array over parties, computed vectorised.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from counterflow.simulate import geo
from counterflow.simulate.config import NormalConfig
from counterflow.simulate.population import (
    COMPANY,
    NPO,
    PERSON,
    SECTOR_INDEX,
    Accounts,
    Population,
)

#: where charities' field partners work: the Syrian, Iraqi and Lebanese borders, and where
#: international aid to Syria has been run from since 2012
FIELD_CITIES: tuple[tuple[str, str], ...] = (
    ("TR", "Gaziantep"), ("TR", "Antakya"), ("TR", "Kilis"), ("TR", "Şanlıurfa"),
    ("LB", "Beirut"), ("LB", "Tripoli"), ("JO", "Amman"), ("JO", "Mafraq"), ("IQ", "Erbil"),
    ("IQ", "Duhok"),
)  # fmt: skip
#: trips abroad: destination cities and their weights
TRIP_CITIES: tuple[tuple[str, str, float], ...] = (
    ("TR", "Istanbul", 0.24), ("TR", "Antalya", 0.14), ("AE", "Dubai", 0.14),
    ("FR", "Paris", 0.1), ("GB", "London", 0.1), ("LB", "Beirut", 0.07), ("JO", "Amman", 0.05),
    ("TR", "Gaziantep", 0.04), ("IQ", "Erbil", 0.03), ("DE", "Berlin", 0.05),
    ("TR", "Izmir", 0.04),
)  # fmt: skip
#: main cross-border trade partners of each country
TRADE_PARTNERS: dict[str, tuple[tuple[str, float], ...]] = {
    "TR": (("IQ", 0.3), ("DE", 0.3), ("AE", 0.15), ("GB", 0.1), ("NL", 0.15)),
    "IQ": (("TR", 0.5), ("AE", 0.25), ("JO", 0.15), ("DE", 0.1)),
    "SY": (("TR", 0.4), ("LB", 0.4), ("IQ", 0.2)),
    "LB": (("AE", 0.3), ("TR", 0.3), ("FR", 0.2), ("JO", 0.2)),
    "JO": (("SA", 0.3), ("IQ", 0.3), ("AE", 0.2), ("TR", 0.2)),
}
_DEFAULT_PARTNERS: tuple[tuple[str, float], ...] = (
    ("DE", 0.25),
    ("AE", 0.2),
    ("TR", 0.2),
    ("GB", 0.15),
    ("US", 0.1),
    ("NL", 0.1),
)


class Picker:
    """Draws members of a group by a key (a country or a city), optionally weighted."""

    def __init__(
        self, members: np.ndarray, key: np.ndarray, n_keys: int, weight: np.ndarray | None = None
    ) -> None:
        order = np.lexsort((members, key))
        self.members = members[order]
        keys = key[order]
        self.lo = np.searchsorted(keys, np.arange(n_keys), side="left")
        self.hi = np.searchsorted(keys, np.arange(n_keys), side="right")
        self.cum = None if weight is None else np.cumsum(weight[order].astype(np.float64))

    def pick(self, rng: np.random.Generator, keys: np.ndarray) -> np.ndarray:
        """One member per key; -1 where the key's group is empty."""
        keys = keys.astype(np.int64)
        if not len(self.members):
            return np.full(len(keys), -1, dtype=np.int64)
        lo, hi = self.lo[keys], self.hi[keys]
        u = rng.random(len(keys))
        empty = hi <= lo
        if self.cum is None:
            idx = lo + (u * (hi - lo)).astype(np.int64)
        else:
            base = np.where(lo > 0, self.cum[np.maximum(lo - 1, 0)], 0.0)
            top = self.cum[np.maximum(hi - 1, 0)]
            idx = np.searchsorted(self.cum, base + u * (top - base), side="right")
            idx = np.clip(idx, lo, np.maximum(hi - 1, lo))
        idx = np.minimum(idx, len(self.members) - 1)
        return np.where(empty, -1, self.members[idx]).astype(np.int64)

    def pick_any(self, rng: np.random.Generator, n: int) -> np.ndarray:
        """Members drawn from the whole group, ignoring keys."""
        return self.members[rng.integers(0, len(self.members), n)].astype(np.int64)


def _fill(rng: np.random.Generator, chosen: np.ndarray, fallback: Picker) -> np.ndarray:
    """Where a keyed pick found nobody, draw from the whole group instead."""
    missing = chosen < 0
    if missing.any() and len(fallback.members):
        chosen[missing] = fallback.pick_any(rng, int(missing.sum()))
    return chosen


def _by_sector(pop: Population, sectors: tuple[str, ...]) -> np.ndarray:
    wanted = np.array([SECTOR_INDEX[s] for s in sectors])
    return np.flatnonzero((pop.kind == COMPANY) & np.isin(pop.sector, wanted))


@dataclass
class Relations:
    """Normal life's fixed relationships, indexed by party."""

    persons: np.ndarray
    companies: np.ndarray
    npos: np.ndarray
    employer: np.ndarray  # per party: employer party, -1
    billers: np.ndarray  # (parties, 2): landlord or utility; phone or insurer; -1
    bill_day: np.ndarray  # (parties, 2) day of month of each bill
    bill_usd: np.ndarray  # (parties, 2) monthly bill in USD
    merchants: np.ndarray  # (parties, 4) favourite shops
    family: np.ndarray  # per party: family member abroad, -1
    remit_usd: np.ndarray  # per party
    charity: np.ndarray  # per party: charity given to, -1
    suppliers: np.ndarray  # (parties, 3): -1 for non-companies
    field_partners: np.ndarray  # (parties, 2): charities' partners, -1
    lender: np.ndarray  # per party: bank party lending to them, -1
    loan_day: np.ndarray  # per party: simulated day the loan is drawn
    loan_usd: np.ndarray
    loan_months: np.ndarray
    agents: np.ndarray  # payment-services companies
    merchants_by_city: Picker
    everyone: Picker  # people by country
    airlines: Picker
    cash_businesses: np.ndarray


def build_relations(
    rng: np.random.Generator, pop: Population, accounts: Accounts, config: NormalConfig
) -> Relations:
    """Draw every relationship of normal life at once."""
    n = len(pop)
    n_countries = len(geo.COUNTRIES)
    n_cities = len(geo.CITY_NAMES)
    persons = pop.of_kind(PERSON)
    companies = pop.of_kind(COMPANY)
    npos = pop.of_kind(NPO)
    country = pop.country.astype(np.int64)

    def picker(members: np.ndarray, key: np.ndarray, n_keys: int, weight: bool = False) -> Picker:
        return Picker(members, key[members], n_keys, pop.scale[members] if weight else None)

    all_companies = picker(companies, country, n_countries, weight=True)
    employer = np.full(n, -1, dtype=np.int64)
    age_days = pop.epoch_day - pop.born[persons]
    working = (age_days < 67 * 365) & (rng.random(len(persons)) < config.employed_share)
    # people work, rent, pay bills and shop in their own country; where the world has no
    # such business there (a small world), they go without rather than abroad
    employer[persons[working]] = all_companies.pick(rng, country[persons[working]])

    billers = np.full((n, 2), -1, dtype=np.int64)
    bill_usd = np.zeros((n, 2))
    for slot, options in enumerate(
        ((("real estate", 0.30), ("utilities", 0.07)), (("telecom", 0.03), ("insurance", 0.05)))
    ):
        who = persons if slot == 0 else persons[rng.random(len(persons)) < config.second_bill_share]
        choice = rng.integers(0, 2, len(who))
        for k, (sector, share) in enumerate(options):
            chosen = who[choice == k]
            group = _by_sector(pop, (sector,))
            if not len(group):
                continue
            sector_picker = picker(group, country, n_countries)
            billers[chosen, slot] = sector_picker.pick(rng, country[chosen])
            bill_usd[chosen, slot] = pop.scale[chosen] * share * rng.lognormal(0, 0.2, len(chosen))
    bill_day = rng.integers(1, 29, (n, 2))

    shops = _by_sector(pop, ("retail", "food & hospitality", "healthcare", "automotive"))
    by_city = picker(shops, pop.city.astype(np.int64), n_cities)
    by_country = picker(shops, country, n_countries)
    merchants = np.full((n, 4), -1, dtype=np.int64)
    for slot in range(4):
        chosen = by_city.pick(rng, pop.city[persons].astype(np.int64))
        missing = chosen < 0
        chosen[missing] = by_country.pick(rng, country[persons[missing]])
        merchants[persons, slot] = chosen

    everyone = picker(persons, country, n_countries)
    family = np.full(n, -1, dtype=np.int64)
    diaspora = persons[pop.origin[persons] >= 0]
    family[diaspora] = everyone.pick(rng, pop.origin[diaspora].astype(np.int64))
    remit_usd = np.where(family >= 0, pop.scale * rng.uniform(0.08, 0.2, n), 0.0)

    charity = np.full(n, -1, dtype=np.int64)
    donors = persons[rng.random(len(persons)) < config.donor_share]
    if len(npos):
        local = picker(npos, country, n_countries)
        chosen = local.pick(rng, country[donors])
        big = npos[np.argsort(-pop.scale[npos], kind="stable")[:10]]
        abroad = (chosen < 0) | (rng.random(len(donors)) < 0.3)
        chosen[abroad] = big[rng.integers(0, len(big), int(abroad.sum()))]
        charity[donors] = chosen

    suppliers = np.full((n, 3), -1, dtype=np.int64)
    partners = _partner_countries(rng, country[companies])
    for slot in range(3):
        abroad = rng.random(len(companies)) < 0.2
        where = np.where(abroad, partners, country[companies])
        chosen = _fill(rng, all_companies.pick(rng, where), all_companies)
        same = chosen == companies
        chosen[same] = all_companies.pick_any(rng, int(same.sum()))
        suppliers[companies, slot] = chosen

    field_partners = np.full((n, 2), -1, dtype=np.int64)
    field_members = np.concatenate([npos, companies])
    field_picker = picker(field_members, pop.city.astype(np.int64), n_cities)
    country_picker = picker(field_members, country, n_countries)
    cities = np.array([geo.city(c, name) for c, name in FIELD_CITIES])
    for slot in range(2):
        target = cities[rng.integers(0, len(cities), len(npos))]
        chosen = field_picker.pick(rng, target)
        missing = chosen < 0
        chosen[missing] = country_picker.pick(rng, geo.CITY_COUNTRY[target[missing]])
        field_partners[npos, slot] = _fill(rng, chosen, country_picker)

    lender = np.full(n, -1, dtype=np.int64)
    borrowers = persons[rng.random(len(persons)) < config.loan_share]
    bank_of_account = pop.bank_party[accounts.bank[accounts.primary[borrowers]]]
    lender[borrowers] = bank_of_account
    loan_months = rng.integers(12, 61, n)
    loan_day = rng.integers(-365, max(pop.days, 1), n)
    loan_usd = pop.scale * rng.uniform(2, 12, n)

    travel = _by_sector(pop, ("travel & airlines",))
    return Relations(
        persons=persons,
        companies=companies,
        npos=npos,
        employer=employer,
        billers=billers,
        bill_day=bill_day,
        bill_usd=bill_usd,
        merchants=merchants,
        family=family,
        remit_usd=remit_usd,
        charity=charity,
        suppliers=suppliers,
        field_partners=field_partners,
        lender=lender,
        loan_day=loan_day,
        loan_usd=loan_usd,
        loan_months=loan_months,
        agents=_by_sector(pop, ("payment services",)),
        merchants_by_city=by_city,
        everyone=everyone,
        airlines=picker(travel if len(travel) else shops, country, n_countries),
        cash_businesses=_by_sector(pop, ("retail", "food & hospitality")),
    )


def _partner_countries(rng: np.random.Generator, country: np.ndarray) -> np.ndarray:
    out = np.zeros(len(country), dtype=np.int64)
    for ci, code in enumerate(geo.COUNTRY_CODES):
        where = np.flatnonzero(country == ci)
        table = TRADE_PARTNERS.get(code, _DEFAULT_PARTNERS)
        table = tuple((c, w) for c, w in table if c != code) or (("DE", 1.0),)
        codes = np.array([geo.COUNTRY_INDEX[c] for c, _ in table])
        weights = np.cumsum([w for _, w in table])
        pick = np.searchsorted(weights / weights[-1], rng.random(len(where)), side="right")
        out[where] = codes[np.minimum(pick, len(codes) - 1)]
    return out
