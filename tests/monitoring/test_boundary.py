"""The library boundary of monitoring: scenarios and parameters checked whole before anything
runs, engine failures named by scenario, alerts stored in one transaction per scenario, the
engine's memory limit taken from the workspace's settings, and the pack's layout (the exposure
scenario among the others, graph/ free of monitoring)."""

from __future__ import annotations

import ast
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import duckdb
import ibis
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import counterflow.graph
from counterflow.cli.ingest_cmd import parquet_files
from counterflow.engines import DatasetTables, EngineError, open_dataset
from counterflow.errors import ConfigError, NotFoundError, StoreError
from counterflow.monitoring import (
    PACK,
    SCENARIOS,
    Param,
    ParameterError,
    Scenario,
    check_run,
    run_scenarios,
)
from counterflow.monitoring import runner as runner_module
from counterflow.monitoring.params import load_params, resolve
from counterflow.monitoring.scenarios.exposure import EXPOSURE
from counterflow.settings import Settings
from counterflow.transactions.schema import PARTIES, TRANSACTIONS
from counterflow.transactions.store import load_parquet
from counterflow.workspace import Workspace

SRC = Path(__file__).resolve().parents[2] / "src" / "counterflow"
DAY0 = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)
#: payer, beneficiary, day, USD
PAYMENTS = [("A", "B", 1, 5_000.0), ("B", "C", 2, 4_900.0), ("C", "A", 3, 4_800.0)]


def load(home: Path, settings: Settings | None = None) -> Workspace:
    """A three-payment dataset 'd' in a workspace at ``home``."""
    folder = home.parent / "parquet"
    folder.mkdir(exist_ok=True)
    rows = [
        {
            "tx_id": f"T{i}",
            "timestamp": DAY0 + timedelta(days=day),
            "amount": usd,
            "currency": "USD",
            "base_amount": usd,
            "payer_party": src,
            "beneficiary_party": dst,
            "channel": "wire",
        }
        for i, (src, dst, day, usd) in enumerate(PAYMENTS)
    ]
    columns = {name: [r.get(name) for r in rows] for name in TRANSACTIONS.names}
    pq.write_table(pa.table(columns, schema=TRANSACTIONS), folder / "transactions.parquet")
    ids = ["A", "B", "C"]
    parties: dict[str, list[Any]] = {name: [None] * len(ids) for name in PARTIES.names}
    parties["party_id"] = ids
    pq.write_table(pa.table(parties, schema=PARTIES), folder / "parties.parquet")
    workspace = Workspace(home, settings=settings)
    load_parquet(workspace, "d", parquet_files(folder), fmt="test", source="test")
    return workspace


def every_party(t: DatasetTables, p: Mapping[str, Any]) -> ibis.Table:
    """One alert per payer, scored 0.5."""
    tx = t.transactions
    return tx.group_by(subject_id=tx.payer_party).aggregate(
        score=ibis.literal(0.5), tx_ids=tx.tx_id.collect(), payments=tx.count()
    )


def scenario(sid: str, logic: Any = every_party) -> Scenario:
    return Scenario(
        id=sid,
        title=sid,
        typology=sid,
        sources=("a test",),
        severity="low",
        logic=logic,
        params=(Param("min_payments", 1, "Least payments.", minimum=1),),
    )


def stored(workspace: Workspace) -> tuple[dict[str, int], int]:
    """Alerts per scenario, and the number of recorded runs."""
    with workspace.connect(read_only=True) as conn:
        alerts = conn.execute("SELECT scenario, count(*) FROM alerts GROUP BY ALL").fetchall()
        runs = conn.execute("SELECT count(*) FROM monitor_runs").fetchall()[0][0]
    return dict(alerts), int(runs)


# ---------------------------------------------------------------------------- parameters


BAD_PARAMS: dict[str, Any] = {
    "layering-fan-out": {"min_counterparties": "ten", "channels": "wire"},
    "laundering-hub": {"max_retention": 2, "speed": 3},
    "listed-counterparty-exposure": {
        "direction": "sideways",
        "hops": True,
        "min_exposure_usd": float("nan"),
    },
    "layering-cycle": 12,
    "no-such-scenario": {"x": 1},
}


