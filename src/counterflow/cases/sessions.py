"""Sessions of the analyst's web UI, kept in the case store.

A session is a random 256-bit token in an HttpOnly cookie; the store keeps only its SHA-256, so
a copy of the database lets nobody in. Every request looks the session up together with its
user: a session ends when its user signs out, when it has been idle for :data:`IDLE` or open
for :data:`LIFETIME`, and at once when its user is disabled (the user's row is read with it).
Each session carries its own CSRF token, which every form the UI sends must return.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa

from counterflow.cases.db import CaseStore, WebSessionRow, as_utc, utcnow
from counterflow.cases.policy import Role
from counterflow.cases.users import UserRow, authenticate

#: a session unused this long ends
IDLE = timedelta(hours=1)
#: a session ends this long after sign-in, used or not
LIFETIME = timedelta(hours=12)
#: how stale ``seen_at`` may be before a request writes it again (one write a minute at most)
TOUCH_EVERY = timedelta(minutes=1)
#: a token as the cookie carries it: 43 URL-safe characters (256 bits)
_TOKEN_LENGTH = 43


@dataclass(frozen=True)
class WebSession:
    """A live session: its user as they are now, and the CSRF token its forms carry."""

    user: str
    role: Role
    csrf: str
    started: datetime
    seen: datetime

    def stale(self, now: datetime | None = None) -> bool:
        """Whether the session should be marked used again (see :func:`touch`)."""
        return (now or utcnow()) - self.seen > TOUCH_EVERY


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode("ascii", "replace")).hexdigest()


def sign_in(store: CaseStore, name: str, password: str) -> tuple[str, WebSession]:
    """Check the password (:func:`counterflow.cases.users.authenticate`: the same answer for
    an unknown user and a wrong password) and start a session; the token goes in the cookie."""
    user = authenticate(store, name, password)
    token = secrets.token_urlsafe(32)
    csrf = secrets.token_urlsafe(32)
    now = utcnow()
    with store.session() as session:
        row = session.scalars(sa.select(UserRow).where(UserRow.name == user.name)).one()
        session.add(
            WebSessionRow(
                token_hash=_digest(token), user_id=row.id, csrf=csrf, created_at=now, seen_at=now
            )
        )
    return token, WebSession(user.name, user.role, csrf, now, now)


def current(
    store: CaseStore, token: str | None, *, now: datetime | None = None
) -> WebSession | None:
    """The live session of ``token``, or None (no such session, ended, expired, or its user
    disabled). A read only: the caller marks it used (:func:`touch`) when ``seen`` is more
    than :data:`TOUCH_EVERY` old, so a reading store serves most requests."""
    if not token or len(token) != _TOKEN_LENGTH or store.empty:
        return None
    now = now or utcnow()
    with store.session() as session:
        found = session.execute(
            sa.select(WebSessionRow, UserRow)
            .join(UserRow, UserRow.id == WebSessionRow.user_id)
            .where(WebSessionRow.token_hash == _digest(token))
        ).one_or_none()
        if found is None:
            return None
        row, user = found
        if row.ended_at is not None or not user.active:
            return None
        seen, created = as_utc(row.seen_at), as_utc(row.created_at)
        if now - seen > IDLE or now - created > LIFETIME:
            return None
        return WebSession(user.name, Role(user.role), row.csrf, created, seen)


def touch(store: CaseStore, token: str, *, now: datetime | None = None) -> None:
    """Mark the session of ``token`` used now (its idle time starts again)."""
    with store.session() as session:
        row = session.get(WebSessionRow, _digest(token))
        if row is not None and row.ended_at is None:
            row.seen_at = now or utcnow()


def sign_out(store: CaseStore, token: str | None) -> None:
    """End the session of ``token`` (nothing happens for an unknown or ended one)."""
    if not token or len(token) != _TOKEN_LENGTH or store.empty:
        return
    with store.session() as session:
        row = session.get(WebSessionRow, _digest(token))
        if row is not None and row.ended_at is None:
            row.ended_at = utcnow()


def same_token(expected: str, given: str | None) -> bool:
    """Whether a form's CSRF token is the session's (in constant time)."""
    return given is not None and hmac.compare_digest(
        expected.encode(), given.encode("utf-8", "replace")
    )
