"""The customer base kept in the workspace, so that a new list edition can be screened against
it without the bank sending its customers again (:mod:`counterflow.screening.rescreen`).

A customer is one row of the ``counterflow screen --input`` contract plus a required ``id``.
Import upserts by id: a new id is inserted, a known id whose values differ is updated, the rest
are unchanged; customers missing from the file stay. The whole file is read and checked before
anything is written, and one transaction writes it, so a bad row (named by line and field)
leaves the customer base as it was.

Besides the record, the import stores each customer's names analysed once: every word as its
*form* (``customer_tokens``: kind, script, phonetic form, skeleton, vowel class), and its
identifiers as ``i:`` keys (``customer_keys``). A word's index keys (the keys
:class:`~counterflow.screening.Screener` files a list name under) and its weight are functions
of its form, so a re-screen works on the few thousand distinct forms and then finds the
customers that carry them with one database join, instead of analysing a million names again.
The forms depend on how names are analysed: re-import the base after an upgrade that changes
the analysis.

The records hold customers' names and dates of birth: they stay in the workspace database,
which is private to its owner (``0600``).
"""

from __future__ import annotations

import json
import secrets
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa

from counterflow.errors import DataError, NotFoundError
from counterflow.io import CsvOptions, open_table, transaction
from counterflow.model import SCHEMATA, parse_date
from counterflow.model.countries import to_code
from counterflow.screening.evidence import normalize_identifier
from counterflow.screening.names import Kind, Token, analyze, name_class_of
from counterflow.screening.query import Query
from counterflow.screening.screener import MIN_IDENTIFIER, _keys
from counterflow.text import cite, clean_name
from counterflow.workspace import Workspace

#: the columns a customer file may carry (those of ``counterflow screen --input``)
CUSTOMER_COLUMNS = (
    "id",
    "name",
    "full_name",
    "first_name",
    "middle_name",
    "last_name",
    "schema",
    "birth_date",
    "date_of_birth",
    "dob",
    "nationality",
    "country",
    "gender",
    "id_number",
    "place_of_birth",
)
_NAME_COLUMNS = ("name", "full_name", "first_name", "middle_name", "last_name")
_DATE_COLUMNS = ("birth_date", "date_of_birth", "dob")
_COUNTRY_COLUMNS = ("nationality", "country")
#: longest customer id accepted
MAX_ID = 200
#: customers staged per batch while a file is read
_BATCH = 50_000
_KEY_SCHEMA = pa.schema([("customer_id", pa.string()), ("key", pa.string())])
_TOKEN_SCHEMA = pa.schema(
    [
        ("customer_id", pa.string()),
        ("name_no", pa.uint8()),
        ("token_no", pa.uint8()),
        ("wkey", pa.string()),
        ("initial", pa.bool_()),
    ]
)
_RECORD_SCHEMA = pa.schema([("customer_id", pa.string()), ("record", pa.string())])

Progress = Callable[[int], None]


@dataclass(frozen=True)
class ImportReport:
    """What one import did."""

    import_id: str
    source: str
    rows: int
    inserted: int
    updated: int
    unchanged: int
    seconds: float
    #: columns of the file that are not customer columns (ignored)
    ignored_columns: tuple[str, ...] = ()

    def to_json(self) -> dict[str, Any]:
        return {
            "import_id": self.import_id,
            "source": self.source,
            "rows": self.rows,
            "inserted": self.inserted,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "seconds": round(self.seconds, 3),
            "ignored_columns": list(self.ignored_columns),
        }


@dataclass(frozen=True)
class CustomerBase:
    """How many customers the workspace holds, and its last import."""

    customers: int
    #: words of names stored (one row per word of each name)
    words: int
    last_import: ImportReport | None
    imported_at: datetime | None


@dataclass(frozen=True)
class Customer:
    customer_id: str
    record: dict[str, str]
    updated_at: datetime
    keys: tuple[str, ...] = field(default=())

    def query(self) -> Query:
        return to_query(self.customer_id, self.record)


