"""Money channels: donations, ransom, listed counterparties, laundering hubs, travel funding."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from counterflow.simulate import geo, seasons
from counterflow.simulate.config import (
    DonationsParams,
    HubParams,
    ListedParams,
    RansomParams,
    TravelParams,
    instances,
)
from counterflow.simulate.population import PERSON, SECTOR_INDEX
from counterflow.simulate.typologies.base import Stage
from counterflow.simulate.variants import listed_kind, namesake, variant

Place = tuple[str, str]
_CORRIDOR: tuple[Place, ...] = (
    ("TR", "Gaziantep"), ("TR", "Kilis"), ("TR", "Şanlıurfa"), ("TR", "Reyhanlı"),
    ("TR", "Antakya"), ("TR", "Akçakale"),
)  # fmt: skip
_DONOR_COUNTRIES = ("DE", "GB", "SE", "NL", "BE", "FR", "AT", "AU", "CA", "US", "KW", "QA", "SA")
_GIFT_TEXTS = ("Sadaqa", "Zakat", "Help for Sham", "For the widows and orphans",
               "Ramadan donation", "Fi sabilillah", "Donation", None)  # fmt: skip
_FORWARD_TEXTS = ("Humanitarian aid", "Relief supplies", "Family support", "Aid for orphans")


def _nice(usd: float) -> float:
    step = 5 * 10 ** max(np.floor(np.log10(max(usd, 1.0))) - 1, 0)
    return float(np.ceil(usd / step) * step)


def _campaign_start(stage: Stage, length: int) -> int:
    """Over Ramadan when the span has one that fits, else anywhere."""
    for first in seasons.ramadan_starts(stage.pop.start, stage.days):
        offset = (first - stage.pop.start).days
        if 0 <= offset <= stage.days - length - 1:
            shift = offset - 5 + int(stage.rng.integers(0, 10))
            return min(max(shift, 0), stage.days - length - 1)
    return stage.window(length, tail=15)[0]


# --------------------------------------------------------------------------- donations


def plant_donations(stage: Stage, params: DonationsParams) -> None:
    """Small gifts from donors in several countries to a collector, forwarded to a border
    corridor and taken out in cash there; look-alike: a charity's appeal paying partners."""
    count = instances(params.instances_per_100k, len(stage.pop))
    for _ in range(count):
        with stage.instance("donations"):
            _campaign(stage, params, suspicious=True)
    with stage.lookalike("donations"):
        for _ in range(round(count * params.lookalikes_per_instance)):
            _campaign(stage, params, suspicious=False)


def _campaign(stage: Stage, params: DonationsParams, *, suspicious: bool) -> None:
    t = "donations" if suspicious else None
    length = int(min(stage.uniform(params.campaign_days), stage.days - 15))
    start = _campaign_start(stage, length)
    m = max(3, stage.integer(params.donor_countries))
    countries = [str(c) for c in stage.rng.choice(_DONOR_COUNTRIES, m, replace=False)]
    if suspicious:
        kind = stage.choice(("person", "npo"))
        new_on = start - int(stage.rng.integers(10, 60)) if kind == "npo" else None
        collector = stage.cast(kind, t, "collector", countries=countries[:1], new_on=new_on)
        recipient = stage.cast(
            stage.choice(("person", "company")),
            t,
            "corridor recipient",
            city=stage.choice(_CORRIDOR),
        )
    else:
        collector = stage.cast(
            "npo", "donations", "charity appeal", countries=countries[:1], lookalike=True
        )
        recipient = stage.cast("npo", None, None, city=stage.choice(_CORRIDOR))
    total = 0.0
    for i in range(stage.integer(params.donors)):
        donor = stage.cast(
            "person", t, "donor" if suspicious else None, countries=[countries[i % m]]
        )
        for _ in range(stage.integer((1, 2))):
            usd = _nice(stage.uniform(params.donation_usd))
            total += usd
            cross = stage.pop.country[donor] != stage.pop.country[collector]
            text = (
                stage.choice(_GIFT_TEXTS)
                if suspicious
                else stage.choice(("Ramadan appeal", "Winter appeal", "Donation", "Zakat"))
            )
            shop = bool(cross and (suspicious or stage.rng.random() < 0.3))
            charity = not shop and (not suspicious or stage.rng.random() < 0.6)
            stage.pay(
                start + int(stage.rng.integers(0, length + 1)),
                donor,
                collector,
                usd,
                t,
                channel="remittance" if shop else "wire",
                purpose="CHAR" if charity else None,
                text=text,
                nice=True,
            )
    forwards = stage.integer(params.forwards)
    passed = total * stage.uniform(params.forward_share)
    for k in range(forwards):
        day = start + length // 2 + int((length // 2 + 10) * (k + 1) / forwards)
        text = (
            stage.choice(_FORWARD_TEXTS)
            if suspicious
            else (f"Programme {int(stage.rng.integers(100, 999))}: food baskets")
        )
        day = stage.pay(
            day,
            collector,
            recipient,
            passed / forwards,
            t,
            currency="USD",
            channel="remittance" if suspicious and stage.rng.random() < 0.5 else "wire",
            purpose="CHAR",
            text=text,
        ).day
        share = stage.uniform((0.7, 0.95)) if suspicious else stage.uniform((0.2, 0.5))
        stage.pay(
            day + int(stage.rng.integers(1, 4)),
            recipient,
            -1,
            passed / forwards * share,
            t,
            channel="cash",
        )


