"""The case store: the transactional database of cases, users and decisions.

Separate from the workspace's analytical DuckDB file, which allows one writing process: the case
store is written by many analysts at once while ``monitor`` runs. It is SQLite in the workspace
(``<home>/cases.sqlite``, WAL journal, foreign keys on, a busy timeout, writers serialised by
``BEGIN IMMEDIATE``) unless ``COUNTERFLOW_CASES_URL`` names another database, PostgreSQL for a
team (``postgresql://user@host/db``, through psycopg 3).

The schema is kept by the Alembic migrations shipped in :mod:`counterflow.cases.migrations`
and run from here (no ``alembic.ini``): a writing open creates the store and brings its schema
up to date; a reading open never creates anything (a store that does not exist reads as an
empty one) and asks for a writing command when the schema is behind. A store written by a newer
counterflow is refused, never touched.
"""

from __future__ import annotations

import os
import urllib.parse
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy.engine import URL, Engine, make_url
from sqlalchemy.exc import ArgumentError, SQLAlchemyError
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column, sessionmaker

from counterflow.errors import ConfigError, StoreError
from counterflow.io import ensure_private_dir, make_private
from counterflow.settings import CASES_URL_ENV, Settings

if TYPE_CHECKING:
    from alembic.config import Config

# Alembic is imported where it is used: reading users needs SQLAlchemy only, not the migrations

