"""The screen pages: one name with its optional facts (a shareable URL, ``/ui/screen?q=NAME``),
its results with the explanation made readable, clearing or escalating a hit; and a batch of
customers uploaded as a file, screened in a background thread with a progress bar, its results
paged and downloadable as the CSV ``counterflow screen --output`` writes.

Screening uses the service's screener (the active editions, as ``/match`` does); clearing a
hit records a decision in the service's decision store as the signed-in user, and escalating
opens a case from the hit (:mod:`counterflow.cases.lifecycle`) and records the escalation, as
``POST /decisions`` and ``POST /cases`` do.
"""

from __future__ import annotations

import logging
import secrets
import shutil
import tempfile
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import quote, urlencode

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData, UploadFile

from counterflow.api.case_routes import case_stores
from counterflow.api.security import audit, service_of
from counterflow.api.state import Service
from counterflow.cases import lifecycle
from counterflow.cases.decisions import MAX_REASON, Clearance
from counterflow.cases.hits import record_escalations
from counterflow.errors import ConfigError, DataError, NotFoundError
from counterflow.io import TableWriter, open_table
from counterflow.model.schema import SCHEMATA
from counterflow.screening import DEFAULT_THRESHOLD, Match
from counterflow.screening import Query as ScreeningQuery
from counterflow.screening import batch as batch_lib
from counterflow.screening.batch import RESULT_COLUMNS, RESULT_SCHEMA, screen_file
from counterflow.web.paging import page_of
from counterflow.web.render import render
from counterflow.web.session import AnalystViewer, Viewer, checked_form, form_reason

router = APIRouter(prefix="/ui", include_in_schema=False)
log = logging.getLogger("counterflow.web")

#: the most results one screening shows
MAX_LIMIT = 50
DEFAULT_LIMIT = 10
#: the most data rows a batch file may hold (larger files: ``counterflow screen --input``)
MAX_BATCH_ROWS = 10_000
#: the most hits a batch keeps per customer
BATCH_LIMIT = 5
#: result rows per page of a batch's results
BATCH_PAGE = 100
#: batches kept in memory (the oldest finished ones are forgotten first)
MAX_JOBS = 50
#: a form's repeated facts (dates of birth, countries, identifiers): at most this many each
MAX_FACTS = 10
Facts = Annotated[list[str] | None, Query(max_length=MAX_FACTS)]


# ---------------------------------------------------------------------------- one name


@dataclass(frozen=True)
class Asked:
    """What the screen form asked: a name and its optional facts, as query parameters."""

    q: str = ""
    schema: str = ""
    birth_date: tuple[str, ...] = ()
    country: tuple[str, ...] = ()
    id_number: tuple[str, ...] = ()

    @classmethod
    def of_form(cls, form: FormData) -> Asked:
        def many(key: str) -> tuple[str, ...]:
            values = [v.strip() for v in form.getlist(key) if isinstance(v, str) and v.strip()]
            return tuple(values[:MAX_FACTS])

        q = form.get("q")
        schema = form.get("schema")
        return cls(
            q=q.strip() if isinstance(q, str) else "",
            schema=schema.strip() if isinstance(schema, str) else "",
            birth_date=many("birth_date"),
            country=many("country"),
            id_number=many("id_number"),
        )

    def query(self) -> ScreeningQuery:
        """The screening query (a :class:`ConfigError` for a name that cannot be screened)."""
        try:
            return ScreeningQuery.make(
                self.q,
                schema=self.schema or None,
                birth_date=self.birth_date,
                country=self.country,
                identifier=self.id_number,
            )
        except DataError as exc:
            raise ConfigError(exc.problem) from exc
        except ValueError as exc:  # the caller's text, never a 500
            raise ConfigError("the name cannot be screened") from exc

    def params(self) -> list[tuple[str, str]]:
        pairs = [("q", self.q)]
        if self.schema:
            pairs.append(("schema", self.schema))
        pairs += [("birth_date", v) for v in self.birth_date]
        pairs += [("country", v) for v in self.country]
        pairs += [("id_number", v) for v in self.id_number]
        return pairs

    def url(self, **extra: str) -> str:
        return "/ui/screen?" + urlencode([*self.params(), *extra.items()])

    def properties(self) -> dict[str, list[str]]:
        """The query as /match's FtM properties (what a case's hit keeps)."""
        props: dict[str, list[str]] = {"name": [self.q]}
        if self.birth_date:
            props["birthDate"] = list(self.birth_date)
        if self.country:
            props["country"] = list(self.country)
        if self.id_number:
            props["idNumber"] = list(self.id_number)
        return props


