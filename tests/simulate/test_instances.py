"""Instance ids on the simulated truth: one per planted pattern, on every party of it, stable
for a seed (issue 13)."""

from __future__ import annotations

import json
import re
from datetime import date
from pathlib import Path

import duckdb
import numpy as np
import pyarrow.parquet as pq
import pytest

from counterflow.simulate import TypologyConfig, WorldSummary, simulate
from counterflow.simulate.population import build_population
from counterflow.simulate.typologies import TYPOLOGIES
from counterflow.simulate.typologies.base import PlantingError, Stage

from .conftest import one, rows


def test_every_planted_party_carries_its_instance_and_no_one_else(
    con: duckdb.DuckDBPyConnection,
) -> None:
    assert one(con, "SELECT count(*) FROM labels WHERE is_suspicious AND instance IS NULL") == 0
    # look-alikes and ordinary parties belong to no instance
    assert (
        one(con, "SELECT count(*) FROM labels WHERE NOT is_suspicious AND instance IS NOT NULL")
        == 0
    )
    for typology, instance in rows(
        con, "SELECT typology, instance FROM labels WHERE is_suspicious"
    ):
        assert re.fullmatch(rf"{re.escape(str(typology))}/[1-9]\d*", str(instance)), instance


def test_one_instance_per_planted_pattern_numbered_from_one(
    world: tuple[Path, WorldSummary], con: duckdb.DuckDBPyConnection
) -> None:
    out, summary = world
    meta = json.loads((out / "world.json").read_text(encoding="utf-8"))
    found: dict[str, set[str]] = {}
    for typology, instance in rows(
        con, "SELECT DISTINCT typology, instance FROM labels WHERE is_suspicious"
    ):
        found.setdefault(str(typology), set()).add(str(instance))
    assert set(found) == set(TYPOLOGIES)
    for typology, ids in found.items():
        count = meta["typologies"][typology]["instances"]
        assert ids == {f"{typology}/{n}" for n in range(1, count + 1)}, typology
        assert summary.instances[typology] == count


def test_a_planted_payment_stays_inside_one_instance(con: duckdb.DuckDBPyConnection) -> None:
    """Payments of a pattern join its own parties, never two patterns' (a party is cast into
    one role of one instance, so the instance is the pattern)."""
    crossing = one(
        con,
        """
        SELECT count(*) FROM t
        JOIN labels p ON p.party_id = t.payer_party AND p.is_suspicious
        JOIN labels b ON b.party_id = t.beneficiary_party AND b.is_suspicious
        WHERE t.is_suspicious AND p.instance <> b.instance
        """,
    )
    assert crossing == 0
    # and every planted payment touches a party of its instance's typology
    stray = one(
        con,
        """
        SELECT count(*) FROM t WHERE is_suspicious AND NOT EXISTS (
            SELECT 1 FROM labels l WHERE l.is_suspicious AND l.typology = t.typology
            AND l.party_id IN (t.payer_party, t.beneficiary_party))
        """,
    )
    assert stray == 0


def _instances(out: Path) -> dict[str, str]:
    table = pq.read_table(out / "party_labels.parquet", columns=["party_id", "instance"])
    return {
        p: i
        for p, i in zip(table["party_id"].to_pylist(), table["instance"].to_pylist(), strict=True)
        if i is not None
    }


def test_the_same_seed_gives_the_same_instances(tmp_path: Path) -> None:
    dense = TypologyConfig().scaled(20)  # several instances of every typology
    first = _instances(
        simulate(tmp_path / "a", parties=2_000, days=40, seed=5, typology_params=dense).out
    )
    again = _instances(
        simulate(tmp_path / "b", parties=2_000, days=40, seed=5, typology_params=dense).out
    )
    other = _instances(
        simulate(tmp_path / "c", parties=2_000, days=40, seed=6, typology_params=dense).out
    )
    assert first == again
    assert first != other
    per_typology = {i.rsplit("/", 1)[0] for i in first.values()}
    assert per_typology == set(TYPOLOGIES)
    assert max(int(i.rsplit("/", 1)[1]) for i in first.values()) > 1


def test_a_party_cast_outside_an_instance_is_a_bug() -> None:
    pop = build_population(np.random.default_rng(1), 1_000, date(2025, 1, 1), 30)
    stage = Stage(pop, np.random.default_rng(2))
    with pytest.raises(PlantingError, match="outside an instance of oil"):
        stage.cast("person", "oil", "middleman")
    with stage.instance("donations") as name, pytest.raises(PlantingError):
        assert name == "donations/1"
        stage.cast("person", "oil", "middleman")  # another typology's role
    with stage.instance("oil") as name:
        party = stage.cast("person", "oil", "middleman")
    assert name == "oil/1" and stage.instance_of[party] == "oil/1"
    looking = stage.cast("person", "oil", "buyer", lookalike=True)  # look-alikes need none
    assert looking not in stage.instance_of