# --------------------------------------------------------------------------- ransom

_RANSOM_PAYERS = ("FR", "DE", "GB", "SE", "NL", "BE", "AT", "CH", "US", "CA", "AU")
_RANSOM_PLACES: tuple[Place, ...] = (
    ("TR", "Gaziantep"), ("TR", "Kilis"), ("TR", "Antakya"), ("TR", "Istanbul"),
    ("LB", "Beirut"), ("IQ", "Erbil"), ("AE", "Dubai"),
)  # fmt: skip
_RANSOM_TEXTS = ("Consultancy fee", "Settlement of account", "Urgent family matter",
                 "Advance payment", None)  # fmt: skip
_PROPERTY_PLACES: tuple[Place, ...] = (
    ("TR", "Antalya"),
    ("TR", "Istanbul"),
    ("TR", "Izmir"),
    ("AE", "Dubai"),
)


def plant_ransom(stage: Stage, params: RansomParams) -> None:
    """One large payment from a family or employer abroad to a newly opened account near the
    border, split at once among intermediaries who take cash; look-alike: buying a flat."""
    t = "ransom"
    count = instances(params.instances_per_100k, len(stage.pop))
    for _ in range(count):
        with stage.instance(t):
            day = stage.window(1, earliest=0.4, tail=12)[0]
            kind = "person" if stage.rng.random() < 0.7 else "company"
            payer = stage.cast(kind, t, "ransom payer", countries=_RANSOM_PAYERS)
            usd = max(
                stage.uniform(params.amount_usd),
                params.history_multiple * float(stage.pop.scale[payer]),
            )
            recipient = stage.cast(
                stage.choice(("person", "company")),
                t,
                "ransom recipient",
                city=stage.choice(_RANSOM_PLACES),
                new_on=day - int(stage.uniform(params.account_age_days)),
            )
            day = stage.pay(day, payer, recipient, usd, t, text=stage.choice(_RANSOM_TEXTS)).day
            parts = stage.integer((2, 4))
            kept = stage.uniform((0.9, 0.98))
            for k in range(parts):
                middle = stage.cast("person", t, "intermediary", city=stage.choice(_CORRIDOR))
                share = usd * kept / parts
                when = stage.pay(
                    day + int(stage.rng.integers(1, 6)),
                    recipient,
                    middle,
                    share,
                    t,
                    currency="USD",
                    channel=stage.choice(("wire", "remittance")),
                ).day
                stage.pay(
                    when + 1 + k, middle, -1, share * stage.uniform((0.5, 0.9)), t, channel="cash"
                )
    with stage.lookalike(t):
        for _ in range(round(count * params.lookalikes_per_instance)):
            _property_purchase(stage)


