"""Exposure to listed parties: who is within a few hops of a listed party, and how much money
could have flowed between them.

UNSC resolutions 2199 and 2253 forbid making funds available to listed parties *directly or
indirectly*, so a bank wants to know which customers deal with a listed party's
counterparties, not only with the listed party itself. Starting from seed parties (those a
``listed-counterparty`` alert names as a *confirmed* hit, or any given), each hop joins the
parties reached so far with the payments in or out of them:

- *towards* a seed: the party's money can reach the seed (it paid someone who paid the seed);
- *from* a seed: the seed's money can reach the party.

With ``follow_time`` a hop only counts if the money could have moved on: a payment towards a
seed must come before the onward payment it feeds. A path's exposure is its bottleneck, the
smallest sum between two of its parties; of the paths to a party the strongest is kept. The
score decays with every hop and grows with the money.

The expansion is a join per hop in the portable Ibis layer, so it runs unchanged on Spark; no
Python loop walks the graph.

These are plain functions over a dataset's tables. The monitoring scenario that turns them into
alerts (``listed-counterparty-exposure``) lives with the other scenarios, in
:mod:`counterflow.monitoring.scenarios.exposure`; nothing here knows about monitoring.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import ibis
import ibis.expr.types as ir
import pyarrow as pa

from counterflow.engines import DatasetTables
from counterflow.errors import ConfigError, DataError

#: the scenario whose alerts name the listed parties exposure starts from (read from the alerts
#: table by its id: the graph functions do not depend on the monitoring package)
LISTED_SCENARIO = "listed-counterparty"
DIRECTIONS = ("both", "to", "from")
_LABEL = {"to": "towards listed", "from": "from listed"}


def flows(t: DatasetTables) -> ir.Table:
    """Money from one party to another, one row per (payer, beneficiary): ``src, dst, usd,
    payments, first_ts, last_ts, tx_ids``."""
    tx = t.transactions
    linked = tx.filter(
        [
            tx.payer_party.notnull(),
            tx.beneficiary_party.notnull(),
            tx.payer_party != tx.beneficiary_party,
        ]
    )
    return linked.group_by(src=linked.payer_party, dst=linked.beneficiary_party).aggregate(
        usd=linked.base_amount.fill_null(0.0).sum(),
        payments=linked.count(),
        first_ts=linked.timestamp.min(),
        last_ts=linked.timestamp.max(),
        tx_ids=linked.tx_id.collect(),
    )


def id_table(ids: Iterable[str], column: str = "party") -> ir.Table:
    """Distinct ids as a one-column in-memory table, to join or filter against."""
    return ibis.memtable(pa.table({column: pa.array(sorted(set(ids)), pa.string())}))


def alerted_parties(t: DatasetTables, scenario: str | None = LISTED_SCENARIO) -> ir.Table:
    """Parties the dataset's alerts are about (of ``scenario``, or of any when None), as a
    one-column table ``party``; empty when the workspace has no alerts table or no alerts."""
    alerts = t.alerts()
    if alerts is None:  # a workspace from before alerts existed
        return id_table([])
    wanted = [alerts.subject_kind == "party"]
    if scenario is not None:
        wanted.append(alerts.scenario == scenario)
    found = alerts.filter(wanted)
    return found.select(party=found.subject_id.cast("string")).distinct()


#: what an alert stored before hits had levels says (it has no ``confirmed`` fact): it was
#: raised as a listed party and stays one until the scenario runs again
LEGACY_CONFIRMATION = "confirmed: alert from before confirmation levels"


@dataclass(frozen=True)
class ListedHit:
    """A party a ``listed-counterparty`` alert names: the hit's score and whether it is
    confirmed (``confirmed: score``, ``confirmed: analyst decision d-…``) or not
    (``unconfirmed``: a possible match)."""

    party: str
    score: float
    confirmation: str

    @property
    def confirmed(self) -> bool:
        return self.confirmation.startswith("confirmed")


def listed_hits(t: DatasetTables) -> dict[str, ListedHit]:
    """The dataset's listed-counterparty alerts by party (none when there are none). The
    alerts are few (one per party hit), so they are read whole and their facts parsed here."""
    alerts = t.alerts()
    if alerts is None:  # a workspace from before alerts existed
        return {}
    found = alerts.filter(
        [
            alerts.subject_kind == "party",
            alerts.scenario == LISTED_SCENARIO,
        ]
    ).select("subject_id", "score", "explanation")
    hits: dict[str, ListedHit] = {}
    for row in t.execute(found).to_pylist():
        try:
            facts = json.loads(row["explanation"] or "{}").get("facts") or {}
        except (ValueError, AttributeError) as exc:
            raise DataError(
                f"alert on party {row['subject_id']}: unreadable facts ({exc})"
            ) from exc
        confirmation = facts.get("confirmed") if isinstance(facts, dict) else None
        party = str(row["subject_id"])
        hits[party] = ListedHit(
            party, float(row["score"] or 0.0), str(confirmation or LEGACY_CONFIRMATION)
        )
    return hits


def seed_parties(t: DatasetTables, seeds: Sequence[str] = ()) -> ir.Table:
    """The seeds as a one-column table ``party``: the ids given, else the parties the
    dataset's ``listed-counterparty`` alerts name as confirmed hits (none when there are none).
    A possible match (``unconfirmed``) is no seed: exposure to a namesake is no exposure."""
    if seeds:
        return id_table(seeds)
    return id_table(p for p, hit in listed_hits(t).items() if hit.confirmed)


def exposure(
    t: DatasetTables,
    seeds: ir.Table,
    *,
    hops: int = 2,
    direction: str = "both",
    min_usd: float = 0.0,
    follow_time: bool = True,
    max_via_counterparties: int = 0,
) -> ir.Table:
    """Every party within ``hops`` of a seed (seeds themselves left out), with its strongest
    path: ``party, seed, hops, direction, via, exposure_usd, payments, first_ts, last_ts,
    tx_ids``.

    ``via`` lists the parties between, in the order the money moved; ``exposure_usd`` is the
    path's bottleneck. Paths whose bottleneck is below ``min_usd`` are dropped as they grow.
    A party with more than ``max_via_counterparties`` counterparties (0: no limit) is
    reached but not passed through: a supermarket does not link its customers."""
    problems = exposure_problems(hops, direction, min_usd, max_via_counterparties)
    if problems:
        raise ConfigError("exposure options have problems:\n- " + "\n- ".join(problems))
    everything = flows(t)
    f = everything.filter(everything.usd >= min_usd)
    crowded = _crowded(everything, max_via_counterparties) if max_via_counterparties else None
    wanted = ["to", "from"] if direction == "both" else [direction]
    reached = [_expand(f, seeds, hops, side, follow_time, crowded) for side in wanted]
    found = reached[0]
    for more in reached[1:]:
        found = found.union(more)
    return _best(found, "party")


def exposure_problems(
    hops: object, direction: object, min_usd: object, max_via_counterparties: object
) -> list[str]:
    """Every problem with :func:`exposure`'s options, each naming its option (empty: none)."""
    problems = []
    if isinstance(hops, bool) or not isinstance(hops, int) or hops < 1:
        problems.append(f"hops: must be a whole number of at least 1, not {hops!r}")
    if direction not in DIRECTIONS:
        problems.append(f"direction: must be one of {', '.join(DIRECTIONS)}, not {direction!r}")
    if not _number_at_least(min_usd, 0):
        problems.append(f"min_usd: must be a number of at least 0, not {min_usd!r}")
    if (
        isinstance(max_via_counterparties, bool)
        or not isinstance(max_via_counterparties, int)
        or max_via_counterparties < 0
    ):
        problems.append(
            "max_via_counterparties: must be a whole number of at least 0 (0: no limit), "
            f"not {max_via_counterparties!r}"
        )
    return problems


