"""Clearing a hit clears the party: a decision covers every listing of the party it was made on,
and a change in any listing (an entry changed, one added or removed) raises the hit again."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from counterflow.cases import DecisionStore
from counterflow.cli import main
from counterflow.lists import store
from counterflow.model import Entity
from counterflow.screening import Query, Screener
from counterflow.workspace import Workspace

QUERY = Query.make("Joseph Kony")


def _entity(list_id: str, ref: str, name: str) -> Entity:
    entity = Entity.make(list_id, ref, "Person")
    entity.add("name", name)
    return entity


def _kony() -> tuple[Entity, Entity, Entity]:
    return (
        _entity("un-sc", "CFi.009", "JOSEPH KONY"),
        _entity("ofac-sdn", "11018", "KONY, Joseph"),
        _entity("uk", "13344", "Joseph KONY"),
    )


def _clear(decisions: DecisionStore, entity: Entity, party: tuple[Entity, ...]) -> None:
    decisions.clear(
        QUERY, entity, edition="e", analyst="A", actor="a", reason="a namesake", party=party
    )


def test_clearing_through_one_listing_clears_the_party(home: Path) -> None:
    un, ofac, uk = _kony()
    decisions = DecisionStore(home)
    _clear(decisions, un, (un, ofac, uk))
    [decision] = decisions.all()
    assert set(decision.listings) == {un.id, ofac.id, uk.id}
    assert decision.entity_ids == list(decision.listings)
    for entity in (un, ofac, uk):
        found = decisions.lookup(QUERY.fingerprint(), entity, (ofac, un, uk))
        assert found is not None and found.status == "cleared"
        alone = decisions.lookup(QUERY.fingerprint(), entity)  # a caller without the party
        assert alone is not None and alone.cleared
    assert decisions.lookup(Query.make("Josef Kony").fingerprint(), un, (un, ofac, uk)) is None


def test_a_changed_listing_raises_the_hit_again(home: Path) -> None:
    un, ofac, uk = _kony()
    decisions = DecisionStore(home)
    _clear(decisions, un, (un, ofac, uk))
    ofac.add("birthDate", "1964-09-18")  # the next OFAC edition adds a date of birth
    found = decisions.lookup(QUERY.fingerprint(), un, (un, ofac, uk))
    assert found is not None and found.status == "entry_changed"
    # the changed listing itself, asked about without its party, is changed too
    alone = decisions.lookup(QUERY.fingerprint(), ofac)
    assert alone is not None and alone.status == "entry_changed"


def test_a_listing_added_to_or_removed_from_the_party_raises_it_again(home: Path) -> None:
    un, ofac, uk = _kony()
    decisions = DecisionStore(home)
    _clear(decisions, un, (un, ofac))
    added = decisions.lookup(QUERY.fingerprint(), ofac, (ofac, un, uk))
    assert added is not None and added.status == "entry_changed"
    removed = decisions.lookup(QUERY.fingerprint(), un, (un,))
    assert removed is not None and removed.status == "entry_changed"
    same = decisions.lookup(QUERY.fingerprint(), ofac, (un, ofac))
    assert same is not None and same.cleared


def test_revoking_reraises_on_every_listing_and_the_latest_decision_counts(home: Path) -> None:
    un, ofac, uk = _kony()
    decisions = DecisionStore(home)
    _clear(decisions, un, (un, ofac, uk))
    first = decisions.all()[0]
    _clear(decisions, ofac, (un, ofac))  # a later decision on part of the party
    later = decisions.lookup(QUERY.fingerprint(), uk, (un, ofac, uk))
    assert later is not None and later.decision.decision_id != first.decision_id
    assert later.status == "entry_changed"  # it was made on a party of two
    decisions.revoke(later.decision.decision_id, analyst="B", actor="b", reason="wrong")
    back = decisions.lookup(QUERY.fingerprint(), uk, (un, ofac, uk))
    assert back is not None and back.decision.decision_id == first.decision_id and back.cleared
    decisions.revoke(first.decision_id, analyst="B", actor="b", reason="wrong")
    assert decisions.lookup(QUERY.fingerprint(), uk, (un, ofac, uk)) is None


def test_decision_lines_written_before_parties_still_read_and_clear_their_entry(
    home: Path,
) -> None:
    un, ofac, uk = _kony()
    line = {
        "decision_id": "d-000000000001",
        "time": "2026-01-01T00:00:00Z",
        "status": "cleared",
        "analyst": "A",
        "actor": "a",
        "reason": "old",
        "entity_id": un.id,
        "entity_fingerprint": un.fingerprint(),
        "edition": "2026-02-27",
        "query_fingerprint": QUERY.fingerprint(),
        "query": QUERY.describe(),
        "revoked": None,
    }
    (home / "decisions.jsonl").write_text(json.dumps(line) + "\n")
    decisions = DecisionStore(home)
    [decision] = decisions.all()
    assert decision.listings == {} and decision.entity_ids == [un.id]
    found = decisions.lookup(QUERY.fingerprint(), ofac, (ofac, un, uk))
    assert found is not None and found.cleared  # that entry is unchanged
    un.add("alias", "Josef Kony")
    found = decisions.lookup(QUERY.fingerprint(), ofac, (ofac, un, uk))
    assert found is not None and found.status == "entry_changed"


def test_the_screen_command_clears_the_party_and_reraises_on_a_new_listing(
    home: Path, fixtures: Path
) -> None:
    resolve_dir = fixtures / "lists" / "resolve"
    ws = Workspace(home)
    for name in ("un.xml", "ofac", "uk.csv"):
        store.import_list(ws, resolve_dir / name)

    def run(*args: str) -> list[dict[str, object]]:
        result = CliRunner().invoke(main, ["--home", str(home), *args], catch_exceptions=False)
        assert result.exit_code == 0, result.output
        return list(json.loads(result.output)) if "--json" in args else []

    run(
        "decisions",
        "clear",
        "uk:97003",
        "--name",
        "Bjornar Halvardsen",
        "--analyst",
        "A",
        "--reason",
        "born elsewhere",
    )
    [hit] = run("screen", "Bjornar Halvardsen", "--json")
    assert hit["id"] == "ofac-sdn:98002"  # the party's best listing, not the one cleared
    assert hit["decision"]["status"] == "cleared"  # type: ignore[index]
    # an analyst adds a listing to the party: the clearing no longer covers it
    run("users", "add", "ana", "--role", "analyst")
    run("--user", "ana", "lists", "merge", "un-sc:ZZi.802", "uk:97003", "--reason", "same")
    screener = Screener.from_workspace(ws)
    assert sorted(e.id for e in screener.party("uk:97003")) == [
        "ofac-sdn:98002",
        "uk:97003",
        "un-sc:ZZi.802",
    ]
    [hit] = run("screen", "Bjornar Halvardsen", "--json")
    assert hit["decision"]["status"] == "entry_changed"  # type: ignore[index]
