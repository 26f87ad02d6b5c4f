"""The printable case report: one case, its decision trail and its frozen evidence, as one
self-contained HTML page (inline CSS with print rules, server-side SVG charts, no script,
nothing fetched), for the file, a reviewer or a court.

It reads only what the case holds (a :class:`~counterflow.cases.lifecycle.CaseView` from
``get_case``) and the result of ``verify_history``; never the workspace as it is now.

- **summary**: id, title, status, priority and due date, assignee, who opened it and when, the
  decision and its reason once proposed, who approved it, the filing once reported, and whether
  the history chain verified;
- **decision trail**: every event in order, who, when, what, with its details;
- **evidence**: the alerts (typology, score, the explanation's facts), the transactions, the
  parties, the list entries (with their list and edition), the exposure paths to listed
  parties and the screening hits, each table bounded (:data:`SHOWN_ROWS` rows, then a note of
  how many were left out);
- **charts**: the money between the case's parties and the paths to listed parties
  (:func:`counterflow.reporting.charts.flow_diagram`) and the amounts by day
  (:func:`counterflow.reporting.charts.timeline`), in the dataset's base currency.

Names and free text are data and hostile: the template escapes everything (autoescape), the
charts escape their own text, characters a page cannot carry (control characters, lone
surrogates) become U+FFFD and long texts are cut. The same case gives the same bytes: nothing
depends on the clock unless a ``generated`` time is passed in.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from markupsafe import Markup

from counterflow.cases.evidence import EVIDENCE_NOUNS
from counterflow.errors import ConfigError
from counterflow.io import atomic_output
from counterflow.reporting import charts
from counterflow.reporting.html import load_template

if TYPE_CHECKING:  # the case store (SQLAlchemy) is not loaded to render a report
    from counterflow.cases.lifecycle import CaseView, Event, Evidence, HistoryCheck

#: rows shown per evidence table (the rest are counted, not shown)
SHOWN_ROWS = 200
#: the longest free text shown (a reason, a comment); longer is cut with an ellipsis
MAX_TEXT = 10_000
#: the longest cell of an evidence table (a name, a fact's value)
MAX_CELL = 300
#: facts shown per alert
MAX_FACTS = 30
#: evidence kinds in the order the report shows them, with their headings
KINDS: dict[str, str] = {
    "alert": "Alerts",
    "transaction": "Transactions",
    "party": "Parties",
    "list_entry": "List entries",
    "exposure": "Exposure paths to listed parties",
    "hit": "Screening hits",
}

# characters an HTML page should not carry: C0/C1 controls but tab and newline, lone
# surrogates, non-characters
_UNSAFE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")


@dataclass(frozen=True)
class Table:
    """One evidence table: its column headings, the rows shown and how many there are."""

    kind: str
    title: str
    columns: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    total: int
    #: the indexes of the columns that hold numbers (right-aligned)
    numeric: frozenset[int] = frozenset()

    @property
    def left_out(self) -> int:
        return self.total - len(self.rows)


@dataclass(frozen=True)
class AlertCard:
    """An alert with its explanation, shown as a block rather than a row."""

    alert_id: str
    scenario: str
    typology: str
    severity: str
    subject: str
    score: str
    period: str
    transactions: int
    explanation: str
    facts: tuple[tuple[str, str], ...]
    facts_left_out: int


def clean(value: Any, limit: int = MAX_TEXT) -> str:
    """``value`` as text a page can carry: unsafe characters as U+FFFD, cut at ``limit``."""
    text = _UNSAFE.sub("\ufffd", "" if value is None else str(value))
    return text if len(text) <= limit else text[: limit - 1] + "…"


def render_case_report(
    view: CaseView,
    check: HistoryCheck,
    *,
    base_currency: str = "USD",
    generated: datetime | None = None,
    shown_rows: int = SHOWN_ROWS,
) -> str:
    """The case report of ``view`` as one HTML page. ``check`` is ``verify_history``'s result
    for the case; ``base_currency`` the currency of the frozen rows' ``base_amount`` (the
    charts' currency); ``generated`` a time to print as the report's (none: no time is
    printed, and the same case gives the same bytes)."""
    if shown_rows < 1:
        raise ConfigError(f"a case report shows at least 1 row per table, not {shown_rows}")
    template = load_template("case.html.j2", "case report", finalize=_finalize)
    by_kind: dict[str, list[Evidence]] = {}
    for item in view.evidence:
        by_kind.setdefault(item.kind, []).append(item)
    alerts = by_kind.get("alert", [])
    names = _names(view.evidence)
    tables = [
        _table(kind, by_kind[kind], shown_rows, base_currency, names)
        for kind in (*KINDS, *sorted(set(by_kind) - set(KINDS)))
        if kind in by_kind and kind != "alert"
    ]
    counts = [_counted(k, len(v)) for k, v in by_kind.items()]
    return template.render(
        case=view.case,
        summary=_summary(view, generated),
        check=check,
        events=[_event_row(e) for e in view.events],
        alerts=[_alert_card(item) for item in alerts[:shown_rows]],
        alerts_left_out=max(len(alerts) - shown_rows, 0),
        tables=tables,
        counts=counts,
        edited=[clean(e.key, MAX_CELL) for e in view.evidence if not e.intact],
        charts=_charts(view, base_currency),
        currency=clean(base_currency, 8),
        generated=_time(generated) if generated else None,
    )


def write_case_report(
    path: str | os.PathLike[str],
    view: CaseView,
    check: HistoryCheck,
    **options: Any,
) -> str:
    """Render the report and write it to ``path`` (``-``: standard output), whole or not at
    all, readable by its owner only (a case must not tip anyone off). Returns the page."""
    html = render_case_report(view, check, **options)
    with atomic_output(path, private=True) as out:
        out.write(html)
    return html


# ---------------------------------------------------------------------------- the parts


def _finalize(value: Any) -> Any:
    """Every ``{{ value }}`` of the template: markup (the charts) as is, the rest cleaned."""
    if isinstance(value, Markup):
        return value
    if value is None:
        return ""
    return clean(value)


def _time(value: Any) -> str:
    """A time as ``2026-12-07 09:21:05 UTC`` (times are kept in UTC)."""
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S") + " UTC"
    return clean(value, 40)


def _summary(view: CaseView, generated: datetime | None) -> list[tuple[str, str]]:
    case = view.case
    due = _time(case.due)
    if generated is not None and case.overdue(generated):
        due += " (overdue)"
    approval = next((e for e in reversed(view.events) if e.kind == "approved"), None)
    filing = next((e for e in reversed(view.events) if e.kind == "reported"), None)
    facts = [
        ("case", case.id),
        ("title", case.title),
        ("status", case.status),
        ("priority", case.priority),
        ("due", due),
        ("dataset", case.dataset or ""),
        ("assignee", case.assignee or ""),
        ("opened", f"{_time(case.created)} by {case.created_by}"),
        ("decision", case.decision or ""),
        ("reason", case.reason or "" if case.decision else ""),
        ("proposed by", case.proposed_by or ""),
        (
            "approved by",
            (f"{case.approved_by} on {_time(approval.time)}" if approval else case.approved_by)
            or "",
        ),
        ("approval note", str(approval.payload.get("comment") or "") if approval else ""),
        (
            "filed with the FIU",
            f"{_time(filing.time)} by {filing.actor}"
            + (f", FIU reference {case.reference}" if case.reference else "")
            if filing
            else "",
        ),
        ("version", str(case.version)),
    ]
    return [(k, clean(v)) for k, v in facts if v]


def _event_row(event: Event) -> tuple[str, str, str, str, str, str]:
    return (
        str(event.seq),
        _time(event.time),
        clean(event.actor, MAX_CELL),
        clean(event.kind, 40),
        _details(event),
        clean(event.hash[:16], 16),
    )


def _details(event: Event) -> str:
    """An event's payload in words (its free text whole, up to :data:`MAX_TEXT`)."""
    p = event.payload
    kind = event.kind
    if kind in ("opened", "evidence"):
        listed = p.get("evidence") or []
        kinds: dict[str, int] = {}
        for item in listed if isinstance(listed, list) else []:
            name = str(item.get("kind")) if isinstance(item, dict) else "?"
            kinds[name] = kinds.get(name, 0) + 1
        what = ", ".join(_counted(k, n) for k, n in kinds.items())
        head = f"opened: {p.get('title')}, {p.get('priority')} priority" if kind == "opened" else ""
        frozen = f"evidence frozen: {what}" if what else "no evidence"
        return clean("; ".join(x for x in (head, frozen) if x))
    if kind == "assigned":
        before = p.get("previous")
        return clean(f"to {p.get('assignee')}" + (f" (was {before})" if before else ""))
    if kind == "comment":
        return clean(p.get("text", ""))
    if kind == "proposed":
        return clean(f"{p.get('decision')}: {p.get('reason', '')}")
    if kind == "approved":
        note = f": {p['comment']}" if p.get("comment") else ""
        return clean(f"{p.get('decision')} (proposed by {p.get('proposed_by')}){note}")
    if kind == "reported":
        return clean(f"FIU reference {p['reference']}" if p.get("reference") else "filed")
    reason = p.get("reason")
    if reason:
        return clean(reason)
    return clean(_compact(p), MAX_CELL) if p else ""


