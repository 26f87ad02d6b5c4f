"""Party risk: one ranking that combines every scenario hit with graph features, and an optional
learned ranker trained where labels exist.

*Rules.* A party's score is the noisy-or of its alerts (each alert's score weighted by its
severity: a party with two independent high-severity alerts outranks one with a single one),
plus a small share for unusual position in the money graph (PageRank by USD and pass-through),
so parties no scenario names are still ordered. ``reasons`` names the scenarios and features.

*Learned.* Gradient-boosted trees (scikit-learn's HistGradientBoostingClassifier) on the same
features, in the spirit of the GFP baseline of the AMLworld paper (Altman et al., 2023). The
transactions are split in time, and the parties in two folds: features from the earlier part of
six parties in ten train the model; it then scores the other parties at the end of the later
part, on everything known of them by then, and that is what is reported and evaluated. A model
never learns from the later period, and is never scored on the parties it learned from.

*Deterministic.* Features come ordered by party (and the graph's edges and the alerts by id), so
the same data gives the same rows in the same order whatever DuckDB's parallelism; the learned
ranker's random steps (the early-stopping split, on more than 10,000 training parties) follow
``seed``. The same data and seed give the same ranking.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import ibis
import numpy as np
import pyarrow as pa
import rustworkx as rx

from counterflow.engines import DatasetTables
from counterflow.errors import DataError

SEVERITY_WEIGHT = {"high": 1.0, "medium": 0.7, "low": 0.4}
#: the share of the rules score that graph position can add
GRAPH_SHARE = 0.1
FEATURES = (
    "in_usd",
    "out_usd",
    "in_count",
    "out_count",
    "in_parties",
    "out_parties",
    "countries",
    "pass_through",
    "pagerank",
    "alert_score",
    "scenarios",
    "neighbour_alert",
    "alerted_counterparties",
    "atypical_amounts",
    "week_fan_in",
    "week_fan_out",
    "burst_payments",
)
SHAPE_FEATURES = ("week_fan_in", "week_fan_out", "burst_payments")
#: the share of the rules score that alerted counterparties can add
NEIGHBOUR_SHARE = 0.3
#: the learned ranker's seed unless told otherwise (the command line's default too)
DEFAULT_SEED = 1


@dataclass
class RankedParty:
    party_id: str
    score: float
    rank: int
    reasons: list[str] = field(default_factory=list)


@dataclass
class Ranking:
    parties: list[RankedParty]
    method: str
    #: for the learned ranker: when the training period ends, and its size
    split_at: datetime | None = None
    trained_on: int = 0
    #: for the learned ranker: the seed of its random steps
    seed: int | None = None


def party_features(t: DatasetTables, since: Any = None, until: Any = None) -> pa.Table:
    """Per party: money in and out, counterparties, countries, pass-through, PageRank by USD,
    and its alerts (best severity-weighted score, number of scenarios), over ``[since, until)``.

    One row per party, ordered by party id: DuckDB returns grouped and joined rows in an order
    that changes with its threads, and a model's validation split or a tie in a percentile
    would change with it."""
    tx = t.transactions
    if since is not None:
        tx = tx.filter(tx.timestamp >= since)
    if until is not None:
        tx = tx.filter(tx.timestamp < until)
    tx = tx.mutate(usd=tx.base_amount.fill_null(0.0))
    payers = tx.filter(tx.payer_party.notnull())
    out = payers.group_by(party=payers.payer_party).aggregate(
        out_usd=payers.usd.sum(),
        out_count=payers.count(),
        out_parties=payers.beneficiary_party.nunique(),
        out_countries=payers.beneficiary_country.nunique(),
    )
    payees = tx.filter(tx.beneficiary_party.notnull())
    into = payees.group_by(party=payees.beneficiary_party).aggregate(
        in_usd=payees.usd.sum(),
        in_count=payees.count(),
        in_parties=payees.payer_party.nunique(),
        in_countries=payees.payer_country.nunique(),
    )
    both = out.outer_join(into, "party").select(
        party=ibis.coalesce(out.party, into.party),
        out_usd=out.out_usd.fill_null(0.0),
        out_count=out.out_count.fill_null(0),
        out_parties=out.out_parties.fill_null(0),
        in_usd=into.in_usd.fill_null(0.0),
        in_count=into.in_count.fill_null(0),
        in_parties=into.in_parties.fill_null(0),
        countries=out.out_countries.fill_null(0) + into.in_countries.fill_null(0),
    )
    # every party is ranked, those without a transaction in the period too
    known = t.parties.select(party=t.parties.party_id.cast("string"))
    every = known.union(both.select("party")).distinct()
    both = every.left_join(both, "party").select(
        every.party,
        *[both[c].fill_null(0).name(c) for c in both.columns if c != "party"],
    )
    table = t.execute(both.order_by("party"))
    linked = tx.filter([tx.payer_party.notnull(), tx.beneficiary_party.notnull()])
    edges = t.execute(
        linked.group_by(src=linked.payer_party, dst=linked.beneficiary_party)
        .aggregate(usd=linked.usd.sum())
        .order_by(["src", "dst"])
    )
    ranks = _pagerank(table["party"].to_pylist(), edges)
    alerts = _alert_summary(t)
    parties = table["party"].to_pylist()
    ins, outs = table["in_usd"].to_numpy(), table["out_usd"].to_numpy()
    high = np.maximum(np.maximum(ins, outs), 1e-9)
    alert_score = np.array([alerts.get(p, (0.0, 0, []))[0] for p in parties], dtype=float)
    shape = _shape_features(t, tx, parties)
    table = (
        table.append_column("pass_through", pa.array(np.minimum(ins, outs) / high))
        .append_column("pagerank", pa.array([ranks.get(p, 0.0) for p in parties]))
        .append_column("alert_score", pa.array(alert_score))
        .append_column("scenarios", pa.array([alerts.get(p, (0.0, 0, []))[1] for p in parties]))
        .append_column("alert_reasons", pa.array([alerts.get(p, (0.0, 0, []))[2] for p in parties]))
        .append_column("neighbour_alert", pa.array(_neighbour_alert(parties, edges, alert_score)))
        .append_column(
            "alerted_counterparties", pa.array(_alerted_counterparties(parties, edges, alert_score))
        )
        .append_column("atypical_amounts", pa.array(_atypical_amounts(t, tx, parties)))
    )
    for name in SHAPE_FEATURES:
        table = table.append_column(name, pa.array(shape[name]))
    return table


def _neighbour_alert(parties: Sequence[str], edges: pa.Table, alert: np.ndarray) -> np.ndarray:
    """Per party, the noisy-or of its counterparties' alert scores: money to or from alerted
    parties (a fan's payers, a ring's members, a hub's feeders) counts, in either direction."""
    index = {p: i for i, p in enumerate(parties)}
    miss = np.ones(len(parties))
    for src, dst in zip(edges["src"].to_pylist(), edges["dst"].to_pylist(), strict=True):
        i, j = index.get(src), index.get(dst)
        if i is None or j is None or i == j:
            continue
        miss[i] *= 1 - alert[j]
        miss[j] *= 1 - alert[i]
    return 1 - miss


def _alerted_counterparties(
    parties: Sequence[str], edges: pa.Table, alert: np.ndarray
) -> np.ndarray:
    """Per party, how many distinct counterparties (either direction) have an alert. Unlike
    the noisy-or, it does not saturate: a party dealing with ten alerted accounts (a mule
    inside a ring of them) stands apart from one that paid a single alerted shop."""
    index = {p: i for i, p in enumerate(parties)}
    src = np.array([index.get(s, -1) for s in edges["src"].to_pylist()], dtype=np.int64)
    dst = np.array([index.get(d, -1) for d in edges["dst"].to_pylist()], dtype=np.int64)
    keep = (src >= 0) & (dst >= 0) & (src != dst)
    low, high = np.minimum(src[keep], dst[keep]), np.maximum(src[keep], dst[keep])
    pairs = np.unique(low * len(parties) + high)
    low, high = pairs // max(len(parties), 1), pairs % max(len(parties), 1)
    counts = np.zeros(len(parties))
    np.add.at(counts, low, alert[high] > 0)
    np.add.at(counts, high, alert[low] > 0)
    return counts


#: the band of ordinary amounts: a payment below the first or above the 99th percentile of the
#: dataset's amounts is atypical
ATYPICAL_BAND = (0.01, 0.99)


def _atypical_amounts(t: DatasetTables, tx: ibis.Table, parties: Sequence[str]) -> list[float]:
    """Per party, the share of its payments (made or received, in the period) whose USD amount
    lies outside the dataset's 1st-99th percentile band: structuring into small parts, test
    payments and one-off large transfers all sit at the edges of an institution's own
    distribution, whatever its currency and scale (the band is the dataset's, not a fixed
    figure)."""
    every = t.transactions.filter(t.transactions.base_amount.notnull())
    band = t.execute(
        every.aggregate(
            low=every.base_amount.quantile(ATYPICAL_BAND[0]),
            high=every.base_amount.quantile(ATYPICAL_BAND[1]),
        )
    ).to_pylist()[0]
    if band["low"] is None:
        return [0.0] * len(parties)
    priced = tx.filter(tx.base_amount.notnull())
    odd = ((priced.base_amount < band["low"]) | (priced.base_amount > band["high"])).cast("int64")
    sides = priced.select(party=priced.payer_party, odd=odd).union(
        priced.select(party=priced.beneficiary_party, odd=odd), distinct=False
    )
    sides = sides.filter(sides.party.notnull())
    per = sides.group_by("party").aggregate(share=sides.odd.mean())
    found = {r["party"]: float(r["share"]) for r in t.execute(per).to_pylist()}
    return [found.get(p, 0.0) for p in parties]


def _shape_features(
    t: DatasetTables, tx: ibis.Table, parties: Sequence[str]
) -> dict[str, list[float]]:
    """Graph features in the spirit of GFP (Altman et al., 2023), per party: the most distinct
    counterparties paying it (fan-in) and paid by it (fan-out) within one week, and the
    payments it made or received in bursts (the same pair more than once in one day)."""
    linked = tx.filter(
        [
            tx.payer_party.notnull(),
            tx.beneficiary_party.notnull(),
            tx.payer_party != tx.beneficiary_party,
        ]
    )
    week = linked.mutate(week=(linked.timestamp.epoch_seconds() / (7 * 86400)).floor())
    found: dict[str, dict[str, float]] = {}
    for name, centre, other in (
        ("week_fan_in", "beneficiary_party", "payer_party"),
        ("week_fan_out", "payer_party", "beneficiary_party"),
    ):
        cells = week.group_by(party=week[centre], week=week.week).aggregate(n=week[other].nunique())
        per = cells.group_by("party").aggregate(v=cells.n.max())
        found[name] = {r["party"]: float(r["v"]) for r in t.execute(per).to_pylist()}
    day = linked.mutate(day=linked.timestamp.date())
    cells = day.group_by(["payer_party", "beneficiary_party", "day"]).aggregate(n=day.count())
    cells = cells.filter(cells.n >= 2)
    sides = cells.select(party=cells.payer_party, n=cells.n).union(
        cells.select(party=cells.beneficiary_party, n=cells.n), distinct=False
    )
    per = sides.group_by("party").aggregate(v=sides.n.sum())
    found["burst_payments"] = {r["party"]: float(r["v"]) for r in t.execute(per).to_pylist()}
    return {name: [values.get(p, 0.0) for p in parties] for name, values in found.items()}


def _pagerank(parties: Sequence[str], edges: pa.Table) -> dict[str, float]:
    """PageRank on the party graph weighted by USD (rustworkx; tol 1e-10 as ARCHITECTURE asks),
    scaled so that the mean party scores 1."""
    if not parties:
        return {}
    graph = rx.PyDiGraph()
    index = {p: graph.add_node(p) for p in parties}
    weights = edges["usd"].to_pylist()
    graph.add_edges_from(
        [
            (index[s], index[d], max(w, 1e-9))
            for s, d, w in zip(
                edges["src"].to_pylist(), edges["dst"].to_pylist(), weights, strict=True
            )
            if s in index and d in index
        ]
    )
    ranks = rx.pagerank(graph, weight_fn=lambda w: w, tol=1e-10)
    scale = len(parties)
    return {graph[i]: ranks[i] * scale for i in ranks}


def _alert_summary(t: DatasetTables) -> dict[str, tuple[float, int, list[str]]]:
    """Per subject: the noisy-or of its severity-weighted alert scores, how many scenarios
    alerted, and which."""
    alerts = t.alerts()
    if alerts is None:
        return {}
    rows = t.execute(
        alerts.group_by("subject_id", "scenario", "severity")
        .aggregate(score=alerts.score.max())
        .order_by(["subject_id", "scenario", "severity"])
    ).to_pylist()
    found: dict[str, tuple[float, int, list[str]]] = {}
    for row in rows:
        subject, scenario, severity, score = (
            row["subject_id"],
            row["scenario"],
            row["severity"],
            row["score"],
        )
        miss, count, names = found.get(subject, (1.0, 0, []))
        miss *= 1 - score * SEVERITY_WEIGHT.get(severity, 0.5)
        found[subject] = (miss, count + 1, [*names, f"{scenario} {score:.2f}"])
    return {s: (1 - miss, n, names) for s, (miss, n, names) in found.items()}


def rank_by_rules(features: pa.Table) -> Ranking:
    parties = features["party"].to_pylist()
    alert = np.asarray(features["alert_score"].to_numpy(zero_copy_only=False), dtype=float)
    pagerank = np.asarray(features["pagerank"].to_numpy(zero_copy_only=False), dtype=float)
    through = np.asarray(features["pass_through"].to_numpy(zero_copy_only=False), dtype=float)
    near = np.asarray(features["neighbour_alert"].to_numpy(zero_copy_only=False), dtype=float)
    position = _percentile(pagerank) * 0.5 + through * 0.5
    score = alert + (1 - alert) * (NEIGHBOUR_SHARE * near + GRAPH_SHARE * position)
    reasons = features["alert_reasons"].to_pylist()
    ranked = [
        RankedParty(
            p,
            float(s),
            0,
            [
                *r,
                f"alerted counterparties {nb:.2f}",
                f"pagerank x{pr:.1f}",
                f"pass-through {pt:.2f}",
            ],
        )
        for p, s, r, nb, pr, pt in zip(
            parties, score, reasons, near, pagerank, through, strict=True
        )
    ]
    return Ranking(_order(ranked), "rules")


def _percentile(values: np.ndarray) -> np.ndarray:
    if len(values) == 0:
        return values
    order = values.argsort().argsort()
    return order / max(len(values) - 1, 1)


def _order(parties: list[RankedParty]) -> list[RankedParty]:
    parties.sort(key=lambda p: (-p.score, p.party_id))
    for rank, party in enumerate(parties, start=1):
        party.rank = rank
    return parties


def rank_learned(
    t: DatasetTables, train_share: float = 0.6, *, seed: int = DEFAULT_SEED
) -> Ranking:
    """Train on the first ``train_share`` of the period, score the rest; ``seed`` drives the
    model's random steps, so the same seed gives the same ranking."""
    from sklearn.ensemble import HistGradientBoostingClassifier

    span = t.execute(
        t.transactions.aggregate(
            first=t.transactions.timestamp.min(), last=t.transactions.timestamp.max()
        )
    ).to_pylist()[0]
    if span["first"] is None:
        raise DataError(f"dataset {t.dataset!r} has no transactions")
    split = span["first"] + (span["last"] - span["first"]) * train_share
    labels = {
        r["party_id"]: bool(r["is_suspicious"])
        for r in t.execute(t.party_labels.select("party_id", "is_suspicious")).to_pylist()
    }
    if not any(labels.values()):
        raise DataError(
            f"dataset {t.dataset!r} has no suspicious labels to learn from; use the rules ranking"
        )
    train = party_features(t, until=split)
    train = train.filter(pa.array([_in_training_fold(p) for p in train["party"].to_pylist()]))
    x_train = _matrix(train)
    y_train = np.array([labels.get(p, False) for p in train["party"].to_pylist()])
    if y_train.sum() == 0 or y_train.sum() == len(y_train):
        raise DataError("the training period holds only one class of labels; cannot learn")
    model = HistGradientBoostingClassifier(max_iter=200, learning_rate=0.1, random_state=seed)
    model.fit(x_train, y_train)
    # held-out parties are scored as a deployed model would score them at the end of the
    # later period: on everything known of them by then
    test = party_features(t)
    test = test.filter(pa.array([not _in_training_fold(p) for p in test["party"].to_pylist()]))
    scores = model.predict_proba(_matrix(test))[:, 1]
    ranked = [
        RankedParty(p, float(s), 0, [f"learned {s:.2f}", *r])
        for p, s, r in zip(
            test["party"].to_pylist(), scores, test["alert_reasons"].to_pylist(), strict=True
        )
    ]
    return Ranking(_order(ranked), "learned", split_at=split, trained_on=len(y_train), seed=seed)


def _in_training_fold(party: str) -> bool:
    """Six parties in ten, chosen by a stable hash, are learned from; the others are scored.
    Labels are per party, so splitting time alone would score parties the model was trained
    on; splitting parties too means it is scored on neither its period nor its parties."""
    return int(hashlib.sha1(party.encode("utf-8")).hexdigest()[:8], 16) % 10 < 6


def _matrix(features: pa.Table) -> np.ndarray:
    columns = [
        np.asarray(features[name].to_numpy(zero_copy_only=False), dtype=float) for name in FEATURES
    ]
    matrix = np.column_stack(columns)
    money = [FEATURES.index("in_usd"), FEATURES.index("out_usd")]
    matrix[:, money] = np.log1p(matrix[:, money])
    return matrix


def average_precision(ranking: Ranking, positives: set[str]) -> float:
    """Average precision of the ranking against the labelled positives among its parties."""
    hits, total = 0, 0.0
    relevant = sum(1 for p in ranking.parties if p.party_id in positives)
    if not relevant:
        return math.nan
    for party in ranking.parties:
        if party.party_id in positives:
            hits += 1
            total += hits / party.rank
    return total / relevant
