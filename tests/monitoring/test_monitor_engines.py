"""``counterflow monitor --engine``: the options' grammar, the messages without Spark, and a
run on Spark that stores (or writes) the same alerts as DuckDB's."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner, Result

from counterflow.cases.alerts import list_alerts
from counterflow.cli import main
from counterflow.cli.ingest_cmd import parquet_files
from counterflow.engines import spark as spark_engine
from counterflow.simulate import TypologyConfig, simulate
from counterflow.transactions import store
from counterflow.workspace import Workspace

#: scenarios that alert on the small world, among them the one that used SQL's mode()
SCENARIOS = "antiquities-dealer,layering-cycle,laundering-hub"


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A workspace holding a small simulated world (dataset ``w``)."""
    root = tmp_path_factory.mktemp("engines")
    out, home = root / "world", root / "home"
    simulate(out, parties=1500, days=90, seed=5, typology_params=TypologyConfig().scaled(10))
    store.load_parquet(Workspace(home), "w", parquet_files(out), fmt="simulated", source="t")
    return home


def run(home: Path, *args: str) -> Result:
    return CliRunner().invoke(main, ["--home", str(home), "--wide", "monitor", *args])


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--master", "local[2]"], "--master: only with --engine spark"),
        (
            ["--spark-conf", "a=b", "--input", "x"],
            "--spark-conf, --input: only with --engine spark",
        ),
        (["--engine", "cluster"], "'cluster' is not one of 'duckdb', 'spark'"),
    ],
)
def test_spark_options_need_the_spark_engine(world: Path, args: list[str], message: str) -> None:
    result = run(world, "--dataset", "w", *args)
    assert result.exit_code == 2, result.output
    assert message in result.output


def test_without_pyspark_the_message_says_what_to_install(
    world: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(
        spark_engine, "spark_available", lambda: "Spark is not installed: pip install 'x'"
    )
    result = run(world, "--dataset", "w", "--engine", "spark", "--scenarios", "laundering-hub")
    assert result.exit_code == 1
    assert "Spark is not installed" in result.output
    assert "Traceback" not in result.output


def test_a_spark_setting_without_a_value_is_refused(world: Path) -> None:
    pytest.importorskip("pyspark")
    result = run(world, "--dataset", "w", "--engine", "spark", "--spark-conf", "novalue")
    assert result.exit_code == 1
    assert "--spark-conf 'novalue': expected KEY=VALUE" in result.output


def _alerts(home: Path) -> dict[str, tuple[str, float, list[str]]]:
    with Workspace(home).connect(read_only=True) as conn:
        found = list_alerts(conn, dataset="w", limit=10_000)
    return {a.alert_id: (a.subject_id, a.score, sorted(a.tx_ids)) for a in found}


@pytest.mark.spark
@pytest.mark.slow
def test_spark_stores_or_writes_the_alerts_duckdb_stores(
    world: Path, tmp_path: Path, spark: Any
) -> None:
    duck_home, spark_home = tmp_path / "duck", tmp_path / "spark"
    shutil.copytree(world, duck_home)
    shutil.copytree(world, spark_home)
    assert run(duck_home, "--dataset", "w", "--scenarios", SCENARIOS).exit_code == 0
    expected = _alerts(duck_home)
    assert len(expected) >= 3  # something to compare

    # to a file: the workspace keeps no alerts
    out = tmp_path / "alerts.parquet"
    args = ["--dataset", "w", "--engine", "spark", "--master", "local[2]", "--scenarios"]
    written = run(spark_home, *args, SCENARIOS, "--alerts-output", str(out))
    assert written.exit_code == 0, written.output
    assert f"written to {out} (the workspace's alerts unchanged)" in written.output
    assert _alerts(spark_home) == {}
    rows = pq.read_table(out).to_pylist()
    from_file = {r["alert_id"]: (r["subject_id"], r["score"], sorted(r["tx_ids"])) for r in rows}
    assert from_file.keys() == expected.keys()
    for alert_id, (subject, score, tx_ids) in expected.items():
        assert from_file[alert_id][0] == subject
        assert from_file[alert_id][1] == pytest.approx(score, abs=1e-9)
        assert from_file[alert_id][2] == tx_ids
    assert {r["dataset"] for r in rows} == {"w"}

    # to the workspace: the same alerts as DuckDB stored, and the session stays usable
    stored = run(spark_home, *args, SCENARIOS)
    assert stored.exit_code == 0, stored.output
    assert "see: counterflow alerts --dataset w" in stored.output
    got = _alerts(spark_home)
    assert got.keys() == expected.keys()
    for alert_id, (subject, score, tx_ids) in expected.items():
        assert got[alert_id][0] == subject
        assert got[alert_id][1] == pytest.approx(score, abs=1e-9)
        assert got[alert_id][2] == tx_ids
    assert spark.range(3).count() == 3  # the command did not stop the shared session
