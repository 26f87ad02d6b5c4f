"""Trade channels: oil and fuel, crops and cement, phosphates and acids, antiquities.

The commodity channels share one shape (FATF 2015, pp. 12-17; UN S/2014/815): established
buyers near the border pay a trader for goods from an area the group holds, at a price far
below the market; the trader is new (its accounts open shortly before its first sale) and
passes most of each receipt to a middleman in a border town, who takes cash out and sends
the rest towards the producing area. The look-alikes are new traders in the same towns,
selling the same goods at market prices to the same kind of buyers and paying a known
supplier: only the price, the onward flow and the counterparties tell them apart.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from counterflow.simulate import seasons
from counterflow.simulate.config import (
    AntiquitiesParams,
    CropsParams,
    OilParams,
    PhosphatesParams,
    instances,
)
from counterflow.simulate.goods import describe, good
from counterflow.simulate.typologies.base import Stage

Place = tuple[str, str]
_TR_BORDER: tuple[Place, ...] = (
    ("TR", "Gaziantep"), ("TR", "Şanlıurfa"), ("TR", "Kilis"), ("TR", "Akçakale"),
    ("TR", "Antakya"), ("TR", "Mardin"), ("TR", "Reyhanlı"),
)  # fmt: skip
_IQ_BORDER: tuple[Place, ...] = (
    ("IQ", "Zakho"), ("IQ", "Erbil"), ("IQ", "Mosul"), ("IQ", "Kirkuk"), ("IQ", "Duhok"),
)  # fmt: skip


@dataclass(frozen=True)
class Commodity:
    """How one commodity channel is shaped."""

    typology: str
    seller_role: str
    lookalike_role: str
    sector: str  # the trader's sector
    goods: tuple[tuple[str, str, float, tuple[float, float]], ...]  # sector, item, weight, qty
    sellers: tuple[Place, ...]  # where traders sit
    sources: tuple[Place, ...]  # where the goods come from (the group's areas)
    buyer_countries: tuple[str, ...]
    buyer_sectors: tuple[str, ...]
    suppliers: tuple[Place, ...]  # where look-alikes buy legitimately


OIL = Commodity(
    typology="oil",
    seller_role="front company",
    lookalike_role="new fuel trader",
    sector="oil & fuel trading",
    goods=(
        ("oil & fuel trading", "Crude oil", 0.5, (1500, 9000)),
        ("oil & fuel trading", "Diesel fuel", 0.3, (80, 600)),
        ("oil & fuel trading", "Gasoline", 0.1, (80, 400)),
        ("oil & fuel trading", "Fuel oil", 0.1, (100, 800)),
    ),
    sellers=_TR_BORDER + _IQ_BORDER,
    sources=(("SY", "Raqqa"), ("SY", "Deir ez-Zor"), ("SY", "Al-Hasakah"), ("IQ", "Mosul")),
    buyer_countries=("TR", "IQ"),
    buyer_sectors=("oil & fuel trading", "logistics", "construction"),
    suppliers=(("IQ", "Erbil"), ("IQ", "Kirkuk"), ("IQ", "Basra"), ("TR", "Mersin")),
)
CROPS = Commodity(
    typology="crops", seller_role="trader", lookalike_role="new crop trader",
    sector="grain & milling",
    goods=(
        ("grain & milling", "Milling wheat", 0.3, (200, 2500)),
        ("grain & milling", "Durum wheat", 0.15, (200, 2000)),
        ("grain & milling", "Rye", 0.1, (100, 1200)),
        ("cotton & fibres", "Raw cotton", 0.25, (40, 400)),
        ("construction materials", "Portland cement", 0.2, (500, 6000)),
    ),
    sellers=(("TR", "Şanlıurfa"), ("TR", "Akçakale"), ("TR", "Mardin"), ("TR", "Kilis"),
             ("TR", "Gaziantep"), ("IQ", "Mosul"), ("IQ", "Duhok"), ("IQ", "Erbil")),
    sources=(("SY", "Raqqa"), ("SY", "Al-Hasakah"), ("SY", "Deir ez-Zor"), ("SY", "Aleppo"),
             ("IQ", "Mosul")),
    buyer_countries=("TR", "IQ", "JO", "LB"),
    buyer_sectors=("grain & milling", "wholesale food", "textiles", "construction"),
    suppliers=(("TR", "Konya"), ("TR", "Şanlıurfa"), ("TR", "Adana"), ("IQ", "Erbil")),
)  # fmt: skip
PHOSPHATES = Commodity(
    typology="phosphates", seller_role="chemical trader",
    lookalike_role="new chemical trader", sector="chemicals & fertilisers",
    goods=(
        ("chemicals & fertilisers", "Natural calcium phosphates", 0.45, (500, 5000)),
        ("chemicals & fertilisers", "Sulphuric acid", 0.3, (200, 2500)),
        ("chemicals & fertilisers", "Phosphoric acid", 0.25, (50, 600)),
    ),
    sellers=(("IQ", "Ramadi"), ("IQ", "Al-Qa'im"), ("IQ", "Erbil"), ("TR", "Gaziantep"),
             ("TR", "Mardin"), ("JO", "Mafraq")),
    sources=(("IQ", "Al-Qa'im"), ("IQ", "Ramadi"), ("SY", "Deir ez-Zor")),
    buyer_countries=("TR", "JO", "LB"),
    buyer_sectors=("chemicals & fertilisers", "manufacturing"),
    suppliers=(("JO", "Amman"), ("JO", "Zarqa"), ("TR", "Izmir")),
)  # fmt: skip
_SEASON_OF = {"Milling wheat": "grain", "Durum wheat": "grain", "Rye": "grain",
              "Raw cotton": "cotton"}  # fmt: skip
_FORWARD_TEXTS = ("Transport and handling", "Commission", "Logistics services", "Advance")


def plant_commodity(
    stage: Stage, spec: Commodity, params: OilParams | CropsParams | PhosphatesParams
) -> None:
    """Plant every instance of one commodity channel and its look-alikes."""
    count = instances(params.instances_per_100k, len(stage.pop))
    for _ in range(count):
        with stage.instance(spec.typology):
            _instance(stage, spec, params, suspicious=True)
    with stage.lookalike(spec.typology):
        for _ in range(round(count * params.lookalikes_per_instance)):
            _instance(stage, spec, params, suspicious=False)


def _pick_good(stage: Stage, spec: Commodity) -> tuple[str, str, tuple[float, float]]:
    weights = np.array([w for _, _, w, _ in spec.goods])
    k = int(np.searchsorted(np.cumsum(weights / weights.sum()), stage.rng.random()))
    sector, item, _, qty = spec.goods[min(k, len(spec.goods) - 1)]
    return sector, item, qty


def _seasonal_start(stage: Stage, item: str, length: int) -> int:
    """A start day, weighted towards the item's harvest when it has one."""
    latest = max(stage.days - length - 8, 1)
    season = _SEASON_OF.get(item.split(",")[0].split(" (")[0])
    if season is None:
        return int(stage.rng.integers(0, latest))
    weight = seasons.month_weight(stage.pop.start, stage.days, seasons.HARVEST[season])[:latest]
    cdf = np.cumsum(weight / weight.sum())
    return min(int(np.searchsorted(cdf, stage.rng.random())), latest - 1)


