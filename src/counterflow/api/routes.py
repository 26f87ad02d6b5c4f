"""The screening endpoints: yente's /match, /search and /entities, plus catalogue and health.

Every screening answer names the list editions it was judged against and is written to the
audit trail before it is returned (answers without a record of their own, such as the
catalogue or an error, get one from the guard).
"""

from __future__ import annotations

import dataclasses
import logging
import re
import threading
from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass
from typing import Annotated, Any, TypeVar

from fastapi import APIRouter, Depends, HTTPException, Path, Query, Request, Response
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel

from counterflow.api.models import (
    Algorithm,
    AlgorithmsResponse,
    CatalogResponse,
    DatasetInfo,
    DecisionNote,
    EntityExample,
    EntityMatches,
    EntityMatchQuery,
    EntityMatchResponse,
    EntityResponse,
    ListingOut,
    ScoredEntityResponse,
    SearchResponse,
    TotalSpec,
)
from counterflow.api.security import ScreenCaller, ServiceDep, audit
from counterflow.api.state import ScreenerState, Service
from counterflow.cases import Clearance
from counterflow.cases.hits import MAX_AUDITED_NAME, REQUEST_ID_HEADER, new_request_id
from counterflow.errors import ConfigError, DataError, NotFoundError
from counterflow.lists.formats.ftm import entity_to_ftm
from counterflow.lists.store import content_dates
from counterflow.model import Entity
from counterflow.model.schema import SCHEMATA
from counterflow.screening import DEFAULT_THRESHOLD, Listing, Match
from counterflow.screening import Query as ScreeningQuery

ALGORITHM = "counterflow-v1"
DEFAULT_DATASET = "default"
#: the scopes that mean every loaded list: yente's ``default`` and ``sanctions`` collections
ALL_LISTS = (DEFAULT_DATASET, "sanctions")
#: what each algorithm takes of a query into account
_EVERYTHING = ["name", "birthDate", "country", "gender", "identifier"]
_NAMES_ONLY = ["name"]


@dataclass(frozen=True)
class AlgorithmSpec:
    """How a yente algorithm name is served: always by counterflow's matcher, on the whole
    query or (``name-based``) on its names alone, since that is what the name promises."""

    name: str
    description: str
    uses: tuple[str, ...]

    def narrowed(self, query: ScreeningQuery) -> ScreeningQuery:
        """The query as this algorithm scores it."""
        if "birthDate" in self.uses:
            return query
        return dataclasses.replace(query, birth_dates=(), countries=(), gender=None, identifiers=())


