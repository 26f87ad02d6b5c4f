"""ISO 20022 pacs.008 (FI-to-FI customer credit transfer): one transaction per ``CdtTrfTxInf``.

A file holds one ``Document`` (``urn:iso:std:iso:20022:tech:xsd:pacs.008.001.NN``), or one or
more business messages in an envelope of any name, each a business application header
(``AppHdr``) beside its ``Document``. Every ``Document`` is a message (so is a bare
``FIToFICstmrCdtTrf``, as some systems write it); messages and their transactions are
numbered from 1 in rejects ("message 2, transaction 3").

Parsing, and why this way:

- the XML is read by :func:`counterflow.io.iter_xml_events` (defusedxml's ``iterparse``),
  which refuses entity declarations and external references (no XXE, no billion laughs) and
  streams: each
  ``CdtTrfTxInf`` is mapped as soon as it is complete and then dropped, so a bulk message with
  a million transactions does not sit in memory;
- each ``GrpHdr`` and ``CdtTrfTxInf`` element is then bound to the dataclasses of
  ``pyiso20022`` (the maintained ISO 20022 models, generated with xsdata from the official
  schemas, one module per message version) by xsdata's ``XmlParser``, given the element already
  parsed, so xsdata never reads bytes itself. That gives the schema's types (dates, decimals)
  for every version pyiso20022 ships with ``FIToFICstmrCdtTrf`` (.001.02 to .001.13; .001.01
  predates that structure) without a hand-written table of element paths per version; where
  versions differ (``BIC`` up to .02, ``BICFI`` from .03; ``UETR`` from .08; ``Prxy`` on
  accounts from .08) the mapping below takes whichever the version has;
- binding is lenient on purpose: unknown elements are skipped, a value that does not convert
  (``<IntrBkSttlmAmt>abc``) stays text for the ``clean_*`` rules to reject with the field's
  name, and a transaction missing an element the schema calls mandatory but this tool does not
  need (``ChrgBr``) is still read. What the tool needs (an id, an amount, a currency, a date)
  is checked here, so one bad transaction is one reject and its neighbours import;
- xsdata is not left to parse the file itself: it would read it with the standard library's
  parser, without defusedxml's refusals, and build the whole document before returning;
- pyiso20022 has no type information (no ``py.typed``) and does not declare its dependency on
  xsdata, so the version modules are imported by name and the bound objects read as ``Any``;
  both packages are core dependencies;
- the cost is speed: about 0.6 ms per transaction (binding 0.36, the defused parser 0.14),
  some 1,600 a second, ten minutes for a million. Element paths written out by hand would be
  faster but would repeat, per version, what the generated models already know.

Mapping: ``tx_id`` is the UETR, else ``TxId``, else ``EndToEndId``; the time is the
transaction's ``IntrBkSttlmDt``, else the group header's, else its ``CreDtTm``; the amount is
``IntrBkSttlmAmt`` (else ``InstdAmt``). Debtor and creditor give the payer and beneficiary
(name, country from the postal address else the country of residence, account, agent as BIC,
clearing member id or name). An account number is also the party id, as in the other readers
(a message does not identify customers beyond their accounts); parties and accounts are emitted
once per batch.
"""

from __future__ import annotations

import dataclasses
import functools
import importlib
import pkgutil
import re
import typing
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from enum import Enum
from pathlib import Path
from typing import Any
from xml.etree.ElementTree import Element

from xsdata.exceptions import ConverterWarning
from xsdata.formats.dataclass.parsers import XmlParser
from xsdata.formats.dataclass.parsers.config import ParserConfig
from xsdata.formats.dataclass.parsers.handlers import XmlEventHandler
from xsdata.models.datatype import XmlDate, XmlDateTime

from counterflow.errors import DataError
from counterflow.io import iter_xml_events
from counterflow.lists.base import local_name
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

