"""SWIFT MT103 (single customer credit transfer) in FIN format: one transaction per message.

A file holds one or more messages, each a run of blocks::

    {1:F01BERLDEFFAXXX0000000001}{2:I103GAZITRISXXXXN}{3:{121:<UETR>}}{4:
    :20:BERL240517-A01
    :32A:240517EUR4750,00
    :50K:/DE89370400440532013000
    KARIM HADDAD
    …
    -}{5:{CHK:0F1E2D3C4B5A}}

Messages may follow each other on the same line or on the next, with or without separators
(``$``, blank lines). A new message starts where a block comes that cannot follow the one
before (a ``{1:`` after a ``{4:`` or ``{5:``), so messages without a basic header split too.
The file is read line by line and each message mapped as soon as it is complete: files of any
size stream. Messages are numbered from 1; a reject says ``message 2 (line 14)``, the line on
which that message starts.

Why a parser of our own: PyPI has no maintained MT parser (``mt103`` 1.1.1 dates from 2020
and reads only block 4), and the part of FIN this tool needs is small: the blocks, the
``:tag:`` fields of block 4 with their continuation lines, and the customer options below.

Mapping: ``tx_id`` is the UETR (block 3, tag 121), else the sender's reference ``:20:``; the
time is the value date of ``:32A:`` (midnight UTC), the amount and currency are ``:32A:``'s
(``:33B:``, the amount instructed before charges and conversion, is not the amount that
moved). Ordering customer ``:50A:``/``:50F:``/``:50K:`` and beneficiary ``:59:``/``:59A:``/
``:59F:`` give the payer and beneficiary: an account line (``/…``), the name (the first line
after it; option F's ``1/`` lines), the country (option F's ``3/CC/TOWN``, else the account's
IBAN prefix), and for option F a date of birth (``4/YYYYMMDD``, making it a person). The banks
are ``:52A:`` (or ``:52D:``'s name) and ``:57A:`` (or ``:57D:``'s), else the sender and the
receiver of the message (block 1 and block 2; an output message's sender is in block 2).
``:70:`` lines are the remittance text, ``:26T:`` the purpose code; ``:23B:``, ``:33B:``,
``:36:``, ``:71A:``, ``:71F:``, ``:72:`` (bank-to-bank information) and ``:77B:`` (regulatory
reporting) are not mapped.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from counterflow.errors import DataError
from counterflow.io import read_lines
from counterflow.transactions.formats.base import (
    RAW_LIMIT,
    Batch,
    Reject,
    Row,
    RowError,
    TransactionReader,
    clean_amount,
    clean_country,
    clean_currency,
    clean_date,
    clean_timestamp,
    text,
)
from counterflow.transactions.formats.messages import (
    BatchBuilder,
    Side,
    credit_transfer,
    iban_country,
)

#: the blocks of a FIN message, in the order they come
_ORDER = {"1": 1, "2": 2, "3": 3, "4": 4, "5": 5, "S": 6}
_BLOCK_START = re.compile(r"\{([0-9A-Z]{1,3}):")
_FIELD = re.compile(r"^:(\d{2}[A-Z]?):(.*)$")
_BASIC = re.compile(r"^F01([A-Z0-9]{12})")
_TYPE = re.compile(r"^[IO](\d{3})")
_INPUT = re.compile(r"^I(\d{3})([A-Z0-9]{12})")
_OUTPUT = re.compile(r"^O(\d{3})\d{4}\d{6}([A-Z0-9]{12})")
_USER_TAG = re.compile(r"\{(\d{3}):([^{}]*)\}")
_BIC = re.compile(r"^[A-Z]{6}[A-Z0-9]{2}([A-Z0-9]{3})?$")
_AMOUNT_32A = re.compile(r"^(\d{6})([A-Z]{3})(.*)$")
_SWIFT_AMOUNT = re.compile(r"^\d{1,14},\d*$")
_NUMBERED = re.compile(r"^([1-8])/(.*)$")
_SNIFF_TYPE = re.compile(r"\{2:[IO](\d{3})")
#: an MT103 holds at most 10,000 characters: far fewer lines than this
MAX_TEXT_LINES = 2_000
#: no line of a FIN file comes near this (a block 4 line holds at most 35 characters)
MAX_LINE_BYTES = 64 * 1024


@dataclass
class FinMessage:
    """One message as split from the file: its blocks, and block 4's lines with their numbers."""

    number: int
    line: int  # where it starts
    blocks: dict[str, str] = field(default_factory=dict)
    text: list[tuple[int, str]] | None = None  # block 4, None when the message has none
    closed: bool = False  # block 4 ended with "-}"
    problems: list[str] = field(default_factory=list)  # found while splitting

    @property
    def where(self) -> str:
        return f"message {self.number} (line {self.line})"

    def raw(self) -> str:
        """The message as text for the rejects file (cut to 1,000 characters)."""
        parts = [f"{{{k}:{v}}}" for k, v in self.blocks.items() if _ORDER.get(k, 9) < 4]
        if self.text is not None:
            body = "\n".join(line for _, line in self.text)
            parts.append(f"{{4:\n{body}\n{'-}' if self.closed else ''}")
        return "".join(parts)[:RAW_LIMIT]