_NATIVE = (
    "counterflow's multilingual name matcher with date of birth, country, gender and "
    "identifier evidence (docs/screening.md)"
)
#: every name ``algorithm`` accepts; yente's (nomenklatura's) names run counterflow's matcher
ALGORITHMS: dict[str, AlgorithmSpec] = {
    spec.name: spec
    for spec in (
        AlgorithmSpec(ALGORITHM, f"{_NATIVE}; the default", tuple(_EVERYTHING)),
        *(
            AlgorithmSpec(name, f"yente's {name}, served by {ALGORITHM}: {_NATIVE}", tuple(uses))
            for name, uses in (
                ("logic-v1", _EVERYTHING),
                ("logic-v2", _EVERYTHING),
                ("name-qualified", _EVERYTHING),
                ("regression-v1", _EVERYTHING),
                ("regression-v2", _EVERYTHING),
                ("name-based", _NAMES_ONLY),
            )
        ),
    )
}
ALGORITHMS["name-based"] = dataclasses.replace(
    ALGORITHMS["name-based"],
    description=f"yente's name-based, served by {ALGORITHM} on the query's names alone: "
    "dates of birth, countries, gender and identifiers are left out of the score",
)
#: yente's aliases for its configured default and best algorithm
ALGORITHM_ALIASES = {"default": ALGORITHM, "best": ALGORITHM}
#: the topics entries carry (FtM topic names): every entry is a listing on a sanctions list
#: (``sanction``); terrorism listings also carry ``crime.terror`` (see :func:`topics_of`)
TOPICS = ("sanction", "crime.terror")
#: a programme naming terrorism: UN ISIL (Da'esh) & Al-Qaida, OFAC SDGT / SDT / FTO, UK and
#: EU counter-terrorism regimes
_TERROR_PROGRAMME = re.compile(
    r"al-?qa[i']?da|isil|da'?esh|terroris|\b(?:SDGT|SDT|FTO)\b", re.IGNORECASE
)
#: UN reference numbers of the ISIL (Da'esh) & Al-Qaida list: QDi.* and QDe.*
_UN_TERROR_REF = re.compile(r"QD[ie]\.", re.IGNORECASE)
#: ``changed_since``: a date, optionally with a time as yente takes it (the day is used)
_CHANGED_SINCE = re.compile(r"\d{4}-\d{2}-\d{2}([T ][0-9:.]+Z?)?")
#: the query parameters each screening endpoint takes; any other is refused (400) by name
MATCH_PARAMETERS = frozenset(
    {
        "limit",
        "threshold",
        "cutoff",
        "algorithm",
        "include_dataset",
        "exclude_dataset",
        "exclude_schema",
        "topics",
        "changed_since",
        "exclude_entity_ids",
    }
)
SEARCH_PARAMETERS = frozenset(
    {
        "q",
        "schema",
        "limit",
        "include_dataset",
        "exclude_dataset",
        "exclude_schema",
        "topics",
        "changed_since",
    }
)
#: results screened before filters that the index cannot apply (schema, topic, change date)
_UNFILTERED = 10_000
#: the lowest score /match returns unless asked otherwise (yente's default too)
DEFAULT_CUTOFF = 0.1
#: batches up to this size are screened on the event loop, larger ones in a worker thread
INLINE_QUERIES = 4
T = TypeVar("T")

log = logging.getLogger("counterflow.api")
router = APIRouter()


async def _state(svc: ServiceDep) -> ScreenerState:
    return svc.holder.state


StateDep = Annotated[ScreenerState, Depends(_state)]
DatasetPath = Annotated[
    str,
    Path(
        description="A list id, or 'default' or 'sanctions' for every list.",
        examples=["default", "un-sc"],
        max_length=64,
    ),
]
Repeated = Annotated[list[str] | None, Query(max_length=100)]


def _lists(state: ScreenerState, dataset: str) -> list[str] | None:
    if dataset in ALL_LISTS:
        return None
    if dataset not in state.editions:
        known = ", ".join([*ALL_LISTS, *sorted(state.editions)])
        raise NotFoundError(f"no dataset {dataset!r} (known: {known})")
    return [dataset]


def _only(request: Request, known: Collection[str]) -> None:
    """Refuse a query parameter the endpoint does not take: a filter the caller believes
    applied but was dropped would make a screening look cleaner than it is."""
    for name in request.query_params:
        if name not in known:
            raise ConfigError(
                f"unsupported query parameter {name!r} (this endpoint takes "
                f"{', '.join(sorted(known))})"
            )


def algorithm_spec(name: str) -> AlgorithmSpec:
    """The algorithm a name asks for, or a 400 naming it."""
    spec = ALGORITHMS.get(ALGORITHM_ALIASES.get(name, name))
    if spec is None:
        known = ", ".join([*ALGORITHMS, *ALGORITHM_ALIASES])
        raise ConfigError(f"unknown algorithm {name!r} (this service takes {known})")
    return spec


def topics_of(entity: Entity) -> frozenset[str]:
    """The FtM topics an entry carries: ``sanction`` always (every list here is a sanctions
    list), and ``crime.terror`` for a terrorism listing: the UN ISIL (Da'esh) & Al-Qaida list
    (QDi./QDe.), or a programme naming terrorism (OFAC SDGT, SDT, FTO; UK and EU counter-
    terrorism and ISIL/Al-Qaida regimes)."""
    terror = bool(_UN_TERROR_REF.match(entity.ref)) or any(
        _TERROR_PROGRAMME.search(p) for p in entity.sanction.get("program")
    )
    return frozenset(TOPICS if terror else TOPICS[:1])


