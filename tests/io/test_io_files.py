"""Reading user files: checks, text decoding, line streams."""

from __future__ import annotations

from pathlib import Path

import pytest

from counterflow.errors import DataError
from counterflow.io import (
    check_file,
    decode_text,
    files_hash,
    read_bytes,
    read_head,
    read_lines,
    read_text,
    sniff_encoding,
)


def test_check_file_refuses_what_cannot_be_read(tmp_path: Path) -> None:
    with pytest.raises(DataError, match=r"absent\.csv: file not found"):
        check_file(tmp_path / "absent.csv")
    with pytest.raises(DataError, match="not a file"):
        check_file(tmp_path)
    empty = tmp_path / "empty.csv"
    empty.touch()
    with pytest.raises(DataError, match="the file is empty"):
        check_file(empty)
    assert check_file(empty, allow_empty=True) == 0
    big = tmp_path / "big.bin"
    big.write_bytes(b"x" * 2000)
    with pytest.raises(DataError, match="the file is 2,000 bytes, over the 1,000 limit"):
        read_bytes(big, max_bytes=1000)
    assert read_head(big, 10) == b"x" * 10


@pytest.mark.parametrize(
    ("data", "text"),
    [
        ("Société".encode(), "Société"),
        ("Société".encode("cp1252"), "Société"),
        ("\ufeffSociété".encode(), "Société"),
        ("Джебхат".encode("utf-16"), "Джебхат"),
    ],
)
def test_text_of_unknown_encoding(tmp_path: Path, data: bytes, text: str) -> None:
    path = tmp_path / "f.txt"
    path.write_bytes(data)
    assert read_text(path, max_bytes=100) == text


def test_a_nul_byte_without_a_mark_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "f.txt"
    path.write_bytes("one\ntwo\n".encode("utf-16-le"))
    with pytest.raises(DataError, match=r"f\.txt, line 1: NUL byte in the file"):
        decode_text(path.read_bytes(), path)
    with pytest.raises(DataError, match="NUL byte"):
        sniff_encoding(path)


def test_sniff_encoding_streams(tmp_path: Path) -> None:
    path = tmp_path / "f.txt"
    path.write_bytes(b"a" * 5000 + "é".encode())  # the é spans two blocks of 4,097
    assert sniff_encoding(path, chunk=4097) == "utf-8"
    path.write_bytes(b"a" * 5000 + "é".encode("cp1252"))
    assert sniff_encoding(path, chunk=4097) == "cp1252"


def test_read_lines_streams_with_line_numbers_in_errors(tmp_path: Path) -> None:
    path = tmp_path / "f.txt"
    path.write_bytes(b"one\r\ntwo\nthree")
    assert list(read_lines(path)) == ["one\r\n", "two\n", "three"]
    path.write_bytes(b"one\ntwo\nJos\xe9\n")
    with pytest.raises(DataError) as caught:  # raised when the block holding it is decoded
        list(read_lines(path, encoding="utf-8"))
    assert caught.value.location == "line 3"
    assert caught.value.problem == "not valid utf-8 text (byte 0xe9 at offset 11)"
    assert list(read_lines(path)) == ["one\n", "two\n", "José\n"]  # sniffed: cp1252


def test_read_lines_caps_a_line(tmp_path: Path) -> None:
    path = tmp_path / "f.txt"
    path.write_bytes(b"short\n" + b"x" * 100 + b"\nafter\n")
    with pytest.raises(DataError, match=r"f\.txt, line 2: the line is over the 50-character"):
        list(read_lines(path, max_line=50))


def test_read_lines_of_utf16(tmp_path: Path) -> None:
    path = tmp_path / "f.txt"
    path.write_bytes("eins\nzwei\n".encode("utf-16"))
    assert list(read_lines(path)) == ["eins\n", "zwei\n"]


def test_files_hash_covers_every_file_in_order(tmp_path: Path) -> None:
    a, b = tmp_path / "a", tmp_path / "b"
    a.write_bytes(b"one")
    b.write_bytes(b"two")
    assert files_hash([a, b]) != files_hash([b, a])
    assert len(files_hash([a])) == 64
    with pytest.raises(DataError, match="cannot read"):
        files_hash([tmp_path / "absent"])
