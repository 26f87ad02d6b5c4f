"""Trade in commodities from areas a terrorist group holds: oil and fuel, crops and cement,
phosphates and acids, and looted antiquities.

The commodity scenarios share one pattern (FATF 2015, the UN Monitoring Team): established
buyers pay a *seller* for goods at a price far below the market; the seller is new to the
bank, sits in or trades with the conflict border, and passes most of each receipt on to a
person at the border. Any one of those signals is ordinary (new traders open every month,
border towns trade, contractors get paid), so the seller is flagged only for under-priced
sales *and* enough of the context signals.

The market price is taken from the data itself: the median unit price of the same good
(HS heading, product words and unit, as the invoice states them: "Crude oil, 4,200 bbl @
USD 71.80/bbl"). Where the goods text states no unit price, the amount is compared with the
median amount of payments under the same HS heading, a much weaker yardstick.

Antiquities have no market price; their scenario looks for the dealer instead: a new
business in a transit hub that is paid for archaeological pieces (HS 9705/9706) and pays
people in border towns.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import ibis
import ibis.expr.types as ir

from counterflow.engines import DatasetTables
from counterflow.monitoring.scenario import Param, Scenario

#: towns of the conflict border: Turkey's provinces on the Syrian border, northern and western
#: Iraq, and the Syrian areas ISIL held (UN S/2014/815 and S/2015/739 name these corridors).
#: Spellings with and without diacritics, since messages often drop them.
BORDER_CITIES: tuple[str, ...] = (
    # Turkey: Gaziantep, Şanlıurfa, Kilis, Hatay, Mardin provinces
    "Gaziantep", "Şanlıurfa", "Sanliurfa", "Urfa", "Akçakale", "Akcakale", "Suruç", "Suruc",
    "Ceylanpınar", "Ceylanpinar", "Kilis", "Hatay", "Antakya", "Reyhanlı", "Reyhanli",
    "Mardin", "Nusaybin",
    # Iraq: Nineveh, Kurdistan, Kirkuk, Anbar
    "Mosul", "Tal Afar", "Sinjar", "Erbil", "Zakho", "Duhok", "Dohuk", "Kirkuk", "Ramadi",
    "Fallujah", "Al-Qa'im", "Al Qaim", "Akashat",
    # Syria
    "Raqqa", "Deir ez-Zor", "Deir ez Zor", "Deir Ezzor", "Idlib", "Qamishli", "Al-Hasakah",
    "Hasakah", "Aleppo", "Palmyra", "Manbij", "Al-Bab", "Azaz", "Jarabulus", "Al-Bukamal",
)  # fmt: skip
#: countries wholly inside the conflict area
CONFLICT_COUNTRIES: tuple[str, ...] = ("SY",)
#: FATF 2015 and UN sources
FATF_2015 = (
    "FATF, Financing of the Terrorist Organisation Islamic State in Iraq and the Levant "
    "(ISIL), February 2015"
)
UN_2014 = "UN Analytical Support and Sanctions Monitoring Team, report S/2014/815 (2014)"
UN_2015 = "UN Analytical Support and Sanctions Monitoring Team, report S/2015/739 (2015)"
RES_2199 = "UN Security Council resolution 2199 (2015)"

_PRICE = r"@\s*([A-Z]{3})\s*([0-9][0-9,]*(?:\.[0-9]+)?)\s*/\s*([A-Za-z]+)"
_ORIGIN = r"[Oo]rigin:?\s+([^,;]+)"


def lowered(values: Sequence[str]) -> list[str]:
    """Parameter texts compared case-blind."""
    return [v.strip().lower() for v in values]


def in_places(column: ir.StringValue, places: Sequence[str]) -> ir.BooleanValue:
    """The column names one of ``places`` (case-blind); false when null."""
    return column.lower().strip().isin(lowered(places)).fill_null(False)


def in_region(
    location: ir.StringValue,
    city: ir.StringValue,
    country: ir.StringValue,
    places: Sequence[str],
    countries: Sequence[str],
) -> ir.BooleanValue:
    """Paid in one of ``places`` (where it happened, or where the beneficiary lives), or to a
    beneficiary in one of ``countries``: the border and corridor tests of several scenarios."""
    return (
        in_places(location, places)
        | in_places(city, places)
        | country.isin(list(countries)).fill_null(False)
    )


def party_opened(t: DatasetTables) -> ir.Table:
    """When each party became a customer: its first account's opening day."""
    acc = t.accounts
    return acc.group_by(party=acc.party_id).aggregate(opened=acc.opened.min())


