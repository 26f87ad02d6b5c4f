"""ISO 20022 pacs.008: hand-written messages of versions .02, .08 and .10, envelopes, bad
transactions and bad files, read through pyiso20022's bindings."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from counterflow.errors import DataError
from counterflow.transactions.formats import messages
from counterflow.transactions.formats.base import Batch, Reject, Row
from counterflow.transactions.formats.iso20022 import Pacs008Reader, bindings
from counterflow.transactions.registry import reader_for
from counterflow.transactions.schema import ACCOUNTS, PARTIES, TRANSACTIONS

READER = Pacs008Reader()


@pytest.fixture
def pacs(fixtures: Path) -> Path:
    return fixtures / "transactions/pacs008"


def read(path: Path) -> tuple[list[Row], list[Row], list[Row], list[Reject]]:
    batches = list(READER.read(path))
    return (
        [t for b in batches for t in b.transactions],
        [p for b in batches for p in b.parties],
        [a for b in batches for a in b.accounts],
        [r for b in batches for r in b.rejects],
    )


def by_id(rows: list[Row], key: str) -> dict[str, Row]:
    return {row[key]: row for row in rows}


def write(tmp_path: Path, text: str, name: str = "message.xml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def document(version: str, transactions: str, header: str = "") -> str:
    return (
        f'<Document xmlns="urn:iso:std:iso:20022:tech:xsd:{version}"><FIToFICstmrCdtTrf>'
        "<GrpHdr><MsgId>M-1</MsgId><CreDtTm>2024-07-01T10:00:00Z</CreDtTm><NbOfTxs>1</NbOfTxs>"
        f"{header}<SttlmInf><SttlmMtd>INDA</SttlmMtd></SttlmInf></GrpHdr>"
        f"{transactions}</FIToFICstmrCdtTrf></Document>"
    )


def transaction(tx_id: str, amount: str = "100.00", extra: str = "") -> str:
    return (
        f"<CdtTrfTxInf><PmtId><EndToEndId>NOTPROVIDED</EndToEndId><TxId>{tx_id}</TxId></PmtId>"
        f'<IntrBkSttlmAmt Ccy="EUR">{amount}</IntrBkSttlmAmt><ChrgBr>SHAR</ChrgBr>'
        "<Dbtr><Nm>Payer</Nm></Dbtr><DbtrAcct><Id><IBAN>BE68539007547034</IBAN></Id></DbtrAcct>"
        "<DbtrAgt><FinInstnId><BICFI>GEBABEBB</BICFI></FinInstnId></DbtrAgt>"
        "<CdtrAgt><FinInstnId><BICFI>CBJOJOAX</BICFI></FinInstnId></CdtrAgt>"
        f"<Cdtr><Nm>Payee</Nm></Cdtr>{extra}</CdtTrfTxInf>"
    )


# --------------------------------------------------------------------------- version .08


def test_v08_charity_transfer_with_arabic_beneficiary(pacs: Path) -> None:
    txs, _, _, rejects = read(pacs / "v08_two_transactions.xml")
    assert rejects == []
    assert [t["tx_id"] for t in txs] == ["8a562c67-ca16-48ba-b074-65581be6f011", "NLHU-T-88121"]
    tx = txs[0]
    assert tx["timestamp"] == datetime(2024, 5, 17, tzinfo=UTC)
    assert (tx["amount"], tx["currency"]) == (12500.0, "EUR")
    assert (tx["payer_name"], tx["payer_country"]) == ("Stichting Hulp voor Syrië", "NL")
    assert tx["payer_account"] == tx["payer_party"] == "NL08HULP0417164300"
    assert tx["payer_bank"] == "NLHUNL2A"
    assert tx["beneficiary_name"] == "جمعية الأمل الخيرية"
    assert tx["beneficiary_country"] == "TR"
    assert tx["beneficiary_account"] == "TR330006100519786457841326"
    assert tx["beneficiary_bank"] == "GAZITRISXXX"
    assert tx["purpose_code"] == "CHAR"
    assert tx["remittance_text"] == (
        "Zakat al-Fitr collection, Utrecht mosque / orphan sponsorship Idlib"
    )
    assert (tx["channel"], tx["source_type"], tx["location"]) == ("wire", "pacs.008.001.08", None)
    assert set(tx) == set(TRANSACTIONS.names)


def test_v08_second_transaction_falls_back(pacs: Path) -> None:
    """No UETR: the TxId; no settlement date: the creation time in UTC; a creditor agent
    without BIC: its clearing member id; a proprietary purpose; a structured reference."""
    tx = read(pacs / "v08_two_transactions.xml")[0][1]
    assert tx["tx_id"] == "NLHU-T-88121"
    assert tx["timestamp"] == datetime(2024, 5, 17, 7, 14, 27, tzinfo=UTC)
    assert (tx["amount"], tx["currency"]) == (3000.0, "USD")
    assert (tx["payer_name"], tx["payer_country"], tx["payer_bank"]) == (
        "Ahmad Karimi",
        "DE",
        "BERLDEFFXXX",
    )
    assert tx["beneficiary_name"] == "عبد الله محمد الحسن"
    assert tx["beneficiary_country"] == "LB"  # from CtryOfRes: the creditor has no address
    assert tx["beneficiary_account"] == "0057-448120-01"
    assert tx["beneficiary_bank"] == "LB0057"
    assert tx["purpose_code"] == "FAMILY SUPPORT"
    assert tx["remittance_text"] == "FAM-2024-05"


def test_v08_parties_and_accounts(pacs: Path) -> None:
    _, parties, accounts, _ = read(pacs / "v08_two_transactions.xml")
    party = by_id(parties, "party_id")
    assert set(party) == {
        "NL08HULP0417164300",
        "TR330006100519786457841326",
        "DE89370400440532013000",
        "0057-448120-01",
    }
    assert party["NL08HULP0417164300"] == {
        "party_id": "NL08HULP0417164300",
        "name": "Stichting Hulp voor Syrië",
        "kind": "company",  # Dbtr/Id/OrgId
        "country": "NL",
        "city": "Utrecht",
        "born": None,
        "sector": None,
    }
    karimi = party["DE89370400440532013000"]
    assert (karimi["kind"], karimi["born"], karimi["city"]) == (
        "person",
        date(1988, 3, 14),
        "Berlin",
    )
    assert party["TR330006100519786457841326"]["kind"] is None
    assert all(set(p) == set(PARTIES.names) for p in parties)
    account = by_id(accounts, "account_id")
    assert account["TR330006100519786457841326"] == {
        "account_id": "TR330006100519786457841326",
        "party_id": "TR330006100519786457841326",
        "bank": "GAZITRISXXX",
        "country": "TR",
        "opened": None,
    }
    assert account["0057-448120-01"]["country"] is None  # not an IBAN
    assert account["0057-448120-01"]["bank"] == "LB0057"
    assert all(set(a) == set(ACCOUNTS.names) for a in accounts)


# --------------------------------------------------------------------------- other versions


def test_v02_reads_bic_not_bicfi(pacs: Path) -> None:
    txs, parties, accounts, rejects = read(pacs / "v02_bic.xml")
    assert rejects == []
    (tx,) = txs
    assert tx["tx_id"] == "BEKA-0007-1-TX"  # no UETR before .08
    assert tx["timestamp"] == datetime(2014, 3, 24, tzinfo=UTC)  # the group header's date
    assert (tx["amount"], tx["currency"]) == (8750.5, "GBP")
    assert (tx["payer_bank"], tx["beneficiary_bank"]) == ("NWBKGB2L", "CBJOJOAX")
    assert (tx["payer_name"], tx["beneficiary_name"]) == (
        "Al-Furat Trading Company Ltd",
        "Hamza Yusuf Qasim",
    )
    assert (tx["payer_country"], tx["beneficiary_country"]) == ("GB", "JO")
    assert tx["purpose_code"] == "GDDS"
    assert tx["remittance_text"] == "Cement, 40 t, invoice 2014/311"
    assert tx["source_type"] == "pacs.008.001.02"
    assert by_id(parties, "party_id")["GB29NWBK60161331926819"]["kind"] == "company"
    assert by_id(accounts, "account_id")["JO94CBJO0010000000000131000302"]["country"] == "JO"


def test_v10_with_application_header_in_an_envelope(pacs: Path) -> None:
    txs, _, accounts, rejects = read(pacs / "v10_apphdr_envelope.xml")
    assert rejects == []
    (tx,) = txs
    assert tx["tx_id"] == "e3b4c1a2-7d5f-4c89-9a0e-2f61d8b7c345"
    assert tx["timestamp"] == datetime(2025, 2, 3, tzinfo=UTC)
    assert (tx["amount"], tx["currency"]) == (245000.0, "USD")
    assert tx["payer_name"] == "Nahrain Petroleum Logistics LLC"
    assert tx["payer_country"] == "IQ"  # CtryOfRes: the address has only lines
    assert (tx["payer_bank"], tx["beneficiary_bank"]) == ("NBIQIQBAXXX", "DXBTAEADXXX")
    assert (tx["beneficiary_name"], tx["beneficiary_country"]) == (
        "Golden Crescent General Trading FZE",
        "AE",
    )
    assert tx["purpose_code"] == "TRAD"
    assert tx["remittance_text"] == "Crude oil, 1200 bbl, contract NPL-CO-2025-019"
    assert tx["source_type"] == "pacs.008.001.10"
    assert {a["account_id"]: a["country"] for a in accounts} == {
        "IQ98NBIQ850123456789012": "IQ",
        "AE070331234567890123456": "AE",
    }


@pytest.mark.parametrize("number", range(2, 14))
def test_every_version_pyiso20022_ships(pacs: Path, tmp_path: Path, number: int) -> None:
    """The .08 fixture under each version's namespace: the elements all versions share read
    the same; UETR exists from .08, BICFI from .03."""
    version = f"pacs.008.001.{number:02d}"
    text = (pacs / "v08_two_transactions.xml").read_text(encoding="utf-8")
    txs, _, _, rejects = read(write(tmp_path, text.replace("pacs.008.001.08", version)))
    assert rejects == []
    assert [(t["amount"], t["currency"], t["source_type"]) for t in txs] == [
        (12500.0, "EUR", version),
        (3000.0, "USD", version),
    ]
    uetr = "8a562c67-ca16-48ba-b074-65581be6f011"
    assert txs[0]["tx_id"] == (uetr if number >= 8 else "NLHU-T-88120")
    assert txs[0]["payer_bank"] == ("NLHUNL2A" if number >= 3 else None)
    assert txs[0]["beneficiary_name"] == "جمعية الأمل الخيرية"
    assert txs[1]["remittance_text"] == "FAM-2024-05"


@pytest.mark.parametrize("version", ["pacs.008.001.01", "pacs.008.001.99"])
def test_unsupported_version(tmp_path: Path, version: str) -> None:
    assert bindings(version) is None
    path = write(tmp_path, document(version, transaction("T-1")))
    with pytest.raises(DataError, match=rf"{version} is not a supported version") as caught:
        list(READER.read(path))
    assert str(path) in str(caught.value)
    assert "pacs.008.001.02 to .13" in str(caught.value)


# --------------------------------------------------------------------------- rejects


def test_one_bad_amount_among_good_transactions(pacs: Path) -> None:
    txs, _, _, rejects = read(pacs / "v08_bad_amount.xml")
    assert [t["tx_id"] for t in txs] == ["FRPA-0001", "E2E-FRPA-0003"]
    assert [t["amount"] for t in txs] == [450.0, 1200.0]
    assert all(t["timestamp"] == datetime(2024, 9, 3, tzinfo=UTC) for t in txs)
    (reject,) = rejects
    assert reject.location == "message 1, transaction 2"
    assert reject.problem == "IntrBkSttlmAmt 'abc' is not a number"
    assert "PmtId/TxId=FRPA-0002" in reject.raw
    assert "IntrBkSttlmAmt=abc @Ccy=EUR" in reject.raw


AMOUNT = '<IntrBkSttlmAmt Ccy="EUR">5</IntrBkSttlmAmt>'


@pytest.mark.parametrize(
    ("elements", "problem"),
    [
        (
            '<IntrBkSttlmAmt Ccy="EU1">5</IntrBkSttlmAmt>',
            "IntrBkSttlmAmt Ccy: currency 'EU1' is not an ISO 4217 code",
        ),
        ("<IntrBkSttlmAmt>5</IntrBkSttlmAmt>", "IntrBkSttlmAmt Ccy: currency is empty"),
        (
            '<IntrBkSttlmAmt Ccy="EUR">-5</IntrBkSttlmAmt>',
            "IntrBkSttlmAmt -5.0 must be a finite number of zero or more",
        ),
        ("", "IntrBkSttlmAmt is missing (and so is InstdAmt)"),
        (
            AMOUNT + "<IntrBkSttlmDt>2024-13-45</IntrBkSttlmDt>",
            "IntrBkSttlmDt '2024-13-45' is not a date",
        ),
        (
            AMOUNT + "<Dbtr><Nm>X</Nm><PstlAdr><Ctry>QQ</Ctry></PstlAdr></Dbtr>",
            "Dbtr/PstlAdr/Ctry 'QQ' is not a known country",
        ),
        (
            AMOUNT + "<Cdtr><Id><PrvtId><DtAndPlcOfBirth><BirthDt>1990-02-30</BirthDt>"
            "</DtAndPlcOfBirth></PrvtId></Id></Cdtr>",
            "Cdtr/Id/PrvtId/DtAndPlcOfBirth/BirthDt '1990-02-30' is not a date",
        ),
    ],
)
def test_problems_name_the_element(tmp_path: Path, elements: str, problem: str) -> None:
    body = f"<CdtTrfTxInf><PmtId><TxId>T-9</TxId></PmtId>{elements}</CdtTrfTxInf>"
    path = write(tmp_path, document("pacs.008.001.08", transaction("T-1") + body))
    txs, _, _, rejects = read(path)
    assert [t["tx_id"] for t in txs] == ["T-1"]
    (reject,) = rejects
    assert reject.location == "message 1, transaction 2"
    assert reject.problem.startswith(problem)


def test_instructed_amount_is_the_fallback(tmp_path: Path) -> None:
    body = (
        "<CdtTrfTxInf><PmtId><EndToEndId>E2E-7</EndToEndId></PmtId>"
        '<InstdAmt Ccy="chf">70.25</InstdAmt></CdtTrfTxInf>'
    )
    txs, parties, _, rejects = read(write(tmp_path, document("pacs.008.001.08", body)))
    assert rejects == []
    (tx,) = txs
    assert (tx["tx_id"], tx["amount"], tx["currency"]) == ("E2E-7", 70.25, "CHF")
    assert tx["timestamp"] == datetime(2024, 7, 1, 10, tzinfo=UTC)
    assert (tx["payer_party"], tx["payer_name"], tx["payer_bank"]) == (None, None, None)
    assert parties == []  # no account, no party


def test_schema_mandatory_elements_the_tool_does_not_need(tmp_path: Path) -> None:
    """No ChrgBr, no agents, no debtor: still a transaction (the schema would refuse it)."""
    body = (
        "<CdtTrfTxInf><PmtId><TxId>T-2</TxId></PmtId>"
        '<IntrBkSttlmAmt Ccy="EUR">10</IntrBkSttlmAmt><UnknownElement>x</UnknownElement>'
        "</CdtTrfTxInf>"
    )
    txs, _, _, rejects = read(write(tmp_path, document("pacs.008.001.08", body)))
    assert rejects == []
    assert [t["tx_id"] for t in txs] == ["T-2"]


def test_transaction_without_any_id(tmp_path: Path) -> None:
    body = (
        "<CdtTrfTxInf><PmtId><EndToEndId>NOTPROVIDED</EndToEndId></PmtId>"
        '<IntrBkSttlmAmt Ccy="EUR">10</IntrBkSttlmAmt></CdtTrfTxInf>'
    )
    _, _, _, rejects = read(write(tmp_path, document("pacs.008.001.08", body)))
    assert [(r.location, r.problem) for r in rejects] == [
        ("message 1, transaction 1", "PmtId has no UETR, TxId or EndToEndId")
    ]


# --------------------------------------------------------------------------- files


def test_several_messages_in_one_file(tmp_path: Path) -> None:
    """Envelopes of any name; another message type between pacs.008 messages is one reject."""
    head = (
        '<AppHdr xmlns="urn:iso:std:iso:20022:tech:xsd:head.001.001.02">'
        "<MsgDefIdr>{}</MsgDefIdr></AppHdr>"
    )
    camt = (
        '<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.056.001.08">'
        "<FIToFIPmtCxlReq><Assgnmt><Id>C-1</Id></Assgnmt></FIToFIPmtCxlReq></Document>"
    )
    text = (
        '<?xml version="1.0"?><Batch xmlns="urn:bank:batch">'
        f"<Msg>{head.format('pacs.008.001.08')}"
        f"{document('pacs.008.001.08', transaction('A-1') + transaction('A-2'))}</Msg>"
        f"<Msg>{head.format('camt.056.001.08')}{camt}</Msg>"
        f"<Msg>{document('pacs.008.001.10', transaction('B-1') + transaction('B-2', 'x'))}</Msg>"
        "</Batch>"
    )
    txs, _, _, rejects = read(write(tmp_path, text))
    assert [(t["tx_id"], t["source_type"]) for t in txs] == [
        ("A-1", "pacs.008.001.08"),
        ("A-2", "pacs.008.001.08"),
        ("B-1", "pacs.008.001.10"),
    ]
    assert [(r.location, r.problem) for r in rejects] == [
        ("message 2", "camt.056.001.08 is not pacs.008"),
        ("message 3, transaction 2", "IntrBkSttlmAmt 'x' is not a number"),
    ]


def test_unqualified_document_named_by_its_header(tmp_path: Path) -> None:
    """Some systems strip namespaces; the AppHdr's MsgDefIdr still says the version."""
    body = document("pacs.008.001.08", transaction("U-1")).replace(
        ' xmlns="urn:iso:std:iso:20022:tech:xsd:pacs.008.001.08"', ""
    )
    text = f"<Envelope><AppHdr><MsgDefIdr>pacs.008.001.08</MsgDefIdr></AppHdr>{body}</Envelope>"
    path = write(tmp_path, text)
    assert Pacs008Reader.sniff(path, text)
    txs, _, _, rejects = read(path)
    assert rejects == []
    assert [(t["tx_id"], t["amount"], t["payer_bank"]) for t in txs] == [("U-1", 100.0, "GEBABEBB")]


