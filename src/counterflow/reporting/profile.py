"""The FIU profile: what differs from one financial intelligence unit to another.

A goAML report is the same XML everywhere, but each FIU registers its reporting entities under
its own ids, publishes its own copy of the schema with its own code lists (funds types,
transmission modes, report indicators, contact types) and sets its own defaults (``STR``, or
``TFR`` where it has a terrorist-financing report). The profile is a small TOML file holding
exactly that; :func:`load_profile` reads it and lists every problem in it at once, in one
:class:`~counterflow.errors.ConfigError` naming the file and each key.

The codes are checked against the enumerations of the XSD the profile names, so a code the FIU's
schema does not know is refused when the profile is read, not when a report is filed.
``docs/reporting.md`` describes every key; ``docs/examples/fiu-generic.toml`` is a complete
example for the generic goAML 5.0.1 schema.
"""

from __future__ import annotations

import functools
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from counterflow.errors import ConfigError
from counterflow.io import read_toml

#: how money moved in counterflow's transactions (``counterflow.transactions.schema.CHANNELS``)
CHANNELS = ("wire", "cash", "card", "remittance", "crypto", "cheque")
#: the kinds of contact (address or phone) a report uses
CONTACT_KINDS = ("private", "business")
#: the kinds of phone line a report uses
PHONE_KINDS = ("landline", "mobile")

_CURRENCY = re.compile(r"[A-Z]{3}\Z")
_COUNTRY = re.compile(r"[A-Z]{2}\Z")
_XSD_NS = "http://www.w3.org/2001/XMLSchema"

#: the XSD simple type each coded profile key must belong to
_CODE_TYPES = {
    "submission_code": "submission_type",
    "report_code": "report_type",
    "currency": "currency_type",
    "location.country": "country_type",
    "codes.funds": "funds_type",
    "codes.transmode": "conduction_type",
    "codes.indicators": "report_indicator_type",
    "codes.contact_types": "contact_type",
    "codes.phone_types": "communication_type",
}


def known_typologies() -> tuple[str, ...]:
    """The typologies of the monitoring pack, the keys ``codes.indicators`` may use."""
    from counterflow.monitoring.pack import SCENARIOS

    return tuple(dict.fromkeys(s.typology for s in SCENARIOS))


@dataclass(frozen=True)
class ReportingPerson:
    """The person at the reporting entity who files the report (the approving reviewer)."""

    first_name: str
    last_name: str
    occupation: str | None = None
    email: str | None = None


@dataclass(frozen=True)
class Location:
    """The reporting entity's address: the report's ``location``."""

    address: str
    city: str
    country: str


@dataclass(frozen=True)
class FiuProfile:
    """One FIU's settings for goAML reports (see the module's documentation)."""

    #: the file it was read from (messages name it)
    path: Path
    rentity_id: int
    rentity_branch: str
    submission_code: str
    report_code: str
    #: the local currency, ISO 4217 (``currency_code_local``; amounts are reported in it)
    currency: str
    #: the FIU's published XSD, absolute
    xsd: Path
    location: Location
    reporting_person: ReportingPerson | None = None
    #: funds type code by payment channel (the ``from_funds_code`` / ``to_funds_code``)
    funds: Mapping[str, str] = field(default_factory=dict)
    #: transmission mode code by payment channel (``transmode_code``)
    transmode: Mapping[str, str] = field(default_factory=dict)
    #: report indicator codes by counterflow typology
    indicators: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    #: contact type code for ``private`` and ``business`` addresses and phones
    contact_types: Mapping[str, str] = field(default_factory=dict)
    #: communication type code for ``landline`` and ``mobile`` phones
    phone_types: Mapping[str, str] = field(default_factory=dict)


_TOP_KEYS = {
    "rentity_id",
    "rentity_branch",
    "submission_code",
    "report_code",
    "currency",
    "xsd",
    "location",
    "reporting_person",
    "codes",
}
_CODE_KEYS = {"funds", "transmode", "indicators", "contact_types", "phone_types"}


class _Problems:
    def __init__(self) -> None:
        self.items: list[str] = []

    def add(self, key: str, problem: str) -> None:
        self.items.append(f"{key}: {problem}")


def _text(data: Mapping[str, Any], key: str, label: str, problems: _Problems) -> str | None:
    value = data.get(key)
    if value is None:
        problems.add(label, "missing")
        return None
    if not isinstance(value, str) or not value.strip():
        problems.add(label, f"must be a non-empty text, not {value!r}")
        return None
    return value.strip()


def _optional_text(
    data: Mapping[str, Any], key: str, label: str, problems: _Problems
) -> str | None:
    if data.get(key) is None:
        return None
    return _text(data, key, label, problems)


def _table(data: Mapping[str, Any], key: str, problems: _Problems) -> Mapping[str, Any] | None:
    value = data.get(key)
    if value is None:
        return None
    if not isinstance(value, dict):
        problems.add(key, f"must be a table, not {value!r}")
        return None
    return value


