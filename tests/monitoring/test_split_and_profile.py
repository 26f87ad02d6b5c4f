"""Split payments, the dataset profile, and parameters said relative to it."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from counterflow.engines import open_dataset
from counterflow.errors import ConfigError
from counterflow.monitoring import PACK
from counterflow.monitoring.params import describe, load_params
from counterflow.monitoring.profile import profile_dataset, stored_profile
from counterflow.monitoring.runner import check_run, prepare
from counterflow.monitoring.scenarios.layering import CYCLE, FAN_OUT
from counterflow.monitoring.scenarios.split import SPLIT

from .test_layering import alerts_of, load_rows

#: two parts make a split (the auto value where repeats are rare, as in AMLSim's data)
TWO = {"min_payments": 2}


def split(
    src: str, dst: str, parts: list[float], day: int = 3, tag: str = "S"
) -> list[dict[str, Any]]:
    return [
        {"tx_id": f"{tag}{i}", "day": day, "hour": i, "src": src, "dst": dst, "usd": usd}
        for i, usd in enumerate(parts)
    ]


def background(n: int = 30) -> list[dict[str, Any]]:
    """Ordinary one-off payments, one a day, amounts all different."""
    return [
        {
            "tx_id": f"B{i}",
            "day": i,
            "src": f"payer{i}",
            "dst": f"shop{i % 7}",
            "usd": 100.0 + 37 * i,
        }
        for i in range(n)
    ]


def test_a_sum_split_in_parts_alerts_both_parties(home: Path) -> None:
    rows = background() + split("Mule", "Collector", [4.10, 3.90, 4.25, 4.00])
    found = alerts_of(load_rows(home, rows), SPLIT, TWO)
    assert sorted(a.subject_id for a in found) == ["Collector", "Mule"]
    by = {a.subject_id: a for a in found}
    assert sorted(by["Mule"].tx_ids) == ["S0", "S1", "S2", "S3"]
    facts = by["Collector"].explanation["facts"]
    assert facts["role"] == "received in parts"
    assert facts["most_parts"] == 4 and facts["step_days"] == 1.0
    assert by["Mule"].explanation["facts"]["role"] == "paid in parts"


def test_a_collector_of_many_splits_scores_higher(home: Path) -> None:
    rows = background()
    for i in range(3):
        rows += split(f"mule{i}", "Hub", [50.0, 51.0], day=5 + i, tag=f"M{i}-")
    rows += split("loner", "other", [50.0, 51.0], day=9, tag="L")
    found = {a.subject_id: a for a in alerts_of(load_rows(home, rows), SPLIT, TWO)}
    assert found["Hub"].score > found["other"].score
    assert found["Hub"].explanation["facts"]["splits"] == 3


@pytest.mark.parametrize(
    ("rows", "why"),
    [
        (split("A", "B", [100.0, 400.0]), "parts of very different size"),
        (
            split("A", "B", [100.0, 101.0])
            + split("A", "B", [90.0], day=10, tag="X")
            + split("A", "B", [95.0], day=20, tag="Y"),
            "a pair dealing on three days is an established relation",
        ),
        (
            [
                {"tx_id": "D0", "day": 1, "src": "A", "dst": "B", "usd": 100.0},
                {"tx_id": "D1", "day": 2, "src": "A", "dst": "B", "usd": 100.0},
            ],
            "a day apart",
        ),
        (
            [{**r, "channel": "card"} for r in split("A", "B", [20.0, 20.0])],
            "card payments at a shop",
        ),
    ],
)
def test_what_is_not_a_split(home: Path, rows: list[dict[str, Any]], why: str) -> None:
    assert alerts_of(load_rows(home, background() + rows), SPLIT, TWO) == [], why


def test_the_profile_measures_the_dataset(home: Path) -> None:
    rows = background() + split("Mule", "Collector", [4.10, 3.90, 4.25, 4.00])
    workspace = load_rows(home, rows)
    with open_dataset(workspace, "t") as (tables, _):
        profile = profile_dataset(tables)
    assert profile.transactions == 34
    assert profile.step_seconds == 3600  # rows are on the hour
    assert profile.span_days == 29.0  # day 0 to day 29
    assert profile.amounts["wire"]["0.5"] == 562.5  # 4 small parts below 30 payments
    # one (pair, day) cell of the 31 holds four payments
    assert profile.repeat_shares["2"] == pytest.approx(1 / 31)
    assert profile.degrees["in"]["max"] == 5.0  # the busiest shop


def test_relative_defaults_resolve_against_the_profile_and_are_explained(home: Path) -> None:
    rows = background() + split("Mule", "Collector", [4.10, 3.90, 4.25, 4.00])
    workspace = load_rows(home, rows)
    with open_dataset(workspace, "t") as (tables, _):
        values, resolved = prepare(CYCLE, CYCLE.defaults(), tables)
        fan, fan_notes = prepare(FAN_OUT, {**FAN_OUT.defaults(), "window_days": 3}, tables)
    assert CYCLE.defaults()["min_amount_usd"] == "auto"
    assert isinstance(values["min_amount_usd"], float) and values["min_amount_usd"] > 100.0
    assert "75th percentile of payments by wire" in resolved["min_amount_usd"]
    assert fan["window_days"] == 3 and "window_days" not in fan_notes  # given: kept
    found = alerts_of(workspace, SPLIT)
    # one pair-step in 31 repeats here: 2 or 3 parts are ordinary, the split needs 5
    assert found == []
    found = alerts_of(workspace, SPLIT, TWO)
    assert found  # the run stores the profile and the resolved values with the run
    with workspace.connect(read_only=True) as conn:
        stored = stored_profile(conn, "t")
        run = conn.execute(
            "SELECT params, profile FROM monitor_runs WHERE scenario = 'split-payments' "
            "ORDER BY run_at LIMIT 1"
        ).fetchone()
    assert stored is not None and stored.transactions == 34
    assert run is not None and json.loads(run[1])["transactions"] == 34
    resolved = json.loads(run[0])["resolved"]["min_payments"]
    assert resolved == (
        "pair-steps of this dataset holding 2 or more 3.226%, 3 or more 3.226%, "
        "5 or more 0.000% (rare: at most 0.5%): 5"
    )


def test_an_alert_states_the_resolved_values(home: Path) -> None:
    rows = [
        {"tx_id": f"R{i}", "day": d, "src": a, "dst": b, "usd": 50_000.0 * 0.98**i}
        for i, (a, b, d) in enumerate([("O", "B", 0), ("B", "C", 2), ("C", "O", 4)])
    ] + background()
    found = alerts_of(load_rows(home, rows), CYCLE)
    assert [a.subject_id for a in found] == ["O"]
    explanation = found[0].explanation
    floor = explanation["parameters"]["min_amount_usd"]
    assert isinstance(floor, float)
    assert explanation["resolved"]["min_amount_usd"].endswith(f"USD {floor:,.2f}")


def test_auto_or_a_number_and_nothing_else(tmp_path: Path) -> None:
    path = tmp_path / "p.toml"
    path.write_text('[layering-cycle]\nmin_amount_usd = "lots"\n', encoding="utf-8")
    with pytest.raises(ConfigError, match=r'must be "auto" .* or a number'):
        load_params(path, PACK)
    path.write_text("[layering-cycle]\nmin_amount_usd = -1\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="at least 0"):
        load_params(path, PACK)
    path.write_text("[layering-cycle]\nmin_amount_usd = 2500\n", encoding="utf-8")
    plan = dict((s.id, v) for s, v in check_run(["layering-cycle"], load_params(path, PACK)))
    assert plan["layering-cycle"]["min_amount_usd"] == 2500
    assert 'min_amount_usd = "auto"' in describe([CYCLE])
