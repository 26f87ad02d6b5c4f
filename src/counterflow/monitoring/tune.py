"""Tune one scenario's thresholds on the institution's own data, and document how.

Supervisors expect thresholds set on the data they watch and the choice written down
(*above/below-the-line testing*). :func:`tune` runs one scenario's logic once per setting of a
parameter grid, storing no alert, and records per setting:

- the alerts (one per subject, as ``monitor`` would store them), the parties alerted, and the
  alert rate: alerts per 1,000 parties per month, from the dataset's party count and span;
- where ``party_labels`` name suspicious parties: precision, recall and F1 of the alerted
  parties (correct when labelled suspicious), and the same over the parties labelled with the
  scenario's own typology when the labels use it;
- above/below the line: the parties that enter and leave compared with the current values.

The grid is *one at a time*: each parameter's values with the others at their current value
(the scenario's defaults with a base parameter file laid over them), and optionally the full
product when it is small. The setting chosen maximises F1 (ties: fewer alerts) where there are
labels, and without labels comes closest to an alert budget from below; :attr:`Tuning.rule`
says which rule chose it. :func:`params_toml` writes the choice as a parameter file that
``counterflow monitor --params`` loads, with comments saying how each value was chosen, and
:func:`counterflow.monitoring.tune_report.report_html` a self-contained page for a
model-validation reviewer (inline SVG, no script, every text escaped).
"""

from __future__ import annotations

import itertools
import json
import math
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from counterflow import __version__
from counterflow.engines import DatasetTables, EngineError, is_engine_failure, open_dataset
from counterflow.errors import ConfigError, DataError
from counterflow.monitoring.params import ParameterError, toml_value
from counterflow.monitoring.runner import check_run, execute_scenario, prepare
from counterflow.monitoring.scenario import AUTO, Param, ParamValue, Scenario, ScenarioSkipped
from counterflow.workspace import Workspace

#: the most settings the full product of a grid may have
MAX_PRODUCT = 64
#: the most values one parameter's sweep may have
MAX_VALUES = 50
#: how many party ids a sample of those entering or leaving shows
SAMPLE = 5
#: the average month, in days
MONTH_DAYS = 365.25 / 12
#: separates the items of a list parameter's value on the command line (``wire+cash``)
LIST_SEPARATOR = "+"


@dataclass(frozen=True)
class Outcome:
    """What one setting of the parameters raised."""

    #: every parameter's value in this setting
    values: dict[str, ParamValue]
    #: the parameters that differ from the current values (empty: the current setting)
    changes: dict[str, ParamValue]
    alerts: int
    parties: frozenset[str]
    #: alerts per 1,000 parties per month
    rate: float
    seconds: float
    precision: float | None = None
    recall: float | None = None
    f1: float | None = None
    #: the same, over the parties labelled with the scenario's typology
    typology_precision: float | None = None
    typology_recall: float | None = None
    typology_f1: float | None = None
    #: recall over the parties of the typology in the roles the scenario means to name (the
    #: collector, the recipient), the measure ``counterflow evaluate`` says to read
    key_recall: float | None = None
    #: parties alerted here and not under the current values, and the reverse
    entered: tuple[str, ...] = ()
    left: tuple[str, ...] = ()
    #: how many of them are labelled suspicious (None without labels)
    entered_suspicious: int | None = None
    left_suspicious: int | None = None

    @property
    def is_current(self) -> bool:
        return not self.changes


@dataclass
class Tuning:
    """A tuning run: the dataset's figures, every setting's outcome, and the choice."""

    dataset: str
    scenario: Scenario
    #: the current values (defaults with the base parameters laid over them)
    current: dict[str, ParamValue]
    #: the base parameters by scenario id, as given (kept in the parameter file written)
    base: dict[str, dict[str, Any]]
    grid: dict[str, list[ParamValue]]
    baseline: Outcome
    #: per parameter, its values in order (the current one among them) and their outcomes
    sweeps: dict[str, list[Outcome]]
    product: list[Outcome]
    chosen: Outcome
    #: how the choice was made, in a sentence
    rule: str
    budget: float | None
    parties: int
    transactions: int
    first: datetime | None
    last: datetime | None
    months: float
    #: parties labelled suspicious, and labelled with the scenario's typology
    positives: int
    typology_positives: int
    #: of those, the parties in the roles the scenario means to name
    key_parties: int
    seconds: float
    source: str | None = None
    #: how the current values' parameters left at "auto" resolved against the dataset
    resolved: dict[str, str] = field(default_factory=dict)
    #: what F1 the choice maximised ("" when chosen by the budget)
    objective: str = ""
    created: datetime = field(default_factory=lambda: datetime.now().astimezone())

    @property
    def labelled(self) -> bool:
        return self.positives > 0

    @property
    def outcomes(self) -> list[Outcome]:
        """Every distinct setting evaluated, the current one first."""
        seen: dict[str, Outcome] = {_key(self.baseline.values): self.baseline}
        for outcome in [*(o for s in self.sweeps.values() for o in s), *self.product]:
            seen.setdefault(_key(outcome.values), outcome)
        return list(seen.values())


