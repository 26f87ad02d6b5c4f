"""One party across lists: which entries of different lists are the same person or organisation.

Joseph Kony is listed by the UN (``CFi.009``), by OFAC (``11018``) and by the UK. Screened as
three entries he is three hits, and clearing one leaves the others raised. This module links
such entries into one *party* (a cluster), by rules an analyst can check, and explains every
link it makes.

Automatic rules, strongest first (each link records its rule and the evidence):

``identifier``
    A strong identifier on both entries: passport, national id, IMO, registration, tax number
    or SWIFT/BIC code, compared as :func:`counterflow.screening.evidence.normalize_identifier`
    makes them (letters and digits, upper case), 5 characters or more, both entries of one
    schema family. Evidence: ``passportNumber A1234567 on both``.
``un-reference``
    A UN Security Council reference number: the UN entry's own, or one another list cites (the
    UK's "UN Ref QDi.123", the EU's ``unitedNationId``, the rare OFAC remark "UN Ref …").
    Evidence: ``uk entry cites UN CFi.009``.
``name-birth-country`` (people)
    The same full name, the same full date of birth and a shared country. The name is a strong
    one (``name`` or ``alias``, never a weak alias), compared by its analysed key
    (:attr:`counterflow.screening.names.AnalyzedName.key`: transliterated, articles and titles
    gone, phonetic spelling, so ``KONY, Joseph`` is ``Joseph KONY``). The date is a full
    ``YYYY-MM-DD`` that no list calls approximate. The country is any country the entries give
    (nationality, citizenship, birth country, country). Evidence:
    ``name 'Joseph Kony', born 1964-09-18, country ug on both``.
``name-birth-dates`` (people)
    The same strong name of two words or more and the very same set of dates of birth, at the
    precision the lists give (``1958``; ``1972``, ``1975``), with or without a country: the
    OFAC entries of 2021 often give none. Evidence: ``name 'ANSHORI, Abdullah', born 1958``.
``name-country`` (organisations)
    The same strong name (by key) and a shared country. (A shared identifier is the first rule.)

Guards, because a wrong merge hides a listing behind another one:

- two entries of one list are never linked automatically (a list does not list a party twice;
  two entries of one list with one name are two parties);
- a key that two entries of one list share (one passport number on two OFAC entries) is
  ambiguous and links neither of them;
- schemata must be compatible: people with people, organisations and companies with each
  other, vessels with vessels, aircraft with aircraft, a bare legal entity with a person or an
  organisation;
- clusters are built by union-find over the links, strongest rule first, and a link that would
  put two entries of one list into one cluster (a chain A–B–C where A and C are on one list) is
  refused and reported with the reason.

Analysts have the last word (``counterflow lists merge`` / ``split``, kept in the workspace's
``entity_links`` table): a merge links two entries whatever the rules say, and is applied
before any rule; a split keeps two entries apart, and beats every rule and every merge that
would bring them together. The latest judgement on a pair replaces earlier ones.

The resolution of the active editions is stored in the workspace (``entity_clusters``,
``entity_matches``) by the ``lists`` commands that change them (import, update, pin, unpin,
merge, split), tagged with a *basis*: a hash of the active edition ids and the analysts'
judgements. The screener reads the stored clusters when their basis is current, which costs one
query; otherwise it resolves the entries it loaded (about 3 s for the five public list files)
without writing (and says so in the log, at info level), since screening and the service only
read the database.
"""

from __future__ import annotations

import hashlib
import logging
import re
import secrets
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING

import duckdb

from counterflow.errors import ConfigError, NotFoundError
from counterflow.io import transaction
from counterflow.lists.formats.uk_ofsi_csv import un_references
from counterflow.lists.store import active_editions, active_entities, find_entities
from counterflow.model import APPROXIMATE, Entity
from counterflow.model.schema import COUNTRY_PROPERTIES
from counterflow.screening.evidence import normalize_identifier
from counterflow.screening.names import analyze, name_class_of
from counterflow.workspace import Workspace

if TYPE_CHECKING:
    from counterflow.screening.screener import Screener

