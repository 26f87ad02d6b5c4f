"""The mesh layering scenarios, bipartite and stack: hand-made meshes with their benign
near-misses (a payroll repeating monthly, one source paying many, a chain of single hops), and
the fans they take over from the fan scenarios."""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import ibis
import pyarrow as pa
import pyarrow.parquet as pq

from counterflow.cases.alerts import Alert, list_alerts
from counterflow.cli.ingest_cmd import parquet_files
from counterflow.engines import open_dataset
from counterflow.monitoring import PACK, SCENARIOS, Scenario, run_scenarios
from counterflow.monitoring.scenarios.layering import FAN_IN, FAN_OUT, GATHER_SCATTER
from counterflow.monitoring.scenarios.mesh import BIPARTITE, STACK
from counterflow.simulate.typologies.layering import SHAPES
from counterflow.transactions.schema import PARTIES, TRANSACTIONS
from counterflow.transactions.store import load_parquet
from counterflow.workspace import Workspace

DAY0 = datetime(2025, 3, 3, 10, 0, tzinfo=UTC)
Row = dict[str, Any]


def load_rows(home: Path, rows: Sequence[Row], dataset: str = "t") -> Workspace:
    """A dataset of the given transactions (``tx_id, day, src, dst, usd`` and any column)."""
    folder = home.parent / f"{dataset}-parquet"
    folder.mkdir(parents=True, exist_ok=True)
    full = [
        {
            "tx_id": row.get("tx_id", f"T{i:04d}"),
            "timestamp": DAY0 + timedelta(days=row.get("day", 0), hours=row.get("hour", 0)),
            "amount": row["usd"],
            "currency": "USD",
            "base_amount": row["usd"],
            "payer_party": row.get("src"),
            "beneficiary_party": row.get("dst"),
            "channel": row.get("channel", "wire"),
        }
        for i, row in enumerate(rows)
    ]
    columns = {name: [r.get(name) for r in full] for name in TRANSACTIONS.names}
    pq.write_table(pa.table(columns, schema=TRANSACTIONS), folder / "transactions.parquet")
    ids = sorted({r[k] for r in full for k in ("payer_party", "beneficiary_party") if r[k]})
    parties: dict[str, list[Any]] = {name: [None] * len(ids) for name in PARTIES.names}
    parties["party_id"] = ids
    pq.write_table(pa.table(parties, schema=PARTIES), folder / "parties.parquet")
    workspace = Workspace(home)
    load_parquet(workspace, dataset, parquet_files(folder), fmt="test", source="test")
    return workspace


def alerts_of(
    workspace: Workspace, scenario: Scenario, params: dict[str, Any] | None = None
) -> list[Alert]:
    run_scenarios(workspace, "t", [scenario], {scenario.id: params or {}})
    with workspace.connect(read_only=True) as conn:
        return list_alerts(conn, "t", scenario=scenario.id)


def subjects(workspace: Workspace, scenario: Scenario, **params: Any) -> list[str]:
    return sorted(a.subject_id for a in alerts_of(workspace, scenario, params))


def layer(
    payers: Sequence[str], payees: Sequence[str], usd: float, day: int, tag: str
) -> list[Row]:
    """Every payer pays every payee ``usd`` (a little less each time), over three days."""
    rows = []
    for i, payer in enumerate(payers):
        for j, payee in enumerate(payees):
            k = i * len(payees) + j
            rows.append(
                {
                    "tx_id": f"{tag}{k:02d}",
                    "day": day + k % 3,
                    "src": payer,
                    "dst": payee,
                    "usd": usd * (1 - 0.002 * k),
                }
            )
    return rows


def names(prefix: str, n: int) -> list[str]:
    return [f"{prefix}{i}" for i in range(n)]


# ---------------------------------------------------------------------------- the pack


def test_registered_after_gather_scatter_with_the_simulators_typologies() -> None:
    ids = [s.id for s in SCENARIOS]
    assert ids.index("layering-bipartite") == ids.index("layering-gather-scatter") + 1
    assert ids.index("layering-stack") == ids.index("layering-bipartite") + 1
    simulated = {f"layering-{shape}" for shape in SHAPES}
    for scenario in (BIPARTITE, STACK):
        assert PACK[scenario.id] is scenario
        assert scenario.typology == scenario.id and scenario.typology in simulated
        assert scenario.sources and scenario.severity in ("low", "medium", "high")
        assert scenario.key_roles and all(p.doc for p in scenario.params)