@dataclass(frozen=True)
class Shown:
    """One result as the page shows it."""

    match: Match
    edition: str
    clearance: Clearance | None

    @property
    def raised(self) -> bool:
        return self.match.is_match and not (self.clearance and self.clearance.cleared)


def _shown(request: Request, query: ScreeningQuery, matches: list[Match]) -> list[Shown]:
    svc = service_of(request)
    state = svc.holder.state
    svc.decisions.refresh()
    fingerprint = query.fingerprint()
    labels = state.edition_labels()
    return [
        Shown(
            m,
            m.edition or labels.get(m.entity.list_id, ""),
            svc.decisions.lookup(fingerprint, m.entity, state.screener.party(m.entity.id)),
        )
        for m in matches
    ]


@router.get("/screen", response_class=HTMLResponse)
def screen_page(
    request: Request,
    viewer: AnalystViewer,
    q: Annotated[str, Query(max_length=1000)] = "",
    schema: Annotated[str, Query(max_length=50)] = "",
    birth_date: Facts = None,
    country: Facts = None,
    nationality: Facts = None,
    id_number: Facts = None,
    threshold: Annotated[float, Query(ge=0.0, le=1.0)] = DEFAULT_THRESHOLD,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = DEFAULT_LIMIT,
    done: Annotated[str, Query(max_length=200)] = "",
) -> HTMLResponse:
    asked = Asked(
        q=q.strip(),
        schema=schema.strip(),
        birth_date=tuple(v.strip() for v in birth_date or () if v.strip()),
        country=tuple(v.strip() for v in [*(country or ()), *(nationality or ())] if v.strip()),
        id_number=tuple(v.strip() for v in id_number or () if v.strip()),
    )
    state = service_of(request).holder.state
    results: list[Shown] | None = None
    problem = None
    if asked.q:
        try:
            query = asked.query()
        except ConfigError as exc:
            problem = str(exc)
        else:
            found = state.screener.screen(query, limit=limit, threshold=threshold)
            results = _shown(request, query, found)
    return render(
        request,
        "screen.html",
        viewer,
        status=422 if problem else 200,
        asked=asked,
        threshold=threshold,
        limit=limit,
        results=results,
        problem=problem,
        done=done,
        schemata=sorted(SCHEMATA),
        editions=sorted(state.edition_labels().items()),
        entries=len(state.screener),
        max_reason=MAX_REASON,
    )


def _hit_of(request: Request, form: FormData) -> tuple[Asked, ScreeningQuery, Match, str]:
    """The hit a clear or escalate form names: the query screened again now, and the result
    on the form's entry (so what is recorded is what the lists say, not what a form claims)."""
    asked = Asked.of_form(form)
    query = asked.query()
    entity_id = form.get("entity_id")
    if not isinstance(entity_id, str) or not entity_id or len(entity_id) > 300:
        raise ConfigError("the form names no list entry")
    state = service_of(request).holder.state
    for match in state.screener.screen(query, limit=MAX_LIMIT, threshold=0.0):
        if match.entity.id == entity_id or any(x.entity_id == entity_id for x in match.listings):
            if match.entity.id != entity_id:
                entity = state.screener.entity(entity_id)
                if entity is not None:
                    match.entity = entity
            label = state.edition_labels().get(match.entity.list_id, "")
            return asked, query, match, label
    raise NotFoundError(
        f"the name is no longer a hit on {entity_id!r} in the active editions; screen it again"
    )


@router.post("/screen/clear")
async def clear_hit(request: Request, viewer: AnalystViewer) -> Response:
    form = await checked_form(request, viewer)
    reason = form_reason(form, "the hit is a false positive", MAX_REASON)

    def work() -> str:
        svc = service_of(request)
        asked, query, match, label = _hit_of(request, form)
        principal = viewer.principal
        decision = svc.decisions.clear(
            query,
            match.entity,
            edition=label,
            analyst=viewer.name,
            actor=principal.actor,
            reason=reason,
            party=svc.holder.state.screener.party(match.entity.id),
        )
        audit(request, "web decision", principal, decision=decision.to_json())
        return asked.url(done=f"cleared {match.entity.ref} ({decision.decision_id})")

    return RedirectResponse(await run_in_threadpool(work), status_code=303)


