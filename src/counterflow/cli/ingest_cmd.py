"""``counterflow ingest`` and ``counterflow transactions``: bring transactions into the
workspace, list and export them."""

from __future__ import annotations

import time
from datetime import datetime
from pathlib import Path

import click
from rich.table import Table

from counterflow.cli import workspace
from counterflow.cli.console import console, counting, err_console
from counterflow.errors import ConfigError
from counterflow.transactions import store
from counterflow.transactions.formats.amlsim import AmlsimReader
from counterflow.transactions.formats.amlworld import AmlworldReader
from counterflow.transactions.rates import Rates
from counterflow.transactions.registry import PARQUET_FOLDER, formats, is_parquet_folder, reader_for
from counterflow.transactions.schema import TABLES


@click.command()
@click.argument("path", type=click.Path(exists=True, path_type=Path))
@click.option("--format", "fmt", type=click.Choice(sorted(formats())), help="Default: detected.")
@click.option(
    "--mapping",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="TOML file mapping a CSV/Parquet export's columns (see docs/transactions.md).",
)
@click.option("--dataset", help="Name to file the rows under (default: from the file name).")
@click.option("--append", "mode", flag_value="append", help="Add to an existing dataset.")
@click.option("--replace", "mode", flag_value="replace", help="Replace an existing dataset.")
@click.option(
    "--max-errors",
    type=click.IntRange(0),
    default=0,
    show_default=True,
    help="Rows that may be rejected (written to a side file) before the import fails.",
)
@click.option(
    "--rejects",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Where rejected rows go (default: PATH.rejects.csv).",
)
@click.option(
    "--base",
    default="USD",
    show_default=True,
    help="Base currency for base_amount (for a Parquet folder: the one its rows are in).",
)
@click.option(
    "--rates",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="CSV of currency,rate (units of the base currency per unit); default: reference rates.",
)
@click.option(
    "--start",
    type=click.DateTime(["%Y-%m-%d"]),
    help="AMLSim: the date of step 1 (default 2017-01-01).",
)
@click.option(
    "--patterns",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="AMLworld: the patterns file (default: *_Patterns.txt beside the file).",
)
@click.pass_context
def ingest(
    ctx: click.Context,
    path: Path,
    fmt: str | None,
    mapping: Path | None,
    dataset: str | None,
    mode: str | None,
    max_errors: int,
    rejects: Path | None,
    base: str,
    rates: Path | None,
    start: datetime | None,
    patterns: Path | None,
) -> None:
    """Import transactions: a bank's CSV or Parquet export (with --mapping), IBM AMLworld or
    AMLSim output, ISO 20022 pacs.008 or SWIFT MT103 messages, or a counterflow Parquet folder.

    The import is all or nothing: a bad row fails it, naming the file, the row and the field,
    unless --max-errors lets some rows go to a side file.

    \b
    Example:
      counterflow ingest ../shared/data/transactions/amlsim/20K_fanin200 --dataset fanin
      counterflow ingest bank-export.csv --mapping bank-x.toml --dataset bank-x-2026-05
      counterflow ingest payments.xml --max-errors 10
    """
    ws = workspace(ctx)
    name = dataset or _default_name(path)
    started = time.perf_counter()
    if fmt == PARQUET_FOLDER or (fmt is None and mapping is None and is_parquet_folder(path)):
        # the files carry their base amounts already: --base names their currency
        if rates or max_errors or rejects:
            raise click.UsageError(
                "--rates, --max-errors and --rejects do not apply to a Parquet folder, whose "
                "rows are checked whole and carry their base amounts (give --base for their "
                "currency)"
            )
        files = parquet_files(path)
        if not files["transactions"]:
            raise ConfigError(f"{path} holds no transactions.parquet nor transactions/*.parquet")
        counts = store.load_parquet(
            ws,
            name,
            files,
            fmt=PARQUET_FOLDER,
            source=str(path.resolve()),
            mode=mode or "new",
            base_currency=base.upper(),
        )
        _summary(name, PARQUET_FOLDER, counts, time.perf_counter() - started)
        return
    reader = reader_for(path, fmt, mapping)
    if isinstance(reader, AmlsimReader) and start:
        reader.start = start.date()
    if isinstance(reader, AmlworldReader) and patterns:
        reader.patterns = patterns
    exchange = Rates.from_csv(rates, base) if rates else Rates(base)
    with counting(f"Reading {path.name}", unit="transactions") as progress:
        report = store.ingest(
            ws,
            path,
            reader,
            dataset=name,
            mode=mode or "new",
            max_errors=max_errors,
            rejects_path=rejects,
            rates=exchange,
            progress=progress,
        )
    _summary(name, reader.format, report.counts, time.perf_counter() - started)
    if report.rejected:
        err_console.print(
            f"{report.rejected:,} rows rejected, written to {report.rejects_path}; the first: "
            f"{report.first_rejects[0].location}: {report.first_rejects[0].problem}"
        )
    for currency, count in sorted(report.unpriced.items()):
        err_console.print(
            f"warning: {count:,} transactions in {currency} have no base amount "
            f"(no {currency} rate to {exchange.base}; give --rates)"
        )


