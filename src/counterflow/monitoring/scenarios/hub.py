"""Laundering hub: a party through which much money passes and little stays."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import ibis

from counterflow.engines import DatasetTables
from counterflow.monitoring.scenario import Param, Scenario


def _logic(t: DatasetTables, p: Mapping[str, Any]) -> ibis.Table:
    tx = t.transactions
    usd = tx.base_amount.fill_null(0.0)
    inbound = tx.filter(tx.beneficiary_party.notnull()).select(
        party=tx.beneficiary_party,
        tx_id=tx.tx_id,
        inflow=usd,
        outflow=ibis.literal(0.0),
        counterparty=tx.payer_party,
        country=tx.payer_country,
        day=tx.timestamp.date(),
    )
    outbound = tx.filter(tx.payer_party.notnull()).select(
        party=tx.payer_party,
        tx_id=tx.tx_id,
        inflow=ibis.literal(0.0),
        outflow=usd,
        counterparty=tx.beneficiary_party,
        country=tx.beneficiary_country,
        day=tx.timestamp.date(),
    )
    flows = inbound.union(outbound)
    per_party = flows.group_by("party").aggregate(
        inflow_usd=flows.inflow.sum(),
        outflow_usd=flows.outflow.sum(),
        counterparties=flows.counterparty.nunique(),
        countries=flows.country.nunique(),
        first_day=flows.day.min(),
        last_day=flows.day.max(),
        tx_ids=flows.tx_id.collect(),
    )
    # licensed money businesses pass money through by trade; they are not hubs of this kind
    sectors = t.parties.select(party=t.parties.party_id.cast("string"), sector=t.parties.sector)
    per_party = per_party.left_join(sectors, "party").select(per_party, "sector")
    per_party = per_party.filter(
        per_party.sector.isnull() | ~per_party.sector.lower().isin(p["pass_through_sectors"])
    )
    passed = _passed_on(t, p)
    per_party = per_party.left_join(passed, "party").select(per_party, "passed_usd")
    active_days = (per_party.last_day - per_party.first_day).cast("int64") + 1
    retention = 1 - per_party.outflow_usd / per_party.inflow_usd
    pass_share = per_party.passed_usd.fill_null(0.0) / per_party.inflow_usd
    hits = per_party.mutate(
        active_days=active_days, retention=retention, pass_share=pass_share
    ).filter(
        [
            per_party.inflow_usd >= p["min_flow_usd"],
            retention.abs() <= p["max_retention"],
            per_party.counterparties >= p["min_counterparties"],
            pass_share >= p["min_pass_share"],
        ]
    )
    flow_strength = (hits.inflow_usd / p["min_flow_usd"]).log10().clip(0, 1)
    thin = 1 - hits.retention.abs() / p["max_retention"]
    return hits.select(
        subject_id=hits.party,
        score=(0.5 + 0.25 * flow_strength + 0.25 * thin).clip(0, 1),
        tx_ids=hits.tx_ids,
        inflow_usd=hits.inflow_usd,
        outflow_usd=hits.outflow_usd,
        retention=hits.retention,
        counterparties=hits.counterparties,
        countries=hits.countries,
        active_days=hits.active_days,
        passed_on_within_days_share=hits.pass_share,
    )


def _passed_on(t: DatasetTables, p: Mapping[str, Any]) -> ibis.Table:
    """Per party, the inbound money (payments of at least ``min_payment_usd``) that left again
    within ``pass_days`` days, less at most ``max_fee``: the hub's defining habit, which a
    business paying its suppliers from its revenue does not have."""
    tx = t.transactions
    inbound = tx.filter(
        [tx.beneficiary_party.notnull(), tx.base_amount >= p["min_payment_usd"]]
    ).select(party=tx.beneficiary_party, in_id=tx.tx_id, in_ts=tx.timestamp, in_usd=tx.base_amount)
    outbound = tx.filter(tx.payer_party.notnull()).select(
        out_party=tx.payer_party, out_ts=tx.timestamp, out_usd=tx.base_amount
    )
    window = ibis.interval(days=int(p["pass_days"]))
    pairs = inbound.join(
        outbound,
        [
            inbound.party == outbound.out_party,
            outbound.out_ts >= inbound.in_ts,
            outbound.out_ts <= inbound.in_ts + window,
        ],
    )
    per_payment = pairs.group_by(["party", "in_id", "in_usd"]).aggregate(
        out_after=pairs.out_usd.sum()
    )
    passed = per_payment.filter(per_payment.out_after >= per_payment.in_usd * (1 - p["max_fee"]))
    return passed.group_by("party").aggregate(passed_usd=passed.in_usd.sum())


HUB = Scenario(
    id="laundering-hub",
    title="Pass-through hub: high flow, low retention, many counterparties",
    typology="laundering-hub",
    key_roles=("hub",),
    sources=(
        "FATF, Financing of the terrorist organisation ISIL (2015): exchange houses and money "
        "service businesses moving funds to and from the conflict zone",
        "FATF, Professional money laundering (2018): pass-through accounts",
    ),
    severity="high",
    logic=_logic,
    params=(
        Param("min_flow_usd", 100_000.0, "Least money in (USD) over the period.", minimum=0),
        Param(
            "max_retention",
            0.05,
            "Most share of the inflow that may stay, or be paid out beyond it "
            "(|1 - outflow / inflow|).",
            minimum=0,
            maximum=1,
        ),
        Param("min_counterparties", 10, "Least distinct parties paying in or paid.", minimum=1),
        Param(
            "min_pass_share",
            0.6,
            "Least share of the inflow passed on within pass_days of arriving.",
            minimum=0,
            maximum=1,
        ),
        Param(
            "pass_days",
            2,
            "Days within which an inbound payment counts as passed on.",
            minimum=0,
            maximum=30,
        ),
        Param(
            "max_fee",
            0.03,
            "Most share an onward payment may be short of the inbound one.",
            minimum=0,
            maximum=0.5,
        ),
        Param(
            "min_payment_usd",
            2_000.0,
            "Least inbound payment (USD) the pass-on test looks at.",
            minimum=0,
        ),
        Param(
            "pass_through_sectors",
            ["payment services", "money transfer", "currency exchange", "bank"],
            "Business sectors whose trade is passing money on (licensed remitters, exchange "
            "houses, banks): not flagged by this scenario.",
        ),
    ),
    description="Parties that pass most of what they receive on within days, keep almost "
    "nothing, and deal with many counterparties; licensed money businesses excepted.",
)
