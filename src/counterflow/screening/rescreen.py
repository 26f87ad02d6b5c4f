"""Continuous re-screening: screen the customer base against what a new list edition changed.

Screening a million customers again for every edition takes minutes to hours, and nearly all
of that work repeats the last run: an entry that did not change gives the same hits. A
re-screen therefore screens only the entries that are new or changed between the edition last
re-screened (remembered per list in the workspace) and the active one, against *all* customers,
and turns the work around: instead of searching the list for each customer, it starts from the
changed entries' words and finds the customers that carry a matching word with one database join
over the words stored at import (``customer_tokens``, see
:mod:`counterflow.screening.customers`).

What comes out is what ``counterflow screen`` would give for those entries, pair for pair:

1. **Words.** ``screen`` reaches an entry only through an index key (or an identifier) shared
   with the customer's words. Each distinct customer word is matched to the entries' words
   sharing a key with it, with the screener's one restriction mirrored (first letters count
   only for words the lists do not carry), and its similarity to them computed once.
2. **Bound.** From those similarities and the word weights ``screen`` uses, each customer
   name gets an upper bound on the name score it can reach against each entry (see
   :func:`_gains`); pairs that cannot reach the threshold less the most evidence can add are
   dropped in the database, so Python sees a few thousand customers out of a million.
   Identifier matches always go on.
3. **Scoring.** Each pair left is scored with :meth:`Screener.score_entries`, over the full
   active lists so that word weights are screen's. It compares every name of the entry, so
   its score is never below screen's.
4. **Confirmation.** The customers with a pair at or above the threshold are screened in full
   (:meth:`Screener.screen`, same threshold and limit): a pair is reported only when
   ``screen`` reports it, with screen's score and explanation.

The bound assumes what ``screen``'s candidate search assumes of the entry as a whole for each
word: that a customer word matching a listed word shares an index key with it. A word that
matches without one (a nickname, an initial, a misspelt first letter whose skeleton differs
too) counts as unmatched in the bound (initials count their best case).

Removed entries, and the old versions of changed entries, go through the same steps against
a screener over the previous editions: their hits that the new edition no longer gives are
*lifted*. Each hit is then classified against the analysts' decisions
(:class:`counterflow.cases.DecisionStore`): a cleared hit whose entry changed is *re-raised*;
one whose clearing still holds stays *cleared*.
"""

from __future__ import annotations

import json
import secrets
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

import duckdb
import pyarrow as pa

from counterflow.errors import ConfigError, ConflictError, NotFoundError
from counterflow.io import TableWriter, transaction
from counterflow.lists.diff import ListDiff, diff_editions
from counterflow.lists.resolve import judgements, resolve, stored_clusters
from counterflow.lists.store import Edition, active_editions, iter_entities, resolve_edition
from counterflow.model import Entity
from counterflow.model.schema import IDENTIFIER_PROPERTIES
from counterflow.screening.compare import (
    INITIAL_WEIGHT,
    MIN_TOKEN_SIMILARITY,
    UNMATCHED_QUERY,
    _credit,
    token_similarity,
)
from counterflow.screening.customers import to_query, token_of, weight_key
from counterflow.screening.evidence import MAX_GAIN as MAX_EVIDENCE_GAIN
from counterflow.screening.evidence import normalize_identifier
from counterflow.screening.names import Token, analyze, name_class_of
from counterflow.screening.query import Query
from counterflow.screening.screener import DEFAULT_THRESHOLD, MIN_IDENTIFIER, Match, Screener, _keys
from counterflow.workspace import Workspace

if TYPE_CHECKING:
    from counterflow.cases.decisions import Clearance

#: how many results a customer keeps, as ``counterflow screen --input`` (a delta entry ranked
#: below this many better matches of one customer is not reported, as screen would not)
DEFAULT_LIMIT = 5

#: statuses of a re-screen hit
NEW, CHANGED, RERAISED, CLEARED, LIFTED = "new", "changed", "reraised", "cleared", "lifted"
STATUSES = (NEW, CHANGED, RERAISED, CLEARED, LIFTED)

