"""The workspace: one folder that holds everything counterflow keeps, around one DuckDB file.

The folder is ``--home DIR``, else ``$COUNTERFLOW_HOME``, else a per-user data folder (see
:mod:`counterflow.settings`). The database carries a schema version; :data:`MIGRATIONS` bring
older workspaces forward, and a workspace written by a newer counterflow is refused rather than
damaged. The folder is created ``0700`` and the database ``0600``: it holds customers' names.
Reading never creates anything: a workspace that does not exist reads as an empty one.
"""

from __future__ import annotations

import os
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb

from counterflow.errors import DataError, StoreError
from counterflow.io import (
    ensure_private_dir,
    make_private,
    read_text,
    transaction,
    write_private_text,
)
from counterflow.settings import Settings

DB_FILENAME = "counterflow.duckdb"
CHANGE_STAMP = "counterflow.duckdb.changed"
_MAX_STAMP_BYTES = 4096
#: How long to wait for another process (an import, a reloading service) to let go of the file.
LOCK_WAIT_SECONDS = 30.0

#: Ordered schema migrations; migration N brings the database to version N (1-based).
MIGRATIONS: tuple[str, ...] = (
    """
    CREATE TABLE editions (
        edition_id   VARCHAR PRIMARY KEY,
        list_id      VARCHAR NOT NULL,
        published    VARCHAR,
        content_hash VARCHAR NOT NULL,
        format       VARCHAR NOT NULL,
        source       VARCHAR NOT NULL,
        title        VARCHAR,
        imported_at  TIMESTAMP NOT NULL,
        entity_count INTEGER NOT NULL,
        schema_counts VARCHAR NOT NULL
    );
    CREATE TABLE entities (
        edition_id  VARCHAR NOT NULL,
        entity_id   VARCHAR NOT NULL,
        list_id     VARCHAR NOT NULL,
        ref         VARCHAR NOT NULL,
        schema      VARCHAR NOT NULL,
        caption     VARCHAR NOT NULL,
        fingerprint VARCHAR NOT NULL,
        body        VARCHAR NOT NULL,
        PRIMARY KEY (edition_id, entity_id)
    );
    CREATE TABLE pins (
        list_id    VARCHAR PRIMARY KEY,
        edition_id VARCHAR NOT NULL
    );
    """,
    # v2: transactions (issue 5). Rows carry their dataset; no primary keys on the big tables,
    # so bulk loads stay fast: imports check uniqueness themselves, inside their transaction.
    """
    CREATE TABLE tx_datasets (
        dataset       VARCHAR PRIMARY KEY,
        format        VARCHAR NOT NULL,
        source        VARCHAR NOT NULL,
        base_currency VARCHAR NOT NULL,
        imported_at   TIMESTAMP NOT NULL,
        counts        VARCHAR NOT NULL
    );
    CREATE TABLE parties (
        dataset VARCHAR NOT NULL, party_id VARCHAR NOT NULL, name VARCHAR, kind VARCHAR,
        country VARCHAR, city VARCHAR, born DATE, sector VARCHAR
    );
    CREATE TABLE accounts (
        dataset VARCHAR NOT NULL, account_id VARCHAR NOT NULL, party_id VARCHAR, bank VARCHAR,
        country VARCHAR, opened DATE
    );
    CREATE TABLE transactions (
        dataset VARCHAR NOT NULL, tx_id VARCHAR NOT NULL, timestamp TIMESTAMPTZ NOT NULL,
        amount DOUBLE NOT NULL, currency VARCHAR NOT NULL, base_amount DOUBLE,
        payer_account VARCHAR, payer_party VARCHAR, payer_name VARCHAR, payer_country VARCHAR,
        payer_bank VARCHAR, beneficiary_account VARCHAR, beneficiary_party VARCHAR,
        beneficiary_name VARCHAR, beneficiary_country VARCHAR, beneficiary_bank VARCHAR,
        channel VARCHAR NOT NULL, source_type VARCHAR, purpose_code VARCHAR,
        remittance_text VARCHAR, goods_description VARCHAR, hs_code VARCHAR, location VARCHAR,
        is_suspicious BOOLEAN, typology VARCHAR
    );
    CREATE TABLE party_labels (
        dataset VARCHAR NOT NULL, party_id VARCHAR NOT NULL, is_suspicious BOOLEAN NOT NULL,
        typology VARCHAR, role VARCHAR
    );
    """,
    # v3: alerts of the monitoring scenarios (issue 6); a re-run replaces its scenario's alerts
    """
    CREATE TABLE alerts (
        dataset VARCHAR NOT NULL, alert_id VARCHAR NOT NULL, scenario VARCHAR NOT NULL,
        typology VARCHAR NOT NULL, severity VARCHAR NOT NULL, subject_kind VARCHAR NOT NULL,
        subject_id VARCHAR NOT NULL, score DOUBLE NOT NULL, tx_ids VARCHAR[] NOT NULL,
        explanation VARCHAR NOT NULL, first_ts TIMESTAMPTZ, last_ts TIMESTAMPTZ,
        created_at TIMESTAMP NOT NULL
    );
    CREATE TABLE monitor_runs (
        dataset VARCHAR NOT NULL, scenario VARCHAR NOT NULL, params VARCHAR NOT NULL,
        alerts INTEGER NOT NULL, seconds DOUBLE NOT NULL, run_at TIMESTAMP NOT NULL
    );
    """,
    # v4: alerts that last across runs (issue 11). An alert's id is its scenario's finding
    # about one subject; created_at is when it was first raised, seen_at the run that last
    # raised it, changed_at/changes when and how its transactions or score last changed.
    # Alerts no longer raised that a case or a dismissal refers to move to retired_alerts.
    """
    ALTER TABLE alerts ADD COLUMN seen_at TIMESTAMP;
    ALTER TABLE alerts ADD COLUMN changed_at TIMESTAMP;
    ALTER TABLE alerts ADD COLUMN changes VARCHAR;
    UPDATE alerts SET seen_at = created_at;
    CREATE TABLE retired_alerts AS SELECT * FROM alerts WHERE false;
    ALTER TABLE retired_alerts ADD COLUMN retired_at TIMESTAMP;
    """,
    # v5: one party across lists (issue 12): analysts' merges and splits of list entries, and
    # the resolved clusters of the active editions (see counterflow.lists.resolve).
    # entity_links is the analysts' record (never rewritten); the other three are derived and
    # replaced whole each time the active editions or the judgements change (basis says which).
    """
    CREATE TABLE entity_links (
        link_id VARCHAR PRIMARY KEY, kind VARCHAR NOT NULL, entity_a VARCHAR NOT NULL,
        entity_b VARCHAR NOT NULL, analyst VARCHAR NOT NULL, actor VARCHAR NOT NULL,
        reason VARCHAR NOT NULL, created_at TIMESTAMP NOT NULL
    );
    CREATE TABLE entity_clusters (entity_id VARCHAR NOT NULL, cluster_id VARCHAR NOT NULL);
    CREATE TABLE entity_matches (
        entity_a VARCHAR NOT NULL, entity_b VARCHAR NOT NULL, rule VARCHAR NOT NULL,
        evidence VARCHAR NOT NULL, outcome VARCHAR NOT NULL
    );
    CREATE TABLE entity_resolution (basis VARCHAR NOT NULL, computed_at TIMESTAMP NOT NULL);
    """,
    # v6: the customer base kept for continuous re-screening (issue 12). No primary keys on
    # the big tables (bulk upserts stay fast; the import checks ids itself). customer_tokens
    # holds the words of each customer's names as analysed (their index keys and weights follow
    # from them) and customer_keys its identifiers, so a re-screen finds the customers sharing
    # keys with a changed entry by a join; rescreen_state remembers, per list, the edition last
    # re-screened.
    """
    CREATE TABLE customers (
        customer_id VARCHAR NOT NULL, record VARCHAR NOT NULL, import_id VARCHAR NOT NULL,
        updated_at TIMESTAMP NOT NULL
    );
    CREATE TABLE customer_keys (customer_id VARCHAR NOT NULL, key VARCHAR NOT NULL);
    CREATE TABLE customer_tokens (
        customer_id VARCHAR NOT NULL, name_no UTINYINT NOT NULL, token_no UTINYINT NOT NULL,
        wkey VARCHAR NOT NULL, initial BOOLEAN NOT NULL
    );
    CREATE TABLE customer_imports (
        import_id VARCHAR PRIMARY KEY, source VARCHAR NOT NULL, imported_at TIMESTAMP NOT NULL,
        rows BIGINT NOT NULL, inserted BIGINT NOT NULL, updated BIGINT NOT NULL,
        unchanged BIGINT NOT NULL, seconds DOUBLE NOT NULL
    );
    CREATE TABLE rescreen_state (
        list_id VARCHAR PRIMARY KEY, edition_id VARCHAR NOT NULL, run_id VARCHAR NOT NULL,
        updated_at TIMESTAMP NOT NULL
    );
    CREATE TABLE rescreen_runs (
        run_id VARCHAR PRIMARY KEY, run_at TIMESTAMP NOT NULL, editions VARCHAR NOT NULL,
        customers BIGINT NOT NULL, entries_screened BIGINT NOT NULL,
        entries_removed BIGINT NOT NULL, candidates BIGINT NOT NULL, counts VARCHAR NOT NULL,
        seconds DOUBLE NOT NULL
    );
    CREATE TABLE rescreen_hits (
        run_id VARCHAR NOT NULL, status VARCHAR NOT NULL, customer_id VARCHAR NOT NULL,
        entity_id VARCHAR NOT NULL, list_id VARCHAR NOT NULL, list_ref VARCHAR NOT NULL,
        change VARCHAR NOT NULL, score DOUBLE, previous_score DOUBLE, caption VARCHAR,
        matched_name VARCHAR, explanation VARCHAR, decision_id VARCHAR
    );
    """,
    # v7: detection on data counterflow did not make (issue 13). A planted pattern's instance
    # in the truth (several parties, one fan-in), and each dataset's profile (amounts, rhythm,
    # degrees), which the scenarios' relative defaults resolve against, kept with the run.
    """
    ALTER TABLE party_labels ADD COLUMN instance VARCHAR;
    CREATE TABLE dataset_profiles (
        dataset VARCHAR PRIMARY KEY, profile VARCHAR NOT NULL, computed_at TIMESTAMP NOT NULL
    );
    ALTER TABLE monitor_runs ADD COLUMN profile VARCHAR;
    """,
    # v8: the analyst's web UI (issue 14). Each party's payments, one row per side, sorted by
    # party, so one party's page reads its own blocks only (counterflow.transactions.ledger).
    """
    CREATE TABLE party_ledger (
        dataset VARCHAR NOT NULL, party VARCHAR NOT NULL, counterparty VARCHAR,
        outgoing BOOLEAN NOT NULL, timestamp TIMESTAMPTZ NOT NULL, usd DOUBLE, name VARCHAR,
        country VARCHAR, counterparty_name VARCHAR
    );
    INSERT INTO party_ledger SELECT * FROM (
        SELECT dataset, payer_party, beneficiary_party, true, timestamp, base_amount,
            payer_name, payer_country, beneficiary_name
        FROM transactions WHERE payer_party IS NOT NULL
        UNION ALL
        SELECT dataset, beneficiary_party, payer_party, false, timestamp, base_amount,
            beneficiary_name, beneficiary_country, payer_name
        FROM transactions WHERE beneficiary_party IS NOT NULL
    ) ORDER BY 1, 2, 5;
    """,
)
SCHEMA_VERSION = len(MIGRATIONS)


