"""SWIFT MT103 in FIN format: hand-written messages (options K, F, A; input and output
messages), bad and truncated messages, and files that are not MT103."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from counterflow.errors import DataError
from counterflow.transactions.formats import messages
from counterflow.transactions.formats.base import Reject, Row
from counterflow.transactions.formats.mt103 import Mt103Reader, split_messages, swift_amount
from counterflow.transactions.registry import reader_for
from counterflow.transactions.schema import ACCOUNTS, PARTIES, TRANSACTIONS

READER = Mt103Reader()


@pytest.fixture
def mt103(fixtures: Path) -> Path:
    return fixtures / "transactions/mt103"


def read(path: Path) -> tuple[list[Row], list[Row], list[Row], list[Reject]]:
    batches = list(READER.read(path))
    return (
        [t for b in batches for t in b.transactions],
        [p for b in batches for p in b.parties],
        [a for b in batches for a in b.accounts],
        [r for b in batches for r in b.rejects],
    )


def write(tmp_path: Path, text: str, name: str = "messages.txt") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def message(body: str, headers: str = "{1:F01GEBABEBBAXXX0000000001}{2:I103CBJOJOAXXXXXN}") -> str:
    return f"{headers}{{4:\n{body.strip()}\n-}}"


GOOD = """
:20:REF-1
:23B:CRED
:32A:240701EUR100,00
:50K:/BE68539007547034
JAN PEETERS
:59:/JO94CBJO0010000000000131000302
HAMZA YUSUF QASIM
"""


# --------------------------------------------------------------------------- the fixture


def test_three_messages(mt103: Path) -> None:
    txs, _, _, rejects = read(mt103 / "three_messages.txt")
    assert rejects == []
    assert [t["tx_id"] for t in txs] == [
        "3f6e9a2c-1b47-4d58-8e0f-5a9c2d7b61e4",  # UETR from block 3
        "c0a8e1f4-92d3-4b6a-a7e5-1d2f3a4b5c6d",
        "MSK-240603-0091",  # no block 3: the sender's reference
    ]
    assert all(set(t) == set(TRANSACTIONS.names) for t in txs)
    assert all((t["channel"], t["source_type"]) == ("wire", "MT103") for t in txs)


def test_option_k_customers(mt103: Path) -> None:
    tx = read(mt103 / "three_messages.txt")[0][0]
    assert tx["timestamp"] == datetime(2024, 5, 17, tzinfo=UTC)
    assert (tx["amount"], tx["currency"]) == (4750.0, "EUR")
    assert (tx["payer_name"], tx["payer_account"], tx["payer_party"]) == (
        "KARIM HADDAD",
        "DE89370400440532013000",
        "DE89370400440532013000",
    )
    assert tx["payer_country"] == "DE"  # the IBAN's prefix
    assert tx["payer_bank"] == "BERLDEFFXXX"  # no :52A:: the sender in block 1
    assert (tx["beneficiary_name"], tx["beneficiary_country"]) == ("AYSE YILMAZ", "TR")
    assert tx["beneficiary_account"] == "TR330006100519786457841326"
    assert tx["beneficiary_bank"] == "GAZITRISXXX"  # :57A:
    assert tx["remittance_text"] == "SUPPORT FOR FAMILY, RENT MAY 2024 AND SCHOOL FEES"
    assert tx["purpose_code"] is None


def test_option_f_customers(mt103: Path) -> None:
    tx = read(mt103 / "three_messages.txt")[0][1]
    assert tx["timestamp"] == datetime(2024, 5, 21, tzinfo=UTC)
    assert (tx["amount"], tx["currency"]) == (18000.0, "USD")  # "18000," has no decimals
    assert (tx["payer_name"], tx["payer_country"], tx["payer_bank"]) == (
        "STICHTING HULP VOOR SYRIE",
        "NL",
        "NLHUNL2A",  # :52A:
    )
    assert (tx["beneficiary_name"], tx["beneficiary_country"], tx["beneficiary_bank"]) == (
        "JAMIYAT AL-AMAL AL-KHAYRIYA",
        "LB",
        "BEKALBBX",
    )
    assert tx["purpose_code"] == "CHR"  # :26T:
    assert tx["remittance_text"] == "/RFB/AMAL-2024-05 RAMADAN FOOD PARCELS BEKAA"  # not :72:


def test_output_message_and_transliterated_beneficiary(mt103: Path) -> None:
    """In an output message block 1 is the receiver and block 2 names the sender."""
    tx = read(mt103 / "three_messages.txt")[0][2]
    assert tx["timestamp"] == datetime(2024, 6, 3, tzinfo=UTC)
    assert (tx["amount"], tx["currency"]) == (2500.5, "USD")  # :32A:, not :33B:'s roubles
    assert (tx["payer_name"], tx["payer_country"]) == ("IVANOV SERGEI PETROVICH", "RU")
    assert tx["payer_account"] == "40817810099910004312"
    assert tx["payer_bank"] == "MOSCRUMMXXX"
    assert tx["beneficiary_name"] == "ABDULLAKH IBN MUKHAMMAD AL-KHASAN"
    assert tx["beneficiary_country"] == "LB"
    assert tx["beneficiary_bank"] == "BEKALBBXXXX"
    assert tx["remittance_text"] == "PODDERZHKA SEMI"  # :77B: is not remittance


def test_parties_and_accounts(mt103: Path) -> None:
    _, parties, accounts, _ = read(mt103 / "three_messages.txt")
    party = {p["party_id"]: p for p in parties}
    assert len(party) == len(parties) == 6
    assert party["40817810099910004312"] == {
        "party_id": "40817810099910004312",
        "name": "IVANOV SERGEI PETROVICH",
        "kind": "person",  # 50F 4/: a date of birth
        "country": "RU",
        "city": "MOSCOW",
        "born": date(1979, 2, 14),
        "sector": None,
    }
    assert (party["NL08HULP0417164300"]["city"], party["NL08HULP0417164300"]["kind"]) == (
        "UTRECHT",
        None,
    )
    assert party["TR330006100519786457841326"]["name"] == "AYSE YILMAZ"
    assert all(set(p) == set(PARTIES.names) for p in parties)
    account = {a["account_id"]: a for a in accounts}
    assert account["40817810099910004312"] == {
        "account_id": "40817810099910004312",
        "party_id": "40817810099910004312",
        "bank": "MOSCRUMMXXX",
        "country": None,  # not an IBAN
        "opened": None,
    }
    assert (account["LB220999000000001001901229114"]["country"],) == ("LB",)
    assert all(set(a) == set(ACCOUNTS.names) for a in accounts)


# --------------------------------------------------------------------------- rejects


def test_bad_amount(mt103: Path) -> None:
    txs, _, _, rejects = read(mt103 / "bad_amount.txt")
    assert [(t["tx_id"], t["amount"]) for t in txs] == [
        ("7d1e2f30-4a5b-4c6d-8e9f-0a1b2c3d4e5f", 450.0)
    ]
    (reject,) = rejects
    assert reject.location == "message 2 (line 15)"
    assert reject.problem == ":32A: amount '1O000,00' is not a number"
    assert reject.raw.startswith("{1:F01FRPAFRPPAXXX0000004412}{2:I103SWBKCHZZXXXXN}")
    assert ":32A:240520USD1O000,00" in reject.raw


def test_truncated_messages(mt103: Path) -> None:
    """One cut off before the next message starts, one at the end of the file."""
    txs, _, _, rejects = read(mt103 / "truncated.txt")
    assert [(t["tx_id"], t["amount"], t["timestamp"]) for t in txs] == [
        ("ATBK-0102", 1250.0, datetime(2024, 6, 11, tzinfo=UTC))
    ]
    assert [(r.location, r.problem) for r in rejects] == [
        ("message 1 (line 1)", "the text block {4: has no closing '-}': the message is cut off"),
        ("message 3 (line 22)", "the text block {4: has no closing '-}': the message is cut off"),
    ]
    assert ":20:ATBK-0101" in rejects[0].raw


@pytest.mark.parametrize(
    ("body", "problem"),
    [
        (GOOD.replace("240701EUR100,00", "241345EUR100,00"), ":32A: value date '241345' is not"),
        (GOOD.replace("240701EUR100,00", "240701EU1100,00"), ":32A: '240701EU1100,00' is not"),
        (GOOD.replace("EUR100,00", "EUR"), ":32A: amount is empty"),
        (GOOD.replace(":32A:240701EUR100,00\n", ""), ":32A: (value date, currency, amount) is"),
        (GOOD.replace(":20:REF-1\n", ""), "no UETR (block 3, tag 121) and no :20:"),
        (
            GOOD.replace(":50K:/BE68539007547034\nJAN PEETERS", ":50F:/BE68539007547034\n3/QQ/X"),
            ":50F: 3/ country 'QQ' is not a known country",
        ),
        (
            GOOD.replace(":50K:/BE68539007547034", ":50F:/BE68539007547034\n4/19801332"),
            ":50F: 4/ date of birth '19801332' is not a date",
        ),
        ("JUNK BEFORE FIELDS\n" + GOOD, "block 4 starts with 'JUNK BEFORE FIELDS'"),
    ],
)
def test_problems_name_the_field(tmp_path: Path, body: str, problem: str) -> None:
    path = write(tmp_path, message(GOOD) + "\n" + message(body))
    txs, _, _, rejects = read(path)
    assert [t["tx_id"] for t in txs] == ["REF-1"]
    (reject,) = rejects
    assert reject.location == "message 2 (line 10)"
    assert reject.problem.startswith(problem)


def test_another_message_type_among_mt103s(tmp_path: Path) -> None:
    mt202 = message(
        ":20:COV-1\n:21:REF-1\n:32A:240701EUR100,00\n:58A:CBJOJOAX",
        "{1:F01GEBABEBBAXXX0000000002}{2:I202CBJOJOAXXXXXN}",
    )
    txs, _, _, rejects = read(write(tmp_path, message(GOOD) + mt202))
    assert [t["tx_id"] for t in txs] == ["REF-1"]
    assert [(r.location, r.problem) for r in rejects] == [
        ("message 2 (line 9)", "an MT202, not an MT103")
    ]


# --------------------------------------------------------------------------- layout


def test_messages_without_headers_and_with_separators(tmp_path: Path) -> None:
    """Text blocks alone, separated by ``$`` and blank lines, are messages too."""
    text = "{4:\n" + GOOD.strip() + "\n-}\n$\n\n{4:\n" + GOOD.strip().replace("REF-1", "REF-2")
    txs, _, _, rejects = read(write(tmp_path, text + "\n-}\n"))
    assert rejects == []
    assert [(t["tx_id"], t["payer_bank"], t["beneficiary_bank"]) for t in txs] == [
        ("REF-1", None, None),
        ("REF-2", None, None),
    ]


def test_broken_header_block_stays_on_its_line(tmp_path: Path) -> None:
    broken = message(GOOD.replace("REF-1", "REF-2"), "{1:F01GEBABEBBAXXX0}{3:{121:abc}")
    txs, _, _, rejects = read(write(tmp_path, broken + "\n" + message(GOOD)))
    assert [t["tx_id"] for t in txs] == ["REF-1"]
    assert [(r.location, r.problem) for r in rejects] == [
        ("message 1 (line 1)", "block {3: has no closing '}'")
    ]


def test_option_a_customers_and_option_d_institutions(tmp_path: Path) -> None:
    body = """
