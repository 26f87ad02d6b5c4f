"""``counterflow alerts`` on the command line: the alerts with their disposition, one alert
explained, and dismissing and reopening as a user; ``alerts dismiss`` is the subcommand, while
``alerts -- dismiss`` would be an alert id."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import Result

from .test_cases_cmd import alerts_of, run


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A small simulated world with its alerts and an analyst (amira); these tests change
    dispositions, so they share nothing with the other command-line tests."""
    home = tmp_path_factory.mktemp("alerts-cli") / "home"
    for args in (
        ["simulate", "-o", str(home.parent / "world"), "--parties", "2000", "--days", "60"],
        ["monitor"],
        ["users", "add", "amira", "--role", "analyst"],
    ):
        result = run("--home", str(home), *args)
        assert result.exit_code == 0, result.output
    return home


def alerts(world: Path, *args: str) -> Result:
    return run("--home", str(world), "alerts", *args)


def test_dismissing_and_reopening_an_alert(world: Path) -> None:
    (oil,) = alerts_of(world, "oil-border-trade")
    listed = json.loads(alerts(world, "--json", "--limit", "100").stdout)
    assert {a["status"] for a in listed} == {"open"} and all(a["new"] for a in listed)
    assert "open, new" in alerts(world, "--limit", "100").stdout

    done = alerts(world, "dismiss", oil, "--user", "amira", "--reason", "Known refinery")
    assert done.exit_code == 0, done.output
    assert f"Dismissed {oil} (oil-border-trade," in done.stdout and "now dismissed" in done.stdout
    explained = alerts(world, oil)
    assert "status   dismissed" in explained.stdout
    assert "dismissed by amira" in explained.stdout and "Known refinery" in explained.stdout
    only = json.loads(alerts(world, "--status", "dismissed", "--json").stdout)
    assert [a["alert_id"] for a in only] == [oil] and only[0]["dismissal"]["by"] == "amira"
    still = json.loads(alerts(world, "--status", "open", "--json", "--limit", "100").stdout)
    assert oil not in {a["alert_id"] for a in still}

    again = alerts(world, "dismiss", oil, "--user", "amira", "--reason", "twice")
    assert again.exit_code == 1 and "dismissed already" in again.output
    nobody = alerts(world, "dismiss", oil, "--reason", "no user")
    assert nobody.exit_code == 2 and "give --user NAME" in nobody.output

    rerun = run("--home", str(world), "monitor", "--scenarios", "oil-border-trade")
    assert rerun.exit_code == 0 and "(0 new, 0 changed)" in rerun.stdout
    assert json.loads(alerts(world, oil, "--json").stdout)["status"] == "dismissed"

    back = alerts(world, "reopen", "--user", "amira", oil, "--reason", "New deposits")
    assert back.exit_code == 0 and "now open" in back.stdout
    assert json.loads(alerts(world, oil, "--json").stdout)["dismissal"] is None


def test_an_alert_id_that_is_not_there(world: Path) -> None:
    missing = alerts(world, "A-0000000000000000")
    assert missing.exit_code == 1 and "no alert 'A-0000000000000000'" in missing.output
    escaped = alerts(world, "--", "dismiss")  # after --, "dismiss" is an alert id
    assert escaped.exit_code == 1 and "no alert 'dismiss'" in escaped.output