def _counted(kind: str, n: int) -> str:
    """``1 alert``, ``20 transactions``."""
    singular, plural = EVIDENCE_NOUNS.get(kind, (kind, kind))
    return f"{n:,} {singular if n == 1 else plural}"


def _compact(value: Any) -> str:
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False, sort_keys=True, default=str)


def _money(amount: Any, currency: Any) -> str:
    if isinstance(amount, bool) or amount is None:
        return ""
    try:
        return clean(f"{float(amount):,.2f} {currency or ''}".strip(), 40)
    except (TypeError, ValueError):
        return clean(f"{amount} {currency or ''}".strip(), 40)


def _cell(value: Any) -> str:
    if value is None:
        return ""
    return clean(_compact(value), MAX_CELL)


def _party_label(data: Mapping[str, Any], side: str, parties: Mapping[str, str]) -> str:
    party = data.get(f"{side}_party")
    name = parties.get(str(party)) if party else None
    name = name or data.get(f"{side}_name") or data.get(f"{side}_account") or ""
    country = data.get(f"{side}_country")
    label = f"{name} ({party})" if party and name != party else str(name or party or "")
    return clean(label + (f", {country}" if country else ""), MAX_CELL)


def _alert_card(item: Evidence) -> AlertCard:
    d = _dict(item.data)
    explanation = _dict(d.get("explanation"))
    facts_in = _dict(explanation.get("facts"))
    facts = [(clean(k, 80), _cell(v)) for k, v in sorted(facts_in.items())]
    score = d.get("score")
    first = d.get("first_ts") or d.get("first")
    last = d.get("last_ts") or d.get("last")
    period = f"{str(first)[:10]} to {str(last)[:10]}" if first and last else ""
    return AlertCard(
        alert_id=clean(d.get("alert_id") or item.key, MAX_CELL),
        scenario=clean(d.get("scenario"), MAX_CELL),
        typology=clean(d.get("typology"), MAX_CELL),
        severity=clean(d.get("severity"), 40),
        subject=clean(f"{d.get('subject_kind', '')}:{d.get('subject_id', '')}", MAX_CELL),
        score=f"{score:.2f}" if isinstance(score, int | float) else "",
        period=clean(period, 40),
        transactions=len(d.get("tx_ids") or ()),
        explanation=clean(explanation.get("scenario"), MAX_CELL),
        facts=tuple(facts[:MAX_FACTS]),
        facts_left_out=max(len(facts) - MAX_FACTS, 0),
    )


