"""A goAML report from an approved case: a case opened from the alerts of a small simulated
world, proposed by an analyst, approved by a reviewer, reported in goAML valid against the real
5.0.1 XSD with every frozen transaction; refused before approval; written by the CLI and the
filing recorded in the case's history."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterator
from datetime import datetime
from decimal import Decimal
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from lxml import etree

from counterflow.cases.db import CaseStore
from counterflow.cases.lifecycle import (
    CaseView,
    approve,
    get_case,
    open_case,
    propose,
    verify_history,
)
from counterflow.cases.users import add_user
from counterflow.cli import main
from counterflow.errors import ConflictError, DataError
from counterflow.reporting import (
    FiuProfile,
    build_report,
    load_profile,
    report_from_case,
    split_name,
)
from counterflow.workspace import Workspace

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "reporting" / "fiu-generic.toml"


def run(*args: str) -> Result:
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A small simulated world with its alerts and a case store holding one approved report
    case (C-000001, by amira and rania) and one proposed (C-000002); only read by the tests
    but for the CLI test, which works on C-000001 last."""
    home = tmp_path_factory.mktemp("goaml-case") / "home"
    for args in (
        ["simulate", "-o", str(home.parent / "world"), "--parties", "2000", "--days", "60"],
        ["monitor"],
    ):
        result = run("--home", str(home), *args)
        assert result.exit_code == 0, result.output
    with pytest.MonkeyPatch.context() as mp:
        mp.delenv("COUNTERFLOW_CASES_URL", raising=False)  # the workspace's own case store
        ws = Workspace(home)
        with ws.connect(read_only=True) as conn:
            alerts = [
                str(r[0])
                for r in conn.execute(
                    "SELECT min(alert_id) FROM alerts WHERE scenario IN "
                    "('oil-border-trade', 'donations-forwarded', 'ransom-payment') "
                    "GROUP BY scenario ORDER BY 1"
                ).fetchall()
            ]
        assert len(alerts) == 3, alerts
        with CaseStore.open(ws.settings, write=True) as store:
            add_user(store, "amira", "analyst")
            add_user(store, "rania.haddad", "reviewer")
            case = open_case(store, ws, "amira", title="Oil money sent on", alerts=alerts)
            propose(store, case.id, "amira", "report", "Oil proceeds forwarded to donors")
            approve(store, case.id, "rania.haddad", "Agreed: file it.")
            other = open_case(store, ws, "amira", title="Not yet", alerts=alerts[:1])
            propose(store, other.id, "amira", "report", "Proposed only")
        yield home


def view_of(world: Path, case_id: str) -> CaseView:
    with CaseStore.open(Workspace(world).settings) as store:
        return get_case(store, case_id)