#: rules, strongest first: a stronger link is tried first when clusters are built
RULE_ANALYST = "analyst"
RULE_IDENTIFIER = "identifier"
RULE_UN_REFERENCE = "un-reference"
RULE_NAME_BIRTH = "name-birth-country"
RULE_NAME_COUNTRY = "name-country"
RULE_NAME_DATES = "name-birth-dates"
RULES = (
    RULE_ANALYST,
    RULE_IDENTIFIER,
    RULE_UN_REFERENCE,
    RULE_NAME_BIRTH,
    RULE_NAME_DATES,
    RULE_NAME_COUNTRY,
)
_RANK = {rule: i for i, rule in enumerate(RULES)}

#: identifiers that name one party: a person's papers, a company's or a ship's registration
STRONG_IDENTIFIERS = (
    "passportNumber",
    "idNumber",
    "imoNumber",
    "registrationNumber",
    "taxNumber",
    "swiftBic",
)
#: shortest identifier that links entries (shorter ones recur by chance)
MIN_IDENTIFIER = 5
#: names that can link entries: the listed name and strong aliases, never a weak alias
STRONG_NAMES = ("name", "alias")

MERGE = "merge"
SPLIT = "split"
MAX_REASON = 2000

_FAMILY = {
    "Person": "person",
    "Organization": "organization",
    "Company": "organization",
    "LegalEntity": "legal",
    "Vessel": "vessel",
    "Airplane": "airplane",
}
_FULL_DATE = re.compile(r"^\d{4}-\d\d-\d\d$")
_UN_HOLDER_AUTHORITY = "United Nations Security Council"
log = logging.getLogger("counterflow.lists")


def compatible(schema_a: str, schema_b: str) -> bool:
    """Whether entries of these schemata can be one party: the same family, or a bare legal
    entity (a list that does not say person or organisation) beside a person or organisation."""
    a, b = _FAMILY.get(schema_a, schema_a), _FAMILY.get(schema_b, schema_b)
    if a == b:
        return True
    return {a, b} in ({"legal", "person"}, {"legal", "organization"})


@dataclass(frozen=True, slots=True)
class Link:
    """Two entries found to be one party, by ``rule``, with the evidence in words."""

    entity_a: str
    entity_b: str
    rule: str
    evidence: str

    def other(self, entity_id: str) -> str:
        return self.entity_b if entity_id == self.entity_a else self.entity_a

    def to_json(self) -> dict[str, str]:
        return {
            "entity_a": self.entity_a,
            "entity_b": self.entity_b,
            "rule": self.rule,
            "evidence": self.evidence,
        }


@dataclass(frozen=True, slots=True)
class Judgement:
    """An analyst's merge or split of two entries (a row of ``entity_links``)."""

    link_id: str
    kind: str
    entity_a: str
    entity_b: str
    analyst: str
    actor: str
    reason: str
    created_at: datetime

    @property
    def pair(self) -> frozenset[str]:
        return frozenset((self.entity_a, self.entity_b))

    def to_json(self) -> dict[str, str]:
        return {
            "link_id": self.link_id,
            "kind": self.kind,
            "entity_a": self.entity_a,
            "entity_b": self.entity_b,
            "analyst": self.analyst,
            "actor": self.actor,
            "reason": self.reason,
            "created_at": self.created_at.isoformat(),
        }


@dataclass
class Resolution:
    """Clusters of the entries resolved, with every link made and every link refused."""

    #: entity id -> cluster id, for entries in a cluster of two or more
    clusters: dict[str, str] = field(default_factory=dict)
    #: links that joined entries (or confirmed entries already joined)
    links: list[Link] = field(default_factory=list)
    #: links the guards refused, with the reason
    refused: list[tuple[Link, str]] = field(default_factory=list)

    def members(self, entity_id: str) -> list[str]:
        """The entries of this entry's party (itself alone when it has no other listing)."""
        cluster = self.clusters.get(entity_id)
        if cluster is None:
            return [entity_id]
        return sorted(e for e, c in self.clusters.items() if c == cluster)

    def links_of(self, entity_id: str) -> list[Link]:
        """The links that bind this entry's party, strongest first."""
        members = set(self.members(entity_id))
        return [link for link in self.links if link.entity_a in members]

    def refused_of(self, entity_id: str) -> list[tuple[Link, str]]:
        members = set(self.members(entity_id))
        return [
            (link, why)
            for link, why in self.refused
            if link.entity_a in members or link.entity_b in members
        ]

    def counts(self) -> dict[str, int]:
        """Parties of two or more listings, and the links per rule, for reports."""
        out: dict[str, int] = {"parties": len(set(self.clusters.values()))}
        for link in self.links:
            out[link.rule] = out.get(link.rule, 0) + 1
        out["refused"] = len(self.refused)
        return out


