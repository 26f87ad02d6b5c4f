"""``counterflow lists …``: import, inspect, compare, export and update sanctions lists.

Reading commands (``lists``, ``editions``, ``show``, ``diff``, ``export``) never create the
workspace; when it is empty they say which folder they looked in.
"""

from __future__ import annotations

import getpass
import time
from pathlib import Path
from typing import Any, TextIO, cast

import click
import duckdb
from rich.table import Table

from counterflow.cli.console import (
    Column,
    console,
    counting,
    describe,
    emit_json,
    note,
    shorten,
    table,
    transferring,
    warn,
)
from counterflow.cli.context import Group, output_option, state, workspace
from counterflow.cli.identity import acting_user, password_stdin_option
from counterflow.errors import CounterflowError, NotFoundError
from counterflow.io import STDOUT, atomic_output, is_stdout
from counterflow.lists import diff as list_diff
from counterflow.lists import download, resolve, store
from counterflow.lists.formats.ftm import write_ftm
from counterflow.lists.registry import parsers
from counterflow.model import NAME_PROPERTIES, PROPERTIES, Entity, PropType
from counterflow.workspace import Workspace

_FORMATS = sorted(parsers())
_IMPORT_HINT = "import a list first: counterflow lists import PATH"


def nothing_imported(ws: Workspace, what: str) -> click.ClickException:
    """The error for a reading command on a workspace without lists, naming the folder:
    ``no list 'un-sc' in the workspace /x (it is empty: import a list first: …)``."""
    why = "it is empty" if not ws.exists else "it has no lists"
    return click.ClickException(f"{what} in the workspace {ws.home} ({why}: {_IMPORT_HINT})")


def _require_lists(conn: duckdb.DuckDBPyConnection, ws: Workspace, what: str) -> None:
    if not store.active_editions(conn):
        raise nothing_imported(ws, what)


@click.group(cls=Group, invoke_without_command=True)
@click.pass_context
def lists(ctx: click.Context) -> None:
    """The sanctions lists in the workspace: each list's active edition.

    \b
    Example:
      counterflow lists import ../shared/data/lists/un_sc/un_sc_2026-02-27.xml
      counterflow lists
      counterflow lists --json
    """
    if ctx.invoked_subcommand is not None:
        return
    ws = workspace(ctx)
    with ws.connect(read_only=True) as conn:
        active = list(store.active_editions(conn).values())
        pinned = store.pinned_lists(conn)
    if state(ctx).json:
        emit_json([_edition_json(e, active=True, pinned=e.list_id in pinned) for e in active])
        return
    if not active:
        note(
            f"No lists yet in the workspace {ws.home}. Import one: "
            "counterflow lists import PATH (or try: counterflow demo)"
        )
        return
    console.print(_editions_table(active, {e.edition_id for e in active}, pinned))


def _edition_json(e: store.Edition, *, active: bool, pinned: bool) -> dict[str, Any]:
    return {
        "list": e.list_id,
        "edition": e.label,
        "edition_id": e.edition_id,
        "published": e.published,
        "entries": e.entity_count,
        "schemas": e.schema_counts,
        "format": e.format,
        "source": e.source,
        "title": e.title,
        "content_hash": e.content_hash,
        "imported_at": e.imported_at.isoformat(),
        "active": active,
        "pinned": pinned,
    }


def _editions_table(editions: list[store.Edition], active: set[str], pinned: set[str]) -> Table:
    columns = (
        Column("list", "key"),
        Column("edition", "key"),
        Column("entries", "number"),
        Column("by schema", "short"),
        Column("imported", "key"),
    )
    rows = []
    for e in editions:
        label = e.label
        if e.edition_id in active:
            label += " (pinned)" if e.list_id in pinned else ""
        rows.append(
            (
                e.list_id,
                label,
                f"{e.entity_count:,}",
                "\n".join(f"{n:,} {s}" for s, n in e.schema_counts.items()),
                e.imported_at.strftime("%Y-%m-%d"),
            )
        )
    return table(columns, rows)


