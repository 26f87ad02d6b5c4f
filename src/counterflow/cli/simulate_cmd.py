"""``counterflow simulate``: a synthetic world with planted terrorist-financing channels."""

from __future__ import annotations

import time
from datetime import datetime
from pathlib import Path

import click

from counterflow.cli import console
from counterflow.cli.console import Column
from counterflow.cli.context import Command, output_option, seed_option, state, workspace
from counterflow.cli.ingest_cmd import parquet_files
from counterflow.lists.store import active_entities
from counterflow.simulate.world import MIN_DAYS, MIN_PARTIES
from counterflow.transactions import store
from counterflow.workspace import Workspace

SIMULATED = "simulated"
#: list entries whose names the listed-counterparty channel varies
WATCHLIST_SCHEMATA = {"Person", "Organization", "Company", "LegalEntity"}


@click.command(cls=Command)
@output_option(
    "The folder to write the world into (absent, empty, or an earlier simulation).",
    required=True,
    folder=True,
    hidden_aliases=("--out",),
)
@click.option("--parties", type=click.IntRange(MIN_PARTIES), default=10_000, show_default=True)
@click.option("--days", type=click.IntRange(MIN_DAYS, 3_650), default=365, show_default=True)
@seed_option("Seed of the world: the same seed (and sizes), the same world.")
@click.option(
    "--start",
    type=click.DateTime(["%Y-%m-%d"]),
    default="2025-01-01",
    show_default=True,
    help="The first day of the world.",
)
@click.option(
    "--dataset", metavar="NAME", help="Name in the workspace (default: the output folder's name)."
)
@click.option("--no-load", is_flag=True, help="Write the Parquet files only.")
@click.option(
    "--fictitious-watchlist",
    is_flag=True,
    help="Vary generated listed names even when the workspace has lists.",
)
@click.option(
    "--overwrite",
    is_flag=True,
    help="Write into a non-empty folder that holds no earlier simulation (its files go).",
)
@click.pass_context
def simulate(
    ctx: click.Context,
    output: str,
    parties: int,
    days: int,
    seed: int,
    start: datetime,
    dataset: str | None,
    no_load: bool,
    fictitious_watchlist: bool,
    overwrite: bool,
) -> None:
    """Simulate customers, accounts and transactions with planted terrorist-financing channels
    (oil, grain, phosphates, antiquities, donations, ransom, listed counterparties, hubs,
    travel funding, layering) and their ground truth, into Parquet and the workspace.

    The same seed gives the same world, of about 50 transactions per party per year.
    The listed-counterparty channel varies the names of the UN ISIL & Al-Qaida entries (or,
    without the UN list, of the workspace's other lists), else of a generated fictitious
    watchlist. Simulating into the same folder again replaces that world and its dataset.
    The seed is printed, and recorded in the folder's world.json (and in --json).

    \b
    Example:
      counterflow simulate -o world7 --parties 2000 --days 60 --seed 7
      counterflow simulate -o parquet-only --parties 2000 --days 30 --no-load --json
    """
    from counterflow.simulate import estimate_transactions
    from counterflow.simulate import simulate as run

    out = Path(output)
    ws = workspace(ctx)
    name = store.check_dataset_name(dataset or out.name)
    source = str(out.resolve())
    mode = _mode(ws, name, source)
    if mode == "taken" and not no_load:
        raise click.UsageError(
            f"the workspace already has a dataset {name!r} from elsewhere; "
            "give --dataset NAME (or --no-load)"
        )
    watchlist = None if fictitious_watchlist else _watchlist(ws)
    expected = estimate_transactions(parties, days)
    started = time.perf_counter()
    with console.counting(
        f"Simulating about {expected:,} transactions", unit="transactions"
    ) as progress:
        done = 0

        def advance(written: int) -> None:
            nonlocal done
            done += written
            progress(done)

        summary = run(
            out,
            parties=parties,
            days=days,
            seed=seed,
            start=start.date(),
            watchlist=watchlist,
            overwrite=overwrite,
            progress=advance,
        )
    counts = None
    if not no_load:
        counts = store.load_parquet(
            ws, name, parquet_files(out), fmt=SIMULATED, source=source, mode=mode
        )
    seconds = time.perf_counter() - started
    if state(ctx).json:
        console.emit_json(
            {
                "output": str(out),
                "seed": summary.seed,
                "parties": summary.parties,
                "accounts": summary.accounts,
                "transactions": summary.transactions,
                "suspicious_transactions": summary.suspicious_transactions,
                "first_day": summary.first_day.isoformat(),
                "last_day": summary.last_day.isoformat(),
                "watchlist": summary.watchlist,
                "channels": {
                    typology: {
                        "instances": summary.instances.get(typology, 0),
                        "transactions": count,
                    }
                    for typology, count in summary.planted.items()
                },
                "dataset": name if counts is not None else None,
                "loaded": counts,
                "seconds": round(seconds, 3),
            }
        )
        return
    planted = sum(summary.planted.values())
    out_console = console.console
    out_console.print(
        f"Simulated {summary.transactions:,} transactions of {summary.parties:,} parties "
        f"({summary.accounts:,} accounts) from {summary.first_day} to {summary.last_day} into "
        f"{out} with seed {summary.seed} in {summary.seconds:.1f} s; {planted:,} planted in "
        f"{len(summary.planted)} channels, names varied from a {summary.watchlist} watchlist."
    )
    columns = [
        Column("channel", "key"),
        Column("instances", "number"),
        Column("transactions", "number"),
    ]
    rows = [
        [typology, f"{summary.instances.get(typology, 0):,}", f"{count:,}"]
        for typology, count in summary.planted.items()
    ]
    out_console.print(console.table(columns, rows))
    if counts is not None:
        out_console.print(
            f"Loaded as dataset {name}: {counts['transactions']:,} transactions "
            f"({seconds:.1f} s in all)."
        )


def _mode(ws: Workspace, name: str, source: str) -> str:
    """``replace`` when the dataset is this same folder simulated before, ``new`` when there is
    none of that name, else ``taken``."""
    with ws.connect(read_only=True) as conn:
        existing = store.find_dataset(conn, name)
    if existing is None:
        return "new"
    if existing.format == SIMULATED and existing.source == source:
        return "replace"
    return "taken"


def _watchlist(ws: Workspace) -> list[tuple[str, str]] | None:
    """(entity id, primary name) of the listed people and organisations to imitate: the UN
    ISIL (Da'esh) & Al-Qaida entries (QDi, QDe) when the UN list is there, else every person
    and organisation of the active editions."""
    with ws.connect(read_only=True) as conn:
        _, entities = active_entities(conn)
    found = [(e.id, e.caption) for e in entities if e.schema.name in WATCHLIST_SCHEMATA]
    isil = [(i, name) for i, name in found if i.startswith(("un-sc:QDi.", "un-sc:QDe."))]
    return isil or found or None
