"""``counterflow alerts``: the stored alerts with their disposition, one alert explained, and
the analyst's decisions on alerts outside cases (``dismiss``, ``reopen``).

``alerts`` is a group whose first argument decides: ``dismiss`` and ``reopen`` run those
subcommands, anything else is the ALERT_ID to explain. A thin layer over
:mod:`counterflow.cases.dispositions`; the decisions act as a user of the case store (the global
``--user NAME``), as ``counterflow cases`` does.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

import click

from counterflow.cli import console
from counterflow.cli.console import Column
from counterflow.cli.context import (
    ArgumentOrCommandGroup,
    dataset_option,
    limit_option,
    resolve_dataset,
    state,
    workspace,
)
from counterflow.cli.identity import acting_user, password_stdin_option

if TYPE_CHECKING:
    from counterflow.cases.alerts import Alert
    from counterflow.cases.dispositions import Disposition

# the case store (SQLAlchemy) is imported by the commands, so that other commands start
# without it

#: transaction ids shown under one alert before "… and N more"
SHOWN_TX_IDS = 20
STATUSES = ("open", "in-case", "dismissed")


class _AlertsGroup(ArgumentOrCommandGroup):
    argument = "alert_id"

    def format_usage(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        more = " " * len("Usage: ")
        formatter.write_usage(ctx.command_path, "[OPTIONS] [ALERT_ID]")
        formatter.write_usage(ctx.command_path, "dismiss|reopen ALERT_ID --reason TEXT", more)


@click.group(cls=_AlertsGroup, invoke_without_command=True)
@dataset_option("Whose alerts (default: the only dataset).")
@click.option("--scenario", metavar="ID", help="Only this scenario's alerts.")
@click.option("--party", metavar="ID", help="Only alerts about this party.")
@click.option(
    "--status",
    type=click.Choice(STATUSES),
    help="Only alerts in no case and not dismissed (open), in a case, or dismissed.",
)
@click.option("--new", "new_only", is_flag=True, help="Only alerts the last run raised first.")
@limit_option(20, "Most alerts listed, the highest scores first.")
@click.pass_context
def alerts(
    ctx: click.Context,
    alert_id: str | None,
    dataset: str | None,
    scenario: str | None,
    party: str | None,
    status: str | None,
    new_only: bool,
    limit: int,
) -> None:
    """The stored alerts, highest score first, with what became of each: open (new or
    changed since the last run), in a case, or dismissed; with an ALERT_ID, that alert
    explained: its facts, the parameters it ran with, its transactions and its disposition
    (--json: everything, as JSON).

    \b
    Example:
      counterflow alerts --dataset world --scenario laundering-hub
      counterflow alerts A-fd832028881b30c3
      counterflow alerts --dataset world --status open --new --limit 5 --json
    """
    if ctx.invoked_subcommand is not None:
        return
    from counterflow.cases.db import CaseStore
    from counterflow.cases.dispositions import alert_with_disposition, list_with_dispositions

    ws = workspace(ctx)
    name = None if alert_id else resolve_dataset(ctx, dataset)
    with CaseStore.open(ws.settings) as store, ws.connect(read_only=True) as conn:
        if name is None:
            found = [alert_with_disposition(store, conn, str(alert_id))]
        else:
            found = list_with_dispositions(
                store,
                conn,
                name,
                status=status,  # type: ignore[arg-type]  # one of STATUSES (click.Choice)
                new=new_only,
                scenario=scenario,
                subject_id=party,
                limit=limit,
            )
    if state(ctx).json:
        records = [alert_record(a, d) for a, d in found]
        console.emit_json(records[0] if alert_id else records)
        return
    if alert_id:
        _explain(*found[0])
        return
    if not found:
        hint = f"Run the scenarios first: counterflow monitor --dataset {name}"
        filtered = scenario or party or status or new_only
        console.console.print("No alerts match." if filtered else f"No alerts. {hint}")
        return
    columns = [
        Column("alert", "key"),
        Column("scenario", "key"),
        Column("subject", "key"),
        Column("score", "number"),
        Column("status", "text"),
    ]
    rows = [
        [
            a.alert_id,
            a.scenario,
            a.subject_id,
            f"{a.score:.2f}",
            _status(a, d),
        ]
        for a, d in found
    ]
    out = console.console
    out.print(console.table(columns, rows))
    # the facts under the table, one line per alert: a column beside four ids would leave
    # them a few characters a line (cut at the console's width; --wide or ALERT_ID shows
    # them whole)
    out.print("facts (counterflow alerts ALERT_ID explains one):")
    for a, _ in found:
        facts = f"{len(a.tx_ids):,} tx, {_facts(a)}"
        out.print(console.shorten(f"  {a.alert_id}  {facts}", out.width))


@alerts.command("dismiss")
@click.argument("alert_id")
@click.option("--reason", required=True, help="Why the alert is not suspicious.")
@password_stdin_option
@click.pass_context
def dismiss_cmd(ctx: click.Context, alert_id: str, reason: str) -> None:
    """Dismiss an alert outside any case, saying why, as --user. It stays dismissed while
    monitor raises it unchanged; a run that adds or removes transactions brings it back open,
    saying what changed. An alert in a case is decided in the case.

    \b
    Example:
      counterflow users add dina --role analyst
      counterflow alerts dismiss --user dina A-d6369c13856e3daf --reason "Licensed money-service business, known since 2019"
    """  # noqa: E501 (an example runs as written)
    from counterflow.cases.dispositions import dismiss

    _decide(ctx, alert_id, reason, dismiss, "Dismissed")


@alerts.command("reopen")
@click.argument("alert_id")
@click.option("--reason", required=True, help="Why the dismissal is taken back.")
@password_stdin_option
@click.pass_context
def reopen_cmd(ctx: click.Context, alert_id: str, reason: str) -> None:
    """Take back an alert's dismissal, saying why, as --user: the alert is open again.

    \b
    Example:
      counterflow alerts reopen --user dina A-d6369c13856e3daf --reason "The branch reports new cash deposits"
    """  # noqa: E501 (an example runs as written)
    from counterflow.cases.dispositions import reopen_alert

    _decide(ctx, alert_id, reason, reopen_alert, "Reopened")


def _decide(ctx: click.Context, alert_id: str, reason: str, decide: Any, done: str) -> None:
    from counterflow.cases.db import CaseStore

    user = acting_user(ctx)
    ws = workspace(ctx)
    with CaseStore.open(ws.settings, write=True) as store:
        alert, disposition = decide(store, ws, alert_id, user.name, reason)
    if state(ctx).json:
        console.emit_json(alert_record(alert, disposition))
        return
    console.console.print(
        f"{done} {alert.alert_id} ({alert.scenario}, {alert.subject_id}) "
        f"as {user.name}: now {_status(alert, disposition)}."
    )


def _status(alert: Alert, disposition: Disposition) -> str:
    """The disposition in a table cell: "open, new", "C-000001", "dismissed"."""
    if disposition.status == "in-case":
        return ", ".join(disposition.cases)
    if disposition.status == "dismissed":
        return "dismissed"
    if disposition.changed_since_dismissal:
        return "open, changed since dismissed"
    if alert.retired_at is not None:
        return "open, no longer raised"
    if alert.new:
        return "open, new"
    return "open, changed" if alert.changes and alert.changed_at == alert.seen_at else "open"


def _facts(alert: Alert) -> str:
    facts = alert.explanation.get("facts", {})
    return ", ".join(f"{k}={_value(v)}" for k, v in facts.items())


def _value(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)


def _time(value: Any) -> str | None:
    return value.isoformat() if value is not None else None


def alert_record(a: Alert, disposition: Disposition) -> dict[str, Any]:
    """An alert and its disposition as ``--json`` prints them."""
    return {
        "alert_id": a.alert_id,
        "scenario": a.scenario,
        "typology": a.typology,
        "severity": a.severity,
        "subject": f"{a.subject_kind}:{a.subject_id}",
        "score": round(a.score, 4),
        "first": _time(a.first_ts),
        "last": _time(a.last_ts),
        "new": a.new,
        "raised_first": _time(a.created_at),
        "raised_last": _time(a.seen_at),
        "changed": _time(a.changed_at),
        "changes": a.changes,
        "retired": _time(a.retired_at),
        **disposition.to_json(),
        "explanation": a.explanation,
        "transactions": a.tx_ids,
    }


def _explain(a: Alert, disposition: Disposition) -> None:
    from counterflow.cases.alerts import describe_changes

    out = console.console
    out.print(f"Alert {a.alert_id}: {a.scenario} (typology {a.typology}, severity {a.severity})")
    what = a.explanation.get("scenario")
    if what:
        out.print(f"  {what}")
    out.print(f"subject  {a.subject_kind} {a.subject_id}")
    out.print(f"score    {a.score:.2f}")
    if a.first_ts and a.last_ts:
        out.print(f"period   {a.first_ts:%Y-%m-%d %H:%M} to {a.last_ts:%Y-%m-%d %H:%M} UTC")
    out.print(f"status   {_status(a, disposition)}")
    if a.created_at is not None and a.seen_at is not None:
        out.print(
            f"raised   first {a.created_at:%Y-%m-%d %H:%M}, last {a.seen_at:%Y-%m-%d %H:%M} UTC"
        )
    if a.retired_at is not None:
        out.print(f"retired  {a.retired_at:%Y-%m-%d %H:%M} UTC (no longer raised)")
    if a.changes and a.changed_at is not None:
        out.print(f"changed  {a.changed_at:%Y-%m-%d %H:%M} UTC: {describe_changes(a.changes)}")
    dismissal = disposition.dismissal
    if dismissal is not None:
        out.print(
            f"dismissed by {dismissal.by} {dismissal.at:%Y-%m-%d %H:%M} UTC: {dismissal.reason}"
        )
        if disposition.changed_since_dismissal:
            since = describe_changes(disposition.changed_since_dismissal)
            out.print(f"  changed since: {since}")
    for title, values in (
        ("fact", a.explanation.get("facts", {})),
        ("parameter", a.explanation.get("parameters", {})),
    ):
        if values:
            rows = [[str(k), _value(v)] for k, v in values.items()]
            out.print(console.table([Column(title, "key"), Column("value", "text")], rows))
    shown = ", ".join(a.tx_ids[:SHOWN_TX_IDS])
    more = len(a.tx_ids) - SHOWN_TX_IDS
    tail = f" … and {more:,} more (--json lists them all)" if more > 0 else ""
    out.print(f"transactions ({len(a.tx_ids):,}): {shown}{tail}")