HIT_COLUMNS = (
    "status",
    "customer_id",
    "customer_name",
    "entity_id",
    "list",
    "list_ref",
    "caption",
    "change",
    "score",
    "previous_score",
    "matched_name",
    "decision_id",
    "explanation",
)
HIT_SCHEMA = pa.schema(
    [(c, pa.float64() if c in ("score", "previous_score") else pa.string()) for c in HIT_COLUMNS]
)
_PAIRS_SCHEMA = pa.schema([("entity_id", pa.string()), ("key", pa.string())])

Progress = Callable[[str], None]


@dataclass(frozen=True)
class RescreenHit:
    """One customer-entry pair the re-screen reports.

    ``status``: ``new`` (a hit the previous edition did not give), ``changed`` (a hit before
    and after on a changed entry), ``reraised`` (a cleared hit whose entry changed),
    ``cleared`` (a clearing that still holds), ``lifted`` (a hit of the previous edition that
    the new one no longer gives: the entry was removed, or changed so that it no longer
    matches). ``change`` says what happened to the entry: added, changed or removed.
    """

    status: str
    customer_id: str
    customer_name: str
    entity_id: str
    list_id: str
    list_ref: str
    caption: str
    change: str
    score: float | None
    previous_score: float | None
    matched_name: str
    explanation: str
    decision_id: str | None = None

    def to_row(self) -> dict[str, Any]:
        return {
            "status": self.status,
            "customer_id": self.customer_id,
            "customer_name": self.customer_name,
            "entity_id": self.entity_id,
            "list": self.list_id,
            "list_ref": self.list_ref,
            "caption": self.caption,
            "change": self.change,
            "score": self.score,
            "previous_score": self.previous_score,
            "matched_name": self.matched_name,
            "decision_id": self.decision_id,
            "explanation": self.explanation,
        }


@dataclass(frozen=True)
class ListDelta:
    """One list's step: from the edition last re-screened to the one screened now."""

    list_id: str
    old: Edition | None
    new: Edition
    added: int = 0
    changed: int = 0
    removed: int = 0

    def to_json(self) -> dict[str, Any]:
        return {
            "list": self.list_id,
            "from": self.old.label if self.old else None,
            "to": self.new.label,
            "added": self.added,
            "changed": self.changed,
            "removed": self.removed,
        }


@dataclass
class RescreenReport:
    """What a re-screen did and found. ``baselines`` are lists never re-screened before: their
    active edition is recorded as the starting point and nothing is screened for them."""

    run_id: str
    deltas: list[ListDelta] = field(default_factory=list)
    baselines: list[ListDelta] = field(default_factory=list)
    customers: int = 0
    screened_entries: tuple[str, ...] = ()
    removed_entries: tuple[str, ...] = ()
    #: customer-entry pairs sharing a key (the join's output)
    candidates: int = 0
    #: customer-entry pairs left by the bound on the name score, scored
    scored_pairs: int = 0
    #: customers scored against their candidate entries
    scored: int = 0
    #: customers screened in full to confirm a pair
    confirmed: int = 0
    hits: list[RescreenHit] = field(default_factory=list)
    seconds: float = 0.0
    #: customers imported or changed since the last re-screen run: a re-screen screened them
    #: against the changed entries only, so they still need one full screen
    unscreened: int = 0

    @property
    def counts(self) -> dict[str, int]:
        return {s: sum(1 for h in self.hits if h.status == s) for s in STATUSES}

    def to_json(self) -> dict[str, Any]:
        return {
            "run_id": self.run_id,
            "lists": [d.to_json() for d in self.deltas],
            "baselines": [d.to_json() for d in self.baselines],
            "customers": self.customers,
            "entries_screened": len(self.screened_entries),
            "entries_removed": len(self.removed_entries),
            "candidates": self.candidates,
            "scored_pairs": self.scored_pairs,
            "scored": self.scored,
            "confirmed": self.confirmed,
            "counts": self.counts,
            "seconds": round(self.seconds, 3),
            "customers_new_since_last_run": self.unscreened,
        }