def _text(value: Any) -> str | None:
    if value is None or (isinstance(value, float) and value != value):
        return None
    text = " ".join(str(value).split())
    return text or None


def to_query(customer_id: str, record: Mapping[str, str]) -> Query:
    """The query a stored customer is screened as: the same as ``screen --input`` would make
    of the row, so that a re-screen scores a customer exactly as a full screen does."""
    return Query.from_record({**record, "id": customer_id})


def customer_record(
    values: Mapping[str, Any], *, path: Path | str | None = None, location: str | None = None
) -> tuple[str, dict[str, str], Query]:
    """A file row as (id, record, query), checked field by field.

    A row that screening would silently weaken is refused instead, naming the field: a
    customer base is screened again and again, and a date of birth or a country that cannot
    be read would be lost as evidence every time without anyone seeing it.
    """

    def bad(column: str, problem: str) -> DataError:
        return DataError(f"field {column}: {problem}", path=path, location=location)

    lowered = {str(k).strip().lower(): v for k, v in values.items() if k is not None}
    record = {c: t for c in CUSTOMER_COLUMNS if (t := _text(lowered.get(c))) is not None}
    customer_id = record.pop("id", None)
    if customer_id is None:
        raise bad("id", "is empty (every customer needs an id)")
    if len(customer_id) > MAX_ID:
        raise bad("id", f"is {len(customer_id)} characters long, over the {MAX_ID} limit")
    schema = record.get("schema")
    if schema is not None and clean_name(schema) not in SCHEMATA:
        raise bad("schema", f"unknown schema {cite(schema)}")
    for column in _DATE_COLUMNS:
        if column in record and parse_date(clean_name(record[column])) is None:
            raise bad(column, f"{cite(record[column])} is not a date")
    for column in _COUNTRY_COLUMNS:
        if column in record and to_code(clean_name(record[column])) is None:
            raise bad(column, f"{cite(record[column])} is not a country")
    given = [c for c in _NAME_COLUMNS if c in record]
    if not given:
        raise bad("name", "is empty (give name, full_name, or first_name and last_name)")
    try:
        query = to_query(customer_id, record)
    except DataError as exc:
        raise bad("/".join(given), exc.problem) from exc
    return customer_id, record, query


#: (name number, word number, weight key, is an initial) rows
TokenRow = tuple[int, int, str, bool]


def weight_key(token: Token) -> str:
    """A word as the re-screen needs it, as text: what its weight depends on (kind, script,
    phonetic form, skeleton; the weights come from the lists' word rarities, known only when a
    re-screen runs) and what its similarity to a listed word does (vowel class too)."""
    return f"{token.kind}|{'a' if token.abjad else 'l'}|{token.phon}|{token.skel}|{token.vclass}"


def token_of(wkey: str) -> Token:
    """The word :func:`weight_key` describes (its written text is its phonetic form)."""
    kind, script, phon, skel, vclass = wkey.split("|", 4)
    return Token(phon, phon, skel, vclass, Kind(kind), script == "a", False)


def index_rows(query: Query) -> tuple[set[str], list[TokenRow]]:
    """A customer's identifier keys (``i:``, those long enough to look up alone, as the
    screener's) and the words of its names: (name, word, form, is an initial)."""
    tokens: list[TokenRow] = []
    name_class = name_class_of(query.schema)
    for name_no, name in enumerate(query.names[:255]):
        for token_no, token in enumerate(analyze(name, name_class).tokens[:255]):
            tokens.append((name_no, token_no, weight_key(token), token.initial))
    keys: set[str] = set()
    for identifier in query.identifiers:
        normal = normalize_identifier(identifier)
        if len(normal) >= MIN_IDENTIFIER:
            keys.add(f"i:{normal}")
    return keys, tokens


def word_keys(wkey: str) -> tuple[str, ...]:
    """The index keys of a stored word, as the screener computes them for a listed word."""
    return _keys(token_of(wkey))


