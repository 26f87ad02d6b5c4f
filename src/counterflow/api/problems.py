"""How the service says what went wrong: short, safe, and never the server's own paths.

Every error answer is ``{"detail": ...}``. A 422 *cites* the request (where, what, which rule)
instead of echoing it: an echo of a 10 MB name is a 10 MB answer, and an echo of a lone
surrogate cannot even be encoded. Every string in an answer is cut to a few hundred characters
and has lone surrogates written out as ``\\udXXX``. A 5xx says what the caller can do; the
details, which name files in the workspace, go to the service log only.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping, Sequence
from typing import Any

from fastapi import Request
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException
from starlette.responses import JSONResponse, Response

from counterflow.api.security import call_of
from counterflow.api.state import NotReadyError
from counterflow.api.text import safe_text
from counterflow.cases.audit import AuditWriteError
from counterflow.errors import CounterflowError, DataError

log = logging.getLogger("counterflow.api")

#: the longest location part (a dict key) cited in an answer
MAX_LOC = 100
#: the most validation problems one 422 lists (a batch of 500 bad queries makes 500)
MAX_PROBLEMS = 10
#: what a 503 says when the audit trail cannot be written
AUDIT_UNWRITABLE = (
    "the audit trail cannot be written, so this request was not carried out; "
    "the service log says why"
)
#: statuses that carry no body (RFC 9110)
_NO_BODY = {204, 304}


def problem(loc: Sequence[str | int], msg: str, type_: str) -> dict[str, Any]:
    """One cited problem, shaped as FastAPI's 422 entries but without ``input`` or ``ctx``."""
    return {
        "loc": [x if isinstance(x, int) else safe_text(str(x), MAX_LOC) for x in loc],
        "msg": safe_text(msg),
        "type": safe_text(type_, 50),
    }


def cite(errors: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Validation errors as short citations: where, what, which rule; never the input."""
    cited = []
    for error in errors[:MAX_PROBLEMS]:
        msg = str(error.get("msg", ""))
        ctx = error.get("ctx")
        if error.get("type") == "json_invalid" and isinstance(ctx, Mapping) and "error" in ctx:
            msg = f"{msg}: {ctx['error']}"  # json's own reason ("Expecting value"), no input
        cited.append(problem(tuple(error.get("loc", ())), msg, str(error.get("type", ""))))
    if len(errors) > MAX_PROBLEMS:
        more = len(errors) - MAX_PROBLEMS
        cited.append(problem((), f"… and {more} more problems", "too_many_problems"))
    return cited


class SafeJSONResponse(JSONResponse):
    """A JSON answer that can always be encoded: a lone surrogate left in the content becomes
    the JSON escape ``\\udXXX`` instead of failing the answer with a 500."""

    def render(self, content: Any) -> bytes:
        text = json.dumps(content, ensure_ascii=False, allow_nan=False, separators=(",", ":"))
        return text.encode("utf-8", "backslashreplace")


def error_response(
    request: Request, status: int, detail: Any, headers: Mapping[str, str] | None = None
) -> Response:
    """The answer for an error, with ``detail`` noted for the audit record of this request."""
    call = call_of(request.scope)
    if call is not None:
        call.problem = detail
    if status in _NO_BODY:
        return Response(status_code=status, headers=headers)
    return SafeJSONResponse({"detail": detail}, status_code=status, headers=headers)


def public_message(exc: CounterflowError) -> str:
    """What a caller is told about ``exc``. Errors about the request are theirs to read; errors
    of the server (5xx, and damaged workspace files) name files, so they are logged and the
    caller gets a plain sentence."""
    if isinstance(exc, NotReadyError):
        return str(exc)
    if isinstance(exc, AuditWriteError):
        log.error("%s", exc)
        return AUDIT_UNWRITABLE
    if exc.status >= 500 or (isinstance(exc, DataError) and exc.path):
        log.error("%s: %s", type(exc).__name__, exc)
        return "the service cannot use its workspace right now; the service log says why"
    return safe_text(str(exc))


def status_of(exc: CounterflowError) -> int:
    """A damaged workspace file is the server's problem (503), not the request's (422)."""
    if isinstance(exc, DataError) and exc.path:
        return 503
    return exc.status


async def counterflow_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, CounterflowError)
    status = status_of(exc)
    headers = {"WWW-Authenticate": "ApiKey"} if status == 401 else None
    return error_response(request, status, public_message(exc), headers)


async def http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    detail = exc.detail if isinstance(exc.detail, str) else str(exc.detail)
    return error_response(request, exc.status_code, safe_text(detail), exc.headers)


async def validation_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    return error_response(request, 422, cite(exc.errors()))


async def server_error(request: Request, exc: Exception) -> Response:
    """A bug: the caller learns nothing of it; the server logs the traceback (Starlette raises
    the exception again once this answer is sent)."""
    return error_response(request, 500, "internal error; the service log says more")


HANDLERS = {
    CounterflowError: counterflow_error,
    HTTPException: http_error,
    RequestValidationError: validation_error,
    Exception: server_error,
}
