"""The case store under test, on SQLite and on PostgreSQL alike."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from counterflow.cases import CaseStore
from counterflow.settings import Settings


@pytest.fixture(params=["sqlite", "postgresql"])
def case_settings(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Settings]:
    """Settings whose case store is SQLite in a fresh workspace, or a fresh PostgreSQL
    database on the session's throw-away server."""
    settings = Settings.defaults(tmp_path / "home")
    if request.param == "sqlite":
        yield settings
        return
    server = request.getfixturevalue("postgres")
    with server.database() as url:
        yield settings.with_(cases_url=url)


@pytest.fixture
def store(case_settings: Settings) -> Iterator[CaseStore]:
    """A case store open for writing (created and migrated)."""
    with CaseStore.open(case_settings, write=True) as opened:
        yield opened