ISO_NS = "urn:iso:std:iso:20022:tech:xsd:"
_MESSAGE_ID = re.compile(r"^[a-z]{4}\.\d{3}\.\d{3}\.\d{2}$")
_PACS008 = re.compile(r"^pacs\.008\.001\.\d{2}$")
_SNIFF = re.compile(
    r"urn:iso:std:iso:20022:tech:xsd:pacs\.008\.001\.\d{2}"
    r"|<(?:\w+:)?MsgDefIdr>\s*pacs\.008\.001\.\d{2}"
)
_PLACEHOLDER_IDS = {"NOTPROVIDED", "NONREF"}
#: where a message starts: its Document, or the message element bare (some systems drop the
#: Document wrapper)
_MESSAGE_ROOTS = ("Document", "FIToFICstmrCdtTrf")


@dataclass(frozen=True)
class Bindings:
    """pyiso20022's classes for one message version."""

    version: str  # "pacs.008.001.08"
    namespace: str
    header: type[Any]
    transaction: type[Any]


@functools.cache
def bindings(version: str) -> Bindings | None:
    """The classes for a pacs.008 version, None when pyiso20022 has no such version (or one
    without ``FIToFICstmrCdtTrf``)."""
    if not _PACS008.match(version):
        return None
    try:
        module = importlib.import_module(f"pyiso20022.pacs.{version.replace('.', '_')}")
    except ModuleNotFoundError as exc:
        if exc.name and exc.name.startswith("pyiso20022"):
            return None
        raise
    message = _field_type(getattr(module, "Document", None), "FIToFICstmrCdtTrf")
    header = _field_type(message, "GrpHdr")
    transaction = _field_type(message, "CdtTrfTxInf")
    if header is None or transaction is None:
        return None
    return Bindings(version, ISO_NS + version, header, transaction)


@functools.cache
def supported_versions() -> str:
    """The versions pyiso20022 can bind, as ``pacs.008.001.02 to .13``."""
    package = importlib.import_module("pyiso20022.pacs")
    names = sorted(
        name
        for info in pkgutil.iter_modules(package.__path__)
        if bindings(name := info.name.replace("_", ".")) is not None
    )
    return f"{names[0]} to .{names[-1][-2:]}" if names else "none: pyiso20022 is missing"


def _field_type(cls: Any, xml_name: str) -> type[Any] | None:
    """The class of the element ``xml_name`` in dataclass ``cls`` (the item class of a list)."""
    if cls is None or not dataclasses.is_dataclass(cls):
        return None
    hints = typing.get_type_hints(cls)
    for item in dataclasses.fields(cls):
        if item.metadata.get("name") == xml_name:
            kind = hints[item.name]
            args = [a for a in typing.get_args(kind) if a is not type(None)]
            found = args[0] if typing.get_origin(kind) is list or args else kind
            return found if isinstance(found, type) else None
    return None


def _lenient(cls: type[Any], params: dict[str, Any]) -> Any:
    """Build a binding class even when the message lacks an element the schema requires: the
    mapping decides what it needs, not the schema."""
    try:
        return cls(**params)
    except TypeError:
        missing = {
            f.name: None
            for f in dataclasses.fields(cls)
            if f.init
            and f.name not in params
            and f.default is dataclasses.MISSING
            and f.default_factory is dataclasses.MISSING
        }
        return cls(**params, **missing)


def _parser() -> XmlParser:
    # the native handler walks the element it is given; it never parses bytes
    config = ParserConfig(fail_on_unknown_properties=False, class_factory=_lenient)
    return XmlParser(config=config, handler=XmlEventHandler)


def _bind(parser: XmlParser, element: Element, cls: type[Any]) -> Any:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConverterWarning)
        return parser.parse(element, cls)


def namespace(tag: str) -> str:
    return tag[1:].split("}", 1)[0] if tag.startswith("{") else ""


