"""The service's front door: a pure ASGI middleware outside everything else.

It does, in this order, what must happen before a request body is read or parsed:

1. **Who is calling.** On every path but the public ones (health, the OpenAPI description, the
   local docs page and its assets, the web UI's static files) and the web UI's pages (which find
   their user from the session cookie: :mod:`counterflow.web.session`) the API key is checked
   from the headers alone. No key, a bad or a revoked key: 401 and an audit record, and the
   body is never read, so an anonymous caller cannot make the server hold 100 MB. A user
   key's user is looked up in the case store (off the event loop): a disabled or unknown user
   is refused with 401 too, and the caller takes the user's current role. The caller is left
   in the request's :class:`~counterflow.api.security.Call` for the routes to check its role.
2. **The URL is text.** A path or query parameter whose percent-escapes are not UTF-8 (``%ED%A0%80``
   is an encoded lone surrogate) is refused with 422, not screened as replacement characters.
3. **The body fits.** ``settings.max_body_bytes`` bounds every body: a larger Content-Length is
   refused with 413 before a byte is read; a chunked body is counted as it streams and cut off
   with 413 the moment it passes the limit.
4. **Every answer is audited, before it leaves.** A route writes its own detailed record; any
   answer that has none (400, 404, 405, 413, 422, 500, a catalogue read) gets one here, with the
   caller, when its first bytes are about to be sent. If the record cannot be written the caller
   gets 503 instead, with no file path in it. Public paths are not audited: a load balancer
   polls them every few seconds, and they carry no customer data.
5. **Open mode shows.** Every answer of a service without keys carries ``X-Counterflow-Open-Mode``.

It sits outside Starlette's own error middleware (see ``create_app``), so a 500 is audited and
marked like any other answer.
"""

from __future__ import annotations

import json
import logging
import time
from typing import Any
from urllib.parse import unquote_to_bytes

import anyio.to_thread
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from counterflow.api.keys import OPEN_PRINCIPAL, CaseUsers, Principal, RefusedKeyError
from counterflow.api.problems import problem, public_message
from counterflow.api.security import CALL_KEY, MAX_AUDITED_PATH, Call, key_of
from counterflow.api.state import Service
from counterflow.api.text import has_surrogate, safe_text
from counterflow.errors import AuthenticationError, CounterflowError

log = logging.getLogger("counterflow.api")

#: paths anyone may call, unaudited: health checks, the API description, the docs page
PUBLIC_PATHS = frozenset({"/healthz", "/readyz", "/openapi.json", "/docs"})
#: where the docs page's scripts and styles are served from (public too)
ASSETS_PREFIX = "/docs/assets/"
#: the web UI's scripts, styles and vendored libraries (public: no customer data)
UI_ASSETS_PREFIX = "/ui/static/"
#: the web UI's own headers on every answer under /ui: scripts and styles from this server
#: only (no inline script, no eval), no framing, no sniffing, no referrer to other sites
UI_HEADERS = [
    (
        b"content-security-policy",
        b"default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        b"connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; "
        b"form-action 'self'; frame-ancestors 'none'",
    ),
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"same-origin"),
]
OPEN_MODE_HEADER = "X-Counterflow-Open-Mode"
OPEN_MODE_VALUE = "true; no API keys checked"
_OPEN_MODE = (OPEN_MODE_HEADER.lower().encode(), OPEN_MODE_VALUE.encode())


class BodyTooLarge(HTTPException):
    """Raised from ``receive`` when a streamed body passes the limit (FastAPI passes an
    HTTPException from reading the body through unchanged); the guard answers 413."""


def is_public(path: str) -> bool:
    return path in PUBLIC_PATHS or path.startswith((ASSETS_PREFIX, UI_ASSETS_PREFIX))


def is_ui(path: str) -> bool:
    """A page of the web UI: its session cookie says who is calling (:mod:`counterflow.web`),
    not an API key."""
    return path == "/ui" or path.startswith("/ui/")


class Guard:
    """The middleware; one :class:`_Exchange` per HTTP request does the work."""

    def __init__(self, app: ASGIApp, service: Service) -> None:
        self.app = app
        self.service = service
        #: the case store's users, for user keys (opened on the first user key's request)
        self.users = CaseUsers(service.settings)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        await _Exchange(self.app, self.service, scope, receive, send, self.users).run()


