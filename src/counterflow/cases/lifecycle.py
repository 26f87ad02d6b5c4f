"""Cases: opened from alerts, hits and parties with their evidence frozen, worked, decided on
under the four-eyes rule, and recorded event by event in a hash-chained history.

The lifecycle::

    new → investigating → proposed → approved → reported   (a "report" decision, filed)
                 ↑            │           └────→ closed     (a "no-report" decision)
                 └── return ──┘                    │
                 └────────────── reopen ───────────┘

Assigning a new case starts its investigation; a proposal (``report`` or ``no-report``, with a
reason) goes to a reviewer who approves it (never the proposer nor anyone who was ever the
case's assignee: :data:`~counterflow.cases.policy.FOUR_EYES`) or returns it. A transition the
case's status does not allow is a :class:`~counterflow.errors.ConflictError` naming the status;
so is a write based on a version of the case that is no longer current (``expected_version``).

Every change appends an event to the case's history in the same database transaction as the
change: ``seq`` (1, 2, …), ``time``, ``actor``, ``kind``, ``payload`` and ``prev`` (the previous
event's hash), sealed by ``hash``, the SHA-256 of the canonical JSON of those and the case's id.
:func:`verify_history` recomputes the chain and names the first broken event.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from counterflow.cases.audit import GENESIS
from counterflow.cases.db import (
    CASE_STATUSES,
    CaseEventRow,
    CaseEvidenceRow,
    CaseRow,
    CaseStore,
    as_utc,
    utcnow,
)
from counterflow.cases.evidence import Item, canonical_text, freeze
from counterflow.cases.policy import Action, check, check_approval
from counterflow.cases.users import UserRow, _row, acting_row
from counterflow.errors import ConfigError, ConflictError, NotFoundError
from counterflow.workspace import Workspace

DECISIONS = ("report", "no-report")
#: statuses in which nothing more is decided (until a reviewer reopens a closed case)
FINISHED = ("reported", "closed")
MAX_TITLE = 200
MAX_TEXT = 10_000
_CASE_ID = re.compile(r"C-(\d{1,12})", re.IGNORECASE)


# ---------------------------------------------------------------------------- what is handed out


@dataclass(frozen=True)
class Case:
    """A case's current state. ``version`` changes with every change to it."""

    id: str
    title: str
    status: str
    priority: str
    due: datetime
    dataset: str | None
    assignee: str | None
    created_by: str
    decision: str | None
    reason: str | None
    proposed_by: str | None
    approved_by: str | None
    reference: str | None
    version: int
    created: datetime
    updated: datetime

    def overdue(self, now: datetime | None = None) -> bool:
        """Past its due date and not finished."""
        return self.status not in FINISHED and self.due < (now or utcnow())

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            k: getattr(self, k)
            for k in (
                "id",
                "title",
                "status",
                "priority",
                "dataset",
                "assignee",
                "created_by",
                "decision",
                "reason",
                "proposed_by",
                "approved_by",
                "reference",
                "version",
            )
        }
        out.update(due=_iso(self.due), created=_iso(self.created), updated=_iso(self.updated))
        return out


@dataclass(frozen=True)
class Evidence:
    """One frozen evidence item; ``body`` is its canonical JSON, exactly as frozen."""

    seq: int
    kind: str
    key: str
    dataset: str | None
    body: str
    content_hash: str
    added: datetime
    added_by: str

    @property
    def data(self) -> Any:
        return json.loads(self.body)

    @property
    def intact(self) -> bool:
        return hashlib.sha256(self.body.encode("utf-8")).hexdigest() == self.content_hash


@dataclass(frozen=True)
class Event:
    """One event of a case's history."""

    seq: int
    time: datetime
    actor: str
    kind: str
    payload: dict[str, Any]
    prev: str
    hash: str


@dataclass(frozen=True)
class CaseView:
    """A case with its evidence and its history, as :func:`get_case` reads them."""

    case: Case
    evidence: list[Evidence]
    events: list[Event]


@dataclass(frozen=True)
class HistoryCheck:
    """What :func:`verify_history` found: the event count, the head and every problem."""

    case: str
    events: int
    head: str
    problems: list[str]

    @property
    def ok(self) -> bool:
        return not self.problems