# --------------------------------------------------------------------------- the grid


def parse_grid(scenario: Scenario, specs: Sequence[str]) -> dict[str, list[ParamValue]]:
    """``name=v1,v2,…`` options as typed values of the scenario's parameters (the items of a
    list parameter's value joined by ``+``); every problem at once in a
    :class:`ParameterError`."""
    grid: dict[str, list[ParamValue]] = {}
    problems: list[str] = []
    for spec in specs:
        name, sep, text = spec.partition("=")
        name = name.strip()
        if not sep or not name:
            problems.append(f"{spec!r}: give NAME=VALUE,VALUE,… (for example min_donors=5,10,20)")
            continue
        param = scenario.param(name)
        if param is None:
            problems.append(_unknown(scenario, name))
            continue
        if name in grid:
            problems.append(f"[{scenario.id}] {name}: given twice (one --grid per parameter)")
            continue
        texts = [t.strip() for t in text.split(",")]
        if not any(texts):
            problems.append(f"[{scenario.id}] {name}: no values")
            continue
        values: list[ParamValue] = []
        for item in texts:
            try:
                values.append(_typed(param, item))
            except ValueError as exc:
                problems.append(f"[{scenario.id}] {name}: {exc}")
        grid[name] = values
    if problems:
        raise ParameterError(problems, source="--grid")
    return grid


def _typed(param: Param, text: str) -> ParamValue:
    """``text`` as a value of ``param``'s type (its range is checked later)."""
    default = param.default
    kind = "a whole number" if isinstance(default, int) else "a number"
    if param.relative is not None:  # "auto" (relative to the dataset) or a number
        if text == AUTO:
            return AUTO
        try:
            return float(text)
        except ValueError:
            raise ValueError(f"{text!r} is not a number or {AUTO}") from None
    if isinstance(default, bool):
        lowered = text.lower()
        if lowered in ("true", "yes", "1"):
            return True
        if lowered in ("false", "no", "0"):
            return False
        raise ValueError(f"{text!r} is not true or false")
    if isinstance(default, list):
        return [part.strip() for part in text.split(LIST_SEPARATOR)]
    if isinstance(default, int | float):
        try:
            return int(text) if isinstance(default, int) else float(text)
        except ValueError:
            raise ValueError(f"{text!r} is not {kind} (like {default!r})") from None
    return text


def _unknown(scenario: Scenario, name: str) -> str:
    known = ", ".join(p.name for p in scenario.params) or "none"
    return f"[{scenario.id}] {name}: no such parameter (known: {known})"


def check_grid(scenario: Scenario, grid: Mapping[str, Sequence[Any]]) -> dict[str, list[Any]]:
    """The grid with float parameters' whole numbers made floats and repeats dropped, or a
    :class:`ParameterError` listing every unknown parameter, empty list and bad value."""
    problems: list[str] = []
    if not grid:
        problems.append(f"[{scenario.id}]: the grid is empty: give a parameter and its values")
    checked: dict[str, list[Any]] = {}
    for name, values in grid.items():
        param = scenario.param(name)
        if param is None:
            problems.append(_unknown(scenario, name))
            continue
        if isinstance(values, str | bytes) or not isinstance(values, Sequence) or not values:
            problems.append(f"[{scenario.id}] {name}: give a non-empty list of values")
            continue
        if len(values) > MAX_VALUES:
            problems.append(f"[{scenario.id}] {name}: {len(values)} values (at most {MAX_VALUES})")
            continue
        kept: list[Any] = []
        for value in values:
            problem = param.check(value)
            if problem:
                problems.append(f"[{scenario.id}] {name}: {problem}")
                continue
            numeric = isinstance(param.default, float) or param.relative is not None
            if numeric and isinstance(value, int) and not isinstance(value, bool):
                value = float(value)
            if value not in kept:
                kept.append(list(value) if isinstance(value, list) else value)
        checked[name] = kept
    if problems:
        raise ParameterError(problems)
    return checked


