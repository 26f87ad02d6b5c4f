"""Writing files whole or not at all, and keeping private files private.

Every output goes to a temporary file beside its target (so the rename stays on one file
system), is flushed and synced, then renamed over the target in one step: a reader sees the old
file or the new one, never half of one, and a failure leaves the old file as it was. ``-`` as a
target means standard output.

Workspace files that hold customer names or secrets (the audit trail, decisions, keys, the
database) are created readable by their owner only, whatever the umask; the workspace folder
itself is created ``0700``.
"""

from __future__ import annotations

import os
import secrets
import shutil
import sys
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import IO, Any, BinaryIO

from counterflow.errors import DataError

#: the output path that means standard output
STDOUT = "-"
PRIVATE_FILE = 0o600
PRIVATE_DIR = 0o700


def is_stdout(path: str | os.PathLike[str] | None) -> bool:
    return path is not None and os.fspath(path) == STDOUT


def _temp_beside(path: Path, suffix: str = ".part") -> Path:
    return path.with_name(f".{path.name}.{secrets.token_hex(4)}{suffix}")


def _check_target(path: Path) -> None:
    if path.is_dir():
        raise DataError("is a folder; give a file name", path=path)
    if not path.parent.is_dir():
        raise DataError("the folder to write into does not exist", path=path)


def _create(path: Path, private: bool) -> int:
    mode = PRIVATE_FILE if private else 0o666
    try:
        return os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
    except OSError as exc:
        raise DataError(f"cannot write: {exc.strerror}", path=path) from exc


@contextmanager
def atomic_output(
    path: str | os.PathLike[str], mode: str = "w", *, private: bool = False
) -> Iterator[IO[Any]]:
    """A file object to write ``path`` through; the file appears only when the block ends
    without an error. Text mode writes UTF-8 with ``\\n`` line ends (CSV writers add their
    own ``\\r\\n``)."""
    if is_stdout(path):
        stream: IO[Any] = sys.stdout.buffer if mode == "wb" else sys.stdout
        yield stream
        stream.flush()
        return
    target = Path(path)
    _check_target(target)
    tmp = _temp_beside(target)
    fd = _create(tmp, private)
    try:
        if mode == "wb":
            with os.fdopen(fd, "wb") as out:
                yield out
                _sync(out)
        else:
            with os.fdopen(fd, "w", encoding="utf-8", newline="") as text:
                yield text
                _sync(text)
        os.replace(tmp, target)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def _sync(out: IO[Any]) -> None:
    out.flush()
    os.fsync(out.fileno())


@contextmanager
def atomic_path(path: str | os.PathLike[str]) -> Iterator[Path]:
    """A temporary path for a library that writes by name (Parquet, DuckDB's COPY); renamed to
    ``path`` when the block ends without an error, removed otherwise."""
    target = Path(path)
    _check_target(target)
    tmp = _temp_beside(target)
    try:
        yield tmp
        if not tmp.exists():
            raise DataError("nothing was written", path=target)
        os.replace(tmp, target)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


