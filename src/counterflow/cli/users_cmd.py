"""``counterflow users …``: the people who work cases, and their roles.

Users live in the case store (``<home>/cases.sqlite``, or ``COUNTERFLOW_CASES_URL``); adding
and disabling are recorded in the audit trail. Machines use API keys (``counterflow keys``).
"""

from __future__ import annotations

import getpass
import sys
from typing import TYPE_CHECKING

import click

from counterflow.cases import AuditLog
from counterflow.cases.policy import USER_ROLES
from counterflow.cli.console import Column, console, emit_json, note, table
from counterflow.cli.context import Group, state, workspace
from counterflow.errors import ConfigError
from counterflow.workspace import Workspace

if TYPE_CHECKING:
    from counterflow.cases.users import User

# the case store (SQLAlchemy, Alembic) is imported by the commands that use it, so the rest of
# counterflow's commands start without loading it


def _actor() -> str:
    try:
        return f"cli:{getpass.getuser()}"
    except (KeyError, OSError):
        return "cli:unknown"


@click.group(cls=Group)
def users() -> None:
    """The people who work cases: analysts open and work cases and propose decisions,
    reviewers also approve them (never their own: four eyes), admins also manage users.

    \b
    Example:
      counterflow users add "Amira Haddad" --role analyst
      counterflow users list
      counterflow users disable "Amira Haddad"
    """


@users.command("add")
@click.argument("name")
@click.option(
    "--role",
    type=click.Choice([str(r) for r in USER_ROLES]),
    required=True,
    help="analyst: open, work, propose; reviewer: also approve; admin: also users and keys.",
)
@click.option(
    "--password-stdin",
    is_flag=True,
    help="Read the user's password from the first line of standard input (for the web UI "
    "and the service); without it the user has none.",
)
@click.pass_context
def add(ctx: click.Context, name: str, role: str, password_stdin: bool) -> None:
    """Add a user. The password, when given, is kept as an argon2 hash only; it is read from
    standard input (asked for, twice, on a terminal), never from the command line.

    \b
    With a password from a script:
      printf '%s\\n' "$PASSWORD" | counterflow users add rania --role reviewer --password-stdin

    \b
    Example:
      counterflow users add "Rania Saleh" --role reviewer
      counterflow users add omar --role admin --json
    """
    from counterflow.cases.db import CaseStore
    from counterflow.cases.users import add_user

    password = _read_password() if password_stdin else None
    ws = workspace(ctx)
    with CaseStore.open(ws.settings, write=True) as store:
        user = add_user(store, name, role, password)
    _audit(ws).append("user-add", _actor(), role="cli", user=user.to_json())
    if state(ctx).json:
        emit_json(user.to_json())
        return
    note(
        f"Added {user.role} {user.name!r}"
        + (" with a password." if user.has_password else " (no password).")
    )


@users.command("password")
@click.argument("name")
@click.pass_context
def password_cmd(ctx: click.Context, name: str) -> None:
    """Set a user's password (for the web UI), read from standard input (asked for, twice,
    on a terminal). Their web sessions end: they sign in again with the new one.

    \b
    Example:
      counterflow users password "Rania Saleh" <<< 'a passphrase from a vault'
    """
    from counterflow.cases.db import CaseStore
    from counterflow.cases.users import set_password

    password = _read_password()
    ws = workspace(ctx)
    with CaseStore.open(ws.settings, write=True, create=False) as store:
        user = set_password(store, name, password)
    _audit(ws).append("user-password", _actor(), role="cli", user=user.name)
    if state(ctx).json:
        emit_json(user.to_json())
        return
    note(f"Set the password of {user.name!r}; their web sessions have ended.")


def _read_password() -> str:
    if sys.stdin.isatty():
        typed: str = click.prompt("Password", hide_input=True, confirmation_prompt=True)
        return typed
    line = sys.stdin.readline()
    password = line.rstrip("\r\n")
    if not password:
        raise ConfigError("--password-stdin: standard input has no password on its first line")
    return password


@users.command("list")
@click.pass_context
def list_cmd(ctx: click.Context) -> None:
    """The users, by name, with their role, and when they were disabled if they were.

    \b
    Example:
      counterflow users list
      counterflow users list --json
    """
    from counterflow.cases.db import CaseStore
    from counterflow.cases.users import list_users

    ws = workspace(ctx)
    with CaseStore.open(ws.settings) as store:
        found = list_users(store)
        where = store.where
    if state(ctx).json:
        emit_json([u.to_json() for u in found])
        return
    if not found:
        note(
            f"No users in the case store {where}. "
            "Add one: counterflow users add NAME --role analyst"
        )
        return
    columns = (
        Column("name", "key"),
        Column("role", "short"),
        Column("password", "short"),
        Column("created (UTC)", "key"),
        Column("disabled (UTC)", "key"),
    )
    console.print(table(columns, [_row(u) for u in found]))


def _row(user: User) -> tuple[str, str, str, str, str]:
    from counterflow.cases.db import stamp

    return (
        user.name,
        str(user.role),
        "yes" if user.has_password else "no",
        _minutes(stamp(user.created)),
        _minutes(stamp(user.disabled)),
    )


def _minutes(timestamp: str | None) -> str:
    """``2026-12-07T07:35:06Z`` as ``2026-12-07 07:35``."""
    return (timestamp or "")[:16].replace("T", " ")


@users.command("disable")
@click.argument("name")
@click.pass_context
def disable(ctx: click.Context, name: str) -> None:
    """Disable a user for good: they can do nothing from now on, and what they did keeps
    their name. Users are never deleted.

    \b
    Example:
      counterflow users add yusuf --role analyst
      counterflow users disable yusuf
    """
    from counterflow.cases.db import CaseStore
    from counterflow.cases.users import disable_user, get_user

    ws = workspace(ctx)
    # a store that does not exist has no user to disable: it is not created for nothing
    with CaseStore.open(ws.settings, write=True, create=False) as store:
        changed = get_user(store, name).active
        user = disable_user(store, name)
    if changed:
        _audit(ws).append("user-disable", _actor(), role="cli", user=user.to_json())
    if state(ctx).json:
        emit_json(user.to_json())
        return
    note(
        f"User {user.name!r} disabled."
        if changed
        else f"User {user.name!r} was disabled already ({user.to_json()['disabled']})."
    )


def _audit(ws: Workspace) -> AuditLog:
    return AuditLog.for_home(ws.home)