CASES_FILENAME = "cases.sqlite"
#: the table where Alembic keeps the store's schema revision (named for a shared PostgreSQL)
VERSION_TABLE = "counterflow_schema"
#: how long a writer waits for another one to finish before giving up (SQLite)
BUSY_TIMEOUT_SECONDS = 30.0
#: naming convention for constraints, so later migrations can name what they alter or drop
NAMING = {
    "ix": "ix_%(table_name)s_%(column_0_name)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}
#: a key for PostgreSQL's advisory lock, held while migrating so two processes never both do
_MIGRATION_LOCK = 0x636F756E74657266  # "counterf"


class Base(DeclarativeBase):
    """The typed ORM base of every table of the case store."""

    metadata = sa.MetaData(naming_convention=NAMING)


def utcnow() -> datetime:
    return datetime.now(UTC)


def as_utc(value: datetime) -> datetime:
    """A stored time as an aware UTC time (SQLite gives them back naive)."""
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def store_url(settings: Settings) -> URL:
    """The case store's URL: ``settings.cases_url``, else ``<home>/cases.sqlite``. A bare
    ``postgresql://`` gets the psycopg 3 driver (the one counterflow ships with)."""
    if settings.cases_url is None:
        return URL.create("sqlite+pysqlite", database=str(settings.home / CASES_FILENAME))
    try:
        url = make_url(settings.cases_url.strip())
    except ArgumentError as exc:
        raise ConfigError(f"{CASES_URL_ENV} is not a database URL") from exc
    if url.drivername in ("postgresql", "postgres"):
        url = url.set(drivername="postgresql+psycopg")
    elif url.drivername == "sqlite":
        url = url.set(drivername="sqlite+pysqlite")
    if url.get_backend_name() == "sqlite" and url.database in (None, "", ":memory:"):
        raise ConfigError(f"{CASES_URL_ENV}: the case store must be a file (sqlite:///PATH)")
    return url


def _migrations_config(connection: sa.Connection | None = None) -> Config:
    """Alembic's configuration, built here: the scripts shipped in the package."""
    from alembic.config import Config

    config = Config()
    location = resources.files("counterflow.cases") / "migrations"
    config.set_main_option("script_location", str(location))
    config.attributes["connection"] = connection
    config.attributes["version_table"] = VERSION_TABLE
    return config


def head_revision() -> str:
    """The schema revision this counterflow writes."""
    from alembic.script import ScriptDirectory

    head = ScriptDirectory.from_config(_migrations_config()).get_current_head()
    if head is None:  # pragma: no cover - the package ships its migrations
        raise StoreError("counterflow's case store migrations are missing from the package")
    return head


class CaseStore:
    """The case store, open for reading or writing. Use :meth:`open`, then :meth:`session`.

    A reading store whose database does not exist yet is :attr:`empty`: it has no engine, and
    readers answer with nothing found."""

    def __init__(self, url: URL, engine: Engine | None, *, write: bool) -> None:
        self.url = url
        self.engine = engine
        self.write = write
        self._sessions = sessionmaker(engine, expire_on_commit=False) if engine else None

    @classmethod
    def open(cls, settings: Settings, *, write: bool = False, create: bool = True) -> CaseStore:
        """The store of these settings. ``write``: migrate it, and create it if missing unless
        ``create`` is false (a command that changes something that must exist already: a store
        with nothing in it then opens :attr:`empty`, and stays uncreated)."""
        url = store_url(settings)
        sqlite = url.get_backend_name() == "sqlite"
        path = Path(url.database or "") if sqlite else None
        if path is not None and not (write and create) and not path.exists():
            return cls(url, None, write=False)
        if path is not None and write:
            ensure_private_dir(path.parent)
            if not path.exists():
                os.close(os.open(path, os.O_WRONLY | os.O_CREAT, 0o600))
        engine = _engine(url, write=write)
        store = cls(url, engine, write=write)
        try:
            if write:
                store._migrate(create)
            else:
                store._check()
        except BaseException:
            engine.dispose()
            raise
        if path is not None:
            for name in (path.name, path.name + "-wal", path.name + "-shm"):
                make_private(path.with_name(name))
        return store

    @property
    def empty(self) -> bool:
        """Nothing was ever written: a reading open (or a writing one told not to create) of a
        store that does not exist, or of a database with no schema yet."""
        return self.engine is None

    @property
    def where(self) -> str:
        """The store for messages: the SQLite file, or the URL without its password."""
        if self.url.get_backend_name() == "sqlite":
            return str(self.url.database)
        return self.url.render_as_string(hide_password=True)

    def close(self) -> None:
        if self.engine is not None:
            self.engine.dispose()

    def __enter__(self) -> CaseStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A session in one transaction: committed on success, rolled back on an error.
        Database errors become :class:`StoreError` naming the store."""
        if self._sessions is None:
            raise StoreError(f"the case store {self.where} does not exist yet")
        try:
            with self._sessions.begin() as session:
                yield session
        except SQLAlchemyError as exc:
            raise StoreError(f"case store {self.where}: {_reason(exc)}") from exc

    def revision(self) -> str | None:
        """The schema revision the database is at (None: no schema yet)."""
        if self.engine is None:
            return None
        with self.engine.connect() as conn:
            return _current(conn)

    def _check(self) -> None:
        assert self.engine is not None
        head = head_revision()
        try:
            with self.engine.connect() as conn:
                current = _current(conn)
        except SQLAlchemyError as exc:
            raise StoreError(f"cannot open the case store {self.where}: {_reason(exc)}") from exc
        if current == head:
            return
        _refuse_newer(current, self.where)
        if current is None:
            # a database that exists but has no schema yet (a fresh PostgreSQL database):
            # nothing was written, so it reads as an empty store
            self.engine.dispose()
            self.engine, self._sessions = None, None
            return
        raise StoreError(
            f"the case store {self.where} is at schema revision {current}, this counterflow "
            f"needs {head}: run a writing command (e.g. 'counterflow users add') to migrate it"
        )

    def _migrate(self, create: bool) -> None:
        from alembic import command
        from alembic.util.exc import CommandError

        assert self.engine is not None
        try:
            with self.engine.begin() as conn:
                if conn.dialect.name == "postgresql":
                    conn.execute(sa.select(sa.func.pg_advisory_xact_lock(_MIGRATION_LOCK)))
                current = _current(conn)
                _refuse_newer(current, self.where)
                if current is None and not create:
                    empty = True
                else:
                    empty = False
                    command.upgrade(_migrations_config(conn), "head")
        except CommandError as exc:
            raise StoreError(f"cannot migrate the case store {self.where}: {exc}") from exc
        except SQLAlchemyError as exc:
            raise StoreError(f"cannot open the case store {self.where}: {_reason(exc)}") from exc
        if empty:
            self.engine.dispose()
            self.engine, self._sessions, self.write = None, None, False


def _current(conn: sa.Connection) -> str | None:
    from alembic.runtime.migration import MigrationContext

    context = MigrationContext.configure(conn, opts={"version_table": VERSION_TABLE})
    return context.get_current_revision()


def _refuse_newer(current: str | None, where: str) -> None:
    """Refuse a store at a revision this counterflow does not know: a newer one wrote it."""
    if current is None:
        return
    from alembic.script import ScriptDirectory
    from alembic.util.exc import CommandError

    script = ScriptDirectory.from_config(_migrations_config())
    try:
        known = script.get_revision(current) is not None
    except CommandError:
        known = False
    if not known:
        raise StoreError(
            f"the case store {where} was written by a newer counterflow (schema revision "
            f"{current}, this one knows up to {head_revision()}); upgrade counterflow"
        )


def _engine(url: URL, *, write: bool) -> Engine:
    if url.get_backend_name() != "sqlite":
        try:
            return sa.create_engine(url, pool_pre_ping=True)
        except (ArgumentError, ImportError) as exc:
            raise ConfigError(
                f"cannot use the case store {url.render_as_string(hide_password=True)}: {exc}"
                + (" (install counterflow[postgres])" if isinstance(exc, ImportError) else "")
            ) from exc
    # mode=rw: an existing file only; the writing open created it (0600) beforehand
    database = f"file:{urllib.parse.quote(str(url.database), safe='/')}?mode=rw"
    engine = sa.create_engine(
        URL.create("sqlite+pysqlite", database=database, query={"uri": "true"}),
        connect_args={"timeout": BUSY_TIMEOUT_SECONDS, "check_same_thread": False},
    )
    begin = "BEGIN IMMEDIATE" if write else "BEGIN"

    @sa.event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, record: Any) -> None:
        # transactions are begun here (below), not by the sqlite3 module's guesswork
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        try:
            cursor.execute("PRAGMA foreign_keys = ON")
            cursor.execute(f"PRAGMA busy_timeout = {int(BUSY_TIMEOUT_SECONDS * 1000)}")
            if write:
                cursor.execute("PRAGMA journal_mode = WAL")
        finally:
            cursor.close()

    @sa.event.listens_for(engine, "begin")
    def _on_begin(conn: sa.Connection) -> None:
        # writers take the write lock up front: a reader that later writes could otherwise
        # fail at once with "database is locked" instead of waiting its turn
        conn.exec_driver_sql(begin)

    return engine


def _reason(exc: SQLAlchemyError) -> str:
    """The database's own words, without SQLAlchemy's statement dump."""
    original = getattr(exc, "orig", None)
    return str(original or exc).splitlines()[0]


def stamp(value: datetime | None) -> str | None:
    """A stored time as ``2026-12-07T07:35:06Z``."""
    return None if value is None else as_utc(value).strftime("%Y-%m-%dT%H:%M:%SZ")


# ------------------------------------------------------------------ cases (revision 0002)

#: a case's statuses, in the order of its lifecycle
CASE_STATUSES = ("new", "investigating", "proposed", "approved", "reported", "closed")
#: what a case's evidence items are
EVIDENCE_KINDS = ("alert", "transaction", "party", "list_entry", "exposure", "hit")


def _in(values: tuple[str, ...]) -> str:
    return ", ".join(f"'{v}'" for v in values)


class CaseRow(Base):
    """The ``cases`` table: a case's current state. Its public id is ``C-`` and the integer
    key in six digits (``C-000123``); ``version`` grows with every change (optimistic
    locking: a write based on another version is refused)."""

    __tablename__ = "cases"
    __table_args__ = (
        sa.CheckConstraint(f"status IN ({_in(CASE_STATUSES)})", name="status"),
        sa.CheckConstraint("decision IN ('report', 'no-report')", name="decision"),
        sa.Index("ix_cases_status", "status"),
        sa.Index("ix_cases_assignee_id", "assignee_id"),
        sa.Index("ix_cases_due_at", "due_at"),
    )

    id: Mapped[int] = mapped_column(sa.Integer, primary_key=True, autoincrement=True)
    title: Mapped[str] = mapped_column(sa.String(200))
    status: Mapped[str] = mapped_column(sa.String(16))
    priority: Mapped[str] = mapped_column(sa.String(16))
    due_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True))
    dataset: Mapped[str | None] = mapped_column(sa.String(200))
    assignee_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    created_by: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    decision: Mapped[str | None] = mapped_column(sa.String(16))
    reason: Mapped[str | None] = mapped_column(sa.Text)
    proposed_by: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    approved_by: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    reference: Mapped[str | None] = mapped_column(sa.String(200))
    version: Mapped[int] = mapped_column(sa.Integer)
    created_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True))


class CaseEventRow(Base):
    """The ``case_events`` table: a case's history, one hash-chained event per change."""

    __tablename__ = "case_events"
    __table_args__ = (sa.UniqueConstraint("case_id", "seq"),)

    id: Mapped[int] = mapped_column(sa.Integer, primary_key=True, autoincrement=True)
    case_id: Mapped[int] = mapped_column(sa.ForeignKey("cases.id"))
    seq: Mapped[int] = mapped_column(sa.Integer)
    time: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True))
    actor_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    #: the actor's name as hashed (user names are never changed or reused)
    actor: Mapped[str] = mapped_column(sa.String(64))
    kind: Mapped[str] = mapped_column(sa.String(32))
    #: canonical JSON
    payload: Mapped[str] = mapped_column(sa.Text)
    prev: Mapped[str] = mapped_column(sa.String(64))
    hash: Mapped[str] = mapped_column(sa.String(64))


