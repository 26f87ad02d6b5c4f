"""Alembic's environment for the case store: migrates the connection it is handed.

:func:`counterflow.cases.db.CaseStore.open` builds the configuration in code and passes its
open connection (inside the transaction that holds the migration lock) in
``config.attributes["connection"]``; there is no URL or ``alembic.ini`` to read here.
"""

from __future__ import annotations

from alembic import context

from counterflow.cases.db import VERSION_TABLE, Base

config = context.config
connection = config.attributes.get("connection")
if connection is None:
    raise RuntimeError(
        "the case store's migrations run from counterflow (CaseStore.open(..., write=True)), "
        "which hands them a connection"
    )
context.configure(
    connection=connection,
    target_metadata=Base.metadata,
    version_table=config.attributes.get("version_table", VERSION_TABLE),
    # SQLite alters tables by copying them: later migrations use op.batch_alter_table
    render_as_batch=True,
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
