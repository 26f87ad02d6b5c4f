"""``counterflow audit …``: check and export the service's audit trail."""

from __future__ import annotations

import csv
import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any

import click

from counterflow.cases.audit import AuditLog, parse_anchor, select, verify
from counterflow.cli import workspace
from counterflow.cli.console import console, err_console

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


@click.group()
def audit() -> None:
    """The audit trail: every request the service answered, each record sealing the last.

    \b
    Example:
      counterflow audit verify
      counterflow audit export --since 2026-11-01 --until 2026-12-01 --output nov.csv
    """


@audit.command("verify")
@click.option(
    "--anchor",
    help="SEQ:HASH printed by an earlier verify: also proves no record was cut from the end.",
)
@click.pass_context
def verify_cmd(ctx: click.Context, anchor: str | None) -> None:
    """Check every record's hash and link; exit 1 and name each broken record if any.

    \b
    Example:
      counterflow audit verify --anchor 1042:5c1f…
    """
    log = AuditLog.for_home(workspace(ctx).home)
    result = verify(log, parse_anchor(anchor) if anchor else None)
    for problem in result.problems[:50]:
        err_console.print(f"{log.path}: {problem}")
    if len(result.problems) > 50:
        err_console.print(f"… and {len(result.problems) - 50} more problems")
    span = f", {result.first_time} to {result.last_time}" if result.records else ""
    console.print(f"{result.records:,} records in {log.path}{span}.")
    console.print(f"Head: {result.head.seq}:{result.head.hash} (note it; pass it as --anchor).")
    if not result.ok:
        raise click.ClickException(
            f"the audit trail is NOT intact: {len(result.problems)} problem(s) above"
        )
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
@click.option("--output", default="-", show_default=True, help="File to write, or - for stdout.")
@click.pass_context
def export_cmd(
    ctx: click.Context, since: str | None, until: str | None, fmt: str | None, output: str
) -> None:
    """Write the records of a date range as CSV (one row per record) or JSON lines.

    \b
    Example:
      counterflow audit export --since 2026-11-01 --until 2026-12-01 --output nov.csv
      counterflow audit export --since 2026-11-29 --format jsonl | jq .actor
    """
    log = AuditLog.for_home(workspace(ctx).home)
    fmt = fmt or ("csv" if output.lower().endswith(".csv") else "jsonl")
    records = select(log, since, until)
    with _output(output) as out:
        count = _write_csv(records, out) if fmt == "csv" else _write_jsonl(records, out)
    if output != "-":
        console.print(f"Wrote {count:,} records to {output}.")
    result = verify(log)
    if not result.ok:
        err_console.print(
            f"warning: the audit trail is not intact ({len(result.problems)} problems); "
            "run 'counterflow audit verify'"
        )


@contextmanager
def _output(output: str) -> Iterator[IO[str]]:
    if output == "-":
        yield sys.stdout
        return
    path = Path(output)
    tmp = path.with_name(path.name + ".part")
    with open(tmp, "w", encoding="utf-8", newline="") as out:
        yield out
    tmp.replace(path)


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
