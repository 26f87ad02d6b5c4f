"""API keys for the service: created by ``counterflow keys``, stored hashed, checked per request.

A key reads ``cf_<id>_<secret>``: the id finds the stored record, the secret (256 random bits) is
compared by its SHA-256. A slow password hash (argon2, bcrypt) protects low-entropy secrets that
people choose; a random 256-bit secret cannot be guessed from its SHA-256, and checking it must
cost microseconds on every screening request. The clear key is shown once, at creation.

Keys live in ``<home>/keys.json`` (``0600``), rewritten whole and atomically under a file lock;
a running service notices a changed file (created or revoked keys) on the next request.

A key is a **service key** (a machine: ``screen`` or ``admin``, named for who or what uses it) or a
**user key** (``counterflow keys create --user NAME``): it acts as that user of the case store,
with the user's role *as it is now*. The user is looked up at each request
(:class:`CaseUsers`), so a disabled user's keys are refused from their next request and a role
change follows the user; keys.json records only which user a key acts as.

The service checks a key in two steps: :meth:`KeyStore.identify` (who is calling, before the
request body is read; for a user key, :meth:`KeyStore.as_user` then looks the user up) and
:meth:`Role.allows` (may they make this call, once the route is known).
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
from pathlib import Path
from typing import Protocol

from counterflow.cases.db import CaseStore
from counterflow.cases.locking import exclusive
from counterflow.cases.policy import USER_ROLES as USER_ROLES
from counterflow.cases.policy import Role as Role
from counterflow.cases.users import get_user
from counterflow.errors import (
    AuthenticationError,
    ConfigError,
    DataError,
    NotFoundError,
    PermissionDeniedError,
    StoreError,
)
from counterflow.io import ensure_private_dir, open_private_append, read_text, write_private_text
from counterflow.settings import Settings

KEYS_FILENAME = "keys.json"
#: a key record is a few hundred bytes: a larger key file is not one counterflow wrote
MAX_KEY_FILE_BYTES = 16 * 1024 * 1024
_KEY_PATTERN = re.compile(r"cf_([0-9a-f]{12})_([A-Za-z0-9_\-]{43})")


# ``Role`` (and ``USER_ROLES``) are the case store's ladder, screen < analyst < reviewer < admin,
# re-exported: a key's role and a user's role are one thing
#: the roles a service key (a machine) may have; a user key has its user's role
SERVICE_ROLES = (Role.SCREEN, Role.ADMIN)


@dataclass(frozen=True)
class ApiKey:
    """A stored key: everything but the secret, which is kept only as a hash."""

    key_id: str
    name: str
    role: Role
    secret_hash: str
    created: str
    revoked: str | None = None
    #: the user of the case store the key acts as (None: a service key). ``role`` is then the
    #: user's role when the key was made; requests take the user's role as it is at the time
    user: str | None = None

    @property
    def active(self) -> bool:
        return self.revoked is None


@dataclass(frozen=True)
class Principal:
    """Who is calling: a key's id, name and role (for a user key, the user's current role),
    or the open mode's anonymous caller."""

    key_id: str
    name: str
    role: Role
    user: str | None = None

    @property
    def actor(self) -> str:
        """Who is calling, as the audit trail and the decisions name them."""
        if self.key_id == "open":
            return "open-mode"
        if self.key_id == "web" and self.user is not None:
            return f"user:{self.user} (web session)"
        if self.user is not None:
            return f"user:{self.user} (key {self.key_id})"
        return f"key:{self.key_id} ({self.name})"


OPEN_PRINCIPAL = Principal("open", "open mode", Role.ADMIN)


class RefusedKeyError(AuthenticationError):
    """A key whose secret is right but which lets nobody in (revoked, or its user disabled or
    gone): unlike a wrong key, it says who, for the audit trail."""

    def __init__(self, message: str, principal: Principal) -> None:
        super().__init__(message)
        self.principal = principal


class RevokedKeyError(RefusedKeyError):
    """A key that was revoked."""


class UserKeyRefusedError(RefusedKeyError):
    """A user key whose user is disabled, or is not in the case store."""


class Users(Protocol):
    """Finds a user of the case store by name (:class:`CaseUsers`; a fake in tests)."""

    def __call__(self, name: str) -> tuple[str, Role, bool]:
        """The user's name as kept, their role and whether they are active;
        :class:`NotFoundError` when there is no such user."""
        ...