def first_seen(t: DatasetTables, parties: ir.Table) -> ir.Table:
    """The first transaction day of each of ``parties`` (column ``party``): the yardstick of
    newness where accounts have no opening date."""
    tx = t.transactions
    sides = tx.select(party=tx.payer_party, ts=tx.timestamp).union(
        tx.select(party=tx.beneficiary_party, ts=tx.timestamp)
    )
    mine = sides.semi_join(parties, "party")
    return mine.group_by("party").aggregate(first_seen=mine.ts.min().date())


def data_start(t: DatasetTables) -> ir.Table:
    """One row: the data's first day (joined where a scenario needs it)."""
    tx = t.transactions
    return tx.aggregate(data_start=tx.timestamp.min().date())


def _sales(t: DatasetTables, p: Mapping[str, Any]) -> ir.Table:
    """Payments for the scenario's goods, each with its price as a share of the data's norm."""
    tx = t.transactions
    hs = tx.hs_code.fill_null("").strip().substr(0, 4)
    text = tx.goods_description.fill_null("")
    words = lowered(p["goods_words"])
    named = ibis.literal(False)
    for word in words:
        named = named | text.lower().contains(word)
    goods = tx.filter(
        [
            hs.isin(list(p["hs_codes"])) | (tx.hs_code.isnull() & named),
            tx.beneficiary_party.notnull(),
            tx.base_amount > 0,
        ]
    )
    gtext = goods.goods_description.fill_null("")
    price_text = gtext.re_extract(_PRICE, 2).replace(",", "")
    goods = goods.mutate(
        hs4=goods.hs_code.fill_null("").strip().substr(0, 4),
        product=gtext.re_extract(r"^([^,@]+)", 1).strip().lower(),
        unit=gtext.re_extract(_PRICE, 3).lower(),
        price_currency=gtext.re_extract(_PRICE, 1),
        unit_price=ibis.ifelse(price_text == "", ibis.null(), price_text).cast("float64"),
        origin=gtext.re_extract(_ORIGIN, 1),
    )
    priced = goods.filter(goods.unit_price > 0)
    unit_norm = priced.group_by(["hs4", "product", "unit", "price_currency"]).aggregate(
        norm_price=priced.unit_price.median(), peers=priced.count()
    )
    unit_norm = unit_norm.filter(unit_norm.peers >= p["min_peer_sales"]).drop("peers")
    amount_norm = goods.group_by("hs4").aggregate(
        norm_amount=goods.base_amount.median(), amount_peers=goods.count()
    )
    amount_norm = amount_norm.filter(amount_norm.amount_peers >= p["min_peer_sales"]).drop(
        "amount_peers"
    )
    joined = goods.left_join(unit_norm, ["hs4", "product", "unit", "price_currency"]).left_join(
        amount_norm, "hs4"
    )
    by_unit = joined.unit_price / joined.norm_price
    by_amount = ibis.ifelse(
        joined.unit_price.isnull(), joined.base_amount / joined.norm_amount, None
    )
    border = (
        in_places(joined.location, p["border_cities"])
        | in_places(joined.origin, p["border_cities"])
        | joined.beneficiary_country.isin(list(p["conflict_countries"])).fill_null(False)
        | joined.payer_country.isin(list(p["conflict_countries"])).fill_null(False)
    )
    return joined.select(
        "tx_id",
        "timestamp",
        "base_amount",
        "hs4",
        seller=joined.beneficiary_party,
        ratio=ibis.coalesce(by_unit, by_amount),
        border=border,
    )


