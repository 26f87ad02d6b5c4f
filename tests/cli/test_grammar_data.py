"""The one command grammar on the data commands: ingest, transactions, simulate, monitor,
alerts, evaluate, risk, trace and demo (global options anywhere, --json, -o and the old
spellings, --limit, --seed, tables that fit 80 columns, reading that creates nothing)."""

from __future__ import annotations

import json
import re
import shutil
import sys
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from counterflow.cli import main

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "transactions"
TABLE_RULES = ("│", "┃", "━", "─")


def run(*args: str) -> Result:
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def ok(*args: str) -> Result:
    result = run(*args)
    assert result.exit_code == 0, result.output
    return result


def as_json(*args: str) -> Any:
    """The one JSON document a command prints on standard output with --json."""
    return json.loads(ok(*args, "--json").stdout)


def table_lines(text: str) -> list[str]:
    return [line for line in text.splitlines() if any(c in line for c in TABLE_RULES)]


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A workspace with a small simulated world ('world') and its alerts (no lists: the
    listed-counterparty scenario is skipped)."""
    base = tmp_path_factory.mktemp("grammar")
    home = base / "home"
    ok(
        "simulate",
        "-o",
        str(base / "world"),
        "--parties",
        "2000",
        "--days",
        "60",
        "--home",
        str(home),
    )
    ok("monitor", "--home", str(home))
    return home


# ---------------------------------------------------------------------------- global options


def test_global_options_go_before_or_after_the_command(world: Path) -> None:
    before = ok("--home", str(world), "transactions").stdout
    after = ok("transactions", "--home", str(world)).stdout
    assert before == after and "world" in after
    shown = ok("transactions", "show", "--home", str(world), "--json").stdout
    assert json.loads(shown)["dataset"] == "world"
    assert ok("--json", "evaluate", "--home", str(world)).stdout.lstrip().startswith("[")


def test_every_reporting_command_prints_one_json_document(world: Path, tmp_path: Path) -> None:
    home = ("--home", str(world))
    listed = as_json("transactions", *home)
    assert [d["dataset"] for d in listed] == ["world"] and listed[0]["format"] == "simulated"
    assert as_json("transactions", "list", *home) == listed
    shown = as_json("transactions", "show", *home)
    assert shown["counts"]["parties"] == 2000 and shown["first"] < shown["last"]
    assert shown["suspicious_transactions"]
    scenarios = as_json("monitor", "--list")
    assert {"scenario", "typology", "severity", "title"} <= set(scenarios[0])
    found = as_json("alerts", *home, "--limit", "3")
    assert len(found) == 3 and found[0]["score"] >= found[-1]["score"]
    one = as_json("alerts", found[0]["alert_id"], *home)
    assert one["alert_id"] == found[0]["alert_id"] and one["transactions"]
    scores = as_json("evaluate", *home)
    assert {s["typology"] for s in scores} >= {"oil", "ransom"}
    ranked = as_json("risk", *home, "--limit", "4")
    assert ranked["method"] == "rules" and ranked["seed"] is None and len(ranked["top"]) == 4
    assert ranked["parties"] == 2000 and 0 < ranked["quality"]["average_precision"] <= 1
    party = found[0]["subject"].split(":", 1)[1]
    traced = as_json("trace", party, *home, "--hops", "2")
    assert traced["party"] == party and traced["dataset"] == "world"
    assert isinstance(traced["paths"], list) and traced["written"] == []
    exported = as_json("transactions", "export", *home, "-o", str(tmp_path / "parquet"))
    assert exported["dataset"] == "world" and len(exported["files"]) == 4


def test_simulate_ingest_and_monitor_report_as_json(tmp_path: Path) -> None:
    home = ("--home", str(tmp_path / "home"))
    simulated = as_json(
        "simulate", "-o", str(tmp_path / "w"), "--parties", "1000", "--days", "30", *home
    )
    assert simulated["seed"] == 1 and simulated["dataset"] == "w"
    assert simulated["loaded"]["transactions"] == simulated["transactions"]
    assert simulated["channels"]["oil"]["instances"] >= 1
    report = as_json("monitor", "--scenarios", "laundering-hub,listed-counterparty", *home)
    assert report["dataset"] == "w" and [s["scenario"] for s in report["scenarios"]] == [
        "laundering-hub",
        "listed-counterparty",
    ]
    assert report["scenarios"][1]["skipped"]  # no lists in this workspace
    imported = as_json("ingest", str(FIXTURES / "amlworld" / "Tiny_Trans.csv"), *home)
    assert imported["dataset"] == "Tiny_Trans" and imported["format"] == "amlworld"
    assert imported["counts"]["transactions"] == 10 and imported["rejected"] == 0


def test_json_is_alone_on_standard_output(world: Path) -> None:
    result = ok("risk", "--home", str(world), "--json")
    json.loads(result.stdout)  # no table, no summary line around it
    assert "parties ranked" not in result.stdout


# ---------------------------------------------------------------------------- -o and old spellings


def test_output_option_and_the_hidden_out_alias(world: Path, tmp_path: Path) -> None:
    home = ("--home", str(world))
    ok("transactions", "export", *home, "-o", str(tmp_path / "new"))
    ok("transactions", "export", "world", *home, "--out", str(tmp_path / "old"))
    names = sorted(p.name for p in (tmp_path / "new").iterdir())
    assert names == sorted(p.name for p in (tmp_path / "old").iterdir())
    assert "parties.parquet" in names
    two = run("transactions", "export", "world", "--dataset", "other", *home, "-o", "x")
    assert two.exit_code == 2 and "two datasets given" in two.output
    assert not re.search(r"--out\b(?!put)", ok("transactions", "export", "--help").output)
    help_text = ok("simulate", "--help").output
    assert "-o, --output DIR" in help_text and not re.search(r"--out\b(?!put)", help_text)
    legacy = tmp_path / "legacy"
    ok("simulate", "--out", str(legacy), "--parties", "1000", "--days", "30", "--no-load", *home)
    assert (legacy / "world.json").exists()
    params = tmp_path / "params.toml"
    ok("monitor", "--show-params", "-o", str(params))
    assert "[laundering-hub]" in params.read_text(encoding="utf-8")
    assert "[laundering-hub]" in ok("monitor", "--show-params").stdout
    misplaced = run("monitor", "-o", str(tmp_path / "x.toml"), *home)
    assert misplaced.exit_code == 2 and "goes with --show-params" in misplaced.output


def test_risk_output_to_a_file_or_standard_output(world: Path, tmp_path: Path) -> None:
    home = ("--home", str(world))
    out = tmp_path / "risk.csv"
    ok("risk", *home, "-o", str(out))
    assert out.read_text(encoding="utf-8").startswith("party_id,score,rank,reasons")
    ok("risk", *home, "--output", str(tmp_path / "again.csv"))
    assert (tmp_path / "again.csv").read_bytes() == out.read_bytes()
    piped = ok("risk", *home, "-o", "-")
    assert piped.stdout.replace("\r\n", "\n") == out.read_text(encoding="utf-8").replace(
        "\r\n", "\n"
    )
    assert "parties ranked" in piped.stderr
    both = run("risk", *home, "-o", "-", "--json")
    assert both.exit_code == 2 and "choose one" in both.output


def test_limit_and_the_hidden_top_alias(world: Path) -> None:
    home = ("--home", str(world))
    assert len(as_json("risk", *home, "--limit", "3")["top"]) == 3
    assert len(as_json("risk", *home, "--top", "2")["top"]) == 2
    shown = ok("risk", "--help").output
    assert "--limit" in shown and "--top" not in shown
    assert len(as_json("alerts", *home, "--limit", "2")) == 2


def test_trace_writes_the_format_its_suffix_names(world: Path, tmp_path: Path) -> None:
    home = ("--home", str(world))
    party = as_json("alerts", *home, "--limit", "1")[0]["subject"].split(":", 1)[1]
    ftm, lines, graphml = tmp_path / "p.ftm.json", tmp_path / "p.jsonl", tmp_path / "p.graphml"
    result = as_json("trace", party, *home, "-o", str(ftm), "-o", str(lines), "-o", str(graphml))
    assert [w["format"] for w in result["written"]] == ["ftm", "ftm", "graphml"]
    for path in (ftm, lines):
        entities = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
        assert entities and all("schema" in e for e in entities)
    assert ET.parse(graphml).getroot().tag.endswith("graphml")
    wrong = run("trace", party, *home, "-o", str(tmp_path / "paths.txt"))
    assert wrong.exit_code == 2
    assert ".ftm.json or .jsonl" in wrong.output and ".graphml" in wrong.output
    assert not (tmp_path / "paths.txt").exists()
    # the old spellings still work, and name the format whatever the suffix
    old_ftm, old_graph = tmp_path / "old.json", tmp_path / "old.xml"
    ok("trace", party, *home, "--ftm", str(old_ftm), "--graphml", str(old_graph))
    json.loads(old_ftm.read_text(encoding="utf-8").splitlines()[0])
    assert ET.parse(old_graph).getroot().tag.endswith("graphml")
    shown = ok("trace", "--help").output
    assert "--ftm" not in shown and "--graphml" not in shown and "-o, --output FILE" in shown


# ---------------------------------------------------------------------------- --seed


def test_risk_learned_is_the_same_twice_and_records_its_seed(world: Path) -> None:
    home = ("--home", str(world))
    first = as_json("risk", *home, "--learned")
    assert first["seed"] == 1 and first["method"] == "learned"
    human = ok("risk", *home, "--learned").stdout  # the same run again, for people
    assert "with seed 1" in human
    ap = first["quality"]["average_precision"]
    assert f"average precision {ap:.3f}" in human
    assert f"{first['top'][0]['party']} " in human
    other = as_json("risk", *home, "--learned", "--seed", "7")
    assert other["seed"] == 7 and other["method"] == "learned"


def test_simulate_prints_and_records_its_seed(tmp_path: Path) -> None:
    out = tmp_path / "w"
    result = ok(
        "simulate", "-o", str(out), "--parties", "1000", "--days", "30", "--seed", "5",
        "--no-load", "--home", str(tmp_path / "home"),
    )  # fmt: skip
    assert "with seed 5" in result.stdout
    assert json.loads((out / "world.json").read_text(encoding="utf-8"))["seed"] == 5


# ---------------------------------------------------------------------------- tables


def test_tables_fit_80_columns_and_keep_their_keys(world: Path) -> None:
    home = ("--home", str(world))
    found = as_json("alerts", *home)
    listed = ok("alerts", *home).stdout
    for line in table_lines(listed):
        assert len(line) <= 80, line
    for alert in found:  # ids and scenario names whole, on one line each
        assert any(
            alert["alert_id"] in line and alert["scenario"] in line for line in listed.splitlines()
        )
    assert "facts (" in listed  # the facts below the table, not one character a line
    scored = ok("evaluate", *home).stdout
    for line in table_lines(scored):
        assert len(line) <= 80, line
    for score in as_json("evaluate", *home):
        assert any(f" {score['typology']} " in line for line in scored.splitlines())
    wide = ok("evaluate", *home, "--wide").stdout
    assert max(len(line) for line in table_lines(wide)) > 80  # one table, at full width
    for args in (("monitor", "--list"), ("risk", *home), ("transactions", *home)):
        for line in table_lines(ok(*args).stdout):
            assert len(line) <= 80, (args, line)


def test_a_skipped_scenario_is_a_note_below_the_monitor_table(world: Path) -> None:
    result = ok(
        "monitor", "--home", str(world), "--scenarios", "listed-counterparty,ransom-payment"
    )
    for line in table_lines(result.stdout):
        assert len(line) <= 80, line
    assert "skipped" in result.stdout
    assert "listed-counterparty skipped: no lists" in result.stderr
    quiet = ok("monitor", "--home", str(world), "--scenarios", "listed-counterparty", "-q")
    assert "skipped:" not in quiet.stderr


def test_trace_tables_fit_and_name_the_parties(world: Path) -> None:
    home = ("--home", str(world))
    party = as_json("alerts", *home, "--limit", "1")[0]["subject"].split(":", 1)[1]
    traced = as_json("trace", party, *home)
    text = ok("trace", party, *home).stdout
    for line in table_lines(text):
        assert len(line) <= 80, line
    if traced["paths"]:
        assert "Parties:" in text
        for pid in traced["paths"][0]["parties"]:
            assert pid in text


# ---------------------------------------------------------------------------- reading


@pytest.mark.parametrize(
    "args",
    [
        ("transactions",),
        ("transactions", "show", "--dataset", "world"),
        ("transactions", "export", "--dataset", "world", "-o", "out"),
        ("alerts", "--dataset", "world"),
        ("alerts", "A-0000000000000000"),
        ("evaluate", "--dataset", "world"),
        ("risk", "--dataset", "world"),
        ("trace", "P1", "--dataset", "world"),
        ("monitor", "--list"),
    ],
)
def test_reading_commands_create_no_workspace(args: tuple[str, ...], tmp_path: Path) -> None:
    home = tmp_path / "nowhere"
    result = CliRunner().invoke(main, [*args, "--home", str(home)])
    assert not home.exists()
    assert "Traceback" not in result.output
    if result.exit_code:
        assert str(home) in result.output  # the message names the workspace looked in


def test_a_missing_dataset_names_the_workspace(tmp_path: Path) -> None:
    home = tmp_path / "empty"
    for args in (("alerts",), ("evaluate",), ("risk",), ("transactions", "show")):
        result = run(*args, "--home", str(home))
        assert result.exit_code == 2 and f"the workspace {home} has no datasets" in result.output


# ---------------------------------------------------------------------------- ingest


def test_ingest_passes_the_delimiter_to_the_csv_readers(tmp_path: Path) -> None:
    home = ("--home", str(tmp_path / "home"))
    trans = FIXTURES / "amlworld" / "Tiny_Trans.csv"
    comma = as_json("ingest", str(trans), "--delimiter", ",", "--dataset", "a", *home)
    assert comma["counts"]["transactions"] == 10
    tab = run("ingest", str(trans), "--format", "amlworld", "--delimiter", "tab", *home)
    assert tab.exit_code == 1 and "tab" in tab.output  # read as tab-separated: no columns
    pacs = FIXTURES / "pacs008" / "v08_two_transactions.xml"
    refused = run("ingest", str(pacs), "--delimiter", ";", *home)
    assert refused.exit_code == 2 and "--delimiter applies to CSV files" in refused.output
    bad = run("ingest", str(trans), "--delimiter", ":", *home)
    assert bad.exit_code == 2


# ---------------------------------------------------------------------------- demo


@pytest.mark.slow
def test_demo_next_steps_name_the_program_that_runs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from counterflow.cli import demo_cmd

    installed = tmp_path / "venv" / "bin" / "counterflow"
    installed.parent.mkdir(parents=True)
    installed.write_text("#!/bin/sh\n", encoding="utf-8")
    monkeypatch.setattr(shutil, "which", lambda name: None)
    monkeypatch.setattr(sys, "argv", [str(installed), "demo"])
    assert demo_cmd.program() == str(installed.resolve())
    home = tmp_path / "home"
    output = ok("demo", "--no-monitor", "--home", str(home)).stdout
    assert f"   {installed.resolve()} --home {home} lists" in output
    assert f"KEY=$({installed.resolve()} --home {home} keys create" in output
    assert "   counterflow --home" not in output
    monkeypatch.setattr(shutil, "which", lambda name: "/usr/local/bin/counterflow")
    assert demo_cmd.program() == "counterflow"
    again = ok("demo", "--no-monitor", "--home", str(home)).stdout
    assert f"   counterflow --home {home} lists" in again
