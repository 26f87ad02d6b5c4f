"""Request and response bodies of the HTTP service, shaped as yente's so its clients work.

Sizes are bounded here, at the edge: a batch holds at most ``MAX_QUERIES`` queries, a query at
most ``MAX_PROPERTIES`` properties, and a property at most ``MAX_VALUES`` values of
``MAX_VALUE_LENGTH`` characters. Every request body is text that is valid Unicode
(:class:`RequestBody`).
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator
from pydantic_core import PydanticCustomError

from counterflow.api.text import has_surrogate, safe_text
from counterflow.cases import Decision

MAX_QUERIES = 500
MAX_PROPERTIES = 100
MAX_VALUES = 50
MAX_VALUE_LENGTH = 1000
#: the longest query key (``queries`` is keyed by the caller's own ids) and property name
MAX_KEY_LENGTH = 200
MAX_PROPERTY_NAME = 64

Value = Annotated[str, StringConstraints(max_length=MAX_VALUE_LENGTH)]
QueryKey = Annotated[str, StringConstraints(max_length=MAX_KEY_LENGTH)]
PropertyName = Annotated[str, StringConstraints(max_length=MAX_PROPERTY_NAME)]


def _pointer(path: list[str | int]) -> str:
    """A JSON pointer (RFC 6901) to a place in the body, safe to repeat in an answer."""
    parts = (str(p).replace("~", "~0").replace("/", "~1") for p in path)
    return safe_text("/" + "/".join(parts), 200)


def _first_surrogate(data: Any) -> str | None:
    """Where the first lone surrogate in a JSON value is (in a key or a string), or None.

    Walked with a stack, not recursion: the body's nesting is the caller's choice."""
    stack: list[tuple[list[str | int], Any]] = [([], data)]
    while stack:
        path, value = stack.pop()
        if isinstance(value, str):
            if has_surrogate(value):
                return f"the text at {_pointer(path)}"
        elif isinstance(value, dict):
            for key, item in value.items():
                if isinstance(key, str) and has_surrogate(key):
                    return f"the key {_pointer([*path, key])}"
                stack.append(([*path, key], item))
        elif isinstance(value, list):
            stack.extend(([*path, i], item) for i, item in enumerate(value))
    return None


class RequestBody(BaseModel):
    """A request body: refused (422, naming the place) if any key or text in it holds a lone
    surrogate (``"\\ud800"``), which is not Unicode and cannot be screened, stored or
    repeated."""

    @model_validator(mode="before")
    @classmethod
    def _valid_unicode(cls, data: Any) -> Any:
        where = _first_surrogate(data)
        if where is not None:
            raise PydanticCustomError(
                "lone_surrogate",
                "{where} holds a lone surrogate (half of a UTF-16 pair), which is not valid "
                "Unicode: send UTF-8 text",
                {"where": where},
            )
        return data


class EntityExample(BaseModel):
    """One party to match: an FtM schema and properties (name, birthDate, nationality, …)."""

    model_config = ConfigDict(extra="ignore")

    id: str | None = Field(default=None, max_length=200)
    schema_: str = Field(alias="schema", examples=["Person"], max_length=50)
    properties: Annotated[
        dict[PropertyName, Annotated[list[Value], Field(max_length=MAX_VALUES)]],
        Field(max_length=MAX_PROPERTIES),
    ] = Field(examples=[{"name": ["Aiman al-Zawahiri"], "birthDate": ["1951"]}])


class EntityMatchQuery(RequestBody):
    """yente's match body. ``weights`` and ``config`` tune nomenklatura's scorers; this
    service's matcher is calibrated as a whole (docs/screening.md), so a request that sets
    either is refused (400) rather than answered as if they had been applied."""

    queries: Annotated[dict[QueryKey, EntityExample], Field(max_length=MAX_QUERIES)]
    weights: Annotated[dict[PropertyName, float], Field(max_length=MAX_PROPERTIES)] = {}
    config: Annotated[dict[PropertyName, Any], Field(max_length=MAX_PROPERTIES)] = {}


class ListingOut(BaseModel):
    """One list's entry for the party: a party on several lists is one result with one
    listing per list, the entry that matched first."""

    list: str
    list_ref: str
    entity_id: str


class EntityResponse(BaseModel):
    id: str
    caption: str
    schema_: str = Field(alias="schema", serialization_alias="schema")
    properties: dict[str, list[str]]
    #: the lists the party is on (yente's field): those of ``listings``
    datasets: list[str]
    referents: list[str] = []
    target: bool = True
    listings: list[ListingOut] = []

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


class DecisionRequest(RequestBody):
    """Clear one hit as a false positive: the query as it was screened, the entry it hit, who
    decided and why."""

    query: EntityExample
    entity_id: str = Field(max_length=300, examples=["un-sc:QDi.001"])
    analyst: str = Field(min_length=1, max_length=200, examples=["A. Analyst"])
    reason: str = Field(
        min_length=1, max_length=2000, examples=["date of birth and nationality differ"]
    )


class RevokeRequest(RequestBody):
    analyst: str = Field(min_length=1, max_length=200)
    reason: str = Field(min_length=1, max_length=2000)


class DecisionList(BaseModel):
    decisions: list[Decision]


class ReloadResponse(BaseModel):
    reloaded: bool
    editions: dict[str, str]


class Algorithm(BaseModel):
    """A name ``algorithm`` accepts. Every one runs counterflow's matcher (``runs``); yente's
    names are accepted so that its clients work, and ``uses`` says what of the query each
    takes into account."""

    name: str
    description: str
    runs: str
    uses: list[str]


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


# ---------------------------------------------------------------------------- cases

#: the most alerts, parties or hits one request freezes into a case
MAX_EVIDENCE_IDS = 500
#: the longest alert or party id, priority and dataset name a case request takes
MAX_ID_LENGTH = 200
#: the longest case title and text (comment, reason) a request takes: the library's own limits
MAX_CASE_TITLE = 200
MAX_CASE_TEXT = 10_000

EvidenceId = Annotated[str, StringConstraints(min_length=1, max_length=MAX_ID_LENGTH)]
#: a screening hit as given (a ``/match`` result or a batch result row): ``entity_id`` (or
#: ``id``) names the list entry; ``list`` and ``edition`` pin where it is looked up
Hit = Annotated[
    dict[Annotated[str, StringConstraints(max_length=MAX_PROPERTY_NAME)], Any],
    Field(max_length=MAX_PROPERTIES),
]
CaseText = Annotated[str, StringConstraints(min_length=1, max_length=MAX_CASE_TEXT)]


class CaseEvidenceRequest(RequestBody):
    """Evidence to freeze into a case: alert ids, party ids (of ``dataset``) and screening
    hits, as the workspace has them now."""

    alerts: Annotated[list[EvidenceId], Field(max_length=MAX_EVIDENCE_IDS)] = Field(
        default=[], examples=[["A-fd832028881b30c3"]]
    )
    parties: Annotated[list[EvidenceId], Field(max_length=MAX_EVIDENCE_IDS)] = []
    hits: Annotated[list[Hit], Field(max_length=MAX_EVIDENCE_IDS)] = Field(
        default=[], examples=[[{"entity_id": "un-sc:QDi.001", "score": 0.93}]]
    )
    dataset: str | None = Field(default=None, max_length=MAX_ID_LENGTH, examples=["world"])


class CaseOpenRequest(CaseEvidenceRequest):
    """A new case: a title, its priority (``case_sla_days`` sets its due date) and its
    evidence; with none, a manual case (a tip-off)."""

    title: str = Field(min_length=1, max_length=MAX_CASE_TITLE, examples=["Hub payments"])
    priority: str = Field(default="medium", max_length=MAX_ID_LENGTH, examples=["high"])


class AssignRequest(RequestBody):
    user: str = Field(min_length=1, max_length=64, examples=["Rania"])


class CommentRequest(RequestBody):
    text: CaseText = Field(examples=["the payer's address matches a listed party's"])


class ProposeRequest(RequestBody):
    decision: Literal["report", "no-report"]
    reason: CaseText = Field(examples=["funds routed through a listed hub"])


class ApproveRequest(RequestBody):
    comment: str | None = Field(default=None, max_length=MAX_CASE_TEXT)


class ReasonRequest(RequestBody):
    reason: CaseText


class CaseOut(BaseModel):
    """A case as it is now; ``version`` changes with every change (its ``ETag``)."""

    id: str
    title: str
    status: str
    priority: str
    dataset: str | None
    assignee: str | None
    created_by: str
    decision: str | None
    reason: str | None
    proposed_by: str | None
    approved_by: str | None
    reference: str | None
    version: int
    due: str
    created: str
    updated: str
    overdue: bool


class CaseList(BaseModel):
    """A page of cases: ``limit`` at most, after ``offset``; ``more`` when another page
    follows (ask again with ``offset`` + ``limit``)."""

    cases: list[CaseOut]
    limit: int
    offset: int
    more: bool


class EvidenceOut(BaseModel):
    """One frozen evidence item: ``data`` exactly as frozen, ``content_hash`` its SHA-256."""

    seq: int
    kind: str
    key: str
    dataset: str | None
    data: Any
    content_hash: str
    added: str
    added_by: str


class EventOut(BaseModel):
    """One event of the case's hash-chained history."""

    seq: int
    time: str
    actor: str
    kind: str
    payload: dict[str, Any]
    prev: str
    hash: str


