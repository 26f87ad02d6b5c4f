"""``counterflow lists …``: import, inspect, compare, export and update sanctions lists."""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import click
import duckdb
from rich.table import Table

from counterflow.cli import workspace
from counterflow.cli.console import console, counting, describe, shorten, transferring
from counterflow.errors import CounterflowError
from counterflow.lists import diff as list_diff
from counterflow.lists import download, store
from counterflow.lists.formats.ftm import write_ftm
from counterflow.lists.registry import parsers
from counterflow.model import NAME_PROPERTIES, PROPERTIES, Entity, PropType

_FORMATS = sorted(parsers())


@click.group(invoke_without_command=True)
@click.pass_context
def lists(ctx: click.Context) -> None:
    """The sanctions lists in the workspace: each list's active edition.

    \b
    Example:
      counterflow lists
      counterflow lists import ../shared/data/lists/un_sc/un_sc_2026-02-27.xml
      counterflow lists show QDe.137
    """
    if ctx.invoked_subcommand is None:
        with workspace(ctx).connect(read_only=True) as conn:
            active = store.active_editions(conn)
            pinned = store.pinned_lists(conn)
        if not active:
            console.print(
                "No lists yet. Import one: counterflow lists import PATH (or try: counterflow demo)"
            )
            return
        console.print(_editions_table(list(active.values()), pinned))