class CaseEvidenceRow(Base):
    """The ``case_evidence`` table: what a case shows, frozen as canonical JSON when added."""

    __tablename__ = "case_evidence"
    __table_args__ = (
        sa.CheckConstraint(f"kind IN ({_in(EVIDENCE_KINDS)})", name="kind"),
        sa.UniqueConstraint("case_id", "kind", "key"),
        sa.Index("ix_case_evidence_kind_key", "kind", "key"),
    )

    id: Mapped[int] = mapped_column(sa.Integer, primary_key=True, autoincrement=True)
    case_id: Mapped[int] = mapped_column(sa.ForeignKey("cases.id"))
    seq: Mapped[int] = mapped_column(sa.Integer)
    kind: Mapped[str] = mapped_column(sa.String(16))
    #: the item's own id, qualified (``world/T0000000001``, ``un-sc@2026-01-15/un-sc:ZZi.001``)
    key: Mapped[str] = mapped_column(sa.String(500))
    dataset: Mapped[str | None] = mapped_column(sa.String(200))
    #: canonical JSON (sorted keys, no spaces, UTF-8), and its SHA-256
    body: Mapped[str] = mapped_column(sa.Text)
    content_hash: Mapped[str] = mapped_column(sa.String(64))
    added_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True))
    added_by: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))


