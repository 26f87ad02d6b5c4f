"""The files a simulation writes: canonical schemas, referential integrity, truth that adds up,
determinism, bounded parts, and all-or-nothing output."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from counterflow.errors import ConfigError
from counterflow.io import write_parquet
from counterflow.simulate import TYPOLOGIES, WorldSummary, is_simulation, simulate
from counterflow.simulate import writer as writer_module
from counterflow.simulate.typologies.layering import SHAPES
from counterflow.transactions.schema import TABLES

from .conftest import DAYS, PARTIES, SEED, one, rows

FILES = {
    "parties": "parties.parquet",
    "accounts": "accounts.parquet",
    "party_labels": "party_labels.parquet",
}


def _all_files(folder: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()
    }


def test_every_file_has_the_canonical_schema(world: tuple[Path, WorldSummary]) -> None:
    out, summary = world
    for table, name in FILES.items():
        assert pq.read_schema(out / name).equals(TABLES[table]), name
    parts = sorted((out / "transactions").glob("part-*.parquet"))
    assert len(parts) == summary.parts >= 1
    for part in parts:
        schema = pq.read_schema(part)
        assert schema.equals(TABLES["transactions"]), part.name
        # nullability is part of the contract, not only names and types
        assert [f.nullable for f in schema] == [f.nullable for f in TABLES["transactions"]]


def test_ids_are_unique_and_every_reference_exists(con: duckdb.DuckDBPyConnection) -> None:
    assert one(con, "SELECT count(*) = count(DISTINCT tx_id) FROM t")
    assert one(con, "SELECT count(*) = count(DISTINCT party_id) FROM parties")
    assert one(con, "SELECT count(*) = count(DISTINCT account_id) FROM accounts")
    assert one(con, "SELECT count(*) FROM parties") == PARTIES
    assert one(con, "SELECT count(*) FROM labels") == PARTIES
    for side in ("payer", "beneficiary"):
        orphans = one(
            con,
            f"""
            SELECT count(*) FROM t LEFT JOIN accounts a ON a.account_id = t.{side}_account
            WHERE t.{side}_account IS NOT NULL
              AND (a.account_id IS NULL OR a.party_id <> t.{side}_party)""",
        )
        assert orphans == 0, side
        missing = one(
            con,
            f"""
            SELECT count(*) FROM t LEFT JOIN parties p ON p.party_id = t.{side}_party
            WHERE t.{side}_party IS NOT NULL AND p.party_id IS NULL""",
        )
        assert missing == 0, side
    assert one(con, "SELECT count(*) FROM accounts a ANTI JOIN parties p USING (party_id)") == 0
    # every transaction has a side, and no account pays before it was opened
    assert (
        one(
            con,
            "SELECT count(*) FROM t WHERE payer_account IS NULL AND beneficiary_account IS NULL",
        )
        == 0
    )
    assert (
        one(
            con,
            """
        SELECT count(*) FROM t JOIN accounts a ON a.account_id = t.payer_account
        WHERE CAST(t.timestamp AS DATE) < a.opened""",
        )
        == 0
    )


def test_timestamps_stay_in_the_span(con: duckdb.DuckDBPyConnection) -> None:
    first = datetime(2025, 1, 1, tzinfo=UTC)
    low, high = rows(con, "SELECT min(timestamp), max(timestamp) FROM t")[0]
    assert first <= low and high < first + timedelta(days=DAYS)
    # tx ids follow time order across all parts
    assert (
        one(
            con,
            """
        SELECT count(*) FROM (SELECT timestamp, lag(timestamp) OVER (ORDER BY tx_id) AS before
                              FROM t) WHERE timestamp < before""",
        )
        == 0
    )


def test_amounts_currencies_and_labels_are_well_formed(con: duckdb.DuckDBPyConnection) -> None:
    assert one(con, "SELECT count(*) FROM t WHERE amount <= 0 OR base_amount <= 0") == 0
    assert one(con, "SELECT count(*) FROM t WHERE NOT regexp_matches(currency, '^[A-Z]{3}$')") == 0
    assert {r[0] for r in rows(con, "SELECT DISTINCT channel FROM t")} <= {
        "wire",
        "cash",
        "card",
        "remittance",
        "crypto",
        "cheque",
    }
    assert one(con, "SELECT count(*) FROM t WHERE is_suspicious <> (typology IS NOT NULL)") == 0
    mislabelled = "SELECT count(*) FROM labels WHERE is_suspicious <> (typology IS NOT NULL)"
    assert one(con, mislabelled) == 0


def test_world_json_counts_match_the_rows(
    world: tuple[Path, WorldSummary], con: duckdb.DuckDBPyConnection
) -> None:
    out, summary = world
    meta = json.loads((out / "world.json").read_text(encoding="utf-8"))
    assert meta["seed"] == SEED and meta["parameters"]["parties"] == PARTIES
    assert meta["counts"]["transactions"] == one(con, "SELECT count(*) FROM t")
    assert meta["counts"]["suspicious_transactions"] == one(
        con, "SELECT count(*) FROM t WHERE is_suspicious"
    )
    planted = dict(rows(con, "SELECT typology, count(*) FROM t WHERE is_suspicious GROUP BY 1"))
    roles: dict[str, dict[str, int]] = {}
    for typology, role, n in rows(
        con, "SELECT typology, role, count(*) FROM labels WHERE is_suspicious GROUP BY 1, 2"
    ):
        roles.setdefault(str(typology), {})[str(role)] = int(str(n))
    assert set(meta["typologies"]) == set(TYPOLOGIES)
    for typology, entry in meta["typologies"].items():
        assert entry["instances"] >= 1, typology
        assert entry["transactions"] == planted.get(typology, 0) > 0, typology
        assert entry["parties"] == roles.get(typology, {}), typology
        assert entry["source"]
    assert {f"layering-{s}" for s in SHAPES} <= set(planted)
    assert summary.planted == {t: e["transactions"] for t, e in meta["typologies"].items()}
    lookalikes = one(con, "SELECT count(*) FROM labels WHERE role LIKE 'look-alike of %'")
    assert lookalikes == meta["counts"]["lookalike_parties"] > 0


def test_same_seed_same_bytes_other_seed_other_world(tmp_path: Path) -> None:
    a, b, c = tmp_path / "a", tmp_path / "b", tmp_path / "c"
    for out, seed in ((a, 3), (b, 3), (c, 4)):
        simulate(out, parties=1_000, days=30, seed=seed)
    assert _all_files(a) == _all_files(b)
    other = _all_files(c)
    assert other.keys() == _all_files(a).keys()
    for name in ("parties.parquet", "transactions/part-00000.parquet", "world.json"):
        assert other[name] != _all_files(a)[name], name


def test_parts_hold_at_most_part_rows(tmp_path: Path) -> None:
    out = tmp_path / "w"
    summary = simulate(out, parties=1_000, days=60, seed=1, part_rows=2_000)
    parts = sorted((out / "transactions").glob("part-*.parquet"))
    assert len(parts) == summary.parts > 2
    sizes = [pq.read_metadata(p).num_rows for p in parts]
    assert max(sizes) <= 2_000 and sum(sizes) == summary.transactions
    assert [p.name for p in parts] == [f"part-{i:05d}.parquet" for i in range(len(parts))]


def test_progress_reports_every_row(tmp_path: Path) -> None:
    seen: list[int] = []
    summary = simulate(tmp_path / "w", parties=1_000, days=30, seed=2, progress=seen.append)
    assert sum(seen) == summary.transactions > 0


def test_a_failed_run_leaves_nothing_behind(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def failing(where: Path, table: pa.Table, **options: Any) -> None:
        if Path(where).name == "part-00002.parquet":  # after two parts are on disk
            raise RuntimeError("disk on fire")
        write_parquet(where, table, **options)

    monkeypatch.setattr(writer_module, "write_parquet", failing)
    parent = tmp_path / "deep" / "er"
    with pytest.raises(RuntimeError, match="disk on fire"):
        simulate(parent / "w", parties=1_000, days=60, seed=1, part_rows=2_000)
    assert not (tmp_path / "deep").exists()  # not even the parent folders it made
    assert list(tmp_path.iterdir()) == []


def test_a_failed_rerun_keeps_the_previous_world(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "w"
    simulate(out, parties=1_000, days=30, seed=1)
    before = _all_files(out)

    def failing(self: writer_module.WorldWriter, *args: object, **kwargs: object) -> int:
        raise RuntimeError("interrupted")

    monkeypatch.setattr(writer_module.WorldWriter, "transactions", failing)
    with pytest.raises(RuntimeError):
        simulate(out, parties=1_000, days=30, seed=2)
    assert _all_files(out) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["w"]


def test_unwritable_output_is_a_config_error(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a folder", encoding="utf-8")
    with pytest.raises(ConfigError):
        simulate(blocker / "w", parties=1_000, days=30, seed=1)
    with pytest.raises(ConfigError, match="not a folder"):
        simulate(blocker, parties=1_000, days=30, seed=1)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["file"]


def test_non_empty_folder_is_refused_unless_overwriting(tmp_path: Path) -> None:
    out = tmp_path / "w"
    out.mkdir()
    (out / "precious.txt").write_text("keep me", encoding="utf-8")
    with pytest.raises(ConfigError, match="not empty"):
        simulate(out, parties=1_000, days=30, seed=1)
    assert (out / "precious.txt").exists()
    simulate(out, parties=1_000, days=30, seed=1, overwrite=True)
    assert not (out / "precious.txt").exists() and is_simulation(out)
    # an earlier simulation may be replaced without asking
    simulate(out, parties=1_000, days=30, seed=2)
    assert json.loads((out / "world.json").read_text(encoding="utf-8"))["seed"] == 2


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"parties": 10, "days": 30, "seed": 1}, "parties"),
        ({"parties": 1_000, "days": 5, "seed": 1}, "days"),
        ({"parties": 1_000, "days": 30, "seed": -1}, "seed"),
    ],
)
def test_bad_parameters_are_refused(tmp_path: Path, kwargs: dict[str, int], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        simulate(tmp_path / "w", **kwargs)
    assert not (tmp_path / "w").exists()


def test_only_a_readable_world_json_marks_an_earlier_simulation(tmp_path: Path) -> None:
    out = tmp_path / "w"
    simulate(out, parties=1_000, days=30, seed=1)
    assert is_simulation(out)
    for damaged in (b"", b"{not json", b'{"generator": "someone else"}', b"\xff\xfe\x00"):
        (out / "world.json").write_bytes(damaged)
        assert not is_simulation(out)
        with pytest.raises(ConfigError, match="holds no earlier simulation"):
            simulate(out, parties=1_000, days=30, seed=1)
    (out / "world.json").unlink()
    (out / "world.json").mkdir()
    assert not is_simulation(out)
    assert not is_simulation(tmp_path / "absent")
