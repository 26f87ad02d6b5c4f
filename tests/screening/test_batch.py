from __future__ import annotations

import csv
import dataclasses
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner

from counterflow.cases import DecisionStore
from counterflow.cli import main
from counterflow.cli.demo_cmd import sample_list_path
from counterflow.errors import DataError
from counterflow.lists.registry import detect
from counterflow.model import Entity
from counterflow.screening import Listing, Query, Screener
from counterflow.screening.batch import (
    RESULT_COLUMNS,
    entry_facts,
    score_pairs_file,
    screen_file,
)


@pytest.fixture(scope="module")
def screener() -> Screener:
    path = sample_list_path()
    return Screener(detect(path).parse(path).entities, editions={"un-sc": "2026-01-15"})


def _write(path: Path, rows: list[list[str]], encoding: str = "utf-8") -> Path:
    with open(path, "w", encoding=encoding, newline="") as fh:
        csv.writer(fh).writerows(rows)
    return path


def _read(path: Path) -> list[dict[str, str]]:
    with open(path, encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def test_contract_columns_and_row_number_ids(screener: Screener, tmp_path: Path) -> None:
    queries = _write(
        tmp_path / "q.csv",
        [
            ["full_name", "date_of_birth", "nationality"],
            ["Jabhat al-Mithal", "", ""],
            ["John Smith", "", ""],
            ["Fulan al-Mithali", "1970", "Syria"],
        ],
    )
    out = tmp_path / "r.csv"
    report = screen_file(screener, queries, out)
    rows = _read(out)
    assert list(rows[0]) == list(RESULT_COLUMNS)
    assert [(r["query_id"], r["rank"], r["list_ref"]) for r in rows] == [
        ("1", "1", "ZZe.001"),
        ("3", "1", "ZZi.001"),
    ]
    assert rows[0]["list"] == "un-sc" and rows[0]["entity_id"] == "un-sc:ZZe.001"
    assert "edition un-sc@2026-01-15" in rows[0]["explanation"]
    assert (report.rows, report.screened, report.results) == (3, 3, 2)


def test_explicit_ids_limit_threshold_and_parquet(screener: Screener, tmp_path: Path) -> None:
    table = pa.table(
        {
            "id": ["c-1", "c-2"],
            "name": ["Jabhet al Misal", "Example Relief"],
            "schema": ["Organization", "Organization"],
        }
    )
    queries = tmp_path / "q.parquet"
    pq.write_table(table, queries)
    out = tmp_path / "r.parquet"
    screen_file(screener, queries, out, threshold=0.0, limit=2)
    rows = pq.read_table(out).to_pylist()
    assert {r["query_id"] for r in rows} == {"c-1", "c-2"}
    assert max(r["rank"] for r in rows) <= 2
    assert rows[0]["list_ref"] == "ZZe.001"


def test_bad_rows_are_warnings_not_crashes(screener: Screener, tmp_path: Path) -> None:
    queries = _write(
        tmp_path / "q.csv",
        [
            ["name", "schema"],
            ["", "Person"],
            ["x" * 5000, "Person"],
            ["Jabhat al-Mithal", "Spaceship"],
            ["Jabhat al-Mithal", "Organization"],
        ],
    )
    report = screen_file(screener, queries, tmp_path / "r.csv")
    assert report.screened == 1 and len(report.warnings) == 3
    assert "q.csv, line 2: the query has no name; skipped" in report.warnings[0]
    assert "line 3: a name is 5,000 characters long" in report.warnings[1]
    assert "line 4: unknown schema 'Spaceship'" in report.warnings[2]


def test_unusable_files_fail_with_one_clear_error(screener: Screener, tmp_path: Path) -> None:
    no_name = _write(tmp_path / "q.csv", [["id", "email"], ["1", "a@b"]])
    with pytest.raises(DataError, match=r"q\.csv: no name column .*found id, email"):
        screen_file(screener, no_name, tmp_path / "r.csv")
    assert not (tmp_path / "r.csv").exists()
    binary = tmp_path / "nul.csv"
    binary.write_bytes(b"name\nJab\x00hat\n")
    with pytest.raises(DataError, match=r"nul\.csv.*NUL"):
        screen_file(screener, binary, tmp_path / "r.csv")
    broken = tmp_path / "broken.parquet"
    broken.write_bytes(b"PAR1 this is not parquet")
    with pytest.raises(DataError, match="not a readable Parquet file"):
        screen_file(screener, broken, tmp_path / "r.csv")
    empty = tmp_path / "empty.csv"
    empty.write_text("", encoding="utf-8")
    with pytest.raises(DataError, match="the file is empty"):
        screen_file(screener, empty, tmp_path / "r.csv")


def test_latin1_input_is_read(screener: Screener, tmp_path: Path) -> None:
    queries = _write(
        tmp_path / "q.csv", [["name"], ["Jabhat al-Mithal Société"]], encoding="cp1252"
    )
    report = screen_file(screener, queries, tmp_path / "r.csv", threshold=0.0)
    assert report.screened == 1 and not report.warnings


def test_pairs_file(tmp_path: Path) -> None:
    pairs = _write(
        tmp_path / "p.csv",
        [
            ["name1", "name2", "schema"],
            ["Jabhat al-Nusrah", "Джебхат ан-Нусра", "Organization"],
            ["Mohammed Ali Hassan", "Mohammed Ali Hussein", "Person"],
            ["", "x", ""],
        ],
    )
    out = tmp_path / "s.csv"
    report = score_pairs_file(pairs, out)
    rows = _read(out)
    assert list(rows[0]) == ["name1", "name2", "schema", "score", "is_match"]
    assert [r["is_match"] for r in rows] == ["True", "False"]
    assert report.warnings == [f"{pairs}, line 4: empty name; skipped"]
    with pytest.raises(DataError, match="missing column"):
        score_pairs_file(_write(tmp_path / "bad.csv", [["a", "b"], ["1", "2"]]), out)


def test_cli_screen_forms(home: Path, tmp_path: Path) -> None:
    runner = CliRunner()

    def run(*args: str):
        return runner.invoke(main, ["--home", str(home), *args], catch_exceptions=False)

    empty = run("screen", "Jabhat")
    assert empty.exit_code == 1 and "import a list first" in empty.output
    run("lists", "import", str(sample_list_path()))
    one = run("screen", "Jabhet al-Misal", "--limit", "1")
    assert one.exit_code == 0 and "ZZe.001" in one.output and "alias" in one.output
    none = run("screen", "John Smith")
    assert "No entry scores 0.70 or more for 'John Smith'" in none.output
    queries = _write(tmp_path / "q.csv", [["name", "id"], ["Jabhat al-Mithal", "1"], ["", "2"]])
    batch = run("screen", "--input", str(queries), "--output", str(tmp_path / "r.csv"))
    assert batch.exit_code == 0 and "Screened 1 of 2 rows" in batch.output
    assert "line 3: the query has no name" in batch.output
    pairs = _write(tmp_path / "p.csv", [["name1", "name2"], ["Abu Mithal", "Abou Misal"]])
    scored = run("screen", "pairs", "--input", str(pairs), "--output", str(tmp_path / "s.csv"))
    assert scored.exit_code == 0 and "Scored 1 of 1 pairs" in scored.output
    to_stdout = run("screen", "--input", str(queries))  # no -o: CSV on standard output
    assert to_stdout.exit_code == 0 and to_stdout.stdout.startswith("query_id,rank,score")
    json_out = run("screen", "Jabhat al-Mithal", "--json")
    assert '"edition": "2026-01-15"' in json_out.output


# --- a daily run: entry facts, cleared hits, every party, the delimiter ------------------------

_DAILY = [
    ["id", "name", "birth_date", "schema"],
    ["c1", "Fulan ibn Allan al-Mithali", "1970", "Person"],
    ["c2", "John Smith", "", "Person"],
    ["c3", "Jabhat al-Mithal", "", "Organization"],
]


def _query(row: list[str]) -> Query:
    return Query.from_record(dict(zip(_DAILY[0], row, strict=True)))


def test_rows_carry_the_entry_facts(screener: Screener, tmp_path: Path) -> None:
    out = tmp_path / "r.csv"
    screen_file(screener, _write(tmp_path / "q.csv", _DAILY), out, limit=1)
    rows = {r["query_id"]: r for r in _read(out)}
    person = rows["c1"]
    assert person["list_ref"] == "ZZi.001"
    assert person["birth_dates"] == "1970-01-01; 1971"
    assert (person["countries"], person["programs"]) == ("sy", "Sample")
    assert person["listing_date"] == "2015-03-01"
    assert person["other_refs"] == "" and person["decision"] == ""
    assert rows["c3"]["birth_dates"] == "" and rows["c3"]["listing_date"] == "2014-05-14"
    assert "c2" not in rows  # no hit, and no --all-rows


def test_other_refs_are_the_partys_other_listings(screener: Screener) -> None:
    match = screener.screen(Query.make("Jabhat al-Mithal"), limit=1)[0]
    assert entry_facts(match)["other_refs"] == ""
    merged = dataclasses.replace(
        match,
        listings=(
            Listing.of(match.entity),
            Listing("ofac-sdn", "11018", "ofac-sdn:11018"),
            Listing("uk", "13344", "uk:13344"),
        ),
    )
    assert entry_facts(merged)["other_refs"] == "ofac-sdn:11018; uk:13344"


def test_all_rows_gives_each_party_a_row(screener: Screener, tmp_path: Path) -> None:
    out = tmp_path / "r.csv"
    report = screen_file(screener, _write(tmp_path / "q.csv", _DAILY), out, all_rows=True)
    rows = _read(out)
    assert list(rows[0]) == list(RESULT_COLUMNS)
    assert sorted({r["query_id"] for r in rows}) == ["c1", "c2", "c3"]
    (smith,) = [r for r in rows if r["query_id"] == "c2"]
    assert smith["rank"] == "0"
    assert all(smith[c] == "" for c in RESULT_COLUMNS if c not in ("query_id", "rank"))
    assert report.without_hits == 1 and report.results == len(rows) - 1
    parquet = tmp_path / "r.parquet"
    screen_file(screener, _write(tmp_path / "q.csv", _DAILY), parquet, all_rows=True)
    (blank,) = [r for r in pq.read_table(parquet).to_pylist() if r["rank"] == 0]
    assert blank["query_id"] == "c2" and blank["score"] is None


def test_cleared_hits_are_shown_with_the_decision_or_hidden(
    screener: Screener, tmp_path: Path
) -> None:
    decisions = DecisionStore(tmp_path)
    listed = screener.entity("un-sc:ZZi.001")
    assert listed is not None
    decision = decisions.clear(
        _query(_DAILY[1]),
        listed,
        edition="2026-01-15",
        analyst="A. Analyst",
        actor="tests",
        reason="another Fulan: born 1970 in Aleppo",
    )
    queries = _write(tmp_path / "q.csv", _DAILY)
    out = tmp_path / "r.csv"
    report = screen_file(screener, queries, out, limit=1, decisions=decisions)
    rows = {r["query_id"]: r for r in _read(out)}
    cleared = rows["c1"]
    assert (cleared["entity_id"], cleared["decision"]) == ("un-sc:ZZi.001", "cleared")
    assert cleared["decision_id"] == decision.decision_id
    assert (cleared["decided_by"], cleared["decided_at"]) == ("A. Analyst", decision.time)
    assert cleared["decision_reason"] == "another Fulan: born 1970 in Aleppo"
    assert rows["c3"]["decision"] == ""
    assert (report.cleared, report.hidden, report.results) == (1, 0, 2)

    hidden = tmp_path / "h.csv"
    report = screen_file(screener, queries, hidden, limit=1, decisions=decisions, hide_cleared=True)
    assert [r["query_id"] for r in _read(hidden)] == ["c3"]
    assert (report.cleared, report.hidden, report.results) == (1, 1, 1)
    every = tmp_path / "a.csv"
    screen_file(
        screener, queries, every, limit=1, decisions=decisions, hide_cleared=True, all_rows=True
    )
    assert [(r["query_id"], r["rank"]) for r in _read(every)] == [
        ("c1", "0"),
        ("c2", "0"),
        ("c3", "1"),
    ]


def test_a_hit_whose_entry_changed_is_raised_again(screener: Screener, tmp_path: Path) -> None:
    decisions = DecisionStore(tmp_path)
    listed = screener.entity("un-sc:ZZi.001")
    assert listed is not None
    before = Entity.from_json(listed.to_json())
    before.add("alias", "Fulan the Elder")  # the entry as it was when it was cleared
    decisions.clear(
        _query(_DAILY[1]), before, edition="2025-01-01", analyst="B", actor="t", reason="no"
    )
    out = tmp_path / "r.csv"
    report = screen_file(
        screener,
        _write(tmp_path / "q.csv", _DAILY[:2]),
        out,
        limit=1,
        decisions=decisions,
        hide_cleared=True,
    )
    (row,) = _read(out)
    assert (row["decision"], row["decided_by"]) == ("entry_changed", "B")
    assert (report.entry_changed, report.cleared, report.hidden) == (1, 0, 0)


def test_output_delimiter_and_rows_kept_for_json(screener: Screener, tmp_path: Path) -> None:
    queries = _write(tmp_path / "q.csv", _DAILY)
    out = tmp_path / "r.csv"
    screen_file(screener, queries, out, limit=1, delimiter=";")
    with open(out, encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh, delimiter=";"))
    assert list(rows[0]) == list(RESULT_COLUMNS) and rows[0]["query_id"] == "c1"
    report = screen_file(screener, queries, None, limit=1, all_rows=True)
    assert [r["query_id"] for r in report.records] == ["c1", "c2", "c3"]
    assert set(report.records[0]) == set(RESULT_COLUMNS)