class _Exchange:
    """One request and its answer, as the guard sees them."""

    def __init__(
        self,
        app: ASGIApp,
        service: Service,
        scope: Scope,
        receive: Receive,
        send: Send,
        users: CaseUsers | None = None,
    ) -> None:
        self.app = app
        self.service = service
        self.users = users
        self.scope = scope
        self._receive = receive
        self._send = send
        self.limit = service.settings.max_body_bytes
        self.open_mode = service.settings.open_mode
        self.public = is_public(_route_path(scope))
        self.ui = is_ui(_route_path(scope))
        self.began = time.perf_counter()
        self.call = Call()
        state = scope.get("state")
        if not isinstance(state, dict):
            state = scope["state"] = {}
        state[CALL_KEY] = self.call
        self.received = 0
        self.has_body = False
        self.drained = False  # the whole body was read
        self.too_large = False
        self.started = False  # an answer was sent (or is being sent)
        self.dropping = False  # the app's own answer was replaced: ignore the rest of it

    async def run(self) -> None:
        authorization: bytes | None = None
        declared: int | None = None
        for name, value in self.scope["headers"]:
            if name == b"authorization":
                authorization = value
            elif name == b"content-length":
                declared = _length(value)
                self.has_body = self.has_body or bool(declared)
            elif name == b"transfer-encoding":
                self.has_body = True
        if not self.public:
            # the UI's pages find their user from the session cookie, in the route
            if not self.ui and not await self._authenticate(authorization):
                return
            found = url_problems(self.scope)
            if found:
                await self.answer(422, found)
                return
        if declared is not None and declared > self.limit:
            await self.answer(413, _too_large(self.limit, declared))
            return
        try:
            await self.app(self.scope, self.receive, self.send_app)
        except Exception:
            if self.too_large and not self.started:
                await self.answer(413, _too_large(self.limit))
                return
            if not self.started:  # Starlette answers 500 before raising again; in case it did not
                await self.answer(500, "internal error; the service log says more")
            raise
        if self.too_large and not self.started:
            await self.answer(413, _too_large(self.limit))

    async def _authenticate(self, header: bytes | None) -> bool:
        """Find the caller from the headers alone; answer 401 (or 503) and say False if none."""
        if self.open_mode:
            self.call.principal = OPEN_PRINCIPAL
            return True
        who: Principal | None = None
        refusal: AuthenticationError
        try:
            key = key_of(header.decode("latin-1") if header is not None else None)
            principal = self.service.keys.identify(key)
            if principal.user is not None:  # a database read: not on the event loop
                principal = await anyio.to_thread.run_sync(
                    self.service.keys.as_user, principal, self.users
                )
            self.call.principal = principal
            return True
        except RefusedKeyError as exc:
            who, refusal = exc.principal, exc
        except AuthenticationError as exc:
            refusal = exc
        except CounterflowError as exc:  # the key file is damaged: nobody can be let in
            await self.answer(503, public_message(exc))
            return False
        self.call.principal = who
        await self.answer(
            401, str(refusal), headers=[(b"www-authenticate", b"ApiKey")], action="denied"
        )
        return False

    async def receive(self) -> Message:
        """The server's ``receive``, counting body bytes against the limit as they stream."""
        message = await self._receive()
        if message["type"] == "http.request":
            self.received += len(message.get("body", b""))
            if not message.get("more_body", False):
                self.drained = True
            if self.received > self.limit:
                self.too_large = True
                raise BodyTooLarge(413, _too_large(self.limit))
        return message

    async def send_app(self, message: Message) -> None:
        """The app's answer: audited (when no route did) and marked before its first byte."""
        if self.dropping:
            return
        if message["type"] == "http.response.start":
            if self.too_large:
                self.dropping = True
                await self.answer(413, _too_large(self.limit))
                return
            if not self.public and not self.call.audited:
                try:
                    self._record(message["status"])
                except CounterflowError as exc:
                    self.dropping = True
                    await self._respond(503, public_message(exc))
                    return
            if self.open_mode:
                message = {**message, "headers": [*message.get("headers", ()), _OPEN_MODE]}
            if self.ui:
                message = {**message, "headers": _ui_headers(message, self.began)}
            self.started = True
        await self._send(message)

    async def answer(
        self,
        status: int,
        detail: Any,
        *,
        headers: list[tuple[bytes, bytes]] | None = None,
        action: str | None = None,
    ) -> None:
        """The guard's own answer, audited first (503 instead if that fails)."""
        self.call.problem = detail
        if not self.public and not self.call.audited:
            try:
                self._record(status, action)
            except CounterflowError as exc:
                status, detail, headers = 503, public_message(exc), None
        await self._respond(status, detail, headers)

    def _record(self, status: int, action: str | None = None) -> None:
        """The audit record of an answer no route recorded."""
        details: dict[str, Any] = {
            "client": _client(self.scope),
            "method": self.scope["method"],
            "path": safe_text(self.scope["path"], MAX_AUDITED_PATH),
            "status": status,
        }
        if action == "denied":
            details["reason"] = self.call.problem
        elif status >= 400 and self.call.problem is not None:
            details["detail"] = self.call.problem
        action = action or ("error" if status >= 400 else "request")
        self.service.record(action, self.call.principal, **details)
        self.call.audited = True

    async def _respond(
        self, status: int, detail: Any, headers: list[tuple[bytes, bytes]] | None = None
    ) -> None:
        body = json.dumps({"detail": detail}, ensure_ascii=False, separators=(",", ":"))
        data = body.encode("utf-8", "backslashreplace")
        raw = [
            (b"content-type", b"application/json"),
            (b"content-length", str(len(data)).encode()),
            *(headers or ()),
        ]
        if self.has_body and not self.drained:
            # the rest of the body is not read: the connection cannot carry another request
            raw.append((b"connection", b"close"))
        if self.open_mode:
            raw.append(_OPEN_MODE)
        self.started = True
        await self._send({"type": "http.response.start", "status": status, "headers": raw})
        await self._send({"type": "http.response.body", "body": data})