def _number_at_least(value: object, least: float) -> bool:
    return (
        isinstance(value, int | float)
        and not isinstance(value, bool)
        and not math.isnan(value)
        and value >= least
    )


def _crowded(f: ir.Table, limit: int) -> ir.Table:
    """Parties with more than ``limit`` distinct counterparties, either way: ``party``."""
    ends = f.select(party=f.src, other=f.dst).union(f.select(party=f.dst, other=f.src))
    degree = ends.group_by("party").aggregate(counterparties=ends.other.nunique())
    return degree.filter(degree.counterparties > limit).select("party")


def _best(paths: ir.Table, key: str) -> ir.Table:
    """The strongest path per ``key``: most money, then fewest hops."""
    rank = ibis.row_number().over(
        group_by=paths[key], order_by=[ibis.desc(paths.exposure_usd), paths.hops, paths.seed]
    )
    ranked = paths.mutate(_rank=rank)
    return ranked.filter(ranked._rank == 0).drop("_rank")


def _expand(
    f: ir.Table,
    seeds: ir.Table,
    hops: int,
    side: str,
    follow_time: bool,
    crowded: ir.Table | None,
) -> ir.Table:
    """Paths out of the seeds, one hop per join. For ``"to"`` the money flows from the party
    reached towards the seed (walk the payments backwards); for ``"from"`` from the seed to it.

    ``bound`` carries the time limit for the next hop: for ``"to"``, the last moment the money
    could still have been passed on (a payment further out must come before it); for
    ``"from"``, the first moment it had arrived (a payment further out must come after)."""
    near, far = ("dst", "src") if side == "to" else ("src", "dst")
    seeds = seeds.select(seed=seeds.party)
    first = f.join(seeds, f[near] == seeds.seed)
    frontier = first.select(
        party=first[far],
        seed=first.seed,
        hops=ibis.literal(1, "int64"),
        via=ibis.literal([], "array<string>"),
        exposure_usd=first.usd,
        payments=first.payments,
        first_ts=first.first_ts,
        last_ts=first.last_ts,
        bound=first.last_ts if side == "to" else first.first_ts,
        tx_ids=first.tx_ids,
    )
    stop = seeds.view()
    frontier = frontier.anti_join(stop, frontier.party == stop.seed)
    frontier = _best(frontier, "party")
    found = [frontier]
    visited = stop.select(party=stop.seed).union(frontier.select("party"))
    for hop in range(2, hops + 1):
        n = f.select(
            n_near=f[near],
            n_far=f[far],
            n_usd=f.usd,
            n_payments=f.payments,
            n_first=f.first_ts,
            n_last=f.last_ts,
            n_tx=f.tx_ids,
        )
        if crowded is not None:
            busy = crowded.view()
            frontier = frontier.anti_join(busy, frontier.party == busy.party)
        cond = [frontier.party == n.n_near]
        if follow_time:
            cond.append(n.n_first <= frontier.bound if side == "to" else n.n_last >= frontier.bound)
        step = frontier.join(n, cond)
        seen = visited.view()
        step = step.anti_join(seen, step.n_far == seen.party)
        via = (
            ibis.array([step.party]).concat(step.via)
            if side == "to"
            else step.via.concat(ibis.array([step.party]))
        )
        frontier = step.select(
            party=step.n_far,
            seed=step.seed,
            hops=ibis.literal(hop, "int64"),
            via=via,
            exposure_usd=ibis.least(step.exposure_usd, step.n_usd),
            payments=step.payments + step.n_payments,
            first_ts=ibis.least(step.first_ts, step.n_first),
            last_ts=ibis.greatest(step.last_ts, step.n_last),
            bound=ibis.least(step.bound, step.n_last)
            if side == "to"
            else ibis.greatest(step.bound, step.n_first),
            tx_ids=step.tx_ids.concat(step.n_tx),
        )
        frontier = _best(frontier, "party")
        found.append(frontier)
        visited = visited.union(frontier.select("party"))
    union = found[0]
    for more in found[1:]:
        union = union.union(more)
    return union.drop("bound").mutate(direction=ibis.literal(_LABEL[side]))
