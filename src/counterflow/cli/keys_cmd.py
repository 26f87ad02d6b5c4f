"""``counterflow keys …``: API keys for the service."""

from __future__ import annotations

from typing import Any

import click

from counterflow.api.keys import ApiKey, KeyStore, RevokedKeyError, Role
from counterflow.cli.console import Column, console, emit_json, err_console, note, table
from counterflow.cli.context import Group, state, workspace
from counterflow.errors import AuthenticationError, NotFoundError


def _key_json(k: ApiKey) -> dict[str, Any]:
    """A key without its secret's hash."""
    return {
        "key_id": k.key_id,
        "name": k.name,
        "role": str(k.role),
        "created": k.created,
        "revoked": k.revoked,
        "active": k.active,
    }


@click.group(cls=Group)
def keys() -> None:
    """API keys for 'counterflow serve'. 'screen' keys may screen; 'admin' keys may also
    clear hits and reload lists.

    \b
    Example:
      counterflow keys create --role screen --name "payments gateway"
      counterflow keys list
      counterflow keys revoke "payments gateway"
    """


@keys.command("create")
@click.option("--role", type=click.Choice([r.value for r in Role]), required=True)
@click.option("--name", required=True, help="Who or what uses the key (shown in the audit trail).")
@click.pass_context
def create(ctx: click.Context, role: str, name: str) -> None:
    """Create a key and print it, once: only its hash is kept.

    The key alone goes to standard output (KEY=$(counterflow keys create …) keeps it); with
    --json, the key's record with the key in it.

    \b
    Example:
      counterflow keys create --role screen --name onboarding
      counterflow keys create --role admin --name "compliance desk" --json
    """
    record, key = KeyStore(workspace(ctx).home).create(name, Role(role))
    if state(ctx).json:
        emit_json({**_key_json(record), "key": key})
    else:
        click.echo(key)
    # kept by --quiet: the one moment the key can be saved
    err_console.print(
        f"Created {record.role} key {record.key_id} for {record.name!r}. "
        "Store it now: it is not shown again."
    )


@keys.command("list")
@click.pass_context
def list_keys(ctx: click.Context) -> None:
    """The keys, without their secrets.

    \b
    Example:
      counterflow keys list
      counterflow keys list --json
    """
    ws = workspace(ctx)
    found = KeyStore(ws.home).all()
    if state(ctx).json:
        emit_json([_key_json(k) for k in found])
        return
    if not found:
        note(
            f"No API keys in the workspace {ws.home}. "
            "Create one: counterflow keys create --role screen --name NAME"
        )
        return
    columns = (
        Column("id", "key"),
        Column("name", "text"),
        Column("role", "short"),
        Column("created (UTC)", "key"),
        Column("revoked (UTC)", "key"),
    )
    rows = [
        (k.key_id, k.name, str(k.role), _minutes(k.created), _minutes(k.revoked or ""))
        for k in found
    ]
    console.print(table(columns, rows))


def _minutes(timestamp: str) -> str:
    """``2026-12-07T07:35:06Z`` as ``2026-12-07 07:35``: a table's width is precious."""
    return timestamp[:16].replace("T", " ")


def _find(keys: KeyStore, ref: str) -> ApiKey:
    """The key ``ref`` names: its id, the whole key, or its name when one live key (else one
    key at all) has it."""
    everything = keys.all()
    by_id = [k for k in everything if k.key_id == ref]
    if by_id:
        return by_id[0]
    if ref.startswith("cf_"):
        try:
            key_id = keys.identify(ref).key_id
        except RevokedKeyError as exc:
            key_id = exc.principal.key_id
        except AuthenticationError as exc:
            raise NotFoundError("no such key: the key given is not valid here") from exc
        return next(k for k in everything if k.key_id == key_id)
    named = [k for k in everything if k.name == " ".join(ref.split())]
    live = [k for k in named if k.active]
    if len(live) == 1 or (not live and len(named) == 1):
        return (live or named)[0]
    if len(live) > 1:
        ids = ", ".join(k.key_id for k in live)
        raise click.UsageError(f"{len(live)} live keys are named {ref!r} ({ids}): give the id")
    if named:
        return named[-1]  # every key of that name is revoked already: nothing left to do
    raise NotFoundError(f"no key {ref!r} (see 'counterflow keys list')")


@keys.command("revoke")
@click.argument("ref", metavar="KEY_ID|NAME")
@click.pass_context
def revoke(ctx: click.Context, ref: str) -> None:
    """Revoke a key, by its id (as 'keys list' shows it), the key itself, or its name when
    one live key has that name; a running service refuses it from its next request.

    \b
    Example:
      counterflow keys create --role screen --name trial
      counterflow keys revoke trial
    """
    store = KeyStore(workspace(ctx).home)
    found = _find(store, ref)
    record = store.revoke(found.key_id)
    if state(ctx).json:
        emit_json(_key_json(record))
        return
    note(f"Key {record.key_id} ({record.name}) revoked at {record.revoked}.")
