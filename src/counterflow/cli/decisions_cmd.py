"""``counterflow decisions …``: clear hits as false positives, list and revoke decisions.

The same store the service reads: a hit cleared here is cleared for the service's callers at
their next request, and the other way round. Decisions made here go to the audit trail too.

``clear`` and ``revoke`` record who decided with ``--analyst NAME`` (a free name, as before), or
act as a user of the case store with the global ``--user NAME`` (signed in with
``--password-stdin`` or on a terminal when the workspace's users have passwords, see
:mod:`counterflow.cli.identity`): the decision is then the user's, and the audit trail names
them (``user:rania (cli:<login>)``) with their role.
"""

from __future__ import annotations

import getpass
from typing import Any

import click

from counterflow.cases import AuditLog, DecisionStore
from counterflow.cases.decisions import Decision, Status
from counterflow.cli.console import Column, console, emit_json, note, shorten, table
from counterflow.cli.context import Group, state, workspace
from counterflow.cli.identity import acting_user, password_stdin_option
from counterflow.cli.lists_cmd import nothing_imported
from counterflow.cli.screen_cmd import query_options
from counterflow.errors import NotFoundError
from counterflow.lists import resolve, store
from counterflow.screening import Query
from counterflow.workspace import Workspace


def _actor() -> str:
    try:
        return f"cli:{getpass.getuser()}"
    except (KeyError, OSError):
        return "cli:unknown"


def _who(ctx: click.Context, analyst: str | None) -> tuple[str, str, str]:
    """(analyst, actor, role) of a decision: ``--analyst`` and the login as before, or the
    ``--user`` this command acts as (signed in, active)."""
    if state(ctx).user is None:
        if analyst is None:
            raise click.UsageError(
                "give --analyst NAME (who decided), or --user NAME to act as a user of the "
                "case store",
                ctx=ctx,
            )
        return analyst, _actor(), "cli"
    from counterflow.cases.policy import same_user

    user = acting_user(ctx)
    if analyst is not None and not same_user(analyst, user.name):
        raise click.UsageError(
            f"--analyst {analyst!r} is not the --user {user.name!r}: acting as a user, the "
            "decision is theirs (leave --analyst out)",
            ctx=ctx,
        )
    return user.name, f"user:{user.name} ({_actor()})", str(user.role)


@click.group(cls=Group)
def decisions() -> None:
    """Analysts' decisions on screening hits (shared with the service's POST /decisions).

    \b
    Example:
      counterflow lists import ../shared/data/lists/un_sc/un_sc_2026-02-27.xml
      counterflow decisions clear un-sc:CFi.010 --name "Mohamed Ali" --birth-date 1990-04-02 --analyst "A. Analyst" --reason "born 1990 in Leeds"
      counterflow decisions list
      counterflow decisions revoke un-sc:CFi.010 --analyst "B. Reviewer" --reason "four eyes"
    """  # noqa: E501 (an example runs as written)


@decisions.command("clear")
@click.argument("entity")
@click.option("--name", "names", multiple=True, required=True, help="Name screened (repeatable).")
@query_options
@click.option("--analyst", help="Who decided (not needed with --user: the user decided).")
@click.option("--reason", required=True, help="Why the hit is a false positive.")
@password_stdin_option
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
    analyst: str | None,
    reason: str,
) -> None:
    """Clear the hit of a query on one list entry (id or list reference) as a false positive.

    The query must be given as it is screened: the same names, date of birth, countries,
    gender and identifiers. The hit is raised again if the list entry changes.

    Who decided is --analyst NAME, or, acting as a user of the case store, the global
    --user NAME (with --password-stdin when the workspace's users have passwords).

    \b
    Example:
      counterflow lists import ../shared/data/lists/un_sc/un_sc_2026-02-27.xml
      counterflow decisions clear un-sc:CFi.010 --name "Mohamed Ali" --schema Person --analyst "A. Analyst" --reason "different date and place of birth"
    """  # noqa: E501 (an example runs as written)
    analyst, actor, role = _who(ctx, analyst)
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
        if not store.active_editions(conn):
            raise nothing_imported(ws, f"no list entry {entity!r}")
        found = store.find_entities(conn, entity)
        party = (
            [
                listed
                for member in resolve.current(conn).members(found[0][1].id)
                for _, listed in store.find_entities(conn, member)
            ]
            if len(found) == 1
            else []
        )
    if len(found) != 1:
        raise NotFoundError(
            f"no list entry {entity!r} in the active editions"
            if not found
            else f"{entity!r} names {len(found)} entries: give the full id "
            f"({', '.join(e.id for _, e in found)})"
        )
    edition, target = found[0]
    decision = DecisionStore(ws.home).clear(
        query,
        target,
        edition=edition.label,
        analyst=analyst,
        actor=actor,
        reason=reason,
        party=party,
    )
    _audit(ws).append("decision", actor, role=role, decision=decision.to_json())
    if state(ctx).json:
        emit_json(decision.to_json())
        return
    note(f"Cleared {target.id} ({target.caption}) for this query as {decision.decision_id}.")


