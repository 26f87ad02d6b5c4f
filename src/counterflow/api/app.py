"""The HTTP service: ``create_app`` wires the state, the guard, the routes and error handling.

Library errors carry their HTTP status (:attr:`CounterflowError.status`) and become a JSON
``{"detail": ...}`` answer in :mod:`counterflow.api.problems`, once; request validation errors
are a 422 citing the failing field. The guard (:mod:`counterflow.api.guard`) wraps everything,
Starlette's error middleware included.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI
from starlette.types import ASGIApp

from counterflow import __version__
from counterflow.api import alert_routes, case_routes, decision_routes, routes
from counterflow.api.docs import add_docs
from counterflow.api.guard import OPEN_MODE_HEADER, Guard
from counterflow.api.problems import HANDLERS
from counterflow.api.state import ReloadWatcher, Service
from counterflow.settings import Settings
from counterflow.web import add_ui
from counterflow.web.errors import ui_handlers
from counterflow.workspace import Workspace

__all__ = [
    "OPEN_MODE_HEADER",
    "CounterflowAPI",
    "app_from_env",
    "create_app",
]


class CounterflowAPI(FastAPI):
    """FastAPI with the guard outside its whole middleware stack.

    ``add_middleware`` would put it inside Starlette's error middleware, where a 500 answer
    passes it by: unaudited, and unmarked in open mode."""

    def build_middleware_stack(self) -> ASGIApp:
        service = self.state.service
        assert isinstance(service, Service)
        return Guard(super().build_middleware_stack(), service)


def create_app(workspace: Workspace, settings: Settings | None = None) -> FastAPI:
    """A service over one workspace, run by ``settings`` (default: the workspace's); the
    screening index is built when the app starts."""
    settings = settings or workspace.settings
    svc = Service.create(workspace, settings)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        watcher = ReloadWatcher(svc.holder, settings.reload_seconds)
        svc.holder.reload()
        if settings.reload_seconds > 0:
            watcher.start()
        try:
            yield
        finally:
            if settings.reload_seconds > 0:
                watcher.stop()

    description = "Screen names against sanctions lists (a yente-compatible /match API)."
    if settings.open_mode:
        description = "**OPEN MODE: no API keys are checked. For a local trial only.** " + (
            description
        )
    app = CounterflowAPI(
        title="counterflow",
        version=__version__,
        description=description,
        lifespan=lifespan,
        docs_url=None,  # served from the package by add_docs, not from a CDN
        redoc_url=None,  # ReDoc would load from a CDN
    )
    app.state.service = svc
    app.include_router(routes.router)
    app.include_router(decision_routes.router)
    app.include_router(case_routes.router)
    app.include_router(alert_routes.router)
    add_docs(app)
    add_ui(app)
    handlers: dict[Any, Any] = ui_handlers(HANDLERS)
    for kind, handler in handlers.items():
        app.add_exception_handler(kind, handler)
    return app


def app_from_env() -> FastAPI:
    """The app for the settings ``serve`` hands each worker through the environment."""
    logger = logging.getLogger("counterflow")
    if not logger.handlers:
        handler = logging.StreamHandler()
        handler.setFormatter(logging.Formatter("%(asctime)s counterflow: %(message)s"))
        logger.addHandler(handler)
        logger.setLevel(logging.INFO)
    settings = Settings.from_env()
    return create_app(Workspace(settings=settings), settings)
