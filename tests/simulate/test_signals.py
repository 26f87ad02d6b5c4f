"""Each planted channel carries the signals that monitoring scenarios look for, and normal
life holds benign look-alikes of them."""

from __future__ import annotations

import json
import re
import statistics
from datetime import date, timedelta
from pathlib import Path

import duckdb
import pytest

from counterflow.simulate import WorldSummary, simulate
from counterflow.simulate.geo import ANTIQUITIES_HUBS, CONFLICT_BORDER_CITIES

from .conftest import WATCHLIST, one, rows

MARKET = {"Crude oil": 72.0, "Diesel fuel": 690.0, "Gasoline": 760.0, "Fuel oil": 430.0}
_PRICE = re.compile(r"^(.*?), ([\d,]+) (bbl|t) @ USD ([\d,.]+)/")
BORDER = tuple(sorted(CONFLICT_BORDER_CITIES))


def _parties(con: duckdb.DuckDBPyConnection, typology: str, role: str) -> list[str]:
    return [
        str(r[0])
        for r in rows(
            con, "SELECT party_id FROM labels WHERE typology = ? AND role = ?", typology, role
        )
    ]


def _unit_prices(con: duckdb.DuckDBPyConnection, where: str) -> list[tuple[str, float]]:
    found = []
    for (goods,) in rows(con, f"SELECT goods_description FROM t WHERE {where}"):
        match = _PRICE.match(str(goods))
        assert match, goods
        product = next(k for k in MARKET if str(match.group(1)).startswith(k))
        found.append((product, float(match.group(4).replace(",", "")) / MARKET[product]))
    return found


def test_oil_is_underpriced_border_trade_through_new_front_companies(
    con: duckdb.DuckDBPyConnection,
) -> None:
    sales = "typology = 'oil' AND hs_code IS NOT NULL"
    assert {r[0] for r in rows(con, f"SELECT DISTINCT hs_code FROM t WHERE {sales}")} <= {
        "2709",
        "2710",
    }
    assert (
        one(
            con, f"SELECT count(*) FROM t WHERE {sales} AND beneficiary_country NOT IN ('TR', 'IQ')"
        )
        == 0
    )
    cities = {r[0] for r in rows(con, f"SELECT DISTINCT location FROM t WHERE {sales}")}
    assert cities <= CONFLICT_BORDER_CITIES
    prices = _unit_prices(con, sales)
    assert prices and all(ratio <= 0.56 for _, ratio in prices)
    for front in _parties(con, "oil", "front company"):
        opened, first = rows(
            con,
            """
            SELECT (SELECT min(opened) FROM accounts WHERE party_id = $1),
                   (SELECT min(timestamp) FROM t WHERE typology = 'oil'
                      AND beneficiary_party = $1)""",
            front,
        )[0]
        age = (first.date() - opened).days  # type: ignore[attr-defined]
        assert 0 <= age <= 45 + 2  # the parameter's range, plus a weekend
    # the money moves on: to a middleman at the border, who takes cash out
    middlemen = _parties(con, "oil", "middleman")
    assert (
        one(
            con,
            "SELECT count(*) FROM t WHERE typology = 'oil' AND channel = 'cash' "
            "AND payer_party = ?",
            middlemen[0],
        )
        >= 1
    )


def test_oil_lookalikes_trade_at_market_prices(con: duckdb.DuckDBPyConnection) -> None:
    traders = [
        r[0]
        for r in rows(
            con, "SELECT party_id FROM labels WHERE role = 'look-alike of oil: new fuel trader'"
        )
    ]
    assert traders
    where = (
        f"NOT is_suspicious AND hs_code IN ('2709', '2710') AND beneficiary_party IN "
        f"({', '.join(repr(p) for p in traders)}) AND goods_description LIKE '%@ USD%'"
    )
    prices = _unit_prices(con, where)
    assert prices and all(0.8 <= ratio <= 1.25 for _, ratio in prices)
    assert one(
        con, f"SELECT count(*) FROM t WHERE {where} AND list_contains(?, location)", list(BORDER)
    ) == len(prices)


@pytest.mark.parametrize(
    ("typology", "codes"),
    [
        ("crops", {"1001", "1002", "5201", "2523"}),
        ("phosphates", {"2510", "2807", "2809"}),
        ("antiquities", {"9705", "9706"}),
    ],
)
def test_goods_channels_carry_their_hs_codes(
    con: duckdb.DuckDBPyConnection, typology: str, codes: set[str]
) -> None:
    found = {
        r[0]
        for r in rows(
            con,
            "SELECT DISTINCT hs_code FROM t WHERE typology = ? AND hs_code IS NOT NULL",
            typology,
        )
    }
    assert found and found <= codes
    # benign trade in the same goods exists too
    assert (
        one(
            con,
            f"SELECT count(*) FROM t WHERE NOT is_suspicious AND hs_code IN "
            f"({', '.join(repr(c) for c in sorted(codes))})",
        )
        > 0
    )


