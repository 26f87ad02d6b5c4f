"""Normal life of households: pay, bills, shopping, cash, family abroad, gifts, loans, trips.

Each function makes one kind of transaction for a window of days, vectorised over all the
people concerned; :class:`counterflow.simulate.normal.NormalLife` calls them in turn.
"""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING

import numpy as np

from counterflow.simulate import geo
from counterflow.simulate.geo import nice_round
from counterflow.simulate.names import CULTURE_INDEX
from counterflow.simulate.population import SECTOR_NAMES
from counterflow.simulate.relations import TRIP_CITIES
from counterflow.simulate.rows import CHANNEL, PURPOSE, SOURCE, Rows, empty_rows, make_rows

if TYPE_CHECKING:
    from counterflow.simulate.normal import NormalLife

_MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August",
           "September", "October", "November", "December")  # fmt: skip
_BILL_PURPOSE = {
    "real estate": ("RENT", "Rent"),
    "utilities": ("ELEC", "Electricity"),
    "telecom": ("PHON", "Mobile plan"),
    "insurance": ("INSU", "Insurance premium"),
}
_REMIT_TEXTS = ("Family support", "For mother", "Monthly support", "For the family",
                "Family expenses", "Rent for family", "Eid gift", "School fees", "Family",
                "Gift", "Loan repayment", "Urgent family matter", "For the business",
                "Goods")  # fmt: skip
_DONATION_TEXTS = ("Donation", "Zakat", "Sadaqa", "Monthly donation", "Spende", "Don",
                   "Gift Aid donation", "Winter appeal", "Orphan sponsorship", "Help for Sham",
                   "For the widows and orphans", "Ramadan donation", "Fi sabilillah",
                   "For Syria", "Ramadan appeal")  # fmt: skip
_MUSLIM_CULTURES = np.array([CULTURE_INDEX[c] for c in ("arabic", "kurdish", "turkish")])
_CASH_COUNTRIES = np.isin(np.array(geo.COUNTRY_CODES), ["IQ", "SY", "LB"])


def salaries(life: NormalLife, rng: np.random.Generator, first: int, stop: int) -> Rows:
    """Pay at the last working day of the month, from employer to employee."""
    rel, pop = life.rel, life.pop
    staff = np.flatnonzero(rel.employer >= 0)
    boss = rel.employer[staff]
    parts = []
    for fri in (0, 1):
        mine = geo.COUNTRY_FRIDAY_WEEKEND[pop.country[boss]] == bool(fri)
        people, payers = staff[mine], boss[mine]
        for payday in life.paydays[fri][(life.paydays[fri] >= first) & (life.paydays[fri] < stop)]:
            n = len(people)
            day = np.full(n, payday)
            payer, bene = life.primary[payers], life.primary[people]
            usd = pop.scale[people] * (1 + 0.01 * rng.standard_normal(n))
            amount, currency = life.money(usd, payer)
            when = pop.start + timedelta(days=int(payday))
            parts.append(
                make_rows(
                    day,
                    life.ts(rng, day, "batch", payers),
                    payer,
                    bene,
                    amount,
                    currency,
                    channel="wire",
                    source_type="PAYROLL",
                    purpose="SALA",
                    remit=np.zeros(n),
                    location=life.city_of(bene),
                    texts=[f"SALARY {_MONTHS[when.month - 1].upper()} {when.year}"],
                )
            )
    return Rows.concat(parts) if parts else empty_rows()


def bills(life: NormalLife, rng: np.random.Generator, first: int, stop: int) -> Rows:
    """Rent, power, phone and insurance by direct debit, on a fixed day each month."""
    rel, pop = life.rel, life.pop
    parts = []
    for slot in range(2):
        people = np.flatnonzero(rel.billers[:, slot] >= 0)
        for month_start in life.month_starts[
            (life.month_starts > first - 29) & (life.month_starts < stop)
        ]:
            day = month_start + rel.bill_day[people, slot] - 1
            inside = (day >= first) & (day < stop)
            who, day = people[inside], day[inside]
            if not len(who):
                continue
            biller = rel.billers[who, slot]
            payer, bene = life.primary[who], life.primary[biller]
            usd = rel.bill_usd[who, slot] * (1 + 0.04 * rng.standard_normal(len(who)))
            amount, currency = life.money(np.abs(usd), payer)
            sectors = pop.sector[biller]
            when = pop.start + timedelta(days=int(max(month_start, 0)))
            names = sorted(_BILL_PURPOSE)
            purpose = np.zeros(len(who), dtype=np.int64)
            remit = np.zeros(len(who), dtype=np.int64)
            texts = []
            for k, sector in enumerate(names):
                hit = sectors == SECTOR_NAMES.index(sector)
                code, word = _BILL_PURPOSE[sector]
                purpose[hit] = PURPOSE[code]
                remit[hit] = k
                texts.append(f"{word} {_MONTHS[when.month - 1]} {when.year}")
            parts.append(
                make_rows(
                    day,
                    life.ts(rng, day, "batch", who),
                    payer,
                    bene,
                    amount,
                    currency,
                    channel="wire",
                    source_type="DIRECT-DEBIT",
                    purpose=purpose,
                    remit=remit,
                    location=life.city_of(bene),
                    texts=texts,
                )
            )
    return Rows.concat(parts) if parts else empty_rows()


