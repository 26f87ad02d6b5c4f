"""Cases in the library, on SQLite and PostgreSQL: opened from the alerts of a simulated world
with their evidence frozen, worked, proposed, approved under the four-eyes rule; the history
verifies and an edit is caught; monitor (and the simulator) run again under a case change
nothing it shows."""

from __future__ import annotations

import hashlib
from datetime import timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from click.testing import CliRunner

from counterflow.cases import (
    FOUR_EYES,
    CaseStore,
    add_evidence,
    add_user,
    approve,
    assign,
    close,
    comment,
    disable_user,
    get_case,
    list_cases,
    mark_reported,
    open_case,
    propose,
    reopen,
    return_case,
    verify_history,
)
from counterflow.cases.db import CaseEventRow, CaseEvidenceRow
from counterflow.cli import main
from counterflow.cli.demo_cmd import sample_list_path
from counterflow.errors import ConfigError, ConflictError, NotFoundError, PermissionDeniedError
from counterflow.lists import store as lists_store
from counterflow.settings import Settings
from counterflow.workspace import Workspace


def build_world(home: Path, seed: str = "5") -> Workspace:
    """The sample UN list, a small simulated world ('world') and its alerts."""
    workspace = Workspace(home)
    if not workspace.exists:
        lists_store.import_list(workspace, sample_list_path())
    for args in (
        ["simulate", "-o", str(home.parent / "world"), "--parties", "2000", "--days", "60"],
        ["monitor"],
    ):
        extra = ["--seed", seed] if args[0] == "simulate" else []
        result = CliRunner().invoke(main, ["--home", str(home), *args, *extra])
        assert result.exit_code == 0, result.output
    return workspace


def alert_of(workspace: Workspace, scenario: str) -> str:
    with workspace.connect(read_only=True) as conn:
        row = conn.execute(
            "SELECT alert_id FROM alerts WHERE scenario = ? ORDER BY alert_id LIMIT 1", [scenario]
        ).fetchone()
    assert row is not None, f"the world has no {scenario} alert"
    return str(row[0])


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Workspace:
    """A world the tests only read (the journey builds its own, to simulate it again)."""
    return build_world(tmp_path_factory.mktemp("cases-world") / "home")


@pytest.fixture
def people(store: CaseStore) -> CaseStore:
    """The store with an analyst (amira), two reviewers (rania, omar) and an admin."""
    add_user(store, "amira", "analyst")
    add_user(store, "rania", "reviewer")
    add_user(store, "omar", "reviewer")
    add_user(store, "root", "admin")
    return store


