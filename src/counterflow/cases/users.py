"""Users of the case store: their names, roles and passwords.

A user is a person (machines use API keys): an ``analyst``, a ``reviewer`` or an ``admin``
(see :mod:`counterflow.cases.policy`). A password is optional (a user of the command line on a
workstation needs none); when given it is kept as an argon2id hash only. Users are disabled,
never deleted, so that what they did keeps naming them; a disabled user can do nothing.

Names are what people are called in the case history: 1 to 64 characters after trimming, no
control or formatting characters, and unique regardless of case ("Alice" and "alice" are one).
"""

from __future__ import annotations

import functools
import unicodedata
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, Session, mapped_column

from counterflow.cases.db import Base, CaseStore, as_utc, stamp, utcnow
from counterflow.cases.policy import USER_ROLES, Action, Role, check, user_key
from counterflow.errors import (
    AuthenticationError,
    ConfigError,
    NotFoundError,
    PermissionDeniedError,
    StoreError,
)

MAX_NAME = 64
MIN_PASSWORD = 8
#: longer passwords are refused rather than hashed (hashing cost is the attacker's lever)
MAX_PASSWORD = 1024
_hasher = PasswordHasher()


class UserRow(Base):
    """The ``users`` table (revision 0001)."""

    __tablename__ = "users"
    __table_args__ = (
        sa.CheckConstraint("role IN ('analyst', 'reviewer', 'admin')", name="role"),
        sa.UniqueConstraint("name_key"),
    )

    id: Mapped[int] = mapped_column(sa.Integer, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(sa.String(MAX_NAME))
    name_key: Mapped[str] = mapped_column(sa.String(MAX_NAME))
    role: Mapped[str] = mapped_column(sa.String(16))
    password_hash: Mapped[str | None] = mapped_column(sa.String(255))
    active: Mapped[bool] = mapped_column(sa.Boolean)
    created_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True))
    disabled_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))


@dataclass(frozen=True)
class User:
    """A user as the library hands it out (never with the password's hash)."""

    name: str
    role: Role
    active: bool
    has_password: bool
    created: datetime
    disabled: datetime | None

    @classmethod
    def of(cls, row: UserRow) -> User:
        return cls(
            name=row.name,
            role=Role(row.role),
            active=row.active,
            has_password=row.password_hash is not None,
            created=as_utc(row.created_at),
            disabled=as_utc(row.disabled_at) if row.disabled_at else None,
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "role": str(self.role),
            "active": self.active,
            "has_password": self.has_password,
            "created": stamp(self.created),
            "disabled": stamp(self.disabled),
        }


@functools.cache
def _dummy_hash() -> str:
    """Verified against when the user is unknown (or has no password), so that answer takes
    as long as a wrong password's."""
    return _hasher.hash("counterflow: no such user")


def check_name(name: str) -> str:
    """The name as it is kept (NFC, trimmed), or a :class:`ConfigError` saying what is wrong."""
    cleaned = unicodedata.normalize("NFC", name).strip()
    if not cleaned:
        raise ConfigError("a user name cannot be empty")
    if len(cleaned) > MAX_NAME:
        raise ConfigError(f"a user name has at most {MAX_NAME} characters ({len(cleaned)} given)")
    for char in cleaned:
        category = unicodedata.category(char)
        if category[0] == "C" or category in ("Zl", "Zp") or (char.isspace() and char != " "):
            raise ConfigError(
                f"a user name cannot contain control or formatting characters "
                f"(U+{ord(char):04X} in {cleaned!r})"
            )
    return cleaned


def _check_password(password: str) -> None:
    if len(password) < MIN_PASSWORD:
        raise ConfigError(f"a password has at least {MIN_PASSWORD} characters")
    if len(password) > MAX_PASSWORD:
        raise ConfigError(f"a password has at most {MAX_PASSWORD} characters")


def _user_role(role: Role | str) -> Role:
    parsed = Role.parse(role)
    if parsed not in USER_ROLES:
        raise ConfigError(
            f"{parsed} is a role for machines (an API key: counterflow keys create --role "
            f"{parsed}); a user is one of {', '.join(USER_ROLES)}"
        )
    return parsed


def _row(session: Session, name: str) -> UserRow | None:
    return session.scalars(sa.select(UserRow).where(UserRow.name_key == user_key(name))).first()