def _commodity_logic(t: DatasetTables, p: Mapping[str, Any]) -> ir.Table:
    sales = _sales(t, p)
    cheap = sales.filter(sales.ratio <= p["max_price_ratio"])
    per_seller = cheap.group_by("seller").aggregate(
        underpriced_sales=cheap.count(),
        underpriced_usd=cheap.base_amount.sum(),
        median_price_ratio=cheap.ratio.median(),
        border_sales=cheap.border.sum(),
        hs_codes=cheap.hs4.collect(distinct=True).sort(),
        first_sale=cheap.timestamp.min(),
        last_sale=cheap.timestamp.max(),
        sale_ids=cheap.tx_id.collect(),
    )
    per_seller = per_seller.filter(
        [
            per_seller.underpriced_sales >= p["min_sales"],
            per_seller.underpriced_usd >= p["min_usd"],
        ]
    )
    onward = _onward(t, per_seller, p)
    seller = per_seller.left_join(onward, per_seller.seller == onward.payer).drop("payer")
    seller = _with_age(t, seller, "seller", "first_sale", p)
    onward_share = seller.onward_usd.fill_null(0.0) / seller.underpriced_usd
    border_share = seller.border_sales.cast("float64") / seller.underpriced_sales
    is_new = (seller.account_age_days <= p["max_account_age_days"]).fill_null(False)
    at_border = border_share >= 0.5
    passes_on = onward_share >= p["min_onward_share"]
    signals = is_new.cast("int64") + at_border.cast("int64") + passes_on.cast("int64")
    scored = seller.mutate(
        onward_share=onward_share,
        border_share=border_share,
        new_trader=is_new,
        signals=signals,
    )
    hits = scored.filter(scored.signals >= p["min_signals"])
    discount = ((p["max_price_ratio"] - hits.median_price_ratio) / p["max_price_ratio"]).clip(0, 1)
    score = (
        0.4
        + 0.15 * discount
        + 0.15 * hits.new_trader.cast("float64")
        + 0.15 * hits.onward_share.clip(0, 1)
        + 0.15 * hits.border_share
    )
    empty = ibis.literal([], type="array<string>")
    return hits.select(
        subject_id=hits.seller,
        score=score.clip(0, 1),
        tx_ids=hits.sale_ids.concat(ibis.coalesce(hits.onward_ids, empty)),
        underpriced_sales=hits.underpriced_sales,
        underpriced_usd=hits.underpriced_usd,
        median_price_ratio=hits.median_price_ratio,
        account_age_days=hits.account_age_days,
        border_share=hits.border_share,
        onward_usd=hits.onward_usd.fill_null(0.0),
        onward_share=hits.onward_share,
        onward_recipients=hits.onward_recipients.fill_null(0),
        signals=hits.signals,
        hs_codes=hits.hs_codes,
        first_sale=hits.first_sale,
    )


def _onward(t: DatasetTables, sellers: ir.Table, p: Mapping[str, Any]) -> ir.Table:
    """What each seller paid, while it traded and ``forward_days`` after, to people at the
    border: the middleman who takes the cash and sends the rest on."""
    tx = t.transactions
    people = t.parties.filter(t.parties.kind == "person").select(
        person=t.parties.party_id, person_city=t.parties.city
    )
    out = tx.join(sellers, tx.payer_party == sellers.seller).join(
        people, tx.beneficiary_party == people.person
    )
    to_border = in_region(
        out.location,
        out.person_city,
        out.beneficiary_country,
        p["border_cities"],
        p["conflict_countries"],
    )
    window_end = out.last_sale + ibis.interval(days=int(p["forward_days"]))
    out = out.filter([to_border, out.timestamp >= out.first_sale, out.timestamp <= window_end])
    return out.group_by(payer=out.seller).aggregate(
        onward_usd=out.base_amount.sum(),
        onward_recipients=out.beneficiary_party.nunique(),
        onward_ids=out.tx_id.collect(),
    )


