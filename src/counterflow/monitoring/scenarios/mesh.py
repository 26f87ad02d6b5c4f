"""Mesh layering shapes of IBM's AMLworld and AMLSim: bipartite and stack, as joins over the
transfer graph.

A *bipartite* is a set of sources each paying (most of) a set of destinations: every source
pays many destinations, every destination is paid by many sources, similar amounts, within a
few days, between parties that never dealt with each other before or after. A *stack* chains
two or more bipartites: sources pay a layer of intermediaries, all of them, and each
intermediary passes what it got on to the next layer (all of it, less a fee) within days.

Both are built from *mesh payments*: one-off transfers (:func:`layering.transfers`) whose
payer has a *mesh partner*, another payer that paid two or more of the same destinations
similar sums in the same days. Two parties paying the same two new counterparties the same
sum in the same week is what no payroll, supplier run or household does by chance, and it is
the smallest complete bipartite (2 × 2). One self-join of the transfers on the destination
finds every partner pair; everything after it works on the few mesh payments.

Who the alert is about:

- ``layering-bipartite``: each *source* of the mesh (one alert per source; the mesh's size,
  density and money are facts). Every source chose to pay the same strangers; the
  destinations are named in the transactions.
- ``layering-stack``: each *intermediary*, a party paid by one complete layer and paying the
  next: it is where the money passes through, and what sets a stack apart from a bipartite.

A bipartite whose destinations pass the money on as a mesh, or whose sources were fed by one,
is a layer of a stack and left to STACK, so an analyst gets one alert per shape under its
name. FAN_OUT and FAN_IN (``layering._meshed``) leave fans that share their counterparties
with another party's fan to these scenarios, and GATHER_SCATTER leaves the stack's
intermediaries (which gather and scatter too) likewise.

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
from counterflow.monitoring.scenarios.layering import (
    SOURCES,
    _channels,
    _days,
    _min_total,
    _pair_days,
    _similar,
    _tolerance,
    transfers,
)

MESH_SOURCES = (
    *SOURCES,
    "IBM AMLSim (Weber et al., 2018; github.com/IBM/AMLSim): the alert typologies bipartite "
    "(the first half of the members pay every one of the rest) and stack (originators, "
    "intermediaries and beneficiaries, each layer paying every member of the next)",
)


# ---------------------------------------------------------------------------- parameters


def _mesh_params() -> tuple[Param, ...]:
    """What makes a mesh: partners paying the same strangers, close in time and amount."""
    return (
        Param(
            "window_days",
            7,
            "Most days between two sources' payments to the same destination for them to "
            "count as one mesh: a layer of a laundering pattern is paid within a few days (a "
            "weekend may push a business's payment by two).",
            minimum=0,
        ),
        _tolerance(0.05),
        Param(
            "min_shared",
            2,
            "Least destinations two sources must both pay (similar sums, within window_days) "
            "to be partners in a mesh. Two is the smallest complete bipartite (2 × 2); one "
            "shared payee is any two customers of the same new supplier.",
            minimum=2,
        ),
        Param(
            "min_density",
            0.75,
            "Least share of the possible source-to-destination payments that were made "
            "(1.0: every source paid every destination). 'Most of' the destinations, as the "
            "sources describe it; a payment lost to a weekend or a limit leaves the mesh.",
            minimum=0,
            maximum=1,
        ),
        _pair_days(),
        _channels(),
        Param(
            "pass_on_days",
            10,
            "Most days between a layer's payments into a party and that party's payments to "
            "the next layer: a stack's hop, as a scatter-gather's.",
            minimum=0,
        ),
        Param(
            "max_retention",
            0.10,
            "Most share of what an intermediary received from its layer that it may keep, or "
            "pay beyond it (|1 - out / in|), for it to pass the money on: a fee of a few "
            "percent, as AMLworld's and the simulator's hops keep.",
            minimum=0,
            maximum=1,
        ),
    )


def _mesh_key(p: Mapping[str, Any]) -> tuple[Any, ...]:
    return (
        "mesh",
        int(p["max_pair_days"]),
        tuple(sorted(p["channels"])),
        float(p["window_days"]),
        float(p["amount_tolerance"]),
        int(p["min_shared"]),
    )


# ---------------------------------------------------------------------------- building blocks


def mesh_payments(t: DatasetTables, p: Mapping[str, Any]) -> ir.Table:
    """Transfers whose payer has a mesh partner for the payee: ``tx_id, ts, src, dst, usd``.

    A partner of a payer is another payer that paid ``min_shared`` or more of the same payees,
    each time a sum within ``amount_tolerance`` of the payer's and within ``window_days`` of
    it. Computed once per run for both scenarios."""
    return t.cached(_mesh_key(p), lambda: _mesh_payments(transfers(t, p), p))


def partners(t: DatasetTables, p: Mapping[str, Any]) -> ir.Table:
    """Pairs of mesh partners, both ways round: ``src, partner``."""
    return t.cached((*_mesh_key(p), "partners"), lambda: _partners(transfers(t, p), p))


def _co_payments(e: ir.Table, p: Mapping[str, Any]) -> ir.Table:
    """Two payers paying the same payee similar sums within the window: ``tx_id, ts, src,
    dst, usd, partner`` (the row is the first payer's payment)."""
    tol = float(p["amount_tolerance"])
    window = _days(p["window_days"])
    b = e.select(b_src=e.src, b_dst=e.dst, b_ts=e.ts, b_usd=e.usd)
    co = e.join(
        b,
        [
            e.dst == b.b_dst,
            e.src != b.b_src,
            b.b_ts >= e.ts - window,
            b.b_ts <= e.ts + window,
            _similar(e.usd, b.b_usd, tol),
        ],
    )
    return co.select("tx_id", "ts", "src", "dst", "usd", partner=co.b_src, partner_ts=co.b_ts)


def _partners(e: ir.Table, p: Mapping[str, Any]) -> ir.Table:
    co = _co_payments(e, p)
    shared = co.group_by(["src", "partner"]).aggregate(
        shared=co.dst.nunique(),
        first=ibis.least(co.ts, co.partner_ts).min(),
        last=ibis.greatest(co.ts, co.partner_ts).max(),
    )
    # the payments the two share fall within one window: a layer is paid in a few days, not
    # one shared payee in March and another in August
    return shared.filter(
        [shared.shared >= p["min_shared"], shared.last <= shared.first + _days(p["window_days"])]
    ).select("src", "partner")


def _mesh_payments(e: ir.Table, p: Mapping[str, Any]) -> ir.Table:
    co = _co_payments(e, p)
    linked = _partners(e, p)
    found = co.semi_join(linked, ["src", "partner"])
    return found.select("tx_id", "ts", "src", "dst", "usd").distinct()


def _moves(t: DatasetTables, p: Mapping[str, Any]) -> ir.Table:
    """Every payment between two parties by the layering channels, one-off or not: ``tx_id,
    ts, src, dst, usd``. The money an intermediary passes on is counted in these, since one
    of its layer's payers may have dealt with it before (that payment is no mesh payment,
    but its money goes through all the same)."""
    tx = t.transactions
    moved = tx.filter(
        [
            tx.payer_party.notnull(),
            tx.beneficiary_party.notnull(),
            tx.payer_party != tx.beneficiary_party,
            tx.channel.isin(list(p["channels"])),
            tx.base_amount > 0,
        ]
    )
    return moved.select(
        tx_id=moved.tx_id,
        ts=moved.timestamp,
        src=moved.payer_party,
        dst=moved.beneficiary_party,
        usd=moved.base_amount,
    )


def intermediaries(t: DatasetTables, p: Mapping[str, Any]) -> ir.Table:
    """:func:`_intermediaries`, computed once per run for both scenarios."""
    key = (*_mesh_key(p), "intermediaries", float(p["pass_on_days"]), float(p["max_retention"]))
    return t.cached(key, lambda: _intermediaries(t, mesh_payments(t, p), partners(t, p), p))


def _intermediaries(
    t: DatasetTables, m: ir.Table, pairs: ir.Table, p: Mapping[str, Any]
) -> ir.Table:
    """Parties paid by a mesh that pass about all of it on as a mesh within
    ``pass_on_days``: ``party, in_first, in_last, out_first, out_last, in_usd, in_moves,
    out_usd, out_moves`` (the moves: the ids of the payments counted in the sums).

    The first mesh payment out follows the first one in (money arrives, then leaves), and
    comes no later than ``pass_on_days`` after the last one in. What went out to the layer
    after (the payees of the party and of its partners) is what came in from the layer before
    (its payers and their partners), less at most ``max_retention`` (or more by as much, if
    the party adds a little), counting every payment between them within ``window_days`` of
    the layer's mesh payments."""
    got = m.group_by(party=m.dst).aggregate(in_first=m.ts.min(), in_last=m.ts.max())
    paid = m.group_by(o_party=m.src).aggregate(out_first=m.ts.min(), out_last=m.ts.max())
    both = got.join(
        paid,
        [
            got.party == paid.o_party,
            paid.out_first >= got.in_first,
            paid.out_first <= got.in_last + _days(p["pass_on_days"]),
        ],
    ).drop("o_party")
    window = _days(p["window_days"])
    # the layer before: the party's mesh payers and their partners
    fed = m.semi_join(both, m.dst == both.party).select(party=m.dst, source=m.src)
    fed = fed.union(
        fed.join(pairs, fed.source == pairs.src).select("party", source=pairs.partner),
        distinct=True,
    )
    # the layer after: the mesh payees of the party and of its partners
    cand = both.select("party")
    team = cand.select("party", member=cand.party).union(
        cand.join(pairs, cand.party == pairs.src).select("party", member=pairs.partner),
        distinct=True,
    )
    onto = team.join(m, team.member == m.src).select("party", sink=m.dst).distinct()
    moves = _moves(t, p)
    flows = []
    for name, ids, layer, other, mine, theirs, first, last in (
        ("in_usd", "in_moves", fed, "source", "dst", "src", "in_first", "in_last"),
        ("out_usd", "out_moves", onto, "sink", "src", "dst", "out_first", "out_last"),
    ):
        spans = layer.join(both.select("party", first, last), "party")
        hits = spans.join(
            moves,
            [
                spans.party == moves[mine],
                spans[other] == moves[theirs],
                moves.ts >= spans[first] - window,
                moves.ts <= spans[last] + window,
            ],
        )
        flows.append(
            hits.group_by(f_party=hits.party).aggregate(
                **{name: hits.usd.sum(), ids: hits.tx_id.collect()}
            )
        )
    for flow in flows:
        both = both.join(flow, both.party == flow.f_party).drop("f_party")
    return both.filter((1 - both.out_usd / both.in_usd).abs() <= p["max_retention"])


def _span_days(first: ir.TimestampValue, last: ir.TimestampValue) -> ir.FloatingValue:
    return ((last.epoch_seconds() - first.epoch_seconds()) / 86400).round(2)


def _fullness(density: ir.NumericValue, p: Mapping[str, Any]) -> ir.FloatingValue:
    """0 at ``min_density``, 1 when every possible payment of the mesh was made."""
    least = float(p["min_density"])
    return ((density - least) / max(1 - least, 1e-9)).clip(0, 1)


def _spread(smallest: ir.NumericValue, largest: ir.NumericValue) -> ir.FloatingValue:
    return 1 - smallest / largest


# ---------------------------------------------------------------------------- bipartite


def _bipartite_logic(t: DatasetTables, p: Mapping[str, Any]) -> ir.Table:
    m = mesh_payments(t, p)
    pairs = partners(t, p)
    middle = intermediaries(t, p).select("party")
    # the source's own mesh: itself and its partners, paying the payees it paid in the mesh
    own = m.select(source=m.src, dst=m.dst)
    team = pairs.select(source=pairs.src, member=pairs.partner).union(
        m.select(source=m.src, member=m.src), distinct=True
    )
    payees = own.distinct()
    # every mesh payment of the source's team to the source's payees: the mesh's edges
    edges = (
        team.join(m, team.member == m.src)
        .select("source", "member", "dst", "tx_id", "ts", "usd")
        .semi_join(payees, ["source", "dst"])
    )
    # a layer of a stack: the source was fed by a mesh it passes on, or its payees pass on
    onward = payees.semi_join(middle, payees.dst == middle.party)
    onward_n = onward.group_by(o_source=onward.source).aggregate(onward=onward.dst.nunique())
    meshes = edges.group_by("source").aggregate(
        sources=edges.member.nunique(),
        destinations=edges.dst.nunique(),
        links=(edges.member.concat("|").concat(edges.dst)).nunique(),
        payments=edges.tx_id.nunique(),
        total_usd=edges.usd.sum(),
        smallest_usd=edges.usd.min(),
        largest_usd=edges.usd.max(),
        first_ts=edges.ts.min(),
        last_ts=edges.ts.max(),
        tx_ids=edges.tx_id.collect(),
    )
    meshes = meshes.left_join(onward_n, meshes.source == onward_n.o_source).drop("o_source")
    meshes = meshes.mutate(
        density=meshes.links / (meshes.sources * meshes.destinations),
        chained=meshes.onward.fill_null(0) / meshes.destinations,
    )
    tol = float(p["amount_tolerance"])
    meshes = meshes.filter(
        [
            meshes.sources >= p["min_sources"],
            meshes.destinations >= p["min_destinations"],
            meshes.density >= p["min_density"],
            meshes.total_usd >= p["min_total_usd"],
            _spread(meshes.smallest_usd, meshes.largest_usd) <= 2 * tol,
            meshes.chained <= p["max_chained_share"],
        ]
    )
    meshes = meshes.anti_join(middle, meshes.source == middle.party)
    spread = _spread(meshes.smallest_usd, meshes.largest_usd)
    least = float(p["min_sources"]) * float(p["min_destinations"])
    size = ((meshes.sources * meshes.destinations - least) / 16).clip(0, 1)
    full = _fullness(meshes.density, p)
    tight = (1 - spread / (2 * max(tol, 1e-9))).clip(0, 1)
    return meshes.select(
        subject_id=meshes.source,
        score=(0.4 + 0.2 * size + 0.2 * full + 0.2 * tight).clip(0, 1),
        tx_ids=meshes.tx_ids,
        sources=meshes.sources,
        destinations=meshes.destinations,
        density=meshes.density.round(4),
        payments=meshes.payments,
        total_usd=meshes.total_usd.round(2),
        amount_spread=spread.round(4),
        span_days=_span_days(meshes.first_ts, meshes.last_ts),
    )


BIPARTITE = Scenario(
    id="layering-bipartite",
    title="Bipartite: several parties each pay the same set of new counterparties similar sums",
    typology="layering-bipartite",
    sources=MESH_SOURCES,
    severity="high",
    key_roles=("source",),
    logic=_bipartite_logic,
    params=(
        Param(
            "min_sources",
            2,
            "Least sources in the mesh (the subject and its partners).",
            minimum=2,
        ),
        Param(
            "min_destinations",
            2,
            "Least destinations the subject paid in the mesh.",
            minimum=2,
        ),
        *_mesh_params(),
        _min_total(10_000.0),
        Param(
            "max_chained_share",
            0.5,
            "Most share of the destinations that may pass the money on as a mesh of their "
            "own. Above it the bipartite is the first layer of a stack, left to that "
            "scenario (as is a mesh whose source was fed by one).",
            minimum=0,
            maximum=1,
        ),
    ),
    description="A source and its partners (other payers that paid two or more of the same "
    "one-off counterparties similar sums within window_days) each pay most of the same "
    "destinations. One alert per source; the mesh's size, density and money are facts.",
)


# ---------------------------------------------------------------------------- stack


def _stack_logic(t: DatasetTables, p: Mapping[str, Any]) -> ir.Table:
    m = mesh_payments(t, p)
    middle = intermediaries(t, p)
    mid = middle.select("party")
    # the layer in: mesh payments into each intermediary; the layer out: its mesh payments
    into = m.semi_join(mid, m.dst == mid.party)
    out = m.semi_join(mid, m.src == mid.party)
    # the intermediary's peers: the intermediaries its own sources paid in the mesh
    fed = into.select(party=into.dst, source=into.src).distinct()
    others = into.select(p_source=into.src, peer=into.dst)
    peers = fed.join(others, fed.source == others.p_source).select("party", "peer").distinct()
    # both layers around the intermediary: its sources to its peers, its peers to its sinks
    sinks = out.select(party=out.src, sink=out.dst).distinct()
    layer_in = fed.join(peers, "party").select("party", "source", "peer")
    layer_in = layer_in.join(into, [layer_in.source == into.src, layer_in.peer == into.dst]).select(
        "party", "source", "peer", "tx_id", "ts", "usd"
    )
    layer_out = peers.join(sinks, "party").select("party", "peer", "sink")
    layer_out = layer_out.join(out, [layer_out.peer == out.src, layer_out.sink == out.dst]).select(
        "party", "peer", "sink", "tx_id", "ts", "usd"
    )
    ins = layer_in.group_by("party").aggregate(
        sources=layer_in.source.nunique(),
        intermediaries=layer_in.peer.nunique(),
        in_links=(layer_in.source.concat("|").concat(layer_in.peer)).nunique(),
        total_usd=layer_in.usd.sum(),
        first_ts=layer_in.ts.min(),
        in_tx=layer_in.tx_id.collect(),
    )
    outs = layer_out.group_by(o_party=layer_out.party).aggregate(
        sinks=layer_out.sink.nunique(),
        out_links=(layer_out.peer.concat("|").concat(layer_out.sink)).nunique(),
        last_ts=layer_out.ts.max(),
        out_tx=layer_out.tx_id.collect(),
    )
    stacks = ins.join(outs, ins.party == outs.o_party).drop("o_party")
    stacks = stacks.join(middle, "party")
    possible = stacks.sources * stacks.intermediaries + stacks.intermediaries * stacks.sinks
    stacks = stacks.mutate(
        density=(stacks.in_links + stacks.out_links) / possible,
        passed=stacks.out_usd / stacks.in_usd,
    )
    stacks = stacks.filter(
        [
            stacks.sources >= p["min_sources"],
            stacks.intermediaries >= p["min_intermediaries"],
            stacks.sinks >= p["min_sinks"],
            stacks.density >= p["min_density"],
            stacks.total_usd >= p["min_total_usd"],
        ]
    )
    size = ((stacks.intermediaries - p["min_intermediaries"]) / 4).clip(0, 1)
    full = _fullness(stacks.density, p)
    thin = (1 - (1 - stacks.passed).abs() / max(float(p["max_retention"]), 1e-9)).clip(0, 1)
    return stacks.select(
        subject_id=stacks.party,
        score=(0.4 + 0.2 * size + 0.2 * full + 0.2 * thin).clip(0, 1),
        # the layers' mesh payments, and every payment counted in what the subject got and
        # passed on (a payer it knew before is no mesh payment, but its money went through)
        tx_ids=stacks.in_tx.concat(stacks.out_tx, stacks.in_moves, stacks.out_moves).unique(),
        sources=stacks.sources,
        intermediaries=stacks.intermediaries,
        sinks=stacks.sinks,
        density=stacks.density.round(4),
        received_usd=stacks.in_usd.round(2),
        passed_on_usd=stacks.out_usd.round(2),
        retention=(1 - stacks.passed).round(4),
        total_usd=stacks.total_usd.round(2),
        span_days=_span_days(stacks.first_ts, stacks.last_ts),
    )


STACK = Scenario(
    id="layering-stack",
    title="Stack: money passes through layers of new counterparties, each paying all the next",
    typology="layering-stack",
    sources=MESH_SOURCES,
    severity="high",
    key_roles=("intermediary",),
    logic=_stack_logic,
    params=(
        Param(
            "min_sources",
            2,
            "Least parties paying the subject in the mesh before it.",
            minimum=2,
        ),
        Param(
            "min_intermediaries",
            2,
            "Least intermediaries in the subject's layer (itself included): the parties its "
            "sources paid in the same mesh that pass the money on too.",
            minimum=2,
        ),
        Param(
            "min_sinks",
            2,
            "Least parties the subject pays on in the mesh after it.",
            minimum=2,
        ),
        *_mesh_params(),
        _min_total(10_000.0),
    ),
    description="A party paid by a mesh of one-off sources (each paying most of the same "
    "layer of parties, similar sums, within window_days) that passes about all of it on, "
    "within pass_on_days, to a mesh of one-off sinks that its layer's other members pay too. "
    "One alert per intermediary; the layers' sizes, density and money are facts.",
)
