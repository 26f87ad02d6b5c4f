"""Each party's payments, one row per side of each transaction, stored sorted by party.

An analyst's page about one party (its counterparties, its money by week, its neighbours in
the money-flow graph) reads that party's rows only. The transactions table is in the order it
was imported (by time, usually), so finding one party there means reading every row: about
0.1 s per question at 10 million transactions. Sorted by (dataset, party), DuckDB's per-block
minimum and maximum skip every block but the party's own: a millisecond or two. The ledger is
derived, rebuilt whole for a dataset at the end of each import (``--append`` included), and
holds what those pages need: the counterparty, the direction, the time, the USD amount, and the
names and country the payment gave.

An ART index on the transactions' party columns answers the same questions, but it costs more
space than the ledger and makes replacing a dataset some forty times slower (every deleted row
leaves its index one at a time); a sorted copy is rebuilt in one pass.
"""

from __future__ import annotations

import duckdb

#: the ledger's rows of one dataset, from its transactions, in the order they are stored
_ROWS = """
SELECT * FROM (
    SELECT dataset, payer_party AS party, beneficiary_party AS counterparty, true AS outgoing,
        timestamp, base_amount AS usd, payer_name AS name, payer_country AS country,
        beneficiary_name AS counterparty_name
    FROM transactions WHERE dataset = ? AND payer_party IS NOT NULL
    UNION ALL
    SELECT dataset, beneficiary_party, payer_party, false, timestamp, base_amount,
        beneficiary_name, beneficiary_country, payer_name
    FROM transactions WHERE dataset = ? AND beneficiary_party IS NOT NULL
) ORDER BY party, timestamp
"""


def rebuild_ledger(conn: duckdb.DuckDBPyConnection, dataset: str) -> None:
    """Replace the dataset's ledger with one built from its transactions (in the caller's
    transaction: an import that fails leaves the old ledger with the old transactions)."""
    drop_ledger(conn, dataset)
    conn.execute(f"INSERT INTO party_ledger {_ROWS}", [dataset, dataset])


def drop_ledger(conn: duckdb.DuckDBPyConnection, dataset: str) -> None:
    conn.execute("DELETE FROM party_ledger WHERE dataset = ?", [dataset])