def _with_age(
    t: DatasetTables, table: ir.Table, party: str, first: str, p: Mapping[str, Any]
) -> ir.Table:
    """``account_age_days``: days from the party's first account opening to ``first``; where no
    account says when, days from its first transaction, if that came after the data's first
    ``max_account_age_days`` (else unknown: a party seen from the start is not new)."""
    opened = party_opened(t)
    parties = table.select(party=table[party])
    seen = first_seen(t, parties).cross_join(data_start(t))
    joined = table.left_join(opened, table[party] == opened.party).drop("party")
    joined = joined.left_join(seen, joined[party] == seen.party).drop("party")
    late = joined.first_seen.delta(joined.data_start, unit="day") > p["max_account_age_days"]
    by_account = joined[first].date().delta(joined.opened, unit="day")
    by_seen = ibis.ifelse(late, joined[first].date().delta(joined.first_seen, unit="day"), None)
    return joined.mutate(account_age_days=ibis.coalesce(by_account, by_seen)).drop(
        "opened", "first_seen", "data_start"
    )


def _commodity_params(
    *,
    hs_codes: list[str],
    goods_words: list[str],
    max_price_ratio: float,
    min_sales: int,
    min_usd: float,
    max_account_age_days: int,
) -> tuple[Param, ...]:
    return (
        Param(
            "hs_codes",
            hs_codes,
            "HS headings (first four digits) of the goods watched.",
        ),
        Param(
            "goods_words",
            goods_words,
            "Words of the goods text that mark the goods when a payment has no HS code.",
        ),
        Param(
            "max_price_ratio",
            max_price_ratio,
            "Highest price, as a share of the data's median price of the same good, that "
            "counts as under-priced (normal invoices scatter about 5% around the median).",
            minimum=0.05,
            maximum=1.0,
        ),
        Param(
            "min_peer_sales",
            5,
            "Fewest payments for the same good needed to take their median as the market "
            "price; rarer goods are not priced.",
            minimum=1,
        ),
        Param(
            "min_sales",
            min_sales,
            "Fewest under-priced sales a seller must have: one cheap invoice is a bargain.",
            minimum=1,
        ),
        Param("min_usd", min_usd, "Least value of the under-priced sales (USD).", minimum=0),
        Param(
            "max_account_age_days",
            max_account_age_days,
            "A seller is new when its first account opened at most this many days before its "
            "first under-priced sale (or, without opening dates, it was first seen then).",
            minimum=0,
        ),
        Param(
            "min_onward_share",
            0.5,
            "Share of the under-priced receipts paid on to people at the border (the "
            "middleman) that counts as passing the money on.",
            minimum=0,
            maximum=1,
        ),
        Param(
            "forward_days",
            10,
            "Days after its last under-priced sale within which onward payments count.",
            minimum=0,
        ),
        Param(
            "min_signals",
            2,
            "How many of the three context signals (new trader; most sales on the conflict "
            "border; money passed on to people at the border) must show besides the price.",
            minimum=0,
            maximum=3,
        ),
        Param(
            "border_cities",
            list(BORDER_CITIES),
            "Towns of the conflict border (location, origin of the goods, recipients' towns).",
        ),
        Param(
            "conflict_countries",
            list(CONFLICT_COUNTRIES),
            "Countries wholly in the conflict area (ISO alpha-2): any payment to or from them "
            "counts as conflict-border geography.",
        ),
    )


_FIELDS = (
    "Facts: under-priced sales and their value, their median price as a share of the data's "
    "norm, the seller's account age at its first such sale, the share of those sales on the "
    "conflict border, what it paid on to people at the border, and how many context signals "
    "showed."
)

