"""Who is using the UI: the session cookie, the signed-in viewer, and the CSRF check of forms.

The cookie holds only a random token (see :mod:`counterflow.cases.sessions`); it is HttpOnly
(no script reads it), SameSite=Strict (no other site's page sends it) and Secure (sent over
HTTPS only; browsers treat a loopback address as secure, so a local trial works over HTTP).
Every form carries the session's CSRF token, and a POST without it is refused before anything
is done. The sign-in form, sent before there is a session, carries a token of its own that
must match a short-lived cookie (the double-submit pattern), so another site cannot sign a
browser in as somebody else.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import Annotated
from urllib.parse import quote

from fastapi import Depends, Request
from starlette.datastructures import FormData

from counterflow.api.case_routes import case_stores
from counterflow.api.keys import Principal
from counterflow.api.security import call_of, service_of
from counterflow.cases.policy import Role
from counterflow.cases.sessions import WebSession, current, same_token, touch
from counterflow.errors import ConfigError, CounterflowError, PermissionDeniedError

SESSION_COOKIE = "cf_session"
#: the sign-in form's own CSRF cookie (the double-submit pattern)
LOGIN_COOKIE = "cf_signin"
#: the form field every POST carries its CSRF token in
CSRF_FIELD = "csrf"
#: the key id the audit trail shows for a web session's requests
WEB_KEY_ID = "web"


class SignInRequired(CounterflowError):
    """No live session: the UI answers with the sign-in page (a redirect to it)."""

    status = 401

    def __init__(self, next_path: str) -> None:
        super().__init__("sign in to continue")
        self.next_path = next_path


class BadFormToken(CounterflowError):
    """A form sent without the session's CSRF token (or with another one)."""

    status = 403


@dataclass(frozen=True)
class Viewer:
    """The signed-in user of a request, as the pages and their forms need them."""

    name: str
    role: Role
    csrf: str

    def may(self, role: Role) -> bool:
        return self.role.allows(role)

    @property
    def principal(self) -> Principal:
        """The viewer as the audit trail and the decision store name callers."""
        return web_principal(self.name, self.role)


def web_principal(user: str, role: Role) -> Principal:
    return Principal(WEB_KEY_ID, "web session", role, user=user)


def form_reason(form: FormData, what: str, limit: int) -> str:
    """The form's ``reason``, required and at most ``limit`` characters (a
    :class:`ConfigError` saying which, about ``what``)."""
    reason = form.get("reason")
    reason = reason.strip() if isinstance(reason, str) else ""
    if not reason:
        raise ConfigError(f"say why {what}: the reason is required")
    if len(reason) > limit:
        raise ConfigError(f"the reason is too long (at most {limit} characters)")
    return reason


def session_token(request: Request) -> str | None:
    return request.cookies.get(SESSION_COOKIE)


def find_viewer(request: Request) -> Viewer | None:
    """The request's signed-in user, or None; the audit record of the request names them."""
    token = session_token(request)
    if not token:
        return None
    stores = case_stores(request, service_of(request))
    found: WebSession | None = current(stores.read(), token)
    if found is None:
        return None
    if found.stale():
        touch(stores.write(), token)
    call = call_of(request.scope)
    if call is not None:
        call.principal = web_principal(found.user, found.role)
    return Viewer(found.user, found.role, found.csrf)


def require_viewer(role: Role = Role.ANALYST):  # type: ignore[no-untyped-def]
    """A dependency: the signed-in user with at least ``role`` (a sign-in redirect without a
    session; 403 with one that may not)."""

    def dependency(request: Request) -> Viewer:
        viewer = find_viewer(request)
        if viewer is None:
            target = request.url.path
            if request.url.query:
                target += "?" + request.url.query
            raise SignInRequired(target)
        if not viewer.may(role):
            raise PermissionDeniedError(
                f"{viewer.name} is {viewer.role.value}; this page needs {role.value} or above"
            )
        return viewer

    return dependency


AnalystViewer = Annotated[Viewer, Depends(require_viewer(Role.ANALYST))]
ReviewerViewer = Annotated[Viewer, Depends(require_viewer(Role.REVIEWER))]


async def checked_form(request: Request, viewer: Viewer) -> FormData:
    """The request's form, once its CSRF token proved it came from one of our pages."""
    form = await request.form(max_files=1, max_fields=50)
    given = form.get(CSRF_FIELD)
    if not same_token(viewer.csrf, given if isinstance(given, str) else None):
        raise BadFormToken("the form's security token is missing or out of date; reload the page")
    return form


def new_login_token() -> str:
    return secrets.token_urlsafe(32)


def login_target(next_path: str | None) -> str:
    """Where to go after signing in: a path of this UI only (never another site)."""
    if next_path and next_path.startswith("/ui") and not next_path.startswith("//"):
        return next_path
    return "/ui/"


def login_url(next_path: str) -> str:
    return "/ui/login?next=" + quote(next_path, safe="/")
