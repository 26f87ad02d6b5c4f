"""Opening user files carefully: exists, is a file, not empty, not over the caller's limit.

Limits belong to the caller because they depend on how the file is read: a list file is parsed
whole in memory (so it is capped), a customer file for batch screening is streamed (so it is
not), a parameter file is small by nature.
"""

from __future__ import annotations

import codecs
import hashlib
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import BinaryIO

from counterflow.errors import DataError


def check_file(path: Path, *, max_bytes: int | None = None, allow_empty: bool = False) -> int:
    """The file's size; refuses a missing path, a folder, an empty file (unless allowed) and a
    file over ``max_bytes``, with a message naming the file."""
    try:
        stat = path.stat()
    except FileNotFoundError as exc:
        raise DataError("file not found", path=path) from exc
    except OSError as exc:
        raise DataError(f"cannot read: {exc.strerror}", path=path) from exc
    if not path.is_file():
        raise DataError("not a file", path=path)
    if stat.st_size == 0 and not allow_empty:
        raise DataError("the file is empty", path=path)
    if max_bytes is not None and stat.st_size > max_bytes:
        raise DataError(
            f"the file is {stat.st_size:,} bytes, over the {max_bytes:,} limit", path=path
        )
    return stat.st_size


def open_checked(path: Path, *, max_bytes: int | None = None) -> BinaryIO:
    """The file opened for reading bytes, after :func:`check_file`."""
    check_file(path, max_bytes=max_bytes)
    try:
        return open(path, "rb")  # the caller closes it
    except OSError as exc:
        raise DataError(f"cannot read: {exc.strerror}", path=path) from exc


def read_bytes(path: Path, *, max_bytes: int) -> bytes:
    """The whole file, after :func:`check_file` (so never more than ``max_bytes``)."""
    with open_checked(path, max_bytes=max_bytes) as fh:
        try:
            return fh.read()
        except OSError as exc:
            raise DataError(f"cannot read: {exc.strerror}", path=path) from exc


def read_head(path: Path, size: int = 4096) -> bytes:
    """The first ``size`` bytes, for telling formats apart."""
    try:
        with open(path, "rb") as fh:
            return fh.read(size)
    except OSError as exc:
        raise DataError(f"cannot read: {exc.strerror}", path=path) from exc


def read_text(path: Path, *, max_bytes: int, encoding: str | None = None) -> str:
    """The whole file as text: ``encoding`` when given, else as :func:`decode_text` decides."""
    data = read_bytes(path, max_bytes=max_bytes)
    text = decode(data, path, encoding) if encoding else decode_text(data, path)
    return text[1:] if text.startswith("\ufeff") else text


def read_lines(
    path: Path,
    *,
    encoding: str | None = None,
    max_bytes: int | None = None,
    max_line: int = 1024 * 1024,
) -> Iterator[str]:
    """The lines of a text file, one at a time, each with its line end as in the file (files
    of any size stream). ``encoding`` when given, else as :func:`sniff_encoding` decides. A
    line longer than ``max_line`` characters, or bytes that are not valid text, are an error
    naming the line."""
    check_file(path, max_bytes=max_bytes)
    encoding = encoding or sniff_encoding(path)
    try:
        codecs.lookup(encoding)
    except LookupError as exc:
        raise DataError(f"unknown text encoding {encoding!r}", path=path) from exc
    number = 0
    try:
        with open(path, encoding=encoding, newline="") as text:
            # a line is read up to the limit, never whole: one line may be the whole file
            while line := text.readline(max_line + 1):
                number += 1
                if len(line) > max_line and line[-1] not in "\r\n":
                    raise DataError(
                        f"the line is over the {max_line:,}-character limit",
                        path=path,
                        location=f"line {number}",
                    )
                if number == 1 and line.startswith("\ufeff"):
                    line = line[1:]
                yield line
    except UnicodeDecodeError as exc:
        # the decoder saw a block, not a line: find the line by reading again
        raise bad_text_error(path, encoding) from exc
    except OSError as exc:
        raise DataError(f"cannot read: {exc.strerror}", path=path) from exc


