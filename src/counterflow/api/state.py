"""The service's state: keys, decisions, the audit trail and the screening index.

The screening index is loaded from the file ``lists import`` saves in the workspace (see
:mod:`counterflow.screening.index_file`), so a start or a reload after an import takes a fraction
of a second, not the seconds a build over several lists takes.

The settings are the workspace's :class:`counterflow.settings.Settings`, read once by whoever
started the service (``serve`` hands them to each worker through the environment).

Requests take the current :class:`ScreenerState` once and use it to the end, so a request in
flight finishes on the editions it started with while a reload builds the next state beside it;
the swap is a single reference assignment. A :class:`ReloadWatcher` thread notices imports,
pins and unpins made by other processes through the workspace's change stamp.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from counterflow.api.keys import KeyStore, Principal
from counterflow.cases import AuditLog, DecisionStore
from counterflow.errors import CounterflowError, StoreError
from counterflow.lists.resolve import apply_clusters, workspace_basis
from counterflow.lists.store import Edition, active_editions
from counterflow.screening import Screener
from counterflow.settings import Settings
from counterflow.workspace import Workspace

log = logging.getLogger("counterflow.api")


class NotReadyError(StoreError):
    """The screening index is not loaded yet (a 503 whose message is safe to show anyone)."""


@dataclass(frozen=True)
class ScreenerState:
    """A screener and the editions it was built from."""

    screener: Screener
    editions: dict[str, Edition]
    loaded_at: datetime = field(default_factory=lambda: datetime.now(UTC))

    def edition_labels(self) -> dict[str, str]:
        return {list_id: e.label for list_id, e in self.editions.items()}


class ScreenerHolder:
    """Holds the current state and rebuilds it when the workspace's active editions change."""

    def __init__(self, workspace: Workspace) -> None:
        self.workspace = workspace
        self._state: ScreenerState | None = None
        #: the basis of the parties the screener was grouped by (counterflow.lists.resolve)
        self._basis: str | None = None
        self._lock = threading.Lock()

    @property
    def state(self) -> ScreenerState:
        state = self._state
        if state is None:
            raise NotReadyError("the screening index is not loaded yet")
        return state

    @property
    def ready(self) -> bool:
        return self._state is not None

    def reload(self) -> bool:
        """Load the screener again if the active editions changed; True when a new state was
        swapped in.

        The screener comes from :meth:`Screener.from_workspace`, which loads the persisted
        index that ``lists import`` (or any earlier start) saved, and builds it only when there
        is none for these editions, after the database is let go, so imports are not held up.
        The state records the editions the screener was actually made from, which may be newer
        than the ones compared here if an import lands in between.
        """
        with self._lock:
            with self.workspace.connect(read_only=True) as conn:
                current = self._state
                same = current is not None and _ids(current.editions) == _ids(active_editions(conn))
            if current is not None and same:
                return self._regroup(current.screener)
            screener = Screener.from_workspace(self.workspace)
            self._basis = workspace_basis(self.workspace)
            self._state = ScreenerState(screener, screener.built_from)
            listed = ", ".join(f"{k} {v}" for k, v in screener.editions.items())
            log.info("screening against %s", listed or "no lists")
            return True

    def _regroup(self, screener: Screener) -> bool:
        """The same editions, but maybe an analyst's merge or split since (the parties' basis
        moved): regroup the screener in place, a single assignment requests in flight never
        see half of. True when it did."""
        if workspace_basis(self.workspace) == self._basis:
            return False
        self._basis = apply_clusters(screener, self.workspace)
        log.info("the parties across lists changed; screening regrouped")
        return True


def _ids(editions: dict[str, Edition]) -> dict[str, str]:
    return {k: v.edition_id for k, v in editions.items()}


class ReloadWatcher:
    """A daemon thread that reloads the holder whenever the workspace's change stamp moves.

    A failed reload (the database busy, a damaged edition) leaves the current state serving
    and is retried at the next tick.
    """

    def __init__(self, holder: ScreenerHolder, interval: float) -> None:
        self.holder = holder
        self.interval = interval
        self._stop = threading.Event()
        self._seen = holder.workspace.change_stamp()
        self._thread = threading.Thread(target=self._run, name="counterflow-reload", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            stamp = self.holder.workspace.change_stamp()
            if stamp == self._seen:
                continue
            try:
                self.holder.reload()
            except CounterflowError as exc:
                log.warning("reloading the lists failed, still serving the old ones: %s", exc)
                continue
            self._seen = stamp


@dataclass
class Service:
    """Everything a request handler needs, built once per worker."""

    workspace: Workspace
    settings: Settings
    holder: ScreenerHolder
    keys: KeyStore
    decisions: DecisionStore
    audit: AuditLog | None

    @classmethod
    def create(cls, workspace: Workspace, settings: Settings) -> Service:
        return cls(
            workspace=workspace,
            settings=settings,
            holder=ScreenerHolder(workspace),
            keys=KeyStore(workspace.home),
            decisions=DecisionStore(workspace.home),
            audit=AuditLog.for_home(workspace.home) if settings.audit else None,
        )

    def record(self, action: str, caller: Principal | None, **details: Any) -> None:
        """Write one audit record; failing to write fails the request (nothing goes
        unrecorded): :class:`counterflow.cases.audit.AuditWriteError`."""
        if self.audit is None:
            return
        actor = caller.actor if caller else "anonymous"
        role = str(caller.role) if caller else None
        self.audit.append(action, actor, role=role, **details)