:20:REF-A
:32A:240702GBP75000,
:50A:/GB29NWBK60161331926819
ALFUGB21
:52D:/123456
FURAT EXCHANGE HOUSE
LONDON
:57A://FW021000018
CITIUS33
:59A:/JO94CBJO0010000000000131000302
HAMZJOAX
"""
    txs, parties, _, rejects = read(write(tmp_path, message(body)))
    assert rejects == []
    (tx,) = txs
    assert (tx["payer_name"], tx["beneficiary_name"]) == (None, None)
    assert (tx["payer_country"], tx["beneficiary_country"]) == ("GB", "JO")
    assert (tx["payer_bank"], tx["beneficiary_bank"]) == ("FURAT EXCHANGE HOUSE", "CITIUS33")
    assert [p["kind"] for p in parties] == ["company", "company"]


def test_option_f_party_identifier_is_not_an_account(tmp_path: Path) -> None:
    body = GOOD.replace(
        ":50K:/BE68539007547034\nJAN PEETERS",
        ":50F:CCPT/SY/N0123456\n1/HASSAN\n1/AL-OMARI\n3/SY/HOMS",
    )
    txs, parties, _, _ = read(write(tmp_path, message(body)))
    (tx,) = txs
    assert (tx["payer_name"], tx["payer_country"], tx["payer_account"]) == (
        "HASSAN AL-OMARI",
        "SY",
        None,
    )
    assert [p["party_id"] for p in parties] == ["JO94CBJO0010000000000131000302"]


def test_swift_amounts() -> None:
    """FIN has a decimal comma and no thousands separator."""
    assert swift_amount("12500,00", "a") == 12500.0
    assert swift_amount("18000,", "a") == 18000.0
    assert swift_amount("1,234", "a") == 1.234  # three decimals (BHD, JOD, KWD …)
    assert swift_amount("0,5", "a") == 0.5


def test_split_keeps_line_numbers(mt103: Path) -> None:
    with open(mt103 / "three_messages.txt", encoding="utf-8") as lines:
        found = list(split_messages(lines))
    assert [(m.number, m.line, m.closed) for m in found] == [
        (1, 1, True),
        (2, 19, True),
        (3, 39, True),
    ]
    assert found[1].blocks["3"] == "{119:STP}{121:c0a8e1f4-92d3-4b6a-a7e5-1d2f3a4b5c6d}"
    assert found[2].blocks["5"] == "{CHK:9A8B7C6D5E4F}"


def test_batches_stay_small(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(messages, "BATCH_ROWS", 10)  # the shared batch builder's limit
    text = "".join(message(GOOD.replace("REF-1", f"REF-{i}")) for i in range(1, 6))
    batches = list(READER.read(write(tmp_path, text)))
    assert all(len(b) <= 10 for b in batches)
    assert [t["tx_id"] for b in batches for t in b.transactions] == [
        f"REF-{i}" for i in range(1, 6)
    ]
    assert [len(b) for b in batches] == [6, 6, 5]  # the first adds 5 rows, each next one 1


# --------------------------------------------------------------------------- files


def test_a_pacs008_file_is_not_mt103(fixtures: Path) -> None:
    path = fixtures / "transactions/pacs008/v08_two_transactions.xml"
    with pytest.raises(DataError) as caught:
        list(READER.read(path))
    assert caught.value.path == str(path)
    assert caught.value.problem.startswith("not an MT103 file: no SWIFT FIN message")


def test_a_file_of_other_message_types(tmp_path: Path) -> None:
    mt202 = message(":20:COV-1\n:32A:240701EUR100,00", "{1:F01GEBABEBBAXXX0}{2:I202CBJOJOAXXXXXN}")
    path = write(tmp_path, mt202)
    assert not Mt103Reader.sniff(path, mt202)
    with pytest.raises(DataError, match="not an MT103 file: it holds MT202") as caught:
        list(READER.read(path))
    assert str(path) in str(caught.value)


def test_not_utf8(tmp_path: Path) -> None:
    path = tmp_path / "latin1.txt"
    path.write_bytes(message(GOOD.replace("JAN PEETERS", "JAN PÉETERS")).encode("latin-1"))
    with pytest.raises(DataError, match=r"latin1\.txt, line \d+: not valid utf-8 text \(byte 0xc9"):
        list(READER.read(path))


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(DataError, match="file not found"):
        list(READER.read(tmp_path / "absent.txt"))


def test_sniff(mt103: Path, fixtures: Path) -> None:
    for name in ("three_messages.txt", "bad_amount.txt", "truncated.txt"):
        path = mt103 / name
        assert Mt103Reader.sniff(path, path.read_text(encoding="utf-8")[:8192]), name
    assert Mt103Reader.sniff(Path("x.txt"), "{4:\n:20:X\n:32A:240701EUR1,\n-}")
    pacs = fixtures / "transactions/pacs008/v08_two_transactions.xml"
    assert not Mt103Reader.sniff(pacs, pacs.read_text(encoding="utf-8"))
    assert not Mt103Reader.sniff(Path("x.txt"), "date,amount\n2024-01-01,5\n")


def test_the_registry_finds_the_reader(mt103: Path) -> None:
    assert isinstance(reader_for(mt103 / "three_messages.txt"), Mt103Reader)
    assert isinstance(reader_for(mt103 / "truncated.txt", "mt103"), Mt103Reader)
