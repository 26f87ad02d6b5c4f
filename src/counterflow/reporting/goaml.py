"""goAML 5.0.1 reports: plain inputs in, checked and schema-valid XML out.

The inputs are small typed records (:class:`Report`, :class:`Transaction`, :class:`Side`,
:class:`Person`, :class:`Entity`, :class:`Account`) that know nothing of the case store; the
case → report wiring fills them. :func:`build_report` then

1. checks the input in the case's terms and lists **every** problem at once in one
   :class:`~counterflow.errors.DataError` ("transaction T-88: the beneficiary has no
   country"): missing names, countries, dates, amounts, codes the FIU profile lacks, text that
   XML cannot carry (control characters, lone surrogates);
2. writes the XML with lxml, elements in exactly the order of the schema's sequences (root
   ``report``, no namespace);
3. validates it against the FIU's XSD (named by the profile, compiled once and cached) and
   turns each schema error into a message naming the transaction and the side where it lies.

Nothing is returned, and :func:`write_report` writes nothing, unless all three pass.

**My client or not.** goAML has two forms of each side: ``t_from``/``t_to`` for a counterparty,
with only names required, and ``t_from_my_client``/``t_to_my_client`` for the reporting
entity's own customer, whose person record must carry the birth date, national id number,
nationality, residence, a phone and the occupation. A person marked ``my_client`` goes in the
heavy form when the data hold all of these, and in the light form otherwise: the light form
is still a valid and truthful report, while inventing the missing customer data is not an
option. :func:`my_client_gaps` says what a customer lacks, so an analyst can complete it.
Entities and accounts are always reported in the light form: their heavy forms also require
directors with roles, legal forms, account types, status codes and signatories that
counterflow's transaction data do not hold.
"""

from __future__ import annotations

import dataclasses
import functools
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from lxml import etree

from counterflow.errors import ConfigError, DataError
from counterflow.io import atomic_output
from counterflow.reporting.profile import FiuProfile, ReportingPerson

#: the earliest date goAML's ``sql_date`` accepts
EARLIEST = datetime(1753, 1, 1)
#: the bounds and precision of goAML's ``sql_decimal``
MAX_AMOUNT = Decimal("7900000000000000")
MAX_FRACTION_DIGITS = 13
#: longest free text in a ``comments_type`` element (reason, action, description)
MAX_COMMENT = 8000

_COUNTRY = re.compile(r"[A-Z]{2}\Z")
_CURRENCY = re.compile(r"[A-Z]{3}\Z")
#: characters XML 1.0 cannot carry: C0 controls but tab, newline and return; surrogates;
#: U+FFFE and U+FFFF
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
_RATE = Decimal("0.000001")


@dataclass(frozen=True)
class Phone:
    """A phone number: ``country_prefix`` without ``+`` or zeros ("33"), ``number`` the rest."""

    country_prefix: str
    number: str
    mobile: bool = False
    business: bool = False


@dataclass(frozen=True)
class Address:
    """A postal address; ``country`` is ISO 3166 alpha-2."""

    address: str
    city: str
    country: str
    business: bool = False


@dataclass(frozen=True)
class Person:
    """A natural person. ``my_client``: a customer of the reporting entity (see the module's
    documentation for when that gives the heavy ``*_my_client`` form)."""

    first_name: str
    last_name: str
    middle_name: str | None = None
    #: "F" or "M"
    gender: str | None = None
    birth_date: date | None = None
    #: the national identity (or social security) number, goAML's ``ssn``
    national_id: str | None = None
    #: ISO 3166 alpha-2 codes
    nationality: str | None = None
    residence: str | None = None
    phone: Phone | None = None
    address: Address | None = None
    email: str | None = None
    occupation: str | None = None
    my_client: bool = False


@dataclass(frozen=True)
class Entity:
    """A legal person: a company, charity or other organisation."""

    name: str
    #: the country of incorporation, ISO 3166 alpha-2
    country: str | None = None
    incorporation_number: str | None = None
    #: what it does, in words
    business: str | None = None
    phone: Phone | None = None
    address: Address | None = None