def _unknown(data: Mapping[str, Any], allowed: set[str], prefix: str, problems: _Problems) -> None:
    for key in data:
        if key not in allowed:
            problems.add(f"{prefix}{key}", f"unknown key (known: {', '.join(sorted(allowed))})")


def _code_map(
    codes: Mapping[str, Any],
    name: str,
    keys: tuple[str, ...],
    problems: _Problems,
    *,
    require_all: bool,
) -> dict[str, str]:
    label = f"codes.{name}"
    table = codes.get(name)
    if table is None:
        problems.add(label, f"missing (a table with {', '.join(keys)})")
        return {}
    if not isinstance(table, dict):
        problems.add(label, f"must be a table, not {table!r}")
        return {}
    result: dict[str, str] = {}
    for key, value in table.items():
        if key not in keys:
            problems.add(f"{label}.{key}", f"unknown (known: {', '.join(keys)})")
        elif not isinstance(value, str) or not value:
            problems.add(f"{label}.{key}", f"must be a code (text), not {value!r}")
        else:
            result[key] = value
    if require_all:
        for key in keys:
            if key not in table:
                problems.add(f"{label}.{key}", "missing")
    return result


def _indicators(
    codes: Mapping[str, Any], problems: _Problems, typologies: tuple[str, ...]
) -> dict[str, tuple[str, ...]]:
    table = codes.get("indicators")
    if table is None:
        problems.add("codes.indicators", "missing (a table of indicator codes by typology)")
        return {}
    if not isinstance(table, dict):
        problems.add("codes.indicators", f"must be a table, not {table!r}")
        return {}
    result: dict[str, tuple[str, ...]] = {}
    for key, value in table.items():
        label = f"codes.indicators.{key}"
        if key not in typologies:
            problems.add(label, f"unknown typology (known: {', '.join(typologies)})")
            continue
        if isinstance(value, str):
            value = [value]
        if (
            not isinstance(value, list)
            or not value
            or not all(isinstance(v, str) and v for v in value)
        ):
            problems.add(label, f"must be a code or a list of codes, not {value!r}")
            continue
        result[key] = tuple(value)
    return result


@functools.lru_cache(maxsize=8)
def _enumerations_cached(path: str, mtime_ns: int, size: int) -> dict[str, frozenset[str]]:
    from lxml import etree

    parser = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False)
    tree = etree.parse(path, parser)
    result: dict[str, frozenset[str]] = {}
    for simple in tree.iterfind(f"{{{_XSD_NS}}}simpleType"):
        values = simple.xpath("xs:restriction/xs:enumeration/@value", namespaces={"xs": _XSD_NS})
        result[simple.get("name")] = frozenset(str(v) for v in values)
    return result


def xsd_enumerations(xsd: Path) -> dict[str, frozenset[str]]:
    """The enumerated values of each named simple type of the XSD (read once per file
    version)."""
    stat = xsd.stat()
    return _enumerations_cached(str(xsd), stat.st_mtime_ns, stat.st_size)


def _check_codes(
    xsd: Path, given: Mapping[str, list[tuple[str, str]]], problems: _Problems
) -> None:
    try:
        enums = xsd_enumerations(xsd)
    except Exception as exc:  # noqa: BLE001 - lxml raises its own parse errors and OSError
        problems.add("xsd", f"{xsd} is not a readable XML schema: {exc}")
        return
    for group, pairs in given.items():
        type_name = _CODE_TYPES[group]
        allowed = enums.get(type_name)
        if allowed is None:
            problems.add("xsd", f"{xsd} has no simple type {type_name}")
            continue
        for label, value in pairs:
            if value and value not in allowed:
                shown = ", ".join(sorted(allowed)) if len(allowed) <= 40 else "see the XSD"
                problems.add(label, f"{value!r} is not in the XSD's {type_name} ({shown})")