class Decisions(Protocol):
    """What a re-screen asks of the analysts' decisions (a ``DecisionStore``)."""

    def refresh(self) -> None: ...

    def lookup(
        self, query_fingerprint: str, entity: Entity, party: Sequence[Entity] | None = None
    ) -> Clearance | None: ...


def rescreen(
    workspace: Workspace,
    *,
    lists: Sequence[str] | None = None,
    since: str | None = None,
    until: str | None = None,
    threshold: float = DEFAULT_THRESHOLD,
    limit: int = DEFAULT_LIMIT,
    decisions: Decisions | None = None,
    output: str | Path | None = None,
    progress: Progress | None = None,
) -> RescreenReport:
    """Re-screen the customer base against what changed in each list since its last re-screen.

    ``since`` / ``until`` name the editions to go from and to (one list only; default: the
    edition last re-screened, and the active one). ``decisions`` (a ``DecisionStore``)
    classifies hits as re-raised or still cleared. The run and its hits are stored in the
    workspace, and the hits written to ``output`` (CSV or Parquet) when given; the remembered
    edition of each list moves to the one screened.
    """
    started = time.perf_counter()
    say = progress or (lambda _: None)
    run_id = f"rs-{datetime.now(UTC):%Y%m%d%H%M%S}-{secrets.token_hex(3)}"
    report = RescreenReport(run_id)
    with workspace.connect(read_only=True) as conn:
        conn.execute("SET enable_progress_bar = false")  # the command reports progress itself
        customers = conn.execute("SELECT count(*) FROM customers").fetchone()
        report.customers = int(customers[0]) if customers else 0
        if not report.customers:
            raise NotFoundError(
                "no customers in the workspace; import them first "
                "('counterflow customers import FILE')"
            )
        active = active_editions(conn)
        remembered = dict(conn.execute("SELECT list_id, edition_id FROM rescreen_state").fetchall())
        unscreened = conn.execute(
            "SELECT count(*) FROM customers "
            "WHERE updated_at > (SELECT max(run_at) FROM rescreen_runs)"
        ).fetchone()
        report.unscreened = int(unscreened[0]) if unscreened else 0
        diffs = _deltas(conn, active, lists, since, until, remembered, report)
        screened_editions = {**active, **{d.list_id: d.new for d in diffs}}
        added_or_changed = [
            e.entity_id for d in diffs for e in (*d.added, *(c.entry for c in d.changed))
        ]
        old_side = [e.entity_id for d in diffs for e in (*d.removed, *(c.entry for c in d.changed))]
        report.screened_entries = tuple(added_or_changed)
        report.removed_entries = tuple(e.entity_id for d in diffs for e in d.removed)
        new_hits: dict[tuple[str, str], tuple[Query, Match]] = {}
        old_hits: dict[tuple[str, str], tuple[Query, Match]] = {}
        party_of: Callable[[str], Sequence[Entity]] = lambda _: ()  # noqa: E731
        if added_or_changed:
            say(f"indexing the lists ({', '.join(sorted(screened_editions))})")
            screener, entities = _screener(conn, screened_editions, threshold)
            party_of = _parties(conn, entities)
            say(f"screening {len(added_or_changed):,} new and changed entries")
            new_hits = _hits(conn, screener, entities, added_or_changed, limit, report)
        if old_side:
            previous = {**active, **{d.list_id: d.old for d in diffs}}
            say("indexing the previous editions")
            old_screener, old_entities = _screener(conn, previous, threshold)
            say(f"screening {len(old_side):,} removed and previous entries")
            old_hits = _hits(conn, old_screener, old_entities, old_side, limit, report)
    change_of = {
        **{e.entity_id: "added" for d in diffs for e in d.added},
        **{c.entry.entity_id: "changed" for d in diffs for c in d.changed},
        **{e.entity_id: "removed" for d in diffs for e in d.removed},
    }
    report.hits = _classify(new_hits, old_hits, change_of, decisions, party_of)
    report.seconds = time.perf_counter() - started
    if output is not None:  # first: a run that cannot write its file is not recorded
        with TableWriter(output, HIT_COLUMNS, schema=HIT_SCHEMA) as writer:
            for hit in report.hits:
                writer.write(hit.to_row())
    _store(workspace, report, remembered)
    return report


