"""Charts drawn on the server as SVG geometry (the templates' ``bar_chart`` and
``column_chart`` macros draw them): no chart library, no script, and every label is escaped
text like the rest of the page."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Bar:
    label: str
    text: str
    y: float
    w: float
    h: float


@dataclass(frozen=True)
class BarChart:
    bars: list[Bar]
    width: int
    height: int
    label_width: int


def bar_chart(
    rows: Sequence[tuple[str, float]],
    fmt: Callable[[float], str] = lambda v: f"{v:,.0f}",
    *,
    width: int = 520,
    label_width: int = 170,
    bar_height: int = 18,
) -> BarChart:
    """Horizontal bars, one per (label, value), longest bar for the largest value."""
    top = max((v for _, v in rows), default=0.0) or 1.0
    room = width - label_width - 90
    bars = [
        Bar(
            label[:28],
            fmt(value),
            4 + i * (bar_height + 6),
            max(room * value / top, 1.0),
            bar_height,
        )
        for i, (label, value) in enumerate(rows)
    ]
    return BarChart(bars, width, 8 + len(rows) * (bar_height + 6), label_width)


@dataclass(frozen=True)
class Column:
    label: str
    text: str
    x: float
    y: float
    w: float
    h: float


@dataclass(frozen=True)
class Tick:
    x: float
    label: str


@dataclass(frozen=True)
class ColumnChart:
    columns: list[Column]
    width: int
    height: int
    base: float
    max_text: str
    ticks: list[Tick] = field(default_factory=list)


def column_chart(
    rows: Sequence[tuple[str, float]],
    fmt: Callable[[float], str] = lambda v: f"{v:,.0f}",
    *,
    width: int = 520,
    height: int = 160,
    ticks: int = 4,
) -> ColumnChart:
    """Columns over time, one per (period label, value), with a few period labels below."""
    top = max((v for _, v in rows), default=0.0) or 1.0
    base = height - 16
    step = width / max(len(rows), 1)
    columns = [
        Column(
            label,
            fmt(value),
            i * step + 1,
            base - (base - 14) * value / top,
            max(step - 2, 1.0),
            (base - 14) * value / top,
        )
        for i, (label, value) in enumerate(rows)
    ]
    every = max(len(rows) // ticks, 1)
    marks = [Tick(i * step + 1, rows[i][0]) for i in range(0, len(rows), every)]
    return ColumnChart(columns, width, height, base, fmt(top), marks)