class CaseUsers:
    """The users of a case store, looked up for user keys. The store is opened for reading
    once it exists and kept open (one engine per service worker); until then every lookup
    opens it again, so users added after the service started are found."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._store: CaseStore | None = None
        self._lock = threading.Lock()

    def __call__(self, name: str) -> tuple[str, Role, bool]:
        user = get_user(self._open(), name)
        return user.name, user.role, user.active

    def _open(self) -> CaseStore:
        store = self._store
        if store is not None:
            return store
        with self._lock:
            if self._store is not None:
                return self._store
            store = CaseStore.open(self.settings, write=False)
            if not store.empty:
                self._store = store
            return store

    def close(self) -> None:
        with self._lock:
            if self._store is not None:
                self._store.close()
                self._store = None


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

    def create(self, name: str, role: Role, *, user: str | None = None) -> tuple[ApiKey, str]:
        """A new key; returns the record and the clear key, which is not stored anywhere.

        With ``user``, a user key: it acts as that user (``role`` is then the user's role
        now, for the record; whoever calls this checked that the user exists and is active).
        Without, a service key, whose role is one of :data:`SERVICE_ROLES`."""
        name = " ".join(name.split())
        if not name or len(name) > 100:
            raise ConfigError("a key needs a name of 1-100 characters (who or what uses it)")
        if user is None and role not in SERVICE_ROLES:
            raise ConfigError(
                f"a service key is one of {', '.join(SERVICE_ROLES)}; a {role} key acts as a "
                "user: counterflow keys create --user NAME"
            )
        if user is not None and role not in USER_ROLES:
            raise ConfigError(f"a user key has a user's role ({', '.join(USER_ROLES)})")
        with self._locked():
            keys = self._read()
            key_id = secrets.token_hex(6)
            secret = secrets.token_urlsafe(32)
            record = ApiKey(key_id, name, role, _hash(secret), _now(), user=user)
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

    def authenticate(
        self, presented: str | None, needed: Role, users: Users | None = None
    ) -> Principal:
        """The caller behind ``presented`` if it is a live key with a role allowing ``needed``
        (a user key's user looked up in ``users``)."""
        principal = self.identify(presented)
        if principal.user is not None:
            principal = self.as_user(principal, users)
        if not principal.role.allows(needed):
            raise PermissionDeniedError(denied_message(principal, needed))
        return principal

    def as_user(self, principal: Principal, users: Users | None) -> Principal:
        """A user key's caller with the user's name and role as they are now, or
        :class:`UserKeyRefusedError` when the user is disabled or gone. A lookup that fails
        (the case store unreachable) raises what it raised: nobody is let in on a guess."""
        assert principal.user is not None
        if users is None:
            raise UserKeyRefusedError(
                f"the API key {principal.key_id} acts as user {principal.user!r}, and this "
                "service has no case store to look users up in",
                principal,
            )
        try:
            name, role, active = users(principal.user)
        except NotFoundError as exc:
            raise UserKeyRefusedError(
                f"the API key {principal.key_id} acts as user {principal.user!r}, who is not "
                "in the case store",
                principal,
            ) from exc
        current = Principal(principal.key_id, principal.name, role, user=name)
        if not active:
            raise UserKeyRefusedError(
                f"the API key {principal.key_id} acts as user {name!r}, who is disabled",
                current,
            )
        return current

    def identify(self, presented: str | None) -> Principal:
        """The caller behind ``presented`` if it is a live key, whatever its role. For a user
        key, the role is the one recorded when it was made: :meth:`as_user` looks the user up."""
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
        principal = Principal(record.key_id, record.name, record.role, user=record.user)
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
            return {k["key_id"]: _record(k) for k in data["keys"]}
        except (ValueError, KeyError, TypeError) as exc:
            raise DataError(f"the key file is damaged ({exc})", path=self.path) from exc

    def _write(self, keys: dict[str, ApiKey]) -> None:
        """Replace the file whole, ``0600``: it holds the hashes that let callers in."""
        ensure_private_dir(self.path.parent)
        body = {"version": 1, "keys": [asdict(k) for k in keys.values()]}
        write_private_text(self.path, json.dumps(body, indent=2))


def _record(stored: dict[str, object]) -> ApiKey:
    """A key record as keys.json holds it (files written before user keys have no ``user``)."""
    user = stored.get("user")
    if user is not None and not isinstance(user, str):
        raise TypeError(f"key {stored.get('key_id')!r}: 'user' is not a name")
    return ApiKey(**{**stored, "role": Role(str(stored["role"])), "user": user})  # type: ignore[arg-type]


def denied_message(principal: Principal, needed: Role) -> str:
    """Why a key may not make a call (a 403)."""
    if principal.user is not None:
        return (
            f"the API key {principal.key_id} acts as user {principal.user!r}, who has role "
            f"{principal.role}; this needs {needed}"
        )
    return f"the API key {principal.key_id} has role {principal.role}; this needs {needed}"


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")