def parse_profile(data: Mapping[str, Any], path: Path) -> FiuProfile:
    """A profile from the parsed TOML ``data`` of the file ``path`` (relative XSD paths are
    relative to that file's folder); every problem is listed in one ConfigError."""
    problems = _Problems()
    _unknown(data, _TOP_KEYS, "", problems)

    rentity_id = data.get("rentity_id")
    if rentity_id is None:
        problems.add("rentity_id", "missing")
    elif not isinstance(rentity_id, int) or isinstance(rentity_id, bool) or rentity_id < 1:
        problems.add("rentity_id", f"must be a whole number of 1 or more, not {rentity_id!r}")
        rentity_id = None
    branch = _text(data, "rentity_branch", "rentity_branch", problems)
    if branch is not None and len(branch) > 255:
        problems.add("rentity_branch", "is longer than 255 characters")
    submission_code = _text(data, "submission_code", "submission_code", problems)
    report_code = (
        _text(data, "report_code", "report_code", problems) if "report_code" in data else "STR"
    )
    currency = _text(data, "currency", "currency", problems)
    if currency is not None and not _CURRENCY.match(currency):
        problems.add("currency", f"must be an ISO 4217 code like 'USD', not {currency!r}")
    xsd_text = _text(data, "xsd", "xsd", problems)
    xsd: Path | None = None
    if xsd_text is not None:
        xsd = Path(os.path.expanduser(xsd_text))
        if not xsd.is_absolute():
            xsd = path.parent / xsd
        xsd = xsd.resolve()
        if not xsd.is_file():
            problems.add("xsd", f"the FIU's XSD {xsd} does not exist")
            xsd = None

    location: Location | None = None
    loc = _table(data, "location", problems)
    if loc is None and "location" not in data:
        problems.add("location", "missing (a table with address, city, country)")
    elif loc is not None:
        _unknown(loc, {"address", "city", "country"}, "location.", problems)
        address = _text(loc, "address", "location.address", problems)
        city = _text(loc, "city", "location.city", problems)
        country = _text(loc, "country", "location.country", problems)
        if country is not None and not _COUNTRY.match(country):
            problems.add("location.country", f"must be an ISO 3166 code like 'FR', not {country!r}")
        if address and city and country:
            location = Location(address, city, country)

    person: ReportingPerson | None = None
    rp = _table(data, "reporting_person", problems)
    if rp is not None:
        _unknown(
            rp, {"first_name", "last_name", "occupation", "email"}, "reporting_person.", problems
        )
        first = _text(rp, "first_name", "reporting_person.first_name", problems)
        last = _text(rp, "last_name", "reporting_person.last_name", problems)
        occupation = _optional_text(rp, "occupation", "reporting_person.occupation", problems)
        email = _optional_text(rp, "email", "reporting_person.email", problems)
        if first and last:
            person = ReportingPerson(first, last, occupation, email)

    codes = _table(data, "codes", problems)
    funds: dict[str, str] = {}
    transmode: dict[str, str] = {}
    indicators: dict[str, tuple[str, ...]] = {}
    contact_types: dict[str, str] = {}
    phone_types: dict[str, str] = {}
    if codes is None and "codes" not in data:
        problems.add(
            "codes", "missing (tables funds, transmode, indicators, contact_types, phone_types)"
        )
    elif codes is not None:
        _unknown(codes, _CODE_KEYS, "codes.", problems)
        funds = _code_map(codes, "funds", CHANNELS, problems, require_all=False)
        transmode = _code_map(codes, "transmode", CHANNELS, problems, require_all=False)
        indicators = _indicators(codes, problems, known_typologies())
        contact_types = _code_map(codes, "contact_types", CONTACT_KINDS, problems, require_all=True)
        phone_types = _code_map(codes, "phone_types", PHONE_KINDS, problems, require_all=True)

    if xsd is not None:
        _check_codes(
            xsd,
            {
                "submission_code": [("submission_code", submission_code or "")],
                "report_code": [("report_code", report_code or "")],
                "currency": [
                    ("currency", currency if currency and _CURRENCY.match(currency) else "")
                ],
                "location.country": [("location.country", location.country if location else "")],
                "codes.funds": [(f"codes.funds.{k}", v) for k, v in funds.items()],
                "codes.transmode": [(f"codes.transmode.{k}", v) for k, v in transmode.items()],
                "codes.indicators": [
                    (f"codes.indicators.{k}", c) for k, cs in indicators.items() for c in cs
                ],
                "codes.contact_types": [
                    (f"codes.contact_types.{k}", v) for k, v in contact_types.items()
                ],
                "codes.phone_types": [
                    (f"codes.phone_types.{k}", v) for k, v in phone_types.items()
                ],
            },
            problems,
        )
    if problems.items:
        raise ConfigError(_message(path, problems))
    assert rentity_id is not None and branch is not None and submission_code is not None
    assert report_code is not None and currency is not None and xsd is not None
    assert location is not None
    return FiuProfile(
        path=path,
        rentity_id=rentity_id,
        rentity_branch=branch,
        submission_code=submission_code,
        report_code=report_code,
        currency=currency,
        xsd=xsd,
        location=location,
        reporting_person=person,
        funds=funds,
        transmode=transmode,
        indicators=indicators,
        contact_types=contact_types,
        phone_types=phone_types,
    )


def _message(path: Path, problems: _Problems) -> str:
    count = len(problems.items)
    head = f"{path}: the FIU profile has {count} problem{'s' if count > 1 else ''}"
    return head + ":\n" + "\n".join(f"  - {item}" for item in problems.items)


def load_profile(path: str | os.PathLike[str]) -> FiuProfile:
    """Read and check the FIU profile at ``path`` (TOML); a ConfigError lists every problem."""
    file = Path(path)
    data = read_toml(file, "FIU profile")
    return parse_profile(data, file)