def _deltas(
    conn: duckdb.DuckDBPyConnection,
    active: dict[str, Edition],
    lists: Sequence[str] | None,
    since: str | None,
    until: str | None,
    remembered: dict[str, str],
    report: RescreenReport,
) -> list[ListDiff]:
    """Each list's diff to screen, filling the report's deltas and baselines."""
    scope = list(lists or active)
    if not scope:
        raise NotFoundError("no lists in the workspace; import one first")
    for list_id in scope:
        if list_id not in active:
            raise NotFoundError(f"no list {list_id!r} in the workspace")
    if (since or until) and len(scope) != 1:
        raise ConfigError(
            "--from and --to name editions of one list: give it with --list "
            f"(lists: {', '.join(scope)})"
        )
    diffs = []
    for list_id in scope:
        new = resolve_edition(conn, list_id, until) if until else active[list_id]
        if since:
            old: Edition | None = resolve_edition(conn, list_id, since)
        elif list_id in remembered:
            old = resolve_edition(conn, list_id, remembered[list_id])
        else:
            old = None
        if old is None:
            report.baselines.append(ListDelta(list_id, None, new))
            continue
        diff = diff_editions(conn, old, new)
        report.deltas.append(
            ListDelta(list_id, old, new, len(diff.added), len(diff.changed), len(diff.removed))
        )
        diffs.append(diff)
    return diffs


def _screener(
    conn: duckdb.DuckDBPyConnection, editions: dict[str, Edition], threshold: float
) -> tuple[Screener, list[Entity]]:
    """A screener over these editions: the word weights ``screen`` uses with them active."""
    entities = [e for ed in editions.values() for e in iter_entities(conn, ed.edition_id)]
    labels = {k: v.label for k, v in editions.items()}
    return Screener(entities, editions=labels, threshold=threshold), entities


def _parties(
    conn: duckdb.DuckDBPyConnection, entities: Sequence[Entity]
) -> Callable[[str], Sequence[Entity]]:
    """Each entry's party across lists (entry ids last across editions), for decisions: a
    cleared party is re-raised when any of its listings changes. Hits stay one per entry,
    since a re-screen reports what each changed entry does to the customer base."""
    clusters = stored_clusters(conn)
    if clusters is None:
        clusters = resolve(list(entities), judgements(conn)).clusters
    by_id = {e.id: e for e in entities}
    members: dict[str, list[Entity]] = {}
    for entity_id, cluster in clusters.items():
        if entity_id in by_id:
            members.setdefault(cluster, []).append(by_id[entity_id])

    def party_of(entity_id: str) -> Sequence[Entity]:
        entity = by_id.get(entity_id)
        if entity is None:
            return ()
        others = [e for e in members.get(clusters.get(entity_id, ""), []) if e.id != entity_id]
        return (entity, *others)

    return party_of


def _vocabulary(entities: Iterable[Entity]) -> set[str]:
    """The phonetic keys of every word the lists carry: the screener looks a query word up by
    its first letters only when its phonetic key is not among them."""
    found: set[str] = set()
    for entity in entities:
        name_class = name_class_of(entity.schema.name)
        for _, value in entity.names():
            tokens = analyze(value.value, name_class).tokens
            found.update(f"p:{t.phon}" for t in tokens if not t.abjad)
    return found