def test_every_problem_is_listed_in_one_config_error(home: Path) -> None:
    # the dataset does not even exist: the parameters are refused before it is opened
    with pytest.raises(ConfigError) as caught:
        run_scenarios(Workspace(home), "nowhere", ["laundering-hub", "nope"], BAD_PARAMS)
    error = caught.value
    assert isinstance(error, ParameterError)
    expected = [
        "[nope]: no such scenario (known: antiquities-dealer, ",
        "[layering-fan-out] min_counterparties: must be int like 4, not 'ten'",
        "[layering-fan-out] channels: must be a list of texts like ['wire', 'cheque', "
        "'remittance', 'crypto'], not 'wire'",
        "[laundering-hub] max_retention: must be at most 1, not 2",
        "[laundering-hub] speed: no such parameter (known: min_flow_usd, ",
        "[listed-counterparty-exposure] direction: must be one of both, to, from, not 'sideways'",
        "[listed-counterparty-exposure] hops: must be int like 2, not True",
        "[listed-counterparty-exposure] min_exposure_usd: must be a finite number, not nan",
        "[layering-cycle]: must be a table of parameters, not 12",
        "[no-such-scenario]: no such scenario (known: ",
    ]
    assert len(error.problems) == len(expected)
    for problem, start in zip(error.problems, expected, strict=True):
        assert problem.startswith(start), (problem, start)
        assert problem in str(error)
    assert not Workspace(home).exists  # nothing was opened, let alone written


def test_nothing_runs_when_a_parameter_is_wrong(home: Path) -> None:
    workspace = load(home)
    good, other = scenario("first"), scenario("second")
    with pytest.raises(ParameterError, match=r"\[second\] min_payments: must be at least 1"):
        run_scenarios(workspace, "d", [good, other], {"second": {"min_payments": 0}})
    assert stored(workspace) == ({}, 0)  # not even the first scenario ran


def test_a_run_is_checked_and_resolved_up_front() -> None:
    plan = check_run(
        ["laundering-hub", EXPOSURE],
        {
            "laundering-hub": {"min_flow_usd": 5},  # an int where a float is wanted: fine
            "listed-counterparty-exposure": {"seed_parties": ["L"], "direction": "to"},
            "oil-border-trade": {"min_usd": 1.0},  # of the pack, not run: checked, unused
        },
    )
    assert [s.id for s, _ in plan] == ["laundering-hub", "listed-counterparty-exposure"]
    hub, exposure = (values for _, values in plan)
    assert hub["min_flow_usd"] == 5.0 and isinstance(hub["min_flow_usd"], float)
    assert hub["max_retention"] == PACK["laundering-hub"].defaults()["max_retention"]
    assert exposure["direction"] == "to" and exposure["seed_parties"] == ["L"]
    with pytest.raises(ParameterError, match=r"\[oil-border-trade\] min_usd: must be float"):
        check_run(["laundering-hub"], {"oil-border-trade": {"min_usd": "much"}})
    with pytest.raises(ParameterError, match=r"\[laundering-hub\]: given twice"):
        check_run(["laundering-hub", PACK["laundering-hub"]])
    with pytest.raises(ParameterError, match="must be a mapping of scenario id"):
        check_run(["laundering-hub"], ["min_flow_usd"])  # type: ignore[arg-type]


def test_resolve_checks_what_it_is_given() -> None:
    hub = PACK["laundering-hub"]
    with pytest.raises(ParameterError) as caught:
        resolve(hub, {"min_flow_usd": "lots", "pass_days": 99})
    assert caught.value.problems == [
        "[laundering-hub] min_flow_usd: must be float like 100000.0, not 'lots'",
        "[laundering-hub] pass_days: must be at most 30, not 99",
    ]
    assert resolve(hub, None) == hub.defaults()


