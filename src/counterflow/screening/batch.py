"""Batch runners: a file of parties to screen, and a file of name pairs to score.

Input and output are CSV or Parquet, chosen by the file name (``.parquet`` / ``.pq``). The
columns follow the contracts in ARCHITECTURE.md. A row that cannot be screened (no name, a
name over the size limit) is skipped with a warning naming its row; a file that cannot be read
at all (no name column, broken CSV) fails with one error naming the file. Output is written to
a temporary file beside the target and renamed into place, so a failed run leaves no half file.
"""

from __future__ import annotations

import csv
import io
import os
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from counterflow.errors import DataError
from counterflow.lists.base import MAX_CSV_FIELD, check_file, decode_text
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
PAIR_COLUMNS = ("name1", "name2", "schema", "score", "is_match")
_NAME_COLUMNS = {"name", "full_name", "first_name", "last_name"}

Progress = Callable[[int], None]


@dataclass
class BatchReport:
    rows: int = 0
    screened: int = 0
    results: int = 0
    warnings: list[str] = field(default_factory=list)


def _is_parquet(path: Path) -> bool:
    return path.suffix.lower() in (".parquet", ".pq")


def read_rows(path: Path) -> tuple[list[str], Iterator[tuple[int, dict[str, Any]]]]:
    """The columns of an input file and its rows as (1-based data row number, values)."""
    check_file(path)
    if _is_parquet(path):
        try:
            parquet = pq.ParquetFile(path)
        except (pa.ArrowException, OSError) as exc:
            raise DataError(f"not a readable Parquet file: {exc}", path=path) from None
        columns = [str(c) for c in parquet.schema_arrow.names]

        def parquet_rows() -> Iterator[tuple[int, dict[str, Any]]]:
            number = 0
            for batch in parquet.iter_batches(batch_size=10_000):
                for row in batch.to_pylist():
                    number += 1
                    yield number, row

        return columns, parquet_rows()
    text = decode_text(path.read_bytes(), path)
    text = text[1:] if text.startswith("\ufeff") else text
    old_limit = csv.field_size_limit(MAX_CSV_FIELD)
    reader = csv.DictReader(io.StringIO(text, newline=""))
    try:
        columns = [c.strip().lower() for c in (reader.fieldnames or [])]
    except csv.Error as exc:
        csv.field_size_limit(old_limit)
        raise DataError(f"malformed CSV header: {exc}", path=path, location="line 1") from None

    def csv_rows() -> Iterator[tuple[int, dict[str, Any]]]:
        try:
            number = 0
            while True:
                try:
                    row = next(reader)
                except StopIteration:
                    return
                except csv.Error as exc:
                    raise DataError(
                        f"malformed CSV: {exc}", path=path, location=f"line {reader.line_num}"
                    ) from None
                number += 1
                yield number, {str(k).strip().lower(): v for k, v in row.items() if k}
        finally:
            csv.field_size_limit(old_limit)

    return columns, csv_rows()


def _require(path: Path, columns: Sequence[str], needed: set[str], what: str) -> None:
    if not needed & {c.lower() for c in columns}:
        found = ", ".join(columns) or "none"
        raise DataError(
            f"no {what} column (expected one of {', '.join(sorted(needed))}; found {found})",
            path=path,
        )


class _Writer:
    """Rows to CSV or Parquet through a temporary file, renamed into place on success."""

    def __init__(self, path: Path, columns: Sequence[str]) -> None:
        self.path = path
        self.columns = list(columns)
        self.tmp = path.with_name(f".{path.name}.part")
        self.rows: list[dict[str, Any]] = []
        self._fh: io.TextIOWrapper | None = None
        self._csv: Any = None
        if not _is_parquet(path):
            self._fh = open(self.tmp, "w", encoding="utf-8", newline="")  # noqa: SIM115
            self._csv = csv.DictWriter(self._fh, fieldnames=self.columns)
            self._csv.writeheader()

    def write(self, row: dict[str, Any]) -> None:
        if self._csv is not None:
            self._csv.writerow(row)
        else:
            self.rows.append(row)

    def __enter__(self) -> _Writer:
        return self

    def __exit__(self, exc_type: object, exc: object, tb: object) -> None:
        # renamed into place only when every row was written
        if exc_type is None:
            self._commit()
        else:
            self._abort()

    def _commit(self) -> None:
        if self._fh is not None:
            self._fh.close()
        else:
            table = (
                pa.Table.from_pylist(self.rows)
                if self.rows
                else pa.table({c: pa.array([], pa.string()) for c in self.columns})
            )
            pq.write_table(table, self.tmp)
        os.replace(self.tmp, self.path)

    def _abort(self) -> None:
        if self._fh is not None:
            self._fh.close()
        self.tmp.unlink(missing_ok=True)


def screen_file(
    screener: Screener,
    input_path: Path,
    output_path: Path,
    *,
    threshold: float | None = None,
    limit: int = 5,
    progress: Progress | None = None,
) -> BatchReport:
    """Screen every row of ``input_path``; one output row per result at or above threshold."""
    columns, rows = read_rows(input_path)
    _require(input_path, columns, _NAME_COLUMNS, "name")
    report = BatchReport()
    with _Writer(output_path, RESULT_COLUMNS) as writer:
        for number, row in rows:
            report.rows += 1
            try:
                query = Query.from_record(row, default_id=str(number))
            except DataError as exc:
                report.warnings.append(f"{input_path}, row {number}: {exc.problem}; skipped")
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
    output_path: Path,
    *,
    threshold: float | None = None,
    progress: Progress | None = None,
) -> BatchReport:
    """Score every ``name1, name2[, schema]`` row of ``input_path``."""
    columns, rows = read_rows(input_path)
    missing = {"name1", "name2"} - {c.lower() for c in columns}
    if missing:
        raise DataError(
            f"missing column(s) {', '.join(sorted(missing))} "
            f"(found {', '.join(columns) or 'none'})",
            path=input_path,
        )
    report = BatchReport()
    cutoff = DEFAULT_THRESHOLD if threshold is None else threshold
    with _Writer(output_path, PAIR_COLUMNS) as writer:
        for number, row in rows:
            report.rows += 1
            name1, name2 = (str(row.get(c) or "").strip() for c in ("name1", "name2"))
            schema = str(row.get("schema") or "").strip() or None
            if not name1 or not name2:
                report.warnings.append(f"{input_path}, row {number}: empty name; skipped")
                continue
            if max(len(name1), len(name2)) > MAX_QUERY_NAME:
                report.warnings.append(
                    f"{input_path}, row {number}: a name is over {MAX_QUERY_NAME:,} characters;"
                    " skipped"
                )
                continue
            result = score_pair(name1, name2, schema, threshold=cutoff)
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
