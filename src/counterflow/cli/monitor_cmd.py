"""``counterflow monitor``, ``alerts``, ``evaluate`` and ``risk``: run the typology pack, read
its alerts, score them against ground truth, rank parties.

The monitoring modules (Ibis, numpy, rustworkx) are imported inside the commands, so that
every other command starts without them."""

from __future__ import annotations

import csv
import json
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click
from rich.table import Table

from counterflow.cases.alerts import get_alert, list_alerts
from counterflow.cli import dataset_or_only, workspace
from counterflow.cli.console import console, counting, shorten

if TYPE_CHECKING:
    from counterflow.monitoring.risk import Ranking


@click.command()
@click.option("--dataset", help="The transactions to monitor (default: the only dataset).")
@click.option(
    "--scenarios",
    help="Comma-separated scenario ids (default: the whole pack; see --list).",
)
@click.option(
    "--params",
    "params_path",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="TOML file of parameters (write a template with --show-params).",
)
@click.option("--list", "list_only", is_flag=True, help="List the scenarios and stop.")
@click.option("--show-params", is_flag=True, help="Print every parameter as an editable TOML.")
@click.pass_context
def monitor(
    ctx: click.Context,
    dataset: str | None,
    scenarios: str | None,
    params_path: Path | None,
    list_only: bool,
    show_params: bool,
) -> None:
    """Run the monitoring scenarios over a dataset and store their alerts (re-runs replace them).

    \b
    Example:
      counterflow monitor --dataset world
      counterflow monitor --show-params > params.toml      # edit, then:
      counterflow monitor --dataset world --params params.toml --scenarios laundering-hub
    """
    from counterflow.monitoring.pack import PACK, select
    from counterflow.monitoring.params import describe, load_params
    from counterflow.monitoring.runner import run_scenarios

    chosen = select([s.strip() for s in scenarios.split(",")] if scenarios else None)
    if show_params:
        sys.stdout.write(describe(chosen))
        return
    if list_only:
        table = Table(show_edge=False)
        for column in ("scenario", "typology", "severity", "what"):
            table.add_column(column, overflow="fold")
        for s in chosen:
            table.add_row(s.id, s.typology, s.severity, s.title)
        console.print(table)
        return
    params = load_params(params_path, PACK) if params_path else {}
    ws = workspace(ctx)
    name = dataset_or_only(ctx, dataset)
    started = time.perf_counter()
    with counting(f"Monitoring {name}", unit="scenarios") as progress:
        done = 0

        def advance(_: str) -> None:
            nonlocal done
            progress(done)
            done += 1

        report = run_scenarios(ws, name, chosen, params, progress=advance)
    table = Table(show_edge=False)
    for column in ("scenario", "alerts", "seconds"):
        table.add_column(column, justify="left" if column == "scenario" else "right")
    for run in report.runs:
        alerts = f"skipped: {run.skipped}" if run.skipped else f"{run.alerts:,}"
        table.add_row(run.scenario, alerts, f"{run.seconds:.1f}")
    console.print(table)
    console.print(
        f"{report.alerts:,} alerts on {name} in {time.perf_counter() - started:.1f} s "
        f"(see: counterflow alerts --dataset {name})."
    )


@click.command()
@click.argument("alert_id", required=False)
@click.option("--dataset", help="Whose alerts (default: the only dataset).")
@click.option("--scenario", help="Only this scenario's alerts.")
@click.option("--party", help="Only alerts about this party.")
@click.option("--limit", type=click.IntRange(1), default=20, show_default=True)
@click.option("--json", "as_json", is_flag=True, help="Alerts as JSON lines, with explanations.")
@click.pass_context
def alerts(
    ctx: click.Context,
    alert_id: str | None,
    dataset: str | None,
    scenario: str | None,
    party: str | None,
    limit: int,
    as_json: bool,
) -> None:
    """The stored alerts, highest score first; with an ALERT_ID, that alert explained.

    \b
    Example:
      counterflow alerts --dataset world --scenario laundering-hub
      counterflow alerts A-3f9a1c0b7e21d4aa
    """
    with workspace(ctx).connect(read_only=True) as conn:
        if alert_id:
            found = [get_alert(conn, alert_id)]
        else:
            name = dataset_or_only(ctx, dataset)
            found = list_alerts(conn, name, scenario=scenario, subject_id=party, limit=limit)
    if as_json or alert_id:
        for a in found:
            record = {
                "alert_id": a.alert_id,
                "scenario": a.scenario,
                "typology": a.typology,
                "severity": a.severity,
                "subject": f"{a.subject_kind}:{a.subject_id}",
                "score": round(a.score, 4),
                "first": a.first_ts.isoformat() if a.first_ts else None,
                "last": a.last_ts.isoformat() if a.last_ts else None,
                "explanation": a.explanation,
                "transactions": a.tx_ids,
            }
            sys.stdout.write(
                json.dumps(record, ensure_ascii=False, indent=None if as_json else 2) + "\n"
            )
        return
    if not found:
        console.print("No alerts. Run the scenarios first: counterflow monitor")
        return
    table = Table(show_edge=False)
    for column in ("alert", "scenario", "subject", "score", "txs", "facts"):
        table.add_column(column, overflow="fold")
    for a in found:
        facts = ", ".join(f"{k}={v}" for k, v in a.explanation.get("facts", {}).items())
        table.add_row(
            a.alert_id,
            a.scenario,
            a.subject_id,
            f"{a.score:.2f}",
            f"{len(a.tx_ids):,}",
            shorten(facts, 90),
        )
    console.print(table)


