"""The screening endpoints: yente's /match, /search and /entities, plus catalogue and health.

Every screening answer names the list editions it was judged against and is written to the
audit trail before it is returned (answers without a record of their own, such as the
catalogue or an error, get one from the guard).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
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
    ScoredEntityResponse,
    SearchResponse,
    TotalSpec,
)
from counterflow.api.security import ScreenCaller, ServiceDep, audit
from counterflow.api.state import ScreenerState
from counterflow.cases import Clearance
from counterflow.cases.hits import MAX_AUDITED_NAME, REQUEST_ID_HEADER, new_request_id
from counterflow.errors import DataError, NotFoundError
from counterflow.lists.formats.ftm import entity_to_ftm
from counterflow.model import Entity
from counterflow.screening import DEFAULT_THRESHOLD, Match
from counterflow.screening import Query as ScreeningQuery

ALGORITHM = "counterflow-v1"
DEFAULT_DATASET = "default"
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
        description="A list id, or 'default' for every list.",
        examples=["default", "un-sc"],
        max_length=64,
    ),
]


def _lists(state: ScreenerState, dataset: str) -> list[str] | None:
    if dataset == DEFAULT_DATASET:
        return None
    if dataset not in state.editions:
        known = ", ".join([DEFAULT_DATASET, *sorted(state.editions)])
        raise NotFoundError(f"no dataset {dataset!r} (known: {known})")
    return [dataset]


def _entity(entity: Entity) -> dict[str, Any]:
    ftm = entity_to_ftm(entity)[0]
    return {
        "id": entity.id,
        "caption": entity.caption,
        "schema": entity.schema.name,
        "properties": ftm["properties"],
        "datasets": [entity.list_id],
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
        **_entity(match.entity),
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
    algorithm: Annotated[str, Query(max_length=50)] = ALGORITHM,
    exclude_entity_ids: Annotated[list[str] | None, Query(max_length=100)] = None,
) -> Response:
    """Match each query against the lists, as yente's /match does.

    A hit an analyst cleared for this same query (``POST /decisions``) comes back with
    ``match: false`` and its ``decision``, until the list entry changes.
    """
    if algorithm not in (ALGORITHM, "best", "default"):
        raise HTTPException(400, f"unknown algorithm {algorithm!r} (this service has {ALGORITHM})")
    lists = _lists(state, dataset)
    excluded = set(exclude_entity_ids or ())
    queries = {key: _query(key, example) for key, example in body.queries.items()}

    names: dict[tuple[str, str], str] = {}  # (query key, entity id): the name that matched

    def screen_all() -> dict[str, EntityMatches]:
        svc.decisions.refresh()
        responses: dict[str, EntityMatches] = {}
        for key, query in queries.items():
            found = state.screener.screen(
                query, limit=limit + len(excluded), threshold=cutoff, lists=lists
            )
            fingerprint = query.fingerprint()
            results = []
            for hit in found:
                if hit.entity.id in excluded:
                    continue
                hit.threshold = threshold  # "match" is judged at the caller's threshold
                results.append(_scored(hit, svc.decisions.lookup(fingerprint, hit.entity)))
                names[(key, hit.entity.id)] = hit.matched_name
            results = results[:limit]
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
            "exclude_entity_ids": sorted(excluded),
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
    state: StateDep,
    q: Annotated[str, Query(min_length=1, max_length=1000)],
    schema: Annotated[str | None, Query(max_length=50)] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 10,
) -> Response:
    """Entries whose names look like ``q``, best first."""
    try:
        query = ScreeningQuery.make(q, schema=schema)
    except DataError as exc:
        raise HTTPException(400, exc.problem) from exc
    except ValueError as exc:  # the caller's text, not the server, is the cause: never a 500
        log.warning("search %r could not be read", q[:100], exc_info=True)
        raise HTTPException(400, "the search text cannot be screened") from exc
    lists = _lists(state, dataset)
    found = await _compute(
        lambda: state.screener.screen(query, limit=limit, threshold=0.5, lists=lists), 1
    )
    results = [_scored(m) for m in found]
    editions = state.edition_labels()
    audit(
        request,
        "search",
        caller,
        dataset=dataset,
        editions=editions,
        params={"q": q, "schema": schema, "limit": limit},
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
    """The scoring algorithm this service uses."""
    description = (
        "counterflow's multilingual name matcher with date, country, gender and "
        "identifier evidence; see docs/screening.md"
    )
    return AlgorithmsResponse(
        algorithms=[Algorithm(name=ALGORITHM, description=description)],
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
