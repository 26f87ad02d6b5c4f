"""Exposure to listed parties and money tracing: a hand-made graph with known paths, the
exports, the command, and a simulated world's listed-counterparty customers."""

from __future__ import annotations

import importlib
import json
import xml.etree.ElementTree as ET
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import rustworkx as rx
from click.testing import CliRunner

from counterflow.cases.alerts import Alert, alert_id, list_alerts, replace_alerts
from counterflow.cli import main
from counterflow.cli.ingest_cmd import parquet_files
from counterflow.engines import open_dataset
from counterflow.errors import ConfigError, DataError, NotFoundError
from counterflow.graph import exposure, seed_parties, trace, write_ftm, write_graphml
from counterflow.io import transaction
from counterflow.monitoring import run_scenarios
from counterflow.monitoring.runner import ALERTS
from counterflow.monitoring.scenarios.exposure import EXPOSURE
from counterflow.simulate import TypologyConfig, simulate
from counterflow.transactions.schema import PARTIES, TRANSACTIONS
from counterflow.transactions.store import load_parquet
from counterflow.workspace import Workspace

DAY0 = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)
#: the module (``counterflow.graph.trace`` names the function the package exports)
trace_module = importlib.import_module("counterflow.graph.trace")

#: payer, beneficiary, day, USD. L is listed. B's money reaches L through A (B paid A before
#: A paid L); C paid A only after, so its money cannot have gone on to L. L's money reaches E
#: through D. X and Y deal only with each other.
PAYMENTS = [
    ("A", "L", 10, 5_000.0),
    ("B", "A", 5, 8_000.0),
    ("C", "A", 20, 9_000.0),
    ("L", "D", 12, 3_000.0),
    ("D", "E", 15, 2_000.0),
    ("X", "Y", 3, 50_000.0),
]
NAMES = {"L": ("Katibat al-Rayah & Co <Ltd>", "company", "TR"), "A": ("Ali Hassan", "person", "IQ")}


def load(home: Path, payments: Sequence[tuple[str, str, int, float]] = PAYMENTS) -> Workspace:
    folder = home.parent / "parquet"
    folder.mkdir(exist_ok=True)
    rows = [
        {
            "tx_id": f"T{i}",
            "timestamp": DAY0 + timedelta(days=day),
            "amount": usd * 0.9,
            "currency": "EUR",
            "base_amount": usd,
            "payer_party": src,
            "beneficiary_party": dst,
            "channel": "wire",
            "remittance_text": f"invoice {i}",
        }
        for i, (src, dst, day, usd) in enumerate(payments)
    ]
    columns = {name: [r.get(name) for r in rows] for name in TRANSACTIONS.names}
    pq.write_table(pa.table(columns, schema=TRANSACTIONS), folder / "transactions.parquet")
    ids = sorted({p for src, dst, _, _ in payments for p in (src, dst)})
    parties: dict[str, list[Any]] = {name: [None] * len(ids) for name in PARTIES.names}
    parties["party_id"] = ids
    parties["name"] = [NAMES.get(i, (None,))[0] for i in ids]
    parties["kind"] = [NAMES.get(i, (None, None))[1] for i in ids]
    parties["country"] = [NAMES.get(i, (None, None, None))[2] for i in ids]
    pq.write_table(pa.table(parties, schema=PARTIES), folder / "parties.parquet")
    workspace = Workspace(home)
    load_parquet(workspace, "d", parquet_files(folder), fmt="test", source="test")
    return workspace


def add_alerts(
    workspace: Workspace, scenario: str, subjects: Sequence[str], dataset: str = "d"
) -> None:
    """Alerts as a scenario would have raised them (the listed-counterparty scenario screens
    names against lists, which these tests do without)."""
    n = len(subjects)
    table = pa.table(
        {
            "alert_id": [alert_id(dataset, scenario, s) for s in subjects],
            "scenario": [scenario] * n,
            "typology": [scenario] * n,
            "severity": ["high"] * n,
            "subject_kind": ["party"] * n,
            "subject_id": list(subjects),
            "score": [0.9] * n,
            "tx_ids": [[] for _ in subjects],
            "explanation": ["{}"] * n,
            "first_ts": [None] * n,
            "last_ts": [None] * n,
        },
        schema=ALERTS,
    )
    with workspace.connect() as conn, transaction(conn, "storing test alerts"):
        replace_alerts(conn, dataset, scenario, table)