@lists.command("import")
@click.argument("path", type=click.Path(exists=True, path_type=Path))
@click.option(
    "--format",
    "fmt",
    type=click.Choice(_FORMATS),
    help="Source format; detected from the file when omitted.",
)
@click.option(
    "--list-id",
    help="File the entries under this list id instead of the format's own "
    "(e.g. a national list published in the UN format).",
)
@click.pass_context
def import_cmd(ctx: click.Context, path: Path, fmt: str | None, list_id: str | None) -> None:
    """Import a list file as a new edition (the same file twice changes nothing).

    PATH is a list file, or for OFAC's CSV set the folder (or sdn.csv with its siblings).
    A file that fails to parse leaves the workspace as it was.

    \b
    Example:
      counterflow lists import ../shared/data/lists/un_sc/un_sc_2026-02-27.xml
      counterflow lists import ../shared/data/lists/ofac_nonsdn_2025/ --format ofac-csv
      counterflow lists import ../shared/data/lists/un_sc/un_sc_2024-09-26.xml --list-id un-old
    """
    started = time.perf_counter()
    with counting(f"Reading {path.name}") as progress:
        result = store.import_list(
            workspace(ctx), path, fmt=fmt, list_id=list_id, progress=progress
        )
    _resolve_parties(workspace(ctx))  # even when nothing was new: stores a stale resolution
    if result.created:
        _refresh_index(workspace(ctx))
    e = result.edition
    seconds = time.perf_counter() - started
    if state(ctx).json:
        emit_json(
            {
                **_edition_json(e, active=True, pinned=False),
                "created": result.created,
                "path": str(path),
                "seconds": round(seconds, 3),
            }
        )
        return
    if not result.created:
        note(f"{e.list_id} edition {e.label} is already in the workspace; nothing changed.")
        return
    counts = ", ".join(f"{n:,} {s}" for s, n in e.schema_counts.items())
    note(
        f"Imported {e.list_id} edition {e.label}: {e.entity_count:,} entries "
        f"({counts}) from {path} in {seconds:.1f} s."
    )


@lists.command("editions")
@click.argument("list_id", required=False)
@click.pass_context
def editions_cmd(ctx: click.Context, list_id: str | None) -> None:
    """Every edition in the workspace (or of LIST_ID), newest first; the active one is marked
    in the JSON form, and '(pinned)' in the table when it was pinned.

    \b
    Example:
      counterflow lists import ../shared/data/lists/un_sc/un_sc_2024-09-26.xml
      counterflow lists import ../shared/data/lists/un_sc/un_sc_2026-02-27.xml
      counterflow lists editions un-sc
    """
    ws = workspace(ctx)
    with ws.connect(read_only=True) as conn:
        editions = store.list_editions(conn, list_id)
        active = {e.edition_id for e in store.active_editions(conn).values()}
        pinned = store.pinned_lists(conn)
    if state(ctx).json:
        emit_json(
            [
                _edition_json(
                    e,
                    active=e.edition_id in active,
                    pinned=e.edition_id in active and e.list_id in pinned,
                )
                for e in editions
            ]
        )
        return
    if not editions:
        note(f"No editions{f' of {list_id}' if list_id else ''} in the workspace {ws.home}.")
        return
    console.print(_editions_table(editions, active, pinned))


