"""``counterflow trace``: the money paths between a party and the listed parties."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import click

from counterflow.cli import console
from counterflow.cli.console import Column
from counterflow.cli.context import Command, dataset_option, resolve_dataset, state, workspace
from counterflow.io import is_stdout

if TYPE_CHECKING:  # the graph modules load Ibis and rustworkx: only when tracing
    from counterflow.graph.trace import Hop, Trace

FTM, GRAPHML = "ftm", "graphml"
#: what ``-o FILE`` writes, by the file name's ending
SUFFIXES = {".ftm.json": FTM, ".jsonl": FTM, ".graphml": GRAPHML}


def output_format(path: str) -> str:
    """The format ``-o path`` asks for, from its suffix; a usage error for any other."""
    name = path.lower()
    for suffix, fmt in SUFFIXES.items():
        if name.endswith(suffix) and not is_stdout(path):
            return fmt
    raise click.UsageError(
        f"-o {path}: the file name says the format: .ftm.json or .jsonl for FollowTheMoney "
        "entities, .graphml for a GraphML graph"
    )


@click.command("trace", cls=Command)
@click.argument("party")
@dataset_option("The transaction dataset to trace in (default: the only one).")
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
    "-o",
    "--output",
    "outputs",
    multiple=True,
    metavar="FILE",
    type=click.Path(dir_okay=False),
    help="Also write the paths to FILE (repeatable), the format by suffix: .ftm.json or .jsonl "
    "(FollowTheMoney entities: parties and Payments), .graphml (parties and summed payments).",
)
@click.option("--ftm", "ftm_out", hidden=True, type=click.Path(dir_okay=False))
@click.option("--graphml", "graphml_out", hidden=True, type=click.Path(dir_okay=False))
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
    outputs: tuple[str, ...],
    ftm_out: str | None,
    graphml_out: str | None,
) -> None:
    """Follow the money between PARTY and the listed parties of a dataset: every chain of
    payments up to --hops long, with the amount and dates of each hop, strongest first.

    Listed parties are those the dataset's listed-counterparty alerts name as confirmed hits
    (or, when it has none, those of any alert), so run the monitoring scenarios first. Their
    unconfirmed hits are traced to as well, marked "possible match" with the hit's score, and
    exported without the sanction.linked topic. A path's amount is its bottleneck: no more
    than that can have gone all the way.

    \b
    Example:
      counterflow trace P00000982 --dataset world
      counterflow trace P00000982 --dataset world --hops 2 --to-listed --min-usd 1000
      counterflow trace P00000982 --dataset world -o paths.ftm.json -o paths.graphml
    """
    from counterflow.graph.trace import trace as trace_paths

    # the old spellings (--ftm, --graphml) name the format whatever the suffix
    targets = [(path, output_format(path)) for path in outputs]
    targets += [(path, fmt) for path, fmt in ((ftm_out, FTM), (graphml_out, GRAPHML)) if path]
    result = trace_paths(
        workspace(ctx),
        resolve_dataset(ctx, dataset),
        party,
        hops=hops,
        to_listed=to_listed,
        ordered=not any_order,
        min_usd=min_usd,
        limit=limit,
    )
    written = [_write(result, path, fmt) for path, fmt in targets]
    if state(ctx).json:
        console.emit_json(_record(result, to_listed, written))
        return
    _print(result, to_listed)
    for line in written:
        console.console.print(line["message"])


def _write(result: Trace, path: str, fmt: str) -> dict[str, Any]:
    """Write one export (whole or not at all: the writers see to it); what was written, for
    the report."""
    from counterflow.graph.trace import write_ftm, write_graphml

    if fmt == FTM:
        count = write_ftm(result, path)
        message = f"Wrote {count:,} FollowTheMoney entities to {path}."
    else:
        count = write_graphml(result, path)
        message = f"Wrote the graph ({count:,} payment links) to {path}."
    return {"path": path, "format": fmt, "count": count, "message": message}


def _record(result: Trace, to_listed: bool, written: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "dataset": result.dataset,
        "party": result.party,
        "hops": result.hops,
        "direction": "to listed" if to_listed else "both",
        "listed": sorted(result.listed),
        "possible_matches": dict(sorted(result.possible.items())),
        "listed_from": result.listed_from,
        "found": result.found,
        "paths": [
            {
                "direction": path.direction,
                "usd": round(path.usd, 2),
                "parties": path.parties,
                "hops": [
                    {
                        "payer": hop.payer,
                        "beneficiary": hop.beneficiary,
                        "usd": round(hop.usd, 2),
                        "payments": hop.payments,
                        "first": hop.first.isoformat(),
                        "last": hop.last.isoformat(),
                        "transactions": list(hop.tx_ids),
                    }
                    for hop in path.hops
                ],
            }
            for path in result.paths
        ],
        "parties": {
            p.party_id: {
                "name": p.name,
                "kind": p.kind,
                "country": p.country,
                "listed": p.listed,
                "hit_score": p.hit_score,
                "confirmation": p.confirmation,
            }
            for p in result.parties.values()
        },
        "written": [{k: v for k, v in w.items() if k != "message"} for w in written],
    }


def _label(result: Trace, party: str) -> str:
    """The party's name and id, with its mark: ``[listed 0.97]`` for a confirmed hit,
    ``[possible match 0.87]`` for an unconfirmed one."""
    found = result.parties.get(party)
    name = found.name if found and found.name else None
    if found is not None:
        mark = f" [{found.mark}]" if found.mark else ""
    else:
        mark = " [listed]" if party in result.listed else ""
    return f"{name} ({party}){mark}" if name else f"{party}{mark}"


def _print(result: Trace, to_listed: bool) -> None:
    out = console.console
    which = "its money to them" if to_listed else "both ways"
    count = len(result.possible)
    possible = f" and {count:,} possible match{'es' if count != 1 else ''}" if count else ""
    out.print(
        f"Money paths between {_label(result, result.party)} and the listed parties of "
        f"dataset {result.dataset} ({which}), up to {result.hops} hops; "
        f"{len(result.listed):,} listed parties{possible}, from {result.listed_from}."
    )
    if not result.paths:
        out.print("No path found.")
        return
    # one line per path, then its hops in one table keyed by path number (party ids only, so
    # that the table fits), then who the parties are
    for number, path in enumerate(result.paths, start=1):
        out.print(f"#{number} {path.direction}, USD {path.usd:,.0f}: " + " → ".join(path.parties))
    columns = [
        Column("path", "key"),
        Column("hop", "number"),
        Column("payer", "key"),
        Column("beneficiary", "key"),
        Column("USD", "number"),
        Column("payments", "number"),
        Column("dates", "key"),
    ]
    rows: list[list[str]] = []
    ends: list[bool] = []
    for number, path in enumerate(result.paths, start=1):
        for i, hop in enumerate(path.hops, start=1):
            rows.append(_hop_row(number if i == 1 else None, i, hop))
            ends.append(i == len(path.hops))
    table = console.table(columns, rows)
    for row, end in zip(table.rows, ends, strict=True):
        row.end_section = end  # a rule under each path
    out.print(table)
    more = result.found - len(result.paths)
    if more > 0:
        out.print(f"{more:,} weaker paths not shown (--limit).")
    out.print("Parties:")
    seen = sorted({p for path in result.paths for p in path.parties})
    for party in seen:
        out.print(f"  {_label(result, party)}")


def _hop_row(number: int | None, i: int, hop: Hop) -> list[str]:
    first, last = hop.first.date().isoformat(), hop.last.date().isoformat()
    return [
        f"#{number}" if number else "",
        str(i),
        hop.payer,
        hop.beneficiary,
        f"{hop.usd:,.2f}",
        f"{hop.payments:,}",
        first if first == last else f"{first}\n{last}",
    ]
