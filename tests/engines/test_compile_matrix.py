"""Every query of the pack compiles to both engines' dialects (issue 15), like Ibis's own
backend test matrix: each scenario's logic runs against a compile-only engine
(:mod:`tests.engines.compile_only`) with its default parameters resolved against a real
profile, and every expression it would execute, materialise or write is compiled for DuckDB
and for PySpark. An operation one engine lacks (``Mode`` on PySpark) fails here at once, with
the scenario's name, without starting Spark."""

from __future__ import annotations

import os
from types import SimpleNamespace
from typing import Any

import duckdb
import ibis
import pyarrow as pa
import pytest

from counterflow.engines import DatasetTables, DuckDBEngine
from counterflow.monitoring import SCENARIOS, Scenario, check_run
from counterflow.monitoring.profile import DatasetProfile, profile_dataset
from counterflow.monitoring.runner import _spans, resolve_relative
from counterflow.monitoring.scenarios import listed

from .compile_only import CompileOnlyEngine, load_pyspark_backend, unbound_tables
from .tiny import tables as tiny_tables

IBIS_SCENARIOS = [s for s in SCENARIOS if s.engine == "ibis"]


@pytest.fixture(scope="module", autouse=True)
def _pyspark_compiler() -> None:
    """PySpark's compiler needs pyspark installed (never a session); without it these
    tests skip, saying so, unless COUNTERFLOW_REQUIRE_SPARK=1 makes them fail."""
    try:
        load_pyspark_backend()
    except ImportError as exc:
        message = f"pyspark is not installed ({exc}): pip install 'counterflow[spark]'"
        if os.environ.get("COUNTERFLOW_REQUIRE_SPARK") == "1":
            pytest.fail(message + ", but COUNTERFLOW_REQUIRE_SPARK=1 makes it mandatory")
        pytest.skip(message)


@pytest.fixture(scope="module")
def profile() -> DatasetProfile:
    """A profile measured for real, on DuckDB, over the tiny dataset: every part a relative
    default reads is there."""
    found = tiny_tables()
    t = DatasetTables(
        "tiny",
        transactions=ibis.memtable(found["transactions"]),
        parties=ibis.memtable(found["parties"]),
        accounts=ibis.memtable(found["accounts"]),
        party_labels=ibis.memtable(found["party_labels"]),
        engine=DuckDBEngine(duckdb.connect()),
    )
    return profile_dataset(t)


def _report(engine: CompileOnlyEngine) -> str:
    return "\n".join(str(f) for f in engine.failures)


def compile_scenario(scenario: Scenario, profile: DatasetProfile) -> CompileOnlyEngine:
    """Run ``scenario``'s logic (as the runner does: defaults resolved against ``profile``,
    its result executed, its transactions' times looked up) on a compile-only engine."""
    engine = CompileOnlyEngine(scenario=scenario.id)
    t = unbound_tables(engine)
    t.memo("profile", lambda: profile)  # what the runner measured first
    [(_, given)] = check_run([scenario])
    values, _ = resolve_relative(scenario, given, profile)
    out = scenario.logic(t, values)
    if not isinstance(out, pa.Table):
        t.execute(out)
    _spans(t, {"t00"})
    return engine


@pytest.mark.parametrize("scenario", IBIS_SCENARIOS, ids=[s.id for s in IBIS_SCENARIOS])
def test_every_query_of_a_scenario_compiles_for_duckdb_and_pyspark(
    scenario: Scenario, profile: DatasetProfile
) -> None:
    engine = compile_scenario(scenario, profile)
    # the scenario's own query and the runner's look-up of its transactions' times, at least
    assert engine.compiled.get(scenario.id, 0) >= 2, engine.compiled
    assert not engine.failures, _report(engine)


def test_the_listed_scenarios_queries_compile_for_duckdb_and_pyspark() -> None:
    """``listed-counterparty`` runs in Python (the screener is no query), around three Ibis
    queries: the names to screen, the countries the parties bank in, and the transactions
    of the parties hit."""
    engine = CompileOnlyEngine(scenario="listed-counterparty")
    t = unbound_tables(engine)
    t.execute(listed._names(t))
    listed._bank_countries(t, ["p1", "p2"])
    entity = SimpleNamespace(id="un-sc:QDi.1", caption="Someone", list_id="un-sc")
    match = SimpleNamespace(entity=entity, listings=[], name_score=0.9, matched_name="Someone")
    hit = SimpleNamespace(
        match=match,
        score=0.9,
        confirmed="unconfirmed",
        facts=SimpleNamespace(name="Someone"),
        evidence=[],
    )
    found: Any = {"p1": hit}
    out = listed._table(t, found)
    assert out.num_rows == 1
    assert engine.compiled["listed-counterparty"] == 3
    assert not engine.failures, _report(engine)


def test_the_profiles_queries_compile_for_duckdb_and_pyspark() -> None:
    """The profile every run measures first (and every relative default resolves against)."""
    engine = CompileOnlyEngine(scenario="dataset profile", one_row=True)
    profile_dataset(unbound_tables(engine))
    assert engine.compiled["dataset profile"] >= 8
    assert not engine.failures, _report(engine)


def _modal_channel(t: DatasetTables, p: Any) -> ibis.Table:
    tx = t.transactions
    per = tx.group_by(subject_id=tx.payer_party).aggregate(
        score=ibis.literal(1.0), tx_ids=tx.tx_id.collect(), usual_channel=tx.channel.mode()
    )
    return per


MODAL = Scenario(
    id="negative-control-mode",
    title="The payer's usual channel (Mode, which PySpark's compiler lacks)",
    typology="test",
    sources=(),
    severity="low",
    logic=_modal_channel,
)


def test_an_operation_pyspark_lacks_fails_with_the_scenarios_name(
    profile: DatasetProfile,
) -> None:
    engine = compile_scenario(MODAL, profile)
    assert engine.failures, "Mode compiled on every dialect: the matrix would catch nothing"
    assert {f.dialect for f in engine.failures} == {"pyspark"}
    report = _report(engine)
    assert "[negative-control-mode] pyspark" in report
    assert "Mode" in report
