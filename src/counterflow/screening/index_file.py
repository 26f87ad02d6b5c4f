"""The persisted screening index: one file in the workspace folder, so start-up skips the build.

Building a :class:`~counterflow.screening.Screener` over four lists (12,620 entries, 31,509
names) reads every entry back from DuckDB and analyses every name: about 3 seconds, paid again by
every ``counterflow screen`` and every service start. The analysis only changes when the active
editions change or the matcher's code does, so it is kept in ``screening-index.bin`` beside the
database and loaded in a fraction of that time.

The file is a header and a payload:

- a magic line, then one JSON line: the index :data:`FORMAT_VERSION`, the ids of the active
  editions it was built from, the :func:`matcher_stamp` of the code that built it, and the
  payload's length and SHA-256;
- the payload, a :mod:`marshal` dump of plain containers (lists, tuples, dicts, strings, bytes,
  numbers): per entry its id, list, scoring features and JSON body, the distinct tokens, per
  name its entry, property, text and token numbers, the postings as packed ``uint32`` arrays,
  and the document frequencies the idf weights are computed from.

An index is used only when all three header fields match what the workspace and the running code
would build now; anything else (a missing, stale, truncated or damaged file, a file from another
matcher or another Python) is ignored and rebuilt. Nothing here raises: the worst case is a
build in memory, which is what happened before the index existed.

Why marshal: it loads plain containers and bytes at C speed (the payload is about 17.5 MB for
five lists, mostly entry bodies packed in one blob and decoded only when a match returns them;
see ``_Packed`` in :mod:`.screener`), it is in the standard library, and unlike
pickle it never calls code while loading: it only builds the containers listed above. Its format
is tied to the Python version, which the stamp includes. The marshal documentation warns that it
is not hardened against maliciously crafted bytes; the file is checked against the SHA-256 in its
header before it is unmarshalled, and it lives in the ``0700`` workspace folder, written ``0600``
by counterflow only (whoever can rewrite it can rewrite the database too).
"""

from __future__ import annotations

import gc
import hashlib
import json
import logging
import marshal
import sys
import unicodedata
from array import array
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from anyascii import __version__ as anyascii_version

from counterflow.errors import CounterflowError, DataError
from counterflow.io import atomic_output

log = logging.getLogger("counterflow.screening")

INDEX_FILENAME = "screening-index.bin"
#: bumped whenever the payload's layout changes
FORMAT_VERSION = 2
MAGIC = b"counterflow screening index\n"
#: the header line is small; a longer one means the file is not ours
_MAX_HEADER = 1 << 20
_MARSHAL_VERSION = 4

_SCREENING = Path(__file__).resolve().parent
_PACKAGE = _SCREENING.parent
#: the code whose change changes tokens, keys, features or weights (besides data tables, below)
_MATCHER_SOURCES = (
    "screening/names.py",
    "screening/phonetic.py",
    "screening/transliterate.py",
    "screening/vocabulary.py",
    "screening/compare.py",
    "screening/evidence.py",
    "screening/screener.py",
    "screening/index_file.py",
    "text.py",
    "model/entity.py",
    "model/schema.py",
)


@lru_cache(maxsize=1)
def matcher_stamp() -> str:
    """A hash of everything that shapes what the index holds: the matcher's modules, every data
    table under ``screening/`` (any file that is not Python source), the transliteration library's
    version, Python's Unicode database, Python's own version (marshal's format follows it) and
    the machine's byte order.

    A change to any of them changes the stamp, so a changed matcher never reads an index an older
    one wrote. Computed once per process (a few files, well under a millisecond each).
    """
    digest = hashlib.sha256()
    tables = sorted(
        p.relative_to(_PACKAGE).as_posix()
        for p in _SCREENING.rglob("*")
        if p.is_file() and p.suffix not in (".py", ".pyc") and "__pycache__" not in p.parts
    )
    for name in (*_MATCHER_SOURCES, *tables):
        digest.update(name.encode() + b"\0")
        try:
            digest.update((_PACKAGE / name).read_bytes())
        except OSError:
            digest.update(b"<missing>")
        digest.update(b"\0")
    digest.update(f"anyascii {anyascii_version}\0".encode())
    digest.update(f"unicode {unicodedata.unidata_version}\0".encode())
    digest.update(f"python {sys.version}\0".encode())
    # the packed arrays are in the machine's byte order and item sizes
    digest.update(f"{sys.byteorder} I{array('I').itemsize} Q{array('Q').itemsize}".encode())
    return digest.hexdigest()


def index_path(home: Path) -> Path:
    return home / INDEX_FILENAME