def _names(items: Sequence[Evidence]) -> dict[str, str]:
    """Party id -> name, from the case's frozen party records."""
    names = {}
    for item in items:
        if item.kind == "party":
            d = _dict(item.data)
            names[str(d.get("party_id"))] = str(d.get("name") or "")
    return names


def _tx_sort(item: Evidence) -> tuple[str, str]:
    d = _dict(item.data)
    return (str(d.get("timestamp") or ""), str(d.get("tx_id") or item.key))


def _table(
    kind: str, items: list[Evidence], shown: int, currency: str, parties: Mapping[str, str]
) -> Table:
    title = KINDS.get(kind, kind)
    if kind == "transaction":
        items = sorted(items, key=_tx_sort)
    rows_of: Callable[[Evidence], tuple[str, ...]]
    numeric: frozenset[int] = frozenset()
    if kind == "transaction":
        columns: tuple[str, ...] = (
            "transaction",
            "time (UTC)",
            "amount",
            f"in {currency}",
            "payer",
            "beneficiary",
            "channel",
            "description",
        )
        numeric = frozenset({2, 3})

        def rows_of(item: Evidence) -> tuple[str, ...]:
            d = _dict(item.data)
            stamp = str(d.get("timestamp") or "")
            return (
                _cell(d.get("tx_id") or item.key),
                clean(stamp[:19].replace("T", " "), 20),
                _money(d.get("amount"), d.get("currency")),
                _money(_base_amount(d, currency), ""),
                _party_label(d, "payer", parties),
                _party_label(d, "beneficiary", parties),
                _cell(d.get("channel")),
                _cell(
                    next(
                        (
                            d[k]
                            for k in ("goods_description", "remittance_text", "purpose_code")
                            if d.get(k)
                        ),
                        "",
                    )
                ),
            )

    elif kind == "party":
        columns = ("party", "dataset", "name", "kind", "place", "born / registered", "sector")

        def rows_of(item: Evidence) -> tuple[str, ...]:
            d = _dict(item.data)
            place = ", ".join(str(v) for v in (d.get("city"), d.get("country")) if v)
            return (
                _cell(d.get("party_id") or item.key),
                _cell(item.dataset),
                _cell(d.get("name")),
                _cell(d.get("kind")),
                _cell(place),
                _cell(d.get("born")),
                _cell(d.get("sector")),
            )

    elif kind == "list_entry":
        columns = ("entry", "list", "edition", "published", "schema", "name", "edition hash")

        def rows_of(item: Evidence) -> tuple[str, ...]:
            d = _dict(item.data)
            entity = _dict(d.get("entity"))
            edition = _dict(d.get("edition"))
            return (
                _cell(entity.get("id") or item.key),
                _cell(edition.get("list") or entity.get("list")),
                _cell(edition.get("id")),
                _cell(edition.get("published")),
                _cell(entity.get("schema")),
                _cell(_entity_name(entity)),
                _cell(str(edition.get("content_hash") or "")[:16]),
            )

    elif kind == "exposure":
        columns = ("party", "listed party", "hops", "direction", "via", "exposure", "payments")
        numeric = frozenset({2, 5, 6})

        def rows_of(item: Evidence) -> tuple[str, ...]:
            path = _dict(_dict(item.data).get("path"))
            via = path.get("via") or []
            return (
                _cell(path.get("party")),
                _cell(path.get("seed")),
                _cell(path.get("hops")),
                _cell(path.get("direction")),
                _cell(" → ".join(str(v) for v in via) if isinstance(via, list) else via),
                _money(path.get("exposure_usd"), "USD"),
                _cell(path.get("payments")),
            )

    else:  # hits, and any kind a later version freezes
        columns = ("key", "entry", "list", "edition", "score", "as given")

        def rows_of(item: Evidence) -> tuple[str, ...]:
            d = _dict(item.data)
            hit = _dict(d.get("hit")) or d
            return (
                _cell(item.key),
                _cell(hit.get("entity_id") or hit.get("id")),
                _cell(hit.get("list")),
                _cell(hit.get("edition")),
                _cell(hit.get("score")),
                _cell(hit),
            )

    return Table(
        kind=kind,
        title=title,
        columns=columns,
        rows=tuple(rows_of(item) for item in items[:shown]),
        total=len(items),
        numeric=numeric,
    )