def _hits(
    conn: duckdb.DuckDBPyConnection,
    screener: Screener,
    entities: list[Entity],
    entity_ids: Sequence[str],
    limit: int,
    report: RescreenReport,
) -> dict[tuple[str, str], tuple[Query, Match]]:
    """The (customer, entry) hits ``screen`` gives for these entries, found from the entries'
    side: keys, bound, join, score, confirm (see the module's documentation)."""
    wanted = set(entity_ids)
    by_id = {e.id: e for e in entities if e.id in wanted}
    weigh = screener._weight  # the same word weights as screen, by design
    bound = screener.threshold - MAX_EVIDENCE_GAIN
    words: dict[str, Token] = {}
    listed_keys: dict[str, set[tuple[str, str]]] = {}  # key -> (entry, its word's form)
    identifiers: list[tuple[str, str]] = []
    for entity_id in entity_ids:
        for token in entry_tokens(by_id[entity_id]):
            form = weight_key(token)
            words[form] = token
            for key in _keys(token):
                listed_keys.setdefault(key, set()).add((entity_id, form))
        identifiers.extend((entity_id, key) for key in sorted(identifier_keys(by_id[entity_id])))
    vocabulary = _vocabulary(entities)
    forms = [
        str(r[0])
        for r in conn.execute(
            "SELECT DISTINCT wkey FROM customer_tokens ORDER BY 1"  # initials too: weighed
        ).fetchall()
    ]
    # every customer word sharing a key with a word of an entry (first letters only for words
    # the lists do not carry, as the screener does), then what it can add to the name score
    pairs: set[tuple[str, str, str]] = set()
    for wkey in forms:
        token = token_of(wkey)
        for key in _keys(token):
            if key[0] == "f" and f"p:{token.phon}" in vocabulary:
                continue
            for entity_id, eform in listed_keys.get(key, ()):
                pairs.add((wkey, entity_id, eform))
    gains = _gains(sorted(pairs), words, weigh, bound)
    weights = pa.table(
        [forms, [weigh(token_of(w)) for w in forms]],
        schema=pa.schema([("wkey", pa.string()), ("weight", pa.float64())]),
    )
    identified = pa.table(
        [[e for e, _ in identifiers], [k for _, k in identifiers]], names=["entity_id", "key"]
    )
    registered = {
        "rescreen_gains": gains,
        "rescreen_weights": weights,
        "rescreen_identifiers": identified,
    }
    found_hits: dict[tuple[str, str], tuple[Query, Match]] = {}
    conn.execute("SELECT 1").fetchall()  # no result left open: register() refuses then
    try:
        for name, table in registered.items():
            conn.register(name, table)
        conn.execute(_PAIRS_SQL)
        shared = conn.execute("SELECT count(*) FROM rescreen_pairs").fetchone()
        report.candidates += int(shared[0]) if shared else 0
        cursor = conn.execute(
            _CANDIDATES_SQL,
            [INITIAL_WEIGHT, INITIAL_WEIGHT * _MAX_WEIGHT, 0.9 - bound, UNMATCHED_QUERY * bound],
        )
        while batch := cursor.fetchmany(10_000):
            for customer_id, record, candidates in batch:
                report.scored_pairs += len(candidates)
                report.scored += 1
                query = to_query(customer_id, json.loads(record))
                if not screener.score_entries(query, candidates):
                    continue
                report.confirmed += 1
                for match in screener.screen(query, limit=limit):
                    if match.entity.id in wanted:
                        found_hits[(customer_id, match.entity.id)] = (query, match)
    finally:
        conn.execute("DROP TABLE IF EXISTS rescreen_pairs")
        for name in registered:
            conn.unregister(name)
    return found_hits


def entry_tokens(entity: Entity) -> Iterable[Token]:
    """Every word of every name of an entry, as the screener analyses them."""
    name_class = name_class_of(entity.schema.name)
    for _, value in entity.names():
        yield from analyze(value.value, name_class).tokens


def identifier_keys(entity: Entity) -> set[str]:
    """An entry's identifiers as ``i:`` keys (those long enough to look up alone)."""
    keys: set[str] = set()
    for prop in IDENTIFIER_PROPERTIES:
        for identifier in entity.get(prop):
            normal = normalize_identifier(identifier)
            if len(normal) >= MIN_IDENTIFIER:
                keys.add(f"i:{normal}")
    return keys