@lists.command("pin")
@click.argument("list_id")
@click.argument("edition")
@click.pass_context
def pin_cmd(ctx: click.Context, list_id: str, edition: str) -> None:
    """Screen against EDITION of LIST_ID instead of the newest one.

    \b
    Example:
      counterflow lists import ../shared/data/lists/un_sc/un_sc_2024-09-26.xml
      counterflow lists pin un-sc 2024-09-26
      counterflow lists unpin un-sc
    """
    ws = workspace(ctx)
    if not ws.exists:  # pinning writes: never create a workspace just to fail in it
        raise nothing_imported(ws, f"no list {list_id!r}")
    with ws.connect() as conn:
        chosen = store.pin_edition(conn, list_id, edition)
        resolve.refresh(conn)
    _refresh_index(ws)
    if state(ctx).json:
        emit_json(_edition_json(chosen, active=True, pinned=True))
        return
    note(f"{list_id} is pinned to edition {chosen.label}.")


@lists.command("unpin")
@click.argument("list_id")
@click.pass_context
def unpin_cmd(ctx: click.Context, list_id: str) -> None:
    """Go back to screening against the newest edition of LIST_ID.

    \b
    Example:
      counterflow lists import ../shared/data/lists/un_sc/un_sc_2026-02-27.xml
      counterflow lists unpin un-sc
    """
    ws = workspace(ctx)
    if not ws.exists:
        raise nothing_imported(ws, f"no list {list_id!r}")
    with ws.connect() as conn:
        store.resolve_edition(conn, list_id, "latest")  # the list exists, or a clear error
        store.unpin(conn, list_id)
        now = store.active_editions(conn)[list_id]
        resolve.refresh(conn)
    _refresh_index(ws)
    if state(ctx).json:
        emit_json(_edition_json(now, active=True, pinned=False))
        return
    note(f"{list_id} follows its newest edition ({now.label}).")


@lists.command("show")
@click.argument("ref")
@click.option("--list", "list_id", help="Only look in this list.")
@click.option("--edition", help="Edition to read (default: the active one); needs --list.")
@click.pass_context
def show_cmd(ctx: click.Context, ref: str, list_id: str | None, edition: str | None) -> None:
    """One entry with every name and attribute, by reference (QDe.137) or entity id.

    With --json, a list of the entries found, in counterflow's JSON form (one reference may
    name entries in several lists).

    \b
    Example:
      counterflow lists import ../shared/data/lists/un_sc/un_sc_2026-02-27.xml
      counterflow lists show QDe.137
      counterflow lists show un-sc:QDi.006 --json
    """
    if edition and not list_id:
        raise click.UsageError("--edition needs --list")
    ws = workspace(ctx)
    with ws.connect(read_only=True) as conn:
        _require_lists(conn, ws, f"no entry {ref!r}")
        if edition and list_id:
            chosen = store.resolve_edition(conn, list_id, edition)
            found = [(chosen, e) for e in _by_ref(conn, chosen, ref)]
        else:
            found = store.find_entities(conn, ref, list_id)
        if not found:
            where = f"edition {edition} of {list_id}" if edition else "the active editions"
            if list_id and not edition:
                where += f" of {list_id}"
            raise NotFoundError(f"no entry {ref!r} in {where}")
        seen = {e.id: store.first_seen(conn, e.id) for _, e in found}
        resolution = None if state(ctx).json else resolve.current(conn)
    if state(ctx).json:
        emit_json([entity.to_json() for _, entity in found])
        return
    for chosen, entity in found:
        _print_entity(entity, chosen, seen.get(entity.id))
        _print_listings(entity.id, resolution)


def _by_ref(conn: duckdb.DuckDBPyConnection, edition: store.Edition, ref: str) -> list[Entity]:
    entity_id = ref if ":" in ref else f"{edition.list_id}:{ref}"
    entity = store.get_entity(conn, edition.edition_id, entity_id)
    return [entity] if entity else []


