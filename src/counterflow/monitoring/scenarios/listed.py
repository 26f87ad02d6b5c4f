"""Listed counterparty: every party name on the transactions screened against the lists, with
everything the transaction record says about the party.

The names come from the customer records (``parties.name``) and from the messages themselves
(``payer_name``, ``beneficiary_name``, as given), because a front may appear under a spelling
the bank's records do not hold. Each distinct name is screened once, bare; the few that come
close are screened again party by party with the party's facts, and a party whose best hit
scores at or above ``threshold`` gets one alert naming the list entry, over all its
transactions.

With four large lists loaded (UN, OFAC, UK, EU) a name alone raises many namesakes: customers
whose common names match list aliases. So each hit weighs what the record holds, each rule a
reason (see docs/monitoring.md):

- *kind*: a company is not a person and a person not a vessel: the party's kind narrows the
  list entries its name can match (the screener's schema rule);
- *date of birth* (people, ``parties.born``): the screener's date rules; a listing that gives
  none borrows the dates the other lists give for the same party (entity resolution: one party
  across lists, :meth:`Screener.party`);
- *countries*: the party's country and the countries it banks in (its accounts, the message
  countries) agree with the entry's (a small gain); a company registered and banking only
  elsewhere than every country its listed namesake is tied to is less likely the same
  company (:data:`ORGANISATION_COUNTRY_CONFLICT`);
- *common names*: a name another of the dataset's parties carries too, or would carry by
  chance, identifies no one by itself; without a full date of birth or an identifier that
  agrees, such a hit falls below the threshold (:data:`COMMON_NAME`);
- *weak aliases* count less (the screener's rule: near-exact only, at 0.9).

Each alert then says whether the hit is *confirmed*: its score reaches ``confirmed_score`` on
the whole listed name (``confirmed: score``), or an analyst escalated this party's hit on the entry
(``confirmed: analyst decision d-…``); else ``unconfirmed``. An analyst's clearing of the hit
suppresses it. Exposure (``listed-counterparty-exposure``) and ``counterflow trace`` build on
confirmed hits only.

This scenario runs in Python (``engine = "python"``): the name matcher is not a query. On
DuckDB the distinct names come to this process and are screened by forked workers; on Spark
they are screened on the executors, the index broadcast to them once
(:class:`~counterflow.screening.spark_batch.SharedScreener`), and only the names that come
close, with the words of theirs that commonness asks about, come back to the driver. Both
give the same alerts.
"""

from __future__ import annotations

import math
import multiprocessing
import os
import re
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import duckdb
import ibis
import pyarrow as pa

from counterflow.cases.decisions import (
    DECISIONS_FILENAME,
    Decision,
    DecisionStore,
    Status,
    party_fingerprint,
)
from counterflow.engines import DatasetTables
from counterflow.errors import DataError
from counterflow.lists.store import active_entities
from counterflow.model import Entity
from counterflow.model.schema import COUNTRY_PROPERTIES
from counterflow.monitoring.scenario import Param, Scenario, ScenarioSkipped
from counterflow.screening import Query, Screener
from counterflow.screening.evidence import DATE_SAME_DAY, Evidence
from counterflow.screening.names import Kind, analyze, name_class_of
from counterflow.screening.screener import Match, _name_forms
from counterflow.screening.tables import legal_forms, longest_legal_form
from counterflow.workspace import Workspace

if TYPE_CHECKING:
    from counterflow.screening.spark_batch import SharedScreener


class _RunWorkspace(Workspace):
    """The workspace, read through the monitoring run's own (writing) connection: DuckDB refuses
    a second connection of another kind to the same file in one process, and the run holds one
    until its alerts are stored."""

    def __init__(self, home: Path, connection: duckdb.DuckDBPyConnection) -> None:
        super().__init__(home)
        self._connection = connection

    @contextmanager
    def connect(self, *, read_only: bool = False) -> Iterator[duckdb.DuckDBPyConnection]:
        yield self._connection  # borrowed: the run closes it


def _home(connection: duckdb.DuckDBPyConnection) -> Path | None:
    """The workspace folder of the run's database (None for an in-memory one)."""
    rows = connection.execute(  # fetched whole: the connection is free for the next query
        "SELECT path FROM duckdb_databases() WHERE database_name = current_database()"
    ).fetchall()
    return Path(rows[0][0]).parent if rows and rows[0][0] else None


