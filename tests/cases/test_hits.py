"""Screening hits rebuilt from where they are: an audited /match record (checked intact) and a
row of a real batch results file; and escalations recorded as decisions that never suppress a
hit, nor undo a clearing."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from counterflow.cases import AuditLog, DecisionStore
from counterflow.cases.decisions import Status
from counterflow.cases.hits import (
    AuditRef,
    expand_hits,
    find_audited,
    hits_from_audit,
    hits_from_results,
    record_escalations,
)
from counterflow.cli.demo_cmd import sample_list_path
from counterflow.errors import ConfigError, DataError, NotFoundError
from counterflow.lists import store
from counterflow.screening import Query, Screener
from counterflow.screening.batch import screen_file
from counterflow.workspace import Workspace

TARGET = "un-sc:ZZi.001"
QUERY = {"schema": "Person", "properties": {"name": ["Fulan Allan"]}}


@pytest.fixture
def workspace(home: Path) -> Workspace:
    ws = Workspace(home)
    store.import_list(ws, sample_list_path())
    return ws


def _edition(ws: Workspace) -> str:
    with ws.connect(read_only=True) as conn:
        return next(e.label for e in store.list_editions(conn) if e.list_id == "un-sc")


def _audit_match(ws: Workspace, request_id: str = "r-00000000000000aa") -> AuditLog:
    """A /match record as the service writes it (with a record before and after it)."""
    log = AuditLog.for_home(ws.home)
    log.append("search", "key:1 (gateway)", results=[])
    log.append(
        "match",
        "key:1 (gateway)",
        role="screen",
        request_id=request_id,
        dataset="default",
        editions={"un-sc": _edition(ws)},
        queries={"q": QUERY},
        results={
            "q": [
                {
                    "id": TARGET,
                    "score": 0.91,
                    "match": True,
                    "decision": None,
                    "list": "un-sc",
                    "caption": "FULAN IBN ALLAN AL-MITHALI",
                    "matched_name": "Fulan Allan al-Mithali",
                },
                {"id": "un-sc:ZZe.002", "score": 0.2, "match": False, "decision": None},
            ]
        },
    )
    log.append("entity", "key:1 (gateway)", entity_id=TARGET, found=True)
    return log


def test_an_audited_hit_is_rebuilt_whole(workspace: Workspace) -> None:
    log = _audit_match(workspace)
    (hit,) = hits_from_audit(log, "r-00000000000000aa", TARGET)
    assert hit["query_name"] == "Fulan Allan" and hit["query"] == QUERY
    assert hit["matched_name"] == "Fulan Allan al-Mithali" and hit["score"] == 0.91
    assert hit["list"] == "un-sc" and hit["edition"] == f"un-sc@{_edition(workspace)}"
    assert hit["entity_id"] == TARGET and hit["audit_seq"] == 2 and hit["match"] is True
    # by the list reference, by seq, and without an entity: the results flagged a match
    assert hits_from_audit(log, "r-00000000000000aa", "ZZi.001") == [hit]
    assert hits_from_audit(log, "2", TARGET) == [hit]
    assert hits_from_audit(log, "r-00000000000000aa") == [hit]
    # an older record without list or caption still gives the entry, its list and edition
    (low,) = hits_from_audit(log, "r-00000000000000aa", "un-sc:ZZe.002")
    assert low["list"] == "un-sc" and low["edition"] == hit["edition"] and low["caption"] is None
    assert expand_hits(log, [{"audit": "r-00000000000000aa", "entity_id": TARGET}]) == [hit]
    assert expand_hits(log, [{"entity_id": TARGET, "score": 1}]) == [
        {"entity_id": TARGET, "score": 1}
    ]
    assert AuditRef.parse("r-1:un-sc:QDi.001") == AuditRef("r-1", "un-sc:QDi.001")
    assert AuditRef.parse("r-1") == AuditRef("r-1", None)


def test_unknown_requests_entries_and_records_are_named(workspace: Workspace) -> None:
    log = _audit_match(workspace)
    with pytest.raises(NotFoundError, match="r-ffffffffffffffff"):
        hits_from_audit(log, "r-ffffffffffffffff", TARGET)
    with pytest.raises(NotFoundError, match=r"un-sc:ZZi\.999.*un-sc:ZZe\.002, un-sc:ZZi\.001"):
        hits_from_audit(log, "r-00000000000000aa", "un-sc:ZZi.999")
    with pytest.raises(NotFoundError, match="'search' record, not a /match answer"):
        hits_from_audit(log, "1")
    with pytest.raises(NotFoundError, match="no records yet"):
        find_audited(AuditLog(workspace.home / "none.jsonl"), "r-1")
    with pytest.raises(ConfigError):
        AuditRef.parse(":un-sc:QDi.001")


@pytest.mark.parametrize(
    ("edit", "problem"),
    [
        (lambda lines: lines[1].replace("0.91", "0.99"), "hash does not match"),
        (lambda lines: None, "does not link to the record before it"),
    ],
)
def test_a_damaged_record_is_not_trusted(workspace: Workspace, edit: Any, problem: str) -> None:
    log = _audit_match(workspace)
    lines = log.path.read_text().splitlines()
    changed = edit(lines)
    if changed is None:
        del lines[0]  # the record before it removed
    else:
        lines[1] = changed
    log.path.write_text("\n".join(lines) + "\n")
    with pytest.raises(DataError, match=problem):
        hits_from_audit(log, "r-00000000000000aa", TARGET)


def test_a_record_whose_successor_does_not_link_to_it(workspace: Workspace) -> None:
    log = _audit_match(workspace)
    lines = log.path.read_text().splitlines()
    lines[2] = lines[2].replace('"prev":"', '"prev":"0', 1)
    log.path.write_text("\n".join(lines) + "\n")
    with pytest.raises(DataError, match="not followed by a record linked to it"):
        hits_from_audit(log, "r-00000000000000aa", TARGET)


def _results(ws: Workspace, tmp_path: Path, suffix: str = ".csv") -> Path:
    """A real batch results file: two parties screened against the sample list."""
    parties = tmp_path / "parties.csv"
    parties.write_text("id,name\nc1,Fulan Allan\nc2,Example Relief Foundation\n")
    out = tmp_path / f"results{suffix}"
    screen_file(Screener.from_workspace(ws), parties, out, threshold=0.7, limit=1)
    return out


@pytest.mark.parametrize("suffix", [".csv", ".parquet"])
def test_a_result_row_is_a_hit(workspace: Workspace, tmp_path: Path, suffix: str) -> None:
    out = _results(workspace, tmp_path, suffix)
    (first,) = hits_from_results(out, rows=[1])
    assert first["source"] == "batch" and first["row"] == 1 and first["file"] == out.name
    assert first["entity_id"] == TARGET and first["query_id"] == "c1"
    assert isinstance(first["score"], float) and first["rank"] == 1 and first["list"] == "un-sc"
    assert first["matched_name"]
    (second,) = hits_from_results(out, entities=["un-sc:ZZe.002"])
    assert second["row"] == 2 and second["query_id"] == "c2"
    assert hits_from_results(out, entities=["ZZe.002"]) == [second]
    with pytest.raises(NotFoundError, match=r"no row 9 in .*results.* \(it has 2 result rows\)"):
        hits_from_results(out, rows=[9])
    with pytest.raises(NotFoundError, match=r"'un-sc:QDi\.001'"):
        hits_from_results(out, entities=["un-sc:QDi.001"])


def test_a_file_that_is_not_a_results_file_is_named(tmp_path: Path) -> None:
    parties = tmp_path / "parties.csv"
    parties.write_text("id,name,score\nc1,Fulan Allan,1\n")
    expected = r"parties\.csv: .*row 1 cannot .*missing columns query_id, entity_id"
    with pytest.raises(DataError, match=expected):
        hits_from_results(parties, rows=[1])
    broken = tmp_path / "broken.csv"
    broken.write_text("query_id,entity_id,score\nc1,,0.9\n")
    with pytest.raises(DataError, match=r"broken\.csv, line 2: the result row has no entity_id"):
        hits_from_results(broken, rows=[1])


def test_escalations_are_decisions_that_never_suppress(workspace: Workspace) -> None:
    log = _audit_match(workspace)
    hits = hits_from_audit(log, "r-00000000000000aa", TARGET)
    decisions = DecisionStore(workspace.home)
    query = Query.from_properties("Person", QUERY["properties"])
    with workspace.connect(read_only=True) as conn:
        (_, entity), *_ = store.find_entities(conn, TARGET)
    cleared = decisions.clear(
        query, entity, edition="x", analyst="Amira", actor="cli:a", reason="another man"
    )
    (made,) = record_escalations(
        workspace, decisions, hits, "C-000042", analyst="Rania", actor="user:Rania"
    )
    assert made.status is Status.ESCALATED and made.reason == "escalated to case C-000042"
    assert made.entity_id == TARGET and made.edition == _edition(workspace)
    # the clearing still bears on the hit; the escalation does not
    found = decisions.lookup(query.fingerprint(), entity)
    assert found is not None and found.decision.decision_id == cleared.decision_id
    # recorded once per case, however often the hit is given
    assert (
        record_escalations(
            workspace, decisions, hits + hits, "C-000042", analyst="Rania", actor="user:Rania"
        )
        == []
    )
    # revoking the escalation leaves the clearing in force
    decisions.revoke(made.decision_id, analyst="Rania", actor="user:Rania", reason="wrong case")
    fresh = DecisionStore(workspace.home)
    fresh.refresh()
    again = fresh.lookup(query.fingerprint(), entity)
    assert again is not None and again.decision.decision_id == cleared.decision_id
    # a batch row names its query by id only: no decision
    row_hit = {"source": "batch", "entity_id": TARGET, "query_id": "c1"}
    assert record_escalations(workspace, decisions, [row_hit], "C-1", analyst="R", actor="a") == []
