"""A synthetic world of customers, accounts and transactions with planted terrorist-financing
channels and their ground truth.

``simulate(out, parties=…, days=…, seed=…)`` writes ``parties.parquet``, ``accounts.parquet``,
``party_labels.parquet``, ``transactions/part-*.parquet`` (the canonical schemas of
:mod:`counterflow.transactions.schema`) and ``world.json``. See ``docs/simulate.md``.
"""

from __future__ import annotations

from counterflow.simulate.config import (
    AntiquitiesParams,
    CropsParams,
    DonationsParams,
    HubParams,
    LayeringParams,
    ListedParams,
    NormalConfig,
    OilParams,
    PhosphatesParams,
    RansomParams,
    TravelParams,
    TypologyConfig,
)
from counterflow.simulate.typologies import SOURCES, TYPOLOGIES
from counterflow.simulate.world import WorldSummary, estimate_transactions, simulate
from counterflow.simulate.writer import is_simulation

__all__ = [
    "SOURCES",
    "TYPOLOGIES",
    "AntiquitiesParams",
    "CropsParams",
    "DonationsParams",
    "HubParams",
    "LayeringParams",
    "ListedParams",
    "NormalConfig",
    "OilParams",
    "PhosphatesParams",
    "RansomParams",
    "TravelParams",
    "TypologyConfig",
    "WorldSummary",
    "estimate_transactions",
    "is_simulation",
    "simulate",
]
