"""Cleared hits: an analyst's decision that a hit is a false positive, remembered until the
list entry changes.

A decision ties a *query*, as screened (:meth:`counterflow.screening.Query.fingerprint`), to an
*entity* and the entity's content fingerprint at the time. The same query against the same
unchanged entry is then reported as cleared instead of raised. When a new list edition changes
the entry (a new alias, a new date of birth), the fingerprint no longer matches and the hit is
raised again, with the old decision shown for context. Any other change to the query (another
spelling, a date of birth added) makes it a different query.

One party can be listed several times (the UN, OFAC and the UK list Joseph Kony): the screener
returns it as one match with every listing (:mod:`counterflow.lists.resolve`). A decision then
records every listing of the party with its fingerprint, and a combined fingerprint of them all:
a hit of the same query on *any* of those listings is cleared, and a change in any listing (an
entry changed, a listing added to or removed from the party) raises the hit again as
``entry_changed``. Decisions written before parties existed name one entry: they clear that entry
while it is unchanged, whatever it is grouped with.

A hit escalated into a case instead (:mod:`counterflow.cases.hits`) is recorded as an
``escalated`` decision whose reason names the case: it is kept and listed beside the clearings
but never bears on how the hit is reported, and it leaves a clearing of the same hit in force.

Decisions are JSON lines in ``<home>/decisions.jsonl``, appended under a file lock, never
rewritten; a revocation is a later line. The file holds customers' names, so it is created
``0600``. Every service worker keeps the file's contents in memory
and reads only what was appended since its last look.
"""

from __future__ import annotations

import hashlib
import json
import os
import secrets
import threading
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
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
    #: every listing of the party decided on, entity id -> its fingerprint then (empty in
    #: decisions written before parties existed: they name ``entity_id`` alone)
    listings: dict[str, str] = field(default_factory=dict)
    #: :func:`party_fingerprint` of the listings (None in those older decisions)
    party_fingerprint: str | None = None

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @property
    def entity_ids(self) -> list[str]:
        """The listings the decision covers: every listing of the party, or the one entry."""
        return list(self.listings) or [self.entity_id]


def party_fingerprint(entities: Sequence[Entity]) -> str:
    """One fingerprint for all the listings of a party: it changes when any listing changes,
    or when a listing joins or leaves the party."""
    lines = sorted(f"{e.id}={e.fingerprint()}" for e in entities)
    return hashlib.sha1("\n".join(lines).encode("utf-8")).hexdigest()


def _members(entity: Entity, party: Sequence[Entity] | None) -> list[Entity]:
    """The entity and the rest of its party, each once, the entity first."""
    members = {entity.id: entity}
    for other in party or ():
        members.setdefault(other.id, other)
    return list(members.values())


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
        #: decision id -> its line number: the latest of several decisions wins
        self._order: dict[str, int] = {}
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
        party: Sequence[Entity] | None = None,
    ) -> Decision:
        """Record that this query's hit on this entity is a false positive.

        ``party`` is every listing of the entity's party (:meth:`Screener.party`): the
        decision then clears a hit on any of them, until any of them changes."""
        reason = reason.strip()
        if not reason or len(reason) > MAX_REASON:
            raise ConfigError(f"a decision needs a reason (1-{MAX_REASON} characters)")
        return self._record(Status.CLEARED, query, entity, edition, analyst, actor, reason, party)

    def escalate(
        self,
        query: Query,
        entity: Entity,
        *,
        edition: str,
        analyst: str,
        actor: str,
        case_id: str,
        party: Sequence[Entity] | None = None,
    ) -> Decision:
        """Record that this query's hit on this entity was escalated into case ``case_id``.

        Unlike a clearing it does not change how the hit is reported: the hit stays raised
        (and a clearing in force on the same pair stays in force)."""
        reason = f"escalated to case {case_id}"
        return self._record(Status.ESCALATED, query, entity, edition, analyst, actor, reason, party)

    def _record(
        self,
        status: Status,
        query: Query,
        entity: Entity,
        edition: str,
        analyst: str,
        actor: str,
        reason: str,
        party: Sequence[Entity] | None = None,
    ) -> Decision:
        analyst = " ".join(analyst.split())
        if not analyst or len(analyst) > 200:
            raise ConfigError("a decision needs the analyst's name (1-200 characters)")
        members = _members(entity, party)
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
            listings={e.id: e.fingerprint() for e in members},
            party_fingerprint=party_fingerprint(members),
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

    def lookup(
        self,
        query_fingerprint: str,
        entity: Entity,
        party: Sequence[Entity] | None = None,
    ) -> Clearance | None:
        """The live decision on this query and entity (or any listing of its party), if any,
        and whether it still holds.

        ``party`` is every listing of the entity's party now (:meth:`Screener.party`). With
        it, a decision holds while the party's combined fingerprint is the one decided on; a
        caller that does not know the party (None) learns whether the entity itself is
        unchanged since. The latest decision on any of the listings counts.
        Call :meth:`refresh` first (once per request) to see other processes' decisions."""
        members = _members(entity, party)
        found = [d for d in (self._by_hit.get((query_fingerprint, m.id)) for m in members) if d]
        if not found:
            return None
        decision = max(found, key=lambda d: self._order[d.decision_id])
        by_id = {m.id: m for m in members}
        if not decision.listings:  # written before parties: that one entry, unchanged
            decided = by_id.get(decision.entity_id, entity)
            return Clearance(decision, cleared=decision.entity_fingerprint == decided.fingerprint())
        if party is None:
            return Clearance(
                decision, cleared=decision.listings.get(entity.id) == entity.fingerprint()
            )
        return Clearance(decision, cleared=decision.party_fingerprint == party_fingerprint(members))

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
                self._order = {}
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
                for entity_id in old.entity_ids:
                    pair = (old.query_fingerprint, entity_id)
                    if self._by_hit.get(pair) is old:  # not a later decision on the same hit
                        del self._by_hit[pair]
            else:
                decision = Decision(**{**row, "status": Status(row["status"])})
                self._by_id[decision.decision_id] = decision
                self._order[decision.decision_id] = number
                if decision.status is Status.CLEARED:  # only a clearing bears on the hit
                    for entity_id in decision.entity_ids:
                        self._by_hit[(decision.query_fingerprint, entity_id)] = decision
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
