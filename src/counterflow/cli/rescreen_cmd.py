"""``counterflow rescreen``: screen the customer base against what a new list edition changed.

Only the entries added or changed since the edition last re-screened (per list) are screened,
against every customer; hits on removed entries are reported as lifted. The run and its hits
are kept in the workspace, and written to ``-o FILE`` (CSV or Parquet). See
:mod:`counterflow.screening.rescreen`.
"""

from __future__ import annotations

from pathlib import Path

import click

from counterflow.cases import DecisionStore
from counterflow.cli.console import Column, console, emit_json, note, table, warn
from counterflow.cli.context import output_option, state, workspace
from counterflow.screening import DEFAULT_THRESHOLD
from counterflow.screening.rescreen import DEFAULT_LIMIT, STATUSES, rescreen

_SHOWN = 20


@click.command("rescreen")
@click.option(
    "--list", "lists", multiple=True, help="Re-screen this list only (repeatable; default: all)."
)
@click.option(
    "--from",
    "since",
    metavar="EDITION",
    help="Start from this edition (one list) instead of the one last re-screened.",
)
@click.option(
    "--to",
    "until",
    metavar="EDITION",
    help="Screen this edition (one list) instead of the active one.",
)
@output_option("Write the hits to this CSV or Parquet file ('-': standard output).")
@click.option(
    "--threshold",
    type=click.FloatRange(0.0, 1.0),
    default=DEFAULT_THRESHOLD,
    show_default=True,
    help="Report hits scoring at least this (0-1), as 'screen' does.",
)
@click.option(
    "--limit",
    type=click.IntRange(1),
    default=DEFAULT_LIMIT,
    show_default=True,
    help="Results kept per customer, as 'screen --input' does.",
)
@click.pass_context
def rescreen_cmd(
    ctx: click.Context,
    lists: tuple[str, ...],
    since: str | None,
    until: str | None,
    output: str | None,
    threshold: float,
    limit: int,
) -> None:
    """Screen the customer base against the list entries added or changed since the last
    re-screen, and lift the hits of removed entries.

    Each list remembers the edition last re-screened; a list never re-screened starts there
    (nothing is screened for it: screen the base in full once). The hits are the ones
    'counterflow screen' would give those customers on those entries: new, re-raised (an
    analyst's clearing whose entry changed), still cleared, and lifted.

    \b
    Example:
      counterflow rescreen --list un-sc --from 2024-09-26 -o rescreen.csv
      counterflow rescreen
    """
    ws = workspace(ctx)
    report = rescreen(
        ws,
        lists=list(lists) or None,
        since=since,
        until=until,
        threshold=threshold,
        limit=limit,
        decisions=DecisionStore(ws.home),
        output=Path(output) if output and output != "-" else output,
        progress=note,
    )
    if state(ctx).json:
        emit_json({**report.to_json(), "hits": [h.to_row() for h in report.hits]})
        return
    for delta in report.baselines:
        note(
            f"{delta.list_id}: first re-screen; edition {delta.new.label} recorded as the "
            "starting point (nothing screened)"
        )
    for delta in report.deltas:
        assert delta.old is not None
        if delta.old.edition_id == delta.new.edition_id:
            note(f"{delta.list_id}: edition {delta.new.label} already re-screened")
        else:
            note(
                f"{delta.list_id}: {delta.old.label} -> {delta.new.label}: {delta.added:,} added, "
                f"{delta.changed:,} changed, {delta.removed:,} removed"
            )
    if report.unscreened:
        warn(
            f"{report.unscreened:,} customers were imported or changed since the last re-screen: "
            "a re-screen screens them against the changed entries only; screen them in full "
            "once (counterflow screen --input)"
        )
    counts = report.counts
    summary = ", ".join(f"{counts[s]:,} {s}" for s in STATUSES)
    console.print(
        f"Re-screened {report.customers:,} customers against {len(report.screened_entries):,} "
        f"new or changed entries ({report.scored_pairs:,} pairs scored) in "
        f"{report.seconds:.1f} s: {summary}. Run {report.run_id}."
    )
    if report.hits and output is None:
        rows = [
            (
                h.status,
                h.customer_id,
                h.list_ref,
                h.caption,
                "" if h.score is None else f"{h.score:.2f}",
            )
            for h in report.hits[:_SHOWN]
        ]
        console.print(
            table(
                (
                    Column("status", "key"),
                    Column("customer", "key"),
                    Column("entry", "key"),
                    Column("caption", "text"),
                    Column("score", "number"),
                ),
                rows,
            )
        )
        if len(report.hits) > _SHOWN:
            note(f"… and {len(report.hits) - _SHOWN:,} more: write them all with -o FILE")
