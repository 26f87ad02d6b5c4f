"""``counterflow ingest`` and ``counterflow transactions``: bring transactions into the
workspace, list, show and export them."""

from __future__ import annotations

import time
from datetime import datetime
from pathlib import Path
from typing import Any

import click

from counterflow.cli import console
from counterflow.cli.console import Column
from counterflow.cli.context import (
    Command,
    Group,
    dataset_option,
    output_option,
    resolve_dataset,
    state,
    workspace,
)
from counterflow.errors import ConfigError
from counterflow.io import CsvOptions
from counterflow.transactions import store
from counterflow.transactions.formats.amlsim import AmlsimReader
from counterflow.transactions.formats.amlworld import AmlworldReader
from counterflow.transactions.rates import Rates
from counterflow.transactions.registry import PARQUET_FOLDER, formats, is_parquet_folder, reader_for
from counterflow.transactions.schema import TABLES

#: ``--delimiter`` choices and the character each stands for
DELIMITERS = {",": ",", ";": ";", "tab": "\t", "|": "|"}
#: the formats whose files are CSV, where --delimiter applies
CSV_FORMATS = {"table", "amlsim", "amlworld"}


@click.command(cls=Command)
@click.argument("path", type=click.Path(exists=True, path_type=Path))
@click.option("--format", "fmt", type=click.Choice(sorted(formats())), help="Default: detected.")
@click.option(
    "--mapping",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="TOML file mapping a CSV/Parquet export's columns (see docs/transactions.md).",
)
@click.option(
    "--delimiter",
    type=click.Choice(list(DELIMITERS)),
    metavar="C",
    help="The CSV files' delimiter: , ; tab or | (default: found out from the file).",
)
@click.option(
    "--dataset",
    metavar="NAME",
    help="Name to file the rows under (default: from the file name).",
)
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
    metavar="FILE",
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
    delimiter: str | None,
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
    unless --max-errors lets some rows go to a side file. With --json, the import report.

    \b
    Example:
      counterflow ingest ../shared/data/transactions/amlsim/20K_fanin200 --dataset fanin --replace
      counterflow ingest ../shared/data/transactions/amlsim/sample_outputs --dataset sample
      counterflow ingest ../shared/data/transactions/amlsim/20K_cycle200 --delimiter , --json
    """
    ws = workspace(ctx)
    name = dataset or _default_name(path)
    started = time.perf_counter()
    if fmt == PARQUET_FOLDER or (fmt is None and mapping is None and is_parquet_folder(path)):
        # the files carry their base amounts already: --base names their currency
        if rates or max_errors or rejects or delimiter:
            raise click.UsageError(
                "--rates, --max-errors, --rejects and --delimiter do not apply to a Parquet "
                "folder, whose rows are checked whole and carry their base amounts (give --base "
                "for their currency)"
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
        _report(ctx, store.IngestReport(name, PARQUET_FOLDER, counts), started)
        return
    options = CsvOptions(delimiter=DELIMITERS[delimiter]) if delimiter else None
    reader = reader_for(path, fmt, mapping, csv_options=options)
    if options is not None and reader.format not in CSV_FORMATS:
        raise click.UsageError(f"--delimiter applies to CSV files, not to {reader.format}")
    if isinstance(reader, AmlsimReader) and start:
        reader.start = start.date()
    if isinstance(reader, AmlworldReader) and patterns:
        reader.patterns = patterns
    exchange = Rates.from_csv(rates, base) if rates else Rates(base)
    with console.counting(f"Reading {path.name}", unit="transactions") as progress:
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
    _report(ctx, report, started)
    if report.rejected:
        first = report.first_rejects[0]
        console.warn(
            f"{report.rejected:,} rows rejected, written to {report.rejects_path}; the first: "
            f"{first.location}: {first.problem}"
        )
    for currency, count in sorted(report.unpriced.items()):
        console.warn(
            f"{count:,} transactions in {currency} have no base amount "
            f"(no {currency} rate to {exchange.base}; give --rates)"
        )


def _report(ctx: click.Context, report: store.IngestReport, started: float) -> None:
    seconds = time.perf_counter() - started
    if state(ctx).json:
        console.emit_json(
            {
                "dataset": report.dataset,
                "format": report.format,
                "counts": report.counts,
                "rejected": report.rejected,
                "rejects_path": str(report.rejects_path) if report.rejects_path else None,
                "first_rejects": [
                    {"location": r.location, "problem": r.problem} for r in report.first_rejects
                ],
                "unpriced": report.unpriced,
                "seconds": round(seconds, 3),
            }
        )
        return
    parts = ", ".join(f"{n:,} {table.replace('_', ' ')}" for table, n in report.counts.items() if n)
    console.console.print(
        f"Imported dataset {report.dataset} ({report.format}): {parts} in {seconds:.1f} s."
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


# --------------------------------------------------------------------------- transactions


@click.group(cls=Group, invoke_without_command=True)
@click.pass_context
def transactions(ctx: click.Context) -> None:
    """The transaction datasets in the workspace (alone: the same as 'transactions list').

    \b
    Example:
      counterflow transactions
      counterflow transactions show --dataset world
    """
    if ctx.invoked_subcommand is None:
        ctx.invoke(list_cmd)


def _dataset_record(d: store.Dataset) -> dict[str, Any]:
    return {
        "dataset": d.dataset,
        "format": d.format,
        "source": d.source,
        "base_currency": d.base_currency,
        "imported_at": d.imported_at.isoformat(),
        "counts": d.counts,
    }


@transactions.command("list", cls=Command)
@click.pass_context
def list_cmd(ctx: click.Context) -> None:
    """List the transaction datasets: format, size, labels, when imported (UTC).

    \b
    Example:
      counterflow transactions list
      counterflow transactions list --json
    """
    with workspace(ctx).connect(read_only=True) as conn:
        found = store.list_datasets(conn)
    if state(ctx).json:
        console.emit_json([_dataset_record(d) for d in found])
        return
    if not found:
        console.console.print("No transactions yet. Import some: counterflow ingest PATH")
        return
    columns = [
        Column("dataset", "key"),
        Column("format", "short"),
        Column("transactions", "number"),
        Column("parties", "number"),
        Column("labels", "number"),
        Column("imported", "key"),
    ]
    rows = [
        [
            d.dataset,
            d.format,
            f"{d.counts.get('transactions', 0):,}",
            f"{d.counts.get('parties', 0):,}",
            f"{d.counts.get('party_labels', 0):,}",
            d.imported_at.strftime("%Y-%m-%d %H:%M"),
        ]
        for d in found
    ]
    console.console.print(console.table(columns, rows))


@transactions.command("show", cls=Command)
@dataset_option()
@click.pass_context
def show(ctx: click.Context, dataset: str | None) -> None:
    """One dataset in full: where it came from, its counts, its period and its labels.

    \b
    Example:
      counterflow transactions show --dataset world
      counterflow transactions show --dataset world --json
    """
    name = resolve_dataset(ctx, dataset)
    with workspace(ctx).connect(read_only=True) as conn:
        found = store.get_dataset(conn, name)
        first, last = conn.execute(
            "SELECT min(timestamp), max(timestamp) FROM transactions WHERE dataset = ?", [name]
        ).fetchall()[0]
        typologies = conn.execute(
            "SELECT coalesce(typology, '(none)') AS t, count(*) FROM transactions "
            "WHERE dataset = ? AND is_suspicious GROUP BY t ORDER BY t",
            [name],
        ).fetchall()
    record = _dataset_record(found)
    record["first"] = first.isoformat() if first else None
    record["last"] = last.isoformat() if last else None
    record["suspicious_transactions"] = {str(t): n for t, n in typologies}
    if state(ctx).json:
        console.emit_json(record)
        return
    out = console.console
    out.print(f"dataset       {found.dataset}")
    out.print(f"format        {found.format}")
    out.print(f"source        {found.source}")
    out.print(f"base currency {found.base_currency}")
    out.print(f"imported      {found.imported_at:%Y-%m-%d %H:%M} UTC")
    span = f"{first:%Y-%m-%d} to {last:%Y-%m-%d}" if first and last else "no transactions"
    out.print(f"period        {span}")
    for table, count in found.counts.items():
        out.print(f"{table.replace('_', ' '):<13} {count:,}")
    if typologies:
        out.print("suspicious transactions by typology (ground truth):")
        rows = [[str(t), f"{n:,}"] for t, n in typologies]
        out.print(
            console.table([Column("typology", "key"), Column("transactions", "number")], rows)
        )


@transactions.command("export", cls=Command)
@click.argument("dataset_arg", metavar="[DATASET]", required=False)
@dataset_option("The dataset to export (default: the only one).")
@output_option(
    "The folder to write (absent or empty).", required=True, folder=True, hidden_aliases=("--out",)
)
@click.pass_context
def export(ctx: click.Context, dataset_arg: str | None, dataset: str | None, output: str) -> None:
    """Write a dataset as canonical Parquet files (parties, accounts, transactions, labels)
    into a folder. DATASET (the old spelling) is the same as --dataset.

    \b
    Example:
      counterflow transactions export --dataset world -o world-parquet
    """
    if dataset_arg and dataset and dataset_arg != dataset:
        raise click.UsageError(f"two datasets given: {dataset_arg} and --dataset {dataset}")
    name = resolve_dataset(ctx, dataset or dataset_arg)
    out = Path(output)
    written = store.export_dataset(workspace(ctx), name, out)
    if state(ctx).json:
        console.emit_json(
            {"dataset": name, "output": str(out), "files": [str(p) for p in written.values()]}
        )
        return
    console.console.print(
        f"Wrote {', '.join(p.name for p in written.values())} of {name} to {out}."
    )