# --- finding candidate links ------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Entry:
    id: str
    list_id: str
    schema: str
    ref: str


def _identifiers(entity: Entity) -> Iterator[tuple[str, str]]:
    for prop in STRONG_IDENTIFIERS:
        for value in entity.get(prop):
            key = normalize_identifier(value)
            if len(key) >= MIN_IDENTIFIER:
                yield key, f"{prop} {value}"


def _is_un_entry(entity: Entity) -> bool:
    """A UN Security Council entry: its own reference is its UN reference."""
    return entity.ref in entity.sanction.get("unscId") and _UN_HOLDER_AUTHORITY in (
        entity.sanction.get("authority")
    )


def _un_refs(entity: Entity) -> Iterator[tuple[str, str, bool]]:
    """UN references of an entry: (key, reference as written, is it the entry's own)."""
    own = _is_un_entry(entity)
    seen: set[str] = set()
    cited = list(entity.sanction.get("unscId"))
    if not own:
        for note in entity.get("notes"):
            cited.extend(un_references(note))
    for ref in cited:
        key = _current_un_reference(ref.upper().replace(" ", ""))
        if key and key not in seen:
            seen.add(key)
            yield key, ref, own and ref == entity.ref


#: the UN's permanent references before the lists were renumbered (QI.A.12.01 is QDi.012):
#: list, the name's initial, the number, the version
_OLD_UN_REFERENCE = re.compile(r"^(QI|QE|TI|TE)\.[A-Z]\.(\d+)\.\d+$")
_NEW_UN_PREFIX = {"QI": "QDI", "QE": "QDE", "TI": "TAI", "TE": "TAE"}


def _current_un_reference(key: str) -> str:
    """A UN reference in its current form, upper case: lists that were last updated before
    the UN renumbered its ISIL/Al-Qaida and Taliban lists (the UK's 2018 file) still cite
    ``QI.A.12.01`` for ``QDi.012`` and ``TI.R.15.01`` for ``TAi.015``. On the real files, 320
    of the 328 old references the UK 2018 list cites name the same person as the UN entry with
    the new number; the others are the same party under another name or a citation of an
    associated entity, which the schema guard keeps apart."""
    match = _OLD_UN_REFERENCE.match(key)
    if match is None:
        return key
    return f"{_NEW_UN_PREFIX[match.group(1)]}.{int(match.group(2)):03d}"


def _strong_name_keys(entity: Entity) -> dict[str, str]:
    """Analysed key -> the name as listed, for the entry's strong names."""
    name_class = name_class_of(entity.schema.name)
    keys: dict[str, str] = {}
    for prop in STRONG_NAMES:
        for value in entity.get(prop):
            analyzed = analyze(value, name_class)
            if analyzed.tokens:
                keys.setdefault(analyzed.key, value)
    return keys


def _full_dates(entity: Entity) -> set[str]:
    return {
        v.value
        for v in entity.properties.get("birthDate", ())
        if _FULL_DATE.match(v.value) and v.qualifier != APPROXIMATE
    }


def _all_dates(entity: Entity) -> tuple[str, ...]:
    """Every date of birth the entry gives, at the precision given, sorted: the set must be
    the same on both entries. An entry with a date it calls approximate gives none here (an
    approximate date is no evidence of identity, as in ``name-birth-country``)."""
    values = entity.properties.get("birthDate", ())
    if any(v.qualifier == APPROXIMATE for v in values):
        return ()
    return tuple(sorted({v.value for v in values}))


