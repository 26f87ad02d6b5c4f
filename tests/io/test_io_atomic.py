"""Writes whole or not at all; private files and folders stay private."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from counterflow.errors import DataError
from counterflow.io import (
    atomic_folder,
    atomic_output,
    atomic_path,
    ensure_private_dir,
    make_private,
    open_private_append,
    staged_file,
    write_private_text,
)


@pytest.fixture
def open_umask() -> Iterator[None]:
    """A permissive umask, so that only the code under test can make files private."""
    old = os.umask(0o002)
    try:
        yield
    finally:
        os.umask(old)


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_a_failure_leaves_nothing_and_the_old_file_untouched(tmp_path: Path) -> None:
    target = tmp_path / "out.csv"
    with pytest.raises(RuntimeError), atomic_output(target) as out:
        out.write("half a file")
        raise RuntimeError("disk full")
    assert list(tmp_path.iterdir()) == []
    target.write_text("old\n", encoding="utf-8")
    with pytest.raises(RuntimeError), atomic_output(target) as out:
        out.write("new")
        raise RuntimeError("disk full")
    assert target.read_text(encoding="utf-8") == "old\n"
    assert [p.name for p in tmp_path.iterdir()] == ["out.csv"]


def test_success_replaces_the_file_whole(tmp_path: Path) -> None:
    target = tmp_path / "out.bin"
    target.write_bytes(b"old content, longer than the new one")
    with atomic_output(target, "wb") as out:
        out.write(b"new")
        assert target.read_bytes().startswith(b"old")  # not yet in place
    assert target.read_bytes() == b"new"
    assert [p.name for p in tmp_path.iterdir()] == ["out.bin"]


def test_a_dash_writes_to_standard_output(capsys: pytest.CaptureFixture[str]) -> None:
    with atomic_output("-") as out:
        out.write("to the terminal\n")
    assert capsys.readouterr().out == "to the terminal\n"


def test_targets_that_cannot_be_written(tmp_path: Path) -> None:
    with pytest.raises(DataError, match="is a folder"), atomic_output(tmp_path):
        pass
    absent = tmp_path / "absent" / "out.csv"
    with (
        pytest.raises(DataError, match="the folder to write into does not exist"),
        atomic_output(absent),
    ):
        pass
    with pytest.raises(DataError, match="nothing was written"), atomic_path(tmp_path / "x.pq"):
        pass
    assert list(tmp_path.iterdir()) == []


def test_atomic_path_for_libraries_that_write_by_name(tmp_path: Path) -> None:
    target = tmp_path / "data.parquet"
    with atomic_path(target) as tmp:
        assert tmp.parent == tmp_path and tmp != target
        tmp.write_bytes(b"PAR1")
    assert target.read_bytes() == b"PAR1" and len(list(tmp_path.iterdir())) == 1


def test_atomic_folder_replaces_whole_or_not_at_all(tmp_path: Path) -> None:
    out = tmp_path / "export"
    with atomic_folder(out) as tmp:
        (tmp / "a.parquet").write_bytes(b"a")
        assert not out.exists()
    assert [p.name for p in out.iterdir()] == ["a.parquet"]
    with pytest.raises(DataError, match="the folder is not empty"), atomic_folder(out):
        pass
    with pytest.raises(RuntimeError), atomic_folder(out, replace=True) as tmp:
        (tmp / "b.parquet").write_bytes(b"b")
        raise RuntimeError("failed halfway")
    assert [p.name for p in out.iterdir()] == ["a.parquet"]
    with atomic_folder(out, replace=True) as tmp:
        (tmp / "b.parquet").write_bytes(b"b")
    assert [p.name for p in out.iterdir()] == ["b.parquet"]
    assert [p.name for p in tmp_path.iterdir()] == ["export"]
    with pytest.raises(DataError, match="is a file"), atomic_folder(out / "b.parquet"):
        pass


def test_atomic_folder_makes_parents_and_removes_them_on_failure(tmp_path: Path) -> None:
    out = tmp_path / "deep" / "er" / "export"
    with pytest.raises(RuntimeError), atomic_folder(out) as tmp:
        assert tmp.parent == out.parent and tmp.parent.is_dir()
        (tmp / "a.parquet").write_bytes(b"a")
        raise RuntimeError("failed halfway")
    assert list(tmp_path.iterdir()) == []  # not even the parent folders it made
    with atomic_folder(out) as tmp:
        (tmp / "a.parquet").write_bytes(b"a")
    assert [p.name for p in out.iterdir()] == ["a.parquet"]
    # folders that were there before are left, even when the block fails
    with pytest.raises(RuntimeError), atomic_folder(out.parent / "other"):
        raise RuntimeError("failed")
    assert [p.name for p in out.parent.iterdir()] == ["export"]


def test_atomic_folder_where_no_folder_can_be_made(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a folder", encoding="utf-8")
    with pytest.raises(DataError, match="cannot create") as caught, atomic_folder(blocker / "out"):
        pass
    assert isinstance(caught.value.__cause__, OSError)
    with pytest.raises(DataError, match="cannot create"), atomic_folder(blocker / "a" / "out"):
        pass
    assert [p.name for p in tmp_path.iterdir()] == ["file"]


def test_atomic_folder_keeps_the_old_folder_if_the_new_cannot_take_its_place(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "export"
    with atomic_folder(out) as tmp:
        (tmp / "old.parquet").write_bytes(b"old")
    replace = os.replace

    def failing(src: Path, dst: Path) -> None:
        if Path(src).name.endswith(".part"):  # the new folder's move into place
            raise OSError(28, "No space left on device")
        replace(src, dst)

    monkeypatch.setattr(os, "replace", failing)
    with (
        pytest.raises(DataError, match="cannot move the new folder into place"),
        atomic_folder(out, replace=True) as tmp,
    ):
        (tmp / "new.parquet").write_bytes(b"new")
    assert [p.name for p in out.iterdir()] == ["old.parquet"]
    assert [p.name for p in tmp_path.iterdir()] == ["export"]


def test_a_staged_file_takes_the_name_given_once_it_is_checked(tmp_path: Path) -> None:
    with staged_file(tmp_path, "list.xml") as staged:
        assert staged.path.parent == tmp_path and staged.path.name.startswith(".")
        assert staged.path.suffix == ".xml"  # the format still shows
        staged.path.write_bytes(b"<list/>")
        staged.keep_as(tmp_path / "2026-01-15-list.xml")
        assert not (tmp_path / "2026-01-15-list.xml").exists()  # only when the block ends
    assert [p.name for p in tmp_path.iterdir()] == ["2026-01-15-list.xml"]
    assert (tmp_path / "2026-01-15-list.xml").read_bytes() == b"<list/>"


def test_a_staged_file_is_removed_unless_kept(tmp_path: Path) -> None:
    with staged_file(tmp_path, "list.xml") as staged:
        staged.path.write_bytes(b"not kept")
    with pytest.raises(RuntimeError), staged_file(tmp_path, "list.xml") as staged:
        staged.path.write_bytes(b"failed check")
        staged.keep_as(tmp_path / "kept.xml")
        raise RuntimeError("does not import")
    assert list(tmp_path.iterdir()) == []
    with (
        pytest.raises(DataError, match="nothing was written"),
        staged_file(tmp_path, "list.xml") as staged,
    ):
        staged.keep_as(tmp_path / "kept.xml")
    with (
        pytest.raises(DataError, match="is a folder"),
        staged_file(tmp_path, "list.xml") as staged,
    ):
        staged.path.write_bytes(b"x")
        staged.keep_as(tmp_path)
    assert list(tmp_path.iterdir()) == []


@pytest.mark.usefixtures("open_umask")
def test_private_files_are_0600(tmp_path: Path) -> None:
    secret = tmp_path / "keys.json"
    write_private_text(secret, "{}")
    assert _mode(secret) == 0o600 and secret.read_text(encoding="utf-8") == "{}"
    with atomic_output(tmp_path / "plain.csv") as out:
        out.write("x")
    assert _mode(tmp_path / "plain.csv") == 0o664  # not private unless asked
    trail = tmp_path / "audit.jsonl"
    with open_private_append(trail) as out:
        out.write(b"one\n")
    with open_private_append(trail) as out:
        out.write(b"two\n")
    assert _mode(trail) == 0o600 and trail.read_bytes() == b"one\ntwo\n"
    other = tmp_path / "db.duckdb"
    other.write_bytes(b"")
    other.chmod(0o644)
    make_private(other)
    assert _mode(other) == 0o600


@pytest.mark.usefixtures("open_umask")
def test_private_folders_are_0700(tmp_path: Path) -> None:
    home = ensure_private_dir(tmp_path / "a" / "home")
    assert home.is_dir() and _mode(home) == 0o700
    existing = tmp_path / "mine"
    existing.mkdir(mode=0o755)
    existing.chmod(0o755)
    ensure_private_dir(existing)
    assert _mode(existing) == 0o755  # a folder that exists is left as its owner set it