def message_id(ns: str) -> str | None:
    """``pacs.008.001.08`` from its namespace; None for a namespace that is not ISO 20022."""
    if ns.startswith(ISO_NS) and _MESSAGE_ID.match(ns[len(ISO_NS) :]):
        return ns[len(ISO_NS) :]
    return None


# --------------------------------------------------------------------------- the reader


@dataclass
class _Message:
    """The message being read: its number, version and group header values."""

    number: int
    element: Element  # its Document
    bindings: Bindings | None  # None: skipped (another message type, unsupported version)
    qualify: bool = False  # the Document is unqualified; its version came from the AppHdr
    created: Any = None  # GrpHdr/CreDtTm
    settled: Any = None  # GrpHdr/IntrBkSttlmDt
    transactions: int = 0


class Pacs008Reader(TransactionReader):
    format = "pacs.008"
    title = "ISO 20022 pacs.008 FI-to-FI customer credit transfer"
    suffixes = (".xml",)

    @classmethod
    def sniff(cls, path: Path, head: str) -> bool:
        return bool(_SNIFF.search(head))

    def read(self, path: Path) -> Iterator[Batch]:
        parser = _parser()
        out = BatchBuilder()
        stack: list[Element] = []
        message: _Message | None = None
        messages = 0
        pacs = 0
        others: list[str] = []  # other message types found
        unsupported: list[str] = []  # pacs.008 versions found that cannot be read
        announced: str | None = None  # MsgDefIdr of the last AppHdr
        root: str | None = None
        for event, element in iter_xml_events(path):
            tag = local_name(element.tag)
            if event == "start":
                root = root or tag
                stack.append(element)
                if tag in _MESSAGE_ROOTS and message is None:
                    if out.full():
                        yield out.take()
                    messages += 1
                    message = self._open(messages, element, announced, out, others, unsupported)
                    pacs += message.bindings is not None
                continue
            stack.pop()
            parent = stack[-1] if stack else None
            if message is not None and element is message.element:
                message = None
                announced = None
                _drop(element, parent)
            elif message is not None and message.bindings is None:
                element.clear()  # a skipped message: keep nothing of it
            elif message is not None and parent is not None:
                if local_name(parent.tag) == "FIToFICstmrCdtTrf":
                    if tag == "GrpHdr":
                        self._header(parser, message, element)
                    elif tag == "CdtTrfTxInf":
                        if out.full():
                            yield out.take()
                        self._transaction(parser, message, element, out)
                    _drop(element, parent)
            elif tag == "MsgDefIdr":
                announced = text(element.text)
            elif tag == "AppHdr":
                _drop(element, parent)
        if not pacs:
            if unsupported:
                raise DataError(unsupported[0], path=path)
            if others:
                kinds = ", ".join(dict.fromkeys(others))
                raise DataError(f"not a pacs.008 file: it holds {kinds}", path=path)
            raise DataError(
                f"not a pacs.008 file: no ISO 20022 Document in it (its root element is <{root}>)",
                path=path,
            )
        yield out.take()

    def _open(
        self,
        number: int,
        element: Element,
        announced: str | None,
        out: BatchBuilder,
        others: list[str],
        unsupported: list[str],
    ) -> _Message:
        """Start message ``number``: find its version, or reject it."""
        ns = namespace(element.tag)
        kind = message_id(ns)
        qualify = False
        if not ns and announced and _MESSAGE_ID.match(announced):
            kind, qualify = announced, True  # an unqualified Document named by its AppHdr
        where = f"message {number}"
        if kind is None or not _PACS008.match(kind):
            described = kind or (f"namespace {ns!r}" if ns else "a Document without namespace")
            others.append(described)
            out.batch.rejects.append(Reject(where, f"{described} is not pacs.008"))
            return _Message(number, element, None)
        found = bindings(kind)
        if found is None:
            problem = f"{kind} is not a supported version (supported: {supported_versions()})"
            unsupported.append(problem)
            out.batch.rejects.append(Reject(where, problem))
            return _Message(number, element, None)
        return _Message(number, element, found, qualify=qualify)

    def _header(self, parser: XmlParser, message: _Message, element: Element) -> None:
        assert message.bindings is not None
        if message.qualify:
            _qualify(element, message.bindings.namespace)
        try:
            header = _bind(parser, element, message.bindings.header)
        except Exception:  # noqa: BLE001 - the header only gives fallback dates
            return
        message.created = _plain(getattr(header, "cre_dt_tm", None))
        message.settled = _plain(getattr(header, "intr_bk_sttlm_dt", None))

    def _transaction(
        self, parser: XmlParser, message: _Message, element: Element, out: BatchBuilder
    ) -> None:
        assert message.bindings is not None
        message.transactions += 1
        where = f"message {message.number}, transaction {message.transactions}"
        if message.qualify:
            _qualify(element, message.bindings.namespace)
        raw = _flatten(element)  # binding empties the element
        try:
            bound = _bind(parser, element, message.bindings.transaction)
            tx, parties, accounts = map_transaction(bound, message.bindings.version, message)
        except RowError as exc:
            out.batch.rejects.append(Reject(where, exc.problem, raw))
        except Exception as exc:  # noqa: BLE001 - xsdata's errors vary; the reject says which
            out.batch.rejects.append(Reject(where, f"cannot read the transaction: {exc}", raw))
        else:
            out.add(tx, parties, accounts)


