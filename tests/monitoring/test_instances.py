"""Instance recall: patterns found, from the labels' instances or derived from transactions
(issue 13)."""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner

from counterflow.cases.alerts import alert_id, replace_alerts
from counterflow.cli import main
from counterflow.io import transaction
from counterflow.monitoring.evaluate import derived_instances, evaluate, instance_recall
from counterflow.monitoring.runner import ALERTS
from counterflow.transactions import store
from counterflow.transactions.formats.amlsim import AmlsimReader
from counterflow.transactions.schema import PARTY_LABELS, TRANSACTIONS
from counterflow.workspace import Workspace

#: (party, typology, instance): three fan-ins named by the labels; a cycle, a pair and a
#: loner whose labels name none; hub parties whose transactions are labelled
LABELS = [
    ("A1", "fan-in", "fan-in/1"),
    ("A2", "fan-in", "fan-in/1"),
    ("A3", "fan-in", "fan-in/1"),
    ("B1", "fan-in", "fan-in/2"),
    ("B2", "fan-in", "fan-in/2"),
    ("C1", "fan-in", "fan-in/3"),
    ("D1", "cycle", None),
    ("D2", "cycle", None),
    ("D3", "cycle", None),
    ("E1", "cycle", None),
    ("E2", "cycle", None),
    ("G1", "cycle", None),
    ("H1", "hub", None),
    ("H2", "hub", None),
    ("H3", "hub", None),
    ("H4", "hub", None),
]
#: (payer, beneficiary, suspicious typology or None)
PAYMENTS = [
    ("A1", "A3", "fan-in"),
    ("A2", "A3", "fan-in"),
    ("B1", "B2", "fan-in"),
    ("A3", "B1", None),  # ordinary business between two fan-ins: their instances stay two
    ("D1", "D2", None),
    ("D2", "D3", None),
    ("D3", "D1", None),
    ("E1", "E2", None),
    ("D1", "N1", None),  # to an ordinary party: links nothing
    ("G1", "G1", None),  # to itself: links nothing
    ("H1", "H2", "hub"),
    ("H3", "H4", "hub"),
    ("H2", "H3", None),  # ordinary, and the hub's transactions are labelled: no link
]


def _write(folder: Path) -> dict[str, list[Path]]:
    folder.mkdir()
    when = datetime(2025, 3, 1, tzinfo=UTC)
    rows = [
        {
            "tx_id": f"T{i}",
            "timestamp": when,
            "amount": 1_000.0,
            "currency": "USD",
            "base_amount": 1_000.0,
            "payer_party": payer,
            "beneficiary_party": payee,
            "channel": "wire",
            "is_suspicious": typology is not None,
            "typology": typology,
        }
        for i, (payer, payee, typology) in enumerate(PAYMENTS)
    ]
    pq.write_table(pa.Table.from_pylist(rows, schema=TRANSACTIONS), folder / "tx.parquet")
    labels = [
        {"party_id": p, "is_suspicious": True, "typology": t, "role": None, "instance": i}
        for p, t, i in LABELS
    ]
    labels.append(
        {"party_id": "N1", "is_suspicious": False, "typology": None, "role": None, "instance": None}
    )
    pq.write_table(pa.Table.from_pylist(labels, schema=PARTY_LABELS), folder / "labels.parquet")
    return {"transactions": [folder / "tx.parquet"], "party_labels": [folder / "labels.parquet"]}


@pytest.fixture
def workspace(tmp_path: Path) -> Workspace:
    ws = Workspace(tmp_path / "home")
    store.load_parquet(ws, "d", _write(tmp_path / "data"), fmt="test", source="test")
    return ws