def _instance(
    stage: Stage,
    spec: Commodity,
    params: OilParams | CropsParams | PhosphatesParams,
    *,
    suspicious: bool,
) -> None:
    typology = spec.typology if suspicious else None
    sector, item, qty_range = _pick_good(stage, spec)
    length = int(min(stage.uniform(params.duration_days), stage.days - 12))
    start = _seasonal_start(stage, item, length)
    opened = start - int(stage.uniform(params.account_age_days))
    place = stage.choice(spec.sellers)
    role = spec.seller_role if suspicious else spec.lookalike_role
    seller = stage.cast(
        "company",
        spec.typology,
        role,
        city=place,
        sector=sector,
        new_on=opened,
        lookalike=not suspicious,
    )
    buyers = [
        stage.cast(
            "company",
            typology,
            "buyer" if suspicious else None,
            countries=spec.buyer_countries,
            sector=stage.choice(spec.buyer_sectors),
        )
        for _ in range(stage.integer(params.buyers))
    ]
    if suspicious:
        border = [p for p in _TR_BORDER + _IQ_BORDER if p[0] == place[0]] or list(_TR_BORDER)
        middleman = stage.cast("person", typology, "middleman", city=stage.choice(border))
        source_place = stage.choice(spec.sources)
        upstream = stage.cast(
            stage.choice(("person", "company")),
            typology,
            "upstream supplier",
            city=source_place,
        )
    else:
        supplier = stage.cast(
            "company", None, None, city=stage.choice(spec.suppliers), sector=spec.sector
        )
    entry = good(sector, item)
    deliveries = stage.integer(params.deliveries)
    days = np.sort(stage.rng.integers(start, start + length + 1, deliveries))
    days[0] = start  # the first sale comes as soon as the accounts are ready
    for day in days.tolist():
        buyer = stage.choice(buyers)
        fraction = (
            stage.uniform(params.price_fraction) if suspicious else stage.uniform((0.93, 1.07))
        )
        price = round(entry.price_usd * fraction, 2)
        quantity = float(round(stage.uniform(qty_range)))
        usd = quantity * price
        origin = stage.city_name(seller)
        if suspicious and stage.rng.random() < 0.5:
            origin = source_place[1]  # some invoices name the true origin
        cross = stage.pop.country[buyer] != stage.pop.country[seller]
        day = stage.pay(
            day,
            buyer,
            seller,
            usd,
            typology,
            purpose="TRAD" if cross else "GDDS",
            text=stage.invoice(),
            goods=f"{describe(entry, quantity, price)}, origin {origin}",
            hs=entry.hs,
        ).day
        if suspicious:
            _forward(stage, params, typology, day, seller, middleman, upstream, usd)
        else:
            share = stage.uniform((0.85, 0.93))
            stage.pay(
                day + int(stage.rng.integers(1, 6)),
                seller,
                supplier,
                usd * share,
                None,
                purpose="TRAD"
                if stage.pop.country[supplier] != stage.pop.country[seller]
                else "GDDS",
                text=stage.invoice(),
                hs=entry.hs,
                goods=f"{describe(entry, quantity, round(price * share, 2))}, "
                f"origin {stage.city_name(supplier)}",
            )


