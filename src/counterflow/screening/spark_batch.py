"""Batch screening on Apache Spark: the rows of a file screened on the executors, the results
written by Spark, never gathered on the driver.

The rows and columns are exactly those of :func:`counterflow.screening.batch.screen_file`
(:data:`~counterflow.screening.batch.RESULT_COLUMNS`, the same scores, the hits of a query in
the same order), so either engine can stand in for the other:

1. The driver checks the file as the in-process batch does (:func:`check_input`: batch.py's
   reader, so a broken quote, a row of the wrong width or a name over several lines fails
   with the same error naming the line, and a row without a name is the same warning). It
   streams the file and keeps nothing but the counts and the warnings.
2. Spark reads the file (CSV with the delimiter and encoding the check found, every column
   a string; Parquet as it is), numbers the rows as the in-process reader does (a query
   without an ``id`` is known by its row number) and spreads them over the executors.
3. The screening index is broadcast once (:class:`SharedScreener`: a :class:`Screener` does
   not pickle, its word weigher is a closure, so what it is made of travels instead, about
   14 MB for the UN and OFAC lists) and each executor process builds the screener once,
   kept in a module global by the index's content hash; ``mapInArrow`` screens each
   partition.
4. Spark writes the results: a folder of Parquet part files, or, for an output ending in
   ``.csv``, one CSV file (written by one task from the results Spark has cached, never by
   the driver) like the in-process one. A local output is written beside its place and
   moved in whole, replacing an earlier one as the in-process batch does.

Analysts' decisions travel with the index (the decisions file's bytes), so a cleared hit is
marked or hidden on the executors as ``screen_file`` does it.
"""

from __future__ import annotations

import atexit
import hashlib
import os
import pickle
import shutil
import tempfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pyarrow as pa

from counterflow.errors import ConfigError, DataError
from counterflow.io import CsvOptions, is_stdout, open_table
from counterflow.io.csvfile import read_csv
from counterflow.io.table import is_parquet
from counterflow.screening.batch import (
    _NAME_COLUMNS,
    RESULT_COLUMNS,
    RESULT_SCHEMA,
    BatchReport,
    _lowered,
    _require,
    _single_line,
    result_row,
    unmatched_row,
)
from counterflow.screening.query import Query
from counterflow.screening.screener import Screener

if TYPE_CHECKING:
    from counterflow.cases.decisions import DecisionStore

#: what to install for Spark
SPARK_EXTRA = "pip install 'counterflow[spark]'"
#: the column that carries each row's 1-based number among the data rows to the executors
NUMBER = "_cf_number"
#: what each row the executors give is: a hit to write, a cleared hit left out, or the
#: record that a query had no hit (written with ``all_rows``)
KIND = "_cf_kind"
HIT, HIDDEN, NONE = "hit", "hidden", "none"
#: the executors' rows: the result columns and what each row is
SCREENED_SCHEMA = pa.schema([*RESULT_SCHEMA, pa.field(KIND, pa.string())])
#: Python's names for the encodings the reader finds, as Java knows them
_JAVA_ENCODINGS = {
    "utf-8": "UTF-8",
    "utf-8-sig": "UTF-8",
    "utf-16": "UTF-16",
    "cp1252": "windows-1252",
}
#: rows per partition aimed at when spreading the input (a name takes about a millisecond)
ROWS_PER_PARTITION = 20_000


@dataclass(frozen=True)
class SharedScreener:
    """What an executor builds the screener from, picklable: the index as plain containers
    (what the workspace's index file holds), the list editions, the threshold, the parties
    across lists, and the analysts' decisions file. ``key`` is a content hash: an executor
    process builds each index once however many tasks it runs."""

    key: str
    payload: tuple[Any, ...]
    editions: dict[str, str]
    threshold: float
    clusters: dict[str, str]
    decisions: bytes | None = None

    @classmethod
    def of(cls, screener: Screener, decisions: DecisionStore | None = None) -> SharedScreener:
        """``screener`` (and the decisions to honour) as something to broadcast."""
        payload = screener._dump()
        ids = payload[0]
        clusters = {ids[index]: ids[party[0]] for index, party in screener._parties.items()}
        body: bytes | None = None
        if decisions is not None:
            try:
                body = decisions.path.read_bytes()
            except FileNotFoundError:
                body = b""
        digest = hashlib.sha256()
        digest.update(
            pickle.dumps(
                (payload, screener.editions, screener.threshold, clusters, body), protocol=5
            )
        )
        return cls(
            digest.hexdigest(),
            payload,
            dict(screener.editions),
            screener.threshold,
            clusters,
            body,
        )

    def build(self) -> tuple[Screener, DecisionStore | None]:
        """The screener (and decision store), built once per process."""
        found = _BUILT.get(self.key)
        if found is None:
            screener = Screener._restore(
                self.payload, editions=self.editions, threshold=self.threshold
            )
            screener.set_clusters(self.clusters)
            found = (screener, self._decision_store())
            _BUILT.clear()  # one index at a time: an executor serves one job's lists
            _BUILT[self.key] = found
        return found

    def screener(self) -> Screener:
        return self.build()[0]

    def _decision_store(self) -> DecisionStore | None:
        if self.decisions is None:
            return None
        from counterflow.cases.decisions import DECISIONS_FILENAME, DecisionStore

        # the store reads its file: a private copy in this process's temporary folder
        home = Path(tempfile.mkdtemp(prefix="counterflow-decisions-"))
        atexit.register(shutil.rmtree, home, True)
        (home / DECISIONS_FILENAME).write_bytes(self.decisions)
        store = DecisionStore(home)
        store.refresh()
        return store


