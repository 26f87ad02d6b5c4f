"""Tracing and exposure with confirmed and possible matches: a trace shows each hit's score,
marks only confirmed hits as listed (the others as possible matches), and exports the
``sanction.linked`` topic for confirmed ones only; exposure starts from confirmed hits."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
from click.testing import CliRunner

from counterflow.cases.alerts import alert_id, list_alerts, replace_alerts
from counterflow.cli import main
from counterflow.cli.ingest_cmd import parquet_files
from counterflow.engines import open_dataset
from counterflow.graph import trace, write_ftm, write_graphml
from counterflow.graph.exposure import LEGACY_CONFIRMATION, listed_hits, seed_parties
from counterflow.io import transaction
from counterflow.monitoring import run_scenarios
from counterflow.monitoring.runner import ALERTS
from counterflow.monitoring.scenarios.exposure import EXPOSURE
from counterflow.transactions.schema import PARTIES, TRANSACTIONS
from counterflow.transactions.store import load_parquet
from counterflow.workspace import Workspace

DAY0 = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)
#: payer, beneficiary, day, USD. A pays L (a confirmed hit) and N (a namesake: a possible
#: match); B pays A before A pays on.
PAYMENTS = [
    ("A", "L", 10, 5_000.0),
    ("A", "N", 11, 4_000.0),
    ("B", "A", 5, 9_000.0),
    ("C", "N", 12, 3_000.0),
]
NAMES = {
    "L": ("Katibat al-Rayah", "company", "SY"),
    "N": ("Ahmed al-Rashid", "person", "JO"),
    "A": ("Ali Hassan", "person", "IQ"),
}
#: the listed-counterparty alerts: party -> score, confirmation
HITS = {"L": (0.97, "confirmed: score 0.97"), "N": (0.87, "unconfirmed")}


def _load(home: Path) -> Workspace:
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
    ids = sorted({p for src, dst, _, _ in PAYMENTS for p in (src, dst)})
    parties: dict[str, list[Any]] = {name: [None] * len(ids) for name in PARTIES.names}
    parties["party_id"] = ids
    parties["name"] = [NAMES.get(i, (None,))[0] for i in ids]
    parties["kind"] = [NAMES.get(i, (None, None))[1] for i in ids]
    parties["country"] = [NAMES.get(i, (None, None, None))[2] for i in ids]
    pq.write_table(pa.table(parties, schema=PARTIES), folder / "parties.parquet")
    workspace = Workspace(home)
    load_parquet(workspace, "d", parquet_files(folder), fmt="test", source="test")
    return workspace


def _alerts(workspace: Workspace, hits: Mapping[str, tuple[float, str | None]]) -> None:
    """listed-counterparty alerts as the scenario stores them (a None confirmation: an alert
    from before confirmation levels, with no such fact)."""
    scenario = "listed-counterparty"
    subjects = sorted(hits)
    n = len(subjects)

    def explanation(confirmation: str | None) -> str:
        facts = {} if confirmation is None else {"confirmed": confirmation}
        return json.dumps({"facts": facts})

    table = pa.table(
        {
            "alert_id": [alert_id("d", scenario, s) for s in subjects],
            "scenario": [scenario] * n,
            "typology": [scenario] * n,
            "severity": ["high"] * n,
            "subject_kind": ["party"] * n,
            "subject_id": subjects,
            "score": [hits[s][0] for s in subjects],
            "tx_ids": [[] for _ in subjects],
            "explanation": [explanation(hits[s][1]) for s in subjects],
            "first_ts": [None] * n,
            "last_ts": [None] * n,
        },
        schema=ALERTS,
    )
    with workspace.connect() as conn, transaction(conn, "storing test alerts"):
        replace_alerts(conn, "d", scenario, table)


def _ready(tmp_path: Path) -> Workspace:
    workspace = _load(tmp_path / "home")
    _alerts(workspace, HITS)
    return workspace


def test_trace_marks_only_confirmed_hits_as_listed(tmp_path: Path) -> None:
    workspace = _ready(tmp_path)
    result = trace(workspace, "d", "B", hops=2)
    assert result.listed == {"L"} and result.possible == {"N": 0.87}
    # paths to the possible match are traced too: an analyst wants to see them
    assert {p.listed_party for p in result.paths} == {"L", "N"}
    listed, namesake = result.parties["L"], result.parties["N"]
    assert listed.listed and listed.mark == "listed 0.97"
    assert not namesake.listed and namesake.possible_match
    assert namesake.mark == "possible match 0.87"


def test_ftm_topics_and_graphml_for_confirmed_hits_only(tmp_path: Path) -> None:
    workspace = _ready(tmp_path)
    result = trace(workspace, "d", "B", hops=2)
    ftm, graphml = tmp_path / "out.ftm.json", tmp_path / "out.graphml"
    write_ftm(result, ftm)
    entities = {e["id"]: e for e in map(json.loads, ftm.read_text().splitlines())}
    assert entities["cf-d-party-L"]["properties"]["topics"] == ["sanction.linked"]
    namesake = entities["cf-d-party-N"]["properties"]
    assert "topics" not in namesake
    assert namesake["notes"] == ["possible sanctions-list match (score 0.87), unconfirmed"]
    linked = [
        e for e in entities.values() if "sanction.linked" in e["properties"].get("topics", [])
    ]
    assert [e["id"] for e in linked] == ["cf-d-party-L"]
    write_graphml(result, graphml)
    ns = "{http://graphml.graphdrawing.org/xmlns}"
    root = ET.parse(graphml).getroot()
    keys = {k.get("id"): k.get("attr.name") for k in root.iter(f"{ns}key")}
    nodes = {}
    for node in root.iter(f"{ns}node"):
        nodes[node.get("id")] = {keys[d.get("key")]: d.text for d in node}
    assert nodes["L"]["listed"] == "true" and nodes["L"]["match"] == "listed 0.97"
    assert nodes["N"]["listed"] == "false" and nodes["N"]["match"] == "possible match 0.87"


def test_trace_command_shows_scores_and_possible_matches(tmp_path: Path) -> None:
    workspace = _ready(tmp_path)
    home = ["--home", str(workspace.home)]
    result = CliRunner().invoke(main, [*home, "trace", "B", "--dataset", "d", "--hops", "2"])
    assert result.exit_code == 0, result.output
    assert "1 listed parties and 1 possible match, from listed-counterparty alerts" in result.output
    assert "Katibat al-Rayah (L) [listed 0.97]" in result.output
    assert "Ahmed al-Rashid (N) [possible match 0.87]" in result.output
    data = CliRunner().invoke(main, [*home, "--json", "trace", "B", "--dataset", "d"])
    record = json.loads(data.output)
    assert record["listed"] == ["L"] and record["possible_matches"] == {"N": 0.87}
    assert record["parties"]["N"]["confirmation"] == "unconfirmed"
    assert record["parties"]["L"]["hit_score"] == 0.97


def test_exposure_starts_from_confirmed_hits(tmp_path: Path) -> None:
    workspace = _ready(tmp_path)
    with open_dataset(workspace, "d") as (t, _):
        assert {h.party: h.confirmed for h in listed_hits(t).values()} == {"L": True, "N": False}
        seeds = t.execute(seed_parties(t)).column("party").to_pylist()
    assert seeds == ["L"]
    run_scenarios(workspace, "d", [EXPOSURE])
    with workspace.connect(read_only=True) as conn:
        found = {
            a.subject_id: a.explanation["facts"]
            for a in list_alerts(conn, "d", scenario=EXPOSURE.id)
        }
    # C dealt with the namesake only: not exposed; A paid L: exposed, and says how L is listed
    assert "C" not in found
    assert found["A"]["listed_party"] == "L"
    assert found["A"]["listed_confirmed"] == "confirmed: score 0.97"


def test_alerts_from_before_confirmation_levels_count_as_listed(tmp_path: Path) -> None:
    """An alert stored before hits had levels (no ``confirmed`` fact) was raised as a listed
    party; it stays one until the scenario runs again."""
    workspace = _load(tmp_path / "home")
    _alerts(workspace, {"L": (0.9, None), "N": (0.87, "unconfirmed")})
    with open_dataset(workspace, "d") as (t, _):
        hits = listed_hits(t)
    assert hits["L"].confirmed and hits["L"].confirmation == LEGACY_CONFIRMATION
    result = trace(workspace, "d", "A", hops=1)
    assert result.listed == {"L"} and result.possible == {"N": 0.87}
