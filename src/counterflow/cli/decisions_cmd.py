"""``counterflow decisions …``: clear hits as false positives, list and revoke decisions.

The same store the service reads: a hit cleared here is cleared for the service's callers at
their next request, and the other way round. Decisions made here go to the audit trail too.
"""

from __future__ import annotations

import getpass

import click
from rich.table import Table

from counterflow.cases import AuditLog, DecisionStore
from counterflow.cases.decisions import Status
from counterflow.cli import workspace
from counterflow.cli.console import console, shorten
from counterflow.cli.screen_cmd import query_options
from counterflow.errors import NotFoundError
from counterflow.lists import store
from counterflow.screening import Query
from counterflow.workspace import Workspace


def _actor() -> str:
    try:
        return f"cli:{getpass.getuser()}"
    except (KeyError, OSError):
        return "cli:unknown"


@click.group()
def decisions() -> None:
    """Analysts' decisions on screening hits (shared with the service's POST /decisions).

    \b
    Example:
      counterflow decisions clear un-sc:CFi.010 --name "Mohamed Ali" --birth-date 1990-04-02 \\
        --analyst "A. Analyst" --reason "born 1990 in Leeds; the listed man in 1993 or 1994"
      counterflow decisions list
    """


@decisions.command("clear")
@click.argument("entity")
@click.option("--name", "names", multiple=True, required=True, help="Name screened (repeatable).")
@query_options
@click.option("--analyst", required=True, help="Who decided.")
@click.option("--reason", required=True, help="Why the hit is a false positive.")
@click.pass_context
def clear(
    ctx: click.Context,
    entity: str,
    names: tuple[str, ...],
    schema: str | None,
    birth_dates: tuple[str, ...],
    countries: tuple[str, ...],
    gender: str | None,
    identifiers: tuple[str, ...],
    analyst: str,
    reason: str,
) -> None:
    """Clear the hit of a query on one list entry (id or list reference) as a false positive.

    The query must be given as it is screened: the same names, date of birth, countries,
    gender and identifiers. The hit is raised again if the list entry changes.

    \b
    Example:
      counterflow decisions clear CFi.010 --name "Mohamed Ali" --schema Person \\
        --analyst "A. Analyst" --reason "different date and place of birth"
    """
    ws = workspace(ctx)
    query = Query.make(
        names,
        schema=schema,
        birth_date=birth_dates,
        country=countries,
        gender=gender,
        identifier=identifiers,
    )
    with ws.connect(read_only=True) as conn:
        found = store.find_entities(conn, entity)
    if len(found) != 1:
        raise NotFoundError(
            f"no list entry {entity!r} in the active editions"
            if not found
            else f"{entity!r} names {len(found)} entries: give the full id "
            f"({', '.join(e.id for _, e in found)})"
        )
    edition, target = found[0]
    decision = DecisionStore(ws.home).clear(
        query, target, edition=edition.label, analyst=analyst, actor=_actor(), reason=reason
    )
    _audit(ws).append("decision", _actor(), role="cli", decision=decision.to_json())
    console.print(
        f"Cleared {target.id} ({target.caption}) for this query as {decision.decision_id}."
    )


@decisions.command("list")
@click.option("--all", "show_all", is_flag=True, help="Include revoked decisions.")
@click.option("--entity", help="Only decisions on this entity id.")
@click.pass_context
def list_cmd(ctx: click.Context, show_all: bool, entity: str | None) -> None:
    """The decisions in force (or all of them), oldest first.

    \b
    Example:
      counterflow decisions list --all
    """
    found = [
        d
        for d in DecisionStore(workspace(ctx).home).all()
        if (show_all or d.status is Status.CLEARED) and entity in (None, d.entity_id)
    ]
    if not found:
        console.print("No decisions.")
        return
    table = Table(show_edge=False)
    for column in ("id", "status", "time (UTC)", "entity", "query", "analyst", "reason"):
        table.add_column(column, overflow="fold")
    for d in found:
        table.add_row(
            d.decision_id,
            str(d.status),
            d.time[:19],
            d.entity_id,
            shorten("; ".join(d.query.get("names", [])), 40),
            d.analyst,
            shorten(d.reason, 60),
        )
    console.print(table)


@decisions.command("revoke")
@click.argument("decision_id")
@click.option("--analyst", required=True, help="Who withdraws it.")
@click.option("--reason", required=True, help="Why.")
@click.pass_context
def revoke(ctx: click.Context, decision_id: str, analyst: str, reason: str) -> None:
    """Withdraw a decision: the hit is raised again.

    \b
    Example:
      counterflow decisions revoke d-4be0c2a19f3e --analyst "B. Reviewer" --reason "four eyes"
    """
    ws = workspace(ctx)
    decision = DecisionStore(ws.home).revoke(
        decision_id, analyst=analyst, actor=_actor(), reason=reason
    )
    _audit(ws).append(
        "revoke", _actor(), role="cli", decision_id=decision_id, analyst=analyst, reason=reason
    )
    console.print(f"Decision {decision.decision_id} revoked.")


def _audit(ws: Workspace) -> AuditLog:
    return AuditLog.for_home(ws.home)