# ---------------------------------------------------------------------------- reading


def parse_case_id(case_id: str) -> int:
    """The store's key of ``C-000123`` (any number of digits, any case); else NotFoundError."""
    match = _CASE_ID.fullmatch(case_id.strip())
    if match is None:
        raise NotFoundError(f"no case {case_id!r}: case ids look like C-000123")
    return int(match.group(1))


def format_case_id(key: int) -> str:
    return f"C-{key:06d}"


def get_case(store: CaseStore, case_id: str) -> CaseView:
    """The case ``case_id`` with its evidence (in the order added) and its events."""
    _exists(store, case_id)
    with store.session() as session:
        row = _case_row(store, session, case_id)
        names = _names(session)
        evidence = session.scalars(
            sa.select(CaseEvidenceRow)
            .where(CaseEvidenceRow.case_id == row.id)
            .order_by(CaseEvidenceRow.seq)
        ).all()
        return CaseView(
            case=_case(row, names),
            evidence=[
                Evidence(
                    seq=e.seq,
                    kind=e.kind,
                    key=e.key,
                    dataset=e.dataset,
                    body=e.body,
                    content_hash=e.content_hash,
                    added=as_utc(e.added_at),
                    added_by=names[e.added_by],
                )
                for e in evidence
            ],
            events=[_event(e) for e in _event_rows(session, row.id)],
        )


def list_cases(
    store: CaseStore,
    *,
    status: str | None = None,
    assignee: str | None = None,
    overdue: bool = False,
    now: datetime | None = None,
    limit: int | None = None,
    offset: int = 0,
) -> list[Case]:
    """Cases, earliest due first; of one ``status``, one ``assignee``, or ``overdue`` only (past
    their due date at ``now`` and neither reported nor closed); ``limit`` of them at most,
    after skipping ``offset``."""
    if status is not None and status not in CASE_STATUSES:
        raise ConfigError(f"no case status {status!r}: the statuses are {', '.join(CASE_STATUSES)}")
    if store.empty:
        return []
    with store.session() as session:
        query = sa.select(CaseRow).order_by(CaseRow.due_at, CaseRow.id)
        if status is not None:
            query = query.where(CaseRow.status == status)
        if assignee is not None:
            user = _row(session, assignee)
            if user is None:
                raise NotFoundError(f"no user {assignee!r} in the case store {store.where}")
            query = query.where(CaseRow.assignee_id == user.id)
        if overdue:
            query = query.where(CaseRow.due_at < (now or utcnow()), CaseRow.status.not_in(FINISHED))
        if offset:
            query = query.offset(offset)
        if limit is not None:
            query = query.limit(limit)
        names = _names(session)
        return [_case(row, names) for row in session.scalars(query)]


def verify_history(store: CaseStore, case_id: str) -> HistoryCheck:
    """Recompute the case's chain: every event's hash, its link to the one before, and the
    sequence; and every frozen evidence item against its own hash and the hash the history
    recorded when it was added. Each problem names the event (``event 3 (comment)``) or the
    item and what is wrong."""
    _exists(store, case_id)
    with store.session() as session:
        row = _case_row(store, session, case_id)
        events = _event_rows(session, row.id)
        evidence = session.scalars(
            sa.select(CaseEvidenceRow)
            .where(CaseEvidenceRow.case_id == row.id)
            .order_by(CaseEvidenceRow.seq)
        ).all()
        public = format_case_id(row.id)
    problems: list[str] = []
    prev, expected = GENESIS, 1
    for e in events:
        where = f"event {e.seq} ({e.kind})"
        try:
            payload = json.loads(e.payload)
            intact = e.hash == _seal(public, e.seq, as_utc(e.time), e.actor, e.kind, payload, prev)
        except ValueError:
            intact = False
        if e.seq != expected:
            problems.append(f"{where}: expected event {expected} (events deleted or inserted)")
        if e.prev != prev:
            problems.append(f"{where}: does not link to the event before it")
        elif not intact:
            problems.append(f"{where}: the hash does not match its content (edited)")
        prev, expected = e.hash, e.seq + 1
    if not events:
        problems.append("the case has no history (its events were removed)")
    problems.extend(_evidence_problems(events, evidence))
    return HistoryCheck(public, len(events), prev, problems)


