"""Run scenarios over a dataset and store their alerts.

The scenarios and their parameters are checked before anything runs: an unknown scenario, an
unknown parameter, a value of the wrong type or out of range are all listed in one
:class:`~counterflow.monitoring.params.ParameterError` (a ``ConfigError``). Then each
scenario's expression is executed, its rows become alerts with an explanation (the facts that
crossed thresholds and the parameters used) and the first and last time of the transactions
involved, and they are merged into the scenario's stored alerts for the dataset (ids that stay,
new and changed alerts marked, alerts a case or a dismissal refers to never deleted: see
:mod:`counterflow.cases.alerts`), all in one transaction per scenario. A query that fails in
the engine (out of memory, say) stops the run with an
:class:`~counterflow.engines.EngineError` naming the scenario; the scenarios before it keep
their stored alerts.
"""

from __future__ import annotations

import json
import math
import time
from collections.abc import Callable, Mapping, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from counterflow.cases.alerts import MergeCounts, alert_id, replace_alerts
from counterflow.cases.dispositions import referenced_alerts
from counterflow.engines import DatasetTables, EngineError, is_engine_failure, open_dataset
from counterflow.errors import DataError
from counterflow.io import atomic_path, transaction
from counterflow.monitoring.pack import PACK
from counterflow.monitoring.params import ParameterError, check_scenario_params, resolve
from counterflow.monitoring.profile import DatasetProfile, dataset_profile, store_profile
from counterflow.monitoring.scenario import (
    ALERT_COLUMNS,
    AUTO,
    ParamValue,
    Scenario,
    ScenarioSkipped,
)
from counterflow.workspace import Workspace

#: opens a dataset's tables on an engine, with the workspace connection results are stored by
DatasetOpener = Callable[..., AbstractContextManager[tuple[DatasetTables, Any]]]

ALERTS = pa.schema(
    [
        ("alert_id", pa.string()),
        ("scenario", pa.string()),
        ("typology", pa.string()),
        ("severity", pa.string()),
        ("subject_kind", pa.string()),
        ("subject_id", pa.string()),
        ("score", pa.float64()),
        ("tx_ids", pa.list_(pa.string())),
        ("explanation", pa.string()),
        ("first_ts", pa.timestamp("us", tz="UTC")),
        ("last_ts", pa.timestamp("us", tz="UTC")),
    ]
)


@dataclass
class ScenarioRun:
    scenario: str
    alerts: int
    seconds: float
    #: why the scenario did not run, when it did not
    skipped: str | None = None
    #: alerts raised for the first time, and alerts whose transactions or score changed
    new: int = 0
    changed: int = 0
    #: alerts no longer raised: kept as retired (a case or a dismissal refers to them), dropped
    retired: int = 0
    dropped: int = 0


@dataclass
class RunReport:
    dataset: str
    runs: list[ScenarioRun] = field(default_factory=list)

    @property
    def alerts(self) -> int:
        return sum(r.alerts for r in self.runs)

    @property
    def new(self) -> int:
        return sum(r.new for r in self.runs)

    @property
    def changed(self) -> int:
        return sum(r.changed for r in self.runs)