def test_the_journey(people: CaseStore, tmp_path: Path) -> None:
    store = people
    workspace = build_world(tmp_path / "home")
    listed = alert_of(workspace, "listed-counterparty")
    oil = alert_of(workspace, "oil-border-trade")
    near = alert_of(workspace, "listed-counterparty-exposure")
    case = open_case(
        store,
        workspace,
        "amira",
        title="Oil money to a listed front",
        alerts=[listed, oil, near],
        priority="high",
    )
    assert case.id == "C-000001" and case.status == "new" and case.version == 1
    assert case.dataset == "world" and case.created_by == "amira"
    assert case.due - case.created == timedelta(days=2)

    frozen = get_case(store, case.id)
    kinds = {e.kind for e in frozen.evidence}
    assert kinds == {"alert", "transaction", "party", "list_entry", "exposure"}
    alerts = {e.key: e.data for e in frozen.evidence if e.kind == "alert"}
    assert set(alerts) == {listed, oil, near}
    assert alerts[listed]["explanation"]["parameters"]["threshold"] == 0.8
    tx_keys = {e.key for e in frozen.evidence if e.kind == "transaction"}
    assert {f"world/{t}" for t in alerts[oil]["tx_ids"]} <= tx_keys
    entry = next(e.data for e in frozen.evidence if e.kind == "list_entry")
    assert entry["edition"]["id"].startswith("un-sc@") and entry["entity"]["id"]
    path = next(e.data for e in frozen.evidence if e.kind == "exposure")
    assert path["path"]["party"] == alerts[near]["subject_id"]
    assert path["path"]["seed"] == alerts[listed]["subject_id"]
    assert all(e.intact for e in frozen.evidence)
    assert [e.kind for e in frozen.events] == ["opened"]

    case = assign(store, case.id, "amira", "amira", expected_version=case.version)
    assert case.status == "investigating" and case.assignee == "amira"
    case = comment(store, case.id, "amira", "The front's director is the listed party's son.")
    case = propose(store, case.id, "amira", "report", "Payments to a front of a listed group")
    assert case.status == "proposed" and case.proposed_by == "amira"

    with pytest.raises(PermissionDeniedError, match="may not approve"):
        approve(store, case.id, "amira")
    case = approve(store, case.id, "rania", "Agreed: file it.")
    assert case.status == "approved" and case.approved_by == "rania"
    case = mark_reported(store, case.id, "amira", "FIU-2026-0042")
    assert case.status == "reported" and case.reference == "FIU-2026-0042"

    shown = get_case(store, case.id)
    assert [e.kind for e in shown.events] == [
        "opened", "assigned", "comment", "proposed", "approved", "reported",
    ]  # fmt: skip
    assert [e.actor for e in shown.events][3:5] == ["amira", "rania"]
    check = verify_history(store, case.id)
    assert check.ok and check.events == 6 and check.head == shown.events[-1].hash

    # the analytics run again (and the world is simulated anew) under the case
    build_world(workspace.home, seed="6")
    with workspace.connect(read_only=True) as conn:
        still = conn.execute("SELECT count(*) FROM alerts WHERE alert_id = ?", [oil]).fetchone()
    assert still == (0,)  # a different world: the alert is gone from the workspace
    again = get_case(store, case.id)
    assert [(e.key, e.body) for e in again.evidence] == [(e.key, e.body) for e in shown.evidence]

    # an edited history is caught, naming the event
    assert store.engine is not None
    with store.engine.begin() as conn:
        conn.execute(
            sa.update(CaseEventRow)
            .where(CaseEventRow.seq == 3)
            .values(payload='{"text":"Nothing to see."}')
        )
    broken = verify_history(store, case.id)
    assert not broken.ok
    assert broken.problems == ["event 3 (comment): the hash does not match its content (edited)"]
    # and so is frozen evidence edited, with or without its own hash
    first = shown.evidence[0]
    with store.engine.begin() as conn:
        conn.execute(
            sa.update(CaseEvidenceRow)
            .where(CaseEvidenceRow.key == first.key)
            .values(body=first.body.replace("{", '{"forged":true,', 1))
        )
    assert verify_history(store, case.id).problems[1:] == [
        f"evidence {first.key} (alert): the content does not match its hash (edited)"
    ]
    forged = first.body.replace("{", '{"forged":true,', 1)
    digest = hashlib.sha256(forged.encode("utf-8")).hexdigest()
    with store.engine.begin() as conn:
        conn.execute(
            sa.update(CaseEvidenceRow)
            .where(CaseEvidenceRow.key == first.key)
            .values(content_hash=digest)
        )
    assert verify_history(store, case.id).problems[1:] == [
        f"evidence {first.key} (alert): differs from what the history recorded when it was added"
    ]


def test_four_eyes_binds_reviewers_who_proposed_or_worked_the_case(
    people: CaseStore, world: Workspace
) -> None:
    store = people
    case = open_case(store, world, "rania", title="Tip-off", priority="low")
    assign(store, case.id, "rania", "omar")
    assign(store, case.id, "omar", "amira")
    propose(store, case.id, "rania", "no-report", "The donor is a registered charity")
    for reviewer, why in (("rania", "made this proposal"), ("omar", "worked this case")):
        with pytest.raises(PermissionDeniedError, match=f"{FOUR_EYES}: '{reviewer}' {why}"):
            approve(store, case.id, reviewer)
    case = approve(store, case.id, "root")
    assert case.status == "approved" and case.approved_by == "root"
    assert verify_history(store, case.id).ok