@pytest.fixture
def cases_env(world: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The CLI on the world's own case store (in the workspace, as the library opens it)."""
    monkeypatch.delenv("COUNTERFLOW_CASES_URL", raising=False)
    return world


def frozen_transactions(view: CaseView) -> dict[str, dict[str, object]]:
    return {e.data["tx_id"]: e.data for e in view.evidence if e.kind == "transaction"}


def test_names_are_split_sensibly() -> None:
    assert split_name("rania.haddad") == ("rania", "haddad")
    assert split_name("Rui  Costa Lima") == ("Rui", "Costa Lima")
    assert split_name("rui") == ("rui", "rui")


@pytest.mark.shared_data
def test_the_example_profile_for_tests_finds_the_real_schema(shared_data: Path) -> None:
    profile = load_profile(FIXTURE)
    assert profile.xsd == (shared_data / "goaml" / "goAMLSchema_5.0.1.xsd").resolve()


@pytest.mark.shared_data
def test_an_approved_case_gives_a_valid_report_of_every_transaction(
    cases_env: Path, profile: FiuProfile
) -> None:
    view = view_of(cases_env, "C-000001")
    frozen = frozen_transactions(view)
    assert frozen
    report = report_from_case(view, profile)
    assert report.reference == "C-000001"
    assert report.reason == "Oil proceeds forwarded to donors"
    assert report.action == "Agreed: file it."
    assert report.reporting_person is not None
    assert (report.reporting_person.first_name, report.reporting_person.last_name) == (
        "rania",
        "haddad",
    )
    assert set(report.typologies) == {"oil", "donations", "ransom"}
    xml = build_report(report, profile)  # validated against the real 5.0.1 XSD
    root = etree.fromstring(xml)
    numbers = root.xpath("/report/transaction/transactionnumber/text()")
    assert sorted(numbers) == sorted(frozen)
    assert root.xpath("/report/reporting_person/last_name/text()") == ["haddad"]
    assert root.xpath("/report/report_indicators/indicator/text()")
    # a transaction in the local currency: its amount and date as frozen
    usd = next(t for t, row in sorted(frozen.items()) if row["currency"] == "USD")
    node = root.xpath("/report/transaction[transactionnumber=$t]", t=usd)[0]
    row = frozen[usd]
    assert Decimal(node.findtext("amount_local")) == Decimal(str(row["amount"]))
    when = datetime.fromisoformat(str(row["timestamp"])).replace(tzinfo=None, microsecond=0)
    assert node.findtext("date_transaction") == when.isoformat()
    # one in another currency: the local amount is the row's base amount, the original kept
    other = next((t for t, r in sorted(frozen.items()) if r["currency"] != "USD"), None)
    if other is not None:
        node = root.xpath("/report/transaction[transactionnumber=$t]", t=other)[0]
        assert Decimal(node.findtext("amount_local")) == Decimal(str(frozen[other]["base_amount"]))
        assert node.findtext(".//foreign_currency_code") == frozen[other]["currency"]


def test_a_case_not_approved_is_refused(cases_env: Path, offline_profile: FiuProfile) -> None:
    view = view_of(cases_env, "C-000002")
    with pytest.raises(ConflictError, match=r"C-000002 is proposed.*approved"):
        report_from_case(view, offline_profile)


def test_amounts_without_the_local_currency_are_listed_not_guessed(
    cases_env: Path, offline_profile: FiuProfile
) -> None:
    view = view_of(cases_env, "C-000001")
    frozen = frozen_transactions(view)
    euro = dataclasses.replace(offline_profile, currency="EUR")
    foreign = sorted(t for t, row in frozen.items() if row["currency"] != "EUR")
    assert foreign
    with pytest.raises(DataError) as caught:
        report_from_case(view, euro)
    message = str(caught.value)
    assert "case C-000001 cannot be reported" in message
    for tx_id in foreign:
        assert f"transaction {tx_id}: the amount is in" in message
    assert "no amount in the local currency EUR" in message


@pytest.mark.shared_data
def test_the_cli_writes_the_report_and_records_the_filing(
    cases_env: Path, tmp_path: Path, shared_data: Path
) -> None:
    home = str(cases_env)
    out = tmp_path / "report.xml"
    refused = CliRunner().invoke(
        main,
        ["--home", home, "cases", "goaml", "C-000002", "--profile", str(FIXTURE), "-o", str(out)],
    )
    assert refused.exit_code != 0
    assert "C-000002 is proposed" in refused.output
    assert not out.exists()
    made = run(
        "--home", home, "--json", "cases", "goaml", "C-000001",
        "--profile", str(FIXTURE), "-o", str(out),
    )  # fmt: skip
    assert made.exit_code == 0, made.output
    summary = json.loads(made.stdout)
    xml = out.read_bytes()
    view = view_of(cases_env, "C-000001")
    assert summary["case"] == "C-000001"
    assert summary["bytes"] == len(xml)
    assert summary["transactions"] == len(frozen_transactions(view))
    assert summary["indicators"] == ["-"]
    assert len(etree.fromstring(xml).findall("transaction")) == summary["transactions"]
    assert view.case.status == "approved"  # writing the report changes nothing in the case
    stdout = run("--home", home, "cases", "goaml", "C-000001", "--profile", str(FIXTURE), "-o", "-")
    assert stdout.exit_code == 0
    assert stdout.stdout_bytes.startswith(b"<?xml")

    filed = run(
        "--home", home, "--json", "cases", "reported", "C-000001",
        "--reference", "FIU-2026-0142", "--user", "amira",
    )  # fmt: skip
    assert filed.exit_code == 0, filed.output
    assert json.loads(filed.stdout)["status"] == "reported"
    after = view_of(cases_env, "C-000001")
    assert after.case.reference == "FIU-2026-0142"
    event = after.events[-1]
    assert (event.kind, event.actor, event.payload) == (
        "reported",
        "amira",
        {"reference": "FIU-2026-0142"},
    )
    with CaseStore.open(Workspace(cases_env).settings) as store:
        assert verify_history(store, "C-000001").ok
    # a reported case can still be written again (a copy for the file)
    again = run("--home", home, "cases", "goaml", "C-000001", "--profile", str(FIXTURE), "-o", "-")
    assert again.exit_code == 0