def _screener(connection: duckdb.DuckDBPyConnection) -> Screener:
    """The workspace's screener, from its persisted index when that is current (see
    :meth:`Screener.from_workspace`), read through the run's connection, with its parties
    across lists."""
    home = _home(connection)
    if home is None:  # an in-memory database: no folder to keep an index in
        editions, entities = active_entities(connection)
        return Screener(entities, editions={k: e.label for k, e in editions.items()})
    return Screener.from_workspace(_RunWorkspace(home, connection))


def _names(t: DatasetTables) -> ibis.Table:
    """Distinct (party, name), with what the party's record says of kind, birth and country."""
    tx = t.transactions
    sides = [
        tx.select(party=tx.payer_party, name=tx.payer_name),
        tx.select(party=tx.beneficiary_party, name=tx.beneficiary_name),
        # party_id is NOT NULL in storage: cast so the three sides share one schema
        t.parties.select(party=t.parties.party_id.cast("string"), name=t.parties.name),
    ]
    names = sides[0].union(sides[1]).union(sides[2])
    names = names.filter([names.party.notnull(), names.name.notnull()]).distinct()
    record = t.parties.select(
        party=t.parties.party_id.cast("string"),
        kind=t.parties.kind,
        born=t.parties.born.cast("string"),
        country=t.parties.country,
    )
    return names.left_join(record, "party").select("party", "name", "kind", "born", "country")


def _bank_countries(t: DatasetTables, parties: Iterable[str]) -> dict[str, set[str]]:
    """The countries each party banks in: its accounts' and those its payments name for it
    (``payer_country`` / ``beneficiary_country``)."""
    wanted = ibis.memtable(pa.table({"party": pa.array(sorted(set(parties)), pa.string())}))
    a, tx = t.accounts, t.transactions
    sides = [
        a.select(party=a.party_id.cast("string"), country=a.country),
        tx.select(party=tx.payer_party, country=tx.payer_country),
        tx.select(party=tx.beneficiary_party, country=tx.beneficiary_country),
    ]
    both = sides[0].union(sides[1]).union(sides[2])
    both = both.filter(both.country.notnull()).semi_join(wanted, "party").distinct()
    found: dict[str, set[str]] = {}
    for row in t.execute(both).to_pylist():
        found.setdefault(row["party"], set()).add(str(row["country"]))
    return found


#: FtM schema a party of each kind can be listed as (a bank is an organisation)
SCHEMA_OF_KIND = {
    "person": "Person",
    "company": "Organization",
    "npo": "Organization",
    "bank": "Organization",
}
_ORGANISATION_KINDS = frozenset({"company", "npo", "bank"})
_ORGANISATION_SCHEMATA = frozenset({"Organization", "Company", "LegalEntity"})

#: how far under the threshold a bare name may score and still be screened with evidence
EVIDENCE_MARGIN = 0.1
#: a name is common when another party is more likely than not to carry it by chance: the
#: expected number of other carriers (from how often each of its words occurs) reaches ln 2,
#: where a Poisson count is at least one with probability 1/2
COMMON_EXPECTED = math.log(2)
#: A name other parties of the dataset carry too ("Mohammed Jaber" at a bank in Amman,
#: "Orient Trading" among importers), or would carry by chance, identifies no one by itself; a
#: large list holds someone of that name by chance. Without a full date of birth or an
#: identifier that agrees, even a perfect name match must fall below the default threshold
#: (1.0 - 0.25 < 0.8), so the hit is seen only when more than the name agrees.
COMMON_NAME = -0.25
#: A registered company's country is part of who it is: a company registered and banking only
#: in countries none of which its listed namesake (an entry whose name carries a legal form:
#: LLC, Ltd, S.A.S.) is tied to is less likely the same company. Branches abroad exist, so this
#: lowers a score and never excludes: a near-exact name stays over the threshold (0.95 - 0.1 >
#: 0.8). It does not apply to groups (Tehrik-e Taliban, a network): they work across borders
#: and their fronts abroad are the point. People move and hold several nationalities: for them
#: a country only agrees (the screener's small gain), it never counts against.
ORGANISATION_COUNTRY_CONFLICT = -0.1
#: Default least score for a hit to count as confirmed without an analyst: halfway from the
#: alert threshold (0.8) to a perfect match, which a spelling variant of a rare name reaches
#: and a common name (0.25 lower) does not. A hit on part of the listed name ("Hamza
#: al-Zubaidi" for "Muhammad Hamza Zubaidi") is never confirmed by its score: two names of
#: three are what a namesake shares.
CONFIRMED_SCORE = 0.9