def _editions_table(editions: list[store.Edition], pinned: set[str]) -> Table:
    table = Table(show_edge=False)
    for column in ("list", "edition", "entries", "by schema", "format", "imported (UTC)"):
        table.add_column(column, justify="right" if column == "entries" else "left")
    for e in editions:
        counts = ", ".join(f"{n:,} {s}" for s, n in e.schema_counts.items())
        label = e.label + (" (pinned)" if e.list_id in pinned else "")
        table.add_row(
            e.list_id,
            label,
            f"{e.entity_count:,}",
            counts,
            e.format,
            e.imported_at.strftime("%Y-%m-%d %H:%M"),
        )
    return table


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
      counterflow lists import consolidated.xml
      counterflow lists import ./ofac_sdn/ --format ofac-csv
      counterflow lists import national.xml --format un-xml --list-id my-national
    """
    started = time.perf_counter()
    with counting(f"Reading {path.name}") as progress:
        result = store.import_list(
            workspace(ctx), path, fmt=fmt, list_id=list_id, progress=progress
        )
    e = result.edition
    if not result.created:
        console.print(
            f"{e.list_id} edition {e.label} is already in the workspace; nothing changed."
        )
        return
    counts = ", ".join(f"{n:,} {s}" for s, n in e.schema_counts.items())
    console.print(
        f"Imported {e.list_id} edition {e.label}: {e.entity_count:,} entries "
        f"({counts}) from {path} in {time.perf_counter() - started:.1f} s."
    )


@lists.command("editions")
@click.argument("list_id", required=False)
@click.pass_context
def editions_cmd(ctx: click.Context, list_id: str | None) -> None:
    """Every edition in the workspace, newest first.

    \b
    Example:
      counterflow lists editions un-sc
    """
    with workspace(ctx).connect(read_only=True) as conn:
        editions = store.list_editions(conn, list_id)
        pinned = store.pinned_lists(conn)
    if not editions:
        console.print("No editions" + (f" of {list_id}." if list_id else "."))
        return
    console.print(_editions_table(editions, pinned))


@lists.command("pin")
@click.argument("list_id")
@click.argument("edition")
@click.pass_context
def pin_cmd(ctx: click.Context, list_id: str, edition: str) -> None:
    """Screen against EDITION of LIST instead of the newest one.

    \b
    Example:
      counterflow lists pin un-sc 2024-09-26
    """
    with workspace(ctx).connect() as conn:
        chosen = store.pin_edition(conn, list_id, edition)
    console.print(f"{list_id} is pinned to edition {chosen.label}.")


@lists.command("unpin")
@click.argument("list_id")
@click.pass_context
def unpin_cmd(ctx: click.Context, list_id: str) -> None:
    """Go back to screening against the newest edition of LIST.

    \b
    Example:
      counterflow lists unpin un-sc
    """
    with workspace(ctx).connect() as conn:
        store.unpin(conn, list_id)
    console.print(f"{list_id} follows its newest edition.")


@lists.command("show")
@click.argument("ref")
@click.option("--list", "list_id", help="Only look in this list.")
@click.option("--edition", help="Edition to read (default: the active one); needs --list.")
@click.option("--json", "as_json", is_flag=True, help="Print counterflow's JSON form.")
@click.pass_context
def show_cmd(
    ctx: click.Context, ref: str, list_id: str | None, edition: str | None, as_json: bool
) -> None:
    """One entry with every name and attribute, by reference (QDe.137) or entity id.

    \b
    Example:
      counterflow lists show QDe.137
      counterflow lists show 36 --list ofac-sdn --json
    """
    if edition and not list_id:
        raise click.UsageError("--edition needs --list")
    with workspace(ctx).connect(read_only=True) as conn:
        if edition and list_id:
            chosen = store.resolve_edition(conn, list_id, edition)
            found = [(chosen, e) for e in _by_ref(conn, chosen, ref)]
        else:
            found = store.find_entities(conn, ref, list_id)
        if not found:
            raise click.ClickException(
                f"no entry {ref!r} in the active editions" + (f" of {list_id}" if list_id else "")
            )
        seen = {e.id: store.first_seen(conn, e.id) for _, e in found}
    for chosen, entity in found:
        if as_json:
            sys.stdout.write(json.dumps(entity.to_json(), ensure_ascii=False, indent=2) + "\n")
            continue
        _print_entity(entity, chosen, seen.get(entity.id))


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
    table = Table(show_header=False, show_edge=False, box=None, padding=(0, 2, 0, 0))
    table.add_column(style="cyan", no_wrap=True)
    table.add_column()
    ordered = [p for p in NAME_PROPERTIES if p in entity.properties]
    ordered += sorted(p for p in entity.properties if p not in ordered)
    for prop in ordered:
        for i, value in enumerate(entity.properties[prop]):
            text = describe(value)
            if PROPERTIES.get(prop) is PropType.COUNTRY and value.original:
                text = f"{text} ({shorten(value.original, 60)})"
            table.add_row(prop if i == 0 else "", text)
    for prop, values in sorted(entity.sanction.properties.items()):
        for i, value in enumerate(values):
            table.add_row(f"sanction.{prop}" if i == 0 else "", describe(value))
    console.print(table)
    console.print()


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
@click.option("--json", "as_json", is_flag=True, help="Print the whole diff as JSON.")
@click.pass_context
def diff_cmd(
    ctx: click.Context,
    list_id: str,
    from_: str | None,
    to: str | None,
    fields: tuple[str, ...],
    as_json: bool,
) -> None:
    """Entries added, removed and changed between two editions, with the changed fields.

    \b
    Example:
      counterflow lists diff un-sc
      counterflow lists diff un-sc --from 2024-09-26 --to 2026-02-27 --field names
      counterflow lists diff un-sc --json
    """
    with workspace(ctx).connect(read_only=True) as conn:
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
    if as_json:
        sys.stdout.write(json.dumps(result.to_json(), ensure_ascii=False, indent=2) + "\n")
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
                console.print(f"  {entry.ref:<12} {entry.schema:<13} {shorten(entry.caption, 80)}")
    if result.changed:
        console.print("\nChanged:", style="bold")
    for change in result.changed:
        console.print(f"  {change.entry.ref:<12} {shorten(change.entry.caption, 80)}")
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
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write here instead of standard output (written atomically).",
)
@click.pass_context
def export_cmd(
    ctx: click.Context, list_id: str, fmt: str, edition: str | None, output: Path | None
) -> None:
    """Write a list edition as FollowTheMoney entities (JSON lines), for Aleph or yente.

    \b
    Example:
      counterflow lists export un-sc --format ftm -o un-sc.ftm.json
    """
    with workspace(ctx).connect(read_only=True) as conn:
        chosen = store.resolve_edition(conn, list_id, edition)
        entities = store.iter_entities(conn, chosen.edition_id)
        if output is None:
            write_ftm(entities, sys.stdout)
            return
        tmp = output.with_name(output.name + ".part")
        try:
            with open(tmp, "w", encoding="utf-8") as out:
                count = write_ftm(entities, out)
            tmp.replace(output)
        finally:
            tmp.unlink(missing_ok=True)
    click.echo(
        f"Wrote {count:,} FtM entities of {list_id} edition {chosen.label} to {output}.", err=True
    )


def _parse_urls(values: tuple[str, ...]) -> dict[str, str]:
    urls = {}
    for item in values:
        list_id, sep, url = item.partition("=")
        if not sep or not url:
            raise click.BadParameter(f"{item!r} is not LIST=URL", param_hint="--url")
        urls[list_id.strip()] = url.strip()
    return urls


@lists.command("update")
@click.argument("list_ids", nargs=-1, metavar="[LIST]...")
@click.option(
    "--url",
    "urls",
    multiple=True,
    metavar="LIST=URL",
    help="Fetch LIST from this URL (a mirror) instead of the official one.",
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
    eu). A failed download or import leaves that list's previous edition active.

    \b
    Example:
      counterflow lists update un-sc
      counterflow lists update un-sc --url un-sc=http://mirror.internal/consolidated.xml
    """
    overrides = _parse_urls(urls)
    failures = 0
    for list_id in list_ids or tuple(download.SOURCES):
        try:
            with transferring(f"Downloading {list_id}") as progress:
                result = download.update_list(
                    workspace(ctx), list_id, overrides=overrides, timeout=timeout, progress=progress
                )
        except CounterflowError as exc:
            failures += 1
            click.echo(f"{list_id}: failed: {exc}", err=True)
            continue
        e = result.edition
        state = "new edition" if result.created else "no change, edition"
        console.print(f"{list_id}: {state} {e.label} ({e.entity_count:,} entries)")
    if failures:
        raise click.ClickException(
            f"{failures} of {len(list_ids or download.SOURCES)} "
            "lists failed to update; their previous editions stay active"
        )
