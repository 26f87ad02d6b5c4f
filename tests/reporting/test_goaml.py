"""goAML reports: valid against the real 5.0.1 XSD, in the schema's order, with every input
problem listed at once in the case's terms, and nothing written on failure."""

from __future__ import annotations

import os
import stat
import time
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path

import pytest
from lxml import etree

from counterflow.errors import DataError
from counterflow.reporting import (
    Account,
    Address,
    Entity,
    FiuProfile,
    Person,
    Side,
    build_report,
    format_amount,
    format_date,
    is_my_client,
    load_schema,
    my_client_gaps,
    write_report,
)

from .conftest import full_person, report, tx

REPORT_ORDER = [
    "rentity_id",
    "rentity_branch",
    "submission_code",
    "report_code",
    "entity_reference",
    "submission_date",
    "currency_code_local",
    "reporting_person",
    "location",
    "reason",
    "action",
    "transaction",
    "report_indicators",
]
TRANSACTION_ORDER = [
    "transactionnumber",
    "transaction_location",
    "transaction_description",
    "date_transaction",
    "transmode_code",
    "amount_local",
    "t_from",
    "t_to",
]


def parse(xml: bytes) -> etree._Element:
    return etree.fromstring(xml)


def tags(node: etree._Element) -> list[str]:
    return [child.tag for child in node]


def problems_of(caught: pytest.ExceptionInfo[DataError]) -> str:
    return str(caught.value)


# ------------------------------------------------------------------ valid reports


@pytest.mark.shared_data
def test_minimal_str_validates_against_the_real_xsd(profile: FiuProfile, xsd: Path) -> None:
    xml = build_report(report(), profile)
    assert xml.startswith(b"<?xml version='1.0' encoding='UTF-8'?>")
    root = parse(xml)
    assert root.tag == "report" and root.nsmap == {}
    # validated again here, independently of the library's own cache
    schema = etree.XMLSchema(etree.parse(str(xsd)))
    assert schema.validate(root), schema.error_log
    assert root.findtext("report_code") == "STR"
    assert root.findtext("rentity_id") == "4711"
    assert root.findtext("entity_reference") == "C-42"
    assert root.findtext("currency_code_local") == "USD"
    assert root.findtext("reporting_person/last_name") == "Reviewer"
    assert [i.text for i in root.iterfind("report_indicators/indicator")] == ["-"]


@pytest.mark.shared_data
def test_elements_follow_the_schemas_sequences(profile: FiuProfile) -> None:
    root = parse(build_report(report([tx(1), tx(2)]), profile))
    assert tags(root) == [*REPORT_ORDER[:-1], "transaction", "report_indicators"]
    first = root.find("transaction")
    assert tags(first) == TRANSACTION_ORDER
    assert tags(first.find("t_from")) == ["from_funds_code", "from_person", "from_country"]
    assert tags(first.find("t_to")) == ["to_funds_code", "to_account", "to_country"]
    assert tags(first.find("t_to/to_account")) == [
        "institution_name",
        "swift",
        "account",
        "account_name",
        "t_entity",
    ]
    assert [t.findtext("transactionnumber") for t in root.iterfind("transaction")] == [
        "T-1",
        "T-2",
    ]


@pytest.mark.shared_data
def test_amounts_and_dates_are_formatted_as_the_schema_wants(profile: FiuProfile) -> None:
    east = timezone(timedelta(hours=3))
    transactions = [
        tx(1, amount_local=Decimal("1E+3"), date=date(2026, 1, 5)),
        tx(
            2,
            amount_local=Decimal("0.0000000000001"),
            date=datetime(2026, 1, 5, 23, 30, tzinfo=east),
        ),
        tx(3, amount_local=Decimal("-12.50"), date=datetime(2026, 1, 5, 8, 0, 0, 999)),
    ]
    root = parse(build_report(report(transactions), profile))
    found = [
        (t.findtext("amount_local"), t.findtext("date_transaction"))
        for t in root.iterfind("transaction")
    ]
    assert found == [
        ("1000", "2026-01-05T00:00:00"),
        ("0.0000000000001", "2026-01-05T20:30:00"),
        ("-12.50", "2026-01-05T08:00:00"),
    ]
    assert root.findtext("submission_date") == "2026-04-02T09:00:00"


def test_format_helpers() -> None:
    assert format_amount(Decimal("1.5E+4")) == "15000"
    assert format_amount(Decimal("-0")) == "0"
    assert format_amount(7) == "7"
    assert format_date(date(1999, 12, 31)) == "1999-12-31T00:00:00"
    assert format_date(datetime(2026, 1, 1, 1, 0, tzinfo=UTC)) == "2026-01-01T01:00:00"


