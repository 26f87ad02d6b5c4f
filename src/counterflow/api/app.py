"""The HTTP service: ``create_app`` wires the screening state, the routes and error handling.

Library errors carry their HTTP status (:attr:`CounterflowError.status`) and become a JSON
``{"detail": ...}`` answer here, once; request validation errors are 422 with the failing field.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from counterflow import __version__
from counterflow.api.routes import router
from counterflow.api.state import ScreenerHolder
from counterflow.errors import CounterflowError
from counterflow.workspace import Workspace


def create_app(workspace: Workspace) -> FastAPI:
    """A service over one workspace; the screening index is built when the app starts."""
    holder = ScreenerHolder(workspace)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        holder.reload()
        yield

    app = FastAPI(
        title="counterflow",
        version=__version__,
        description="Screen names against sanctions lists (a yente-compatible /match API).",
        lifespan=lifespan,
    )
    app.state.holder = holder
    app.include_router(router)

    @app.exception_handler(CounterflowError)
    async def counterflow_error(request: Request, exc: CounterflowError) -> JSONResponse:
        return JSONResponse(status_code=exc.status, content={"detail": str(exc)})

    return app


def app_from_env() -> FastAPI:
    """The app for the workspace in ``COUNTERFLOW_HOME``: what ``serve`` starts each worker with."""
    return create_app(Workspace())