def split_messages(lines: Iterable[str]) -> Iterator[FinMessage]:
    """The messages of a FIN file, one at a time.

    Block 4 is taken line by line up to the line starting ``-}``; a line starting ``{`` before
    it means the message was cut off there (FIN text has no braces), and the block is left
    unclosed. The other blocks may nest braces (``{3:{121:…}}``) and end on their line.
    """
    current: FinMessage | None = None
    count = 0
    last = 0  # the order of the last block started in the current message
    in_text = False
    block: str | None = None  # a block other than 4 being read
    depth = 0
    buffer: list[str] = []
    for number, line in enumerate(lines, start=1):
        line = line.rstrip("\r\n")
        start = 0
        if in_text:
            assert current is not None and current.text is not None
            stripped = line.lstrip()
            if stripped.startswith("-}"):
                current.closed, in_text = True, False
                start = len(line) - len(stripped) + 2
            elif stripped.startswith("{"):
                in_text = False  # cut off: what follows is another message
            elif len(current.text) < MAX_TEXT_LINES:
                current.text.append((number, line))
                continue
            else:  # no FIN message is this long: keep memory bounded until the next block
                if not current.problems:
                    current.problems.append(f"block 4 runs past {MAX_TEXT_LINES} lines")
                continue
        i = start
        while i < len(line):
            char = line[i]
            if block is not None:
                if char == "{":
                    depth += 1
                elif char == "}":
                    depth -= 1
                    if depth == 0:
                        assert current is not None
                        current.blocks[block] = "".join(buffer)
                        block, buffer = None, []
                        i += 1
                        continue
                buffer.append(char)
                i += 1
                continue
            opened = _BLOCK_START.match(line, i) if char == "{" else None
            if opened is None:
                i += 1  # separators between messages
                continue
            name = opened.group(1)
            order = _ORDER.get(name, 7)
            if current is None or order <= last:
                if current is not None:
                    yield current
                count += 1
                current = FinMessage(count, number)
            last = order
            i = opened.end()
            if name == "4":
                current.text = []
                rest = line[i:]
                if rest.strip():
                    current.text.append((number, rest))
                in_text = True
                break
            block, depth, buffer = name, 1, []
        if block is not None and current is not None:
            # header blocks are one line: an unclosed one ends there, not lines later
            current.blocks[block] = "".join(buffer)
            current.problems.append(f"block {{{block}: has no closing '}}'")
            block, buffer = None, []
    if current is not None:
        yield current


# --------------------------------------------------------------------------- the reader