def _property_purchase(stage: Stage) -> None:
    """A flat bought abroad: a deposit, then one large payment to an established developer."""
    t = "ransom"
    day = stage.window(1, earliest=0.4, tail=2)[0]
    buyer = stage.cast("person", t, "property buyer", countries=_RANSOM_PAYERS, lookalike=True)
    developer = stage.cast(
        "company", None, None, city=stage.choice(_PROPERTY_PLACES), sector="real estate"
    )
    price = stage.uniform((120_000, 600_000))
    flat = f"apartment {int(stage.rng.integers(1, 30))}{'ABCD'[int(stage.rng.integers(4))]}"
    stage.pay(
        day - int(stage.rng.integers(20, 60)),
        buyer,
        developer,
        price * 0.1,
        None,
        text=f"Reservation deposit, {flat}",
    )
    stage.pay(day, buyer, developer, price * 0.9, None, text=f"Property purchase, {flat}")


# --------------------------------------------------------------------------- listed parties

_LISTED_COUNTRIES = ("TR", "IQ", "LB", "JO", "AE", "SY", "KW", "QA")
_CUSTOMER_COUNTRIES = ("TR", "IQ", "LB", "JO", "AE", "DE", "GB", "SE", "NL")
_PERSONAL_TEXTS = ("Family support", "Loan repayment", "For the business", "Gift", None)
_TRADE_GOODS = (("Household appliances", "8516"), ("Mobile phones", "8517"),
                ("Textiles, mixed lot", "6309"), ("Vehicle spare parts", "8708"))  # fmt: skip


def plant_listed(stage: Stage, params: ListedParams, watchlist: Sequence[tuple[str, str]]) -> None:
    """Counterparties whose names are variants of listed names, paid by or paying customers;
    look-alikes are namesakes that share part of a listed name."""
    t = "listed-counterparty"
    count = instances(params.instances_per_100k, len(stage.pop))
    order = stage.rng.permutation(len(watchlist)).tolist()
    for i in range(count):
        with stage.instance(t):
            entity_id, name = watchlist[order[i % len(order)]]
            made = variant(name, stage.rng)
            kind = listed_kind(name, entity_id)
            party = stage.cast(
                kind,
                t,
                "listed-name counterparty",
                countries=_LISTED_COUNTRIES,
                name=made.name,
                sector="general trading" if kind == "company" else None,
            )
            # known by the name on the messages alone: the bank holds no date of birth for it,
            # and a made-up one would count against the match the way a namesake's does
            stage.unknown_born.add(party)
            message_names = [made.name]
            if stage.rng.random() < 0.3:
                message_names.append(variant(name, stage.rng).name)
            _deal(stage, params, t, party, message_names, customers_role="customer")
            stage.listed.append(
                {
                    "party": party,
                    "entity_id": entity_id,
                    "listed_name": name,
                    "variant": made.name,
                    "changes": list(made.changes),
                    "kind": kind,
                    "message_names": message_names,
                    "lookalike": False,
                }
            )
    with stage.lookalike(t):
        for i in range(round(count * params.lookalikes_per_instance)):
            _namesake(stage, params, watchlist[order[(count + i) % len(order)]])


def _namesake(stage: Stage, params: ListedParams, entry: tuple[str, str]) -> None:
    t = "listed-counterparty"
    entity_id, name = entry
    kind = listed_kind(name, entity_id)
    alike = namesake(name, stage.rng)
    party = stage.cast(
        "person" if kind == "person" else "company",
        t,
        "namesake",
        countries=_LISTED_COUNTRIES,
        name=alike,
        lookalike=True,
    )
    _deal(stage, params, None, party, [alike], customers_role=None)
    stage.listed.append(
        {
            "party": party,
            "entity_id": entity_id,
            "listed_name": name,
            "variant": alike,
            "changes": ["namesake"],
            "kind": kind,
            "message_names": [alike],
            "lookalike": True,
        }
    )