OIL = Scenario(
    id="oil-border-trade",
    title="Under-priced oil and fuel sold by a new border trader who passes the money on",
    typology="oil",
    key_roles=("front company",),
    sources=(
        FATF_2015 + ", on ISIL's control of oil fields and refineries: crude and refined "
        "products sold at a discount to middlemen and smugglers who move them across the "
        "borders (the price, border and middleman signals)",
        UN_2014 + ", on ISIL and ANF oil revenue: oil sold at a substantial discount through "
        "intermediaries and smuggling networks in neighbouring states",
        RES_2199 + ", operative part on oil trade: direct or indirect trade in oil and refined "
        "products with ISIL and ANF is a breach of the asset freeze",
    ),
    severity="high",
    logic=_commodity_logic,
    params=_commodity_params(
        hs_codes=["2709", "2710"],
        goods_words=["crude", "diesel", "gasoline", "petrol", "fuel oil", "mazut", "kerosene"],
        max_price_ratio=0.7,
        min_sales=2,
        min_usd=20_000.0,
        max_account_age_days=90,
    ),
    description="Sellers paid for crude oil (HS 2709) or refined products (2710) at well "
    "under the data's own median unit price, who are new customers, trade on the conflict "
    "border or pass the receipts on to people there. " + _FIELDS,
)

CROPS = Scenario(
    id="crops-border-trade",
    title="Under-priced wheat, rye, cotton or cement sold by a new border trader",
    typology="crops",
    key_roles=("trader",),
    sources=(
        FATF_2015 + ", on the robbery of economic assets in occupied territory: seized "
        "harvests and stocks of wheat and barley, cotton, and the output of cement plants, "
        "sold on through traders",
        UN_2015 + ", on ISIL revenue from agriculture and seized resources",
        RES_2199 + ": making economic resources available to ISIL and ANF, including through "
        "trade, falls under the asset freeze",
    ),
    severity="medium",
    logic=_commodity_logic,
    params=_commodity_params(
        hs_codes=["1001", "1002", "5201", "2523"],
        goods_words=["wheat", "rye", "raw cotton", "cement"],
        max_price_ratio=0.85,
        min_sales=2,
        min_usd=20_000.0,
        max_account_age_days=120,
    ),
    description="Sellers paid for wheat (HS 1001), rye (1002), raw cotton (5201) or cement "
    "(2523) below the data's own median unit price (a milder discount than oil), who are new "
    "customers, trade on the conflict border or pass the receipts on there. " + _FIELDS,
)

PHOSPHATES = Scenario(
    id="phosphates-border-trade",
    title="Under-priced phosphates or sulphuric and phosphoric acid from a new border trader",
    typology="phosphates",
    key_roles=("chemical trader",),
    sources=(
        FATF_2015 + ", on natural resources other than oil in ISIL-held territory: "
        "phosphate, and sulphuric and phosphoric acid (the Akashat and Al-Qa'im sites in "
        "Anbar)",
        UN_2015 + ", on ISIL revenue from natural resources other than oil",
        RES_2199 + ": making economic resources available to ISIL and ANF, including through "
        "trade, falls under the asset freeze",
    ),
    severity="medium",
    logic=_commodity_logic,
    params=_commodity_params(
        hs_codes=["2510", "2807", "2809"],
        goods_words=["phosphate", "sulphuric", "sulfuric", "phosphoric"],
        max_price_ratio=0.8,
        min_sales=2,
        min_usd=20_000.0,
        max_account_age_days=120,
    ),
    description="Sellers paid for natural phosphates (HS 2510), sulphuric acid (2807) or "
    "phosphoric acid (2809) well under the data's own median unit price, who are new "
    "customers, trade on the conflict border or pass the receipts on there. " + _FIELDS,
)


# --------------------------------------------------------------------------- antiquities

#: where looted pieces change hands on their way to the market (UN S/2015/739; UNESCO and
#: the FATF name Lebanon, Turkey, Jordan and the Gulf as transit countries)
TRANSIT_HUBS: tuple[str, ...] = ("Beirut", "Istanbul", "Dubai", "Amman", "Gaziantep")
#: border towns where pieces leave Syria and Iraq: the conflict border and Lebanon's and
#: Jordan's towns on the Syrian border
SOURCE_TOWNS: tuple[str, ...] = (
    *BORDER_CITIES, "Tripoli", "Baalbek", "Hermel", "Arsal", "Mafraq", "Ramtha",
)  # fmt: skip
#: kinds of pieces on ICOM's Emergency Red Lists for Iraq (2015) and Syria (2013): what is
#: looted and sold, as a goods text names it
RED_LIST_WORDS: tuple[str, ...] = (
    "cuneiform", "cylinder seal", "stamp seal", "tablet", "mosaic", "funerary", "relief",
    "votive", "figurine", "assyrian", "sumerian", "akkadian", "babylonian", "palmyr",
    "byzantine", "roman", "hellenistic", "archaeolog", "excavated",
)  # fmt: skip


