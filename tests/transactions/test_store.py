"""Imports are all-or-nothing; rejects go to a side file only when allowed; Parquet round trips."""

from __future__ import annotations

import csv
from collections.abc import Iterator
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from counterflow.errors import ConfigError, DataError
from counterflow.transactions import store
from counterflow.transactions.formats.amlsim import AmlsimReader
from counterflow.transactions.formats.base import Batch, transaction_row
from counterflow.transactions.formats.tabular import ColumnMapping, TableReader
from counterflow.transactions.rates import Rates
from counterflow.transactions.schema import PARTY_LABELS, TRANSACTIONS
from counterflow.workspace import Workspace


def _bank(fixtures: Path) -> tuple[Path, TableReader]:
    folder = fixtures / "transactions" / "bank"
    return folder / "export.csv", TableReader(ColumnMapping.load(folder / "bank-x.toml"))


def _copy(path: Path, tmp_path: Path) -> Path:
    target = tmp_path / path.name
    target.write_bytes(path.read_bytes())
    return target


def _datasets(ws: Workspace) -> dict[str, dict[str, int]]:
    with ws.connect(read_only=True) as conn:
        return {d.dataset: d.counts for d in store.list_datasets(conn)}


def test_a_bad_row_fails_the_whole_import(home: Path, fixtures: Path, tmp_path: Path) -> None:
    path, reader = _bank(fixtures)
    path = _copy(path, tmp_path)
    ws = Workspace(home)
    with pytest.raises(DataError) as caught:
        store.ingest(ws, path, reader, dataset="bank")
    assert str(caught.value).startswith(f"{path}, line 4: amount 'zwei' is not a number")
    assert "nothing imported" in str(caught.value)
    assert _datasets(ws) == {}
    assert not [p for p in tmp_path.iterdir() if "rejects" in p.name]  # nor its temporary file


def test_max_errors_keeps_going_and_writes_the_rejects(
    home: Path, fixtures: Path, tmp_path: Path
) -> None:
    path, reader = _bank(fixtures)
    path = _copy(path, tmp_path)
    ws = Workspace(home)
    with pytest.raises(DataError, match="more than 1 rows rejected, nothing imported"):
        store.ingest(ws, path, reader, dataset="bank", max_errors=1)
    assert _datasets(ws) == {} and not [p for p in tmp_path.iterdir() if "rejects" in p.name]
    report = store.ingest(ws, path, reader, dataset="bank", max_errors=2)
    assert report.counts["transactions"] == 3 and report.rejected == 2
    assert report.rejects_path == tmp_path / "export.csv.rejects.csv"
    rows = list(csv.DictReader(report.rejects_path.open(encoding="utf-8")))
    assert [(r["location"], r["problem"]) for r in rows] == [
        ("line 4", "amount 'zwei' is not a number"),
        ("line 5", "has 9 fields, the header has 10"),
    ]
    assert "DE-2026-000103" in rows[0]["raw"]


def test_base_amounts_use_the_rates(home: Path, fixtures: Path, tmp_path: Path) -> None:
    path, reader = _bank(fixtures)
    ws = Workspace(home)
    rates = tmp_path / "rates.csv"
    rates.write_text("currency,rate\nEUR,0.86\n", encoding="utf-8")
    store.ingest(
        ws,
        path,
        reader,
        dataset="bank",
        max_errors=2,
        rejects_path=tmp_path / "r.csv",
        rates=Rates.from_csv(rates, "GBP"),
    )
    with ws.connect(read_only=True) as conn:
        amounts = conn.execute(
            "SELECT amount, base_amount FROM transactions ORDER BY tx_id"
        ).fetchall()
        base = conn.execute("SELECT base_currency FROM tx_datasets").fetchone()
    assert amounts[0] == (1250.0, pytest.approx(1075.0)) and base == ("GBP",)


@pytest.mark.shared_data
def test_append_replace_and_duplicate_ids(home: Path, shared_data: Path) -> None:
    folder = shared_data / "transactions" / "amlsim" / "sample_outputs"
    ws = Workspace(home)
    first = store.ingest(ws, folder, AmlsimReader(), dataset="sim")
    assert first.counts == {"parties": 30, "accounts": 30, "transactions": 133, "party_labels": 30}
    with pytest.raises(ConfigError, match="dataset 'sim' exists"):
        store.ingest(ws, folder, AmlsimReader(), dataset="sim")
    with pytest.raises(DataError, match=r"transaction ids repeat in dataset 'sim': '1' \(2×\)"):
        store.ingest(ws, folder, AmlsimReader(), dataset="sim", mode="append")
    assert _datasets(ws)["sim"]["transactions"] == 133  # the failed append left it alone
    replaced = store.ingest(ws, folder, AmlsimReader(), dataset="sim", mode="replace")
    assert replaced.counts == first.counts


class _FailsHalfway(TableReader):
    def read(self, path: Path) -> Iterator[Batch]:
        row = transaction_row(
            {
                "tx_id": "a",
                "timestamp": "2026-01-01",
                "amount": 1,
                "currency": "EUR",
                "channel": "wire",
            }
        )
        yield Batch(transactions=[row])
        raise DataError("the disk went away", path=path)


