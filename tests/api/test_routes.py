"""The service through its HTTP interface, with the request and response shapes yente documents."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from counterflow.api.keys import Role
from counterflow.cli.demo_cmd import sample_list_path
from counterflow.lists import store
from counterflow.workspace import Workspace

from .conftest import ClientFactory


@pytest.fixture
def client(client_with: ClientFactory) -> Iterator[TestClient]:
    """A client with a ``screen`` key, over the shipped sample list; no background polling."""
    with client_with(Role.SCREEN) as test_client:
        yield test_client


def test_match_follows_yente(client: TestClient) -> None:
    body = {
        "queries": {
            "q1": {"schema": "Organization", "properties": {"name": ["Jabhet al-Misal"]}},
            "q2": {"schema": "Person", "properties": {"name": ["John Smith"]}},
            "q3": {
                "schema": "Person",
                "properties": {
                    "firstName": ["Fulan"],
                    "lastName": ["al-Mithali"],
                    "birthDate": ["1970"],
                },
            },
        }
    }
    response = client.post("/match/default", json=body, params={"limit": 3})
    assert response.status_code == 200
    data = response.json()
    assert data["limit"] == 3 and set(data["responses"]) == {"q1", "q2", "q3"}
    assert data["editions"] == {"un-sc": "2026-01-15"}
    q1 = data["responses"]["q1"]
    assert q1["status"] == 200 and q1["total"]["value"] == len(q1["results"]) >= 1
    top = q1["results"][0]
    assert {
        "id",
        "caption",
        "schema",
        "properties",
        "datasets",
        "score",
        "match",
        "explanations",
        "features",
    } <= set(top)
    assert top["id"] == "un-sc:ZZe.001" and top["match"] is True
    assert top["datasets"] == ["un-sc"] and top["schema"] == "Organization"
    assert top["explanations"]["edition"] == "2026-01-15"
    assert data["responses"]["q2"]["results"] == []
    assert data["responses"]["q3"]["results"][0]["id"] == "un-sc:ZZi.001"


def test_threshold_cutoff_and_exclusions(client: TestClient) -> None:
    body = {"queries": {"q": {"schema": "Organization", "properties": {"name": ["Example"]}}}}
    low = client.post("/match/un-sc", json=body, params={"cutoff": 0.0, "threshold": 0.99})
    results = low.json()["responses"]["q"]["results"]
    assert results and all(r["match"] is False for r in results)
    first = results[0]["id"]
    excluded = client.post(
        "/match/un-sc", json=body, params={"cutoff": 0.0, "exclude_entity_ids": [first]}
    )
    assert first not in [r["id"] for r in excluded.json()["responses"]["q"]["results"]]


@pytest.mark.parametrize(
    ("method", "path", "kwargs", "status"),
    [
        ("post", "/match/nowhere", {"json": {"queries": {}}}, 404),
        ("post", "/match/default", {"content": b"{not json"}, 422),
        (
            "post",
            "/match/default",
            {"json": {"queries": {"q": {"schema": "Spaceship", "properties": {"name": ["x"]}}}}},
            400,
        ),
        (
            "post",
            "/match/default",
            {
                "json": {
                    "queries": {"q": {"schema": "Person", "properties": {"name": ["x" * 5000]}}}
                }
            },
            422,
        ),
        (
            "post",
            "/match/default",
            {
                "json": {
                    "queries": {
                        str(i): {"schema": "Person", "properties": {"name": ["x"]}}
                        for i in range(501)
                    }
                }
            },
            422,
        ),
        ("post", "/match/default", {"json": {"queries": {}}, "params": {"algorithm": "x"}}, 400),
        ("get", "/entities/un-sc:NOPE", {}, 404),
        ("get", "/search/default", {"params": {"q": ""}}, 422),
    ],
)
def test_bad_requests_get_4xx_with_a_message(
    client: TestClient, method: str, path: str, kwargs: dict, status: int
) -> None:
    response = getattr(client, method)(path, **kwargs)
    assert response.status_code == status
    assert "detail" in response.json()


def test_search_entities_catalog_health(client: TestClient) -> None:
    found = client.get("/search/default", params={"q": "Example Relief"}).json()
    assert found["results"][0]["id"] == "un-sc:ZZe.002"
    entity = client.get("/entities/un-sc:ZZi.002").json()
    assert entity["caption"] == "IVAN PETROVICH PRIMEROV"
    assert entity["properties"]["birthDate"] == ["1980/1982"]
    catalog = client.get("/catalog").json()
    assert catalog["datasets"][0]["name"] == "un-sc"
    assert catalog["datasets"][0]["edition"] == "2026-01-15"
    assert client.get("/algorithms").json()["default"] == "counterflow-v1"
    assert client.get("/healthz").json() == {"status": "ok"}
    assert client.get("/readyz").json()["editions"] == {"un-sc": "2026-01-15"}
    assert "/match/{dataset}" in client.get("/openapi.json").json()["paths"]


def test_a_new_edition_is_swapped_in_whole(client: TestClient, home: Path, tmp_path: Path) -> None:
    holder = client.app.state.service.holder  # type: ignore[attr-defined]
    before = holder.state
    text = (
        sample_list_path()
        .read_text(encoding="utf-8")
        .replace("2026-01-15T", "2026-03-01T")
        .replace("EXAMPLE RELIEF FOUNDATION", "EXAMPLE AID TRUST")
    )
    newer = tmp_path / "newer.xml"
    newer.write_text(text, encoding="utf-8")
    store.import_list(Workspace(home), newer)
    assert holder.reload() is True and holder.reload() is False
    assert before.edition_labels() == {"un-sc": "2026-01-15"}  # requests in flight keep it
    assert before.screener.entity("un-sc:ZZe.002").caption == "EXAMPLE RELIEF FOUNDATION"
    assert client.get("/entities/un-sc:ZZe.002").json()["caption"] == "EXAMPLE AID TRUST"
    assert client.get("/readyz").json()["editions"] == {"un-sc": "2026-03-01"}
    body = {"queries": {"q": {"schema": "Organization", "properties": {"name": ["Example Aid"]}}}}
    assert client.post("/match/un-sc", json=body).json()["editions"] == {"un-sc": "2026-03-01"}
