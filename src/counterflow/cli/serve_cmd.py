"""``counterflow serve``: the HTTP screening service over the workspace.

The command builds the service's :class:`~counterflow.settings.Settings` once (the workspace's,
from the environment, with these options on top) and hands them to the worker processes through
the environment (:meth:`Settings.to_env`); each worker reads them back once.
"""

from __future__ import annotations

import ipaddress
import os
from pathlib import Path

import click

from counterflow.api.keys import KeyStore
from counterflow.cli.console import note, warn
from counterflow.cli.context import Command, workspace
from counterflow.settings import DEFAULT_MAX_BODY_BYTES


@click.command(cls=Command)
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
    help="Seconds between looks for new editions (0: never; POST /admin/reload still works). "
    "Default: $COUNTERFLOW_RELOAD_SECONDS, else 2.",
)
@click.option(
    "--max-body-bytes",
    type=click.IntRange(1024, 1024**3),
    metavar="BYTES",
    help="The largest request body read; larger requests get 413. Default: "
    f"$COUNTERFLOW_MAX_BODY_BYTES, else {DEFAULT_MAX_BODY_BYTES:,} (4 MiB).",
)
@click.option(
    "--fiu-profile",
    type=click.Path(dir_okay=False, path_type=Path),
    metavar="FILE",
    help="The FIU profile (TOML) goAML reports are written under (GET /cases/{id}/goaml). "
    "Default: $COUNTERFLOW_FIU_PROFILE, else none (the service writes no goAML).",
)
@click.pass_context
def serve(
    ctx: click.Context,
    host: str,
    port: int,
    workers: int,
    open_mode: bool,
    no_audit: bool,
    reload_seconds: float | None,
    max_body_bytes: int | None,
    fiu_profile: Path | None,
) -> None:
    """Serve the yente-compatible screening API (POST /match/{dataset}, /docs for the rest).

    Callers send an API key ('Authorization: ApiKey <key>'); create one first with
    'counterflow keys create'. Every request is written to the audit trail. Lists imported
    while the service runs are picked up without a restart. The service runs until stopped;
    a request, with the key in $KEY:

    \b
      curl -s localhost:8000/match/default -H "Authorization: ApiKey $KEY" \\
        -H 'Content-Type: application/json' \\
        -d '{"queries": {"q1": {"schema": "Person",
             "properties": {"name": ["Aiman al-Zawahiri"]}}}}'

    \b
    Example:
      counterflow lists import ../shared/data/lists/un_sc/un_sc_2026-02-27.xml
      counterflow keys create --role screen --name onboarding
      counterflow serve --port 8000 --workers 2 &
    """
    from counterflow.api import server

    ws = workspace(ctx)
    # open mode and an unaudited service take their flag, never a variable left set somewhere
    settings = ws.settings.with_(
        open_mode=open_mode,
        audit=not no_audit,
        reload_seconds=ws.settings.reload_seconds if reload_seconds is None else reload_seconds,
        max_body_bytes=ws.settings.max_body_bytes if max_body_bytes is None else max_body_bytes,
        fiu_profile=(fiu_profile or ws.settings.fiu_profile),
    )
    if settings.fiu_profile is not None:
        from counterflow.reporting import load_profile

        # checked now (its codes against its XSD), not at the first goAML request; the workers
        # get its absolute path
        profile = load_profile(settings.fiu_profile)
        settings = settings.with_(fiu_profile=profile.path.resolve())
    if settings.open_mode and not _is_loopback(host):
        raise click.UsageError(
            f"--open serves without API keys, so it listens on loopback only, not {host!r}"
        )
    if not settings.open_mode and not any(k.active for k in KeyStore(ws.home).all()):
        raise click.ClickException(
            f"no API keys in {ws.home}: create one with "
            "'counterflow keys create --role screen --name NAME', "
            "or start with --open for a local trial"
        )
    os.environ.update(settings.to_env())
    if settings.open_mode:
        warn("*** OPEN MODE: no API keys are checked. For a local trial only. ***")
    if not settings.audit:
        warn("*** AUDIT TRAIL OFF: requests are not recorded. ***")
    if settings.fiu_profile is not None:
        note(f"goAML reports under the FIU profile {settings.fiu_profile}")
    note(f"Serving {ws.home} on http://{host}:{port} (OpenAPI at /docs)")
    server.run(host, port, workers)


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
