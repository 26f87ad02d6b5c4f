"""``counterflow screen …``: one name, a file of parties, or a file of name pairs."""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click
from rich.table import Table

from counterflow.cases import DecisionStore
from counterflow.cli import workspace
from counterflow.cli.console import console, counting, shorten
from counterflow.model import SCHEMATA
from counterflow.screening import DEFAULT_THRESHOLD, Match, Query, Screener
from counterflow.screening.batch import score_pairs_file, screen_file

F = TypeVar("F", bound=Callable[..., Any])

_THRESHOLD = click.option(
    "--threshold",
    type=click.FloatRange(0.0, 1.0),
    default=DEFAULT_THRESHOLD,
    show_default=True,
    help="Report results scoring at least this (0-1).",
)
_LIMIT = click.option(
    "--limit",
    type=click.IntRange(1, 100),
    default=5,
    show_default=True,
    help="Most results per query.",
)
_LISTS = click.option(
    "--list",
    "lists",
    multiple=True,
    help="Screen against this list only (repeatable; default: all).",
)


class _ScreenGroup(click.Group):
    """``screen NAME`` screens one name; ``screen pairs`` and ``screen --input`` do files."""

    def resolve_command(
        self, ctx: click.Context, args: list[str]
    ) -> tuple[str | None, click.Command | None, list[str]]:
        if args and args[0] not in self.commands:
            return "name", self.commands["name"], args
        return super().resolve_command(ctx, args)


def _screener(ctx: click.Context, lists: tuple[str, ...], threshold: float) -> Screener:
    with counting("Indexing the active list editions", unit="entries"):
        screener = Screener.from_workspace(workspace(ctx), lists or None, threshold=threshold)
    if not len(screener):
        raise click.ClickException(
            "no list entries to screen against: import a list first "
            "('counterflow lists import PATH', or 'counterflow demo')"
            + (f" (asked for: {', '.join(lists)})" if lists else "")
        )
    return screener


@click.group(cls=_ScreenGroup, invoke_without_command=True)
@click.option(
    "--input",
    "input_path",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="CSV or Parquet file of parties to screen.",
)
@click.option(
    "--output",
    "output_path",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Where to write the results (CSV or Parquet, by extension).",
)
@_THRESHOLD
@_LIMIT
@_LISTS
@click.pass_context
def screen(
    ctx: click.Context,
    input_path: Path | None,
    output_path: Path | None,
    threshold: float,
    limit: int,
    lists: tuple[str, ...],
) -> None:
    """Screen names against the lists in the workspace.

    \b
    One name, as a table of hits with their reasons:
      counterflow screen "NAME" [--schema S] [--birth-date D] [--country C] [--list L]
    A file of parties (columns: id, name or full_name, first_name, middle_name, last_name,
    schema, birth_date or date_of_birth, nationality, country, gender, id_number):
      counterflow screen --input Q.csv --output R.csv [--threshold T] [--limit N]
    A file of name pairs (columns name1, name2[, schema]):
      counterflow screen pairs --input P.csv --output S.csv

    \b
    Example:
      counterflow screen "dzhebhat EN-Nusra"
      counterflow screen "Aiman al-Zawahiri" --birth-date 1951 --schema Person
      counterflow screen --input customers.csv --output hits.csv --threshold 0.85
    """
    if ctx.invoked_subcommand is not None:
        return
    if input_path is None or output_path is None:
        click.echo(ctx.get_help())
        if input_path or output_path:
            raise click.UsageError("--input and --output go together")
        return
    screener = _screener(ctx, lists, threshold)
    started = time.perf_counter()
    with counting(f"Screening {input_path.name}", unit="rows") as progress:
        report = screen_file(
            screener, input_path, output_path, threshold=threshold, limit=limit, progress=progress
        )
    for warning in report.warnings[:20]:
        click.echo(f"warning: {warning}", err=True)
    if len(report.warnings) > 20:
        click.echo(f"warning: … and {len(report.warnings) - 20} more rows skipped", err=True)
    elapsed = time.perf_counter() - started
    console.print(
        f"Screened {report.screened:,} of {report.rows:,} rows against "
        f"{len(screener):,} entries in {elapsed:.1f} s: {report.results:,} results at "
        f"or above {threshold:.2f} written to {output_path}."
    )


