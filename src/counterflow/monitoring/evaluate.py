"""Alerts scored against ground truth: precision and recall per typology, at transaction and at
party level.

A transaction counts as found for a typology when an alert of a scenario of that typology
names it, and as correct when its truth label is that typology. A party counts as found when it
is the subject of such an alert, and as correct when ``party_labels`` gives it that typology.
Party recall is over every party the truth gives the typology, in any role (feeders and
donors too), so a scenario that names only the central party recalls few of them. *Key-party
recall* counts only the roles the typology's scenarios mean to name (``Scenario.key_roles``:
the front company, the collector, the hub), which is the measure to read.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace

import duckdb


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
    return [_with_key_recall(conn, dataset, s, key_roles.get(s.typology, ())) for s in scores]


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