def _deal(
    stage: Stage,
    params: ListedParams,
    typology: str | None,
    party: int,
    message_names: list[str],
    customers_role: str | None,
) -> None:
    person = bool(stage.pop.kind[party] == PERSON)
    for _ in range(stage.integer(params.customers)):
        customer = stage.cast(
            stage.choice(("person", "company")),
            typology,
            customers_role,
            countries=_CUSTOMER_COUNTRIES,
        )
        for _ in range(stage.integer(params.payments)):
            day = int(stage.rng.integers(0, stage.days))
            usd = stage.uniform(params.amount_usd)
            shown = stage.choice(message_names)
            if stage.rng.random() < 0.75:
                goods, hs = (None, None) if person else stage.choice(_TRADE_GOODS)
                stage.pay(
                    day,
                    customer,
                    party,
                    usd,
                    typology,
                    channel="remittance" if person else "wire",
                    purpose=None if person else "GDDS",
                    text=stage.choice(_PERSONAL_TEXTS) if person else stage.invoice(),
                    goods=goods,
                    hs=hs,
                    beneficiary_name=shown,
                )
            else:
                stage.pay(
                    day,
                    party,
                    customer,
                    usd,
                    typology,
                    channel="remittance" if person else "wire",
                    text=stage.choice(_PERSONAL_TEXTS) if person else stage.invoice(),
                    payer_name=shown,
                )


# --------------------------------------------------------------------------- hubs

_HUB_COUNTRIES = ("AE", "TR", "LB", "IQ", "JO", "GB", "DE")
_RECIPIENT_COUNTRIES = ("TR", "LB", "AE", "IQ", "JO", "SY")


def plant_hubs(stage: Stage, params: HubParams) -> None:
    """Accounts that receive from many and pass nearly everything on within days."""
    t = "laundering-hub"
    for _ in range(instances(params.instances_per_100k, len(stage.pop))):
        with stage.instance(t):
            start, length = stage.window(stage.uniform(params.duration_days), tail=4)
            company = stage.rng.random() < 0.7
            hub = stage.cast(
                "company" if company else "person",
                t,
                "hub",
                countries=_HUB_COUNTRIES,
                sector=stage.choice(("general trading", "consulting")) if company else None,
                new_on=start - int(stage.rng.integers(10, 120))
                if stage.rng.random() < 0.5
                else None,
            )
            feeders = [
                stage.cast(
                    stage.choice(("person", "company")),
                    t,
                    "feeder",
                    countries=_DONOR_COUNTRIES + _HUB_COUNTRIES,
                )
                for _ in range(stage.integer(params.feeders))
            ]
            recipients = [
                stage.cast(
                    stage.choice(("person", "company")),
                    t,
                    "recipient",
                    countries=_RECIPIENT_COUNTRIES,
                )
                for _ in range(stage.integer(params.recipients))
            ]
            for feeder in feeders:
                for _ in range(stage.integer((1, 3))):
                    day = start + int(stage.rng.integers(0, length + 1))
                    usd = stage.uniform(params.amount_usd)
                    day = stage.pay(
                        day,
                        feeder,
                        hub,
                        usd,
                        t,
                        purpose="SUPP",
                        text=stage.choice(("Consulting fee", "Settlement", stage.invoice())),
                    ).day
                    out = usd * (1 - stage.uniform(params.retention))
                    splits = stage.integer((1, 2))
                    for _ in range(splits):
                        stage.pay(
                            day + int(stage.rng.integers(0, 3)),
                            hub,
                            stage.choice(recipients),
                            out / splits,
                            t,
                            currency="USD",
                            purpose=stage.choice(("SUPP", None)),
                            text=stage.invoice(),
                        )


# --------------------------------------------------------------------------- travel

_TRAVELLER_HOMES = ("DE", "GB", "FR", "BE", "NL", "SE", "AT")
_BORDER_TOWNS = ("Gaziantep", "Şanlıurfa", "Kilis", "Antakya", "Reyhanlı", "Akçakale")


