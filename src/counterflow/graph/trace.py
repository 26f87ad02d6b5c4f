"""Follow the money between one party and the listed parties: every path of payments, up to a
few hops, with the amounts and dates of each hop; exported as FollowTheMoney entities or as
GraphML.

*Listed* parties are those a ``listed-counterparty`` alert names in the dataset as a confirmed
hit; the alerts' unconfirmed hits (possible matches: a namesake until an analyst or a stronger
score says otherwise) are traced to as well, but shown as possible matches with their score,
never as listed, and exported without the ``sanction.linked`` topic. When the dataset has no
listed-counterparty alert, the parties of any alert are the listed ones (so a trace also works
from a hub or a fan found by the layering scenarios).

Only the part of the graph that can hold a path is fetched: the distances from the party
(along the money) and to the listed parties (against it) are grown by one join per hop in the
Ibis layer, and a party is kept when the two add up to at most ``hops``. The paths of that
small graph are then enumerated in memory with rustworkx. A path counts when the money could
have moved along it: each payment from a hop on comes no earlier than the first payment into
it (``ordered``; off for a picture of all dealings).
"""

from __future__ import annotations

import itertools
import json
import math
import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any
from xml.sax.saxutils import escape, quoteattr

import ibis
import ibis.expr.types as ir

from counterflow.engines import DatasetTables, open_dataset
from counterflow.errors import ConfigError, DataError, NotFoundError
from counterflow.graph.exposure import (
    LISTED_SCENARIO,
    ListedHit,
    alerted_parties,
    flows,
    id_table,
    listed_hits,
)
from counterflow.io import atomic_output, atomic_path, is_stdout
from counterflow.workspace import Workspace

if TYPE_CHECKING:
    import rustworkx as rx

#: most paths kept for ranking; rustworkx lists them all first, so what bounds memory is the
#: hop limit (``--hops``, at most 8) and the trimmed neighbourhood, not this
MAX_PATHS = 100_000
#: the longest path a trace follows
MAX_HOPS = 8
#: FtM schema of each party kind
_SCHEMA = {"person": "Person", "company": "Company", "npo": "Organization", "bank": "Company"}


@dataclass(frozen=True)
class Party:
    party_id: str
    name: str | None
    kind: str | None
    country: str | None
    #: a confirmed listed party (or, without listed-counterparty alerts, any alert's party)
    listed: bool
    #: the listed-counterparty hit's score, confirmed or not (None: no such alert)
    hit_score: float | None = None
    #: the alert's ``confirmed`` fact: ``confirmed: …`` or ``unconfirmed``
    confirmation: str | None = None

    @property
    def possible_match(self) -> bool:
        """Hit by the listed-counterparty scenario but not confirmed: maybe a namesake."""
        return self.hit_score is not None and not self.listed

    @property
    def mark(self) -> str:
        """How the party is shown: ``listed 0.97``, ``possible match 0.87``, ``listed`` (an
        alert's party with no hit score), or empty."""
        if self.hit_score is None:
            return "listed" if self.listed else ""
        if self.listed:
            return f"listed {self.hit_score:.2f}"
        return f"possible match {_floor2(self.hit_score):.2f}"


def _floor2(score: float) -> float:
    """A score cut (not rounded) to two decimals: a possible match at 0.946 must not read as
    the 0.95 that confirms."""
    return math.floor(round(score * 100, 6)) / 100


@dataclass(frozen=True)
class Hop:
    """Every payment from one party to the next on a path, summed."""

    payer: str
    beneficiary: str
    usd: float
    payments: int
    first: datetime
    last: datetime
    tx_ids: tuple[str, ...]


