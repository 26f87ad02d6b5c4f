"""The analyst's web UI: server-rendered pages under ``/ui`` over the same library calls as the
API, signed in with the case store's users.

No build step and nothing from the internet: Jinja2 templates, a little htmx, Cytoscape.js for
graphs, all vendored under ``static/vendor`` with their licences (``scripts/vendor_ui.py``
refreshes them from the npm registry); charts are SVG drawn on the server. The guard
(:mod:`counterflow.api.guard`) adds a Content-Security-Policy without inline scripts to every
answer under ``/ui``.
"""

from __future__ import annotations

from importlib import resources

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from counterflow.web import alerts, auth, cases, dashboard, lists, parties, screen


def add_ui(app: FastAPI) -> None:
    """Serve the UI's pages and its static files from ``app``."""
    for module in (auth, dashboard, screen, alerts, parties, cases, lists):
        app.include_router(module.router)
    static = resources.files("counterflow.web") / "static"
    app.mount("/ui/static", StaticFiles(directory=str(static)), name="ui-static")
