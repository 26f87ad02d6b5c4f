"""The HTML reports' templates: one Jinja2 set-up for every report, autoescaped.

Autoescaping is on for every template, so names and free text from lists, transactions and
cases (hostile until shown otherwise) reach the page as text; only the charts, which
:mod:`counterflow.reporting.charts` escapes itself, are marked safe by the templates.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import jinja2

from counterflow.errors import ConfigError

TEMPLATES = Path(__file__).resolve().parent / "templates"


def load_template(
    name: str,
    what: str,
    *,
    filters: Mapping[str, Callable[..., Any]] | None = None,
    finalize: Callable[[Any], Any] | None = None,
) -> jinja2.Template:
    """The template ``name`` of the package, with these filters; a template that cannot be
    loaded is a :class:`ConfigError` naming ``what`` it renders."""
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        finalize=finalize,
    )
    env.filters["count"] = lambda value: f"{int(value):,}"
    env.filters.update(filters or {})
    try:
        return env.get_template(name)
    except jinja2.TemplateError as exc:
        raise ConfigError(f"the {what} template cannot be loaded: {exc}") from exc
