"""The customer base: upsert by id, refusal of bad rows by line and field, index keys."""

from __future__ import annotations

import csv
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner

from counterflow.cli import main
from counterflow.errors import DataError, NotFoundError
from counterflow.screening import Query
from counterflow.screening.customers import (
    customer_base,
    get_customer,
    import_customers,
    index_rows,
    token_of,
    word_keys,
)
from counterflow.screening.names import analyze
from counterflow.screening.screener import _keys
from counterflow.workspace import Workspace

COLUMNS = ["id", "first_name", "last_name", "full_name", "date_of_birth", "nationality"]
ROWS = [
    ["C1", "Ingeborg", "Abrahamsen", "", "1972-11-21", "France"],
    ["C2", "", "", "ABUBAKAR SWALLEH", "1992-01-13", "ug"],
    ["C3", "Jean", "Dupont", "", "", ""],
]


def _write(path: Path, rows: list[list[str]], columns: list[str] = COLUMNS) -> Path:
    with path.open("w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(columns)
        writer.writerows(rows)
    return path


def _count(ws: Workspace) -> tuple[int, int]:
    with ws.connect(read_only=True) as conn:
        base = customer_base(conn)
    return base.customers, base.words


def test_import_upserts_by_id(tmp_path: Path, home: Path) -> None:
    ws = Workspace(home)
    first = import_customers(ws, _write(tmp_path / "c.csv", ROWS))
    assert (first.rows, first.inserted, first.updated, first.unchanged) == (3, 3, 0, 0)
    again = import_customers(ws, _write(tmp_path / "c.csv", ROWS))
    assert (again.inserted, again.updated, again.unchanged) == (0, 0, 3)
    keys_before = _count(ws)[1]
    changed = [
        ROWS[0],
        ["C2", "", "", "ABUBAKAR SWALLEH", "1992-01-14", "ug"],
        ["C4", "Amina", "Yusuf", "", "", ""],
    ]
    third = import_customers(ws, _write(tmp_path / "d.csv", changed))
    assert (third.inserted, third.updated, third.unchanged) == (1, 1, 1)
    customers, keys = _count(ws)
    assert customers == 4  # C3 is not in the last file and stays
    with ws.connect(read_only=True) as conn:
        c2 = get_customer(conn, "C2")
        assert c2.record["date_of_birth"] == "1992-01-14"
        assert "p:bakar" in c2.keys
        # an update replaces the customer's keys instead of adding to them
        assert conn.execute(
            "SELECT count(*) FROM customers WHERE customer_id = 'C2'"
        ).fetchone() == (1,)
        assert conn.execute(
            "SELECT count(*) FROM customer_tokens "
            "WHERE customer_id = 'C2' AND wkey LIKE '%|bakar|%'"
        ).fetchone() == (1,)
        with pytest.raises(NotFoundError):
            get_customer(conn, "nobody")
    assert keys > keys_before


def test_parquet_import(tmp_path: Path, home: Path) -> None:
    path = tmp_path / "c.parquet"
    pq.write_table(
        pa.table({"id": ["P1", "P2"], "name": ["Jabhat al-Nusrah", "Jean Dupont"]}), path
    )
    report = import_customers(Workspace(home), path)
    assert report.inserted == 2


@pytest.mark.parametrize(
    ("row", "field", "line"),
    [
        (["", "Kathryn", "Barr", "", "", ""], "field id", "line 3"),
        (
            ["C1", "Kathryn", "Barr", "", "", ""],
            "field id: 'C1' appears twice (first on line 2)",
            "line 3",
        ),
        (["C9", "", "", "", "", ""], "field name: is empty", "line 3"),
        (["C9", "Kathryn", "Barr", "", "not a date", ""], "field date_of_birth", "line 3"),
        (["C9", "Kathryn", "Barr", "", "", "Atlantis"], "field nationality", "line 3"),
    ],
)
def test_a_bad_row_stops_the_import_and_changes_nothing(
    tmp_path: Path, home: Path, row: list[str], field: str, line: str
) -> None:
    ws = Workspace(home)
    import_customers(ws, _write(tmp_path / "ok.csv", ROWS[2:]))
    before = _count(ws)
    with pytest.raises(DataError) as raised:
        import_customers(ws, _write(tmp_path / "bad.csv", [ROWS[0], row, ROWS[1]]))
    message = str(raised.value)
    assert "bad.csv" in message and line in message and field in message, message
    assert _count(ws) == before


def test_a_file_without_ids_is_refused(tmp_path: Path, home: Path) -> None:
    path = _write(tmp_path / "c.csv", [["Jean", "Dupont"]], ["first_name", "last_name"])
    with pytest.raises(DataError, match="no id column"):
        import_customers(Workspace(home), path)


def test_index_rows_are_the_screeners_keys() -> None:
    query = Query.from_record(
        {"id": "x", "full_name": "Abubakar Swalleh", "id_number": "AB 123-456"}
    )
    keys, tokens = index_rows(query)
    assert keys == {"i:AB123456"}
    analysed = analyze("Abubakar Swalleh").tokens
    assert [t[1] for t in tokens] == list(range(len(analysed)))
    # a stored word gives back the keys and the form the screener uses
    for (_, _, wkey, _), word in zip(tokens, analysed, strict=True):
        assert word_keys(wkey) == _keys(word)
        assert token_of(wkey).phon == word.phon


def test_cli(tmp_path: Path, home: Path) -> None:
    runner = CliRunner()
    path = _write(tmp_path / "c.csv", ROWS)
    result = runner.invoke(main, ["--home", str(home), "customers", "import", str(path)])
    assert result.exit_code == 0, result.output
    assert "3 inserted, 0 updated, 0 unchanged" in result.output
    result = runner.invoke(main, ["--home", str(home), "customers", "--json"])
    assert '"customers": 3' in result.output
    result = runner.invoke(main, ["--home", str(home), "customers", "show", "C2"])
    assert "ABUBAKAR SWALLEH" in result.output
    bad = _write(tmp_path / "bad.csv", [["", "Jean", "Dupont", "", "", ""]])
    result = runner.invoke(main, ["--home", str(home), "customers", "import", str(bad)])
    assert result.exit_code == 1 and "line 2" in result.output and "field id" in result.output
