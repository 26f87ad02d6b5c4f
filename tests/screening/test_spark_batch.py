"""Batch screening on Spark (issue 15) gives the rows the in-process batch gives, written by
Spark, and refuses the files the in-process batch refuses with the same errors."""

from __future__ import annotations

import csv
import pickle
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner

from counterflow.cases import DecisionStore
from counterflow.cli import main
from counterflow.cli.demo_cmd import sample_list_path
from counterflow.errors import ConfigError, DataError
from counterflow.lists.registry import detect
from counterflow.screening import Query, Screener
from counterflow.screening.batch import RESULT_COLUMNS, BatchReport, screen_file
from counterflow.screening.spark_batch import SharedScreener, check_input, screen_file_spark

pytestmark = [pytest.mark.spark]
#: the tests that start work on Spark (the first pays for the JVM: 20-40 s)
on_spark = pytest.mark.slow


@pytest.fixture(scope="module")
def screener() -> Screener:
    path = sample_list_path()
    return Screener(detect(path).parse(path).entities, editions={"un-sc": "2026-01-15"})


def _write(path: Path, rows: list[list[str]], encoding: str = "utf-8") -> Path:
    with open(path, "w", encoding=encoding, newline="") as fh:
        csv.writer(fh).writerows(rows)
    return path


def _lines(path: Path) -> list[str]:
    """A CSV output's lines in order of their text (the engines order queries differently)."""
    return sorted(path.read_bytes().decode("utf-8").split("\r\n"))


def _records(path: Path) -> list[dict[str, Any]]:
    rows = pq.read_table(path).to_pylist()
    return sorted(rows, key=lambda r: (r["query_id"], r["rank"], r["entity_id"]))


def _same_report(a: BatchReport, b: BatchReport) -> None:
    assert a.counts() == b.counts()
    assert a.warnings == b.warnings
    assert a.read_as == b.read_as


#: the names of the sample list written as customers write them, and rows to skip
QUERIES = [
    ["name", "schema", "birth_date", "country"],
    ["Jabhat al-Mithal", "", "", ""],
    ["Jabhet al Misal", "Organization", "", ""],
    ["John Smith", "", "", ""],
    ["", "Person", "", ""],  # no name: a warning
    ["Fulan al-Mithali", "Person", "1970", "Syria"],
    ['Example Relief, "the" foundation', "", "", ""],  # quoted: a comma and quotes
    ["Jabhat al-Mithal", "Spaceship", "", ""],  # unknown schema: a warning
    ["  ", "", "", ""],  # blank: not a row at all
    *[[f"Customer Number{i} Trading", "Company", "", "gb"] for i in range(60)],
]


@on_spark
def test_csv_gives_the_in_process_rows_as_one_csv_file(
    spark: Any, screener: Screener, tmp_path: Path
) -> None:
    queries = _write(tmp_path / "q.csv", QUERIES)
    with open(queries, "a", encoding="utf-8", newline="") as fh:
        fh.write("\r\n,,,\r\n")  # a blank record and an empty line: not rows at all
        fh.write("Jabhat al-Mithal,,,\r\n")  # numbered after them as in-process
    duck = screen_file(screener, queries, tmp_path / "duck.csv", all_rows=True, threshold=0.5)
    out = tmp_path / "spark.csv"
    on_spark = screen_file_spark(spark, screener, queries, out, all_rows=True, threshold=0.5)
    _same_report(duck, on_spark)
    assert duck.results >= 4 and duck.without_hits >= 60 and len(duck.warnings) == 2
    assert out.is_file() and _lines(out) == _lines(tmp_path / "duck.csv")
    header = out.read_bytes().decode("utf-8").split("\r\n", 1)[0]
    assert header == ",".join(RESULT_COLUMNS)
    assert not list(tmp_path.glob(".spark.csv.*"))  # the staging folder is gone


@on_spark
def test_parquet_in_a_folder_of_part_files_out(
    spark: Any, screener: Screener, tmp_path: Path
) -> None:
    table = pa.table(
        {
            "id": [f"c-{i}" for i in range(40)],
            "name": ["Jabhet al Misal", "Example Relief", "Fulan al-Mithali", "Nobody"] * 10,
            "birth_date": ["", "", "1970", ""] * 10,
        }
    )
    queries = tmp_path / "q.parquet"
    pq.write_table(table, queries, row_group_size=7)
    duck = screen_file(screener, queries, tmp_path / "duck.parquet", threshold=0.0, limit=3)
    out = tmp_path / "spark-out"
    on_spark = screen_file_spark(spark, screener, queries, out, threshold=0.0, limit=3)
    _same_report(duck, on_spark)
    parts = sorted(out.glob("part-*.parquet"))
    assert parts and out.is_dir()  # written by Spark's tasks
    assert _records(out) == _records(tmp_path / "duck.parquet")
    # an earlier output is replaced, as the in-process batch replaces its file
    again = screen_file_spark(spark, screener, queries, out, threshold=0.9, limit=1)
    assert len(pq.read_table(out)) == again.results < on_spark.results


@on_spark
def test_decisions_are_honoured_on_the_executors(
    spark: Any, screener: Screener, tmp_path: Path
) -> None:
    rows = [["id", "name", "schema", "birth_date"], ["c1", "Fulan al-Mithali", "Person", "1970"]]
    queries = _write(tmp_path / "q.csv", rows)
    decisions = DecisionStore(tmp_path)
    listed = screener.entity("un-sc:ZZi.001")
    assert listed is not None
    query = Query.from_record(dict(zip(rows[0], rows[1], strict=True)))
    decisions.clear(query, listed, edition="2026-01-15", analyst="A", actor="t", reason="no")
    for hide in (False, True):
        duck = screen_file(
            screener, queries, tmp_path / "d.csv", decisions=decisions, hide_cleared=hide
        )
        on_spark = screen_file_spark(
            spark, screener, queries, tmp_path / "s.csv", decisions=decisions, hide_cleared=hide
        )
        _same_report(duck, on_spark)
        assert duck.cleared == 1 and duck.hidden == int(hide)
        assert _lines(tmp_path / "s.csv") == _lines(tmp_path / "d.csv")


