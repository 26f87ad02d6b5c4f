"""Cleared hits: an analyst's decision that a hit is a false positive, remembered until the
list entry changes.

A decision ties a *query*, as screened (:meth:`counterflow.screening.Query.fingerprint`), to an
*entity* and the entity's content fingerprint at the time. The same query against the same
unchanged entry is then reported as cleared instead of raised. When a new list edition changes
the entry (a new alias, a new date of birth), the fingerprint no longer matches and the hit is
raised again, with the old decision shown for context. Any other change to the query (another
spelling, a date of birth added) makes it a different query.

A hit escalated into a case instead (:mod:`counterflow.cases.hits`) is recorded as an
``escalated`` decision whose reason names the case: it is kept and listed beside the clearings
but never bears on how the hit is reported, and it leaves a clearing of the same hit in force.

Decisions are JSON lines in ``<home>/decisions.jsonl``, appended under a file lock, never
rewritten; a revocation is a later line. The file holds customers' names, so it is created
``0600``. Every service worker keeps the file's contents in memory
and reads only what was appended since its last look.
"""

from __future__ import annotations

import json
import os
import secrets
import threading
from dataclasses import asdict, dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any, BinaryIO

from counterflow.cases.audit import now_utc
from counterflow.cases.locking import exclusive
from counterflow.errors import ConfigError, DataError, NotFoundError, StoreError
from counterflow.io import PrivateAppendFile, read_from
from counterflow.model import Entity
from counterflow.screening import Query

DECISIONS_FILENAME = "decisions.jsonl"
MAX_REASON = 2000


class Status(StrEnum):
    CLEARED = "cleared"
    REVOKED = "revoked"
    #: the hit was escalated into a case (its reason names the case): recorded for the
    #: history of the (query, entity) pair, it never suppresses the hit
    ESCALATED = "escalated"


@dataclass(frozen=True)
class Decision:
    """One analyst decision about one hit."""

    decision_id: str
    time: str
    status: Status
    analyst: str
    actor: str
    reason: str
    entity_id: str
    entity_fingerprint: str
    edition: str
    query_fingerprint: str
    query: dict[str, Any]
    revoked: str | None = None

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class Clearance:
    """How a decision bears on one hit: ``cleared`` (suppress) or ``stale`` (entry changed)."""

    decision: Decision
    cleared: bool

    @property
    def status(self) -> str:
        """``cleared``, or ``entry_changed`` when the list entry moved since the decision."""
        return "cleared" if self.cleared else "entry_changed"


