"""Who may call what: every screening endpoint needs an API key with a role that allows it.

Keys come in the ``Authorization`` header as ``ApiKey <key>`` (OpenSanctions' convention) or
``Bearer <key>``. Refused calls are written to the audit trail too: they are security events.
In open mode nothing is checked and the caller is recorded as ``open-mode``.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated

from fastapi import Depends, Request, Security
from fastapi.security import APIKeyHeader

from counterflow.api.keys import OPEN_PRINCIPAL, Principal, Role
from counterflow.api.state import Service
from counterflow.errors import AuthenticationError, PermissionDeniedError

_HEADER = APIKeyHeader(
    name="Authorization",
    auto_error=False,
    scheme_name="ApiKey",
    description="'ApiKey <key>' or 'Bearer <key>'; create keys with 'counterflow keys create'.",
)
_SCHEMES = ("apikey ", "bearer ")


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


def _key(header: str | None) -> str | None:
    if not header:
        return None
    for scheme in _SCHEMES:
        if header[: len(scheme)].lower() == scheme:
            return header[len(scheme) :].strip()
    return header.strip()


def require(role: Role) -> Callable[[Request, str | None], Awaitable[Principal]]:
    """A dependency that returns the caller, or refuses with 401 / 403.

    A coroutine: checking a key is a stat and a hash, cheaper than the thread hop FastAPI
    makes for plain functions."""

    async def caller(
        request: Request, authorization: Annotated[str | None, Security(_HEADER)] = None
    ) -> Principal:
        svc = service_of(request)
        if svc.settings.open_mode:
            return OPEN_PRINCIPAL
        try:
            return svc.keys.authenticate(_key(authorization), role)
        except (AuthenticationError, PermissionDeniedError) as exc:
            svc.record(
                "denied",
                None,
                path=request.url.path[:300],
                method=request.method,
                client=client_of(request),
                status=exc.status,
                reason=str(exc),
            )
            raise

    return caller


ScreenCaller = Annotated[Principal, Security(require(Role.SCREEN))]
AdminCaller = Annotated[Principal, Security(require(Role.ADMIN))]
