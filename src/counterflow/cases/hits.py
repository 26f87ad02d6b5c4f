"""Screening hits as a case takes them: from an audited ``/match`` answer or a batch result row.

A hit is escalated into a case from where it really is:

- **an answer of the screening service.** Every ``/match`` answer carries a request id (the
  ``X-Request-Id`` header, ``r-`` and 16 hex digits), and its audit record keeps the request
  id, the queries as received, the editions used and, for every result, the entry's id, list,
  caption, the name that matched, the score and whether it was a match.
  :func:`hits_from_audit` finds the record (by request id, or by its ``seq``), checks that it is
  intact (its own hash, its link to the record before it and the next record's link to it), and
  rebuilds the hit: query, query name, matched name, score, list, edition, entity id.
- **a row of a batch results file** (``counterflow screen --input … -o results.csv``, CSV or
  Parquet): :func:`hits_from_results` reads it through :func:`counterflow.io.open_table`.

Both give plain dicts that :func:`counterflow.cases.evidence.freeze` keeps as ``hit`` evidence
(with the list entry they name, from the hit's edition). :func:`record_escalations` then
records an ``escalated`` decision for each (query, entry) pair whose query is known, the way a
cleared hit is recorded (:mod:`counterflow.cases.decisions`); a batch row names its query by id
only, so it gets none.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from counterflow.cases.audit import AuditLog, record_hash
from counterflow.cases.decisions import Decision, DecisionStore, Status
from counterflow.errors import ConfigError, DataError, NotFoundError
from counterflow.io import iter_byte_lines, open_table
from counterflow.workspace import Workspace

#: the response header that names a /match answer's request id
REQUEST_ID_HEADER = "X-Request-Id"
#: the longest caption or matched name an audit record keeps of a result
MAX_AUDITED_NAME = 200
#: the columns a batch results file must have for a row to be a hit
RESULT_NEEDS = ("query_id", "entity_id", "score")


def new_request_id() -> str:
    """A fresh request id: ``r-`` and 16 hex digits."""
    return f"r-{secrets.token_hex(8)}"


@dataclass(frozen=True)
class AuditRef:
    """``REQUEST[:ENTITY_ID]``: a request id (or an audit ``seq``) and optionally the entry."""

    request: str
    entity_id: str | None = None

    @classmethod
    def parse(cls, text: str) -> AuditRef:
        """``r-0123456789abcdef:un-sc:QDi.001`` (the entry's id may hold colons itself)."""
        request, _, entity = text.strip().partition(":")
        if not request.strip():
            raise ConfigError(f"{text!r}: give REQUEST_ID or REQUEST_ID:ENTITY_ID")
        return cls(request.strip(), entity.strip() or None)


# ---------------------------------------------------------------------------- from the trail


def find_audited(log: AuditLog, request: str) -> dict[str, Any]:
    """The audit record of ``request`` (a request id, or the record's ``seq`` as digits),
    checked to be intact: its hash matches its content, it links to the record before it and
    the record after it (if any) links to it. Else :class:`NotFoundError` or
    :class:`DataError` naming the line."""
    request = request.strip()
    by_seq = request.isdigit()
    needle = request.encode() if not by_seq else None
    prev_hash: str | None = None
    found: dict[str, Any] | None = None
    if not log.path.exists():
        raise NotFoundError(f"no audited request {request!r}: the audit trail has no records yet")
    for number, raw in enumerate(iter_byte_lines(log.path), start=1):
        if found is not None:  # the record after it must link to it
            try:
                after = json.loads(raw)
            except ValueError:
                after = None
            if not isinstance(after, dict) or after.get("prev") != found.get("hash"):
                raise DataError(
                    f"the record of request {request!r} is not followed by a record linked to "
                    "it (the trail was edited): run 'counterflow audit verify'",
                    path=log.path,
                    location=f"line {number}",
                )
            return found
        if needle is not None and needle not in raw:
            prev_hash = _hash_of(raw)
            continue
        try:
            record = json.loads(raw)
        except ValueError:
            record = None
        if not isinstance(record, dict):
            prev_hash = None
            continue
        if (record.get("seq") == int(request)) if by_seq else record.get("request_id") == request:
            _check_intact(log, record, number, prev_hash, request)
            found = record
            continue
        prev_hash = record.get("hash") if isinstance(record.get("hash"), str) else None
    if found is None:
        raise NotFoundError(f"no audited request {request!r} in the audit trail {log.path}")
    return found


def _hash_of(raw: bytes) -> str | None:
    """The ``hash`` of a line not otherwise needed: read without parsing the whole record."""
    marker = raw.rfind(b'"hash":"')
    if marker < 0:
        return None
    start = marker + len(b'"hash":"')
    return raw[start : start + 64].decode("ascii", "replace")


def _check_intact(
    log: AuditLog, record: dict[str, Any], number: int, prev_hash: str | None, request: str
) -> None:
    try:
        intact = record.get("hash") == record_hash(record)
    except UnicodeEncodeError:
        intact = False
    problem = None
    if not intact:
        problem = "its hash does not match its content (edited)"
    elif record.get("prev") != (prev_hash if number > 1 else "0" * 64):
        problem = "it does not link to the record before it"
    if problem:
        raise DataError(
            f"the audit record of request {request!r} is not intact: {problem}; "
            "run 'counterflow audit verify'",
            path=log.path,
            location=f"line {number}",
        )


def hits_from_audit(
    log: AuditLog, request: str, entity_id: str | None = None
) -> list[dict[str, Any]]:
    """The hits of an audited ``/match`` answer: those on ``entity_id`` (in every query of
    the answer that returned it), or without one every result the answer flagged a match.
    An unknown request or an entry not among the answer's results is a NotFoundError naming
    them."""
    record = find_audited(log, request)
    if record.get("action") != "match" or not isinstance(record.get("results"), dict):
        raise NotFoundError(
            f"audited request {request!r} is a {record.get('action')!r} record, not a /match "
            "answer with results"
        )
    editions = record.get("editions") or {}
    queries = record.get("queries") or {}
    hits: list[dict[str, Any]] = []
    for key, results in sorted(record["results"].items()):
        for result in results or ():
            if not isinstance(result, dict):
                continue
            rid = str(result.get("id", ""))
            wanted = rid == entity_id or (entity_id is not None and _ref_of(rid) == entity_id)
            if (entity_id is None and result.get("match")) or wanted:
                hits.append(_audit_hit(record, key, result, queries.get(key) or {}, editions))
    if not hits:
        what = (
            f"no result on entity {entity_id!r}"
            if entity_id
            else "no result flagged as a match (name the entity: REQUEST_ID:ENTITY_ID)"
        )
        shown = sorted({str(r.get("id")) for rs in record["results"].values() for r in rs or ()})
        raise NotFoundError(
            f"audited request {request!r} has {what} (its results: {', '.join(shown) or 'none'})"
        )
    return hits


def _ref_of(entity_id: str) -> str:
    """``QDi.001`` of ``un-sc:QDi.001``."""
    return entity_id.partition(":")[2] or entity_id


def _audit_hit(
    record: Mapping[str, Any],
    key: str,
    result: Mapping[str, Any],
    query: Mapping[str, Any],
    editions: Mapping[str, Any],
) -> dict[str, Any]:
    entity_id = str(result["id"])
    list_id = result.get("list") or entity_id.partition(":")[0] or None
    label = editions.get(list_id) if list_id else None
    return {
        "source": "audit",
        "request_id": record.get("request_id"),
        "audit_seq": record.get("seq"),
        "audit_hash": record.get("hash"),
        "screened": record.get("time"),
        "screened_by": record.get("actor"),
        "query_key": key,
        "query": {"schema": query.get("schema"), "properties": query.get("properties") or {}},
        "query_name": _query_name(query),
        "entity_id": entity_id,
        "caption": result.get("caption"),
        "matched_name": result.get("matched_name"),
        "score": result.get("score"),
        "match": result.get("match"),
        "decision": result.get("decision"),
        "list": list_id,
        "edition": f"{list_id}@{label}" if list_id and label else None,
    }


def _query_name(query: Mapping[str, Any]) -> str | None:
    """The query's first name as screened (``name``, else the name parts joined)."""
    from counterflow.screening import Query

    try:
        built = Query.from_properties(query.get("schema"), query.get("properties") or {})
    except (DataError, ValueError, TypeError):
        return None
    return built.names[0] if built.names else None


# ---------------------------------------------------------------------------- from a file


def hits_from_results(
    path: Path | str, *, rows: Sequence[int] = (), entities: Sequence[str] = ()
) -> list[dict[str, Any]]:
    """The rows ``rows`` (1-based data rows, as ``counterflow screen`` wrote them) and every
    row on an entity of ``entities`` (its id or list reference) of a batch results file, each
    as a hit. A file without the results columns is a DataError naming it and the column; a
    row not in the file, or an entity in none of its rows, a NotFoundError naming them."""
    path = Path(path)
    if not rows and not entities:
        raise ConfigError(f"{path}: say which results: a row number or an entity id")
    table = open_table(path)
    have = {c.strip().lower() for c in table.columns}
    missing = [c for c in RESULT_NEEDS if c not in have]
    if missing:
        asked = [f"row {n}" for n in rows] + [f"entity {e}" for e in entities]
        raise DataError(
            f"not a screening results file, so {', '.join(asked)} cannot be read as a hit: "
            f"missing column{'s' if len(missing) > 1 else ''} {', '.join(missing)} (a results "
            f"file of 'counterflow screen --input' has {', '.join(RESULT_NEEDS)} and more; "
            f"found {', '.join(table.columns) or 'none'})",
            path=path,
        )
    wanted_rows, wanted_entities = set(rows), set(entities)
    seen_rows: set[int] = set()
    seen_entities: set[str] = set()
    hits: list[dict[str, Any]] = []
    total = 0
    for row in table.rows:
        total = row.number
        values = {str(k).strip().lower(): v for k, v in row.values.items() if k}
        entity_id = str(values.get("entity_id") or "").strip()
        ref = str(values.get("list_ref") or "").strip()
        on = {entity_id, ref, _ref_of(entity_id)} & wanted_entities
        if row.number not in wanted_rows and not on:
            continue
        if not entity_id:
            raise DataError("the result row has no entity_id", path=path, location=row.location)
        seen_rows.add(row.number)
        seen_entities.update(on)
        hits.append(_row_hit(path, row.number, row.location, values))
    lost_rows = sorted(wanted_rows - seen_rows)
    if lost_rows:
        raise NotFoundError(
            f"no row {', '.join(map(str, lost_rows))} in {path} (it has {total} result rows)"
        )
    lost = sorted(wanted_entities - seen_entities)
    if lost:
        raise NotFoundError(f"no result on entity {', '.join(map(repr, lost))} in {path}")
    return hits


def _row_hit(path: Path, number: int, location: str, values: Mapping[str, Any]) -> dict[str, Any]:
    from counterflow.screening.batch import RESULT_COLUMNS

    def number_or_text(value: Any, kind: type) -> Any:
        try:
            return kind(value) if value not in (None, "") else None
        except (TypeError, ValueError):
            return value

    hit: dict[str, Any] = {
        "source": "batch",
        "file": path.name,
        "row": number,
        "location": location,
    }
    for column in RESULT_COLUMNS:
        if column in values:
            value = values[column]
            if column == "score":
                value = number_or_text(value, float)
            elif column == "rank":
                value = number_or_text(value, int)
            elif value == "":
                value = None
            hit[column] = value
    hit["entity_id"] = str(hit["entity_id"]).strip()
    if hit.get("list") is None:
        hit["list"] = hit["entity_id"].partition(":")[0] or None
    return hit


# ---------------------------------------------------------------------------- together


def expand_hits(log: AuditLog, hits: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """``hits`` with every ``{"audit": REQUEST, "entity_id": …}`` replaced by the hits it
    names in the audit trail (:func:`hits_from_audit`); other hits pass as given."""
    out: list[dict[str, Any]] = []
    for hit in hits:
        request = hit.get("audit")
        if request is None:
            out.append(dict(hit))
            continue
        if not isinstance(request, str | int) or not str(request).strip():
            raise ConfigError("a hit's 'audit' is the request id of an audited /match answer")
        entity = hit.get("entity_id") or hit.get("id")
        out.extend(hits_from_audit(log, str(request), str(entity) if entity else None))
    return out


def record_escalations(
    workspace: Workspace,
    decisions: DecisionStore,
    hits: Iterable[Mapping[str, Any]],
    case_id: str,
    *,
    analyst: str,
    actor: str,
) -> list[Decision]:
    """Record an ``escalated`` decision (reason ``escalated to case C-…``) for each (query,
    entry) pair of ``hits`` whose query is known (an audited answer's); hits without a query
    (a batch row names its query by id only) and entries no longer in the workspace get
    none."""
    from counterflow.lists.store import find_entities, get_entity
    from counterflow.screening import Query

    pending: dict[tuple[str, str], tuple[Any, str, str | None]] = {}
    for hit in hits:
        query = hit.get("query")
        if not isinstance(query, Mapping) or not query.get("properties"):
            continue
        try:
            built = Query.from_properties(query.get("schema"), query["properties"])
        except (DataError, ValueError, TypeError):
            continue
        entity_id = str(hit.get("entity_id") or "")
        edition = hit.get("edition")
        pending.setdefault(
            (built.fingerprint(), entity_id), (built, entity_id, str(edition) if edition else None)
        )
    reason = f"escalated to case {case_id}"
    already = {
        (d.query_fingerprint, d.entity_id)
        for d in decisions.all()
        if d.status is Status.ESCALATED and d.reason == reason
    }
    pending = {pair: todo for pair, todo in pending.items() if pair not in already}
    if not pending:
        return []
    made: list[Decision] = []
    with workspace.connect(read_only=True) as conn:
        for built, entity_id, edition in pending.values():
            entity = get_entity(conn, edition, entity_id) if edition else None
            label = edition.partition("@")[2] if edition else ""
            if entity is None:
                found = find_entities(conn, entity_id)
                if not found:
                    continue
                active, entity = found[0]
                label = active.label
            made.append(
                decisions.escalate(
                    built, entity, edition=label, analyst=analyst, actor=actor, case_id=case_id
                )
            )
    return made
