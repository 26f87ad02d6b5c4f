"""A dataset's profile: what its amounts, rhythm and counterparty degrees look like, so that a
scenario's defaults can be said relative to them.

A bank's book is not the simulator's: amounts, rhythms and the number of counterparties differ
by institution, and a threshold written for one (USD 10,000 within 7 days) sees nothing in
another (AMLSim pays USD 100-600 over 149 steps). Supervisors expect thresholds tuned to the
institution's own data; the profile is the measured base every relative default resolves
against ("amount above the 99.5th percentile of wires in this dataset: USD 9,800"), and it is
stored with the run, so an alert's explanation can always be traced back to the figures it
was judged against.

Everything is computed with Ibis expressions over :class:`~counterflow.engines.DatasetTables`
(a handful of aggregates; the largest is one group-by over the transactions), so it runs on
every engine the scenarios run on.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime

import duckdb
import ibis

from counterflow.engines import DatasetTables
from counterflow.io import transaction

#: the percentiles kept of every amount distribution
PERCENTILES = (0.01, 0.05, 0.25, 0.5, 0.75, 0.95, 0.99, 0.995)
#: channels money is layered through: payments from account to account
TRANSFER_CHANNELS = ("wire", "cheque", "remittance", "crypto")
DAY = 86_400


@dataclass(frozen=True)
class DatasetProfile:
    """What one dataset looks like. Amounts are in the base currency."""

    dataset: str
    transactions: int
    #: parties that paid or were paid at least once
    active_parties: int
    first_ts: str | None
    last_ts: str | None
    #: days from the first transaction to the last (at least one step)
    span_days: float
    #: the data's time step in seconds: 86,400 when every timestamp is a midnight (a daily
    #: export, AMLSim's steps), 3,600 when every one is on the hour, else 60 or 1
    step_seconds: int
    #: amount percentiles ("0.5" → USD) per channel, and per channel and beneficiary kind
    amounts: dict[str, dict[str, float]] = field(default_factory=dict)
    amounts_by_kind: dict[str, dict[str, float]] = field(default_factory=dict)
    #: transactions per day: mean and percentiles over the active days
    per_day: dict[str, float] = field(default_factory=dict)
    #: distinct counterparties per party over account-to-account transfers, by side
    #: ("in"/"out" → {"0.5": …, "0.9": …, "0.99": …})
    degrees: dict[str, dict[str, float]] = field(default_factory=dict)
    #: of the (payer, beneficiary, step) cells with a transfer, the share holding at least
    #: 2, 3, 5 and 10 transfers: how often a pair pays more than once in one step
    repeat_shares: dict[str, float] = field(default_factory=dict)
    #: transfers per party per day, by side: the median over the parties with any on that
    #: side (their own first to last transfer, at least one step)
    transfer_rates: dict[str, float] = field(default_factory=dict)

    @property
    def step_days(self) -> float:
        return self.step_seconds / DAY

    def amount(self, channels: tuple[str, ...] | list[str], q: float) -> float | None:
        """The ``q`` percentile of amounts over ``channels``: measured over the transfer
        channels together (``transfers``) and over each channel alone; for another mix of
        channels, the channels' own percentiles weighted by their numbers of payments."""
        if set(channels) == set(TRANSFER_CHANNELS) and "transfers" in self.amounts:
            return self.amounts["transfers"][_q(q)]
        found = [self.amounts[c] for c in channels if _q(q) in self.amounts.get(c, {})]
        weight = sum(a["n"] for a in found)
        if not found or weight <= 0:
            return None
        return round(sum(a[_q(q)] * a["n"] for a in found) / weight, 2)

    def to_json(self) -> str:
        return json.dumps(asdict(self), sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> DatasetProfile:
        return cls(**json.loads(text))


def dataset_profile(t: DatasetTables) -> DatasetProfile:
    """``t``'s profile, measured once per run (the runner measures it first and stores it)."""
    found: DatasetProfile = t.memo("profile", lambda: profile_dataset(t))
    return found


def _q(q: float) -> str:
    return f"{q:g}"


def profile_dataset(t: DatasetTables) -> DatasetProfile:
    """Measure ``t``'s dataset (a few aggregate queries)."""
    tx = t.transactions
    head = t.execute(
        tx.aggregate(
            n=tx.count(),
            first=tx.timestamp.min(),
            last=tx.timestamp.max(),
            off_day=(tx.timestamp.epoch_seconds() % DAY != 0).sum(),
            off_hour=(tx.timestamp.epoch_seconds() % 3600 != 0).sum(),
            off_minute=(tx.timestamp.epoch_seconds() % 60 != 0).sum(),
        )
    ).to_pylist()[0]
    n = int(head["n"] or 0)
    if not head["off_day"]:
        step = DAY
    elif not head["off_hour"]:
        step = 3600
    elif not head["off_minute"]:
        step = 60
    else:
        step = 1
    first, last = head["first"], head["last"]
    span = max((last - first).total_seconds() / DAY, step / DAY) if n else 0.0
    sides = tx.select(party=tx.payer_party).union(tx.select(party=tx.beneficiary_party))
    active = t.execute(sides.filter(sides.party.notnull()).aggregate(n=sides.party.nunique()))
    return DatasetProfile(
        dataset=t.dataset,
        transactions=n,
        active_parties=int(active.to_pylist()[0]["n"] or 0),
        first_ts=first.isoformat() if first else None,
        last_ts=last.isoformat() if last else None,
        span_days=round(span, 4),
        step_seconds=step,
        amounts=_amounts(t, ["channel"]),
        amounts_by_kind=_amounts(t, ["channel", "kind"]),
        per_day=_per_day(t),
        degrees=_degrees(t),
        repeat_shares=_repeat_shares(t, step),
        transfer_rates=_transfer_rates(t, step),
    )


def _amounts(t: DatasetTables, keys: list[str]) -> dict[str, dict[str, float]]:
    """Percentiles by ``keys`` (channel, or channel and beneficiary kind); by channel, also
    over the transfer channels together (``transfers``)."""
    tx = t.transactions
    kinds = t.parties.select(beneficiary_party=t.parties.party_id, kind=t.parties.kind)
    rows = tx.filter(tx.base_amount > 0).left_join(kinds, "beneficiary_party")
    rows = rows.mutate(kind=rows.kind.fill_null("unknown"))
    if keys == ["channel"]:
        moved = rows.filter(rows.channel.isin(list(TRANSFER_CHANNELS)))
        moved = moved.mutate(channel=ibis.literal("transfers"))
        rows = rows.union(moved, distinct=False)
    quantiles = {_q(q): rows.base_amount.quantile(q) for q in PERCENTILES}
    table = t.execute(rows.group_by(keys).aggregate(n=rows.count(), **quantiles)).to_pylist()
    out: dict[str, dict[str, float]] = {}
    for row in table:
        name = "/".join(str(row[k]) for k in keys)
        out[name] = {q: round(float(row[q]), 2) for q in quantiles} | {"n": float(row["n"])}
    return out


def _per_day(t: DatasetTables) -> dict[str, float]:
    tx = t.transactions
    days = tx.group_by(day=tx.timestamp.date()).aggregate(n=tx.count())
    row = t.execute(
        days.aggregate(
            days=days.count(),
            mean=days.n.mean(),
            p50=days.n.quantile(0.5),
            p95=days.n.quantile(0.95),
        )
    ).to_pylist()[0]
    return {k: round(float(v or 0), 2) for k, v in row.items()}


def _transfers(t: DatasetTables) -> ibis.Table:
    tx = t.transactions
    return tx.filter(
        [
            tx.payer_party.notnull(),
            tx.beneficiary_party.notnull(),
            tx.payer_party != tx.beneficiary_party,
            tx.channel.isin(list(TRANSFER_CHANNELS)),
            tx.base_amount > 0,
        ]
    )


def _degrees(t: DatasetTables) -> dict[str, dict[str, float]]:
    e = _transfers(t)
    out = {}
    for side, centre, other in (
        ("in", "beneficiary_party", "payer_party"),
        ("out", "payer_party", "beneficiary_party"),
    ):
        per = e.group_by(centre=e[centre]).aggregate(d=e[other].nunique())
        row = t.execute(
            per.aggregate(**{_q(q): per.d.quantile(q) for q in (0.5, 0.9, 0.99)}, max=per.d.max())
        ).to_pylist()[0]
        out[side] = {k: float(v or 0) for k, v in row.items()}
    return out


def _repeat_shares(t: DatasetTables, step: int) -> dict[str, float]:
    e = _transfers(t)
    cells = e.group_by(
        [e.payer_party, e.beneficiary_party, (e.timestamp.epoch_seconds() // max(step, DAY))]
    ).aggregate(n=e.count())
    row = t.execute(
        cells.aggregate(
            cells=cells.count(),
            **{f"at_least_{k}": (cells.n >= k).sum() for k in (2, 3, 5, 10)},
        )
    ).to_pylist()[0]
    total = int(row.pop("cells") or 0)
    return {
        k.removeprefix("at_least_"): (int(v or 0) / total if total else 0.0) for k, v in row.items()
    }


def _transfer_rates(t: DatasetTables, step: int) -> dict[str, float]:
    e = _transfers(t)
    out = {}
    for side, centre in (("in", "beneficiary_party"), ("out", "payer_party")):
        per = e.group_by(centre=e[centre]).aggregate(
            n=e.count(), first=e.timestamp.min(), last=e.timestamp.max()
        )
        days = ((per["last"].epoch_seconds() - per["first"].epoch_seconds()) / DAY).clip(
            lower=step / DAY
        )
        rate = per.n / days
        row = t.execute(per.aggregate(median=rate.quantile(0.5))).to_pylist()[0]
        out[side] = float(row["median"] or 0.0)
    return out


# ---------------------------------------------------------------------------- storage


def store_profile(conn: duckdb.DuckDBPyConnection, profile: DatasetProfile) -> None:
    """Keep ``profile`` as the dataset's latest (the run records its own copy too)."""
    with transaction(conn, f"storing the profile of dataset {profile.dataset!r}"):
        conn.execute("DELETE FROM dataset_profiles WHERE dataset = ?", [profile.dataset])
        conn.execute(
            "INSERT INTO dataset_profiles VALUES (?, ?, ?)",
            [profile.dataset, profile.to_json(), datetime.now(UTC).replace(tzinfo=None)],
        )


def stored_profile(conn: duckdb.DuckDBPyConnection, dataset: str) -> DatasetProfile | None:
    row = conn.execute(
        "SELECT profile FROM dataset_profiles WHERE dataset = ?", [dataset]
    ).fetchone()
    return DatasetProfile.from_json(row[0]) if row else None


def describe_profile(profile: DatasetProfile) -> list[tuple[str, str]]:
    """The profile as (what, value) lines for a terminal or a report."""
    lines = [
        ("transactions", f"{profile.transactions:,}"),
        ("active parties", f"{profile.active_parties:,}"),
        (
            "span",
            f"{(profile.first_ts or '')[:10]} to {(profile.last_ts or '')[:10]} "
            f"({profile.span_days:,.1f} days)",
        ),
        ("time step", _step(profile.step_seconds)),
        (
            "transactions per day",
            f"mean {profile.per_day.get('mean', 0):,.0f}, "
            f"95th percentile {profile.per_day.get('p95', 0):,.0f}",
        ),
    ]
    for channel, q in sorted(profile.amounts.items()):
        lines.append(
            (
                f"amounts, {channel}",
                f"median {q['0.5']:,.2f}, 99th percentile {q['0.99']:,.2f} "
                f"({int(q['n']):,} payments)",
            )
        )
    for side, q in sorted(profile.degrees.items()):
        label = "payers per beneficiary" if side == "in" else "beneficiaries per payer"
        lines.append((label, f"median {q['0.5']:g}, 99th percentile {q['0.99']:,.0f}"))
    shares = profile.repeat_shares
    lines.append(
        (
            "pairs paying again in one step",
            f"{shares.get('2', 0):.3%} (3 or more: {shares.get('3', 0):.3%})",
        )
    )
    return lines


def _step(seconds: int) -> str:
    return {DAY: "1 day", 3600: "1 hour", 60: "1 minute"}.get(seconds, f"{seconds} s")
