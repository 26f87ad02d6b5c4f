"""Alerts scored against ground truth: precision and recall per typology, at transaction and at
party level.

A transaction counts as found for a typology when an alert of a scenario of that typology
names it, and as correct when its truth label is that typology. A party counts as found when it
is the subject of such an alert, and as correct when ``party_labels`` gives it that typology.
Party recall is over every party the truth gives the typology, in any role (feeders and
donors too), so a scenario that names only the central party recalls few of them. *Key-party
recall* counts only the roles the typology's scenarios mean to name (``Scenario.key_roles``:
the front company, the collector, the hub), which is the measure to read.

*Instance recall* counts patterns: an instance (one planted pattern, ``party_labels.instance``)
is found when an alert of the typology names any of its parties as subject. It answers the
investigator's question, how many of the schemes did we hear about at all, which party recall
blurs: a scheme of forty donors and one collector weighs forty-one times a lone traveller.
Where the labels name no instance (AMLSim's graph layout), instances are *derived*: the
connected components of the typology's suspicious parties, linked by the transactions among
them (only the transactions labelled suspicious, where the dataset labels any of the
typology's). See :func:`derived_instances` for what that derivation can and cannot recover.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, replace

import duckdb
import pyarrow as pa


@dataclass(frozen=True)
class TypologyScore:
    typology: str
    alerts: int
    planted_transactions: int
    alerted_transactions: int
    correct_transactions: int
    planted_parties: int
    alerted_parties: int
    correct_parties: int
    #: planted parties in the roles the typology's scenarios mean to name, and those found
    key_parties: int = 0
    key_found: int = 0
    #: planted instances (patterns), those an alert found, and how many of the instances
    #: were derived from transactions because the labels name none (see InstanceScore)
    instances: int = 0
    instances_found: int = 0
    derived_instances: int = 0

    @property
    def tx_precision(self) -> float | None:
        return _ratio(self.correct_transactions, self.alerted_transactions)

    @property
    def tx_recall(self) -> float | None:
        return _ratio(self.correct_transactions, self.planted_transactions)

    @property
    def party_precision(self) -> float | None:
        return _ratio(self.correct_parties, self.alerted_parties)

    @property
    def party_recall(self) -> float | None:
        return _ratio(self.correct_parties, self.planted_parties)

    @property
    def key_recall(self) -> float | None:
        """Recall over the parties in the key roles (the front company, the collector…)."""
        return _ratio(self.key_found, self.key_parties)

    @property
    def instance_recall(self) -> float | None:
        """Share of the planted patterns of which an alert named at least one party."""
        return _ratio(self.instances_found, self.instances)


@dataclass(frozen=True)
class InstanceScore:
    """Pattern-level recall of one typology, with the alerted-party precision beside it (a
    recall bought with alerts on everyone is worth little)."""

    typology: str
    #: planted instances, of them derived from transactions (the labels naming none), found
    instances: int
    derived: int
    found: int
    #: distinct subjects of the counted alerts, and of them parties labelled with the typology
    alerted_parties: int
    correct_parties: int

    @property
    def recall(self) -> float | None:
        return _ratio(self.found, self.instances)

    @property
    def party_precision(self) -> float | None:
        return _ratio(self.correct_parties, self.alerted_parties)


def _ratio(part: int, whole: int) -> float | None:
    return part / whole if whole else None


def evaluate(
    conn: duckdb.DuckDBPyConnection,
    dataset: str,
    key_roles: Mapping[str, Sequence[str]] | None = None,
) -> list[TypologyScore]:
    """One score per typology that is planted in the dataset or alerted on; ``key_roles`` by
    typology (default: the pack's) gives the key-party recall."""
    if key_roles is None:
        from counterflow.monitoring.pack import SCENARIOS

        key_roles = {}
        for scenario in SCENARIOS:
            key_roles.setdefault(scenario.typology, scenario.key_roles)
    rows = conn.execute(
        """
        WITH alerted_tx AS (
            SELECT DISTINCT a.typology, u.tx_id
            FROM alerts a, unnest(a.tx_ids) AS u(tx_id)
            WHERE a.dataset = $dataset
        ),
        truth_tx AS (
            SELECT typology, tx_id FROM transactions
            WHERE dataset = $dataset AND typology IS NOT NULL AND is_suspicious
        ),
        alerted_parties AS (
            SELECT DISTINCT typology, subject_id AS party_id FROM alerts
            WHERE dataset = $dataset
        ),
        truth_parties AS (
            SELECT DISTINCT typology, party_id FROM party_labels
            WHERE dataset = $dataset AND is_suspicious AND typology IS NOT NULL
        ),
        typologies AS (
            SELECT typology FROM truth_tx UNION SELECT typology FROM alerted_tx
            UNION SELECT typology FROM truth_parties UNION SELECT typology FROM alerted_parties
        )
        SELECT
            k.typology,
            (SELECT count(*) FROM alerts a WHERE a.dataset = $dataset
                AND a.typology = k.typology),
            (SELECT count(*) FROM truth_tx t WHERE t.typology = k.typology),
            (SELECT count(*) FROM alerted_tx a WHERE a.typology = k.typology),
            (SELECT count(*) FROM alerted_tx a JOIN truth_tx t USING (typology, tx_id)
                WHERE a.typology = k.typology),
            (SELECT count(*) FROM truth_parties t WHERE t.typology = k.typology),
            (SELECT count(*) FROM alerted_parties a WHERE a.typology = k.typology),
            (SELECT count(*) FROM alerted_parties a JOIN truth_parties t
                USING (typology, party_id) WHERE a.typology = k.typology)
        FROM typologies k
        ORDER BY k.typology
        """,
        {"dataset": dataset},
    ).fetchall()
    scores = [TypologyScore(*row) for row in rows]
    scores = [_with_key_recall(conn, dataset, s, key_roles.get(s.typology, ())) for s in scores]
    by_instance = instance_recall(conn, dataset)
    return [_with_instances(s, by_instance.get(s.typology)) for s in scores]


def _with_instances(score: TypologyScore, found: InstanceScore | None) -> TypologyScore:
    if found is None:
        return score
    return replace(
        score,
        instances=found.instances,
        instances_found=found.found,
        derived_instances=found.derived,
    )


def instance_recall(
    conn: duckdb.DuckDBPyConnection,
    dataset: str,
    scenarios: Mapping[str, Collection[str]] | None = None,
) -> dict[str, InstanceScore]:
    """Instance recall per typology planted in ``dataset``.

    An instance is found when an alert counted for its typology names any of its parties as
    subject. By default an alert counts for the typology it carries (the pack's scenarios are
    named after the simulator's typologies). ``scenarios`` maps a truth typology to the ids of
    the scenarios whose alerts count for it instead, which is how a benchmark scores data
    whose typologies are named otherwise (AMLSim's ``fan-in`` by ``layering-fan-in``); then
    only the typologies it names are scored."""
    members = _instances(conn, dataset)
    if scenarios is not None:
        members = {t: m for t, m in members.items() if t in scenarios}
    labelled = {
        (str(typology), str(party))
        for typology, party in conn.execute(
            "SELECT DISTINCT typology, party_id FROM party_labels "
            "WHERE dataset = ? AND is_suspicious AND typology IS NOT NULL",
            [dataset],
        ).fetchall()
    }
    scores: dict[str, InstanceScore] = {}
    for typology in sorted(members):
        if scenarios is None:
            found = conn.execute(
                "SELECT DISTINCT subject_id FROM alerts WHERE dataset = ? AND typology = ?",
                [dataset, typology],
            ).fetchall()
        else:
            found = conn.execute(
                "SELECT DISTINCT subject_id FROM alerts WHERE dataset = ? "
                "AND list_contains(?, scenario)",
                [dataset, sorted(scenarios[typology])],
            ).fetchall()
        subjects = {str(row[0]) for row in found}
        instances = members[typology]
        scores[typology] = InstanceScore(
            typology=typology,
            instances=len(instances),
            derived=sum(1 for _, derived in instances if derived),
            found=sum(1 for parties, _ in instances if parties & subjects),
            alerted_parties=len(subjects),
            correct_parties=sum(1 for s in subjects if (typology, s) in labelled),
        )
    return scores


def _instances(
    conn: duckdb.DuckDBPyConnection, dataset: str
) -> dict[str, list[tuple[set[str], bool]]]:
    """Per typology, each instance's parties and whether it was derived: the labels' own
    instances, then :func:`derived_instances` among the suspicious parties whose label names
    none."""
    named: defaultdict[str, defaultdict[str, set[str]]] = defaultdict(lambda: defaultdict(set))
    unnamed: defaultdict[str, set[str]] = defaultdict(set)
    for typology, party, instance in conn.execute(
        "SELECT typology, party_id, instance FROM party_labels "
        "WHERE dataset = ? AND is_suspicious AND typology IS NOT NULL",
        [dataset],
    ).fetchall():
        if instance is None:
            unnamed[typology].add(party)
        else:
            named[typology][instance].add(party)
    result: dict[str, list[tuple[set[str], bool]]] = {
        t: [(parties, False) for _, parties in sorted(m.items())] for t, m in named.items()
    }
    for typology, parties in unnamed.items():
        components = derived_instances(conn, dataset, typology, parties)
        result.setdefault(typology, []).extend((c, True) for c in components)
    return result


def derived_instances(
    conn: duckdb.DuckDBPyConnection,
    dataset: str,
    typology: str,
    parties: Collection[str] | None = None,
) -> list[set[str]]:
    """Instances of ``typology`` recovered from transactions, for labels that name none: the
    connected components of its suspicious parties (or of ``parties``), two parties linked
    when one paid the other. A party linked to none is an instance of its own.

    Where the dataset labels transactions of the typology suspicious, only those link, so
    that ordinary business between two schemes' members does not join the schemes, and a
    labelled party that takes part in no labelled transaction is left out: no pattern of
    its is in the data to find. AMLSim's graph layout labels the payments a fraud account
    made at its fraud step to another fraud account (see the AMLSim reader); on
    ``20K_fanin200`` that gives 179 fan-ins of 2 to 11 accounts, and 297 of the 954 fraud
    accounts made or received no such payment. Where no transaction is labelled, every
    payment between two of the parties links, and schemes whose members also trade with
    each other merge. Components are largest first, ties broken by their smallest party id,
    so the numbering is stable."""
    if parties is None:
        parties = {
            str(row[0])
            for row in conn.execute(
                "SELECT DISTINCT party_id FROM party_labels "
                "WHERE dataset = ? AND is_suspicious AND typology = ?",
                [dataset, typology],
            ).fetchall()
        }
    chosen = sorted(set(parties))
    labelled_tx = conn.execute(
        "SELECT count(*) > 0 FROM transactions "
        "WHERE dataset = ? AND is_suspicious AND typology = ?",
        [dataset, typology],
    ).fetchall()[0][0]
    only_labelled = "AND t.is_suspicious AND t.typology = $typology" if labelled_tx else ""
    # the parties as a table to join, not a list to search: datasets run to millions of rows
    conn.register("derived_parties", pa.table({"party_id": pa.array(chosen, pa.string())}))
    try:
        links = conn.execute(
            f"""
            SELECT DISTINCT t.payer_party, t.beneficiary_party FROM transactions t
            JOIN derived_parties a ON a.party_id = t.payer_party
            JOIN derived_parties b ON b.party_id = t.beneficiary_party
            WHERE t.dataset = $dataset AND t.payer_party <> t.beneficiary_party {only_labelled}
            """,
            {"dataset": dataset, **({"typology": typology} if labelled_tx else {})},
        ).fetchall()
    finally:
        conn.unregister("derived_parties")
    pairs = [(str(a), str(b)) for a, b in links]
    if labelled_tx:
        linked = {p for pair in pairs for p in pair}
        chosen = [p for p in chosen if p in linked]
    return _components(chosen, pairs)


def _components(nodes: Sequence[str], links: Sequence[tuple[str, str]]) -> list[set[str]]:
    """Connected components (union-find), largest first, then by their smallest member."""
    parent = {node: node for node in nodes}

    def root(node: str) -> str:
        while parent[node] != node:
            parent[node] = parent[parent[node]]
            node = parent[node]
        return node

    for a, b in links:
        ra, rb = root(a), root(b)
        if ra != rb:
            parent[max(ra, rb)] = min(ra, rb)
    groups: defaultdict[str, set[str]] = defaultdict(set)
    for node in nodes:
        groups[root(node)].add(node)
    return sorted(groups.values(), key=lambda g: (-len(g), min(g)))


def _with_key_recall(
    conn: duckdb.DuckDBPyConnection, dataset: str, score: TypologyScore, roles: Sequence[str]
) -> TypologyScore:
    if not roles:
        return score
    row = conn.execute(
        """
        SELECT count(*), count(a.subject_id)
        FROM (SELECT DISTINCT party_id FROM party_labels WHERE dataset = $dataset
              AND typology = $typology AND is_suspicious AND list_contains($roles, role)) k
        LEFT JOIN (SELECT DISTINCT subject_id FROM alerts WHERE dataset = $dataset
                   AND typology = $typology) a ON a.subject_id = k.party_id
        """,
        {"dataset": dataset, "typology": score.typology, "roles": list(roles)},
    ).fetchall()[0]
    return replace(score, key_parties=int(row[0]), key_found=int(row[1]))