def run_scenarios(
    workspace: Workspace,
    dataset: str,
    scenarios: Sequence[Scenario | str],
    params: Mapping[str, Mapping[str, Any]] | None = None,
    progress: Callable[[str], None] | None = None,
    *,
    opener: DatasetOpener = open_dataset,
    alerts_output: Path | None = None,
) -> RunReport:
    """Run ``scenarios`` (scenarios, or ids of the pack's) over ``dataset``; ``params`` by
    scenario id override the defaults. ``opener`` gives the dataset's tables on an engine
    and the workspace connection the alerts are stored through: DuckDB on the workspace by
    default, or Spark (:func:`counterflow.engines.spark.spark_opener`).

    With ``alerts_output`` the alerts are written to that Parquet file (all or nothing, when
    every scenario has run) instead of the workspace, and the run reads no stored alerts:
    scenarios that build on others' alerts (exposure) see this run's. The run and the
    dataset's profile are still recorded in the workspace.

    Everything is checked first, and every problem raised at once in a
    :class:`ParameterError`; parameters for a pack scenario that is not run are checked and
    otherwise ignored (one parameter file serves every selection). An engine failure while a
    scenario runs is an :class:`EngineError` naming it."""
    plan = check_run(scenarios, params)
    report = RunReport(dataset)
    keep = referenced_alerts(workspace.settings)
    produced: list[pa.Table] | None = [] if alerts_output is not None else None
    with opener(workspace, dataset, read_only=False) as (tables, conn):
        if produced is not None:
            tables.keep_alerts_of_run()
        profile = dataset_profile(tables)
        store_profile(conn, profile)
        for scenario, given in plan:
            if progress:
                progress(scenario.id)
            values, resolved = resolve_relative(scenario, given, profile)
            started = time.perf_counter()
            try:
                result = execute_scenario(scenario, tables, values)
                alerts = _alerts(scenario, result, values, resolved, tables)
            except ScenarioSkipped as skipped:
                report.runs.append(ScenarioRun(scenario.id, 0, 0.0, skipped=str(skipped)))
                continue
            except Exception as exc:
                if not isinstance(exc, EngineError) and not is_engine_failure(exc):
                    raise
                raise tables.error(exc, scenario=scenario.id) from exc
            seconds = time.perf_counter() - started
            what = f"storing the alerts of scenario {scenario.id!r} on dataset {dataset!r}"
            with transaction(conn, what):
                if produced is None:
                    merged = replace_alerts(conn, dataset, scenario.id, alerts, keep)
                else:
                    produced.append(alerts)
                    tables.add_run_alerts(_with_dataset(alerts, dataset))
                    merged = MergeCounts(raised=alerts.num_rows, new=alerts.num_rows)
                conn.execute(
                    "INSERT INTO monitor_runs (dataset, scenario, params, alerts, seconds, "
                    "run_at, profile) VALUES (?, ?, ?, ?, ?, ?, ?)",
                    [
                        dataset,
                        scenario.id,
                        json.dumps({**values, "resolved": resolved}, sort_keys=True),
                        alerts.num_rows,
                        seconds,
                        datetime.now(UTC).replace(tzinfo=None),
                        profile.to_json(),
                    ],
                )
            report.runs.append(
                ScenarioRun(
                    scenario.id,
                    alerts.num_rows,
                    seconds,
                    new=merged.new,
                    changed=merged.changed,
                    retired=merged.retired,
                    dropped=merged.dropped,
                )
            )
    if alerts_output is not None and produced is not None:
        _write_alerts(alerts_output, dataset, produced)
    return report


def _with_dataset(alerts: pa.Table, dataset: str) -> pa.Table:
    return alerts.append_column("dataset", pa.array([dataset] * alerts.num_rows, pa.string()))


def _write_alerts(path: Path, dataset: str, parts: list[pa.Table]) -> None:
    """The run's alerts as one Parquet file (the workspace's columns, with ``dataset``)."""
    table = pa.concat_tables(parts) if parts else ALERTS.empty_table()
    with atomic_path(path) as tmp:
        pq.write_table(_with_dataset(table, dataset), tmp)


def check_run(
    scenarios: Sequence[Scenario | str],
    params: Mapping[str, Mapping[str, Any]] | None = None,
) -> list[tuple[Scenario, dict[str, ParamValue]]]:
    """Each scenario to run with its parameters (defaults with ``params`` laid over them),
    or a :class:`ParameterError` listing every problem: a scenario id the pack does not know,
    parameters for an unknown scenario, an unknown parameter, a wrong type or range."""
    problems: list[str] = []
    chosen: list[Scenario] = []
    if isinstance(scenarios, str | Scenario):
        scenarios = [scenarios]  # one scenario given alone, not a sequence of them
    for item in scenarios:
        if isinstance(item, Scenario):
            chosen.append(item)
        elif isinstance(item, str) and item in PACK:
            chosen.append(PACK[item])
        elif isinstance(item, str):
            problems.append(f"[{item}]: no such scenario (known: {', '.join(sorted(PACK))})")
        else:
            problems.append(f"{item!r}: not a scenario or a scenario id")
    seen: set[str] = set()
    for scenario in chosen:
        if scenario.id in seen:
            problems.append(f"[{scenario.id}]: given twice")
        seen.add(scenario.id)
    by_id = {**PACK, **{s.id: s for s in chosen}}
    given: Mapping[str, Any] = params or {}
    if not isinstance(given, Mapping):
        problems.append(
            "parameters must be a mapping of scenario id to {parameter: value}, "
            f"not {type(given).__name__}"
        )
        given = {}
    for sid, values in given.items():
        found = by_id.get(sid)
        if found is None:
            known = ", ".join(sorted(by_id))
            problems.append(f"[{sid}]: no such scenario (known: {known})")
        else:
            problems += check_scenario_params(found, values)
    if problems:
        raise ParameterError(problems)
    return [(s, resolve(s, given.get(s.id))) for s in chosen]