@pytest.mark.shared_data
def test_my_client_is_chosen_by_what_the_data_hold(profile: FiuProfile) -> None:
    complete = full_person()
    no_phone = full_person(phone=None, occupation=None)
    not_client = full_person(my_client=False)
    assert my_client_gaps(complete) == [] and is_my_client(complete)
    assert my_client_gaps(no_phone) == ["phone", "occupation"] and not is_my_client(no_phone)
    assert not is_my_client(not_client)
    transactions = [
        tx(1, payer=Side(complete), beneficiary=Side(no_phone)),
        tx(2, payer=Side(not_client), beneficiary=Side(complete, "JO")),
    ]
    root = parse(build_report(report(transactions), profile))
    first, second = root.iterfind("transaction")
    assert first.find("t_from_my_client") is not None and first.find("t_to") is not None
    assert second.find("t_from") is not None and second.find("t_to_my_client") is not None
    person = first.find("t_from_my_client/from_person")
    assert tags(person) == [
        "first_name",
        "last_name",
        "birthdate",
        "ssn",
        "nationality1",
        "residence",
        "phones",
        "occupation",
    ]
    assert first.findtext("t_from_my_client/from_country") == "JO"  # from the residence


@pytest.mark.shared_data
def test_foreign_currency_goes_with_the_payer(profile: FiuProfile) -> None:
    one = tx(1, currency="EUR", amount=Decimal("1000"), amount_local=Decimal("1085.20"))
    root = parse(build_report(report([one]), profile))
    foreign = root.find("transaction/t_from/from_foreign_currency")
    assert [(c.tag, c.text) for c in foreign] == [
        ("foreign_currency_code", "EUR"),
        ("foreign_amount", "1000"),
        ("foreign_exchange_rate", "1.085200"),
    ]


@pytest.mark.shared_data
def test_every_kind_of_party_validates(profile: FiuProfile) -> None:
    entity = Entity(
        "Al-Noor Charity",
        country="LB",
        incorporation_number="NPO-1",
        business="charity",
        address=Address("Rue 1", "Beirut", "LB", business=True),
    )
    person_account = Account(
        "12345",
        "Bank of Example",
        institution_code="0042",
        currency="USD",
        holder=Person("Omar", "Saleh", residence="IQ"),
    )
    transactions = [
        tx(1, payer=Side(entity), beneficiary=Side(person_account), channel="remittance"),
        tx(
            2,
            payer=Side(Account("9", "Exchange", swift="EXCHAEAD"), "AE"),
            beneficiary=Side(
                Person(
                    "Omar",
                    "Saleh",
                    middle_name="K",
                    gender="M",
                    address=Address("Street 2", "Mosul", "IQ"),
                ),
                "IQ",
            ),
            channel="cash",
        ),
    ]
    root = parse(build_report(report(transactions), profile))
    assert root.find("transaction/t_to/to_account/signatory/t_person/last_name").text == "Saleh"
    assert root.findtext("transaction/t_to/to_country") == "IQ"  # the holder's residence


# ------------------------------------------------------------------ problems in the case's terms


def test_missing_fields_are_listed_at_once_in_the_cases_terms(
    offline_profile: FiuProfile,
) -> None:
    transactions = [
        tx(88, beneficiary=Side(Person("Omar", "Saleh"))),  # no country at all
        tx(89, payer=Side(Person("", " "), "SY")),
        tx(90, beneficiary=Side(Entity(""), "TR")),
        tx(91, beneficiary=Side(Account("", "Bank"), "TR")),
        tx(92, date=None),
        tx(93, channel="crypto"),  # the offline profile has no transmode for crypto
        tx(94, currency="EUR"),  # no amount in EUR
        tx(95, amount_local=Decimal("NaN")),
        tx(96, payer=Side(Person("Ali", "Hassan"), "Syria")),
        tx(88),
        tx(97, date=date(1700, 1, 1)),
    ]
    with pytest.raises(DataError) as caught:
        build_report(report(transactions, typologies=["oil", "smuggling"]), offline_profile)
    message = problems_of(caught)
    expected = [
        "transaction T-88: the beneficiary has no country",
        "transaction T-89: the payer (a person) has no first name",
        "transaction T-89: the payer (a person) has no last name",
        "transaction T-90: the beneficiary (an organisation) has no name",
        "transaction T-91: the beneficiary (an account) has no account number",
        "transaction T-91: the beneficiary (an account) has neither the institution's "
        "SWIFT/BIC nor its code",
        "transaction T-92: has no date",
        "transaction T-93: the profile",
        "has no transmission mode (codes.transmode) for the channel 'crypto'",
        "transaction T-94: the amount in EUR is missing (the local currency is USD)",
        "transaction T-95: the amount in USD is not a number",
        "transaction T-96: the payer's country 'Syria' is not an ISO 3166 code",
        "transaction T-88: appears twice",
        "transaction T-97: the date 1700-01-01 is before 1753",
        "the typology 'smuggling' has no report indicator in the profile",
    ]
    for text in expected:
        assert text in message, text
    assert "C-42 cannot be made: 14 problems" in message


def test_report_level_problems(offline_profile: FiuProfile) -> None:
    bare = FiuProfile(**{**offline_profile.__dict__, "reporting_person": None})
    with pytest.raises(DataError) as caught:
        build_report(report([], reference="", typologies=[], reason="x" * 8001), bare)
    message = problems_of(caught)
    for text in (
        "the report has no reference (the case id)",
        "the reason is longer than 8000 characters",
        "the report has no reporting person and the profile",
        "the report has no indicator",
        "the report has no transaction",
    ):
        assert text in message, text


