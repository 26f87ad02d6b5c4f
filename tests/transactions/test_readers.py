"""The tabular readers on real AMLSim output and hand-written AMLworld and bank files."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from counterflow.errors import ConfigError, DataError
from counterflow.transactions.formats.amlsim import AmlsimReader, typology_name
from counterflow.transactions.formats.amlworld import AmlworldReader
from counterflow.transactions.formats.base import (
    Batch,
    RowError,
    clean_amount,
    clean_channel,
    clean_currency,
    clean_timestamp,
)
from counterflow.transactions.formats.tabular import ColumnMapping, TableReader


def _all(batches: list[Batch]) -> Batch:
    whole = Batch()
    for batch in batches:
        for table in ("transactions", "parties", "accounts", "party_labels", "rejects"):
            getattr(whole, table).extend(getattr(batch, table))
    return whole


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("1,250.00", 1250.0), ("1.250,00", 1250.0), ("80,00", 80.0), ("0.00031", 0.00031), (7, 7.0)],
)
def test_amounts_in_the_usual_notations(raw: object, expected: float) -> None:
    assert clean_amount(raw) == expected


@pytest.mark.parametrize("raw", ["zwei", "-5", "nan", "inf", ""])
def test_bad_amounts_name_the_value(raw: str) -> None:
    with pytest.raises(RowError, match="amount"):
        clean_amount(raw)


def test_values_become_canonical() -> None:
    assert clean_currency("US Dollar") == "USD" and clean_currency("eur") == "EUR"
    assert clean_channel("Credit Card") == "card" and clean_channel("CASH-OUT") == "cash"
    assert clean_timestamp("2022/09/01 00:20") == datetime(2022, 9, 1, 0, 20, tzinfo=UTC)
    assert clean_timestamp("2026-05-02T10:00:00+03:00") == datetime(2026, 5, 2, 7, tzinfo=UTC)
    with pytest.raises(RowError, match="channel 'telepathy' is none of wire"):
        clean_channel("telepathy")


@pytest.mark.shared_data
def test_amlsim_graph_layout(shared_data: Path) -> None:
    folder = shared_data / "transactions" / "amlsim" / "20K_fanin200"
    whole = _all(list(AmlsimReader().read(folder)))
    assert len(whole.transactions) == 118_250 and not whole.rejects
    assert len(whole.parties) == len(whole.accounts) == len(whole.party_labels) == 20_000
    suspicious = [label for label in whole.party_labels if label["is_suspicious"]]
    assert len(suspicious) == 954  # metadata.txt: 954 fraud nodes
    assert {label["typology"] for label in suspicious} == {"layering-fan-in"}
    assert {label["instance"] for label in whole.party_labels} == {None}  # the layout has none
    first = whole.transactions[0]
    assert (first["payer_account"], first["beneficiary_account"]) == ("360", "18984")
    assert first["amount"] == 103.55 and first["currency"] == "USD"
    assert first["timestamp"] == datetime(2017, 1, 1, tzinfo=UTC) and first["channel"] == "wire"
    last_day = max(t["timestamp"] for t in whole.transactions)
    assert last_day == datetime(2017, 5, 29, tzinfo=UTC)  # step 149
    # a pattern payment: from a fraud account, at its fraudStep, to another fraud account
    planted = [t for t in whole.transactions if t["is_suspicious"]]
    assert len(planted) == 1_824 and {t["typology"] for t in planted} == {"layering-fan-in"}
    fraud = {label["party_id"] for label in suspicious}
    assert all(t["payer_party"] in fraud and t["beneficiary_party"] in fraud for t in planted)
    assert not first["is_suspicious"] and first["typology"] is None


@pytest.mark.shared_data
def test_amlsim_full_output_schema(shared_data: Path) -> None:
    folder = shared_data / "transactions" / "amlsim" / "sample_outputs"
    whole = _all(list(AmlsimReader().read(folder)))
    assert len(whole.transactions) == 45 + 88 and not whole.rejects
    by_id = {t["tx_id"]: t for t in whole.transactions}
    cheque = by_id["2"]
    assert (cheque["payer_party"], cheque["beneficiary_party"], cheque["channel"]) == (
        "15",
        "25",
        "cheque",
    )
    cash_out = by_id["1"]
    assert cash_out["channel"] == "cash" and cash_out["payer_account"] == "0"
    assert cash_out["beneficiary_account"] is None and cash_out["location"] == "branch 11"
    labels = {label["party_id"]: label for label in whole.party_labels}
    assert labels["25"]["is_suspicious"] and labels["25"]["typology"] == "layering-cycle"
    assert not labels["0"]["is_suspicious"]
    # alerts.csv's ALERT_KEY is the instance (one alert per injected pattern)
    assert (labels["25"]["instance"], labels["24"]["instance"]) == ("0", "1")
    assert labels["0"]["instance"] is None
    assert {p["country"] for p in whole.parties} == {"US"}


def test_amlworld_reads_both_account_columns_and_the_patterns(fixtures: Path) -> None:
    path = fixtures / "transactions" / "amlworld" / "Tiny_Trans.csv"
    whole = _all(list(AmlworldReader().read(path)))
    assert len(whole.transactions) == 10 and not whole.rejects
    tx = {t["tx_id"]: t for t in whole.transactions}
    assert (tx["2"]["payer_account"], tx["2"]["beneficiary_account"]) == ("8000F4580", "8000F5340")
    assert tx["2"]["channel"] == "cheque" and tx["7"]["channel"] == "card"
    assert tx["8"]["currency"] == "XBT" and tx["8"]["channel"] == "crypto"
    assert tx["9"]["amount"] == 7326.36 and tx["9"]["currency"] == "USD"  # what was paid
    assert [t["typology"] for t in whole.transactions if t["typology"]] == [
        "fan-out",
        "fan-out",
        "fan-out",
        "gather-scatter",
    ]
    assert tx["10"]["typology"] is None  # same accounts and amount, another minute
    labels = {label["party_id"]: label["typology"] for label in whole.party_labels}
    assert labels["800737690"] == "fan-out" and labels["8002E1B60"] == "gather-scatter"
    # each block of the patterns file is an instance; 80011F990, in both blocks, keeps the
    # first a transaction put it in
    instances = {label["party_id"]: label["instance"] for label in whole.party_labels}
    assert instances == {
        "800737690": "fan-out/1",
        "80011F990": "fan-out/1",
        "8001A0C30": "fan-out/1",
        "8001E4A70": "fan-out/1",
        "8002E1B60": "gather-scatter/1",
    }
    accounts = [a["account_id"] for a in whole.accounts]
    assert len(accounts) == len(set(accounts)) == 12


def test_amlworld_blocks_of_one_typology_are_numbered(fixtures: Path, tmp_path: Path) -> None:
    source = fixtures / "transactions" / "amlworld"
    trans = tmp_path / "Two_Trans.csv"
    trans.write_bytes((source / "Tiny_Trans.csv").read_bytes())
    lines = (source / "Tiny_Patterns.txt").read_text(encoding="utf-8").splitlines()
    # the fan-out block split in two attempts: its first payment, then the other two
    split = [*lines[:2], lines[4], "", lines[0], *lines[2:]]
    (tmp_path / "Two_Patterns.txt").write_text("\n".join(split) + "\n", encoding="utf-8")
    whole = _all(list(AmlworldReader().read(trans)))
    instances = {label["party_id"]: label["instance"] for label in whole.party_labels}
    assert instances["80011F990"] == "fan-out/1" and instances["8001A0C30"] == "fan-out/2"
    assert instances["800737690"] == "fan-out/1"  # its first payment is in the first block


def test_amlworld_patterns_file_errors_name_the_line(fixtures: Path, tmp_path: Path) -> None:
    source = fixtures / "transactions" / "amlworld" / "Tiny_Trans.csv"
    trans = tmp_path / "Bad_Trans.csv"
    trans.write_bytes(source.read_bytes())
    (tmp_path / "Bad_Patterns.txt").write_text("2022/09/01 00:06,021174,800737690\n")
    with pytest.raises(DataError, match=r"Bad_Patterns.txt, line 1: a transaction outside"):
        list(AmlworldReader().read(trans))


def test_a_bank_export_through_a_mapping(fixtures: Path) -> None:
    folder = fixtures / "transactions" / "bank"
    reader = TableReader(ColumnMapping.load(folder / "bank-x.toml"))
    whole = _all(list(reader.read(folder / "export.csv")))
    assert [t["tx_id"] for t in whole.transactions] == [
        "DE-2026-000101",
        "DE-2026-000102",
        "DE-2026-000105",
    ]
    first = whole.transactions[0]
    assert first["amount"] == 1250.0 and first["currency"] == "EUR"
    assert first["timestamp"] == datetime(2026, 5, 2, tzinfo=UTC)
    assert first["payer_name"] == "Müller Handels GmbH" and first["payer_country"] == "DE"
    assert first["channel"] == "wire" and first["source_type"] == "SEPA-Überweisung"
    assert whole.transactions[1]["channel"] == "cash"
    assert whole.transactions[2]["channel"] == "remittance"
    # the export names no customers: each account is its holder's party, named as on the row
    accounts = {a["account_id"]: a for a in whole.accounts}
    assert accounts["TR330006100519786457841326"]["country"] == "TR"
    assert first["beneficiary_party"] == "TR330006100519786457841326"
    parties = {p["party_id"]: p["name"] for p in whole.parties}
    assert parties["TR330006100519786457841326"] == "Gaziantep Petrol Ticaret"
    assert len(parties) == 4
    assert [(r.location, r.problem) for r in whole.rejects] == [
        ("line 4", "amount 'zwei' is not a number"),
        ("line 5", "has 9 fields, the header has 10"),
    ]


def test_a_bad_mapping_lists_every_problem(tmp_path: Path) -> None:
    mapping = tmp_path / "bad.toml"
    mapping.write_text(
        '[transactions]\nbeneficary_name = "X"\n[channels]\n"ATM" = "teleport"\n'
        '[file]\nquote = "\'"\n[extras]\n',
        encoding="utf-8",
    )
    with pytest.raises(ConfigError) as caught:
        ColumnMapping.load(mapping)
    message = str(caught.value)
    assert "beneficary_name: not a canonical column" in message
    assert "'ATM' = 'teleport'" in message
    assert "[file] quote: unknown option" in message and "unknown section [extras]" in message


def test_a_mapping_that_does_not_fit_the_file_says_so(fixtures: Path, tmp_path: Path) -> None:
    mapping = tmp_path / "m.toml"
    mapping.write_text(
        '[file]\ndelimiter = ";"\nencoding = "cp1252"\n'
        '[transactions]\ntx_id = "Ref"\ntimestamp = "Buchungsdatum"\n',
        encoding="utf-8",
    )
    reader = TableReader(ColumnMapping.load(mapping))
    with pytest.raises(DataError) as caught:
        list(reader.read(fixtures / "transactions" / "bank" / "export.csv"))
    assert "the column 'Ref' (for tx_id) is not in the file" in str(caught.value)
    assert "nothing feeds the required column(s) amount, currency, channel" in str(caught.value)


@pytest.mark.parametrize(
    ("amlsim", "ours"),
    [
        ("fan_in", "layering-fan-in"),
        ("CYCLE", "layering-cycle"),
        ("cycles", "layering-cycle"),  # metadata.txt: "patterns: 200 cycles"
        ("scatter_gather", "layering-scatter-gather"),
        ("random", "random"),
    ],
)
def test_amlsim_typologies_are_named_as_the_scenarios_name_them(amlsim: str, ours: str) -> None:
    assert typology_name(amlsim) == ours