def import_customers(
    workspace: Workspace,
    path: str | Path,
    *,
    csv_options: CsvOptions | None = None,
    progress: Progress | None = None,
) -> ImportReport:
    """Read and check a whole customer file, then upsert it by id in one transaction."""
    started = time.perf_counter()
    path = Path(path)
    table = open_table(path, csv_options)
    columns = {c.strip().lower() for c in table.columns}
    if "id" not in columns:
        raise DataError(
            f"no id column: every customer needs one (found {', '.join(table.columns) or 'none'})",
            path=path,
        )
    if not columns & set(_NAME_COLUMNS):
        raise DataError(
            f"no name column (expected one of {', '.join(_NAME_COLUMNS)}; "
            f"found {', '.join(table.columns)})",
            path=path,
        )
    ignored = tuple(c for c in table.columns if c.strip().lower() not in CUSTOMER_COLUMNS)
    staged: list[tuple[pa.Table, pa.Table, pa.Table]] = []
    seen: dict[str, str] = {}
    rows = 0
    for batch in _batches(table.rows, path, seen):
        rows += batch.size
        staged.append(batch.tables())
        if progress:
            progress(rows)
    if not rows:
        raise DataError("the file holds no customers", path=path)
    incoming, incoming_keys, incoming_tokens = (
        pa.concat_tables(t[i] for t in staged) for i in range(3)
    )
    del staged
    import_id = f"ci-{datetime.now(UTC):%Y%m%d%H%M%S}-{secrets.token_hex(3)}"
    now = datetime.now(UTC).replace(tzinfo=None)
    with workspace.connect() as conn:
        conn.execute("SET enable_progress_bar = false")  # the command reports progress itself
        try:
            with transaction(conn, f"importing customers from {path}"):
                conn.register("incoming_customers", incoming)
                conn.register("incoming_keys", incoming_keys)
                conn.register("incoming_tokens", incoming_tokens)
                counts = _upsert(conn, import_id, now)
                seconds = time.perf_counter() - started
                report = ImportReport(
                    import_id, str(path.resolve()), rows, *counts, seconds, ignored
                )
                conn.execute(
                    "INSERT INTO customer_imports VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                    [import_id, report.source, now, rows, *counts, seconds],
                )
        finally:
            conn.unregister("incoming_customers")
            conn.unregister("incoming_keys")
            conn.unregister("incoming_tokens")
    return report


def _batches(rows: Iterator[Any], path: Path, seen: dict[str, str]) -> Iterator[_Batch]:
    """The file's customers checked and analysed, a batch at a time (Arrow tables)."""
    batch = _Batch()
    for row in rows:
        customer_id, record, query = customer_record(row.values, path=path, location=row.location)
        first = seen.get(customer_id)
        if first is not None:
            raise DataError(
                f"field id: {cite(customer_id)} appears twice (first on {first})",
                path=path,
                location=row.location,
            )
        seen[customer_id] = row.location
        batch.add(customer_id, json.dumps(record, ensure_ascii=False, sort_keys=True), query)
        if batch.size >= _BATCH:
            yield batch
            batch = _Batch()
    if batch.size:
        yield batch


class _Batch:
    """Customers being staged: Arrow-ready columns of records, keys and words."""

    def __init__(self) -> None:
        self.size = 0
        self.records: list[list[str]] = [[], []]
        self.keys: list[list[Any]] = [[], []]
        self.tokens: list[list[Any]] = [[], [], [], [], []]

    def add(self, customer_id: str, record: str, query: Query) -> None:
        self.size += 1
        self.records[0].append(customer_id)
        self.records[1].append(record)
        keys, tokens = index_rows(query)
        for key in keys:
            self.keys[0].append(customer_id)
            self.keys[1].append(key)
        for token_row in tokens:
            self.tokens[0].append(customer_id)
            for column, item in zip(self.tokens[1:], token_row, strict=True):
                column.append(item)

    def tables(self) -> tuple[pa.Table, pa.Table, pa.Table]:
        return (
            pa.table(self.records, schema=_RECORD_SCHEMA),
            pa.table(self.keys, schema=_KEY_SCHEMA),
            pa.table(self.tokens, schema=_TOKEN_SCHEMA),
        )


