"""The screener: an index over list names, and the scoring of candidates it picks.

Building a :class:`Screener` analyses every name of every entry once and indexes each token under
its phonetic form and its consonant skeleton. A query's tokens look those keys up; the names that
share the most (rarity-weighted) keys become candidates, and only they are scored, so the cost of
a query grows with the number of names that look alike, not with the size of the list. Keys so
common that they would pull in a large share of the list ("muhamad") are skipped when the query
has rarer words to go on.
"""

from __future__ import annotations

import heapq
import re
from array import array
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from counterflow.lists.store import active_entities
from counterflow.model import APPROXIMATE, Entity
from counterflow.model.schema import COUNTRY_PROPERTIES, IDENTIFIER_PROPERTIES
from counterflow.screening.compare import NameComparison, compare_names, idf_weigher
from counterflow.screening.evidence import (
    IDENTIFIER_FLOOR,
    Evidence,
    compare_countries,
    compare_dates,
    compare_gender,
    compare_identifiers,
    normalize_identifier,
)
from counterflow.screening.evidence import MAX_GAIN as MAX_EVIDENCE_GAIN
from counterflow.screening.names import AnalyzedName, Token, analyze, name_class_of
from counterflow.screening.phonetic import broad
from counterflow.screening.query import Query
from counterflow.screening.vocabulary import COMMON_NAME_WORDS
from counterflow.workspace import Workspace

#: Scores at or above this are hits. Calibrated on labelled data: see docs/screening.md.
DEFAULT_THRESHOLD = 0.7
#: a weak alias counts only when its name score reaches this (a near-exact hit)
WEAK_ALIAS_MIN = 0.97
_DOUBLES = re.compile(r"(.)\1+")
#: shortest identifier looked up on its own (shorter ones are too likely to recur by chance)
MIN_IDENTIFIER = 5
#: a word found in at least this many indexed names is an established name word
ESTABLISHED_DF = 3
#: how many candidate names are scored per query name
CANDIDATES_PER_NAME = 24
#: the same for lists of 100,000 names or more, where more names look alike
CANDIDATES_LARGE = 40

_COMPATIBLE = {
    "Person": {"Person", "LegalEntity"},
    "Organization": {"Organization", "Company", "LegalEntity"},
    "Company": {"Organization", "Company", "LegalEntity"},
    "LegalEntity": {"Person", "Organization", "Company", "LegalEntity"},
    "Vessel": {"Vessel"},
    "Airplane": {"Airplane"},
}


@dataclass(frozen=True, slots=True)
class _Features:
    """What scoring needs of an entry besides its names, extracted once."""

    schema: str
    birth_dates: tuple[tuple[str, bool], ...]
    countries: frozenset[str]
    genders: tuple[str, ...]
    identifiers: tuple[str, ...]

    @classmethod
    def of(cls, entity: Entity) -> _Features:
        dates = tuple(
            (v.value, v.qualifier == APPROXIMATE) for v in entity.properties.get("birthDate", ())
        )
        countries = frozenset(c for p in COUNTRY_PROPERTIES for c in entity.get(p) if len(c) == 2)
        ids = tuple(i for p in IDENTIFIER_PROPERTIES for i in entity.get(p))
        return cls(entity.schema.name, dates, countries, tuple(entity.get("gender")), ids)


@dataclass(frozen=True, slots=True)
class _IndexedName:
    entity: int
    prop: str
    name: AnalyzedName


@dataclass(frozen=True, slots=True)
class Listing:
    """One list's entry for a matched party. A party on several lists (the same person on the
    UN and OFAC lists) is one match with one listing per list; see :mod:`counterflow.lists.resolve`.
    """

    list_id: str
    list_ref: str
    entity_id: str

    @classmethod
    def of(cls, entity: Entity) -> Listing:
        return cls(entity.list_id, entity.ref, entity.id)

    def to_json(self) -> dict[str, str]:
        return {"list": self.list_id, "list_ref": self.list_ref, "entity_id": self.entity_id}