class Mt103Reader(TransactionReader):
    format = "mt103"
    title = "SWIFT MT103 single customer credit transfer"
    suffixes = (".txt", ".mt103", ".fin")

    @classmethod
    def sniff(cls, path: Path, head: str) -> bool:
        types = set(_SNIFF_TYPE.findall(head))
        if types and "103" not in types:
            return False  # another MT (202, 940 …) with the same blocks
        return ("{1:F01" in head or "{4:" in head) and ":32A:" in head

    def read(self, path: Path) -> Iterator[Batch]:
        out = BatchBuilder()
        found = 0
        others: list[str] = []
        # FIN is ASCII: a file that is not UTF-8 is not FIN, and is refused naming its line
        lines = read_lines(path, encoding="utf-8", max_line=MAX_LINE_BYTES)
        for message in split_messages(lines):
            if out.full():
                yield out.take()
            kind = message_type(message)
            if kind is not None and kind != "103":
                others.append(f"MT{kind}")
                out.batch.rejects.append(
                    Reject(message.where, f"an MT{kind}, not an MT103", message.raw())
                )
                continue
            found += 1
            try:
                tx, parties, accounts = map_message(message)
            except RowError as exc:
                out.batch.rejects.append(Reject(message.where, exc.problem, message.raw()))
            else:
                out.add(tx, parties, accounts)
        if not found:
            if others:
                kinds = ", ".join(dict.fromkeys(others))
                raise DataError(f"not an MT103 file: it holds {kinds}", path=path)
            raise DataError(
                "not an MT103 file: no SWIFT FIN message ({1:…}{2:…}{4:…-}) in it", path=path
            )
        yield out.take()


def message_type(message: FinMessage) -> str | None:
    """``103`` from block 2 (input or output); None when the message has no application
    header."""
    found = _TYPE.match(message.blocks.get("2", "").strip())
    return found.group(1) if found else None


def _bic(address: str) -> str:
    """A BIC from a 12-character logical terminal address: BIC8, terminal letter, branch."""
    return address[:8] + address[9:12]


def parties_of(message: FinMessage) -> tuple[str | None, str | None]:
    """The sender's and the receiver's BIC, from blocks 1 and 2.

    In an input message (``I``) block 1 is the sender and block 2 names the receiver; in an
    output message (``O``) block 1 is the receiver and block 2's input reference names the
    sender.
    """
    basic = _BASIC.match(message.blocks.get("1", ""))
    own = _bic(basic.group(1)) if basic else None
    header = message.blocks.get("2", "")
    if found := _INPUT.match(header):
        return own, _bic(found.group(2))
    if found := _OUTPUT.match(header):
        return _bic(found.group(2)), own
    return own, None


def fields_of(message: FinMessage) -> dict[str, list[str]]:
    """Block 4's fields, tag to lines (continuation lines included); the first of a repeated
    tag wins."""
    found: dict[str, list[str]] = {}
    current: list[str] | None = None
    for _, line in message.text or []:
        tagged = _FIELD.match(line)
        if tagged:
            current = [tagged.group(2).rstrip()]
            found.setdefault(tagged.group(1), current)
        elif current is not None:
            current.append(line.rstrip())
        elif line.strip():
            raise RowError(f"block 4 starts with {line.strip()[:40]!r}, not a :tag: field")
    return {tag: [v for v in lines if v.strip()] for tag, lines in found.items()}


def swift_amount(raw: str, label: str) -> float:
    """A FIN amount (digits, a decimal comma: ``12500,00``, ``18000,``). ``1,234`` is one point
    two three four here, not a thousand: FIN has no thousands separator."""
    if _SWIFT_AMOUNT.match(raw):
        return clean_amount(raw.replace(",", ".").rstrip(".") or "0", label)
    return clean_amount(raw, label)


def _value(fields: dict[str, list[str]]) -> tuple[datetime, str, float]:
    lines = fields.get("32A")
    if not lines:
        raise RowError(":32A: (value date, currency, amount) is missing")
    found = _AMOUNT_32A.match(lines[0].strip())
    if not found:
        raise RowError(f":32A: {lines[0]!r} is not YYMMDD, a currency and an amount")
    day, currency, amount = found.groups()
    try:
        when = datetime.strptime(day, "%y%m%d").replace(tzinfo=UTC)
    except ValueError as exc:
        raise RowError(f":32A: value date {day!r} is not a date (YYMMDD)") from exc
    try:
        code = clean_currency(currency)
    except RowError as exc:
        raise RowError(f":32A: {exc.problem}") from exc
    return clean_timestamp(when, ":32A: value date"), code, swift_amount(amount, ":32A: amount")