class AlertDispositionRow(Base):
    """The ``alert_dispositions`` table (revision 0003): dismissals of alerts and their
    reopening, append-only; an alert's disposition is its latest row."""

    __tablename__ = "alert_dispositions"
    __table_args__ = (
        sa.CheckConstraint("action IN ('dismiss', 'reopen')", name="action"),
        sa.Index("ix_alert_dispositions_alert_id", "alert_id"),
    )

    id: Mapped[int] = mapped_column(sa.Integer, primary_key=True, autoincrement=True)
    alert_id: Mapped[str] = mapped_column(sa.String(40))
    dataset: Mapped[str] = mapped_column(sa.String(200))
    action: Mapped[str] = mapped_column(sa.String(16))
    reason: Mapped[str] = mapped_column(sa.Text)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True))
    #: the alert's transactions when decided on (canonical JSON list), and its score
    tx_ids: Mapped[str] = mapped_column(sa.Text)
    score: Mapped[float] = mapped_column(sa.Float)


class WebSessionRow(Base):
    """The ``web_sessions`` table (revision 0004): sessions of the web UI, by the SHA-256 of
    their cookie's token (see :mod:`counterflow.cases.sessions`)."""

    __tablename__ = "web_sessions"

    token_hash: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"), index=True)
    csrf: Mapped[str] = mapped_column(sa.String(64))
    created_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True))
    seen_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True))
    ended_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))