def _print_entity(entity: Entity, edition: store.Edition, first: store.Edition | None) -> None:
    console.print(f"{entity.caption}", style="bold")
    console.print(
        f"{entity.schema.name} · {entity.id} · list {entity.list_id}, "
        f"edition {edition.label}"
        + (f" · in the workspace since edition {first.label}" if first else "")
    )
    out = Table(show_header=False, show_edge=False, box=None, padding=(0, 2, 0, 0))
    out.add_column(style="cyan", no_wrap=True)
    out.add_column(overflow="fold", ratio=1)
    ordered = [p for p in NAME_PROPERTIES if p in entity.properties]
    ordered += sorted(p for p in entity.properties if p not in ordered)
    for prop in ordered:
        for i, value in enumerate(entity.properties[prop]):
            text = describe(value)
            if PROPERTIES.get(prop) is PropType.COUNTRY and value.original:
                text = f"{text} ({shorten(value.original, 60)})"
            out.add_row(prop if i == 0 else "", text)
    for prop, values in sorted(entity.sanction.properties.items()):
        for i, value in enumerate(values):
            out.add_row(f"sanction.{prop}" if i == 0 else "", describe(value))
    console.print(out)
    console.print()


def _print_listings(entity_id: str, resolution: resolve.Resolution | None) -> None:
    """The party's other listings under an entry, each with the links that tie it in."""
    if resolution is None:
        return
    others = [m for m in resolution.members(entity_id) if m != entity_id]
    if not others:
        return
    console.print("Also listed as:", style="bold")
    for link in resolution.links_of(entity_id):
        console.print(f"  {link.entity_a} = {link.entity_b}: {link.rule}, {link.evidence}")
    console.print()


def _resolve_parties(ws: Workspace) -> None:
    """Store which entries of the active editions are one party, for the screener to read."""
    with ws.connect() as conn:
        resolve.refresh(conn)


def _refresh_index(ws: Workspace) -> None:
    """Rebuild the persisted screening index for the new active editions, so the next screen
    or service start loads it instead of building it (see docs/screening.md, "Persisted
    index"). Nothing is rebuilt when the saved index is current (a pin to the active edition).
    A failure only warns: the lists changed as asked, and the next screen builds the index."""
    from counterflow.screening.screener import refresh_index  # the matcher loads only here

    try:
        with counting("Indexing the active list editions for screening"):
            refresh_index(ws)
    except CounterflowError as exc:
        warn(f"the screening index was not rebuilt ({exc}); the next screen will build it")


def _acting(ctx: click.Context) -> tuple[str, str, str]:
    """(analyst, actor, role) of a merge or split: the --user the command acts as."""
    user = acting_user(ctx)
    try:
        login = getpass.getuser()
    except (KeyError, OSError):
        login = "unknown"
    return user.name, f"user:{user.name} (cli:{login})", str(user.role)


def _judge(ctx: click.Context, kind: str, a: str, b: str, reason: str) -> None:
    analyst, actor, role = _acting(ctx)
    ws = workspace(ctx)
    if not ws.exists:
        raise nothing_imported(ws, f"no list entry {a!r}")
    with ws.connect() as conn:
        _require_lists(conn, ws, f"no list entry {a!r}")
        judgement, resolution = resolve.judge(
            conn, kind, a, b, analyst=analyst, actor=actor, reason=reason
        )
    from counterflow.cases import AuditLog

    AuditLog.for_home(ws.home).append(f"entity-{kind}", actor, role=role, link=judgement.to_json())
    party = resolution.members(judgement.entity_a)
    if state(ctx).json:
        emit_json(
            {
                **judgement.to_json(),
                "party": party,
                "other_party": resolution.members(judgement.entity_b)
                if judgement.entity_b not in party
                else [],
            }
        )
        return
    if kind == resolve.MERGE:
        note(
            f"Merged {judgement.entity_a} and {judgement.entity_b} ({judgement.link_id}): "
            f"one party listed as {', '.join(party)}."
        )
    else:
        other = resolution.members(judgement.entity_b)
        note(
            f"Split {judgement.entity_a} from {judgement.entity_b} ({judgement.link_id}): "
            f"parties {', '.join(party)} and {', '.join(other)}."
        )


