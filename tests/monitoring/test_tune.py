"""``counterflow tune``: a scenario run over a parameter grid without storing alerts, the
setting chosen by F1 (with labels) or by an alert budget (without), a parameter file that
``monitor --params`` loads, and an HTML report that escapes what it shows."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import ibis
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner

from counterflow.cli import main
from counterflow.cli.ingest_cmd import parquet_files
from counterflow.engines import DatasetTables
from counterflow.errors import ConfigError
from counterflow.monitoring import PACK, Param, ParameterError, Scenario, run_scenarios
from counterflow.monitoring.params import load_params
from counterflow.monitoring.scenario import AUTO
from counterflow.monitoring.tune import (
    Outcome,
    Tuning,
    params_toml,
    parse_grid,
    record,
    tune,
)
from counterflow.monitoring.tune_report import report_html
from counterflow.transactions.schema import PARTIES, PARTY_LABELS, TRANSACTIONS
from counterflow.transactions.store import load_parquet
from counterflow.workspace import Workspace

DAY0 = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)
#: hub H<k> is paid 1,000 USD by each of k payers, k = 1 … 6
HUBS = range(1, 7)
SCENARIO_ID = "gathering"


def gathering(t: DatasetTables, p: Mapping[str, Any]) -> ibis.Table:
    """Parties paid by at least ``min_payers`` distinct payers, at least ``min_usd`` in all."""
    tx = t.transactions
    paid = tx.group_by(subject_id=tx.beneficiary_party).aggregate(
        payers=tx.payer_party.nunique(), usd=tx.base_amount.sum(), tx_ids=tx.tx_id.collect()
    )
    paid = paid.filter([paid.payers >= p["min_payers"], paid.usd >= p["min_usd"]])
    return paid.mutate(score=ibis.literal(0.5))


def make_scenario(
    title: str = "Many payers into one party", doc: str = "Least payers."
) -> Scenario:
    return Scenario(
        id=SCENARIO_ID,
        title=title,
        typology="gathering",
        sources=("a test",),
        severity="medium",
        logic=gathering,
        key_roles=("gatherer",),
        params=(
            Param("min_payers", 2, doc, minimum=1),
            Param("min_usd", 0.0, "Least money in (USD).", minimum=0),
            Param("channels", ["wire"], "Channels (not used)."),
            Param("strict", False, "A flag (not used)."),
        ),
    )


SCENARIO = make_scenario()


def _table(rows: list[dict[str, Any]], schema: pa.Schema) -> pa.Table:
    return pa.table({name: [r.get(name) for r in rows] for name in schema.names}, schema=schema)


def load(workspace: Workspace, dataset: str, labels: list[dict[str, Any]]) -> None:
    """The hubs and their payers, over 30 days, as ``dataset``, with these party labels."""
    folder = workspace.home.parent / f"{dataset}-parquet"
    folder.mkdir(parents=True)
    rows: list[dict[str, Any]] = []
    for k in HUBS:
        for j in range(k):
            rows.append(
                {
                    "tx_id": f"T{k}-{j}",
                    "timestamp": DAY0 + timedelta(days=(5 * k + j) % 30),
                    "amount": 1000.0,
                    "currency": "USD",
                    "base_amount": 1000.0,
                    "payer_party": f"S{k}-{j}",
                    "beneficiary_party": f"H{k}",
                    "channel": "wire",
                }
            )
    rows.append({**rows[0], "tx_id": "T-last", "timestamp": DAY0 + timedelta(days=30)})
    pq.write_table(_table(rows, TRANSACTIONS), folder / "transactions.parquet")
    ids = sorted({r[k] for r in rows for k in ("payer_party", "beneficiary_party")})
    pq.write_table(_table([{"party_id": i} for i in ids], PARTIES), folder / "parties.parquet")
    if labels:
        pq.write_table(_table(labels, PARTY_LABELS), folder / "party_labels.parquet")
    load_parquet(workspace, dataset, parquet_files(folder), fmt="test", source="test")


#: H4-H6 gather (H6 in a role the scenario does not mean to name); one payer is suspicious of
#: something else
LABELS: list[dict[str, Any]] = [
    *(
        {"party_id": f"H{k}", "is_suspicious": True, "typology": "gathering", "role": role}
        for k, role in ((4, "gatherer"), (5, "gatherer"), (6, "feeder"))
    ),
    {"party_id": "S6-0", "is_suspicious": True, "typology": "other"},
    {"party_id": "H1", "is_suspicious": False, "typology": None},
]


@pytest.fixture(scope="module")
def workspace(tmp_path_factory: pytest.TempPathFactory) -> Workspace:
    """Dataset 'd' with labels, 'u' without, 'o' labelled but not with the typology."""
    root = tmp_path_factory.mktemp("tune")
    ws = Workspace(root / "home")
    load(ws, "d", LABELS)
    load(ws, "u", [])
    load(ws, "o", [{**label, "typology": "other"} for label in LABELS])
    return ws


def f1_of(o: Outcome) -> float:
    return o.typology_f1 or 0.0


# --------------------------------------------------------------------------- the grid


def test_the_grid_is_typed_and_every_problem_named() -> None:
    grid = parse_grid(
        SCENARIO,
        ["min_payers=1, 2,3", "min_usd=5", "channels=wire+cash,wire", "strict=yes,false"],
    )
    assert grid == {
        "min_payers": [1, 2, 3],
        "min_usd": [5.0],
        "channels": [["wire", "cash"], ["wire"]],
        "strict": [True, False],
    }
    with pytest.raises(ParameterError) as caught:
        parse_grid(
            SCENARIO, ["min_payers=ten,2", "speed=1", "min_usd=", "nonsense", "strict=maybe"]
        )
    message = str(caught.value)
    assert "[gathering] min_payers: 'ten' is not a whole number (like 2)" in message
    assert "[gathering] speed: no such parameter (known: min_payers, min_usd" in message
    assert "[gathering] min_usd: no values" in message
    assert "'nonsense': give NAME=VALUE" in message
    assert "[gathering] strict: 'maybe' is not true or false" in message


def test_values_out_of_range_and_an_empty_grid_are_refused(workspace: Workspace) -> None:
    with pytest.raises(ParameterError, match=r"min_payers: must be at least 1, not 0"):
        tune(workspace, "d", SCENARIO, {"min_payers": [0, 2]})
    with pytest.raises(ParameterError, match="the grid is empty"):
        tune(workspace, "d", SCENARIO, {})
    with pytest.raises(ParameterError, match="min_payers: give a non-empty list"):
        tune(workspace, "d", SCENARIO, {"min_payers": []})


# --------------------------------------------------------------------------- with labels


def test_alerts_fall_as_the_threshold_rises_and_f1_chooses(workspace: Workspace) -> None:
    tuning = tune(workspace, "d", SCENARIO, {"min_payers": [1, 2, 3, 4, 5, 6]})
    sweep = tuning.sweeps["min_payers"]
    assert [o.values["min_payers"] for o in sweep] == [1, 2, 3, 4, 5, 6]
    assert [o.alerts for o in sweep] == [6, 5, 4, 3, 2, 1]
    assert [len(o.parties) for o in sweep] == [6, 5, 4, 3, 2, 1]
    # the typology's labels are H4-H6: min_payers = 4 alerts exactly them
    chosen = tuning.chosen
    assert chosen.values["min_payers"] == 4 and chosen.changes == {"min_payers": 4}
    assert chosen.typology_precision == chosen.typology_recall == chosen.typology_f1 == 1.0
    assert f1_of(chosen) == max(f1_of(o) for o in tuning.outcomes)
    assert "parties labelled gathering" in tuning.rule and "1.000" in tuning.rule
    # over every suspicious party (S6-0 too, never alerted): recall 3/4
    assert chosen.precision == 1.0 and chosen.recall == pytest.approx(0.75)
    # against the current value (2: H2-H6): H2 and H3 leave, nobody enters
    assert chosen.left == ("H2", "H3") and chosen.entered == ()
    assert chosen.left_suspicious == 0
    lower = sweep[0]
    assert lower.entered == ("H1",) and lower.entered_suspicious == 0
    assert tuning.baseline.is_current and tuning.baseline.values["min_payers"] == 2
    # the dataset's figures: 6 hubs and 21 payers, over 30 days
    assert tuning.parties == 27 and tuning.transactions == 22
    assert tuning.months == pytest.approx(30 / (365.25 / 12))
    assert chosen.rate == pytest.approx(3 / 0.027 / tuning.months)
    assert tuning.positives == 4 and tuning.typology_positives == 3 and tuning.key_parties == 2
    # key-party recall: over H4 and H5 alone
    assert chosen.key_recall == 1.0 and sweep[-1].key_recall == 0.0


def test_overall_f1_when_the_labels_do_not_use_the_typology(workspace: Workspace) -> None:
    tuning = tune(workspace, "o", SCENARIO, {"min_payers": [1, 3, 4, 5]})
    assert tuning.typology_positives == 0 and tuning.positives == 4
    assert all(o.typology_f1 is None for o in tuning.outcomes)
    best = max(o.f1 or 0.0 for o in tuning.outcomes)
    assert tuning.chosen.f1 == best and tuning.chosen.values["min_payers"] == 4
    assert "parties labelled suspicious" in tuning.rule


def test_ties_go_to_fewer_alerts_then_to_the_current_values(workspace: Workspace) -> None:
    # min_usd up to 1,000 changes nothing: every setting ties with the current one
    same = tune(workspace, "d", SCENARIO, {"min_usd": [0, 500, 1000]})
    assert {o.alerts for o in same.outcomes} == {5}
    assert same.chosen is same.baseline
    # over every suspicious party (H4-H6 and S6-0), 2 payers (5 alerts: precision 3/5, recall
    # 3/4) and 5 payers (2 alerts: 1 and 1/2) both have F1 2/3: the one with fewer alerts wins
    tie = tune(workspace, "o", SCENARIO, {"min_payers": [5]})
    assert tie.baseline.f1 == pytest.approx(2 / 3) and tie.chosen.f1 == pytest.approx(2 / 3)
    assert tie.chosen.values["min_payers"] == 5 and tie.chosen.alerts == 2


def test_the_budget_caps_the_f1_choice(workspace: Workspace) -> None:
    grid = {"min_payers": [1, 2, 3, 4, 5, 6]}
    free = tune(workspace, "d", SCENARIO, grid)
    two = next(o for o in free.outcomes if o.alerts == 2)
    capped = tune(workspace, "d", SCENARIO, grid, budget=two.rate + 0.01)
    assert capped.chosen.values["min_payers"] == 5 and "within the budget" in capped.rule


def test_the_full_product_when_asked(workspace: Workspace) -> None:
    grid = {"min_payers": [3, 4], "min_usd": [0, 5000]}
    tuning = tune(workspace, "d", SCENARIO, grid, product=True)
    assert len(tuning.product) == 4
    found = {(o.values["min_payers"], o.values["min_usd"]): o.alerts for o in tuning.product}
    assert found == {(3, 0.0): 4, (4, 0.0): 3, (3, 5000.0): 2, (4, 5000.0): 2}
    assert not tune(workspace, "d", SCENARIO, {"min_payers": [3]}, product=True).product
    big: dict[str, list[Any]] = {
        "min_payers": list(range(1, 10)),
        "min_usd": [float(v) for v in range(10)],
    }
    with pytest.raises(ConfigError, match="the full product of the grid has 90 settings"):
        tune(workspace, "d", SCENARIO, big, product=True)


def test_nothing_is_stored(workspace: Workspace) -> None:
    tune(workspace, "d", SCENARIO, {"min_payers": [1, 4]})
    with workspace.connect(read_only=True) as conn:
        assert conn.execute("SELECT count(*) FROM alerts").fetchall()[0][0] == 0
        assert conn.execute("SELECT count(*) FROM monitor_runs").fetchall()[0][0] == 0


def half_the_transactions(profile: Any, values: Mapping[str, Any]) -> tuple[float, str]:
    """A relative value: half the dataset's transactions, as payers (a test's rule)."""
    return profile.transactions / 2 / 1000, "half the transactions, in thousands"


def test_a_parameter_left_at_auto_is_resolved_and_can_be_tuned(workspace: Workspace) -> None:
    relative = Scenario(
        id="relative",
        title="Relative",
        typology="gathering",
        sources=("a test",),
        severity="low",
        logic=lambda t, p: gathering(t, {"min_payers": p["min_payers"] * 1000, "min_usd": 0}),
        params=(Param("min_payers", AUTO, "Least payers.", relative=half_the_transactions),),
    )
    grid = parse_grid(relative, ["min_payers=auto,0.004,5"])
    assert grid == {"min_payers": [AUTO, 0.004, 5.0]}
    tuning = tune(workspace, "d", relative, grid)
    # 22 transactions: auto is 0.011 thousand payers, so 11: nobody; 4 payers: H4-H6
    found = {str(o.values["min_payers"]): o.alerts for o in tuning.outcomes}
    assert found == {"auto": 0, "0.004": 3, "5.0": 0}
    assert tuning.chosen.values["min_payers"] == 0.004
    assert tuning.resolved == {"min_payers": "half the transactions, in thousands"}
    assert "half the transactions, in thousands" in report_html(tuning)


# --------------------------------------------------------------------------- without labels


def test_without_labels_a_budget_is_required(workspace: Workspace) -> None:
    with pytest.raises(ConfigError, match=r"no party labelled suspicious.*--budget"):
        tune(workspace, "u", SCENARIO, {"min_payers": [1, 2, 3]})


def test_the_budget_is_met_from_below(workspace: Workspace) -> None:
    grid = {"min_payers": [1, 2, 3, 4, 5, 6]}
    rate_of_one = tune(workspace, "u", SCENARIO, grid, budget=1e9).sweeps["min_payers"][-1].rate
    # between 3 and 4 alerts' worth: 3 alerts (min_payers = 4) is the closest from below
    tuning = tune(workspace, "u", SCENARIO, grid, budget=rate_of_one * 3.5)
    assert tuning.chosen.alerts == 3 and tuning.chosen.values["min_payers"] == 4
    assert "closest to the budget" in tuning.rule and tuning.chosen.f1 is None
    exact = tune(workspace, "u", SCENARIO, grid, budget=rate_of_one * 5)
    assert exact.chosen.alerts == 5 and exact.chosen.is_current
    below_all = tune(workspace, "u", SCENARIO, grid, budget=rate_of_one / 2)
    assert below_all.chosen.alerts == 1 and "no setting is within the budget" in below_all.rule
    with pytest.raises(ConfigError, match="the budget must be a positive number"):
        tune(workspace, "u", SCENARIO, grid, budget=0)


# --------------------------------------------------------------------------- what is written


def test_the_parameter_file_loads_and_runs(workspace: Workspace, tmp_path: Path) -> None:
    base = {SCENARIO_ID: {"min_usd": 500}}
    tuning = tune(workspace, "d", SCENARIO, {"min_payers": [1, 4, 6]}, base, source="base.toml")
    text = params_toml(tuning)
    assert "# tuned: changed from 2; tried 1, 4, 6\nmin_payers = 4" in text
    assert "# not tuned: as given in base.toml\nmin_usd = 500.0" in text
    assert "# not tuned: the default\nstrict = false" in text
    path = tmp_path / "tuned.toml"
    path.write_text(text, encoding="utf-8")
    loaded = load_params(path, {SCENARIO_ID: SCENARIO})
    assert loaded[SCENARIO_ID]["min_payers"] == 4 and loaded[SCENARIO_ID]["min_usd"] == 500.0
    ran = run_scenarios(workspace, "d", [SCENARIO], loaded)
    assert ran.alerts == tuning.chosen.alerts == 3
    with workspace.connect() as conn:  # leave the shared workspace without alerts
        conn.execute("DELETE FROM alerts")
        conn.execute("DELETE FROM monitor_runs")


def test_the_report_charts_every_parameter_and_escapes_text(workspace: Workspace) -> None:
    hostile = make_scenario(
        title="<script>alert('title')</script>", doc='<img src=x onerror="alert(1)">'
    )
    grid = {"min_payers": [1, 4], "min_usd": [0, 5000]}
    tuning = tune(workspace, "d", hostile, grid, product=True)
    tuning.dataset = "<b onmouseover=alert(2)>d</b>"
    page = report_html(tuning)
    assert page.count("<svg") == 2 and page.count("</svg>") == 2
    assert "<script" not in page and "<img" not in page and "<b " not in page
    assert "&lt;script&gt;alert(&#x27;title&#x27;)&lt;/script&gt;" in page
    assert "&lt;b onmouseover=alert(2)&gt;d&lt;/b&gt;" in page
    assert "&lt;img src=x onerror=&quot;alert(1)&quot;&gt;" in page
    urls = set(re.findall(r"https?://[^\"' )]+", page))
    assert urls <= {"http://www.w3.org/2000/svg"}
    # the choice and its reason, the documented parameters, the line counts
    assert "min_payers = 4 (was 2)" in page and html_text(tuning.rule) in page
    assert "Least money in (USD)." in page and "Above and below the line" in page
    assert "Every combination" in page and "min_payers = 4; min_usd = 5000" in page


def html_text(text: str) -> str:
    import html

    return html.escape(text, quote=True)


def test_the_record_is_json(workspace: Workspace) -> None:
    data = record(tune(workspace, "d", SCENARIO, {"min_payers": [3, 4]}))
    back = json.loads(json.dumps(data))
    assert back["chosen"]["min_payers"] == 4 and back["changes"] == {"min_payers": 4}
    assert len(back["settings"]) == 3 and back["settings"][0]["changes"] == {}
    assert back["settings"][0]["left_sample"] == []


# --------------------------------------------------------------------------- the command


def cli(workspace: Workspace, *args: str) -> Any:
    return CliRunner().invoke(main, ["--home", str(workspace.home), "--wide", "tune", *args])


def test_the_command_writes_the_parameters_and_the_report(
    workspace: Workspace, tmp_path: Path
) -> None:
    out, report = tmp_path / "tuned.toml", tmp_path / "tune.html"
    ran = cli(
        workspace,
        "--dataset",
        "d",
        "--scenario",
        "donations-forwarded",
        "--grid",
        "min_donors=2,5",
        "--budget",
        "5",
        "-o",
        str(out),
        "--report",
        str(report),
    )
    assert ran.exit_code == 0, ran.output
    assert "min_donors" in ran.output and "nothing stored" in ran.output
    assert "Chosen: the current values kept" in ran.output
    assert load_params(out, PACK)["donations-forwarded"]["min_donors"] == 10
    assert report.read_text(encoding="utf-8").count("<svg") == 1
    as_json = CliRunner().invoke(
        main,
        ["--home", str(workspace.home), "--json", "tune", "--dataset", "u", "--scenario",
         "donations-forwarded", "--grid", "min_donors=2,5", "--budget", "5"],
    )  # fmt: skip
    assert as_json.exit_code == 0, as_json.output
    data = json.loads(as_json.output)
    assert data["scenario"] == "donations-forwarded" and data["labelled_suspicious"] == 0
    assert len(data["settings"]) == 3


def test_the_parameters_to_standard_output(workspace: Workspace) -> None:
    grid = ["--grid", "min_donors=2,5", "--budget", "5"]
    ran = cli(workspace, "--dataset", "u", "--scenario", "donations-forwarded", *grid, "-o", "-")
    assert ran.exit_code == 0, ran.output
    assert ran.stdout.startswith("# counterflow monitoring parameters")
    assert "[donations-forwarded]" in ran.stdout and "┃" not in ran.stdout
    args = ["--dataset", "u", "--json", "--scenario", "donations-forwarded", *grid, "-o", "-"]
    both = cli(workspace, *args)
    assert both.exit_code == 2 and "choose one" in both.output


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--scenario", "nope", "--grid", "x=1"], "no scenario 'nope'"),
        (["--scenario", "ransom-payment", "--grid", "speed=1"], "speed: no such parameter"),
        (["--scenario", "ransom-payment", "--grid", "min_multiple=lots"], "'lots' is not a"),
        (["--scenario", "ransom-payment", "--grid", "min_multiple="], "min_multiple: no values"),
        (["--scenario", "ransom-payment"], "give at least one --grid"),
        (["--scenario", "ransom-payment", "--grid", "min_multiple=5"], "give a budget"),
    ],
)
def test_bad_input_is_a_message(workspace: Workspace, args: list[str], message: str) -> None:
    ran = cli(workspace, "--dataset", "u", *args)
    assert ran.exit_code in (1, 2) and message in ran.output, ran.output
    assert "Traceback" not in ran.output


# --------------------------------------------------------------------------- real data


@pytest.mark.shared_data
def test_amlsim_fan_in_accounts(shared_data: Path, tmp_path: Path) -> None:
    """On AMLSim's 20K fan-in set (954 fraud accounts): more payers required, fewer alerts;
    the choice has the best F1 of the grid."""
    from counterflow.transactions.formats.amlsim import AmlsimReader
    from counterflow.transactions.store import ingest

    ws = Workspace(tmp_path / "home")
    ingest(
        ws, shared_data / "transactions" / "amlsim" / "20K_fanin200", AmlsimReader(), dataset="a"
    )
    grid = {"min_payers": [4, 6, 8, 10, 15, 20]}
    tuning = tune(ws, "a", SCENARIO, grid, {SCENARIO_ID: {"min_usd": 0}})
    alerts = [o.alerts for o in tuning.sweeps["min_payers"]]
    assert alerts == sorted(alerts, reverse=True) and alerts[0] > alerts[-1]
    assert tuning.parties == 20_000 and tuning.positives == 954
    assert 4.5 < tuning.months < 5.5  # 149 daily steps
    best = max(o.f1 or 0.0 for o in tuning.outcomes)
    assert tuning.chosen.f1 == best and best > 0
    assert "parties labelled suspicious" in tuning.rule
    assert params_toml(tuning).count("[gathering]") == 1


def test_a_simulated_world(tmp_path: Path) -> None:
    """A small simulated world: the ransom scenario's multiple, tuned against the planted
    ransom channel's parties."""
    from counterflow.simulate import TypologyConfig, simulate

    out = tmp_path / "world"
    simulate(out, parties=1500, days=90, seed=5, typology_params=TypologyConfig().scaled(10))
    ws = Workspace(tmp_path / "home")
    load_parquet(ws, "w", parquet_files(out), fmt="simulated", source="t")
    scenario = PACK["ransom-payment"]
    tuning: Tuning = tune(ws, "w", scenario, {"min_multiple": [2, 5, 20, 100, 1000]})
    alerts = [o.alerts for o in tuning.sweeps["min_multiple"]]
    assert alerts == sorted(alerts, reverse=True)
    assert tuning.typology_positives > 0 and "parties labelled ransom" in tuning.rule
    assert f1_of(tuning.chosen) == max(f1_of(o) for o in tuning.outcomes) > 0
    assert tuning.parties == 1500 and tuning.key_parties > 0
    assert tuning.chosen.key_recall is not None