def resolve_relative(
    scenario: Scenario, values: Mapping[str, Any], profile: DatasetProfile
) -> tuple[dict[str, ParamValue], dict[str, str]]:
    """``values`` with every relative parameter left at "auto" resolved against ``profile``,
    in the scenario's order (a later one may build on an earlier one), and for each how it
    was reached, in words, for the alerts' explanations."""
    out: dict[str, ParamValue] = dict(values)
    notes: dict[str, str] = {}
    for param in scenario.params:
        if param.relative is not None and out.get(param.name) == AUTO:
            value, why = param.relative(profile, out)
            out[param.name] = value
            notes[param.name] = why
    return out, notes


def prepare(
    scenario: Scenario, values: Mapping[str, Any], tables: DatasetTables
) -> tuple[dict[str, ParamValue], dict[str, str]]:
    """The values a scenario runs with on ``tables``' dataset: relative ones resolved against
    its profile (measured once per :class:`DatasetTables`). For callers that run a
    scenario's logic themselves (tuning)."""
    return resolve_relative(scenario, values, dataset_profile(tables))


def execute_scenario(
    scenario: Scenario, tables: DatasetTables, values: Mapping[str, Any]
) -> pa.Table:
    """Run one scenario with ``values`` (already resolved: see :func:`prepare`) to its result
    table, checked for the columns every alert needs; nothing is stored."""
    out = scenario.logic(tables, values)
    result = out if isinstance(out, pa.Table) else tables.execute(out)
    missing = [c for c in ALERT_COLUMNS if c not in result.column_names]
    if missing:
        raise DataError(f"scenario {scenario.id} returned no column(s) {', '.join(missing)}")
    return result


def _alerts(
    scenario: Scenario,
    result: pa.Table,
    values: Mapping[str, Any],
    resolved: Mapping[str, str],
    tables: DatasetTables,
) -> pa.Table:
    dataset = tables.dataset
    rows = _one_per_subject(result.to_pylist())
    spans = _spans(tables, {t for row in rows for t in row["tx_ids"] or ()})
    facts_of = [c for c in result.column_names if c not in ALERT_COLUMNS]
    out: dict[str, list[Any]] = {name: [] for name in ALERTS.names}
    for row in rows:
        tx_ids = sorted({str(t) for t in row["tx_ids"] or ()})
        subject = str(row["subject_id"])
        times = [spans[t] for t in tx_ids if t in spans]
        explanation = {
            "scenario": scenario.title,
            "facts": {name: _plain(row[name]) for name in facts_of},
            "parameters": dict(values),
            "transactions": len(tx_ids),
            **({"resolved": dict(resolved)} if resolved else {}),
        }
        out["alert_id"].append(alert_id(dataset, scenario.id, subject))
        out["scenario"].append(scenario.id)
        out["typology"].append(scenario.typology)
        out["severity"].append(scenario.severity)
        out["subject_kind"].append(scenario.subject_kind)
        out["subject_id"].append(subject)
        out["score"].append(min(1.0, max(0.0, float(row["score"] or 0.0))))
        out["tx_ids"].append(tx_ids)
        out["explanation"].append(json.dumps(explanation, ensure_ascii=False, default=str))
        out["first_ts"].append(min(times) if times else None)
        out["last_ts"].append(max(times) if times else None)
    return pa.table(out, schema=ALERTS)


def _one_per_subject(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One row per subject: an alert is a scenario's finding about a subject, so rows a
    scenario raises about the same subject merge (their transactions united, the facts and
    score of the highest-scoring row)."""
    merged: dict[str, dict[str, Any]] = {}
    for row in rows:
        subject = str(row["subject_id"])
        held = merged.get(subject)
        if held is None:
            merged[subject] = dict(row)
            continue
        tx_ids = {*(held["tx_ids"] or ()), *(row["tx_ids"] or ())}
        if float(row["score"] or 0.0) > float(held["score"] or 0.0):
            merged[subject] = dict(row)
        merged[subject]["tx_ids"] = sorted(str(t) for t in tx_ids)
    return list(merged.values())


def _spans(tables: DatasetTables, tx_ids: set[str]) -> dict[str, Any]:
    """The timestamp of each transaction an alert names (one query for the scenario)."""
    if not tx_ids:
        return {}
    ids = tables.ids(pa.table({"tx_id": pa.array(sorted(tx_ids), pa.string())}), "cf_alert_tx")
    tx = tables.transactions
    found = tables.execute(tx.semi_join(ids, "tx_id").select("tx_id", "timestamp"))
    return dict(zip(found["tx_id"].to_pylist(), found["timestamp"].to_pylist(), strict=True))


def _plain(value: Any) -> Any:
    """A fact as JSON can hold it: rounded floats, ISO dates, lists kept short."""
    if isinstance(value, float):
        return None if math.isnan(value) else round(value, 4)
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, list):
        return [_plain(v) for v in value[:20]]
    return value