def _antiquities_logic(t: DatasetTables, p: Mapping[str, Any]) -> ir.Table:
    tx = t.transactions
    hs = tx.hs_code.fill_null("").strip().substr(0, 4)
    text = tx.goods_description.fill_null("").lower()
    red = ibis.literal(False)
    for word in lowered(p["red_list_words"]):
        red = red | text.contains(word)
    pieces = tx.filter(
        [
            hs.isin(list(p["hs_codes"])) | (tx.hs_code.isnull() & red),
            tx.beneficiary_party.notnull(),
        ]
    ).mutate(red_list=red)
    sold = pieces.group_by(dealer=pieces.beneficiary_party).aggregate(
        pieces_sold=pieces.count(),
        sales_usd=pieces.base_amount.sum(),
        red_list_pieces=pieces.red_list.sum(),
        first_sale=pieces.timestamp.min(),
        last_sale=pieces.timestamp.max(),
        sale_ids=pieces.tx_id.collect(),
    )
    usual = most_frequent(pieces, "beneficiary_party", "location")
    sold = sold.left_join(usual, sold.dealer == usual.beneficiary_party).select(
        *sold.columns, where=usual.location
    )
    sold = sold.filter(sold.sales_usd >= p["min_sales_usd"])
    people = t.parties.filter(t.parties.kind == "person").select(
        person=t.parties.party_id, person_city=t.parties.city
    )
    paid = tx.join(sold, tx.payer_party == sold.dealer).join(
        people, tx.beneficiary_party == people.person
    )
    at_source = in_region(
        paid.location,
        paid.person_city,
        paid.beneficiary_country,
        p["source_towns"],
        p["conflict_countries"],
    )
    paid = paid.filter(
        [
            at_source,
            paid.timestamp >= paid.first_sale - ibis.interval(days=int(p["lookback_days"])),
            paid.timestamp <= paid.last_sale,
        ]
    )
    border = paid.group_by(payer=paid.dealer).aggregate(
        border_payments=paid.count(),
        border_usd=paid.base_amount.sum(),
        border_towns=paid.location.collect(distinct=True).sort(),
        border_ids=paid.tx_id.collect(),
    )
    dealers = sold.join(border, sold.dealer == border.payer).drop("payer")
    dealers = dealers.filter(
        [
            dealers.border_payments >= p["min_border_payments"],
            dealers.border_usd >= p["min_border_usd"],
        ]
    )
    dealers = _with_age(t, dealers, "dealer", "first_sale", p)
    cities = t.parties.select(party=t.parties.party_id, city=t.parties.city)
    dealers = dealers.left_join(cities, dealers.dealer == cities.party).drop("party")
    city = ibis.coalesce(dealers.city, dealers.where)
    in_hub = in_places(city, p["transit_hubs"])
    is_new = (dealers.account_age_days <= p["max_account_age_days"]).fill_null(False)
    signals = in_hub.cast("int64") + is_new.cast("int64")
    hits = dealers.mutate(dealer_city=city, transit_hub=in_hub, new_dealer=is_new, signals=signals)
    hits = hits.filter(hits.signals >= p["min_signals"])
    red_share = hits.red_list_pieces.cast("float64") / hits.pieces_sold
    score = (
        0.5
        + 0.15 * hits.new_dealer.cast("float64")
        + 0.15 * hits.transit_hub.cast("float64")
        + 0.2 * red_share
    )
    return hits.select(
        subject_id=hits.dealer,
        score=score.clip(0, 1),
        tx_ids=hits.sale_ids.concat(hits.border_ids),
        pieces_sold=hits.pieces_sold,
        sales_usd=hits.sales_usd,
        border_payments=hits.border_payments,
        border_usd=hits.border_usd,
        border_towns=hits.border_towns,
        dealer_city=hits.dealer_city,
        account_age_days=hits.account_age_days,
        red_list_pieces=hits.red_list_pieces,
        signals=hits.signals,
        first_sale=hits.first_sale,
    )


