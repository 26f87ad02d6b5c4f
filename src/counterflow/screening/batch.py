"""Batch runners: a file of parties to screen, and a file of name pairs to score.

Input and output are CSV or Parquet, chosen by the file name (``.parquet`` / ``.pq``); CSV
input has its delimiter and encoding sniffed (``;``-separated cp1252 from a European Excel reads
as well as UTF-8 with commas), and ``-`` as the output is CSV on standard output. The columns
follow the contracts in ARCHITECTURE.md.

A row that cannot be screened (no name, a name with no letters, a name over the size limit) is
skipped with a warning naming its line. A file that cannot be read (no name column, a broken
quote, a row of the wrong width, a name that runs over several lines) fails with one error
naming the file and the line: a batch never goes on past rows it could not see. Output is
written whole or not at all (:class:`counterflow.io.TableWriter`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyarrow as pa

from counterflow.errors import DataError
from counterflow.io import CsvOptions, Table, TableRow, TableWriter, open_table
from counterflow.screening.pairs import score_pair
from counterflow.screening.query import MAX_QUERY_NAME, Query
from counterflow.screening.screener import DEFAULT_THRESHOLD, Screener

RESULT_COLUMNS = (
    "query_id",
    "rank",
    "score",
    "entity_id",
    "list",
    "list_ref",
    "caption",
    "matched_name",
    "schema",
    "explanation",
)
RESULT_SCHEMA = pa.schema(
    [
        (c, pa.int64() if c == "rank" else pa.float64() if c == "score" else pa.string())
        for c in RESULT_COLUMNS
    ]
)
PAIR_COLUMNS = ("name1", "name2", "schema", "score", "is_match")
PAIR_SCHEMA = pa.schema(
    [
        ("name1", pa.string()),
        ("name2", pa.string()),
        ("schema", pa.string()),
        ("score", pa.float64()),
        ("is_match", pa.bool_()),
    ]
)
_NAME_COLUMNS = ("name", "full_name", "first_name", "middle_name", "last_name")

Progress = Callable[[int], None]


@dataclass
class BatchReport:
    rows: int = 0
    screened: int = 0
    results: int = 0
    warnings: list[str] = field(default_factory=list)
    #: how the input was read (``semicolon-separated cp1252``, ``Parquet``)
    read_as: str = ""


def _lowered(row: TableRow) -> dict[str, Any]:
    return {str(k).strip().lower(): v for k, v in row.values.items() if k}


def _require(table: Table, needed: Sequence[str], what: str, *, every: bool = False) -> None:
    have = {c.strip().lower() for c in table.columns}
    missing = [c for c in needed if c not in have]
    if (every and missing) or (not every and len(missing) == len(needed)):
        found = ", ".join(table.columns) or "none"
        if every:
            problem = f"missing column {', '.join(missing)} (the {what} need all of "
        else:
            problem = f"no {what} column (expected one of "
        raise DataError(
            f"{problem}{', '.join(needed)}; found {found}; read as {table.described})",
            path=table.path,
        )


def _single_line(
    table: Table, row: TableRow, values: dict[str, Any], columns: Sequence[str]
) -> None:
    """A name never holds a line break: one that does is rows swallowed by a stray quote."""
    for column in columns:
        value = values.get(column)
        if isinstance(value, str) and ("\n" in value or "\r" in value):
            raise DataError(
                f"the {column} runs over several lines (an unbalanced quote?)",
                path=table.path,
                location=row.location,
            )


def screen_file(
    screener: Screener,
    input_path: Path,
    output_path: str | Path,
    *,
    threshold: float | None = None,
    limit: int = 5,
    progress: Progress | None = None,
    csv_options: CsvOptions | None = None,
) -> BatchReport:
    """Screen every row of ``input_path``; one output row per result at or above threshold."""
    table = open_table(input_path, csv_options)
    _require(table, _NAME_COLUMNS, "name")
    report = BatchReport(read_as=table.described)
    with TableWriter(output_path, RESULT_COLUMNS, schema=RESULT_SCHEMA) as writer:
        for row in table.rows:
            report.rows += 1
            values = _lowered(row)
            _single_line(table, row, values, (*_NAME_COLUMNS, "id"))
            try:
                query = Query.from_record(values, default_id=str(row.number))
            except DataError as exc:
                report.warnings.append(f"{input_path}, {row.location}: {exc.problem}; skipped")
                continue
            report.screened += 1
            for rank, match in enumerate(
                screener.screen(query, limit=limit, threshold=threshold), start=1
            ):
                report.results += 1
                writer.write(
                    {
                        "query_id": query.id,
                        "rank": rank,
                        "score": match.score,
                        "entity_id": match.entity.id,
                        "list": match.entity.list_id,
                        "list_ref": match.entity.ref,
                        "caption": match.entity.caption,
                        "matched_name": match.matched_name,
                        "schema": match.entity.schema.name,
                        "explanation": match.summary(),
                    }
                )
            if progress and report.rows % 100 == 0:
                progress(report.rows)
    if progress:
        progress(report.rows)
    return report


def score_pairs_file(
    input_path: Path,
    output_path: str | Path,
    *,
    threshold: float | None = None,
    progress: Progress | None = None,
    csv_options: CsvOptions | None = None,
) -> BatchReport:
    """Score every ``name1, name2[, schema]`` row of ``input_path``."""
    table = open_table(input_path, csv_options)
    _require(table, ("name1", "name2"), "name pairs", every=True)
    report = BatchReport(read_as=table.described)
    cutoff = DEFAULT_THRESHOLD if threshold is None else threshold
    with TableWriter(output_path, PAIR_COLUMNS, schema=PAIR_SCHEMA) as writer:
        for row in table.rows:
            report.rows += 1
            values = _lowered(row)
            _single_line(table, row, values, ("name1", "name2"))
            name1, name2 = (str(values.get(c) or "").strip() for c in ("name1", "name2"))
            schema = str(values.get("schema") or "").strip() or None
            if not name1 or not name2:
                report.warnings.append(f"{input_path}, {row.location}: empty name; skipped")
                continue
            if max(len(name1), len(name2)) > MAX_QUERY_NAME:
                report.warnings.append(
                    f"{input_path}, {row.location}: a name is over {MAX_QUERY_NAME:,} "
                    "characters; skipped"
                )
                continue
            try:
                result = score_pair(name1, name2, schema, threshold=cutoff)
            except DataError as exc:
                report.warnings.append(f"{input_path}, {row.location}: {exc.problem}; skipped")
                continue
            report.screened += 1
            report.results += 1
            writer.write(
                {
                    "name1": name1,
                    "name2": name2,
                    "schema": schema or "",
                    "score": result.score,
                    "is_match": result.is_match,
                }
            )
            if progress and report.rows % 1000 == 0:
                progress(report.rows)
    if progress:
        progress(report.rows)
    return report