@dataclass
class Match:
    """One list entry found for a query, with its score and the reasons for it.

    ``entity`` is the entry whose name matched best; ``listings`` are every entry of the same
    party across the loaded lists, that one first.
    """

    entity: Entity
    score: float
    query_name: str
    matched_name: str
    matched_property: str
    name_score: float
    comparison: NameComparison
    evidence: list[Evidence]
    threshold: float
    edition: str | None = None
    listings: tuple[Listing, ...] = ()

    def __post_init__(self) -> None:
        if not self.listings:
            self.listings = (Listing.of(self.entity),)

    @property
    def is_match(self) -> bool:
        return self.score >= self.threshold

    @property
    def explanation(self) -> dict[str, Any]:
        """Every feature, value and threshold that produced the score, for people and machines."""
        return {
            "query_name": self.query_name,
            "matched_name": self.matched_name,
            "matched_property": self.matched_property,
            "name_score": self.name_score,
            "tokens": [
                {"query": p.query, "listed": p.listed, "similarity": p.similarity, "how": p.how}
                for p in self.comparison.pairs
            ],
            "unmatched_query": list(self.comparison.unmatched_query),
            "unmatched_list": list(self.comparison.unmatched_list),
            "evidence": [
                {
                    "feature": e.feature,
                    "adjustment": e.adjustment,
                    "verdict": e.verdict,
                    "query": list(e.query),
                    "listed": list(e.listed),
                }
                for e in self.evidence
            ],
            "score": self.score,
            "threshold": self.threshold,
            "list": self.entity.list_id,
            "edition": self.edition,
            "listings": [listing.to_json() for listing in self.listings],
        }

    def summary(self) -> str:
        """The explanation in one line, for CSV files and terminals."""
        tokens = ", ".join(
            f"{p.query}={p.listed} {p.how} {p.similarity:.2f}" for p in self.comparison.pairs
        )
        parts = [
            f"{self.matched_property} '{self.matched_name}' ~ '{self.query_name}' "
            f"{self.name_score:.2f} ({tokens})"
        ]
        if self.comparison.unmatched_query:
            parts.append("query words unmatched: " + " ".join(self.comparison.unmatched_query))
        for e in self.evidence:
            parts.append(
                f"{e.feature} {e.verdict} {e.adjustment:+.2f} "
                f"({', '.join(e.query)} vs {', '.join(e.listed)})"
            )
        edition = f"{self.entity.list_id}@{self.edition}" if self.edition else self.entity.list_id
        parts.append(f"edition {edition}; threshold {self.threshold:.2f}")
        return "; ".join(parts)


@dataclass
class ScreenerStats:
    entities: int = 0
    names: int = 0
    keys: int = 0
    by_list: dict[str, int] = field(default_factory=dict)