@dataclass(frozen=True)
class PartyFacts:
    """What the transaction record says of one of a party's names."""

    party: str
    name: str
    kind: str | None = None
    born: str | None = None
    #: the record's country first, then the countries the party banks in
    countries: tuple[str, ...] = ()


def party_query(facts: PartyFacts) -> Query:
    """The query the scenario screens for a party's name: kind, date of birth (people) and
    countries with it. An analyst's decision on this query and a list entry (cleared, or
    escalated into a case) is what the scenario honours for the party. Raises
    :class:`DataError` for a name that is no name."""
    return Query.make(
        facts.name,
        schema=SCHEMA_OF_KIND.get(facts.kind or ""),
        birth_date=facts.born if facts.kind == "person" else None,
        country=list(facts.countries),
    )


class _Commonness:
    """Which of the dataset's parties carry each name word (its phonetic form, so spellings
    that match alike count alike)."""

    def __init__(self, rows: Iterable[Mapping[str, Any]]) -> None:
        self._carriers: dict[str, set[str]] = {}
        parties: set[str] = set()
        for row in rows:
            parties.add(row["party"])
            schema = SCHEMA_OF_KIND.get(row["kind"] or "")
            for token in analyze(row["name"], name_class_of(schema)).tokens:
                self._carriers.setdefault(token.phon, set()).add(row["party"])
        self.parties = len(parties)

    @classmethod
    def of_carriers(cls, carriers: dict[str, set[str]], parties: int) -> _Commonness:
        """Made from the carriers of the words it will be asked about (counted elsewhere:
        on Spark's executors) and the number of the dataset's parties."""
        made = cls(())
        made._carriers = carriers
        made.parties = parties
        return made

    def why_common(self, party: str, name: str, schema: str | None) -> str | None:
        """Why ``party``'s name is common in the dataset, or None when it is distinctive.

        Common: it has no distinctive word (generic words alone, "Global Trading"); or
        another party carries every distinctive word of it; or one is more likely than not
        to by chance (:data:`COMMON_EXPECTED`)."""
        tokens = analyze(name, name_class_of(schema)).tokens
        words = sorted({t.phon for t in tokens if t.kind in (Kind.NAME, Kind.NUMBER)})
        if not words:
            return "generic words only"
        carriers = [self._carriers.get(w, set()) for w in words]
        others = set.intersection(*carriers) - {party}
        if others:
            return f"{len(others):,} other parties of the dataset carry it"
        expected = float(self.parties)
        for carrying in carriers:
            expected *= len(carrying - {party}) / max(1, self.parties)
        if expected >= COMMON_EXPECTED:
            return f"its words are common: {expected:.1f} other parties expected to carry it"
        return None


@dataclass
class _Hit:
    facts: PartyFacts
    match: Match
    score: float
    evidence: list[str] = field(default_factory=list)
    confirmed: str = "unconfirmed"


class _Decisions:
    """The analysts' live decisions (cleared or escalated) by (query fingerprint, entry)."""

    def __init__(self, home: Path | None) -> None:
        self._by_hit: dict[tuple[str, str], Decision] = {}
        if home is None or not (home / DECISIONS_FILENAME).exists():
            return
        for decision in DecisionStore(home).all():  # in file order: the latest wins
            if decision.status is Status.REVOKED:
                continue
            for entity_id in decision.entity_ids:
                self._by_hit[(decision.query_fingerprint, entity_id)] = decision

    def on(self, query: Query, members: tuple[Entity, ...]) -> tuple[Decision, bool] | None:
        """The latest decision on this query and any listing of the party, and whether it
        still holds (the listings are as they were when it was made)."""
        fingerprint = query.fingerprint()
        found = [d for d in (self._by_hit.get((fingerprint, m.id)) for m in members) if d]
        if not found:
            return None
        decision = max(found, key=lambda d: d.time)
        if decision.listings:
            holds = decision.party_fingerprint == party_fingerprint(members)
        else:
            entity = next((m for m in members if m.id == decision.entity_id), None)
            holds = entity is not None and entity.fingerprint() == decision.entity_fingerprint
        return decision, holds


