"""Exposure to listed parties: every party within a few hops of a listed party, scored by the
hops and the money that could have flowed along the path.

The expansion itself is :func:`counterflow.graph.exposure.exposure` (one Ibis join per hop);
this module turns its rows into alerts: a score that decays with every hop and grows with the
money, and the path as facts.

It starts from *confirmed* hits only (:func:`counterflow.graph.exposure.seed_parties`): with
large lists most listed-counterparty alerts are possible matches on common names, and the
counterparties of a namesake are not exposed to anyone. Each alert says how its listed party
was confirmed (``listed_confirmed``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import ibis
import ibis.expr.types as ir
import pyarrow as pa

from counterflow.engines import DatasetTables
from counterflow.graph.exposure import DIRECTIONS, exposure, id_table, listed_hits
from counterflow.monitoring.scenario import Param, Scenario

TYPOLOGY = "listed-counterparty-exposure"


#: how a seed given as a parameter is confirmed: by whoever gave it
GIVEN = "confirmed: given as a seed"


def _logic(t: DatasetTables, p: Mapping[str, Any]) -> ir.Table:
    given = [str(s) for s in p["seed_parties"]]
    if given:
        why = dict.fromkeys(given, GIVEN)
    else:  # the seeds seed_parties picks: the confirmed hits
        why = {s: h.confirmation for s, h in listed_hits(t).items() if h.confirmed}
    confirmations = ibis.memtable(
        pa.table(
            {
                "c_seed": pa.array(list(why), pa.string()),
                "listed_confirmed": pa.array(list(why.values()), pa.string()),
            }
        )
    )
    found = exposure(
        t,
        id_table(why),
        hops=int(p["hops"]),
        direction=str(p["direction"]),
        min_usd=float(p["min_exposure_usd"]),
        follow_time=bool(p["follow_time"]),
        max_via_counterparties=int(p["max_via_counterparties"]),
    )
    found = found.left_join(confirmations, found.seed == confirmations.c_seed)
    floor = max(float(p["min_exposure_usd"]), 1.0)
    money = 0.5 + 0.5 * ((found.exposure_usd / floor).log10() / 3).clip(0, 1)
    decay = ibis.literal(float(p["decay"])) ** (found.hops - 1).cast("float64")
    return found.select(
        subject_id=found.party,
        score=(money * decay).clip(0, 1),
        tx_ids=found.tx_ids,
        hops=found.hops,
        direction=found.direction,
        listed_party=found.seed,
        listed_confirmed=found.listed_confirmed,
        via=found.via.join(" > ").fill_null(""),
        exposure_usd=found.exposure_usd.round(2),
        payments=found.payments,
        first_date=found.first_ts.date(),
        last_date=found.last_ts.date(),
    )


EXPOSURE = Scenario(
    id="listed-counterparty-exposure",
    title="Exposure: parties within a few hops of a listed party, weighted by the money",
    typology=TYPOLOGY,
    sources=(
        "UNSC resolutions 2199 (2015) and 2253 (2015): no funds made available to listed "
        "parties, directly or indirectly",
        "FATF Recommendation 6 and its Interpretive Note: funds owned or controlled "
        "directly or indirectly by designated persons",
        "FATF, Financing of the terrorist organisation ISIL (2015): intermediaries between "
        "the group and the financial system",
    ),
    severity="high",
    logic=_logic,
    params=(
        Param(
            "seed_parties",
            [],
            "Party ids to start from (listed or screening-hit parties). Empty: the parties "
            "the dataset's listed-counterparty alerts name as confirmed hits (a possible "
            "match on a common name is no seed).",
        ),
        Param("hops", 2, "Most payments between a party and a seed.", minimum=1, maximum=6),
        Param(
            "direction",
            "both",
            "'to': money that can reach a seed (who funds it); 'from': money a seed's "
            "payments can reach (who it funds); 'both'.",
            choices=DIRECTIONS,
        ),
        Param(
            "min_exposure_usd",
            1_000.0,
            "Least money (USD) between two parties of a path for the path to count; the "
            "score's money part starts here and is full at 1,000 times it.",
            minimum=0,
        ),
        Param(
            "decay",
            0.5,
            "Score kept per hop beyond the first: a counterparty's counterparty weighs half.",
            minimum=0,
            maximum=1,
        ),
        Param(
            "max_via_counterparties",
            100,
            "A party with more distinct counterparties than this is reported but not passed "
            "through: a supermarket, a payroll or a payment service does not link everyone it "
            "deals with. 0: pass through every party.",
            minimum=0,
        ),
        Param(
            "follow_time",
            True,
            "Count a hop only when the money could have moved on: a payment feeding the "
            "next one comes before it. False: any dealing counts, whatever the order.",
        ),
    ),
    description="Parties within hops payments of a confirmed listed party, with the path (hop "
    "count, parties in between), the money that could have flowed along it, and how the "
    "listed party was confirmed.",
)