def exposure_alerts(workspace: Workspace, params: dict[str, Any] | None = None) -> dict[str, Alert]:
    run_scenarios(workspace, "d", [EXPOSURE], {EXPOSURE.id: params or {}})
    with workspace.connect(read_only=True) as conn:
        return {a.subject_id: a for a in list_alerts(conn, "d", scenario=EXPOSURE.id)}


# ---------------------------------------------------------------------------- exposure


def test_exposure_hops_paths_and_money(home: Path) -> None:
    found = exposure_alerts(load(home), {"seed_parties": ["L"]})
    assert set(found) == {"A", "B", "D", "E"}
    facts = {k: a.explanation["facts"] for k, a in found.items()}
    assert facts["A"]["hops"] == 1 and facts["A"]["direction"] == "towards listed"
    assert facts["B"] == {
        **facts["B"],
        "hops": 2,
        "via": "A",
        "listed_party": "L",
        "exposure_usd": 5_000.0,  # the bottleneck: B paid 8,000, A passed on 5,000
    }
    assert sorted(found["B"].tx_ids) == ["T0", "T1"]
    assert facts["E"]["direction"] == "from listed" and facts["E"]["via"] == "D"
    # one hop scores more than two; decay halves
    assert found["A"].score > found["B"].score
    assert found["E"].score == pytest.approx(found["D"].score / 2, rel=0.2)


def test_exposure_follows_time_unless_told_not_to(home: Path) -> None:
    workspace = load(home)
    assert "C" not in exposure_alerts(workspace, {"seed_parties": ["L"]})
    assert "C" in exposure_alerts(workspace, {"seed_parties": ["L"], "follow_time": False})


def test_exposure_options(home: Path) -> None:
    workspace = load(home)
    assert set(exposure_alerts(workspace, {"seed_parties": ["L"], "hops": 1})) == {"A", "D"}
    assert set(exposure_alerts(workspace, {"seed_parties": ["L"], "direction": "to"})) == {"A", "B"}
    only_big = exposure_alerts(workspace, {"seed_parties": ["L"], "min_exposure_usd": 2_500.0})
    assert set(only_big) == {"A", "B", "D"}  # D to E carried 2,000
    # A deals with three parties: a limit of two stops paths through it, not A itself
    crowded = exposure_alerts(workspace, {"seed_parties": ["L"], "max_via_counterparties": 2})
    assert "A" in crowded and "B" not in crowded and "E" in crowded


def test_exposure_seeds_from_listed_alerts(home: Path) -> None:
    workspace = load(home)
    assert exposure_alerts(workspace) == {}  # no alerts yet: no seeds, no exposure
    add_alerts(workspace, "listed-counterparty", ["L"])
    assert set(exposure_alerts(workspace)) == {"A", "B", "D", "E"}
    with open_dataset(workspace, "d") as (tables, _):
        seeds = tables.execute(seed_parties(tables)).column("party").to_pylist()
        assert seeds == ["L"]
        direct = tables.execute(exposure(tables, seed_parties(tables, ["X"]), hops=3))
        assert direct.column("party").to_pylist() == ["Y"]


# ---------------------------------------------------------------------------- trace


def test_trace_paths_to_and_from_listed(home: Path) -> None:
    workspace = load(home)
    add_alerts(workspace, "listed-counterparty", ["L"])
    result = trace(workspace, "d", "B", hops=3)
    assert result.listed == {"L"} and result.listed_from == "listed-counterparty alerts"
    assert [p.parties for p in result.paths] == [["B", "A", "L"]]
    path = result.paths[0]
    assert path.direction == "to listed" and path.listed_party == "L"
    assert path.usd == 5_000.0
    assert [h.first.date().isoformat() for h in path.hops] == ["2025-03-06", "2025-03-11"]
    back = trace(workspace, "d", "E", hops=2)
    assert [(p.direction, p.parties) for p in back.paths] == [("from listed", ["L", "D", "E"])]
    assert trace(workspace, "d", "E", hops=2, to_listed=True).paths == []
    assert trace(workspace, "d", "E", hops=1).paths == []
    # C paid A after A paid L: only when the order does not matter
    assert trace(workspace, "d", "C").paths == []
    assert [p.parties for p in trace(workspace, "d", "C", ordered=False).paths] == [["C", "A", "L"]]


def test_trace_listed_from_any_alert_when_none_listed(home: Path) -> None:
    workspace = load(home)
    with pytest.raises(NotFoundError, match="no alerts"):
        trace(workspace, "d", "B")
    add_alerts(workspace, "laundering-hub", ["A"])
    result = trace(workspace, "d", "B", hops=1)
    assert result.listed_from == "alerts of any scenario"
    assert [p.parties for p in result.paths] == [["B", "A"]]
    with pytest.raises(NotFoundError, match="no party"):
        trace(workspace, "d", "nobody")