@dataclass(frozen=True)
class MoneyPath:
    """A chain of payments between the party traced and a listed party."""

    #: ``"to listed"`` (the party's money can reach the listed party) or ``"from listed"``
    direction: str
    hops: tuple[Hop, ...]

    @property
    def parties(self) -> list[str]:
        return [self.hops[0].payer] + [h.beneficiary for h in self.hops]

    @property
    def listed_party(self) -> str:
        return self.hops[-1].beneficiary if self.direction == "to listed" else self.hops[0].payer

    @property
    def usd(self) -> float:
        """The bottleneck: no more than this can have gone all the way."""
        return min(h.usd for h in self.hops)

    @property
    def first(self) -> datetime:
        return min(h.first for h in self.hops)

    @property
    def last(self) -> datetime:
        return max(h.last for h in self.hops)


@dataclass
class Trace:
    dataset: str
    party: str
    hops: int
    listed_from: str  # "listed-counterparty alerts" or "alerts of any scenario"
    #: the confirmed listed parties
    listed: set[str]
    paths: list[MoneyPath]
    #: unconfirmed hits traced to as well: party -> hit score
    possible: dict[str, float] = field(default_factory=dict)
    #: every party on a path
    parties: dict[str, Party] = field(default_factory=dict)
    #: every transaction on a path: id → row of the transactions table
    transactions: dict[str, dict[str, Any]] = field(default_factory=dict)
    #: paths found before ``limit`` cut the list
    found: int = 0


def listed_parties(t: DatasetTables) -> tuple[set[str], str]:
    """The confirmed listed parties of a dataset and where they come from."""
    hits, origin = _targets(t)
    return {p for p, hit in hits.items() if hit is None or hit.confirmed}, origin


def _targets(t: DatasetTables) -> tuple[dict[str, ListedHit | None], str]:
    """Every party a trace goes to, with its listed-counterparty hit (None for the party of
    another scenario's alert), and where they come from."""
    hits = listed_hits(t)
    if hits:
        return dict(hits), f"{LISTED_SCENARIO} alerts"
    return dict.fromkeys(_ids(t, alerted_parties(t, None))), "alerts of any scenario"


def _ids(t: DatasetTables, table: ir.Table) -> set[str]:
    return {str(v) for v in t.execute(table).column("party").to_pylist()}


def trace(
    workspace: Workspace,
    dataset: str,
    party: str,
    *,
    hops: int = 3,
    to_listed: bool = False,
    ordered: bool = True,
    min_usd: float = 0.0,
    limit: int | None = 50,
) -> Trace:
    """The money paths between ``party`` and the dataset's listed parties, up to ``hops``
    payments long, strongest first (most money, then fewest hops).

    With ``to_listed`` only paths along which the party's money reaches a listed party;
    otherwise also those along which a listed party's money reaches it. Hops carrying less
    than ``min_usd`` in all (card payments at a shop, say) are left out. Every problem with
    the options is raised at once, in one :class:`ConfigError`."""
    problems = trace_problems(hops, min_usd, limit)
    if problems:
        raise ConfigError("trace options have problems:\n- " + "\n- ".join(problems))
    with open_dataset(workspace, dataset) as (t, _):
        if not _known(t, party):
            raise NotFoundError(f"no party {party!r} in dataset {dataset!r}")
        hits, origin = _targets(t)
        targets = set(hits)
        if not targets:
            raise NotFoundError(
                f"dataset {dataset!r} has no alerts, so no listed parties to trace to: run "
                "the monitoring scenarios first (the listed-counterparty scenario names them)"
            )
        f = flows(t)
        if min_usd > 0:
            f = f.filter(f.usd >= min_usd)
        # who paid whom, fetched once: every hop of every direction walks it
        pairs = ibis.memtable(t.execute(f.select("src", "dst")))
        sides = ["to listed"] if to_listed else ["to listed", "from listed"]
        paths: list[MoneyPath] = []
        for side in sides:
            paths.extend(_paths(t, f, pairs, party, targets, hops, side, ordered))
        paths.sort(key=lambda p: (-p.usd, len(p.hops), p.parties))
        found = len(paths)
        if limit:
            paths = paths[:limit]
        listed = {p for p, hit in hits.items() if hit is None or hit.confirmed}
        possible = {p: hit.score for p, hit in hits.items() if hit and not hit.confirmed}
        result = Trace(dataset, party, hops, origin, listed, paths, possible, found=found)
        on_paths = {party} | {x for p in paths for x in p.parties}
        result.parties = _describe(t, on_paths, hits)
        result.transactions = _transactions(t, [x for p in paths for h in p.hops for x in h.tx_ids])
    return result


