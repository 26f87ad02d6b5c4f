"""Split payments: one sum paid to a new counterparty in several similar parts on one day.

Structuring, or smurfing, splits a sum into parts that each stay below what a bank reports or
looks at. Between two parties with no history the pattern is plain: the same payer pays the
same beneficiary two or more times in one day, similar amounts, and the pair deal on no more
than a day or two in the whole data. Suppliers also invoice several times a day, but to
customers they deal with week after week, and in parts of any size.

The day is the data's own: one time step when the data comes in steps longer than a day
(AMLSim's, or a weekly export), else a calendar day in UTC. The dataset's profile says how
common repeat payments within a step are (``repeat_shares``); the explanation cites it.

Both parties get an alert: the payer (who split) and the beneficiary (who collected the
parts); a collector of splits from several payers scores higher. This is the scenario that
sees AMLSim's planted fan-ins and cycles, whose transfers come in bursts of near-identical
parts (no ordinary pair in AMLSim's data pays twice in one step), and it is blind to a split
spread over days, which the fan and cycle scenarios see.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import ibis
import ibis.expr.types as ir

from counterflow.engines import DatasetTables
from counterflow.monitoring.profile import DAY, DatasetProfile, dataset_profile
from counterflow.monitoring.scenario import AUTO, Param, Scenario
from counterflow.monitoring.scenarios.layering import _channels, _min_total, _tolerance, transfers

SOURCES = (
    "FATF, Money laundering and terrorist financing red flag indicators (2020 and "
    "typology reports): structuring and smurfing, splitting transactions to avoid "
    "thresholds",
    "FinCEN: structuring (31 U.S.C. 5324), multiple transactions in one day by or for one person",
    "IBM AMLSim (Weber et al., 2018): fan-in and cycle patterns paid in bursts of similar parts",
)


#: a repeat count is rare when at most this share of the dataset's (pair, step) cells reach it
RARE_REPEAT_SHARE = 0.005


def _rare_repeat(profile: DatasetProfile, values: Mapping[str, Any]) -> tuple[float, str]:
    shares = profile.repeat_shares
    seen = []
    for k in (2, 3, 5, 10):
        share = shares.get(str(k), 0.0)
        seen.append(f"{k} or more {share:.3%}")
        if share <= RARE_REPEAT_SHARE:
            break
    return k, (
        f"pair-steps of this dataset holding {', '.join(seen)} "
        f"(rare: at most {RARE_REPEAT_SHARE:.1%}): {k}"
    )


def _split_logic(t: DatasetTables, p: Mapping[str, Any]) -> ir.Table:
    e = transfers(t, p)
    step = max(dataset_profile(t).step_seconds, DAY)
    tol = float(p["amount_tolerance"])
    day = e.mutate(bucket=(e.ts.epoch_seconds() / step).floor().cast("int64"))
    cells = day.group_by(["src", "dst", "bucket"]).aggregate(
        parts=day.count(),
        smallest=day.usd.min(),
        largest=day.usd.max(),
        total=day.usd.sum(),
    )
    cells = cells.filter(
        [
            cells.parts >= p["min_payments"],
            1 - cells.smallest / cells.largest <= 2 * tol,
            cells.total >= p["min_total_usd"],
        ]
    )
    members = day.join(cells, ["src", "dst", "bucket"])
    members = members.mutate(spread=1 - members.smallest / members.largest)
    # each split seen from both ends: the payer who split, the beneficiary who collected
    ends = [
        members.select(
            subject=members[subject],
            other=members[other],
            side=ibis.literal(side),
            tx_id=members.tx_id,
            ts=members.ts,
            usd=members.usd,
            cell=members[other] + "/" + members.bucket.cast("string"),
            parts=members.parts,
            spread=members.spread,
        )
        for subject, other, side in (("src", "dst", "paid"), ("dst", "src", "received"))
    ]
    sides = ends[0].union(ends[1])
    per = sides.group_by("subject").aggregate(
        splits=sides.cell.nunique(),
        counterparties=sides.other.nunique(),
        payments=sides.tx_id.nunique(),
        most_parts=sides.parts.max(),
        total_usd=sides.usd.sum(),
        widest_spread=sides.spread.max(),
        paid=(sides.side == "paid").any(),
        received=(sides.side == "received").any(),
        first_ts=sides.ts.min(),
        last_ts=sides.ts.max(),
        tx_ids=sides.tx_id.collect(),
    )
    many = ((per.splits - 1) / 3).clip(0, 1)
    parts = ((per.most_parts - 2) / 3).clip(0, 1)
    tight = (1 - per.widest_spread / max(2 * tol, 1e-9)).clip(0, 1)
    return per.select(
        subject_id=per.subject,
        score=(0.5 + 0.2 * many + 0.15 * parts + 0.15 * tight).clip(0, 1),
        tx_ids=per.tx_ids,
        role=ibis.ifelse(
            per.paid & per.received,
            "paid and received split payments",
            ibis.ifelse(per.paid, "paid in parts", "received in parts"),
        ),
        splits=per.splits,
        counterparties=per.counterparties,
        payments=per.payments,
        most_parts=per.most_parts,
        total_usd=per.total_usd.round(2),
        amount_spread=per.widest_spread.round(4),
        step_days=ibis.literal(step / DAY),
        span_days=((per.last_ts.epoch_seconds() - per.first_ts.epoch_seconds()) / DAY).round(2),
    )


SPLIT = Scenario(
    id="split-payments",
    title="Split payments: one sum paid to a new counterparty in similar parts on one day",
    typology="structuring",
    sources=SOURCES,
    severity="medium",
    logic=_split_logic,
    params=(
        Param(
            "min_payments",
            AUTO,
            "Least payments from one payer to one beneficiary within one step of the data "
            "(a day at least) to count as a split. auto: 2 where pairs rarely pay twice in "
            "a step in this dataset (under 1 in 200 pair-steps), else the least of 3, 5 "
            "and 10 that is that rare: where paying twice a day is ordinary, a split needs "
            "more parts.",
            minimum=2,
            relative=_rare_repeat,
        ),
        _tolerance(0.20),
        _min_total(0.0),
        Param(
            "max_pair_days",
            2,
            "Most days on which the two parties dealt in the whole dataset (any channel): "
            "the day of the split and at most one other. An established supplier invoicing "
            "several times a day deals on many more.",
            minimum=1,
        ),
        _channels(),
    ),
    description="A payer pays one beneficiary min_payments or more times within one step of "
    "the data (a day at least), amounts within amount_tolerance of each other, and the two "
    "dealt on at most max_pair_days days in all. Both parties are alerted.",
)
