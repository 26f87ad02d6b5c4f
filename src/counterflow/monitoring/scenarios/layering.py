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

import functools
from collections.abc import Callable, Mapping
from typing import Any

import ibis
import ibis.expr.types as ir

from counterflow.engines import DatasetTables
from counterflow.errors import ConfigError
from counterflow.monitoring.profile import TRANSFER_CHANNELS, DatasetProfile
from counterflow.monitoring.scenario import AUTO, Param, Relative, Scenario

SOURCES = (
    "Altman et al., Realistic Synthetic Financial Transactions for Anti-Money Laundering "
    "Models, NeurIPS 2023 Datasets and Benchmarks (IBM AMLworld): the laundering patterns "
    "fan-out, fan-in, cycle, scatter-gather, gather-scatter, bipartite and stack",
    "IBM AMLSim (Weber et al., 2018; github.com/IBM/AMLSim): the alert typologies fan_in, "
    "fan_out, cycle, scatter_gather and gather_scatter",
    "FATF, Professional money laundering (2018): layering through networks of accounts",
)

#: channels money is layered through by default: payments from account to account
LAYERING_CHANNELS = list(TRANSFER_CHANNELS)


# ---------------------------------------------------------------------------- parameters


def in_steps(steps: float) -> Relative:
    """A window of ``steps`` time steps of the data, and at least ``steps`` days: a daily
    export and AMLSim's day-long steps get ``steps`` days, weekly data ``steps`` weeks."""

    def resolve(profile: DatasetProfile, values: Mapping[str, Any]) -> tuple[float, str]:
        days = max(float(steps), steps * profile.step_days)
        step = f"{profile.step_days:g} day" if profile.step_days >= 1 else "under a day"
        return (
            days,
            f"{steps:g} time steps of the data (a step is {step}), at least {steps:g} "
            f"days: {days:g} days",
        )

    return resolve


def transfer_percentile(q: float) -> Relative:
    """The ``q`` percentile of the dataset's payments over the scenario's ``channels``."""

    def resolve(profile: DatasetProfile, values: Mapping[str, Any]) -> tuple[float, str]:
        channels = list(values.get("channels") or LAYERING_CHANNELS)
        found = profile.amount(channels, q)
        if found is None:
            return 0.0, f"no payments over {', '.join(channels)} in this dataset: no floor"
        return found, (
            f"the {q * 100:g}th percentile of payments by {', '.join(channels)} in this "
            f"dataset: USD {found:,.2f}"
        )

    return resolve


def _channels() -> Param:
    return Param(
        "channels",
        list(LAYERING_CHANNELS),
        "Channels whose payments can form a shape. Card payments at shops and cash have no "
        "account on the other side to layer through.",
    )


def _pair_days(default: int = 1, why: str = "") -> Param:
    return Param(
        "max_pair_days",
        default,
        "Most days on which the same payer paid the same beneficiary in the whole dataset "
        "(any channel) for the payment to count. Layering uses one-off counterparties; "
        "payroll, suppliers and rent repeat every month between the same pair." + why,
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


def _fan_shape_params() -> tuple[Param, ...]:
    """What makes a fan: how many counterparties, how close in time and amount, how much."""
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
            AUTO,
            "Days within which the payments of the fan fall: a step of a laundering pattern "
            "takes a few days (a weekend or holiday may push a business's payment by two). "
            "auto: 7 time steps of the data, at least 7 days.",
            minimum=0,
            relative=in_steps(7),
        ),
        _tolerance(0.05),
        _min_total(10_000.0),
        _pair_days(),
    )


def _fan_params() -> tuple[Param, ...]:
    return (
        *_fan_shape_params(),
        _channels(),
        Param(
            "pass_on_days",
            10,
            "Days within which a similar sum moving on from a counterparty (or having come "
            "to it), or from the centre, makes a payment part of a longer chain.",
            minimum=0,
        ),
        Param(
            "max_chained_share",
            0.5,
            "Most share of the fan's payments that may be part of a longer chain (passed on "
            "by the counterparty, or relayed by the centre as it comes). Above it the fan "
            "is a scatter-gather, a stack or a relay, left to those scenarios.",
            minimum=0,
            maximum=1,
        ),
    )


