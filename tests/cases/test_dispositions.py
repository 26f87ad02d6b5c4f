"""Alert dispositions across monitor runs, on SQLite and PostgreSQL: ids that stay, new and
changed alerts marked, dismissals that survive unchanged re-runs and give way to changed ones,
and alerts a case or a dismissal refers to retired instead of deleted."""

from __future__ import annotations

import shutil
from pathlib import Path

import pyarrow as pa
import pytest

from counterflow.cases import CaseStore, add_user, disable_user, get_case, open_case
from counterflow.cases.alerts import describe_changes, get_alert, list_alerts, replace_alerts
from counterflow.cases.dispositions import (
    alert_with_disposition,
    dismiss,
    list_with_dispositions,
    referenced_alerts,
    reopen_alert,
)
from counterflow.errors import ConfigError, ConflictError, NotFoundError, PermissionDeniedError
from counterflow.io import transaction
from counterflow.monitoring.runner import ALERTS, run_scenarios
from counterflow.settings import Settings
from counterflow.workspace import DB_FILENAME, Workspace

from .test_lifecycle import alert_of, build_world

SCENARIOS = ["oil-border-trade", "ransom-payment", "laundering-hub"]


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A world monitored once; each test works on its own copy of the workspace file."""
    return build_world(tmp_path_factory.mktemp("dispositions") / "home").db_path


@pytest.fixture
def workspace(built: Path, case_settings: Settings, store: CaseStore) -> Workspace:
    """A copy of the world whose case store is ``store`` (with an analyst, amira, and an
    admin, root)."""
    case_settings.home.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(built, case_settings.home / DB_FILENAME)
    add_user(store, "amira", "analyst")
    add_user(store, "root", "admin")
    return Workspace(settings=case_settings)


def rerun(workspace: Workspace, table: pa.Table | None = None, scenario: str = "") -> None:
    """Run the scenarios again, or store ``table`` as a run of ``scenario`` (a finding that
    changed), keeping what the case store refers to, as monitor does."""
    if table is None:
        run_scenarios(workspace, "world", SCENARIOS)
        return
    keep = referenced_alerts(workspace.settings)
    with workspace.connect() as conn, transaction(conn, "a test run"):
        replace_alerts(conn, "world", scenario, table, keep)


def run_of(workspace: Workspace, scenario: str, *, drop_tx: int = 0) -> pa.Table:
    """The scenario's stored alerts as a run would raise them, less ``drop_tx`` transactions
    from each."""
    with workspace.connect(read_only=True) as conn:
        found = conn.execute(
            f"SELECT {', '.join(ALERTS.names)} FROM alerts WHERE scenario = ?", [scenario]
        ).fetchall()
    rows = [dict(zip(ALERTS.names, row, strict=True)) for row in found]
    for row in rows:
        row["tx_ids"] = sorted(row["tx_ids"])[drop_tx:]
    return pa.Table.from_pylist(rows, schema=ALERTS)


def test_a_rerun_keeps_the_ids_and_nothing_is_new(workspace: Workspace) -> None:
    with workspace.connect(read_only=True) as conn:
        before = {a.alert_id: a for a in list_alerts(conn, "world")}
    assert before and all(a.new and a.changes is None for a in before.values())
    report = run_scenarios(workspace, "world", SCENARIOS)
    assert report.new == 0 and report.changed == 0
    with workspace.connect(read_only=True) as conn:
        after = {a.alert_id: a for a in list_alerts(conn, "world")}
        assert list_alerts(conn, "world", new=True) == [
            a for a in list_alerts(conn, "world") if a.scenario not in SCENARIOS
        ]
    assert set(after) == set(before)
    for key in after:
        if after[key].scenario in SCENARIOS:
            assert not after[key].new and after[key].created_at == before[key].created_at
            assert after[key].seen_at is not None and after[key].seen_at > before[key].seen_at


def test_a_dismissal_survives_an_unchanged_rerun_and_a_changed_alert_reopens(
    workspace: Workspace, store: CaseStore
) -> None:
    oil = alert_of(workspace, "oil-border-trade")
    alert, disposition = dismiss(store, workspace, oil, "amira", "  Known refinery client.  ")
    assert disposition.status == "dismissed" and disposition.dismissal is not None
    assert disposition.dismissal.by == "amira"
    assert disposition.dismissal.reason == "Known refinery client."
    with pytest.raises(ConflictError, match=r"dismissed already \(by amira, .*unchanged since"):
        dismiss(store, workspace, oil, "amira", "again")

    rerun(workspace)
    with workspace.connect(read_only=True) as conn:
        assert alert_with_disposition(store, conn, oil)[1].status == "dismissed"
        dismissed = list_with_dispositions(store, conn, "world", status="dismissed")
        still_open = list_with_dispositions(store, conn, "world", status="open")
    assert [a.alert_id for a, _ in dismissed] == [oil]
    assert oil not in {a.alert_id for a, _ in still_open}

    rerun(workspace, run_of(workspace, "oil-border-trade", drop_tx=2), "oil-border-trade")
    with workspace.connect(read_only=True) as conn:
        changed, disposition = alert_with_disposition(store, conn, oil)
        reopened = list_with_dispositions(store, conn, "world", status="open")
    assert changed.alert_id == oil and len(changed.tx_ids) == len(alert.tx_ids) - 2
    assert disposition.status == "open" and disposition.dismissal is not None
    assert disposition.changed_since_dismissal is not None
    assert disposition.changed_since_dismissal["removed"] == 2
    assert changed.changes is not None and changed.changes["removed"] == 2
    assert describe_changes(changed.changes).startswith("2 transactions removed (")
    assert oil in {a.alert_id for a, _ in reopened}

    # dismissed again as it is now; then taken back by hand
    assert dismiss(store, workspace, oil, "amira", "Still the refinery.")[1].status == "dismissed"
    assert reopen_alert(store, workspace, oil, "amira", "New intel.")[1].status == "open"
    with pytest.raises(ConflictError, match=r"is open, not dismissed"):
        reopen_alert(store, workspace, oil, "amira", "twice")


def test_alerts_a_case_or_a_dismissal_refers_to_are_retired_not_deleted(
    workspace: Workspace, store: CaseStore
) -> None:
    ransom = alert_of(workspace, "ransom-payment")
    hub = alert_of(workspace, "laundering-hub")
    oil = alert_of(workspace, "oil-border-trade")
    case = open_case(store, workspace, "amira", title="Ransom", alerts=[ransom])
    dismiss(store, workspace, hub, "amira", "A money-service business we know.")
    with pytest.raises(ConflictError, match=rf"evidence in case {case.id}: decide it in the case"):
        dismiss(store, workspace, ransom, "amira", "no")
    frozen = [(e.key, e.content_hash) for e in get_case(store, case.id).evidence]

    empty = ALERTS.empty_table()
    for scenario in ("ransom-payment", "laundering-hub", "oil-border-trade"):
        rerun(workspace, empty, scenario)
    with workspace.connect(read_only=True) as conn:
        assert list_alerts(conn, "world", scenario="ransom-payment") == []
        retired = {a.alert_id: a for a in list_alerts(conn, "world", retired=True)}
        assert set(retired) == {ransom, hub}
        assert get_alert(conn, ransom).retired_at is not None
        with pytest.raises(NotFoundError):
            get_alert(conn, oil)  # nothing referred to it: dropped
        assert alert_with_disposition(store, conn, ransom)[1].cases == [case.id]
    assert [(e.key, e.content_hash) for e in get_case(store, case.id).evidence] == frozen

    rerun(workspace)  # raised again: back from retirement, saying so
    with workspace.connect(read_only=True) as conn:
        back = get_alert(conn, ransom)
        assert back.retired_at is None and not back.new
        assert back.changes is not None and back.changes["returned"] is True
        assert describe_changes(back.changes).startswith("raised again after it had stopped")
        assert list_alerts(conn, "world", retired=True) == []


def test_who_may_dismiss_and_what_is_refused(workspace: Workspace, store: CaseStore) -> None:
    oil = alert_of(workspace, "oil-border-trade")
    with pytest.raises(NotFoundError, match=r"no alert 'A-0000000000000000'"):
        dismiss(store, workspace, "A-0000000000000000", "amira", "why")
    with pytest.raises(ConfigError, match=r"reason to dismiss an alert cannot be empty"):
        dismiss(store, workspace, oil, "amira", "   ")
    with pytest.raises(PermissionDeniedError, match=r"no user 'nobody'"):
        dismiss(store, workspace, oil, "nobody", "why")
    disable_user(store, "amira")
    with pytest.raises(PermissionDeniedError, match=r"disabled"):
        dismiss(store, workspace, oil, "amira", "why")
    with pytest.raises(ConflictError, match=r"not dismissed"):
        reopen_alert(store, workspace, oil, "root", "why")
    with (
        workspace.connect(read_only=True) as conn,
        pytest.raises(ConfigError, match=r"no alert status 'closed'"),
    ):
        list_with_dispositions(store, conn, "world", status="closed")  # type: ignore[arg-type]