@pytest.mark.shared_data
def test_schema_errors_name_the_transaction_and_side(profile: FiuProfile) -> None:
    transactions = [
        tx(1),
        tx(2, beneficiary=Side(Person("Omar", "Saleh", nationality="XX"), "IQ")),
        tx(3, payer=Side(Person("A" * 300, "Hassan"), "SY")),
    ]
    with pytest.raises(DataError) as caught:
        build_report(report(transactions), profile)
    message = problems_of(caught)
    assert "transaction T-2: the beneficiary: to_person/nationality1:" in message
    assert "'XX' is not in the schema's list" in message
    assert "transaction T-3: the payer: from_person/first_name:" in message
    assert "T-1" not in message
    assert "goAMLSchema_5.0.1.xsd" in message


# ------------------------------------------------------------------ hostile text


@pytest.mark.shared_data
def test_markup_in_names_is_escaped_and_stays_valid(profile: FiuProfile) -> None:
    name = 'Front <b>&amp; "Sons"</b> & Co ]]> \u202e\U0001f600'
    one = tx(1, beneficiary=Side(Entity(name, country="TR")), description="a < b && c > d")
    xml = build_report(report([one]), profile)
    assert b"<b>" not in xml and b"&lt;b&gt;&amp;amp;" in xml
    root = parse(xml)
    assert root.findtext("transaction/t_to/to_entity/name") == name
    assert root.findtext("transaction/transaction_description") == "a < b && c > d"


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("Ali\x01", "U+0001"),
        ("Ali\ud800", "U+D800"),
        ("Ali\x1b[31m", "U+001B"),
        ("Ali\ufffe", "U+FFFE"),
    ],
)
def test_text_xml_cannot_carry_is_refused_naming_the_field(
    offline_profile: FiuProfile, text: str, code: str
) -> None:
    one = tx(7, payer=Side(Person(text, "Hassan"), "SY"))
    with pytest.raises(DataError) as caught:
        build_report(report([one], reason=f"see {text}"), offline_profile)
    message = problems_of(caught)
    assert (
        f"transaction T-7: the payer's first name holds a character XML cannot carry ({code})"
        in message
    )
    assert f"the report's reason holds a character XML cannot carry ({code})" in message


# ------------------------------------------------------------------ writing


@pytest.mark.shared_data
def test_write_report_is_atomic_and_private(profile: FiuProfile, tmp_path: Path) -> None:
    target = tmp_path / "str.xml"
    xml = write_report(target, report(), profile)
    assert target.read_bytes() == xml
    assert stat.S_IMODE(os.stat(target).st_mode) == 0o600
    with pytest.raises(DataError):
        write_report(target, report([tx(1, payer=Side(Person("", "X")))]), profile)
    assert target.read_bytes() == xml  # the earlier report stays whole
    assert sorted(p.name for p in tmp_path.iterdir()) == ["fiu.toml", "str.xml"]


def test_nothing_is_written_when_the_input_fails(
    offline_profile: FiuProfile, tmp_path: Path
) -> None:
    target = tmp_path / "str.xml"
    with pytest.raises(DataError):
        write_report(target, report([tx(1, date=None)]), offline_profile)
    assert list(tmp_path.iterdir()) == []


# ------------------------------------------------------------------ size


@pytest.mark.shared_data
def test_a_thousand_transactions_build_and_validate_quickly(profile: FiuProfile) -> None:
    load_schema(profile.xsd)  # compiled once, as in a running service
    transactions = [
        tx(i, payer=Side(full_person(national_id=f"ID-{i}")) if i % 3 == 0 else tx(i).payer)
        for i in range(1000)
    ]
    started = time.perf_counter()
    xml = build_report(report(transactions), profile)
    elapsed = time.perf_counter() - started
    assert len(parse(xml).findall("transaction")) == 1000
    assert elapsed < 3.0


@pytest.mark.shared_data
def test_the_schema_version_is_not_an_attribute_of_the_report(profile: FiuProfile) -> None:
    """``goaml:schemaVersion="5.0.1"`` marks the XSD itself; the 5.0.1 ``report`` element
    declares no attributes, so the writer leaves it off (this pins why)."""
    root = parse(build_report(report(), profile))
    assert root.attrib == {}
    root.set("{http://www.unodc.org/goaml}schemaVersion", "5.0.1")
    assert not load_schema(profile.xsd).validate(root)


@pytest.mark.shared_data
def test_report_code_and_reporting_person_can_be_set_per_report(profile: FiuProfile) -> None:
    from counterflow.reporting import ReportingPerson

    reviewer = ReportingPerson("Rami", "Khoury", occupation="Reviewer", email="rk@example.org")
    root = parse(build_report(report(report_code="TFR", reporting_person=reviewer), profile))
    assert root.findtext("report_code") == "TFR"
    assert tags(root.find("reporting_person")) == ["first_name", "last_name", "email", "occupation"]
    with pytest.raises(DataError) as caught:
        build_report(report(report_code="XYZ"), profile)
    assert "the report's report_code:" in problems_of(caught)