def test_antiquities_pass_through_transit_hubs(con: duckdb.DuckDBPyConnection) -> None:
    hubs = {city for _, city in ANTIQUITIES_HUBS}
    dealers = _parties(con, "antiquities", "dealer")
    for dealer in dealers:
        city = one(con, "SELECT city FROM parties WHERE party_id = ?", dealer)
        assert city in hubs
    smuggler = _parties(con, "antiquities", "smuggler")[0]
    towns = (*BORDER, "Tripoli")
    assert one(con, "SELECT city FROM parties WHERE party_id = ?", smuggler) in towns


def test_donations_many_small_donors_abroad_then_a_border_corridor(
    con: duckdb.DuckDBPyConnection,
) -> None:
    for collector in _parties(con, "donations", "collector"):
        donors, countries, collected, largest = rows(
            con,
            """
            SELECT count(DISTINCT payer_party), count(DISTINCT payer_country),
                   sum(base_amount), max(base_amount)
            FROM t WHERE typology = 'donations' AND beneficiary_party = ?""",
            collector,
        )[0]
        assert int(str(donors)) >= 15 and int(str(countries)) >= 3
        assert float(str(largest)) <= 350  # small gifts
        forwarded = rows(
            con,
            """
            SELECT sum(base_amount), list(DISTINCT location) FROM t
            WHERE typology = 'donations' AND payer_party = ?""",
            collector,
        )[0]
        assert 0.7 * float(str(collected)) <= float(str(forwarded[0])) <= float(str(collected))
        assert set(forwarded[1]) <= CONFLICT_BORDER_CITIES  # type: ignore[arg-type]


def test_ransom_dwarfs_the_payers_history_and_goes_abroad_to_a_new_account(
    con: duckdb.DuckDBPyConnection,
) -> None:
    for payer in _parties(con, "ransom", "ransom payer"):
        amount, recipient, payer_country, bene_country, day = rows(
            con,
            """
            SELECT base_amount, beneficiary_party, payer_country, beneficiary_country,
                   CAST(timestamp AS DATE)
            FROM t WHERE typology = 'ransom' AND payer_party = ?""",
            payer,
        )[0]
        history = [
            float(str(r[0]))
            for r in rows(
                con, "SELECT base_amount FROM t WHERE payer_party = ? AND NOT is_suspicious", payer
            )
        ]
        assert history, "the payer has a normal history to compare with"
        assert float(str(amount)) >= 10 * statistics.median(history)
        assert payer_country != bene_country
        opened = one(con, "SELECT min(opened) FROM accounts WHERE party_id = ?", recipient)
        assert 0 <= (day - opened).days <= 20  # type: ignore[operator]


def test_hubs_pass_money_through_and_keep_little(con: duckdb.DuckDBPyConnection) -> None:
    for hub in _parties(con, "laundering-hub", "hub"):
        inflow, outflow, payees = rows(
            con,
            """
            SELECT sum(base_amount) FILTER (WHERE beneficiary_party = $1),
                   sum(base_amount) FILTER (WHERE payer_party = $1),
                   count(DISTINCT beneficiary_party) FILTER (WHERE payer_party = $1)
            FROM t WHERE typology = 'laundering-hub'""",
            hub,
        )[0]
        retention = 1 - float(str(outflow)) / float(str(inflow))
        assert 0 <= retention <= 0.03
        assert int(str(payees)) >= 2


def test_travel_loans_then_cash_then_cards_at_the_border_then_silence(
    con: duckdb.DuckDBPyConnection,
) -> None:
    for traveller in _parties(con, "travel-funding", "traveller"):
        events = rows(
            con,
            """
            SELECT timestamp, purpose_code, channel, location, is_suspicious FROM t
            WHERE payer_party = $1 OR beneficiary_party = $1 ORDER BY timestamp""",
            traveller,
        )
        planted = [e for e in events if e[4]]
        loans = [e[0] for e in planted if e[1] == "LOAN"]
        cash = [e[0] for e in planted if e[2] == "cash"]
        border = [e[0] for e in planted if e[2] == "card" and e[3] in CONFLICT_BORDER_CITIES]
        assert loans and cash and border
        assert max(loans) < min(cash) < min(border)  # type: ignore[operator]
        assert events[-1][4], "nothing normal happens after the last border payment"