def _ui_headers(message: Message, began: float) -> list[tuple[bytes, bytes]]:
    """A UI answer's headers with the UI's own added: the security headers (a page that set
    its own, stricter policy keeps it: the printable case report allows inline styles and no
    script at all) and how long the page took on the server (devtools show it)."""
    headers = list(message.get("headers", ()))
    present = {name.lower() for name, _ in headers}
    headers += [(name, value) for name, value in UI_HEADERS if name not in present]
    took = f"app;dur={(time.perf_counter() - began) * 1000:.1f}".encode()
    headers.append((b"server-timing", took))
    return headers


def url_problems(scope: Scope) -> list[dict[str, Any]]:
    """The path and query parameters whose text is not valid UTF-8, cited for a 422."""
    found = []
    raw_path = scope.get("raw_path")
    if has_surrogate(scope["path"]) or (isinstance(raw_path, bytes) and not _utf8(raw_path)):
        found.append(
            problem(("path",), "the path is not valid UTF-8 (an encoded lone surrogate?)", "url")
        )
    query: bytes = scope.get("query_string", b"")
    if query and (b"%" in query or not query.isascii()):
        for part in query.split(b"&"):
            name, _, value = part.partition(b"=")
            if not (_utf8(name) and _utf8(value)):
                cited = unquote_to_bytes(name.replace(b"+", b" ")).decode("utf-8", "replace")
                found.append(
                    problem(
                        ("query", cited),
                        "the parameter is not valid UTF-8 (an encoded lone surrogate?)",
                        "url",
                    )
                )
    return found


def _utf8(raw: bytes) -> bool:
    try:
        unquote_to_bytes(raw.replace(b"+", b" ")).decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def _length(value: bytes) -> int | None:
    try:
        length = int(value)
    except ValueError:
        return None
    return length if length >= 0 else None


def _too_large(limit: int, declared: int | None = None) -> str:
    size = f" ({declared:,} bytes)" if declared is not None else ""
    return f"the request body{size} is over this service's limit of {limit:,} bytes"


def _route_path(scope: Scope) -> str:
    """The path as the app routes it: without the prefix a proxy serves the app under."""
    path: str = scope["path"]
    root: str = scope.get("root_path", "")
    return path[len(root) :] if root and path.startswith(root) else path


def _client(scope: Scope) -> str | None:
    client = scope.get("client")
    return str(client[0]) if client else None
