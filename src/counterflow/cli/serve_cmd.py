"""``counterflow serve``: the HTTP screening service over the workspace."""

from __future__ import annotations

import ipaddress
import os

import click

from counterflow.api.keys import KeyStore
from counterflow.cli import workspace
from counterflow.cli.console import console, err_console
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
@click.option(
    "--open",
    "open_mode",
    is_flag=True,
    help="Check no API keys: for a local trial on a loopback address only.",
)
@click.option(
    "--no-audit",
    is_flag=True,
    help="Do not write the audit trail (to measure its cost; never in production).",
)
@click.option(
    "--reload-seconds",
    type=click.FloatRange(0, 3600),
    default=2.0,
    show_default=True,
    help="Seconds between looks for new editions (0: never; POST /admin/reload still works).",
)
@click.pass_context
def serve(
    ctx: click.Context,
    host: str,
    port: int,
    workers: int,
    open_mode: bool,
    no_audit: bool,
    reload_seconds: float,
) -> None:
    """Serve the yente-compatible screening API (POST /match/{dataset}, /docs for the rest).

    Callers send an API key ('Authorization: ApiKey <key>'); create one first with
    'counterflow keys create'. Every request is written to the audit trail. Lists imported
    while the service runs are picked up without a restart.

    \b
    Example:
      counterflow --home ./ws keys create --role screen --name onboarding
      counterflow --home ./ws serve --port 8000
      curl -s localhost:8000/match/default -H "Authorization: ApiKey $KEY" \\
        -H 'Content-Type: application/json' \\
        -d '{"queries": {"q1": {"schema": "Person",
             "properties": {"name": ["Aiman al-Zawahiri"]}}}}'
    """
    from counterflow.api import server
    from counterflow.api.app import AUDIT_ENV, OPEN_MODE_ENV, RELOAD_ENV

    ws = workspace(ctx)
    if open_mode and not _is_loopback(host):
        raise click.UsageError(
            f"--open serves without API keys, so it listens on loopback only, not {host!r}"
        )
    if not open_mode and not any(k.active for k in KeyStore(ws.home).all()):
        raise click.ClickException(
            f"no API keys in {ws.home}: create one with "
            "'counterflow keys create --role screen --name NAME', "
            "or start with --open for a local trial"
        )
    os.environ[HOME_ENV] = str(ws.home)
    os.environ[OPEN_MODE_ENV] = "1" if open_mode else "0"
    os.environ[AUDIT_ENV] = "0" if no_audit else "1"
    os.environ[RELOAD_ENV] = str(reload_seconds)
    if open_mode:
        err_console.print("*** OPEN MODE: no API keys are checked. For a local trial only. ***")
    if no_audit:
        err_console.print("*** AUDIT TRAIL OFF: requests are not recorded. ***")
    console.print(f"Serving {ws.home} on http://{host}:{port} (OpenAPI at /docs)")
    server.run(host, port, workers)


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
