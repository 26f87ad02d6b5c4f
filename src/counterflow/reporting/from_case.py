"""A goAML report from an approved case: the case's frozen evidence as :mod:`goaml`'s inputs.

:func:`report_from_case` reads only what the case froze (never the workspace as it is now):

- the **reporting person** is the reviewer who approved the ``report`` decision, the user name
  split at its first space, dot or underscore into first and last name (a one-word name fills
  both, as goAML requires both); occupation and e-mail come from the profile's
  ``[reporting_person]``;
- the **reason** is the proposal's reason; the **action** is the approval's comment, else a
  fixed text naming the case and the reviewer;
- every frozen **transaction**, oldest first, with its two sides from the frozen party records:
  a ``person`` party as a person, any other kind (company, npo, bank) as an organisation, held
  in an account when the row carries the account number and its bank's SWIFT/BIC; the side's
  country is the row's. A cash row with one side empty (a deposit or a withdrawal at the
  counter) has the other side's holder on both sides: the customer paid in or took out the cash;
- **amounts**: a row in the profile's currency is reported as it is; a row in another currency
  is reported in that currency with its amount in the local currency only when the row carries
  it, i.e. its ``base_amount`` (in the workspace's base currency, USD unless imported with
  another) and the profile's currency is that base currency. Otherwise the transaction is
  listed as a problem: no rate is looked up or guessed;
- the **indicators** are the profile's codes for the typologies of the case's alerts.

What cannot be mapped is listed at once, in one :class:`~counterflow.errors.DataError`, naming
each transaction by the id the case shows; the goAML layer then lists what the report itself
lacks, in the same terms.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any

from counterflow.errors import ConflictError, DataError
from counterflow.reporting.goaml import Account, Entity, Party, Person, Report, Side, Transaction
from counterflow.reporting.profile import FiuProfile, ReportingPerson

if TYPE_CHECKING:  # the case store (SQLAlchemy) is not loaded to write a report
    from counterflow.cases.lifecycle import CaseView
    from counterflow.workspace import Workspace

#: the action reported when the approval carries no comment
ACTION = "Case {case} approved for reporting to the FIU by {reviewer} (four-eyes review)."

_NAME_SPLIT = re.compile(r"[\s._]+")


def split_name(name: str) -> tuple[str, str]:
    """A user or party name as (first name, last name): split at the first space, dot or
    underscore; a one-word name fills both."""
    parts = [p for p in _NAME_SPLIT.split(name.strip()) if p]
    if not parts:
        return "", ""
    if len(parts) == 1:
        return parts[0], parts[0]
    return parts[0], " ".join(parts[1:])


def base_currency(workspace: Workspace, view: CaseView) -> tuple[str, str | None]:
    """The currency of the case's frozen rows' ``base_amount``: their dataset's base currency
    in the workspace (read-only; a workspace that does not exist is not created), with None;
    or USD (the default) with a note saying so, when a dataset is no longer there or the
    workspace cannot be read. A case without transactions: USD, no note."""
    import duckdb

    from counterflow.errors import CounterflowError
    from counterflow.transactions.store import find_dataset

    datasets = sorted({e.dataset for e in view.evidence if e.kind == "transaction" and e.dataset})
    if not datasets:
        return "USD", None
    try:
        with workspace.connect(read_only=True) as conn:
            found = [find_dataset(conn, d) for d in datasets]
    except (CounterflowError, duckdb.Error):  # no workspace, or one locked by a writer
        found = []
    bases = {f.base_currency for f in found if f is not None}
    if len(bases) == 1 and len(found) == len(datasets) and None not in found:
        return bases.pop(), None
    return "USD", (
        f"The base currency of {', '.join(datasets)} is not in the workspace: taken as USD."
    )


def report_from_case(
    view: CaseView,
    profile: FiuProfile,
    *,
    base_currency: str = "USD",
    submission_date: datetime | None = None,
) -> Report:
    """The goAML :class:`Report` of ``view``'s case, whose ``report`` decision must have been
    approved (else :class:`ConflictError`). ``base_currency`` is the currency of the frozen
    rows' ``base_amount``."""
    case = view.case
    if case.decision != "report" or case.status not in ("approved", "reported"):
        decided = f", decision {case.decision}" if case.decision else ""
        raise ConflictError(
            f"case {case.id} is {case.status}{decided}: a goAML report is written once a "
            "'report' decision is approved"
        )
    assert case.approved_by is not None
    reviewer = case.approved_by
    first, last = split_name(reviewer)
    defaults = profile.reporting_person
    person = ReportingPerson(
        first,
        last,
        occupation=defaults.occupation if defaults else None,
        email=defaults.email if defaults else None,
    )
    comment = _approval_comment(view)
    parties: dict[str, Mapping[str, Any]] = {}
    rows: list[Mapping[str, Any]] = []
    typologies: list[str] = []
    for item in view.evidence:
        data = item.data
        if item.kind == "party":
            parties[f"{item.dataset}/{data.get('party_id')}"] = data
        elif item.kind == "transaction":
            rows.append({**data, "_dataset": item.dataset})
        elif item.kind == "alert" and data.get("typology"):
            typologies.append(str(data["typology"]))
    problems: list[str] = []
    transactions = []
    for row in sorted(rows, key=lambda r: (str(r.get("timestamp") or ""), str(r.get("tx_id")))):
        tx = _transaction(row, parties, profile, base_currency, problems)
        if tx is not None:
            transactions.append(tx)
    if problems:
        raise DataError(
            f"case {case.id} cannot be reported in goAML ({len(problems)} problem(s)):\n"
            + "\n".join(f"- {p}" for p in problems)
        )
    return Report(
        reference=case.id,
        reason=case.reason or "",
        action=comment or ACTION.format(case=case.id, reviewer=reviewer),
        transactions=transactions,
        typologies=list(dict.fromkeys(typologies)),
        reporting_person=person,
        submission_date=submission_date,
    )