def test_no_label_column_is_read(home: Path) -> None:
    """Detection must not peek at the truth: the compiled queries name no label column."""
    workspace = load_rows(home, layer(names("S", 2), names("D", 2), 10_000.0, 0, "B"))
    with open_dataset(workspace, "t") as (tables, _):
        for scenario in (BIPARTITE, STACK):
            expr = scenario.logic(tables, scenario.defaults())
            assert isinstance(expr, ibis.Table)
            sql = ibis.to_sql(expr, dialect="duckdb")
            for label in ("is_suspicious", '"typology"', "party_labels"):
                assert label not in sql, (scenario.id, label)


# ---------------------------------------------------------------------------- bipartite


def test_bipartite_names_each_source_with_the_mesh(home: Path) -> None:
    rows = layer(names("S", 3), names("D", 4), 10_000.0, 0, "B")
    workspace = load_rows(home, rows)
    found = alerts_of(workspace, BIPARTITE)
    assert sorted(a.subject_id for a in found) == ["S0", "S1", "S2"]
    for alert in found:
        assert sorted(alert.tx_ids) == sorted(r["tx_id"] for r in rows)
        facts = alert.explanation["facts"]
        assert facts["sources"] == 3 and facts["destinations"] == 4
        assert facts["density"] == 1.0 and facts["payments"] == 12
        assert 115_000 < facts["total_usd"] < 120_000 and facts["span_days"] <= 3
        assert 0 < alert.score <= 1
    # each source pays four strangers similar sums: a fan-out, but part of a mesh, so left
    # to this scenario; likewise each destination's fan-in
    assert alerts_of(workspace, FAN_OUT) == [] and alerts_of(workspace, STACK) == []


def test_bipartite_two_by_two_is_the_smallest(home: Path) -> None:
    workspace = load_rows(home, layer(names("S", 2), names("D", 2), 10_000.0, 0, "B"))
    assert subjects(workspace, BIPARTITE) == ["S0", "S1"]
    assert subjects(workspace, BIPARTITE, min_destinations=3) == []


def test_bipartite_needs_most_payments_made(home: Path) -> None:
    """Sources that share two payees each with the subject, but different ones, make a
    sparse mesh around it (8 of 12 possible payments): chance, not a bipartite."""
    rows = [
        *layer(["S0", "S1"], ["D0", "D1"], 10_000.0, 0, "A"),
        *[r | {"src": "S2"} for r in layer(["X"], ["D2", "D3"], 10_000.0, 0, "C")],
        *[r | {"src": "S0"} for r in layer(["X"], ["D2", "D3"], 10_000.0, 0, "E")],
    ]
    workspace = load_rows(home, rows)
    found = {a.subject_id: a.explanation["facts"] for a in alerts_of(workspace, BIPARTITE)}
    assert "S0" not in found  # three sources, four payees, 8 of 12 payments: 0.67
    assert found["S1"]["density"] == 1.0 and found["S2"]["density"] == 1.0
    assert "S0" in subjects(workspace, BIPARTITE, min_density=0.6)


def test_payroll_repeating_monthly_is_no_bipartite(home: Path) -> None:
    """Two branches of one employer pay the same staff similar salaries every month: the same
    shape on payday, but between repeat counterparties."""
    month = layer(["Branch0", "Branch1"], names("staff", 4), 5_000.0, 0, "P")
    rows = [
        r | {"tx_id": f"{r['tx_id']}m{m}", "day": 30 * m + r["day"]}
        for m in range(3)
        for r in month
    ]
    assert subjects(load_rows(home, rows), BIPARTITE) == []
    # the first month alone would be a bipartite
    once = home.parent / "once"
    once.mkdir()
    assert subjects(load_rows(once, month), BIPARTITE) == ["Branch0", "Branch1"]


def test_one_source_to_many_is_a_fan_not_a_mesh(home: Path) -> None:
    rows = [
        *layer(["Alone"], names("D", 6), 10_000.0, 0, "F"),
        # another party paying one of the same payees: one shared payee is chance
        {"tx_id": "O1", "day": 1, "src": "Other", "dst": "D0", "usd": 10_000.0},
    ]
    workspace = load_rows(home, rows)
    assert subjects(workspace, BIPARTITE) == [] and subjects(workspace, STACK) == []
    # a second source paying the same payees makes it one
    rows += layer(["Second"], names("D", 6), 10_000.0, 0, "G")
    more = home.parent / "more"
    more.mkdir()
    assert subjects(load_rows(more, rows), BIPARTITE) == ["Alone", "Second"]


