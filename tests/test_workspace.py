"""The workspace's change stamp and its wait for another process's lock."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from counterflow.errors import StoreError
from counterflow.workspace import Workspace


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