def trace_problems(hops: object, min_usd: object, limit: object) -> list[str]:
    """Every problem with :func:`trace`'s options, each naming its option (empty: none)."""
    problems = []
    if isinstance(hops, bool) or not isinstance(hops, int) or not 1 <= hops <= MAX_HOPS:
        problems.append(f"hops: must be a whole number from 1 to {MAX_HOPS}, not {hops!r}")
    if (
        isinstance(min_usd, bool)
        or not isinstance(min_usd, int | float)
        or not math.isfinite(min_usd)
        or min_usd < 0
    ):
        problems.append(f"min_usd: must be a number of at least 0, not {min_usd!r}")
    if limit is not None and (isinstance(limit, bool) or not isinstance(limit, int) or limit < 1):
        problems.append(f"limit: must be a whole number of at least 1 or None, not {limit!r}")
    return problems


def _known(t: DatasetTables, party: str) -> bool:
    tx = t.transactions
    seen = tx.filter((tx.payer_party == party) | (tx.beneficiary_party == party)).limit(1)
    parties = t.parties.filter(t.parties.party_id == party).limit(1)
    return bool(t.execute(seen).num_rows or t.execute(parties).num_rows)


def _distances(
    t: DatasetTables, f: ir.Table, start: set[str], hops: int, forward: bool
) -> dict[str, int]:
    """Hops from ``start`` to every party within ``hops``: along the money (``forward``) or
    against it. One join per hop; each frontier is small, so it is fetched and passed on."""
    near, far = ("src", "dst") if forward else ("dst", "src")
    dist = dict.fromkeys(start, 0)
    frontier = set(start)
    for hop in range(1, hops + 1):
        if not frontier:
            break
        ids = id_table(frontier)
        step = f.join(ids, f[near] == ids.party).select(party=f[far]).distinct()
        reached = {str(v) for v in t.execute(step).column("party").to_pylist()}
        frontier = reached - dist.keys()
        dist.update(dict.fromkeys(frontier, hop))
    return dist


def _paths(
    t: DatasetTables,
    f: ir.Table,
    pairs: ir.Table,
    party: str,
    listed: set[str],
    hops: int,
    side: str,
    ordered: bool,
) -> list[MoneyPath]:
    """The paths of one direction: the parties whose distance from ``party`` plus distance to
    a listed party is at most ``hops``, their payments, and the simple paths among them."""
    forward = side == "to listed"
    from_party = _distances(t, pairs, {party}, hops, forward=forward)
    to_listed = _distances(t, pairs, listed, hops, forward=not forward)
    keep = {p for p, d in from_party.items() if d + to_listed.get(p, hops + 1) <= hops}
    if party not in keep or not (keep & listed):
        return []
    ids = id_table(keep)
    a, b = ids.view(), ids.view()
    edges = f.semi_join(a, f.src == a.party).semi_join(b, f.dst == b.party)
    # the graph is walked from the party: along the money for paths to listed parties,
    # against it (edges reversed) for paths from them
    rustworkx = _rustworkx()
    graph: rx.PyDiGraph[str, Hop] = rustworkx.PyDiGraph()
    index: dict[str, int] = {}
    for row in t.execute(edges).to_pylist():
        src, dst = str(row["src"]), str(row["dst"])
        for node in (src, dst):
            if node not in index:
                index[node] = graph.add_node(node)
        hop = Hop(
            src,
            dst,
            float(row["usd"] or 0.0),
            int(row["payments"]),
            row["first_ts"],
            row["last_ts"],
            tuple(sorted(str(x) for x in row["tx_ids"])),
        )
        if forward:
            graph.add_edge(index[src], index[dst], hop)
        else:
            graph.add_edge(index[dst], index[src], hop)
    targets = [index[x] for x in sorted(keep & listed) if x in index and x != party]
    if party not in index or not targets:
        return []
    # rustworkx counts ``cutoff`` in edges for a list of targets; the length is checked again
    found = rustworkx.digraph_all_simple_paths(graph, index[party], targets, cutoff=hops)
    out = []
    for nodes in found[:MAX_PATHS]:
        if len(nodes) - 1 > hops:
            continue
        chain = [graph.get_edge_data(u, v) for u, v in itertools.pairwise(nodes)]
        if not forward:
            chain.reverse()  # in the order the money moved: listed party first
        # a path through another listed party is reported up to that party only
        inner = [h.beneficiary for h in chain[:-1]]
        if any(x in listed for x in inner if x != party):
            continue
        if ordered and not _feasible(chain):
            continue
        out.append(MoneyPath(side, tuple(chain)))
    return out


