"""The audit trail: an append-only JSON-lines file in which every record seals the one before.

Each record carries ``seq`` (1, 2, 3, …), ``prev`` (the previous record's hash) and ``hash``, the
SHA-256 of the record's canonical JSON without its own hash. Editing a record breaks its hash;
deleting or inserting one breaks the next record's ``prev`` and the sequence. Only removing
records from the very end leaves a valid shorter chain, which is why :func:`verify` reports the
head (last ``seq`` and hash) for the operator to note elsewhere, and accepts such a note back as
an anchor.

Several service workers and commands append to the same file: a file lock orders them, each
append reads the current head under the lock, and every record is flushed and fsynced before the
request it describes is answered. The file holds customers' names: it is created ``0600`` in a
``0700`` folder.

A missing or empty trail fails :func:`verify`: deleting the whole file is the easiest way to hide
records. Only a workspace that has not served a request yet may have none, and its operator says
so (``new=True``).
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
from counterflow.io import PrivateAppendFile, iter_byte_lines, read_last_line

AUDIT_DIRNAME = "audit"
AUDIT_FILENAME = "audit.jsonl"
GENESIS = "0" * 64
#: How far the tail reader looks back first to find the head (records are about 1 kB).
_TAIL_CHUNK = 1 << 12


class AuditWriteError(StoreError):
    """The trail cannot be written, so the request it would describe must not be answered.

    The message names the file, for the operator; the service keeps it out of its answers."""


def canonical(record: Mapping[str, Any]) -> bytes:
    """The bytes a record's hash is taken over: sorted keys, no spaces, UTF-8.

    Text that cannot be UTF-8 (a lone surrogate) raises ``UnicodeEncodeError``."""
    return json.dumps(record, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def _escape_surrogates(value: Any) -> Any:
    """``value`` with every lone surrogate in its text written out as ``\\udXXX``: a record
    must be writable whatever a caller sent, and the escaped text reads back unchanged, so the
    hash still verifies."""
    if isinstance(value, str):
        return value.encode("utf-8", "backslashreplace").decode("utf-8")
    if isinstance(value, Mapping):
        return {_escape_surrogates(k): _escape_surrogates(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_escape_surrogates(v) for v in value]
    return value


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
        self._file = PrivateAppendFile(self.path)

    @classmethod
    def for_home(cls, home: Path, *, fsync: bool = True) -> AuditLog:
        return cls(home / AUDIT_DIRNAME / AUDIT_FILENAME, fsync=fsync)

    def append(self, action: str, actor: str, **details: Any) -> dict[str, Any]:
        """Seal and write one record; returns it with ``seq``, ``time``, ``prev`` and ``hash``.

        The locks cover reading the head and writing the line, which fixes the order; the fsync
        comes after, so writers in other processes are not held up by it (it makes this
        record durable, and any written before it, before the caller answers)."""
        try:
            with self._open() as out:
                with self._thread_lock, exclusive(out, self.path):
                    record = self._write_next(out, action, actor, details)
                if self.fsync:
                    os.fsync(out.fileno())
        except OSError as exc:
            raise AuditWriteError(f"cannot write the audit trail {self.path}: {exc}") from exc
        return record

    def _open(self) -> BinaryIO:
        return self._file.open()

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
        try:
            body = canonical(record)
        except UnicodeEncodeError:
            record = _escape_surrogates(record)
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
        try:
            last = read_last_line(self.path, size, chunk=_TAIL_CHUNK)
        except DataError as exc:
            raise AuditWriteError(
                f"cannot read the audit trail {self.path}: {exc.problem}"
            ) from exc
        try:
            record = json.loads(last)
            return Head(int(record["seq"]), str(record["hash"]))
        except (ValueError, KeyError, TypeError) as exc:
            raise StoreError(
                f"the last record of the audit trail {self.path} is unreadable; "
                "run 'counterflow audit verify' before writing more"
            ) from exc

    def records(self) -> Iterator[tuple[int, dict[str, Any] | None, bytes]]:
        """(line number, parsed record or None if unreadable, raw line) for every line."""
        for number, raw in enumerate(iter_byte_lines(self.path), start=1):
            try:
                parsed = json.loads(raw)
            except ValueError:
                parsed = None
            yield number, parsed if isinstance(parsed, dict) else None, raw


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


def verify(
    log: AuditLog, anchor: tuple[int, str] | None = None, *, new: bool = False
) -> Verification:
    """Check every record's hash, link and sequence number; and the anchor, if given.

    ``anchor`` is a ``(seq, hash)`` noted earlier (from a previous verify): it proves that the
    chain still reaches that record unchanged, so records removed from the end are caught too.

    A missing or empty trail is a problem: deleting the file, or every line of it, would
    otherwise pass as "intact". ``new`` says that no record is expected yet (a workspace that has
    not served a request); a trail that has records is checked in full either way.
    """
    result = Verification()
    if not log.path.exists():
        if not new:
            result.problems.append(
                "the audit trail is missing (deleted?); a workspace that has never served a "
                "request has none yet: verify it as new"
            )
        _check_anchor_reached(result, anchor, anchor_seen=False)
        return result
    try:
        anchor_seen = _verify_records(log, anchor, result)
    except OSError as exc:
        result.problems.append(f"cannot read the audit trail: {exc.strerror}")
        return result
    if result.records == 0 and not result.problems and not new:
        result.problems.append(
            "the audit trail is empty (its records were removed?); a workspace that has never "
            "served a request has none yet: verify it as new"
        )
    _check_anchor_reached(result, anchor, anchor_seen)
    return result


def _verify_records(log: AuditLog, anchor: tuple[int, str] | None, result: Verification) -> bool:
    """Check each record in turn into ``result``; True when the anchor's record was seen."""
    expected = Head()
    anchor_seen = False
    for number, record, _raw in log.records():
        where = f"line {number}"
        if record is None:
            result.problems.append(f"{where}: not a JSON record (the line was damaged or edited)")
            continue
        seq = record.get("seq")
        where = f"line {number} (seq {seq})"
        try:
            intact = record.get("hash") == record_hash(record)
        except UnicodeEncodeError:  # the service never writes a lone surrogate: an edit did
            intact = False
        if not intact:
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
    return anchor_seen


def _check_anchor_reached(
    result: Verification, anchor: tuple[int, str] | None, anchor_seen: bool
) -> None:
    if anchor and not anchor_seen:
        result.problems.append(
            f"the anchor record seq {anchor[0]} is missing: the trail ends at seq "
            f"{result.head.seq} (records were removed from the end)"
        )


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
    except ValueError as exc:
        raise ConfigError(f"--{name} {text!r} is not an ISO date or timestamp") from exc
    if parsed.tzinfo is not None:
        parsed = parsed.astimezone(UTC).replace(tzinfo=None)
    return parsed.isoformat(timespec="microseconds") + "Z"