def test_bare_message_element_without_document(tmp_path: Path) -> None:
    text = (
        document("pacs.008.001.09", transaction("N-1"))
        .replace("<Document ", "<FIToFICstmrCdtTrf ")
        .replace("<FIToFICstmrCdtTrf><GrpHdr>", "<GrpHdr>")
        .replace("</FIToFICstmrCdtTrf></Document>", "</FIToFICstmrCdtTrf>")
    )
    txs, _, _, rejects = read(write(tmp_path, text))
    assert rejects == []
    assert [(t["tx_id"], t["source_type"]) for t in txs] == [("N-1", "pacs.008.001.09")]


def test_batches_stay_small(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Each transaction adds up to five rows (itself, two parties, two accounts); a batch
    never passes BATCH_ROWS, and a party is emitted once per batch."""
    monkeypatch.setattr(messages, "BATCH_ROWS", 12)
    many = "".join(transaction(f"T-{i}") for i in range(1, 8))
    path = write(tmp_path, document("pacs.008.001.08", many))
    batches: list[Batch] = list(READER.read(path))
    assert all(len(b) <= 12 for b in batches)
    assert [t["tx_id"] for b in batches for t in b.transactions] == [f"T-{i}" for i in range(1, 8)]
    for batch in batches:
        assert [p["party_id"] for p in batch.parties] == ["BE68539007547034"]
        assert [a["account_id"] for a in batch.accounts] == ["BE68539007547034"]
    assert [len(b) for b in batches] == [8, 3]  # 8 + 5 would pass 12


def test_malformed_xml_names_file_and_line(pacs: Path) -> None:
    path = pacs / "malformed.xml"
    with pytest.raises(DataError) as caught:
        list(READER.read(path))
    assert caught.value.path == str(path)
    assert caught.value.location == "line 19, column 6"
    assert caught.value.problem.startswith("malformed XML")


def test_a_file_that_is_not_pacs008(pacs: Path) -> None:
    path = pacs / "not_pacs008.xml"
    assert not Pacs008Reader.sniff(path, path.read_text(encoding="utf-8"))
    with pytest.raises(DataError) as caught:
        list(READER.read(path))
    assert str(caught.value) == f"{path}: not a pacs.008 file: it holds pain.001.001.09"


def test_xml_without_iso_document(tmp_path: Path) -> None:
    path = write(tmp_path, "<transactions><tx id='1'/></transactions>")
    with pytest.raises(DataError, match=r"no ISO 20022 Document in it \(its root element"):
        list(READER.read(path))


def test_an_mt103_file_is_not_xml(fixtures: Path) -> None:
    path = fixtures / "transactions/mt103/three_messages.txt"
    with pytest.raises(DataError, match="malformed XML") as caught:
        list(READER.read(path))
    assert caught.value.path == str(path)


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(DataError, match="file not found"):
        list(READER.read(tmp_path / "absent.xml"))


@pytest.mark.parametrize(
    "declaration",
    [
        '<!DOCTYPE Document [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;">]>',
        '<!DOCTYPE Document [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>',
    ],
)
def test_entities_are_refused(tmp_path: Path, declaration: str) -> None:
    """No billion laughs, no XXE: entity declarations make the file unreadable."""
    entity = "&b;" if "ENTITY b" in declaration else "&xxe;"
    text = document("pacs.008.001.08", transaction("T-1", entity))
    path = write(tmp_path, f'<?xml version="1.0"?>{declaration}{text}')
    with pytest.raises(DataError, match="refused XML: EntitiesForbidden"):
        list(READER.read(path))


def test_sniff(pacs: Path, fixtures: Path) -> None:
    for name in ("v08_two_transactions.xml", "v02_bic.xml", "v10_apphdr_envelope.xml"):
        path = pacs / name
        assert Pacs008Reader.sniff(path, path.read_text(encoding="utf-8")[:8192]), name
    mt103 = fixtures / "transactions/mt103/three_messages.txt"
    assert not Pacs008Reader.sniff(mt103, mt103.read_text(encoding="utf-8"))
    assert not Pacs008Reader.sniff(pacs / "empty.xml", "")


def test_the_registry_finds_the_reader(pacs: Path) -> None:
    assert isinstance(reader_for(pacs / "v10_apphdr_envelope.xml"), Pacs008Reader)
    assert isinstance(reader_for(pacs / "v02_bic.xml", "pacs.008"), Pacs008Reader)
