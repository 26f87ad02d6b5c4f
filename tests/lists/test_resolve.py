"""One party across lists: each automatic rule on hand-written files in the real formats, the
guards (never two entries of one list, no chains, compatible schemata), the analysts' merges
and splits, and Joseph Kony on the real UN, OFAC and UK files."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from counterflow.cases import AuditLog
from counterflow.cases.db import CaseStore
from counterflow.cases.users import add_user
from counterflow.cli import main
from counterflow.errors import ConfigError, NotFoundError
from counterflow.lists import resolve, store
from counterflow.lists.registry import detect
from counterflow.model import APPROXIMATE, Entity
from counterflow.workspace import Workspace

FILES = ("un.xml", "ofac", "uk.csv")


def _parse(fixtures: Path) -> list[Entity]:
    entities: list[Entity] = []
    for name in FILES:
        path = fixtures / "lists" / "resolve" / name
        entities.extend(detect(path).parse(path).entities)
    return entities


def _person(list_id: str, ref: str, name: str, **props: Any) -> Entity:
    entity = Entity.make(list_id, ref, props.pop("schema", "Person"))
    entity.add("name", name)
    for prop, values in props.items():
        for value in values if isinstance(values, list) else [values]:
            entity.add(prop, value)
    return entity


def _links(resolution: resolve.Resolution) -> dict[tuple[str, str], tuple[str, str]]:
    return {(x.entity_a, x.entity_b): (x.rule, x.evidence) for x in resolution.links}


def test_each_rule_links_the_fixture_entries_and_says_why(fixtures: Path) -> None:
    resolution = resolve.resolve(_parse(fixtures))
    assert _links(resolution) == {
        ("ofac-sdn:98001", "un-sc:ZZi.801"): ("identifier", "passportNumber P7788123 on both"),
        ("uk:97002", "un-sc:ZZi.802"): ("un-reference", "uk entry 97002 cites UN ZZi.802"),
        ("ofac-sdn:98002", "uk:97003"): (
            "name-birth-country",
            "name 'HALVARDSEN, Bjornar', born 1966-05-12, country no on both",
        ),
        ("ofac-sdn:98003", "un-sc:ZZe.801"): (
            "name-country",
            "name 'BLUE HERON MARITIME TRADING LTD.', country mt on both",
        ),
    }
    # the distractor: same birth date and nationality, another name
    assert "ofac-sdn:98004" not in resolution.clusters
    assert resolution.members("un-sc:ZZi.801") == ["ofac-sdn:98001", "un-sc:ZZi.801"]
    assert resolution.counts()["parties"] == 4


def test_two_entries_of_one_list_are_never_linked() -> None:
    a = _person("ofac-sdn", "1", "Ivan Example", passportNumber="X1234567")
    b = _person("ofac-sdn", "2", "Ivan Example", passportNumber="X1234567")
    assert resolve.resolve([a, b]).clusters == {}


def test_a_un_reference_of_the_old_numbering_links_to_the_renumbered_entry() -> None:
    assert resolve._current_un_reference("QI.A.12.01") == "QDI.012"
    assert resolve._current_un_reference("TI.R.15.01") == "TAI.015"
    assert resolve._current_un_reference("QE.A.4.01") == "QDE.004"
    assert resolve._current_un_reference("CFI.009") == "CFI.009"
    un = _person("un-sc", "TAi.015", "YAR MOHAMMAD RAHIMI")
    un.sanction.add("unscId", "TAi.015")
    un.sanction.add("authority", resolve._UN_HOLDER_AUTHORITY)
    uk = _person("uk", "7409", "Yar Mohammad RAHIMI")
    uk.sanction.add("unscId", "TI.R.15.01")
    resolution = resolve.resolve([un, uk])
    assert resolution.members("un-sc:TAi.015") == ["uk:7409", "un-sc:TAi.015"]
    assert [link.rule for link in resolution.links_of("uk:7409")] == ["un-reference"]


def test_the_same_name_and_the_very_same_birth_dates_link_without_a_country() -> None:
    un = _person("un-sc", "QDi.999", "ABDULLAH ANSHORI", birthDate="1958")
    ofac = _person("ofac-sdn", "9617", "ANSHORI, Abdullah", birthDate="1958")
    resolution = resolve.resolve([un, ofac])
    assert resolution.members("un-sc:QDi.999") == ["ofac-sdn:9617", "un-sc:QDi.999"]
    assert [x.rule for x in resolution.links_of("ofac-sdn:9617")] == ["name-birth-dates"]
    # another date, another single-word name, or a namesake twice on one list: no link
    other_year = _person("ofac-sdn", "9618", "ANSHORI, Abdullah", birthDate="1959")
    assert resolve.resolve([un, other_year]).clusters == {}
    one_word = [
        _person("un-sc", "X1", "ANSHORI", birthDate="1958"),
        _person("uk", "X2", "Anshori", birthDate="1958"),
    ]
    assert resolve.resolve(one_word).clusters == {}
    twice = _person("ofac-sdn", "9619", "ABDULLAH ANSHORI", birthDate="1958")
    assert resolve.resolve([un, ofac, twice]).clusters == {}


def test_a_key_two_entries_of_one_list_share_links_neither() -> None:
    a = _person("ofac-sdn", "1", "Ivan Example", passportNumber="X1234567")
    b = _person("ofac-sdn", "2", "Ivan Other", passportNumber="X1234567")
    c = _person("uk", "9", "Ivan Example", passportNumber="X 1234567")
    resolution = resolve.resolve([a, b, c])
    assert resolution.clusters == {}
    assert {why.split(":")[0] for _, why in resolution.refused} == {"ambiguous"}


def test_a_chain_that_would_join_two_entries_of_one_list_is_refused() -> None:
    # un 1 = ofac 5 (passport), ofac 5 = uk 9 (name, date, country), uk 9 cites UN 2
    un1 = _person("un-sc", "QDi.001", "Ivan Example", passportNumber="X1234567")
    un2 = _person("un-sc", "QDi.002", "Pyotr Sample")
    for un in (un1, un2):
        un.sanction.add("unscId", un.ref)
        un.sanction.add("authority", "United Nations Security Council")
    ofac = _person(
        "ofac-sdn",
        "5",
        "Ivan Example",
        passportNumber="X1234567",
        birthDate="1960-01-02",
        nationality="ru",
    )
    uk = _person("uk", "9", "Ivan Example", birthDate="1960-01-02", nationality="ru")
    uk.sanction.add("unscId", "QDi.002")
    resolution = resolve.resolve([un1, un2, ofac, uk])
    # the strongest rules come first: the identifier, then the UN reference; the name link
    # would then join two UN entries and is refused, saying so
    assert resolution.members("un-sc:QDi.001") == ["ofac-sdn:5", "un-sc:QDi.001"]
    assert resolution.members("uk:9") == ["uk:9", "un-sc:QDi.002"]
    [(link, why)] = resolution.refused
    assert link.rule == "name-birth-country"
    assert why.startswith("would put two entries of")


def test_schemata_must_be_compatible() -> None:
    person = _person("un-sc", "1", "Blue Heron", idNumber="9123456")
    vessel = _person("ofac-sdn", "2", "Blue Heron", schema="Vessel", imoNumber="9123456")
    bare = _person("uk", "3", "Blue Heron", schema="LegalEntity", idNumber="9123456")
    resolution = resolve.resolve([person, vessel, bare])
    assert resolution.members("ofac-sdn:2") == ["ofac-sdn:2"]
    assert resolution.members("un-sc:1") == ["uk:3", "un-sc:1"]


def test_weak_aliases_approximate_dates_and_short_ids_do_not_link() -> None:
    a = _person("un-sc", "1", "Abu Example", nationality="sy", idNumber="1234")
    a.add("birthDate", "1970-01-01", qualifier=APPROXIMATE)
    b = _person("ofac-sdn", "2", "Someone Else", nationality="sy", idNumber="1234")
    b.add("weakAlias", "Abu Example")
    b.add("birthDate", "1970-01-01", qualifier=APPROXIMATE)
    c = _person("uk", "3", "Abu Example", nationality="sy")
    c.add("birthDate", "1970-01-01", qualifier=APPROXIMATE)
    assert resolve.resolve([a, b, c]).clusters == {}


def test_a_split_beats_the_rules_and_a_merge_beats_them_too(fixtures: Path) -> None:
    entities = _parse(fixtures)
    split = _judgement("split", "un-sc:ZZi.801", "ofac-sdn:98001", 1)
    resolution = resolve.resolve(entities, [split])
    assert resolution.members("un-sc:ZZi.801") == ["un-sc:ZZi.801"]
    [(link, why)] = resolution.refused
    assert link.rule == "identifier" and "split by ana" in why
    merge = _judgement("merge", "un-sc:ZZi.801", "ofac-sdn:98004", 2)
    resolution = resolve.resolve(entities, [split, merge])
    assert resolution.members("un-sc:ZZi.801") == ["ofac-sdn:98004", "un-sc:ZZi.801"]
    assert _links(resolution)[("ofac-sdn:98004", "un-sc:ZZi.801")][0] == "analyst"
    # the latest judgement on a pair counts: a merge after a split lifts it
    again = _judgement("merge", "ofac-sdn:98001", "un-sc:ZZi.801", 3)
    resolution = resolve.resolve(entities, [split, again])
    assert resolution.members("un-sc:ZZi.801") == ["ofac-sdn:98001", "un-sc:ZZi.801"]


def _judgement(kind: str, a: str, b: str, n: int) -> resolve.Judgement:
    from datetime import datetime

    return resolve.Judgement(f"L-{n}", kind, a, b, "ana", "test", "why", datetime(2026, 1, n))


def _workspace(home: Path, fixtures: Path) -> Workspace:
    ws = Workspace(home)
    for name in FILES:
        store.import_list(ws, fixtures / "lists" / "resolve" / name)
    return ws


def test_the_resolution_is_stored_with_its_basis_and_goes_stale(home: Path, fixtures: Path) -> None:
    ws = _workspace(home, fixtures)
    with ws.connect() as conn:
        assert resolve.stored(conn) is None  # imported without resolving
        resolved = resolve.refresh(conn)
        found = resolve.stored(conn)
        assert found is not None and found.clusters == resolved.clusters
        assert _links(found) == _links(resolved)
        resolve.judge(
            conn,
            "split",
            "ZZi.801",
            "ofac-sdn:98001",
            analyst="ana",
            actor="t",
            reason="two people",
        )
        found = resolve.stored(conn)
        assert found is not None and "un-sc:ZZi.801" not in found.clusters
        store.pin_edition(conn, "un-sc", "latest")  # the same edition: nothing moves
        assert resolve.stored(conn) is not None


def test_judging_names_the_entries_and_refuses_a_merge_a_split_undoes(
    home: Path, fixtures: Path
) -> None:
    ws = _workspace(home, fixtures)
    with ws.connect() as conn:
        with pytest.raises(NotFoundError, match="no list entry 'un-sc:NOPE'"):
            resolve.judge(
                conn, "merge", "un-sc:NOPE", "uk:97003", analyst="a", actor="t", reason="r"
            )
        with pytest.raises(ConfigError, match="same entry"):
            resolve.judge(conn, "merge", "uk:97003", "97003", analyst="a", actor="t", reason="r")
        with pytest.raises(ConfigError, match="needs a reason"):
            resolve.judge(conn, "split", "uk:97003", "98002", analyst="a", actor="t", reason=" ")
        resolve.judge(
            conn,
            "split",
            "uk:97003",
            "ofac-sdn:98002",
            analyst="a",
            actor="t",
            reason="different fathers",
        )
        resolve.judge(
            conn, "merge", "uk:97003", "un-sc:ZZi.801", analyst="a", actor="t", reason="same"
        )
        # merging 98002 into the party of ZZi.801 would bring 97003 and 98002 together
        with pytest.raises(ConfigError, match="ofac-sdn:98002 and uk:97003 were split by a"):
            resolve.judge(
                conn,
                "merge",
                "ofac-sdn:98002",
                "un-sc:ZZi.801",
                analyst="a",
                actor="t",
                reason="same",
            )


def _run(home: Path, *args: str) -> Result:
    return CliRunner().invoke(main, ["--home", str(home), *args], catch_exceptions=False)


def test_merge_and_split_commands_are_recorded_audited_and_change_screening(
    home: Path, fixtures: Path
) -> None:
    for name in FILES:
        path = fixtures / "lists" / "resolve" / name
        assert _run(home, "lists", "import", str(path)).exit_code == 0
    with CaseStore.open(Workspace(home).settings, write=True) as cases:
        add_user(cases, "ana", "analyst", None)

    def hits(name: str) -> list[dict[str, Any]]:
        result = _run(home, "screen", name, "--json")
        assert result.exit_code == 0, result.output
        return list(json.loads(result.output))

    [hit] = hits("Bjornar Halvardsen")
    assert [x["entity_id"] for x in hit["explanation"]["listings"]] == [
        "ofac-sdn:98002",
        "uk:97003",
    ]
    result = _run(
        home,
        "--user",
        "ana",
        "lists",
        "split",
        "uk:97003",
        "ofac-sdn:98002",
        "--reason",
        "different fathers",
    )
    assert result.exit_code == 0, result.output
    assert "Split uk:97003 from ofac-sdn:98002" in result.output
    assert len(hits("Bjornar Halvardsen")) == 2
    links = _run(home, "lists", "links", "uk:97003").output
    assert "split uk:97003 / ofac-sdn:98002 by ana" in links
    assert "not linked ofac-sdn:98002 = uk:97003 (name-birth-country" in links

    result = _run(
        home,
        "--user",
        "ana",
        "lists",
        "merge",
        "un-sc:ZZi.802",
        "ofac-sdn:98004",
        "--reason",
        "same person",
        "--json",
    )
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["party"] == ["ofac-sdn:98004", "uk:97002", "un-sc:ZZi.802"]
    shown = _run(home, "lists", "show", "ZZi.802").output
    assert "Also listed as:" in shown and "analyst, merged by ana: same person" in shown

    audit = [json.loads(line) for line in AuditLog.for_home(home).path.read_text().splitlines()]
    actions = [(r["action"], r["link"]["kind"], r["link"]["analyst"]) for r in audit]
    assert actions == [("entity-split", "split", "ana"), ("entity-merge", "merge", "ana")]
    assert audit[0]["actor"].startswith("user:ana")

    no_user = _run(home, "lists", "merge", "uk:97003", "ofac-sdn:98002", "--reason", "x")
    assert no_user.exit_code != 0 and "--user" in no_user.output


@pytest.mark.shared_data
def test_joseph_kony_is_one_party_on_the_un_ofac_and_uk_lists(shared_data: Path) -> None:
    lists = shared_data / "lists"
    entities: list[Entity] = []
    for path in (
        lists / "un_sc" / "un_sc_2026-02-27.xml",
        lists / "ofac_sdn_2021",
        lists / "uk_ofsi_2018" / "sanctionsconlist.csv",
    ):
        entities.extend(detect(path).parse(path).entities)
    resolution = resolve.resolve(entities)
    assert resolution.members("un-sc:CFi.009") == ["ofac-sdn:11018", "uk:13344", "un-sc:CFi.009"]
    rules = {x.rule: x.evidence for x in resolution.links_of("un-sc:CFi.009")}
    assert rules["un-reference"] == "uk entry 13344 cites UN CFi.009"
    assert rules["name-birth-country"].endswith("born 1964-09-18, country ug on both")
    # no party holds two entries of one list
    for cluster in set(resolution.clusters.values()):
        members = [e for e, c in resolution.clusters.items() if c == cluster]
        lists_of = [m.split(":")[0] for m in members]
        assert len(lists_of) == len(set(lists_of)), members