#: countries that say most about who a party is come first, so evidence names them
_TELLING = ("nationality", "citizenship", "birthCountry", "jurisdiction")
_COUNTRY_ORDER = (*_TELLING, *(p for p in COUNTRY_PROPERTIES if p not in _TELLING))


def _countries(entity: Entity) -> list[str]:
    """The entry's country codes, each once, the most telling first."""
    found: dict[str, None] = {}
    for prop in _COUNTRY_ORDER:
        for code in entity.get(prop):
            if len(code) == 2:
                found.setdefault(code)
    return list(found)


class _Candidates:
    """Entries filed under keys, per rule; entries sharing a key become candidate links."""

    def __init__(self) -> None:
        self.by_key: dict[tuple[str, str], dict[str, list[tuple[_Entry, str]]]] = defaultdict(
            lambda: defaultdict(list)
        )

    def add(self, rule: str, key: str, entry: _Entry, what: str) -> None:
        self.by_key[(rule, key)][entry.list_id].append((entry, what))

    def links(self) -> tuple[list[Link], list[tuple[Link, str]]]:
        found: dict[tuple[str, str], Link] = {}
        refused: dict[tuple[str, str], tuple[Link, str]] = {}
        for (rule, key), by_list in self.by_key.items():
            if len(by_list) < 2:
                continue
            lists = sorted(by_list)
            for i, list_a in enumerate(lists):
                for list_b in lists[i + 1 :]:
                    group_a, group_b = _distinct(by_list[list_a]), _distinct(by_list[list_b])
                    for entry_a, what_a in group_a:
                        for entry_b, what_b in group_b:
                            if not compatible(entry_a.schema, entry_b.schema):
                                continue
                            link = _link(rule, entry_a, what_a, entry_b, what_b)
                            pair = (link.entity_a, link.entity_b)
                            if len(group_a) > 1 or len(group_b) > 1:
                                crowded = group_a if len(group_a) > 1 else group_b
                                names = ", ".join(e.id for e, _ in crowded)
                                refused.setdefault(
                                    pair, (link, f"ambiguous: {key} is on {names} of one list")
                                )
                            elif pair not in found or _RANK[rule] < _RANK[found[pair].rule]:
                                found[pair] = link
        return list(found.values()), [r for p, r in refused.items() if p not in found]


def _distinct(entries: list[tuple[_Entry, str]]) -> list[tuple[_Entry, str]]:
    seen: dict[str, tuple[_Entry, str]] = {}
    for entry, what in entries:
        seen.setdefault(entry.id, (entry, what))
    return list(seen.values())


def _link(rule: str, a: _Entry, what_a: str, b: _Entry, what_b: str) -> Link:
    if b.id < a.id:
        a, what_a, b, what_b = b, what_b, a, what_a
    if rule == RULE_UN_REFERENCE:
        evidence = _un_evidence(a, what_a, b, what_b)
    else:
        evidence = f"{what_a} on both"
    return Link(a.id, b.id, rule, evidence)


def _un_evidence(a: _Entry, what_a: str, b: _Entry, what_b: str) -> str:
    ref = what_a.split(" ", 1)[1]
    own_a, own_b = what_a.startswith("own"), what_b.startswith("own")
    if own_a and own_b:
        return f"both are UN {ref}"
    if own_a:
        return f"{b.list_id} entry {b.ref} cites UN {ref}"
    if own_b:
        return f"{a.list_id} entry {a.ref} cites UN {ref}"
    return f"both cite UN {ref}"


