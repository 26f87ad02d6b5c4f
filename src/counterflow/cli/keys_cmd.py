"""``counterflow keys …``: API keys for the service."""

from __future__ import annotations

import click
from rich.table import Table

from counterflow.api.keys import KeyStore, Role
from counterflow.cli import workspace
from counterflow.cli.console import console, err_console


@click.group()
def keys() -> None:
    """API keys for 'counterflow serve'. 'screen' keys may screen; 'admin' keys may also
    clear hits and reload lists.

    \b
    Example:
      counterflow keys create --role screen --name "payments gateway"
      counterflow keys list
      counterflow keys revoke 3f9a1c0b7e21
    """


@keys.command("create")
@click.option("--role", type=click.Choice([r.value for r in Role]), required=True)
@click.option("--name", required=True, help="Who or what uses the key (shown in the audit trail).")
@click.pass_context
def create(ctx: click.Context, role: str, name: str) -> None:
    """Create a key and print it, once: only its hash is kept.

    \b
    Example:
      KEY=$(counterflow keys create --role screen --name onboarding)
    """
    record, key = KeyStore(workspace(ctx).home).create(name, Role(role))
    err_console.print(
        f"Created {record.role} key {record.key_id} for {record.name!r}. "
        "Store it now: it is not shown again."
    )
    click.echo(key)


@keys.command("list")
@click.pass_context
def list_keys(ctx: click.Context) -> None:
    """The keys, without their secrets.

    \b
    Example:
      counterflow keys list
    """
    found = KeyStore(workspace(ctx).home).all()
    if not found:
        console.print("No API keys. Create one: counterflow keys create --role screen --name NAME")
        return
    table = Table(show_edge=False)
    for column in ("id", "name", "role", "created (UTC)", "revoked (UTC)"):
        table.add_column(column)
    for k in found:
        table.add_row(k.key_id, k.name, str(k.role), k.created, k.revoked or "")
    console.print(table)


@keys.command("revoke")
@click.argument("key_id")
@click.pass_context
def revoke(ctx: click.Context, key_id: str) -> None:
    """Revoke a key; a running service refuses it from its next request.

    \b
    Example:
      counterflow keys revoke 3f9a1c0b7e21
    """
    record = KeyStore(workspace(ctx).home).revoke(key_id)
    console.print(f"Key {record.key_id} ({record.name}) revoked at {record.revoked}.")
