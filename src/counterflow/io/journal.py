"""Reading files that only grow: the audit trail and the decisions, which several processes
append to (:func:`counterflow.io.open_private_append`, under the lock of
:mod:`counterflow.cases.locking`).

The readers take no lock: a reader sees every line whole up to the last line end, and a line
being written (no line end yet) is the caller's to leave for its next look. A file that does not
exist yet reads as empty; any other problem is a :class:`counterflow.errors.DataError` naming
the file.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from counterflow.errors import DataError

#: how far :func:`read_last_line` looks back first; it looks four times further each time
TAIL_CHUNK = 1 << 12


def read_from(path: Path, offset: int = 0) -> bytes | None:
    """The bytes of ``path`` from ``offset`` to its end (what was appended since a reader's
    last look), or None when the file does not exist."""
    try:
        with open(path, "rb") as fh:
            fh.seek(offset)
            return fh.read()
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise DataError(f"cannot read: {exc.strerror}", path=path) from exc


def read_last_line(path: Path, size: int | None = None, *, chunk: int = TAIL_CHUNK) -> bytes:
    """The last line of the first ``size`` bytes of ``path`` (the whole file by default),
    without its line end; empty for an empty or missing file. Read from the end, a block at a
    time, so a long file costs one short read."""
    try:
        with open(path, "rb") as fh:
            if size is None:
                size = fh.seek(0, 2)
            while True:
                start = max(0, size - chunk)
                fh.seek(start)
                data = fh.read(size - start).rstrip(b"\n")
                cut = data.rfind(b"\n")
                if cut >= 0 or start == 0:
                    return data[cut + 1 :]
                chunk *= 4
    except FileNotFoundError:
        return b""
    except OSError as exc:
        raise DataError(f"cannot read: {exc.strerror}", path=path) from exc


def iter_byte_lines(path: Path) -> Iterator[bytes]:
    """The lines of ``path`` as bytes, each with its line end as written (so a hash over a
    line can be checked), streamed; nothing for a missing file."""
    try:
        with open(path, "rb") as lines:
            yield from lines
    except FileNotFoundError:
        return
    except OSError as exc:
        raise DataError(f"cannot read: {exc.strerror}", path=path) from exc