def bad_text_error(path: Path, encoding: str, advice: str = "") -> DataError:
    """The error for a file that is not valid ``encoding`` text, naming the line and the byte
    of the first bad sequence. For a file read as a stream, whose decoder saw a block and not
    a line: the file is read again, a line at a time, to find it (on this error path only)."""
    decoder = codecs.getincrementaldecoder(encoding)()
    offset = 0
    try:
        with open(path, "rb") as fh:
            for number, raw in enumerate(fh, start=1):
                try:
                    decoder.decode(raw)
                except UnicodeDecodeError as exc:
                    pending = len(exc.object) - len(raw)  # bytes held from the line before
                    return DataError(
                        f"not valid {encoding} text (byte 0x{exc.object[exc.start]:02x} at "
                        f"offset {offset + exc.start - pending}){advice}",
                        path=path,
                        location=f"line {number}",
                    )
                offset += len(raw)
            decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return DataError(f"not valid {encoding} text: it ends mid-character{advice}", path=path)
    except OSError as exc:
        return DataError(f"cannot read: {exc.strerror}", path=path)
    return DataError(f"not valid {encoding} text{advice}", path=path)


def decode(data: bytes, path: Path, encoding: str) -> str:
    """Decode bytes, naming the line and byte of the first bad sequence on failure."""
    try:
        return data.decode(encoding)
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise DataError(
            f"not valid {encoding} text (byte 0x{data[exc.start]:02x} at offset {exc.start})",
            path=path,
            location=f"line {line}",
        ) from exc
    except LookupError as exc:
        raise DataError(f"unknown text encoding {encoding!r}", path=path) from exc


def decode_text(data: bytes, path: Path) -> str:
    """Text of unknown encoding: by its byte-order mark, else UTF-8 when it is valid UTF-8,
    else Windows-1252.

    Sanctions publishers and banks' spreadsheets wrote cp1252 (or its ASCII subset) for years;
    newer exports are UTF-8; Excel's "Unicode text" is UTF-16 with a mark. A NUL byte without a
    mark means UTF-16 without one, or a binary file, and is refused.
    """
    bom = _bom_encoding(data[:4])
    if bom:
        return decode(data, path, bom)
    nul = data.find(b"\x00")
    if nul >= 0:
        line = data.count(b"\n", 0, nul) + 1
        raise DataError(
            "NUL byte in the file: not a text file, or UTF-16 without a byte-order mark",
            path=path,
            location=f"line {line}",
        )
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return decode(data, path, "cp1252")


def _bom_encoding(head: bytes) -> str | None:
    if head.startswith(b"\xef\xbb\xbf"):
        return "utf-8-sig"
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        return "utf-16"
    return None


def sniff_encoding(path: Path, *, chunk: int = 1 << 20) -> str:
    """The encoding of a file too large to decode whole: by byte-order mark, else UTF-8 if every
    byte is valid UTF-8 (checked in one streaming pass), else Windows-1252."""
    head = read_head(path, 4)
    bom = _bom_encoding(head)
    if bom:
        return bom
    decoder = codecs.getincrementaldecoder("utf-8")()
    line = 1
    with open(path, "rb") as fh:
        while block := fh.read(chunk):
            nul = block.find(b"\x00")
            if nul >= 0:
                line += block.count(b"\n", 0, nul)
                raise DataError(
                    "NUL byte in the file: not a text file, or UTF-16 without a byte-order mark",
                    path=path,
                    location=f"line {line}",
                )
            try:
                decoder.decode(block)
            except UnicodeDecodeError:
                return "cp1252"
            line += block.count(b"\n")
    try:
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return "cp1252"
    return "utf-8"


def files_hash(paths: Iterable[Path]) -> str:
    """SHA-256 over the bytes of every file, in order: the identity of a publication."""
    digest = hashlib.sha256()
    for path in paths:
        try:
            with open(path, "rb") as fh:
                for block in iter(lambda: fh.read(1 << 20), b""):
                    digest.update(block)
        except OSError as exc:
            raise DataError(f"cannot read: {exc.strerror}", path=path) from exc
    return digest.hexdigest()
