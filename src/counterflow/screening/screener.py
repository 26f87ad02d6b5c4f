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
import itertools
import json
import logging
import marshal
import operator
import re
from array import array
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from counterflow.lists.store import Edition, active_editions, iter_entity_bodies
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
from counterflow.screening.index_file import (
    CorruptIndex,
    current_header,
    read_index,
    write_index,
)
from counterflow.screening.names import AnalyzedName, Kind, Token, analyze, name_class_of
from counterflow.screening.phonetic import broad
from counterflow.screening.query import Query
from counterflow.screening.vocabulary import COMMON_NAME_WORDS
from counterflow.workspace import Workspace

log = logging.getLogger("counterflow.screening")

#: Scores at or above this are hits. Calibrated on labelled data: see docs/screening.md.
DEFAULT_THRESHOLD = 0.7
#: a weak alias counts only when its name score reaches this (a near-exact hit)
WEAK_ALIAS_MIN = 0.97
#: factor on a weak alias's name score: the list itself says such a name identifies weakly
WEAK_ALIAS_FACTOR = 0.9
_DOUBLES = re.compile(r"(.)\1+")
#: a name ending in a bracketed part: an acronym, a former name or a qualifier
#: ("JUND AL-KHILAFAH IN TUNISIA (JAK-T)", "ACME TRADING (FORMERLY ACME LTD)")
_BRACKETED = re.compile(r"^(?P<main>.*?\S)\s*[(\[][^()\[\]]*[)\]]\s*$")


def _name_forms(names: Sequence[str]) -> list[str]:
    """The query's names, and each without a bracketed part at its end: an acronym or a
    qualifier in brackets is a separate name, and a variant of it ("(AJK-T)" for "(JAK-T)")
    must not sink the main name's match. The bracketed part alone is not screened: a bare
    acronym matches too much."""
    forms: list[str] = []
    for name in names:
        for form in (name, *(m.group("main") for m in [_BRACKETED.match(name)] if m)):
            if form not in forms:
                forms.append(form)
    return forms


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


class _EntityTable:
    """The indexed entries by position. Entries loaded from the index file stay JSON text until
    a match asks for one: decoding all of four lists' entries would cost more than the rest of
    the load put together, and a query returns a handful."""

    __slots__ = ("_bodies", "_decoded", "ids", "list_ids")

    def __init__(
        self,
        ids: list[str],
        list_ids: list[str],
        bodies: _Packed | None,
        decoded: list[Entity | None] | None = None,
    ) -> None:
        self.ids = ids
        self.list_ids = list_ids
        self._bodies = bodies
        self._decoded: list[Entity | None] = decoded if decoded is not None else [None] * len(ids)

    @classmethod
    def of(cls, entities: list[Entity], bodies: _Packed | None = None) -> _EntityTable:
        return cls([e.id for e in entities], [e.list_id for e in entities], bodies, [*entities])

    def __len__(self) -> int:
        return len(self.ids)

    def __getitem__(self, index: int) -> Entity:
        entity = self._decoded[index]
        if entity is None:
            # a race decodes the same body twice into equal entities: harmless
            entity = self._decoded[index] = Entity.from_json(json.loads(self.body(index)))
        return entity

    def __iter__(self) -> Iterator[Entity]:
        """Every entry, decoding those not decoded yet (costly on a loaded index: prefer
        positions and :attr:`ids` / :attr:`list_ids`)."""
        return (self[i] for i in range(len(self.ids)))

    def packed_bodies(self) -> tuple[bytes, bytes]:
        """Every entry's storage form, packed (see :class:`_Packed`)."""
        bodies = self._bodies
        if bodies is None:
            bodies = _Packed.of(self.body(i).encode() for i in range(len(self.ids)))
        return bodies.packed()

    def body(self, index: int) -> str:
        """The entry in its storage form (the JSON the workspace database holds)."""
        if self._bodies is not None:
            return self._bodies[index].decode("utf-8")
        entity = self._decoded[index]
        if entity is None:  # never: an entry without a body was built from an Entity
            raise CorruptIndex(f"entry {self.ids[index]} has neither a body nor an entity")
        return json.dumps(entity.to_json(), ensure_ascii=False)

    def subset(self, keep: list[int]) -> _EntityTable:
        bodies = self._bodies
        return _EntityTable(
            [self.ids[i] for i in keep],
            [self.list_ids[i] for i in keep],
            None if bodies is None else _Packed.of(bodies[i] for i in keep),
            [self._decoded[i] for i in keep],
        )


