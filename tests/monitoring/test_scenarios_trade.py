"""The trade scenarios (oil, crops, phosphates, antiquities) and the money-channel scenarios
(donations, ransom, travel funding) measured against a simulated world's truth.

The world is built once per session on a seed the parameters were not tuned on (they were
tuned on seeds 1 to 5 and checked on 7, 8, 11 and 21 to 23). Every channel is planted 30 times
as densely as by default, so that even the rarest (ransom) has six instances at 10,000
parties; the world takes a few seconds to build.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from counterflow.cases.alerts import Alert, list_alerts
from counterflow.cli.ingest_cmd import parquet_files
from counterflow.engines import open_dataset
from counterflow.monitoring import Scenario, run_scenarios
from counterflow.monitoring.params import resolve
from counterflow.monitoring.scenarios.commodities import ANTIQUITIES, CROPS, OIL, PHOSPHATES
from counterflow.monitoring.scenarios.flows import DONATIONS, RANSOM, TRAVEL
from counterflow.simulate import TYPOLOGIES, TypologyConfig, simulate
from counterflow.transactions import store
from counterflow.workspace import Workspace

PARTIES, DAYS, SEED, DENSITY = 10_000, 150, 2024, 30
DATASET = "w"
SCENARIOS = (OIL, CROPS, PHOSPHATES, ANTIQUITIES, DONATIONS, RANSOM, TRAVEL)
#: the role each scenario names as its subject: recall is measured over these parties
KEY_ROLE = {
    "oil": "front company",
    "crops": "trader",
    "phosphates": "chemical trader",
    "antiquities": "dealer",
    "donations": "collector",
    "ransom": "ransom recipient",
    "travel-funding": "traveller",
}
#: documented floors on the held-out world (measured: recall 1.0 everywhere, precision 0.94
#: for donations and 1.0 for the rest)
RECALL_FLOOR = 0.8
PRECISION_FLOOR = 0.7
#: at most this share of a typology's benign look-alikes may be alerted
LOOKALIKE_CEILING = 0.1


@dataclass
class World:
    home: Path
    #: party → (typology, role) from party_labels
    labels: dict[str, tuple[str | None, str | None]]
    alerts: dict[str, list[Alert]]
    #: payer of every transaction that a look-alike party paid
    lookalike_payments: dict[str, set[str]]

    def parties(self, typology: str, role: str | None = None) -> set[str]:
        return {
            p for p, (t, r) in self.labels.items() if t == typology and (role is None or r == role)
        }

    def lookalikes(self, typology: str) -> set[str]:
        prefix = f"look-alike of {typology}:"
        return {p for p, (_, r) in self.labels.items() if r and r.startswith(prefix)}

    def subjects(self, scenario: Scenario) -> set[str]:
        return {a.subject_id for a in self.alerts[scenario.id]}


@pytest.fixture(scope="session")
def world(tmp_path_factory: pytest.TempPathFactory) -> World:
    """The held-out world, loaded, with every scenario of this file run once."""
    root = tmp_path_factory.mktemp("trade")
    out, home = root / "world", root / "home"
    simulate(
        out,
        parties=PARTIES,
        days=DAYS,
        seed=SEED,
        typology_params=TypologyConfig().scaled(DENSITY),
    )
    workspace = Workspace(home)
    store.load_parquet(workspace, DATASET, parquet_files(out), fmt="simulated", source="t")
    run_scenarios(workspace, DATASET, SCENARIOS)
    with workspace.connect(read_only=True) as conn:
        alerts = {s.id: list_alerts(conn, DATASET, scenario=s.id) for s in SCENARIOS}
        labels = {
            str(p): (t, r)
            for p, t, r in conn.execute(
                "SELECT party_id, typology, role FROM party_labels WHERE dataset = ?", [DATASET]
            ).fetchall()
        }
        paid: dict[str, set[str]] = {}
        for tx_id, payer in conn.execute(
            "SELECT t.tx_id, t.payer_party FROM transactions t JOIN party_labels l "
            "ON l.dataset = t.dataset AND l.party_id = t.payer_party "
            "WHERE t.dataset = ? AND l.role LIKE 'look-alike of %'",
            [DATASET],
        ).fetchall():
            paid.setdefault(str(payer), set()).add(str(tx_id))
    return World(home, labels, alerts, paid)


@pytest.fixture
def rerun(world: World) -> Iterator[Callable[[Scenario, Mapping[str, Any]], set[str]]]:
    """Run a scenario's logic with some parameters changed; its alerts' subjects."""
    with open_dataset(Workspace(world.home), DATASET) as (tables, _):

        def run(scenario: Scenario, changed: Mapping[str, Any]) -> set[str]:
            result = tables.execute(scenario.logic(tables, resolve(scenario, changed)))
            return {str(s) for s in result.column("subject_id").to_pylist()}

        yield run


def _ids(scenarios: tuple[Scenario, ...]) -> list[str]:
    return [s.id for s in scenarios]


# --------------------------------------------------------------------------- what they are


@pytest.mark.parametrize("scenario", SCENARIOS, ids=_ids(SCENARIOS))
def test_each_scenario_is_documented_and_named_as_the_truth_names_its_typology(
    scenario: Scenario,
) -> None:
    assert scenario.typology in TYPOLOGIES
    assert scenario.severity in ("low", "medium", "high")
    assert scenario.sources and all(len(s) > 20 for s in scenario.sources)
    assert scenario.description and scenario.title
    assert scenario.params
    for param in scenario.params:
        assert param.doc, param.name
        assert param.check(param.default) is None, param.name


def test_scenario_ids_are_unique() -> None:
    assert len({s.id for s in SCENARIOS}) == len(SCENARIOS)


# --------------------------------------------------------------------------- how well


@pytest.mark.parametrize("scenario", SCENARIOS, ids=_ids(SCENARIOS))
def test_recall_and_precision_on_a_held_out_world(world: World, scenario: Scenario) -> None:
    key = world.parties(scenario.typology, KEY_ROLE[scenario.typology])
    channel = world.parties(scenario.typology)
    subjects = world.subjects(scenario)
    assert key, "the world plants the channel"
    recall = len(key & subjects) / len(key)
    precision = len(channel & subjects) / len(subjects) if subjects else 0.0
    assert recall >= RECALL_FLOOR, (recall, sorted(key - subjects))
    assert precision >= PRECISION_FLOOR, (precision, sorted(subjects - channel))


@pytest.mark.parametrize("scenario", SCENARIOS, ids=_ids(SCENARIOS))
def test_benign_look_alikes_are_not_alerted(world: World, scenario: Scenario) -> None:
    lookalikes = world.lookalikes(scenario.typology)
    assert lookalikes, "the world plants look-alikes of the channel"
    alerted = lookalikes & world.subjects(scenario)
    # and no alert rests on a look-alike's own payments (the flat buyer's, for ransom)
    their_payments = set().union(*(world.lookalike_payments.get(p, set()) for p in lookalikes))
    resting = [a.subject_id for a in world.alerts[scenario.id] if their_payments & set(a.tx_ids)]
    for party in alerted | set(resting):
        assert world.labels[party][0] is None  # a look-alike, not a planted party
    assert len(alerted | set(resting)) <= math.floor(LOOKALIKE_CEILING * len(lookalikes)), sorted(
        alerted | set(resting)
    )


# --------------------------------------------------------------------------- why


def _at_least(name: str, param: str) -> Callable[[dict[str, Any], dict[str, Any]], bool]:
    return lambda facts, params: facts[name] >= params[param] - 1e-4


def _at_most(name: str, param: str) -> Callable[[dict[str, Any], dict[str, Any]], bool]:
    return lambda facts, params: facts[name] <= params[param] + 1e-4


#: the facts each scenario must explain, and the thresholds they crossed
THRESHOLDS: dict[str, list[Callable[[dict[str, Any], dict[str, Any]], bool]]] = {
    OIL.id: [
        _at_least("underpriced_sales", "min_sales"),
        _at_least("underpriced_usd", "min_usd"),
        _at_most("median_price_ratio", "max_price_ratio"),
        _at_least("signals", "min_signals"),
    ],
    ANTIQUITIES.id: [
        _at_least("sales_usd", "min_sales_usd"),
        _at_least("border_payments", "min_border_payments"),
        _at_least("border_usd", "min_border_usd"),
        _at_least("signals", "min_signals"),
    ],
    DONATIONS.id: [
        _at_least("donors", "min_donors"),
        _at_least("donor_countries", "min_countries"),
        _at_least("forward_share", "min_forward_share"),
    ],
    RANSOM.id: [
        _at_least("amount_usd", "min_amount_usd"),
        _at_least("multiple", "min_multiple"),
        _at_least("signals", "min_signals"),
    ],
    TRAVEL.id: [
        _at_least("loan_usd", "min_loan_usd"),
        _at_least("cash_share", "min_cash_share"),
        _at_least("border_uses", "min_border_uses"),
    ],
}
THRESHOLDS[CROPS.id] = THRESHOLDS[PHOSPHATES.id] = THRESHOLDS[OIL.id]
FACTS = {
    OIL.id: {"underpriced_sales", "median_price_ratio", "account_age_days", "border_share",
             "onward_usd", "onward_share", "signals", "hs_codes"},
    ANTIQUITIES.id: {"pieces_sold", "sales_usd", "border_payments", "border_usd",
                     "border_towns", "dealer_city", "account_age_days", "red_list_pieces"},
    DONATIONS.id: {"donors", "donor_countries", "gifts_usd", "forwarded_usd", "forward_share",
                   "corridor_towns", "cash_share", "collector_kind", "account_age_days"},
    RANSOM.id: {"amount_usd", "multiple", "history_median_usd", "payers", "account_age_days",
                "onward_share", "onward_recipients", "signals"},
    TRAVEL.id: {"loans", "loan_usd", "cash_usd", "cash_share", "border_uses", "border_towns",
                "later_transactions", "silent"},
}  # fmt: skip
FACTS[CROPS.id] = FACTS[PHOSPHATES.id] = FACTS[OIL.id]


@pytest.mark.parametrize("scenario", SCENARIOS, ids=_ids(SCENARIOS))
def test_every_alert_explains_the_values_that_crossed_the_thresholds(
    world: World, scenario: Scenario
) -> None:
    alerts = world.alerts[scenario.id]
    assert alerts
    for alert in alerts:
        explanation = alert.explanation
        facts, params = explanation["facts"], explanation["parameters"]
        assert params == resolve(scenario, None)
        assert FACTS[scenario.id] <= set(facts), FACTS[scenario.id] - set(facts)
        for check in THRESHOLDS[scenario.id]:
            assert check(facts, params), (alert.subject_id, facts)
        assert alert.tx_ids and explanation["transactions"] == len(alert.tx_ids)
        assert 0.0 < alert.score <= 1.0
        assert alert.first_ts is not None and alert.last_ts is not None


# --------------------------------------------------------------------------- parameters


#: per scenario: a stricter setting (fewer alerts, all of them among the default's) and a
#: looser one (more alerts, the default's among them)
DIRECTIONS: dict[str, tuple[dict[str, Any], dict[str, Any]]] = {
    OIL.id: ({"max_price_ratio": 0.35}, {"max_price_ratio": 0.95, "min_signals": 0}),
    # without the context signals, the established suppliers of new traders (paid 79-99% of
    # the market) come in: the price alone does not make a crops channel
    CROPS.id: ({"min_sales": 8}, {"min_signals": 0, "max_price_ratio": 0.88}),
    PHOSPHATES.id: ({"min_signals": 3}, {"max_price_ratio": 0.95, "min_signals": 0}),
    ANTIQUITIES.id: ({"min_border_payments": 5}, {"min_signals": 0}),
    DONATIONS.id: ({"min_donors": 30}, {"include_established": True, "min_cash_share": 0.2}),
    # one signal is not enough: trade and layering rings bring big one-off payments too
    RANSOM.id: ({"min_multiple": 2000.0}, {"min_signals": 1}),
    TRAVEL.id: ({"min_cash_share": 0.8}, {"min_cash_share": 0.05, "min_border_uses": 1}),
}


@pytest.mark.parametrize("scenario", SCENARIOS, ids=_ids(SCENARIOS))
def test_parameters_move_the_results_the_way_they_say(
    world: World, rerun: Callable[[Scenario, Mapping[str, Any]], set[str]], scenario: Scenario
) -> None:
    stricter, looser = DIRECTIONS[scenario.id]
    default = world.subjects(scenario)
    strict, loose = rerun(scenario, stricter), rerun(scenario, looser)
    assert rerun(scenario, {}) == default
    assert strict < default
    assert loose > default
