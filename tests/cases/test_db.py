"""The case store: created and migrated by a writing open, never by a reading one; the same on
SQLite and PostgreSQL; a store from a newer counterflow refused."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from counterflow.cases import CaseStore, add_user, list_users
from counterflow.cases.db import CASES_FILENAME, VERSION_TABLE, Base, head_revision, store_url
from counterflow.errors import ConfigError, StoreError
from counterflow.settings import Settings


def test_a_reading_open_creates_nothing(tmp_path: Path) -> None:
    home = tmp_path / "home"
    with CaseStore.open(Settings.defaults(home)) as store:
        assert store.empty
        assert list_users(store) == []
    assert not home.exists()


def test_a_writing_open_creates_a_private_sqlite_store_in_wal_mode(tmp_path: Path) -> None:
    settings = Settings.defaults(tmp_path / "home")
    with CaseStore.open(settings, write=True) as store:
        assert store.revision() == head_revision()
        assert store.where == str(settings.home / CASES_FILENAME)
        assert store.engine is not None
        with store.engine.connect() as conn:
            assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
            assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
            assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() == 30000
    path = settings.home / CASES_FILENAME
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(settings.home.stat().st_mode) == 0o700
    with CaseStore.open(settings) as store:
        assert not store.empty and store.revision() == head_revision()


def test_a_writing_open_that_must_not_create_leaves_a_missing_store_missing(
    case_settings: Settings,
) -> None:
    with CaseStore.open(case_settings, write=True, create=False) as store:
        assert store.empty and list_users(store) == []
    assert not case_settings.home.exists()
    with CaseStore.open(case_settings) as store:
        assert store.revision() is None
    with CaseStore.open(case_settings, write=True) as store:
        add_user(store, "amira", "analyst")
    with CaseStore.open(case_settings, write=True, create=False) as store:
        assert not store.empty and [u.name for u in list_users(store)] == ["amira"]


def test_the_url_comes_from_the_settings(tmp_path: Path) -> None:
    settings = Settings.defaults(tmp_path)
    assert store_url(settings).database == str(tmp_path / CASES_FILENAME)
    team = settings.with_(cases_url="postgresql://cases:s3cret@db.internal/counterflow")
    url = store_url(team)
    assert url.drivername == "postgresql+psycopg"
    assert url.host == "db.internal" and url.database == "counterflow"
    other = tmp_path / "elsewhere.sqlite"
    assert store_url(settings.with_(cases_url=f"sqlite:///{other}")).database == str(other)
    for memory in ("sqlite://", "sqlite:///:memory:"):
        with pytest.raises(ConfigError, match="must be a file"):
            store_url(settings.with_(cases_url=memory))


def test_a_sqlite_path_may_hold_any_character(tmp_path: Path) -> None:
    home = tmp_path / "a folder #1 ?x=%20"
    with CaseStore.open(Settings.defaults(home), write=True) as store:
        add_user(store, "amira", "analyst")
    assert (home / CASES_FILENAME).is_file()
    with CaseStore.open(Settings.defaults(home)) as store:
        assert [u.name for u in list_users(store)] == ["amira"]


def test_messages_never_show_the_password(tmp_path: Path) -> None:
    # nothing listens on port 1: the open fails, and says where without the password
    settings = Settings.defaults(tmp_path).with_(
        cases_url="postgresql://cases:s3cret@127.0.0.1:1/counterflow?connect_timeout=2"
    )
    with pytest.raises(StoreError) as caught:
        CaseStore.open(settings, write=True)
    assert "127.0.0.1:1/counterflow" in str(caught.value)
    assert "s3cret" not in str(caught.value)


def test_migrations_build_the_schema_the_models_describe(store: CaseStore) -> None:
    """The shipped migrations and the ORM models agree, on both databases (a migration
    written for a new model that forgot a column fails here)."""
    assert store.engine is not None
    with store.engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"version_table": VERSION_TABLE})
        assert compare_metadata(context, Base.metadata) == []
        tables = set(sa.inspect(conn).get_table_names())
    assert tables == {
        "users",
        "cases",
        "case_events",
        "case_evidence",
        "alert_dispositions",
        "web_sessions",
        VERSION_TABLE,
    }


def test_opening_again_migrates_nothing_and_keeps_the_data(case_settings: Settings) -> None:
    with CaseStore.open(case_settings, write=True) as store:
        add_user(store, "amira", "analyst")
    with CaseStore.open(case_settings, write=True) as store:
        assert store.revision() == head_revision()
        assert [u.name for u in list_users(store)] == ["amira"]
    with CaseStore.open(case_settings) as store:
        assert [u.name for u in list_users(store)] == ["amira"]


def test_an_empty_database_reads_as_an_empty_store(case_settings: Settings) -> None:
    """A PostgreSQL database made for counterflow but never written to (or a SQLite file
    with no schema) reads as empty: nothing to list, nothing created."""
    if case_settings.cases_url is None:
        case_settings.home.mkdir()
        (case_settings.home / CASES_FILENAME).touch()
    with CaseStore.open(case_settings) as store:
        assert store.empty
        assert list_users(store) == []
    with CaseStore.open(case_settings) as store:
        assert store.revision() is None


def test_a_store_from_a_newer_counterflow_is_refused(case_settings: Settings) -> None:
    with CaseStore.open(case_settings, write=True) as store:
        assert store.engine is not None
        with store.engine.begin() as conn:
            conn.execute(sa.text(f"UPDATE {VERSION_TABLE} SET version_num = '9999'"))
    for write in (True, False):
        with pytest.raises(StoreError, match=r"newer counterflow .*9999.*upgrade counterflow"):
            CaseStore.open(case_settings, write=write)


def test_a_store_behind_the_code_asks_a_writer_to_migrate_it(
    case_settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A reading open does not migrate (it may run where nothing can be written): it names
    both revisions and the remedy."""
    with CaseStore.open(case_settings, write=True) as store:
        add_user(store, "amira", "analyst")
    current = head_revision()
    ahead = f"{int(current) + 1:04d}"
    monkeypatch.setattr("counterflow.cases.db.head_revision", lambda: ahead)
    with pytest.raises(
        StoreError, match=rf"revision {current}, this counterflow needs {ahead}: run"
    ):
        CaseStore.open(case_settings)
