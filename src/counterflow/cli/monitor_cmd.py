"""``counterflow monitor``, ``evaluate`` and ``risk``: run the typology pack, score its alerts
against ground truth, rank parties (``counterflow alerts`` reads and decides the alerts).

The monitoring modules (Ibis, numpy, rustworkx) are imported inside the commands, so that
every other command starts without them."""

from __future__ import annotations

import csv
import json
import time
from collections.abc import Mapping, Sequence
from contextlib import ExitStack
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from counterflow.cli import console
from counterflow.cli.console import Column
from counterflow.cli.context import (
    AliasedOption,
    Command,
    dataset_option,
    output_option,
    resolve_dataset,
    seed_option,
    state,
    workspace,
)
from counterflow.cli.engine_options import (
    check_engine_options,
    engine_options,
    exported_for_spark,
    spark_for,
)
from counterflow.io import atomic_output, is_stdout

if TYPE_CHECKING:
    from counterflow.monitoring.evaluate import TypologyScore
    from counterflow.monitoring.risk import RankedParty, Ranking
    from counterflow.monitoring.runner import RunReport
    from counterflow.monitoring.scenario import Scenario
    from counterflow.workspace import Workspace


def fits(columns: Sequence[Column], rows: Sequence[Sequence[str]]) -> bool:
    """Whether a table of these columns fits the console without cutting any of them (each
    column is padded by one space a side and separated by one rule)."""
    widths = [
        max([len(line) for line in c.title.splitlines()] + [len(str(r[i])) for r in rows])
        for i, c in enumerate(columns)
    ]
    return sum(widths) + 3 * len(columns) - 1 <= console.console.width


# --------------------------------------------------------------------------- monitor


