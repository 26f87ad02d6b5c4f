"""Scenario parameters an analyst can edit: a TOML file, one table per scenario id::

    # params.toml
    [oil-border-trade]
    min_total_usd = 50000
    border_countries = ["TR", "IQ", "SY"]

    [donation-collection]
    min_senders = 15

Parameters not given keep their defaults (``counterflow monitor --show-params`` prints them
all). The file is checked whole before anything runs, and every problem is listed at once:
an unknown scenario, an unknown parameter (with the known ones), a value of the wrong type or
out of range.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from counterflow.errors import ConfigError
from counterflow.monitoring.scenario import ParamValue, Scenario


def load_params(path: Path, scenarios: Mapping[str, Scenario]) -> dict[str, dict[str, Any]]:
    """The file's parameters by scenario id, checked against ``scenarios``."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read the parameters: {exc.strerror}") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: not a TOML parameter file: {exc}") from None
    problems = check_params(data, scenarios)
    if problems:
        raise ConfigError(f"{path}: the parameters have problems:\n- " + "\n- ".join(problems))
    return {sid: dict(values) for sid, values in data.items()}


def check_params(data: Mapping[str, Any], scenarios: Mapping[str, Scenario]) -> list[str]:
    problems = []
    for sid, values in data.items():
        scenario = scenarios.get(sid)
        if scenario is None:
            problems.append(f"[{sid}]: no such scenario (known: {', '.join(sorted(scenarios))})")
            continue
        if not isinstance(values, dict):
            problems.append(f"{sid}: must be a table [{sid}] of parameters")
            continue
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
    """The scenario's defaults with ``given`` laid over them (floats for float parameters)."""
    values = scenario.defaults()
    for name, value in (given or {}).items():
        param = scenario.param(name)
        if param is not None and isinstance(param.default, float) and isinstance(value, int):
            value = float(value)
        values[name] = value
    return values


def describe(scenarios: Sequence[Scenario]) -> str:
    """Every scenario's parameters with defaults and documentation, as a TOML file to edit."""
    lines = ["# counterflow monitoring parameters: edit the values, delete what you keep"]
    for scenario in scenarios:
        lines += ["", f"# {scenario.title} ({scenario.typology}; severity {scenario.severity})"]
        lines.append(f"[{scenario.id}]")
        for param in scenario.params:
            lines.append(f"# {param.doc}")
            lines.append(f"{param.name} = {_toml(param.default)}")
    return "\n".join(lines) + "\n"


def _toml(value: ParamValue) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    if isinstance(value, list):
        return "[" + ", ".join(_toml(v) for v in value) + "]"
    return repr(value)
