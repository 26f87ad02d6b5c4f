"""``screen --input`` as a daily run (issue 12): cleared hits honoured (shown with the decision,
or left out with --hide-cleared), a row for every party with --all-rows, the entry's facts as
columns, --delimiter for the output too, and --json carrying the rows."""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from counterflow.cli import main
from counterflow.cli.demo_cmd import sample_list_path
from counterflow.screening.batch import RESULT_COLUMNS


def at(home: Path, *args: str) -> Result:
    return CliRunner().invoke(main, [*args, "--home", str(home)], catch_exceptions=False)


def as_json(result: Result) -> Any:
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


@pytest.fixture
def listed(home: Path) -> Path:
    """A workspace with the shipped sample list, and a hit on ZZi.001 cleared for c1."""
    assert at(home, "lists", "import", str(sample_list_path())).exit_code == 0
    cleared = at(
        home,
        "decisions",
        "clear",
        "un-sc:ZZi.001",
        "--name",
        "Fulan ibn Allan al-Mithali",
        "--birth-date",
        "1970",
        "--analyst",
        "A. Analyst",
        "--reason",
        "our customer was born in Aleppo",
    )
    assert cleared.exit_code == 0, cleared.output
    return home


@pytest.fixture
def parties(tmp_path: Path) -> Path:
    path = tmp_path / "parties.csv"
    path.write_text(
        "id,name,birth_date\n"
        "c1,Fulan ibn Allan al-Mithali,1970\n"
        "c2,John Smith,\n"
        "c3,Ivan Primerov,1981\n",
        encoding="utf-8",
    )
    return path


def _rows(path: Path, delimiter: str = ",") -> list[dict[str, str]]:
    with open(path, encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh, delimiter=delimiter))


def test_a_cleared_hit_is_shown_with_its_decision(
    listed: Path, parties: Path, tmp_path: Path
) -> None:
    out = tmp_path / "hits.csv"
    result = at(listed, "screen", "--input", str(parties), "-o", str(out), "--limit", "1")
    assert result.exit_code == 0, result.output
    assert "1 cleared by an analyst, marked cleared" in result.stderr
    rows = {r["query_id"]: r for r in _rows(out)}
    assert list(next(iter(rows.values()))) == list(RESULT_COLUMNS)
    fulan = rows["c1"]
    assert (fulan["list_ref"], fulan["decision"]) == ("ZZi.001", "cleared")
    assert fulan["decided_by"] == "A. Analyst" and fulan["decision_id"].startswith("d-")
    assert fulan["decision_reason"] == "our customer was born in Aleppo"
    assert fulan["decided_at"].endswith("Z")
    # the entry's facts
    assert (fulan["birth_dates"], fulan["countries"]) == ("1970-01-01; 1971", "sy")
    assert (fulan["programs"], fulan["listing_date"]) == ("Sample", "2015-03-01")
    assert rows["c3"]["list_ref"] == "ZZi.002" and rows["c3"]["decision"] == ""


def test_hide_cleared_and_all_rows(listed: Path, parties: Path, tmp_path: Path) -> None:
    out = tmp_path / "hits.csv"
    hidden = at(listed, "screen", "--input", str(parties), "-o", str(out), "--hide-cleared")
    assert hidden.exit_code == 0, hidden.output
    assert "left out" in hidden.stderr
    assert {r["query_id"] for r in _rows(out)} == {"c3"}
    every = at(
        listed,
        "screen",
        "--input",
        str(parties),
        "-o",
        str(out),
        "--hide-cleared",
        "--all-rows",
        "--limit",
        "1",
    )
    assert every.exit_code == 0, every.output
    assert [(r["query_id"], r["rank"], r["entity_id"]) for r in _rows(out)] == [
        ("c1", "0", ""),
        ("c2", "0", ""),
        ("c3", "1", "un-sc:ZZi.002"),
    ]


def test_delimiter_applies_to_the_output(listed: Path, parties: Path, tmp_path: Path) -> None:
    out = tmp_path / "hits.csv"
    result = at(
        listed, "screen", "--input", str(parties), "-o", str(out), "--delimiter", ",", "--all-rows"
    )
    assert result.exit_code == 0, result.output
    assert len(_rows(out)) >= 3
    semi = tmp_path / "semi.csv"
    semi.write_text(parties.read_text(encoding="utf-8").replace(",", ";"), encoding="utf-8")
    result = at(listed, "screen", "--input", str(semi), "-o", "-", "--delimiter", ";")
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("query_id;rank;score;entity_id")
    pairs = tmp_path / "pairs.csv"
    pairs.write_text("name1|name2\nAiman al-Zawahiri|Ayman al Zawahiry\n", encoding="utf-8")
    scored = at(listed, "screen", "pairs", "--input", str(pairs), "--delimiter", "|")
    assert scored.exit_code == 0 and scored.stdout.startswith("name1|name2|schema|score")


def test_json_carries_the_rows_and_the_counts(listed: Path, parties: Path) -> None:
    answer = as_json(at(listed, "screen", "--input", str(parties), "--json", "--all-rows"))
    assert answer["columns"] == list(RESULT_COLUMNS) and answer["output"] is None
    assert (answer["rows"], answer["cleared"], answer["hidden"]) == (3, 1, 0)
    assert answer["without_hits"] == 1
    by_query = {r["query_id"]: r for r in answer["records"] if r["rank"] <= 1}
    assert by_query["c1"]["decision"] == "cleared" and by_query["c2"]["rank"] == 0
    assert by_query["c3"]["birth_dates"] == "1980/1982"


def test_the_new_options_go_with_input(listed: Path, parties: Path) -> None:
    for option in ("--all-rows", "--hide-cleared"):
        refused = at(listed, "screen", "Fulan", option)
        assert refused.exit_code == 2 and f"{option} goes with --input FILE" in refused.output
    to_stdout = at(listed, "screen", "--input", str(parties), "--json", "-o", "-")
    assert to_stdout.exit_code == 2 and "give -o FILE, or no -o at all" in to_stdout.output