def _drop(element: Element, parent: Element | None) -> None:
    """Forget an element once read, so memory stays flat however long the file."""
    element.clear()
    if parent is not None:
        parent.remove(element)


def _qualify(element: Element, ns: str) -> None:
    for node in element.iter():
        if not node.tag.startswith("{"):
            node.tag = f"{{{ns}}}{node.tag}"


def _flatten(element: Element) -> str:
    """A transaction as ``path=value`` pairs, for the rejects file (cut to 1,000 characters)."""
    parts: list[str] = []
    size = 0
    pending = [(child, local_name(child.tag)) for child in reversed(element)]
    while pending and size <= RAW_LIMIT:
        node, path = pending.pop()
        value = text(node.text)
        if value is not None:
            attributes = "".join(f" @{k}={v}" for k, v in node.attrib.items())
            parts.append(f"{path}={value}{attributes}")
            size += len(parts[-1]) + 2
        pending.extend((child, f"{path}/{local_name(child.tag)}") for child in reversed(node))
    return "; ".join(parts)[:RAW_LIMIT]


# --------------------------------------------------------------------------- mapping


def _get(value: Any, *names: str) -> Any:
    """Follow attribute names through optional elements; None as soon as one is absent."""
    for name in names:
        if value is None:
            return None
        value = getattr(value, name, None)
    return value


def _plain(value: Any) -> Any:
    """xsdata's date, time and decimal values as Python's, other values as they are."""
    if isinstance(value, XmlDateTime):
        return value.to_datetime()
    if isinstance(value, XmlDate):
        return value.to_date()
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, Enum):
        return value.value
    return value


def side(party: Any, account: Any, agent: Any, label: str) -> Side:
    """``label`` is ``Dbtr`` or ``Cdtr``: the element names in problems start with it."""
    address = _get(party, "pstl_adr")
    country = clean_country(_get(address, "ctry"), f"{label}/PstlAdr/Ctry") or clean_country(
        _get(party, "ctry_of_res"), f"{label}/CtryOfRes"
    )
    ident = _get(party, "id")
    kind = "company" if _get(ident, "org_id") else "person" if _get(ident, "prvt_id") else None
    born = clean_date(
        _plain(_get(ident, "prvt_id", "dt_and_plc_of_birth", "birth_dt")),
        f"{label}/Id/PrvtId/DtAndPlcOfBirth/BirthDt",
    )
    iban = text(_get(account, "id", "iban"), 200)
    number = (
        iban
        or text(_get(account, "id", "othr", "id"), 200)
        or text(_get(account, "prxy", "id"), 200)
    )
    return Side(
        name=text(_get(party, "nm"), 500),
        country=country,
        city=text(_get(address, "twn_nm"), 200),
        kind=kind,
        born=born,
        account=number,
        account_country=iban_country(iban, f"{label}Acct/Id/IBAN"),
        bank=agent_id(agent),
    )


