"""Pages from templates: one Jinja2 environment with autoescaping on for every template, so a
name, a remittance text or a comment is always text on the page, never markup.

Nothing reaches a template as ``Markup`` from user data; data that scripts need (a graph's
nodes and edges) goes in a ``<script type="application/json">`` block through
:func:`json_for_script`, which escapes ``<``, ``>`` and ``&`` so the block cannot be closed
from inside.
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape
from markupsafe import Markup

from counterflow import __version__
from counterflow.web.session import CSRF_FIELD, Viewer

_env = Environment(
    loader=PackageLoader("counterflow.web", "templates"),
    autoescape=select_autoescape(default=True, default_for_string=True),
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)


def json_for_script(value: Any) -> Markup:
    """``value`` as JSON that is safe inside ``<script type="application/json">``."""
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"), default=str)
    text = text.replace("&", "\\u0026").replace("<", "\\u003c").replace(">", "\\u003e")
    text = text.replace("\u2028", "\\u2028").replace("\u2029", "\\u2029")
    return Markup(text)


def iso(value: datetime | date | str | None) -> str:
    """A time as ISO 8601 in UTC, for ``<time datetime=…>`` (the page shows it in the user's
    own time zone: static/app.js)."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return value.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")
    return value.isoformat()


def usd(value: float | int | None) -> str:
    if value is None:
        return "—"
    return f"USD {value:,.0f}"


def number(value: float | int | None, digits: int = 0) -> str:
    if value is None:
        return "—"
    return f"{value:,.{digits}f}"


_env.filters.update(iso=iso, usd=usd, number=number, json_data=json_for_script)
_env.globals.update(version=__version__, csrf_field=CSRF_FIELD)


def render(
    request: Request,
    template: str,
    viewer: Viewer | None,
    *,
    status: int = 200,
    headers: dict[str, str] | None = None,
    **context: Any,
) -> HTMLResponse:
    """The page ``template`` for this request, with the viewer and the current path."""
    page = _env.get_template(template).render(
        viewer=viewer,
        path=request.url.path,
        static=lambda name: f"/ui/static/{name}?v={__version__}",
        **context,
    )
    return HTMLResponse(page, status_code=status, headers=headers)


def render_fragment(template: str, **context: Any) -> str:
    """A template's text without a request (the error page, tests)."""
    return _env.get_template(template).render(**context)
