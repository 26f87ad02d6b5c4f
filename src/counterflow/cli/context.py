"""What every command shares: the global options, the workspace, and the common options.

The global options (``--home``, ``--user``, ``--json``, ``--quiet``, ``--wide``, ``--debug``) are
accepted before or after the subcommand: every command and group of counterflow carries them
(hidden below the top level), and whichever is given last wins. A command with an option of its
own by the same name (``keys create --user``: the user a key acts as) keeps its own there; the
global one is still taken before the command. ``--user`` names who the command acts as, for
the commands that act as a user (:func:`counterflow.cli.identity.acting_user`).

The global options fill one :class:`CliState` per invocation; the settings and the workspace are
built from it, once, when a command first needs them, so that ``counterflow lists --home ws``
and ``counterflow --home ws lists`` are the same.

The common options (``--dataset``, ``-o/--output``, ``--limit``, ``--seed``) are defined here
once, so they read and behave the same on every command.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click

from counterflow.cli import console
from counterflow.settings import Settings
from counterflow.workspace import Workspace

if TYPE_CHECKING:
    from counterflow.cases.users import User

F = TypeVar("F", bound=Callable[..., Any])
#: the seed every random step uses unless told otherwise: the same command twice, the same answer
DEFAULT_SEED = 1


@dataclass
class CliState:
    """The global options of one invocation, and what is built from them."""

    home: str | None = None
    #: the user the command acts as (``--user``), for the commands that act as one
    user: str | None = None
    json: bool = False
    quiet: bool = False
    wide: bool = False
    debug: bool = False
    #: ``--password-stdin`` on a command that acts as a user
    password_stdin: bool = False
    _workspace: Workspace | None = field(default=None, repr=False)
    #: the user the command acts as, once signed in (:func:`counterflow.cli.identity.acting_user`)
    acting: User | None = field(default=None, repr=False)

    @property
    def looked_in(self) -> Path | None:
        """The workspace folder a command used, for messages (None before any)."""
        return self._workspace.home if self._workspace else None

    def workspace(self) -> Workspace:
        if self._workspace is None:
            settings = Settings.from_env(home=Path(self.home) if self.home else None)
            self._workspace = Workspace(settings=settings)
        return self._workspace


def state(ctx: click.Context) -> CliState:
    """This invocation's :class:`CliState` (made on first use)."""
    root = ctx.find_root()
    if not isinstance(root.obj, CliState):
        root.obj = CliState()
    return root.obj


def workspace(ctx: click.Context) -> Workspace:
    """The workspace chosen by --home (or COUNTERFLOW_HOME, else the per-user folder)."""
    return state(ctx).workspace()


def _remember(name: str) -> Callable[[click.Context, click.Parameter, Any], None]:
    def callback(ctx: click.Context, param: click.Parameter, value: Any) -> None:
        if value not in (None, False):
            setattr(state(ctx), name, value)

    return callback


def global_options(hidden: bool) -> list[click.Option]:
    """Fresh copies of the global options (a click parameter belongs to one command)."""

    def option(*decls: str, name: str, help: str, **extra: Any) -> click.Option:
        return click.Option(
            list(decls),
            help=help,
            hidden=hidden,
            expose_value=False,
            is_eager=True,
            callback=_remember(name),
            **extra,
        )

    return [
        option(
            "--home",
            name="home",
            type=click.Path(file_okay=False),
            metavar="DIR",
            help="Workspace folder (default: $COUNTERFLOW_HOME, else a per-user data folder).",
        ),
        option(
            "--user",
            name="user",
            metavar="NAME",
            help="Act as this user of the case store (the commands that record who did what; "
            "its password is asked when the workspace's users have passwords).",
        ),
        option("--json", name="json", is_flag=True, help="Print the result as JSON."),
        option(
            "--quiet", "-q", name="quiet", is_flag=True, help="No progress, notes or summaries."
        ),
        option("--wide", name="wide", is_flag=True, help="Tables at full width, never wrapped."),
        option(
            "--debug", name="debug", is_flag=True, help="On an error, show the whole traceback."
        ),
    ]


GLOBAL_NAMES = ("--home", "--user", "--json", "--quiet", "--wide", "--debug")
_EPILOG = "Global options (before or after the command): " + ", ".join(GLOBAL_NAMES) + "."


def _epilog(own: Sequence[click.Parameter]) -> str:
    """The help's note on the global options, less those the command has its own of."""
    taken = {opt for param in own for opt in (*param.opts, *param.secondary_opts)}
    names = [name for name in GLOBAL_NAMES if name not in taken]
    return "Global options (before or after the command): " + ", ".join(names) + "."


def _unless_own(own: Sequence[click.Parameter], found: list[click.Option]) -> list[click.Option]:
    """The global options whose spellings the command does not use for an option of its own."""
    taken = {opt for param in own for opt in (*param.opts, *param.secondary_opts)}
    return [option for option in found if not taken.intersection(option.opts)]


