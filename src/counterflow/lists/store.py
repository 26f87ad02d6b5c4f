"""List editions in the workspace: import, look up, pin, and read entities back.

An edition is one import of one publication of a list, identified by the publication date the
file states (or the file's hash where it states none). Imports are all-or-nothing: the file is
parsed completely before one transaction writes the edition, so a bad file leaves the previous
edition active and nothing half-written. Importing the same bytes again changes nothing.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import pyarrow as pa

from counterflow.errors import ConfigError, DataError, NotFoundError
from counterflow.io import transaction
from counterflow.lists.base import ListParser
from counterflow.lists.registry import detect, get_parser
from counterflow.model import Entity
from counterflow.workspace import Workspace

Progress = Callable[[int], None]

_EDITION_COLUMNS = (
    "edition_id, list_id, published, content_hash, format, source, title, "
    "imported_at, entity_count, schema_counts"
)
_NEWEST_FIRST = (
    "ORDER BY coalesce(published, strftime(imported_at, '%Y-%m-%dT%H:%M:%S')) DESC, "
    "imported_at DESC"
)


@dataclass(frozen=True)
class Edition:
    """One imported publication of a list."""

    edition_id: str
    list_id: str
    published: str | None
    content_hash: str
    format: str
    source: str
    title: str | None
    imported_at: datetime
    entity_count: int
    schema_counts: dict[str, int] = field(default_factory=dict)

    @property
    def label(self) -> str:
        """What users call the edition: its publication date, else a hash prefix."""
        return self.edition_id.split("@", 1)[1]

    @classmethod
    def from_row(cls, row: tuple[object, ...]) -> Edition:
        (
            edition_id,
            list_id,
            published,
            content_hash,
            fmt,
            source,
            title,
            imported_at,
            count,
            counts,
        ) = row
        assert isinstance(imported_at, datetime)
        return cls(
            str(edition_id),
            str(list_id),
            None if published is None else str(published),
            str(content_hash),
            str(fmt),
            str(source),
            None if title is None else str(title),
            imported_at,
            int(str(count)),
            json.loads(str(counts)),
        )


@dataclass(frozen=True)
class ImportResult:
    edition: Edition
    #: False when the same edition was already in the workspace and nothing changed
    created: bool


def import_list(
    workspace: Workspace,
    path: str | Path,
    *,
    fmt: str | None = None,
    list_id: str | None = None,
    progress: Progress | None = None,
) -> ImportResult:
    """Parse a list file completely, then store it as a new edition in one transaction.

    ``list_id`` files the entries under another list than the format's own (a national list
    published in the UN format, or counterflow's sample list).
    """
    path = Path(path)
    parser: ListParser = get_parser(fmt) if fmt else detect(path)
    parsed = parser.parse(path)
    if list_id:
        _check_list_id(list_id)
        parsed.entities = (e.moved_to(list_id) for e in parsed.entities)
        parsed.list_id = list_id
    content_hash = parsed.content_hash()
    with workspace.connect() as conn:
        existing = conn.execute(
            f"SELECT {_EDITION_COLUMNS} FROM editions WHERE list_id = ? AND content_hash = ?",
            [parsed.list_id, content_hash],
        ).fetchone()
        if existing:
            return ImportResult(Edition.from_row(existing), created=False)
        entities = _collect(parsed.entities, progress)
        if not entities:
            raise DataError("the file holds no list entries", path=path)
        edition_id = _new_edition_id(conn, parsed.list_id, parsed.published, content_hash)
        counts = Counter(e.schema.name for e in entities)
        row = (
            edition_id,
            parsed.list_id,
            parsed.published,
            content_hash,
            parsed.format,
            str(path.resolve()),
            parsed.title,
            datetime.now(UTC).replace(tzinfo=None),
            len(entities),
            json.dumps(dict(sorted(counts.items()))),
        )
        _write_edition(conn, row, entities)
        return ImportResult(Edition.from_row(row), created=True)


def _check_list_id(list_id: str) -> None:
    if not re.fullmatch(r"[a-z0-9][a-z0-9_.\-]{0,63}", list_id):
        raise ConfigError(
            f"list id {list_id!r} must be 1-64 lower-case letters, digits, '-', '_' or '.', "
            "starting with a letter or digit"
        )


def _collect(entities: Iterable[Entity], progress: Progress | None) -> list[Entity]:
    collected: list[Entity] = []
    for entity in entities:
        collected.append(entity)
        if progress and len(collected) % 100 == 0:
            progress(len(collected))
    if progress:
        progress(len(collected))
    return collected


def _new_edition_id(
    conn: duckdb.DuckDBPyConnection, list_id: str, published: str | None, content_hash: str
) -> str:
    base = f"{list_id}@{published[:10] if published else content_hash[:12]}"
    taken = conn.execute("SELECT 1 FROM editions WHERE edition_id = ?", [base]).fetchone()
    # same publication date, different bytes: keep both, told apart by hash
    return f"{base}+{content_hash[:8]}" if taken else base


def _write_edition(
    conn: duckdb.DuckDBPyConnection, row: tuple[object, ...], entities: list[Entity]
) -> None:
    edition_id = row[0]
    table = pa.table(
        {
            "edition_id": pa.array([edition_id] * len(entities), pa.string()),
            "entity_id": [e.id for e in entities],
            "list_id": [e.list_id for e in entities],
            "ref": [e.ref for e in entities],
            "schema": [e.schema.name for e in entities],
            "caption": [e.caption for e in entities],
            "fingerprint": [e.fingerprint() for e in entities],
            "body": [json.dumps(e.to_json(), ensure_ascii=False) for e in entities],
        }
    )
    with transaction(conn, f"storing edition {edition_id}"):
        conn.execute(
            f"INSERT INTO editions ({_EDITION_COLUMNS}) VALUES (?,?,?,?,?,?,?,?,?,?)", list(row)
        )
        conn.register("incoming_entities", table)
        try:
            conn.execute("INSERT INTO entities SELECT * FROM incoming_entities")
        finally:
            conn.unregister("incoming_entities")


def list_editions(conn: duckdb.DuckDBPyConnection, list_id: str | None = None) -> list[Edition]:
    """Editions, newest first, of one list or of all."""
    where, params = ("WHERE list_id = ?", [list_id]) if list_id else ("", [])
    rows = conn.execute(
        f"SELECT {_EDITION_COLUMNS} FROM editions {where} {_NEWEST_FIRST}", params
    ).fetchall()
    return [Edition.from_row(r) for r in rows]


def active_editions(conn: duckdb.DuckDBPyConnection) -> dict[str, Edition]:
    """The edition screening uses for each list: the pinned one, else the newest."""
    pins = dict(conn.execute("SELECT list_id, edition_id FROM pins").fetchall())
    active: dict[str, Edition] = {}
    for edition in list_editions(conn):
        pinned = pins.get(edition.list_id)
        if pinned == edition.edition_id or (pinned is None and edition.list_id not in active):
            active[edition.list_id] = edition
    return dict(sorted(active.items()))


def pinned_lists(conn: duckdb.DuckDBPyConnection) -> set[str]:
    return {r[0] for r in conn.execute("SELECT list_id FROM pins").fetchall()}


def resolve_edition(
    conn: duckdb.DuckDBPyConnection, list_id: str, spec: str | None = None
) -> Edition:
    """Find an edition of a list; None means the active one.

    ``spec`` is tried as, in turn: ``active``/``current``, ``latest``, an exact edition id or
    label (``2026-02-27`` is that edition even when a corrected file of the same date was
    imported as ``2026-02-27+1a2b3c4d``), then a prefix of a label (``2024-09``) or of a
    content hash. A prefix that fits several editions is refused, naming those editions.
    """
    editions = list_editions(conn, list_id)
    if not editions:
        raise NotFoundError(
            f"no list {list_id!r} in the workspace; import it first "
            "('counterflow lists import PATH')"
        )
    if spec is None or spec in ("active", "current"):
        return active_editions(conn)[list_id]
    if spec == "latest":
        return editions[0]
    exact = [e for e in editions if spec in (e.edition_id, e.label)]
    if len(exact) == 1:
        return exact[0]
    matches = exact or [
        e for e in editions if e.label.startswith(spec) or e.content_hash.startswith(spec)
    ]
    if len(matches) == 1:
        return matches[0]
    if not matches:
        known = ", ".join(e.label for e in editions)
        raise NotFoundError(f"list {list_id!r} has no edition {spec!r} (editions: {known})")
    candidates = ", ".join(e.label for e in matches)
    raise NotFoundError(
        f"edition {spec!r} of {list_id!r} is ambiguous: it fits {candidates}; give more of it"
    )


def pin_edition(conn: duckdb.DuckDBPyConnection, list_id: str, spec: str) -> Edition:
    edition = resolve_edition(conn, list_id, spec)
    conn.execute("INSERT OR REPLACE INTO pins VALUES (?, ?)", [list_id, edition.edition_id])
    return edition


def unpin(conn: duckdb.DuckDBPyConnection, list_id: str) -> None:
    conn.execute("DELETE FROM pins WHERE list_id = ?", [list_id])


def active_entities(
    conn: duckdb.DuckDBPyConnection, lists: Sequence[str] | None = None
) -> tuple[dict[str, Edition], list[Entity]]:
    """The active edition of each list (or of ``lists``) and all their entities, read together
    on one connection so that the two always agree."""
    editions = {k: v for k, v in active_editions(conn).items() if not lists or k in lists}
    entities = [e for ed in editions.values() for e in iter_entities(conn, ed.edition_id)]
    return editions, entities


def iter_entities(conn: duckdb.DuckDBPyConnection, edition_id: str) -> Iterator[Entity]:
    """Every entity of an edition, in reference order."""
    for body in iter_entity_bodies(conn, edition_id):
        yield Entity.from_json(json.loads(body))


def iter_entity_bodies(conn: duckdb.DuckDBPyConnection, edition_id: str) -> Iterator[str]:
    """Every entity of an edition in its stored JSON form, in the order of
    :func:`iter_entities` (the screening index keeps them so, decoding only the few a match
    returns)."""
    cursor = conn.execute(
        "SELECT body FROM entities WHERE edition_id = ? ORDER BY ref", [edition_id]
    )
    while batch := cursor.fetchmany(2000):
        for (body,) in batch:
            yield str(body)


def get_entity(conn: duckdb.DuckDBPyConnection, edition_id: str, entity_id: str) -> Entity | None:
    row = conn.execute(
        "SELECT body FROM entities WHERE edition_id = ? AND entity_id = ?", [edition_id, entity_id]
    ).fetchone()
    return Entity.from_json(json.loads(row[0])) if row else None


def find_entities(
    conn: duckdb.DuckDBPyConnection, key: str, list_id: str | None = None
) -> list[tuple[Edition, Entity]]:
    """Entries whose entity id or source reference is ``key``, in each list's active edition."""
    found: list[tuple[Edition, Entity]] = []
    for lid, edition in active_editions(conn).items():
        if list_id and lid != list_id:
            continue
        rows = conn.execute(
            "SELECT body FROM entities WHERE edition_id = ? AND (entity_id = ? OR lower(ref) = ?)",
            [edition.edition_id, key, key.lower()],
        ).fetchall()
        found.extend((edition, Entity.from_json(json.loads(r[0]))) for r in rows)
    return found