def _key(values: Mapping[str, Any]) -> str:
    return json.dumps(values, sort_keys=True, default=str)


def _sweep_values(current: ParamValue, values: list[Any]) -> list[Any]:
    """The grid's values with the current one among them: numbers in order, other values as
    given after the current one."""
    given = list(values) if current in values else [current, *values]
    if all(isinstance(v, int | float) and not isinstance(v, bool) for v in given):
        return sorted(given)
    return given


# --------------------------------------------------------------------------- running


@dataclass(frozen=True)
class _Truth:
    positives: frozenset[str]
    typology: frozenset[str]
    #: those of the typology in the scenario's key roles
    key: frozenset[str] = frozenset()


def tune(
    workspace: Workspace,
    dataset: str,
    scenario: Scenario | str,
    grid: Mapping[str, Sequence[Any]],
    params: Mapping[str, Mapping[str, Any]] | None = None,
    *,
    budget: float | None = None,
    product: bool = False,
    source: str | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> Tuning:
    """Run ``scenario`` over ``dataset`` once per setting of ``grid`` (parameter → values, one
    parameter at a time around the current values; with ``product`` also every combination)
    and choose a setting. Nothing is stored.

    ``params`` (by scenario id, as a parameter file holds them) give the current values.
    ``budget`` is alerts per 1,000 parties per month: required when the dataset has no
    labelled suspicious party, and a cap on the choice when it has. ``progress`` is called
    with (settings done, settings in all). Bad input is a :class:`ConfigError` (a
    :class:`ParameterError` listing every problem of the parameters)."""
    started = time.perf_counter()
    plan = check_run([scenario], params)
    chosen_scenario, current = plan[0]
    checked = check_grid(chosen_scenario, grid)
    if budget is not None and (not math.isfinite(budget) or budget <= 0):
        raise ConfigError(f"the budget must be a positive number of alerts, not {budget}")
    single, combos = _settings(current, checked, product)
    settings = single + [c for c in combos if _key(c) not in {_key(v) for v in single}]
    with open_dataset(workspace, dataset, read_only=True) as (tables, conn):
        figures = _figures(conn, dataset)
        truth = _truth(conn, dataset, chosen_scenario)
        if not truth.positives and budget is None:
            raise ConfigError(
                f"dataset {dataset!r} has no party labelled suspicious, so F1 cannot choose: "
                "give a budget (--budget N alerts per 1,000 parties per month)"
            )
        holders = _holders(conn, dataset) if chosen_scenario.subject_kind == "account" else {}
        raised: dict[str, tuple[int, frozenset[str], float, dict[str, str]]] = {}
        for done, values in enumerate(settings):
            if progress:
                progress(done, len(settings))
            raised[_key(values)] = _run(chosen_scenario, tables, dataset, values, holders)
    parties, transactions, first, last = figures
    months = _months(first, last)
    base_parties = raised[_key(current)][1]

    def outcome(values: dict[str, ParamValue]) -> Outcome:
        alerts, found, seconds, _ = raised[_key(values)]
        return _outcome(
            values, current, alerts, found, seconds, base_parties, truth, parties, months
        )

    baseline = outcome(dict(current))
    sweeps = {
        name: [outcome({**current, name: v}) for v in _sweep_values(current[name], values)]
        for name, values in checked.items()
    }
    tuning = Tuning(
        dataset=dataset,
        scenario=chosen_scenario,
        current=dict(current),
        base={sid: dict(values) for sid, values in (params or {}).items()},
        grid={name: list(values) for name, values in checked.items()},
        baseline=baseline,
        sweeps=sweeps,
        product=[outcome(v) for v in combos],
        chosen=baseline,
        rule="",
        budget=budget,
        parties=parties,
        transactions=transactions,
        first=first,
        last=last,
        months=months,
        positives=len(truth.positives),
        typology_positives=len(truth.typology),
        key_parties=len(truth.key),
        seconds=0.0,
        source=source,
        resolved=raised[_key(current)][3],
    )
    tuning.chosen, tuning.rule, tuning.objective = choose(tuning)
    tuning.seconds = time.perf_counter() - started
    return tuning


def _settings(
    current: dict[str, ParamValue], grid: Mapping[str, list[Any]], product: bool
) -> tuple[list[dict[str, ParamValue]], list[dict[str, ParamValue]]]:
    """The settings to run, each once: the current one and each parameter's values one at a
    time; and the product of the grid's values (empty unless asked and more than one
    parameter)."""
    single: dict[str, dict[str, ParamValue]] = {_key(current): dict(current)}
    for name, values in grid.items():
        for value in values:
            setting = {**current, name: value}
            single.setdefault(_key(setting), setting)
    combos: dict[str, dict[str, ParamValue]] = {}
    if product and len(grid) > 1:
        size = math.prod(len(v) for v in grid.values())
        if size > MAX_PRODUCT:
            raise ConfigError(
                f"the full product of the grid has {size:,} settings (at most {MAX_PRODUCT}): "
                "shorten the grid or leave out the product"
            )
        names = list(grid)
        for combo in itertools.product(*grid.values()):
            setting = {**current, **dict(zip(names, combo, strict=True))}
            combos.setdefault(_key(setting), setting)
    return list(single.values()), list(combos.values())


def _run(
    scenario: Scenario,
    tables: DatasetTables,
    dataset: str,
    values: Mapping[str, Any],
    holders: Mapping[str, str],
) -> tuple[int, frozenset[str], float, dict[str, str]]:
    """Alerts (one per subject) and the parties alerted by one setting, its seconds, and how
    its parameters left at "auto" resolved against the dataset's profile."""
    started = time.perf_counter()
    try:
        ready, resolved = prepare(scenario, values, tables)
        result = execute_scenario(scenario, tables, ready)
    except ScenarioSkipped as skipped:
        raise DataError(f"scenario {scenario.id} cannot run on {dataset!r}: {skipped}") from None
    except Exception as exc:
        if not isinstance(exc, EngineError) and not is_engine_failure(exc):
            raise
        raise tables.error(exc, scenario=scenario.id) from exc
    subjects = {str(s) for s in result.column("subject_id").to_pylist() if s is not None}
    parties = frozenset(holders.get(s, s) for s in subjects)
    return len(subjects), parties, time.perf_counter() - started, resolved


def _figures(conn: Any, dataset: str) -> tuple[int, int, datetime | None, datetime | None]:
    """Parties (those named in the transactions when the dataset lists none), transactions,
    and the first and last transaction's time."""
    rows = conn.execute("SELECT count(*) FROM parties WHERE dataset = ?", [dataset]).fetchall()
    parties = rows[0][0]
    count, first, last = conn.execute(
        "SELECT count(*), min(timestamp), max(timestamp) FROM transactions WHERE dataset = ?",
        [dataset],
    ).fetchall()[0]
    if not parties:
        parties = conn.execute(
            "SELECT count(DISTINCT p) FROM (SELECT payer_party AS p FROM transactions "
            "WHERE dataset = $d UNION ALL SELECT beneficiary_party FROM transactions "
            "WHERE dataset = $d)",
            {"d": dataset},
        ).fetchall()[0][0]
    return int(parties), int(count), first, last


def _months(first: datetime | None, last: datetime | None) -> float:
    """The dataset's span in months, a day at least (a one-day dataset is not a month)."""
    if first is None or last is None:
        return 1 / MONTH_DAYS
    days = max((last - first).total_seconds() / 86_400, 1.0)
    return days / MONTH_DAYS


def _truth(conn: Any, dataset: str, scenario: Scenario) -> _Truth:
    rows = conn.execute(
        "SELECT party_id, typology, role FROM party_labels WHERE dataset = ? AND is_suspicious",
        [dataset],
    ).fetchall()
    own = [r for r in rows if r[1] == scenario.typology]
    return _Truth(
        frozenset(str(r[0]) for r in rows),
        frozenset(str(r[0]) for r in own),
        frozenset(str(r[0]) for r in own if r[2] in scenario.key_roles),
    )


def _holders(conn: Any, dataset: str) -> dict[str, str]:
    """Account → holding party, for scenarios whose subjects are accounts."""
    rows = conn.execute(
        "SELECT account_id, party_id FROM accounts WHERE dataset = ? AND party_id IS NOT NULL",
        [dataset],
    ).fetchall()
    return {str(a): str(p) for a, p in rows}


def _scores(found: frozenset[str], truth: frozenset[str]) -> tuple[float, float, float] | None:
    if not truth:
        return None
    correct = len(found & truth)
    precision = correct / len(found) if found else 0.0
    recall = correct / len(truth)
    f1 = 2 * precision * recall / (precision + recall) if correct else 0.0
    return precision, recall, f1


def _outcome(
    values: dict[str, ParamValue],
    current: Mapping[str, ParamValue],
    alerts: int,
    found: frozenset[str],
    seconds: float,
    base: frozenset[str],
    truth: _Truth,
    parties: int,
    months: float,
) -> Outcome:
    overall = _scores(found, truth.positives)
    own = _scores(found, truth.typology)
    entered = tuple(sorted(found - base))
    left = tuple(sorted(base - found))
    labelled = bool(truth.positives)
    return Outcome(
        values=values,
        changes={k: v for k, v in values.items() if current.get(k) != v},
        alerts=alerts,
        parties=found,
        rate=alerts / (max(parties, 1) / 1000) / months,
        seconds=seconds,
        precision=overall[0] if overall else None,
        recall=overall[1] if overall else None,
        f1=overall[2] if overall else None,
        typology_precision=own[0] if own else None,
        typology_recall=own[1] if own else None,
        typology_f1=own[2] if own else None,
        key_recall=len(found & truth.key) / len(truth.key) if truth.key else None,
        entered=entered,
        left=left,
        entered_suspicious=len(set(entered) & truth.positives) if labelled else None,
        left_suspicious=len(set(left) & truth.positives) if labelled else None,
    )


# --------------------------------------------------------------------------- choosing


def choose(tuning: Tuning) -> tuple[Outcome, str, str]:
    """The setting to keep, the sentence saying why, and the F1 maximised ("" for none).

    With labels: the highest F1 (over the scenario's typology when the labels use it, else
    over every suspicious party), within the budget when one is given; ties go to fewer
    alerts, then to the current values. Without labels: the most alerts within the budget
    (closest to it from below)."""
    candidates = tuning.outcomes
    budget = tuning.budget
    unit = "alerts per 1,000 parties per month"
    within = [o for o in candidates if budget is None or o.rate <= budget + 1e-9]
    order = {id(o): i for i, o in enumerate(candidates)}  # the current setting first
    if tuning.labelled:
        own = tuning.typology_positives > 0
        objective = (
            f"F1 over the parties labelled {tuning.scenario.typology}"
            if own
            else "F1 over the parties labelled suspicious"
        )

        def f1(o: Outcome) -> float:
            return (o.typology_f1 if own else o.f1) or 0.0

        pool = within or candidates
        best = min(pool, key=lambda o: (-round(f1(o), 12), o.alerts, order[id(o)]))
        cap = f", within the budget of {budget:g} {unit}" if budget is not None else ""
        if budget is not None and not within:
            cap = f" (no setting is within the budget of {budget:g} {unit})"
        if f1(best) == 0:
            return (
                tuning.baseline,
                f"no setting alerted a labelled party{cap}, so the current values are kept",
                objective,
            )
        now = f1(tuning.baseline)
        return (
            best,
            f"the highest {objective} ({f1(best):.3f}; the current values {now:.3f}){cap}; "
            "ties go to fewer alerts",
            objective,
        )
    assert budget is not None  # tune() asks for one without labels
    if not within:
        best = min(candidates, key=lambda o: (o.alerts, order[id(o)]))
        return (
            best,
            f"no setting is within the budget of {budget:g} {unit}: the one with the "
            f"fewest alerts ({rate_text(best.rate)})",
            "",
        )
    best = min(within, key=lambda o: (-o.alerts, order[id(o)]))
    return (
        best,
        f"the closest to the budget of {budget:g} {unit} from below ({rate_text(best.rate)}; "
        f"the current values {rate_text(tuning.baseline.rate)})",
        "",
    )


def rate_text(rate: float) -> str:
    """An alert rate with three significant digits or so (0.012, 1.49, 21.9, 1,490)."""
    if rate >= 100:
        return f"{rate:,.0f}"
    return f"{rate:.1f}" if rate >= 10 else f"{rate:.2f}" if rate >= 1 else f"{rate:.3f}"


# --------------------------------------------------------------------------- the records


def record(tuning: Tuning) -> dict[str, Any]:
    """The tuning as plain data (``--json``)."""
    return {
        "dataset": tuning.dataset,
        "scenario": tuning.scenario.id,
        "typology": tuning.scenario.typology,
        "parties": tuning.parties,
        "transactions": tuning.transactions,
        "first": tuning.first.isoformat() if tuning.first else None,
        "last": tuning.last.isoformat() if tuning.last else None,
        "months": round(tuning.months, 4),
        "labelled_suspicious": tuning.positives,
        "labelled_typology": tuning.typology_positives,
        "labelled_key_parties": tuning.key_parties,
        "budget": tuning.budget,
        "current": tuning.current,
        "resolved": tuning.resolved,
        "grid": tuning.grid,
        "chosen": tuning.chosen.values,
        "changes": tuning.chosen.changes,
        "rule": tuning.rule,
        "objective": tuning.objective or None,
        "seconds": round(tuning.seconds, 3),
        "settings": [_outcome_record(o) for o in tuning.outcomes],
    }


def _outcome_record(o: Outcome) -> dict[str, Any]:
    return {
        "changes": o.changes,
        "alerts": o.alerts,
        "parties": len(o.parties),
        "rate": round(o.rate, 6),
        "precision": _round(o.precision),
        "recall": _round(o.recall),
        "f1": _round(o.f1),
        "typology_precision": _round(o.typology_precision),
        "typology_recall": _round(o.typology_recall),
        "typology_f1": _round(o.typology_f1),
        "key_recall": _round(o.key_recall),
        "entered": len(o.entered),
        "left": len(o.left),
        "entered_suspicious": o.entered_suspicious,
        "left_suspicious": o.left_suspicious,
        "entered_sample": list(o.entered[:SAMPLE]),
        "left_sample": list(o.left[:SAMPLE]),
        "seconds": round(o.seconds, 3),
    }


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 6)