class _ChangeDates:
    """Per entry, the day its content last changed or first appeared (for ``changed_since``),
    read from the workspace once per set of active editions and kept until they change."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._key: tuple[str, ...] = ()
        self._dates: dict[str, str] = {}

    def of(self, svc: Service, state: ScreenerState) -> dict[str, str]:
        key = tuple(sorted(e.edition_id for e in state.editions.values()))
        with self._lock:
            if key != self._key:
                with svc.holder.workspace.connect(read_only=True) as conn:
                    self._dates = content_dates(conn, state.editions.values())
                self._key = key
            return self._dates


_CHANGE_DATES = _ChangeDates()


@dataclass(frozen=True)
class Filters:
    """yente's result filters, checked against what this service holds: each either narrows
    the results or is refused (400) naming what cannot be honoured."""

    lists: list[str] | None = None
    exclude_schema: frozenset[str] = frozenset()
    topics: frozenset[str] = frozenset()
    changed_since: str | None = None
    #: entry id -> day its content last changed (only with ``changed_since``)
    changed: dict[str, str] = dataclasses.field(default_factory=dict)

    @property
    def after_screening(self) -> bool:
        """Whether results are narrowed after screening (so more must be screened first)."""
        return bool(self.exclude_schema or self.topics or self.changed_since)

    def screen(
        self, state: ScreenerState, query: ScreeningQuery, limit: int, cutoff: float
    ) -> list[Match]:
        """The query screened against the lists left in scope (none when every one was
        excluded: the screener reads an empty list of lists as all of them)."""
        if self.lists == []:
            return []
        return state.screener.screen(query, limit=limit, threshold=cutoff, lists=self.lists)

    def keep(self, match: Match) -> bool:
        entity = match.entity
        if entity.schema.name in self.exclude_schema:
            return False
        if self.topics and not self.topics & topics_of(entity):
            return False
        if self.changed_since is not None:
            return self.changed.get(entity.id, "") >= self.changed_since
        return True

    def audited(self) -> dict[str, Any]:
        return {
            "lists": self.lists,
            "exclude_schema": sorted(self.exclude_schema),
            "topics": sorted(self.topics),
            "changed_since": self.changed_since,
        }


def _known(values: Iterable[str], known: Collection[str], what: str, param: str) -> set[str]:
    given = set(values)
    unknown = sorted(given - set(known))
    if unknown:
        raise ConfigError(
            f"{param}: unknown {what} {', '.join(map(repr, unknown))} (known: "
            f"{', '.join(sorted(known))})"
        )
    return given


async def _filters(
    svc: Service,
    state: ScreenerState,
    dataset: str,
    include_dataset: list[str] | None,
    exclude_dataset: list[str] | None,
    exclude_schema: list[str] | None,
    topics: list[str] | None,
    changed_since: str | None,
) -> Filters:
    """The lists to screen (the path's scope, narrowed by ``include_dataset`` and
    ``exclude_dataset``) and the filters on the results, each checked."""
    scope = _lists(state, dataset)
    loaded = sorted(state.editions)
    lists = set(scope or loaded)
    if include_dataset:
        lists &= _known(include_dataset, loaded, "list", "include_dataset")
    if exclude_dataset:
        lists -= _known(exclude_dataset, loaded, "list", "exclude_dataset")
    narrowed = None if scope is None and lists == set(loaded) else sorted(lists)
    since = None
    changed: dict[str, str] = {}
    if changed_since is not None:
        if not _CHANGED_SINCE.fullmatch(changed_since):
            raise ConfigError(
                f"changed_since: {changed_since[:40]!r} is not a date (YYYY-MM-DD, optionally "
                "with a time)"
            )
        since = changed_since[:10]
        changed = await run_in_threadpool(_CHANGE_DATES.of, svc, state)
    return Filters(
        lists=narrowed,
        exclude_schema=frozenset(
            _known(exclude_schema or (), SCHEMATA, "schema", "exclude_schema")
        ),
        topics=frozenset(_known(topics or (), TOPICS, "topic", "topics")),
        changed_since=since,
        changed=changed,
    )


def _entity(entity: Entity, listings: Iterable[Listing] | None = None) -> dict[str, Any]:
    ftm = entity_to_ftm(entity)[0]
    found = list(listings or (Listing.of(entity),))
    return {
        "id": entity.id,
        "caption": entity.caption,
        "schema": entity.schema.name,
        "properties": ftm["properties"],
        "datasets": list(dict.fromkeys(x.list_id for x in found)),
        "listings": [ListingOut(**x.to_json()) for x in found],
    }


def _scored(match: Match, clearance: Clearance | None = None) -> ScoredEntityResponse:
    features = {"name": match.name_score}
    features.update({e.feature: e.adjustment for e in match.evidence})
    note = None
    if clearance is not None:
        decision = clearance.decision
        note = DecisionNote(
            decision_id=decision.decision_id,
            status=clearance.status,
            analyst=decision.analyst,
            time=decision.time,
            reason=decision.reason,
        )
    return ScoredEntityResponse(
        **_entity(match.entity, match.listings),
        score=match.score,
        match=match.is_match and not (clearance and clearance.cleared),
        features=features,
        explanations=match.explanation,
        decision=note,
    )


@router.post(
    "/match/{dataset}",
    response_model=EntityMatchResponse,
    tags=["matching"],
    response_model_by_alias=True,
)
async def match(
    dataset: DatasetPath,
    body: EntityMatchQuery,
    request: Request,
    caller: ScreenCaller,
    svc: ServiceDep,
    state: StateDep,
    limit: Annotated[int, Query(ge=1, le=500)] = 5,
    threshold: Annotated[float, Query(ge=0.0, le=1.0)] = DEFAULT_THRESHOLD,
    cutoff: Annotated[float, Query(ge=0.0, le=1.0)] = DEFAULT_CUTOFF,
    algorithm: Annotated[
        str, Query(max_length=50, description="counterflow-v1, or a yente name: GET /algorithms")
    ] = ALGORITHM,
    include_dataset: Repeated = None,
    exclude_dataset: Repeated = None,
    exclude_schema: Repeated = None,
    topics: Repeated = None,
    changed_since: Annotated[str | None, Query(max_length=40, examples=["2026-01-01"])] = None,
    exclude_entity_ids: Repeated = None,
) -> Response:
    """Match each query against the lists, as yente's /match does.

    A hit an analyst cleared for this same query (``POST /decisions``) comes back with
    ``match: false`` and its ``decision``, until the list entry changes. Every yente query
    parameter is either honoured or refused (400, naming it): see docs/service.md.
    """
    _only(request, MATCH_PARAMETERS)
    spec = algorithm_spec(algorithm)
    for given, what in ((body.weights, "weights"), (body.config, "config")):
        if given:
            raise ConfigError(
                f"{what} cannot be honoured: counterflow's matcher is calibrated as a whole "
                "and takes no per-request weights or configuration (docs/screening.md)"
            )
    filters = await _filters(
        svc, state, dataset, include_dataset, exclude_dataset, exclude_schema, topics, changed_since
    )
    excluded = set(exclude_entity_ids or ())
    queries = {key: _query(key, example) for key, example in body.queries.items()}
    wanted = _UNFILTERED if filters.after_screening else limit + len(excluded)

    names: dict[tuple[str, str], str] = {}  # (query key, entity id): the name that matched

    def screen_all() -> dict[str, EntityMatches]:
        svc.decisions.refresh()
        responses: dict[str, EntityMatches] = {}
        for key, query in queries.items():
            found = filters.screen(state, spec.narrowed(query), wanted, cutoff)
            fingerprint = query.fingerprint()
            results = []
            for hit in found:
                if hit.entity.id in excluded or not filters.keep(hit):
                    continue
                hit.threshold = threshold  # "match" is judged at the caller's threshold
                party = state.screener.party(hit.entity.id)
                results.append(_scored(hit, svc.decisions.lookup(fingerprint, hit.entity, party)))
                names[(key, hit.entity.id)] = hit.matched_name
                if len(results) == limit:
                    break
            example = body.queries[key]
            responses[key] = EntityMatches(
                results=results,
                total=TotalSpec(value=len(results)),
                query={"id": key, "schema": example.schema_, "properties": example.properties},
            )
        return responses

    responses = await _compute(screen_all, len(queries))
    editions = state.edition_labels()
    # on the event loop: the record's fsync holds it for about 0.2 ms, and a worker thread
    # measured worse (bench/service: 373 against 454 requests/s at concurrency 8), because the
    # thread then waits for the busy loop to let go of the GIL
    request_id = new_request_id()
    audit(
        request,
        "match",
        caller,
        request_id=request_id,
        dataset=dataset,
        editions=editions,
        params={
            "limit": limit,
            "threshold": threshold,
            "cutoff": cutoff,
            "algorithm": algorithm,
            "exclude_entity_ids": sorted(excluded),
            **filters.audited(),
        },
        queries={
            k: {"schema": q.schema_, "properties": q.properties} for k, q in body.queries.items()
        },
        results={key: _audited(r.results, names, key) for key, r in responses.items()},
    )
    answer = _json(EntityMatchResponse(responses=responses, limit=limit, editions=editions))
    answer.headers[REQUEST_ID_HEADER] = request_id
    return answer


async def _compute(work: Callable[[], T], queries: int) -> T:
    """Screen on the event loop when the batch is small, in a worker thread when it is not.

    One query takes about a millisecond, less than handing it to a thread and back; a batch
    of hundreds would hold up every other request (health checks included) for a second.
    """
    if queries <= INLINE_QUERIES:
        return work()
    return await run_in_threadpool(work)


def _json(model: BaseModel) -> Response:
    """The answer serialised once by pydantic; the route's ``response_model`` still documents
    it, and FastAPI does not validate it a second time."""
    return Response(model.model_dump_json(by_alias=True), media_type="application/json")


def _query(key: str, example: EntityExample) -> ScreeningQuery:
    try:
        return ScreeningQuery.from_properties(example.schema_, example.properties, id=key)
    except DataError as exc:
        raise HTTPException(400, f"query {key!r}: {exc.problem}") from exc
    except ValueError as exc:  # the caller's text, not the server, is the cause: never a 500
        log.warning("query %r could not be read", key, exc_info=True)
        raise HTTPException(400, f"query {key!r} cannot be screened") from exc


def _audited(
    results: list[ScoredEntityResponse],
    names: dict[tuple[str, str], str] | None = None,
    key: str = "",
) -> list[dict[str, Any]]:
    """What the audit trail keeps of each result: enough to know what the caller was told and
    to escalate the hit into a case later (:mod:`counterflow.cases.hits`): the entry, its
    list, its caption and the name that matched (each at most :data:`MAX_AUDITED_NAME`
    characters)."""
    out = []
    for r in results:
        item: dict[str, Any] = {
            "id": r.id,
            "score": round(r.score, 4),
            "match": r.match,
            "decision": r.decision.decision_id if r.decision else None,
            "list": r.datasets[0] if r.datasets else None,
            "caption": r.caption[:MAX_AUDITED_NAME],
        }
        if names is not None and (key, r.id) in names:
            item["matched_name"] = names[(key, r.id)][:MAX_AUDITED_NAME]
        out.append(item)
    return out


@router.get(
    "/search/{dataset}",
    response_model=SearchResponse,
    tags=["matching"],
    response_model_by_alias=True,
)
async def search(
    dataset: DatasetPath,
    request: Request,
    caller: ScreenCaller,
    svc: ServiceDep,
    state: StateDep,
    q: Annotated[str, Query(min_length=1, max_length=1000)],
    schema: Annotated[str | None, Query(max_length=50)] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 10,
    include_dataset: Repeated = None,
    exclude_dataset: Repeated = None,
    exclude_schema: Repeated = None,
    topics: Repeated = None,
    changed_since: Annotated[str | None, Query(max_length=40, examples=["2026-01-01"])] = None,
) -> Response:
    """Entries whose names look like ``q``, best first, with /match's filters."""
    _only(request, SEARCH_PARAMETERS)
    try:
        query = ScreeningQuery.make(q, schema=schema)
    except DataError as exc:
        raise HTTPException(400, exc.problem) from exc
    except ValueError as exc:  # the caller's text, not the server, is the cause: never a 500
        log.warning("search %r could not be read", q[:100], exc_info=True)
        raise HTTPException(400, "the search text cannot be screened") from exc
    filters = await _filters(
        svc, state, dataset, include_dataset, exclude_dataset, exclude_schema, topics, changed_since
    )
    wanted = _UNFILTERED if filters.after_screening else limit
    found = await _compute(
        lambda: [m for m in filters.screen(state, query, wanted, 0.5) if filters.keep(m)][:limit],
        1,
    )
    results = [_scored(m) for m in found]
    editions = state.edition_labels()
    audit(
        request,
        "search",
        caller,
        dataset=dataset,
        editions=editions,
        params={"q": q, "schema": schema, "limit": limit, **filters.audited()},
        results=_audited(results),
    )
    return _json(
        SearchResponse(
            results=results, total=TotalSpec(value=len(found)), limit=limit, editions=editions
        )
    )