def find_links(entities: Iterable[Entity]) -> tuple[list[Link], list[tuple[Link, str]]]:
    """Candidate links between entries of different lists, by the automatic rules, and the
    links refused as ambiguous (a key two entries of one list share)."""
    candidates = _Candidates()
    for entity in entities:
        entry = _Entry(entity.id, entity.list_id, entity.schema.name, entity.ref)
        family = _FAMILY.get(entry.schema, entry.schema)
        for key, what in _identifiers(entity):
            candidates.add(RULE_IDENTIFIER, key, entry, what)
        for key, ref, own in _un_refs(entity):
            candidates.add(RULE_UN_REFERENCE, key, entry, f"{'own' if own else 'cites'} {ref}")
        if family in ("vessel", "airplane"):
            continue
        names = _strong_name_keys(entity)
        dates = _all_dates(entity)
        if family == "person" and dates:
            # lists that give no country (OFAC's 2021 entries often do not) still give the
            # same name and the very same dates of birth for one person
            for key, name in names.items():
                if " " in key:
                    what = f"name {name!r}, born {' / '.join(dates)}"
                    candidates.add(RULE_NAME_DATES, f"{key}|{'/'.join(dates)}", entry, what)
        countries = _countries(entity)
        if not countries:
            continue
        if family == "person":
            for day in sorted(_full_dates(entity)):
                for key, name in names.items():
                    for country in countries:
                        what = f"name {name!r}, born {day}, country {country}"
                        candidates.add(RULE_NAME_BIRTH, f"{key}|{day}|{country}", entry, what)
        elif family in ("organization", "legal"):
            for key, name in names.items():
                for country in countries:
                    what = f"name {name!r}, country {country}"
                    candidates.add(RULE_NAME_COUNTRY, f"{key}|{country}", entry, what)
    return candidates.links()


# --- clusters ---------------------------------------------------------------------------------


def resolve(entities: Sequence[Entity], judgements: Sequence[Judgement] = ()) -> Resolution:
    """Cluster ``entities`` by the analysts' judgements and the automatic rules (see the module
    documentation for the order and the guards)."""
    by_id = {e.id: e for e in entities}
    found, refused = find_links(entities)
    latest: dict[frozenset[str], Judgement] = {}
    for judgement in sorted(judgements, key=lambda j: (j.created_at, j.link_id)):
        if judgement.entity_a in by_id and judgement.entity_b in by_id:
            latest[judgement.pair] = judgement
    splits = {pair: j for pair, j in latest.items() if j.kind == SPLIT}
    merges = sorted(
        (j for j in latest.values() if j.kind == MERGE), key=lambda j: (j.created_at, j.link_id)
    )
    ordered = [
        Link(
            min(j.entity_a, j.entity_b),
            max(j.entity_a, j.entity_b),
            RULE_ANALYST,
            f"merged by {j.analyst}: {j.reason}",
        )
        for j in merges
    ]
    ordered += sorted(found, key=lambda link: (_RANK[link.rule], link.entity_a, link.entity_b))

    parent: dict[str, str] = {}
    members: dict[str, list[str]] = {}

    def find(x: str) -> str:
        parent.setdefault(x, x)
        members.setdefault(x, [x])
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    out = Resolution(refused=list(refused))
    for link in ordered:
        root_a, root_b = find(link.entity_a), find(link.entity_b)
        if root_a == root_b:
            out.links.append(link)
            continue
        why = _blocked(link, members[root_a], members[root_b], by_id, splits)
        if why:
            out.refused.append((link, why))
            continue
        if root_b < root_a:
            root_a, root_b = root_b, root_a
        parent[root_b] = root_a
        members[root_a].extend(members.pop(root_b))
        out.links.append(link)
    for group in members.values():
        if len(group) > 1:
            cluster = min(group)
            for entity_id in group:
                out.clusters[entity_id] = cluster
    return out


def _blocked(
    link: Link,
    side_a: list[str],
    side_b: list[str],
    by_id: dict[str, Entity],
    splits: dict[frozenset[str], Judgement],
) -> str | None:
    """Why joining these two clusters is refused, or None."""
    for x in side_a:
        for y in side_b:
            split = splits.get(frozenset((x, y)))
            if split is not None:
                return f"{x} and {y} were split by {split.analyst}: {split.reason}"
    if link.rule == RULE_ANALYST:
        return None
    lists_a = {by_id[x].list_id: x for x in side_a}
    for y in side_b:
        other = lists_a.get(by_id[y].list_id)
        if other is not None:
            return f"would put two entries of {by_id[y].list_id} in one party ({other}, {y})"
    return None


# --- the workspace ----------------------------------------------------------------------------