def _evidence_problems(
    events: Sequence[CaseEventRow], evidence: Sequence[CaseEvidenceRow]
) -> list[str]:
    recorded: dict[tuple[str, str], str] = {}
    for event in events:
        if event.kind not in ("opened", "evidence"):
            continue
        try:
            listed = json.loads(event.payload).get("evidence", [])
            for item in listed:
                recorded[(str(item["kind"]), str(item["key"]))] = str(item["hash"])
        except (ValueError, AttributeError, KeyError, TypeError):
            continue  # an unreadable event is reported by the chain check already
    problems = []
    for item in evidence:
        where = f"evidence {item.key} ({item.kind})"
        digest = hashlib.sha256(item.body.encode("utf-8")).hexdigest()
        if digest != item.content_hash:
            problems.append(f"{where}: the content does not match its hash (edited)")
        elif recorded.get((item.kind, item.key)) != digest:
            problems.append(f"{where}: differs from what the history recorded when it was added")
    return problems


# ---------------------------------------------------------------------------- opening


def open_case(
    store: CaseStore,
    workspace: Workspace,
    actor: str,
    *,
    title: str,
    alerts: Sequence[str] = (),
    parties: Sequence[str] = (),
    hits: Sequence[Mapping[str, Any]] = (),
    priority: str = "medium",
    dataset: str | None = None,
) -> Case:
    """Open a case, freezing the evidence of ``alerts`` (ids), ``parties`` (ids in
    ``dataset``) and screening ``hits`` from the workspace as it is now; with none, a manual
    case (a tip-off). Its due date is ``priority``'s days (``case_sla_days``) from now."""
    title = checked_text(title, "a case's title", MAX_TITLE)
    sla = workspace.settings.case_sla_days
    if priority not in sla:
        raise ConfigError(f"no priority {priority!r}: the priorities are {', '.join(sla)}")
    with store.session() as session:
        acting_row(store, session, actor, Action.OPEN)  # refused before any work is done
    items = freeze(workspace, alerts=alerts, parties=parties, hits=hits, dataset=dataset)
    datasets = {i.dataset for i in items if i.dataset is not None} | (
        {dataset} if dataset else set()
    )
    with store.session() as session:
        user = acting_row(store, session, actor, Action.OPEN)
        now = utcnow()
        row = CaseRow(
            title=title,
            status="new",
            priority=priority,
            due_at=now + timedelta(days=sla[priority]),
            dataset=datasets.pop() if len(datasets) == 1 else dataset,
            assignee_id=None,
            created_by=user.id,
            version=0,
            created_at=now,
            updated_at=now,
        )
        session.add(row)
        session.flush()
        _store_items(session, row, user, items, now)
        _append(
            session,
            row,
            user,
            "opened",
            {
                "title": title,
                "priority": priority,
                "due": _iso(row.due_at),
                "dataset": row.dataset,
                "evidence": _listing(items),
            },
            now=now,
        )
        return _case(row, _names(session))


def add_evidence(
    store: CaseStore,
    workspace: Workspace,
    case_id: str,
    actor: str,
    *,
    alerts: Sequence[str] = (),
    parties: Sequence[str] = (),
    hits: Sequence[Mapping[str, Any]] = (),
    dataset: str | None = None,
    expected_version: int | None = None,
) -> Case:
    """Freeze more evidence into a case being worked (new or investigating). Items the case
    has already keep their first frozen form."""
    _exists(store, case_id)
    with store.session() as session:
        acting_row(store, session, actor, Action.WORK)
        row = _case_row(store, session, case_id)
        _allowed(row, "add evidence to", ("new", "investigating"))
    dataset = dataset or row.dataset
    items = freeze(workspace, alerts=alerts, parties=parties, hits=hits, dataset=dataset)
    with store.session() as session:
        row, user = _begin(store, session, case_id, actor, Action.WORK, expected_version)
        _allowed(row, "add evidence to", ("new", "investigating"))
        have = {
            (kind, key)
            for kind, key in session.execute(
                sa.select(CaseEvidenceRow.kind, CaseEvidenceRow.key).where(
                    CaseEvidenceRow.case_id == row.id
                )
            )
        }
        fresh = [i for i in items if (i.kind, i.key) not in have]
        if not fresh:  # nothing new: nothing changed
            return _case(row, _names(session))
        now = utcnow()
        _store_items(session, row, user, fresh, now)
        _append(session, row, user, "evidence", {"evidence": _listing(fresh)}, now=now)
        return _case(row, _names(session))


