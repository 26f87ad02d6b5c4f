"""Files that only grow: what was appended since a look, the last line, every line."""

from __future__ import annotations

from pathlib import Path

import pytest

from counterflow.errors import DataError
from counterflow.io import iter_byte_lines, read_from, read_last_line


def test_read_from_an_offset(tmp_path: Path) -> None:
    path = tmp_path / "log.jsonl"
    assert read_from(path) is None  # nothing appended yet
    path.write_bytes(b"one\ntwo\nthr")
    assert read_from(path) == b"one\ntwo\nthr"
    assert read_from(path, 4) == b"two\nthr"
    assert read_from(path, 11) == b""


def test_the_last_line(tmp_path: Path) -> None:
    path = tmp_path / "log.jsonl"
    assert read_last_line(path) == b""
    path.write_bytes(b"")
    assert read_last_line(path) == b""
    path.write_bytes(b"only\n")
    assert read_last_line(path) == b"only"
    lines = [f"record {n} ".encode() * 40 for n in range(100)]  # longer than a block
    path.write_bytes(b"\n".join(lines) + b"\n")
    assert read_last_line(path, chunk=16) == lines[-1]
    # as of a size: a line being written after it is not seen
    size = path.stat().st_size
    with open(path, "ab") as out:
        out.write(b"half a reco")
    assert read_last_line(path, size, chunk=16) == lines[-1]
    assert read_last_line(path) == b"half a reco"


def test_every_line_as_written(tmp_path: Path) -> None:
    path = tmp_path / "log.jsonl"
    assert list(iter_byte_lines(path)) == []
    path.write_bytes(b'{"a":1}\r\n\n{"b":2}')
    assert list(iter_byte_lines(path)) == [b'{"a":1}\r\n', b"\n", b'{"b":2}']


def test_a_path_that_cannot_be_read(tmp_path: Path) -> None:
    folder = tmp_path / "a-folder"
    folder.mkdir()
    for read in (read_from, read_last_line, lambda p: list(iter_byte_lines(p))):
        with pytest.raises(DataError, match="cannot read") as caught:
            read(folder)
        assert caught.value.path == str(folder)
        assert isinstance(caught.value.__cause__, OSError)
