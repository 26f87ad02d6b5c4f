"""Scenario parameters an analyst can edit: a TOML file, one table per scenario id::

    # params.toml
    [oil-border-trade]
    min_total_usd = 50000
    border_countries = ["TR", "IQ", "SY"]

    [donation-collection]
    min_senders = 15

Parameters not given keep their defaults (``counterflow monitor --show-params`` prints them
all). The file, like the parameters a library caller hands to
:func:`counterflow.monitoring.runner.run_scenarios`, is checked whole before anything runs, and
every problem is listed at once, each naming its scenario and parameter: an unknown scenario,
an unknown parameter (with the known ones), a value of the wrong type, out of range or not one
of the allowed choices.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from counterflow.errors import ConfigError
from counterflow.io import read_toml
from counterflow.monitoring.scenario import ParamValue, Scenario


class ParameterError(ConfigError):
    """Scenario parameters with problems; ``problems`` lists every one, each naming its
    scenario and parameter (``[laundering-hub] min_counterparties: must be int …``)."""

    def __init__(self, problems: Sequence[str], *, source: object = None) -> None:
        self.problems = list(problems)
        where = f"{source}: " if source is not None else ""
        super().__init__(f"{where}the parameters have problems:\n- " + "\n- ".join(self.problems))


def load_params(path: Path, scenarios: Mapping[str, Scenario]) -> dict[str, dict[str, Any]]:
    """The file's parameters by scenario id, checked against ``scenarios``."""
    data = read_toml(path, "parameters")
    problems = check_params(data, scenarios)
    if problems:
        raise ParameterError(problems, source=path)
    return {sid: dict(values) for sid, values in data.items()}


def check_params(data: Mapping[str, Any], scenarios: Mapping[str, Scenario]) -> list[str]:
    """Every problem of ``data`` (scenario id → {parameter: value}) against ``scenarios``."""
    if not isinstance(data, Mapping):
        return [
            "parameters must be a mapping of scenario id to {parameter: value}, "
            f"not {type(data).__name__}"
        ]
    problems = []
    for sid, values in data.items():
        scenario = scenarios.get(sid)
        if scenario is None:
            known = ", ".join(sorted(scenarios))
            problems.append(f"[{sid}]: no such scenario (known: {known})")
            continue
        problems += check_scenario_params(scenario, values)
    return problems


def check_scenario_params(scenario: Scenario, values: Any) -> list[str]:
    """Every problem of one scenario's parameters, each naming the scenario and parameter."""
    sid = scenario.id
    if not isinstance(values, Mapping):
        return [f"[{sid}]: must be a table of parameters, not {values!r}"]
    problems = []
    for name, value in values.items():
        param = scenario.param(name)
        if param is None:
            known = ", ".join(p.name for p in scenario.params) or "none"
            problems.append(f"[{sid}] {name}: no such parameter (known: {known})")
            continue
        problem = param.check(value)
        if problem:
            problems.append(f"[{sid}] {name}: {problem}")
    return problems


def resolve(scenario: Scenario, given: Mapping[str, Any] | None) -> dict[str, ParamValue]:
    """The scenario's defaults with ``given`` laid over them (floats for float parameters);
    ``given`` is checked first, and a :class:`ParameterError` lists all its problems."""
    problems = check_scenario_params(scenario, given or {})
    if problems:
        raise ParameterError(problems)
    values = scenario.defaults()
    for name, value in (given or {}).items():
        param = scenario.param(name)
        # a relative parameter keeps the number as given (a count stays an int)
        numeric = param is not None and isinstance(param.default, float)
        if numeric and isinstance(value, int) and not isinstance(value, bool):
            value = float(value)
        values[name] = list(value) if isinstance(value, list) else value
    return values


def describe(scenarios: Sequence[Scenario]) -> str:
    """Every scenario's parameters with defaults and documentation, as a TOML file to edit."""
    lines = ["# counterflow monitoring parameters: edit the values, delete what you keep"]
    for scenario in scenarios:
        lines += ["", f"# {scenario.title} ({scenario.typology}; severity {scenario.severity})"]
        lines.append(f"[{scenario.id}]")
        for param in scenario.params:
            lines.append(f"# {param.doc}")
            lines.append(f"{param.name} = {toml_value(param.default)}")
    return "\n".join(lines) + "\n"


def toml_value(value: ParamValue) -> str:
    """A parameter value as TOML writes it (for parameter files written by hand or by tune)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    if isinstance(value, list):
        return "[" + ", ".join(toml_value(v) for v in value) + "]"
    return repr(value)