@router.post("/screen/escalate")
async def escalate_hit(request: Request, viewer: AnalystViewer) -> Response:
    form = await checked_form(request, viewer)

    def work() -> str:
        svc = service_of(request)
        asked, query, match, label = _hit_of(request, form)
        entity = match.entity
        hit: dict[str, Any] = {
            "source": "web screen",
            "screened_by": viewer.name,
            "query": {"schema": query.schema, "properties": asked.properties()},
            "query_name": match.query_name,
            "entity_id": entity.id,
            "caption": entity.caption,
            "matched_name": match.matched_name,
            "score": round(match.score, 4),
            "match": match.is_match,
            "list": entity.list_id,
            "list_ref": entity.ref,
            "edition": f"{entity.list_id}@{label}" if label else None,
            "explanation": match.summary(),
        }
        principal = viewer.principal
        case = lifecycle.open_case(
            case_stores(request, svc).write(),
            svc.workspace,
            viewer.name,
            title=f"Screening hit: {asked.q[:80]} ~ {entity.caption[:80]} ({entity.ref})",
            hits=[hit],
        )
        escalated = record_escalations(
            svc.workspace, svc.decisions, [hit], case.id, analyst=viewer.name, actor=principal.actor
        )
        audit(
            request,
            "case open",
            principal,
            case=case.id,
            status=case.status,
            alerts=[],
            parties=[],
            hits=1,
            escalated=[d.decision_id for d in escalated],
        )
        return f"/ui/cases/{quote(case.id, safe='')}"

    return RedirectResponse(await run_in_threadpool(work), status_code=303)


# ---------------------------------------------------------------------------- batches


@dataclass
class Job:
    """One batch screening, owned by the user who started it."""

    job_id: str
    owner: str
    filename: str
    total: int
    started: float = field(default_factory=time.time)
    done: int = 0
    finished: bool = False
    error: str | None = None
    rows: list[dict[str, Any]] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)
    csv: bytes = b""

    @property
    def percent(self) -> int:
        if self.finished:
            return 100
        return int(100 * self.done / self.total) if self.total else 0