@lists.command("merge")
@click.argument("entity_a")
@click.argument("entity_b")
@click.option("--reason", required=True, help="Why the two entries are one party.")
@password_stdin_option
@click.pass_context
def merge_cmd(ctx: click.Context, entity_a: str, entity_b: str, reason: str) -> None:
    """Record that two list entries are one party, whatever the automatic rules say.

    ENTITY_A and ENTITY_B are entity ids (un-sc:QDi.006) or LIST:REF. Screening then returns
    the two as one result, and clearing a hit on one clears the party. A split in force
    between them (or their parties) is named and the merge refused. Acts as the global --user,
    and goes to the audit trail.

    \b
    Example:
      counterflow --user ana lists merge un-sc:CDi.001 ofac-sdn:15718 --reason "Eric Badege: same name, born 1971, both M23 commanders"
    """  # noqa: E501 (an example runs as written)
    _judge(ctx, resolve.MERGE, entity_a, entity_b, reason)


@lists.command("split")
@click.argument("entity_a")
@click.argument("entity_b")
@click.option("--reason", required=True, help="Why the two entries are different parties.")
@password_stdin_option
@click.pass_context
def split_cmd(ctx: click.Context, entity_a: str, entity_b: str, reason: str) -> None:
    """Record that two list entries are different parties: no rule links them again.

    A split beats every automatic rule, and a later merge of the same pair lifts it. Acts as
    the global --user, and goes to the audit trail.

    \b
    Example:
      counterflow --user ana lists split un-sc:CFi.009 ofac-sdn:11018 --reason "checking: keep apart until the UN confirms"
      counterflow --user ana lists merge un-sc:CFi.009 ofac-sdn:11018 --reason "UN confirmed: same person"
    """  # noqa: E501 (an example runs as written)
    _judge(ctx, resolve.SPLIT, entity_a, entity_b, reason)


@lists.command("links")
@click.argument("ref")
@click.pass_context
def links_cmd(ctx: click.Context, ref: str) -> None:
    """The party of a list entry (id or reference): its listings on other lists, the rule and
    evidence of each link, the links the guards refused, and the analysts' merges and splits.

    \b
    Example:
      counterflow lists links un-sc:CFi.009
      counterflow lists links CFi.009 --json
    """
    ws = workspace(ctx)
    with ws.connect(read_only=True) as conn:
        _require_lists(conn, ws, f"no entry {ref!r}")
        found = store.find_entities(conn, ref)
        if not found:
            raise NotFoundError(f"no entry {ref!r} in the active editions")
        resolution = resolve.current(conn)
        judged = resolve.judgements(conn)
        captions = {
            e.id: e.caption
            for m in {m for _, e in found for m in resolution.members(e.id)}
            for _, e in store.find_entities(conn, m)
        }
    out: list[dict[str, Any]] = []
    for _, entity in found:
        members = resolution.members(entity.id)
        ids = set(members)
        out.append(
            {
                "entity_id": entity.id,
                "party": [{"entity_id": m, "caption": captions.get(m, "")} for m in members],
                "links": [link.to_json() for link in resolution.links_of(entity.id)],
                "refused": [
                    {**link.to_json(), "why": why} for link, why in resolution.refused_of(entity.id)
                ],
                "judgements": [
                    j.to_json() for j in judged if j.entity_a in ids or j.entity_b in ids
                ],
            }
        )
    if state(ctx).json:
        emit_json(out)
        return
    for party in out:
        console.print(f"{party['entity_id']}: one party of {len(party['party'])}", style="bold")
        for member in party["party"]:
            console.print(f"  {member['entity_id']:<22} {shorten(member['caption'], 60)}")
        for link in party["links"]:
            console.print(
                f"  linked {link['entity_a']} = {link['entity_b']}: {link['rule']}, "
                f"{link['evidence']}"
            )
        for link in party["refused"]:
            console.print(
                f"  not linked {link['entity_a']} = {link['entity_b']} ({link['rule']}, "
                f"{link['evidence']}): {link['why']}",
                style="yellow",
            )
        for j in party["judgements"]:
            console.print(
                f"  {j['kind']} {j['entity_a']} / {j['entity_b']} by {j['analyst']} "
                f"({j['link_id']}): {j['reason']}"
            )