@dataclass(frozen=True)
class Account:
    """A bank or payment account: the institution (its name and SWIFT/BIC or its code), the
    number, and the holder when known."""

    account: str
    institution_name: str
    swift: str | None = None
    institution_code: str | None = None
    iban: str | None = None
    #: the account's currency, ISO 4217
    currency: str | None = None
    holder: Person | Entity | None = None


Party = Person | Entity | Account


@dataclass(frozen=True)
class Side:
    """One side of a transaction: who paid (the payer) or who received (the beneficiary), and
    the country the money left or reached (ISO 3166 alpha-2; when None, the person's
    residence, the entity's country or the account holder's)."""

    party: Party
    country: str | None = None


@dataclass(frozen=True)
class Transaction:
    """One transaction of the report. ``amount_local`` is in the profile's local currency;
    when ``currency`` is another, ``amount`` is the amount in that currency."""

    id: str
    date: date | datetime | None
    amount_local: Decimal
    currency: str
    #: how the money moved: wire, cash, card, remittance, crypto or cheque
    channel: str
    payer: Side
    beneficiary: Side
    amount: Decimal | None = None
    description: str = ""
    #: where it took place (a branch, a town), when known
    location: str = ""


@dataclass(frozen=True)
class Report:
    """A suspicious transaction report. ``reference`` is the case's id (goAML's
    ``entity_reference``); ``typologies`` are counterflow typologies (from the case's
    alerts), mapped to report indicators by the profile; ``indicators`` are further indicator
    codes given as they are."""

    reference: str
    reason: str
    action: str
    transactions: Sequence[Transaction]
    typologies: Sequence[str] = ()
    indicators: Sequence[str] = ()
    #: who files it; the profile's reporting person when None
    reporting_person: ReportingPerson | None = None
    #: when it is filed; now (UTC) when None
    submission_date: datetime | None = None
    #: the profile's report code (STR, TFR …) when None
    report_code: str | None = None


# --------------------------------------------------------------------------- checks


def my_client_gaps(person: Person) -> list[str]:
    """What ``person`` lacks for goAML's heavy ``*_my_client`` form (empty: it has it all)."""
    gaps = []
    if person.birth_date is None:
        gaps.append("birth date")
    if not person.national_id:
        gaps.append("national id number")
    if not person.nationality:
        gaps.append("nationality")
    if not person.residence:
        gaps.append("residence")
    if person.phone is None:
        gaps.append("phone")
    if not person.occupation:
        gaps.append("occupation")
    return gaps


def is_my_client(party: Party) -> bool:
    """Whether ``party`` goes in the heavy ``*_my_client`` form."""
    return isinstance(party, Person) and party.my_client and not my_client_gaps(party)


class _Problems:
    def __init__(self) -> None:
        self.items: list[str] = []

    def add(self, where: str, problem: str) -> None:
        self.items.append(f"{where}: {problem}" if where else problem)


def _blank(value: str | None) -> bool:
    return value is None or not str(value).strip()


def _scan_text(
    value: Any, label: str, where: str, problems: _Problems, skip: tuple[str, ...] = ()
) -> None:
    """Refuse text XML 1.0 cannot carry, naming the field and the character."""
    if isinstance(value, str):
        bad = _NOT_XML.search(value)
        if bad:
            problems.add(
                where,
                f"{label} holds a character XML cannot carry (U+{ord(bad.group()):04X}); remove it",
            )
    elif isinstance(value, list | tuple):
        for item in value:
            _scan_text(item, label, where, problems)
    elif dataclasses.is_dataclass(value) and not isinstance(value, type):
        for f in dataclasses.fields(value):
            if f.name in skip:
                continue
            name = f.name.replace("_", " ")
            _scan_text(getattr(value, f.name), f"{label}'s {name}", where, problems)


def _side_country(side: Side) -> str | None:
    if side.country:
        return side.country
    party = side.party
    if isinstance(party, Account):
        party = party.holder  # type: ignore[assignment]
    if isinstance(party, Person):
        return party.residence
    if isinstance(party, Entity):
        return party.country
    return None