def _dict(value: Any) -> dict[str, Any]:
    """``value`` if it is a JSON object, else an empty one (frozen data is read defensively)."""
    return value if isinstance(value, dict) else {}


def _entity_name(entity: Mapping[str, Any]) -> str:
    props = _dict(entity.get("properties"))
    names = props.get("name") or []
    first = names[0] if isinstance(names, list) and names else ""
    return str(first.get("value", "")) if isinstance(first, dict) else str(first)


def _base_amount(d: Mapping[str, Any], currency: str) -> float | None:
    """The row's amount in the base currency: its ``base_amount``, else its amount when it
    is in that currency; None when neither (no rate is looked up)."""
    for value in (d.get("base_amount"), d.get("amount") if d.get("currency") == currency else None):
        if isinstance(value, int | float) and not isinstance(value, bool):
            return float(value)
    return None


def _charts(view: CaseView, currency: str) -> dict[str, Markup]:
    names = _names(view.evidence)

    def label(party: Any, name: Any) -> str:
        if party:
            known = names.get(str(party)) or (str(name) if name else "")
            return f"{known} ({party})" if known and known != party else str(party)
        return str(name or "unknown")

    flows: list[tuple[str, str, float]] = []
    days: list[tuple[date, float]] = []
    for item in view.evidence:
        if item.kind != "transaction":
            continue
        d = _dict(item.data)
        amount = _base_amount(d, currency)
        if amount is None:
            continue
        payer = label(d.get("payer_party"), d.get("payer_name") or d.get("payer_account"))
        payee = label(
            d.get("beneficiary_party"), d.get("beneficiary_name") or d.get("beneficiary_account")
        )
        flows.append((payer, payee, amount))
        with contextlib.suppress(ValueError):
            days.append((date.fromisoformat(str(d.get("timestamp") or "")[:10]), amount))
    exposures: list[tuple[str, str, float]] = []
    for item in view.evidence:
        path = _dict(item.data).get("path") if item.kind == "exposure" else None
        if isinstance(path, dict) and isinstance(path.get("exposure_usd"), int | float):
            exposures.append(
                (
                    label(path.get("party"), None),
                    "listed: " + label(path.get("seed"), None),
                    float(path["exposure_usd"]),
                )
            )
    out: dict[str, Markup] = {}
    # the builders escape every piece of text themselves
    if flows:
        out["flows"] = Markup(
            charts.flow_diagram(
                flows, title=f"Money between the case's parties ({currency})", currency=currency
            )
        )
        out["timeline"] = Markup(
            charts.timeline(days, title=f"Amounts by day ({currency})", currency=currency)
        )
    if exposures:
        out["exposure"] = Markup(
            charts.flow_diagram(
                exposures,
                title="Paths to listed parties (the path's smallest payment, USD)",
                currency="USD",
            )
        )
    return out