class Staged:
    """A file written under a temporary name (:attr:`path`) while it is checked; it is kept
    only if :meth:`keep_as` names where to, once its final name is known."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.target: Path | None = None

    def keep_as(self, target: str | os.PathLike[str]) -> None:
        """Keep the file as ``target`` (on the same file system) when the block ends without
        an error."""
        self.target = Path(target)


@contextmanager
def staged_file(folder: str | os.PathLike[str], name: str) -> Iterator[Staged]:
    """A temporary path in ``folder`` for a file whose final name is known only once it has
    been written and read (a downloaded list is named after the edition it holds). The
    temporary name is hidden, and ends with ``name``, so its suffix still tells the format.

    When the block ends without an error the file takes the name given to
    :meth:`Staged.keep_as`, in one rename; otherwise, or if no name was given, it is removed.
    """
    staged = Staged(Path(folder) / f".part-{secrets.token_hex(4)}-{name}")
    try:
        yield staged
        if staged.target is not None:
            _check_target(staged.target)
            if not staged.path.exists():
                raise DataError("nothing was written", path=staged.target)
            try:
                os.replace(staged.path, staged.target)
            except OSError as exc:
                raise DataError(f"cannot write: {exc.strerror}", path=staged.target) from exc
    finally:
        staged.path.unlink(missing_ok=True)


@contextmanager
def atomic_folder(path: str | os.PathLike[str], *, replace: bool = False) -> Iterator[Path]:
    """A temporary folder beside ``path`` to fill; it takes the place of ``path`` when the block
    ends without an error. An existing ``path`` must be empty unless ``replace``: the caller
    decides what may be replaced (an earlier export, an earlier simulation).

    Missing parent folders are created, and removed again if the block fails, so a failure
    leaves nothing behind; an earlier ``path`` stays as it was until the new folder is whole,
    and comes back if the new one cannot be moved into place."""
    target = Path(path)
    if target.exists() and not target.is_dir():
        raise DataError("is a file; give a folder", path=target)
    if target.exists() and not replace and any(target.iterdir()):
        raise DataError("the folder is not empty", path=target)
    created = _make_parents(target.parent)
    tmp = _temp_beside(target)
    try:
        tmp.mkdir()
    except OSError as exc:
        _remove_folders(created)
        raise DataError(f"cannot create a folder here: {exc.strerror}", path=target) from exc
    try:
        yield tmp
        _swap_in(tmp, target)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        _remove_folders(created)
        raise


def _swap_in(tmp: Path, target: Path) -> None:
    """Rename the folder ``tmp`` to ``target``, an earlier ``target`` going only once the new
    one is in place (and coming back if it cannot be)."""
    old = None
    try:
        if target.exists():
            old = _temp_beside(target, ".old")
            os.replace(target, old)
        os.replace(tmp, target)
    except OSError as exc:
        if old is not None and not target.exists():
            with suppress(OSError):
                os.replace(old, target)
        raise DataError(
            f"cannot move the new folder into place: {exc.strerror}", path=target
        ) from exc
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)


def _make_parents(folder: Path) -> list[Path]:
    """Create ``folder`` and its missing parents; the folders created, outermost first."""
    missing = []
    current = folder.absolute()
    while not current.exists():
        missing.append(current)
        current = current.parent
    missing.reverse()
    try:
        for each in missing:
            each.mkdir()
    except OSError as exc:
        _remove_folders(missing)
        raise DataError(f"cannot create the folder: {exc.strerror}", path=folder) from exc
    return missing


def _remove_folders(created: list[Path]) -> None:
    """Remove the folders :func:`_make_parents` created, innermost first, while empty."""
    for each in reversed(created):
        try:
            each.rmdir()
        except OSError:
            return


def write_private_text(path: Path, text: str) -> None:
    """Replace ``path`` atomically with ``text``, readable by the owner only."""
    with atomic_output(path, private=True) as out:
        out.write(text)


def open_private_append(path: Path) -> BinaryIO:
    """``path`` opened for appending bytes, created ``0600`` if new (the audit trail,
    decisions): appends from several processes never interleave within a write."""
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, PRIVATE_FILE)
    return os.fdopen(fd, "ab")


class PrivateAppendFile:
    """An append-only file of private records (the audit trail, decisions), opened afresh for
    each append: created ``0600`` in a ``0700`` folder when missing, and a file an older
    version left readable by others made private at the first append."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._checked_mode = False

    def open(self) -> BinaryIO:
        try:
            out = open_private_append(self.path)
        except FileNotFoundError:
            ensure_private_dir(self.path.parent)
            out = open_private_append(self.path)
        if not self._checked_mode:
            make_private(self.path)
            self._checked_mode = True
        return out


def ensure_private_dir(path: Path) -> Path:
    """Create ``path`` (and its parents) if missing; a folder created here is ``0700``. A
    folder that exists is left as its owner set it."""
    if not path.is_dir():
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            path.mkdir(mode=PRIVATE_DIR)
        except FileExistsError:
            pass
        else:
            os.chmod(path, PRIVATE_DIR)  # mkdir's mode is masked by the umask
    return path


def make_private(path: Path) -> None:
    """Owner-only permissions on a file another library created (DuckDB's database)."""
    try:
        if path.exists() and (path.stat().st_mode & 0o077):
            os.chmod(path, PRIVATE_FILE)
    except OSError:
        pass  # not ours to change (a read-only mount): the folder's 0700 still protects it