def agent_id(agent: Any) -> str | None:
    """An agent as its BIC (``BICFI``, or ``BIC`` before .001.03), else its clearing system
    member id, else its name."""
    institution = _get(agent, "fin_instn_id")
    return (
        text(_get(institution, "bicfi"), 200)
        or text(_get(institution, "bic"), 200)
        or text(_get(institution, "clr_sys_mmb_id", "mmb_id"), 200)
        or text(_get(institution, "nm"), 200)
    )


def _tx_id(tx: Any) -> str:
    ids = _get(tx, "pmt_id")
    for name in ("uetr", "tx_id", "end_to_end_id"):
        value = text(_get(ids, name), 200)
        if value and value.upper() not in _PLACEHOLDER_IDS:
            return value
    raise RowError("PmtId has no UETR, TxId or EndToEndId")


def _when(tx: Any, message: _Message) -> datetime:
    for value, label in (
        (_plain(_get(tx, "intr_bk_sttlm_dt")), "IntrBkSttlmDt"),
        (message.settled, "GrpHdr/IntrBkSttlmDt"),
        (message.created, "GrpHdr/CreDtTm"),
    ):
        if value is not None and text(value) is not None:
            return clean_timestamp(value, label)
    raise RowError("no IntrBkSttlmDt, and the group header has no CreDtTm")


def _money(tx: Any) -> tuple[float, str]:
    for name, label in (("intr_bk_sttlm_amt", "IntrBkSttlmAmt"), ("instd_amt", "InstdAmt")):
        amount = _get(tx, name)
        if amount is None:
            continue
        value = clean_amount(_plain(_get(amount, "value")), label)
        try:
            currency = clean_currency(_get(amount, "ccy"))
        except RowError as exc:
            raise RowError(f"{label} Ccy: {exc.problem}") from exc
        return value, currency
    raise RowError("IntrBkSttlmAmt is missing (and so is InstdAmt)")


def _purpose(tx: Any) -> str | None:
    purpose = _get(tx, "purp")
    return text(_get(purpose, "cd"), 35) or text(_get(purpose, "prtry"), 35)


def _remittance(tx: Any) -> str | None:
    """Unstructured lines, then each structured part's creditor reference and extra lines."""
    info = _get(tx, "rmt_inf")
    pieces = [str(line) for line in (_get(info, "ustrd") or [])]
    for structured in _get(info, "strd") or []:
        pieces.append(_get(structured, "cdtr_ref_inf", "ref") or "")
        pieces.extend(str(line) for line in (_get(structured, "addtl_rmt_inf") or []))
    return text(" / ".join(p for p in (text(p) for p in pieces) if p))


def map_transaction(tx: Any, version: str, message: _Message) -> tuple[Row, list[Row], list[Row]]:
    """One bound ``CdtTrfTxInf`` as a transaction row, its parties and its accounts."""
    tx_id = _tx_id(tx)
    when = _when(tx, message)
    amount, currency = _money(tx)
    payer = side(_get(tx, "dbtr"), _get(tx, "dbtr_acct"), _get(tx, "dbtr_agt"), "Dbtr")
    payee = side(_get(tx, "cdtr"), _get(tx, "cdtr_acct"), _get(tx, "cdtr_agt"), "Cdtr")
    return credit_transfer(
        tx_id=tx_id,
        when=when,
        amount=amount,
        currency=currency,
        payer=payer,
        payee=payee,
        source_type=version,
        purpose=_purpose(tx),
        remittance=_remittance(tx),
    )