def cards(life: NormalLife, rng: np.random.Generator, first: int, stop: int) -> Rows:
    """Card purchases at favourite shops, more at weekends and in the evening."""
    rel, pop = life.rel, life.pop
    weight = life.card_weight
    n = life.count(
        rng, len(rel.persons), life.cfg.card_per_month / 30, float(weight[first:stop].sum())
    )
    who = rel.persons[rng.integers(0, len(rel.persons), n)]
    slot = np.minimum(np.searchsorted([0.4, 0.7, 0.9], rng.random(n), side="right"), 3)
    shop = rel.merchants[who, slot]
    ok = shop >= 0
    who, shop = who[ok], shop[ok]
    day = life.pick_days(rng, len(who), first, stop, weight)
    payer, bene = life.primary[who], life.primary[shop]
    usd = pop.scale[who] * 0.012 * rng.lognormal(0, 0.8, len(who))
    amount, currency = life.money(usd, payer)
    return make_rows(
        day,
        life.ts(rng, day, "card", shop),
        payer,
        bene,
        amount,
        currency,
        channel="card",
        source_type="CARD-POS",
        location=pop.city[shop],
    )


def remittances(life: NormalLife, rng: np.random.Generator, first: int, stop: int) -> Rows:
    """Diaspora members sending money to family at home, more around the Eids."""
    rel = life.rel
    senders = np.flatnonzero(rel.family >= 0)
    if not len(senders):
        return empty_rows()
    weight = (1 + life.ramadan) / 2
    n = life.count(
        rng, len(senders), life.cfg.remittance_per_month / 30, float(weight[first:stop].sum())
    )
    who = senders[rng.integers(0, len(senders), n)]
    day = life.pick_days(rng, n, first, stop, weight)
    payer, bene = life.primary[who], life.primary[rel.family[who]]
    usd = rel.remit_usd[who] * rng.lognormal(0, 0.25, n)
    currency = np.where(
        rng.random(n) < life.cfg.remittance_usd_share, geo.USD, life.acct_currency[payer]
    )
    by_bank = rng.random(n) < 0.12  # some send a bank transfer instead of using a shop
    return make_rows(
        day,
        life.ts(rng, day, "remit", who),
        payer,
        bene,
        geo.nice_money(usd, currency),
        currency,
        channel=np.where(by_bank, CHANNEL["wire"], CHANNEL["remittance"]),
        source_type=np.where(by_bank, SOURCE["SWIFT-MT103"], SOURCE["MONEY-TRANSFER"]),
        remit=rng.integers(0, len(_REMIT_TEXTS), n),
        location=life.city_of(bene),
        texts=list(_REMIT_TEXTS),
    )


def donations(life: NormalLife, rng: np.random.Generator, first: int, stop: int) -> Rows:
    """Gifts to charities: Muslim donors peak in Ramadan, others in December."""
    rel, pop = life.rel, life.pop
    donors = np.flatnonzero(rel.charity >= 0)
    muslim = np.isin(pop.culture[donors], _MUSLIM_CULTURES)
    parts = []
    for group, weight in ((donors[muslim], life.ramadan), (donors[~muslim], life.december)):
        if not len(group):
            continue
        n = life.count(
            rng, len(group), life.cfg.donations_per_month / 30, float(weight[first:stop].sum())
        )
        who = group[rng.integers(0, len(group), n)]
        day = life.pick_days(rng, n, first, stop, weight)
        payer, bene = life.primary[who], life.primary[rel.charity[who]]
        usd = 25 * rng.lognormal(0, 0.8, n) * np.sqrt(pop.scale[who] / 3000)
        currency = life.acct_currency[payer]
        cross = life.acc.country[payer] != life.acc.country[bene]
        # gifts abroad go by bank transfer or through a money transfer shop
        shop = cross & (rng.random(n) < 0.3)
        source = np.where(cross, SOURCE["SWIFT-MT103"], SOURCE["CREDIT-TRANSFER"])
        parts.append(
            make_rows(
                day,
                life.ts(rng, day, "remit", who),
                payer,
                bene,
                geo.nice_money(usd, currency),
                currency,
                channel=np.where(shop, CHANNEL["remittance"], CHANNEL["wire"]),
                source_type=np.where(shop, SOURCE["MONEY-TRANSFER"], source),
                purpose=np.where(shop, -1, PURPOSE["CHAR"]),
                remit=rng.integers(0, len(_DONATION_TEXTS), n),
                location=life.city_of(bene),
                texts=list(_DONATION_TEXTS),
            )
        )
    return Rows.concat(parts) if parts else empty_rows()


