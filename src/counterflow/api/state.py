"""The service's state: keys, decisions, the audit trail and the screening index.

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
from counterflow.lists.store import Edition, active_editions, active_entities
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
        """Rebuild if the active editions changed; True when a new state was swapped in."""
        with self._lock:
            with self.workspace.connect(read_only=True) as conn:
                current = self._state
                if current is not None and _ids(current.editions) == _ids(active_editions(conn)):
                    return False
                editions, entities = active_entities(conn)
            # the index is built after the database is let go, so imports are not held up
            labels = {k: v.label for k, v in editions.items()}
            self._state = ScreenerState(Screener(entities, editions=labels), editions)
            listed = ", ".join(f"{k} {v}" for k, v in labels.items())
            log.info("screening against %s", listed or "no lists")
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
