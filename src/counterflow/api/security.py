"""Who may call what: every screening endpoint needs an API key with a role that allows it.

The roles are the case store's ladder (:class:`counterflow.cases.policy.Role`), each allowing
what the ones below it do: ``screen`` (a machine: ``/match`` and the catalogue), ``analyst``,
``reviewer``, ``admin``. Service keys are ``screen`` or ``admin``; a user key has its user's
role. Each route names the least role it needs (:data:`ScreenCaller` … :data:`AdminCaller`).

Keys come in the ``Authorization`` header as ``ApiKey <key>`` (OpenSanctions' convention) or
``Bearer <key>``. The guard (:mod:`counterflow.api.guard`) checks the key before the request
body is read and leaves the caller in the request's :class:`Call`; the routes' dependencies only
check the role (403), without hashing the key again. Refused calls are written to the audit trail
too: they are security events. In open mode nothing is checked and the caller is recorded as
``open-mode``.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, Request, Security
from fastapi.security import APIKeyHeader
from starlette.types import Scope

from counterflow.api.keys import Principal, Role, denied_message
from counterflow.api.state import Service
from counterflow.api.text import safe_text
from counterflow.errors import AuthenticationError, PermissionDeniedError

#: where a request's :class:`Call` lives in the ASGI scope's ``state``
CALL_KEY = "counterflow.call"
#: the longest request path an audit record keeps
MAX_AUDITED_PATH = 300

# documents the header in the OpenAPI description (and Swagger UI's "Authorize"); the guard
# is what reads it
_HEADER = APIKeyHeader(
    name="Authorization",
    auto_error=False,
    scheme_name="ApiKey",
    description="'ApiKey <key>' or 'Bearer <key>'; create keys with 'counterflow keys create'.",
)
_SCHEMES = ("apikey ", "bearer ")


@dataclass(slots=True)
class Call:
    """One request as the guard and the routes share it: who is calling, whether its audit
    record is written, and what an error answer said (for that record)."""

    principal: Principal | None = None
    audited: bool = False
    problem: Any = None


def call_of(scope: Scope) -> Call | None:
    """The request's :class:`Call`; None outside the guard (public paths have one too)."""
    state = scope.get("state")
    found = state.get(CALL_KEY) if isinstance(state, dict) else None
    return found if isinstance(found, Call) else None


async def service(request: Request) -> Service:
    """The app's service state (a coroutine, so FastAPI calls it without a thread hop)."""
    return service_of(request)


def service_of(request: Request) -> Service:
    found = request.app.state.service
    assert isinstance(found, Service)
    return found


ServiceDep = Annotated[Service, Depends(service)]


def client_of(request: Request) -> str | None:
    """The caller's address, for the audit trail."""
    return request.client.host if request.client else None


def key_of(header: str | None) -> str | None:
    """The key in an ``Authorization`` header value, with or without its scheme word."""
    if not header:
        return None
    for scheme in _SCHEMES:
        if header[: len(scheme)].lower() == scheme:
            return header[len(scheme) :].strip()
    return header.strip()


def audit(request: Request, action: str, caller: Principal | None, **details: Any) -> None:
    """Write this request's audit record, with the caller's address; the guard then writes no
    other. Failing to write fails the request (503): nothing is answered unrecorded."""
    service_of(request).record(action, caller, client=client_of(request), **details)
    call = call_of(request.scope)
    if call is not None:
        call.audited = True


def require(role: Role) -> Callable[[Request, str | None], Awaitable[Principal]]:
    """A dependency that returns the caller, or refuses with 403 (the guard already refused a
    missing or bad key with 401).

    A coroutine: it only reads what the guard found, cheaper than FastAPI's thread hop."""

    async def caller(
        request: Request, authorization: Annotated[str | None, Security(_HEADER)] = None
    ) -> Principal:
        call = call_of(request.scope)
        principal = call.principal if call else None
        if principal is None:  # only without the guard in front, which create_app never does
            raise AuthenticationError("this service needs an API key")
        if not principal.role.allows(role):
            exc = PermissionDeniedError(denied_message(principal, role))
            audit(
                request,
                "denied",
                principal,
                path=safe_text(request.scope["path"], MAX_AUDITED_PATH),
                method=request.method,
                status=exc.status,
                reason=str(exc),
            )
            raise exc
        return principal

    return caller


ScreenCaller = Annotated[Principal, Security(require(Role.SCREEN))]
AnalystCaller = Annotated[Principal, Security(require(Role.ANALYST))]
ReviewerCaller = Annotated[Principal, Security(require(Role.REVIEWER))]
AdminCaller = Annotated[Principal, Security(require(Role.ADMIN))]