def plant_travel(stage: Stage, params: TravelParams) -> None:
    """Loans drawn, cash taken out, a flight, card use in Istanbul and then in border towns,
    and silence; look-alikes borrow, visit family near the border and come home."""
    count = instances(params.instances_per_100k, len(stage.pop))
    for _ in range(count):
        with stage.instance("travel-funding"):
            _journey(stage, params, suspicious=True)
    with stage.lookalike("travel-funding"):
        for _ in range(round(count * params.lookalikes_per_instance)):
            _journey(stage, params, suspicious=False)


def _airline(stage: Stage, country: int) -> int:
    pop = stage.pop
    found = np.flatnonzero(
        (pop.country == country) & (pop.sector == SECTOR_INDEX["travel & airlines"])
    )
    if len(found):
        return int(found[int(stage.rng.integers(len(found)))])
    return stage.cast(
        "company", None, None, countries=[geo.COUNTRY_CODES[country]], sector="travel & airlines"
    )


def _journey(stage: Stage, params: TravelParams, *, suspicious: bool) -> None:
    t = "travel-funding" if suspicious else None
    squeeze = stage.squeeze(80)
    start, _ = stage.window(1, earliest=0.2, tail=int(70 * squeeze) + 2)
    if suspicious:
        person = stage.cast(
            "person", t, "traveller", countries=_TRAVELLER_HOMES, age=(18, 30), male=True
        )
    else:
        person = stage.cast(
            "person", "travel-funding", "family visit", countries=_TRAVELLER_HOMES, lookalike=True
        )
    country = int(stage.pop.country[person])
    banks = stage.banks_in(country)
    loans = stage.integer(params.loans) if suspicious else 1
    days = sorted(int(d) for d in start + stage.rng.integers(0, int(21 * squeeze) + 1, loans))
    total = 0.0
    paid = []
    for k, day in enumerate(days):
        usd = stage.uniform(params.loan_usd)
        total += usd
        row = stage.pay(
            day,
            banks[k % len(banks)],
            person,
            usd,
            t,
            purpose="LOAN",
            source_type="LOAN-DISBURSEMENT",
            text=f"Consumer loan {int(stage.rng.integers(10**6, 10**7))}",
            nice=True,
        )
        paid.append(row.day)
    days = sorted(paid)
    cash = total * (stage.uniform(params.cash_share) if suspicious else stage.uniform((0.1, 0.3)))
    chunks = max(2, int(cash // 1500))
    for k in range(chunks):
        big = cash / chunks > 1000
        stage.pay(
            days[-1] + 1 + k % 5,
            person,
            -1,
            cash / chunks,
            t,
            channel="cash",
            source_type="CASH-WITHDRAWAL" if big else "ATM-WITHDRAWAL",
        )
    leave = days[-1] + 6 + int(stage.uniform(params.travel_after_days) * squeeze)
    airline = _airline(stage, country)
    stage.pay(
        leave - int(stage.rng.integers(1, 6)),
        person,
        airline,
        stage.uniform((150, 600)),
        t,
        channel="card",
        source_type="CARD-ONLINE",
    )
    istanbul = stage.shop_in("TR", "Istanbul")
    stage.pay(leave, person, istanbul, stage.uniform((20, 200)), t, channel="card", currency="TRY")
    town = stage.choice(_BORDER_TOWNS)
    last = leave
    for k in range(stage.integer(params.border_card_uses)):
        shop = stage.shop_in("TR", town)
        last = leave + 1 + k
        stage.pay(last, person, shop, stage.uniform((10, 150)), t, channel="card", currency="TRY")
    stage.pay(
        last,
        person,
        -1,
        stage.uniform((100, 400)),
        t,
        channel="cash",
        currency="TRY",
        source_type="ATM-WITHDRAWAL",
        location=town,
    )
    if suspicious:
        # normal life stops when they leave: no shopping at home, no salary, no rent, and
        # the loans are never repaid
        stage.pop.active_until[person] = min(leave, stage.days - 1) - 1