class Jobs:
    """The batches of this process, by a random id (a lost id is not guessable)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._jobs: OrderedDict[str, Job] = OrderedDict()

    def add(self, owner: str, filename: str, total: int) -> Job:
        job = Job(secrets.token_urlsafe(16), owner, filename, total)
        with self._lock:
            while len(self._jobs) >= MAX_JOBS:
                gone = next((k for k, j in self._jobs.items() if j.finished), None)
                if gone is None:
                    raise ConfigError(f"{MAX_JOBS} batches are running; wait for one to finish")
                del self._jobs[gone]
            self._jobs[job.job_id] = job
        return job

    def get(self, job_id: str, viewer: Viewer) -> Job:
        """The viewer's own batch (another user's is as unknown as a missing one)."""
        with self._lock:
            job = self._jobs.get(job_id)
        if job is None or job.owner != viewer.name:
            raise NotFoundError("no such batch (batches are kept until the service restarts)")
        return job

    def of(self, owner: str) -> list[Job]:
        with self._lock:
            return [j for j in reversed(self._jobs.values()) if j.owner == owner]


JOBS = Jobs()


def _csv_text(rows: list[dict[str, Any]]) -> bytes:
    """The rows as ``counterflow screen --output R.csv`` writes them."""
    folder = Path(tempfile.mkdtemp(prefix="counterflow-ui-"))
    try:
        target = folder / "results.csv"
        with TableWriter(target, RESULT_COLUMNS, schema=RESULT_SCHEMA) as writer:
            for row in rows:
                writer.write(row)
        return target.read_bytes()
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def _run(job: Job, svc: Service, path: Path, folder: Path) -> None:
    state = svc.holder.state

    def progress(rows: int) -> None:
        job.done = rows

    try:
        report = screen_file(
            state.screener,
            path,
            None,
            limit=BATCH_LIMIT,
            progress=progress,
            decisions=svc.decisions,
        )
        job.rows = report.records
        job.warnings = [w.replace(str(path), job.filename) for w in report.warnings]
        job.counts = report.counts()
        job.csv = _csv_text(report.records)
    except DataError as exc:
        job.error = str(DataError(exc.problem, path=job.filename, location=exc.location))
    except Exception as exc:
        log.exception("batch %s failed", job.job_id)
        job.error = f"the batch failed: {type(exc).__name__}"
    finally:
        job.finished = True
        shutil.rmtree(folder, ignore_errors=True)


def _safe_name(name: str | None) -> str:
    base = Path(name or "upload.csv").name.strip() or "upload.csv"
    kept = "".join(c if c.isalnum() or c in "._- " else "_" for c in base)[:100]
    return kept or "upload.csv"


def _count_rows(path: Path, filename: str) -> int:
    """The file's data rows, read once before screening (so a broken file fails at once,
    naming the file and the line, and the progress bar knows its end)."""
    try:
        table = open_table(path)
        # the batch runner's own check: a file without a name column fails before screening
        batch_lib.require_query_columns(table)
        count = 0
        for _ in table.rows:
            count += 1
            if count > MAX_BATCH_ROWS:
                raise ConfigError(
                    f"{filename} has more than {MAX_BATCH_ROWS:,} rows, the most the web page "
                    "screens at once; split it, or run 'counterflow screen --input FILE'"
                )
        return count
    except DataError as exc:
        raise DataError(exc.problem, path=filename, location=exc.location) from exc
    except UnicodeDecodeError as exc:
        raise DataError("cannot be read as text", path=filename) from exc


def _batch_form(
    request: Request, viewer: Viewer, problem: str | None = None, status: int = 200
) -> HTMLResponse:
    svc = service_of(request)
    return render(
        request,
        "screen_batch.html",
        viewer,
        status=status,
        problem=problem,
        jobs=JOBS.of(viewer.name),
        max_rows=MAX_BATCH_ROWS,
        max_bytes=svc.settings.max_body_bytes,
    )


@router.get("/screen/batch", response_class=HTMLResponse)
def batch_page(request: Request, viewer: AnalystViewer) -> HTMLResponse:
    return _batch_form(request, viewer)


@router.post("/screen/batch")
async def start_batch(request: Request, viewer: AnalystViewer) -> Response:
    form = await checked_form(request, viewer)
    upload = form.get("file")
    if not isinstance(upload, UploadFile) or not upload.filename:
        return _batch_form(request, viewer, "choose a CSV file of customers to screen", 422)
    filename = _safe_name(upload.filename)
    limit = service_of(request).settings.max_body_bytes
    folder = Path(tempfile.mkdtemp(prefix="counterflow-ui-"))
    path = folder / filename
    size = 0
    with path.open("wb") as out:
        while chunk := await upload.read(1 << 20):
            size += len(chunk)
            if size > limit:
                shutil.rmtree(folder, ignore_errors=True)
                return _batch_form(
                    request,
                    viewer,
                    f"{filename} is over {limit:,} bytes, the most the service reads",
                    413,
                )
            out.write(chunk)
    try:
        total = await run_in_threadpool(_count_rows, path, filename)
    except (DataError, ConfigError) as exc:
        shutil.rmtree(folder, ignore_errors=True)
        return _batch_form(request, viewer, str(exc), 422)
    job = JOBS.add(viewer.name, filename, total)
    threading.Thread(
        target=_run,
        args=(job, service_of(request), path, folder),
        name=f"counterflow-batch-{job.job_id[:6]}",
        daemon=True,
    ).start()
    return RedirectResponse(f"/ui/screen/batch/{job.job_id}", status_code=303)


@router.get("/screen/batch/{job_id}", response_class=HTMLResponse)
def batch_job(
    request: Request,
    viewer: AnalystViewer,
    job_id: str,
    page: Annotated[int, Query(ge=1, le=100_000)] = 1,
) -> HTMLResponse:
    job = JOBS.get(job_id, viewer)
    rows = job.rows[(page - 1) * BATCH_PAGE : page * BATCH_PAGE] if job.finished else []
    base = f"/ui/screen/batch/{quote(job.job_id, safe='')}"
    pager = page_of(base, {}, page, BATCH_PAGE, len(job.rows) if job.finished else 0)
    return render(
        request, "screen_batch_job.html", viewer, job=job, rows=rows, pager=pager, base=base
    )


@router.get("/screen/batch/{job_id}/status", response_class=HTMLResponse)
def batch_status(request: Request, viewer: AnalystViewer, job_id: str) -> HTMLResponse:
    job = JOBS.get(job_id, viewer)
    base = f"/ui/screen/batch/{quote(job.job_id, safe='')}"
    headers = {"HX-Refresh": "true"} if job.finished else None
    return render(request, "screen_batch_status.html", viewer, job=job, base=base, headers=headers)


@router.get("/screen/batch/{job_id}/results.csv")
def batch_csv(request: Request, viewer: AnalystViewer, job_id: str) -> Response:
    job = JOBS.get(job_id, viewer)
    if not job.finished or job.error:
        raise NotFoundError("the batch has no results (yet)")
    stem = Path(job.filename).stem or "batch"
    name = f"{stem}-results.csv"
    return Response(
        job.csv,
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{quote(name)}"'},
    )