def _upsert(conn: duckdb.DuckDBPyConnection, import_id: str, now: datetime) -> tuple[int, int, int]:
    """Insert new customers, replace changed ones (record and keys), count the unchanged."""
    conn.execute(
        """
        CREATE OR REPLACE TEMP TABLE customer_changes AS
        SELECT i.customer_id, i.record,
               CASE WHEN c.customer_id IS NULL THEN 'inserted'
                    WHEN c.record = i.record THEN 'unchanged' ELSE 'updated' END AS status
        FROM incoming_customers i LEFT JOIN customers c USING (customer_id)
        """
    )
    found = dict(
        conn.execute("SELECT status, count(*) FROM customer_changes GROUP BY status").fetchall()
    )
    if found.get("updated"):
        for table in ("customers", "customer_keys", "customer_tokens"):
            conn.execute(
                f"DELETE FROM {table} WHERE customer_id IN "
                "(SELECT customer_id FROM customer_changes WHERE status = 'updated')"
            )
    conn.execute(
        "INSERT INTO customers SELECT customer_id, record, ?, ? FROM customer_changes "
        "WHERE status <> 'unchanged'",
        [import_id, now],
    )
    for table in ("keys", "tokens"):
        conn.execute(
            f"INSERT INTO customer_{table} SELECT k.* FROM incoming_{table} k "
            "JOIN customer_changes c USING (customer_id) WHERE c.status <> 'unchanged'"
        )
    conn.execute("DROP TABLE customer_changes")
    return (
        int(found.get("inserted", 0)),
        int(found.get("updated", 0)),
        int(found.get("unchanged", 0)),
    )


def customer_base(conn: duckdb.DuckDBPyConnection) -> CustomerBase:
    """The size of the customer base and its last import."""
    count = conn.execute("SELECT count(*) FROM customers").fetchone()
    words = conn.execute("SELECT count(*) FROM customer_tokens").fetchone()
    last = conn.execute(
        "SELECT import_id, source, rows, inserted, updated, unchanged, seconds, imported_at "
        "FROM customer_imports ORDER BY imported_at DESC LIMIT 1"
    ).fetchone()
    report = None
    imported_at = None
    if last:
        rows, inserted, updated, unchanged = (int(v) for v in last[2:6])
        report = ImportReport(
            str(last[0]), str(last[1]), rows, inserted, updated, unchanged, float(last[6])
        )
        imported_at = last[7]
    return CustomerBase(
        int(count[0]) if count else 0, int(words[0]) if words else 0, report, imported_at
    )


def get_customer(conn: duckdb.DuckDBPyConnection, customer_id: str) -> Customer:
    """One stored customer with its index keys."""
    row = conn.execute(
        "SELECT record, updated_at FROM customers WHERE customer_id = ?", [customer_id]
    ).fetchone()
    if row is None:
        raise NotFoundError(f"no customer {customer_id!r}")
    found = conn.execute(
        "SELECT wkey FROM customer_tokens WHERE customer_id = ? AND NOT initial "
        "UNION SELECT key FROM customer_keys WHERE customer_id = ?",
        [customer_id, customer_id],
    ).fetchall()
    keys: set[str] = set()
    for (value,) in found:
        keys.update([str(value)] if str(value).startswith("i:") else word_keys(str(value)))
    keys_sorted = sorted(keys)
    return Customer(customer_id, json.loads(row[0]), row[1], tuple(keys_sorted))


__all__ = [
    "CUSTOMER_COLUMNS",
    "Customer",
    "CustomerBase",
    "ImportReport",
    "customer_base",
    "customer_record",
    "get_customer",
    "import_customers",
    "index_rows",
    "to_query",
    "token_of",
    "weight_key",
    "word_keys",
]