ANTIQUITIES = Scenario(
    id="antiquities-dealer",
    title="Dealer paid for archaeological pieces who pays people in border towns",
    typology="antiquities",
    key_roles=("dealer",),
    sources=(
        FATF_2015 + ", on antiquities: ISIL profits from looting and from taxing "
        "excavation; pieces are smuggled out through neighbouring countries and sold on",
        UN_2014 + " and " + UN_2015 + ", on antiquities trafficked through neighbouring "
        "states towards markets abroad",
        RES_2199 + ", paragraphs 15-17 (cultural heritage): states to prevent trade in Iraqi "
        "cultural property removed since 6 August 1990 and Syrian since 15 March 2011",
        "ICOM, Emergency Red List of Iraqi Cultural Objects at Risk (2015) and of Syrian "
        "Cultural Objects at Risk (2013): kinds of pieces looted",
    ),
    severity="high",
    logic=_antiquities_logic,
    params=(
        Param(
            "hs_codes",
            ["9705", "9706"],
            "HS headings of the pieces: 9705 collections of archaeological interest, 9706 "
            "antiques over 100 years old.",
        ),
        Param(
            "red_list_words",
            list(RED_LIST_WORDS),
            "Words of the goods text naming kinds of pieces on ICOM's Red Lists (they mark "
            "the pieces when there is no HS code, and raise the score).",
        ),
        Param("min_sales_usd", 10_000.0, "Least value of pieces sold (USD).", minimum=0),
        Param(
            "min_border_payments",
            1,
            "Fewest payments the dealer made to people in border towns (the smuggler).",
            minimum=1,
        ),
        Param(
            "min_border_usd",
            5_000.0,
            "Least value of those payments (USD).",
            minimum=0,
        ),
        Param(
            "lookback_days",
            120,
            "Days before its first sale from which payments to border towns count: the "
            "dealer buys before it sells.",
            minimum=0,
        ),
        Param(
            "max_account_age_days",
            120,
            "A dealer is new when its first account opened at most this many days before "
            "its first sale (or, without opening dates, it was first seen then).",
            minimum=0,
        ),
        Param(
            "min_signals",
            1,
            "How many of the two context signals (a dealer in a transit hub; a new dealer) "
            "must show besides the sales and the border payments.",
            minimum=0,
            maximum=2,
        ),
        Param("transit_hubs", list(TRANSIT_HUBS), "Cities where dealers pass pieces on."),
        Param(
            "source_towns",
            list(SOURCE_TOWNS),
            "Border towns where pieces leave the conflict area (the recipients' towns).",
        ),
        Param(
            "conflict_countries",
            list(CONFLICT_COUNTRIES),
            "Countries wholly in the conflict area (ISO alpha-2): payments into them count "
            "as border payments.",
        ),
    ),
    description="Parties paid for archaeological pieces and antiques (HS 9705/9706) that, "
    "from a few months before their first sale on, paid people in the border towns where "
    "pieces leave Syria and Iraq, and that are new or sit in a transit hub. Facts: pieces "
    "sold and their value, payments to border towns, the towns, the dealer's city and account "
    "age, and how many pieces are of kinds on ICOM's Red Lists.",
)


def most_frequent(table: ibis.Table, key: str, column: str) -> ibis.Table:
    """Per ``key``, the most frequent non-null value of ``column`` (ties: the first in sort
    order), as ``key, column``. Portable and deterministic where SQL's ``mode()`` is neither
    (Spark's SQL has no mode in Ibis; DuckDB breaks ties as its threads fall)."""
    known = table.filter(table[column].notnull())
    counts = known.group_by([key, column]).aggregate(n=known.count())
    order = ibis.row_number().over(
        group_by=counts[key], order_by=[ibis.desc(counts.n), counts[column]]
    )
    ranked = counts.mutate(place=order)
    return ranked.filter(ranked.place == 0).select(key, column)
