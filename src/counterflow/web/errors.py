"""Errors on UI pages are pages: the API's handlers answer JSON, and these answer the same
errors as HTML for paths under ``/ui`` (and send a browser without a session to sign in)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from fastapi import Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import RedirectResponse, Response
from starlette.exceptions import HTTPException

from counterflow.api.problems import cite, public_message, status_of
from counterflow.api.security import call_of
from counterflow.errors import CounterflowError
from counterflow.web.render import render
from counterflow.web.session import SignInRequired, find_viewer, login_url

Handler = Callable[[Request, Exception], Awaitable[Response]]

_TITLES = {
    400: "Bad request",
    401: "Sign in",
    403: "Not allowed",
    404: "Not found",
    409: "Conflict",
    413: "Too large",
    422: "Cannot use this",
    503: "Unavailable",
}


def is_ui(request: Request) -> bool:
    path = request.url.path
    return path == "/ui" or path.startswith("/ui/")


def _page(request: Request, status: int, message: str) -> Response:
    call = call_of(request.scope)
    if call is not None:
        call.problem = message
    try:
        viewer = find_viewer(request) if status != 503 else None
    except CounterflowError:
        viewer = None
    title = _TITLES.get(status, "Something went wrong")
    return render(request, "error.html", viewer, status=status, title=title, message=message)


async def _ui_error(request: Request, exc: Exception) -> Response:
    if isinstance(exc, SignInRequired):
        return RedirectResponse(login_url(exc.next_path), status_code=303)
    if isinstance(exc, CounterflowError):
        return _page(request, status_of(exc), public_message(exc))
    if isinstance(exc, HTTPException):
        return _page(request, exc.status_code, str(exc.detail))
    if isinstance(exc, RequestValidationError):
        cited = cite(exc.errors())
        text = "; ".join(f"{'.'.join(str(x) for x in c['loc'])}: {c['msg']}" for c in cited)
        return _page(request, 422, text)
    return _page(request, 500, "internal error; the service log says more")


def ui_handlers(api: Mapping[Any, Handler]) -> dict[Any, Handler]:
    """The app's error handlers: HTML for UI paths, the API's own answers elsewhere."""

    def dispatch(fallback: Handler) -> Handler:
        async def handler(request: Request, exc: Exception) -> Response:
            if is_ui(request):
                return await _ui_error(request, exc)
            return await fallback(request, exc)

        return handler

    return {kind: dispatch(handler) for kind, handler in api.items()}
