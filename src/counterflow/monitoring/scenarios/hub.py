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
    active_days = (per_party.last_day - per_party.first_day).cast("int64") + 1
    retention = 1 - per_party.outflow_usd / per_party.inflow_usd
    hits = per_party.mutate(active_days=active_days, retention=retention).filter(
        [
            per_party.inflow_usd >= p["min_flow_usd"],
            retention.abs() <= p["max_retention"],
            per_party.counterparties >= p["min_counterparties"],
            active_days <= p["max_active_days"],
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
    )


HUB = Scenario(
    id="laundering-hub",
    title="Pass-through hub: high flow, low retention, many counterparties",
    typology="laundering-hub",
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
            "max_active_days",
            200,
            "Most days between its first and last payment: hubs are set up for a channel and "
            "dropped; payment firms that relay all year are not flagged.",
            minimum=1,
        ),
    ),
    description="Parties whose inflow is passed on almost entirely, to and from many "
    "counterparties, within a short life.",
)
