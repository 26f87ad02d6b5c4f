"""``counterflow tune``: set one scenario's thresholds on the dataset's own data and document
the choice (above/below-the-line testing), without storing any alert.

The monitoring modules are imported inside the command, so that every other command starts
without them."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import click

from counterflow.cli import console
from counterflow.cli.console import Column
from counterflow.cli.context import (
    Command,
    dataset_option,
    output_option,
    resolve_dataset,
    state,
    workspace,
)
from counterflow.io import atomic_output, is_stdout

if TYPE_CHECKING:
    from counterflow.monitoring.tune import Outcome, Tuning


@click.command(cls=Command)
@dataset_option("The dataset to tune on (default: the only dataset).")
@click.option(
    "--scenario",
    "scenario_id",
    metavar="ID",
    required=True,
    help="The scenario to tune (see counterflow monitor --list).",
)
@click.option(
    "--grid",
    "grids",
    metavar="NAME=V1,V2,…",
    multiple=True,
    help="A parameter and the values to try; repeat for more parameters (each is varied with "
    "the others at their current value). A list parameter's items are joined by '+'.",
)
@click.option(
    "--params",
    "params_path",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="TOML file of the current parameters (default: the scenario's defaults).",
)
@click.option(
    "--budget",
    type=click.FloatRange(min=0, min_open=True),
    metavar="N",
    help="Alerts per 1,000 parties per month to aim at from below; required when the dataset "
    "has no labels, a cap on the F1 choice when it has.",
)
@click.option(
    "--product",
    is_flag=True,
    help="Also try every combination of the grid's values (at most 64).",
)
@output_option("The parameter file to write, with the chosen values ('-': standard output).")
@click.option(
    "--report",
    "report_path",
    metavar="FILE",
    type=click.Path(dir_okay=False),
    help="An HTML report for a model-validation reviewer.",
)
@click.pass_context
def tune(
    ctx: click.Context,
    dataset: str | None,
    scenario_id: str,
    grids: tuple[str, ...],
    params_path: Path | None,
    budget: float | None,
    product: bool,
    output: str | None,
    report_path: str | None,
) -> None:
    """Tune a scenario's thresholds on a dataset: run it for each value of a parameter grid,
    storing no alert, and count alerts, alerts per 1,000 parties per month and, where the
    dataset has labels, precision, recall and F1, with the parties that enter and leave against
    the current values. The setting with the best F1 is chosen (without labels: the one closest
    to --budget from below) and can be written as a parameter file for monitor --params.

    \b
    Example:
      counterflow tune --dataset world --scenario laundering-hub --grid min_counterparties=5,10
      counterflow tune --dataset world --scenario ransom-payment --grid min_multiple=5,20 --budget 1
      counterflow tune --dataset world --scenario donations-forwarded --grid min_donors=5 -o t.toml
      counterflow tune --dataset world --scenario laundering-hub --grid pass_days=1,4 --report r.htm
    """
    from counterflow.monitoring.pack import PACK, select
    from counterflow.monitoring.params import load_params
    from counterflow.monitoring.tune import params_toml, parse_grid, record
    from counterflow.monitoring.tune import tune as run_tuning
    from counterflow.monitoring.tune_report import report_html

    cli = state(ctx)
    if output is not None and is_stdout(output) and cli.json:
        raise click.UsageError("-o - and --json both write to standard output; choose one")
    if not grids:
        raise click.UsageError("give at least one --grid NAME=V1,V2,…")
    scenario = select([scenario_id])[0]
    grid = parse_grid(scenario, grids)
    params = load_params(params_path, PACK) if params_path else {}
    name = resolve_dataset(ctx, dataset)
    with console.counting(f"Tuning {scenario.id} on {name}", unit="settings") as progress:
        tuning = run_tuning(
            workspace(ctx),
            name,
            scenario,
            grid,
            params,
            budget=budget,
            product=product,
            source=str(params_path) if params_path else None,
            progress=lambda done, _: progress(done),
        )
    if output:
        with atomic_output(output) as out:
            out.write(params_toml(tuning))
    if report_path:
        with atomic_output(report_path) as out:
            out.write(report_html(tuning))
    if cli.json:
        data = record(tuning)
        data["output"] = output
        data["report"] = report_path
        console.emit_json(data)
        return
    to_stdout = output is not None and is_stdout(output)
    say = console.note if to_stdout else console.console.print
    if not to_stdout:
        for table in _tables(tuning):
            console.console.print(table)
    say(_summary(tuning))
    written = [f"parameters to {output}"] if output and not to_stdout else []
    written += [f"the report to {report_path}"] if report_path else []
    if written:
        say(f"Wrote {' and '.join(written)}.")


def _tables(t: Tuning) -> list[object]:
    """A table per parameter, a row per value (the current and the chosen one marked), then
    one of the combinations."""
    out = [
        _table(t, name, [(_value(o.values[name]), o) for o in sweep])
        for name, sweep in t.sweeps.items()
    ]
    if t.product:
        rows = [(", ".join(f"{k}={_value(o.values[k])}" for k in t.grid), o) for o in t.product]
        out.append(_table(t, "combination", rows))
    return out


def _table(t: Tuning, title: str, settings: list[tuple[str, Outcome]]) -> object:
    columns = [Column(title, "key"), Column("alerts", "number"), Column("per 1k\n/month", "number")]
    if t.labelled:
        columns += [Column("precision", "number"), Column("recall", "number")]
        columns.append(Column("F1", "number"))
    columns += [Column("in", "number"), Column("out", "number")]
    return console.table(columns, [_row(t, label, o) for label, o in settings])


def _row(t: Tuning, label: str, o: Outcome) -> list[str]:
    from counterflow.monitoring.tune import rate_text

    marks = (["current"] if o.is_current else []) + (
        ["chosen"] if o.values == t.chosen.values else []
    )
    cells = [
        label + (f" ({', '.join(marks)})" if marks else ""),
        f"{o.alerts:,}",
        rate_text(o.rate),
    ]
    if t.labelled:
        own = t.typology_positives > 0
        precision, recall, f1 = (
            (o.typology_precision, o.typology_recall, o.typology_f1)
            if own
            else (o.precision, o.recall, o.f1)
        )
        cells += [_num(precision), _num(recall), _num(f1)]
    return [*cells, f"{len(o.entered):,}", f"{len(o.left):,}"]


def _summary(t: Tuning) -> str:
    changes = t.chosen.changes
    what = (
        "; ".join(f"{k} = {_value(v)} (was {_value(t.current[k])})" for k, v in changes.items())
        if changes
        else "the current values kept"
    )
    months = f"{t.months:.1f} months"
    labels = (
        f"{t.positives:,} labelled suspicious"
        + (f", {t.typology_positives:,} as {t.scenario.typology}" if t.typology_positives else "")
        if t.labelled
        else "no labels"
    )
    return (
        f"{len(t.outcomes)} settings of {t.scenario.id} on {t.dataset} ({t.parties:,} parties, "
        f"{months}, {labels}) in {t.seconds:.1f} s; nothing stored.\n"
        f"Chosen: {what}.\nWhy: {t.rule}."
    )


def _value(value: object) -> str:
    if isinstance(value, list):
        return "+".join(str(v) for v in value)
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def _num(value: float | None) -> str:
    return "–" if value is None else f"{value:.3f}"