def test_bipartite_needs_one_window_similar_sums_and_money(home: Path) -> None:
    rows = [
        # the second shared payee paid months after the first
        *layer(["L0", "L1"], ["LD0"], 10_000.0, 0, "L"),
        *layer(["L0", "L1"], ["LD1"], 10_000.0, 90, "M"),
        # amounts all over the place
        *[
            {
                "tx_id": f"U{i}{j}",
                "day": 0,
                "src": f"U{i}",
                "dst": f"UD{j}",
                "usd": 4e3 * (i + j + 1),
            }
            for i in range(2)
            for j in range(3)
        ],
        # pocket money
        *layer(["P0", "P1"], ["PD0", "PD1"], 100.0, 0, "Q"),
        # card payments at the same shops
        *[r | {"channel": "card"} for r in layer(["C0", "C1"], ["Shop0", "Shop1"], 5e3, 0, "K")],
    ]
    assert subjects(load_rows(home, rows), BIPARTITE) == []


# ---------------------------------------------------------------------------- stack


def stack_rows(width: int = 3, fee: float = 0.02, gap: int = 6) -> list[Row]:
    """Sources A* pay every intermediary M*, which pass it all on to every sink Z*."""
    return [
        *layer(names("A", width), names("M", width), 10_000.0, 0, "I"),
        *layer(names("M", width), names("Z", width), 10_000.0 * (1 - fee), gap, "O"),
    ]


def test_stack_names_each_intermediary(home: Path) -> None:
    rows = stack_rows()
    workspace = load_rows(home, rows)
    found = alerts_of(workspace, STACK)
    assert sorted(a.subject_id for a in found) == ["M0", "M1", "M2"]
    for alert in found:
        assert sorted(alert.tx_ids) == sorted(r["tx_id"] for r in rows)
        facts = alert.explanation["facts"]
        assert facts["sources"] == 3 and facts["intermediaries"] == 3 and facts["sinks"] == 3
        assert facts["density"] == 1.0
        assert 0.01 < facts["retention"] < 0.04
        assert 85_000 < facts["total_usd"] < 90_000
        assert facts["span_days"] <= 9
    # its layers are bipartites, and its intermediaries gather and scatter: one alert per
    # shape, under its own name
    for other in (BIPARTITE, FAN_OUT, FAN_IN, GATHER_SCATTER):
        assert alerts_of(workspace, other) == [], other.id


def test_stack_with_a_payer_known_before(home: Path) -> None:
    """One source had paid an intermediary months before: that pair is no one-off, so its
    payment is no mesh payment, but its money still goes through and is counted."""
    rows = [*stack_rows(), {"tx_id": "Old", "day": -60, "src": "A0", "dst": "M0", "usd": 800.0}]
    workspace = load_rows(home, rows)
    alerts = {a.subject_id: a for a in alerts_of(workspace, STACK)}
    found = {subject: a.explanation["facts"] for subject, a in alerts.items()}
    assert sorted(found) == ["M0", "M1", "M2"]
    assert "I00" in alerts["M0"].tx_ids and "Old" not in alerts["M0"].tx_ids  # A0 -> M0
    assert found["M0"]["sources"] == 2  # its mesh payers
    assert found["M1"]["sources"] == 3 and found["M1"]["density"] == round(17 / 18, 4)
    assert 0.01 < found["M0"]["retention"] < 0.04  # A0's payment counted in what came in
    assert subjects(workspace, BIPARTITE) == []


def test_stack_needs_the_money_passed_on_within_days(home: Path) -> None:
    workspace = load_rows(home, stack_rows(gap=30))
    assert subjects(workspace, STACK) == []
    # two unrelated bipartites, then: the sources of each are named
    assert subjects(workspace, BIPARTITE) == ["A0", "A1", "A2", "M0", "M1", "M2"]
    assert subjects(workspace, STACK, pass_on_days=30) == ["M0", "M1", "M2"]


def test_stack_needs_about_all_of_it_passed_on(home: Path) -> None:
    """An intermediary that keeps half of what its layer paid it is not passing it on."""
    workspace = load_rows(home, stack_rows(fee=0.5))
    assert subjects(workspace, STACK) == []
    assert subjects(workspace, STACK, max_retention=0.6) == ["M0", "M1", "M2"]


def test_a_chain_of_single_hops_is_no_stack(home: Path) -> None:
    """Money handed on party to party, one payment a hop, has no layer to mesh."""
    chain = names("C", 6)
    rows = [
        {"tx_id": f"H{i}", "day": 2 * i, "src": a, "dst": b, "usd": 50_000.0 * 0.98**i}
        for i, (a, b) in enumerate(itertools.pairwise(chain))
    ]
    workspace = load_rows(home, rows)
    assert subjects(workspace, STACK) == [] and subjects(workspace, BIPARTITE) == []


def test_deeper_stack_names_every_middle_layer(home: Path) -> None:
    rows = [
        *stack_rows(width=2),
        *layer(names("Z", 2), names("Y", 2), 9_600.0, 12, "N"),
    ]
    workspace = load_rows(home, rows)
    assert subjects(workspace, STACK) == ["M0", "M1", "Z0", "Z1"]
    assert subjects(workspace, BIPARTITE) == []
