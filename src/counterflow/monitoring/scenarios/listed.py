"""Listed counterparty: every party name on the transactions screened against the lists.

The names come from the customer records (``parties.name``) and from the messages themselves
(``payer_name``, ``beneficiary_name``, as given), because a front may appear under a spelling
the bank's records do not hold. Each distinct (party, name) is screened once with the screening
engine against the workspace's active list editions; a party whose name scores at or above the
threshold gets one alert naming the list entry, over all its transactions.

This scenario runs in Python (``engine = "python"``): the name matcher is not a query.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import duckdb
import ibis
import pyarrow as pa

from counterflow.engines import DatasetTables
from counterflow.errors import DataError
from counterflow.lists.store import active_entities
from counterflow.monitoring.scenario import Param, Scenario, ScenarioSkipped
from counterflow.screening import Query, Screener
from counterflow.workspace import Workspace


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


def _screener(connection: duckdb.DuckDBPyConnection) -> Screener:
    """The workspace's screener, from its persisted index when that is current (see
    :meth:`Screener.from_workspace`), read through the run's connection."""
    row = connection.execute(
        "SELECT path FROM duckdb_databases() WHERE database_name = current_database()"
    ).fetchone()
    if not row or not row[0]:  # an in-memory database: no folder to keep an index in
        editions, entities = active_entities(connection)
        return Screener(entities, editions={k: e.label for k, e in editions.items()})
    return Screener.from_workspace(_RunWorkspace(Path(row[0]).parent, connection))


def _names(t: DatasetTables) -> ibis.Table:
    """Distinct (party, name), with what the party's record says of birth and country: the
    screener weighs them, so a namesake born decades apart scores lower."""
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


_SCHEMA_OF_KIND = {"person": "Person", "company": "Organization", "npo": "Organization"}


#: how far under the threshold a bare name may score and still be screened with evidence
EVIDENCE_MARGIN = 0.1


def _close(screener: Screener, name: str, threshold: float, lists: list[str] | None) -> bool:
    try:
        query = Query.make(name)
    except DataError:
        return False
    return bool(screener.screen(query, limit=1, threshold=threshold - EVIDENCE_MARGIN, lists=lists))


def _logic(t: DatasetTables, p: Mapping[str, Any]) -> pa.Table:
    screener = _screener(t.connection)
    if not len(screener):
        raise ScenarioSkipped(
            "no lists to screen against: import one first ('counterflow lists import PATH')"
        )
    threshold = float(p["threshold"])
    lists = list(p["lists"]) or None
    best: dict[str, tuple[float, str, Any]] = {}
    rows = t.execute(_names(t)).to_pylist()
    # Most names hit nothing: screen each distinct name once, bare and a little below the
    # threshold (evidence can lift a score by a few hundredths), and only the names that come
    # close again, party by party, with what each party's record says.
    close = {name for name in {r["name"] for r in rows} if _close(screener, name, threshold, lists)}
    for row in rows:
        if row["name"] not in close:
            continue
        try:
            query = Query.make(
                row["name"],
                schema=_SCHEMA_OF_KIND.get(row["kind"] or ""),
                birth_date=row["born"] if row["kind"] == "person" else None,
                country=row["country"],
            )
        except DataError:
            continue  # a name that is no name (empty after cleaning, too long)
        found = screener.screen(query, limit=1, threshold=threshold, lists=lists)
        if found and found[0].score > best.get(row["party"], (0.0, "", None))[0]:
            best[row["party"]] = (found[0].score, row["name"], found[0])
    if not best:
        return _empty()
    parties = pa.table({"party": list(best)})
    tx = t.transactions
    involved = ibis.memtable(parties)
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
    out: dict[str, list[Any]] = {
        k: []
        for k in (
            "subject_id",
            "score",
            "tx_ids",
            "name_on_record",
            "list_entry",
            "list_caption",
            "list",
            "name_score",
            "matched_name",
            "flow_usd",
        )
    }
    for party, (score, name, match) in sorted(best.items()):
        out["subject_id"].append(party)
        out["score"].append(score)
        out["tx_ids"].append(sorted(by_party.get(party, [])))
        out["name_on_record"].append(name)
        out["list_entry"].append(match.entity.id)
        out["list_caption"].append(match.entity.caption)
        out["list"].append(match.entity.list_id)
        out["name_score"].append(round(match.name_score, 4))
        out["matched_name"].append(match.matched_name)
        out["flow_usd"].append(round(usd.get(party, 0.0), 2))
    return pa.table(out)


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
        Param("lists", [], "List ids to screen against (empty: every active list)."),
    ),
    description="Every party name on the transactions, as recorded and as written on the "
    "messages, screened against the active list editions.",
)