class Workspace:
    """A workspace folder and its database. Open connections with :meth:`connect`.

    ``settings`` travel with the workspace to everything that works in it (the engine's memory
    limit, list mirrors); ``home`` given alone takes the built-in settings."""

    def __init__(
        self,
        home: str | os.PathLike[str] | None = None,
        *,
        settings: Settings | None = None,
        lock_wait: float = LOCK_WAIT_SECONDS,
    ) -> None:
        if settings is None:
            settings = Settings.defaults(home)
        elif home is not None:
            settings = settings.with_(home=Path(home))
        self.settings = settings
        self.home = settings.home
        self.lock_wait = lock_wait

    @property
    def exists(self) -> bool:
        """The workspace has a database (something was ever written to it)."""
        return self.db_path.exists()

    @property
    def db_path(self) -> Path:
        return self.home / DB_FILENAME

    def __repr__(self) -> str:
        return f"Workspace({str(self.home)!r})"

    def change_stamp(self) -> str | None:
        """A token that changes whenever a writing connection closes; None before any write.

        A running service polls it to notice imports, pins and unpins made by other processes
        without opening the database (which a writer may be holding).
        """
        try:
            return read_text(self.home / CHANGE_STAMP, max_bytes=_MAX_STAMP_BYTES, encoding="ascii")
        except DataError:
            return None

    def _mark_changed(self) -> None:
        write_private_text(self.home / CHANGE_STAMP, uuid.uuid4().hex)

    @contextmanager
    def connect(self, *, read_only: bool = False) -> Iterator[duckdb.DuckDBPyConnection]:
        """A connection with the schema brought up to date; closed on exit."""
        if read_only and not self.db_path.exists():
            # nothing imported yet: answer from an empty, current in-memory schema
            conn = duckdb.connect(":memory:")
            _configure(conn)
            _migrate(conn, self.db_path)
        else:
            if not read_only:
                ensure_private_dir(self.home)
            conn = self._open(read_only)
            _configure(conn)
            if not read_only:
                _migrate(conn, self.db_path)
                make_private(self.db_path)
            else:
                _check_version(conn, self.db_path)
        try:
            yield conn
        finally:
            conn.close()
            if not read_only:
                make_private(self.db_path)
                make_private(self.db_path.with_name(self.db_path.name + ".wal"))
                self._mark_changed()

    def _open(self, read_only: bool) -> duckdb.DuckDBPyConnection:
        """Open the file, waiting while another process holds a conflicting lock.

        DuckDB lets one process write or several read; imports and a reloading service each
        hold the file for a moment only, so a short wait beats failing.
        """
        deadline = time.monotonic() + self.lock_wait
        delay = 0.05
        while True:
            try:
                return duckdb.connect(str(self.db_path), read_only=read_only)
            except duckdb.IOException as exc:
                if "lock" not in str(exc).lower() or time.monotonic() >= deadline:
                    raise StoreError(
                        f"cannot open workspace database {self.db_path}: {exc}"
                    ) from exc
            except duckdb.Error as exc:
                raise StoreError(f"cannot open workspace database {self.db_path}: {exc}") from exc
            time.sleep(delay)
            delay = min(delay * 2, 0.5)


