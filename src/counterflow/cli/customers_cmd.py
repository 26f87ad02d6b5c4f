"""``counterflow customers …``: the customer base kept for continuous re-screening.

``customers import FILE`` upserts a CSV or Parquet file (the ``screen --input`` columns and a
required ``id``) into the workspace; ``customers`` shows its size and last import, and
``customers show ID`` one customer as stored. ``counterflow rescreen`` screens the base against
what a new list edition changed (see :mod:`counterflow.cli.rescreen_cmd`).
"""

from __future__ import annotations

from pathlib import Path

import click

from counterflow.cli.console import Column, console, counting, emit_json, note, table, warn
from counterflow.cli.context import Group, state, workspace
from counterflow.screening.customers import customer_base, get_customer, import_customers


@click.group(cls=Group, invoke_without_command=True)
@click.pass_context
def customers(ctx: click.Context) -> None:
    """The customer base that re-screening screens: its size and last import.

    \b
    Example:
      counterflow customers import tests/fixtures/screening/customers.csv
      counterflow customers
      counterflow customers --json
    """
    if ctx.invoked_subcommand is not None:
        return
    ws = workspace(ctx)
    with ws.connect(read_only=True) as conn:
        base = customer_base(conn)
    if state(ctx).json:
        emit_json(
            {
                "customers": base.customers,
                "words": base.words,
                "last_import": base.last_import.to_json() if base.last_import else None,
                "imported_at": base.imported_at.isoformat() if base.imported_at else None,
            }
        )
        return
    if not base.customers:
        note(
            f"No customers yet in the workspace {ws.home}. Import them: "
            "counterflow customers import FILE"
        )
        return
    console.print(f"{base.customers:,} customers ({base.words:,} name words) in {ws.home}")
    if base.last_import and base.imported_at:
        last = base.last_import
        console.print(
            f"Last import {base.imported_at:%Y-%m-%d %H:%M:%S} UTC from {last.source}: "
            f"{last.inserted:,} inserted, {last.updated:,} updated, {last.unchanged:,} unchanged."
        )


@customers.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.pass_context
def import_cmd(ctx: click.Context, file: Path) -> None:
    """Upsert customers from a CSV or Parquet file, by id.

    The columns are those of 'counterflow screen --input' (name or full_name, first_name,
    middle_name, last_name, schema, birth_date, nationality, country, gender, id_number) and a
    required id. A new id is inserted, a known one replaced when its values differ; customers
    not in the file stay. A row that cannot be used (no id, an id seen twice, no name, a date
    or country that cannot be read) stops the import with its line and field, and nothing is
    changed.

    \b
    Example:
      counterflow customers import tests/fixtures/screening/customers.csv
    """
    ws = workspace(ctx)
    with counting(f"Reading {file.name}", "customers") as progress:
        report = import_customers(ws, file, progress=progress)
    if state(ctx).json:
        emit_json(report.to_json())
        return
    if report.ignored_columns:
        warn(f"ignored columns: {', '.join(report.ignored_columns)}")
    console.print(
        f"Imported {report.rows:,} customers from {file}: {report.inserted:,} inserted, "
        f"{report.updated:,} updated, {report.unchanged:,} unchanged in {report.seconds:.1f} s."
    )


@customers.command("show")
@click.argument("customer_id")
@click.pass_context
def show(ctx: click.Context, customer_id: str) -> None:
    """One customer as stored: its values and the index keys it is found by.

    \b
    Example:
      counterflow customers show C-0003
    """
    with workspace(ctx).connect(read_only=True) as conn:
        customer = get_customer(conn, customer_id)
    if state(ctx).json:
        emit_json(
            {
                "id": customer.customer_id,
                "record": customer.record,
                "updated_at": customer.updated_at.isoformat(),
                "keys": list(customer.keys),
            }
        )
        return
    rows = [(k, v) for k, v in sorted(customer.record.items())]
    rows.append(("screened as", "; ".join(customer.query().names)))
    rows.append(("index keys", " ".join(customer.keys)))
    rows.append(("updated", f"{customer.updated_at:%Y-%m-%d %H:%M:%S} UTC"))
    console.print(f"Customer {customer.customer_id}")
    console.print(table((Column("field", "key"), Column("value", "text")), rows))