def test_listed_counterparties_are_variants_of_the_given_watchlist(
    world: tuple[Path, WorldSummary], con: duckdb.DuckDBPyConnection
) -> None:
    out, summary = world
    assert summary.watchlist == "given"
    meta = json.loads((out / "world.json").read_text(encoding="utf-8"))
    listed = dict(WATCHLIST)
    entries = meta["listed_counterparties"]
    assert entries
    for entry in entries:
        assert listed[entry["entity_id"]] == entry["listed_name"]
        assert entry["variant"].casefold() != entry["listed_name"].casefold()
        assert entry["changes"]
        name, typology, role = rows(
            con,
            """
            SELECT p.name, l.typology, l.role FROM parties p JOIN labels l USING (party_id)
            WHERE party_id = ?""",
            entry["party_id"],
        )[0]
        assert (name, typology, role) == (
            entry["variant"],
            "listed-counterparty",
            "listed-name counterparty",
        )
        shown = {
            r[0]
            for r in rows(
                con,
                """
            SELECT CASE WHEN payer_party = $1 THEN payer_name ELSE beneficiary_name END FROM t
            WHERE typology = 'listed-counterparty'
              AND (payer_party = $1 OR beneficiary_party = $1)""",
                entry["party_id"],
            )
        }
        assert shown and shown <= set(entry["message_names"])
    for entry in meta["listed_lookalikes"]:
        assert listed[entry["entity_id"]] == entry["listed_name"]
        assert (
            one(con, "SELECT is_suspicious FROM labels WHERE party_id = ?", entry["party_id"])
            is False
        )


def _edges(con: duckdb.DuckDBPyConnection, typology: str) -> list[tuple[str, str]]:
    return [
        (str(a), str(b))
        for a, b in rows(
            con, "SELECT payer_party, beneficiary_party FROM t WHERE typology = ?", typology
        )
    ]


def test_layering_shapes_have_their_shapes(con: duckdb.DuckDBPyConnection) -> None:
    out_ = _edges(con, "layering-fan-out")
    assert len({a for a, _ in out_}) == 1 and len({b for _, b in out_}) >= 3
    in_ = _edges(con, "layering-fan-in")
    assert len({b for _, b in in_}) == 1 and len({a for a, _ in in_}) >= 3
    cycle = _edges(con, "layering-cycle")
    payers, payees = [a for a, _ in cycle], [b for _, b in cycle]
    assert sorted(payers) == sorted(payees) and len(set(payers)) == len(cycle) >= 3
    sg = _edges(con, "layering-scatter-gather")
    middles = {b for _, b in sg} & {a for a, _ in sg}
    assert len(middles) >= 3 and len(sg) == 2 * len(middles)
    gs = _edges(con, "layering-gather-scatter")
    hubs = {b for _, b in gs} & {a for a, _ in gs}
    assert len(hubs) == 1
    bip = _edges(con, "layering-bipartite")
    assert not {a for a, _ in bip} & {b for _, b in bip}
    stack = _edges(con, "layering-stack")
    middle = {a for a, _ in stack} & {b for _, b in stack}
    assert middle and {a for a, _ in stack} - middle and {b for _, b in stack} - middle


def test_normal_life_has_seasons_and_benign_lookalikes(con: duckdb.DuckDBPyConnection) -> None:
    # salaries at month end only
    assert one(con, "SELECT min(day(timestamp)) FROM t WHERE purpose_code = 'SALA'") >= 26
    # benign money to the conflict border: charities' partners and family remittances
    assert (
        one(
            con,
            "SELECT count(*) FROM t WHERE NOT is_suspicious AND purpose_code = 'CHAR' "
            "AND list_contains(?, location)",
            list(BORDER),
        )
        > 0
    )
    assert (
        one(
            con,
            "SELECT count(*) FROM t WHERE NOT is_suspicious AND channel = 'remittance' "
            "AND beneficiary_country IN ('TR', 'IQ', 'LB', 'SY')",
        )
        > 0
    )
    # new accounts are not only planted ones
    assert (
        one(
            con,
            """
        SELECT count(*) FROM accounts a JOIN labels l USING (party_id)
        WHERE a.opened >= DATE '2025-01-01' AND NOT l.is_suspicious""",
        )
        > 0
    )
    # shops are busier on Saturdays than on Tuesdays
    per_day = dict(
        rows(
            con,
            "SELECT dayofweek(timestamp), count(*) / count(DISTINCT "
            "CAST(timestamp AS DATE)) FROM t WHERE channel = 'card' GROUP BY 1",
        )
    )
    assert float(str(per_day[6])) > 1.2 * float(str(per_day[2]))


def test_ramadan_raises_giving(tmp_path: Path) -> None:
    start = date(2025, 2, 1)  # Ramadan 2025: 1-30 March
    simulate(tmp_path / "w", parties=3_000, days=60, seed=5, start=start)
    conn = duckdb.connect()
    conn.execute(f"CREATE VIEW t AS SELECT * FROM read_parquet('{tmp_path}/w/transactions/*')")
    ramadan = (date(2025, 3, 1), date(2025, 3, 30))
    inside = one(
        conn,
        "SELECT count(*) / 30 FROM t WHERE purpose_code = 'CHAR' AND NOT "
        "is_suspicious AND CAST(timestamp AS DATE) BETWEEN ? AND ?",
        *ramadan,
    )
    outside = one(
        conn,
        "SELECT count(*) / 30 FROM t WHERE purpose_code = 'CHAR' AND NOT "
        "is_suspicious AND CAST(timestamp AS DATE) < ?",
        ramadan[0],
    )
    assert float(str(inside)) > 1.5 * float(str(outside))
    assert start + timedelta(days=59) == date(2025, 4, 1)