@dataclass(frozen=True)
class Header:
    """What an index file says about itself."""

    format: int
    editions: dict[str, str]
    stamp: str
    payload_bytes: int
    payload_sha256: str

    def to_json(self) -> dict[str, Any]:
        return {
            "format": self.format,
            "editions": self.editions,
            "stamp": self.stamp,
            "payload_bytes": self.payload_bytes,
            "payload_sha256": self.payload_sha256,
        }


def _read_header(data: bytes, path: Path) -> tuple[Header, int] | None:
    """The header and where the payload starts, or None (with a warning) if it is not one."""
    if not data.startswith(MAGIC):
        log.warning("%s is not a screening index; rebuilding it", path)
        return None
    end = data.find(b"\n", len(MAGIC), len(MAGIC) + _MAX_HEADER)
    if end < 0:
        log.warning("%s: the screening index header is damaged; rebuilding it", path)
        return None
    try:
        raw = json.loads(data[len(MAGIC) : end])
        header = Header(
            int(raw["format"]),
            {str(k): str(v) for k, v in dict(raw["editions"]).items()},
            str(raw["stamp"]),
            int(raw["payload_bytes"]),
            str(raw["payload_sha256"]),
        )
    except (ValueError, KeyError, TypeError, AttributeError):
        log.warning("%s: the screening index header is damaged; rebuilding it", path)
        return None
    return header, end + 1


def current_header(home: Path, editions: Mapping[str, str]) -> bool:
    """True when the index file in ``home`` was built from ``editions`` (list id → edition id)
    by this matcher; reads the header only."""
    path = index_path(home)
    try:
        with open(path, "rb") as fh:
            data = fh.read(len(MAGIC) + 4096)
    except OSError:
        return False
    found = _read_header(data, path) if data.startswith(MAGIC) else None
    return found is not None and _fits(found[0], editions, path, quiet=True)


def _fits(header: Header, editions: Mapping[str, str], path: Path, *, quiet: bool) -> bool:
    if header.format != FORMAT_VERSION or header.stamp != matcher_stamp():
        if not quiet:
            log.warning(
                "%s was built by another version of the matcher; rebuilding the index", path
            )
        return False
    if header.editions != dict(editions):
        if not quiet:
            log.info("%s was built from other list editions; rebuilding the index", path)
        return False
    return True


def read_index(home: Path, editions: Mapping[str, str]) -> Any | None:
    """The payload of the index in ``home`` if it was built from ``editions`` by this matcher,
    else None. A damaged file is reported as a warning, a stale one as a note; neither raises."""
    path = index_path(home)
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return None
    except OSError as exc:
        log.warning("cannot read the screening index %s (%s); rebuilding it", path, exc.strerror)
        return None
    found = _read_header(data, path)
    if found is None:
        return None
    header, start = found
    if not _fits(header, editions, path, quiet=False):
        return None
    payload = memoryview(data)[start:]
    if len(payload) != header.payload_bytes:
        log.warning("%s is truncated; rebuilding the screening index", path)
        return None
    if hashlib.sha256(payload).hexdigest() != header.payload_sha256:
        log.warning("%s is damaged (checksum mismatch); rebuilding the screening index", path)
        return None
    collecting = gc.isenabled()
    gc.disable()  # the load makes a million small containers and no cycle: skip the scans
    try:
        return marshal.loads(payload)
    except (ValueError, EOFError, TypeError) as exc:
        log.warning("%s cannot be read (%s); rebuilding the screening index", path, exc)
        return None
    finally:
        if collecting:
            gc.enable()


def write_index(home: Path, editions: Mapping[str, str], payload: Any) -> bool:
    """Write the index atomically (``0600``); False, with a note in the log, when the folder is
    not writable. Two processes writing at once each put a whole file in place; whichever
    renames last wins, and its header says which editions it holds."""
    path = index_path(home)
    data = marshal.dumps(payload, _MARSHAL_VERSION)
    header = Header(
        FORMAT_VERSION,
        dict(editions),
        matcher_stamp(),
        len(data),
        hashlib.sha256(data).hexdigest(),
    )
    try:
        with atomic_output(path, "wb", private=True) as out:
            out.write(MAGIC)
            out.write(json.dumps(header.to_json(), sort_keys=True).encode() + b"\n")
            out.write(data)
    except (CounterflowError, OSError) as exc:
        log.info("the screening index was not saved (%s); it is kept in memory only", exc)
        return False
    return True


class CorruptIndex(DataError):
    """A payload that passed its checksum but does not have the expected shape (only a changed
    writer could make one). Never leaves counterflow: the screener logs it and rebuilds."""


__all__ = [
    "FORMAT_VERSION",
    "INDEX_FILENAME",
    "CorruptIndex",
    "current_header",
    "index_path",
    "matcher_stamp",
    "read_index",
    "write_index",
]