def _gains(
    pairs: list[tuple[Any, ...]],
    words: dict[str, Token],
    weigh: Callable[[Token], float],
    bound: float,
) -> pa.Table:
    """What each customer word can add towards an entry's name score, at most.

    A name reaches score ``T`` only if ``Σ earned - T·Σ denominator >= 0`` over its words
    (see :func:`counterflow.screening.compare.compare_names`). A word left unmatched adds
    ``-T·0.9·w``; matched with similarity ``s`` to a listed word, it adds ``a·(credit(s) - T)``
    with ``a`` the two words' mean weight. The gain is the best of these over the entry's
    words that share a key with it, minus the unmatched case (so >= 0); a customer name passes
    when its gains outweigh ``T·0.9·Σ w``. Leaving out the rest of the denominator (the listed
    name's unmatched words, penalties) only makes the bound looser.
    """
    weights: dict[str, float] = {}

    def weight(wkey: str) -> float:
        found = weights.get(wkey)
        if found is None:
            found = weights[wkey] = weigh(token_of(wkey))
        return found

    best: dict[tuple[str, str], float] = {}
    for wkey, entity_id, eform in pairs:
        listed = words.get(eform)
        if listed is None:
            continue
        similarity, _ = token_similarity(token_of(wkey), listed)
        if similarity < MIN_TOKEN_SIMILARITY:
            continue
        value = (weight(wkey) + weight(eform)) / 2 * (_credit(similarity) - bound)
        pair = (str(wkey), str(entity_id))
        previous = best.get(pair)
        if previous is None or value > previous:
            best[pair] = value
    forms, entries, gains = [], [], []
    for (wkey, entity_id), value in best.items():
        unmatched = UNMATCHED_QUERY * bound * weight(wkey)
        gain = max(value, -unmatched) + unmatched
        if gain > 0:
            forms.append(wkey)
            entries.append(entity_id)
            gains.append(gain)
    return pa.table(
        [forms, entries, gains],
        schema=pa.schema(
            [("wkey", pa.string()), ("entity_id", pa.string()), ("gain", pa.float64())]
        ),
    )


#: a listed word's highest weight (idf_weigher's cap)
_MAX_WEIGHT = 1.6

#: Each customer name's gain towards each entry (the words' gains summed).
_PAIRS_SQL = """
CREATE OR REPLACE TEMP TABLE rescreen_pairs AS
SELECT t.customer_id, t.name_no, g.entity_id, sum(g.gain) AS gain
FROM customer_tokens t JOIN rescreen_gains g USING (wkey)
WHERE NOT t.initial
GROUP BY ALL
"""
#: The pairs whose name score can reach the threshold less what evidence can add, each
#: customer with its entries and its record. An initial may match any word (at 30% of its
#: weight, similarity 0.9), so it counts its best case for every entry; identifier keys
#: always pass.
_CANDIDATES_SQL = """
WITH names AS (
    SELECT t.customer_id, t.name_no,
           sum(CASE WHEN t.initial THEN greatest((w.weight * ? + ?) / 2 * ?, 0)
                    ELSE -? * w.weight END) AS base
    FROM customer_tokens t JOIN rescreen_weights w USING (wkey)
    WHERE t.customer_id IN (SELECT customer_id FROM rescreen_pairs)
    GROUP BY ALL
),
bounded AS (
    SELECT DISTINCT p.customer_id, p.entity_id
    FROM rescreen_pairs p JOIN names n USING (customer_id, name_no)
    WHERE p.gain + n.base >= 0
    UNION
    SELECT c.customer_id, d.entity_id
    FROM customer_keys c JOIN rescreen_identifiers d USING (key)
)
SELECT b.customer_id, any_value(c.record), list(DISTINCT b.entity_id ORDER BY b.entity_id)
FROM bounded b JOIN customers c USING (customer_id)
GROUP BY b.customer_id
ORDER BY b.customer_id
"""


