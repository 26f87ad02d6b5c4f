"""Monitoring: the typology pack of scenarios, their parameters, the runner and evaluation."""

from counterflow.monitoring.pack import PACK, SCENARIOS
from counterflow.monitoring.runner import RunReport, run_scenarios
from counterflow.monitoring.scenario import Param, Scenario

__all__ = ["PACK", "SCENARIOS", "Param", "RunReport", "Scenario", "run_scenarios"]