def _check_country(value: str | None, what: str, where: str, problems: _Problems) -> None:
    if value is not None and not _COUNTRY.match(value):
        problems.add(where, f"{what} {value!r} is not an ISO 3166 code like 'FR'")


def _check_person(p: Person, who: str, where: str, problems: _Problems) -> None:
    if _blank(p.first_name):
        problems.add(where, f"{who} has no first name")
    if _blank(p.last_name):
        problems.add(where, f"{who} has no last name")
    if p.gender is not None and p.gender not in ("F", "M"):
        problems.add(where, f"{who}'s gender must be 'F' or 'M', not {p.gender!r}")
    if p.birth_date is not None and _as_datetime(p.birth_date) < EARLIEST:
        problems.add(where, f"{who}'s birth date {p.birth_date} is before 1753")
    _check_country(p.nationality, f"{who}'s nationality", where, problems)
    _check_country(p.residence, f"{who}'s residence", where, problems)
    if p.address is not None:
        _check_address(p.address, f"{who}'s address", where, problems)
    if p.phone is not None:
        _check_phone(p.phone, f"{who}'s phone", where, problems)


def _check_address(a: Address, what: str, where: str, problems: _Problems) -> None:
    for name in ("address", "city", "country"):
        if _blank(getattr(a, name)):
            problems.add(where, f"{what} has no {name}")
    _check_country(a.country or None, f"{what}'s country", where, problems)


def _check_phone(p: Phone, what: str, where: str, problems: _Problems) -> None:
    if _blank(p.country_prefix):
        problems.add(where, f"{what} has no country prefix")
    if _blank(p.number):
        problems.add(where, f"{what} has no number")


def _check_party(party: Party, who: str, where: str, problems: _Problems) -> None:
    if isinstance(party, Person):
        _check_person(party, f"{who} (a person)", where, problems)
    elif isinstance(party, Entity):
        what = f"{who} (an organisation)"
        if _blank(party.name):
            problems.add(where, f"{what} has no name")
        _check_country(party.country, f"{what}'s country", where, problems)
        if party.address is not None:
            _check_address(party.address, f"{what}'s address", where, problems)
        if party.phone is not None:
            _check_phone(party.phone, f"{what}'s phone", where, problems)
    elif isinstance(party, Account):
        what = f"{who} (an account)"
        if _blank(party.account):
            problems.add(where, f"{what} has no account number")
        if _blank(party.institution_name):
            problems.add(where, f"{what} has no institution name")
        if _blank(party.swift) and _blank(party.institution_code):
            problems.add(where, f"{what} has neither the institution's SWIFT/BIC nor its code")
        if party.currency is not None and not _CURRENCY.match(party.currency):
            problems.add(where, f"{what}'s currency {party.currency!r} is not an ISO 4217 code")
        if party.holder is not None:
            _check_party(party.holder, f"{who}'s account holder", where, problems)
    else:
        problems.add(where, f"{who} is neither a person, an organisation nor an account")


def _check_amount(value: object, what: str, where: str, problems: _Problems) -> None:
    if isinstance(value, bool) or not isinstance(value, Decimal | int):
        problems.add(where, f"{what} must be a decimal number, not {value!r}")
        return
    amount = Decimal(value)
    if not amount.is_finite():
        problems.add(where, f"{what} is not a number ({amount})")
    elif abs(amount) > MAX_AMOUNT:
        problems.add(where, f"{what} {amount} is beyond goAML's limit of {MAX_AMOUNT}")
    elif -amount.as_tuple().exponent > MAX_FRACTION_DIGITS:  # type: ignore[operator]
        problems.add(where, f"{what} {amount} has more than {MAX_FRACTION_DIGITS} decimals")