def _option(fields: dict[str, list[str]], number: str) -> tuple[str, list[str]] | None:
    """The field ``number`` (50, 52, 57, 59) in whichever option the message uses."""
    for tag, lines in fields.items():
        if tag[:2] == number and lines:
            return tag, lines
    return None


def customer(fields: dict[str, list[str]], number: str, bank: str | None) -> Side:
    """An ordering customer (50) or a beneficiary (59) in option A, F, K or none."""
    found = _option(fields, number)
    if found is None:
        return Side(None, None, None, None, None, None, None, bank)
    tag, lines = found
    label = f":{tag}:"
    account = None
    if lines[0].startswith("/"):
        account = text(lines[0][1:], 200)
        lines = lines[1:]
    name = country = city = kind = None
    born = None
    if tag.endswith("F"):
        if account is None and lines and not _NUMBERED.match(lines[0]):
            lines = lines[1:]  # a party identifier (code/country/id), not an account
        numbered = [m.groups() for m in (_NUMBERED.match(line) for line in lines) if m]
        name = text(" ".join(v for n, v in numbered if n == "1"), 500)
        for n, value in numbered:
            if n == "3" and country is None:
                code, _, town = value.partition("/")
                country = clean_country(code, f"{label} 3/ country")
                city = text(town, 200)
            elif n == "4" and born is None:
                born = clean_date(value, f"{label} 4/ date of birth")
                kind = "person"
    elif tag.endswith("A"):
        kind = "company"  # a customer known by its BIC
    else:
        name = text(lines[0], 500) if lines else None
    return Side(
        name=name,
        country=country or iban_country(account, f"{label} account"),
        city=city,
        kind=kind,
        born=born,
        account=account,
        account_country=iban_country(account, f"{label} account"),
        bank=bank,
    )


def institution(fields: dict[str, list[str]], number: str) -> str | None:
    """An ordering (52) or account-with (57) institution: option A's BIC, option D's name."""
    found = _option(fields, number)
    if found is None:
        return None
    tag, lines = found
    if tag.endswith("A"):
        return next((line.strip() for line in reversed(lines) if _BIC.match(line.strip())), None)
    if tag.endswith("D"):
        return next((text(line, 200) for line in lines if not line.startswith("/")), None)
    return None


def map_message(message: FinMessage) -> tuple[Row, list[Row], list[Row]]:
    """One MT103 as a transaction row, its parties and its accounts."""
    if message.problems:
        raise RowError(message.problems[0])
    if message.text is None:
        raise RowError("no text block {4:…}")
    if not message.closed:
        raise RowError("the text block {4: has no closing '-}': the message is cut off")
    fields = fields_of(message)
    when, currency, amount = _value(fields)
    reference = text(user_header(message).get("121"), 200) or text(
        " ".join(fields.get("20", [])), 200
    )
    if reference is None:
        raise RowError("no UETR (block 3, tag 121) and no :20: sender's reference")
    sender, receiver = parties_of(message)
    payer = customer(fields, "50", institution(fields, "52") or sender)
    payee = customer(fields, "59", institution(fields, "57") or receiver)
    return credit_transfer(
        tx_id=reference,
        when=when,
        amount=amount,
        currency=currency,
        payer=payer,
        payee=payee,
        source_type="MT103",
        purpose=text(" ".join(fields.get("26T", [])), 35),
        remittance=text(" ".join(fields.get("70", []))),
    )


def user_header(message: FinMessage) -> dict[str, str]:
    """Block 3's tags: ``{108:…}`` (message user reference), ``{119:STP}``, ``{121:…}`` (UETR)."""
    return dict(_USER_TAG.findall(message.blocks.get("3", "")))