@lists.command("diff")
@click.argument("list_id")
@click.option("--from", "from_", help="Older edition (default: the one before --to).")
@click.option("--to", help="Newer edition (default: the newest).")
@click.option(
    "--field",
    "fields",
    multiple=True,
    metavar="PROP",
    help="Only count changes to these properties (repeatable), e.g. --field name "
    "--field alias; 'names' means every name property.",
)
@click.pass_context
def diff_cmd(
    ctx: click.Context,
    list_id: str,
    from_: str | None,
    to: str | None,
    fields: tuple[str, ...],
) -> None:
    """Entries added, removed and changed between two editions, with the changed fields.

    \b
    Example:
      counterflow lists import ../shared/data/lists/un_sc/un_sc_2024-09-26.xml
      counterflow lists import ../shared/data/lists/un_sc/un_sc_2026-02-27.xml
      counterflow lists diff un-sc
      counterflow lists diff un-sc --from 2024-09-26 --to 2026-02-27 --field names
      counterflow lists diff un-sc --json
    """
    ws = workspace(ctx)
    with ws.connect(read_only=True) as conn:
        _require_lists(conn, ws, f"no list {list_id!r}")
        editions = store.list_editions(conn, list_id)
        new = store.resolve_edition(conn, list_id, to or "latest")
        if from_:
            old = store.resolve_edition(conn, list_id, from_)
        else:
            older = [
                e
                for e in editions
                if e.edition_id != new.edition_id and editions.index(e) > editions.index(new)
            ]
            if not older:
                raise click.ClickException(
                    f"{list_id} has only one edition before {new.label}; import another to compare"
                )
            old = older[0]
        result = list_diff.diff_editions(conn, old, new)
    if fields:
        wanted = {f for name in fields for f in (NAME_PROPERTIES if name == "names" else (name,))}
        result = result.only_fields(wanted)
    if state(ctx).json:
        emit_json(result.to_json())
        return
    console.print(
        f"{list_id}: {old.label} → {new.label}: {len(result.added)} added, "
        f"{len(result.removed)} removed, {len(result.changed)} changed",
        style="bold",
    )
    for title, entries in (("Added", result.added), ("Removed", result.removed)):
        if entries:
            console.print(f"\n{title}:", style="bold")
            for entry in entries:
                console.print(f"  {entry.ref:<12} {entry.schema:<13} {shorten(entry.caption, 50)}")
    if result.changed:
        console.print("\nChanged:", style="bold")
    for change in result.changed:
        console.print(f"  {change.entry.ref:<12} {shorten(change.entry.caption, 64)}")
        for field in change.fields:
            for value in field.removed:
                console.print(f"      - {field.prop}: {shorten(value, 110)}", style="red")
            for value in field.added:
                console.print(f"      + {field.prop}: {shorten(value, 110)}", style="green")