def _rustworkx() -> Any:
    """rustworkx, imported when a trace runs (the rest of counterflow does without it)."""
    try:
        import rustworkx
    except ImportError as exc:
        raise ConfigError("tracing needs the rustworkx library: pip install rustworkx") from exc
    return rustworkx


def _feasible(chain: Sequence[Hop]) -> bool:
    """Could the money have moved along: each hop paid out no earlier than money came in."""
    arrived = chain[0].first
    for hop in chain[1:]:
        if hop.last < arrived:
            return False
        arrived = max(arrived, hop.first)
    return True


def _describe(
    t: DatasetTables, ids: set[str], hits: dict[str, ListedHit | None]
) -> dict[str, Party]:
    """Name, kind and country of each party (from its record, else from the messages), and
    its listed-counterparty hit."""
    p = t.parties
    wanted = id_table(ids)
    rows = t.execute(
        p.semi_join(wanted, p.party_id == wanted.party).select(
            "party_id", "name", "kind", "country"
        )
    ).to_pylist()
    found = {str(r["party_id"]): r for r in rows}
    missing = ids - found.keys()
    if missing:
        tx = t.transactions
        gap = id_table(missing)
        sides = tx.select(party=tx.payer_party, name=tx.payer_name, country=tx.payer_country).union(
            tx.select(
                party=tx.beneficiary_party, name=tx.beneficiary_name, country=tx.beneficiary_country
            )
        )
        sides = sides.semi_join(gap, "party").filter(lambda s: s.name.notnull())
        named = sides.group_by("party").aggregate(
            name=sides.name.min(), country=sides.country.min()
        )
        for r in t.execute(named).to_pylist():
            found[str(r["party"])] = {"name": r["name"], "kind": None, "country": r["country"]}
    out = {}
    for i in sorted(ids):
        row = found.get(i, {})
        hit = hits.get(i)
        out[i] = Party(
            i,
            row.get("name"),
            row.get("kind"),
            row.get("country"),
            listed=i in hits and (hit is None or hit.confirmed),
            hit_score=hit.score if hit else None,
            confirmation=hit.confirmation if hit else None,
        )
    return out


def _transactions(t: DatasetTables, tx_ids: Sequence[str]) -> dict[str, dict[str, Any]]:
    if not tx_ids:
        return {}
    tx = t.transactions
    wanted = id_table(tx_ids, "tx_id")
    rows = t.execute(
        tx.semi_join(wanted, "tx_id").select(
            "tx_id",
            "timestamp",
            "amount",
            "currency",
            "base_amount",
            "payer_party",
            "beneficiary_party",
            "payer_account",
            "beneficiary_account",
            "channel",
            "purpose_code",
            "remittance_text",
        )
    ).to_pylist()
    return {str(r["tx_id"]): r for r in rows}


# ---------------------------------------------------------------------------- exports


