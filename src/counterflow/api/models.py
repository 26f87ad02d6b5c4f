"""Request and response bodies of the HTTP service, shaped as yente's so its clients work.

Sizes are bounded here, at the edge: a batch holds at most ``MAX_QUERIES`` queries and a
property at most ``MAX_VALUES`` values of ``MAX_VALUE_LENGTH`` characters.
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from counterflow.cases import Decision

MAX_QUERIES = 500
MAX_VALUES = 50
MAX_VALUE_LENGTH = 1000

Value = Annotated[str, StringConstraints(max_length=MAX_VALUE_LENGTH)]


class EntityExample(BaseModel):
    """One party to match: an FtM schema and properties (name, birthDate, nationality, …)."""

    model_config = ConfigDict(extra="ignore")

    id: str | None = Field(default=None, max_length=200)
    schema_: str = Field(alias="schema", examples=["Person"], max_length=50)
    properties: dict[str, Annotated[list[Value], Field(max_length=MAX_VALUES)]] = Field(
        examples=[{"name": ["Aiman al-Zawahiri"], "birthDate": ["1951"]}]
    )


class EntityMatchQuery(BaseModel):
    queries: Annotated[dict[str, EntityExample], Field(max_length=MAX_QUERIES)]


class EntityResponse(BaseModel):
    id: str
    caption: str
    schema_: str = Field(alias="schema", serialization_alias="schema")
    properties: dict[str, list[str]]
    datasets: list[str]
    referents: list[str] = []
    target: bool = True

    model_config = ConfigDict(populate_by_name=True)


class DecisionNote(BaseModel):
    """An analyst's earlier decision on this query and entry. ``cleared``: the hit is a known
    false positive and ``match`` is false. ``entry_changed``: the list entry changed since the
    decision, so the hit is raised again."""

    decision_id: str
    status: str
    analyst: str
    time: str
    reason: str


class ScoredEntityResponse(EntityResponse):
    score: float
    match: bool
    features: dict[str, float]
    explanations: dict[str, Any]
    decision: DecisionNote | None = None


class TotalSpec(BaseModel):
    value: int
    relation: str = "eq"


class EntityMatches(BaseModel):
    status: int = 200
    results: list[ScoredEntityResponse]
    total: TotalSpec
    query: dict[str, Any]


class EntityMatchResponse(BaseModel):
    responses: dict[str, EntityMatches]
    limit: int
    #: the list editions these answers were judged against
    editions: dict[str, str]


class SearchResponse(BaseModel):
    results: list[ScoredEntityResponse]
    total: TotalSpec
    limit: int
    editions: dict[str, str]


class DecisionRequest(BaseModel):
    """Clear one hit as a false positive: the query as it was screened, the entry it hit, who
    decided and why."""

    query: EntityExample
    entity_id: str = Field(max_length=300, examples=["un-sc:QDi.001"])
    analyst: str = Field(min_length=1, max_length=200, examples=["A. Analyst"])
    reason: str = Field(
        min_length=1, max_length=2000, examples=["date of birth and nationality differ"]
    )


class RevokeRequest(BaseModel):
    analyst: str = Field(min_length=1, max_length=200)
    reason: str = Field(min_length=1, max_length=2000)


class DecisionList(BaseModel):
    decisions: list[Decision]


class ReloadResponse(BaseModel):
    reloaded: bool
    editions: dict[str, str]


class Algorithm(BaseModel):
    name: str
    description: str


class AlgorithmsResponse(BaseModel):
    algorithms: list[Algorithm]
    default: str
    best: str


class DatasetInfo(BaseModel):
    name: str
    title: str | None
    edition: str | None
    published: str | None
    entity_count: int
    schema_counts: dict[str, int]


class CatalogResponse(BaseModel):
    datasets: list[DatasetInfo]
    current: list[str]
