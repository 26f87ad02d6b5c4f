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

A batch is meant to be run again every day over the same customers, so it honours analysts'
decisions (:class:`counterflow.cases.DecisionStore`) the way ``screen NAME`` and the service do:
a hit cleared for this same query comes back marked ``cleared`` with the decision (or is left
out), instead of being raised again each morning; one whose list entry changed since is raised
and marked ``entry_changed``. Each hit row carries the entry's facts (dates of birth, countries,
programmes, listing date, the party's other listings) so that a reviewer can tell a namesake
from the listed party without looking each entry up.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pyarrow as pa

from counterflow.errors import DataError
from counterflow.io import CsvOptions, Table, TableRow, TableWriter, open_table
from counterflow.model import Entity
from counterflow.model.schema import COUNTRY_PROPERTIES
from counterflow.screening.pairs import score_pair
from counterflow.screening.query import MAX_QUERY_NAME, Query
from counterflow.screening.screener import DEFAULT_THRESHOLD, Match, Screener

if TYPE_CHECKING:  # cases imports screening: only the type is needed here
    from counterflow.cases.decisions import Clearance, DecisionStore

#: the columns of a batch's results, in this order (the contract in docs/screening.md); the
#: first ten are the original ones, the rest were added after them so readers by position
#: keep working
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
    "birth_dates",
    "countries",
    "programs",
    "listing_date",
    "other_refs",
    "decision",
    "decision_id",
    "decided_by",
    "decided_at",
    "decision_reason",
)
RESULT_SCHEMA = pa.schema(
    [
        (c, pa.int64() if c == "rank" else pa.float64() if c == "score" else pa.string())
        for c in RESULT_COLUMNS
    ]
)
#: how several values share one cell (dates of birth, countries, programmes, other listings)
VALUE_SEPARATOR = "; "
#: ``decision`` of a hit an analyst cleared for this query, still in force
CLEARED = "cleared"
#: ``decision`` of a cleared hit whose list entry changed since: raised again
ENTRY_CHANGED = "entry_changed"
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
    #: hit rows written (cleared ones included unless hidden)
    results: int = 0
    warnings: list[str] = field(default_factory=list)
    #: how the input was read (``semicolon-separated cp1252``, ``Parquet``)
    read_as: str = ""
    #: hits an analyst cleared for the same query, entry unchanged (written or hidden)
    cleared: int = 0
    #: cleared hits left out (``hide_cleared``)
    hidden: int = 0
    #: hits raised again because the entry changed since they were cleared
    entry_changed: int = 0
    #: queries with no hit row written (each gets a ``rank`` 0 row with ``all_rows``)
    without_hits: int = 0
    #: the rows themselves, when no output file was asked for (``output_path=None``)
    records: list[dict[str, Any]] = field(default_factory=list)

    def counts(self) -> dict[str, int]:
        """The figures a summary shows, by name."""
        return {
            "rows": self.rows,
            "screened": self.screened,
            "results": self.results,
            "cleared": self.cleared,
            "hidden": self.hidden,
            "entry_changed": self.entry_changed,
            "without_hits": self.without_hits,
        }


def _lowered(row: TableRow) -> dict[str, Any]:
    return {str(k).strip().lower(): v for k, v in row.values.items() if k}


def require_query_columns(table: Table) -> None:
    """Refuse a query file without a name column before anything is screened (a
    :class:`DataError` naming the file, what was expected and what was found)."""
    _require(table, _NAME_COLUMNS, "name")


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


def _joined(values: Iterable[str]) -> str:
    """Distinct values in their order, in one cell."""
    return VALUE_SEPARATOR.join(dict.fromkeys(v for v in values if v))


def entry_facts(match: Match) -> dict[str, str]:
    """What a reviewer needs to tell the listed party from a namesake, one cell each:
    dates of birth, countries (nationality, citizenship, residence, …), programmes, the
    listing date, and the party's listings on other lists (``ofac-sdn:11018; uk:13344``)."""
    entity: Entity = match.entity
    listed = entity.sanction.first("listingDate") or entity.sanction.first("startDate")
    return {
        "birth_dates": _joined(entity.get("birthDate")),
        "countries": _joined(c for p in COUNTRY_PROPERTIES for c in entity.get(p)),
        "programs": _joined(entity.sanction.get("program")),
        "listing_date": listed or "",
        "other_refs": _joined(f"{x.list_id}:{x.list_ref}" for x in match.listings[1:]),
    }


