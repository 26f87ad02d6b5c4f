"""Exclusive locks across processes on the files several service workers append to.

On POSIX systems this is ``flock`` on the open file itself: the kernel wakes a waiting process
the moment the lock is free, and taking a free lock is one system call, which matters on a path
every screening request takes. Elsewhere it falls back to ``filelock``'s lock file, named after
``path`` (a file opened from a descriptor, as private files are, has no name of its own).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from typing import IO

from filelock import FileLock

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None  # type: ignore[assignment]


@contextmanager
def exclusive(file: IO[bytes], path: str | os.PathLike[str] | None = None) -> Iterator[None]:
    """Hold an exclusive lock on ``file`` (open for appending, at ``path``) until the block
    ends."""
    if fcntl is None:  # pragma: no cover - Windows
        with FileLock(f"{os.fspath(path) if path is not None else file.name}.lock"):
            yield
        return
    fcntl.flock(file.fileno(), fcntl.LOCK_EX)
    try:
        yield
    finally:
        fcntl.flock(file.fileno(), fcntl.LOCK_UN)
