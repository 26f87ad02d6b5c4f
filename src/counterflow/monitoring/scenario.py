"""What a monitoring scenario is: an id, a typology, its sources, documented parameters, a
severity, and its logic as an Ibis expression over a dataset's tables.

The logic returns one row per alert with these columns:

- ``subject_id`` (string): the party (or account) the alert is about;
- ``score`` (float64, 0 to 1): how strongly the pattern shows;
- ``tx_ids`` (array of strings): the transactions involved;
- any number of *fact* columns (numbers, strings, dates): the values that crossed the
  thresholds, named so an analyst can read them (``inflow_usd``, ``distinct_countries``,
  ``retention``). The runner turns them, with the parameters used, into the alert's
  explanation.

Written as Ibis, the logic runs on DuckDB now and on Spark later unchanged. Scenarios that
need Python (screening every name against the lists) set ``engine = "python"``; their logic
receives the same tables and returns an Arrow table of the same columns.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import ibis
import pyarrow as pa

from counterflow.engines import DatasetTables

if TYPE_CHECKING:
    from counterflow.monitoring.profile import DatasetProfile
from counterflow.errors import CounterflowError

SEVERITIES = ("low", "medium", "high")
SUBJECT_KINDS = ("party", "account")
#: columns every scenario's result has; the rest are facts
ALERT_COLUMNS = ("subject_id", "score", "tx_ids")


class ScenarioSkipped(CounterflowError):
    """A scenario cannot run on this workspace (no lists to screen against, no names); the
    runner reports why and goes on with the others."""


ParamValue = int | float | str | bool | list[str]
Logic = Callable[[DatasetTables, Mapping[str, Any]], "ibis.Table | pa.Table"]
#: a default said relative to the dataset: from its profile and the scenario's other
#: (already resolved) parameters, the value and how it was reached, in words
Relative = Callable[["DatasetProfile", Mapping[str, Any]], tuple[float, str]]
#: the value a relative parameter takes to be resolved against the dataset's profile
AUTO = "auto"


@dataclass(frozen=True)
class Param:
    """A scenario parameter: its default and what it controls (shown in ``--help`` output and
    the parameter file's documentation)."""

    name: str
    default: ParamValue
    doc: str
    minimum: float | None = None
    maximum: float | None = None
    #: the values a text parameter may take (None: any text)
    choices: tuple[str, ...] | None = None
    #: for a number whose default is "auto": how it resolves against the dataset's profile
    relative: Relative | None = None

    def check(self, value: Any) -> str | None:
        """None when ``value`` fits, else the problem."""
        if self.relative is not None:
            if value == AUTO:
                return None
            if isinstance(value, bool) or not isinstance(value, int | float):
                return f'must be "auto" (relative to the dataset) or a number, not {value!r}'
            return Param(self.name, 0.0, self.doc, self.minimum, self.maximum).check(value)
        expected = type(self.default)
        if isinstance(self.default, list):
            if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                return f"must be a list of texts like {self.default!r}, not {value!r}"
            return None
        if expected is float and isinstance(value, int) and not isinstance(value, bool):
            value = float(value)
        if not isinstance(value, expected) or (expected is int and isinstance(value, bool)):
            return f"must be {expected.__name__} like {self.default!r}, not {value!r}"
        if isinstance(value, float) and not math.isfinite(value):
            return f"must be a finite number, not {value}"
        if isinstance(value, int | float) and not isinstance(value, bool):
            if self.minimum is not None and value < self.minimum:
                return f"must be at least {self.minimum}, not {value}"
            if self.maximum is not None and value > self.maximum:
                return f"must be at most {self.maximum}, not {value}"
        if isinstance(value, str) and self.choices is not None and value not in self.choices:
            return f"must be one of {', '.join(self.choices)}, not {value!r}"
        return None


@dataclass(frozen=True)
class Scenario:
    """One typology's detection logic, with everything an analyst needs to trust it."""

    id: str
    title: str
    #: the typology it detects, named as the simulator's truth names it (``oil``, ``donations``,
    #: ``layering-fan-in``…), so alerts can be scored against planted channels
    typology: str
    #: where the pattern comes from (FATF 2015 ISIL report, UN Monitoring Team, AMLworld …)
    sources: tuple[str, ...]
    severity: str
    logic: Logic
    params: tuple[Param, ...] = ()
    #: the roles in the planted truth this scenario means to name (``front company`` for
    #: oil): evaluation reports recall over these parties, beside recall over every role
    key_roles: tuple[str, ...] = ()
    subject_kind: str = "party"
    engine: str = "ibis"  # or "python"
    description: str = ""
    #: columns of the result that are facts but not shown first (kept in the explanation)
    extra: tuple[str, ...] = field(default=())

    def defaults(self) -> dict[str, ParamValue]:
        return {p.name: p.default for p in self.params}

    def param(self, name: str) -> Param | None:
        return next((p for p in self.params if p.name == name), None)