# ---------------------------------------------------------------------------- building blocks


def transfers(t: DatasetTables, p: Mapping[str, Any]) -> ir.Table:
    """Party-to-party payments that can be part of a shape: ``tx_id, ts, src, dst, usd``.

    Only the channels named, only positive amounts in the base currency, and only between
    parties that dealt on at most ``max_pair_days`` days in the whole dataset. Computed once
    per run for all the shapes that share these parameters."""
    key = ("layering-transfers", int(p["max_pair_days"]), tuple(sorted(p["channels"])))
    return t.cached(key, lambda: _transfers(t, p))


def _transfers(t: DatasetTables, p: Mapping[str, Any]) -> ir.Table:
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


def cached_fans(t: DatasetTables, e: ir.Table, p: Mapping[str, Any], side: str) -> ir.Table:
    """:func:`fan_groups`, computed once per run for each side and parameter set: fan-out,
    fan-in and gather-scatter all need both sides, and each is a self-join of the transfers."""
    key = (
        "layering-fans",
        side,
        int(p["max_pair_days"]),
        tuple(sorted(p["channels"])),
        float(p["window_days"]),
        float(p["amount_tolerance"]),
        int(p["min_counterparties"]),
        float(p["min_total_usd"]),
    )
    return t.cached(key, lambda: fan_groups(e, p, side))


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
    (``after``), or was paid one before it (give or take a day). The ``tx_id`` of each such
    member payment."""
    tol = float(p["amount_tolerance"])
    window = _days(p["pass_on_days"])
    n = e.select(n_src=e.src, n_dst=e.dst, n_ts=e.ts, n_usd=e.usd)
    who = members[node]
    # a day's slack the other way: a relay's payments of one day are not booked in order
    slack = _days(1)
    if after:
        cond = [who == n.n_src, n.n_ts > members.ts - slack, n.n_ts <= members.ts + window]
    else:
        cond = [who == n.n_dst, n.n_ts < members.ts + slack, n.n_ts >= members.ts - window]
    cond.append(_similar(members.usd, n.n_usd, tol))
    return members.semi_join(n, cond).select("tx_id").distinct()


def _relayed(
    t: DatasetTables, e: ir.Table, members: ir.Table, p: Mapping[str, Any], side: str
) -> ir.Table:
    """Centres whose fan is one half of a gather-scatter: a fan-out fed by a fan-in just
    before, or a fan-in passed on as a fan-out just after."""
    other_side = "in" if side == "out" else "out"
    others = cached_fans(t, e, p, other_side)
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


def _span_days(first: ir.TimestampValue, last: ir.TimestampValue) -> ir.FloatingValue:
    return ((last.epoch_seconds() - first.epoch_seconds()) / 86400).round(2)


def _fan_logic(side: str) -> Callable[[DatasetTables, Mapping[str, Any]], ir.Table]:
    def logic(t: DatasetTables, p: Mapping[str, Any]) -> ir.Table:
        e = transfers(t, p)
        groups = cached_fans(t, e, p, side)
        members = groups.select("centre", "tx_id", "ts", "other", "usd").distinct()
        # leave fans that are part of a longer chain to the chain's own scenario: most
        # counterparties pass the money on (scatter-gather, stack) or were fed it (the sink
        # of a scatter-gather), or the centre relays each payment as it comes (a payment
        # service, a laundering hub), or the fan is one half of a gather-scatter, or it
        # shares its counterparties with another party's fan (bipartite)
        out = side == "out"
        chained = _continued(e, members, p, "other", after=out)
        relayed = _continued(e, members, p, "centre", after=not out)
        # counted by semi-joins: Spark takes no IN (subquery) in a projection
        total = members.group_by("centre").aggregate(n=members.count())
        shares = total
        for name, found in (("chained", chained), ("relayed", relayed)):
            hit = members.semi_join(found, "tx_id")
            counts = hit.group_by(k_centre=hit.centre).aggregate(k=hit.count())
            shares = shares.left_join(counts, shares.centre == counts.k_centre)
            shares = shares.mutate(**{name: shares.k.fill_null(0) / shares.n}).drop("k", "k_centre")
        limit = float(p["max_chained_share"])
        nested = shares.filter((shares.chained > limit) | (shares.relayed > limit))
        members = members.anti_join(nested, "centre")
        members = members.anti_join(_relayed(t, e, members, p, side), "centre")
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
            span_days=_span_days(fans.first_ts, fans.last_ts),
        )

    return logic


FAN_OUT = Scenario(
    id="layering-fan-out",
    title="Fan-out: one party splits a sum among many new counterparties within days",
    typology="layering-fan-out",
    sources=SOURCES,
    severity="medium",
    key_roles=("source",),
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
    key_roles=("sink",),
    logic=_fan_logic("in"),
    params=_fan_params(),
    description="A party is paid by at least min_counterparties one-off counterparties "
    "similar amounts within window_days, not fed by one common source (scatter-gather) nor "
    "passed on as a fan-out just after (gather-scatter).",
)


# ---------------------------------------------------------------------------- cycle


def cycles(e: ir.Table, p: Mapping[str, Any]) -> ir.Table:
    """Closed cycles of transfers: one row per cycle, ``origin, hops, start_ts, end_ts,
    first_usd, returned_usd, members, tx_ids``.

    Paths grow one hop per join (up to ``max_hops``): the next payment leaves the party the
    last one reached, for a similar sum (``amount_tolerance``), to a party not yet on the
    path, all within ``window_days`` of the first payment. With ``ordered`` each payment
    follows the one before in time, so a cycle is found once, from the party whose payment
    started it; without, the origin is the smallest party id on the cycle (AMLSim's cycles
    pay round in any order)."""
    tol = float(p["amount_tolerance"])
    window = _days(p["window_days"])
    ordered = bool(p["ordered"])
    start = e.filter(e.usd >= p["min_amount_usd"])
    paths = start.select(
        origin=start.src,
        last=start.dst,
        start_ts=start.ts,
        last_ts=start.ts,
        low_ts=start.ts,
        high_ts=start.ts,
        first_usd=start.usd,
        last_usd=start.usd,
        members=ibis.array([start.src, start.dst]),
        tx_ids=ibis.array([start.tx_id]),
    )
    if not ordered:
        paths = paths.filter(paths.last > paths.origin)
    found: list[ir.Table] = []
    for hop in range(2, int(p["max_hops"]) + 1):
        n = e.select(n_tx=e.tx_id, n_src=e.src, n_dst=e.dst, n_ts=e.ts, n_usd=e.usd)
        cond = [paths.last == n.n_src, _similar(paths.last_usd, n.n_usd, tol)]
        if ordered:
            cond += [n.n_ts > paths.last_ts, n.n_ts <= paths.start_ts + window]
        else:
            cond += [n.n_ts <= paths.low_ts + window, n.n_ts >= paths.high_ts - window]
        step = paths.join(n, cond)
        if hop >= int(p["min_hops"]):
            closed = step.filter(step.n_dst == step.origin)
            found.append(
                closed.select(
                    origin=closed.origin,
                    hops=ibis.literal(hop, "int64"),
                    start_ts=closed.low_ts,
                    end_ts=ibis.greatest(closed.high_ts, closed.n_ts),
                    first_usd=closed.first_usd,
                    returned_usd=closed.n_usd,
                    members=closed.members,
                    tx_ids=closed.tx_ids.concat(ibis.array([closed.n_tx])),
                )
            )
        if hop == int(p["max_hops"]):
            break
        onward = step.filter(~step.members.contains(step.n_dst))
        if not ordered:
            onward = onward.filter(onward.n_dst > onward.origin)
        paths = onward.select(
            origin=onward.origin,
            last=onward.n_dst,
            start_ts=onward.start_ts,
            last_ts=onward.n_ts,
            low_ts=ibis.least(onward.low_ts, onward.n_ts),
            high_ts=ibis.greatest(onward.high_ts, onward.n_ts),
            first_usd=onward.first_usd,
            last_usd=onward.n_usd,
            members=onward.members.concat(ibis.array([onward.n_dst])),
            tx_ids=onward.tx_ids.concat(ibis.array([onward.n_tx])),
        )
    if not found:
        raise ConfigError(f"max_hops ({p['max_hops']}) must be at least min_hops ({p['min_hops']})")
    return functools.reduce(ir.Table.union, found)


def same_amount_cycles(e: ir.Table, p: Mapping[str, Any]) -> ir.Table:
    """Rings whose every payment is for the very same amount, to the cent, in any order in
    time and of any size (no floor): one sum moved round, booked as it came. The same
    columns as :func:`cycles`; the origin is the smallest party id on the ring.

    Each hop is an equi-join on (party, amount in cents), so the search stays as cheap as
    the data is varied: ordinary payments almost never repeat an amount to the cent along
    a chain of new counterparties."""
    x = e.mutate(cents=(e.usd * 100).round().cast("int64"))
    paths = x.select(
        origin=x.src,
        last=x.dst,
        cents=x.cents,
        low_ts=x.ts,
        high_ts=x.ts,
        usd=x.usd,
        members=ibis.array([x.src, x.dst]),
        tx_ids=ibis.array([x.tx_id]),
    )
    paths = paths.filter(paths.last > paths.origin)
    found: list[ir.Table] = []
    for hop in range(2, int(p["max_hops"]) + 1):
        n = x.select(n_tx=x.tx_id, n_src=x.src, n_dst=x.dst, n_ts=x.ts, n_cents=x.cents)
        step = paths.join(n, [paths.last == n.n_src, paths.cents == n.n_cents])
        if hop >= int(p["min_hops"]):
            closed = step.filter(step.n_dst == step.origin)
            found.append(
                closed.select(
                    origin=closed.origin,
                    hops=ibis.literal(hop, "int64"),
                    start_ts=ibis.least(closed.low_ts, closed.n_ts),
                    end_ts=ibis.greatest(closed.high_ts, closed.n_ts),
                    first_usd=closed.usd,
                    returned_usd=closed.usd,
                    members=closed.members,
                    tx_ids=closed.tx_ids.concat(ibis.array([closed.n_tx])),
                )
            )
        if hop == int(p["max_hops"]):
            break
        onward = step.filter([~step.members.contains(step.n_dst), step.n_dst > step.origin])
        paths = onward.select(
            origin=onward.origin,
            last=onward.n_dst,
            cents=onward.cents,
            low_ts=ibis.least(onward.low_ts, onward.n_ts),
            high_ts=ibis.greatest(onward.high_ts, onward.n_ts),
            usd=onward.usd,
            members=onward.members.concat(ibis.array([onward.n_dst])),
            tx_ids=onward.tx_ids.concat(ibis.array([onward.n_tx])),
        )
    return functools.reduce(ir.Table.union, found)


def _cycle_logic(t: DatasetTables, p: Mapping[str, Any]) -> ir.Table:
    e = transfers(t, p)
    found = cycles(e, p)
    if p["same_amount_rings"]:
        found = found.union(same_amount_cycles(e, p))
    per_origin = found.group_by("origin").aggregate(
        cycles=found.count(),
        hops=found.hops.min(),
        longest=found.hops.max(),
        first_usd=found.first_usd.max(),
        returned_usd=found.returned_usd.argmax(found.first_usd),
        start_ts=found.start_ts.min(),
        end_ts=found.end_ts.max(),
        route=found.members.argmin(found.hops),
    )
    txs = found.select(origin=found.origin, tx_id=found.tx_ids.unnest()).distinct()
    txs = txs.group_by("origin").aggregate(tx_ids=txs.tx_id.collect())
    hits = per_origin.join(txs, "origin")
    returned = (hits.returned_usd / hits.first_usd).clip(0, 1)
    length = ((hits.hops - 2) / 4).clip(0, 1)
    return hits.select(
        subject_id=hits.origin,
        score=(0.5 + 0.3 * returned + 0.2 * length).clip(0, 1),
        tx_ids=hits.tx_ids,
        hops=hits.hops,
        cycles=hits.cycles,
        route=hits.route.concat(ibis.array([hits.origin])).join(" -> "),
        sent_usd=hits.first_usd.round(2),
        returned_usd=hits.returned_usd.round(2),
        span_days=_span_days(hits.start_ts, hits.end_ts),
    )


CYCLE = Scenario(
    id="layering-cycle",
    title="Cycle: money returns to where it started through a ring of new counterparties",
    typology="layering-cycle",
    # every ring member plays the same role and the alert names one of them: no key role
    sources=SOURCES,
    severity="high",
    logic=_cycle_logic,
    params=(
        Param(
            "max_hops",
            12,
            "Longest cycle looked for (payments round the ring). Each hop is one more join; "
            "AMLworld's and the simulator's rings have 4 to 12 members, AMLSim's about 5.",
            minimum=2,
            maximum=16,
        ),
        Param(
            "min_hops",
            3,
            "Shortest cycle: two parties paying each other back is a refund or a loan, not a ring.",
            minimum=2,
        ),
        Param(
            "window_days",
            90,
            "Days from the first payment of the ring to the last.",
            minimum=0,
        ),
        _tolerance(0.10),
        Param(
            "min_amount_usd",
            AUTO,
            "Least amount of the payment that starts the ring (USD). auto: the 75th "
            "percentile of the dataset's payments over the channels: a ring worth running "
            "moves more than most payments do.",
            minimum=0,
            relative=transfer_percentile(0.75),
        ),
        Param(
            "ordered",
            True,
            "Each payment after the one before (money handed on). AMLSim's cycles pay round "
            "in no order in time: set false there (the window then spans the whole ring).",
        ),
        Param(
            "same_amount_rings",
            True,
            "Also report rings whose every payment is for the very same amount, to the cent, "
            "in any order in time, any amount and any span: one sum moved round, booked as "
            "it came (AMLSim's cycles). Ordinary payments almost never repeat an amount to "
            "the cent round a ring of new counterparties.",
        ),
        _pair_days(
            3,
            " A ring's members may deal on a few days: AMLSim pays each hop in bursts over "
            "one or two days, and a ring can go round twice.",
        ),
        _channels(),
    ),
    description="A party's payment comes back to it through two or more other one-off "
    "counterparties, each passing on a similar sum, within window_days.",
)


# ---------------------------------------------------------------------------- scatter-gather


def _scatter_gather_logic(t: DatasetTables, p: Mapping[str, Any]) -> ir.Table:
    e = transfers(t, p)
    tol = float(p["amount_tolerance"])
    h1 = e.select(source=e.src, mid=e.dst, t1=e.ts, u1=e.usd, tx1=e.tx_id)
    h2 = e.select(mid2=e.src, sink=e.dst, t2=e.ts, u2=e.usd, tx2=e.tx_id)
    # intermediaries are mules: few transfers each. Busy parties (shops, agents) would make
    # the two-hop join grow with the square of their transfers for no possible shape.
    cap = int(p["max_intermediary_transfers"])
    received = e.group_by(party=e.dst).aggregate(n_in=e.count())
    paid = e.group_by(party=e.src).aggregate(n_out=e.count())
    quiet = received.join(paid, "party")
    quiet = quiet.filter([quiet.n_in <= cap, quiet.n_out <= cap]).select("party")
    h1 = h1.semi_join(quiet, h1.mid == quiet.party)
    h2 = h2.semi_join(quiet, h2.mid2 == quiet.party)
    chains = h1.join(
        h2,
        [
            h1.mid == h2.mid2,
            h2.t2 > h1.t1,
            h2.t2 <= h1.t1 + _days(p["pass_on_days"]),
            _similar(h1.u1, h2.u2, tol),
            h1.source != h2.sink,
        ],
    ).select("source", "mid", "sink", "t1", "u1", "tx1", "t2", "u2", "tx2")
    shapes = chains.group_by(["source", "sink"]).aggregate(
        intermediaries=chains.mid.nunique(),
        scattered_usd=chains.u1.sum(),
        gathered_usd=chains.u2.sum(),
        smallest_usd=chains.u1.min(),
        largest_usd=chains.u1.max(),
        first_ts=chains.t1.min(),
        last_ts=chains.t2.max(),
    )
    spread = 1 - shapes.smallest_usd / shapes.largest_usd
    shapes = shapes.filter(
        [
            shapes.intermediaries >= p["min_intermediaries"],
            shapes.scattered_usd >= p["min_total_usd"],
            spread <= 2 * tol,
            shapes.last_ts <= shapes.first_ts + _days(p["window_days"]),
        ]
    )
    # a stack is every source paying every intermediary paying every sink: its (source, sink)
    # pairs share their intermediaries with other pairs; a scatter-gather's do not
    other = chains.select(o_source=chains.source, o_sink=chains.sink, o_mid=chains.mid)
    shared = chains.join(
        other,
        [
            chains.mid == other.o_mid,
            (chains.source != other.o_source) | (chains.sink != other.o_sink),
        ],
    )
    shared = shared.group_by(["source", "sink", "o_source", "o_sink"]).aggregate(
        common=shared.mid.nunique()
    )
    shapes = shapes.anti_join(shared.filter(shared.common >= 2), ["source", "sink"])
    members = chains.semi_join(shapes, ["source", "sink"])
    txs = (
        members.select("source", "sink", tx_id=members.tx1)
        .union(members.select("source", "sink", tx_id=members.tx2))
        .distinct()
    )
    txs = txs.group_by(["source", "sink"]).aggregate(tx_ids=txs.tx_id.collect())
    hits = shapes.join(txs, ["source", "sink"])
    # one alert per source: the sink it gathers most through (ties: most money, then sink id,
    # so the alert is one whole row and the same on every run)
    order = ibis.row_number().over(
        group_by=hits.source,
        order_by=[ibis.desc(hits.intermediaries), ibis.desc(hits.scattered_usd), hits.sink],
    )
    hits = hits.mutate(pick=order).filter(lambda r: r.pick == 0)
    width = ((hits.intermediaries - p["min_intermediaries"]) / 8).clip(0, 1)
    kept = (hits.gathered_usd / hits.scattered_usd).clip(0, 1)
    return hits.select(
        subject_id=hits.source,
        score=(0.5 + 0.25 * width + 0.25 * kept).clip(0, 1),
        tx_ids=hits.tx_ids,
        sink=hits.sink,
        intermediaries=hits.intermediaries,
        scattered_usd=hits.scattered_usd.round(2),
        gathered_usd=hits.gathered_usd.round(2),
        span_days=_span_days(hits.first_ts, hits.last_ts),
    )


SCATTER_GATHER = Scenario(
    id="layering-scatter-gather",
    title="Scatter-gather: a sum split among intermediaries and gathered again by one party",
    typology="layering-scatter-gather",
    sources=SOURCES,
    severity="high",
    key_roles=("source",),
    logic=_scatter_gather_logic,
    params=(
        Param(
            "max_intermediary_transfers",
            10,
            "Most one-off transfers in and out a party may have to count as an intermediary "
            "(mules handle a few; shops and agents many).",
            minimum=1,
        ),
        Param(
            "min_intermediaries",
            4,
            "Least distinct intermediaries the money passes through.",
            minimum=2,
        ),
        Param(
            "pass_on_days",
            10,
            "Most days between an intermediary being paid and it paying the sink.",
            minimum=0,
        ),
        Param(
            "window_days",
            21,
            "Most days from the first payment out of the source to the last into the sink.",
            minimum=0,
        ),
        _tolerance(0.05),
        _min_total(10_000.0),
        _pair_days(),
        _channels(),
    ),
    description="A source pays at least min_intermediaries one-off counterparties similar "
    "sums, and each passes about the same sum on to one common sink within days. The alert "
    "is about the source; the sink is a fact.",
)


# ---------------------------------------------------------------------------- gather-scatter


def _gather_scatter_logic(t: DatasetTables, p: Mapping[str, Any]) -> ir.Table:
    e = transfers(t, p)
    fan = {"in": cached_fans(t, e, p, "in"), "out": cached_fans(t, e, p, "out")}
    sides = {}
    for side, groups in fan.items():
        m = groups.select("centre", "tx_id", "ts", "other", "usd").distinct()
        # a layer of a stack shares its payers (payees) with the layer's other members
        m = m.anti_join(_meshed(e, m, p, side), "centre")
        sides[side] = m.group_by("centre").aggregate(
            **{
                f"{side}_parties": m.other.nunique(),
                f"{side}_usd": m.usd.sum(),
                f"{side}_first": m.ts.min(),
                f"{side}_last": m.ts.max(),
                f"{side}_tx": m.tx_id.collect(),
            }
        )
    gin, gout = sides["in"], sides["out"].rename(o_centre="centre")
    hubs = gin.join(
        gout,
        [
            gin.centre == gout.o_centre,
            gout.out_first >= gin.in_last,  # gathered first, then scattered
            gout.out_first <= gin.in_last + _days(p["pass_on_days"]),
        ],
    )
    passed = hubs.out_usd / hubs.in_usd
    hubs = hubs.mutate(passed=passed).filter((1 - passed).abs() <= p["max_retention"])
    width = ((ibis.least(hubs.in_parties, hubs.out_parties) - p["min_counterparties"]) / 8).clip(
        0, 1
    )
    thin = (1 - (1 - hubs.passed).abs() / max(float(p["max_retention"]), 1e-9)).clip(0, 1)
    return hubs.select(
        subject_id=hubs.centre,
        score=(0.5 + 0.25 * width + 0.25 * thin).clip(0, 1),
        tx_ids=hubs.in_tx.concat(hubs.out_tx),
        sources=hubs.in_parties,
        sinks=hubs.out_parties,
        gathered_usd=hubs.in_usd.round(2),
        scattered_usd=hubs.out_usd.round(2),
        retention=(1 - hubs.passed).round(4),
        span_days=_span_days(hubs.in_first, hubs.out_last),
    )


GATHER_SCATTER = Scenario(
    id="layering-gather-scatter",
    title="Gather-scatter: a party collects from many and pays it all out to many",
    typology="layering-gather-scatter",
    sources=SOURCES,
    severity="high",
    key_roles=("hub",),
    logic=_gather_scatter_logic,
    params=(
        *_fan_shape_params(),
        _channels(),
        Param(
            "pass_on_days",
            10,
            "Most days between the last payment in and the first payment out (the first "
            "payment out follows the last one in: a relay passing each payment on as it "
            "comes is a laundering hub or a payment service, not this shape).",
            minimum=0,
        ),
        Param(
            "max_retention",
            0.20,
            "Most share of the money gathered that may stay with the hub, or be paid out "
            "beyond it (|1 - out / in|). Loose, because a payer with a history with the hub "
            "is not counted in the gathered sum.",
            minimum=0,
            maximum=1,
        ),
    ),
    description="A fan-in (at least min_counterparties one-off payers, similar sums, within "
    "window_days) followed within days by a fan-out of about the same total.",
)