def query_options(command: F) -> F:
    """The options that describe a party beside its name (shared with 'decisions clear')."""
    for option in reversed(
        (
            click.option(
                "--schema",
                type=click.Choice(sorted(SCHEMATA)),
                help="What the name is of (default: anything).",
            ),
            click.option(
                "--birth-date", "birth_dates", multiple=True, help="Date of birth, any precision."
            ),
            click.option("--country", "countries", multiple=True, help="Nationality or country."),
            click.option("--gender", type=click.Choice(["male", "female"])),
            click.option(
                "--id-number", "identifiers", multiple=True, help="Passport, ID or IMO number."
            ),
        )
    ):
        command = option(command)
    return command


@screen.command("name", hidden=True)
@click.argument("name")
@query_options
@_THRESHOLD
@_LIMIT
@_LISTS
@click.option("--json", "as_json", is_flag=True, help="Print matches with full explanations.")
@click.pass_context
def name_cmd(
    ctx: click.Context,
    name: str,
    schema: str | None,
    birth_dates: tuple[str, ...],
    countries: tuple[str, ...],
    gender: str | None,
    identifiers: tuple[str, ...],
    threshold: float,
    limit: int,
    lists: tuple[str, ...],
    as_json: bool,
) -> None:
    """Screen one name (see 'counterflow screen --help').

    \b
    Example:
      counterflow screen "Джебхат ан-Нусра" --limit 3
    """
    query = Query.make(
        name,
        schema=schema,
        birth_date=birth_dates,
        country=countries,
        gender=gender,
        identifier=identifiers,
    )
    screener = _screener(ctx, lists, threshold)
    matches = screener.screen(query, limit=limit, threshold=threshold)
    notes = _decision_notes(DecisionStore(workspace(ctx).home), query, matches)
    if as_json:
        out: list[dict[str, Any]] = [
            {
                "id": m.entity.id,
                "caption": m.entity.caption,
                "schema": m.entity.schema.name,
                "list": m.entity.list_id,
                "list_ref": m.entity.ref,
                "score": m.score,
                "match": m.is_match and not (note and note["status"] == "cleared"),
                "decision": note,
                "explanation": m.explanation,
            }
            for m, note in zip(matches, notes, strict=True)
        ]
        sys.stdout.write(json.dumps(out, ensure_ascii=False, indent=2) + "\n")
        return
    if not matches:
        console.print(
            f"No entry scores {threshold:.2f} or more for {name!r} "
            f"({len(screener):,} entries screened)."
        )
        return
    table = Table(show_edge=False)
    for column in ("score", "list", "ref", "schema", "entry", "why"):
        table.add_column(column, overflow="fold")
    for m, note in zip(matches, notes, strict=True):
        why = m.summary()
        if note and note["status"] == "cleared":
            why = f"CLEARED by {note['analyst']} ({note['decision_id']}): {note['reason']}. {why}"
        elif note:
            why = f"entry changed since {note['decision_id']} cleared it: review. {why}"
        table.add_row(
            f"{m.score:.2f}",
            m.entity.list_id,
            m.entity.ref,
            m.entity.schema.name,
            shorten(m.entity.caption, 40),
            why,
        )
    console.print(table)


def _decision_notes(
    decisions: DecisionStore, query: Query, matches: list[Match]
) -> list[dict[str, str] | None]:
    """Analysts' decisions on these hits: cleared, or cleared before the entry changed."""
    decisions.refresh()
    fingerprint = query.fingerprint()
    notes: list[dict[str, str] | None] = []
    for m in matches:
        found = decisions.lookup(fingerprint, m.entity)
        notes.append(
            None
            if found is None
            else {
                "decision_id": found.decision.decision_id,
                "status": found.status,
                "analyst": found.decision.analyst,
                "time": found.decision.time,
                "reason": found.decision.reason,
            }
        )
    return notes


@screen.command("pairs")
@click.option(
    "--input",
    "input_path",
    required=True,
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="CSV or Parquet with columns name1, name2 and optionally schema.",
)
@click.option(
    "--output",
    "output_path",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="Where to write name1, name2, schema, score, is_match.",
)
@_THRESHOLD
def pairs_cmd(input_path: Path, output_path: Path, threshold: float) -> None:
    """Score pairs of names against each other, without any list.

    \b
    Example:
      counterflow screen pairs --input pairs.csv --output scored.csv
    """
    with counting(f"Scoring {input_path.name}", unit="pairs") as progress:
        report = score_pairs_file(input_path, output_path, threshold=threshold, progress=progress)
    for warning in report.warnings[:20]:
        click.echo(f"warning: {warning}", err=True)
    console.print(f"Scored {report.screened:,} of {report.rows:,} pairs into {output_path}.")
