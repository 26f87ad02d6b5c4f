"""The audit trail: an append-only JSON-lines file in which every record seals the one before.

Each record carries ``seq`` (1, 2, 3, …), ``prev`` (the previous record's hash) and ``hash``, the
SHA-256 of the record's canonical JSON without its own hash. Editing a record breaks its hash;
deleting or inserting one breaks the next record's ``prev`` and the sequence. Only removing
records from the very end leaves a valid shorter chain, which is why :func:`verify` reports the
head (last ``seq`` and hash) for the operator to note elsewhere, and accepts such a note back as
an anchor.

Several service workers and commands append to the same file: a file lock orders them, each
append reads the current head under the lock, and every record is flushed and fsynced before the
request it describes is answered.
"""

from __future__ import annotations

import hashlib
import json
import os
import threading
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, BinaryIO

from counterflow.cases.locking import exclusive
from counterflow.errors import ConfigError, DataError, StoreError

AUDIT_DIRNAME = "audit"
AUDIT_FILENAME = "audit.jsonl"
GENESIS = "0" * 64
#: How far the tail reader looks back first to find the head (records are about 1 kB).
_TAIL_CHUNK = 1 << 12


def canonical(record: Mapping[str, Any]) -> bytes:
    """The bytes a record's hash is taken over: sorted keys, no spaces, UTF-8."""
    return json.dumps(record, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def record_hash(record: Mapping[str, Any]) -> str:
    return hashlib.sha256(canonical({k: v for k, v in record.items() if k != "hash"})).hexdigest()


def now_utc() -> str:
    return datetime.now(UTC).isoformat(timespec="microseconds").replace("+00:00", "Z")


@dataclass
class Head:
    """The last record of the chain: what the next record's ``prev`` and ``seq`` follow."""

    seq: int = 0
    hash: str = GENESIS


class AuditLog:
    """Append to and read one workspace's audit trail (``<home>/audit/audit.jsonl``)."""

    def __init__(self, path: str | os.PathLike[str], *, fsync: bool = True) -> None:
        self.path = Path(path)
        self.fsync = fsync
        self._thread_lock = threading.Lock()
        # the head as of the end of our last append, valid while the file size is unchanged
        self._cached: tuple[int, Head] | None = None

    @classmethod
    def for_home(cls, home: Path, *, fsync: bool = True) -> AuditLog:
        return cls(home / AUDIT_DIRNAME / AUDIT_FILENAME, fsync=fsync)

    def append(self, action: str, actor: str, **details: Any) -> dict[str, Any]:
        """Seal and write one record; returns it with ``seq``, ``time``, ``prev`` and ``hash``.

        The locks cover reading the head and writing the line, which fixes the order; the fsync
        comes after, so writers in other processes are not held up by it (it makes this
        record durable, and any written before it, before the caller answers)."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        try:
            with open(self.path, "ab") as out:
                with self._thread_lock, exclusive(out):
                    record = self._write_next(out, action, actor, details)
                if self.fsync:
                    os.fsync(out.fileno())
        except OSError as exc:
            raise StoreError(f"cannot write the audit trail {self.path}: {exc}") from None
        return record

    def _write_next(
        self, out: BinaryIO, action: str, actor: str, details: dict[str, Any]
    ) -> dict[str, Any]:
        head = self._head(out.fileno())
        record: dict[str, Any] = {
            "seq": head.seq + 1,
            "time": now_utc(),
            "action": action,
            "actor": actor,
            **details,
            "prev": head.hash,
        }
        body = canonical(record)
        record["hash"] = hashlib.sha256(body).hexdigest()
        # the hash is over the canonical body; the line is that body with the hash added
        out.write(body[:-1] + b',"hash":"' + record["hash"].encode() + b'"}\n')
        out.flush()
        self._cached = (os.fstat(out.fileno()).st_size, Head(record["seq"], record["hash"]))
        return record

    def _head(self, fd: int) -> Head:
        size = os.fstat(fd).st_size
        if self._cached and self._cached[0] == size:
            return self._cached[1]
        if size == 0:
            return Head()
        last = _last_line(self.path, size)
        try:
            record = json.loads(last)
            return Head(int(record["seq"]), str(record["hash"]))
        except (ValueError, KeyError, TypeError):
            raise StoreError(
                f"the last record of the audit trail {self.path} is unreadable; "
                "run 'counterflow audit verify' before writing more"
            ) from None

    def records(self) -> Iterator[tuple[int, dict[str, Any] | None, bytes]]:
        """(line number, parsed record or None if unreadable, raw line) for every line."""
        if not self.path.exists():
            return
        with open(self.path, "rb") as lines:
            for number, raw in enumerate(lines, start=1):
                try:
                    parsed = json.loads(raw)
                except ValueError:
                    parsed = None
                yield number, parsed if isinstance(parsed, dict) else None, raw


def _last_line(path: Path, size: int) -> bytes:
    with open(path, "rb") as f:
        chunk = _TAIL_CHUNK
        while True:
            start = max(0, size - chunk)
            f.seek(start)
            data = f.read(size - start).rstrip(b"\n")
            cut = data.rfind(b"\n")
            if cut >= 0 or start == 0:
                return data[cut + 1 :]
            chunk *= 4


@dataclass
class Verification:
    """What :func:`verify` found: the record count, the head, and every problem by line."""

    records: int = 0
    head: Head = field(default_factory=Head)
    first_time: str | None = None
    last_time: str | None = None
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def verify(log: AuditLog, anchor: tuple[int, str] | None = None) -> Verification:
    """Check every record's hash, link and sequence number; and the anchor, if given.

    ``anchor`` is a ``(seq, hash)`` noted earlier (from a previous verify): it proves that the
    chain still reaches that record unchanged, so records removed from the end are caught too.
    """
    result = Verification()
    expected = Head()
    anchor_seen = False
    for number, record, _raw in log.records():
        where = f"line {number}"
        if record is None:
            result.problems.append(f"{where}: not a JSON record (the line was damaged or edited)")
            continue
        seq = record.get("seq")
        where = f"line {number} (seq {seq})"
        if record.get("hash") != record_hash(record):
            result.problems.append(f"{where}: the hash does not match the content (edited)")
        if seq != expected.seq + 1:
            result.problems.append(
                f"{where}: expected seq {expected.seq + 1} (records deleted or inserted before it)"
            )
        if record.get("prev") != expected.hash:
            result.problems.append(
                f"{where}: does not link to the record before it (a record before it was "
                "deleted, inserted or edited)"
            )
        if anchor and seq == anchor[0]:
            anchor_seen = True
            if record.get("hash") != anchor[1]:
                result.problems.append(f"{where}: differs from the anchor {anchor[0]}:{anchor[1]}")
        expected = Head(seq if isinstance(seq, int) else expected.seq + 1, str(record.get("hash")))
        result.records += 1
        result.first_time = result.first_time or record.get("time")
        result.last_time = record.get("time")
    result.head = expected
    if anchor and not anchor_seen:
        result.problems.append(
            f"the anchor record seq {anchor[0]} is missing: the trail ends at seq "
            f"{expected.seq} (records were removed from the end)"
        )
    return result


def parse_anchor(text: str) -> tuple[int, str]:
    """``SEQ:HASH`` as printed by ``counterflow audit verify``."""
    seq, _, digest = text.partition(":")
    if not seq.isdigit() or len(digest) != 64:
        raise ConfigError(f"anchor {text!r} must be SEQ:HASH, as 'audit verify' prints it")
    return int(seq), digest.lower()


def select(
    log: AuditLog, since: str | None = None, until: str | None = None
) -> Iterator[dict[str, Any]]:
    """Records whose time falls in ``[since, until)``; bounds are ISO dates or timestamps (UTC)."""
    low, high = _bound(since, "since"), _bound(until, "until")
    for number, record, _raw in log.records():
        if record is None:
            raise DataError("not a JSON record", path=log.path, location=f"line {number}")
        time = str(record.get("time", ""))
        if (low and time < low) or (high and time >= high):
            continue
        yield record


def _bound(text: str | None, name: str) -> str | None:
    if not text:
        return None
    try:
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise ConfigError(f"--{name} {text!r} is not an ISO date or timestamp") from None
    if parsed.tzinfo is not None:
        parsed = parsed.astimezone(UTC).replace(tzinfo=None)
    return parsed.isoformat(timespec="microseconds") + "Z"
