"""``counterflow cases …``: open cases from alerts and parties, work them, decide under the
four-eyes rule, and verify their hash-chained histories.

A thin layer over :mod:`counterflow.cases.lifecycle`. The commands that change a case act as a
user of the case store (the global ``--user NAME``, signed in with ``--password-stdin`` or on a
terminal when the workspace's users have passwords: :mod:`counterflow.cli.identity`), so the
command line meets the same rules as the HTTP API. Each of them reads the case's version first
(or takes ``--expected-version N`` from a script that read it earlier) and passes it on, so a
case changed in between is refused as the library refuses it (a conflict naming both versions).

Reading commands (``list``, ``show``, ``verify``, ``goaml``, which writes only its output file)
never create the workspace nor the case store.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, TypeVar

import click

from counterflow.cli.console import Column, console, emit_json, err_console, note, shorten, table
from counterflow.cli.context import Group, output_option, resolve_dataset, state, workspace
from counterflow.cli.identity import acting_user, password_stdin_option

if TYPE_CHECKING:
    from counterflow.cases.db import CaseStore
    from counterflow.cases.lifecycle import Case, CaseView, Event, Evidence

# the case store (SQLAlchemy, Alembic) is imported by the commands that use it, so the rest of
# counterflow's commands start without loading it

F = TypeVar("F", bound=Callable[..., Any])
#: the statuses of a case, in lifecycle order (as the store's CASE_STATUSES)
STATUSES = ("new", "investigating", "proposed", "approved", "reported", "closed")
#: evidence rows shown per kind by ``cases show`` (``--json`` gives them all)
SHOWN_ROWS = 20


@click.group(cls=Group)
def cases() -> None:
    """Cases: opened from alerts and parties with their evidence frozen, worked, proposed
    (report or no-report) and approved by another reviewer (four eyes), each change an event
    of a hash-chained history. The commands that change a case act as --user NAME.

    \b
    Example:
      counterflow users add ana --role analyst
      counterflow users add rui --role reviewer
      counterflow cases open --user ana --title "Oil sold under price at the border" --alert A-203b0c904b3bbe15
      counterflow cases list
    """  # noqa: E501 (an example runs as written)


def expected_version_option(f: F) -> F:
    return click.option(
        "--expected-version",
        type=click.IntRange(0),
        metavar="N",
        help="The case's version as read earlier (cases show --json): refused if it changed "
        "since. Default: the version read just before writing.",
    )(f)


def hit_options(f: F) -> F:
    """The options that name screening hits: audited /match answers and batch result rows."""
    for option in reversed(
        (
            click.option(
                "--hit-from-audit",
                "audit_hits",
                multiple=True,
                metavar="REQUEST_ID[:ENTITY_ID]",
                help="The hit on ENTITY_ID in the audited /match answer REQUEST_ID (its "
                "X-Request-Id, or its audit seq); without ENTITY_ID, every result it flagged "
                "a match (repeatable).",
            ),
            click.option(
                "--hits-from",
                "hits_file",
                type=click.Path(dir_okay=False),
                metavar="FILE",
                help="A results file of 'counterflow screen --input' (CSV or Parquet): the "
                "rows --row and --where-entity name.",
            ),
            click.option(
                "--row",
                "rows",
                multiple=True,
                type=click.IntRange(1),
                metavar="N",
                help="A row of --hits-from (1: its first result row; repeatable).",
            ),
            click.option(
                "--where-entity",
                "where_entities",
                multiple=True,
                metavar="ID",
                help="Every row of --hits-from on this entity id (repeatable).",
            ),
        )
    ):
        f = option(f)
    return f


def _hits(
    ctx: click.Context,
    audit_hits: Sequence[str],
    hits_file: str | None,
    rows: Sequence[int],
    where_entities: Sequence[str],
) -> list[dict[str, Any]]:
    """The hits the options name, resolved from the audit trail and the results file."""
    from pathlib import Path

    from counterflow.cases import AuditLog
    from counterflow.cases.hits import AuditRef, hits_from_audit, hits_from_results

    if (rows or where_entities) and not hits_file:
        raise click.UsageError("--row and --where-entity pick rows of --hits-from FILE", ctx=ctx)
    if hits_file and not (rows or where_entities):
        raise click.UsageError(
            "--hits-from FILE needs the rows to take: --row N or --where-entity ID", ctx=ctx
        )
    hits: list[dict[str, Any]] = []
    if audit_hits:
        log = AuditLog.for_home(workspace(ctx).home)
        for text in audit_hits:
            ref = AuditRef.parse(text)
            hits.extend(hits_from_audit(log, ref.request, ref.entity_id))
    if hits_file:
        hits.extend(hits_from_results(Path(hits_file), rows=rows, entities=where_entities))
    return hits


def _escalate(ctx: click.Context, hits: Sequence[dict[str, Any]], case_id: str) -> list[str]:
    """Record an escalated decision for each hit whose query is known, as the acting user
    (each in the audit trail, as 'decisions clear' records a clearing); their ids."""
    import getpass

    from counterflow.cases import AuditLog, DecisionStore
    from counterflow.cases.hits import record_escalations

    if not hits:
        return []
    user = acting_user(ctx)
    try:
        login = getpass.getuser()
    except (KeyError, OSError):
        login = "unknown"
    actor = f"user:{user.name} (cli:{login})"
    ws = workspace(ctx)
    made = record_escalations(
        ws, DecisionStore(ws.home), hits, case_id, analyst=user.name, actor=actor
    )
    trail = AuditLog.for_home(ws.home)
    for decision in made:
        trail.append("decision", actor, role=str(user.role), decision=decision.to_json())
    return [d.decision_id for d in made]


def _escalated(ids: Sequence[str]) -> str:
    if not ids:
        return ""
    return f" Escalation recorded as decision {', '.join(ids)}."


# ---------------------------------------------------------------------------- opening


@cases.command("open")
@click.option("--title", required=True, help="What the case is about (up to 200 characters).")
@click.option("--alert", "alerts", multiple=True, metavar="ID", help="An alert (repeatable).")
@click.option(
    "--party", "parties", multiple=True, metavar="ID", help="A party of --dataset (repeatable)."
)
@click.option(
    "--priority",
    default="medium",
    show_default=True,
    metavar="high|medium|low",
    help="Sets the due date (COUNTERFLOW_CASE_SLA_DAYS: its days per priority).",
)
@click.option(
    "--dataset",
    metavar="NAME",
    help="The dataset of the parties (default: the only one). Alerts name their own.",
)
@hit_options
@password_stdin_option
@click.pass_context
def open_cmd(
    ctx: click.Context,
    title: str,
    alerts: tuple[str, ...],
    parties: tuple[str, ...],
    priority: str,
    dataset: str | None,
    audit_hits: tuple[str, ...],
    hits_file: str | None,
    rows: tuple[int, ...],
    where_entities: tuple[str, ...],
) -> None:
    """Open a case from alerts, parties and screening hits (or from nothing: a tip-off),
    freezing their evidence as the workspace has it now: the alerts, their transactions, the
    parties on both sides, the list entries named, the exposure paths to listed parties, and
    each hit as given. A hit is escalated from an audited /match answer (--hit-from-audit
    REQUEST_ID:ENTITY_ID, the request id being the answer's X-Request-Id) or from a results
    file of 'screen --input' (--hits-from FILE --row N); a hit whose query is known is also
    recorded as a decision "escalated to case C-…" (decisions list --all).

    \b
    Example:
      counterflow cases open --user ana --title "Payments to a listed party" --alert A-61fb288197b3abc2 --priority high
      counterflow cases open --user ana --title "Tip-off from a branch" --party P00001806 --dataset world
    """  # noqa: E501 (an example runs as written)
    from counterflow.cases.db import CaseStore
    from counterflow.cases.lifecycle import get_case, open_case

    user = acting_user(ctx)
    ws = workspace(ctx)
    hits = _hits(ctx, audit_hits, hits_file, rows, where_entities)
    if parties and not dataset:
        dataset = resolve_dataset(ctx, None)
    with CaseStore.open(ws.settings, write=True) as store:
        case = open_case(
            store,
            ws,
            user.name,
            title=title,
            alerts=alerts,
            parties=parties,
            hits=hits,
            priority=priority,
            dataset=dataset,
        )
        evidence = get_case(store, case.id).evidence
    escalated = _escalate(ctx, hits, case.id)
    if state(ctx).json:
        emit_json(case.to_json())
        return
    counts = evidence_counts(evidence)
    console.print(
        f"Opened {case.id} ({case.priority}, due {_minutes(case.due)} UTC): {case.title}. "
        + (f"Evidence frozen: {counts}." if counts else "No evidence (a manual case).")
        + _escalated(escalated)
    )


@cases.command("add-evidence")
@click.argument("case_id", metavar="CASE")
@click.option("--alert", "alerts", multiple=True, metavar="ID", help="An alert (repeatable).")
@click.option(
    "--party", "parties", multiple=True, metavar="ID", help="A party of --dataset (repeatable)."
)
@click.option(
    "--dataset",
    metavar="NAME",
    help="The dataset of the parties (default: the case's, else the only one).",
)
@hit_options
@expected_version_option
@password_stdin_option
@click.pass_context
def add_evidence_cmd(
    ctx: click.Context,
    case_id: str,
    alerts: tuple[str, ...],
    parties: tuple[str, ...],
    dataset: str | None,
    audit_hits: tuple[str, ...],
    hits_file: str | None,
    rows: tuple[int, ...],
    where_entities: tuple[str, ...],
    expected_version: int | None,
) -> None:
    """Freeze more evidence into a case being worked (new or investigating): alerts, parties
    and screening hits, named as for 'cases open'. Items the case has already keep their first
    frozen form; escalated hits are recorded as decisions as for 'cases open'.

    \b
    Example:
      counterflow screen --input ../shared/data/screening/positives_un_untreated.csv -o hits.csv
      counterflow cases add-evidence C-000001 --hits-from hits.csv --row 1 --user ana
      counterflow cases add-evidence C-000001 --party P00001806 --dataset world --user ana
    """
    from counterflow.cases.db import CaseStore
    from counterflow.cases.lifecycle import add_evidence, get_case

    if not (alerts or parties or audit_hits or hits_file):
        raise click.UsageError(
            "name the evidence: --alert, --party, --hit-from-audit or --hits-from", ctx=ctx
        )
    hits = _hits(ctx, audit_hits, hits_file, rows, where_entities)
    ws = workspace(ctx)
    if parties and not dataset:
        with CaseStore.open(ws.settings) as store:
            dataset = get_case(store, case_id).case.dataset or resolve_dataset(ctx, None)
    case = _write(
        ctx,
        case_id,
        expected_version,
        lambda store, actor, version: add_evidence(
            store,
            ws,
            case_id,
            actor,
            alerts=alerts,
            parties=parties,
            hits=hits,
            dataset=dataset,
            expected_version=version,
        ),
    )
    escalated = _escalate(ctx, hits, case.id)
    with CaseStore.open(ws.settings) as store:
        evidence = get_case(store, case.id).evidence
    counts = evidence_counts(evidence)
    _done(ctx, case, f"{case.id} now holds {counts}." + _escalated(escalated))


# ---------------------------------------------------------------------------- reading


@cases.command("list")
@click.option("--status", type=click.Choice(STATUSES), help="Only cases in this status.")
@click.option("--assignee", metavar="USER", help="Only cases assigned to this user.")
@click.option("--overdue", is_flag=True, help="Only cases past their due date, not finished.")
@click.pass_context
def list_cmd(ctx: click.Context, status: str | None, assignee: str | None, overdue: bool) -> None:
    """The cases, earliest due first.

    \b
    Example:
      counterflow cases list --status new
      counterflow cases list --overdue --json
    """
    from counterflow.cases.db import CaseStore
    from counterflow.cases.lifecycle import list_cases

    ws = workspace(ctx)
    with CaseStore.open(ws.settings) as store:
        found = list_cases(store, status=status, assignee=assignee, overdue=overdue)
        where = store.where
    if state(ctx).json:
        emit_json([{**c.to_json(), "overdue": c.overdue()} for c in found])
        return
    if not found:
        note(
            f"No {'such ' if status or assignee or overdue else ''}cases in the case store {where}."
        )
        return
    columns = (
        Column("case", "key"),
        Column("status", "short"),
        Column("priority", "short"),
        Column("due (UTC)", "key"),
        Column("assignee", "short"),
        Column("title", "text"),
    )
    rows = [
        (
            c.id,
            c.status + (f"\n{c.decision}" if c.decision else ""),
            c.priority,
            _minutes(c.due) + ("\noverdue" if c.overdue() else ""),
            c.assignee or "",
            c.title,
        )
        for c in found
    ]
    console.print(table(columns, rows))


@cases.command("show")
@click.argument("case_id", metavar="CASE")
@click.pass_context
def show(ctx: click.Context, case_id: str) -> None:
    """A case: its state, its frozen evidence summarised kind by kind, and its history
    (--json: everything, the evidence as frozen).

    \b
    Example:
      counterflow cases show C-000001
      counterflow cases show C-000001 --json
    """
    from counterflow.cases.db import CaseStore
    from counterflow.cases.lifecycle import get_case

    with CaseStore.open(workspace(ctx).settings) as store:
        view = get_case(store, case_id)
    if state(ctx).json:
        emit_json(_view_json(view))
        return
    _print_view(view)


# ---------------------------------------------------------------------------- working


@cases.command("assign")
@click.argument("case_id", metavar="CASE")
@click.argument("assignee", metavar="USER")
@expected_version_option
@password_stdin_option
@click.pass_context
def assign_cmd(
    ctx: click.Context, case_id: str, assignee: str, expected_version: int | None
) -> None:
    """Give the case to a user (an active one); a new case starts being investigated.

    \b
    Example:
      counterflow cases assign C-000001 ana --user ana
    """
    from counterflow.cases.lifecycle import assign

    case = _write(
        ctx,
        case_id,
        expected_version,
        lambda store, actor, version: assign(
            store, case_id, actor, assignee, expected_version=version
        ),
    )
    _done(ctx, case, f"{case.id} assigned to {case.assignee}; it is {case.status}.")


@cases.command("comment")
@click.argument("case_id", metavar="CASE")
@click.argument("text")
@expected_version_option
@password_stdin_option
@click.pass_context
def comment_cmd(ctx: click.Context, case_id: str, text: str, expected_version: int | None) -> None:
    """Add a comment to the case's history (in any status).

    \b
    Example:
      counterflow cases comment C-000001 "The buyer's director also owns the trucking firm." --user ana
    """  # noqa: E501 (an example runs as written)
    from counterflow.cases.lifecycle import comment

    case = _write(
        ctx,
        case_id,
        expected_version,
        lambda store, actor, version: comment(
            store, case_id, actor, text, expected_version=version
        ),
    )
    _done(ctx, case, f"Comment added to {case.id}.")


@cases.command("propose")
@click.argument("case_id", metavar="CASE")
@click.argument("decision", type=click.Choice(["report", "no-report"]))
@click.option("--reason", required=True, help="Why: what the reviewer approves.")
@expected_version_option
@password_stdin_option
@click.pass_context
def propose_cmd(
    ctx: click.Context, case_id: str, decision: str, reason: str, expected_version: int | None
) -> None:
    """Propose a decision, report (to the FIU) or no-report, for a reviewer to approve.

    \b
    Example:
      counterflow cases propose C-000001 report --reason "Under-priced oil passed on to two new accounts" --user ana
    """  # noqa: E501 (an example runs as written)
    from counterflow.cases.lifecycle import propose

    case = _write(
        ctx,
        case_id,
        expected_version,
        lambda store, actor, version: propose(
            store, case_id, actor, decision, reason, expected_version=version
        ),
    )
    _done(ctx, case, f"{case.id} proposed: {case.decision}. A reviewer other than you approves it.")


@cases.command("approve")
@click.argument("case_id", metavar="CASE")
@click.option("--comment", "note_text", help="A note with the approval.")
@expected_version_option
@password_stdin_option
@click.pass_context
def approve_cmd(
    ctx: click.Context, case_id: str, note_text: str | None, expected_version: int | None
) -> None:
    """Approve the case's proposal (reviewers; never the proposer nor anyone who was the
    case's assignee: the four-eyes rule).

    \b
    Example:
      counterflow cases open --user ana --title "Cash to a border town"
      counterflow cases propose C-000002 report --reason "Cash couriered to Gaziantep" --user ana
      counterflow cases approve C-000002 --comment "Agreed: file it." --user rui
    """
    from counterflow.cases.lifecycle import approve

    case = _write(
        ctx,
        case_id,
        expected_version,
        lambda store, actor, version: approve(
            store, case_id, actor, note_text, expected_version=version
        ),
    )
    _done(ctx, case, f"{case.id} approved by {case.approved_by}: {case.decision}.")


@cases.command("return")
@click.argument("case_id", metavar="CASE")
@click.option("--reason", required=True, help="What is missing.")
@expected_version_option
@password_stdin_option
@click.pass_context
def return_cmd(ctx: click.Context, case_id: str, reason: str, expected_version: int | None) -> None:
    """Send a proposal back to be investigated further, saying why (reviewers).

    \b
    Example:
      counterflow cases open --user ana --title "Donations forwarded abroad"
      counterflow cases propose C-000007 no-report --reason "A known charity" --user ana
      counterflow cases return C-000007 --reason "Check the charity's registration" --user rui
    """
    from counterflow.cases.lifecycle import return_case

    case = _write(
        ctx,
        case_id,
        expected_version,
        lambda store, actor, version: return_case(
            store, case_id, actor, reason, expected_version=version
        ),
    )
    _done(ctx, case, f"{case.id} returned: it is {case.status} again.")


@cases.command("close")
@click.argument("case_id", metavar="CASE")
@click.option("--reason", help="A closing note.")
@expected_version_option
@password_stdin_option
@click.pass_context
def close_cmd(
    ctx: click.Context, case_id: str, reason: str | None, expected_version: int | None
) -> None:
    """Close a case whose no-report decision was approved.

    \b
    Example:
      counterflow cases open --user ana --title "Rent paid in cash"
      counterflow cases propose C-000003 no-report --reason "The landlord's receipts explain it" --user ana
      counterflow cases approve C-000003 --user rui
      counterflow cases close C-000003 --reason "Nothing to report" --user ana
    """  # noqa: E501 (an example runs as written)
    from counterflow.cases.lifecycle import close

    case = _write(
        ctx,
        case_id,
        expected_version,
        lambda store, actor, version: close(
            store, case_id, actor, reason, expected_version=version
        ),
    )
    _done(ctx, case, f"{case.id} closed.")


@cases.command("reopen")
@click.argument("case_id", metavar="CASE")
@click.option("--reason", required=True, help="Why it is investigated again.")
@expected_version_option
@password_stdin_option
@click.pass_context
def reopen_cmd(ctx: click.Context, case_id: str, reason: str, expected_version: int | None) -> None:
    """Reopen a closed case for investigation, saying why (reviewers).

    \b
    Example:
      counterflow cases reopen C-000003 --reason "The landlord is on a new list" --user rui
    """
    from counterflow.cases.lifecycle import reopen

    case = _write(
        ctx,
        case_id,
        expected_version,
        lambda store, actor, version: reopen(
            store, case_id, actor, reason, expected_version=version
        ),
    )
    _done(ctx, case, f"{case.id} reopened: it is {case.status}.")


# ---------------------------------------------------------------------------- verifying


@cases.command("verify")
@click.argument("case_id", metavar="[CASE]", required=False)
@click.pass_context
def verify_cmd(ctx: click.Context, case_id: str | None) -> None:
    """Recompute the history chain of a case (of every case when none is given) and check
    its frozen evidence; exit 1 naming each broken event or item.

    \b
    Example:
      counterflow cases verify C-000001
      counterflow cases verify --json
    """
    from counterflow.cases.db import CaseStore
    from counterflow.cases.lifecycle import list_cases, verify_history

    with CaseStore.open(workspace(ctx).settings) as store:
        ids = [case_id] if case_id else sorted(c.id for c in list_cases(store))
        checks = [verify_history(store, i) for i in ids]
        where = store.where
    broken = [c for c in checks if not c.ok]
    if state(ctx).json:
        emit_json(
            [
                {
                    "case": c.case,
                    "events": c.events,
                    "head": c.head,
                    "ok": c.ok,
                    "problems": c.problems,
                }
                for c in checks
            ]
        )
    else:
        for check in broken:
            for problem in check.problems:
                err_console.print(f"{check.case}: {problem}")
        for check in checks:
            console.print(
                f"{check.case}: {check.events} events, "
                + ("intact" if check.ok else f"BROKEN ({len(check.problems)} problem(s))")
                + f"; head {check.head}."
            )
        if not checks:
            note(f"No cases in the case store {where}.")
    if broken:
        first = broken[0]
        more = f" (and {len(broken) - 1} more case(s))" if len(broken) > 1 else ""
        raise click.ClickException(
            f"the history of {first.case} is NOT intact: {first.problems[0]}"
            + (f" (+{len(first.problems) - 1} more)" if len(first.problems) > 1 else "")
            + more
        )


# ---------------------------------------------------------------------------- reporting


@cases.command("goaml")
@click.argument("case_id", metavar="CASE")
@click.option(
    "--profile",
    "profile_path",
    required=True,
    type=click.Path(dir_okay=False),
    metavar="FIU.toml",
    help="The FIU profile: reporting entity, local currency, code lists and the FIU's XSD.",
)
@click.option(
    "-o",
    "--output",
    required=True,
    metavar="PATH",
    help="Where the report's XML goes ('-': standard output).",
)
@click.pass_context
def goaml_cmd(ctx: click.Context, case_id: str, profile_path: str, output: str) -> None:
    """Write the goAML report of a case whose report decision was approved: the approving
    reviewer as reporting person, the proposal's reason, every frozen transaction with its two
    sides, the indicators of its alerts' typologies. It is validated against the profile's XSD
    before it is written; otherwise every problem is listed and nothing is written. Needs no
    --user: it changes no case (record the filing with 'cases reported').

    \b
    Example:
      counterflow cases open --user ana --title "Oil money sent on" --alert A-203b0c904b3bbe15
      counterflow cases propose C-000004 report --reason "Oil proceeds forwarded the same week" --user ana
      counterflow cases approve C-000004 --user rui
      counterflow cases goaml C-000004 --profile tests/fixtures/reporting/fiu-generic.toml -o report.xml
      counterflow cases goaml C-000004 --profile tests/fixtures/reporting/fiu-generic.toml -o report.xml --json
    """  # noqa: E501 (an example runs as written)
    from counterflow.cases.db import CaseStore
    from counterflow.cases.lifecycle import get_case
    from counterflow.io import is_stdout
    from counterflow.reporting import load_profile, report_from_case, write_report

    if state(ctx).json and is_stdout(output):
        raise click.UsageError("--json prints a summary on standard output: give -o a file")
    profile = load_profile(profile_path)
    with CaseStore.open(workspace(ctx).settings) as store:
        view = get_case(store, case_id)
    report = report_from_case(view, profile, base_currency=_base_currency(ctx, view))
    xml = write_report(output, report, profile)
    summary = {
        "case": view.case.id,
        "output": output,
        "transactions": len(report.transactions),
        "bytes": len(xml),
        "indicators": sorted({c for t in report.typologies for c in profile.indicators[t]}),
        "typologies": list(report.typologies),
    }
    if state(ctx).json:
        emit_json(summary)
    elif not is_stdout(output):
        console.print(
            f"Wrote {output}: goAML report of {view.case.id}, "
            f"{len(report.transactions)} transaction(s), {len(xml):,} bytes, validated against "
            f"{profile.xsd.name}. Once filed: counterflow cases reported {view.case.id}."
        )


@cases.command("report")
@click.argument("case_id", metavar="CASE")
@output_option("Where the HTML page goes ('-': standard output).", required=True)
@click.pass_context
def report_cmd(ctx: click.Context, case_id: str, output: str) -> None:
    """Write the printable case report: one self-contained HTML page (no script, nothing
    fetched; it prints to PDF cleanly) with the case's summary, its decision trail, whether its
    history verifies, its frozen evidence and charts of its money flows. Needs no --user: it
    changes no case.

    \b
    Example:
      counterflow cases report C-000001 -o case.html
      counterflow cases report C-000001 -o case.html --json
    """
    from counterflow.cases.db import CaseStore
    from counterflow.cases.lifecycle import get_case, verify_history
    from counterflow.io import is_stdout
    from counterflow.reporting.case_report import write_case_report

    if state(ctx).json and is_stdout(output):
        raise click.UsageError("--json prints a summary on standard output: give -o a file")
    with CaseStore.open(workspace(ctx).settings) as store:
        view = get_case(store, case_id)
        check = verify_history(store, view.case.id)
    html = write_case_report(output, view, check, base_currency=_base_currency(ctx, view))
    if state(ctx).json:
        emit_json({"case": view.case.id, "output": output})
    elif not is_stdout(output):
        console.print(
            f"Wrote {output}: case report of {view.case.id} ({view.case.status}), "
            f"{len(view.events)} event{'' if len(view.events) == 1 else 's'}, "
            f"{len(view.evidence)} evidence item{'' if len(view.evidence) == 1 else 's'}, "
            f"{len(html.encode('utf-8')):,} bytes; history "
            + ("verified." if check.ok else f"NOT intact ({len(check.problems)} problem(s)).")
        )


@cases.command("reported")
@click.argument("case_id", metavar="CASE")
@click.option("--reference", metavar="REF", help="The FIU's reference for the filing, if known.")
@expected_version_option
@password_stdin_option
@click.pass_context
def reported_cmd(
    ctx: click.Context, case_id: str, reference: str | None, expected_version: int | None
) -> None:
    """Record that the case's approved report was filed with the FIU (when, by whom, and the
    FIU's reference when known): the case is reported, an event of its history.

    \b
    Example:
      counterflow cases reported C-000002 --reference FIU-2026-0142 --user ana
    """
    from counterflow.cases.lifecycle import mark_reported

    case = _write(
        ctx,
        case_id,
        expected_version,
        lambda store, actor, version: mark_reported(
            store, case_id, actor, reference, expected_version=version
        ),
    )
    ref = f" (FIU reference {case.reference})" if case.reference else ""
    _done(ctx, case, f"{case.id} reported{ref}.")


def _base_currency(ctx: click.Context, view: CaseView) -> str:
    """The currency of the frozen rows' base amounts (:func:`counterflow.reporting.from_case.
    base_currency`), noting when it had to be taken as USD."""
    from counterflow.reporting.from_case import base_currency

    currency, problem = base_currency(workspace(ctx), view)
    if problem:
        note(problem)
    return currency


# ---------------------------------------------------------------------------- inside


def _write(
    ctx: click.Context,
    case_id: str,
    expected_version: int | None,
    change: Callable[[CaseStore, str, int], Case],
) -> Case:
    """Act as the --user on an existing case at the version read (``--expected-version``, else
    the case's current one): the store is not created for a case that cannot be in it."""
    from counterflow.cases.db import CaseStore
    from counterflow.cases.lifecycle import get_case

    user = acting_user(ctx)
    with CaseStore.open(workspace(ctx).settings, write=True, create=False) as store:
        version = (
            expected_version
            if expected_version is not None
            else get_case(store, case_id).case.version
        )
        return change(store, user.name, version)


def _done(ctx: click.Context, case: Case, message: str) -> None:
    if state(ctx).json:
        emit_json(case.to_json())
        return
    console.print(message)


def _minutes(value: Any) -> str:
    """A time as ``2026-12-07 07:35`` (UTC)."""
    return str(value.strftime("%Y-%m-%d %H:%M"))


def evidence_counts(evidence: Sequence[Evidence]) -> str:
    """``2 alerts, 20 transactions, 1 party``: the evidence by kind, in frozen order."""
    from counterflow.cases.evidence import EVIDENCE_NOUNS

    counts: dict[str, int] = {}
    for item in evidence:
        counts[item.kind] = counts.get(item.kind, 0) + 1
    return ", ".join(
        f"{n} {EVIDENCE_NOUNS.get(kind, (kind, kind))[n != 1]}" for kind, n in counts.items()
    )


def _view_json(view: CaseView) -> dict[str, Any]:
    return {
        "case": {**view.case.to_json(), "overdue": view.case.overdue()},
        "evidence": [
            {
                "seq": e.seq,
                "kind": e.kind,
                "key": e.key,
                "dataset": e.dataset,
                "content_hash": e.content_hash,
                "intact": e.intact,
                "added": e.added.isoformat().replace("+00:00", "Z"),
                "added_by": e.added_by,
                "data": e.data,
            }
            for e in view.evidence
        ],
        "events": [
            {
                "seq": e.seq,
                "time": e.time.isoformat().replace("+00:00", "Z"),
                "actor": e.actor,
                "kind": e.kind,
                "payload": e.payload,
                "prev": e.prev,
                "hash": e.hash,
            }
            for e in view.events
        ],
    }


def _print_view(view: CaseView) -> None:
    from counterflow.cases.evidence import EVIDENCE_NOUNS

    case = view.case
    facts = [
        ("status", case.status + (" (overdue)" if case.overdue() else "")),
        ("priority", f"{case.priority}, due {_minutes(case.due)} UTC"),
        ("dataset", case.dataset or ""),
        ("opened", f"{_minutes(case.created)} UTC by {case.created_by}"),
        ("assignee", case.assignee or ""),
        ("decision", f"{case.decision}: {case.reason}" if case.decision else ""),
        ("proposed by", case.proposed_by or ""),
        ("approved by", case.approved_by or ""),
        ("reference", case.reference or ""),
        ("version", str(case.version)),
    ]
    shown = [f for f in facts if f[1]]
    console.print(table((Column(case.id, "key"), Column(case.title, "text")), shown))
    by_kind: dict[str, list[Evidence]] = {}
    for item in view.evidence:
        by_kind.setdefault(item.kind, []).append(item)
    for kind, items in by_kind.items():
        columns, summarise = _SUMMARIES.get(kind, _SUMMARIES["hit"])
        singular, plural = EVIDENCE_NOUNS.get(kind, (kind, kind))
        console.print(f"\n{len(items)} {singular if len(items) == 1 else plural}:")
        rows = [summarise(item) for item in items[:SHOWN_ROWS]]
        console.print(table(columns, rows))
        if len(items) > SHOWN_ROWS:
            console.print(f"… and {len(items) - SHOWN_ROWS} more (cases show --json: all).")
    if not view.evidence:
        console.print("\nNo evidence (a manual case).")
    console.print(f"\nHistory ({len(view.events)} events):")
    console.print(
        table(
            (
                Column("#", "number"),
                Column("time (UTC)", "key"),
                Column("by", "short"),
                Column("event", "short"),
                Column("details", "text"),
            ),
            [(str(e.seq), _minutes(e.time), e.actor, e.kind, _details(e)) for e in view.events],
        )
    )
    bad = [e.key for e in view.evidence if not e.intact]
    if bad:
        console.print(f"warning: evidence edited since frozen: {', '.join(bad)}")


def _details(event: Event) -> str:
    """An event's payload in a few words."""
    p = event.payload
    if event.kind == "opened":
        listed = p.get("evidence") or []
        return f"{p.get('priority')} priority, {len(listed)} evidence items"
    if event.kind == "evidence":
        return f"{len(p.get('evidence') or [])} evidence items added"
    if event.kind == "assigned":
        before = p.get("previous")
        return f"to {p.get('assignee')}" + (f" (was {before})" if before else "")
    if event.kind == "comment":
        return shorten(str(p.get("text", "")), 300)
    if event.kind == "proposed":
        return f"{p.get('decision')}: {shorten(str(p.get('reason', '')), 300)}"
    if event.kind == "approved":
        extra = f": {shorten(str(p['comment']), 300)}" if p.get("comment") else ""
        return f"{p.get('decision')} (proposed by {p.get('proposed_by')}){extra}"
    if event.kind == "reported":
        return f"reference {p['reference']}" if p.get("reference") else ""
    reason = p.get("reason")
    return shorten(str(reason), 300) if reason else ""


def _money(amount: Any, currency: Any) -> str:
    try:
        return f"{float(amount):,.2f} {currency or ''}".strip()
    except (TypeError, ValueError):
        return f"{amount} {currency or ''}".strip()


def _alert_row(item: Evidence) -> tuple[str, ...]:
    d = item.data
    score = d.get("score")
    return (
        item.key,
        str(d.get("scenario", "")),
        f"{d.get('subject_kind', '')}:{d.get('subject_id', '')}",
        f"{score:.2f}" if isinstance(score, int | float) else "",
        str(len(d.get("tx_ids") or ())),
    )


def _transaction_row(item: Evidence) -> tuple[str, ...]:
    d = item.data
    payer = d.get("payer_party") or d.get("payer_name") or d.get("payer_account") or ""
    payee = d.get("beneficiary_party") or d.get("beneficiary_name") or d.get("beneficiary_account")
    return (
        str(d.get("tx_id", item.key)),
        str(d.get("timestamp", ""))[:10],
        _money(d.get("amount"), d.get("currency")),
        f"{payer} → {payee or ''}",
        str(d.get("channel") or ""),
    )


def _party_row(item: Evidence) -> tuple[str, ...]:
    d = item.data
    return (
        str(d.get("party_id", item.key)),
        str(d.get("name") or ""),
        str(d.get("kind") or ""),
        ", ".join(str(v) for v in (d.get("city"), d.get("country")) if v),
    )


def _entry_row(item: Evidence) -> tuple[str, ...]:
    d = item.data
    entity = d.get("entity") or {}
    props = entity.get("properties") or {}
    names = props.get("name") or []
    first = names[0] if names else ""
    caption = first.get("value", "") if isinstance(first, dict) else str(first)
    edition = d.get("edition") or {}
    return (
        str(entity.get("id", item.key)),
        str(edition.get("id", "")),
        str(entity.get("schema", "")),
        caption,
    )


def _exposure_row(item: Evidence) -> tuple[str, ...]:
    path = item.data.get("path") or {}
    via = path.get("via") or []
    usd = path.get("exposure_usd")
    return (
        f"{path.get('party', '')} → {path.get('seed', '')}",
        str(path.get("hops", "")),
        " → ".join(str(v) for v in via),
        _money(usd, "USD") if usd is not None else "",
    )


def _hit_row(item: Evidence) -> tuple[str, ...]:
    return (item.key, shorten(json.dumps(item.data, ensure_ascii=False), 200))


_SUMMARIES: dict[str, tuple[tuple[Column, ...], Callable[[Evidence], tuple[str, ...]]]] = {
    "alert": (
        (
            Column("alert", "key"),
            Column("scenario", "short"),
            Column("subject", "key"),
            Column("score", "number"),
            Column("txs", "number"),
        ),
        _alert_row,
    ),
    "transaction": (
        (
            Column("transaction", "key"),
            Column("day", "key"),
            Column("amount", "number"),
            Column("payer → beneficiary", "short"),
            Column("channel", "short"),
        ),
        _transaction_row,
    ),
    "party": (
        (
            Column("party", "key"),
            Column("name", "short"),
            Column("kind", "short"),
            Column("place", "text"),
        ),
        _party_row,
    ),
    "list_entry": (
        (
            Column("entry", "key"),
            Column("edition", "short"),
            Column("schema", "short"),
            Column("name", "text"),
        ),
        _entry_row,
    ),
    "exposure": (
        (
            Column("party → listed party", "key"),
            Column("hops", "number"),
            Column("via", "short"),
            Column("exposure", "number"),
        ),
        _exposure_row,
    ),
    "hit": ((Column("hit", "key"), Column("as given", "text")), _hit_row),
}
