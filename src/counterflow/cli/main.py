"""The ``counterflow`` command group and the one place where errors become messages.

Library errors (:class:`counterflow.errors.CounterflowError`) are printed as one line naming
what went wrong (and, for a missing thing or a store problem, the workspace looked in); with
``--debug`` the whole traceback follows, causes included. An unexpected exception still shows
its traceback: it is a bug.
"""

from __future__ import annotations

import traceback
from typing import Any

import click

from counterflow import __version__
from counterflow.cli.alerts_cmd import alerts
from counterflow.cli.audit_cmd import audit
from counterflow.cli.cases_cmd import cases
from counterflow.cli.context import Group, state
from counterflow.cli.customers_cmd import customers
from counterflow.cli.decisions_cmd import decisions
from counterflow.cli.demo_cmd import demo
from counterflow.cli.ingest_cmd import ingest, transactions
from counterflow.cli.keys_cmd import keys
from counterflow.cli.lists_cmd import lists
from counterflow.cli.monitor_cmd import evaluate_cmd, monitor, risk
from counterflow.cli.report_cmd import report
from counterflow.cli.rescreen_cmd import rescreen_cmd
from counterflow.cli.screen_cmd import screen
from counterflow.cli.serve_cmd import serve
from counterflow.cli.simulate_cmd import simulate
from counterflow.cli.trace_cmd import trace
from counterflow.cli.tune_cmd import tune
from counterflow.cli.users_cmd import users
from counterflow.errors import CounterflowError, EngineError, NotFoundError, StoreError


class _Root(Group):
    """The top group: configures the output, and turns library errors into messages."""

    def invoke(self, ctx: click.Context) -> Any:
        cli = state(ctx)
        try:
            return super().invoke(ctx)
        except CounterflowError as exc:
            if cli.debug:
                traceback.print_exception(exc)
                if isinstance(exc, EngineError) and exc.sql:
                    click.echo(f"The SQL the engine was given:\n{exc.sql}", err=True)
            message = str(exc)
            if isinstance(exc, NotFoundError | StoreError) and cli.looked_in is not None:
                message += f" (workspace: {cli.looked_in})"
            raise click.ClickException(message) from exc


@click.group(
    cls=_Root,
    top=True,
    context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100},
)
@click.version_option(__version__, prog_name="counterflow")
def main() -> None:
    """counterflow: screen, monitor, trace and report terrorist financing.

    The global options may come before or after the command (counterflow lists --home ws);
    the grammar is described in docs/cli.md.

    \b
    Example:
      counterflow demo --home demo
      counterflow --home ws lists import ../shared/data/lists/un_sc/un_sc_2026-02-27.xml
    """


for command in (
    lists,
    screen,
    customers,
    rescreen_cmd,
    decisions,
    ingest,
    transactions,
    simulate,
    monitor,
    alerts,
    evaluate_cmd,
    risk,
    tune,
    trace,
    report,
    serve,
    cases,
    keys,
    users,
    audit,
    demo,
):
    main.add_command(command)
