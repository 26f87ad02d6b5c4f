"""The planted terrorist-financing channels, each a typology with parameters and a source.

:func:`plant_all` runs them in a fixed order on one random stream, so that the same seed and
parameters cast the same parties and plant the same transactions.
"""

from __future__ import annotations

from collections.abc import Sequence

from counterflow.simulate.config import TypologyConfig
from counterflow.simulate.typologies.base import Planted, Stage
from counterflow.simulate.typologies.flows import (
    plant_donations,
    plant_hubs,
    plant_listed,
    plant_ransom,
    plant_travel,
)
from counterflow.simulate.typologies.layering import SHAPES, plant_layering
from counterflow.simulate.typologies.trade import (
    CROPS,
    OIL,
    PHOSPHATES,
    plant_antiquities,
    plant_commodity,
)

_FATF = (
    "FATF, Financing of the Terrorist Organisation Islamic State in Iraq and the Levant "
    "(ISIL), February 2015"
)
#: every typology the simulator plants, with the source it is modelled on
SOURCES: dict[str, str] = {
    "oil": f"{_FATF} (oil sold through middlemen and smugglers in border areas); "
    "UN Monitoring Team report S/2014/815; UNSC resolution 2199 (2015) on trade in oil "
    "with ISIL and ANF",
    "crops": f"{_FATF} (agriculture: wheat, barley and cotton taken in occupied areas and "
    "sold through traders; cement)",
    "phosphates": f"{_FATF} (other natural resources: phosphate, sulphuric and phosphoric "
    "acid in the occupied areas)",
    "antiquities": f"{_FATF} (looting and sale of antiquities); UNSC resolution 2199 (2015) "
    "on Iraqi and Syrian cultural property; UN Monitoring Team reports",
    "donations": f"{_FATF} (donations, including by or through non-profit organisations); "
    "FATF, Risk of Terrorist Abuse in Non-Profit Organisations, June 2014",
    "ransom": f"{_FATF} (kidnapping for ransom); UN Monitoring Team report S/2014/815; "
    "UNSC resolution 2133 (2014)",
    "listed-counterparty": "UNSC resolutions 2161 (2014), 2199 (2015) and 2253 (2015): "
    "asset freeze, no funds or economic resources made available to listed parties",
    "laundering-hub": f"{_FATF} (exchange houses and money remitters moving funds towards "
    "the conflict zone); pass-through (flow-through) accounts in FATF and Egmont Group "
    "typology reports",
    "travel-funding": f"{_FATF} (foreign terrorist fighters); FATF, Emerging Terrorist "
    "Financing Risks, October 2015 (self-funding with consumer loans); UNSC resolution "
    "2178 (2014)",
    **{
        f"layering-{shape}": "Altman et al., Realistic Synthetic Financial Transactions for "
        "Anti-Money Laundering Models, NeurIPS 2023 Datasets and Benchmarks (IBM AMLworld)"
        for shape in SHAPES
    },
}
TYPOLOGIES: tuple[str, ...] = tuple(SOURCES)


def plant_all(stage: Stage, config: TypologyConfig, watchlist: Sequence[tuple[str, str]]) -> None:
    """Cast parties and plant every typology (and its look-alikes) on ``stage``."""
    plant_commodity(stage, OIL, config.oil)
    plant_commodity(stage, CROPS, config.crops)
    plant_commodity(stage, PHOSPHATES, config.phosphates)
    plant_antiquities(stage, config.antiquities)
    plant_donations(stage, config.donations)
    plant_ransom(stage, config.ransom)
    plant_listed(stage, config.listed, watchlist)
    plant_hubs(stage, config.hub)
    plant_travel(stage, config.travel)
    plant_layering(stage, config.layering)


__all__ = ["SOURCES", "TYPOLOGIES", "Planted", "Stage", "plant_all"]
