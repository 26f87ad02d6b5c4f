"""Small SVG charts rendered on the server: no JavaScript is needed to read a report.

Each builder takes plain figures and returns one ``<svg>`` element as a string, ready to be
inlined in an HTML page or saved as a ``.svg`` file:

- :func:`bar_chart`: horizontal bars, one per label (totals by channel);
- :func:`stacked_bars`: a column per period, stacked by series (amounts by month and channel);
- :func:`timeline`: amounts over time, one stem per day;
- :func:`flow_diagram`: corridors, payer country on the left to beneficiary country on the
  right, each band as wide as its amount.

The rules every chart keeps:

- **Text is data.** Labels come from transactions and lists (names are hostile): every piece
  of text is XML-escaped, characters XML cannot hold are dropped, and long labels are cut.
- **Bounded.** The number of bars, periods, series and corridors is capped (the rest are added
  up into one "others" item where that keeps the totals right) and the drawing has a fixed width.
- **Deterministic.** The same figures give the same bytes: coordinates are rounded to a tenth
  of a pixel, colours come from a fixed palette in a fixed order, nothing depends on the clock.
- **Accessible.** ``role="img"``, an ``aria-label`` and a ``<title>`` name the chart; each
  shape carries a ``<title>`` with its figure, which browsers show as a tooltip.

Amounts are shown as ``USD 1,234,567`` (whole units with thousands separators; the currency
code is a parameter for datasets kept in another base currency).
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Sequence
from datetime import date

#: colours of the series, in order (Okabe & Ito's palette, readable by colour-blind readers)
PALETTE: tuple[str, ...] = (
    "#0072B2",
    "#E69F00",
    "#009E73",
    "#D55E00",
    "#CC79A7",
    "#56B4E9",
    "#F0E442",
    "#000000",
    "#7F7F7F",
    "#8C564B",
    "#17BECF",
    "#BCBD22",
)
#: the width of every chart, in pixels
WIDTH = 720
#: the most bars a bar chart draws (the rest become one "others" bar)
MAX_BARS = 20
#: the most periods and series a stacked chart draws
MAX_PERIODS = 36
MAX_SERIES = len(PALETTE)
#: the most corridors a flow diagram draws (the rest become "others → others")
MAX_FLOWS = 20
#: the most days a timeline draws (the latest ones)
MAX_POINTS = 730
#: labels longer than this are cut, with an ellipsis
MAX_LABEL = 40
OTHERS = "others"

_FONT = 'font-family="Helvetica, Arial, sans-serif" font-size="12"'
_CHAR_WIDTH = 7.0  # a generous average width of a 12 px character
# characters XML 1.0 cannot hold, even escaped
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def money(value: float, currency: str = "USD") -> str:
    """``USD 1,234,567``: whole units with thousands separators (a minus sign when negative)."""
    amount = _finite(value)
    return f"{_clean(currency, 8)} {round(amount):,}".replace(" -", " −")


def bar_chart(
    items: Sequence[tuple[str, float]],
    *,
    title: str,
    currency: str = "USD",
    max_bars: int = MAX_BARS,
) -> str:
    """Horizontal bars, largest first, labelled with the label and the amount.

    Beyond ``max_bars`` items the smallest are added up into one "others" bar."""
    rows = _top([(str(label), _positive(value)) for label, value in items], max_bars)
    label_width = _label_width(label for label, _ in rows)
    value_width = _CHAR_WIDTH * max((len(money(v, currency)) for _, v in rows), default=8) + 12
    plot = max(WIDTH - label_width - value_width - 20, 60.0)
    top_value = max((v for _, v in rows), default=0.0)
    bar, gap = 18, 6
    height = 36 + len(rows) * (bar + gap) + (16 if not rows else 0)
    parts = [_open(title, height), _heading(title)]
    if not rows:
        parts.append(_text(10, 44, "no figures"))
    for index, (label, value) in enumerate(rows):
        y = 32 + index * (bar + gap)
        length = plot * value / top_value if top_value > 0 else 0.0
        shown = money(value, currency)
        parts.append(_text(label_width + 4, y + 13, _short(label), anchor="end"))
        parts.append(
            f'<rect x="{_n(label_width + 10)}" y="{_n(y)}" width="{_n(length)}" '
            f'height="{bar}" fill="{PALETTE[0]}">'
            f"<title>{_esc(_short(label))}: {_esc(shown)}</title></rect>"
        )
        parts.append(_text(label_width + 16 + length, y + 13, shown))
    parts.append("</svg>")
    return "".join(parts)


def stacked_bars(
    periods: Sequence[str],
    series: Sequence[tuple[str, Sequence[float]]],
    *,
    title: str,
    currency: str = "USD",
) -> str:
    """A column per period (in the order given), stacked by series, with a legend.

    ``series`` are (name, one amount per period). Only the last :data:`MAX_PERIODS` periods
    are drawn; beyond :data:`MAX_SERIES` series the smallest are added up into "others"."""
    shown_periods = [str(p) for p in periods][-MAX_PERIODS:]
    skip = len(periods) - len(shown_periods)
    cleaned: list[tuple[str, list[float]]] = []
    for name, values in series:
        row = [_positive(v) for v in list(values)[skip:]]
        row += [0.0] * (len(shown_periods) - len(row))
        cleaned.append((str(name), row[: len(shown_periods)]))
    cleaned = _top_series(cleaned)
    totals = [sum(values[i] for _, values in cleaned) for i in range(len(shown_periods))]
    top_value = max(totals, default=0.0)
    legend_rows = math.ceil(len(cleaned) / 3)
    plot_top, plot_height, left = 36, 220, 110
    height = plot_top + plot_height + 40 + legend_rows * 18 + 8
    parts = [_open(title, height), _heading(title)]
    plot_width = WIDTH - left - 20
    # the axis: zero and the largest total
    parts.append(
        f'<line x1="{left}" y1="{plot_top + plot_height}" x2="{WIDTH - 20}" '
        f'y2="{plot_top + plot_height}" stroke="#444" stroke-width="1"/>'
    )
    parts.append(_text(left - 6, plot_top + plot_height + 4, money(0, currency), anchor="end"))
    if top_value > 0:
        parts.append(_text(left - 6, plot_top + 10, money(top_value, currency), anchor="end"))
    if not shown_periods:
        parts.append(_text(left + 10, plot_top + plot_height / 2, "no figures"))
    slot = plot_width / max(len(shown_periods), 1)
    column = max(min(slot * 0.7, 60.0), 2.0)
    every = max(1, math.ceil(len(shown_periods) * 60 / plot_width))  # labels that fit
    for i, period in enumerate(shown_periods):
        x = left + slot * i + (slot - column) / 2
        base = float(plot_top + plot_height)
        for s, (name, values) in enumerate(cleaned):
            value = values[i]
            if value <= 0 or top_value <= 0:
                continue
            h = plot_height * value / top_value
            base -= h
            parts.append(
                f'<rect x="{_n(x)}" y="{_n(base)}" width="{_n(column)}" height="{_n(h)}" '
                f'fill="{PALETTE[s % len(PALETTE)]}"><title>{_esc(_short(period))}, '
                f"{_esc(_short(name))}: {_esc(money(value, currency))}</title></rect>"
            )
        if i % every == 0:
            parts.append(
                _text(x + column / 2, plot_top + plot_height + 16, _short(period, 10), "middle")
            )
    parts.append(_legend([name for name, _ in cleaned], plot_top + plot_height + 34))
    parts.append("</svg>")
    return "".join(parts)


def timeline(
    points: Sequence[tuple[date, float]],
    *,
    title: str,
    currency: str = "USD",
) -> str:
    """Amounts over time: a stem per day (amounts of one day added up), on a date axis that
    runs from the first day to the last (at most the last :data:`MAX_POINTS` days)."""
    by_day: dict[date, float] = {}
    for day, value in points:
        by_day[day] = by_day.get(day, 0.0) + _positive(value)
    days = sorted(by_day)[-MAX_POINTS:]
    left, plot_top, plot_height = 110, 36, 160
    plot_width = WIDTH - left - 20
    height = plot_top + plot_height + 36
    parts = [_open(title, height), _heading(title)]
    axis_y = plot_top + plot_height
    parts.append(
        f'<line x1="{left}" y1="{axis_y}" x2="{WIDTH - 20}" y2="{axis_y}" '
        'stroke="#444" stroke-width="1"/>'
    )
    if not days:
        parts.append(_text(left + 10, plot_top + plot_height / 2, "no figures"))
        parts.append("</svg>")
        return "".join(parts)
    first, last = days[0], days[-1]
    span = max((last - first).days, 1)
    top_value = max(by_day[d] for d in days)
    parts.append(_text(left - 6, axis_y + 4, money(0, currency), anchor="end"))
    parts.append(_text(left - 6, plot_top + 10, money(top_value, currency), anchor="end"))
    for day in days:
        x = left + plot_width * (day - first).days / span if len(days) > 1 else left
        h = plot_height * by_day[day] / top_value if top_value > 0 else 0.0
        parts.append(
            f'<line x1="{_n(x)}" y1="{axis_y}" x2="{_n(x)}" y2="{_n(axis_y - h)}" '
            f'stroke="{PALETTE[0]}" stroke-width="2"/>'
        )
        parts.append(
            f'<circle cx="{_n(x)}" cy="{_n(axis_y - h)}" r="3" fill="{PALETTE[3]}">'
            f"<title>{day.isoformat()}: {_esc(money(by_day[day], currency))}</title></circle>"
        )
    parts.append(_text(left, axis_y + 18, first.isoformat()))
    if last != first:
        parts.append(_text(WIDTH - 20, axis_y + 18, last.isoformat(), anchor="end"))
    parts.append("</svg>")
    return "".join(parts)


def flow_diagram(
    flows: Sequence[tuple[str, str, float]],
    *,
    title: str,
    currency: str = "USD",
    max_flows: int = MAX_FLOWS,
) -> str:
    """Corridors as bands from a source (left) to a target (right), each as thick as its
    amount; a source that is also a target appears on both sides (money that stays in a
    country is a band to the same name). Beyond ``max_flows`` corridors the smallest are
    added up into one "others → others" band."""
    merged: dict[tuple[str, str], float] = {}
    for source, target, value in flows:
        key = (str(source), str(target))
        merged[key] = merged.get(key, 0.0) + _positive(value)
    ranked = sorted(merged.items(), key=lambda kv: (-kv[1], kv[0]))
    if len(ranked) > max_flows:
        rest = sum(v for _, v in ranked[max_flows - 1 :])
        ranked = [*ranked[: max_flows - 1], ((OTHERS, OTHERS), rest)]
    sources = _order(ranked, 0)
    targets = _order(ranked, 1)
    total = sum(v for _, v in ranked)
    if not ranked or total <= 0:
        parts = [_open(title, 80), _heading(title), _text(10, 50, "no figures"), "</svg>"]
        return "".join(parts)
    node_gap, scale_height, slot = 8, 260.0, 16.0  # a slot fits a node's label
    label_width = min(_label_width(list(sources) + list(targets)), 200.0)
    value_width = _CHAR_WIDTH * len(money(total, currency)) + 8
    left_x = label_width + value_width
    right_x = WIDTH - label_width - value_width
    bar = 12

    def place(totals: dict[str, float]) -> tuple[dict[str, list[float]], float]:
        y, out = 36.0, {}
        for name in totals:
            h = max(scale_height * totals[name] / total, 1.0)
            out[name] = [y, h, y]  # top, height, next free y for a band
            y += max(h, slot) + node_gap
        return out, y

    (src_pos, src_end), (dst_pos, dst_end) = place(sources), place(targets)
    height = max(src_end, dst_end) + 12
    parts = [_open(title, height), _heading(title)]
    src_rank = {name: i for i, name in enumerate(sources)}
    dst_rank = {name: i for i, name in enumerate(targets)}
    bands = sorted(ranked, key=lambda kv: (src_rank[kv[0][0]], dst_rank[kv[0][1]]))
    for (source, target), value in bands:
        h = max(scale_height * value / total, 1.0)
        y0 = src_pos[source][2]
        y1 = dst_pos[target][2]
        src_pos[source][2] += h
        dst_pos[target][2] += h
        x0, x1 = left_x + bar, right_x
        mid = (x0 + x1) / 2
        path = (
            f"M{_n(x0)},{_n(y0)} C{_n(mid)},{_n(y0)} {_n(mid)},{_n(y1)} {_n(x1)},{_n(y1)} "
            f"L{_n(x1)},{_n(y1 + h)} C{_n(mid)},{_n(y1 + h)} {_n(mid)},{_n(y0 + h)} "
            f"{_n(x0)},{_n(y0 + h)} Z"
        )
        colour = PALETTE[src_rank[source] % len(PALETTE)]
        parts.append(
            f'<path d="{path}" fill="{colour}" fill-opacity="0.45" stroke="none">'
            f"<title>{_esc(_short(source))} → {_esc(_short(target))}: "
            f"{_esc(money(value, currency))}</title></path>"
        )
    for side, positions, totals in (("left", src_pos, sources), ("right", dst_pos, targets)):
        for index, name in enumerate(totals):
            top, h, _ = positions[name]
            x = left_x if side == "left" else right_x
            colour = PALETTE[index % len(PALETTE)] if side == "left" else "#555555"
            caption = f"{_short(name)} {money(totals[name], currency)}"
            parts.append(
                f'<rect x="{_n(x)}" y="{_n(top)}" width="{bar}" height="{_n(h)}" '
                f'fill="{colour}"><title>{_esc(caption)}</title></rect>'
            )
            ty = top + h / 2 + 4
            if side == "left":
                parts.append(_text(x - 6, ty, caption, anchor="end"))
            else:
                parts.append(_text(x + bar + 6, ty, caption))
    parts.append("</svg>")
    return "".join(parts)


# ----------------------------------------------------------------------------------- helpers


def _finite(value: float) -> float:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return 0.0
    return number if math.isfinite(number) else 0.0


def _positive(value: float) -> float:
    return max(_finite(value), 0.0)


def _clean(text: str, limit: int = MAX_LABEL) -> str:
    """Text without characters XML cannot hold, at most ``limit`` characters."""
    plain = _NOT_XML.sub("", str(text)).replace("\n", " ").replace("\r", " ").replace("\t", " ")
    return plain if len(plain) <= limit else plain[: limit - 1] + "…"


def _short(text: str, limit: int = MAX_LABEL) -> str:
    return _clean(text, limit)


def _esc(text: str) -> str:
    """Escaped for XML text and attribute values alike."""
    return (
        _clean(text, 10 * MAX_LABEL)
        .replace("&", "&amp;")
        .replace("<", "&lt;")
        .replace(">", "&gt;")
        .replace('"', "&quot;")
        .replace("'", "&#39;")
    )


def _n(value: float) -> str:
    """A coordinate rounded to a tenth of a pixel, without a trailing ``.0``."""
    rounded = round(_finite(value), 1)
    if rounded == 0:
        rounded = 0.0  # never "-0"
    return f"{rounded:.1f}".removesuffix(".0")


def _open(title: str, height: float) -> str:
    label = _esc(_short(title, 4 * MAX_LABEL))
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{_n(height)}" '
        f'viewBox="0 0 {WIDTH} {_n(height)}" role="img" aria-label="{label}" {_FONT}>'
        f"<title>{label}</title>"
    )


def _heading(title: str) -> str:
    return _text(10, 18, _short(title, 4 * MAX_LABEL), weight="bold")


def _text(x: float, y: float, text: str, anchor: str = "start", weight: str = "normal") -> str:
    extra = f' text-anchor="{anchor}"' if anchor != "start" else ""
    extra += f' font-weight="{weight}"' if weight != "normal" else ""
    return f'<text x="{_n(x)}" y="{_n(y)}"{extra} fill="#222">{_esc(text)}</text>'


def _label_width(labels: Iterable[str]) -> float:
    lengths = [len(_short(str(label))) for label in labels]
    return 10 + _CHAR_WIDTH * max(lengths, default=4)


def _top(rows: list[tuple[str, float]], limit: int) -> list[tuple[str, float]]:
    """Largest first (ties by label); beyond ``limit`` the rest added up into "others"."""
    limit = max(limit, 1)
    rows = sorted(rows, key=lambda r: (-r[1], r[0]))
    if len(rows) > limit:
        rows = [*rows[: limit - 1], (OTHERS, sum(v for _, v in rows[limit - 1 :]))]
    return rows


def _top_series(series: list[tuple[str, list[float]]]) -> list[tuple[str, list[float]]]:
    """At most :data:`MAX_SERIES` series, in the order given; the smallest added up."""
    if len(series) <= MAX_SERIES:
        return series
    ranked = sorted(range(len(series)), key=lambda i: (-sum(series[i][1]), series[i][0]))
    keep = sorted(ranked[: MAX_SERIES - 1])
    rest = ranked[MAX_SERIES - 1 :]
    width = len(series[0][1]) if series else 0
    others = [sum(series[i][1][p] for i in rest) for p in range(width)]
    return [series[i] for i in keep] + [(OTHERS, others)]


def _legend(names: Sequence[str], y: float) -> str:
    parts = []
    column = (WIDTH - 20) / 3
    for index, name in enumerate(names):
        x = 10 + column * (index % 3)
        row_y = y + 18 * (index // 3)
        parts.append(
            f'<rect x="{_n(x)}" y="{_n(row_y - 10)}" width="12" height="12" '
            f'fill="{PALETTE[index % len(PALETTE)]}"/>'
        )
        parts.append(_text(x + 18, row_y, _short(name, 30)))
    return "".join(parts)


def _order(ranked: list[tuple[tuple[str, str], float]], side: int) -> dict[str, float]:
    """Nodes of one side (0: sources, 1: targets) with their totals, largest first (ties by
    name)."""
    summed: dict[str, float] = {}
    for key, value in ranked:
        summed[key[side]] = summed.get(key[side], 0.0) + value
    return dict(sorted(summed.items(), key=lambda kv: (-kv[1], kv[0])))
