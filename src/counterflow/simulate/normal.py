"""Normal life, one window of days at a time: the benign transactions of the world.

Salaries at month end, rent and bills by direct debit, card purchases in the evening and at
weekends, cash machines, cash takings of shops, supplier payments (fuel, grain, cement and
chemicals among them, at market prices), diaspora remittances to Turkey, Iraq, Syria,
Lebanon and Jordan, gifts to charities with Ramadan peaks, charities paying field partners at
the Syrian border, consumer loans, trips abroad and payment-services companies relaying money.
Several of these are deliberate look-alikes of the planted channels (see docs/simulate.md).

Each window draws from its own random stream (seed, window number), so the result does not
depend on how many windows came before or on anything but the seed and the parameters.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

import numpy as np

from counterflow.simulate import business, geo, households, seasons
from counterflow.simulate.config import NormalConfig
from counterflow.simulate.population import Accounts, Population
from counterflow.simulate.relations import Relations
from counterflow.simulate.rows import CHANNEL, PURPOSE, Rows, empty_rows

Flow = Callable[["NormalLife", np.random.Generator, int, int], Rows]
#: every flow of normal life, in the order a window draws them
FLOWS: tuple[Flow, ...] = (
    households.salaries,
    households.bills,
    households.cards,
    households.cash_machines,
    business.cash_deposits,
    business.trade,
    households.remittances,
    households.donations,
    business.field_payments,
    households.loans,
    households.trips,
    business.relays,
    business.contractors,
    business.branch_cash,
)

STREAM_NORMAL = 1
_OPTIONAL_PURPOSES = np.array([PURPOSE[p] for p in ("SUPP", "GDDS", "TRAD", "CHAR")])
_TRANSFERS = np.array([CHANNEL["wire"], CHANNEL["cheque"]])


class NormalLife:
    """Generates the benign transactions of any window of days."""

    def __init__(
        self,
        pop: Population,
        accounts: Accounts,
        relations: Relations,
        config: NormalConfig,
        seed: int,
    ) -> None:
        self.pop, self.acc, self.rel, self.cfg, self.seed = pop, accounts, relations, config, seed
        self.span_us = seasons.epoch_us(pop.start)
        self.open_day = (accounts.opened.astype(np.int64) - pop.epoch_day).astype(np.int32)
        self.acct_currency = accounts.currency.astype(np.int64)
        self.primary = accounts.primary.astype(np.int64)
        weekday = seasons.weekdays(pop.start, pop.days)
        self.weekend = np.stack(
            [seasons.weekend(weekday, np.array(False)), seasons.weekend(weekday, np.array(True))]
        )
        self.card_weight = np.array([0.9, 0.9, 0.95, 1.0, 1.15, 1.4, 0.7])[weekday]
        self.ramadan = seasons.ramadan_weight(pop.start, pop.days, config.ramadan_peak)
        self.december = seasons.month_weight(pop.start, pop.days, {12: 2.5, 11: 1.3})
        self.paydays = [
            np.array(seasons.month_ends(pop.start, pop.days, weekday, fri), dtype=np.int64)
            for fri in (False, True)
        ]
        self.month_starts = _month_starts(pop.start, pop.days)
        self.offset = geo.COUNTRY_OFFSET[pop.country].astype(np.int64)

    # ------------------------------------------------------------------ plumbing

    def window(self, index: int, first: int, stop: int) -> Rows:
        """Every benign transaction on days ``first`` ≤ day < ``stop``."""
        rng = np.random.Generator(
            np.random.PCG64(np.random.SeedSequence([self.seed, STREAM_NORMAL, index]))
        )
        parts = [flow(self, rng, first, stop) for flow in FLOWS]
        found = [p for p in parts if len(p)]
        rows = Rows.concat(found) if found else empty_rows()
        rows = rows.take(self._active(rows))
        # many banks' customers leave the purpose empty on ordinary transfers
        optional = np.isin(rows.purpose, _OPTIONAL_PURPOSES) & np.isin(rows.channel, _TRANSFERS)
        rows.purpose[optional & (rng.random(len(rows)) < self.cfg.no_purpose_share)] = -1
        return rows

    def _active(self, rows: Rows) -> np.ndarray:
        """Drop rows on an account before it opened or of a party gone silent."""
        keep = np.ones(len(rows), dtype=bool)
        for side in (rows.payer, rows.bene):
            has = side >= 0
            acct = np.where(has, side, 0)
            party = self.acc.party[acct]
            ok = (self.open_day[acct] <= rows.day) & (rows.day <= self.pop.active_until[party])
            keep &= ~has | ok
        return keep

    def ts(
        self, rng: np.random.Generator, day: np.ndarray, profile: str, party: np.ndarray
    ) -> np.ndarray:
        seconds = seasons.seconds_of_day(rng, profile, self.offset[party])
        micro = rng.integers(0, seasons.SECOND_US, len(day))
        return seasons.timestamps(self.span_us, day, seconds) + micro

    def workday(self, day: np.ndarray, party: np.ndarray, stop: int) -> np.ndarray:
        """Move business payments off the payer country's weekend (not past the window)."""
        friday = geo.COUNTRY_FRIDAY_WEEKEND[self.pop.country[party]].astype(np.int64)
        for _ in range(2):
            off = self.weekend[friday, day] & (day + 1 < stop)
            day = day + off
        return day

    def pick_days(
        self,
        rng: np.random.Generator,
        n: int,
        first: int,
        stop: int,
        weight: np.ndarray | None = None,
    ) -> np.ndarray:
        if weight is None:
            return rng.integers(first, stop, n)
        w = weight[first:stop]
        cdf = np.cumsum(w / w.sum())
        return first + np.minimum(
            np.searchsorted(cdf, rng.random(n), side="right"), stop - first - 1
        )

    def count(self, rng: np.random.Generator, members: int, per_day: float, days: float) -> int:
        return int(rng.poisson(max(members * per_day * days, 0.0)))

    def city_of(self, account: np.ndarray) -> np.ndarray:
        return np.asarray(self.pop.city[self.acc.party[account]], dtype=np.int64)

    def money(self, usd: np.ndarray, account: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        currency = self.acct_currency[account]
        return geo.to_currency(usd, currency), currency

    # ------------------------------------------------------------------ flows


def _month_starts(start: date, days: int) -> np.ndarray:
    """Day numbers of the first of each month touching the span (the first may be < 0)."""
    first = date(start.year, start.month, 1)
    out = []
    when = first
    while (when - start).days < days:
        out.append((when - start).days)
        when = date(when.year + (when.month == 12), when.month % 12 + 1, 1)
    return np.array(out, dtype=np.int64)


def expected_per_party_day(config: NormalConfig) -> float:
    """Rough transactions per party per day, for window sizing and progress totals."""
    per_person_month = (
        config.employed_share * 0.8
        + 1.35
        + config.card_per_month * 1.0
        + config.atm_per_month * 1.1
        + 0.08 * config.remittance_per_month
        + config.donor_share * config.donations_per_month * 1.3
        + config.loan_share * 0.9
        + config.trips_per_year / 12 * 6.5
    )
    per_company_month = (
        config.trade_per_month
        + 0.35 * config.cash_deposits_per_month
        + config.contractor_payments_per_month
        + config.branch_cash_per_month * 1.8
    )
    agents = 0.0011 * 2 * config.agent_relays_per_month
    return (0.87 * per_person_month + 0.11 * per_company_month + agents) / 30