def _party_ftm_id(dataset: str, party: str) -> str:
    return f"cf-{dataset}-party-{party}"


def ftm_entities(result: Trace) -> list[dict[str, Any]]:
    """The paths as FollowTheMoney entities: a Person, Company, Organization or LegalEntity
    per party, and a Payment per transaction (payer, beneficiary, amount, currency, date,
    purpose). Only a confirmed listed party carries the ``sanction.linked`` topic; a possible
    match says so in its ``notes``, so that no tool downstream takes a namesake for a listed
    party."""
    entities: list[dict[str, Any]] = []
    used = {result.party} | {x for p in result.paths for x in p.parties}
    for pid in sorted(used):
        party = result.parties.get(pid) or _unknown(result, pid)
        props: dict[str, list[str]] = {"name": [party.name or pid]}
        if party.country:
            props["country"] = [party.country.lower()]
        if party.listed:
            props["topics"] = ["sanction.linked"]
        elif party.possible_match:
            props["notes"] = [
                f"possible sanctions-list match (score {_floor2(party.hit_score or 0):.2f}), "
                "unconfirmed"
            ]
        entities.append(
            {
                "id": _party_ftm_id(result.dataset, pid),
                "schema": _SCHEMA.get(party.kind or "", "LegalEntity"),
                "properties": props,
                "datasets": [result.dataset],
            }
        )
    for tx_id, row in sorted(result.transactions.items()):
        payment: dict[str, list[str]] = {
            "payer": [_party_ftm_id(result.dataset, str(row["payer_party"]))],
            "beneficiary": [_party_ftm_id(result.dataset, str(row["beneficiary_party"]))],
            "amount": [_number(row["amount"])],
            "currency": [str(row["currency"])],
            "date": [row["timestamp"].date().isoformat()],
            "transactionNumber": [tx_id],
        }
        if row.get("base_amount") is not None:
            payment["amountUsd"] = [_number(row["base_amount"])]
        purpose = row.get("remittance_text") or row.get("purpose_code")
        if purpose:
            payment["purpose"] = [str(purpose)]
        entities.append(
            {
                "id": f"cf-{result.dataset}-payment-{tx_id}",
                "schema": "Payment",
                "properties": payment,
                "datasets": [result.dataset],
            }
        )
    return entities


def _unknown(result: Trace, pid: str) -> Party:
    """A party on a path with no description (it has none in the dataset)."""
    score = result.possible.get(pid)
    return Party(pid, None, None, None, pid in result.listed, score)


def _number(value: Any) -> str:
    return f"{float(value):.2f}"


def write_ftm(result: Trace, path: str | os.PathLike[str]) -> int:
    """Write the trace as FtM JSON lines (``-``: standard output); returns the number of
    entities. The file appears whole or not at all."""
    entities = ftm_entities(result)
    try:
        with atomic_output(path) as out:
            for entity in entities:
                out.write(json.dumps(entity, ensure_ascii=False, sort_keys=True) + "\n")
    except OSError as exc:
        raise DataError(f"cannot write: {exc.strerror or exc}", path=path) from exc
    return len(entities)


def write_graphml(result: Trace, path: str | os.PathLike[str]) -> int:
    """Write the parties and payments of the paths as a GraphML file (``-``: standard
    output); returns the number of edges. The file appears whole or not at all. rustworkx's
    writer is used when it takes key definitions (it then gives node and edge keys distinct
    ids, as GraphML requires); otherwise the file is written here."""
    nodes, edges = _graph_data(result)
    try:
        rustworkx = _rustworkx()
    except ConfigError:
        rustworkx = None
    try:
        # rustworkx writes only to a named file; standard output gets the same graph from here
        if rustworkx is not None and hasattr(rustworkx, "GraphMLKey") and not is_stdout(path):
            _write_with_rustworkx(rustworkx, nodes, edges, path)
        else:
            with atomic_output(path) as out:
                out.write(_graphml_text(nodes, edges))
    except (OSError, RuntimeError) as exc:
        raise DataError(f"cannot write GraphML: {exc}", path=path) from exc
    return len(edges)


