"""``counterflow trace``: the money paths between a party and the listed parties."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import click
from rich.table import Table

from counterflow.cli import dataset_or_only, workspace
from counterflow.cli.console import console, shorten

if TYPE_CHECKING:  # the graph modules load Ibis and rustworkx: only when tracing
    from counterflow.graph.trace import MoneyPath, Trace


@click.command("trace")
@click.argument("party")
@click.option("--dataset", help="The transaction dataset to trace in (default: the only one).")
@click.option(
    "--hops",
    type=click.IntRange(1, 8),
    default=3,
    show_default=True,
    help="Most payments between the party and a listed party.",
)
@click.option(
    "--to-listed",
    is_flag=True,
    help="Only paths along which the party's money reaches a listed party (default: also "
    "those along which a listed party's money reaches it).",
)
@click.option(
    "--any-order",
    is_flag=True,
    help="Also paths the money cannot have taken (a payment out of a party before any came "
    "in): every dealing, whatever the dates.",
)
@click.option(
    "--min-usd",
    type=click.FloatRange(0),
    default=0.0,
    show_default=True,
    help="Leave out hops that carried less than this in all (USD): a coffee at a shop.",
)
@click.option(
    "--limit",
    type=click.IntRange(1),
    default=20,
    show_default=True,
    help="Most paths shown and exported, the strongest first.",
)
@click.option(
    "--ftm",
    "ftm_out",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Also write the paths as FollowTheMoney entities (JSON lines: parties and Payments).",
)
@click.option(
    "--graphml",
    "graphml_out",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Also write the paths as a GraphML graph (parties and summed payments).",
)
@click.pass_context
def trace(
    ctx: click.Context,
    party: str,
    dataset: str | None,
    hops: int,
    to_listed: bool,
    any_order: bool,
    min_usd: float,
    limit: int,
    ftm_out: Path | None,
    graphml_out: Path | None,
) -> None:
    """Follow the money between PARTY and the listed parties of a dataset: every chain of
    payments up to --hops long, with the amount and dates of each hop, strongest first.

    Listed parties are those the dataset's listed-counterparty alerts name (or, when it has
    none, those of any alert), so run the monitoring scenarios first. A path's amount is its
    bottleneck: no more than that can have gone all the way.

    \b
    Example:
      counterflow trace P00012345 --dataset world
      counterflow trace P00012345 --dataset world --hops 2 --to-listed --min-usd 1000
      counterflow trace P00012345 --dataset world --ftm paths.ftm.json --graphml paths.graphml
    """
    from counterflow.graph.trace import trace as trace_paths
    from counterflow.graph.trace import write_ftm, write_graphml

    result = trace_paths(
        workspace(ctx),
        dataset_or_only(ctx, dataset),
        party,
        hops=hops,
        to_listed=to_listed,
        ordered=not any_order,
        min_usd=min_usd,
        limit=limit,
    )
    _print(result, to_listed)
    if ftm_out:
        count = write_ftm(result, ftm_out)
        console.print(f"Wrote {count:,} FollowTheMoney entities to {ftm_out}.")
    if graphml_out:
        edges = write_graphml(result, graphml_out)
        console.print(f"Wrote the graph ({edges:,} payment links) to {graphml_out}.")


def _label(result: Trace, party: str) -> str:
    found = result.parties.get(party)
    name = found.name if found and found.name else None
    mark = " [listed]" if party in result.listed else ""
    return shorten(f"{name} ({party}){mark}" if name else f"{party}{mark}", 60)


def _print(result: Trace, to_listed: bool) -> None:
    which = "its money to them" if to_listed else "both ways"
    console.print(
        f"Money paths between {_label(result, result.party)} and the listed parties of "
        f"dataset {result.dataset} ({which}), up to {result.hops} hops; "
        f"{len(result.listed):,} listed parties, from {result.listed_from}."
    )
    if not result.paths:
        console.print("No path found.")
        return
    table = Table(show_edge=False)
    for column in ("path", "hop", "payer", "beneficiary", "USD", "payments", "first", "last"):
        table.add_column(column, justify="right" if column in ("USD", "payments") else "left")
    for number, path in enumerate(result.paths, start=1):
        _rows(table, result, number, path)
    console.print(table)
    more = result.found - len(result.paths)
    if more > 0:
        console.print(f"{more:,} weaker paths not shown (--limit).")


def _rows(table: Table, result: Trace, number: int, path: MoneyPath) -> None:
    for i, hop in enumerate(path.hops, start=1):
        head = f"#{number} {path.direction}, USD {path.usd:,.0f}" if i == 1 else ""
        table.add_row(
            head,
            str(i),
            _label(result, hop.payer),
            _label(result, hop.beneficiary),
            f"{hop.usd:,.2f}",
            f"{hop.payments:,}",
            hop.first.date().isoformat(),
            hop.last.date().isoformat(),
            end_section=i == len(path.hops),
        )
