"""``counterflow screen …``: one name, a file of parties, or name pairs.

``screen`` is a group whose first argument decides: ``pairs`` runs the subcommand, anything else
is the NAME to screen, with the options before or after it (``screen --schema Person "X"`` and
``screen "X" --schema Person`` are the same). To screen the name "pairs" itself, end the
options first: ``counterflow screen -- pairs``.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click

from counterflow.cases import DecisionStore
from counterflow.cli.console import Column, console, counting, emit_json, note, table, warn
from counterflow.cli.context import (
    ArgumentOrCommandGroup,
    limit_option,
    output_option,
    state,
    workspace,
)
from counterflow.cli.engine_options import check_engine_options, engine_options, spark_for
from counterflow.cli.lists_cmd import nothing_imported
from counterflow.errors import DataError
from counterflow.io import STDOUT, CsvOptions, TableWriter, is_stdout
from counterflow.model import SCHEMATA
from counterflow.screening import DEFAULT_THRESHOLD, Match, Query, Screener
from counterflow.screening.batch import (
    PAIR_COLUMNS,
    PAIR_SCHEMA,
    RESULT_COLUMNS,
    BatchReport,
    score_pairs_file,
    screen_file,
)
from counterflow.screening.pairs import score_pair
from counterflow.screening.query import MAX_QUERY_NAME

F = TypeVar("F", bound=Callable[..., Any])

#: what ``--delimiter`` accepts, and the character each stands for
DELIMITERS = {",": ",", ";": ";", "tab": "\t", "\t": "\t", "\\t": "\t", "|": "|"}
#: warnings shown per batch; the rest are counted
_SHOWN_WARNINGS = 20

_THRESHOLD = click.option(
    "--threshold",
    type=click.FloatRange(0.0, 1.0),
    default=DEFAULT_THRESHOLD,
    show_default=True,
    help="Report results scoring at least this (0-1).",
)
_LISTS = click.option(
    "--list",
    "lists",
    multiple=True,
    help="Screen against this list only (repeatable; default: all).",
)


def _delimiter(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    if value is None:
        return None
    if value not in DELIMITERS:
        raise click.BadParameter(f"{value!r} is not one of , ; tab |")
    return DELIMITERS[value]


_DELIMITER = click.option(
    "--delimiter",
    metavar="CHAR",
    callback=_delimiter,
    help="The CSV delimiter, , ; tab or |, of the input (default: found from the file) and of "
    "the output (default: ,).",
)


def _input_option(help: str) -> Callable[[F], F]:
    """``--input FILE``: a batch file (CSV or Parquet) instead of names on the command line."""
    return click.option(
        "--input",
        "input_path",
        type=click.Path(exists=True, dir_okay=False, path_type=Path),
        help=help,
    )


_OUTPUT = output_option(
    "Where to write the results: CSV or Parquet by the extension; - or none: CSV on "
    "standard output.",
    hidden_aliases=("--out",),
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


class _ScreenGroup(ArgumentOrCommandGroup):
    """``screen NAME`` screens one name, ``screen --input FILE`` a file, and ``screen pairs``
    runs the subcommand: the first argument that is not an option (nor an option's value)
    decides. After ``--`` it is always a NAME."""

    argument = "name"
    help_when_empty = True

    def too_many(self, ctx: click.Context, rest: list[str]) -> None:
        ctx.fail(
            f"one NAME at a time; quote a name with spaces: {' '.join(rest)!r} "
            "(a file of names: --input FILE)"
        )

    def format_usage(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        prog = ctx.command_path
        more = " " * len("Usage: ")
        formatter.write_usage(prog, "[OPTIONS] NAME")
        formatter.write_usage(prog, "[OPTIONS] --input FILE [-o FILE]", prefix=more)
        formatter.write_usage(prog, "pairs [OPTIONS] (--input FILE | NAME1 NAME2)", prefix=more)


def _screener(ctx: click.Context, lists: tuple[str, ...], threshold: float) -> Screener:
    ws = workspace(ctx)
    with counting("Indexing the active list editions", unit="entries"):
        screener = Screener.from_workspace(ws, lists or None, threshold=threshold)
    if not len(screener):
        if lists:
            raise click.ClickException(
                f"no entries in the list(s) {', '.join(lists)} in the workspace {ws.home} "
                "(see 'counterflow lists')"
            )
        raise nothing_imported(ws, "no list entries to screen against")
    return screener


def _show_warnings(report: BatchReport) -> None:
    for warning in report.warnings[:_SHOWN_WARNINGS]:
        warn(warning)
    if len(report.warnings) > _SHOWN_WARNINGS:
        warn(f"… and {len(report.warnings) - _SHOWN_WARNINGS} more rows skipped")


def _batch_json(report: BatchReport, input_path: Path, target: str | None) -> dict[str, Any]:
    return {
        "input": str(input_path),
        "read_as": report.read_as,
        "output": target,
        "rows": report.rows,
        "screened": report.screened,
        "results": report.results,
        "skipped": len(report.warnings),
        "warnings": report.warnings,
    }


@click.group(cls=_ScreenGroup, invoke_without_command=True)
@query_options
@_input_option("A CSV or Parquet file of parties to screen, instead of one NAME.")
@_OUTPUT
@_DELIMITER
@_THRESHOLD
@limit_option(5, "Most results per query.", maximum=100)
@_LISTS
@click.option(
    "--all-rows",
    is_flag=True,
    help="With --input: a row (rank 0, hit columns empty) for each party without a hit too.",
)
@click.option(
    "--hide-cleared",
    is_flag=True,
    help="With --input: leave out hits an analyst cleared (default: shown as cleared).",
)
@engine_options
@click.pass_context
def screen(
    ctx: click.Context,
    name: str | None,
    schema: str | None,
    birth_dates: tuple[str, ...],
    countries: tuple[str, ...],
    gender: str | None,
    identifiers: tuple[str, ...],
    input_path: Path | None,
    output: str | None,
    delimiter: str | None,
    threshold: float,
    limit: int,
    lists: tuple[str, ...],
    all_rows: bool,
    hide_cleared: bool,
    engine: str,
    master: str | None,
    spark_conf: tuple[str, ...],
) -> None:
    """Screen names against the lists in the workspace.

    \b
    One NAME, as a table of hits with their reasons (--json: with full explanations):
      counterflow screen [--schema S] [--birth-date D] [--country C] [--list L] NAME
    A file of parties (columns: id, name or full_name, first_name, middle_name, last_name,
    schema, birth_date or date_of_birth, nationality, country, gender, id_number), its
    delimiter and encoding found out unless --delimiter names it; one row per hit with the
    entry's facts, a hit an analyst cleared marked with the decision (or left out with
    --hide-cleared), and with --all-rows a rank 0 row for each party without a hit (--json
    without -o: the rows and a summary as JSON):
      counterflow screen --input Q.csv -o R.csv [--threshold T] [--limit N] [--all-rows]
    The same file screened on Apache Spark (the 'spark' extra; docs/spark.md): the index
    broadcast to the executors, the rows screened there and the results written by Spark,
    the same rows as without it; -o names a folder of Parquet part files, or one CSV file
    when it ends in .csv (written by one task); an earlier output is replaced:
      counterflow screen --input Q.csv --engine spark [--master URL] [--spark-conf K=V] -o OUT
    Pairs of names scored against each other, without any list:
      counterflow screen pairs --help
    To screen the name "pairs" itself: counterflow screen -- pairs

    \b
    Example:
      counterflow lists import ../shared/data/lists/un_sc/un_sc_2026-02-27.xml
      counterflow screen "dzhebhat EN-Nusra"
      counterflow screen --schema Person --birth-date 1951 "Aiman al-Zawahiri"
      counterflow screen "Джебхат ан-Нусра" --limit 3 --json
      counterflow screen --input ../shared/data/screening/positives_un_untreated.csv -o hits.csv
      counterflow screen --input world/parties.parquet --all-rows --hide-cleared -o daily.csv
      counterflow screen --input world/parties.parquet --delimiter ";" -o customers-hits.csv
      counterflow screen --input world/parties.parquet --engine spark -o spark-hits
    """
    if ctx.invoked_subcommand is not None:
        return
    check_engine_options(engine, master, spark_conf)
    if engine == "spark" and input_path is None:
        raise click.UsageError("--engine spark goes with --input FILE")
    if name is not None and input_path is not None:
        raise click.UsageError("give one NAME or --input FILE, not both")
    if name is None and input_path is None:
        raise click.UsageError(
            "give a NAME to screen, or --input FILE (name pairs: counterflow screen pairs)"
        )
    if input_path is None:
        for given, option in (
            (output, "-o/--output"),
            (delimiter, "--delimiter"),
            (all_rows or None, "--all-rows"),
            (hide_cleared or None, "--hide-cleared"),
        ):
            if given is not None:
                raise click.UsageError(f"{option} goes with --input FILE")
        query = Query.make(
            name or "",
            schema=schema,
            birth_date=birth_dates,
            country=countries,
            gender=gender,
            identifier=identifiers,
        )
        _screen_one(ctx, name or "", query, threshold, limit, lists)
        return
    described = [
        option
        for option, given in (
            ("--schema", schema),
            ("--birth-date", birth_dates),
            ("--country", countries),
            ("--gender", gender),
            ("--id-number", identifiers),
        )
        if given
    ]
    if described:
        raise click.UsageError(
            f"{', '.join(described)} describe one NAME; with --input the file gives them per "
            "row (columns schema, birth_date, country, gender, id_number)"
        )
    if engine == "spark":
        _screen_file_spark(
            ctx,
            input_path,
            output,
            delimiter,
            threshold,
            limit,
            lists,
            all_rows=all_rows,
            hide_cleared=hide_cleared,
            master=master,
            spark_conf=spark_conf,
        )
        return
    _screen_file(
        ctx,
        input_path,
        output,
        delimiter,
        threshold,
        limit,
        lists,
        all_rows=all_rows,
        hide_cleared=hide_cleared,
    )


def _screen_one(
    ctx: click.Context,
    name: str,
    query: Query,
    threshold: float,
    limit: int,
    lists: tuple[str, ...],
) -> None:
    screener = _screener(ctx, lists, threshold)
    matches = screener.screen(query, limit=limit, threshold=threshold)
    notes = _decision_notes(DecisionStore(workspace(ctx).home), query, matches, screener)
    if state(ctx).json:
        emit_json(
            [
                {
                    "id": m.entity.id,
                    "caption": m.entity.caption,
                    "schema": m.entity.schema.name,
                    "list": m.entity.list_id,
                    "list_ref": m.entity.ref,
                    "score": m.score,
                    "match": m.is_match and not (d and d["status"] == "cleared"),
                    "decision": d,
                    "explanation": m.explanation,
                }
                for m, d in zip(matches, notes, strict=True)
            ]
        )
        return
    if not matches:
        console.print(
            f"No entry scores {threshold:.2f} or more for {name!r} "
            f"({len(screener):,} entries screened)."
        )
        return
    rows = []
    for m, d in zip(matches, notes, strict=True):
        why = m.summary()
        if d and d["status"] == "cleared":
            why = f"CLEARED by {d['analyst']} ({d['decision_id']}): {d['reason']}. {why}"
        elif d:
            why = f"entry changed since {d['decision_id']} cleared it: review. {why}"
        rows.append(
            (
                f"{m.score:.2f}",
                m.entity.list_id,
                m.entity.ref,
                f"{m.entity.caption} ({m.entity.schema.name})"
                # the party's other listings (counterflow.lists.resolve)
                + "".join(f"\nalso {x.list_id} {x.list_ref}" for x in m.listings[1:]),
                why,
            )
        )
    columns = (
        Column("score", "number"),
        Column("list", "key"),
        Column("ref", "key"),
        Column("entry", "text"),
        Column("why", "text"),
    )
    console.print(table(columns, rows))


def _screen_file(
    ctx: click.Context,
    input_path: Path,
    output: str | None,
    delimiter: str | None,
    threshold: float,
    limit: int,
    lists: tuple[str, ...],
    *,
    all_rows: bool,
    hide_cleared: bool,
) -> None:
    """Screen a file into ``output`` (CSV on standard output when none). With --json and no
    ``output`` the rows come back in the JSON answer beside the summary, since standard output
    cannot carry both."""
    as_json = state(ctx).json
    if as_json and output is not None and is_stdout(output):
        raise click.UsageError(
            "--json prints the results and a summary on standard output: give -o FILE, or "
            "no -o at all"
        )
    target = None if as_json and output is None else (output or STDOUT)
    screener = _screener(ctx, lists, threshold)
    started = time.perf_counter()
    with counting(f"Screening {input_path.name}", unit="rows") as progress:
        report = screen_file(
            screener,
            input_path,
            target,
            threshold=threshold,
            limit=limit,
            progress=progress,
            csv_options=CsvOptions(delimiter=delimiter) if delimiter else None,
            decisions=DecisionStore(workspace(ctx).home),
            hide_cleared=hide_cleared,
            all_rows=all_rows,
            delimiter=delimiter or ",",
        )
    _show_warnings(report)
    if as_json:
        answer = {
            **_batch_json(report, input_path, target),
            **report.counts(),
            "entries": len(screener),
        }
        if target is None:
            answer["columns"] = list(RESULT_COLUMNS)
            answer["records"] = report.records
        emit_json(answer)
        return
    elapsed = time.perf_counter() - started
    written = "standard output" if target is None or is_stdout(target) else target
    cleared = ""
    if report.cleared:
        shown = "left out" if hide_cleared else "marked cleared"
        cleared = f" ({report.cleared:,} cleared by an analyst, {shown})"
    note(
        f"Screened {report.screened:,} of {report.rows:,} rows ({report.read_as}) against "
        f"{len(screener):,} entries in {elapsed:.1f} s: {report.results:,} results at "
        f"or above {threshold:.2f}{cleared} written to {written}."
    )


def _screen_file_spark(
    ctx: click.Context,
    input_path: Path,
    output: str | None,
    delimiter: str | None,
    threshold: float,
    limit: int,
    lists: tuple[str, ...],
    *,
    all_rows: bool,
    hide_cleared: bool,
    master: str | None,
    spark_conf: tuple[str, ...],
) -> None:
    """Screen a file on Spark into ``output`` (a Parquet folder, or one CSV file): Spark
    writes the results, so there is no standard output and no rows in a JSON answer."""
    from counterflow.screening.spark_batch import screen_file_spark

    if output is None or is_stdout(output):
        raise click.UsageError(
            "with --engine spark, Spark writes the results: give -o FOLDER (Parquet part "
            "files) or -o FILE.csv"
        )
    screener = _screener(ctx, lists, threshold)
    started = time.perf_counter()
    with (
        spark_for(master, spark_conf) as session,
        counting(f"Screening {input_path.name} on Spark", unit="rows"),
    ):
        report = screen_file_spark(
            session,
            screener,
            input_path,
            output,
            threshold=threshold,
            limit=limit,
            csv_options=CsvOptions(delimiter=delimiter) if delimiter else None,
            decisions=DecisionStore(workspace(ctx).home),
            hide_cleared=hide_cleared,
            all_rows=all_rows,
            delimiter=delimiter or ",",
        )
    _show_warnings(report)
    if state(ctx).json:
        emit_json(
            {
                **_batch_json(report, input_path, output),
                **report.counts(),
                "entries": len(screener),
                "engine": "spark",
            }
        )
        return
    cleared = ""
    if report.cleared:
        shown = "left out" if hide_cleared else "marked cleared"
        cleared = f" ({report.cleared:,} cleared by an analyst, {shown})"
    note(
        f"Screened {report.screened:,} of {report.rows:,} rows ({report.read_as}) against "
        f"{len(screener):,} entries on Spark in {time.perf_counter() - started:.1f} s: "
        f"{report.results:,} results at or above {threshold:.2f}{cleared} written to {output}."
    )


def _decision_notes(
    decisions: DecisionStore, query: Query, matches: list[Match], screener: Screener
) -> list[dict[str, str] | None]:
    """Analysts' decisions on these hits: cleared, or cleared before the entry changed (a
    decision on any listing of a match's party counts, see counterflow.cases.decisions)."""
    decisions.refresh()
    fingerprint = query.fingerprint()
    notes: list[dict[str, str] | None] = []
    for m in matches:
        found = decisions.lookup(fingerprint, m.entity, screener.party(m.entity.id))
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
@click.argument("names", nargs=-1, metavar="[NAME1 NAME2]")
@_input_option("CSV or Parquet with columns name1, name2 and optionally schema.")
@_OUTPUT
@_DELIMITER
@click.option(
    "--schema",
    type=click.Choice(sorted(SCHEMATA)),
    help="What NAME1 and NAME2 are of (a file gives it per row).",
)
@_THRESHOLD
@click.pass_context
def pairs_cmd(
    ctx: click.Context,
    names: tuple[str, ...],
    input_path: Path | None,
    output: str | None,
    delimiter: str | None,
    schema: str | None,
    threshold: float,
) -> None:
    """Score pairs of names against each other, without any list: NAME1 and NAME2, or a file
    of them (--input), into name1, name2, schema, score, is_match rows.

    \b
    Example:
      counterflow screen pairs "Aiman al-Zawahiri" "Ayman al Zawahiry" --schema Person
      counterflow screen pairs "Aiman al-Zawahiri" "Ayman al Zawahiry" -o pairs.csv
      counterflow screen pairs --input pairs.csv -o scored.csv
    """
    if input_path is not None:
        if names or schema:
            raise click.UsageError("give NAME1 NAME2 or --input FILE, not both")
        _pairs_file(ctx, input_path, output or STDOUT, delimiter, threshold)
        return
    if len(names) != 2:
        raise click.UsageError("give two names (NAME1 NAME2), or --input FILE")
    if delimiter is not None:
        raise click.UsageError("--delimiter goes with --input FILE")
    as_json = state(ctx).json
    if as_json and is_stdout(output):
        raise click.UsageError("--json prints the score on standard output: give -o FILE")
    name1, name2 = (" ".join(n.split()) for n in names)
    if max(len(name1), len(name2)) > MAX_QUERY_NAME:
        raise DataError(f"a name is over {MAX_QUERY_NAME:,} characters")
    result = score_pair(name1, name2, schema, threshold=threshold)
    row = {
        "name1": name1,
        "name2": name2,
        "schema": schema or "",
        "score": result.score,
        "is_match": result.is_match,
    }
    if output is not None:
        with TableWriter(output, PAIR_COLUMNS, schema=PAIR_SCHEMA) as writer:
            writer.write(row)
        if as_json:
            emit_json(row)
        elif not is_stdout(output):
            note(f"Scored 1 pair into {output}.")
        return
    if as_json:
        emit_json(row)
        return
    verdict = "a match" if result.is_match else "not a match"
    console.print(f"{result.score:.2f}: {verdict} at {threshold:.2f}")


def _pairs_file(
    ctx: click.Context, input_path: Path, target: str, delimiter: str | None, threshold: float
) -> None:
    as_json = state(ctx).json
    if as_json and is_stdout(target):
        raise click.UsageError("--json prints a summary on standard output: give -o FILE")
    with counting(f"Scoring {input_path.name}", unit="pairs") as progress:
        report = score_pairs_file(
            input_path,
            target,
            threshold=threshold,
            progress=progress,
            csv_options=CsvOptions(delimiter=delimiter) if delimiter else None,
            delimiter=delimiter or ",",
        )
    _show_warnings(report)
    if as_json:
        emit_json(_batch_json(report, input_path, target))
        return
    written = "standard output" if is_stdout(target) else target
    note(f"Scored {report.screened:,} of {report.rows:,} pairs into {written}.")
