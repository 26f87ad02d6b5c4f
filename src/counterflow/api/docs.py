"""The interactive API page (Swagger UI) at ``/docs``, served from this machine.

FastAPI's own page loads Swagger UI from a CDN, which a bank's air-gapped network cannot reach.
The scripts come instead from the ``fastapi-offline`` package (swagger-ui 5, which renders the
OpenAPI 3.1 FastAPI writes; swagger-ui 5 is Apache-2.0) and are served under
``/docs/assets/``. ReDoc is off: it would load from a CDN too.
"""

from __future__ import annotations

import importlib.util
import logging

from fastapi import FastAPI, Request
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

from counterflow.api.guard import ASSETS_PREFIX

log = logging.getLogger("counterflow.api")

#: the package that ships Swagger UI's files, and its folder holding them
ASSETS_PACKAGE = "fastapi_offline"
ASSETS_FOLDER = "static"
DOCS_PATH = "/docs"


def add_docs(app: FastAPI) -> bool:
    """Serve ``/docs`` and its assets from the package; False (and a warning) without it."""
    if importlib.util.find_spec(ASSETS_PACKAGE) is None:
        log.warning("no API docs page at %s: the %s package is missing", DOCS_PATH, ASSETS_PACKAGE)
        return False
    assets = ASSETS_PREFIX.rstrip("/")
    app.mount(assets, StaticFiles(packages=[(ASSETS_PACKAGE, ASSETS_FOLDER)]), name="docs-assets")
    openapi_url = app.openapi_url or "/openapi.json"
    title = f"{app.title} API"

    @app.get(DOCS_PATH, include_in_schema=False)
    async def docs(request: Request) -> HTMLResponse:
        """Swagger UI, with every script, style and icon from this server."""
        root = request.scope.get("root_path", "")
        return get_swagger_ui_html(
            openapi_url=f"{root}{openapi_url}",
            title=title,
            swagger_js_url=f"{root}{assets}/swagger-ui-bundle.js",
            swagger_css_url=f"{root}{assets}/swagger-ui.css",
            swagger_favicon_url=f"{root}{assets}/favicon.png",
        )

    return True