class CaseDetail(CaseOut):
    evidence: list[EvidenceOut]
    events: list[EventOut]


class DismissalOut(BaseModel):
    """A standing dismissal: who, when, why, and the alert's size and score then."""

    by: str
    at: str
    reason: str
    transactions: int
    score: float


class AlertOut(BaseModel):
    """A stored alert: what a scenario raised, about whom, on which transactions and why, and
    what became of it: ``in-case`` (``cases`` holds it), ``dismissed`` (``dismissal``), else
    ``open`` (``new`` when its scenario's last run raised it first; ``changes`` how the run
    that last changed it did; ``changed_since_dismissal`` when a changed alert reopened)."""

    alert_id: str
    dataset: str
    scenario: str
    typology: str
    severity: str
    subject_kind: str
    subject_id: str
    score: float
    first: str | None
    last: str | None
    transactions: list[str]
    explanation: Any
    status: Literal["open", "in-case", "dismissed"]
    cases: list[str]
    new: bool
    raised_first: str | None
    raised_last: str | None
    changed: str | None
    changes: dict[str, Any] | None
    retired: str | None
    dismissal: DismissalOut | None
    changed_since_dismissal: dict[str, Any] | None


class AlertList(BaseModel):
    alerts: list[AlertOut]
    #: the limit the list was cut at
    limit: int
