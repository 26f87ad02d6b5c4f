"""The screener returns one result per party: listings of one party collapse into one match,
``limit`` counts parties, ``lists=`` keeps those lists' listings, and a workspace's screener
comes grouped by its resolved parties."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from counterflow.lists import resolve, store
from counterflow.lists.registry import detect
from counterflow.model import Entity
from counterflow.screening import Match, Query, Screener
from counterflow.workspace import Workspace


def _entity(list_id: str, ref: str, name: str, *aliases: str) -> Entity:
    entity = Entity.make(list_id, ref, "Person")
    entity.add("name", name)
    for alias in aliases:
        entity.add("alias", alias)
    return entity


ENTRIES = [
    _entity("un-sc", "CFi.009", "JOSEPH KONY", "Josef Kony"),
    _entity("ofac-sdn", "11018", "KONY, Joseph"),
    _entity("uk", "13344", "Joseph KONY", "Joseph Rao KONY"),
    _entity("un-sc", "CFi.010", "ALI KONY"),
    _entity("ofac-sdn", "19930", "KONY, Ali"),
    _entity("ofac-sdn", "19929", "KONY, Salim"),
]
PARTIES = {
    "un-sc:CFi.009": "p1",
    "ofac-sdn:11018": "p1",
    "uk:13344": "p1",
    "un-sc:CFi.010": "p2",
    "ofac-sdn:19930": "p2",
    "nowhere:1": "p2",  # not loaded: ignored
}


def _ids(match: Match) -> list[str]:
    return [x.entity_id for x in match.listings]


def test_one_match_per_party_with_every_listing_best_first() -> None:
    screener = Screener(ENTRIES)
    assert len(screener.screen(Query.make("Joseph Kony"))) == 3
    screener.set_clusters(PARTIES)
    [match] = [m for m in screener.screen(Query.make("Joseph Kony")) if m.score == 1.0]
    assert _ids(match)[0] == match.entity.id
    assert sorted(_ids(match)) == ["ofac-sdn:11018", "uk:13344", "un-sc:CFi.009"]
    assert match.explanation["listings"][0]["entity_id"] == match.entity.id
    # a party whose other entries did not match the query still lists them
    [rao] = screener.screen(Query.make("Joseph Rao Kony"), limit=1)
    assert rao.entity.id == "uk:13344"
    assert _ids(rao)[0] == "uk:13344" and len(_ids(rao)) == 3


def test_limit_counts_parties_and_lists_keeps_their_listings() -> None:
    screener = Screener(ENTRIES)
    screener.set_clusters(PARTIES)
    found = screener.screen(Query.make("Kony"), limit=10, threshold=0.1)
    assert [len(m.listings) for m in found].count(3) == 1
    assert {m.entity.id for m in found} >= {"ofac-sdn:19929"}
    assert len(found) == 3  # Joseph, Ali, Salim
    assert len(screener.screen(Query.make("Kony"), limit=2, threshold=0.1)) == 2
    [only] = screener.screen(Query.make("Joseph Kony"), lists=["un-sc", "uk"], limit=1)
    assert sorted(_ids(only)) == ["uk:13344", "un-sc:CFi.009"]


def test_party_gives_every_loaded_entry_the_entry_first() -> None:
    screener = Screener(ENTRIES)
    screener.set_clusters(PARTIES)
    assert screener.party("uk:13344")[0].id == "uk:13344"
    assert len(screener.party("uk:13344")) == 3
    assert [e.id for e in screener.party("ofac-sdn:19929")] == ["ofac-sdn:19929"]
    assert screener.party("nowhere:1") == ()
    screener.set_clusters({})  # replaced whole
    assert len(screener.screen(Query.make("Joseph Kony"))) == 3


def test_a_workspace_screener_comes_grouped_and_follows_merges(home: Path, fixtures: Path) -> None:
    ws = Workspace(home)
    for name in ("un.xml", "ofac", "uk.csv"):
        store.import_list(ws, fixtures / "lists" / "resolve" / name)
    # imported by a program that did not resolve: resolved on load, never written
    [hit] = Screener.from_workspace(ws).screen(Query.make("Bjornar Halvardsen"))
    assert sorted(_ids(hit)) == ["ofac-sdn:98002", "uk:97003"]
    with ws.connect(read_only=True) as conn:
        assert resolve.stored(conn) is None
    with ws.connect() as conn:
        resolve.judge(
            conn, "split", "uk:97003", "ofac-sdn:98002", analyst="a", actor="t", reason="two people"
        )
    assert len(Screener.from_workspace(ws).screen(Query.make("Bjornar Halvardsen"))) == 2
    [narrow] = Screener.from_workspace(ws, ["un-sc", "ofac-sdn"]).screen(
        Query.make("Zedekiah Testerman")
    )
    assert sorted(_ids(narrow)) == ["ofac-sdn:98001", "un-sc:ZZi.801"]


@pytest.mark.shared_data
def test_kony_is_one_result_on_the_real_lists(tmp_path: Path, shared_data: Path) -> None:
    lists = shared_data / "lists"
    entities: list[Entity] = []
    for path in (
        lists / "un_sc" / "un_sc_2026-02-27.xml",
        lists / "ofac_sdn_2021",
        lists / "uk_ofsi_2018" / "sanctionsconlist.csv",
    ):
        entities.extend(detect(path).parse(path).entities)
    screener = Screener(entities)
    screener.set_clusters(resolve.resolve(entities).clusters)
    found = screener.screen(Query.make("Joseph Kony", schema="Person"))
    kony = [m for m in found if "un-sc:CFi.009" in _ids(m)]
    assert len(kony) == 1
    assert sorted(_ids(kony[0])) == ["ofac-sdn:11018", "uk:13344", "un-sc:CFi.009"]
    assert not [
        m for m in found if m.entity.id in ("ofac-sdn:11018", "uk:13344") and m is not kony[0]
    ]
    started = time.perf_counter()
    for _ in range(50):
        screener.screen(Query.make("Joseph Kony"))
    assert time.perf_counter() - started < 5  # grouping adds no search


def test_the_service_regroups_on_a_merge_without_rebuilding(home: Path, fixtures: Path) -> None:
    from counterflow.api.state import ScreenerHolder

    ws = Workspace(home)
    for name in ("un.xml", "ofac", "uk.csv"):
        store.import_list(ws, fixtures / "lists" / "resolve" / name)
    holder = ScreenerHolder(ws)
    assert holder.reload()
    screener = holder.state.screener
    assert holder.reload() is False  # nothing moved
    assert len(screener.screen(Query.make("Bjornar Halvardsen"))) == 1
    with ws.connect() as conn:
        resolve.judge(
            conn, "split", "uk:97003", "ofac-sdn:98002", analyst="a", actor="t", reason="two"
        )
    assert holder.reload()
    assert holder.state.screener is screener  # regrouped in place, not rebuilt
    assert len(screener.screen(Query.make("Bjornar Halvardsen"))) == 2