def _alert(ws: Workspace, scenario: str, typology: str, subjects: Sequence[str]) -> None:
    n = len(subjects)
    table = pa.table(
        {
            "alert_id": [alert_id("d", scenario, s) for s in subjects],
            "scenario": [scenario] * n,
            "typology": [typology] * n,
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
    with ws.connect() as conn, transaction(conn, "storing test alerts"):
        replace_alerts(conn, "d", scenario, table)


def test_an_instance_is_found_by_any_of_its_parties(workspace: Workspace) -> None:
    # A2 is not the fan-in's sink, yet naming it finds the instance; X is no planted party
    _alert(workspace, "layering-fan-in", "fan-in", ["A2", "C1", "X"])
    with workspace.connect(read_only=True) as conn:
        fan_in = instance_recall(conn, "d")["fan-in"]
    assert (fan_in.instances, fan_in.derived, fan_in.found) == (3, 0, 2)
    assert fan_in.recall == pytest.approx(2 / 3)
    assert (fan_in.alerted_parties, fan_in.correct_parties) == (3, 2)
    assert fan_in.party_precision == pytest.approx(2 / 3)


def test_alerts_of_another_typology_find_nothing(workspace: Workspace) -> None:
    _alert(workspace, "laundering-hub", "hub", ["A1", "B1"])
    with workspace.connect(read_only=True) as conn:
        scores = instance_recall(conn, "d")
    assert scores["fan-in"].found == 0 and scores["fan-in"].recall == 0.0
    assert scores["hub"].alerted_parties == 2 and scores["hub"].correct_parties == 0


def test_scenarios_map_a_truth_typology_to_the_alerts_that_count(workspace: Workspace) -> None:
    """Data named otherwise than the pack (AMLSim's fan-in) is scored by naming the scenarios."""
    _alert(workspace, "layering-fan-in", "layering-fan-in", ["B2"])
    _alert(workspace, "other", "fan-in", ["A1"])
    with workspace.connect(read_only=True) as conn:
        assert instance_recall(conn, "d")["fan-in"].found == 1  # by typology: 'other' only
        mapped = instance_recall(conn, "d", {"fan-in": ["layering-fan-in"]})
    assert set(mapped) == {"fan-in"}  # only the typologies named
    assert mapped["fan-in"].found == 1 and mapped["fan-in"].correct_parties == 1


def test_without_instances_the_components_of_the_payments_are_the_instances(
    workspace: Workspace,
) -> None:
    with workspace.connect(read_only=True) as conn:
        cycle = derived_instances(conn, "d", "cycle")
    # the cycle, the pair, the loner who paid only itself; not the ordinary party N1
    assert cycle == [{"D1", "D2", "D3"}, {"E1", "E2"}, {"G1"}]
    _alert(workspace, "cycle", "cycle", ["E2"])
    with workspace.connect(read_only=True) as conn:
        score = instance_recall(conn, "d")["cycle"]
    assert (score.instances, score.derived, score.found) == (3, 3, 1)


def test_where_transactions_are_labelled_only_they_link(workspace: Workspace) -> None:
    with workspace.connect(read_only=True) as conn:
        hub = derived_instances(conn, "d", "hub")
        chosen = derived_instances(conn, "d", "hub", ["H2", "H3"])
    assert hub == [{"H1", "H2"}, {"H3", "H4"}]  # the ordinary H2 → H3 joins nothing
    # of the two alone, neither takes part in a labelled payment with the other: no
    # pattern of theirs is in the data to find
    assert chosen == []


def test_evaluate_reports_the_instances_beside_the_party_scores(workspace: Workspace) -> None:
    _alert(workspace, "layering-fan-in", "fan-in", ["A3"])
    _alert(workspace, "cycle", "cycle", ["D1", "G1"])
    with workspace.connect(read_only=True) as conn:
        scores = {s.typology: s for s in evaluate(conn, "d", key_roles={})}
    assert (scores["fan-in"].instances, scores["fan-in"].instances_found) == (3, 1)
    assert scores["fan-in"].instance_recall == pytest.approx(1 / 3)
    assert scores["fan-in"].derived_instances == 0
    assert (scores["cycle"].instances, scores["cycle"].instances_found) == (3, 2)
    assert scores["cycle"].derived_instances == 3
    assert scores["hub"].instance_recall == 0.0
    # the existing measures are unchanged by the instances
    assert scores["fan-in"].planted_parties == 6 and scores["fan-in"].party_precision == 1.0


def test_a_typology_only_alerted_on_has_no_instance_recall(workspace: Workspace) -> None:
    _alert(workspace, "listed-counterparty-exposure", "exposure", ["A1"])
    with workspace.connect(read_only=True) as conn:
        scores = {s.typology: s for s in evaluate(conn, "d", key_roles={})}
        assert "exposure" not in instance_recall(conn, "d")
    assert scores["exposure"].instances == 0 and scores["exposure"].instance_recall is None


def test_labels_naming_some_instances_get_the_rest_derived(workspace: Workspace) -> None:
    """A typology whose labels name instances for some parties only: the others' instances
    are derived among themselves, beside the named ones."""
    with workspace.connect() as conn:
        conn.execute("UPDATE party_labels SET instance = 'c/1' WHERE party_id IN ('D1', 'D2')")
    with workspace.connect(read_only=True) as conn:
        cycle = instance_recall(conn, "d")["cycle"]
    # c/1 = {D1, D2}; derived: {D3} (its links run to D1 and D2 only), {E1, E2}, {G1}
    assert (cycle.instances, cycle.derived) == (4, 3)


def test_the_evaluate_command_shows_and_gives_the_instances(workspace: Workspace) -> None:
    _alert(workspace, "layering-fan-in", "fan-in", ["A3"])
    home = ["--home", str(workspace.home)]
    shown = CliRunner().invoke(main, [*home, "evaluate", "--dataset", "d"])
    assert shown.exit_code == 0, shown.output
    assert "By instance:" in shown.output  # 80 columns: the tables one under the other
    lines = shown.output.splitlines()
    table = lines[next(i for i, line in enumerate(lines) if line == "By instance:") :]
    assert any(re.match(r" cycle +│ +3\* +│ +0 +│ +0\.00 ", line) for line in table)
    assert any(re.match(r" fan-in +│ +3 +│ +1 +│ +0\.33 +│ +1\.00 ", line) for line in table)
    assert "* derived from the transactions" in shown.output
    as_json = CliRunner().invoke(main, [*home, "--json", "evaluate", "--dataset", "d"])
    records = {r["typology"]: r for r in json.loads(as_json.output)}
    assert records["cycle"]["instances"] == records["cycle"]["derived_instances"] == 3
    assert records["fan-in"]["instances_found"] == 1
    assert records["fan-in"]["instance_recall"] == pytest.approx(1 / 3)


@pytest.mark.shared_data
def test_amlsim_graph_layout_instances_are_derived(shared_data: Path, tmp_path: Path) -> None:
    """AMLSim's graph layout names no instances; the reader labels its pattern payments (a
    fraud account's payments at its fraud step to another fraud account), and those link
    the fan-ins: the figures docs/monitoring.md quotes."""
    ws = Workspace(tmp_path / "home")
    folder = shared_data / "transactions" / "amlsim" / "20K_fanin200"
    store.ingest(ws, folder, AmlsimReader(), dataset="fanin")
    with ws.connect(read_only=True) as conn:
        components = derived_instances(conn, "fanin", "layering-fan-in")
        score = instance_recall(conn, "fanin")["layering-fan-in"]
    sizes = sorted((len(c) for c in components), reverse=True)
    # 179 fan-ins of 2 to 11 accounts; 297 fraud accounts take part in no pattern payment
    assert len(components) == 179 and sum(sizes) == 954 - 297
    assert sizes[:2] == [11, 10] and sizes[-1] == 2
    assert score.instances == score.derived == 179 and score.found == 0