class DecisionStore:
    """The decisions of one workspace, kept in step with the file."""

    def __init__(self, home: Path) -> None:
        self.path = Path(home) / DECISIONS_FILENAME
        self._thread_lock = threading.Lock()
        self._offset = 0
        self._lines = 0
        self._by_id: dict[str, Decision] = {}
        self._by_hit: dict[tuple[str, str], Decision] = {}
        self._file = PrivateAppendFile(self.path)

    def clear(
        self,
        query: Query,
        entity: Entity,
        *,
        edition: str,
        analyst: str,
        actor: str,
        reason: str,
    ) -> Decision:
        """Record that this query's hit on this entity is a false positive."""
        analyst, reason = " ".join(analyst.split()), reason.strip()
        if not analyst or len(analyst) > 200:
            raise ConfigError("a decision needs the analyst's name (1-200 characters)")
        if not reason or len(reason) > MAX_REASON:
            raise ConfigError(f"a decision needs a reason (1-{MAX_REASON} characters)")
        return self._record(Status.CLEARED, query, entity, edition, analyst, actor, reason)

    def escalate(
        self,
        query: Query,
        entity: Entity,
        *,
        edition: str,
        analyst: str,
        actor: str,
        case_id: str,
    ) -> Decision:
        """Record that this query's hit on this entity was escalated into case ``case_id``.

        Unlike a clearing it does not change how the hit is reported: the hit stays raised
        (and a clearing in force on the same pair stays in force)."""
        analyst = " ".join(analyst.split())
        if not analyst or len(analyst) > 200:
            raise ConfigError("a decision needs the analyst's name (1-200 characters)")
        reason = f"escalated to case {case_id}"
        return self._record(Status.ESCALATED, query, entity, edition, analyst, actor, reason)

    def _record(
        self,
        status: Status,
        query: Query,
        entity: Entity,
        edition: str,
        analyst: str,
        actor: str,
        reason: str,
    ) -> Decision:
        decision = Decision(
            decision_id=f"d-{secrets.token_hex(6)}",
            time=now_utc(),
            status=status,
            analyst=analyst,
            actor=actor,
            reason=reason,
            entity_id=entity.id,
            entity_fingerprint=entity.fingerprint(),
            edition=edition,
            query_fingerprint=query.fingerprint(),
            query=query.describe(),
        )
        self._append(decision.to_json())
        return decision

    def revoke(self, decision_id: str, *, analyst: str, actor: str, reason: str) -> Decision:
        """Withdraw a decision: the hit is raised again from now on."""
        current = self.get(decision_id)
        if current.status is Status.REVOKED:
            return current
        analyst = " ".join(analyst.split())
        if not analyst or not reason.strip():
            raise ConfigError("revoking a decision needs the analyst's name and a reason")
        self._append(
            {
                "revoke": decision_id,
                "time": now_utc(),
                "analyst": analyst,
                "actor": actor,
                "reason": reason.strip()[:MAX_REASON],
            }
        )
        return self.get(decision_id)

    def get(self, decision_id: str) -> Decision:
        self.refresh()
        found = self._by_id.get(decision_id)
        if found is None:
            raise NotFoundError(f"no decision {decision_id!r}")
        return found

    def all(self) -> list[Decision]:
        self.refresh()
        return list(self._by_id.values())

    def lookup(self, query_fingerprint: str, entity: Entity) -> Clearance | None:
        """The live decision on this query and entity, if any, and whether it still holds.

        Call :meth:`refresh` first (once per request) to see other processes' decisions."""
        decision = self._by_hit.get((query_fingerprint, entity.id))
        if decision is None:
            return None
        return Clearance(decision, cleared=decision.entity_fingerprint == entity.fingerprint())

    def refresh(self) -> None:
        """Read what other processes appended since the last look (one stat when nothing did)."""
        try:
            size = os.stat(self.path).st_size
        except FileNotFoundError:
            return
        if size == self._offset:
            return
        with self._thread_lock:
            if size < self._offset:  # the file was replaced: start over
                self._offset, self._lines, self._by_id, self._by_hit = 0, 0, {}, {}
            try:
                data = read_from(self.path, self._offset) or b""
            except DataError as exc:
                raise StoreError(f"cannot read decisions from {self.path}: {exc.problem}") from exc
            end = data.rfind(b"\n") + 1  # a line being written is read next time
            for line in data[:end].splitlines():
                self._lines += 1
                self._apply(line, self._lines)
            self._offset += end

    def _apply(self, line: bytes, number: int) -> None:
        try:
            row = json.loads(line)
            if "revoke" in row:
                old = self._by_id[row["revoke"]]
                revoked = Decision(
                    **{**asdict(old), "status": Status.REVOKED, "revoked": row["time"]}
                )
                self._by_id[old.decision_id] = revoked
                pair = (old.query_fingerprint, old.entity_id)
                if self._by_hit.get(pair) is old:  # not a later decision on the same hit
                    del self._by_hit[pair]
            else:
                decision = Decision(**{**row, "status": Status(row["status"])})
                self._by_id[decision.decision_id] = decision
                if decision.status is Status.CLEARED:  # only a clearing bears on the hit
                    self._by_hit[(decision.query_fingerprint, decision.entity_id)] = decision
        except (ValueError, KeyError, TypeError) as exc:
            raise DataError(
                f"unreadable decision ({exc})", path=self.path, location=f"line {number}"
            ) from exc

    def _append(self, row: dict[str, Any]) -> None:
        try:
            line = json.dumps(row, ensure_ascii=False, separators=(",", ":")).encode() + b"\n"
        except UnicodeEncodeError as exc:
            # a lone surrogate, e.g. from a command-line argument that was not valid UTF-8
            raise ConfigError(
                "a decision's text must be valid Unicode (it holds a lone surrogate)"
            ) from exc
        try:
            with self._open() as out, exclusive(out, self.path):
                out.write(line)
                out.flush()
                os.fsync(out.fileno())
        except OSError as exc:
            raise StoreError(f"cannot write decisions to {self.path}: {exc}") from exc
        self.refresh()

    def _open(self) -> BinaryIO:
        return self._file.open()