def _forward(
    stage: Stage,
    params: OilParams | CropsParams | PhosphatesParams,
    typology: str | None,
    day: int,
    seller: int,
    middleman: int,
    upstream: int,
    usd: float,
) -> None:
    """Seller → middleman at the border → cash out and a transfer into the group's area."""
    passed = usd * stage.uniform(params.forward_share)
    day += int(stage.rng.integers(0, 4))
    day = stage.pay(
        day, seller, middleman, passed, typology, purpose="SUPP", text=stage.choice(_FORWARD_TEXTS)
    ).day
    cash = passed * stage.uniform((0.3, 0.7))
    chunks = stage.integer((1, 3))
    for k in range(chunks):
        stage.pay(day + 1 + k, middleman, -1, cash / chunks, typology, channel="cash")
    stage.pay(
        day + int(stage.rng.integers(1, 4)),
        middleman,
        upstream,
        passed - cash,
        typology,
        channel="remittance",
        currency="USD",
        text=stage.choice(("Family", "Goods", "")) or None,
    )


# --------------------------------------------------------------------------- antiquities

_ARTEFACTS: tuple[tuple[str, str], ...] = (
    ("Cylinder seal, Akkadian period", "9705"), ("Cuneiform clay tablet", "9705"),
    ("Assyrian ivory plaque", "9705"), ("Byzantine gold coins, lot of 12", "9705"),
    ("Roman mosaic fragment", "9706"), ("Palmyrene funerary relief", "9706"),
    ("Hellenistic marble head", "9706"), ("Sumerian votive figure", "9705"),
)  # fmt: skip
_PROVENANCES = (
    "private collection, Beirut, acquired 1970s", "old Swiss collection",
    "family collection, Jordan, 1960s", "European private collection",
    "by descent from a Lebanese diplomat",
)  # fmt: skip
_DEALER_HUBS: tuple[Place, ...] = (("LB", "Beirut"), ("TR", "Istanbul"), ("AE", "Dubai"))
_HOUSES: tuple[Place, ...] = (("CH", "Geneva"), ("GB", "London"), ("DE", "Munich"))
_SMUGGLER_TOWNS: tuple[Place, ...] = (
    ("TR", "Gaziantep"), ("TR", "Kilis"), ("TR", "Antakya"), ("TR", "Şanlıurfa"),
    ("TR", "Reyhanlı"), ("LB", "Tripoli"),
)  # fmt: skip
_COLLECTOR_COUNTRIES = ("GB", "CH", "DE", "US", "FR", "AE")
_LEGIT_ART = (
    ("Oil painting on canvas, 19th century", "9701", "by descent from the artist's family"),
    ("Antique furniture, over 100 years old", "9706", "estate of a private collector"),
    ("Antique carpet, over 100 years old", "9706", "acquired at auction, 1988"),
)