def _describe(e: Evidence) -> str:
    return (
        f"{e.feature} {e.verdict} {e.adjustment:+.2f} "
        f"({', '.join(e.query)} vs {', '.join(e.listed)})"
    )


_WORD = re.compile(r"[^\W_]+")


def _registered(entity: Entity) -> bool:
    """Whether one of the entry's names carries a legal form (LLC, Ltd, S.A.S., GmbH): a
    registered company rather than a group."""
    forms, longest = legal_forms(), longest_legal_form()
    for value in entity.get("name"):
        words = _WORD.findall(value.lower().replace(".", ""))
        for i in range(len(words)):
            for size in range(1, min(longest, len(words) - i) + 1):
                if tuple(words[i : i + size]) in forms:
                    return True
    return False


def _entity_countries(members: Iterable[Entity]) -> set[str]:
    return {c.lower() for m in members for p in COUNTRY_PROPERTIES for c in m.get(p) if len(c) == 2}


def _assess(
    screener: Screener,
    facts: PartyFacts,
    match: Match,
    query: Query,
    common: _Commonness | None,
) -> _Hit:
    """The hit's score with the evidence beyond what the screener weighed (see the module
    docstring); each rule that moved it is named in ``evidence``."""
    hit = _Hit(facts, match, match.score, [_describe(e) for e in match.evidence])
    if common is None:
        return hit
    members = screener.party(match.entity.id) or (match.entity,)
    evidence = list(match.evidence)
    if (
        query.birth_dates
        and len(members) > 1
        and not any(e.feature == "birthDate" for e in evidence)
    ):
        # the matched listing gives no date of birth: the party's other listings may
        others = [m.id for m in members[1:]]
        dates = [
            e
            for m in screener.score_entries(query, others, threshold=0.01)
            for e in m.evidence
            if e.feature == "birthDate"
        ]
        if dates:
            borrowed = max(dates, key=lambda e: e.adjustment)  # lists differ: the kindest
            evidence.append(borrowed)
            hit.score += borrowed.adjustment
            hit.evidence.append(_describe(borrowed) + " from another listing of the party")
    # a common name is corroborated by a full date of birth or an identifier that agree; a year
    # is shared by too many of the people who carry it (and lists often give several)
    corroborated = any(
        e.feature == "identifier" or (e.feature == "birthDate" and e.adjustment >= DATE_SAME_DAY)
        for e in evidence
        if e.verdict == "match"
    )
    why = common.why_common(facts.party, match.query_name, query.schema)
    if why is not None and not corroborated:
        hit.score += COMMON_NAME
        hit.evidence.append(f"common name {COMMON_NAME:+.2f} ({why})")
    listed_countries = _entity_countries(members)
    own = {c.lower() for c in facts.countries}
    if (
        facts.kind in _ORGANISATION_KINDS
        and match.entity.schema.name in _ORGANISATION_SCHEMATA
        and _registered(match.entity)
        and own
        and listed_countries
        and not own & listed_countries
    ):
        hit.score += ORGANISATION_COUNTRY_CONFLICT
        hit.evidence.append(
            f"company country conflict {ORGANISATION_COUNTRY_CONFLICT:+.2f} "
            f"({', '.join(sorted(own))} vs {', '.join(sorted(listed_countries))})"
        )
    hit.score = round(max(0.0, min(1.0, hit.score)), 4)
    return hit