def test_ftm_and_graphml_exports(home: Path, tmp_path: Path) -> None:
    workspace = load(home)
    add_alerts(workspace, "listed-counterparty", ["L"])
    result = trace(workspace, "d", "B", hops=3)
    ftm = tmp_path / "paths.ftm.json"
    assert write_ftm(result, ftm) == 5  # B, A, L and two payments
    entities = [json.loads(line) for line in ftm.read_text(encoding="utf-8").splitlines()]
    assert all(set(e) >= {"id", "schema", "properties"} for e in entities)
    by_id = {e["id"]: e for e in entities}
    payments = [e for e in entities if e["schema"] == "Payment"]
    assert len(payments) == 2
    for payment in payments:
        props = payment["properties"]
        assert props["payer"][0] in by_id and props["beneficiary"][0] in by_id
        assert set(props) >= {"amount", "currency", "date", "purpose", "amountUsd"}
        assert props["currency"] == ["EUR"]
    listed = by_id["cf-d-party-L"]
    assert listed["schema"] == "Company" and listed["properties"]["country"] == ["tr"]
    assert by_id["cf-d-party-A"]["schema"] == "Person"
    assert by_id["cf-d-party-B"]["schema"] == "LegalEntity"

    graphml = tmp_path / "paths.graphml"
    assert write_graphml(result, graphml) == 2
    root = ET.parse(graphml).getroot()
    ns = {"g": "http://graphml.graphdrawing.org/xmlns"}
    key_ids = [k.get("id") for k in root.findall("g:key", ns)]
    assert len(key_ids) == len(set(key_ids))  # node and edge keys apart, as GraphML wants
    graph = rx.read_graphml(str(graphml))[0]
    names = {n["id"]: n for n in graph.nodes()}
    assert names["L"]["name"] == "Katibat al-Rayah & Co <Ltd>" and names["L"]["listed"] is True
    assert sorted(e["amount_usd"] for e in graph.edges()) == [5_000.0, 8_000.0]


