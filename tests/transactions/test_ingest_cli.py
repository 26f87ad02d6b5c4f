"""``counterflow ingest`` and ``counterflow transactions`` end to end."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from counterflow.cli import main


def run(home: Path, *args: str) -> Result:
    return CliRunner().invoke(main, ["--home", str(home), *args], catch_exceptions=False)


@pytest.mark.shared_data
def test_ingest_list_export_and_load_back(home: Path, shared_data: Path, tmp_path: Path) -> None:
    fanin = shared_data / "transactions" / "amlsim" / "20K_fanin200"
    result = run(home, "ingest", str(fanin), "--dataset", "fanin")
    assert result.exit_code == 0, result.output
    assert "Imported dataset fanin (amlsim): 20,000 parties, 20,000 accounts, 118,250 " in (
        result.output
    )
    listed = run(home, "transactions").output
    assert "fanin" in listed and "118,250" in listed
    out = tmp_path / "fanin-parquet"
    assert run(home, "transactions", "export", "fanin", "--out", str(out)).exit_code == 0
    again = run(home, "ingest", str(out), "--dataset", "copy")
    assert "Imported dataset copy (counterflow-parquet)" in again.output
    refused = run(home, "ingest", str(fanin), "--dataset", "fanin")
    assert refused.exit_code == 1 and "dataset 'fanin' exists" in refused.output


def test_a_bank_export_fails_whole_or_keeps_going(
    home: Path, fixtures: Path, tmp_path: Path
) -> None:
    for name in ("export.csv", "bank-x.toml"):
        shutil.copy(fixtures / "transactions" / "bank" / name, tmp_path / name)
    export, mapping = tmp_path / "export.csv", tmp_path / "bank-x.toml"
    failed = run(home, "ingest", str(export), "--mapping", str(mapping))
    assert failed.exit_code == 1
    assert f"{export}, line 4: amount 'zwei' is not a number" in failed.output
    assert "Traceback" not in failed.output
    kept = run(home, "ingest", str(export), "--mapping", str(mapping), "--max-errors", "2")
    assert kept.exit_code == 0
    assert "Imported dataset export (table): 4 parties, 4 accounts, 3 transactions" in kept.output
    assert "2 rows rejected, written to" in kept.stderr
    assert (tmp_path / "export.csv.rejects.csv").exists()


def test_format_detection_and_clear_refusals(home: Path, fixtures: Path, tmp_path: Path) -> None:
    amlworld = fixtures / "transactions" / "amlworld" / "Tiny_Trans.csv"
    detected = run(home, "ingest", str(amlworld))
    assert "Imported dataset Tiny_Trans (amlworld): 12 parties, 12 accounts, 10 transactions" in (
        detected.output
    )
    pacs = fixtures / "transactions" / "pacs008" / "v08_two_transactions.xml"
    assert "(pacs.008)" in run(home, "ingest", str(pacs)).output
    mt103 = fixtures / "transactions" / "mt103" / "three_messages.txt"
    assert "(mt103)" in run(home, "ingest", str(mt103)).output
    unknown = tmp_path / "notes.txt"
    unknown.write_text("hello\n", encoding="utf-8")
    refused = run(home, "ingest", str(unknown))
    assert refused.exit_code == 1 and "cannot tell the format; give --format" in refused.output
    wrong = run(home, "ingest", str(amlworld), "--format", "table", "--dataset", "t")
    assert wrong.exit_code == 1 and "nothing feeds the required column(s)" in wrong.output
