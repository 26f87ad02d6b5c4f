"""Freezing a case's evidence: what the analytical workspace says now, copied into the case.

Alerts, transactions and parties live in the workspace's DuckDB file, where the next ``monitor``
run replaces a scenario's alerts, a new list edition supersedes the last, and a dataset can be
simulated or ingested again. A case must keep showing what its analysts decided on, so opening
it (or adding evidence) copies each item, read through a read-only connection, into the case
store as canonical JSON with its SHA-256:

- ``alert``: the alert row, its explanation (the scenario's facts and the parameters it ran
  with) and its dataset;
- ``transaction``: every transaction an alert names, as its whole row;
- ``party``: the alert's subject, both sides of its transactions, and the parties asked for;
- ``list_entry``: the list entries a ``listed-counterparty`` alert or a screening hit names,
  from the edition it was judged against (the hit's, else the active one), with that edition;
- ``exposure``: the strongest path from each of the case's subject parties to a party of a
  ``listed-counterparty`` alert (at most :data:`EXPOSURE_HOPS` hops, either direction);
- ``hit``: a screening hit as given (a ``/match`` result or a batch result row).
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import duckdb

from counterflow.cases.alerts import FINDING_COLUMNS
from counterflow.errors import ConfigError, NotFoundError
from counterflow.workspace import Workspace

#: how far exposure paths to listed parties are followed when freezing them
EXPOSURE_HOPS = 2
#: a party with more counterparties than this is reached but not passed through
EXPOSURE_MAX_VIA = 100


#: evidence kinds as counted: singular, plural ("1 list entry", "3 exposure paths")
EVIDENCE_NOUNS: dict[str, tuple[str, str]] = {
    "alert": ("alert", "alerts"),
    "transaction": ("transaction", "transactions"),
    "party": ("party", "parties"),
    "list_entry": ("list entry", "list entries"),
    "exposure": ("exposure path", "exposure paths"),
    "hit": ("screening hit", "screening hits"),
}


@dataclass(frozen=True)
class Item:
    """One frozen evidence item: its kind, its qualified key, its dataset and its body."""

    kind: str
    key: str
    dataset: str | None
    body: str

    @property
    def content_hash(self) -> str:
        return hashlib.sha256(self.body.encode("utf-8")).hexdigest()


def plain(value: Any) -> Any:
    """A value as canonical JSON holds it: times in UTC ISO form, dates ISO, no NaN."""
    if isinstance(value, datetime):
        if value.tzinfo is not None:
            value = value.astimezone(UTC)
        return value.isoformat().replace("+00:00", "Z")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float):
        return None if math.isnan(value) or math.isinf(value) else value
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, Mapping):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    return value


def canonical_text(value: Any) -> str:
    """Sorted keys, no spaces, UTF-8 as is: the same value, the same text."""
    return json.dumps(plain(value), sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def freeze(
    workspace: Workspace,
    *,
    alerts: Sequence[str] = (),
    parties: Sequence[str] = (),
    hits: Sequence[Mapping[str, Any]] = (),
    dataset: str | None = None,
) -> list[Item]:
    """The evidence of these alerts, parties and hits as the workspace has it now, in a stable
    order (alerts, then transactions, parties, list entries, exposure paths, hits). Unknown
    alerts, parties, datasets and list entries are a :class:`NotFoundError` naming them."""
    if parties and dataset is None:
        raise ConfigError("parties need their dataset: give the dataset they belong to")
    if not (alerts or parties or hits):
        return []
    found: dict[tuple[str, str], Item] = {}

    def add(kind: str, key: str, data: str | None, body: Any) -> None:
        found.setdefault((kind, key), Item(kind, key, data, canonical_text(body)))

    with workspace.connect(read_only=True) as conn:
        rows = _alerts(conn, alerts)
        subjects: dict[str, set[str]] = {}
        wanted_parties: dict[str, set[str]] = {}
        wanted_tx: dict[str, set[str]] = {}
        entries: list[tuple[str, str | None, str | None]] = []
        for alert in rows:
            ds = alert["dataset"]
            add("alert", alert["alert_id"], ds, alert)
            wanted_tx.setdefault(ds, set()).update(alert["tx_ids"])
            if alert["subject_kind"] == "party":
                subjects.setdefault(ds, set()).add(alert["subject_id"])
                wanted_parties.setdefault(ds, set()).add(alert["subject_id"])
            facts = alert["explanation"].get("facts", {}) if alert["explanation"] else {}
            if isinstance(facts, dict) and facts.get("list_entry"):
                entries.append((str(facts["list_entry"]), facts.get("list"), None))
        if parties and dataset is not None:
            _check_dataset(conn, dataset)
            known = _party_rows(conn, dataset, set(parties))
            missing = sorted(set(parties) - set(known))
            if missing:
                raise NotFoundError(
                    f"no party {', '.join(map(repr, missing))} in dataset {dataset!r}"
                )
            subjects.setdefault(dataset, set()).update(parties)
            wanted_parties.setdefault(dataset, set()).update(parties)
        for ds, tx_ids in sorted(wanted_tx.items()):
            for tx in _transactions(conn, ds, tx_ids):
                add("transaction", f"{ds}/{tx['tx_id']}", ds, tx)
                for side in ("payer_party", "beneficiary_party"):
                    if tx.get(side):
                        wanted_parties.setdefault(ds, set()).add(str(tx[side]))
        for ds, ids in sorted(wanted_parties.items()):
            for party_id, row in sorted(_party_rows(conn, ds, ids).items()):
                add("party", f"{ds}/{party_id}", ds, row)
        for hit in hits:
            entity_id = str(hit.get("entity_id") or hit.get("id") or "").strip()
            if not entity_id:
                raise ConfigError("a screening hit needs the entity_id of the list entry it hit")
            edition = hit.get("edition")
            entries.append((entity_id, hit.get("list"), str(edition) if edition else None))
            digest = hashlib.sha256(canonical_text(hit).encode("utf-8")).hexdigest()[:16]
            add("hit", f"{entity_id}#{digest}", None, {"hit": dict(hit)})
        for entity_id, list_id, edition_id in entries:
            for key, body in _list_entries(conn, entity_id, list_id, edition_id):
                add("list_entry", key, None, body)
    for ds, ids in sorted(subjects.items()):
        for key, body in _exposure(workspace, ds, ids):
            add("exposure", key, ds, body)
    order = {kind: n for n, kind in enumerate(("alert", "transaction", "party", "list_entry"))}
    order.update({"exposure": 4, "hit": 5})
    return sorted(found.values(), key=lambda item: (order[item.kind], item.key))


def _check_dataset(conn: duckdb.DuckDBPyConnection, dataset: str) -> None:
    from counterflow.transactions.store import get_dataset

    get_dataset(conn, dataset)


def _dicts(cursor: duckdb.DuckDBPyConnection) -> list[dict[str, Any]]:
    names = [d[0] for d in cursor.description or ()]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def _alerts(conn: duckdb.DuckDBPyConnection, ids: Sequence[str]) -> list[dict[str, Any]]:
    if not ids:
        return []
    wanted = sorted(set(ids))
    rows = _dicts(
        conn.execute(
            # the finding only (not the run stamps, which every run moves); current or
            # retired, so a retired alert's id still resolves
            f"SELECT {FINDING_COLUMNS} FROM alerts WHERE list_contains(?, alert_id) "
            f"UNION ALL SELECT {FINDING_COLUMNS} FROM retired_alerts "
            "WHERE list_contains(?, alert_id) ORDER BY alert_id",
            [wanted, wanted],
        )
    )
    missing = sorted(set(wanted) - {r["alert_id"] for r in rows})
    if missing:
        raise NotFoundError(f"no alert {', '.join(map(repr, missing))} in the workspace")
    for row in rows:
        row["tx_ids"] = sorted(row["tx_ids"])
        row["explanation"] = json.loads(row["explanation"])
    return rows


def _transactions(
    conn: duckdb.DuckDBPyConnection, dataset: str, ids: Iterable[str]
) -> list[dict[str, Any]]:
    rows = _dicts(
        conn.execute(
            "SELECT * EXCLUDE (dataset) FROM transactions "
            "WHERE dataset = ? AND list_contains(?, tx_id) ORDER BY tx_id",
            [dataset, sorted(set(ids))],
        )
    )
    return rows


def _party_rows(
    conn: duckdb.DuckDBPyConnection, dataset: str, ids: Iterable[str]
) -> dict[str, dict[str, Any]]:
    rows = _dicts(
        conn.execute(
            "SELECT * EXCLUDE (dataset) FROM parties WHERE dataset = ? AND list_contains(?, "
            "party_id) ORDER BY party_id",
            [dataset, sorted(set(ids))],
        )
    )
    return {str(r["party_id"]): r for r in rows}


def _list_entries(
    conn: duckdb.DuckDBPyConnection, entity_id: str, list_id: str | None, edition_id: str | None
) -> list[tuple[str, dict[str, Any]]]:
    from counterflow.lists.store import Edition, find_entities, get_entity, list_editions

    pairs: list[tuple[Edition, Any]]
    if edition_id:
        editions = {e.edition_id: e for e in list_editions(conn)}
        entity = get_entity(conn, edition_id, entity_id) if edition_id in editions else None
        if entity is None:
            raise NotFoundError(f"no list entry {entity_id!r} in edition {edition_id!r}")
        pairs = [(editions[edition_id], entity)]
    else:
        pairs = list(find_entities(conn, entity_id, list_id))
        if not pairs:
            where = f" in list {list_id!r}" if list_id else ""
            raise NotFoundError(f"no list entry {entity_id!r}{where} in the active editions")
    out = []
    for edition, entity in pairs:
        body = {
            "edition": {
                "id": edition.edition_id,
                "list": edition.list_id,
                "published": edition.published,
                "content_hash": edition.content_hash,
                "title": edition.title,
            },
            "entity": entity.to_json(),
        }
        out.append((f"{edition.edition_id}/{entity.id}", body))
    return out


def _exposure(
    workspace: Workspace, dataset: str, parties: set[str]
) -> list[tuple[str, dict[str, Any]]]:
    from counterflow.engines import open_dataset
    from counterflow.graph.exposure import exposure, id_table, seed_parties

    with open_dataset(workspace, dataset, read_only=True) as (tables, _conn):
        seeds = seed_parties(tables)
        paths = exposure(tables, seeds, hops=EXPOSURE_HOPS, max_via_counterparties=EXPOSURE_MAX_VIA)
        mine = id_table(parties)
        rows = tables.execute(paths.filter(paths.party.isin(mine.party))).to_pylist()
    out = []
    for row in sorted(rows, key=lambda r: (str(r["party"]), str(r["seed"]))):
        row["tx_ids"] = sorted(row.get("tx_ids") or ())
        body = {
            "path": row,
            "options": {
                "hops": EXPOSURE_HOPS,
                "direction": "both",
                "max_via_counterparties": EXPOSURE_MAX_VIA,
                "seeds": "parties of the listed-counterparty alerts",
            },
        }
        out.append((f"{dataset}/{row['party']}->{row['seed']}", body))
    return out