def _configure(conn: duckdb.DuckDBPyConnection) -> None:
    # air-gapped by design: never fetch DuckDB extensions from the network
    conn.execute("SET autoinstall_known_extensions = false")


def _current_version(conn: duckdb.DuckDBPyConnection) -> int:
    conn.execute("CREATE TABLE IF NOT EXISTS meta (key VARCHAR PRIMARY KEY, value VARCHAR)")
    # fetchall, not fetchone: a result left half-read blocks the connection's next query
    rows = conn.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchall()
    return int(rows[0][0]) if rows else 0


def _check_version(conn: duckdb.DuckDBPyConnection, path: Path) -> None:
    rows = (
        conn.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchall()
        if _has_meta(conn)
        else []
    )
    version = int(rows[0][0]) if rows else 0
    if version != SCHEMA_VERSION:
        raise StoreError(
            f"workspace database {path} is at schema version {version}, this counterflow "
            f"needs {SCHEMA_VERSION}: run any writing command (e.g. 'counterflow lists import') "
            "to migrate it"
            if version < SCHEMA_VERSION
            else f"workspace database {path} was written by a newer counterflow "
            f"(schema {version} > {SCHEMA_VERSION}); upgrade counterflow"
        )


def _has_meta(conn: duckdb.DuckDBPyConnection) -> bool:
    rows = conn.execute(
        "SELECT count(*) FROM information_schema.tables WHERE table_name = 'meta'"
    ).fetchall()
    return bool(rows and rows[0][0])


def _migrate(conn: duckdb.DuckDBPyConnection, path: Path) -> None:
    version = _current_version(conn)
    if version > SCHEMA_VERSION:
        raise StoreError(
            f"workspace database {path} was written by a newer counterflow "
            f"(schema {version} > {SCHEMA_VERSION}); upgrade counterflow"
        )
    for number in range(version + 1, SCHEMA_VERSION + 1):
        with transaction(conn, f"migrating {path} to schema {number}"):
            conn.execute(MIGRATIONS[number - 1])
            conn.execute("INSERT OR REPLACE INTO meta VALUES ('schema_version', ?)", [str(number)])