class Screener:
    """Screens queries against a fixed set of list entries.

    Build it from entities (``Screener(entities)``) or from a workspace's active editions
    (:meth:`from_workspace`). It is immutable once built and safe to share between threads.
    """

    def __init__(
        self,
        entities: Iterable[Entity],
        *,
        editions: Mapping[str, str] | None = None,
        threshold: float = DEFAULT_THRESHOLD,
    ) -> None:
        self.threshold = threshold
        self.editions = dict(editions or {})
        self._entities: list[Entity] = []
        self._features: list[_Features] = []
        self._names: list[_IndexedName] = []
        self._tokens: dict[Token, Token] = {}
        self._by_identifier: dict[str, list[int]] = {}
        self._by_id: dict[str, int] = {}
        postings: dict[str, list[int]] = {}
        phonetic_df: Counter[str] = Counter()
        skeleton_df: Counter[str] = Counter()
        for entity in entities:
            index = len(self._entities)
            self._entities.append(entity)
            self._by_id[entity.id] = index
            features = _Features.of(entity)
            self._features.append(features)
            for identifier in features.identifiers:
                key = normalize_identifier(identifier)
                if len(key) >= MIN_IDENTIFIER:
                    self._by_identifier.setdefault(key, []).append(index)
            name_class = name_class_of(entity.schema.name)
            seen: set[str] = set()
            for prop, value in entity.names():
                analyzed = analyze(value.value, name_class)
                if not analyzed.tokens or analyzed.key in seen:
                    continue  # the same name again under a weaker property adds nothing
                seen.add(analyzed.key)
                analyzed = AnalyzedName(
                    analyzed.original, tuple(self._tokens.setdefault(t, t) for t in analyzed.tokens)
                )
                name_id = len(self._names)
                self._names.append(_IndexedName(index, prop, analyzed))
                keys = {k for t in analyzed.tokens for k in _keys(t)}
                for key in keys:
                    postings.setdefault(key, []).append(name_id)
                phonetic_df.update({t.phon for t in analyzed.tokens})
                skeleton_df.update({t.skel for t in analyzed.tokens})
        self._postings = {k: array("I", v) for k, v in postings.items()}
        self._phonetic_df = dict(phonetic_df)
        self._established_cache: dict[str, bool] = {}
        self._weight = idf_weigher(dict(phonetic_df), dict(skeleton_df), max(1, len(self._names)))
        self._cap = max(2000, len(self._names) // 200)
        self.stats = ScreenerStats(
            len(self._entities),
            len(self._names),
            len(self._postings),
            dict(Counter(e.list_id for e in self._entities)),
        )

    @classmethod
    def from_workspace(
        cls,
        workspace: Workspace,
        lists: Sequence[str] | None = None,
        threshold: float = DEFAULT_THRESHOLD,
    ) -> Screener:
        """A screener over the active edition of each list in a workspace (or of ``lists``)."""
        with workspace.connect(read_only=True) as conn:
            editions, entities = active_entities(conn, lists)
        return cls(
            entities, editions={k: v.label for k, v in editions.items()}, threshold=threshold
        )

    def _established(self, token: Token) -> bool:
        """A word the lists use for several names, or a common name word: a name, not a typo."""
        known = self._established_cache.get(token.phon)
        if known is None:
            known = (
                self._phonetic_df.get(token.phon, 0) >= ESTABLISHED_DF
                or token.phon in COMMON_NAME_WORDS
            )
            self._established_cache[token.phon] = known
        return known

    def __len__(self) -> int:
        return len(self._entities)

    def entity(self, entity_id: str) -> Entity | None:
        """An indexed entry by its id, or None."""
        index = self._by_id.get(entity_id)
        return None if index is None else self._entities[index]

    def screen(
        self,
        query: Query,
        *,
        limit: int = 10,
        threshold: float | None = None,
        lists: Sequence[str] | None = None,
    ) -> list[Match]:
        """The best entries for a query, at or above ``threshold``, best first."""
        cutoff = self.threshold if threshold is None else threshold
        wanted_schemata = _COMPATIBLE.get(query.schema or "")
        name_class = name_class_of(query.schema)
        best: dict[int, tuple[float, str, _IndexedName, NameComparison]] = {}
        for query_name in query.names:
            analyzed = analyze(query_name, name_class)
            if not analyzed.tokens:
                continue
            for name_id in self._candidates(analyzed):
                indexed = self._names[name_id]
                features = self._features[indexed.entity]
                if wanted_schemata is not None and features.schema not in wanted_schemata:
                    continue
                if lists and self._entities[indexed.entity].list_id not in lists:
                    continue
                comparison = compare_names(analyzed, indexed.name, self._weight, self._established)
                score = comparison.score
                if indexed.prop == "weakAlias" and score < WEAK_ALIAS_MIN:
                    continue
                previous = best.get(indexed.entity)
                if previous is None or score > previous[0]:
                    best[indexed.entity] = (score, query_name, indexed, comparison)
        identified = self._identifier_hits(query)
        for index in identified:
            if index not in best:
                entity = self._entities[index]
                listed = analyze(entity.caption, name_class_of(entity.schema.name))
                comparison = compare_names(
                    analyze(query.names[0], name_class), listed, self._weight
                )
                best[index] = (
                    comparison.score,
                    query.names[0],
                    _IndexedName(index, "name", listed),
                    comparison,
                )
        matches = [
            self._match(query, index, *found, cutoff)
            for index, found in best.items()
            # evidence cannot lift a weak name match over the cutoff: skip the work
            if found[0] + MAX_EVIDENCE_GAIN >= cutoff or index in identified
        ]
        matches = [m for m in matches if m.score >= cutoff and m.score > 0]
        matches.sort(key=_rank)
        return matches[:limit]

    def _candidates(self, name: AnalyzedName) -> list[int]:
        """Names sharing the most rarity-weighted index keys with ``name``.

        An exact phonetic key counts fully, a coarse skeleton key less, a shared beginning
        least, so exact spellings are never crowded out by look-alikes.
        """
        lookups = []
        for token in name.tokens:
            found = [(k, p) for k, p in ((k, self._postings.get(k)) for k in _keys(token)) if p]
            if any(k[0] == "p" for k, _ in found):
                # the word itself is on the lists: its first letters would only add noise
                found = [(k, p) for k, p in found if k[0] != "f"]
            if found:
                lookups.append((min(len(p) for _, p in found), token, found))
        lookups.sort(key=lambda x: x[0])
        scores: dict[int, float] = {}
        for position, (size, token, found) in enumerate(lookups):
            if size > self._cap and position > 0:
                continue  # too common to narrow anything down; rarer words already did
            weight = self._weight(token)
            best: dict[int, float] = {}
            for key, posting in found:
                if len(posting) > self._cap and len(found) > 1:
                    continue
                strength = _KEY_STRENGTH[key[0]]
                for name_id in posting[: self._cap * 4]:
                    if best.get(name_id, 0.0) < strength:
                        best[name_id] = strength
            for name_id, strength in best.items():
                scores[name_id] = scores.get(name_id, 0.0) + weight * strength
        limit = CANDIDATES_PER_NAME if len(self._names) < 100_000 else CANDIDATES_LARGE
        if len(scores) <= limit:
            return list(scores)
        # among names sharing as much, the shorter ones are the closer ones
        names = self._names
        return heapq.nlargest(
            limit,
            scores,
            key=lambda n: scores[n] - 0.01 * len(names[n].name.tokens),
        )

    def _identifier_hits(self, query: Query) -> list[int]:
        """Entries carrying one of the query's identifiers, whatever their names."""
        hits: list[int] = []
        for identifier in query.identifiers:
            for index in self._by_identifier.get(normalize_identifier(identifier), ()):
                if index not in hits:
                    hits.append(index)
        return hits

    def _match(
        self,
        query: Query,
        index: int,
        name_score: float,
        query_name: str,
        indexed: _IndexedName,
        comparison: NameComparison,
        cutoff: float,
    ) -> Match:
        features = self._features[index]
        evidence = [
            e
            for e in (
                compare_dates(query.birth_dates, features.birth_dates),
                compare_countries(query.countries, features.countries),
                compare_gender(query.gender, features.genders),
            )
            if e is not None
        ]
        score = name_score + sum(e.adjustment for e in evidence)
        identifier = compare_identifiers(query.identifiers, features.identifiers)
        if identifier is not None:
            evidence.append(identifier)
            score = max(score, IDENTIFIER_FLOOR)
        entity = self._entities[index]
        return Match(
            entity=entity,
            score=round(max(0.0, min(1.0, score)), 4),
            query_name=query_name,
            matched_name=indexed.name.original,
            matched_property=indexed.prop,
            name_score=name_score,
            comparison=comparison,
            evidence=evidence,
            threshold=cutoff,
            edition=self.editions.get(entity.list_id),
        )


#: how much a shared key of each kind says: phonetic form, coarse skeleton, first letters
_KEY_STRENGTH = {"p": 1.0, "k": 0.6, "f": 0.3}


#: at equal scores, a match on the listed name says more than one on an alias, and a weak alias
#: (a one-word nickname such as "Kaida") least: it must not outrank the entry named so
_PROPERTY_ORDER = {"name": 0, "alias": 1, "previousName": 2, "weakAlias": 3}


def _rank(match: Match) -> tuple[float, int, int, str]:
    """Best first: score, then the property matched, then the words that agreed, then the id
    (so equal results always come out in the same order)."""
    return (
        -match.score,
        _PROPERTY_ORDER.get(match.matched_property, 2),
        -len(match.comparison.pairs),
        match.entity.id,
    )


def _keys(token: Token) -> tuple[str, ...]:
    """Index keys of a token: its phonetic form, a coarse consonant skeleton (dental and
    sibilant consonants merged, h dropped: Mulathamun / Mulasamun, Ashraf / Ashhraf) and the
    first three letters of its phonetic form (typos later in the word)."""
    coarse = _DOUBLES.sub(r"\1", broad(token.skel).replace("h", ""))
    keys = [f"k:{coarse}"] if len(coarse) >= 2 else []
    if token.abjad:
        return tuple(keys)
    keys.append(f"p:{token.phon}")
    if len(token.phon) >= 4:
        keys.append(f"f:{token.phon[:3]}")
    return tuple(keys)


__all__ = ["DEFAULT_THRESHOLD", "Listing", "Match", "Screener"]
