"""yente's /match parameters on this service (issue 12): algorithm names, dataset scopes,
include/exclude_dataset, exclude_schema, topics and changed_since, each honoured or refused by
name; and the ``listings`` of each result."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from counterflow.api import create_app
from counterflow.api.keys import KeyStore, Role
from counterflow.api.routes import ALGORITHM, ALGORITHMS, topics_of
from counterflow.cli.demo_cmd import sample_list_path
from counterflow.lists import store
from counterflow.lists.registry import detect
from counterflow.workspace import Workspace

from .conftest import ClientFactory

ANY_PARTY = {"schema": "LegalEntity", "properties": {"name": ["al-Mithal"]}}
FULAN = {
    "schema": "Person",
    "properties": {"name": ["Fulan ibn Allan al-Mithali"], "birthDate": ["1995"]},
}


@pytest.fixture
def client(client_with: ClientFactory) -> Iterator[TestClient]:
    with client_with(Role.ADMIN) as test_client:
        yield test_client


def _match(client: TestClient, query: dict[str, Any], path: str = "default", **params: Any) -> Any:
    response = client.post(
        f"/match/{path}", json={"queries": {"q": query}}, params={"cutoff": 0.3, **params}
    )
    assert response.status_code == 200, response.text
    return response.json()["responses"]["q"]["results"]


def _refused(response: Any, status: int, *words: str) -> None:
    assert response.status_code == status, response.text
    detail = response.json()["detail"]
    assert all(w in detail for w in words), detail


def test_algorithms_lists_yentes_names_all_run_counterflow(client: TestClient) -> None:
    answer = client.get("/algorithms").json()
    assert answer["default"] == answer["best"] == ALGORITHM
    names = [a["name"] for a in answer["algorithms"]]
    assert names[0] == ALGORITHM
    assert {"logic-v1", "logic-v2", "name-based", "name-qualified", "regression-v1"} <= set(names)
    assert {a["runs"] for a in answer["algorithms"]} == {ALGORITHM}
    by_name = {a["name"]: a for a in answer["algorithms"]}
    assert by_name["name-based"]["uses"] == ["name"]
    assert "birthDate" in by_name["logic-v1"]["uses"]


def test_algorithm_logic_v1_is_accepted_and_name_based_scores_names(client: TestClient) -> None:
    native = _match(client, FULAN)
    assert native and native[0]["id"] == "un-sc:ZZi.001"
    assert _match(client, FULAN, algorithm="logic-v1")[0]["score"] == native[0]["score"]
    assert _match(client, FULAN, algorithm="best")[0]["score"] == native[0]["score"]
    names_only = _match(client, FULAN, algorithm="name-based")[0]
    assert names_only["explanations"]["evidence"] == []
    assert native[0]["explanations"]["evidence"]  # the 1995 birth date counted against it
    assert names_only["score"] > native[0]["score"]


def test_an_unknown_algorithm_or_parameter_is_a_400_naming_it(client: TestClient) -> None:
    body = {"queries": {"q": FULAN}}
    _refused(
        client.post("/match/default", json=body, params={"algorithm": "regression-v9"}),
        400,
        "'regression-v9'",
        "logic-v1",
    )
    _refused(
        client.post("/match/default", json=body, params={"fuzzy": "true"}),
        400,
        "unsupported query parameter 'fuzzy'",
    )
    _refused(client.get("/search/default", params={"q": "Fulan", "offset": 10}), 400, "'offset'")
    _refused(
        client.post("/match/default", json={**body, "weights": {"name_literal_match": 2.0}}),
        400,
        "weights cannot be honoured",
    )
    _refused(
        client.post("/match/default", json={**body, "config": {"nm_number_mismatch": 0.5}}),
        400,
        "config cannot be honoured",
    )


def test_scopes_default_sanctions_and_lists(client: TestClient) -> None:
    everything = _match(client, ANY_PARTY)
    assert everything
    assert _match(client, ANY_PARTY, "sanctions") == everything
    assert _match(client, ANY_PARTY, "un-sc") == everything
    unknown = client.post("/match/pep", json={"queries": {"q": ANY_PARTY}})
    _refused(unknown, 404, "no dataset 'pep'", "sanctions")
    assert client.get("/search/sanctions", params={"q": "Mithal"}).json()["results"]


def test_include_and_exclude_dataset(client: TestClient) -> None:
    assert _match(client, ANY_PARTY, include_dataset="un-sc")
    assert _match(client, ANY_PARTY, exclude_dataset="un-sc") == []
    _refused(
        client.post(
            "/match/default", json={"queries": {"q": ANY_PARTY}}, params={"include_dataset": "eu"}
        ),
        400,
        "include_dataset",
        "'eu'",
    )


def test_exclude_schema_person_returns_no_person(client: TestClient) -> None:
    everything = _match(client, ANY_PARTY, limit=10)
    assert {r["schema"] for r in everything} == {"Person", "Organization"}
    no_person = _match(client, ANY_PARTY, limit=10, exclude_schema="Person")
    assert no_person and {r["schema"] for r in no_person} == {"Organization"}
    assert _match(client, FULAN, exclude_schema=["Person", "Organization"]) == []
    searched = client.get(
        "/search/default", params={"q": "al-Mithal", "exclude_schema": "Person"}
    ).json()["results"]
    assert searched and all(r["schema"] != "Person" for r in searched)
    _refused(
        client.post(
            "/match/default",
            json={"queries": {"q": FULAN}},
            params={"exclude_schema": "Human"},
        ),
        400,
        "exclude_schema",
        "'Human'",
    )


def test_topics(client: TestClient) -> None:
    assert _match(client, ANY_PARTY, topics="sanction")
    assert _match(client, ANY_PARTY, topics="crime.terror") == []  # the sample is no terror list
    assert _match(client, ANY_PARTY, topics=["crime.terror", "sanction"])
    _refused(
        client.post(
            "/match/default", json={"queries": {"q": ANY_PARTY}}, params={"topics": "role.pep"}
        ),
        400,
        "topics",
        "'role.pep'",
    )


def test_topics_of_terror_listings() -> None:
    path = sample_list_path()
    entity = next(iter(detect(path).parse(path).entities))
    assert topics_of(entity) == {"sanction"}
    entity.ref = "QDi.006"
    assert topics_of(entity) == {"sanction", "crime.terror"}
    entity.ref = "12345"
    entity.sanction.add("program", "SDGT")
    assert "crime.terror" in topics_of(entity)


def _newer_sample(tmp_path: Path) -> Path:
    text = sample_list_path().read_text(encoding="utf-8")
    newer = tmp_path / "newer.xml"
    newer.write_text(
        text.replace("2026-01-15T", "2026-02-20T").replace(
            "<FIRST_NAME>EXAMPLE RELIEF FOUNDATION</FIRST_NAME>",
            "<FIRST_NAME>EXAMPLE RELIEF AND AID FOUNDATION</FIRST_NAME>",
        ),
        encoding="utf-8",
    )
    return newer


def test_changed_since(client: TestClient, home: Path, tmp_path: Path) -> None:
    example = {"schema": "Organization", "properties": {"name": ["Example Relief Foundation"]}}
    assert _match(client, ANY_PARTY, changed_since="2026-01-15")
    assert _match(client, ANY_PARTY, changed_since="2026-01-16") == []
    store.import_list(Workspace(home), _newer_sample(tmp_path))
    assert client.post("/admin/reload").json()["reloaded"] is True
    # only the entry the new edition changed is newer than its first edition
    assert [r["id"] for r in _match(client, ANY_PARTY, changed_since="2026-02-01")] == [
        "un-sc:ZZe.002"
    ]
    changed = _match(client, example, changed_since="2026-02-01T00:00:00")
    assert [r["id"] for r in changed] == ["un-sc:ZZe.002"]
    assert _match(client, ANY_PARTY, changed_since="2026-01-01")
    searched = client.get("/search/default", params={"q": "Example", "changed_since": "2026-02-20"})
    assert [r["id"] for r in searched.json()["results"]] == ["un-sc:ZZe.002"]
    _refused(
        client.post(
            "/match/default", json={"queries": {"q": example}}, params={"changed_since": "lately"}
        ),
        400,
        "changed_since",
        "'lately'",
    )


def test_results_carry_listings_and_datasets(client: TestClient) -> None:
    top = _match(client, ANY_PARTY, limit=1)[0]
    own = {"list": "un-sc", "list_ref": top["id"].split(":", 1)[1], "entity_id": top["id"]}
    assert top["listings"] == [own] and top["datasets"] == ["un-sc"]
    searched = client.get("/search/default", params={"q": "al-Mithal"}).json()["results"][0]
    assert searched["listings"][0]["entity_id"] == searched["id"]
    entity = client.get(f"/entities/{top['id']}").json()
    assert entity["listings"] == [own] and entity["datasets"] == ["un-sc"]


def test_every_algorithm_name_is_served(client: TestClient) -> None:
    for name in ALGORITHMS:
        assert _match(client, FULAN, algorithm=name), name


@pytest.mark.shared_data
def test_un_terror_topic_and_change_dates_on_the_real_list(home: Path, shared_data: Path) -> None:
    lists = shared_data / "lists" / "un_sc"
    workspace = Workspace(home)
    store.import_list(workspace, lists / "un_sc_2024-09-26.xml")
    store.import_list(workspace, lists / "un_sc_2026-02-27.xml")
    with workspace.connect(read_only=True) as conn:
        editions = store.active_editions(conn)
        dates = store.content_dates(conn, editions.values())
        old = {e.id: e.fingerprint() for e in store.iter_entities(conn, "un-sc@2024-09-26")}
        new = list(store.iter_entities(conn, editions["un-sc"].edition_id))
    assert set(dates) == {e.id for e in new}
    for entity in new:
        unchanged = old.get(entity.id) == entity.fingerprint()
        assert dates[entity.id] == ("2024-09-26" if unchanged else "2026-02-27"), entity.id
    assert sum(1 for e in new if e.id not in old) == 134
    _, key = KeyStore(home).create("tests", Role.SCREEN)
    app = create_app(workspace, workspace.settings.with_(reload_seconds=0))
    with TestClient(app, headers={"Authorization": f"ApiKey {key}"}) as client:
        zawahiri = {"schema": "Person", "properties": {"name": ["Aiman al-Zawahiri"]}}
        terror = _match(client, zawahiri, topics="crime.terror")
        assert terror[0]["id"] == "un-sc:QDi.006"
        assert all(r["id"].startswith("un-sc:QD") for r in terror)
        taliban = {"schema": "Person", "properties": {"name": ["Abdul Baqi Basir Awal Shah"]}}
        assert _match(client, taliban)[0]["id"].startswith("un-sc:TAi.")
        assert all(
            not r["id"].startswith("un-sc:TAi.")
            for r in _match(client, taliban, topics="crime.terror")
        )