def _logic(t: DatasetTables, p: Mapping[str, Any]) -> pa.Table:
    screener = _screener(t.store)
    if not len(screener):
        raise ScenarioSkipped(
            "no lists to screen against: import one first ('counterflow lists import PATH')"
        )
    threshold = float(p["threshold"])
    confirmed_at = float(p["confirmed_score"])
    use_evidence = bool(p["use_evidence"])
    lists = list(p["lists"]) or None
    # Most names hit nothing: screen each distinct name once, bare and a little below the
    # threshold (evidence can lift a score by a few hundredths), and only the names that come
    # close again, party by party, with what each party's record says.
    common: _Commonness | None
    if t.engine.name == "spark":
        # on the executors, the index broadcast: only the close names come here
        candidates, common = _candidates_on_engine(t, screener, threshold, lists, use_evidence)
    else:
        rows = t.execute(_names(t)).to_pylist()
        close = _close_names(screener, {r["name"] for r in rows}, threshold, lists)
        candidates = [r for r in rows if r["name"] in close]
        common = _Commonness(rows) if use_evidence else None
    # in one order whatever the engine gave: of a party's names scoring alike, the first wins
    candidates.sort(key=_row_order)
    banks = _bank_countries(t, {r["party"] for r in candidates}) if use_evidence else {}
    decisions = _Decisions(_home(t.store))
    best: dict[str, _Hit] = {}
    for row in candidates:
        countries = [row["country"]] if row["country"] else []
        countries += sorted(banks.get(row["party"], set()) - set(countries))
        facts = PartyFacts(row["party"], row["name"], row["kind"], row["born"], tuple(countries))
        try:
            query = party_query(facts)
        except DataError:
            continue  # a name that is no name (empty after cleaning, too long)
        for match in screener.screen(query, limit=5, threshold=threshold, lists=lists):
            hit = _assess(screener, facts, match, query, common)
            members = screener.party(match.entity.id) or (match.entity,)
            decided = decisions.on(query, members)
            if decided is not None and not decided[1]:
                hit.evidence.append(
                    f"analyst decision {decided[0].decision_id} ({decided[0].status}) no longer "
                    "holds: the entry changed since"
                )
            elif decided is not None and decided[0].status is Status.CLEARED:
                continue  # an analyst cleared this hit: a namesake
            elif decided is not None:
                hit.confirmed = f"confirmed: analyst decision {decided[0].decision_id}"
            if hit.score < threshold and not hit.confirmed.startswith("confirmed"):
                continue
            partial = match.comparison.unmatched_list
            if hit.confirmed == "unconfirmed" and hit.score >= confirmed_at and partial:
                hit.evidence.append(
                    f"partial name, not confirmed by its score (listed words unmatched: "
                    f"{' '.join(partial)})"
                )
            elif hit.confirmed == "unconfirmed" and hit.score >= confirmed_at:
                hit.confirmed = f"confirmed: score {hit.score:.2f}"
            held = best.get(row["party"])
            if held is None or _rank(hit) > _rank(held):
                best[row["party"]] = hit
    if not best:
        return _empty()
    return _table(t, best)


def _rank(hit: _Hit) -> tuple[bool, float]:
    """A confirmed hit before an unconfirmed one, then the higher score."""
    return hit.confirmed.startswith("confirmed"), hit.score


#: below this many distinct names, screening them in one process is quicker than forking
PARALLEL_NAMES = 5_000
#: what the forked workers screen with (set just before the fork, read in the children)
_FORKED: tuple[Screener, float, list[str] | None] | None = None