def test_impossible_transitions_and_stale_writes_conflict(
    people: CaseStore, world: Workspace
) -> None:
    store = people
    case = open_case(store, world, "amira", title="Manual", priority="medium")
    assert case.due - case.created == timedelta(days=10)
    with pytest.raises(ConflictError, match=r"C-000001 is new: cannot approve it"):
        approve(store, case.id, "rania")
    with pytest.raises(ConflictError, match="is new: cannot reopen"):
        reopen(store, case.id, "rania", "why not")
    read = get_case(store, case.id).case
    comment(store, case.id, "amira", "Called the branch.")
    with pytest.raises(ConflictError, match=r"changed since it was read \(version 1, now 2\)"):
        propose(store, case.id, "amira", "no-report", "Nothing", expected_version=read.version)
    case = propose(store, case.id, "amira", "report", "Structuring", expected_version=2)
    case = return_case(store, case.id, "rania", "Add the wire transfers")
    assert case.status == "investigating" and case.decision is None
    case = propose(store, case.id, "amira", "no-report", "Explained by payroll")
    with pytest.raises(ConflictError, match="is proposed: cannot mark reported"):
        mark_reported(store, case.id, "amira")
    case = approve(store, case.id, "rania")
    with pytest.raises(ConflictError, match="approved as no-report"):
        mark_reported(store, case.id, "amira")
    case = close(store, case.id, "amira", "No suspicion")
    assert case.status == "closed"
    with pytest.raises(ConflictError, match="is closed: cannot propose"):
        propose(store, case.id, "amira", "report", "again")
    with pytest.raises(PermissionDeniedError, match="may not reopen"):
        reopen(store, case.id, "amira", "new facts")
    case = reopen(store, case.id, "rania", "A new alert on the same party")
    assert case.status == "investigating" and case.approved_by is None
    history = get_case(store, case.id).events
    assert [e.kind for e in history][-3:] == ["approved", "closed", "reopened"]
    assert verify_history(store, case.id).ok


def test_overdue_and_filtered_listing(people: CaseStore, world: Workspace) -> None:
    store = people
    urgent = open_case(store, world, "amira", title="Urgent", priority="high")
    slow = open_case(store, world, "amira", title="Slow", priority="low")
    assign(store, slow.id, "amira", "amira")
    later = urgent.created + timedelta(days=3)
    assert [c.id for c in list_cases(store, overdue=True, now=later)] == [urgent.id]
    assert list_cases(store, overdue=True, now=urgent.created) == []
    assert [c.id for c in list_cases(store)] == [urgent.id, slow.id]
    assert [c.id for c in list_cases(store, status="investigating")] == [slow.id]
    assert [c.id for c in list_cases(store, assignee="AMIRA")] == [slow.id]
    assert list_cases(store, overdue=True, now=later)[0].overdue(later)
    with pytest.raises(ConfigError, match="no case status 'open'"):
        list_cases(store, status="open")
    with pytest.raises(ConfigError, match="no priority 'urgent'"):
        open_case(store, world, "amira", title="x", priority="urgent")


def test_a_disabled_user_can_do_nothing(people: CaseStore, world: Workspace) -> None:
    store = people
    case = open_case(store, world, "amira", title="Before leaving", priority="low")
    disable_user(store, "amira")
    with pytest.raises(PermissionDeniedError, match="'amira' is disabled"):
        comment(store, case.id, "amira", "one more thing")
    with pytest.raises(PermissionDeniedError, match="'amira' is disabled"):
        open_case(store, world, "amira", title="Another", priority="low")
    with pytest.raises(PermissionDeniedError, match="'amira' is disabled"):
        assign(store, case.id, "rania", "amira")
    assert len(get_case(store, case.id).events) == 1