@click.command("evaluate")
@click.option("--dataset", help="A dataset with ground truth (default: the only dataset).")
@click.option("--json", "as_json", is_flag=True, help="The scores as JSON.")
@click.pass_context
def evaluate_cmd(ctx: click.Context, dataset: str | None, as_json: bool) -> None:
    """Score the stored alerts against the dataset's ground truth (simulated worlds, AMLSim,
    AMLworld): precision and recall per typology, by transaction and by party.

    \b
    Example:
      counterflow evaluate --dataset world
    """
    from counterflow.monitoring.evaluate import evaluate

    name = dataset_or_only(ctx, dataset)
    with workspace(ctx).connect(read_only=True) as conn:
        scores = evaluate(conn, name)
    if as_json:
        out = [
            {
                "typology": s.typology,
                "alerts": s.alerts,
                "tx_precision": s.tx_precision,
                "tx_recall": s.tx_recall,
                "party_precision": s.party_precision,
                "party_recall": s.party_recall,
                "key_party_recall": s.key_recall,
                "planted_transactions": s.planted_transactions,
                "planted_parties": s.planted_parties,
            }
            for s in scores
        ]
        sys.stdout.write(json.dumps(out, indent=2) + "\n")
        return
    table = Table(show_edge=False)
    columns = (
        "typology", "alerts", "planted tx", "tx precision", "tx recall",
        "planted parties", "party precision", "party recall", "key-party recall",
    )  # fmt: skip
    for column in columns:
        table.add_column(column, justify="left" if column == "typology" else "right")
    for s in scores:
        table.add_row(
            s.typology,
            f"{s.alerts:,}",
            f"{s.planted_transactions:,}",
            _pct(s.tx_precision),
            _pct(s.tx_recall),
            f"{s.planted_parties:,}",
            _pct(s.party_precision),
            _pct(s.party_recall),
            _pct(s.key_recall),
        )
    console.print(table)


def _pct(value: float | None) -> str:
    return "–" if value is None else f"{value:.2f}"


@click.command()
@click.option("--dataset", help="Whose parties (default: the only dataset).")
@click.option(
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    help="CSV to write: party_id, score, rank, reasons.",
)
@click.option(
    "--learned",
    is_flag=True,
    help="Gradient-boosted trees trained on the labelled earlier period (held-out parties and "
    "period are scored).",
)
@click.option("--top", type=click.IntRange(1), default=10, show_default=True)
@click.pass_context
def risk(
    ctx: click.Context, dataset: str | None, output: Path | None, learned: bool, top: int
) -> None:
    """Rank parties by risk: every scenario hit combined with graph features (PageRank by USD,
    pass-through); with --learned, a model trained where labels exist. For AMLSim data the
    party id is the AMLSim account id, so other tools can score the CSV too.

    \b
    Example:
      counterflow risk --dataset world --output risk.csv
      counterflow risk --dataset fanin --learned --output fanin-risk.csv
    """
    from counterflow.engines import open_dataset
    from counterflow.monitoring.risk import party_features, rank_by_rules, rank_learned

    name = dataset_or_only(ctx, dataset)
    with open_dataset(workspace(ctx), name) as (tables, conn):
        ranking = rank_learned(tables) if learned else rank_by_rules(party_features(tables))
        positives = {
            row[0]
            for row in conn.execute(
                "SELECT party_id FROM party_labels WHERE dataset = ? AND is_suspicious", [name]
            ).fetchall()
        }
    if output:
        _write_ranking(output, ranking.parties)
    table = Table(show_edge=False)
    for column in ("rank", "party", "score", "reasons"):
        table.add_column(column, overflow="fold")
    for party in ranking.parties[:top]:
        table.add_row(str(party.rank), party.party_id, f"{party.score:.3f}",
                      shorten("; ".join(party.reasons), 100))  # fmt: skip
    console.print(table)
    where = f" to {output}" if output else ""
    console.print(f"{len(ranking.parties):,} parties ranked ({ranking.method}){where}.")
    if ranking.split_at:
        console.print(
            f"Trained on {ranking.trained_on:,} parties before {ranking.split_at:%Y-%m-%d %H:%M}; "
            "ranked: the other parties, on the later period."
        )
    if positives:
        console.print(_ranking_quality(ranking, positives))


def _write_ranking(path: Path, parties: list[Any]) -> None:
    tmp = path.with_name(path.name + ".part")
    with open(tmp, "w", encoding="utf-8", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(["party_id", "score", "rank", "reasons"])
        for p in parties:
            writer.writerow([p.party_id, f"{p.score:.6f}", p.rank, "; ".join(p.reasons)])
    tmp.replace(path)


def _ranking_quality(ranking: Ranking, positives: set[str]) -> str:
    """Against the labels: average precision, and precision / recall / F1 in the top k, k being
    the number of labelled positives among the ranked parties."""
    from counterflow.monitoring.risk import average_precision

    k = sum(1 for p in ranking.parties if p.party_id in positives)
    if not k:
        return "No labelled positive among the ranked parties."
    found = sum(1 for p in ranking.parties[:k] if p.party_id in positives)
    share = found / k  # precision = recall = F1 when k is the number of positives
    return (
        f"Against the labels ({k:,} positives ranked): average precision "
        f"{average_precision(ranking, positives):.3f}; top {k:,}: precision {share:.3f}, "
        f"recall {share:.3f}, F1 {share:.3f}."
    )
