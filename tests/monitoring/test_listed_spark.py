"""listed-counterparty on Spark (issue 15): the names are screened on the executors with the
index broadcast, only the close ones come to the driver, and the alerts are those DuckDB
raises, to the evidence they give."""

from __future__ import annotations

import json
import shutil
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from counterflow.cli.demo_cmd import sample_list_path
from counterflow.cli.ingest_cmd import parquet_files
from counterflow.cli.simulate_cmd import _watchlist
from counterflow.lists import store as lists_store
from counterflow.monitoring import run_scenarios
from counterflow.monitoring.scenarios import listed
from counterflow.monitoring.scenarios.listed import LISTED
from counterflow.simulate import TypologyConfig, simulate
from counterflow.transactions import store
from counterflow.workspace import Workspace

pytestmark = [pytest.mark.spark, pytest.mark.slow]

DATASET = "w"
TYPOLOGIES = TypologyConfig()


@pytest.fixture(scope="module")
def worlds(tmp_path_factory: pytest.TempPathFactory) -> tuple[Workspace, Workspace, Path]:
    """Two copies of one workspace (the sample UN list, a small world that trades with
    imitations of its entries) and the dataset's Parquet export for Spark."""
    root = tmp_path_factory.mktemp("listed-spark")
    duck = Workspace(root / "duckdb")
    lists_store.import_list(duck, sample_list_path())
    world = root / "world"
    simulate(
        world,
        parties=1000,
        days=60,
        seed=7,
        watchlist=_watchlist(duck),
        # the listed channel planted densely: eight counterparties named after the entries
        typology_params=replace(
            TYPOLOGIES, listed=replace(TYPOLOGIES.listed, instances_per_100k=800)
        ),
    )
    store.load_parquet(duck, DATASET, parquet_files(world), fmt="simulated", source="t")
    shutil.copytree(duck.home, root / "spark")
    store.export_dataset(duck, DATASET, root / "export")
    return duck, Workspace(root / "spark"), root / "export"


def _alerts(workspace: Workspace) -> dict[str, tuple[Any, ...]]:
    with workspace.connect(read_only=True) as conn:
        rows = conn.execute(
            "SELECT alert_id, subject_id, score, tx_ids, explanation FROM alerts "
            "WHERE dataset = ? AND scenario = ?",
            [DATASET, LISTED.id],
        ).fetchall()
    return {
        alert_id: (subject, score, sorted(tx_ids), json.loads(explanation)["facts"])
        for alert_id, subject, score, tx_ids, explanation in rows
    }


@pytest.mark.parametrize("use_evidence", [True, False])
def test_the_same_alerts_on_duckdb_and_spark(
    spark: Any,
    worlds: tuple[Workspace, Workspace, Path],
    monkeypatch: pytest.MonkeyPatch,
    use_evidence: bool,
) -> None:
    duck, spark_ws, export = worlds
    params = {LISTED.id: {"use_evidence": use_evidence}}
    on_duckdb = run_scenarios(duck, DATASET, [LISTED], params)

    from counterflow.engines.spark import spark_opener

    def on_the_driver(*args: Any) -> set[str]:
        raise AssertionError("on Spark the names are screened on the executors")

    monkeypatch.setattr(listed, "_close_names", on_the_driver)
    on_spark = run_scenarios(
        spark_ws, DATASET, [LISTED], params, opener=spark_opener(str(export), spark)
    )
    assert [(r.alerts, r.skipped) for r in on_duckdb.runs] == [
        (r.alerts, r.skipped) for r in on_spark.runs
    ]
    duck_alerts, spark_alerts = _alerts(duck), _alerts(spark_ws)
    assert len(duck_alerts) >= 4  # the world trades with imitations of listed names
    assert spark_alerts == duck_alerts
    confirmed = [a for a in duck_alerts.values() if a[3]["confirmed"].startswith("confirmed")]
    assert confirmed
