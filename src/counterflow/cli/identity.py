"""Who a command acts as: ``--user NAME``, signed in when the workspace's users have passwords.

The commands that record who did what (cases, and clearing or revoking decisions when ``--user``
is given) act as a named user of the case store, so the command line meets the same rules as the
HTTP API: the user's role, a disabled user refused, and the four-eyes rule applied to *them*.

- ``--user NAME`` is a global option (before or after the command).
- When any user of the workspace has a password, every user signs in: the password is asked on
  a terminal (not echoed), or read from the first line of standard input with
  ``--password-stdin`` (an option of each command that acts, for scripts). A user without a
  password cannot sign in then. When no user has a password (a workstation of one team), the
  name is enough.
- Without ``--user`` such a command stops with a usage error naming the option.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

import click

from counterflow.cli.context import state, workspace
from counterflow.errors import (
    AuthenticationError,
    ConfigError,
    NotFoundError,
    PermissionDeniedError,
)

if TYPE_CHECKING:
    from counterflow.cases.users import User

F = TypeVar("F", bound=Callable[..., Any])


def _remember_stdin(ctx: click.Context, param: click.Parameter, value: bool) -> None:
    if value:
        state(ctx).password_stdin = True


def password_stdin_option(f: F) -> F:
    """``--password-stdin``: the acting user's password from the first line of standard input
    (on the commands that act as a user, beside the global ``--user``)."""
    return click.option(
        "--password-stdin",
        is_flag=True,
        expose_value=False,
        callback=_remember_stdin,
        help="Read the --user's password from the first line of standard input (when the "
        "workspace's users have passwords; else it is asked on the terminal).",
    )(f)


def acting_user(ctx: click.Context) -> User:
    """The user this command acts as: ``--user``, signed in with their password when the
    workspace's users have passwords, and active.

    Raises :class:`click.UsageError` without ``--user`` (or without a way to read the password),
    :class:`NotFoundError` for an unknown user (no passwords in the workspace),
    :class:`AuthenticationError` for a wrong password, :class:`PermissionDeniedError` for a
    disabled user."""
    cli = state(ctx)
    if cli.acting is not None:
        return cli.acting
    name = cli.user
    if name is None:
        raise click.UsageError(
            "this command acts as a user of the case store: give --user NAME "
            "(see 'counterflow users list')",
            ctx=ctx,
        )
    # the case store (SQLAlchemy, argon2) is loaded by the commands that need it only
    from counterflow.cases.db import CaseStore
    from counterflow.cases.users import authenticate, list_users

    with CaseStore.open(workspace(ctx).settings, write=False) as store:
        users = list_users(store)
        if not users:
            raise NotFoundError(
                f"no user {name!r}: the case store {store.where} has no users yet "
                "(add one: counterflow users add NAME --role analyst)"
            )
        if any(u.has_password for u in users):
            password = _password(ctx, name)
            named = _named(users, name)
            if named is not None and not named.has_password:
                raise AuthenticationError(
                    f"user {named.name!r} has no password, and the users of this workspace "
                    "sign in with one: only users with a password can act here"
                )
            user = authenticate(store, name, password)
        else:
            found = _named(users, name)  # the name alone: nobody in this workspace has more
            if found is None:
                raise NotFoundError(
                    f"no user {name!r} in the case store {store.where} "
                    "(see 'counterflow users list')"
                )
            if not found.active:
                raise PermissionDeniedError(f"user {found.name!r} is disabled")
            user = found
    cli.acting = user
    return user


def _named(users: list[User], name: str) -> User | None:
    from counterflow.cases.policy import same_user

    return next((u for u in users if same_user(u.name, name)), None)


def _password(ctx: click.Context, name: str) -> str:
    """The password: from standard input with --password-stdin, else asked on a terminal."""
    if state(ctx).password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
        if not password:
            raise ConfigError("--password-stdin: standard input has no password on its first line")
        return password
    if not _on_terminal():
        raise click.UsageError(
            f"user {name!r} signs in with a password: type it on a terminal, or give "
            "--password-stdin and pipe it in",
            ctx=ctx,
        )
    typed: str = click.prompt(f"Password for {name}", hide_input=True, err=True)
    return typed


def _on_terminal() -> bool:
    """Standard input is a terminal, where a password can be typed unseen."""
    return sys.stdin.isatty()