def _approval_comment(view: CaseView) -> str | None:
    for event in reversed(view.events):
        if event.kind == "approved":
            note = event.payload.get("comment")
            return str(note) if note else None
    return None


def _decimal(value: Any) -> Decimal | None:
    if value is None or isinstance(value, bool):
        return None
    try:
        amount = Decimal(str(value))
    except InvalidOperation:
        return None
    return amount if amount.is_finite() else None


def _when(value: Any) -> datetime | date | None:
    if not value:
        return None
    try:
        return datetime.fromisoformat(str(value))
    except ValueError:
        return None


def _transaction(
    row: Mapping[str, Any],
    parties: Mapping[str, Mapping[str, Any]],
    profile: FiuProfile,
    base_currency: str,
    problems: list[str],
) -> Transaction | None:
    tx_id = str(row.get("tx_id") or "")
    where = f"transaction {tx_id}"
    count = len(problems)
    when = _when(row.get("timestamp"))
    if when is None:
        problems.append(f"{where}: the timestamp {row.get('timestamp')!r} is not a date")
    currency = str(row.get("currency") or "")
    amount = _decimal(row.get("amount"))
    base = _decimal(row.get("base_amount"))
    local: Decimal | None
    foreign: Decimal | None = None
    if amount is None:
        problems.append(f"{where}: the amount {row.get('amount')!r} is not a number")
        local = None
    elif currency == profile.currency:
        local = amount
    elif base is not None and base_currency == profile.currency:
        local, foreign = base, amount
    else:
        local = None
        problems.append(
            f"{where}: the amount is in {currency or 'no currency'} and the case holds no "
            f"amount in the local currency {profile.currency} (the rows' base amounts are in "
            f"{base_currency})"
        )
    channel = str(row.get("channel") or "")
    dataset = row.get("_dataset")
    payer = _side(row, "payer", dataset, parties)
    beneficiary = _side(row, "beneficiary", dataset, parties)
    if channel == "cash":
        if payer is None and beneficiary is not None:
            payer = Side(_holder(beneficiary.party), beneficiary.country)
        elif beneficiary is None and payer is not None:
            beneficiary = Side(_holder(payer.party), payer.country)
    for who, side in (("payer", payer), ("beneficiary", beneficiary)):
        if side is None:
            name = row.get(f"{who}_name")
            problems.append(
                f"{where}: the {who} "
                + (
                    f"{name!r} has no party record in the case and no account"
                    if name
                    else "is unknown (no party, name or account in the row)"
                )
            )
    if len(problems) > count or local is None or payer is None or beneficiary is None:
        return None
    description = next(
        (
            str(row[k])
            for k in ("remittance_text", "goods_description", "purpose_code")
            if row.get(k)
        ),
        "",
    )
    return Transaction(
        id=tx_id,
        date=when,
        amount_local=local,
        currency=currency,
        channel=channel,
        payer=payer,
        beneficiary=beneficiary,
        amount=foreign,
        description=description,
        location=str(row.get("location") or ""),
    )


def _holder(party: Party) -> Party:
    if isinstance(party, Account) and party.holder is not None:
        return party.holder
    return party


def _side(
    row: Mapping[str, Any],
    who: str,
    dataset: Any,
    parties: Mapping[str, Mapping[str, Any]],
) -> Side | None:
    record = (
        parties.get(f"{dataset}/{row.get(f'{who}_party')}") if row.get(f"{who}_party") else None
    )
    country = row.get(f"{who}_country") or (record or {}).get("country") or None
    holder: Person | Entity | None = None
    if record is not None:
        holder = _party(record, row.get(f"{who}_name"))
    account, bank = row.get(f"{who}_account"), row.get(f"{who}_bank")
    party: Party | None = holder
    if account and bank:
        party = Account(str(account), str(bank), swift=str(bank), holder=holder)
    if party is None:
        return None
    return Side(party, str(country) if country else None)


def _party(record: Mapping[str, Any], row_name: Any) -> Person | Entity:
    name = str(record.get("name") or row_name or "")
    country = record.get("country") or None
    if record.get("kind") == "person":
        first, last = split_name(name) if " " in name.strip() else ("", name)
        born = record.get("born")
        return Person(
            first,
            last,
            birth_date=date.fromisoformat(str(born)) if born else None,
            residence=str(country) if country else None,
        )
    return Entity(
        name,
        country=str(country) if country else None,
        business=str(record["sector"]) if record.get("sector") else None,
    )
