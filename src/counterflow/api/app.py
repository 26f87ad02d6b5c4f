"""The HTTP service: ``create_app`` wires the state, the routes and error handling.

Library errors carry their HTTP status (:attr:`CounterflowError.status`) and become a JSON
``{"detail": ...}`` answer here, once; request validation errors are 422 with the failing field.
"""

from __future__ import annotations

import logging
import os
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager

from fastapi import FastAPI, Request, Response
from fastapi.responses import JSONResponse

from counterflow import __version__
from counterflow.api import decision_routes, routes
from counterflow.api.state import ReloadWatcher, Service, ServiceSettings
from counterflow.errors import CounterflowError
from counterflow.workspace import Workspace

OPEN_MODE_ENV = "COUNTERFLOW_OPEN_MODE"
AUDIT_ENV = "COUNTERFLOW_AUDIT"
RELOAD_ENV = "COUNTERFLOW_RELOAD_SECONDS"
OPEN_MODE_HEADER = "X-Counterflow-Open-Mode"


def create_app(workspace: Workspace, settings: ServiceSettings | None = None) -> FastAPI:
    """A service over one workspace; the screening index is built when the app starts."""
    settings = settings or ServiceSettings()
    svc = Service.create(workspace, settings)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        watcher = ReloadWatcher(svc.holder, settings.reload_interval)
        svc.holder.reload()
        if settings.reload_interval > 0:
            watcher.start()
        try:
            yield
        finally:
            if settings.reload_interval > 0:
                watcher.stop()

    description = "Screen names against sanctions lists (a yente-compatible /match API)."
    if settings.open_mode:
        description = "**OPEN MODE: no API keys are checked. For a local trial only.** " + (
            description
        )
    app = FastAPI(
        title="counterflow", version=__version__, description=description, lifespan=lifespan
    )
    app.state.service = svc
    app.include_router(routes.router)
    app.include_router(decision_routes.router)

    @app.exception_handler(CounterflowError)
    async def counterflow_error(request: Request, exc: CounterflowError) -> JSONResponse:
        headers = {"WWW-Authenticate": "ApiKey"} if exc.status == 401 else None
        return JSONResponse(status_code=exc.status, content={"detail": str(exc)}, headers=headers)

    if settings.open_mode:

        @app.middleware("http")
        async def mark_open(
            request: Request, call_next: Callable[[Request], Awaitable[Response]]
        ) -> Response:
            response = await call_next(request)
            response.headers[OPEN_MODE_HEADER] = "true; no API keys checked"
            return response

    return app


def settings_from_env() -> ServiceSettings:
    """The settings ``serve`` hands to each worker process through the environment."""
    return ServiceSettings(
        open_mode=os.environ.get(OPEN_MODE_ENV) == "1",
        audit=os.environ.get(AUDIT_ENV, "1") != "0",
        reload_interval=float(os.environ.get(RELOAD_ENV, "2")),
    )


def app_from_env() -> FastAPI:
    """The app for the workspace in ``COUNTERFLOW_HOME``: what ``serve`` starts each worker with."""
    logger = logging.getLogger("counterflow")
    if not logger.handlers:
        handler = logging.StreamHandler()
        handler.setFormatter(logging.Formatter("%(asctime)s counterflow: %(message)s"))
        logger.addHandler(handler)
        logger.setLevel(logging.INFO)
    return create_app(Workspace(), settings_from_env())