@decisions.command("list")
@click.option("--all", "show_all", is_flag=True, help="Include revoked decisions.")
@click.option("--entity", help="Only decisions covering this entity id (any listing of the party).")
@click.pass_context
def list_cmd(ctx: click.Context, show_all: bool, entity: str | None) -> None:
    """The decisions in force (or all of them), oldest first.

    \b
    Example:
      counterflow decisions list --all
      counterflow decisions list --json
    """
    ws = workspace(ctx)
    found = [
        d
        for d in DecisionStore(ws.home).all()
        if (show_all or d.status is Status.CLEARED) and (entity is None or entity in d.entity_ids)
    ]
    if state(ctx).json:
        emit_json([d.to_json() for d in found])
        return
    if not found:
        note(f"No decisions in the workspace {ws.home}.")
        return
    columns = (
        Column("id", "key"),
        Column("entity", "key"),
        Column("decided (UTC), by", "short"),
        Column("query: reason", "text"),
    )
    rows = [
        (
            d.decision_id,
            d.entity_id,
            f"{d.time[:16].replace('T', ' ')}\n{d.analyst}"
            + ("" if d.status is Status.CLEARED else f"\n({d.status})"),
            f"{_described(d.query)}: {shorten(d.reason, 300)}",
        )
        for d in found
    ]
    console.print(table(columns, rows))


def _described(query: dict[str, Any]) -> str:
    """The query a decision is about, in a few words: names, then what else was given."""
    parts = ["; ".join(query.get("names", []))]
    for key, label in (
        ("birth_dates", "born"),
        ("countries", "country"),
        ("identifiers", "id"),
        ("gender", ""),
    ):
        value = query.get(key)
        if value:
            text = ", ".join(value) if isinstance(value, list) else str(value)
            parts.append(f"{label} {text}".strip())
    return shorten(", ".join(parts), 120)


def _targets(decisions: DecisionStore, ref: str) -> list[Decision]:
    """The decision with id ``ref``; else every decision in force on the entry ``ref`` names
    (an entity id, or a list reference such as QDi.006)."""
    everything = decisions.all()
    by_id = [d for d in everything if d.decision_id == ref]
    if by_id:
        return by_id
    on_entry = [
        d
        for d in everything
        if d.status is Status.CLEARED
        and (d.entity_id == ref or d.entity_id.split(":", 1)[-1].lower() == ref.lower())
    ]
    if not on_entry:
        raise NotFoundError(
            f"no decision {ref!r}, and no decision in force on an entry {ref!r} "
            "(see 'counterflow decisions list')"
        )
    return on_entry


@decisions.command("revoke")
@click.argument("ref", metavar="DECISION_ID|ENTRY")
@click.option("--analyst", help="Who withdraws it (not needed with --user).")
@click.option("--reason", required=True, help="Why.")
@password_stdin_option
@click.pass_context
def revoke(ctx: click.Context, ref: str, analyst: str | None, reason: str) -> None:
    """Withdraw a decision, by its id, or every decision in force on a list entry (its id or
    reference): the hits are raised again.

    \b
    Example:
      counterflow lists import ../shared/data/lists/un_sc/un_sc_2026-02-27.xml
      counterflow decisions clear un-sc:CFi.010 --name "Mohamed Ali" --analyst "A. Analyst" --reason "another man"
      counterflow decisions revoke un-sc:CFi.010 --analyst "B. Reviewer" --reason "four eyes"
    """  # noqa: E501 (an example runs as written)
    analyst, actor, role = _who(ctx, analyst)
    ws = workspace(ctx)
    decisions = DecisionStore(ws.home)
    revoked = []
    for target in _targets(decisions, ref):
        decision = decisions.revoke(target.decision_id, analyst=analyst, actor=actor, reason=reason)
        revoked.append(decision)
        if target.status is not Status.CLEARED:
            continue  # revoked before: nothing changed, nothing to record
        _audit(ws).append(
            "revoke",
            actor,
            role=role,
            decision_id=decision.decision_id,
            analyst=analyst,
            reason=reason,
        )
    if state(ctx).json:
        emit_json([d.to_json() for d in revoked])
        return
    for d in revoked:
        note(f"Decision {d.decision_id} on {d.entity_id} revoked.")


def _audit(ws: Workspace) -> AuditLog:
    return AuditLog.for_home(ws.home)
