"""Shared fixtures. Real-data tests read ../shared/data and skip, saying why, where it is absent;
with COUNTERFLOW_REQUIRE_SHARED_DATA=1 (as .ci/run sets) a missing folder fails them instead."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

# wide, stable terminal output for assertions on rich tables
os.environ["COLUMNS"] = "200"

ROOT = Path(__file__).resolve().parent.parent
SHARED_DATA = Path(os.environ.get("COUNTERFLOW_SHARED_DATA", ROOT.parent / "shared" / "data"))
FIXTURES = Path(__file__).resolve().parent / "fixtures"


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """The real data folder; skip (or fail under CI) when it is not beside the repository."""
    if not SHARED_DATA.is_dir():
        message = f"real data folder {SHARED_DATA} is absent (clone without ../shared)"
        if os.environ.get("COUNTERFLOW_REQUIRE_SHARED_DATA") == "1":
            pytest.fail(message + " but COUNTERFLOW_REQUIRE_SHARED_DATA=1 makes it mandatory")
        pytest.skip(message)
    return SHARED_DATA


@pytest.fixture
def fixtures() -> Path:
    return FIXTURES


@pytest.fixture
def home(tmp_path: Path) -> Path:
    """An empty workspace folder for one test."""
    path = tmp_path / "home"
    path.mkdir()
    return path