def test_a_failure_after_some_batches_writes_nothing(home: Path, tmp_path: Path) -> None:
    ws = Workspace(home)
    with pytest.raises(DataError, match="the disk went away"):
        store.ingest(ws, tmp_path / "x.csv", _FailsHalfway(), dataset="half")
    with ws.connect(read_only=True) as conn:
        assert conn.execute("SELECT count(*) FROM transactions").fetchone() == (0,)
    assert _datasets(ws) == {}


@pytest.mark.shared_data
def test_parquet_export_and_load_round_trip(home: Path, shared_data: Path, tmp_path: Path) -> None:
    ws = Workspace(home)
    store.ingest(
        ws, shared_data / "transactions/amlsim/sample_outputs", AmlsimReader(), dataset="s"
    )
    written = store.export_dataset(ws, "s", tmp_path / "out")
    for table, path in written.items():
        schema = pq.read_schema(path)
        assert [(f.name, f.type) for f in schema] == [(f.name, f.type) for f in store.TABLES[table]]
    counts = store.load_parquet(
        ws, "s2", {t: [p] for t, p in written.items()}, fmt="counterflow-parquet", source="t"
    )
    assert counts == _datasets(ws)["s"]
    with ws.connect(read_only=True) as conn:
        differ = conn.execute(
            "SELECT count(*) FROM (SELECT * EXCLUDE dataset FROM transactions WHERE dataset='s' "
            "EXCEPT SELECT * EXCLUDE dataset FROM transactions WHERE dataset='s2')"
        ).fetchone()
    assert differ == (0,)
    with pytest.raises(DataError, match="out: the folder is not empty"):
        store.export_dataset(ws, "s", tmp_path / "out")
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # no temporary folder


def test_parquet_of_the_wrong_shape_is_refused(home: Path, tmp_path: Path) -> None:
    bad = tmp_path / "transactions.parquet"
    columns = {f.name: pa.array([], f.type) for f in TRANSACTIONS}
    columns["amount"] = pa.array([], pa.string())
    pq.write_table(pa.table(columns), bad)
    with pytest.raises(DataError, match="column 'amount' is string, the transactions schema"):
        store.load_parquet(
            Workspace(home), "x", {"transactions": [bad]}, fmt="counterflow-parquet", source="t"
        )


def _labels(path: Path, rows: list[tuple[str, bool, str | None, str | None]], *, old: bool) -> Path:
    """A party_labels file; ``old``: as written before labels named instances (no column)."""
    fields = [f for f in PARTY_LABELS if not (old and f.name == "instance")]
    table = pa.Table.from_pylist(
        [
            {"party_id": p, "is_suspicious": s, "typology": t, "role": None, "instance": i}
            for p, s, t, i in rows
        ],
        schema=pa.schema(fields),
    )
    pq.write_table(table, path)
    return path


def _transactions(path: Path) -> Path:
    pq.write_table(pa.Table.from_pylist([], schema=TRANSACTIONS), path)
    return path


def test_party_labels_written_before_instances_still_load(home: Path, tmp_path: Path) -> None:
    ws = Workspace(home)
    old = _labels(tmp_path / "old.parquet", [("P1", True, "oil", None)], old=True)
    new = _labels(
        tmp_path / "new.parquet",
        [("P2", True, "oil", "oil/1"), ("P3", False, None, None)],
        old=False,
    )
    txs = [_transactions(tmp_path / "tx.parquet")]
    store.load_parquet(ws, "old", {"transactions": txs, "party_labels": [old]}, fmt="t", source="t")
    # old and new files in one load: each read with what it has
    store.load_parquet(
        ws, "both", {"transactions": txs, "party_labels": [old, new]}, fmt="t", source="t"
    )
    with ws.connect(read_only=True) as conn:
        found = conn.execute(
            "SELECT dataset, party_id, typology, instance FROM party_labels ORDER BY 1, 2"
        ).fetchall()
    assert found == [
        ("both", "P1", "oil", None),
        ("both", "P2", "oil", "oil/1"),
        ("both", "P3", None, None),
        ("old", "P1", "oil", None),
    ]
    # exported, the labels carry the column again
    written = store.export_dataset(ws, "both", tmp_path / "out")
    assert pq.read_schema(written["party_labels"]).field("instance").type == pa.string()


def test_a_mistyped_instance_column_is_refused(home: Path, tmp_path: Path) -> None:
    bad = tmp_path / "labels.parquet"
    columns = {f.name: pa.array([], f.type) for f in PARTY_LABELS}
    columns["instance"] = pa.array([], pa.int64())
    pq.write_table(pa.table(columns), bad)
    with pytest.raises(DataError, match="column 'instance' is int64, the party_labels schema"):
        store.load_parquet(
            Workspace(home),
            "x",
            {"transactions": [_transactions(tmp_path / "tx.parquet")], "party_labels": [bad]},
            fmt="t",
            source="t",
        )


def test_reader_labels_without_an_instance_import_with_none(home: Path) -> None:
    """A reader's label rows may leave the instance out (older readers, most formats)."""

    class _Labels(TableReader):
        def read(self, path: Path) -> Iterator[Batch]:
            batch = Batch()
            batch.party_labels.append({"party_id": "P", "is_suspicious": True, "typology": "x"})
            yield batch

    ws = Workspace(home)
    store.ingest(ws, home / "none.csv", _Labels(), dataset="labels")
    with ws.connect(read_only=True) as conn:
        assert conn.execute("SELECT party_id, instance FROM party_labels").fetchall() == [
            ("P", None)
        ]