def loans(life: NormalLife, rng: np.random.Generator, first: int, stop: int) -> Rows:
    """Consumer loans drawn from the borrower's bank and repaid monthly."""
    rel = life.rel
    borrowers = np.flatnonzero(rel.lender >= 0)
    start = rel.loan_day[borrowers]
    drawn = borrowers[(start >= first) & (start < stop)]
    parts = []
    if len(drawn):
        day = life.workday(rel.loan_day[drawn], drawn, stop)
        payer, bene = life.primary[rel.lender[drawn]], life.primary[drawn]
        amount, currency = life.money(rel.loan_usd[drawn], bene)
        contract = rng.integers(10**6, 10**7, len(drawn))
        parts.append(
            make_rows(
                day,
                life.ts(rng, day, "office", drawn),
                payer,
                bene,
                nice_round(amount),
                currency,
                channel="wire",
                source_type="LOAN-DISBURSEMENT",
                purpose="LOAN",
                remit=np.arange(len(drawn)),
                location=life.city_of(bene),
                texts=[f"Consumer loan {c}" for c in contract.tolist()],
            )
        )
    for extra in range((stop - first) // 30 + 2):
        k = np.ceil((first - start) / 30).astype(np.int64) + extra
        day = start + 30 * k
        due = (k >= 1) & (k <= rel.loan_months[borrowers]) & (day >= first) & (day < stop)
        who, day = borrowers[due], day[due]
        if not len(who):
            continue
        payer, bene = life.primary[who], life.primary[rel.lender[who]]
        usd = rel.loan_usd[who] * 1.08 / rel.loan_months[who]
        amount, currency = life.money(usd, payer)
        parts.append(
            make_rows(
                day,
                life.ts(rng, day, "batch", who),
                payer,
                bene,
                amount,
                currency,
                channel="wire",
                source_type="LOAN-REPAYMENT",
                purpose="LOAR",
                location=life.city_of(bene),
            )
        )
    return Rows.concat(parts) if parts else empty_rows()


def trips(life: NormalLife, rng: np.random.Generator, first: int, stop: int) -> Rows:
    """Trips abroad: a flight bought online, then card payments at the destination."""
    rel, pop = life.rel, life.pop
    trips = life.count(rng, len(rel.persons), life.cfg.trips_per_year / 365, stop - first)
    who = rel.persons[rng.integers(0, len(rel.persons), trips)]
    weights = np.array([w for _, _, w in TRIP_CITIES])
    cities = np.array([geo.city(c, name) for c, name, _ in TRIP_CITIES])
    dest = cities[
        np.minimum(
            np.searchsorted(np.cumsum(weights / weights.sum()), rng.random(trips)),
            len(cities) - 1,
        )
    ]
    leave = rng.integers(first, stop, trips)
    airline = rel.airlines.pick(rng, pop.country[who].astype(np.int64))
    parts = []
    ok = airline >= 0
    if ok.any():
        w, a = who[ok], airline[ok]
        day = np.maximum(leave[ok] - rng.integers(3, 30, len(w)), first)
        payer, bene = life.primary[w], life.primary[a]
        amount, currency = life.money(pop.scale[w] * 0.15 * rng.lognormal(0, 0.4, len(w)), payer)
        parts.append(
            make_rows(
                day,
                life.ts(rng, day, "card", w),
                payer,
                bene,
                amount,
                currency,
                channel="card",
                source_type="CARD-ONLINE",
                location=pop.city[a],
            )
        )
    uses = rng.integers(3, 9, trips)
    traveller = np.repeat(who, uses)
    where = np.repeat(dest, uses)
    day = np.minimum(np.repeat(leave, uses) + rng.integers(0, 8, len(traveller)), stop - 1)
    shop = rel.merchants_by_city.pick(rng, where)
    ok = shop >= 0
    traveller, day, shop, where = traveller[ok], day[ok], shop[ok], where[ok]
    payer, bene = life.primary[traveller], life.primary[shop]
    usd = pop.scale[traveller] * 0.02 * rng.lognormal(0, 0.7, len(traveller))
    amount, currency = life.money(usd, bene)
    parts.append(
        make_rows(
            day,
            life.ts(rng, day, "card", shop),
            payer,
            bene,
            amount,
            currency,
            channel="card",
            source_type="CARD-POS",
            location=where,
        )
    )
    return Rows.concat(parts)


def cash_machines(life: NormalLife, rng: np.random.Generator, first: int, stop: int) -> Rows:
    """Cash machine withdrawals near home, twice as often where cash rules."""
    rel, pop = life.rel, life.pop
    days = stop - first
    heavy = _CASH_COUNTRIES[pop.country[rel.persons]]
    weight = np.where(heavy, 2.0, 1.0)
    n = life.count(rng, int(weight.sum()), life.cfg.atm_per_month / 30, days)
    cdf = np.cumsum(weight / weight.sum())
    who = rel.persons[np.minimum(np.searchsorted(cdf, rng.random(n)), len(cdf) - 1)]
    day = life.pick_days(rng, n, first, stop)
    payer = life.primary[who]
    usd = pop.scale[who] * 0.08 * rng.lognormal(0, 0.5, n)
    currency = life.acct_currency[payer]
    amount = geo.nice_money(usd, currency)
    return make_rows(
        day,
        life.ts(rng, day, "atm", who),
        payer,
        np.full(n, -1),
        amount,
        currency,
        channel="cash",
        source_type="ATM-WITHDRAWAL",
        location=pop.city[who],
    )
