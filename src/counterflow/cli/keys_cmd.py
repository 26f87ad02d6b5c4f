"""``counterflow keys …``: API keys for the service."""

from __future__ import annotations

from typing import Any

import click

from counterflow.api.keys import (
    SERVICE_ROLES,
    ApiKey,
    CaseUsers,
    KeyStore,
    RefusedKeyError,
    Role,
)
from counterflow.cases.db import CaseStore
from counterflow.cases.users import get_user
from counterflow.cli.console import Column, console, emit_json, err_console, note, table, warn
from counterflow.cli.context import Group, state, workspace
from counterflow.errors import (
    AuthenticationError,
    NotFoundError,
    PermissionDeniedError,
    StoreError,
)

#: what a user key's user is now: (role, active), or None when the user is not in the store
_Now = dict[str, tuple[str, bool] | None]


def _key_json(k: ApiKey, users: _Now | None = None) -> dict[str, Any]:
    """A key without its secret's hash. A user key's role is its user's role now (as
    ``users`` found it), else the one it was made with."""
    found = (users or {}).get(k.user) if k.user is not None else None
    return {
        "key_id": k.key_id,
        "name": k.name,
        "role": found[0] if found else str(k.role),
        "user": k.user,
        "user_active": (found[1] if found else False if users is not None else None)
        if k.user is not None
        else None,
        "created": k.created,
        "revoked": k.revoked,
        "active": k.active,
    }


@click.group(cls=Group)
def keys() -> None:
    """API keys for 'counterflow serve'. Service keys are for machines: 'screen' keys may
    screen; 'admin' keys may also clear hits and reload lists. A user key (--user) acts as a
    user of the case store, with that user's role (analyst, reviewer or admin) at each request.

    \b
    Example:
      counterflow keys create --role screen --name "payments gateway"
      counterflow keys list
      counterflow keys revoke "payments gateway"
    """


@keys.command("create")
@click.option(
    "--role",
    type=click.Choice([r.value for r in SERVICE_ROLES]),
    help="A service key's role (a machine's key; not with --user).",
)
@click.option(
    "--name",
    help="Who or what uses the key (shown in the audit trail); with --user, defaults to the "
    "user's name.",
)
@click.option(
    "--user",
    "user_name",
    metavar="NAME",
    help="Make a key that acts as this user of the case store, with the user's role "
    "(see 'counterflow users list').",
)
@click.pass_context
def create(ctx: click.Context, role: str | None, name: str | None, user_name: str | None) -> None:
    """Create a key and print it, once: only its hash is kept.

    A service key needs --role and --name. A user key (--user NAME) acts as that user: the
    service looks the user up at every request, so the key takes the user's role as it is
    then, and is refused once the user is disabled.

    The key alone goes to standard output (KEY=$(counterflow keys create …) keeps it); with
    --json, the key's record with the key in it.

    \b
    Example:
      counterflow keys create --role screen --name onboarding
      counterflow keys create --role admin --name "compliance desk" --json
      counterflow users add rania --role analyst
      counterflow keys create --user rania
    """
    ws = workspace(ctx)
    if user_name is not None:
        if role is not None:
            raise click.UsageError(
                "give --role (a service key) or --user (a key acting as a user, with the "
                "user's role), not both"
            )
        with CaseStore.open(ws.settings, write=False) as store:
            user = get_user(store, user_name)
        if not user.active:
            raise PermissionDeniedError(f"user {user.name!r} is disabled: no key can act as them")
        record, key = KeyStore(ws.home).create(name or user.name, user.role, user=user.name)
    else:
        if role is None or name is None:
            raise click.UsageError(
                "give --role screen|admin and --name for a service key, or --user NAME for a "
                "key acting as a user"
            )
        record, key = KeyStore(ws.home).create(name, Role(role))
    if state(ctx).json:
        emit_json({**_key_json(record), "key": key})
    else:
        click.echo(key)
    acting = f" acting as user {record.user!r}" if record.user is not None else ""
    # kept by --quiet: the one moment the key can be saved
    err_console.print(
        f"Created {record.role} key {record.key_id} for {record.name!r}{acting}. "
        "Store it now: it is not shown again."
    )


def _users_now(ws_keys: list[ApiKey], lookup: CaseUsers) -> _Now | None:
    """The current role and state of the users the keys act as (None: no user keys)."""
    names = {k.user for k in ws_keys if k.user is not None}
    if not names:
        return None
    found: _Now = {}
    try:
        for name in names:
            try:
                _, role, active = lookup(name)
                found[name] = (str(role), active)
            except NotFoundError:
                found[name] = None
    except (
        StoreError
    ) as exc:  # the keys are still worth listing, with the roles they were made with
        warn(f"cannot read the users of the case store ({exc}): roles as the keys were made")
        return None
    finally:
        lookup.close()
    return found


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
    users = _users_now(found, CaseUsers(ws.settings))
    if state(ctx).json:
        emit_json([_key_json(k, users) for k in found])
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
        [k.key_id, k.name, str(k.role), _minutes(k.created), _minutes(k.revoked or "")]
        for k in found
    ]
    for row, k in zip(rows, found, strict=True):
        if k.user is not None:  # a user key: whom it acts as, and the user's role now
            row[1] = f"{k.name}\nas user {_acts_as(k.user, users)}"
            row[2] = _key_json(k, users)["role"]
    console.print(table(columns, rows))


def _acts_as(user: str, users: _Now | None) -> str:
    """The user a key acts as, and whether the user can still use it (when known)."""
    if users is None:
        return user
    found = users.get(user)
    if found is None:
        return f"{user} (not a user)"
    return user if found[1] else f"{user} (disabled)"


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
        except RefusedKeyError as exc:
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
