"""API keys for the service: created by ``counterflow keys``, stored hashed, checked per request.

A key reads ``cf_<id>_<secret>``: the id finds the stored record, the secret (256 random bits) is
compared by its SHA-256. A slow password hash (argon2, bcrypt) protects low-entropy secrets that
people choose; a random 256-bit secret cannot be guessed from its SHA-256, and checking it must
cost microseconds on every screening request. The clear key is shown once, at creation.

Keys live in ``<home>/keys.json``, rewritten whole and atomically under a file lock; a running
service notices a changed file (created or revoked keys) on the next request.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import re
import secrets
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path

from counterflow.cases.locking import exclusive
from counterflow.errors import (
    AuthenticationError,
    ConfigError,
    DataError,
    NotFoundError,
    PermissionDeniedError,
)

KEYS_FILENAME = "keys.json"
_KEY_PATTERN = re.compile(r"cf_([0-9a-f]{12})_([A-Za-z0-9_\-]{43})")


class Role(StrEnum):
    """``screen`` may screen and look up entries; ``admin`` may also record decisions and
    reload the lists."""

    SCREEN = "screen"
    ADMIN = "admin"

    def allows(self, needed: Role) -> bool:
        return self is Role.ADMIN or needed is Role.SCREEN


@dataclass(frozen=True)
class ApiKey:
    """A stored key: everything but the secret, which is kept only as a hash."""

    key_id: str
    name: str
    role: Role
    secret_hash: str
    created: str
    revoked: str | None = None

    @property
    def active(self) -> bool:
        return self.revoked is None


@dataclass(frozen=True)
class Principal:
    """Who is calling: a key's id, name and role, or the open mode's anonymous caller."""

    key_id: str
    name: str
    role: Role

    @property
    def actor(self) -> str:
        return f"key:{self.key_id} ({self.name})" if self.key_id != "open" else "open-mode"


OPEN_PRINCIPAL = Principal("open", "open mode", Role.ADMIN)


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode("ascii")).hexdigest()


class KeyStore:
    """The keys of one workspace."""

    def __init__(self, home: Path) -> None:
        self.path = Path(home) / KEYS_FILENAME
        self._loaded: tuple[tuple[int, int], dict[str, ApiKey]] | None = None
        self._thread_lock = threading.Lock()

    def all(self) -> list[ApiKey]:
        return sorted(self._current().values(), key=lambda k: k.created)

    def create(self, name: str, role: Role) -> tuple[ApiKey, str]:
        """A new key; returns the record and the clear key, which is not stored anywhere."""
        name = " ".join(name.split())
        if not name or len(name) > 100:
            raise ConfigError("a key needs a name of 1-100 characters (who or what uses it)")
        with self._locked():
            keys = self._read()
            key_id = secrets.token_hex(6)
            secret = secrets.token_urlsafe(32)
            record = ApiKey(key_id, name, role, _hash(secret), _now())
            keys[key_id] = record
            self._write(keys)
        return record, f"cf_{key_id}_{secret}"

    def revoke(self, key_id: str) -> ApiKey:
        with self._locked():
            keys = self._read()
            record = keys.get(key_id)
            if record is None:
                raise NotFoundError(f"no key {key_id!r} (see 'counterflow keys list')")
            if record.active:
                record = ApiKey(**{**asdict(record), "revoked": _now()})
                keys[key_id] = record
                self._write(keys)
        return record

    @contextmanager
    def _locked(self) -> Iterator[None]:
        """One writer at a time: the file is read, changed and replaced whole."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with open(self.path.with_name(f"{self.path.name}.lock"), "ab") as lock, exclusive(lock):
            yield

    def authenticate(self, presented: str | None, needed: Role) -> Principal:
        """The caller behind ``presented`` if it is a live key with a role allowing ``needed``."""
        if not presented:
            raise AuthenticationError(
                "this service needs an API key: send 'Authorization: ApiKey <key>'"
            )
        match = _KEY_PATTERN.fullmatch(presented.strip())
        record = self._current().get(match.group(1)) if match else None
        if (
            match is None
            or record is None
            or not hmac.compare_digest(record.secret_hash, _hash(match.group(2)))
        ):
            raise AuthenticationError("the API key is not valid")
        if not record.active:
            raise AuthenticationError(f"the API key {record.key_id} was revoked")
        if not record.role.allows(needed):
            raise PermissionDeniedError(
                f"the API key {record.key_id} has role {record.role}; this needs {needed}"
            )
        return Principal(record.key_id, record.name, record.role)

    def _current(self) -> dict[str, ApiKey]:
        """The keys, re-read only when the file changed (one stat per request)."""
        try:
            stat = os.stat(self.path)
            version = (stat.st_mtime_ns, stat.st_ino)
        except FileNotFoundError:
            return {}
        loaded = self._loaded
        if loaded is None or loaded[0] != version:
            with self._thread_lock:
                loaded = (version, self._read())
                self._loaded = loaded
        return loaded[1]

    def _read(self) -> dict[str, ApiKey]:
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
            return {k["key_id"]: ApiKey(**{**k, "role": Role(k["role"])}) for k in data["keys"]}
        except FileNotFoundError:
            return {}
        except (ValueError, KeyError, TypeError) as exc:
            raise DataError(f"the key file is damaged ({exc})", path=self.path) from None

    def _write(self, keys: dict[str, ApiKey]) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        body = {"version": 1, "keys": [asdict(k) for k in keys.values()]}
        tmp = self.path.with_name(f"{self.path.name}.{secrets.token_hex(4)}.tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            json.dump(body, out, indent=2)
            out.flush()
            os.fsync(out.fileno())
        os.replace(tmp, self.path)


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")
