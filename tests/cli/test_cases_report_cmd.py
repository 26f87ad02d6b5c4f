"""``counterflow cases report``: the printable case report written from the command line, as
a reader (no --user), atomically and privately; --json names the case and the file."""

from __future__ import annotations

import json
import stat
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from counterflow.cli import main


def run(*args: str) -> Result:
    return CliRunner().invoke(main, list(args))


@pytest.fixture
def cases(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A workspace whose case store holds one manual case with a hostile title: C-000001."""
    monkeypatch.delenv("COUNTERFLOW_CASES_URL", raising=False)
    home = tmp_path / "home"
    for args in (
        ["users", "add", "ana", "--role", "analyst"],
        ["cases", "open", "--user", "ana", "--title", "Tip-off <script>alert(1)</script>"],
        ["cases", "comment", "C-000001", "Cash & <b>more</b>", "--user", "ana"],
    ):
        result = run("--home", str(home), *args)
        assert result.exit_code == 0, result.output
    return home


def test_the_report_is_written_as_one_page(cases: Path, tmp_path: Path) -> None:
    out = tmp_path / "case.html"
    made = run("--home", str(cases), "cases", "report", "C-000001", "-o", str(out))
    assert made.exit_code == 0, made.output
    assert made.output.startswith(f"Wrote {out}: case report of C-000001 (new), 2 events")
    assert "history verified" in made.output
    page = out.read_text("utf-8")
    assert "<script>" not in page and "Tip-off &lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "Cash &amp; &lt;b&gt;more&lt;/b&gt;" in page
    assert "History verified: 2 events intact" in page
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    again = run("--home", str(cases), "--json", "cases", "report", "C-000001", "-o", str(out))
    assert again.exit_code == 0, again.output
    assert json.loads(again.stdout) == {"case": "C-000001", "output": str(out)}
    assert out.read_text("utf-8") == page  # the same case, the same bytes


def test_standard_output_and_refusals(cases: Path, tmp_path: Path) -> None:
    shown = run("--home", str(cases), "cases", "report", "C-000001", "-o", "-")
    assert shown.exit_code == 0 and shown.stdout.startswith("<!DOCTYPE html>")
    both = run("--home", str(cases), "--json", "cases", "report", "C-000001", "-o", "-")
    assert both.exit_code == 2 and "give -o a file" in both.output
    out = tmp_path / "missing.html"
    missing = run("--home", str(cases), "cases", "report", "C-000042", "-o", str(out))
    assert missing.exit_code == 1 and "no case 'C-000042'" in missing.output
    assert not out.exists()
    no_output = run("--home", str(cases), "cases", "report", "C-000001")
    assert no_output.exit_code == 2 and "--output" in no_output.output
