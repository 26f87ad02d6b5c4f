"""Tables in CSV or Parquet: read row by row, written whole or not at all."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from counterflow.errors import DataError
from counterflow.io import (
    CsvOptions,
    TableWriter,
    open_table,
    read_parquet,
    read_parquet_schema,
    write_parquet,
)

SCHEMA = pa.schema([("name", pa.string()), ("score", pa.float64()), ("rank", pa.int64())])
ROWS = [
    {"name": "Société, Générale", "score": 0.5, "rank": 1},
    {"name": 'with "quotes"\nand a line break', "score": 1.0, "rank": 2},
    {"name": "Джебхат", "score": None, "rank": 3},
]


def test_csv_round_trip(tmp_path: Path) -> None:
    path = tmp_path / "out.csv"
    with TableWriter(path, ["name", "score", "rank"]) as writer:
        for row in ROWS:
            writer.write({**row, "ignored": "x"})
    assert writer.rows == 3
    table = open_table(path)
    assert table.columns == ["name", "score", "rank"]
    assert table.described == "comma-separated utf-8"
    rows = list(table.rows)
    assert [r.values["name"] for r in rows] == [r["name"] for r in ROWS]
    assert [r.values["score"] for r in rows] == ["0.5", "1.0", ""]
    assert [(r.number, r.location) for r in rows] == [(1, "line 2"), (2, "line 3"), (3, "line 5")]


def test_parquet_round_trip_in_batches(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("counterflow.io.table._BATCH_ROWS", 2)
    path = tmp_path / "out.parquet"
    with TableWriter(path, ["name", "score", "rank"], schema=SCHEMA) as writer:
        for row in ROWS:
            writer.write(row)
    assert read_parquet_schema(path) == SCHEMA
    table = read_parquet(path, batch_rows=2)
    assert table.described == "Parquet"
    rows = list(table.rows)
    assert [r.values for r in rows] == ROWS
    assert [r.location for r in rows] == ["row 1", "row 2", "row 3"]


def test_an_empty_parquet_file_still_has_its_columns(tmp_path: Path) -> None:
    path = tmp_path / "empty.pq"
    with TableWriter(path, ["a", "b"]):
        pass
    assert read_parquet_schema(path).names == ["a", "b"]
    assert list(open_table(path).rows) == []


def test_a_failed_write_leaves_nothing(tmp_path: Path) -> None:
    for name in ("out.csv", "out.parquet"):
        with pytest.raises(RuntimeError), TableWriter(tmp_path / name, ["a"]) as writer:
            writer.write({"a": "1"})
            raise RuntimeError("stopped")
    # the last batch is written on closing: when that fails, nothing takes the file's place
    bad = TableWriter(tmp_path / "bad.parquet", ["name", "score", "rank"], schema=SCHEMA)
    with pytest.raises(pa.ArrowException), bad as writer:
        writer.write({"name": "x", "score": "not a number", "rank": 1})
    assert list(tmp_path.iterdir()) == []


def test_a_dash_is_csv_on_standard_output(capsys: pytest.CaptureFixture[str]) -> None:
    with TableWriter("-", ["a", "b"]) as writer:
        writer.write({"a": "1", "b": "x,y"})
    assert capsys.readouterr().out == 'a,b\r\n1,"x,y"\r\n'


def test_unreadable_tables(tmp_path: Path) -> None:
    broken = tmp_path / "broken.parquet"
    broken.write_bytes(b"PAR1 not parquet")
    with pytest.raises(DataError, match=r"broken\.parquet: not a readable Parquet file"):
        read_parquet_schema(broken)
    with pytest.raises(DataError, match="not a readable Parquet file"):
        open_table(broken)
    path = tmp_path / "in.csv"
    path.write_text("a;b\n1;2\n3\n", encoding="utf-8")
    rows = open_table(path, CsvOptions(delimiter=";")).rows
    assert next(rows).values == {"a": "1", "b": "2"}
    with pytest.raises(DataError, match=r"in\.csv, line 3: 1 fields where the header has 2"):
        next(rows)


def test_write_parquet_puts_a_whole_table_in_place(tmp_path: Path) -> None:
    path = tmp_path / "t.parquet"
    table = pa.Table.from_pylist(ROWS, schema=SCHEMA)
    write_parquet(path, table, compression="zstd", row_group_size=2)
    assert pq.read_table(path).equals(table)
    assert pq.read_metadata(path).num_row_groups == 2  # the options reach the writer
    assert [p.name for p in tmp_path.iterdir()] == ["t.parquet"]
    # same table, same options: same bytes
    write_parquet(tmp_path / "again.parquet", table, compression="zstd", row_group_size=2)
    assert (tmp_path / "again.parquet").read_bytes() == path.read_bytes()


def test_a_failed_write_parquet_leaves_the_old_file(tmp_path: Path) -> None:
    path = tmp_path / "t.parquet"
    table = pa.Table.from_pylist(ROWS, schema=SCHEMA)
    write_parquet(path, table)
    before = path.read_bytes()
    with pytest.raises(DataError, match="cannot write the Parquet file") as caught:
        write_parquet(path, table, compression="no-such-codec")
    assert caught.value.path == str(path) and caught.value.__cause__ is not None
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["t.parquet"]
    with pytest.raises(DataError, match="the folder to write into does not exist"):
        write_parquet(tmp_path / "absent" / "t.parquet", table)