class _Packed:
    """Items of bytes packed into one blob with their end offsets. The index file keeps its
    many small items so (entry bodies, features, tokens, name texts, token numbers): each
    column loads as two bytes objects instead of tens of thousands of objects to allocate, and
    an item is unpacked only when a query reaches it."""

    __slots__ = ("_blob", "_ends")

    def __init__(self, blob: bytes, ends: array[int]) -> None:
        self._blob = blob
        self._ends = ends

    @classmethod
    def of(cls, items: Iterable[bytes]) -> _Packed:
        parts = list(items)
        return cls(b"".join(parts), array("Q", itertools.accumulate(map(len, parts))))

    @classmethod
    def unpack(cls, packed: tuple[bytes, bytes]) -> _Packed:
        blob, ends = packed
        offsets = array("Q")
        offsets.frombytes(ends)
        if offsets and (offsets[-1] != len(blob) or any(map(operator.gt, offsets, offsets[1:]))):
            raise CorruptIndex("packed items do not fit their offsets")
        return cls(blob, offsets)

    def packed(self) -> tuple[bytes, bytes]:
        return self._blob, self._ends.tobytes()

    def __len__(self) -> int:
        return len(self._ends)

    def __getitem__(self, index: int) -> bytes:
        start = self._ends[index - 1] if index else 0
        return self._blob[start : self._ends[index]]


@dataclass
class _IndexParts:
    """What a :class:`Screener` is made of. A build analyses entities into the first four; a
    load from the index file also brings the rest, which a build or a narrowing computes."""

    entities: _EntityTable
    features: _Lazy[_Features]
    tokens: dict[Token, Token]
    names: _Lazy[_IndexedName]
    #: each name's entry (what narrowing needs without decoding the names)
    name_entities: Sequence[int]
    #: each name's number of tokens (what ranking candidates needs, likewise)
    name_sizes: Sequence[int]
    by_identifier: dict[str, list[int]] | None = None
    postings: _Postings | None = None
    phonetic_df: dict[str, int] | None = None
    skeleton_df: dict[str, int] | None = None


_T = TypeVar("_T")


class _Lazy(Generic[_T]):
    """A list whose items are made from their stored form when first asked for: loading the
    index file must not build 31,509 names and 21,656 tokens that most runs never look at."""

    __slots__ = ("_decode", "_items")

    def __init__(self, size: int, decode: Callable[[int], _T]) -> None:
        self._items: list[_T | None] = [None] * size
        self._decode = decode

    @classmethod
    def of(cls, items: Sequence[_T]) -> _Lazy[_T]:
        made = cls(0, items.__getitem__)
        made._items = [*items]
        return made

    def __len__(self) -> int:
        return len(self._items)

    def __getitem__(self, index: int) -> _T:
        item = self._items[index]
        if item is None:
            # a race makes the same item twice, alike: harmless
            item = self._items[index] = self._decode(index)
        return item

    def __iter__(self) -> Iterator[_T]:
        return (self[i] for i in range(len(self._items)))


class _Postings:
    """Each index key's name ids, unpacked from the index file's bytes on first use."""

    __slots__ = ("_lists",)

    def __init__(self, lists: dict[str, array[int] | bytes]) -> None:
        self._lists = lists

    def get(self, key: str) -> array[int] | None:
        found = self._lists.get(key)
        if found is None or isinstance(found, array):
            return found
        posting = array("I")
        posting.frombytes(found)
        self._lists[key] = posting
        return posting

    def __len__(self) -> int:
        return len(self._lists)

    def packed(self) -> dict[str, bytes]:
        return {k: v if isinstance(v, bytes) else v.tobytes() for k, v in self._lists.items()}