def _check(report: Report, profile: FiuProfile) -> list[str]:
    problems = _Problems()
    _scan_text(report, "the report", "", problems, skip=("transactions",))
    if _blank(report.reference):
        problems.add("", "the report has no reference (the case id)")
    elif len(report.reference) > 255:
        problems.add("", "the report's reference is longer than 255 characters")
    for name in ("reason", "action"):
        if len(getattr(report, name)) > MAX_COMMENT:
            problems.add("", f"the {name} is longer than {MAX_COMMENT} characters")
    if report.reporting_person is None and profile.reporting_person is None:
        problems.add(
            "", f"the report has no reporting person and the profile {profile.path} sets none"
        )
    if report.submission_date is not None and _as_datetime(report.submission_date) < EARLIEST:
        problems.add("", f"the submission date {report.submission_date} is before 1753")
    codes = _indicator_codes(report, profile, problems)
    if not codes:
        problems.add(
            "",
            "the report has no indicator: give the typologies of its alerts or indicator codes",
        )
    if not report.transactions:
        problems.add("", "the report has no transaction")
    seen: set[str] = set()
    for index, tx in enumerate(report.transactions, start=1):
        where = f"transaction {tx.id}" if not _blank(tx.id) else f"transaction #{index}"
        if _blank(tx.id):
            problems.add(where, "has no id")
        elif tx.id in seen:
            problems.add(where, "appears twice")
        elif len(tx.id) > 100:
            problems.add(where, "the id is longer than 100 characters")
        seen.add(tx.id)
        _scan_text(tx, "the transaction", where, problems, skip=("payer", "beneficiary"))
        if tx.date is None:
            problems.add(where, "has no date")
        elif not isinstance(tx.date, date):
            problems.add(where, f"the date must be a date, not {tx.date!r}")
        elif _as_datetime(tx.date) < EARLIEST:
            problems.add(where, f"the date {tx.date} is before 1753")
        _check_amount(tx.amount_local, f"the amount in {profile.currency}", where, problems)
        if not isinstance(tx.currency, str) or not _CURRENCY.match(tx.currency):
            problems.add(where, f"the currency {tx.currency!r} is not an ISO 4217 code")
        elif tx.currency != profile.currency:
            if tx.amount is None:
                problems.add(
                    where,
                    f"the amount in {tx.currency} is missing "
                    f"(the local currency is {profile.currency})",
                )
            else:
                _check_amount(tx.amount, f"the amount in {tx.currency}", where, problems)
                if isinstance(tx.amount, Decimal | int) and Decimal(tx.amount) == 0:
                    problems.add(where, f"the amount in {tx.currency} is zero")
        if tx.channel not in profile.transmode:
            problems.add(
                where,
                f"the profile {profile.path} has no transmission mode (codes.transmode) "
                f"for the channel {tx.channel!r}",
            )
        if tx.channel not in profile.funds:
            problems.add(
                where,
                f"the profile {profile.path} has no funds code (codes.funds) "
                f"for the channel {tx.channel!r}",
            )
        if len(tx.description) > MAX_COMMENT:
            problems.add(where, f"the description is longer than {MAX_COMMENT} characters")
        if len(tx.location) > 255:
            problems.add(where, "the location is longer than 255 characters")
        for who, side in (("the payer", tx.payer), ("the beneficiary", tx.beneficiary)):
            if not isinstance(side, Side):
                problems.add(where, f"{who} is missing")
                continue
            _scan_text(side.party, who, where, problems)
            _scan_text(side.country, f"{who}'s country", where, problems)
            _check_party(side.party, who, where, problems)
            country = _side_country(side)
            if _blank(country):
                problems.add(where, f"{who} has no country")
            else:
                _check_country(country, f"{who}'s country", where, problems)
    return problems.items


def _indicator_codes(report: Report, profile: FiuProfile, problems: _Problems) -> list[str]:
    codes: list[str] = []
    for typology in report.typologies:
        mapped = profile.indicators.get(typology)
        if mapped is None:
            problems.add(
                "",
                f"the typology {typology!r} has no report indicator in the profile "
                f"{profile.path} (codes.indicators)",
            )
            continue
        codes.extend(mapped)
    codes.extend(report.indicators)
    return list(dict.fromkeys(codes))


# --------------------------------------------------------------------------- writing


