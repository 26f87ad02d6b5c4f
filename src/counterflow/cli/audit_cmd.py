"""``counterflow audit …``: check and export the service's audit trail."""

from __future__ import annotations

import csv
import itertools
import json
from collections.abc import Iterator
from typing import IO, Any

import click

from counterflow.cases.audit import AuditLog, Verification, parse_anchor, select, verify
from counterflow.cli.console import console, emit_json, err_console, note, warn
from counterflow.cli.context import Group, output_option, state, workspace
from counterflow.io import STDOUT, atomic_output, is_stdout

EXPORT_COLUMNS = (
    "seq",
    "time",
    "action",
    "actor",
    "role",
    "client",
    "dataset",
    "editions",
    "threshold",
    "queries",
    "results",
    "details",
    "hash",
)
_COLUMN_KEYS = {"seq", "time", "action", "actor", "role", "client", "dataset", "editions"}
#: problems printed one by one; the rest are counted
_SHOWN_PROBLEMS = 50


@click.group(cls=Group)
def audit() -> None:
    """The audit trail: every request the service answered, each record sealing the last.

    \b
    Example:
      counterflow audit verify --new
      counterflow audit export --since 2026-11-01 --until 2026-12-01 -o nov.csv
    """


def _verification_json(log: AuditLog, result: Verification, new: bool) -> dict[str, Any]:
    return {
        "path": str(log.path),
        "ok": result.ok,
        "records": result.records,
        "first_time": result.first_time,
        "last_time": result.last_time,
        "head": f"{result.head.seq}:{result.head.hash}",
        "new": new,
        "problems": result.problems,
    }


@audit.command("verify")
@click.option(
    "--anchor",
    metavar="SEQ:HASH",
    help="The head printed by an earlier verify: also proves no record was cut from the end.",
)
@click.option(
    "--new",
    is_flag=True,
    help="The workspace has not served a request yet: no trail is expected (one that exists "
    "is still checked in full).",
)
@click.pass_context
def verify_cmd(ctx: click.Context, anchor: str | None, new: bool) -> None:
    """Check every record's hash and link; exit 1 and name each broken record if any.

    A missing or empty trail fails (deleting it is the easiest way to hide records), unless
    --new says the workspace has not served a request yet. Note the head it prints and pass
    it back later as --anchor SEQ:HASH.

    \b
    Example:
      counterflow audit verify --new
      counterflow audit verify --new --json
    """
    log = AuditLog.for_home(workspace(ctx).home)
    result = verify(log, parse_anchor(anchor) if anchor else None, new=new)
    if state(ctx).json:
        emit_json(_verification_json(log, result, new))
    else:
        for problem in result.problems[:_SHOWN_PROBLEMS]:
            err_console.print(f"{log.path}: {problem}")
        if len(result.problems) > _SHOWN_PROBLEMS:
            err_console.print(f"… and {len(result.problems) - _SHOWN_PROBLEMS} more problems")
        if result.records:
            console.print(
                f"{result.records:,} records in {log.path}, "
                f"{result.first_time} to {result.last_time}."
            )
            console.print(
                f"Head: {result.head.seq}:{result.head.hash} (note it; pass it as --anchor)."
            )
        elif result.ok:
            console.print(f"No audit records yet in {log.path} (a new workspace).")
    if not result.ok:
        hint = "" if new or result.records else "; if no request was ever served, add --new"
        raise click.ClickException(
            f"the audit trail is NOT intact: {len(result.problems)} problem(s){hint}"
        )
    if not state(ctx).json and result.records:
        console.print("The chain is intact.")


@audit.command("export")
@click.option("--since", help="First day or time to include (ISO, UTC).")
@click.option("--until", help="Day or time to stop before (ISO, UTC; exclusive).")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["csv", "jsonl"]),
    help="Default: from the output file's extension, else jsonl.",
)
@output_option(
    "File to write (whole or not at all, readable by you only); - or none: standard output.",
    hidden_aliases=("--out",),
)
@click.pass_context
def export_cmd(
    ctx: click.Context, since: str | None, until: str | None, fmt: str | None, output: str | None
) -> None:
    """Write the records of a date range as CSV (one row per record) or JSON lines.

    With --json (and -o FILE), a summary of what was written.

    \b
    Example:
      counterflow audit export --since 2026-11-01 --until 2026-12-01 -o nov.csv
      counterflow audit export --since 2026-11-29 --format jsonl
    """
    target = output or STDOUT
    as_json = state(ctx).json
    if as_json and is_stdout(target):
        raise click.UsageError("--json prints a summary on standard output: give -o FILE")
    log = AuditLog.for_home(workspace(ctx).home)
    fmt = fmt or ("csv" if target.lower().endswith(".csv") else "jsonl")
    selected = select(log, since, until)
    first = next(selected, None)  # a bad --since or --until fails here, before any output
    records = itertools.chain([first] if first is not None else [], selected)
    with atomic_output(target, private=True) as out:
        count = _write_csv(records, out) if fmt == "csv" else _write_jsonl(records, out)
    # an export of a broken trail is still written (it is the evidence), with a warning
    result = verify(log, new=True)
    if as_json:
        emit_json(
            {
                "output": target,
                "format": fmt,
                "records": count,
                "intact": result.ok,
                "problems": len(result.problems),
            }
        )
    elif not is_stdout(target):
        note(f"Wrote {count:,} records to {target}.")
    if not result.ok:
        warn(
            f"the audit trail is not intact ({len(result.problems)} problems); "
            "run 'counterflow audit verify'"
        )


def _write_jsonl(records: Iterator[dict[str, Any]], out: IO[str]) -> int:
    count = 0
    for record in records:
        out.write(json.dumps(record, ensure_ascii=False) + "\n")
        count += 1
    return count


def _write_csv(records: Iterator[dict[str, Any]], out: IO[str]) -> int:
    writer = csv.writer(out)
    writer.writerow(EXPORT_COLUMNS)
    count = 0
    for record in records:
        params = record.get("params") or {}
        details = {
            k: v
            for k, v in record.items()
            if k not in _COLUMN_KEYS and k not in ("queries", "results", "params", "hash", "prev")
        }
        writer.writerow(
            [
                record.get("seq"),
                record.get("time"),
                record.get("action"),
                record.get("actor"),
                record.get("role") or "",
                record.get("client") or "",
                record.get("dataset") or "",
                _json(record.get("editions")),
                params.get("threshold", ""),
                _json(record.get("queries") or params.get("q")),
                _json(record.get("results")),
                _json({**details, **{k: v for k, v in params.items() if k != "threshold"}}),
                record.get("hash"),
            ]
        )
        count += 1
    return count


def _json(value: Any) -> str:
    if value in (None, "", {}):
        return ""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))
