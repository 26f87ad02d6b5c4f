"""The listed-counterparty scenario weighs everything the record says of a party: its kind, its
date of birth, its countries, how common its name is among the dataset's parties, and the
analysts' decisions; each alert says whether the hit is confirmed, and exposure builds on
confirmed hits only. A hand-written list and dataset; the real lists in the last test."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from counterflow.cases.alerts import Alert, list_alerts
from counterflow.cases.decisions import DecisionStore
from counterflow.cli.ingest_cmd import parquet_files
from counterflow.lists import store as lists_store
from counterflow.monitoring import run_scenarios
from counterflow.monitoring.scenarios.exposure import EXPOSURE
from counterflow.monitoring.scenarios.listed import LISTED, PartyFacts, party_query
from counterflow.screening import Query, Screener
from counterflow.transactions.schema import PARTIES, TRANSACTIONS
from counterflow.transactions.store import load_parquet
from counterflow.workspace import Workspace

DAY0 = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)

#: the list: invented names, so that nothing but these entries can match
ENTRIES = [
    ("karim", "Person", "Karim Zoltanbek FERROW", {"birthDate": ["1961-02-03"]}),
    ("yusuf", "Person", "Yusuf Darnelio QUORBANI", {"birthDate": ["1958"]}),
    ("ilyas", "Person", "Ilyas Vantrobek MOUSSAWI", {"birthDate": ["1955-03-04"]}),
    ("samir", "Person", "Samir HADDAD", {}),
    ("nurvanta", "Organization", "Nurvanta Trading Company", {"country": ["sy"]}),
    ("omarek", "Person", "Omarek Zelmundo TELSIANI", {}),
    ("farid", "Person", "Farid Quolmanzi", {}),
]

#: party id -> name, kind, country, born
PARTIES_ON_RECORD: dict[str, tuple[str, str, str | None, str | None]] = {
    "P1": ("Karim Zoltanbek Ferrow", "person", "IQ", None),  # the listed person
    "P2": ("Yusuf Darnelio Quorbani", "company", "TR", None),  # a company is not a person
    "P3": ("Ilyas Vantrobek Moussawi", "person", "JO", "1985-07-01"),  # born 30 years later
    "P4": ("Samir Haddad", "person", "LB", "1970-01-05"),  # a name two customers carry
    "P5": ("Samir Haddad", "person", "LB", "1982-11-30"),
    "P6": ("Nurvanta Trading LLC", "company", "GB", None),  # registered elsewhere
    "P7": ("Omarek Telsiani", "person", "IQ", None),  # a partial name: a possible match
    "P8": ("Farid Quolmanzi", "person", "IQ", None),  # cleared by an analyst
    "C1": ("Hana Lindqvist", "person", "SE", "1990-01-01"),
    "C2": ("Jonas Berglund", "person", "SE", "1980-01-01"),
    "C3": ("Maria Rossi", "person", "IT", "1975-01-01"),
}

#: payer, beneficiary, day, USD: each listed-looking party has a customer
PAYMENTS = [
    ("C1", "P1", 5, 6_000.0),
    ("C2", "P6", 6, 7_000.0),
    ("C3", "P7", 7, 8_000.0),
    ("C1", "P2", 8, 2_000.0),
    ("C2", "P3", 9, 2_000.0),
    ("C3", "P4", 10, 2_000.0),
    ("C1", "P5", 11, 2_000.0),
    ("C2", "P8", 12, 2_000.0),
]


def _list_file(folder: Path) -> Path:
    lines = []
    for key, schema, name, extra in ENTRIES:
        properties: dict[str, list[str]] = {"name": [name], **extra}
        if schema == "Person":
            properties.setdefault("nationality", ["iq"])
        body = {"id": f"zz-{key}", "schema": schema, "caption": name, "properties": properties}
        lines.append(json.dumps({**body, "datasets": ["zz_test"]}))
    path = folder / "list.ftm.json"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


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
            "payer_name": PARTIES_ON_RECORD[src][0],
            "beneficiary_party": dst,
            "beneficiary_name": PARTIES_ON_RECORD[dst][0],
            "channel": "wire",
        }
        for i, (src, dst, day, usd) in enumerate(PAYMENTS)
    ]
    columns = {name: [r.get(name) for r in rows] for name in TRANSACTIONS.names}
    pq.write_table(pa.table(columns, schema=TRANSACTIONS), folder / "transactions.parquet")
    ids = sorted(PARTIES_ON_RECORD)
    parties: dict[str, list[Any]] = {name: [None] * len(ids) for name in PARTIES.names}
    parties["party_id"] = ids
    parties["name"] = [PARTIES_ON_RECORD[i][0] for i in ids]
    parties["kind"] = [PARTIES_ON_RECORD[i][1] for i in ids]
    parties["country"] = [PARTIES_ON_RECORD[i][2] for i in ids]
    born = [PARTIES_ON_RECORD[i][3] for i in ids]
    parties["born"] = [datetime.fromisoformat(b).date() if b else None for b in born]
    pq.write_table(pa.table(parties, schema=PARTIES), folder / "parties.parquet")
    workspace = Workspace(home)
    lists_store.import_list(workspace, _list_file(home.parent))
    load_parquet(workspace, "d", parquet_files(folder), fmt="test", source="test")
    return workspace


@pytest.fixture
def workspace(tmp_path: Path) -> Workspace:
    return _load(tmp_path / "home")


def _run(workspace: Workspace, **params: Any) -> dict[str, Alert]:
    run_scenarios(workspace, "d", [LISTED, EXPOSURE], {LISTED.id: params})
    with workspace.connect(read_only=True) as conn:
        return {a.subject_id: a for a in list_alerts(conn, "d", scenario=LISTED.id)}


def _facts(alert: Alert) -> dict[str, Any]:
    facts: dict[str, Any] = alert.explanation["facts"]
    return facts


def _entity(workspace: Workspace, key: str) -> Any:
    screener = Screener.from_workspace(workspace)
    found = screener.screen(Query.make(dict((k, n) for k, _, n, _ in ENTRIES)[key]), limit=1)
    assert found, key
    return screener, found[0].entity


def _query_of(party: str) -> Query:
    name, kind, country, born = PARTIES_ON_RECORD[party]
    return party_query(PartyFacts(party, name, kind, born, (country,) if country else ()))


def test_each_fact_of_the_record_counts(workspace: Workspace) -> None:
    alerts = _run(workspace)
    # the listed person, by a distinctive name: alerted and confirmed by its score
    assert _facts(alerts["P1"])["confirmed"] == "confirmed: score 1.00"
    # a company is not a person; a person born 30 years later is not them
    assert "P2" not in alerts and "P3" not in alerts
    # two customers carry the listed name: it identifies no one by itself
    assert "P4" not in alerts and "P5" not in alerts
    # a company registered elsewhere than its listed namesake (a registered company: its name
    # has a legal form): alerted, 0.10 lower
    p6 = _facts(alerts["P6"])
    assert any(e.startswith("company country conflict -0.10") for e in p6["evidence"])
    assert alerts["P6"].score == pytest.approx(0.9)
    # a partial name scores well (0.93) but is not confirmed by its score: a possible match
    p7 = _facts(alerts["P7"])
    assert p7["confirmed"] == "unconfirmed" and alerts["P7"].score >= 0.9
    assert any(e.startswith("partial name, not confirmed") for e in p7["evidence"])
    assert _facts(alerts["P1"])["listings"] == [_facts(alerts["P1"])["list_entry"]]


def test_without_evidence_the_namesakes_come_back(workspace: Workspace) -> None:
    """``use_evidence = false`` is the scenario before issue 13: the common name alerts."""
    alerts = _run(workspace, use_evidence=False)
    assert {"P4", "P5"} <= set(alerts)
    assert "P2" not in alerts and "P3" not in alerts  # the screener's own rules stay


def test_an_analysts_decision_confirms_or_clears(workspace: Workspace) -> None:
    screener, omarek = _entity(workspace, "omarek")
    _, farid = _entity(workspace, "farid")
    decisions = DecisionStore(workspace.home)
    escalated = decisions.escalate(
        _query_of("P7"),
        omarek,
        edition="test",
        analyst="amira",
        actor="test",
        case_id="C-000001",
        party=screener.party(omarek.id),
    )
    decisions.clear(
        _query_of("P8"),
        farid,
        edition="test",
        analyst="amira",
        actor="test",
        reason="another man: a baker in Basra",
        party=screener.party(farid.id),
    )
    alerts = _run(workspace)
    assert (
        _facts(alerts["P7"])["confirmed"] == f"confirmed: analyst decision {escalated.decision_id}"
    )
    assert "P8" not in alerts
    # a decision on another query (another spelling, another date of birth) does not count
    assert _facts(alerts["P1"])["confirmed"] == "confirmed: score 1.00"


def test_a_revoked_decision_counts_no_more(workspace: Workspace) -> None:
    screener, farid = _entity(workspace, "farid")
    decisions = DecisionStore(workspace.home)
    cleared = decisions.clear(
        _query_of("P8"),
        farid,
        edition="test",
        analyst="amira",
        actor="test",
        reason="a namesake",
        party=screener.party(farid.id),
    )
    decisions.revoke(cleared.decision_id, analyst="omar", actor="test", reason="wrong man")
    assert "P8" in _run(workspace)


def test_exposure_builds_on_confirmed_hits_only(workspace: Workspace) -> None:
    _run(workspace)
    with workspace.connect(read_only=True) as conn:
        found = {a.subject_id: a for a in list_alerts(conn, "d", scenario=EXPOSURE.id)}
    seeds = {_facts(a)["listed_party"] for a in found.values()}
    # P7 is a possible match (a partial name), and no seed: its customer C3 is not exposed.
    # (C2 pays P6 and P8, both confirmed; its strongest path, to P6, is the one kept.)
    assert seeds == {"P1", "P6"} and "C3" not in found
    assert _facts(found["C1"])["listed_confirmed"] == "confirmed: score 1.00"
    # an analyst escalates P7's hit: now it seeds exposure, and the alert says why
    screener, omarek = _entity(workspace, "omarek")
    decision = DecisionStore(workspace.home).escalate(
        _query_of("P7"),
        omarek,
        edition="test",
        analyst="amira",
        actor="test",
        case_id="C-000002",
        party=screener.party(omarek.id),
    )
    _run(workspace)
    with workspace.connect(read_only=True) as conn:
        found = {a.subject_id: a for a in list_alerts(conn, "d", scenario=EXPOSURE.id)}
    assert _facts(found["C3"])["listed_confirmed"] == (
        f"confirmed: analyst decision {decision.decision_id}"
    )


def test_four_real_lists_keep_a_namesake_company_apart(shared_data: Path, tmp_path: Path) -> None:
    """With UN + OFAC loaded, a company whose name is an OFAC person's is no hit, and a person
    born decades after the listed one is none either."""
    workspace = _load(tmp_path / "home")
    lists_store.import_list(workspace, shared_data / "lists/un_sc/un_sc_2026-02-27.xml")
    lists_store.import_list(workspace, shared_data / "lists/ofac_sdn_2021")
    screener = Screener.from_workspace(workspace)
    person = screener.screen(Query.make("Abu Bakr al-Baghdadi", schema="Person"), limit=1)
    assert person and person[0].score >= 0.8
    listed_name = person[0].matched_name
    as_company = party_query(PartyFacts("X", listed_name, "company", None, ("IQ",)))
    assert not screener.screen(as_company, limit=1, threshold=0.8)
    young = party_query(PartyFacts("Y", listed_name, "person", "2001-01-01", ("IQ",)))
    assert not screener.screen(young, limit=1, threshold=0.8)