@router.get(
    "/entities/{entity_id}",
    response_model=EntityResponse,
    tags=["data"],
    response_model_by_alias=True,
)
def entity(
    entity_id: Annotated[str, Path(max_length=300)],
    request: Request,
    caller: ScreenCaller,
    state: StateDep,
) -> EntityResponse:
    """One list entry by its id (``un-sc:QDe.137``)."""
    found = state.screener.entity(entity_id)
    audit(
        request,
        "entity",
        caller,
        entity_id=entity_id,
        found=found is not None,
        editions=state.edition_labels(),
    )
    if found is None:
        raise NotFoundError(f"no entity {entity_id!r} in the active editions")
    return EntityResponse(**_entity(found))


@router.get("/algorithms", response_model=AlgorithmsResponse, tags=["system"])
def algorithms(caller: ScreenCaller) -> AlgorithmsResponse:
    """The names ``algorithm`` takes. counterflow-v1 is the default and the best; yente's names
    are accepted so that its clients work unchanged, and every one runs counterflow's matcher
    (``name-based`` on the query's names alone)."""
    return AlgorithmsResponse(
        algorithms=[
            Algorithm(name=a.name, description=a.description, runs=ALGORITHM, uses=list(a.uses))
            for a in ALGORITHMS.values()
        ],
        default=ALGORITHM,
        best=ALGORITHM,
    )


@router.get("/catalog", response_model=CatalogResponse, tags=["system"])
def catalog(caller: ScreenCaller, state: StateDep) -> CatalogResponse:
    """The lists this service screens against, with the edition of each."""
    datasets = [
        DatasetInfo(
            name=list_id,
            title=e.title,
            edition=e.label,
            published=e.published,
            entity_count=e.entity_count,
            schema_counts=e.schema_counts,
        )
        for list_id, e in sorted(state.editions.items())
    ]
    return CatalogResponse(datasets=datasets, current=[d.name for d in datasets])


@router.get("/healthz", tags=["system"])
def healthz() -> dict[str, str]:
    """The process is up."""
    return {"status": "ok"}


@router.get("/readyz", tags=["system"])
def readyz(svc: ServiceDep) -> dict[str, Any]:
    """The screening index is loaded; 503 until it is."""
    if not svc.holder.ready:
        raise HTTPException(503, "the screening index is not loaded yet")
    return {
        "status": "ok",
        "editions": svc.holder.state.edition_labels(),
        "auth": "OPEN MODE: no API keys checked" if svc.settings.open_mode else "api keys",
        "audit": "on" if svc.audit else "OFF",
    }
