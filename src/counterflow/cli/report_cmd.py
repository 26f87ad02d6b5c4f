"""``counterflow report``: printable reports over what monitoring found.

``report channels`` tables a dataset's alerted flows by channel (oil, grain, cement, cotton,
phosphates, antiquities, donations, ransom, hubs, layering …), by month and by corridor, and
writes them with SVG charts as one self-contained HTML file. It only reads the workspace.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import click

from counterflow.cli import console
from counterflow.cli.console import Column
from counterflow.cli.context import (
    Group,
    dataset_option,
    output_option,
    resolve_dataset,
    state,
    workspace,
)
from counterflow.io import is_stdout

if TYPE_CHECKING:  # the report loads Jinja2: only when one is made
    from counterflow.reporting.channels import ChannelsReport


@click.group(cls=Group)
def report() -> None:
    """Printable reports over the stored alerts: self-contained HTML with charts, no script,
    nothing fetched (print them to PDF from any browser).

    \b
    Example:
      counterflow report channels --dataset world -o channels.html
    """


@report.command("channels")
@dataset_option("Whose alerts (default: the only dataset).")
@output_option("Write the HTML report to FILE ('-': standard output).")
@click.pass_context
def channels(ctx: click.Context, dataset: str | None, output: str | None) -> None:
    """Alerted flows by channel, the way the UN Monitoring Team tables ISIL's revenue by
    source: the amounts (in the dataset's base currency, USD by default), transactions,
    alerts and parties of each channel, by month and by corridor (payer country to
    beneficiary country). A transaction counts once per channel, and once in the totals.

    Without -o the channel table is printed; with -o FILE the whole report, charts included,
    is written as one HTML file. --json prints the figures. Run the scenarios first
    (counterflow monitor).

    \b
    Example:
      counterflow report channels --dataset world
      counterflow report channels --dataset world -o channels.html
      counterflow report channels --dataset world --json
    """
    from counterflow.reporting.channels import channels_report, write_html

    cli = state(ctx)
    if output is not None and is_stdout(output) and cli.json:
        raise click.UsageError("--json prints the figures on standard output: give -o FILE")
    found = channels_report(workspace(ctx), resolve_dataset(ctx, dataset))
    if output is not None:
        write_html(found, output)
    if cli.json:
        record: dict[str, Any] = found.to_dict()
        record["written"] = output
        console.emit_json(record)
        return
    if output is not None and is_stdout(output):
        console.note(_summary(found))
        return
    _print(found)
    if output is not None:
        console.note(f"Wrote the channels report of dataset {found.dataset} to {output}.")


def _summary(found: ChannelsReport) -> str:
    from counterflow.reporting.charts import money

    return (
        f"{len(found.channels)} channels, {found.alerts:,} alerts, "
        f"{found.transactions:,} alerted transactions, {money(found.amount, found.currency)} "
        f"on dataset {found.dataset}."
    )


def _print(found: ChannelsReport) -> None:
    from counterflow.reporting.charts import money

    out = console.console
    if not found.channels:
        out.print(
            f"No alerted transactions on dataset {found.dataset}. Run the scenarios first: "
            f"counterflow monitor --dataset {found.dataset}"
        )
        return
    columns = [
        Column("channel", "key"),
        Column(found.currency, "number"),
        Column("txs", "number"),
        Column("alerts", "number"),
        Column("parties", "number"),
    ]
    rows = [
        [
            row.channel,
            money(row.amount, found.currency).split(" ", 1)[1],
            f"{row.transactions:,}",
            f"{row.alerts:,}",
            f"{row.parties:,}",
        ]
        for row in found.channels
    ]
    out.print(console.table(columns, rows))
    out.print(
        f"All channels, each transaction once: {money(found.amount, found.currency)} in "
        f"{found.transactions:,} transactions, {found.alerts:,} alerts, {found.parties:,} "
        f"parties; {len(found.corridors):,} corridors."
    )
    if found.without_amount:
        out.print(
            f"{found.without_amount:,} alerted transactions have no rate to {found.currency} "
            "and are counted without an amount."
        )