def test_unknown_ids_are_named_and_write_nothing(people: CaseStore, world: Workspace) -> None:
    store = people
    with pytest.raises(NotFoundError, match="no case 'C-000042'"):
        get_case(store, "C-000042")
    with pytest.raises(NotFoundError, match="no case 'case 7'"):
        comment(store, "case 7", "amira", "hello")
    with pytest.raises(NotFoundError, match="no alert 'A-0000000000000000'"):
        open_case(store, world, "amira", title="x", alerts=["A-0000000000000000"])
    with pytest.raises(NotFoundError, match="no party 'P-nobody'"):
        open_case(store, world, "amira", title="x", parties=["P-nobody"], dataset="world")
    with pytest.raises(PermissionDeniedError, match="no user 'ghost'"):
        open_case(store, world, "ghost", title="x")
    assert list_cases(store) == []


def test_evidence_from_hits_and_parties_added_later(people: CaseStore, world: Workspace) -> None:
    store = people
    listed = alert_of(world, "listed-counterparty")
    with world.connect(read_only=True) as conn:
        subject, entry = conn.execute(
            "SELECT subject_id, json_extract_string(explanation, '$.facts.list_entry') "
            "FROM alerts WHERE alert_id = ?",
            [listed],
        ).fetchone() or ("", "")
    hit = {"entity_id": entry, "list": "un-sc", "score": 0.97, "query": "Fulan al-Mithali"}
    case = open_case(store, world, "amira", title="Screening hit", hits=[hit])
    shown = get_case(store, case.id)
    assert [e.kind for e in shown.evidence] == ["list_entry", "hit"]
    assert shown.evidence[1].data == {"hit": hit}
    case = add_evidence(
        store, world, case.id, "amira", parties=[subject], dataset="world", expected_version=1
    )
    added = get_case(store, case.id)
    assert ("party", f"world/{subject}") in {(e.kind, e.key) for e in added.evidence}
    assert added.events[-1].kind == "evidence" and case.version == 2
    unchanged = add_evidence(store, world, case.id, "amira", hits=[hit])
    assert unchanged.version == 2  # nothing new, nothing changed
    assert verify_history(store, case.id).ok


def test_a_store_at_revision_0001_is_brought_up_to_cases(case_settings: Settings) -> None:
    """The migrations after 0001 run on a store that has users already (and go back down)."""
    from alembic import command

    from counterflow.cases.db import _migrations_config, head_revision

    with CaseStore.open(case_settings, write=True) as store:
        add_user(store, "amira", "analyst")
        assert store.engine is not None
        with store.engine.begin() as conn:
            command.downgrade(_migrations_config(conn), "0001")
        with store.engine.connect() as conn:
            assert "cases" not in sa.inspect(conn).get_table_names()
    with CaseStore.open(case_settings, write=True) as store:
        assert store.revision() == head_revision()
        case = open_case(store, Workspace(case_settings.home), "amira", title="After upgrade")
        assert case.id == "C-000001" and get_case(store, case.id).case.created_by == "amira"


def test_analysts_writing_one_case_at_once_keep_one_chain(
    people: CaseStore, tmp_path: Path
) -> None:
    """Changes to one case from several threads at once are ordered: one unbroken chain."""
    from concurrent.futures import ThreadPoolExecutor

    store = people
    case = open_case(store, Workspace(tmp_path / "home"), "amira", title="Busy")

    def work(n: int) -> None:
        for k in range(5):
            comment(store, case.id, "amira" if n % 2 else "rania", f"note {n}.{k}")

    with ThreadPoolExecutor(max_workers=6) as pool:
        list(pool.map(work, range(6)))
    shown = get_case(store, case.id)
    assert [e.seq for e in shown.events] == list(range(1, 32))
    assert shown.case.version == 31
    assert verify_history(store, case.id).ok