@on_spark
def test_bad_input_gives_the_in_process_errors(
    spark: Any, screener: Screener, tmp_path: Path
) -> None:
    no_name = _write(tmp_path / "q.csv", [["id", "email"], ["1", "a@b"]])
    wide = _write(tmp_path / "w.csv", [["name", "schema"], ["Jabhat", "Organization", "x"]])
    multi = _write(tmp_path / "m.csv", [["name", "schema"], ["Jabhat\nal-Mithal", ""]])
    broken = tmp_path / "broken.parquet"
    broken.write_bytes(b"PAR1 this is not parquet")
    for path in (no_name, wide, multi, broken):
        with pytest.raises(DataError) as in_process:
            screen_file(screener, path, tmp_path / "r.csv")
        with pytest.raises(DataError) as on_spark:
            screen_file_spark(spark, screener, path, tmp_path / "out")
        assert str(on_spark.value) == str(in_process.value)
        assert not (tmp_path / "out").exists()
    assert "no name column" in str(_error(check_input, no_name))
    assert "line 2: 3 fields where the header has 2" in str(_error(check_input, wide))
    with pytest.raises(ConfigError, match="not standard output"):
        screen_file_spark(spark, screener, no_name, "-")
    # nothing to screen: the same file with its header only, and the same warning
    nothing = _write(tmp_path / "n.csv", [["name", "schema"], ["", "Person"]])
    none_duck = screen_file(screener, nothing, tmp_path / "d.csv")
    none_spark = screen_file_spark(spark, screener, nothing, tmp_path / "s.csv")
    _same_report(none_duck, none_spark)
    assert (tmp_path / "s.csv").read_bytes() == (tmp_path / "d.csv").read_bytes()


def _error(function: Any, *args: Any) -> DataError:
    with pytest.raises(DataError) as caught:
        function(*args)
    return caught.value


def test_the_index_travels_as_its_parts(screener: Screener) -> None:
    """A Screener does not pickle (its weigher is a closure): what it is made of does, and
    builds a screener that answers alike, its parties across lists included."""
    with pytest.raises(Exception, match="pickle"):
        pickle.dumps(screener)
    shared = SharedScreener.of(screener)
    copy = pickle.loads(pickle.dumps(shared))
    assert copy.key == shared.key == SharedScreener.of(screener).key
    rebuilt = copy.screener()
    assert rebuilt is copy.screener()  # built once per process
    for name in ("Jabhet al Misal", "Fulan al-Mithali", "John Smith"):
        query = Query.make(name)
        assert [(m.entity.id, m.score) for m in rebuilt.screen(query)] == [
            (m.entity.id, m.score) for m in screener.screen(query)
        ]


@on_spark
@pytest.mark.shared_data
def test_transliterations_on_the_un_list_as_in_process(
    spark: Any, shared_data: Path, tmp_path: Path
) -> None:
    path = shared_data / "lists" / "un_sc" / "un_sc_2026-02-27.xml"
    un = Screener(detect(path).parse(path).entities, editions={"un-sc": "2026-02-27"})
    queries = _write(
        tmp_path / "q.csv",
        [
            ["name", "schema", "birth_date"],
            ["dzhebhat EN-Nusra", "", ""],
            ["Джебхат ан-Нусра", "", ""],
            ["جبهة النصرة", "", ""],
            ["Aiman al-Zawahiri", "Person", "1951"],
            ["Ayman al Zawahiry", "", ""],
            ["Tehrik-i-Taliban Pakistan", "Organization", ""],
            ["Jane Doe", "Person", "1990"],
        ],
        encoding="utf-8",
    )
    duck = screen_file(un, queries, tmp_path / "duck.parquet", all_rows=True)
    on_spark = screen_file_spark(spark, un, queries, tmp_path / "spark", all_rows=True)
    _same_report(duck, on_spark)
    rows = _records(tmp_path / "spark")
    assert rows == _records(tmp_path / "duck.parquet")
    nusra = [r for r in rows if r["query_id"] == "1" and r["rank"] == 1]
    assert nusra and "NUSRAH" in nusra[0]["caption"].upper()


def test_the_command_needs_an_input_an_output_and_spark(
    home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    runner = CliRunner()
    assert runner.invoke(main, ["lists", "import", str(sample_list_path())]).exit_code == 0
    queries = _write(tmp_path / "q.csv", QUERIES[:3])
    no_input = runner.invoke(main, ["screen", "Jabhat", "--engine", "spark"])
    assert no_input.exit_code == 2 and "--engine spark goes with --input FILE" in no_input.output
    master = runner.invoke(main, ["screen", "--input", str(queries), "--master", "local[2]"])
    assert master.exit_code == 2 and "--master: only with --engine spark" in master.output
    stdout = runner.invoke(main, ["screen", "--input", str(queries), "--engine", "spark"])
    assert stdout.exit_code == 2 and "give -o FOLDER" in stdout.output
    import counterflow.engines.spark as engine

    monkeypatch.setattr(engine, "spark_available", lambda: "Spark is not installed: x")
    missing = runner.invoke(
        main, ["screen", "--input", str(queries), "--engine", "spark", "-o", str(tmp_path / "o")]
    )
    assert missing.exit_code != 0 and "Spark is not installed" in missing.output