def decision_columns(clearance: Clearance | None) -> dict[str, str]:
    """The decision columns of a hit row: empty without a decision in force."""
    if clearance is None:
        return {c: "" for c in RESULT_COLUMNS[-5:]}
    decision = clearance.decision
    return {
        "decision": CLEARED if clearance.cleared else ENTRY_CHANGED,
        "decision_id": decision.decision_id,
        "decided_by": decision.analyst,
        "decided_at": decision.time,
        "decision_reason": decision.reason,
    }


def result_row(
    query: Query, rank: int, match: Match, clearance: Clearance | None = None
) -> dict[str, Any]:
    """One hit as a row of :data:`RESULT_COLUMNS` (the CSV, Parquet and JSON shape)."""
    return {
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
        **entry_facts(match),
        **decision_columns(clearance),
    }


def unmatched_row(query: Query) -> dict[str, Any]:
    """The ``rank`` 0 row of a query without a hit: the record that it was screened."""
    row: dict[str, Any] = {c: "" for c in RESULT_COLUMNS}
    row.update(query_id=query.id, rank=0, score=None)
    return row


def screen_file(
    screener: Screener,
    input_path: Path,
    output_path: str | Path | None,
    *,
    threshold: float | None = None,
    limit: int = 5,
    progress: Progress | None = None,
    csv_options: CsvOptions | None = None,
    decisions: DecisionStore | None = None,
    hide_cleared: bool = False,
    all_rows: bool = False,
    delimiter: str = ",",
) -> BatchReport:
    """Screen every row of ``input_path``; one output row per result at or above threshold.

    ``decisions``: analysts' decisions to honour (a cleared hit is marked ``cleared`` with its
    decision, or left out with ``hide_cleared``). ``all_rows``: a ``rank`` 0 row with empty hit
    columns for each query that has no hit row, so the output shows every customer was
    screened. ``output_path`` None keeps the rows in :attr:`BatchReport.records` instead of
    writing a file (for a JSON answer); ``delimiter`` is the CSV output's.
    """
    table = open_table(input_path, csv_options)
    _require(table, _NAME_COLUMNS, "name")
    report = BatchReport(read_as=table.described)
    if decisions is not None:
        decisions.refresh()
    with ExitStack() as stack:
        write: Callable[[dict[str, Any]], None] = (
            stack.enter_context(
                TableWriter(output_path, RESULT_COLUMNS, schema=RESULT_SCHEMA, delimiter=delimiter)
            ).write
            if output_path is not None
            else report.records.append
        )
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
            fingerprint = query.fingerprint() if decisions is not None else ""
            written = 0
            for rank, match in enumerate(
                screener.screen(query, limit=limit, threshold=threshold), start=1
            ):
                clearance = (
                    decisions.lookup(fingerprint, match.entity, screener.party(match.entity.id))
                    if decisions is not None
                    else None
                )
                if clearance is not None and clearance.cleared:
                    report.cleared += 1
                    if hide_cleared:
                        report.hidden += 1
                        continue
                elif clearance is not None:
                    report.entry_changed += 1
                report.results += 1
                written += 1
                write(result_row(query, rank, match, clearance))
            if not written:
                report.without_hits += 1
                if all_rows:
                    write(unmatched_row(query))
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
    delimiter: str = ",",
) -> BatchReport:
    """Score every ``name1, name2[, schema]`` row of ``input_path``; ``delimiter`` is the CSV
    output's."""
    table = open_table(input_path, csv_options)
    _require(table, ("name1", "name2"), "name pairs", every=True)
    report = BatchReport(read_as=table.described)
    cutoff = DEFAULT_THRESHOLD if threshold is None else threshold
    with TableWriter(output_path, PAIR_COLUMNS, schema=PAIR_SCHEMA, delimiter=delimiter) as writer:
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