@click.command(cls=Command)
@dataset_option("The transactions to monitor (default: the only dataset).")
@click.option(
    "--scenarios",
    metavar="IDS",
    help="Comma-separated scenario ids (default: the whole pack; see --list).",
)
@click.option(
    "--params",
    "params_path",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="TOML file of parameters (write a template with --show-params).",
)
@click.option("--list", "list_only", is_flag=True, help="List the scenarios and stop.")
@click.option("--show-params", is_flag=True, help="Write every parameter as an editable TOML.")
@click.option(
    "--profile",
    "show_profile",
    is_flag=True,
    help="Measure the dataset's profile (what 'auto' parameters resolve against), show it "
    "with each scenario's resolved values, and stop.",
)
@output_option("With --show-params: the TOML file to write (default: standard output).")
@engine_options
@click.option(
    "--input",
    "source",
    metavar="PATH",
    help="With --engine spark: the dataset as Parquet (a folder from 'transactions export', "
    "or catalog:DATABASE for tables in Spark's catalog); default: the workspace's dataset, "
    "exported for Spark first.",
)
@click.option(
    "--alerts-output",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write the alerts to this Parquet file instead of the workspace (the run then reads "
    "no stored alerts).",
)
@click.pass_context
def monitor(
    ctx: click.Context,
    dataset: str | None,
    scenarios: str | None,
    params_path: Path | None,
    list_only: bool,
    show_params: bool,
    show_profile: bool,
    output: str | None,
    engine: str,
    master: str | None,
    spark_conf: tuple[str, ...],
    source: str | None,
    alerts_output: Path | None,
) -> None:
    """Run the monitoring scenarios over a dataset and store their alerts (re-runs replace them).

    On DuckDB (the default) the scenarios run in the workspace. With --engine spark they run
    on Apache Spark (the 'spark' extra; docs/spark.md) over the dataset as Parquet, and the
    alerts come back to the workspace, or to --alerts-output.

    \b
    Example:
      counterflow monitor --list
      counterflow monitor --show-params -o params.toml
      counterflow monitor --dataset world --params params.toml --scenarios ransom-payment
      counterflow monitor --dataset world --profile --scenarios layering-cycle
      counterflow monitor --dataset world --engine spark --scenarios ransom-payment
    """
    from counterflow.engines import open_dataset
    from counterflow.engines.spark import CATALOG_PREFIX, spark_opener
    from counterflow.monitoring.pack import PACK, select
    from counterflow.monitoring.params import describe, load_params
    from counterflow.monitoring.runner import run_scenarios

    if output is not None and not show_params:
        raise click.UsageError("-o/--output goes with --show-params")
    chosen = select([s.strip() for s in scenarios.split(",")] if scenarios else None)
    if show_params:
        target = output or "-"
        with atomic_output(target) as out:
            out.write(describe(chosen))
        if not is_stdout(target):
            console.note(f"Wrote the parameters of {len(chosen)} scenarios to {target}.")
        return
    if list_only:
        if state(ctx).json:
            console.emit_json(
                [
                    {
                        "scenario": s.id,
                        "typology": s.typology,
                        "severity": s.severity,
                        "title": s.title,
                    }
                    for s in chosen
                ]
            )
            return
        columns = [Column("scenario", "key"), Column("severity", "short"), Column("what", "text")]
        rows = [[s.id, s.severity, s.title] for s in chosen]
        console.console.print(console.table(columns, rows))
        return
    params = load_params(params_path, PACK) if params_path else {}
    ws = workspace(ctx)
    check_engine_options(engine, master, spark_conf, input=source)
    if engine == "spark" and source is not None and not dataset:
        name = Path(source.removeprefix(CATALOG_PREFIX)).name or "lake"
    else:
        name = resolve_dataset(ctx, dataset)
    if show_profile:
        _show_profile(ctx, ws, name, chosen, params)
        return
    started = time.perf_counter()
    with ExitStack() as stack:
        opener: Any = open_dataset
        if engine == "spark":
            session = stack.enter_context(spark_for(master, spark_conf))
            if source is None:
                source = str(stack.enter_context(exported_for_spark(ws, name)))
            opener = spark_opener(source, session)
        with console.counting(f"Monitoring {name} ({engine})", unit="scenarios") as progress:
            done = 0

            def advance(_: str) -> None:
                nonlocal done
                progress(done)
                done += 1

            report = run_scenarios(
                ws,
                name,
                chosen,
                params,
                progress=advance,
                opener=opener,
                alerts_output=alerts_output,
            )
    _monitor_report(ctx, report, time.perf_counter() - started, alerts_output)


def _show_profile(
    ctx: click.Context,
    ws: Workspace,
    dataset: str,
    chosen: Sequence[Scenario],
    params: Mapping[str, Mapping[str, Any]],
) -> None:
    """The dataset's profile, and the value each chosen scenario's "auto" parameters take."""
    from counterflow.engines import open_dataset
    from counterflow.monitoring.profile import dataset_profile, describe_profile
    from counterflow.monitoring.runner import check_run, prepare

    plan = check_run(chosen, params)
    with open_dataset(ws, dataset) as (tables, _):
        resolved = [(s, prepare(s, values, tables)) for s, values in plan]
        profile = dataset_profile(tables)
    if state(ctx).json:
        console.emit_json(
            {
                "profile": json.loads(profile.to_json()),
                "resolved": {
                    s.id: {k: {"value": v[k], "how": how} for k, how in notes.items()}
                    for s, (v, notes) in resolved
                    if notes
                },
            }
        )
        return
    columns = [Column("profile", "key"), Column("value", "text")]
    console.console.print(console.table(columns, describe_profile(profile)))
    rows = [
        [s.id, name, _value(values[name]), how]
        for s, (values, notes) in resolved
        for name, how in notes.items()
    ]
    if rows:
        columns = [
            Column("scenario", "key"),
            Column("parameter", "key"),
            Column("value", "number"),
            Column("how", "text"),
        ]
        console.console.print(console.table(columns, rows))


def _value(value: Any) -> str:
    return f"{value:,.2f}" if isinstance(value, float) else str(value)


def _monitor_report(
    ctx: click.Context, report: RunReport, seconds: float, alerts_output: Path | None = None
) -> None:
    if state(ctx).json:
        console.emit_json(
            {
                "dataset": report.dataset,
                "alerts": report.alerts,
                "alerts_output": str(alerts_output) if alerts_output else None,
                "new": report.new,
                "changed": report.changed,
                "seconds": round(seconds, 3),
                "scenarios": [
                    {
                        "scenario": run.scenario,
                        "alerts": run.alerts,
                        "new": run.new,
                        "changed": run.changed,
                        "retired": run.retired,
                        "dropped": run.dropped,
                        "seconds": round(run.seconds, 3),
                        "skipped": run.skipped,
                    }
                    for run in report.runs
                ],
            }
        )
        return
    columns = [
        Column("scenario", "key"),
        Column("alerts", "number"),
        Column("new", "number"),
        Column("changed", "number"),
        Column("seconds", "number"),
    ]
    rows = [
        [run.scenario, "skipped", "", "", f"{run.seconds:.1f}"]
        if run.skipped
        else [
            run.scenario,
            f"{run.alerts:,}",
            f"{run.new:,}",
            f"{run.changed:,}",
            f"{run.seconds:.1f}",
        ]
        for run in report.runs
    ]
    console.console.print(console.table(columns, rows))
    for run in report.runs:
        if run.skipped:
            console.note(f"{run.scenario} skipped: {run.skipped}")
    retired = sum(run.retired for run in report.runs)
    kept = f"; {retired:,} no longer raised kept for their cases or dismissals" if retired else ""
    if alerts_output is not None:
        console.console.print(
            f"{report.alerts:,} alerts on {report.dataset} in {seconds:.1f} s, written to "
            f"{alerts_output} (the workspace's alerts unchanged)."
        )
        return
    console.console.print(
        f"{report.alerts:,} alerts on {report.dataset} ({report.new:,} new, "
        f"{report.changed:,} changed{kept}) in {seconds:.1f} s "
        f"(see: counterflow alerts --dataset {report.dataset})."
    )


# --------------------------------------------------------------------------- evaluate


@click.command("evaluate", cls=Command)
@dataset_option("A dataset with ground truth (default: the only dataset).")
@click.pass_context
def evaluate_cmd(ctx: click.Context, dataset: str | None) -> None:
    """Score the stored alerts against the dataset's ground truth (simulated worlds, AMLSim,
    AMLworld): precision and recall per typology, by transaction, by party and by instance
    (planted pattern; derived from the transactions where the labels name none).

    \b
    Example:
      counterflow evaluate --dataset world
      counterflow evaluate --dataset world --json
    """
    from counterflow.monitoring.evaluate import evaluate

    name = resolve_dataset(ctx, dataset)
    with workspace(ctx).connect(read_only=True) as conn:
        scores = evaluate(conn, name)
    if state(ctx).json:
        console.emit_json([_score_record(s) for s in scores])
        return
    if not scores:
        console.console.print(f"Nothing to score: {name} has no alerts and no ground truth.")
        return
    whole = [
        Column("typology", "key"),
        Column("alerts", "number"),
        Column("planted tx", "number"),
        Column("tx precision", "number"),
        Column("tx recall", "number"),
        Column("planted parties", "number"),
        Column("party precision", "number"),
        Column("party recall", "number"),
        Column("key-party recall", "number"),
        Column("instances", "number"),
        Column("found", "number"),
        Column("instance recall", "number"),
    ]
    rows = [
        [
            s.typology,
            f"{s.alerts:,}",
            f"{s.planted_transactions:,}",
            _pct(s.tx_precision),
            _pct(s.tx_recall),
            f"{s.planted_parties:,}",
            _pct(s.party_precision),
            _pct(s.party_recall),
            _pct(s.key_recall),
            _instances(s),
            f"{s.instances_found:,}",
            _pct(s.instance_recall),
        ]
        for s in scores
    ]
    out = console.console
    if fits(whole, rows):
        out.print(console.table(whole, rows))
        _derived_note(scores)
        return
    # too wide for the terminal: the same numbers in three tables, typology names whole
    parts = (
        ("By transaction:", [0, 1, 2, 3, 4], ["alerts", "planted", "precision", "recall"]),
        ("By party:", [0, 5, 6, 7, 8], ["planted", "precision", "recall", "key-party\nrecall"]),
        ("By instance:", [0, 9, 10, 11, 6], ["instances", "found", "recall", "party\nprecision"]),
    )
    for title, picked, titles in parts:
        out.print(title)
        columns = [whole[0], *(Column(t, "number") for t in titles)]
        out.print(console.table(columns, [[row[i] for i in picked] for row in rows]))
    _derived_note(scores)


def _instances(score: TypologyScore) -> str:
    """The instance count, marked ``*`` where some were derived from the transactions."""
    return f"{score.instances:,}{'*' if score.derived_instances else ''}"


def _derived_note(scores: Sequence[TypologyScore]) -> None:
    """Say what ``*`` means: derived instances are a guess from the payments, and read
    otherwise than the labels' own (docs/monitoring.md, Evaluation)."""
    if any(s.derived_instances for s in scores):
        console.console.print("* derived from the transactions: the labels name no instance.")


def _score_record(s: TypologyScore) -> dict[str, Any]:
    return {
        "typology": s.typology,
        "alerts": s.alerts,
        "tx_precision": s.tx_precision,
        "tx_recall": s.tx_recall,
        "party_precision": s.party_precision,
        "party_recall": s.party_recall,
        "key_party_recall": s.key_recall,
        "planted_transactions": s.planted_transactions,
        "planted_parties": s.planted_parties,
        "instances": s.instances,
        "instances_found": s.instances_found,
        "instance_recall": s.instance_recall,
        "derived_instances": s.derived_instances,
    }


def _pct(value: float | None) -> str:
    return "–" if value is None else f"{value:.2f}"


# --------------------------------------------------------------------------- risk


@click.command(cls=Command)
@dataset_option("Whose parties (default: the only dataset).")
@output_option("CSV to write, every party ranked: party_id, score, rank, reasons ('-': stdout).")
@click.option(
    "--learned",
    is_flag=True,
    help="Gradient-boosted trees trained on the labelled earlier period (held-out parties and "
    "period are scored).",
)
@seed_option("With --learned: the model's seed (the same seed, the same ranking).")
@click.option(
    "--limit",
    cls=AliasedOption,
    hidden_aliases=("--top",),
    type=click.IntRange(1),
    default=10,
    show_default=True,
    help="Parties shown, the riskiest first (the CSV holds them all).",
)
@click.pass_context
def risk(
    ctx: click.Context,
    dataset: str | None,
    output: str | None,
    learned: bool,
    seed: int,
    limit: int,
) -> None:
    """Rank parties by risk: every scenario hit combined with graph features (PageRank by USD,
    pass-through); with --learned, a model trained where labels exist. For AMLSim data the
    party id is the AMLSim account id, so other tools can score the CSV too. Where the dataset
    has labels, the ranking is scored against them (average precision).

    \b
    Example:
      counterflow risk --dataset world -o risk.csv
      counterflow risk --dataset world --learned --seed 7 --limit 5
    """
    from counterflow.engines import open_dataset
    from counterflow.monitoring.risk import party_features, rank_by_rules, rank_learned

    cli = state(ctx)
    to_stdout = output is not None and is_stdout(output)
    if to_stdout and cli.json:
        raise click.UsageError("-o - and --json both write to standard output; choose one")
    name = resolve_dataset(ctx, dataset)
    with open_dataset(workspace(ctx), name) as (tables, conn):
        if learned:
            ranking = rank_learned(tables, seed=seed)
        else:
            ranking = rank_by_rules(party_features(tables))
        positives = {
            row[0]
            for row in conn.execute(
                "SELECT party_id FROM party_labels WHERE dataset = ? AND is_suspicious", [name]
            ).fetchall()
        }
    if output:
        _write_ranking(output, ranking.parties)
    quality = _ranking_quality(ranking, positives) if positives else None
    if cli.json:
        console.emit_json(
            {
                "dataset": name,
                "method": ranking.method,
                "seed": ranking.seed,
                "parties": len(ranking.parties),
                "split_at": ranking.split_at.isoformat() if ranking.split_at else None,
                "trained_on": ranking.trained_on if learned else None,
                "output": output,
                "quality": quality,
                "top": [_ranked_record(p) for p in ranking.parties[:limit]],
            }
        )
        return
    # with the CSV on standard output, the rest goes to standard error
    say = console.note if to_stdout else console.console.print
    if not to_stdout:
        columns = [
            Column("rank", "number"),
            Column("party", "key"),
            Column("score", "number"),
            Column("reasons", "text"),
        ]
        rows = [
            [str(p.rank), p.party_id, f"{p.score:.3f}", "; ".join(p.reasons)]
            for p in ranking.parties[:limit]
        ]
        console.console.print(console.table(columns, rows))
    where = f" to {output}" if output and not to_stdout else ""
    say(f"{len(ranking.parties):,} parties ranked ({ranking.method}){where}.")
    if ranking.split_at:
        say(
            f"Trained on {ranking.trained_on:,} parties before {ranking.split_at:%Y-%m-%d %H:%M} "
            f"with seed {ranking.seed}; ranked: the other parties, on the later period."
        )
    if quality is None:
        return
    if not quality["positives"]:
        say("No labelled positive among the ranked parties.")
        return
    k = quality["positives"]
    say(
        f"Against the labels ({k:,} positives ranked): average precision "
        f"{quality['average_precision']:.3f}; top {k:,}: precision {quality['precision']:.3f}, "
        f"recall {quality['recall']:.3f}, F1 {quality['f1']:.3f}."
    )


def _ranked_record(p: RankedParty) -> dict[str, Any]:
    return {"rank": p.rank, "party": p.party_id, "score": round(p.score, 6), "reasons": p.reasons}


def _write_ranking(path: str, parties: list[RankedParty]) -> None:
    with atomic_output(path) as out:
        writer = csv.writer(out)
        writer.writerow(["party_id", "score", "rank", "reasons"])
        for p in parties:
            writer.writerow([p.party_id, f"{p.score:.6f}", p.rank, "; ".join(p.reasons)])


def _ranking_quality(ranking: Ranking, positives: set[str]) -> dict[str, Any]:
    """Against the labels: average precision, and precision / recall / F1 in the top k, k being
    the number of labelled positives among the ranked parties."""
    from counterflow.monitoring.risk import average_precision

    k = sum(1 for p in ranking.parties if p.party_id in positives)
    if not k:
        return {"positives": 0, "average_precision": None}
    found = sum(1 for p in ranking.parties[:k] if p.party_id in positives)
    share = found / k  # precision = recall = F1 when k is the number of positives
    return {
        "positives": k,
        "average_precision": round(average_precision(ranking, positives), 6),
        "precision": round(share, 6),
        "recall": round(share, 6),
        "f1": round(share, 6),
    }
