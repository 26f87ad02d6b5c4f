"""Layering shapes of IBM's AMLworld and AMLSim: fan-out, fan-in, cycle, scatter-gather and
gather-scatter, as joins over the transfer graph.

Every shape is made of *transfers*: payments from one party to another, by the channels money
is layered through (wires, cheques, transfers; not cards at a shop nor cash), between
*one-off counterparties*. Layering moves money through accounts that have no history with each
other, while payroll, suppliers and rent repeat month after month between the same two
parties: counting the days on which the pair dealt at all is what sets a planted fan-out apart
from an employer's payroll, which has the same shape on payday.

The other signals are those the sources describe: the payments of one step fall within a few
days, they carry similar amounts (a sum split evenly, or passed on less a small fee), and the
total is worth laundering. The shapes nest (a gather-scatter hub is a fan-in followed by a
fan-out; a scatter-gather is a fan-out whose sinks pay one party), so FAN_OUT and FAN_IN leave
out fans that are part of a larger shape: an analyst gets one alert per shape, under its name.

Every step is a join in the portable Ibis layer (no SQL, no Python loop over rows), so the same
expressions run on DuckDB and Spark.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import ibis
import ibis.expr.types as ir

from counterflow.engines import DatasetTables
from counterflow.monitoring.scenario import Param, Scenario

SOURCES = (
    "Altman et al., Realistic Synthetic Financial Transactions for Anti-Money Laundering "
    "Models, NeurIPS 2023 Datasets and Benchmarks (IBM AMLworld): the laundering patterns "
    "fan-out, fan-in, cycle, scatter-gather, gather-scatter, bipartite and stack",
    "IBM AMLSim (Weber et al., 2018; github.com/IBM/AMLSim): the alert typologies fan_in, "
    "fan_out, cycle, scatter_gather and gather_scatter",
    "FATF, Professional money laundering (2018): layering through networks of accounts",
)

#: channels money is layered through by default: payments from account to account
LAYERING_CHANNELS = ["wire", "cheque", "remittance", "crypto"]


# ---------------------------------------------------------------------------- parameters


def _channels() -> Param:
    return Param(
        "channels",
        list(LAYERING_CHANNELS),
        "Channels whose payments can form a shape. Card payments at shops and cash have no "
        "account on the other side to layer through.",
    )


def _pair_days(default: int = 1) -> Param:
    return Param(
        "max_pair_days",
        default,
        "Most days on which the same payer paid the same beneficiary in the whole dataset "
        "(any channel) for the payment to count. Layering uses one-off counterparties; "
        "payroll, suppliers and rent repeat every month between the same pair.",
        minimum=1,
    )


def _tolerance(default: float) -> Param:
    return Param(
        "amount_tolerance",
        default,
        "Most relative difference between the amounts of one shape (a sum split evenly, or "
        "passed on less a fee of a few percent).",
        minimum=0,
        maximum=1,
    )


def _min_total(default: float) -> Param:
    return Param(
        "min_total_usd",
        default,
        "Least money moved through the shape (USD); small sums are not worth layering.",
        minimum=0,
    )


def _fan_params() -> tuple[Param, ...]:
    return (
        Param(
            "min_counterparties",
            4,
            "Least distinct counterparties paid (fan-out) or paying (fan-in) within the "
            "window. AMLworld's and AMLSim's fans have four or more.",
            minimum=2,
        ),
        Param(
            "window_days",
            7,
            "Days within which the payments of the fan fall: a step of a laundering pattern "
            "takes a few days (a weekend or holiday may push a business's payment by two).",
            minimum=0,
        ),
        _tolerance(0.05),
        _min_total(10_000.0),
        _pair_days(),
        _channels(),
        Param(
            "pass_on_days",
            10,
            "Days after a payment within which a counterparty passing a similar sum on (or "
            "a payer having been fed it) makes the fan part of a scatter-gather or "
            "gather-scatter, left to those scenarios.",
            minimum=0,
        ),
    )


# ---------------------------------------------------------------------------- building blocks


def transfers(t: DatasetTables, p: Mapping[str, Any]) -> ir.Table:
    """Party-to-party payments that can be part of a shape: ``tx_id, ts, src, dst, usd``.

    Only the channels named, only positive amounts in the base currency, and only between
    parties that dealt on at most ``max_pair_days`` days in the whole dataset."""
    tx = t.transactions
    linked = tx.filter(
        [
            tx.payer_party.notnull(),
            tx.beneficiary_party.notnull(),
            tx.payer_party != tx.beneficiary_party,
        ]
    )
    pairs = linked.group_by(src=linked.payer_party, dst=linked.beneficiary_party).aggregate(
        pair_days=linked.timestamp.date().nunique()
    )
    pairs = pairs.filter(pairs.pair_days <= p["max_pair_days"]).select("src", "dst")
    moved = linked.filter(
        [linked.channel.isin(list(p["channels"])), linked.base_amount > 0]
    ).select(
        tx_id=linked.tx_id,
        ts=linked.timestamp,
        src=linked.payer_party,
        dst=linked.beneficiary_party,
        usd=linked.base_amount,
    )
    return moved.semi_join(pairs, ["src", "dst"])


def _similar(a: ir.NumericValue, b: ir.NumericValue, tolerance: float) -> ir.BooleanValue:
    """``b`` within ``tolerance`` (relative) of ``a``."""
    return (b / a - 1).abs() <= tolerance


def _days(n: int) -> ir.IntervalScalar:
    return ibis.interval(days=int(n))


def fan_groups(e: ir.Table, p: Mapping[str, Any], side: str) -> ir.Table:
    """Every fan around an anchor payment: the payments of the same centre within
    ``window_days`` after the anchor, of amounts within ``amount_tolerance`` of it, to (or
    from) at least ``min_counterparties`` distinct parties, worth ``min_total_usd``.

    ``side`` is ``"out"`` (the centre pays: fan-out) or ``"in"`` (the centre is paid). One row
    per qualifying (anchor, member payment): ``anchor, centre, tx_id, ts, other, usd``."""
    centre, other = ("src", "dst") if side == "out" else ("dst", "src")
    a = e.select(anchor=e.tx_id, centre=e[centre], a_ts=e.ts, a_usd=e.usd)
    b = e.select(tx_id=e.tx_id, b_centre=e[centre], ts=e.ts, other=e[other], usd=e.usd)
    pairs = a.join(
        b,
        [
            a.centre == b.b_centre,
            b.ts >= a.a_ts,
            b.ts <= a.a_ts + _days(p["window_days"]),
            _similar(a.a_usd, b.usd, float(p["amount_tolerance"])),
        ],
    ).select("anchor", "centre", "tx_id", "ts", "other", "usd")
    sizes = pairs.group_by("anchor").aggregate(degree=pairs.other.nunique(), total=pairs.usd.sum())
    sizes = sizes.filter(
        [sizes.degree >= p["min_counterparties"], sizes.total >= p["min_total_usd"]]
    )
    return pairs.semi_join(sizes, "anchor")


def _continued(
    e: ir.Table, members: ir.Table, p: Mapping[str, Any], node: str, after: bool
) -> ir.Table:
    """Member payments whose money moves on, or came in, as a similar sum within
    ``pass_on_days``: ``node`` (``"other"`` or ``"centre"``) pays a similar sum on after it
    (``after``), or was paid one before it. The ``tx_id`` of each such member payment."""
    tol = float(p["amount_tolerance"])
    window = _days(p["pass_on_days"])
    n = e.select(n_src=e.src, n_dst=e.dst, n_ts=e.ts, n_usd=e.usd)
    who = members[node]
    if after:
        cond = [who == n.n_src, n.n_ts > members.ts, n.n_ts <= members.ts + window]
    else:
        cond = [who == n.n_dst, n.n_ts < members.ts, n.n_ts >= members.ts - window]
    cond.append(_similar(members.usd, n.n_usd, tol))
    return members.semi_join(n, cond).select("tx_id").distinct()


def _relayed(e: ir.Table, members: ir.Table, p: Mapping[str, Any], side: str) -> ir.Table:
    """Centres whose fan is one half of a gather-scatter: a fan-out fed by a fan-in just
    before, or a fan-in passed on as a fan-out just after."""
    other_side = "in" if side == "out" else "out"
    others = fan_groups(e, p, other_side)
    spans = members.group_by("centre").aggregate(first=members.ts.min(), last=members.ts.max())
    o = others.group_by(o_centre=others.centre).aggregate(
        o_first=others.ts.min(), o_last=others.ts.max()
    )
    window = _days(p["pass_on_days"])
    if side == "out":
        cond = [
            spans.centre == o.o_centre,
            o.o_last <= spans.first,
            o.o_last >= spans.first - window,
        ]
    else:
        cond = [
            spans.centre == o.o_centre,
            o.o_first >= spans.last,
            o.o_first <= spans.last + window,
        ]
    return spans.semi_join(o, cond).select("centre")


def _meshed(e: ir.Table, members: ir.Table, p: Mapping[str, Any], side: str) -> ir.Table:
    """Centres whose fan shares two or more counterparties with another party's fan of
    similar amounts in the same days: every source paying every sink is a bipartite (or a
    stack's layer), not a fan."""
    tol = float(p["amount_tolerance"])
    window = _days(p["window_days"])
    if side == "out":
        n = e.select(n_centre=e.src, n_other=e.dst, n_ts=e.ts, n_usd=e.usd)
    else:
        n = e.select(n_centre=e.dst, n_other=e.src, n_ts=e.ts, n_usd=e.usd)
    shared = members.join(
        n,
        [
            members.other == n.n_other,
            members.centre != n.n_centre,
            n.n_ts >= members.ts - window,
            n.n_ts <= members.ts + window,
            _similar(members.usd, n.n_usd, tol),
        ],
    )
    counts = shared.group_by(["centre", "n_centre"]).aggregate(shared=shared.other.nunique())
    return counts.filter(counts.shared >= 2).select("centre").distinct()


def _fan_logic(side: str) -> Any:
    def logic(t: DatasetTables, p: Mapping[str, Any]) -> ir.Table:
        e = transfers(t, p)
        groups = fan_groups(e, p, side)
        members = groups.select("centre", "tx_id", "ts", "other", "usd").distinct()
        # leave payments that are part of a longer chain to the chain's own scenario: the
        # counterparty passes the money on (scatter-gather) or was fed it (its sink), or the
        # centre relays each payment (a payment service, a laundering hub)
        out = side == "out"
        members = members.anti_join(_continued(e, members, p, "other", after=out), "tx_id")
        members = members.anti_join(_continued(e, members, p, "centre", after=not out), "tx_id")
        members = members.anti_join(_relayed(e, members, p, side), "centre")
        members = members.anti_join(_meshed(e, members, p, side), "centre")
        fans = members.group_by("centre").aggregate(
            counterparties=members.other.nunique(),
            payments=members.tx_id.nunique(),
            total_usd=members.usd.sum(),
            smallest_usd=members.usd.min(),
            largest_usd=members.usd.max(),
            first_ts=members.ts.min(),
            last_ts=members.ts.max(),
            tx_ids=members.tx_id.collect(),
        )
        fans = fans.filter(
            [
                fans.counterparties >= p["min_counterparties"],
                fans.total_usd >= p["min_total_usd"],
            ]
        )
        spread = 1 - fans.smallest_usd / fans.largest_usd
        width = ((fans.counterparties - p["min_counterparties"]) / 8).clip(0, 1)
        tol = max(float(p["amount_tolerance"]), 1e-9)
        tight = (1 - spread / (2 * tol)).clip(0, 1)
        return fans.select(
            subject_id=fans.centre,
            score=(0.5 + 0.25 * width + 0.25 * tight).clip(0, 1),
            tx_ids=fans.tx_ids,
            counterparties=fans.counterparties,
            payments=fans.payments,
            total_usd=fans.total_usd.round(2),
            amount_spread=spread.round(4),
            span_days=(fans.last_ts.epoch_seconds() - fans.first_ts.epoch_seconds()) / 86400,
        )

    return logic


FAN_OUT = Scenario(
    id="layering-fan-out",
    title="Fan-out: one party splits a sum among many new counterparties within days",
    typology="layering-fan-out",
    sources=SOURCES,
    severity="medium",
    logic=_fan_logic("out"),
    params=_fan_params(),
    description="A party pays at least min_counterparties one-off counterparties similar "
    "amounts within window_days, and they do not pass it on together (scatter-gather) nor "
    "was the party fed it by a fan-in just before (gather-scatter).",
)

FAN_IN = Scenario(
    id="layering-fan-in",
    title="Fan-in: many new counterparties pay one party similar sums within days",
    typology="layering-fan-in",
    sources=SOURCES,
    severity="medium",
    logic=_fan_logic("in"),
    params=_fan_params(),
    description="A party is paid by at least min_counterparties one-off counterparties "
    "similar amounts within window_days, not fed by one common source (scatter-gather) nor "
    "passed on as a fan-out just after (gather-scatter).",
)
