"""The decisions file: private, and never half-written by text that is not Unicode."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from counterflow.cases import DecisionStore
from counterflow.cases import decisions as decisions_module
from counterflow.cli.demo_cmd import sample_list_path
from counterflow.errors import ConfigError, DataError, StoreError
from counterflow.lists import store
from counterflow.lists.store import active_entities
from counterflow.model import Entity
from counterflow.screening import Query
from counterflow.workspace import Workspace


def _entity(home: Path) -> Entity:
    workspace = Workspace(home)
    store.import_list(workspace, sample_list_path())
    with workspace.connect(read_only=True) as conn:
        _, entities = active_entities(conn)
    return next(e for e in entities if e.id == "un-sc:ZZi.001")


def test_decisions_are_written_private(home: Path) -> None:
    entity = _entity(home)
    old = os.umask(0o022)
    try:
        DecisionStore(home).clear(
            Query.make("Fulan Allan"), entity, edition="e", analyst="A", actor="a", reason="r"
        )
    finally:
        os.umask(old)
    assert stat.S_IMODE((home / "decisions.jsonl").stat().st_mode) == 0o600


def test_a_lone_surrogate_in_a_decision_is_refused(home: Path) -> None:
    entity = _entity(home)
    decisions = DecisionStore(home)
    with pytest.raises(ConfigError, match="lone surrogate"):
        # as a command-line argument that is not UTF-8 arrives (surrogateescape)
        decisions.clear(
            Query.make("Fulan Allan"), entity, edition="e", analyst="\udcff", actor="a", reason="r"
        )
    assert decisions.all() == []


def test_other_processes_decisions_are_read_as_they_are_appended(home: Path) -> None:
    entity = _entity(home)
    reader, writer = DecisionStore(home), DecisionStore(home)
    assert reader.all() == []
    first = writer.clear(
        Query.make("Fulan Allan"), entity, edition="e", analyst="A", actor="a", reason="r"
    )
    assert [d.decision_id for d in reader.all()] == [first.decision_id]
    with open(home / "decisions.jsonl", "ab") as out:
        out.write(b'{"revoke": "half a li')  # a line being written is read next time
    assert [d.decision_id for d in reader.all()] == [first.decision_id]


def test_a_decisions_file_that_cannot_be_read_is_a_store_error(
    home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    entity = _entity(home)
    DecisionStore(home).clear(
        Query.make("Fulan Allan"), entity, edition="e", analyst="A", actor="a", reason="r"
    )

    def unreadable(path: Path, offset: int = 0) -> bytes | None:
        raise DataError("cannot read: Input/output error", path=path)

    monkeypatch.setattr(decisions_module, "read_from", unreadable)
    with pytest.raises(StoreError, match=r"cannot read decisions from .*Input/output") as caught:
        DecisionStore(home).all()
    assert isinstance(caught.value.__cause__, DataError)