def test_parameter_files_are_read_through_io(tmp_path: Path) -> None:
    broken = tmp_path / "broken.toml"
    broken.write_text("[laundering-hub\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="not a TOML parameters file"):
        load_params(broken, PACK)
    latin = tmp_path / "latin.toml"
    latin.write_bytes("# café\n".encode("latin-1"))
    with pytest.raises(ConfigError, match="not UTF-8"):
        load_params(latin, PACK)
    with pytest.raises(ConfigError, match="cannot read the parameters"):
        load_params(tmp_path / "missing.toml", PACK)
    bad = tmp_path / "bad.toml"
    bad.write_text('[layering-fan-out]\nmin_counterparties = "ten"\n', encoding="utf-8")
    with pytest.raises(ParameterError) as caught:
        load_params(bad, PACK)
    assert str(caught.value).startswith(f"{bad}: the parameters have problems")
    assert caught.value.problems == [
        "[layering-fan-out] min_counterparties: must be int like 4, not 'ten'"
    ]


# ---------------------------------------------------------------------------- engine errors


def failing_query(t: DatasetTables, p: Mapping[str, Any]) -> ibis.Table:
    """Fails in DuckDB when executed: the party ids are not numbers."""
    tx = t.transactions
    return tx.select(
        subject_id=tx.payer_party,
        score=tx.payer_party.cast("int64").cast("float64"),
        tx_ids=ibis.array([tx.tx_id]),
    )


def out_of_memory(t: DatasetTables, p: Mapping[str, Any]) -> ibis.Table:
    raise duckdb.OutOfMemoryException("Out of Memory Error: could not allocate block")


def test_an_engine_failure_names_its_scenario(home: Path) -> None:
    workspace = load(home)
    with pytest.raises(EngineError) as caught:
        run_scenarios(workspace, "d", [scenario("fine"), scenario("broken", failing_query)])
    error = caught.value
    assert error.scenario == "broken"
    assert str(error).startswith(
        "scenario 'broken' failed on dataset 'd' (duckdb): ConversionException"
    )
    assert str(error).endswith("(--debug shows the SQL)")
    # the SQL the engine was given travels with the error, for --debug
    assert "CAST" in error.sql and "payer_party" in error.sql
    assert isinstance(error.__cause__, EngineError)  # the query's own error, chained
    assert isinstance(error.__cause__.__cause__, duckdb.ConversionException)
    # the scenario before it kept its alerts; the broken one stored nothing
    assert stored(workspace) == ({"fine": 3}, 1)


def test_running_out_of_memory_says_what_to_change(home: Path) -> None:
    settings = Settings.defaults(home).with_(memory_limit="512MB")
    workspace = load(home, settings)
    with pytest.raises(EngineError) as caught:
        run_scenarios(workspace, "d", [scenario("greedy", out_of_memory)])
    message = str(caught.value)
    assert message.startswith(
        "scenario 'greedy' failed on dataset 'd' (duckdb): OutOfMemoryException"
    )
    assert "raise the memory limit (now 512MB)" in message
    assert "COUNTERFLOW_MEMORY_LIMIT" in message
    assert isinstance(caught.value.__cause__, duckdb.OutOfMemoryException)


def test_a_failed_store_rolls_back_and_names_the_scenario(
    home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    workspace = load(home)
    run_scenarios(workspace, "d", [scenario("kept")])
    real = runner_module.replace_alerts

    def half_then_fail(conn: duckdb.DuckDBPyConnection, *args: Any) -> None:
        real(conn, *args)  # the old alerts deleted, the new inserted...
        conn.execute("SELECT * FROM no_such_table")  # ...then the database refuses

    monkeypatch.setattr(runner_module, "replace_alerts", half_then_fail)
    with pytest.raises(StoreError) as caught:
        run_scenarios(workspace, "d", [scenario("kept")], {"kept": {"min_payments": 2}})
    assert "storing the alerts of scenario 'kept' on dataset 'd' failed" in str(caught.value)
    assert "nothing was written" in str(caught.value)
    assert isinstance(caught.value.__cause__, duckdb.Error)
    assert stored(workspace) == ({"kept": 3}, 1)  # the first run's alerts and record stand


def test_an_unknown_dataset_is_refused_by_name(home: Path) -> None:
    workspace = load(home)
    with pytest.raises(NotFoundError, match="nope"):
        run_scenarios(workspace, "nope", ["laundering-hub"])


# ---------------------------------------------------------------------------- settings


def test_the_memory_limit_comes_from_the_settings(
    home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COUNTERFLOW_MEMORY_LIMIT", "3GB")  # read by settings alone, not here
    workspace = load(home, Settings.defaults(home).with_(memory_limit="512MB"))
    with open_dataset(workspace, "d") as (tables, conn):
        limit = conn.execute("SELECT current_setting('memory_limit')").fetchone()
        assert limit is not None and limit[0] == "488.2 MiB"  # 512 MB in DuckDB's units
        assert tables.memory_limit == "512MB"
    with open_dataset(Workspace(home), "d") as (_, conn):
        limit = conn.execute("SELECT current_setting('memory_limit')").fetchone()
        assert limit is not None and limit[0] == "3.7 GiB"  # the default 4GB


def _python_files(*folders: str) -> list[Path]:
    return sorted(p for folder in folders for p in (SRC / folder).rglob("*.py"))


def test_engines_monitoring_and_graph_never_read_the_environment() -> None:
    readers = []
    for path in _python_files("engines", "monitoring", "graph"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            named = (isinstance(node, ast.Attribute) and node.attr in ("environ", "getenv")) or (
                isinstance(node, ast.Name) and node.id in ("environ", "getenv")
            )
            if named:
                readers.append(f"{path.relative_to(SRC)}:{node.lineno}")
    assert readers == []


# ---------------------------------------------------------------------------- the pack


def test_the_exposure_scenario_is_registered_like_the_others() -> None:
    assert PACK["listed-counterparty-exposure"] is EXPOSURE
    ids = [s.id for s in SCENARIOS]
    assert ids.index("listed-counterparty-exposure") == ids.index("listed-counterparty") + 1
    assert EXPOSURE.severity == "high"
    assert type(EXPOSURE).__module__ == "counterflow.monitoring.scenario"
    assert EXPOSURE.logic.__module__ == "counterflow.monitoring.scenarios.exposure"
    assert not hasattr(counterflow.graph, "EXPOSURE")