def _as_datetime(value: date | datetime) -> datetime:
    if isinstance(value, datetime):
        if value.tzinfo is not None:
            value = value.astimezone(UTC).replace(tzinfo=None)
        return value
    return datetime(value.year, value.month, value.day)


def format_date(value: date | datetime) -> str:
    """A goAML ``sql_date``: ``YYYY-MM-DDThh:mm:ss``, no time zone (aware times in UTC)."""
    return _as_datetime(value).replace(microsecond=0).isoformat()


def format_amount(value: Decimal | int) -> str:
    """A goAML ``sql_decimal``: plain decimal notation, never an exponent."""
    text = format(Decimal(value), "f")
    return "0" if text in ("-0", "0") else text


def _sub(parent: Any, tag: str, text: str | None = None) -> Any:
    child = etree.SubElement(parent, tag)
    if text is not None:
        child.text = text
    return child


def _opt(parent: Any, tag: str, text: str | None) -> None:
    if text is not None and text.strip():
        _sub(parent, tag, text.strip())


def _address(parent: Any, tag: str, a: Address, profile: FiuProfile) -> None:
    node = _sub(parent, tag)
    kind = "business" if a.business else "private"
    _sub(node, "address_type", profile.contact_types[kind])
    _sub(node, "address", a.address.strip())
    _sub(node, "city", a.city.strip())
    _sub(node, "country_code", a.country)


def _phones(parent: Any, phone: Phone, profile: FiuProfile) -> None:
    node = _sub(_sub(parent, "phones"), "phone")
    _sub(
        node, "tph_contact_type", profile.contact_types["business" if phone.business else "private"]
    )
    _sub(
        node,
        "tph_communication_type",
        profile.phone_types["mobile" if phone.mobile else "landline"],
    )
    _sub(node, "tph_country_prefix", phone.country_prefix.strip())
    _sub(node, "tph_number", phone.number.strip())


def _person(node: Any, p: Person, profile: FiuProfile) -> None:
    """The elements of ``t_person`` / ``t_person_my_client``, in the schema's order."""
    _opt(node, "gender", p.gender)
    _sub(node, "first_name", p.first_name.strip())
    _opt(node, "middle_name", p.middle_name)
    _sub(node, "last_name", p.last_name.strip())
    if p.birth_date is not None:
        _sub(node, "birthdate", format_date(p.birth_date))
    _opt(node, "ssn", p.national_id)
    _opt(node, "nationality1", p.nationality)
    _opt(node, "residence", p.residence)
    if p.phone is not None:
        _phones(node, p.phone, profile)
    if p.address is not None:
        _address(_sub(node, "addresses"), "address", p.address, profile)
    _opt(node, "email", p.email)
    _opt(node, "occupation", p.occupation)


def _entity(node: Any, e: Entity, profile: FiuProfile) -> None:
    """The elements of ``t_entity``, in the schema's order."""
    _sub(node, "name", e.name.strip())
    _opt(node, "incorporation_number", e.incorporation_number)
    _opt(node, "business", e.business)
    if e.phone is not None:
        _phones(node, e.phone, profile)
    if e.address is not None:
        _address(_sub(node, "addresses"), "address", e.address, profile)
    _opt(node, "incorporation_country_code", e.country)


def _account(node: Any, a: Account, profile: FiuProfile) -> None:
    """The elements of ``t_account``, in the schema's order."""
    _sub(node, "institution_name", a.institution_name.strip())
    if not _blank(a.institution_code):
        _sub(node, "institution_code", str(a.institution_code).strip())
    else:
        _sub(node, "swift", str(a.swift).strip())
    _sub(node, "account", a.account.strip())
    _opt(node, "currency_code", a.currency)
    holder = a.holder
    if holder is not None:
        name = (
            holder.name
            if isinstance(holder, Entity)
            else f"{holder.first_name.strip()} {holder.last_name.strip()}"
        )
        _sub(node, "account_name", name.strip())
    _opt(node, "iban", a.iban)
    if isinstance(holder, Entity):
        _entity(_sub(node, "t_entity"), holder, profile)
    elif isinstance(holder, Person):
        _person(_sub(_sub(node, "signatory"), "t_person"), holder, profile)