def _basis(conn: duckdb.DuckDBPyConnection) -> str:
    """What a stored resolution depends on: the active editions and the judgements."""
    editions = sorted(e.edition_id for e in active_editions(conn).values())
    links = [r[0] for r in conn.execute("SELECT link_id FROM entity_links ORDER BY 1").fetchall()]
    blob = "\n".join(editions) + "\n--\n" + "\n".join(links)
    return hashlib.sha1(blob.encode()).hexdigest()


def judgements(conn: duckdb.DuckDBPyConnection) -> list[Judgement]:
    """Every analyst merge and split, oldest first."""
    rows = conn.execute(
        "SELECT link_id, kind, entity_a, entity_b, analyst, actor, reason, created_at "
        "FROM entity_links ORDER BY created_at, link_id"
    ).fetchall()
    return [
        Judgement(str(a), str(b), str(c), str(d), str(e), str(f), str(g), h)
        for a, b, c, d, e, f, g, h in rows
    ]


def refresh(conn: duckdb.DuckDBPyConnection) -> Resolution:
    """Resolve the active editions and store the result (a writing connection); the stored
    one when it is current already."""
    found = stored(conn)
    if found is not None:
        return found
    _, entities = active_entities(conn)
    resolution = resolve(entities, judgements(conn))
    basis = _basis(conn)
    with transaction(conn, "storing the resolved parties"):
        conn.execute("DELETE FROM entity_clusters")
        conn.execute("DELETE FROM entity_matches")
        conn.execute("DELETE FROM entity_resolution")
        if resolution.clusters:
            conn.executemany(
                "INSERT INTO entity_clusters VALUES (?, ?)", list(resolution.clusters.items())
            )
        rows = [(*_row(link), "linked") for link in resolution.links]
        rows += [(*_row(link), why) for link, why in resolution.refused]
        if rows:
            conn.executemany("INSERT INTO entity_matches VALUES (?, ?, ?, ?, ?)", rows)
        conn.execute(
            "INSERT INTO entity_resolution VALUES (?, ?)",
            [basis, datetime.now(UTC).replace(tzinfo=None)],
        )
    return resolution


def _row(link: Link) -> tuple[str, str, str, str]:
    return (link.entity_a, link.entity_b, link.rule, link.evidence)


def stored(conn: duckdb.DuckDBPyConnection) -> Resolution | None:
    """The stored resolution if it is that of the current editions and judgements, else None."""
    row = conn.execute("SELECT basis FROM entity_resolution").fetchone()
    if row is None or row[0] != _basis(conn):
        return None
    resolution = Resolution(
        clusters=dict(conn.execute("SELECT entity_id, cluster_id FROM entity_clusters").fetchall())
    )
    for a, b, rule, evidence, outcome in conn.execute(
        "SELECT entity_a, entity_b, rule, evidence, outcome FROM entity_matches"
    ).fetchall():
        link = Link(a, b, rule, evidence)
        if outcome == "linked":
            resolution.links.append(link)
        else:
            resolution.refused.append((link, outcome))
    resolution.links.sort(key=lambda x: (_RANK.get(x.rule, 9), x.entity_a, x.entity_b))
    return resolution


def stored_clusters(conn: duckdb.DuckDBPyConnection) -> dict[str, str] | None:
    """Only the cluster mapping of :func:`stored` (what a screener needs), or None if stale."""
    row = conn.execute("SELECT basis FROM entity_resolution").fetchone()
    if row is None or row[0] != _basis(conn):
        return None
    return dict(conn.execute("SELECT entity_id, cluster_id FROM entity_clusters").fetchall())


def current(conn: duckdb.DuckDBPyConnection) -> Resolution:
    """The resolution of the active editions: the stored one, else computed (not stored)."""
    found = stored(conn)
    if found is not None:
        return found
    _, entities = active_entities(conn)
    return resolve(entities, judgements(conn))


def clusters_for(conn: duckdb.DuckDBPyConnection, entities: Sequence[Entity]) -> dict[str, str]:
    """The cluster mapping for a screener over ``entities`` (the active editions or some of
    them): the stored one when current, else resolved from ``entities`` now."""
    mapping = stored_clusters(conn)
    if mapping is None:
        mapping = resolve(entities, judgements(conn)).clusters
    return mapping


