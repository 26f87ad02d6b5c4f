"""``counterflow serve``: the HTTP screening service over the workspace."""

from __future__ import annotations

import os

import click

from counterflow.cli import workspace
from counterflow.cli.console import console
from counterflow.workspace import HOME_ENV


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", type=click.IntRange(1, 65535), default=8000, show_default=True)
@click.option(
    "--workers",
    type=click.IntRange(1, 64),
    default=1,
    show_default=True,
    help="Worker processes, each with its own screening index.",
)
@click.pass_context
def serve(ctx: click.Context, host: str, port: int, workers: int) -> None:
    """Serve the yente-compatible screening API (POST /match/{dataset}, /docs for the rest).

    \b
    Example:
      counterflow --home ./ws serve --port 8000
      curl -s localhost:8000/match/default -H 'Content-Type: application/json' \\
        -d '{"queries": {"q1": {"schema": "Person",
             "properties": {"name": ["Aiman al-Zawahiri"]}}}}'
    """
    import uvicorn

    os.environ[HOME_ENV] = str(workspace(ctx).home)
    console.print(f"Serving {workspace(ctx).home} on http://{host}:{port} (OpenAPI at /docs)")
    uvicorn.run(
        "counterflow.api.app:app_from_env",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        log_level="warning",
    )