@lists.command("export")
@click.argument("list_id")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["ftm"]),
    default="ftm",
    show_default=True,
    help="Output format: FollowTheMoney entity JSON lines.",
)
@click.option("--edition", help="Edition to export (default: the active one).")
@output_option(
    "File to write (whole or not at all); - or none: standard output.", hidden_aliases=("--out",)
)
@click.pass_context
def export_cmd(
    ctx: click.Context, list_id: str, fmt: str, edition: str | None, output: str | None
) -> None:
    """Write a list edition as FollowTheMoney entities (JSON lines), for Aleph or yente.

    With --json (and -o FILE), a summary of what was written.

    \b
    Example:
      counterflow lists import ../shared/data/lists/un_sc/un_sc_2026-02-27.xml
      counterflow lists export un-sc --format ftm -o un-sc.ftm.json
      counterflow lists export un-sc --edition 2026-02-27 -o -
    """
    target = output or STDOUT
    as_json = state(ctx).json
    if as_json and is_stdout(target):
        raise click.UsageError("--json prints a summary on standard output: give -o FILE")
    ws = workspace(ctx)
    with ws.connect(read_only=True) as conn:
        _require_lists(conn, ws, f"no list {list_id!r}")
        chosen = store.resolve_edition(conn, list_id, edition)
        with atomic_output(target) as out:
            count = write_ftm(store.iter_entities(conn, chosen.edition_id), cast(TextIO, out))
    if as_json:
        emit_json(
            {
                "list": list_id,
                "edition": chosen.label,
                "format": fmt,
                "records": count,
                "output": str(target),
            }
        )
    elif not is_stdout(target):
        note(f"Wrote {count:,} FtM entities of {list_id} edition {chosen.label} to {target}.")


def _parse_urls(values: tuple[str, ...]) -> dict[str, str]:
    """``LIST=URL`` pairs; a URL that is a local file's path becomes its ``file://`` URL."""
    urls = {}
    for item in values:
        list_id, sep, url = item.partition("=")
        url = url.strip()
        if not sep or not url:
            raise click.BadParameter(f"{item!r} is not LIST=URL", param_hint="--url")
        if "://" not in url and Path(url).is_file():
            url = Path(url).resolve().as_uri()
        urls[list_id.strip()] = url
    return urls


@lists.command("update")
@click.argument("list_ids", nargs=-1, metavar="[LIST]...")
@click.option(
    "--url",
    "urls",
    multiple=True,
    metavar="LIST=URL",
    help="Fetch LIST from this URL or local file (a mirror) instead of the official source.",
)
@click.option(
    "--timeout",
    type=float,
    default=download.DEFAULT_TIMEOUT,
    show_default=True,
    help="Seconds to wait for the server.",
)
@click.pass_context
def update_cmd(
    ctx: click.Context, list_ids: tuple[str, ...], urls: tuple[str, ...], timeout: float
) -> None:
    """Download the official list files and import any new edition.

    Without LIST, updates every list with a known source (un-sc, ofac-sdn, ofac-nonsdn, uk,
    eu). A failed download or import leaves that list's previous edition active. Where the
    official sources cannot be reached, point --url at a mirror: an http(s):// or file:// URL,
    or a local file's path.

    \b
    Example:
      counterflow lists update un-sc --url un-sc=../shared/data/lists/un_sc/un_sc_2026-02-27.xml
    """
    overrides = _parse_urls(urls)
    wanted = list_ids or tuple(download.SOURCES)
    report: list[dict[str, Any]] = []
    for list_id in wanted:
        try:
            with transferring(f"Downloading {list_id}") as progress:
                result = download.update_list(
                    workspace(ctx), list_id, overrides=overrides, timeout=timeout, progress=progress
                )
        except CounterflowError as exc:
            report.append({"list": list_id, "status": "failed", "error": str(exc)})
            warn(f"{list_id}: failed: {exc}")
            continue
        e = result.edition
        report.append(
            {
                "list": list_id,
                "status": "new" if result.created else "unchanged",
                "edition": e.label,
                "entries": e.entity_count,
            }
        )
        if not state(ctx).json:
            what = "new edition" if result.created else "no change, edition"
            console.print(f"{list_id}: {what} {e.label} ({e.entity_count:,} entries)")
    if any(r["status"] == "new" for r in report):
        _resolve_parties(workspace(ctx))
        _refresh_index(workspace(ctx))
    if state(ctx).json:
        emit_json(report)
    failures = sum(1 for r in report if r["status"] == "failed")
    if failures:
        raise click.ClickException(
            f"{failures} of {len(wanted)} lists failed to update; "
            "their previous editions stay active"
        )
