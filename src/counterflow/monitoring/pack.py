"""The typology pack: every scenario counterflow ships, by id."""

from __future__ import annotations

from counterflow.errors import ConfigError
from counterflow.monitoring.scenario import Scenario
from counterflow.monitoring.scenarios.commodities import ANTIQUITIES, CROPS, OIL, PHOSPHATES
from counterflow.monitoring.scenarios.exposure import EXPOSURE
from counterflow.monitoring.scenarios.flows import DONATIONS, RANSOM, TRAVEL
from counterflow.monitoring.scenarios.hub import HUB
from counterflow.monitoring.scenarios.layering import (
    CYCLE,
    FAN_IN,
    FAN_OUT,
    GATHER_SCATTER,
    SCATTER_GATHER,
)
from counterflow.monitoring.scenarios.listed import LISTED
from counterflow.monitoring.scenarios.mesh import BIPARTITE, STACK
from counterflow.monitoring.scenarios.split import SPLIT

SCENARIOS: tuple[Scenario, ...] = (
    LISTED,
    EXPOSURE,  # after LISTED: it starts from the listed-counterparty alerts
    OIL,
    CROPS,
    PHOSPHATES,
    ANTIQUITIES,
    DONATIONS,
    RANSOM,
    HUB,
    TRAVEL,
    FAN_OUT,
    FAN_IN,
    CYCLE,
    SCATTER_GATHER,
    GATHER_SCATTER,
    BIPARTITE,
    STACK,
    SPLIT,
)
PACK: dict[str, Scenario] = {s.id: s for s in SCENARIOS}


def select(ids: list[str] | None) -> list[Scenario]:
    """The scenarios named (all when None), refusing unknown ids with the known ones."""
    if not ids:
        return list(SCENARIOS)
    unknown = [i for i in ids if i not in PACK]
    if unknown:
        raise ConfigError(f"no scenario {', '.join(map(repr, unknown))} (known: {', '.join(PACK)})")
    return [PACK[i] for i in ids]
