"""The laundering shapes of IBM's AMLworld (Altman et al., NeurIPS 2023), planted among the
world's ordinary accounts: fan-out, fan-in, cycle, scatter-gather, gather-scatter, bipartite
and stack. Each shape is its own typology (``layering-fan-out`` …) so that graph scenarios can
be measured shape by shape. Each hop keeps a small fee and waits a few days, as in AMLworld.
"""

from __future__ import annotations

from collections.abc import Callable

from counterflow.simulate.config import LayeringParams, instances
from counterflow.simulate.typologies.base import Stage

SHAPES: tuple[str, ...] = (
    "fan-out", "fan-in", "cycle", "scatter-gather", "gather-scatter", "bipartite", "stack",
)  # fmt: skip


class _Shape:
    """One instance being laid out: its typology, channel, amount and clock."""

    def __init__(self, stage: Stage, params: LayeringParams, shape: str) -> None:
        self.stage, self.params = stage, params
        self.typology = f"layering-{shape}"
        self.channel = "cheque" if stage.rng.random() < 0.2 else "wire"
        self.amount = stage.uniform(params.amount_usd)
        self.width = max(3, stage.integer(params.width))
        self.day = stage.window(10, tail=50)[0]
        self.last = self.day  # the latest day a payment of this instance happened

    def party(self, role: str) -> int:
        kind = "company" if self.stage.rng.random() < 0.4 else "person"
        return self.stage.cast(kind, self.typology, role)

    def parties(self, role: str, count: int) -> list[int]:
        return [self.party(role) for _ in range(count)]

    def later(self) -> int:
        """A day within the current step (the step's payments spread over a few days)."""
        low, high = int(self.params.hop_days[0]), int(self.params.hop_days[1])
        return self.day + int(self.stage.rng.integers(low, high + 1))

    def next_step(self) -> int:
        """Move on to the next step of the pattern, after the previous step's payments."""
        self.day = max(self.day + int(self.params.hop_days[1]), self.last) + 1
        return self.day

    def pay(self, payer: int, bene: int, usd: float, day: int | None = None) -> float:
        """Pay ``usd`` less the hop's fee; returns what arrived."""
        kept = usd * (1 - self.stage.uniform(self.params.fee))
        row = self.stage.pay(
            self.day if day is None else day,
            payer,
            bene,
            kept,
            self.typology,
            channel=self.channel,
            text=self.stage.invoice(),
        )
        self.last = max(self.last, row.day)
        return kept


def _fan_out(s: _Shape) -> None:
    source = s.party("source")
    for sink in s.parties("sink", s.width):
        s.pay(source, sink, s.amount / s.width, s.later())


def _fan_in(s: _Shape) -> None:
    sink = s.party("sink")
    for source in s.parties("source", s.width):
        s.pay(source, sink, s.amount / s.width, s.later())


def _cycle(s: _Shape) -> None:
    members = s.parties("member", s.width)
    amount = s.amount
    for i, payer in enumerate(members):
        amount = s.pay(payer, members[(i + 1) % len(members)], amount, s.day)
        s.day = s.last + 1 + int(s.stage.rng.integers(0, int(s.params.hop_days[1]) + 1))


def _scatter_gather(s: _Shape) -> None:
    source, sink = s.party("source"), s.party("sink")
    middles = s.parties("intermediary", s.width)
    arrived = [s.pay(source, m, s.amount / s.width, s.later()) for m in middles]
    s.next_step()
    for m, amount in zip(middles, arrived, strict=True):
        s.pay(m, sink, amount, s.later())


def _gather_scatter(s: _Shape) -> None:
    hub = s.party("hub")
    sources = s.parties("source", s.width)
    total = sum(s.pay(src, hub, s.amount / s.width, s.later()) for src in sources)
    s.next_step()
    sinks = s.parties("sink", s.width)
    for sink in sinks:
        s.pay(hub, sink, total / len(sinks), s.later())


def _layer(s: _Shape, payers: list[int], payees: list[int], total: float) -> float:
    """Every payer pays every payee its share; returns what arrived."""
    arrived = 0.0
    for payer in payers:
        for payee in payees:
            arrived += s.pay(payer, payee, total / (len(payers) * len(payees)), s.later())
    s.next_step()
    return arrived


def _bipartite(s: _Shape) -> None:
    left = s.parties("source", max(2, s.width // 2))
    right = s.parties("sink", max(2, s.width - len(left)))
    _layer(s, left, right, s.amount)


def _stack(s: _Shape) -> None:
    size = max(2, s.width // 3 + 1)
    first, second, third = (
        s.parties("source", size),
        s.parties("intermediary", size),
        s.parties("sink", size),
    )
    arrived = _layer(s, first, second, s.amount)
    _layer(s, second, third, arrived)


_BUILDERS: dict[str, Callable[[_Shape], None]] = {
    "fan-out": _fan_out, "fan-in": _fan_in, "cycle": _cycle,
    "scatter-gather": _scatter_gather, "gather-scatter": _gather_scatter,
    "bipartite": _bipartite, "stack": _stack,
}  # fmt: skip


def plant_layering(stage: Stage, params: LayeringParams) -> None:
    """Every shape, ``instances_per_100k`` times per 100,000 parties (at least once)."""
    for shape in SHAPES:
        for _ in range(instances(params.instances_per_100k, len(stage.pop))):
            with stage.instance(f"layering-{shape}"):
                _BUILDERS[shape](_Shape(stage, params, shape))