def plant_antiquities(stage: Stage, params: AntiquitiesParams) -> None:
    """Looted pieces from a border smuggler through a dealer in a transit hub and an auction
    house to collectors; with look-alike art sales of documented provenance."""
    count = instances(params.instances_per_100k, len(stage.pop))
    for _ in range(count):
        with stage.instance("antiquities"):
            _antiquities(stage, params)
    with stage.lookalike("antiquities"):
        for _ in range(round(count * params.lookalikes_per_instance)):
            _legit_art(stage, params)


def _antiquities(stage: Stage, params: AntiquitiesParams) -> None:
    t = "antiquities"
    squeeze = stage.squeeze(365)
    start, length = stage.window(150 * squeeze, tail=int(72 * squeeze) + 3)
    dealer = stage.cast(
        "company",
        t,
        "dealer",
        city=stage.choice(_DEALER_HUBS),
        sector="art & antiques",
        new_on=start - int(stage.uniform(params.account_age_days)),
    )
    house = stage.cast(
        "company", t, "auction house", city=stage.choice(_HOUSES), sector="art & antiques"
    )
    smuggler = stage.cast("person", t, "smuggler", city=stage.choice(_SMUGGLER_TOWNS))
    collectors = [
        stage.cast("person", t, "collector", countries=_COLLECTOR_COUNTRIES)
        for _ in range(stage.integer((1, 3)))
    ]
    days = np.sort(stage.rng.integers(start, start + length + 1, stage.integer(params.sales)))
    days[0] = start
    for day in days.tolist():
        piece, hs = stage.choice(_ARTEFACTS)
        goods = f"{piece}, provenance: {stage.choice(_PROVENANCES)}"
        price = stage.uniform(params.price_usd)
        day = stage.pay(
            day,
            dealer,
            smuggler,
            price * stage.uniform((0.25, 0.45)),
            t,
            channel=stage.choice(("wire", "remittance")),
            text="Purchase of goods",
        ).day
        for k in range(stage.integer((1, 2))):
            stage.pay(day + 1 + k, smuggler, -1, price * 0.1, t, channel="cash")
        collector = stage.choice(collectors)
        if stage.rng.random() < 0.7:
            sale = day + 1 + int(stage.rng.integers(20, 45) * squeeze)
            stage.pay(
                sale,
                collector,
                house,
                price * 1.25,
                t,
                purpose="GDDS",
                text=f"Lot {int(stage.rng.integers(1, 400))}",
                goods=goods,
                hs=hs,
            )
            stage.pay(
                sale + 1 + int(stage.rng.integers(10, 25) * squeeze),
                house,
                dealer,
                price * (1 - stage.uniform(params.commission)),
                t,
                purpose="GDDS",
                text="Consignment settlement",
                goods=goods,
                hs=hs,
            )
        else:
            stage.pay(
                day + 1 + int(stage.rng.integers(10, 30) * squeeze),
                collector,
                dealer,
                price,
                t,
                purpose="GDDS",
                text=stage.invoice(),
                goods=goods,
                hs=hs,
            )


def _legit_art(stage: Stage, params: AntiquitiesParams) -> None:
    house = stage.cast(
        "company",
        "antiquities",
        "established auction house",
        city=stage.choice((*_HOUSES, ("FR", "Paris"))),
        sector="art & antiques",
        lookalike=True,
    )
    consignor = stage.cast("person", None, None, countries=("GB", "CH", "FR", "DE"))
    collectors = [
        stage.cast("person", None, None, countries=_COLLECTOR_COUNTRIES)
        for _ in range(stage.integer((1, 3)))
    ]
    squeeze = stage.squeeze(365)
    start, length = stage.window(150 * squeeze, tail=int(25 * squeeze) + 2)
    for day in np.sort(stage.rng.integers(start, start + length + 1, stage.integer(params.sales))):
        item, hs, provenance = stage.choice(_LEGIT_ART)
        price = stage.uniform(params.price_usd)
        goods = f"{item}, provenance: {provenance}"
        stage.pay(
            int(day),
            stage.choice(collectors),
            house,
            price * 1.25,
            None,
            purpose="GDDS",
            text=f"Lot {int(stage.rng.integers(1, 400))}",
            goods=goods,
            hs=hs,
        )
        stage.pay(
            int(day) + 1 + int(stage.rng.integers(10, 25) * squeeze),
            house,
            consignor,
            price * (1 - stage.uniform(params.commission)),
            None,
            purpose="GDDS",
            text="Consignment settlement",
            goods=goods,
            hs=hs,
        )