def acting_row(store: CaseStore, session: Session, name: str, action: Action) -> UserRow:
    """The user ``name`` about to do ``action``: refused when unknown, disabled, or when
    their role does not allow it."""
    user = _row(session, name)
    if user is None:
        raise PermissionDeniedError(f"no user {name!r} in the case store {store.where}")
    check(user.name, user.role, action, active=user.active)
    return user


def _found(session: Session, name: str, store: CaseStore) -> UserRow:
    row = _row(session, name)
    if row is None:
        raise NotFoundError(f"no user {name!r} in the case store {store.where}")
    return row


def add_user(store: CaseStore, name: str, role: Role | str, password: str | None = None) -> User:
    """Add a user; ``password`` (optional) is kept as its argon2id hash only."""
    name = check_name(name)
    parsed = _user_role(role)
    if password is not None:
        _check_password(password)
    digest = _hasher.hash(password) if password is not None else None
    try:
        with store.session() as session:
            existing = _row(session, name)
            if existing is not None:
                raise ConfigError(f"a user {existing.name!r} exists already")
            row = UserRow(
                name=name,
                name_key=user_key(name),
                role=str(parsed),
                password_hash=digest,
                active=True,
                created_at=utcnow(),
                disabled_at=None,
            )
            session.add(row)
            session.flush()
            return User.of(row)
    except StoreError as exc:
        # two processes adding one name at once: the unique key refused the second
        if isinstance(exc.__cause__, IntegrityError):
            raise ConfigError(f"a user {name!r} exists already") from exc
        raise


def set_password(store: CaseStore, name: str, password: str) -> User:
    """Give a user a new password (kept as its argon2id hash only). Their web sessions end:
    whoever signed in with the old password must sign in again."""
    from counterflow.cases.db import WebSessionRow

    _check_password(password)
    digest = _hasher.hash(password)
    if store.empty:
        raise NotFoundError(f"no user {name!r}: the case store {store.where} has no users yet")
    with store.session() as session:
        row = _found(session, name, store)
        row.password_hash = digest
        session.execute(
            sa.update(WebSessionRow)
            .where(WebSessionRow.user_id == row.id, WebSessionRow.ended_at.is_(None))
            .values(ended_at=utcnow())
        )
        session.flush()
        return User.of(row)


def list_users(store: CaseStore, *, include_disabled: bool = True) -> list[User]:
    """Every user, by name (a store never written has none)."""
    if store.empty:
        return []
    with store.session() as session:
        query = sa.select(UserRow).order_by(UserRow.name_key)
        if not include_disabled:
            query = query.where(UserRow.active.is_(True))
        return [User.of(row) for row in session.scalars(query)]


def get_user(store: CaseStore, name: str) -> User:
    """The user ``name`` (any spelling of its case), or :class:`NotFoundError`."""
    if store.empty:
        raise NotFoundError(f"no user {name!r}: the case store {store.where} has no users yet")
    with store.session() as session:
        return User.of(_found(session, name, store))


def disable_user(store: CaseStore, name: str) -> User:
    """Disable a user for good: every check refuses them from now on. Disabling a disabled
    user changes nothing."""
    if store.empty:
        raise NotFoundError(f"no user {name!r}: the case store {store.where} has no users yet")
    with store.session() as session:
        row = _found(session, name, store)
        if row.active:
            row.active = False
            row.disabled_at = utcnow()
            session.flush()
        return User.of(row)


def authenticate(store: CaseStore, name: str, password: str) -> User:
    """The user ``name`` when ``password`` is theirs and they are active.

    An unknown name and a wrong password get the same answer, after the same work
    (:class:`AuthenticationError`); a disabled user is refused (:class:`PermissionDeniedError`)
    only once the password proved who they are."""
    row: UserRow | None = None
    if not store.empty and len(password) <= MAX_PASSWORD:
        with store.session() as session:
            row = _row(session, name)
    digest = row.password_hash if row is not None else None
    try:
        _hasher.verify(digest or _dummy_hash(), password[:MAX_PASSWORD])
        verified = digest is not None
    except (VerificationError, InvalidHashError):
        verified = False
    if row is None or digest is None or not verified:
        # a user without a password cannot sign in either: the same answer, say nothing more
        raise AuthenticationError("unknown user or wrong password")
    if not row.active:
        raise PermissionDeniedError(f"user {row.name!r} is disabled")
    if _hasher.check_needs_rehash(digest):
        with store.session() as session:
            fresh = _found(session, row.name, store)
            fresh.password_hash = _hasher.hash(password)
    return User.of(row)