def _close_names(
    screener: Screener, names: set[str], threshold: float, lists: list[str] | None
) -> set[str]:
    """The names that come close to an entry. On a large dataset the names are split among
    one forked process per core: the screener is pure Python and a large book holds a
    hundred thousand distinct names. The children inherit the screener by fork (no copy, no
    pickling of the index) and touch nothing else; elsewhere (no fork, one core, few names)
    it runs in this process."""
    global _FORKED
    ordered = sorted(names)
    workers = min(os.cpu_count() or 1, 8)
    methods = multiprocessing.get_all_start_methods()
    if workers < 2 or len(ordered) < PARALLEL_NAMES or "fork" not in methods:
        return {n for n in ordered if _close(screener, n, threshold, lists)}
    _FORKED = (screener, threshold, lists)
    try:
        with multiprocessing.get_context("fork").Pool(workers) as pool:
            flags = pool.map(
                _forked_close, ordered, chunksize=max(1, len(ordered) // (workers * 8))
            )
    finally:
        _FORKED = None
    return {n for n, close in zip(ordered, flags, strict=True) if close}


def _forked_close(name: str) -> bool:
    assert _FORKED is not None, "set before the fork"
    screener, threshold, lists = _FORKED
    return _close(screener, name, threshold, lists)


def _row_order(row: Mapping[str, Any]) -> tuple[str, ...]:
    return tuple(str(row[k] or "") for k in ("party", "name", "kind", "born", "country"))


_CLOSE_SCHEMA = pa.schema([("name", pa.string())])
_WORD_SCHEMA = pa.schema([("phon", pa.string()), ("party", pa.string())])


def _candidates_on_engine(
    t: DatasetTables,
    screener: Screener,
    threshold: float,
    lists: list[str] | None,
    use_evidence: bool,
) -> tuple[list[dict[str, Any]], _Commonness | None]:
    """The (party, name) rows whose name comes close, screened where the names are
    (:meth:`Engine.map_batches`, the index broadcast once), and how common their words are
    among the dataset's parties; only those rows and words come to the driver."""
    from counterflow.screening.spark_batch import SharedScreener

    names = t.cached(("listed-counterparty", "names"), lambda: _names(t))
    shared = (SharedScreener.of(screener), threshold, lists)
    close_names = t.engine.map_batches(
        names.select("name").distinct(), _close_batches, _CLOSE_SCHEMA, "cf_close", shared
    )
    close = sorted({r["name"] for r in t.execute(close_names).to_pylist()})
    if not close:
        return [], None
    wanted = t.ids(pa.table({"name": pa.array(close, pa.string())}), "cf_close_names")
    candidates = t.execute(names.semi_join(wanted, "name")).to_pylist()
    if not use_evidence:
        return candidates, None
    words = t.ids(pa.table({"phon": pa.array(sorted(_words(candidates)), pa.string())}))
    carried = t.engine.map_batches(
        names.select("party", "name", "kind"), _word_batches, _WORD_SCHEMA, "cf_words"
    )
    carriers: dict[str, set[str]] = {}
    for row in t.execute(carried.semi_join(words, "phon").distinct()).to_pylist():
        carriers.setdefault(row["phon"], set()).add(row["party"])
    counted = t.execute(names.aggregate(parties=names.party.nunique())).to_pylist()
    return candidates, _Commonness.of_carriers(carriers, int(counted[0]["parties"] or 0))


def _words(rows: Iterable[Mapping[str, Any]]) -> set[str]:
    """Every word (phonetic form) that the commonness of these rows' names can ask about:
    those of each name as recorded and as its query screens it."""
    found: set[str] = set()
    for row in rows:
        schema = SCHEMA_OF_KIND.get(row["kind"] or "")
        forms = [row["name"]]
        with suppress(DataError):  # a name that is no name is screened as nothing
            forms += party_query(PartyFacts(row["party"], row["name"], row["kind"])).names
        for form in _name_forms(forms):
            found.update(t.phon for t in analyze(form, name_class_of(schema)).tokens)
    return found


def _close_batches(
    batches: Iterator[pa.RecordBatch], shared: tuple[SharedScreener, float, list[str] | None]
) -> Iterator[pa.RecordBatch]:
    """The names of ``batches`` that come close to an entry (on an executor)."""
    index, threshold, lists = shared
    screener = index.screener()
    for batch in batches:
        close = [
            n
            for n in batch.column("name").to_pylist()
            if n is not None and _close(screener, n, threshold, lists)
        ]
        yield pa.record_batch([pa.array(close, pa.string())], schema=_CLOSE_SCHEMA)


def _word_batches(batches: Iterator[pa.RecordBatch], shared: Any) -> Iterator[pa.RecordBatch]:
    """(word, party) for each word of each party's name, as :class:`_Commonness` counts
    them (on an executor)."""
    for batch in batches:
        pairs: set[tuple[str, str]] = set()
        for row in batch.to_pylist():
            if row["party"] is None or row["name"] is None:
                continue
            schema = SCHEMA_OF_KIND.get(row["kind"] or "")
            for token in analyze(row["name"], name_class_of(schema)).tokens:
                pairs.add((token.phon, row["party"]))
        ordered = sorted(pairs)
        yield pa.record_batch(
            [
                pa.array([w for w, _ in ordered], pa.string()),
                pa.array([p for _, p in ordered], pa.string()),
            ],
            schema=_WORD_SCHEMA,
        )


def _close(screener: Screener, name: str, threshold: float, lists: list[str] | None) -> bool:
    try:
        query = Query.make(name)
    except DataError:
        return False
    return bool(screener.screen(query, limit=1, threshold=threshold - EVIDENCE_MARGIN, lists=lists))


def _table(t: DatasetTables, best: Mapping[str, _Hit]) -> pa.Table:
    """One row per party hit: its transactions, the money, the hit and its evidence."""
    tx = t.transactions
    involved = ibis.memtable(pa.table({"party": list(best)}))
    rows = tx.filter(
        tx.payer_party.isin(involved.party) | tx.beneficiary_party.isin(involved.party)
    ).select("tx_id", "payer_party", "beneficiary_party", "base_amount")
    by_party: dict[str, list[str]] = {}
    usd: dict[str, float] = {}
    for r in t.execute(rows).to_pylist():
        for side in ("payer_party", "beneficiary_party"):
            if r[side] in best:
                by_party.setdefault(r[side], []).append(r["tx_id"])
                usd[r[side]] = usd.get(r[side], 0.0) + (r["base_amount"] or 0.0)
    columns = (
        "subject_id",
        "score",
        "tx_ids",
        "confirmed",
        "name_on_record",
        "list_entry",
        "list_caption",
        "list",
        "listings",
        "name_score",
        "matched_name",
        "evidence",
        "flow_usd",
    )
    out: dict[str, list[Any]] = {k: [] for k in columns}
    for party, hit in sorted(best.items()):
        match = hit.match
        out["subject_id"].append(party)
        out["score"].append(hit.score)
        out["tx_ids"].append(sorted(by_party.get(party, [])))
        out["confirmed"].append(hit.confirmed)
        out["name_on_record"].append(hit.facts.name)
        out["list_entry"].append(match.entity.id)
        out["list_caption"].append(match.entity.caption)
        out["list"].append(match.entity.list_id)
        out["listings"].append([listing.entity_id for listing in match.listings])
        out["name_score"].append(round(match.name_score, 4))
        out["matched_name"].append(match.matched_name)
        out["evidence"].append(hit.evidence)
        out["flow_usd"].append(round(usd.get(party, 0.0), 2))
    strings = pa.list_(pa.string())
    return pa.table(
        {
            k: pa.array(v, strings) if k in ("tx_ids", "listings", "evidence") else v
            for k, v in out.items()
        }
    )


def _empty() -> pa.Table:
    return pa.table(
        {
            "subject_id": pa.array([], pa.string()),
            "score": pa.array([], pa.float64()),
            "tx_ids": pa.array([], pa.list_(pa.string())),
        }
    )


LISTED = Scenario(
    id="listed-counterparty",
    title="Economic relations with a listed party (names screened against the lists)",
    typology="listed-counterparty",
    key_roles=("listed-name counterparty",),
    sources=(
        "UNSC resolution 2199 (2015) and 2253 (2015): no economic relations with ISIL, "
        "al-Nusrah, Al-Qaida and associated individuals and entities",
        "FATF Recommendation 6: targeted financial sanctions related to terrorism",
    ),
    severity="high",
    logic=_logic,
    engine="python",
    params=(
        Param(
            "threshold",
            0.80,
            "Least screening score for an alert (above the interactive default of 0.70, "
            "because batch monitoring screens every counterparty).",
            minimum=0.5,
            maximum=1.0,
        ),
        Param(
            "confirmed_score",
            CONFIRMED_SCORE,
            "Least score for a hit on the whole listed name to count as confirmed without an "
            "analyst's decision: exposure and tracing build on confirmed hits only. Above the "
            "threshold, so that a partial, common or badly misspelt name stays a possible "
            "match until an analyst looks.",
            minimum=0.5,
            maximum=1.0,
        ),
        Param(
            "use_evidence",
            True,
            "Weigh the record beyond what the screener does (the party's banks, common names, "
            "a company's country, the dates other lists give). False: the name, kind, date "
            "of birth and country alone, as before issue 13 (for comparison).",
        ),
        Param("lists", [], "List ids to screen against (empty: every active list)."),
    ),
    description="Every party name on the transactions, as recorded and as written on the "
    "messages, screened against the active list editions with what the record says of the "
    "party; each alert says whether the hit is confirmed.",
)