_NODE_KEYS = (
    ("name", "string"),
    ("kind", "string"),
    ("country", "string"),
    ("listed", "boolean"),
    ("match", "string"),
)
_EDGE_KEYS = (
    ("amount_usd", "double"),
    ("payments", "int"),
    ("first_date", "string"),
    ("last_date", "string"),
    ("tx_ids", "string"),
)
Node = dict[str, Any]
Edge = tuple[str, str, dict[str, Any]]


def _graph_data(result: Trace) -> tuple[list[Node], list[Edge]]:
    used = {result.party} | {x for p in result.paths for x in p.parties}
    nodes = []
    for pid in sorted(used):
        party = result.parties.get(pid) or _unknown(result, pid)
        nodes.append(
            {
                "id": pid,
                "name": party.name or "",
                "kind": party.kind or "",
                "country": party.country or "",
                "listed": party.listed,
                "match": party.mark,
            }
        )
    hops = {(h.payer, h.beneficiary): h for p in result.paths for h in p.hops}
    edges = [
        (
            src,
            dst,
            {
                "amount_usd": round(hop.usd, 2),
                "payments": hop.payments,
                "first_date": hop.first.date().isoformat(),
                "last_date": hop.last.date().isoformat(),
                "tx_ids": " ".join(hop.tx_ids),
            },
        )
        for (src, dst), hop in sorted(hops.items())
    ]
    return nodes, edges


def _write_with_rustworkx(
    rustworkx: Any, nodes: list[Node], edges: list[Edge], path: str | os.PathLike[str]
) -> None:
    graph = rustworkx.PyDiGraph()
    index = {node["id"]: graph.add_node(node) for node in nodes}
    for src, dst, data in edges:
        graph.add_edge(index[src], index[dst], data)
    types = {
        "string": rustworkx.GraphMLType.String,
        "boolean": rustworkx.GraphMLType.Boolean,
        "double": rustworkx.GraphMLType.Double,
        "int": rustworkx.GraphMLType.Int,
    }
    node, edge = rustworkx.GraphMLDomain.Node, rustworkx.GraphMLDomain.Edge
    keys = [rustworkx.GraphMLKey(f"n_{n}", node, n, types[k], None) for n, k in _NODE_KEYS]
    keys += [rustworkx.GraphMLKey(f"e_{n}", edge, n, types[k], None) for n, k in _EDGE_KEYS]
    with atomic_path(path) as tmp:
        rustworkx.write_graphml(graph, str(tmp), keys=keys)


def _graphml_text(nodes: list[Node], edges: list[Edge]) -> str:
    """GraphML by hand, every value escaped."""

    def data(prefix: str, values: dict[str, Any], keys: tuple[tuple[str, str], ...]) -> str:
        out = []
        for name, kind in keys:
            value = values[name]
            text = str(value).lower() if kind == "boolean" else str(value)
            out.append(f'<data key="{prefix}_{name}">{escape(text)}</data>')
        return "".join(out)

    lines = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        '<graphml xmlns="http://graphml.graphdrawing.org/xmlns">',
    ]
    for prefix, domain, keys in (("n", "node", _NODE_KEYS), ("e", "edge", _EDGE_KEYS)):
        for name, kind in keys:
            lines.append(
                f'<key id="{prefix}_{name}" for="{domain}" attr.name="{name}" attr.type="{kind}"/>'
            )
    lines.append('<graph edgedefault="directed">')
    for node in nodes:
        lines.append(f"<node id={quoteattr(node['id'])}>{data('n', node, _NODE_KEYS)}</node>")
    for src, dst, values in edges:
        lines.append(
            f"<edge source={quoteattr(src)} target={quoteattr(dst)}>"
            f"{data('e', values, _EDGE_KEYS)}</edge>"
        )
    lines += ["</graph>", "</graphml>"]
    return "\n".join(lines) + "\n"