class Command(click.Command):
    """A counterflow command: takes the global options too, and sets up the console from them
    (only here are all of them known: they may follow the subcommand)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.epilog is None:
            self.epilog = _epilog(self.params)
        self.params.extend(_unless_own(self.params, global_options(hidden=True)))

    def invoke(self, ctx: click.Context) -> Any:
        cli = state(ctx)
        console.configure(quiet=cli.quiet, wide=cli.wide)
        return super().invoke(ctx)


class Group(click.Group):
    """A counterflow group: takes the global options, and its commands are counterflow's."""

    command_class = Command

    def __init__(self, *args: Any, top: bool = False, **kwargs: Any) -> None:
        if not top:
            kwargs.setdefault("epilog", _EPILOG)
        super().__init__(*args, **kwargs)
        self.params.extend(_unless_own(self.params, global_options(hidden=not top)))

    def invoke(self, ctx: click.Context) -> Any:
        # a group's own callback may print (``lists`` without a subcommand: then every global
        # option was given to the group); a subcommand configures again once it has parsed its
        # own arguments
        cli = state(ctx)
        console.configure(quiet=cli.quiet, wide=cli.wide)
        return super().invoke(ctx)


Group.group_class = Group


class ArgumentOrCommandGroup(Group):
    """A group whose first argument is either one of its subcommands or its own ARGUMENT
    (``screen NAME`` or ``screen pairs``; ``alerts ALERT_ID`` or ``alerts dismiss``): the
    first argument that is neither an option nor an option's value decides, and after ``--``
    it is always the group's own. The callback gets it as the parameter :attr:`argument`
    (None when not given); the group's options may come before or after it."""

    #: the name the group's callback takes the argument by
    argument = "name"
    #: with no arguments at all, show the help (else run the callback without the argument)
    help_when_empty = False

    def too_many(self, ctx: click.Context, rest: list[str]) -> None:
        ctx.fail(f"one {self.argument.upper()} at a time (got: {' '.join(rest)})")

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        if not args and self.help_when_empty and not ctx.resilient_parsing:
            click.echo(ctx.get_help(), color=ctx.color)
            ctx.exit()
        first, escaped = self._first_argument(ctx, args)
        if first is not None and not escaped and args[first] in self.commands:
            # the group's options before the subcommand, then the subcommand with the rest
            rest = super().parse_args(ctx, args)
            ctx.params[self.argument] = None
            return rest
        ctx.allow_interspersed_args = True  # the argument and the options in any order
        rest = click.Command.parse_args(self, ctx, args)
        if len(rest) > 1:
            self.too_many(ctx, rest)
        ctx.params[self.argument] = rest[0] if rest else None
        ctx.args = []
        return []

    def _first_argument(self, ctx: click.Context, args: list[str]) -> tuple[int | None, bool]:
        """The index of the first argument that is neither an option nor an option's value,
        and whether it came after ``--``."""
        takes_value = {
            opt
            for param in self.get_params(ctx)
            if isinstance(param, click.Option) and not param.is_flag and not param.count
            for opt in (*param.opts, *param.secondary_opts)
        }
        i = 0
        while i < len(args):
            token = args[i]
            if token == "--":
                return (i + 1 if i + 1 < len(args) else None), True
            if token.startswith("-") and token != "-":
                i += 2 if token in takes_value else 1
                continue
            return i, False
        return None, False


class AliasedOption(click.Option):
    """An option with old spellings that still work but are not shown in ``--help``."""

    def __init__(self, *args: Any, hidden_aliases: Sequence[str] = (), **kwargs: Any) -> None:
        decls = list(args[0]) + list(hidden_aliases)
        super().__init__(decls, *args[1:], **kwargs)
        self._hidden_aliases = set(hidden_aliases)

    def get_help_record(self, ctx: click.Context) -> tuple[str, str] | None:
        shown = [o for o in self.opts if o not in self._hidden_aliases]
        saved = self.opts
        self.opts = shown
        try:
            return super().get_help_record(ctx)
        finally:
            self.opts = saved


def dataset_option(
    help: str = "The transaction dataset (default: the only one).",
) -> Callable[[F], F]:
    """``--dataset NAME``: on reading commands it defaults to the workspace's only dataset
    (resolve it with :func:`resolve_dataset`)."""
    return click.option("--dataset", metavar="NAME", help=help)


def resolve_dataset(ctx: click.Context, dataset: str | None) -> str:
    """``--dataset`` when given, else the workspace's only transaction dataset."""
    if dataset:
        return dataset
    from counterflow.transactions import store

    ws = workspace(ctx)
    with ws.connect(read_only=True) as conn:
        found = [d.dataset for d in store.list_datasets(conn)]
    if len(found) != 1:
        raise click.UsageError(
            "give --dataset: "
            + (", ".join(found) if found else f"the workspace {ws.home} has no datasets yet")
        )
    return found[0]


def output_option(
    help: str,
    *,
    required: bool = False,
    folder: bool = False,
    hidden_aliases: Sequence[str] = (),
) -> Callable[[F], F]:
    """``-o/--output PATH``: a file (``-`` is standard output) or, with ``folder``, a folder."""
    return click.option(
        "-o",
        "--output",
        "output",
        cls=AliasedOption,
        hidden_aliases=hidden_aliases,
        required=required,
        metavar="DIR" if folder else "FILE",
        type=click.Path(file_okay=not folder, dir_okay=folder, allow_dash=not folder),
        help=help,
    )


def limit_option(default: int, help: str, *, maximum: int | None = None) -> Callable[[F], F]:
    """``--limit N``: how many results at most."""
    return click.option(
        "--limit",
        type=click.IntRange(1, maximum),
        default=default,
        show_default=True,
        help=help,
    )


def seed_option(
    help: str = "Seed for the random steps: the same seed, the same result.",
) -> Callable[[F], F]:
    return click.option(
        "--seed", type=click.IntRange(0), default=DEFAULT_SEED, show_default=True, help=help
    )
