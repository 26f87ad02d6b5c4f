"""Shared inputs for the goAML tests: profiles (one on the real 5.0.1 XSD, one offline) and
small builders of reports and transactions."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from counterflow.reporting import (
    CHANNELS,
    Account,
    Entity,
    FiuProfile,
    Location,
    Person,
    Report,
    ReportingPerson,
    Side,
    Transaction,
    known_typologies,
    load_profile,
)

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE_PROFILE = ROOT / "docs" / "examples" / "fiu-generic.toml"


def profile_toml(schema: Path, **overrides: str) -> str:
    """A complete profile's TOML text for the XSD ``schema``; ``overrides`` replace whole lines
    by key (``currency='currency = "usd"'``)."""
    lines = {
        "rentity_id": "rentity_id = 4711",
        "rentity_branch": 'rentity_branch = "Head office"',
        "submission_code": 'submission_code = "E"',
        "report_code": 'report_code = "STR"',
        "currency": 'currency = "USD"',
        "xsd": f"xsd = {str(schema)!r}",
    }
    lines.update(overrides)
    body = "\n".join(v for v in lines.values() if v)
    channels = "\n".join(f'{c} = "-"' for c in CHANNELS)
    indicators = "\n".join(f'{t} = "-"' for t in known_typologies())
    return f"""{body}

[location]
address = "1 Example Street"
city = "Example City"
country = "US"

[reporting_person]
first_name = "Rita"
last_name = "Reviewer"

[codes.funds]
{channels}

[codes.transmode]
{channels}

[codes.indicators]
{indicators}

[codes.contact_types]
private = "-"
business = "-"

[codes.phone_types]
landline = "-"
mobile = "-"
"""


@pytest.fixture
def xsd(shared_data: Path) -> Path:
    return shared_data / "goaml" / "goAMLSchema_5.0.1.xsd"


@pytest.fixture
def profile(xsd: Path, tmp_path: Path) -> FiuProfile:
    """A profile on the real goAML 5.0.1 XSD."""
    path = tmp_path / "fiu.toml"
    path.write_text(profile_toml(xsd), encoding="utf-8")
    return load_profile(path)


@pytest.fixture
def offline_profile(tmp_path: Path) -> FiuProfile:
    """A profile built directly, for the checks that come before validation (no XSD read)."""
    codes = {c: "-" for c in CHANNELS}
    return FiuProfile(
        path=tmp_path / "fiu.toml",
        rentity_id=4711,
        rentity_branch="Head office",
        submission_code="E",
        report_code="STR",
        currency="USD",
        xsd=tmp_path / "absent.xsd",
        location=Location("1 Example Street", "Example City", "US"),
        reporting_person=ReportingPerson("Rita", "Reviewer"),
        funds=dict(codes),
        transmode={c: "-" for c in CHANNELS if c != "crypto"},
        indicators={t: ("-",) for t in known_typologies()},
        contact_types={"private": "-", "business": "-"},
        phone_types={"landline": "-", "mobile": "-"},
    )


def tx(number: int | str = 1, **changes: Any) -> Transaction:
    """A light transaction from a person to an organisation, in the local currency."""
    values: dict[str, Any] = {
        "id": number if isinstance(number, str) else f"T-{number}",
        "date": datetime(2026, 3, 1, 14, 30, 5),
        "amount_local": Decimal("1250.50"),
        "currency": "USD",
        "channel": "wire",
        "payer": Side(Person("Ali", "Hassan"), "SY"),
        "beneficiary": Side(
            Account(
                "TR330006100519786457841326",
                "Border Bank",
                swift="BORDTRIS",
                holder=Entity("Front Trading LLC", country="TR"),
            )
        ),
        "description": "oil shipment",
    }
    values.update(changes)
    return Transaction(**values)


def report(transactions: list[Transaction] | None = None, **changes: Any) -> Report:
    values: dict[str, Any] = {
        "reference": "C-42",
        "reason": "Payments to a front of a listed group",
        "action": "Account frozen; relationship under review",
        "transactions": transactions if transactions is not None else [tx()],
        "typologies": ["listed-counterparty", "oil"],
        "submission_date": datetime(2026, 4, 2, 9, 0),
    }
    values.update(changes)
    return Report(**values)


def full_person(**changes: Any) -> Person:
    """A customer with everything the heavy *_my_client form requires."""
    from counterflow.reporting import Phone

    values: dict[str, Any] = {
        "first_name": "Amina",
        "last_name": "Haddad",
        "birth_date": date(1984, 5, 17),
        "national_id": "JO-99812",
        "nationality": "JO",
        "residence": "JO",
        "phone": Phone("962", "791234567", mobile=True),
        "occupation": "Trader",
        "my_client": True,
    }
    values.update(changes)
    return Person(**values)
