"""The ``counterflow`` command: a thin shell over the library.

Library errors (:class:`counterflow.errors.CounterflowError`) are turned into one-line messages
here and nowhere else; an unexpected exception still shows its traceback, because it is a bug.
"""

from __future__ import annotations

from typing import Any

import click

from counterflow import __version__
from counterflow.errors import CounterflowError
from counterflow.workspace import Workspace


class _Group(click.Group):
    """A click group that reports library errors as messages, never as stack traces."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except CounterflowError as exc:
            raise click.ClickException(str(exc)) from None


@click.group(
    cls=_Group, context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100}
)
@click.option(
    "--home",
    type=click.Path(file_okay=False),
    envvar="COUNTERFLOW_HOME",
    help="Workspace folder (default: $COUNTERFLOW_HOME, else a per-user data folder).",
)
@click.version_option(__version__, prog_name="counterflow")
@click.pass_context
def main(ctx: click.Context, home: str | None) -> None:
    """counterflow: screen, monitor, trace and report terrorist financing.

    \b
    Example:
      counterflow demo
      counterflow --home ./ws lists import consolidated.xml
    """
    ctx.obj = Workspace(home)


def workspace(ctx: click.Context) -> Workspace:
    """The workspace chosen by --home for this invocation."""
    obj = ctx.find_root().obj
    assert isinstance(obj, Workspace)
    return obj


def dataset_or_only(ctx: click.Context, dataset: str | None) -> str:
    """``--dataset`` when given, else the workspace's only transaction dataset."""
    if dataset:
        return dataset
    from counterflow.transactions import store

    with workspace(ctx).connect(read_only=True) as conn:
        found = [d.dataset for d in store.list_datasets(conn)]
    if len(found) != 1:
        raise click.UsageError(
            "give --dataset: " + (", ".join(found) if found else "the workspace has none yet")
        )
    return found[0]


from counterflow.cli.audit_cmd import audit  # noqa: E402
from counterflow.cli.decisions_cmd import decisions  # noqa: E402
from counterflow.cli.demo_cmd import demo  # noqa: E402
from counterflow.cli.ingest_cmd import ingest, transactions  # noqa: E402
from counterflow.cli.keys_cmd import keys  # noqa: E402
from counterflow.cli.lists_cmd import lists  # noqa: E402
from counterflow.cli.monitor_cmd import alerts, evaluate_cmd, monitor, risk  # noqa: E402
from counterflow.cli.screen_cmd import screen  # noqa: E402
from counterflow.cli.serve_cmd import serve  # noqa: E402
from counterflow.cli.simulate_cmd import simulate  # noqa: E402
from counterflow.cli.trace_cmd import trace  # noqa: E402

main.add_command(lists)
main.add_command(screen)
main.add_command(decisions)
main.add_command(ingest)
main.add_command(transactions)
main.add_command(simulate)
main.add_command(monitor)
main.add_command(alerts)
main.add_command(evaluate_cmd)
main.add_command(risk)
main.add_command(trace)
main.add_command(serve)
main.add_command(keys)
main.add_command(audit)
main.add_command(demo)

__all__ = ["main"]