def test_graphml_written_by_hand_when_rustworkx_cannot(
    home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    workspace = load(home)
    add_alerts(workspace, "listed-counterparty", ["L"])
    result = trace(workspace, "d", "B", hops=3)
    monkeypatch.delattr(rx, "GraphMLKey")
    graphml = tmp_path / "hand.graphml"
    assert write_graphml(result, graphml) == 2
    monkeypatch.undo()
    graph = rx.read_graphml(str(graphml))[0]
    assert {n["name"] for n in graph.nodes()} >= {"Katibat al-Rayah & Co <Ltd>", "Ali Hassan"}


# ---------------------------------------------------------------------------- the command


def test_trace_command(home: Path, tmp_path: Path) -> None:
    workspace = load(home)
    add_alerts(workspace, "listed-counterparty", ["L"])
    ftm, graphml = tmp_path / "out.ftm.json", tmp_path / "out.graphml"
    runner = CliRunner()
    result = runner.invoke(
        main,
        [
            "--home",
            str(home),
            "--wide",  # the table unfolded, so its cells can be read
            "trace",
            "B",
            "--dataset",
            "d",
            "--ftm",
            str(ftm),
            "--graphml",
            str(graphml),
        ],
    )
    assert result.exit_code == 0, result.output
    assert "#1 to listed, USD 5,000" in result.output
    assert "Katibat al-Rayah & Co <Ltd> (L) [listed 0.90]" in result.output
    assert "8,000.00" in result.output and "2025-03-11" in result.output
    assert ftm.exists() and graphml.exists()
    none = runner.invoke(main, ["--home", str(home), "trace", "E", "--dataset", "d", "--to-listed"])
    assert none.exit_code == 0 and "No path found." in none.output


def test_trace_command_help_and_errors(home: Path) -> None:
    runner = CliRunner()
    helped = runner.invoke(main, ["trace", "--help"])
    assert helped.exit_code == 0 and "Example:" in helped.output
    load(home)
    for args, message in (
        (["trace", "B", "--dataset", "d"], "no alerts"),
        (["trace", "B", "--dataset", "nope"], "no dataset"),
        (["trace", "nobody", "--dataset", "d"], "no party"),
    ):
        result = runner.invoke(main, ["--home", str(home), *args])
        assert result.exit_code == 1, result.output
        assert message in result.output and "Traceback" not in result.output


# ---------------------------------------------------------------------------- a simulated world


def test_exposure_finds_the_customers_of_listed_counterparties(tmp_path: Path) -> None:
    """Seeded with the planted listed-name counterparties, the first hop holds every customer
    the simulator made deal with them."""
    out = tmp_path / "world"
    simulate(out, parties=5_000, days=90, seed=3, typology_params=TypologyConfig().scaled(20))
    workspace = Workspace(tmp_path / "home")
    load_parquet(workspace, "d", parquet_files(out), fmt="simulated", source="t")
    with workspace.connect(read_only=True) as conn:
        roles = conn.execute(
            "SELECT party_id, role FROM party_labels WHERE dataset = 'd' "
            "AND typology = 'listed-counterparty'"
        ).fetchall()
    seeds = [p for p, role in roles if role == "listed-name counterparty"]
    customers = {p for p, role in roles if role == "customer"}
    add_alerts(workspace, "listed-counterparty", seeds)
    found = exposure_alerts(workspace, {"hops": 2})
    direct = {p for p, a in found.items() if a.explanation["facts"]["hops"] == 1}
    assert customers <= direct
    assert not set(seeds) & set(found)
    # a trace from a customer reaches its listed counterparty in one hop
    customer = sorted(customers)[0]
    result = trace(workspace, "d", customer, hops=1)
    assert result.paths and all(len(p.hops) == 1 for p in result.paths)
    assert {p.listed_party for p in result.paths} <= set(seeds)


# ---------------------------------------------------------------------------- the boundary


def test_trace_and_exposure_options_are_checked_whole(home: Path) -> None:
    workspace = load(home)
    add_alerts(workspace, "listed-counterparty", ["L"])
    with pytest.raises(ConfigError) as caught:
        trace(workspace, "d", "B", hops=0, min_usd=-1.0, limit=0)
    message = str(caught.value)
    assert "hops: must be a whole number from 1 to 8, not 0" in message
    assert "min_usd: must be a number of at least 0, not -1.0" in message
    assert "limit: must be a whole number of at least 1 or None, not 0" in message
    with open_dataset(workspace, "d") as (tables, _):
        seeds = seed_parties(tables, ["L"])
        with pytest.raises(ConfigError) as caught:
            exposure(tables, seeds, hops=0, direction="up", min_usd=-5, max_via_counterparties=-1)
    message = str(caught.value)
    for option in ("hops", "direction", "min_usd", "max_via_counterparties"):
        assert f"\n- {option}: must be" in message


def test_exports_go_to_standard_output_for_a_dash(
    home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    workspace = load(home)
    add_alerts(workspace, "listed-counterparty", ["L"])
    result = trace(workspace, "d", "B", hops=3)
    capsys.readouterr()
    assert write_ftm(result, "-") == 5
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 5 and all(json.loads(line)["id"].startswith("cf-d-") for line in lines)
    assert write_graphml(result, "-") == 2
    root = ET.fromstring(capsys.readouterr().out)
    ns = {"g": "http://graphml.graphdrawing.org/xmlns"}
    assert len(root.findall("g:graph/g:edge", ns)) == 2
    assert len(root.findall("g:graph/g:node", ns)) == 3


def test_exports_are_written_whole_or_not_at_all(
    home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    workspace = load(home)
    add_alerts(workspace, "listed-counterparty", ["L"])
    result = trace(workspace, "d", "B", hops=3)
    out = tmp_path / "out"
    out.mkdir()
    ftm, graphml = out / "paths.ftm.json", out / "paths.graphml"
    ftm.write_text("the old file\n", encoding="utf-8")
    graphml.write_text("the old graph\n", encoding="utf-8")
    # an entity that cannot be written, after some that can: the old file stays as it was
    entities = trace_module.ftm_entities(result)
    monkeypatch.setattr(
        trace_module, "ftm_entities", lambda _: [*entities, {"id": "x", "bad": {1, 2}}]
    )
    with pytest.raises(TypeError):
        write_ftm(result, ftm)

    def broken_writer(*args: Any, **kwargs: Any) -> None:
        raise RuntimeError("the writer gave up")

    monkeypatch.setattr(rx, "write_graphml", broken_writer)
    with pytest.raises(DataError, match="cannot write GraphML: the writer gave up"):
        write_graphml(result, graphml)
    assert ftm.read_text(encoding="utf-8") == "the old file\n"
    assert graphml.read_text(encoding="utf-8") == "the old graph\n"
    assert sorted(p.name for p in out.iterdir()) == ["paths.ftm.json", "paths.graphml"]
    with pytest.raises(DataError, match="the folder to write into does not exist"):
        write_ftm(result, tmp_path / "missing" / "paths.ftm.json")