#: the screener an executor process built, by :attr:`SharedScreener.key`
_BUILT: dict[str, tuple[Screener, DecisionStore | None]] = {}


@dataclass(frozen=True)
class _Job:
    """What each executor needs to know of the batch besides the index."""

    #: the file's column names, in order (the executors' columns are c0, c1, …)
    header: tuple[str, ...]
    limit: int
    threshold: float | None
    hide_cleared: bool


@dataclass
class CheckedInput:
    """What the driver learnt of the input before Spark reads it."""

    report: BatchReport
    header: list[str]
    parquet: bool
    delimiter: str = ","
    encoding: str = "utf-8"
    #: a record holds a line break (an address): Spark must read the file whole
    multiline: bool = False


def check_input(input_path: Path, csv_options: CsvOptions | None = None) -> CheckedInput:
    """Read ``input_path`` as :func:`~counterflow.screening.batch.screen_file` does, without
    screening: the same errors for a file it would refuse, the same warnings for rows it
    would skip, and the counts. Streams the file; keeps no row."""
    table = open_table(input_path, csv_options)
    _require(table, _NAME_COLUMNS, "name")
    report = BatchReport(read_as=table.described)
    checked = CheckedInput(report, list(table.columns), is_parquet(input_path))
    if not checked.parquet:
        csv_file = read_csv(input_path, csv_options)
        checked.delimiter, checked.encoding = csv_file.delimiter, csv_file.encoding
    for row in table.rows:
        report.rows += 1
        values = _lowered(row)
        _single_line(table, row, values, (*_NAME_COLUMNS, "id"))
        if not checked.multiline and any(
            isinstance(v, str) and ("\n" in v or "\r" in v) for v in row.values.values()
        ):
            checked.multiline = True
        try:
            Query.from_record(values, default_id=str(row.number))
        except DataError as exc:
            report.warnings.append(f"{input_path}, {row.location}: {exc.problem}; skipped")
            continue
        report.screened += 1
    return checked


