"""Monitoring: the typology pack of scenarios, their parameters, the runner and evaluation.

The names below load on first use: scenario modules elsewhere (``counterflow.graph``) import
``counterflow.monitoring.scenario`` while the pack imports them.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from counterflow.monitoring.pack import PACK, SCENARIOS
    from counterflow.monitoring.runner import RunReport, run_scenarios
    from counterflow.monitoring.scenario import Param, Scenario

__all__ = ["PACK", "SCENARIOS", "Param", "RunReport", "Scenario", "run_scenarios"]

_HOMES = {
    "PACK": "pack",
    "SCENARIOS": "pack",
    "RunReport": "runner",
    "run_scenarios": "runner",
    "Param": "scenario",
    "Scenario": "scenario",
}


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(name)
    return getattr(import_module(f"counterflow.monitoring.{home}"), name)