# ---------------------------------------------------------------------------- working


def assign(
    store: CaseStore,
    case_id: str,
    actor: str,
    assignee: str,
    *,
    expected_version: int | None = None,
) -> Case:
    """Give the case to ``assignee`` (an active user); a new case starts being investigated."""
    with store.session() as session:
        row, user = _begin(store, session, case_id, actor, Action.WORK, expected_version)
        _allowed(row, "assign", ("new", "investigating"))
        target = _row(session, assignee)
        if target is None:
            raise NotFoundError(f"no user {assignee!r} in the case store {store.where}")
        check(target.name, target.role, Action.WORK, active=target.active)
        names = _names(session)
        previous = names.get(row.assignee_id) if row.assignee_id is not None else None
        row.assignee_id = target.id
        row.status = "investigating"
        _append(session, row, user, "assigned", {"assignee": target.name, "previous": previous})
        return _case(row, names)


def comment(
    store: CaseStore, case_id: str, actor: str, text: str, *, expected_version: int | None = None
) -> Case:
    """Add a comment to the case's history (in any status)."""
    text = checked_text(text, "a comment", MAX_TEXT)
    with store.session() as session:
        row, user = _begin(store, session, case_id, actor, Action.WORK, expected_version)
        _append(session, row, user, "comment", {"text": text})
        return _case(row, _names(session))


def propose(
    store: CaseStore,
    case_id: str,
    actor: str,
    decision: str,
    reason: str,
    *,
    expected_version: int | None = None,
) -> Case:
    """Propose ``report`` or ``no-report``, with the reason, for a reviewer to approve."""
    if decision not in DECISIONS:
        raise ConfigError(f"no decision {decision!r}: a proposal is 'report' or 'no-report'")
    reason = checked_text(reason, "a proposal's reason", MAX_TEXT)
    with store.session() as session:
        row, user = _begin(store, session, case_id, actor, Action.PROPOSE, expected_version)
        _allowed(row, "propose a decision on", ("new", "investigating"))
        row.status, row.decision, row.reason = "proposed", decision, reason
        row.proposed_by, row.approved_by = user.id, None
        _append(session, row, user, "proposed", {"decision": decision, "reason": reason})
        return _case(row, _names(session))


def approve(
    store: CaseStore,
    case_id: str,
    actor: str,
    comment: str | None = None,
    *,
    expected_version: int | None = None,
) -> Case:
    """Approve the case's proposal: refused, naming the four-eyes rule, to its proposer and to
    everyone who was ever the case's assignee."""
    note = checked_text(comment, "an approval's comment", MAX_TEXT) if comment else None
    with store.session() as session:
        row, user = _begin(store, session, case_id, actor, Action.APPROVE, expected_version)
        _allowed(row, "approve", ("proposed",))
        names = _names(session)
        assert row.proposed_by is not None
        check_approval(
            user.name,
            user.role,
            proposer=names[row.proposed_by],
            assignees=_assignees(session, row),
            active=user.active,
        )
        row.status, row.approved_by = "approved", user.id
        _append(
            session,
            row,
            user,
            "approved",
            {"decision": row.decision, "proposed_by": names[row.proposed_by], "comment": note},
        )
        return _case(row, names)


def return_case(
    store: CaseStore, case_id: str, actor: str, reason: str, *, expected_version: int | None = None
) -> Case:
    """Send a proposal back to be investigated further, saying why."""
    reason = checked_text(reason, "a return's reason", MAX_TEXT)
    with store.session() as session:
        row, user = _begin(store, session, case_id, actor, Action.RETURN, expected_version)
        _allowed(row, "return", ("proposed",))
        decision = row.decision
        row.status, row.decision, row.reason, row.proposed_by = "investigating", None, None, None
        _append(session, row, user, "returned", {"reason": reason, "decision": decision})
        return _case(row, _names(session))