def apply_clusters(screener: Screener, workspace: Workspace) -> str | None:
    """Give a screener built over the workspace's active editions (or some of them) its
    parties; returns the basis applied (None for an empty workspace).

    The stored resolution is used when it is current (one query). When it is not (lists
    imported by a program that did not resolve them, a workspace from before resolution), the
    screener's entries are resolved for it alone, never written: screening and the service only
    read the database. The ``lists`` commands that change editions store it again.
    """
    if not workspace.exists:
        return None
    with workspace.connect(read_only=True) as conn:
        mapping = stored_clusters(conn)
        basis = _basis(conn)
        links = judgements(conn) if mapping is None else []
    if mapping is None:
        log.info(
            "the parties across lists of %s are not stored for its active editions; resolving "
            "them now (counterflow lists import, pin or unpin stores them)",
            workspace.home,
        )
        mapping = resolve(list(screener.entries()), links).clusters
    screener.set_clusters(mapping)
    return basis


def workspace_basis(workspace: Workspace) -> str | None:
    """The basis the workspace's parties are resolved on now (see :func:`apply_clusters`): a
    service compares it with the one it applied to notice a merge, a split or a new edition."""
    if not workspace.exists:
        return None
    with workspace.connect(read_only=True) as conn:
        return _basis(conn)


def _entry(conn: duckdb.DuckDBPyConnection, key: str) -> Entity:
    found = find_entities(conn, key)
    if not found:
        raise NotFoundError(f"no list entry {key!r} in the active editions")
    if len(found) > 1:
        ids = ", ".join(e.id for _, e in found)
        raise NotFoundError(f"{key!r} names {len(found)} entries: give the full id ({ids})")
    return found[0][1]


def judge(
    conn: duckdb.DuckDBPyConnection,
    kind: str,
    a: str,
    b: str,
    *,
    analyst: str,
    actor: str,
    reason: str,
) -> tuple[Judgement, Resolution]:
    """Record an analyst's merge or split of entries ``a`` and ``b`` (ids or ``LIST:REF``) and
    store the new resolution. A merge that a split in force would undo is refused, naming it."""
    if kind not in (MERGE, SPLIT):
        raise ConfigError(f"unknown judgement {kind!r} (merge or split)")
    reason = reason.strip()
    if not reason or len(reason) > MAX_REASON:
        raise ConfigError(f"a {kind} needs a reason (1-{MAX_REASON} characters)")
    entity_a, entity_b = _entry(conn, a), _entry(conn, b)
    if entity_a.id == entity_b.id:
        raise ConfigError(f"{a!r} and {b!r} are the same entry ({entity_a.id})")
    judgement = Judgement(
        f"L-{secrets.token_hex(6)}",
        kind,
        entity_a.id,
        entity_b.id,
        analyst,
        actor,
        reason,
        datetime.now(UTC).replace(tzinfo=None),
    )
    _, entities = active_entities(conn)
    trial = resolve(entities, [*judgements(conn), judgement])
    if kind == MERGE and trial.clusters.get(entity_a.id) != trial.clusters.get(entity_b.id):
        why = next(
            (w for link, w in trial.refused if link.rule == RULE_ANALYST),
            "a split in force keeps them apart",
        )
        raise ConfigError(
            f"cannot merge {entity_a.id} and {entity_b.id}: {why} "
            "(merge that pair to lift the split first)"
        )
    with transaction(conn, f"recording the {kind} of {entity_a.id} and {entity_b.id}"):
        conn.execute(
            "INSERT INTO entity_links VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            [
                judgement.link_id,
                kind,
                judgement.entity_a,
                judgement.entity_b,
                analyst,
                actor,
                reason,
                judgement.created_at,
            ],
        )
    return judgement, refresh(conn)


__all__ = [
    "RULES",
    "Judgement",
    "Link",
    "Resolution",
    "apply_clusters",
    "clusters_for",
    "compatible",
    "current",
    "find_links",
    "judge",
    "judgements",
    "refresh",
    "resolve",
    "stored",
    "stored_clusters",
    "workspace_basis",
]
