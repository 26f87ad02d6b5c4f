"""API keys for the service: created by ``counterflow keys``, stored hashed, checked per request.

A key reads ``cf_<id>_<secret>``: the id finds the stored record, the secret (256 random bits) is
compared by its SHA-256. A slow password hash (argon2, bcrypt) protects low-entropy secrets that
people choose; a random 256-bit secret cannot be guessed from its SHA-256, and checking it must
cost microseconds on every screening request. The clear key is shown once, at creation.

Keys live in ``<home>/keys.json`` (``0600``), rewritten whole and atomically under a file lock;
a running service notices a changed file (created or revoked keys) on the next request.

The service checks a key in two steps: :meth:`KeyStore.identify` (who is calling, before the
request body is read) and :meth:`Role.allows` (may they make this call, once the route is known).
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
    StoreError,
)
from counterflow.io import ensure_private_dir, open_private_append, read_text, write_private_text

KEYS_FILENAME = "keys.json"
#: a key record is a few hundred bytes: a larger key file is not one counterflow wrote
MAX_KEY_FILE_BYTES = 16 * 1024 * 1024
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


class RevokedKeyError(AuthenticationError):
    """A key whose secret is right but which was revoked: unlike a wrong key, it says who."""

    def __init__(self, message: str, principal: Principal) -> None:
        super().__init__(message)
        self.principal = principal


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
        ensure_private_dir(self.path.parent)
        lock_path = self.path.with_name(f"{self.path.name}.lock")
        with open_private_append(lock_path) as lock, exclusive(lock, lock_path):
            yield

    def authenticate(self, presented: str | None, needed: Role) -> Principal:
        """The caller behind ``presented`` if it is a live key with a role allowing ``needed``."""
        principal = self.identify(presented)
        if not principal.role.allows(needed):
            raise PermissionDeniedError(denied_message(principal, needed))
        return principal

    def identify(self, presented: str | None) -> Principal:
        """The caller behind ``presented`` if it is a live key, whatever its role."""
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
        principal = Principal(record.key_id, record.name, record.role)
        if not record.active:
            raise RevokedKeyError(f"the API key {record.key_id} was revoked", principal)
        return principal

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
            text = read_text(self.path, max_bytes=MAX_KEY_FILE_BYTES, encoding="utf-8")
        except DataError as exc:
            if not self.path.exists():
                return {}
            raise StoreError(f"cannot read the key file {self.path}: {exc.problem}") from exc
        try:
            data = json.loads(text)
            return {k["key_id"]: ApiKey(**{**k, "role": Role(k["role"])}) for k in data["keys"]}
        except (ValueError, KeyError, TypeError) as exc:
            raise DataError(f"the key file is damaged ({exc})", path=self.path) from exc

    def _write(self, keys: dict[str, ApiKey]) -> None:
        """Replace the file whole, ``0600``: it holds the hashes that let callers in."""
        ensure_private_dir(self.path.parent)
        body = {"version": 1, "keys": [asdict(k) for k in keys.values()]}
        write_private_text(self.path, json.dumps(body, indent=2))


def denied_message(principal: Principal, needed: Role) -> str:
    """Why a key may not make a call (a 403)."""
    return f"the API key {principal.key_id} has role {principal.role}; this needs {needed}"


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")
