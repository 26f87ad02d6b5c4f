"""The monitoring framework: parameter files, idempotent runs, explained alerts, evaluation."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from counterflow.cases.alerts import list_alerts
from counterflow.cli import main
from counterflow.cli.demo_cmd import sample_list_path
from counterflow.cli.ingest_cmd import parquet_files
from counterflow.errors import ConfigError
from counterflow.lists import store as lists_store
from counterflow.monitoring import PACK, run_scenarios
from counterflow.monitoring.evaluate import evaluate
from counterflow.monitoring.params import describe, load_params
from counterflow.simulate import TypologyConfig, simulate
from counterflow.transactions import store
from counterflow.workspace import Workspace


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A small, dense world (every channel planted 20 times as often), loaded as 'w'."""
    root = tmp_path_factory.mktemp("monitor")
    out = root / "world"
    simulate(out, parties=4000, days=120, seed=11, typology_params=TypologyConfig().scaled(20))
    home = root / "home"
    lists_store.import_list(Workspace(home), sample_list_path())
    store.load_parquet(Workspace(home), "w", parquet_files(out), fmt="simulated", source="t")
    return home


def test_a_parameter_file_lists_every_problem(tmp_path: Path) -> None:
    path = tmp_path / "params.toml"
    path.write_text(
        "[laundering-hub]\nmin_flow_usd = 'lots'\nmax_retention = 2\nspeed = 3\n"
        "[no-such-scenario]\nx = 1\n",
        encoding="utf-8",
    )
    with pytest.raises(ConfigError) as caught:
        load_params(path, PACK)
    message = str(caught.value)
    assert "[laundering-hub] min_flow_usd: must be float like 100000.0, not 'lots'" in message
    assert "[laundering-hub] max_retention: must be at most 1, not 2" in message
    assert "[laundering-hub] speed: no such parameter (known: min_flow_usd" in message
    assert "[no-such-scenario]: no such scenario" in message


def test_the_template_is_a_valid_parameter_file(tmp_path: Path) -> None:
    path = tmp_path / "params.toml"
    path.write_text(describe(list(PACK.values())), encoding="utf-8")
    loaded = load_params(path, PACK)
    assert loaded["laundering-hub"]["min_flow_usd"] == 100_000.0


def test_runs_are_idempotent_and_alerts_explained(world: Path) -> None:
    ws = Workspace(world)
    hub = PACK["laundering-hub"]
    first = run_scenarios(ws, "w", [hub])
    with ws.connect(read_only=True) as conn:
        before = [a.alert_id for a in list_alerts(conn, "w")]
    again = run_scenarios(ws, "w", [hub])
    with ws.connect(read_only=True) as conn:
        after = list_alerts(conn, "w")
    assert first.alerts == again.alerts == len(after) >= 1
    assert [a.alert_id for a in after] == before  # same ids, no duplicates
    top = after[0]
    facts = top.explanation["facts"]
    assert facts["retention"] <= 0.05 and facts["counterparties"] >= 10
    assert top.explanation["parameters"]["min_flow_usd"] == 100_000.0
    assert top.first_ts is not None and top.first_ts <= top.last_ts
    stricter = run_scenarios(ws, "w", [hub], {"laundering-hub": {"min_flow_usd": 1e12}})
    assert stricter.alerts == 0


def test_evaluation_scores_the_hub_against_the_truth(world: Path) -> None:
    ws = Workspace(world)
    run_scenarios(ws, "w", [PACK["laundering-hub"]])
    with ws.connect(read_only=True) as conn:
        scores = {s.typology: s for s in evaluate(conn, "w")}
    hub = scores["laundering-hub"]
    assert hub.alerts >= 1 and hub.planted_transactions > 0
    assert hub.tx_recall is not None and hub.tx_recall >= 0.5  # one of two hubs runs past the end
    assert hub.party_precision == 1.0
    assert scores["oil"].alerts == 0 and scores["oil"].tx_recall == 0.0


def test_monitor_alerts_and_evaluate_commands(world: Path) -> None:
    runner = CliRunner()
    home = ["--home", str(world), "--wide"]  # tables unfolded, so their cells can be read
    ran = runner.invoke(main, [*home, "monitor", "--dataset", "w", "--scenarios", "laundering-hub"])
    assert ran.exit_code == 0, ran.output
    assert "laundering-hub" in ran.output and "alerts on w" in ran.output
    listed = runner.invoke(main, [*home, "alerts", "--dataset", "w"])
    assert "laundering-hub" in listed.output and "retention=" in listed.output
    with Workspace(world).connect(read_only=True) as conn:
        alert_id = list_alerts(conn, "w", scenario="laundering-hub")[0].alert_id
    assert alert_id in listed.output
    shown = runner.invoke(main, [*home, "alerts", alert_id])
    assert shown.exit_code == 0, shown.output
    assert alert_id in shown.output and "retention" in shown.output
    as_json = runner.invoke(main, [*home, "--json", "alerts", alert_id])
    record = json.loads(as_json.output)
    assert record["scenario"] == "laundering-hub" and "retention" in record["explanation"]["facts"]
    scored = runner.invoke(main, [*home, "evaluate", "--dataset", "w"])
    assert "laundering-hub" in scored.output and "party precision" in scored.output
    unknown = runner.invoke(main, [*home, "monitor", "--dataset", "w", "--scenarios", "nope"])
    assert unknown.exit_code == 1 and "no scenario 'nope'" in unknown.output