def _classify(
    new_hits: dict[tuple[str, str], tuple[Query, Match]],
    old_hits: dict[tuple[str, str], tuple[Query, Match]],
    change_of: dict[str, str],
    decisions: Decisions | None,
    party_of: Callable[[str], Sequence[Entity]],
) -> list[RescreenHit]:
    """Hits of the new edition (new, changed, re-raised, cleared) and lifted ones, in order."""
    if decisions is not None:
        decisions.refresh()
    hits: list[RescreenHit] = []
    for (customer_id, entity_id), (query, match) in new_hits.items():
        before = old_hits.get((customer_id, entity_id))
        status = CHANGED if before else NEW
        decision_id = None
        clearance = (
            decisions.lookup(query.fingerprint(), match.entity, party_of(match.entity.id) or None)
            if decisions
            else None
        )
        if clearance is not None:
            status = CLEARED if clearance.cleared else RERAISED
            decision_id = clearance.decision.decision_id
        change = change_of.get(entity_id, "changed")
        hit = _hit(status, customer_id, query, match, change, before)
        hits.append(replace(hit, decision_id=decision_id))
    for (customer_id, entity_id), (query, match) in old_hits.items():
        if (customer_id, entity_id) not in new_hits:
            change = change_of.get(entity_id, "changed")
            hit = _hit(LIFTED, customer_id, query, match, change, (query, match))
            hits.append(replace(hit, score=None))
    order = {s: n for n, s in enumerate(STATUSES)}
    hits.sort(key=lambda h: (order[h.status], h.customer_id, h.entity_id))
    return hits


def _hit(
    status: str,
    customer_id: str,
    query: Query,
    match: Match,
    change: str,
    before: tuple[Query, Match] | None,
) -> RescreenHit:
    return RescreenHit(
        status=status,
        customer_id=customer_id,
        customer_name=query.names[0],
        entity_id=match.entity.id,
        list_id=match.entity.list_id,
        list_ref=match.entity.ref,
        caption=match.entity.caption,
        change=change,
        score=match.score,
        previous_score=before[1].score if before else None,
        matched_name=match.matched_name,
        explanation=match.summary(),
    )


def _store(workspace: Workspace, report: RescreenReport, remembered: dict[str, str]) -> None:
    """The run, its hits and each list's new starting point, in one transaction; refused when
    another re-screen moved a starting point meanwhile (its work would be screened twice or
    skipped)."""
    now = datetime.now(UTC).replace(tzinfo=None)
    hits = pa.Table.from_pylist(
        [{**h.to_row(), "run_id": report.run_id} for h in report.hits],
        schema=pa.schema([("run_id", pa.string()), *HIT_SCHEMA]),
    )
    with workspace.connect() as conn, transaction(conn, f"storing re-screen {report.run_id}"):
        current = dict(conn.execute("SELECT list_id, edition_id FROM rescreen_state").fetchall())
        for delta in (*report.deltas, *report.baselines):
            if current.get(delta.list_id) != remembered.get(delta.list_id):
                raise ConflictError(
                    f"another re-screen of {delta.list_id!r} finished meanwhile; run again"
                )
            conn.execute(
                "INSERT OR REPLACE INTO rescreen_state VALUES (?, ?, ?, ?)",
                [delta.list_id, delta.new.edition_id, report.run_id, now],
            )
        editions = json.dumps([d.to_json() for d in (*report.deltas, *report.baselines)])
        conn.execute(
            "INSERT INTO rescreen_runs VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                report.run_id,
                now,
                editions,
                report.customers,
                len(report.screened_entries),
                len(report.removed_entries),
                report.candidates,
                json.dumps(report.counts),
                report.seconds,
            ],
        )
        conn.register("rescreen_new_hits", hits)
        try:
            conn.execute(
                "INSERT INTO rescreen_hits SELECT run_id, status, customer_id, entity_id, list, "
                "list_ref, change, score, previous_score, caption, matched_name, explanation, "
                "decision_id FROM rescreen_new_hits"
            )
        finally:
            conn.unregister("rescreen_new_hits")


__all__ = [
    "DEFAULT_LIMIT",
    "HIT_COLUMNS",
    "ListDelta",
    "RescreenHit",
    "RescreenReport",
    "entry_tokens",
    "identifier_keys",
    "rescreen",
]