def close(
    store: CaseStore,
    case_id: str,
    actor: str,
    reason: str | None = None,
    *,
    expected_version: int | None = None,
) -> Case:
    """Close a case whose ``no-report`` decision was approved."""
    note = checked_text(reason, "a closing note", MAX_TEXT) if reason else None
    with store.session() as session:
        row, user = _begin(store, session, case_id, actor, Action.WORK, expected_version)
        _allowed(row, "close", ("approved",))
        if row.decision != "no-report":
            raise ConflictError(
                f"case {format_case_id(row.id)} is approved for a report: it is finished by "
                "filing the report (mark it reported), not closed"
            )
        row.status = "closed"
        _append(session, row, user, "closed", {"reason": note})
        return _case(row, _names(session))


def mark_reported(
    store: CaseStore,
    case_id: str,
    actor: str,
    reference: str | None = None,
    *,
    expected_version: int | None = None,
) -> Case:
    """Record that the approved report was filed with the FIU (and its reference, if known)."""
    ref = checked_text(reference, "the FIU's reference", 200) if reference else None
    with store.session() as session:
        row, user = _begin(store, session, case_id, actor, Action.WORK, expected_version)
        _allowed(row, "mark reported", ("approved",))
        if row.decision != "report":
            raise ConflictError(
                f"case {format_case_id(row.id)} is approved as no-report: there is no report "
                "to file (close it)"
            )
        row.status, row.reference = "reported", ref
        _append(session, row, user, "reported", {"reference": ref})
        return _case(row, _names(session))


def reopen(
    store: CaseStore, case_id: str, actor: str, reason: str, *, expected_version: int | None = None
) -> Case:
    """Reopen a closed case for investigation, saying why (a reviewer's call)."""
    reason = checked_text(reason, "a reopening's reason", MAX_TEXT)
    with store.session() as session:
        row, user = _begin(store, session, case_id, actor, Action.REOPEN, expected_version)
        _allowed(row, "reopen", ("closed",))
        row.status, row.decision, row.reason = "investigating", None, None
        row.proposed_by, row.approved_by = None, None
        _append(session, row, user, "reopened", {"reason": reason})
        return _case(row, _names(session))


# ---------------------------------------------------------------------------- inside


def checked_text(value: str | None, what: str, limit: int) -> str:
    """Free text trimmed, and refused when empty or longer than ``limit``."""
    cleaned = (value or "").strip()
    if not cleaned:
        raise ConfigError(f"{what} cannot be empty")
    if len(cleaned) > limit:
        raise ConfigError(f"{what} has at most {limit} characters ({len(cleaned)} given)")
    return cleaned


def _iso(value: datetime) -> str:
    return as_utc(value).isoformat(timespec="microseconds").replace("+00:00", "Z")


def _exists(store: CaseStore, case_id: str) -> None:
    """A store never written has no cases (and is not created by asking for one)."""
    if store.empty:
        parse_case_id(case_id)
        raise NotFoundError(f"no case {case_id!r}")


def _names(session: Session) -> dict[int, str]:
    return {key: name for key, name in session.execute(sa.select(UserRow.id, UserRow.name))}


def _case_row(store: CaseStore, session: Session, case_id: str, *, lock: bool = False) -> CaseRow:
    key = parse_case_id(case_id)
    query = sa.select(CaseRow).where(CaseRow.id == key)
    if lock:  # PostgreSQL: one writer per case at a time (SQLite: BEGIN IMMEDIATE already)
        query = query.with_for_update()
    row = session.scalars(query).first()
    if row is None:
        raise NotFoundError(f"no case {case_id!r}")
    return row


def _begin(
    store: CaseStore,
    session: Session,
    case_id: str,
    actor: str,
    action: Action,
    expected_version: int | None,
) -> tuple[CaseRow, UserRow]:
    """The acting user (allowed ``action``) and the case, locked and at the expected version."""
    user = acting_row(store, session, actor, action)
    row = _case_row(store, session, case_id, lock=True)
    if expected_version is not None and row.version != expected_version:
        raise ConflictError(
            f"case {format_case_id(row.id)} changed since it was read (version "
            f"{expected_version}, now {row.version}): read it again"
        )
    return row, user