def _side(
    parent: Any,
    prefix: str,
    side: Side,
    tx: Transaction,
    profile: FiuProfile,
) -> None:
    mine = is_my_client(side.party)
    node = _sub(parent, f"t_{prefix}_my_client" if mine else f"t_{prefix}")
    _sub(node, f"{prefix}_funds_code", profile.funds[tx.channel])
    if prefix == "from" and tx.currency != profile.currency and tx.amount is not None:
        foreign = _sub(node, "from_foreign_currency")
        _sub(foreign, "foreign_currency_code", tx.currency)
        _sub(foreign, "foreign_amount", format_amount(tx.amount))
        rate = (Decimal(tx.amount_local) / Decimal(tx.amount)).quantize(_RATE)
        _sub(foreign, "foreign_exchange_rate", format_amount(rate))
    party = side.party
    if isinstance(party, Person):
        _person(_sub(node, f"{prefix}_person"), party, profile)
    elif isinstance(party, Entity):
        _entity(_sub(node, f"{prefix}_entity"), party, profile)
    else:
        _account(_sub(node, f"{prefix}_account"), party, profile)
    _sub(node, f"{prefix}_country", _side_country(side))


def _xml(report: Report, profile: FiuProfile, indicators: Iterable[str]) -> Any:
    root = etree.Element("report")
    _sub(root, "rentity_id", str(profile.rentity_id))
    _sub(root, "rentity_branch", profile.rentity_branch)
    _sub(root, "submission_code", profile.submission_code)
    _sub(root, "report_code", report.report_code or profile.report_code)
    _sub(root, "entity_reference", report.reference.strip())
    submitted = report.submission_date or datetime.now(UTC)
    _sub(root, "submission_date", format_date(submitted))
    _sub(root, "currency_code_local", profile.currency)
    person = report.reporting_person or profile.reporting_person
    assert person is not None  # checked before
    rp = _sub(root, "reporting_person")
    _sub(rp, "first_name", person.first_name)
    _sub(rp, "last_name", person.last_name)
    _opt(rp, "email", person.email)
    _opt(rp, "occupation", person.occupation)
    location = _sub(root, "location")
    _sub(location, "address_type", profile.contact_types["business"])
    _sub(location, "address", profile.location.address)
    _sub(location, "city", profile.location.city)
    _sub(location, "country_code", profile.location.country)
    _sub(root, "reason", report.reason)
    _sub(root, "action", report.action)
    for tx in report.transactions:
        node = _sub(root, "transaction")
        _sub(node, "transactionnumber", tx.id)
        _sub(node, "transaction_location", tx.location)
        _sub(node, "transaction_description", tx.description)
        assert tx.date is not None  # checked before
        _sub(node, "date_transaction", format_date(tx.date))
        _sub(node, "transmode_code", profile.transmode[tx.channel])
        _sub(node, "amount_local", format_amount(tx.amount_local))
        _side(node, "from", tx.payer, tx, profile)
        _side(node, "to", tx.beneficiary, tx, profile)
    codes = _sub(root, "report_indicators")
    for code in indicators:
        _sub(codes, "indicator", code)
    return root


# --------------------------------------------------------------------------- validation


@functools.lru_cache(maxsize=4)
def _schema_cached(path: str, mtime_ns: int, size: int) -> Any:
    parser = etree.XMLParser(resolve_entities=False, no_network=True)
    try:
        return etree.XMLSchema(etree.parse(path, parser))
    except (etree.XMLSchemaParseError, etree.XMLSyntaxError) as exc:
        raise ConfigError(f"{path}: the FIU's XSD does not compile: {exc}") from exc


def load_schema(xsd: Path) -> Any:
    """The compiled XSD (an ``lxml.etree.XMLSchema``), compiled once per file version."""
    try:
        stat = xsd.stat()
    except OSError as exc:
        raise ConfigError(f"{xsd}: cannot read the FIU's XSD: {exc.strerror}") from exc
    return _schema_cached(str(xsd), stat.st_mtime_ns, stat.st_size)