def first_seen(conn: duckdb.DuckDBPyConnection, entity_id: str) -> Edition | None:
    """The oldest edition in the workspace that carries this entity."""
    rows = conn.execute(
        f"SELECT {_EDITION_COLUMNS} FROM editions WHERE edition_id IN "
        "(SELECT edition_id FROM entities WHERE entity_id = ?) "
        + _NEWEST_FIRST.replace("DESC", "ASC"),
        [entity_id],
    ).fetchall()
    return Edition.from_row(rows[0]) if rows else None


def edition_date(edition: Edition) -> str:
    """The day an edition stands for: its publication date, else the day it was imported."""
    return (edition.published or "")[:10] or edition.imported_at.date().isoformat()


def content_dates(conn: duckdb.DuckDBPyConnection, editions: Iterable[Edition]) -> dict[str, str]:
    """For each entity of ``editions`` (the active ones), the day (``YYYY-MM-DD``) since which
    its content has been as it is now: the date of the oldest edition of its list, up to the
    given one, from which on the entry kept its present fingerprint, i.e. the edition where it
    first appeared or last changed. ``changed_since`` on the service filters on it."""
    dates: dict[str, str] = {}
    for active in editions:
        history = list_editions(conn, active.list_id)  # newest first
        ids = [e.edition_id for e in history]
        older = history[ids.index(active.edition_id) :] if active.edition_id in ids else [active]
        placeholders = ", ".join("?" for _ in older)
        rows = conn.execute(
            "SELECT edition_id, entity_id, fingerprint FROM entities "
            f"WHERE edition_id IN ({placeholders})",
            [e.edition_id for e in older],
        ).fetchall()
        prints: dict[str, dict[str, str]] = {}
        for edition_id, entity_id, fingerprint in rows:
            prints.setdefault(str(edition_id), {})[str(entity_id)] = str(fingerprint)
        current = prints.get(active.edition_id, {})
        since = dict.fromkeys(current, edition_date(active))
        unchanged = set(current)
        for edition in older[1:]:
            then = prints.get(edition.edition_id, {})
            unchanged = {e for e in unchanged if then.get(e) == current[e]}
            if not unchanged:
                break
            day = edition_date(edition)
            for entity_id in unchanged:
                since[entity_id] = day
        dates.update(since)
    return dates