def _analyse(entities: Iterable[Entity], bodies: _Packed | None = None) -> _IndexParts:
    """Every name of every entry analysed once (the expensive part of a build)."""
    loaded = list(entities)
    tokens: dict[Token, Token] = {}
    names: list[_IndexedName] = []
    for index, entity in enumerate(loaded):
        name_class = name_class_of(entity.schema.name)
        seen: set[str] = set()
        for prop, value in entity.names():
            analyzed = analyze(value.value, name_class)
            if not analyzed.tokens or analyzed.key in seen:
                continue  # the same name again under a weaker property adds nothing
            seen.add(analyzed.key)
            analyzed = AnalyzedName(
                analyzed.original, tuple(tokens.setdefault(t, t) for t in analyzed.tokens)
            )
            names.append(_IndexedName(index, prop, analyzed))
    features = _Lazy.of([_Features.of(e) for e in loaded])
    entities_of = [n.entity for n in names]
    return _IndexParts(
        _EntityTable.of(loaded, bodies),
        features,
        tokens,
        _Lazy.of(names),
        entities_of,
        _sizes(len(n.name.tokens) for n in names),
    )


def _sizes(counts: Iterable[int]) -> array[int]:
    return array("B", (min(255, c) for c in counts))


#: the kinds of token by their stored names
_KINDS = {kind.value: kind for kind in Kind}


def _token_bytes(token: Token) -> bytes:
    """A token as stored: its fields joined by NUL (no token text holds one)."""
    flags = tuple("1" if flag else "" for flag in (token.abjad, token.initial, token.syllabic))
    fields = (token.text, token.phon, token.skel, token.vclass, token.kind.value, *flags)
    return "\0".join(fields).encode("utf-8")


def _token_of(stored: bytes) -> Token:
    text, phon, skel, vclass, kind, abjad, initial, syllabic = stored.decode("utf-8").split("\0")
    return Token(
        text, phon, skel, vclass, _KINDS[kind], abjad == "1", initial == "1", syllabic == "1"
    )


def _identifier_index(features: Iterable[_Features]) -> dict[str, list[int]]:
    index: dict[str, list[int]] = {}
    for position, entry in enumerate(features):
        for identifier in entry.identifiers:
            key = normalize_identifier(identifier)
            if len(key) >= MIN_IDENTIFIER:
                index.setdefault(key, []).append(position)
    return index


def _postings(names: Iterable[_IndexedName]) -> tuple[_Postings, dict[str, int], dict[str, int]]:
    """Each index key's names (ascending ids), and in how many names each phonetic form and
    each skeleton occurs (the document frequencies the idf weights come from)."""
    postings: dict[str, list[int]] = {}
    phonetic_df: Counter[str] = Counter()
    skeleton_df: Counter[str] = Counter()
    keys_of: dict[Token, tuple[str, ...]] = {}
    for name_id, indexed in enumerate(names):
        tokens = indexed.name.tokens
        keys: set[str] = set()
        for token in tokens:
            found = keys_of.get(token)
            if found is None:
                found = keys_of[token] = _keys(token)
            keys.update(found)
        for key in keys:
            postings.setdefault(key, []).append(name_id)
        phonetic_df.update({t.phon for t in tokens})
        skeleton_df.update({t.skel for t in tokens})
    packed: dict[str, array[int] | bytes] = {key: array("I", ids) for key, ids in postings.items()}
    return _Postings(packed), dict(phonetic_df), dict(skeleton_df)


