"""The workspace: its change stamp, its wait for another process's lock, its privacy."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
import textwrap
from datetime import datetime
from pathlib import Path

import duckdb
import pytest

from counterflow.errors import StoreError
from counterflow.workspace import DB_FILENAME, MIGRATIONS, SCHEMA_VERSION, Workspace


def test_the_change_stamp_moves_after_every_write(home: Path) -> None:
    ws = Workspace(home)
    assert ws.change_stamp() is None
    with ws.connect() as conn:
        conn.execute("SELECT 1")
    first = ws.change_stamp()
    with ws.connect(read_only=True):
        pass
    assert ws.change_stamp() == first  # reading changes nothing
    with ws.connect():
        pass
    assert ws.change_stamp() not in (None, first)


def _hold_write_lock(home: Path, seconds: float) -> subprocess.Popen[str]:
    script = textwrap.dedent(
        f"""
        import sys, time
        from counterflow.workspace import Workspace
        with Workspace({str(home)!r}).connect() as conn:
            print("locked", flush=True)
            time.sleep({seconds})
        """
    )
    holder = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
    assert holder.stdout is not None and holder.stdout.readline().strip() == "locked"
    return holder


def test_a_reader_waits_for_a_writer_in_another_process(home: Path) -> None:
    with Workspace(home).connect():
        pass
    holder = _hold_write_lock(home, 1.0)
    try:
        with Workspace(home, lock_wait=30).connect(read_only=True) as conn:
            assert conn.execute("SELECT 1").fetchone() == (1,)
    finally:
        holder.wait(timeout=30)


def test_a_lock_held_too_long_is_a_clear_error(home: Path) -> None:
    with Workspace(home).connect():
        pass
    holder = _hold_write_lock(home, 5.0)
    try:
        with (
            pytest.raises(StoreError, match=r"cannot open workspace database .*lock"),
            Workspace(home, lock_wait=0.3).connect(read_only=True),
        ):
            pass
    finally:
        holder.kill()
        holder.wait(timeout=30)


def _version_one(home: Path) -> None:
    """A workspace as counterflow wrote it before transactions existed (schema 1)."""
    home.mkdir(parents=True, exist_ok=True)
    conn = duckdb.connect(str(home / DB_FILENAME))
    conn.execute("CREATE TABLE meta (key VARCHAR PRIMARY KEY, value VARCHAR)")
    conn.execute(MIGRATIONS[0])
    conn.execute("INSERT INTO meta VALUES ('schema_version', '1')")
    conn.execute("INSERT INTO pins VALUES ('un-sc', 'un-sc@2024-09-26')")
    conn.close()


def test_an_older_workspace_is_migrated_by_a_writing_command(home: Path) -> None:
    _version_one(home)
    ws = Workspace(home)
    with (
        pytest.raises(
            StoreError, match=f"schema version 1, this counterflow needs {SCHEMA_VERSION}"
        ),
        ws.connect(read_only=True),
    ):
        pass
    with ws.connect() as conn:
        assert conn.execute("SELECT value FROM meta").fetchall() == [(str(SCHEMA_VERSION),)]
        assert conn.execute("SELECT count(*) FROM transactions").fetchall() == [(0,)]
        assert conn.execute("SELECT * FROM pins").fetchall() == [("un-sc", "un-sc@2024-09-26")]


def test_a_newer_workspace_is_refused_untouched(home: Path) -> None:
    with Workspace(home).connect() as conn:
        conn.execute("UPDATE meta SET value = '99' WHERE key = 'schema_version'")
    newer = pytest.raises(StoreError, match="written by a newer counterflow")
    with newer, Workspace(home).connect():
        pass


def test_workspace_files_are_private(tmp_path: Path) -> None:
    """The database holds customer names: folder 0700, files 0600, whatever the umask."""
    home = tmp_path / "private"
    old = os.umask(0o022)
    try:
        with Workspace(home).connect() as conn:
            conn.execute("SELECT 1")
    finally:
        os.umask(old)
    assert stat.S_IMODE(home.stat().st_mode) == 0o700
    for path in home.iterdir():
        if path.is_file():
            assert stat.S_IMODE(path.stat().st_mode) == 0o600, path.name


def test_reading_a_missing_workspace_creates_nothing(tmp_path: Path) -> None:
    home = tmp_path / "never-written"
    with Workspace(home).connect(read_only=True) as conn:
        assert conn.execute("SELECT count(*) FROM editions").fetchone() == (0,)
    assert not home.exists()


def test_alerts_of_a_version_three_workspace_keep_their_first_time(home: Path) -> None:
    """Schema 4 adds the run stamps to the alerts: an alert stored before counts as raised
    first and last when it was stored, and retired alerts get their table."""
    home.mkdir(parents=True, exist_ok=True)
    conn = duckdb.connect(str(home / DB_FILENAME))
    conn.execute("CREATE TABLE meta (key VARCHAR PRIMARY KEY, value VARCHAR)")
    for migration in MIGRATIONS[:3]:
        conn.execute(migration)
    conn.execute("INSERT INTO meta VALUES ('schema_version', '3')")
    conn.execute(
        "INSERT INTO alerts VALUES ('world', 'A-1', 'oil-border-trade', 'oil', 'high', 'party', "
        "'P1', 0.9, ['T1'], '{}', NULL, NULL, TIMESTAMP '2026-01-02 03:04:05')"
    )
    conn.close()
    with Workspace(home).connect() as conn:
        row = conn.execute("SELECT created_at, seen_at, changed_at FROM alerts").fetchall()
        assert row == [(datetime(2026, 1, 2, 3, 4, 5), datetime(2026, 1, 2, 3, 4, 5), None)]
        assert conn.execute("SELECT count(*) FROM retired_alerts").fetchall() == [(0,)]
