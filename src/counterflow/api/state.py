"""The service's screening state: one screener per set of active list editions, swapped whole.

Requests take the current :class:`ScreenerState` once and use it to the end, so a request in
flight finishes on the editions it started with while a reload builds the next state beside it;
the swap is a single reference assignment.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime

from counterflow.errors import StoreError
from counterflow.lists.store import Edition, active_editions, active_entities
from counterflow.screening import Screener
from counterflow.workspace import Workspace


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
            raise StoreError("the screening index is not loaded yet")
        return state

    @property
    def ready(self) -> bool:
        return self._state is not None

    def reload(self) -> bool:
        """Rebuild if the active editions changed; True when a new state was swapped in."""
        with self._lock, self.workspace.connect(read_only=True) as conn:
            current = self._state
            if current is not None and _ids(current.editions) == _ids(active_editions(conn)):
                return False
            editions, entities = active_entities(conn)
            labels = {k: v.label for k, v in editions.items()}
            self._state = ScreenerState(Screener(entities, editions=labels), editions)
            return True


def _ids(editions: dict[str, Edition]) -> dict[str, str]:
    return {k: v.edition_id for k, v in editions.items()}