#: lxml spells out whole enumerations (250 countries); the case worker needs only the value
_SET = re.compile(r"is not an element of the set \{.*\}", re.DOTALL)
_TX_INDEX = re.compile(r"^/report/transaction(?:\[(\d+)\])?(/.*)?$")


def _schema_message(path: str, message: str, report: Report) -> str:
    """A schema error in the case's terms: the transaction and side it lies in."""
    match = _TX_INDEX.match(path or "")
    if not match:
        element = (path or "/report").removeprefix("/report/") or "report"
        return f"the report's {element}: {message}"
    index = int(match.group(1) or 1) - 1
    rest = (match.group(2) or "").lstrip("/")
    tx_id = report.transactions[index].id if 0 <= index < len(report.transactions) else "?"
    who = ""
    if rest.startswith("t_from"):
        who = "the payer: "
        rest = rest.split("/", 1)[1] if "/" in rest else rest
    elif rest.startswith("t_to"):
        who = "the beneficiary: "
        rest = rest.split("/", 1)[1] if "/" in rest else rest
    element = re.sub(r"\[\d+\]", "", rest) or "transaction"
    return f"transaction {tx_id}: {who}{element}: {message}"


def validate(xml: bytes, profile: FiuProfile, report: Report | None = None) -> list[str]:
    """The schema errors of ``xml`` against the profile's XSD, each naming the transaction and
    side where possible (empty: valid)."""
    schema = load_schema(profile.xsd)
    doc = etree.fromstring(xml, etree.XMLParser(resolve_entities=False, no_network=True))
    if schema.validate(doc):
        return []
    errors = []
    for entry in schema.error_log:
        message = re.sub(r"^Element '[^']*'(?:, attribute '[^']*')?: ", "", entry.message)
        message = _SET.sub("is not in the schema's list", message)
        if report is not None:
            errors.append(_schema_message(entry.path, message, report))
        else:
            errors.append(f"line {entry.line}: {entry.message}")
    return errors


def build_report(report: Report, profile: FiuProfile) -> bytes:
    """The goAML XML of ``report`` under ``profile``, checked and validated against the
    profile's XSD; a DataError lists every problem (input first, then schema) otherwise."""
    problems = _check(report, profile)
    if problems:
        raise ReportProblems(report, problems)
    indicators = _indicator_codes(report, profile, _Problems())
    try:
        root = _xml(report, profile, indicators)
    except ValueError as exc:  # lxml refuses text XML cannot carry; checked above
        raise DataError(f"report {report.reference}: {exc}") from exc
    xml: bytes = etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)
    errors = validate(xml, profile, report)
    if errors:
        raise ReportProblems(report, [f"{e} (against {profile.xsd.name})" for e in errors])
    return xml


class ReportProblems(DataError):
    """A report that cannot be made: every problem, in terms of the case (``problems``),
    under a ``headline``."""

    def __init__(self, report: Report, problems: list[str]) -> None:
        count = len(problems)
        self.headline = (
            f"the goAML report for {report.reference or 'the case'} cannot be made: "
            f"{count} problem{'s' if count > 1 else ''}"
        )
        self.problems = list(problems)
        super().__init__(self.headline + ":\n" + "\n".join(f"  - {p}" for p in problems))


def write_report(path: str | Path, report: Report, profile: FiuProfile) -> bytes:
    """Build ``report`` and write it to ``path`` atomically (readable by its owner only: a
    report must not tip anyone off); nothing is written when it cannot be built. Returns the
    XML written. ``-`` writes to standard output."""
    xml = build_report(report, profile)
    with atomic_output(path, "wb", private=True) as out:
        out.write(xml)
    return xml


__all__ = [
    "Account",
    "Address",
    "Entity",
    "Party",
    "Person",
    "Phone",
    "Report",
    "Side",
    "Transaction",
    "build_report",
    "format_amount",
    "format_date",
    "is_my_client",
    "load_schema",
    "my_client_gaps",
    "validate",
    "write_report",
]
