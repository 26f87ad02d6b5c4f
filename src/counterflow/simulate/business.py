"""Normal life of businesses and charities: trade, takings, relays, contractors, branch cash,
and charities' payments to field partners.

Each function makes one kind of transaction for a window of days, vectorised over all the
parties concerned; :class:`counterflow.simulate.normal.NormalLife` calls them in turn.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from counterflow.simulate import geo
from counterflow.simulate.goods import CATALOGUE, describe
from counterflow.simulate.population import SECTOR_NAMES
from counterflow.simulate.rows import CHANNEL, PURPOSE, SOURCE, Rows, empty_rows, make_rows

if TYPE_CHECKING:
    from counterflow.simulate.normal import NormalLife

_PROGRAMME_TEXTS = ("food baskets", "winterisation kits", "medical supplies", "education grant",
                    "shelter rehabilitation", "orphan sponsorship", "water trucking")  # fmt: skip
#: what a charity's transfer says when it names no programme
_AID_TEXTS = ("Humanitarian aid", "Relief supplies", "Aid for orphans", "Family support")
#: trade payments that quote no invoice
_TRADE_TEXTS = ("Purchase of goods", "Advance payment", "Settlement of account", "Settlement")
_CHEQUE_COUNTRIES = np.isin(
    np.array(geo.COUNTRY_CODES), ["FR", "US", "CA", "TR", "LB", "JO", "IQ", "AE"]
)
_CONTRACTOR_TEXTS = ("Commission", "Consulting fee", "Consultancy fee",
                     "Transport and handling", "Freelance services", "Logistics services",
                     "Advance", "Advance payment")  # fmt: skip
#: small traders in these countries often pay suppliers abroad through money transfer shops
_REMITTING_TRADERS = np.isin(np.array(geo.COUNTRY_CODES), ["TR", "IQ", "SY", "LB", "JO", "AE"])


def trade(life: NormalLife, rng: np.random.Generator, first: int, stop: int) -> Rows:
    """Supplier payments: goods with HS codes (commodities at market prices), services."""
    rel, pop = life.rel, life.pop
    companies = rel.companies
    n = life.count(rng, len(companies), life.cfg.trade_per_month / 30, stop - first)
    weight = np.sqrt(pop.scale[companies])
    cdf = np.cumsum(weight / weight.sum())
    buyer = companies[np.minimum(np.searchsorted(cdf, rng.random(n)), len(cdf) - 1)]
    seller = rel.suppliers[buyer, rng.integers(0, 3, n)]
    day = life.workday(life.pick_days(rng, n, first, stop), buyer, stop)
    payer, bene = life.primary[buyer], life.primary[seller]
    cross = life.acc.country[payer] != life.acc.country[bene]
    both_euro = (
        geo.EURO_COUNTRIES[life.acc.country[payer]] & geo.EURO_COUNTRIES[life.acc.country[bene]]
    )
    currency = np.where(cross, np.where(both_euro, geo.EUR, geo.USD), life.acct_currency[payer])
    target = pop.scale[buyer] * 0.15 * rng.lognormal(0, 0.7, n)
    usd = target.copy()
    goods = np.full(n, -1, dtype=np.int64)
    hs = np.full(n, -1, dtype=np.int64)
    texts: list[str] = []
    pick, drift = rng.random(n), rng.lognormal(0, 0.05, n)
    sectors = pop.sector[seller].tolist()
    year = pop.start.year % 100
    invoice = rng.integers(1, 999_999, n)
    remit = np.arange(n, dtype=np.int64)
    texts.extend(f"INV {year}-{k:06d}" for k in invoice.tolist())
    plain = rng.random(n) < 0.1  # some payments quote no invoice
    texts.extend(_TRADE_TEXTS)
    remit[plain] = n + rng.integers(0, len(_TRADE_TEXTS), int(plain.sum()))
    for i, s in enumerate(sectors):
        catalogue = CATALOGUE.get(SECTOR_NAMES[s])
        if not catalogue:
            continue
        item = catalogue[int(pick[i] * len(catalogue))]
        if item.unit is not None:
            price = round(item.price_usd * float(drift[i]), 2)
            quantity = max(1.0, round(float(target[i]) / price))
            usd[i] = quantity * price
            origin = geo.CITY_NAMES[int(pop.city[seller[i]])]
            texts.append(f"{describe(item, quantity, price)}, origin {origin}")
        else:
            texts.append(item.description)
        goods[i] = len(texts) - 1
        texts.append(item.hs)
        hs[i] = len(texts) - 1
    purpose = np.where(
        goods >= 0, np.where(cross, PURPOSE["TRAD"], PURPOSE["GDDS"]), PURPOSE["SUPP"]
    )
    source = np.where(cross, SOURCE["SWIFT-MT103"], SOURCE["CREDIT-TRANSFER"])
    cheque = (
        ~cross
        & _CHEQUE_COUNTRIES[life.acc.country[payer]]
        & (rng.random(n) < life.cfg.cheque_share)
    )
    remitted = (
        cross
        & _REMITTING_TRADERS[life.acc.country[payer]]
        & (pop.scale[buyer] < 150_000)
        & (rng.random(n) < 0.3)
    )
    source = np.where(cheque, SOURCE["CHEQUE"], source)
    source = np.where(remitted, SOURCE["MONEY-TRANSFER"], source)
    channel = np.where(
        cheque, CHANNEL["cheque"], np.where(remitted, CHANNEL["remittance"], CHANNEL["wire"])
    )
    return make_rows(
        day,
        life.ts(rng, day, "office", buyer),
        payer,
        bene,
        geo.to_currency(usd, currency),
        currency,
        channel=channel,
        source_type=source,
        purpose=purpose,
        remit=remit,
        goods=goods,
        hs=hs,
        location=life.city_of(bene),
        texts=texts,
    )


def field_payments(life: NormalLife, rng: np.random.Generator, first: int, stop: int) -> Rows:
    """Charities paying their field partners, many at the Syrian border."""
    rel, pop = life.rel, life.pop
    if not len(rel.npos):
        return empty_rows()
    weight = (1 + life.ramadan) / 2
    n = life.count(
        rng, len(rel.npos), life.cfg.npo_payouts_per_month / 30, float(weight[first:stop].sum())
    )
    npo = rel.npos[rng.integers(0, len(rel.npos), n)]
    partner = rel.field_partners[npo, rng.integers(0, 2, n)]
    day = life.workday(life.pick_days(rng, n, first, stop, weight), npo, stop)
    payer, bene = life.primary[npo], life.primary[partner]
    cross = life.acc.country[payer] != life.acc.country[bene]
    currency = np.where(cross, geo.USD, life.acct_currency[payer])
    usd = pop.scale[npo] * 0.15 * rng.lognormal(0, 0.5, n)
    code = rng.integers(100, 999, n)
    what = rng.integers(0, len(_PROGRAMME_TEXTS), n)
    texts = [
        f"Programme {c}: {_PROGRAMME_TEXTS[w]}"
        for c, w in zip(code.tolist(), what.tolist(), strict=True)
    ]
    texts.extend(_AID_TEXTS)
    remit = np.where(rng.random(n) < 0.3, n + rng.integers(0, len(_AID_TEXTS), n), np.arange(n))
    # money into Syria often goes through money transfer offices near the border
    remitted = cross & (rng.random(n) < 0.2)
    source = np.where(cross, SOURCE["SWIFT-MT103"], SOURCE["CREDIT-TRANSFER"])
    return make_rows(
        day,
        life.ts(rng, day, "office", npo),
        payer,
        bene,
        geo.to_currency(usd, currency),
        currency,
        channel=np.where(remitted, CHANNEL["remittance"], CHANNEL["wire"]),
        source_type=np.where(remitted, SOURCE["MONEY-TRANSFER"], source),
        purpose="CHAR",
        remit=remit,
        location=life.city_of(bene),
        texts=texts,
    )


def relays(life: NormalLife, rng: np.random.Generator, first: int, stop: int) -> Rows:
    """Payment-services companies receiving and passing on payments within a day."""
    rel, pop = life.rel, life.pop
    agents = rel.agents
    if not len(agents) or stop - first < 2:
        return empty_rows()
    n = life.count(rng, len(agents), life.cfg.agent_relays_per_month / 30, stop - first)
    agent = agents[rng.integers(0, len(agents), n)]
    sender = rel.companies[rng.integers(0, len(rel.companies), n)]
    receiver = rng.integers(0, len(pop), n)
    day_in = life.pick_days(rng, n, first, stop - 1)
    day_out = day_in + rng.integers(0, 2, n)
    usd = 3000 * rng.lognormal(0, 1.0, n)
    fee = rng.uniform(0.005, 0.015, n)
    hub = life.primary[agent]
    currency = life.acct_currency[hub]
    amount_in = geo.to_currency(usd, currency)
    amount_out = geo.to_currency(usd * (1 - fee), currency)
    order = rng.integers(10_000, 99_999, n)
    texts = [f"Payment order {k}" if k % 5 else "Settlement" for k in order.tolist()]
    inflow = make_rows(
        day_in,
        life.ts(rng, day_in, "office", sender),
        life.primary[sender],
        hub,
        amount_in,
        currency,
        channel="wire",
        source_type="CREDIT-TRANSFER",
        purpose="SUPP",
        remit=np.arange(n),
        location=pop.city[agent],
        texts=texts,
    )
    outflow = make_rows(
        day_out,
        life.ts(rng, day_out, "office", agent),
        hub,
        life.primary[receiver],
        amount_out,
        currency,
        channel="wire",
        source_type="CREDIT-TRANSFER",
        purpose="SUPP",
        remit=np.arange(n),
        location=pop.city[receiver],
        texts=texts,
    )
    return Rows.concat([inflow, outflow])


def contractors(life: NormalLife, rng: np.random.Generator, first: int, stop: int) -> Rows:
    """Companies paying self-employed people of their country: commissions, transport,
    consulting."""
    rel, pop = life.rel, life.pop
    n = life.count(
        rng, len(rel.companies), life.cfg.contractor_payments_per_month / 30, stop - first
    )
    company = rel.companies[rng.integers(0, len(rel.companies), n)]
    person = life.rel.everyone.pick(rng, pop.country[company].astype(np.int64))
    ok = person >= 0
    company, person = company[ok], person[ok]
    day = life.workday(life.pick_days(rng, len(company), first, stop), company, stop)
    payer, bene = life.primary[company], life.primary[person]
    usd = pop.scale[company] * 0.03 * rng.lognormal(0, 0.8, len(company))
    amount, currency = life.money(usd, payer)
    return make_rows(
        day,
        life.ts(rng, day, "office", company),
        payer,
        bene,
        amount,
        currency,
        channel="wire",
        source_type="CREDIT-TRANSFER",
        purpose="SUPP",
        remit=rng.integers(0, len(_CONTRACTOR_TEXTS), len(company)),
        location=life.city_of(bene),
        texts=list(_CONTRACTOR_TEXTS),
    )


def branch_cash(life: NormalLife, rng: np.random.Generator, first: int, stop: int) -> Rows:
    """Large cash taken out at a branch: companies (wages, cash purchases), charities (aid
    distributed in cash) and, now and then, people (a car, a wedding)."""
    rel, pop = life.rel, life.pop
    rate = life.cfg.branch_cash_per_month / 30
    organisations = np.concatenate([rel.companies, rel.npos])
    m = life.count(rng, len(organisations), rate, stop - first)
    k = life.count(rng, len(rel.persons), rate / 10, stop - first)
    who = np.concatenate(
        [
            organisations[rng.integers(0, len(organisations), m)],
            rel.persons[rng.integers(0, len(rel.persons), k)],
        ]
    )
    factor = np.concatenate([np.full(m, 0.08), np.full(k, 2.0)])
    day = life.workday(life.pick_days(rng, len(who), first, stop), who, stop)
    payer = life.primary[who]
    currency = life.acct_currency[payer]
    usd = pop.scale[who] * factor * rng.lognormal(0, 0.6, len(who))
    return make_rows(
        day,
        life.ts(rng, day, "office", who),
        payer,
        np.full(len(who), -1),
        geo.nice_money(usd, currency),
        currency,
        channel="cash",
        source_type="CASH-WITHDRAWAL",
        location=pop.city[who],
    )


def cash_deposits(life: NormalLife, rng: np.random.Generator, first: int, stop: int) -> Rows:
    """Shops, restaurants and hotels banking their takings."""
    rel, pop = life.rel, life.pop
    days = stop - first
    shops = rel.cash_businesses
    m = life.count(rng, len(shops), life.cfg.cash_deposits_per_month / 30, days)
    shop = shops[rng.integers(0, len(shops), m)] if len(shops) else np.zeros(0, np.int64)
    day = life.workday(life.pick_days(rng, len(shop), first, stop), shop, stop)
    bene = life.primary[shop]
    usd = pop.scale[shop] * 0.05 * rng.lognormal(0, 0.5, len(shop))
    currency = life.acct_currency[bene]
    return make_rows(
        day,
        life.ts(rng, day, "office", shop),
        np.full(len(shop), -1),
        bene,
        geo.nice_money(usd, currency),
        currency,
        channel="cash",
        source_type="CASH-DEPOSIT",
        location=pop.city[shop],
    )