class Screener:
    """Screens queries against a fixed set of list entries.

    Build it from entities (``Screener(entities)``) or from a workspace's active editions
    (:meth:`from_workspace`). It is immutable once built and safe to share between threads.
    """

    def __init__(
        self,
        entities: Iterable[Entity] = (),
        *,
        editions: Mapping[str, str] | None = None,
        threshold: float = DEFAULT_THRESHOLD,
        _parts: _IndexParts | None = None,
    ) -> None:
        self.threshold = threshold
        self.editions = dict(editions or {})
        #: the workspace editions the screener was built from (empty when built from entities)
        self.built_from: dict[str, Edition] = {}
        # every screener, built, loaded from the index file or narrowed to some lists, is set
        # up here from the same parts, so all three answer alike
        parts = _parts if _parts is not None else _analyse(entities)
        self._tokens = parts.tokens
        self._entities = parts.entities
        self._features = parts.features
        self._by_id = {entity_id: index for index, entity_id in enumerate(parts.entities.ids)}
        #: entry position -> the positions of every entry of its party (see set_clusters)
        self._parties: dict[int, tuple[int, ...]] = {}
        self._by_identifier = (
            parts.by_identifier
            if parts.by_identifier is not None
            else _identifier_index(parts.features)
        )
        self._names = parts.names
        self._name_entities = parts.name_entities
        self._name_sizes = parts.name_sizes
        if parts.postings is None or parts.phonetic_df is None or parts.skeleton_df is None:
            postings, phonetic_df, skeleton_df = _postings(parts.names)
        else:
            postings, phonetic_df, skeleton_df = (
                parts.postings,
                parts.phonetic_df,
                parts.skeleton_df,
            )
        self._postings = postings
        self._phonetic_df = phonetic_df
        self._skeleton_df = skeleton_df
        self._established_cache: dict[str, bool] = {}
        self._weight = idf_weigher(phonetic_df, skeleton_df, max(1, len(self._names)))
        self._cap = max(2000, len(self._names) // 200)
        self.stats = ScreenerStats(
            len(self._entities),
            len(self._names),
            len(self._postings),
            dict(Counter(self._entities.list_ids)),
        )

    @classmethod
    def from_workspace(
        cls,
        workspace: Workspace,
        lists: Sequence[str] | None = None,
        threshold: float = DEFAULT_THRESHOLD,
    ) -> Screener:
        """A screener over the active edition of each list in a workspace (or of ``lists``).

        It comes from the index file in the workspace folder when that was built from the
        active editions by this matcher (see :mod:`counterflow.screening.index_file`); else it
        is built, and saved for the next time when the folder can be written. ``lists`` narrows
        the full index without analysing a name again; the result is the same as a screener
        built over those lists alone (word rarities counted in them only).
        """
        screener = _load_or_build(workspace, threshold)
        if lists:
            screener = screener.narrowed(lists)
        from counterflow.lists.resolve import apply_clusters  # (resolve imports screening)

        apply_clusters(screener, workspace)
        return screener

    def narrowed(self, lists: Sequence[str]) -> Screener:
        """The same screener over the entries of ``lists`` only, as if built from them alone
        (word rarities counted in those lists), without analysing a name again."""
        wanted = set(lists)
        keep = [i for i, list_id in enumerate(self._entities.list_ids) if list_id in wanted]
        renumbered = {old: new for new, old in enumerate(keep)}
        names = [
            _IndexedName(renumbered[entity], self._names[name_id].prop, self._names[name_id].name)
            for name_id, entity in enumerate(self._name_entities)
            if entity in renumbered
        ]
        parts = _IndexParts(
            self._entities.subset(keep),
            _Lazy.of([self._features[i] for i in keep]),
            self._tokens,
            _Lazy.of(names),
            [n.entity for n in names],
            _sizes(len(n.name.tokens) for n in names),
        )
        narrowed = Screener(
            editions={k: v for k, v in self.editions.items() if k in wanted},
            threshold=self.threshold,
            _parts=parts,
        )
        narrowed.built_from = {k: v for k, v in self.built_from.items() if k in wanted}
        return narrowed

    def _dump(self) -> tuple[Any, ...]:
        """The index as plain containers for :func:`index_file.write_index`: entry ids, lists,
        bodies and features; the distinct tokens; each name's entry, property, text and token
        numbers; the packed postings; the document frequencies; the identifier index."""
        numbers: dict[Token, int] = {}
        names = list(self._names)
        words = [
            array("I", (numbers.setdefault(t, len(numbers)) for t in n.name.tokens)) for n in names
        ]
        features = (
            marshal.dumps((f.schema, f.birth_dates, f.countries, f.genders, f.identifiers), 4)
            for f in self._features
        )
        return (
            self._entities.ids,
            self._entities.list_ids,
            self._entities.packed_bodies(),
            _Packed.of(features).packed(),
            _Packed.of(_token_bytes(t) for t in numbers).packed(),
            array("I", [n.entity for n in names]).tobytes(),
            [n.prop for n in names],
            _Packed.of(n.name.original.encode() for n in names).packed(),
            _Packed.of(w.tobytes() for w in words).packed(),
            self._postings.packed(),
            self._phonetic_df,
            self._skeleton_df,
            self._by_identifier,
        )

    @classmethod
    def _restore(cls, payload: Any, *, editions: Mapping[str, str], threshold: float) -> Screener:
        """A screener from :meth:`_dump`'s containers. Entries, names, tokens, features and
        postings are made from their stored form only when a query reaches them, so loading
        costs about what reading the file does. Raises :class:`CorruptIndex` when the
        containers do not fit together."""
        try:
            (
                ids,
                list_ids,
                bodies,
                features,
                tokens,
                name_entities,
                props,
                originals,
                words,
                postings,
                phonetic_df,
                skeleton_df,
                by_identifier,
            ) = payload
            token_rows = _Packed.unpack(tokens)
            token_table = _Lazy(len(token_rows), lambda i: _token_of(token_rows[i]))
            entity_of = array("I")
            entity_of.frombytes(name_entities)
            originals = _Packed.unpack(originals)
            words = _Packed.unpack(words)

            def name(i: int) -> _IndexedName:
                numbers = memoryview(words[i]).cast("I")
                analyzed = AnalyzedName(
                    originals[i].decode("utf-8"), tuple(token_table[t] for t in numbers)
                )
                return _IndexedName(entity_of[i], props[i], analyzed)

            entries = _Packed.unpack(bodies)
            features = _Packed.unpack(features)
            if not len(ids) == len(list_ids) == len(entries) == len(features):
                raise CorruptIndex("the entry columns differ in length")
            if not len(entity_of) == len(props) == len(originals) == len(words):
                raise CorruptIndex("the name columns differ in length")
            if max(entity_of, default=-1) >= len(ids):
                raise CorruptIndex("a name refers to an entry that is not there")
            parts = _IndexParts(
                _EntityTable(ids, list_ids, entries),
                _Lazy(len(features), lambda i: _Features(*marshal.loads(features[i]))),
                {},
                _Lazy(len(entity_of), name),
                entity_of,
                _sizes(len(words[i]) // 4 for i in range(len(words))),
                dict(by_identifier),
                _Postings(dict(postings)),
                dict(phonetic_df),
                dict(skeleton_df),
            )
        except CorruptIndex:
            raise
        except (ValueError, TypeError, IndexError, KeyError, AttributeError) as exc:
            raise CorruptIndex(f"{type(exc).__name__}: {exc}") from exc
        return cls(editions=editions, threshold=threshold, _parts=parts)

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
        for query_name in _name_forms(query.names):
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
                score = _name_score(indexed.prop, comparison.score)
                if score is None:
                    continue
                previous = best.get(indexed.entity)
                if previous is None or score > previous[0]:
                    best[indexed.entity] = (score, query_name, indexed, comparison)
        matches = self._finish(query, best, self._identifier_hits(query), cutoff)
        return self._by_party(matches, lists)[:limit]

    def _finish(
        self,
        query: Query,
        best: dict[int, tuple[float, str, _IndexedName, NameComparison]],
        identified: list[int],
        cutoff: float,
    ) -> list[Match]:
        """The matches at or above ``cutoff``, ranked, from each entry's best name match and
        the entries that share an identifier with the query (scored on their caption)."""
        name_class = name_class_of(query.schema)
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
        return matches

    def set_clusters(self, clusters: Mapping[str, str]) -> None:
        """Tell the screener which entries are one party (entity id -> cluster id, as
        :mod:`counterflow.lists.resolve` finds them): :meth:`screen` then returns one match per
        party. Ids of entries not loaded are ignored; an entry not mapped is a party alone.
        The mapping replaces any earlier one in one assignment, so screens in flight on other
        threads see the old or the new mapping, never half of one."""
        groups: dict[str, list[int]] = {}
        for entity_id, cluster in clusters.items():
            index = self._by_id.get(entity_id)
            if index is not None:
                groups.setdefault(cluster, []).append(index)
        parties: dict[int, tuple[int, ...]] = {}
        for members in groups.values():
            if len(members) > 1:
                party = tuple(sorted(members))
                for index in party:
                    parties[index] = party
        self._parties = parties

    def entries(self) -> Iterator[Entity]:
        """Every indexed entry (decoding each: costly on a loaded index, for rare uses)."""
        return iter(self._entities)

    def party(self, entity_id: str) -> tuple[Entity, ...]:
        """Every loaded entry of this entry's party, itself first (just itself when it has no
        other listing; empty when it is not loaded). Decisions fingerprint the whole party."""
        index = self._by_id.get(entity_id)
        if index is None:
            return ()
        others = [i for i in self._parties.get(index, ()) if i != index]
        return (self._entities[index], *(self._entities[i] for i in others))

    def _by_party(self, matches: list[Match], lists: Sequence[str] | None) -> list[Match]:
        """One match per party, ranked matches in: the best-ranked entry's match stands for
        the party, its ``listings`` every loaded entry of the party (of ``lists`` only, when
        given): that entry, the other matched ones by rank, then the rest."""
        parties = self._parties
        if not parties:
            return matches
        matched: dict[int, list[int]] = {}  # first member -> matched members, best first
        for m in matches:
            index = self._by_id[m.entity.id]
            party = parties.get(index)
            if party is not None:
                matched.setdefault(party[0], []).append(index)
        out: list[Match] = []
        for m in matches:
            index = self._by_id[m.entity.id]
            party = parties.get(index)
            if party is None:
                out.append(m)
                continue
            ranked = matched[party[0]]
            if ranked[0] != index:
                continue  # a better entry of the same party stands for it
            order = ranked + [i for i in party if i not in ranked]
            entries = (self._entities[i] for i in order)
            m.listings = tuple(Listing.of(e) for e in entries if not lists or e.list_id in lists)
            out.append(m)
        return out

    def score_entries(
        self, query: Query, entity_ids: Iterable[str], *, threshold: float | None = None
    ) -> list[Match]:
        """The query's matches among the given entries only, best first, with no candidate
        search: every indexed name of each entry is compared, scored as :meth:`screen` scores
        it (same weights, evidence, schema rules and weak-alias rule).

        Re-screening (:mod:`counterflow.screening.rescreen`) finds the customers to score from
        the other side, through the keys they share with a changed entry, and needs only those
        entries scored. Since :meth:`screen` compares only the names its candidate search
        picked, the score here is never below screen's for the same entry: a pair screen
        reports is never lost, and a pair scored here but pruned by screen can be confirmed
        with :meth:`screen`.
        """
        cutoff = self.threshold if threshold is None else threshold
        wanted_schemata = _COMPATIBLE.get(query.schema or "")
        name_class = name_class_of(query.schema)
        names_of = self._entity_names()
        indices: list[int] = []
        for entity_id in entity_ids:
            index = self._by_id.get(entity_id)
            if index is None or index in indices:
                continue
            if wanted_schemata is None or self._features[index].schema in wanted_schemata:
                indices.append(index)
        best: dict[int, tuple[float, str, _IndexedName, NameComparison]] = {}
        for query_name in _name_forms(query.names):
            analyzed = analyze(query_name, name_class)
            if not analyzed.tokens:
                continue
            for index in indices:
                for name_id in names_of[index]:
                    indexed = self._names[name_id]
                    comparison = compare_names(
                        analyzed, indexed.name, self._weight, self._established
                    )
                    score = _name_score(indexed.prop, comparison.score)
                    if score is None:
                        continue
                    previous = best.get(index)
                    if previous is None or score > previous[0]:
                        best[index] = (score, query_name, indexed, comparison)
        identified = [i for i in self._identifier_hits(query) if i in indices]
        return self._finish(query, best, identified, cutoff)

    #: each entry's indexed names, built on the first :meth:`score_entries` call
    _names_by_entity: list[list[int]] | None = None

    def _entity_names(self) -> list[list[int]]:
        """The ids of each entry's indexed names (built once; a race builds it twice, alike)."""
        if self._names_by_entity is None:
            names_of: list[list[int]] = [[] for _ in range(len(self._entities))]
            for name_id, indexed in enumerate(self._names):
                names_of[indexed.entity].append(name_id)
            self._names_by_entity = names_of
        return self._names_by_entity

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
        sizes = self._name_sizes
        return heapq.nlargest(limit, scores, key=lambda n: scores[n] - 0.01 * sizes[n])

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


def _name_score(prop: str, score: float) -> float | None:
    """The score a name match counts for: a weak alias only when near-exact, and then below
    the same match on a strong name (a one-word nickname such as "Kaida" on an OFAC person
    must not tie with AL-QAIDA for "Аль-Каида"); None when it does not count."""
    if prop != "weakAlias":
        return score
    if score < WEAK_ALIAS_MIN:
        return None
    return score * WEAK_ALIAS_FACTOR


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


def _edition_ids(editions: Mapping[str, Edition]) -> dict[str, str]:
    return {list_id: e.edition_id for list_id, e in editions.items()}


def _load_or_build(workspace: Workspace, threshold: float) -> Screener:
    """The workspace's screener from its index file when that is current, else built (and
    saved when the workspace can be written). Never fails on the index file: a bad one is
    reported in the log and rebuilt."""
    with workspace.connect(read_only=True) as conn:
        editions = active_editions(conn)
        payload = read_index(workspace.home, _edition_ids(editions)) if editions else None
    if payload is not None:
        labels = {list_id: e.label for list_id, e in editions.items()}
        try:
            screener = Screener._restore(payload, editions=labels, threshold=threshold)
        except CorruptIndex as exc:
            log.warning(
                "the screening index in %s does not fit together (%s); rebuilding it",
                workspace.home,
                exc,
            )
        else:
            screener.built_from = editions
            return screener
    return _build(workspace, threshold)


def _build(workspace: Workspace, threshold: float) -> Screener:
    """Build from the active editions, read on one connection so that editions and entries
    agree, and save the index beside the database."""
    with workspace.connect(read_only=True) as conn:
        editions = active_editions(conn)
        bodies = [b for e in editions.values() for b in iter_entity_bodies(conn, e.edition_id)]
    entities = [Entity.from_json(json.loads(body)) for body in bodies]
    screener = Screener(
        editions={list_id: e.label for list_id, e in editions.items()},
        threshold=threshold,
        _parts=_analyse(entities, _Packed.of(body.encode() for body in bodies)),
    )
    screener.built_from = editions
    if editions and workspace.exists:
        write_index(workspace.home, _edition_ids(editions), screener._dump())
    return screener


def refresh_index(workspace: Workspace) -> bool:
    """Build and save the workspace's screening index unless the saved one is current.

    Called when the active editions change (an import, an update, a pin, an unpin), so the next
    ``screen`` or service start loads the index instead of building it. True when it was built.
    """
    if not workspace.exists:
        return False
    with workspace.connect(read_only=True) as conn:
        editions = _edition_ids(active_editions(conn))
    if not editions or current_header(workspace.home, editions):
        return False
    _build(workspace, DEFAULT_THRESHOLD)
    return True


__all__ = ["DEFAULT_THRESHOLD", "Listing", "Match", "Screener", "refresh_index"]
