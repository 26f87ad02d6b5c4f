"""``counterflow simulate``: a synthetic world with planted terrorist-financing channels."""

from __future__ import annotations

import time
from datetime import datetime
from pathlib import Path

import click

from counterflow.cli import workspace
from counterflow.cli.console import console, counting
from counterflow.cli.ingest_cmd import parquet_files
from counterflow.lists.store import active_entities
from counterflow.simulate.world import MIN_DAYS, MIN_PARTIES
from counterflow.transactions import store
from counterflow.workspace import Workspace

SIMULATED = "simulated"
#: list entries whose names the listed-counterparty channel varies
WATCHLIST_SCHEMATA = {"Person", "Organization", "Company", "LegalEntity"}


@click.command()
@click.option("--out", required=True, type=click.Path(file_okay=False, path_type=Path))
@click.option("--parties", type=click.IntRange(MIN_PARTIES), default=10_000, show_default=True)
@click.option("--days", type=click.IntRange(MIN_DAYS, 3_650), default=365, show_default=True)
@click.option("--seed", type=click.IntRange(0), default=1, show_default=True)
@click.option(
    "--start",
    type=click.DateTime(["%Y-%m-%d"]),
    default="2025-01-01",
    show_default=True,
    help="The first day of the world.",
)
@click.option("--dataset", help="Name in the workspace (default: the --out folder's name).")
@click.option("--no-load", is_flag=True, help="Write the Parquet files only.")
@click.option(
    "--fictitious-watchlist",
    is_flag=True,
    help="Vary generated listed names even when the workspace has lists.",
)
@click.option(
    "--overwrite",
    is_flag=True,
    help="Write into a non-empty --out that holds no earlier simulation (its files go).",
)
@click.pass_context
def simulate(
    ctx: click.Context,
    out: Path,
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
    watchlist. Simulating into the same --out again replaces that world and its dataset.

    \b
    Example:
      counterflow simulate --out world --parties 10000 --days 365 --seed 7
      counterflow simulate --out big --parties 200000 --days 365 --no-load
    """
    from counterflow.simulate import estimate_transactions
    from counterflow.simulate import simulate as run

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
    with counting(f"Simulating about {expected:,} transactions", unit="transactions") as progress:
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
    planted = sum(summary.planted.values())
    console.print(
        f"Simulated {summary.transactions:,} transactions of {summary.parties:,} parties "
        f"({summary.accounts:,} accounts) from {summary.first_day} to {summary.last_day} into "
        f"{out} in {summary.seconds:.1f} s; {planted:,} planted in "
        f"{len(summary.planted)} channels, names varied from a {summary.watchlist} watchlist."
    )
    for typology, count in summary.planted.items():
        console.print(
            f"   {typology:<24} {summary.instances.get(typology, 0):>5,} instances  "
            f"{count:>8,} transactions"
        )
    if no_load:
        return
    counts = store.load_parquet(
        ws, name, parquet_files(out), fmt=SIMULATED, source=source, mode=mode
    )
    console.print(
        f"Loaded as dataset {name}: {counts['transactions']:,} transactions "
        f"({time.perf_counter() - started:.1f} s in all)."
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
