"""The Spark engine's own contract (issue 15), on a tiny hand-written dataset in Parquet:
reading a dataset folder in both forms, the errors a bad folder gives, intermediates kept on
the executors, Parquet written by Spark, functions over Arrow batches with a broadcast value,
engine failures as EngineError with the SQL, and the workspace's alerts read per dataset."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from counterflow.errors import DataError, EngineError, NotFoundError
from counterflow.monitoring import Scenario, run_scenarios
from counterflow.transactions.schema import TABLES
from counterflow.workspace import Workspace

from . import tiny

pytestmark = pytest.mark.spark


@pytest.fixture
def engine(spark: Any) -> Iterator[Any]:
    from counterflow.engines.spark import SparkEngine

    found = SparkEngine(spark, None)
    yield found
    found.close()


def _ids(table: pa.Table, column: str) -> list[str]:
    return sorted(str(v) for v in table[column].to_pylist())


@pytest.mark.parametrize("parts", [False, True], ids=["files", "folders-of-parts"])
def test_a_dataset_folder_is_read_in_the_canonical_schema(
    engine: Any, tmp_path: Path, parts: bool
) -> None:
    from counterflow.engines.spark import read_dataset

    folder = tiny.write(tmp_path / "data", parts=parts)
    found = read_dataset(engine, str(folder))
    assert list(found) == ["transactions", "parties", "accounts", "party_labels"]
    expected = tiny.tables()
    for name, table in found.items():
        got = engine.to_arrow(table)
        assert got.schema.names == TABLES[name].names
        key = TABLES[name].names[0]
        assert _ids(got, key) == _ids(expected[name], key), name
    tx = engine.to_arrow(found["transactions"])
    assert tx.schema.field("timestamp").type == pa.timestamp("us", tz="UTC")
    first = min(tx["timestamp"].to_pylist())
    assert first == tiny.START  # UTC, not the machine's time zone
    assert sum(tx["base_amount"].to_pylist()) == sum(
        expected["transactions"]["base_amount"].to_pylist()
    )


def test_a_missing_column_names_the_table_and_the_column(engine: Any, tmp_path: Path) -> None:
    from counterflow.engines.spark import read_dataset

    folder = tiny.write(tmp_path / "data", only=("parties", "accounts", "party_labels"))
    tx = tiny.tables()["transactions"]
    pq.write_table(tx.drop_columns(["base_amount"]), folder / "transactions.parquet")
    with pytest.raises(DataError) as caught:
        read_dataset(engine, str(folder))
    message = str(caught.value)
    assert str(folder) in message
    assert "transactions has no column(s) base_amount" in message


def test_an_optional_column_may_be_missing(engine: Any, tmp_path: Path) -> None:
    """``party_labels.instance`` is optional (schema.OPTIONAL_COLUMNS): Parquet written
    before it existed, or by a source that names no instance, reads with it null."""
    from counterflow.engines.spark import read_dataset

    folder = tiny.write(tmp_path / "data", only=("transactions", "parties", "accounts"))
    labels = tiny.tables()["party_labels"]
    pq.write_table(labels.drop_columns(["instance"]), folder / "party_labels.parquet")
    got = engine.to_arrow(read_dataset(engine, str(folder))["party_labels"])
    assert got.schema.names == TABLES["party_labels"].names
    assert got["instance"].to_pylist() == [None] * labels.num_rows


def test_a_missing_folder_or_transactions_is_not_found(engine: Any, tmp_path: Path) -> None:
    from counterflow.engines.spark import read_dataset

    with pytest.raises(NotFoundError, match="no such folder"):
        read_dataset(engine, str(tmp_path / "nowhere"))
    folder = tiny.write(tmp_path / "data", only=("parties",))
    with pytest.raises(NotFoundError, match="no transactions"):
        read_dataset(engine, str(folder))


def test_missing_optional_tables_are_read_as_empty(engine: Any, tmp_path: Path) -> None:
    from counterflow.engines.spark import read_dataset

    folder = tiny.write(tmp_path / "data", only=("transactions",))
    found = read_dataset(engine, str(folder))
    assert engine.to_arrow(found["transactions"]).num_rows == tiny.TRANSACTIONS
    for name in ("parties", "accounts", "party_labels"):
        got = engine.to_arrow(found[name])
        assert got.num_rows == 0 and got.schema.names == TABLES[name].names, name
    # an empty table joins like any other
    tx, parties = found["transactions"], found["parties"]
    joined = tx.left_join(parties, tx.payer_party == parties.party_id)
    assert engine.to_arrow(joined.select("tx_id", "kind")).num_rows == tiny.TRANSACTIONS


def test_materialise_keeps_the_intermediate_cached_on_the_executors(
    spark: Any, tmp_path: Path
) -> None:
    from counterflow.engines.spark import SparkEngine, read_dataset

    engine = SparkEngine(spark, None)
    tx = read_dataset(engine, str(tiny.write(tmp_path / "data")))["transactions"]
    big = tx.filter(tx.base_amount >= 3000)
    cached = engine.materialise(big, "cf_cached_test")
    view = cached.get_name()
    assert spark.catalog.isCached(view)
    assert spark.table(view).storageLevel.useMemory
    assert engine.to_arrow(cached).num_rows == engine.to_arrow(big).num_rows > 0
    engine.close()  # releases what it cached
    assert not spark.catalog.tableExists(view)


def test_write_parquet_writes_part_files_from_the_executors(engine: Any, tmp_path: Path) -> None:
    from counterflow.engines.spark import read_dataset

    tx = read_dataset(engine, str(tiny.write(tmp_path / "data")))["transactions"]
    out = tmp_path / "out"
    engine.write_parquet(tx.select("tx_id", "base_amount"), str(out))
    parts = sorted(out.glob("part-*.parquet"))
    assert parts and (out / "_SUCCESS").exists()
    back = pq.read_table(out)
    assert back.num_rows == tiny.TRANSACTIONS and set(back.column_names) == {"tx_id", "base_amount"}


def test_map_batches_runs_a_function_with_a_broadcast_value(engine: Any, tmp_path: Path) -> None:
    from counterflow.engines.spark import read_dataset

    # defined here, so Spark's workers get it by value (they cannot import the tests)
    def _tag(batches: Iterator[pa.RecordBatch], shared: Any) -> Iterator[pa.RecordBatch]:
        """Each transaction with the label the broadcast mapping gives its channel."""
        for batch in batches:
            channels = batch.column("channel").to_pylist()
            yield pa.RecordBatch.from_pydict(
                {
                    "tx_id": batch.column("tx_id"),
                    "label": pa.array([shared.get(c, "other") for c in channels], pa.string()),
                }
            )

    tx = read_dataset(engine, str(tiny.write(tmp_path / "data")))["transactions"]
    schema = pa.schema([("tx_id", pa.string()), ("label", pa.string())])
    tagged = engine.map_batches(
        tx.select("tx_id", "channel"), _tag, schema, "cf_tagged", shared={"wire": "W"}
    )
    # the result is a table of the engine: it joins and aggregates there
    per = tagged.group_by("label").aggregate(n=tagged.count())
    counts = {r["label"]: r["n"] for r in engine.to_arrow(per).to_pylist()}
    wires = sum(1 for c in tiny.tables()["transactions"]["channel"].to_pylist() if c == "wire")
    assert counts == {"W": wires, "other": tiny.TRANSACTIONS - wires}


def test_engine_failures_are_engine_errors_naming_the_dataset_with_the_sql(
    spark: Any, tmp_path: Path
) -> None:
    from counterflow.engines.spark import SparkEngine, open_spark_dataset

    # defined here, so Spark's workers get it by value (they cannot import the tests)
    def _boom(batches: Iterator[pa.RecordBatch], shared: Any) -> Iterator[pa.RecordBatch]:
        for _ in batches:
            raise ValueError(f"executor failure ({shared})")
        yield from ()

    folder = tiny.write(tmp_path / "data")
    ws = Workspace(tmp_path / "home")
    with open_spark_dataset(ws, "tiny", source=str(folder), session=spark) as (tables, _):
        tx = tables.transactions
        assert isinstance(tables.engine, SparkEngine)
        # a view dropped under a query: Spark's analysis fails when it runs
        view = tables.engine.backend.read_parquet(
            str(folder / "parties.parquet"), table_name="cf_dropped_parties"
        )
        spark.catalog.dropTempView("cf_dropped_parties")
        with pytest.raises(EngineError) as caught:
            tables.execute(tx.join(view, tx.payer_party == view.party_id).select("tx_id"))
        error = caught.value
        assert "dataset 'tiny'" in str(error) and "(spark)" in str(error)
        assert "cf_dropped_parties" in error.sql and "SELECT" in error.sql.upper()
        # a Python function failing on an executor
        failing = tables.engine.map_batches(
            tx.select("tx_id"), _boom, pa.schema([("tx_id", pa.string())]), "cf_boom", shared=1
        )
        with pytest.raises(EngineError) as caught:
            tables.execute(failing)
        assert "executor failure (1)" in str(caught.value.__cause__)
        assert caught.value.sql


def test_a_failing_scenario_is_named_in_the_engine_error(spark: Any, tmp_path: Path) -> None:
    from counterflow.engines.spark import spark_opener

    folder = tiny.write(tmp_path / "data")

    def logic(t: Any, p: Any) -> Any:
        view = t.engine.backend.read_parquet(str(folder / "parties.parquet"), table_name="cf_gone")
        spark.catalog.dropTempView("cf_gone")
        return view.select(
            subject_id=view.party_id, score=view.born.year() * 0.0, tx_ids=view.sector.collect()
        )

    broken = Scenario(
        id="broken-on-spark",
        title="Broken",
        typology="test",
        sources=(),
        severity="low",
        logic=logic,
    )
    ws = Workspace(tmp_path / "home")
    with pytest.raises(EngineError) as caught:
        run_scenarios(ws, "tiny", [broken], opener=spark_opener(str(folder), spark))
    assert caught.value.scenario == "broken-on-spark"
    assert "scenario 'broken-on-spark' failed on dataset 'tiny' (spark)" in str(caught.value)
    assert "cf_gone" in caught.value.sql


def _alert(dataset: str, n: int) -> list[Any]:
    return [
        dataset,
        f"{dataset}-a{n}",
        "listed-counterparty",
        "listed-counterparty",
        "high",
        "party",
        f"p{n}",
        0.9,
        [f"t{n:02d}"],
        '{"facts": {"confirmed": "confirmed: score 0.95"}}',
        datetime(2025, 1, 1),
        datetime(2025, 1, 2),
        datetime(2025, 1, 3),
    ]


@pytest.mark.parametrize("read_only", [False, True], ids=["writing", "read-only"])
def test_the_stored_alerts_are_the_datasets_own(
    spark: Any, tmp_path: Path, read_only: bool
) -> None:
    """What exposure starts from: the run's own (writing) workspace connection, as
    ``counterflow monitor`` opens it, and a read-only one, as a search opens it."""
    from counterflow.engines.spark import open_spark_dataset

    ws = Workspace(tmp_path / "home")
    with ws.connect() as conn:
        for row in [_alert("tiny", 1), _alert("tiny", 2), _alert("other", 3)]:
            conn.execute(
                "INSERT INTO alerts (dataset, alert_id, scenario, typology, severity, "
                "subject_kind, subject_id, score, tx_ids, explanation, first_ts, last_ts, "
                "created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                row,
            )
    folder = tiny.write(tmp_path / "data")
    with open_spark_dataset(ws, "tiny", source=str(folder), session=spark, read_only=read_only) as (
        tables,
        _,
    ):
        alerts = tables.alerts()
        assert alerts is not None
        got = tables.execute(alerts.select("alert_id", "subject_id", "explanation"))
        assert _ids(got, "alert_id") == ["tiny-a1", "tiny-a2"]
        # they join with the dataset's tables on the engine (exposure starts from them)
        tx = tables.transactions
        hit = tx.semi_join(alerts, tx.payer_party == alerts.subject_id)
        payers = tables.execute(hit.select("payer_party"))["payer_party"].to_pylist()
        assert sorted(payers) == ["p1"] * 5 + ["p2"] * 5