def _one_line(text: str) -> str:
    return " ".join(str(text).split())


def params_toml(tuning: Tuning) -> str:
    """The chosen values as a parameter file (``counterflow monitor --params``): the tuned
    scenario's every parameter, each with its documentation and how its value was chosen,
    and the base file's other scenarios as they were."""
    s = tuning.scenario
    day = tuning.created.strftime("%Y-%m-%d")
    lines = [
        "# counterflow monitoring parameters: edit the values, delete what you keep",
        f"# tuned by counterflow {__version__} tune on dataset {tuning.dataset!r}, {day}",
        f"# chosen by {_one_line(tuning.rule)}",
        "",
        f"# {_one_line(s.title)} ({s.typology}; severity {s.severity})",
        f"[{s.id}]",
    ]
    given = tuning.base.get(s.id, {})
    for param in s.params:
        value = tuning.chosen.values[param.name]
        lines.append(f"# {_one_line(param.doc)}")
        if param.name in tuning.grid:
            tried = ", ".join(toml_value(v) for v in tuning.grid[param.name])
            was = tuning.current[param.name]
            how = "kept" if value == was else f"changed from {toml_value(was)}"
            lines.append(f"# tuned: {how}; tried {tried}")
        elif param.name in given:
            lines.append(f"# not tuned: as given in {tuning.source or 'the base parameters'}")
        else:
            lines.append("# not tuned: the default")
        if value == AUTO and param.name in tuning.resolved and value == tuning.current[param.name]:
            lines.append(
                f"# on {tuning.dataset!r} auto is {_one_line(tuning.resolved[param.name])}"
            )
        lines.append(f"{param.name} = {toml_value(value)}")
    for sid, values in tuning.base.items():
        if sid == s.id:
            continue
        lines += ["", f"# as given in {tuning.source or 'the base parameters'}, not tuned"]
        lines.append(f"[{sid}]")
        lines += [f"{name} = {toml_value(value)}" for name, value in values.items()]
    return "\n".join(lines) + "\n"
