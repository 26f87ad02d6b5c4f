"""Monitoring: the typology pack of scenarios, their parameters, the runner and evaluation."""

from counterflow.monitoring.pack import PACK, SCENARIOS
from counterflow.monitoring.params import ParameterError
from counterflow.monitoring.runner import RunReport, check_run, run_scenarios
from counterflow.monitoring.scenario import Param, Scenario, ScenarioSkipped

__all__ = [
    "PACK",
    "SCENARIOS",
    "Param",
    "ParameterError",
    "RunReport",
    "Scenario",
    "ScenarioSkipped",
    "check_run",
    "run_scenarios",
]
