"""Money channels: donations collected abroad and forwarded to the border, ransom, and the
self-funded travel of foreign fighters.

Each pattern has honest twins: charities run appeals and pay partners at the border, people
buy flats abroad with one large payment, people borrow and visit family near the border.
So each scenario asks for the pattern's *shape* (many small gifts in, most of it out to the
corridor; one payment far above the payer's history; a loan cashed out before a trip to the
border) and then for the context that sets the channel apart: a collector who is a person
or a newly banked organisation (an established charity only when its recipients take the
money out in cash); a new beneficiary that fans the money out at once; most of the loan in
cash, by someone who does not live at the border.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import ibis
import ibis.expr.types as ir

from counterflow.engines import DatasetTables
from counterflow.monitoring.scenario import Param, Scenario
from counterflow.monitoring.scenarios.commodities import (
    BORDER_CITIES,
    CONFLICT_COUNTRIES,
    FATF_2015,
    RES_2199,
    UN_2014,
    UN_2015,
    in_places,
    in_region,
    party_opened,
)

_EPOCH = ibis.date(2000, 1, 1)
_EMPTY = ibis.literal([], type="array<string>")


def _cities(t: DatasetTables) -> ir.Table:
    return t.parties.select(party=t.parties.party_id, city=t.parties.city, kind=t.parties.kind)


# --------------------------------------------------------------------------- donations


def _donations_logic(t: DatasetTables, p: Mapping[str, Any]) -> ir.Table:
    tx = t.transactions
    width = int(p["window_days"])
    purpose = tx.purpose_code.fill_null("").upper()
    gifts = tx.filter(
        [
            tx.payer_party.notnull(),
            tx.beneficiary_party.notnull(),
            tx.payer_party != tx.beneficiary_party,
            tx.base_amount > 0,
            tx.base_amount <= p["max_gift_usd"],
            tx.channel.isin(list(p["gift_channels"])),
            purpose.isin([c.upper() for c in p["gift_purposes"]]),
        ]
    )
    day = gifts.timestamp.date().delta(_EPOCH, unit="day")
    # two tilings of time, half a window apart: a campaign no longer than half a window
    # falls whole into one tile of one of them
    tiles = [
        gifts.mutate(tile=(day + shift) // width, tiling=ibis.literal(k))
        for k, shift in enumerate((0, width // 2))
    ]
    gifts = tiles[0].union(tiles[1])
    windows = gifts.group_by(["beneficiary_party", "tiling", "tile"]).aggregate(
        donors=gifts.payer_party.nunique(),
        donor_countries=gifts.payer_country.nunique(),
        gifts=gifts.count(),
        gifts_usd=gifts.base_amount.sum(),
        first_gift=gifts.timestamp.min(),
        last_gift=gifts.timestamp.max(),
        gift_ids=gifts.tx_id.collect(),
    )
    windows = windows.filter(
        [windows.donors >= p["min_donors"], windows.donor_countries >= p["min_countries"]]
    )
    best = ibis.row_number().over(
        group_by=windows.beneficiary_party,
        order_by=[ibis.desc(windows.donors), windows.tiling, windows.tile],
    )
    windows = windows.mutate(rank=best)
    collectors = windows.filter(windows.rank == 0).drop("rank", "tiling", "tile")
    collectors = collectors.rename(collector="beneficiary_party")

    sent = _forwarded(t, collectors, p)
    onward = sent.group_by(sender=sent.collector).aggregate(
        forwarded_usd=sent.base_amount.sum(),
        corridor_recipients=sent.beneficiary_party.nunique(),
        corridor_towns=sent.location.collect(distinct=True).sort(),
        forward_ids=sent.tx_id.collect(),
    )
    found = collectors.join(onward, collectors.collector == onward.sender).drop("sender")
    forward_share = found.forwarded_usd / found.gifts_usd
    found = found.mutate(forward_share=forward_share).filter(
        forward_share >= p["min_forward_share"]
    )
    cashed = _cashed(t, sent, p)
    found = found.left_join(cashed, found.collector == cashed.of).drop("of")
    opened = party_opened(t)
    kinds = _cities(t).select("party", "kind")
    found = found.left_join(opened, found.collector == opened.party).drop("party")
    found = found.left_join(kinds, found.collector == kinds.party).drop("party")
    age = found.first_gift.date().delta(found.opened, unit="day")
    personal = (found.kind == "person").fill_null(False)
    new = (age <= p["max_account_age_days"]).fill_null(False)
    cash_share = found.cash_share.fill_null(0.0)
    cashes_out = cash_share >= p["min_cash_share"]
    watched = personal | new | (ibis.literal(bool(p["include_established"])) & cashes_out)
    found = found.mutate(
        collector_kind=found.kind,
        account_age_days=age,
        personal_or_new=personal | new,
        cash_share=cash_share,
    )
    hits = found.filter(watched)
    crowd = (hits.donors.cast("float64") / (2 * p["min_donors"])).clip(0, 1)
    score = (
        0.4
        + 0.15 * crowd
        + 0.15 * hits.forward_share.clip(0, 1)
        + 0.15 * hits.personal_or_new.cast("float64")
        + 0.15 * hits.cash_share.clip(0, 1)
    )
    return hits.select(
        subject_id=hits.collector,
        score=score.clip(0, 1),
        tx_ids=hits.gift_ids.concat(hits.forward_ids).concat(ibis.coalesce(hits.cash_ids, _EMPTY)),
        donors=hits.donors,
        donor_countries=hits.donor_countries,
        gifts_usd=hits.gifts_usd,
        first_gift=hits.first_gift,
        last_gift=hits.last_gift,
        forwarded_usd=hits.forwarded_usd,
        forward_share=hits.forward_share,
        corridor_recipients=hits.corridor_recipients,
        corridor_towns=hits.corridor_towns,
        cash_usd=hits.cash_usd.fill_null(0.0),
        cash_share=hits.cash_share,
        cash_recipient=hits.cash_recipient,
        collector_kind=hits.collector_kind,
        account_age_days=hits.account_age_days,
    )


def _forwarded(t: DatasetTables, collectors: ir.Table, p: Mapping[str, Any]) -> ir.Table:
    """The payments each collector sent to the corridor, from its window's first gift until
    ``forward_days`` after its last."""
    tx = t.transactions
    places = _cities(t).select("party", "city")
    out = tx.join(
        collectors.select("collector", "first_gift", "last_gift"),
        tx.payer_party == collectors.collector,
    )
    out = out.left_join(places, out.beneficiary_party == places.party)
    out = out.filter(
        [
            out.beneficiary_party.notnull(),
            in_region(
                out.location,
                out.city,
                out.beneficiary_country,
                p["corridor_cities"],
                p["conflict_countries"],
            ),
            out.timestamp >= out.first_gift,
            out.timestamp <= out.last_gift + ibis.interval(days=int(p["forward_days"])),
        ]
    )
    return out.select(
        "collector", "tx_id", "timestamp", "base_amount", "beneficiary_party", "location"
    )


def _cashed(t: DatasetTables, sent: ir.Table, p: Mapping[str, Any]) -> ir.Table:
    """How the collector's main corridor recipients used the money: the highest share, over
    recipients that got at least ``min_recipient_share`` of the forwarded sum, of what a
    recipient got from the collector that it took out in cash from the first forward until
    ``cash_days`` after the last. Aid partners take some out in cash; the end of a channel
    takes most."""
    tx = t.transactions
    pairs = sent.group_by(["collector", "beneficiary_party"]).aggregate(
        received=sent.base_amount.sum(),
        start=sent.timestamp.min(),
        end=sent.timestamp.max() + ibis.interval(days=int(p["cash_days"])),
    )
    total = pairs.group_by(total_of="collector").aggregate(total=pairs.received.sum())
    pairs = pairs.join(total, pairs.collector == total.total_of).drop("total_of")
    pairs = pairs.filter(pairs.received >= p["min_recipient_share"] * pairs.total).select(
        "collector", "received", "start", "end", recipient=pairs.beneficiary_party
    )
    cash = tx.filter([tx.channel == "cash", tx.beneficiary_party.isnull(), tx.base_amount > 0])
    taken = cash.join(pairs, cash.payer_party == pairs.recipient)
    taken = taken.filter([taken.timestamp >= taken.start, taken.timestamp <= taken.end])
    taken = taken.group_by(["collector", "recipient"]).aggregate(
        cash_usd=taken.base_amount.sum(), cash_ids=taken.tx_id.collect()
    )
    per = pairs.left_join(taken, ["collector", "recipient"]).drop(
        "collector_right", "recipient_right"
    )
    cash_usd = per.cash_usd.fill_null(0.0)
    per = per.mutate(cash_usd=cash_usd, share=ibis.least(cash_usd, per.received) / per.received)
    best = ibis.row_number().over(group_by=per.collector, order_by=ibis.desc(per.share))
    top = per.mutate(rank=best)
    top = top.filter(top.rank == 0)
    return top.select(
        of=top.collector,
        cash_usd=top.cash_usd,
        cash_share=top.share,
        cash_recipient=top.recipient,
        cash_ids=top.cash_ids,
    )


DONATIONS = Scenario(
    id="donations-forwarded",
    title="Small gifts from several countries collected and forwarded to the border corridor",
    typology="donations",
    key_roles=("collector",),
    sources=(
        FATF_2015 + ", on donations, including by or through non-profit organisations: "
        "gifts raised abroad by individuals and charities and moved towards the conflict zone "
        "through neighbouring border areas",
        "FATF, Risk of Terrorist Abuse in Non-Profit Organisations (June 2014): funds "
        "collected for a cause, diverted on transfer to partners near conflict areas, often "
        "ending in cash",
        UN_2015 + ", on donations from individuals abroad reaching ISIL and ANF",
    ),
    severity="high",
    logic=_donations_logic,
    params=(
        Param(
            "max_gift_usd",
            500.0,
            "Largest payment (USD) that counts as a small gift.",
            minimum=0,
        ),
        Param(
            "gift_channels",
            ["wire", "remittance"],
            "Channels gifts arrive by (bank transfer, money transfer shop).",
        ),
        Param(
            "gift_purposes",
            ["CHAR", ""],
            "Purpose codes a gift may carry; an empty text stands for none.",
        ),
        Param(
            "window_days",
            120,
            "Length of the collection window; campaigns up to half of it are seen whole.",
            minimum=2,
        ),
        Param(
            "min_donors",
            10,
            "Fewest distinct senders of small gifts to one collector within the window.",
            minimum=2,
        ),
        Param(
            "min_countries",
            3,
            "Fewest distinct countries those senders pay from.",
            minimum=1,
        ),
        Param(
            "forward_days",
            30,
            "Days after the window's last gift within which onward transfers count.",
            minimum=0,
        ),
        Param(
            "min_forward_share",
            0.3,
            "Least share of the gifts sent on to the corridor.",
            minimum=0,
            maximum=10,
        ),
        Param(
            "max_account_age_days",
            120,
            "A collector is new when its first account opened at most this many days before "
            "the window's first gift.",
            minimum=0,
        ),
        Param(
            "cash_days",
            14,
            "Days after the last forward within which the recipients' cash withdrawals count.",
            minimum=0,
        ),
        Param(
            "include_established",
            False,
            "Also watch established organisations (banked longer than max_account_age_days), "
            "when a main corridor recipient cashes out; by default only people and new "
            "organisations collect, as FATF's red flags have it.",
        ),
        Param(
            "min_recipient_share",
            0.2,
            "Least share of the forwarded sum a corridor recipient must have got for its cash "
            "withdrawals to be weighed.",
            minimum=0,
            maximum=1,
        ),
        Param(
            "min_cash_share",
            0.6,
            "Share of what a main corridor recipient got that it took out in cash and that "
            "counts as cashing out (aid partners take out some, not most). Raises the score; "
            "required of established organisations.",
            minimum=0,
            maximum=1,
        ),
        Param(
            "corridor_cities",
            list(BORDER_CITIES),
            "Towns of the conflict-border corridor the money goes to.",
        ),
        Param(
            "conflict_countries",
            list(CONFLICT_COUNTRIES),
            "Countries wholly in the conflict area (ISO alpha-2): transfers there count as "
            "corridor transfers.",
        ),
    ),
    description="A party that within one window takes small gifts from many senders in "
    "several countries and sends a good share on to the conflict-border corridor, when it is "
    "a person or a newly banked organisation (established organisations only with "
    "include_established, and then only when a main corridor recipient takes the money out "
    "in cash). Facts: donors, their countries, the gifts' value and dates, what was "
    "forwarded and where, the cash a main recipient took out, the collector's kind and "
    "account age.",
)


# --------------------------------------------------------------------------- ransom


def _ransom_logic(t: DatasetTables, p: Mapping[str, Any]) -> ir.Table:
    tx = t.transactions
    spent = tx.filter([tx.payer_party.notnull(), tx.base_amount > 0])
    ordinary = spent.filter(spent.base_amount < p["min_amount_usd"])
    history = ordinary.group_by(payer=ordinary.payer_party).aggregate(
        history_median_usd=ordinary.base_amount.median(), history_payments=ordinary.count()
    )
    history = history.filter(history.history_payments >= p["min_history_payments"])
    big = spent.filter(
        [
            spent.beneficiary_party.notnull(),
            spent.beneficiary_party != spent.payer_party,
            spent.base_amount >= p["min_amount_usd"],
        ]
    )
    if p["foreign_only"]:
        big = big.filter((big.payer_country != big.beneficiary_country).fill_null(False))
    if p["skip_goods"]:
        big = big.filter([big.hs_code.isnull(), big.goods_description.isnull()])
    big = big.join(history, big.payer_party == history.payer).drop("payer")
    multiple = big.base_amount / big.history_median_usd
    big = big.mutate(multiple=multiple).filter(multiple >= p["min_multiple"])
    big = big.select(
        "tx_id",
        "timestamp",
        "base_amount",
        "history_median_usd",
        "multiple",
        payer=big.payer_party,
        recipient=big.beneficiary_party,
        payer_country=big.payer_country,
        recipient_country=big.beneficiary_country,
    )
    opened = party_opened(t)
    big = big.left_join(opened, big.recipient == opened.party).drop("party")
    big = big.mutate(account_age_days=big.timestamp.date().delta(big.opened, unit="day"))

    moved = tx.filter([tx.payer_party.notnull(), tx.base_amount > 0]).select(
        out_party=tx.payer_party,
        out_ts=tx.timestamp,
        out_usd=tx.base_amount,
        out_to=tx.beneficiary_party,
        out_id=tx.tx_id,
    )
    onward = big.select("tx_id", "recipient", "timestamp").join(
        moved, big.recipient == moved.out_party
    )
    onward = onward.filter(
        [
            onward.out_ts >= onward.timestamp,
            onward.out_ts <= onward.timestamp + ibis.interval(days=int(p["fanout_days"])),
        ]
    )
    fanned = onward.group_by(ransom_id=onward.tx_id).aggregate(
        onward_usd=onward.out_usd.sum(),
        onward_recipients=onward.out_to.nunique(),
        onward_ids=onward.out_id.collect(),
    )
    big = big.left_join(fanned, big.tx_id == fanned.ransom_id).drop("ransom_id")
    per = big.group_by("recipient").aggregate(
        amount_usd=big.base_amount.sum(),
        payments=big.count(),
        payers=big.payer.collect(distinct=True).sort(),
        payer_countries=big.payer_country.collect(distinct=True).sort(),
        recipient_country=big.recipient_country.max(),
        multiple=big.multiple.max(),
        history_median_usd=big.history_median_usd.min(),
        account_age_days=big.account_age_days.min(),
        onward_usd=big.onward_usd.fill_null(0.0).sum(),
        onward_recipients=big.onward_recipients.fill_null(0).max(),
        payment_ids=big.tx_id.collect(),
        onward_ids=big.onward_ids.collect(),
        first_payment=big.timestamp.min(),
    )
    onward_share = per.onward_usd / per.amount_usd
    new = (per.account_age_days <= p["max_account_age_days"]).fill_null(False)
    fans_out = (onward_share >= p["min_fanout_share"]) & (per.onward_recipients >= 2)
    per = per.mutate(
        onward_share=onward_share,
        new_recipient=new,
        fans_out=fans_out,
        signals=new.cast("int64") + fans_out.cast("int64"),
    )
    hits = per.filter(per.signals >= p["min_signals"])
    size = (hits.multiple / (10 * p["min_multiple"])).clip(0, 1)
    score = (
        0.4
        + 0.2 * size
        + 0.2 * hits.new_recipient.cast("float64")
        + 0.2 * hits.onward_share.clip(0, 1)
    )
    return hits.select(
        subject_id=hits.recipient,
        score=score.clip(0, 1),
        tx_ids=hits.payment_ids.concat(hits.onward_ids.flatten()),
        amount_usd=hits.amount_usd,
        multiple=hits.multiple,
        history_median_usd=hits.history_median_usd,
        payers=hits.payers,
        payer_countries=hits.payer_countries,
        recipient_country=hits.recipient_country,
        account_age_days=hits.account_age_days,
        onward_usd=hits.onward_usd,
        onward_share=hits.onward_share,
        onward_recipients=hits.onward_recipients,
        signals=hits.signals,
        first_payment=hits.first_payment,
    )


RANSOM = Scenario(
    id="ransom-payment",
    title="One payment far above the payer's history to a new foreign beneficiary",
    typology="ransom",
    key_roles=("ransom recipient",),
    sources=(
        FATF_2015 + ", on kidnapping for ransom: ransoms paid by families and employers "
        "abroad, through intermediaries",
        UN_2014 + ", on ISIL and ANF ransom revenue",
        "UN Security Council resolution 2133 (2014): states to keep ransom payments from "
        "benefiting terrorists; " + RES_2199 + ", on kidnapping for ransom by ISIL and ANF",
    ),
    severity="high",
    logic=_ransom_logic,
    params=(
        Param(
            "min_amount_usd",
            100_000.0,
            "Least payment (USD) looked at; smaller payments make up the payer's history.",
            minimum=0,
        ),
        Param(
            "min_multiple",
            20.0,
            "Least multiple of the median of the payer's other payments.",
            minimum=1,
        ),
        Param(
            "min_history_payments",
            5,
            "Fewest other payments a payer needs for its history to be judged.",
            minimum=1,
        ),
        Param(
            "foreign_only",
            True,
            "Only payments to a beneficiary in another country than the payer.",
        ),
        Param(
            "skip_goods",
            True,
            "Leave out payments for goods (with an HS code or goods text): trade, which the "
            "commodity scenarios watch.",
        ),
        Param(
            "max_account_age_days",
            60,
            "A beneficiary is new when its first account opened at most this many days "
            "before the payment.",
            minimum=0,
        ),
        Param(
            "fanout_days",
            10,
            "Days after the payment within which the beneficiary's onward payments count.",
            minimum=0,
        ),
        Param(
            "min_fanout_share",
            0.8,
            "Least share of the payment the beneficiary passes on, to two or more parties, "
            "that counts as fanning it out (cash taken out is not counted).",
            minimum=0,
            maximum=10,
        ),
        Param(
            "min_signals",
            2,
            "How many of the two context signals (a new beneficiary; the money fanned out at "
            "once) must show besides the payment's size.",
            minimum=0,
            maximum=2,
        ),
    ),
    description="A beneficiary abroad receiving a payment many times the payer's usual "
    "payments and over a floor, when its account is new or it passes the money on at once. "
    "The subject is the beneficiary; the payer is the victim. Facts: the amount, its "
    "multiple of the payer's median payment, the payer and countries, the beneficiary's "
    "account age, and what it passed on within days.",
)


# --------------------------------------------------------------------------- travel


def _travel_logic(t: DatasetTables, p: Mapping[str, Any]) -> ir.Table:
    tx = t.transactions
    loan = tx.purpose_code.fill_null("").upper().isin(
        [c.upper() for c in p["loan_purposes"]]
    ) | tx.source_type.fill_null("").upper().isin([c.upper() for c in p["loan_types"]])
    # people living away from the border: for those who live there, card use at home
    people = t.parties.filter(
        [t.parties.kind == "person", ~in_places(t.parties.city, p["border_cities"])]
    ).select(person=t.parties.party_id)
    loans = tx.filter([loan, tx.beneficiary_party.notnull(), tx.base_amount > 0])
    loans = loans.join(people, loans.beneficiary_party == people.person)
    # the latest burst of credit: loans drawn within loan_window_days before the last one
    last = loans.group_by(last_of=loans.person).aggregate(last_loan=loans.timestamp.max())
    loans = loans.join(last, loans.person == last.last_of)
    loans = loans.filter(
        loans.timestamp >= loans.last_loan - ibis.interval(days=int(p["loan_window_days"]))
    )
    credit = loans.group_by(borrower=loans.person).aggregate(
        loans=loans.count(),
        lenders=loans.payer_party.nunique(),
        loan_usd=loans.base_amount.sum(),
        first_loan=loans.timestamp.min(),
        last_loan=loans.last_loan.max(),
        loan_ids=loans.tx_id.collect(),
    )
    credit = credit.filter(credit.loan_usd >= p["min_loan_usd"])

    own = tx.filter(tx.payer_party.notnull()).select(
        spender=tx.payer_party,
        ts=tx.timestamp,
        usd=tx.base_amount,
        channel=tx.channel,
        place=tx.location,
        to=tx.beneficiary_party,
        id=tx.tx_id,
    )
    mine = own.join(
        credit.select("borrower", "first_loan", "last_loan"), own.spender == credit.borrower
    )
    cash = mine.filter(
        [
            mine.channel == "cash",
            mine.to.isnull(),
            mine.ts >= mine.first_loan,
            mine.ts <= mine.last_loan + ibis.interval(days=int(p["cash_days"])),
        ]
    )
    cashed = cash.group_by(cash_of=cash.borrower).aggregate(
        cash_usd=cash.usd.sum(), cash_withdrawals=cash.count(), cash_ids=cash.id.collect()
    )
    border = mine.filter(
        [
            mine.channel.isin(["card", "cash"]),
            in_places(mine.place, p["border_cities"]),
            mine.ts > mine.last_loan,
            mine.ts <= mine.last_loan + ibis.interval(days=int(p["travel_days"])),
        ]
    )
    visits = border.group_by(visitor=border.borrower).aggregate(
        border_uses=border.count(),
        border_towns=border.place.collect(distinct=True).sort(),
        first_border=border.ts.min(),
        last_border=border.ts.max(),
        border_ids=border.id.collect(),
    )
    found = credit.join(cashed, credit.borrower == cashed.cash_of).drop("cash_of")
    found = found.join(visits, found.borrower == visits.visitor).drop("visitor")
    cash_share = found.cash_usd / found.loan_usd
    found = found.mutate(cash_share=cash_share).filter(
        [cash_share >= p["min_cash_share"], found.border_uses >= p["min_border_uses"]]
    )
    found = _silence(t, found, p)
    several = (found.lenders >= 2).cast("float64")
    silent = found.silent.cast("float64")
    score = 0.5 + 0.15 * found.cash_share.clip(0, 1) + 0.15 * several + 0.2 * silent
    return found.select(
        subject_id=found.borrower,
        score=score.clip(0, 1),
        tx_ids=found.loan_ids.concat(found.cash_ids).concat(found.border_ids),
        loans=found.loans,
        lenders=found.lenders,
        loan_usd=found.loan_usd,
        first_loan=found.first_loan,
        cash_usd=found.cash_usd,
        cash_share=found.cash_share,
        border_uses=found.border_uses,
        border_towns=found.border_towns,
        first_border=found.first_border,
        later_transactions=found.later_transactions,
        silent=found.silent,
    )


def _silence(t: DatasetTables, found: ir.Table, p: Mapping[str, Any]) -> ir.Table:
    """``later_transactions``: the borrower's transactions more than a day after its last
    border use (as payer or beneficiary); ``silent`` when there are none and the data runs
    at least ``silence_days`` past that use, so that silence could have been seen."""
    tx = t.transactions
    sides = tx.select(who=tx.payer_party, ts=tx.timestamp).union(
        tx.select(who=tx.beneficiary_party, ts=tx.timestamp)
    )
    end = tx.aggregate(data_end=tx.timestamp.max())
    after = sides.join(found.select("borrower", "last_border"), sides.who == found.borrower)
    after = after.filter(after.ts > after.last_border + ibis.interval(days=1))
    later = after.group_by(later_of=after.borrower).aggregate(later_transactions=after.count())
    joined = found.left_join(later, found.borrower == later.later_of).drop("later_of")
    joined = joined.cross_join(end)
    count = joined.later_transactions.fill_null(0)
    seen = joined.data_end >= joined.last_border + ibis.interval(days=int(p["silence_days"]))
    return joined.mutate(later_transactions=count, silent=(count == 0) & seen).drop("data_end")


TRAVEL = Scenario(
    id="travel-funding",
    title="Loans drawn and cashed out before card use in a border town",
    typology="travel-funding",
    key_roles=("traveller",),
    sources=(
        FATF_2015 + ", on material support associated with foreign terrorist fighters: "
        "self-funded travel to Syria through Turkey, with cash withdrawn near the border",
        "FATF, Emerging Terrorist Financing Risks (October 2015), on foreign terrorist "
        "fighters: consumer loans drawn and never repaid before departure, and cash "
        "withdrawals in areas bordering the conflict",
        "UN Security Council resolution 2178 (2014): financing of foreign terrorist fighters' "
        "travel",
    ),
    severity="high",
    logic=_travel_logic,
    params=(
        Param(
            "loan_purposes",
            ["LOAN"],
            "Purpose codes of a loan paid out to the borrower.",
        ),
        Param(
            "loan_types",
            ["LOAN-DISBURSEMENT"],
            "The source's own transaction types of a loan paid out.",
        ),
        Param(
            "loan_window_days",
            30,
            "Loans drawn within this many days before the last one count as one burst.",
            minimum=0,
        ),
        Param("min_loan_usd", 2_000.0, "Least credit drawn in the burst (USD).", minimum=0),
        Param(
            "cash_days",
            14,
            "Days after the last loan within which cash withdrawals count.",
            minimum=0,
        ),
        Param(
            "min_cash_share",
            0.5,
            "Least share of the credit taken out in cash.",
            minimum=0,
            maximum=10,
        ),
        Param(
            "travel_days",
            75,
            "Days after the last loan within which card use or cash in a border town counts.",
            minimum=1,
        ),
        Param(
            "min_border_uses",
            2,
            "Fewest card payments or withdrawals in border towns.",
            minimum=1,
        ),
        Param(
            "silence_days",
            21,
            "Days without any transaction after the last border use that count as silence "
            "(raises the score; not required).",
            minimum=1,
        ),
        Param(
            "border_cities",
            list(BORDER_CITIES),
            "Towns of the conflict border where card use and withdrawals are looked for.",
        ),
    ),
    description="A person who draws credit, takes most of it out in cash within days, and "
    "then pays by card or withdraws cash in a town on the conflict border; silence afterwards "
    "(no salary, rent or shopping) raises the score. Facts: loans, lenders, credit drawn, "
    "cash taken out and its share, border uses and towns, transactions after the trip.",
)