def screen_file_spark(
    session: Any,
    screener: Screener | SharedScreener,
    input_path: Path,
    output_path: str | Path,
    *,
    threshold: float | None = None,
    limit: int = 5,
    csv_options: CsvOptions | None = None,
    decisions: DecisionStore | None = None,
    hide_cleared: bool = False,
    all_rows: bool = False,
    delimiter: str = ",",
    partitions: int | None = None,
) -> BatchReport:
    """Screen every row of ``input_path`` on ``session``'s executors into ``output_path``:
    the rows :func:`~counterflow.screening.batch.screen_file` writes, written by Spark (a
    folder of Parquet part files; one CSV file when the name ends in ``.csv``).

    ``screener`` is the driver's screener (broadcast as a :class:`SharedScreener`, with
    ``decisions``), or a :class:`SharedScreener` made already. ``partitions``: how many
    pieces the rows are screened in (default: enough for :data:`ROWS_PER_PARTITION` rows
    each, and at least four per core). The report's :attr:`~BatchReport.records` stay empty:
    the results are in the output only."""
    if is_stdout(output_path):
        raise ConfigError(
            "Spark writes its results to files: give -o FOLDER (Parquet part files) or "
            "-o FILE.csv, not standard output"
        )
    _check_target(str(output_path))
    checked = check_input(input_path, csv_options)
    report = checked.report
    shared = (
        screener if isinstance(screener, SharedScreener) else SharedScreener.of(screener, decisions)
    )
    frame = _read(session, input_path, checked)
    frame, rows = _numbered(session, frame)
    if rows != report.rows:
        raise DataError(
            f"Spark read {rows:,} rows where the file has {report.rows:,} (read as "
            f"{report.read_as}); screen it with --engine duckdb",
            path=input_path,
        )
    wanted = partitions or max(
        session.sparkContext.defaultParallelism * 4, -(-rows // ROWS_PER_PARTITION)
    )
    frame = frame.repartition(max(1, wanted))
    job = _Job(tuple(checked.header), limit, threshold, hide_cleared)
    screened = _screen(session, frame, shared, job).persist()
    try:
        counts = {
            (row[KIND], row["decision"]): row["count"]
            for row in screened.groupBy(KIND, "decision").count().collect()
        }
        written = screened.filter(screened[KIND].isin([HIT, NONE] if all_rows else [HIT])).select(
            *RESULT_COLUMNS
        )
        _write(written, str(output_path), delimiter)
    finally:
        screened.unpersist()
    _count(report, counts)
    return report


def _read(session: Any, path: Path, checked: CheckedInput) -> Any:
    """The file as a Spark DataFrame with columns c0, c1, … (every one a string for CSV),
    the rows with nothing in them left out as the in-process reader leaves them out."""
    from pyspark.sql import functions as F

    location = str(path.resolve())
    if checked.parquet:
        frame = session.read.parquet(location)
        return frame.toDF(*[f"c{i}" for i in range(len(frame.columns))])
    reader = (
        session.read.option("header", "true")
        .option("inferSchema", "false")
        .option("sep", checked.delimiter)
        .option("encoding", _JAVA_ENCODINGS.get(checked.encoding, checked.encoding))
        .option("quote", '"')
        .option("escape", '"')
        # UTF-16 has no single-byte line ends to split the file at
        .option("multiLine", str(checked.multiline or checked.encoding == "utf-16").lower())
        .option("mode", "FAILFAST")
        .option("ignoreLeadingWhiteSpace", "false")
        .option("ignoreTrailingWhiteSpace", "false")
        .option("emptyValue", "")
    )
    # a positional schema: Spark leaves the header's own names (blank, repeated) alone
    schema = ", ".join(f"c{i} STRING" for i in range(len(checked.header)))
    frame = reader.schema(schema).csv(location)
    blank = F.lit(True)
    for column in frame.columns:
        blank = blank & F.coalesce(F.regexp_like(F.col(column), F.lit(r"^\s*$")), F.lit(True))
    return frame.filter(~blank)


def _numbered(session: Any, frame: Any) -> tuple[Any, int]:
    """``frame`` with each row's 1-based number among the data rows (:data:`NUMBER`), and
    how many rows there are. Spark reads one file in order, piece by piece: each piece's
    rows are counted (a small job), and a row's number is the rows of the pieces before it
    plus its place in its own piece."""
    from pyspark.sql import functions as F

    frame = frame.select(
        "*",
        F.spark_partition_id().alias("_cf_piece"),
        F.monotonically_increasing_id().alias("_cf_id"),
        F.input_file_block_start().alias("_cf_start"),
    )
    pieces = (
        frame.groupBy("_cf_piece")
        .agg(F.count(F.lit(1)).alias("rows"), F.min("_cf_start").alias("start"))
        .collect()
    )
    offsets: dict[int, int] = {}
    total = 0
    for piece in sorted(pieces, key=lambda p: (p["start"], p["_cf_piece"])):
        offsets[piece["_cf_piece"]] = total
        total += piece["rows"]
    if not offsets:
        return frame.select(*frame.columns[:-3], F.lit(0).cast("long").alias(NUMBER)), 0
    start = F.create_map(*[F.lit(x) for pair in offsets.items() for x in pair])
    local = F.col("_cf_id") - F.shiftleft(F.col("_cf_piece").cast("long"), 33)
    number = (F.element_at(start, F.col("_cf_piece")).cast("long") + local + 1).alias(NUMBER)
    return frame.select(number, *frame.columns[:-3]), total


def _screen(session: Any, frame: Any, shared: SharedScreener, job: _Job) -> Any:
    from pyspark.sql.pandas.types import from_arrow_schema

    value = session.sparkContext.broadcast((shared, job))

    def run(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        return screen_batches(batches, value.value)

    return frame.mapInArrow(run, from_arrow_schema(SCREENED_SCHEMA))


def screen_batches(
    batches: Iterator[pa.RecordBatch], shared: tuple[SharedScreener, _Job]
) -> Iterator[pa.RecordBatch]:
    """Screen the rows of ``batches`` (:data:`NUMBER` and the file's columns c0, c1, …) as
    ``screen_file`` screens them, into rows of :data:`SCREENED_SCHEMA`. Rows the driver's
    check warned about are skipped without a word here."""
    index, job = shared
    screener, decisions = index.build()
    positions = [(f"c{i}", name) for i, name in enumerate(job.header)]
    for batch in batches:
        out: list[dict[str, Any]] = []
        for record in batch.to_pylist():
            values = {str(k).strip().lower(): record[c] for c, k in positions if k}
            try:
                query = Query.from_record(values, default_id=str(record[NUMBER]))
            except DataError:
                continue
            out.extend(_screen_one(screener, decisions, query, job))
        if out:
            yield pa.RecordBatch.from_pylist(out, schema=SCREENED_SCHEMA)


def _screen_one(
    screener: Screener, decisions: DecisionStore | None, query: Query, job: _Job
) -> list[dict[str, Any]]:
    """One query's rows, as ``screen_file`` writes them, each with its :data:`KIND`."""
    fingerprint = query.fingerprint() if decisions is not None else ""
    rows: list[dict[str, Any]] = []
    matches = screener.screen(query, limit=job.limit, threshold=job.threshold)
    for rank, match in enumerate(matches, start=1):
        clearance = (
            decisions.lookup(fingerprint, match.entity, screener.party(match.entity.id))
            if decisions is not None
            else None
        )
        if clearance is not None and clearance.cleared and job.hide_cleared:
            rows.append({**unmatched_row(query), "decision": "cleared", KIND: HIDDEN})
            continue
        rows.append({**result_row(query, rank, match, clearance), KIND: HIT})
    if not any(r[KIND] == HIT for r in rows):
        rows.append({**unmatched_row(query), KIND: NONE})
    return rows


def _count(report: BatchReport, counts: dict[tuple[str, str | None], int]) -> None:
    """The report's figures from the executors' rows by (kind, decision)."""
    for (kind, decision), n in counts.items():
        if kind == HIT:
            report.results += n
            if decision == "cleared":
                report.cleared += n
            elif decision == "entry_changed":
                report.entry_changed += n
        elif kind == HIDDEN:
            report.cleared += n
            report.hidden += n
        elif kind == NONE:
            report.without_hits += n


def _write(frame: Any, output: str, delimiter: str) -> None:
    """``frame`` written by Spark: one CSV file for a name ending in ``.csv``, else a folder
    of Parquet part files; a local target is written beside its place and moved in whole
    (an earlier one replaced, as the in-process batch replaces its file)."""
    as_csv = output.lower().endswith(".csv")
    if "://" in output:  # shared storage: Spark writes in place
        if as_csv:
            _csv_writer(frame.coalesce(1), delimiter).csv(output)
        else:
            frame.write.mode("overwrite").parquet(output)
        return
    target = _check_target(output)
    staging = Path(tempfile.mkdtemp(prefix=f".{target.name}.", dir=target.parent))
    try:
        written = staging / "out"
        if as_csv:
            _csv_writer(frame.coalesce(1), delimiter).csv(str(written))
            parts = sorted(written.glob("part-*"))
            if len(parts) > 1:
                raise DataError(f"Spark wrote {len(parts)} CSV parts, not one", path=target)
            if not parts or not parts[0].stat().st_size:  # no rows: Spark writes no header
                empty = written / "empty.csv"
                empty.write_bytes((delimiter.join(frame.columns) + "\r\n").encode())
                parts = [empty]
            os.replace(parts[0], target)
        else:
            frame.write.mode("errorifexists").parquet(str(written))
            for crc in written.glob(".*.crc"):
                crc.unlink()
            old = staging / "old"
            if target.exists():
                os.replace(target, old)
            os.replace(written, target)
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def _check_target(output: str) -> Path:
    """The local place to write ``output`` to, refused before any work when it cannot
    take what Spark writes there."""
    target = Path(output).absolute()
    if "://" in output:
        return target
    as_csv = output.lower().endswith(".csv")
    if target.exists() and as_csv and target.is_dir():
        raise DataError("is a folder; give a file name", path=target)
    if target.exists() and not as_csv and not target.is_dir():
        raise DataError("is a file; Spark writes a folder of Parquet files", path=target)
    if not target.parent.is_dir():
        raise DataError("the folder to write into does not exist", path=target)
    return target


def _csv_writer(frame: Any, delimiter: str) -> Any:
    """Spark's CSV writer set to write what Python's csv module writes (RFC 4180 quoting,
    empty cells for empty strings and nulls, spaces kept, CRLF line ends)."""
    return (
        frame.write.mode("overwrite")
        .option("header", "true")
        .option("sep", delimiter)
        .option("quote", '"')
        .option("escape", '"')
        .option("emptyValue", "")
        .option("nullValue", "")
        .option("ignoreLeadingWhiteSpace", "false")
        .option("ignoreTrailingWhiteSpace", "false")
        .option("lineSep", "\r\n")
        .option("encoding", "UTF-8")
    )


__all__: Sequence[str] = [
    "SharedScreener",
    "check_input",
    "screen_batches",
    "screen_file_spark",
]