def _allowed(row: CaseRow, what: str, statuses: tuple[str, ...]) -> None:
    if row.status not in statuses:
        raise ConflictError(
            f"case {format_case_id(row.id)} is {row.status}: cannot {what} it "
            f"(only a case that is {' or '.join(statuses)})"
        )


def _assignees(session: Session, row: CaseRow) -> list[str]:
    """Everyone who was ever the case's assignee, from its history."""
    names = []
    for event in _event_rows(session, row.id):
        if event.kind == "assigned":
            names.append(str(json.loads(event.payload)["assignee"]))
    return names


def _event_rows(session: Session, key: int) -> Sequence[CaseEventRow]:
    return session.scalars(
        sa.select(CaseEventRow).where(CaseEventRow.case_id == key).order_by(CaseEventRow.seq)
    ).all()


def _seal(
    case_id: str,
    seq: int,
    time: datetime,
    actor: str,
    kind: str,
    payload: dict[str, Any],
    prev: str,
) -> str:
    record = {
        "case": case_id,
        "seq": seq,
        "time": _iso(time),
        "actor": actor,
        "kind": kind,
        "payload": payload,
        "prev": prev,
    }
    return hashlib.sha256(canonical_text(record).encode("utf-8")).hexdigest()


def _append(
    session: Session,
    row: CaseRow,
    user: UserRow,
    kind: str,
    payload: dict[str, Any],
    *,
    now: datetime | None = None,
) -> None:
    """Seal the next event of the case's chain and bump its version, in the caller's
    transaction."""
    last = session.execute(
        sa.select(CaseEventRow.seq, CaseEventRow.hash)
        .where(CaseEventRow.case_id == row.id)
        .order_by(CaseEventRow.seq.desc())
        .limit(1)
    ).first()
    seq, prev = (last[0] + 1, last[1]) if last else (1, GENESIS)
    time = now or utcnow()
    body = json.loads(canonical_text(payload))
    session.add(
        CaseEventRow(
            case_id=row.id,
            seq=seq,
            time=time,
            actor_id=user.id,
            actor=user.name,
            kind=kind,
            payload=canonical_text(body),
            prev=prev,
            hash=_seal(format_case_id(row.id), seq, time, user.name, kind, body, prev),
        )
    )
    row.version += 1
    row.updated_at = time
    session.flush()


def _store_items(
    session: Session, row: CaseRow, user: UserRow, items: Sequence[Item], now: datetime
) -> None:
    last = session.scalar(
        sa.select(sa.func.max(CaseEvidenceRow.seq)).where(CaseEvidenceRow.case_id == row.id)
    )
    for seq, item in enumerate(items, start=(last or 0) + 1):
        session.add(
            CaseEvidenceRow(
                case_id=row.id,
                seq=seq,
                kind=item.kind,
                key=item.key,
                dataset=item.dataset,
                body=item.body,
                content_hash=item.content_hash,
                added_at=now,
                added_by=user.id,
            )
        )


def _listing(items: Sequence[Item]) -> list[dict[str, str]]:
    """Evidence as the history records it: each item's kind, key and content hash."""
    return [{"kind": i.kind, "key": i.key, "hash": i.content_hash} for i in items]


def _case(row: CaseRow, names: Mapping[int, str]) -> Case:
    def name(key: int | None) -> str | None:
        return None if key is None else names[key]

    return Case(
        id=format_case_id(row.id),
        title=row.title,
        status=row.status,
        priority=row.priority,
        due=as_utc(row.due_at),
        dataset=row.dataset,
        assignee=name(row.assignee_id),
        created_by=names[row.created_by],
        decision=row.decision,
        reason=row.reason,
        proposed_by=name(row.proposed_by),
        approved_by=name(row.approved_by),
        reference=row.reference,
        version=row.version,
        created=as_utc(row.created_at),
        updated=as_utc(row.updated_at),
    )


def _event(e: CaseEventRow) -> Event:
    return Event(
        seq=e.seq,
        time=as_utc(e.time),
        actor=e.actor,
        kind=e.kind,
        payload=json.loads(e.payload),
        prev=e.prev,
        hash=e.hash,
    )
