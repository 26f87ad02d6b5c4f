"""Reporting to the FIU: goAML XML reports, written under an FIU profile.

- :mod:`counterflow.reporting.profile`: the FIU profile (TOML) — reporting entity, local
  currency, code lists, the FIU's XSD — read and checked by :func:`load_profile`;
- :mod:`counterflow.reporting.goaml`: the report's inputs and :func:`build_report` /
  :func:`write_report`, which check the input, write goAML 5.0.1 XML and validate it against the
  profile's XSD before anything is returned or written.

The goAML writer knows nothing of the case store;
:func:`report_from_case` (:mod:`counterflow.reporting.from_case`) fills its inputs from an
approved case's frozen evidence; see ``docs/reporting.md``. The printable
reports (channels, charts) are modules of their own in this package, imported by name.
"""

from counterflow.reporting.from_case import report_from_case, split_name
from counterflow.reporting.goaml import (
    Account,
    Address,
    Entity,
    Party,
    Person,
    Phone,
    Report,
    Side,
    Transaction,
    build_report,
    format_amount,
    format_date,
    is_my_client,
    load_schema,
    my_client_gaps,
    validate,
    write_report,
)
from counterflow.reporting.profile import (
    CHANNELS,
    FiuProfile,
    Location,
    ReportingPerson,
    known_typologies,
    load_profile,
    parse_profile,
)

__all__ = [
    "CHANNELS",
    "Account",
    "Address",
    "Entity",
    "FiuProfile",
    "Location",
    "Party",
    "Person",
    "Phone",
    "Report",
    "ReportingPerson",
    "Side",
    "Transaction",
    "build_report",
    "format_amount",
    "format_date",
    "is_my_client",
    "known_typologies",
    "load_profile",
    "load_schema",
    "my_client_gaps",
    "parse_profile",
    "report_from_case",
    "split_name",
    "validate",
    "write_report",
]