def parquet_files(path: Path) -> dict[str, list[Path]]:
    """The canonical Parquet files of a folder: ``<table>.parquet`` or ``<table>/*.parquet``."""
    found: dict[str, list[Path]] = {}
    for table in TABLES:
        single = path / f"{table}.parquet"
        parts = sorted((path / table).glob("*.parquet")) if (path / table).is_dir() else []
        found[table] = [single] if single.exists() else parts
    return found


def _default_name(path: Path) -> str:
    stem = path.name if path.is_dir() else path.stem
    cleaned = "".join(c if c.isalnum() or c in "-_." else "-" for c in stem).strip("-._")
    return cleaned[:64] or "transactions"


def _summary(name: str, fmt: str, counts: dict[str, int], seconds: float) -> None:
    parts = ", ".join(f"{n:,} {table.replace('_', ' ')}" for table, n in counts.items() if n)
    console.print(f"Imported dataset {name} ({fmt}): {parts} in {seconds:.1f} s.")


@click.group(invoke_without_command=True)
@click.pass_context
def transactions(ctx: click.Context) -> None:
    """The transaction datasets in the workspace.

    \b
    Example:
      counterflow transactions
      counterflow transactions export fanin --out fanin-parquet
    """
    if ctx.invoked_subcommand is not None:
        return
    with workspace(ctx).connect(read_only=True) as conn:
        found = store.list_datasets(conn)
    if not found:
        console.print("No transactions yet. Import some: counterflow ingest PATH")
        return
    table = Table(show_edge=False)
    for column in (
        "dataset",
        "format",
        "transactions",
        "parties",
        "accounts",
        "labels",
        "base",
        "imported (UTC)",
    ):
        table.add_column(
            column,
            justify="right"
            if column in ("transactions", "parties", "accounts", "labels")
            else "left",
        )
    for d in found:
        table.add_row(
            d.dataset,
            d.format,
            f"{d.counts.get('transactions', 0):,}",
            f"{d.counts.get('parties', 0):,}",
            f"{d.counts.get('accounts', 0):,}",
            f"{d.counts.get('party_labels', 0):,}",
            d.base_currency,
            d.imported_at.strftime("%Y-%m-%d %H:%M"),
        )
    console.print(table)


@transactions.command("export")
@click.argument("dataset")
@click.option("--out", required=True, type=click.Path(file_okay=False, path_type=Path))
@click.pass_context
def export(ctx: click.Context, dataset: str, out: Path) -> None:
    """Write a dataset as canonical Parquet files (parties, accounts, transactions, labels).

    \b
    Example:
      counterflow transactions export fanin --out fanin-parquet
    """
    written = store.export_dataset(workspace(ctx), dataset, out)
    console.print(f"Wrote {', '.join(p.name for p in written.values())} to {out}.")
