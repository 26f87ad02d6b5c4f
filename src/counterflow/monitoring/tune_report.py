"""The tuning report: one self-contained HTML page a model-validation reviewer can read (the
dataset, the scenario and its documented parameters, the grid, a table and an inline SVG chart
per parameter, the chosen values and why, the parties above and below the line). No script,
no external URL, every text through :func:`html.escape`.
"""

from __future__ import annotations

import html
import math
from collections.abc import Callable, Sequence
from typing import Any

from counterflow import __version__
from counterflow.monitoring.tune import SAMPLE, Outcome, Tuning, rate_text

# --------------------------------------------------------------------------- the report


def _esc(value: object) -> str:
    return html.escape(str(value), quote=True)


def _show(value: Any) -> str:
    if isinstance(value, list):
        return ", ".join(str(v) for v in value) or "(none)"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def _num(value: float | None, digits: int = 3) -> str:
    return "–" if value is None else f"{value:.{digits}f}"


_STYLE = """
body { font-family: system-ui, sans-serif; margin: 2em auto; max-width: 60em; color: #222; }
table { border-collapse: collapse; margin: 0.5em 0 1.5em; }
th, td { border: 1px solid #ccc; padding: 0.2em 0.5em; text-align: left; vertical-align: top; }
td.n { text-align: right; font-variant-numeric: tabular-nums; }
tr.current td { background: #f2f2f2; }
tr.chosen td { background: #e3f4ea; font-weight: 600; }
.note { color: #555; }
code { font-size: 0.95em; }
"""


def report_html(tuning: Tuning) -> str:
    """A self-contained page for a model-validation reviewer: the dataset, the scenario and
    its documented parameters, the grid, a table and a chart per parameter, the choice and
    why, and the parties that enter and leave. Every text is escaped; no script, no URL."""
    s = tuning.scenario
    title = f"Tuning {s.id} on {tuning.dataset}"
    out = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        f"<title>{_esc(title)}</title><style>{_STYLE}</style></head><body>",
        f"<h1>{_esc(title)}</h1>",
        f'<p class="note">Written by counterflow {_esc(__version__)} on '
        f"{_esc(tuning.created.strftime('%Y-%m-%d %H:%M %Z'))}, from "
        f"{len(tuning.outcomes)} settings run in {tuning.seconds:.1f} s. No alert was stored."
        "</p>",
        "<h2>Dataset</h2>",
        _dataset_table(tuning),
        "<h2>Scenario</h2>",
        _scenario_section(tuning),
        "<h2>Grid</h2>",
        "<p>Each parameter's values were run with the other parameters at their current "
        "value (one at a time)"
        + (", and every combination of them" if tuning.product else "")
        + ". <em>Current</em> is the scenario's defaults"
        + (f" with {_esc(tuning.source)} laid over them" if tuning.source else "")
        + ".</p>",
        _grid_table(tuning),
        "<h2>Chosen values</h2>",
        _chosen_section(tuning),
    ]
    for name, sweep in tuning.sweeps.items():
        out.append(f"<h2>Parameter <code>{_esc(name)}</code></h2>")
        param = s.param(name)
        if param is not None:
            out.append(f"<p>{_esc(param.doc)}</p>")
        out.append(_chart(tuning, name, sweep))
        out.append(_outcome_table(tuning, sweep, _value_of(name)))
    if tuning.product:
        out.append("<h2>Every combination</h2>")
        out.append(
            _outcome_table(
                tuning,
                tuning.product,
                lambda o: "; ".join(f"{k} = {_show(o.values[k])}" for k in tuning.grid),
            )
        )
    out.append("<h2>Above and below the line</h2>")
    out.append(_line_section(tuning))
    out.append("</body></html>")
    return "\n".join(out) + "\n"


def _value_of(name: str) -> Callable[[Outcome], str]:
    """A setting's label in a parameter's table: that parameter's value."""
    return lambda o: _show(o.values[name])


def _rows(pairs: Sequence[tuple[str, str]]) -> str:
    body = "".join(f"<tr><th>{_esc(k)}</th><td>{_esc(v)}</td></tr>" for k, v in pairs)
    return f"<table>{body}</table>"


def _dataset_table(t: Tuning) -> str:
    span = (
        f"{t.first:%Y-%m-%d} to {t.last:%Y-%m-%d} ({t.months:.1f} months)"
        if t.first and t.last
        else "no transactions"
    )
    labels = (
        f"{t.positives:,} parties labelled suspicious, {t.typology_positives:,} of them "
        f"with the scenario's typology ({t.scenario.typology})"
        + (
            f", {t.key_parties:,} in the roles it names ({', '.join(t.scenario.key_roles)})"
            if t.key_parties
            else ""
        )
        if t.labelled
        else "none: the choice follows the alert budget"
    )
    return _rows(
        [
            ("dataset", t.dataset),
            ("parties", f"{t.parties:,}"),
            ("transactions", f"{t.transactions:,}"),
            ("period", span),
            ("labels", labels),
        ]
    )


def _scenario_section(t: Tuning) -> str:
    s = t.scenario
    parts = [
        _rows(
            [
                ("id", s.id),
                ("title", s.title),
                ("typology", s.typology),
                ("severity", s.severity),
                ("subjects", s.subject_kind),
                ("what it looks for", s.description or "–"),
            ]
        )
    ]
    if s.sources:
        parts.append("<p>Sources:</p><ul>")
        parts += [f"<li>{_esc(src)}</li>" for src in s.sources]
        parts.append("</ul>")
    head = "<tr><th>parameter</th><th>default</th><th>bounds</th><th>current</th>"
    head += "<th>chosen</th><th>documentation</th></tr>"
    body = []
    for p in s.params:
        bounds = []
        if p.minimum is not None:
            bounds.append(f"≥ {p.minimum:g}")
        if p.maximum is not None:
            bounds.append(f"≤ {p.maximum:g}")
        if p.choices:
            bounds.append("one of " + ", ".join(p.choices))
        chosen = t.chosen.values[p.name]
        mark = ' class="chosen"' if p.name in t.chosen.changes else ""
        body.append(
            f"<tr{mark}><td><code>{_esc(p.name)}</code></td><td>{_esc(_show(p.default))}</td>"
            f"<td>{_esc('; '.join(bounds) or '–')}</td>"
            f"<td>{_esc(_show(t.current[p.name]))}</td><td>{_esc(_show(chosen))}</td>"
            f"<td>{_esc(p.doc)}</td></tr>"
        )
    parts.append(f"<p>Documented parameters:</p><table>{head}{''.join(body)}</table>")
    if t.resolved:
        parts.append('<p>Parameters at "auto", resolved against the dataset:</p><ul>')
        parts += [
            f"<li><code>{_esc(name)}</code>: {_esc(why)}</li>" for name, why in t.resolved.items()
        ]
        parts.append("</ul>")
    return "\n".join(parts)


def _grid_table(t: Tuning) -> str:
    body = "".join(
        f"<tr><td><code>{_esc(name)}</code></td><td>{_esc(_show(t.current[name]))}</td>"
        f"<td>{_esc('; '.join(_show(v) for v in values))}</td></tr>"
        for name, values in t.grid.items()
    )
    return f"<table><tr><th>parameter</th><th>current</th><th>values tried</th></tr>{body}</table>"


def _chosen_section(t: Tuning) -> str:
    c, b = t.chosen, t.baseline
    changes = (
        ", ".join(f"{k} = {_show(v)} (was {_show(t.current[k])})" for k, v in c.changes.items())
        or "the current values are kept"
    )
    rows = [
        ("chosen", changes),
        ("why", t.rule),
        ("alerts", f"{c.alerts:,} (current {b.alerts:,})"),
        (
            "alerts per 1,000 parties per month",
            f"{rate_text(c.rate)} (current {rate_text(b.rate)})",
        ),
    ]
    if t.budget is not None:
        rows.append(("budget", f"{t.budget:g} alerts per 1,000 parties per month"))
    if t.labelled:
        rows.append(
            (
                "precision, recall, F1 (suspicious)",
                f"{_num(c.precision)}, {_num(c.recall)}, {_num(c.f1)} "
                f"(current {_num(b.precision)}, {_num(b.recall)}, {_num(b.f1)})",
            )
        )
        if t.typology_positives:
            rows.append(
                (
                    f"precision, recall, F1 ({t.scenario.typology})",
                    f"{_num(c.typology_precision)}, {_num(c.typology_recall)}, "
                    f"{_num(c.typology_f1)} (current {_num(b.typology_precision)}, "
                    f"{_num(b.typology_recall)}, {_num(b.typology_f1)})",
                )
            )
        if t.key_parties:
            rows.append(
                (
                    "key-party recall",
                    f"{_num(c.key_recall)} (current {_num(b.key_recall)})",
                )
            )
    rows.append(
        ("above/below the line", f"{len(c.entered):,} parties enter, {len(c.left):,} leave")
    )
    return _rows(rows)


def _outcome_table(t: Tuning, outcomes: Sequence[Outcome], label: Callable[[Outcome], str]) -> str:
    head = ["value", "alerts", "parties", "per 1,000 / month"]
    if t.labelled:
        head += ["precision", "recall", "F1"]
        if t.typology_positives:
            head += [f"{m} ({t.scenario.typology})" for m in ("precision", "recall", "F1")]
        if t.key_parties:
            head.append("key-party recall")
    head += ["enter", "leave"]
    rows = ["<tr>" + "".join(f"<th>{_esc(h)}</th>" for h in head) + "</tr>"]
    for o in outcomes:
        cells = [
            label(o) + (" (current)" if o.is_current else ""),
            f"{o.alerts:,}",
            f"{len(o.parties):,}",
            rate_text(o.rate),
        ]
        if t.labelled:
            cells += [_num(o.precision), _num(o.recall), _num(o.f1)]
            if t.typology_positives:
                cells += [_num(o.typology_precision), _num(o.typology_recall)]
                cells.append(_num(o.typology_f1))
            if t.key_parties:
                cells.append(_num(o.key_recall))
        cells += [f"{len(o.entered):,}", f"{len(o.left):,}"]
        mark = "chosen" if o is t.chosen or o.values == t.chosen.values else ""
        mark = mark or ("current" if o.is_current else "")
        row = f"<td>{_esc(cells[0])}</td>" + "".join(
            f'<td class="n">{_esc(c)}</td>' for c in cells[1:]
        )
        rows.append(f'<tr class="{mark}">{row}</tr>' if mark else f"<tr>{row}</tr>")
    return "<table>" + "".join(rows) + "</table>"


def _line_section(t: Tuning) -> str:
    parts = [
        "<p>For each setting, the parties alerted that the current values do not alert "
        "(<em>enter</em>, above the line) and those the current values alert that it does not "
        "(<em>leave</em>, below the line)"
        + (", with how many of them are labelled suspicious" if t.labelled else "")
        + ", and a sample of their ids.</p>"
    ]
    head = "<tr><th>setting</th><th>enter</th><th>sample</th><th>leave</th><th>sample</th></tr>"
    body = []
    for o in t.outcomes:
        if o.is_current:
            continue
        setting = "; ".join(f"{k} = {_show(v)}" for k, v in o.changes.items())
        into = f"{len(o.entered):,}"
        out = f"{len(o.left):,}"
        if o.entered_suspicious is not None:
            into += f" ({o.entered_suspicious:,} suspicious)"
            out += f" ({o.left_suspicious:,} suspicious)"
        body.append(
            f'<tr><td>{_esc(setting)}</td><td class="n">{_esc(into)}</td>'
            f'<td>{_esc(", ".join(o.entered[:SAMPLE]))}</td><td class="n">{_esc(out)}</td>'
            f"<td>{_esc(', '.join(o.left[:SAMPLE]))}</td></tr>"
        )
    parts.append(f"<table>{head}{''.join(body)}</table>")
    return "\n".join(parts)


# --------------------------------------------------------------------------- the chart

_W, _H = 640, 280
_LEFT, _RIGHT, _TOP, _BOTTOM = 70, 70, 36, 48
_RATE, _F1, _PRECISION, _RECALL = "#0072B2", "#D55E00", "#009E73", "#CC79A7"


def _chart(t: Tuning, name: str, sweep: Sequence[Outcome]) -> str:
    """One parameter's sweep: the alert rate (left axis) and, with labels, precision, recall
    and F1 (right axis, 0 to 1) at each value, evenly spaced; the current and the chosen
    value marked, and the budget as a dashed line."""
    n = len(sweep)
    plot_w = _W - _LEFT - _RIGHT
    plot_h = _H - _TOP - _BOTTOM

    def x(i: int) -> float:
        return _LEFT + (plot_w / 2 if n == 1 else plot_w * i / (n - 1))

    step = _nice(max([o.rate for o in sweep] + [t.budget or 0.0, 1e-9]) / 4)
    top = step * 4

    def y_rate(v: float) -> float:
        return _TOP + plot_h * (1 - v / top)

    def y_unit(v: float) -> float:
        return _TOP + plot_h * (1 - v)

    label = f"{name}: alerts per 1,000 parties per month" + (
        ", precision, recall and F1" if t.labelled else ""
    )
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{_W}" height="{_H}" '
        f'viewBox="0 0 {_W} {_H}" role="img" aria-label="{_esc(label)}">',
        f"<title>{_esc(label)}</title>",
        f'<rect x="{_LEFT}" y="{_TOP}" width="{plot_w}" height="{plot_h}" fill="none" '
        'stroke="#999"/>',
    ]
    for i in range(5):  # gridlines and the left axis's ticks
        v = step * i
        yy = y_rate(v)
        parts.append(
            f'<line x1="{_LEFT}" y1="{yy:.1f}" x2="{_W - _RIGHT}" y2="{yy:.1f}" stroke="#eee"/>'
        )
        parts.append(_svg_text(_LEFT - 6, yy + 4, f"{v:.4g}", "end", _RATE))
        if t.labelled:
            parts.append(_svg_text(_W - _RIGHT + 6, yy + 4, f"{i / 4:.2f}", "start", "#444"))
    for i, o in enumerate(sweep):
        value = _show(o.values[name])
        parts.append(_svg_text(x(i), _TOP + plot_h + 16, _cut(value), "middle", "#222"))
        if o.is_current:
            parts.append(_marker(x(i), "#777", "current", 0))
        if o.values == t.chosen.values:
            parts.append(_marker(x(i), "#000", "chosen", 1))
    if t.budget is not None:
        yy = y_rate(t.budget)
        parts.append(
            f'<line x1="{_LEFT}" y1="{yy:.1f}" x2="{_W - _RIGHT}" y2="{yy:.1f}" stroke="{_RATE}" '
            f'stroke-dasharray="6 4"><title>budget {_esc(f"{t.budget:g}")}</title></line>'
        )
    series: list[tuple[str, str, Callable[[Outcome], float | None], Callable[[float], float]]] = [
        ("alerts per 1,000 / month", _RATE, lambda o: o.rate, y_rate)
    ]
    if t.labelled:
        own = t.typology_positives > 0
        series += [
            (
                "precision",
                _PRECISION,
                lambda o: o.typology_precision if own else o.precision,
                y_unit,
            ),
            ("recall", _RECALL, lambda o: o.typology_recall if own else o.recall, y_unit),
            ("F1", _F1, lambda o: o.typology_f1 if own else o.f1, y_unit),
        ]
    for index, (what, colour, get, scale) in enumerate(series):
        points = [(x(i), get(o)) for i, o in enumerate(sweep)]
        drawn = [(px, scale(f)) for px, f in points if f is not None]
        if len(drawn) > 1:
            path = " ".join(f"{px:.1f},{py:.1f}" for px, py in drawn)
            dash = "" if index in (0, len(series) - 1) else ' stroke-dasharray="5 3"'
            parts.append(
                f'<polyline points="{path}" fill="none" stroke="{colour}" stroke-width="2"{dash}/>'
            )
        for (px, figure), o in zip(points, sweep, strict=True):
            if figure is None:
                continue
            tip = f"{_show(o.values[name])}: {what} {figure:.3f}"
            parts.append(
                f'<circle cx="{px:.1f}" cy="{scale(figure):.1f}" r="3.5" fill="{colour}">'
                f"<title>{_esc(tip)}</title></circle>"
            )
        legend_x = _LEFT + sum(30 + 6.5 * len(item[0]) for item in series[:index])
        parts.append(
            f'<rect x="{legend_x:.1f}" y="{_TOP - 22}" width="12" height="12" fill="{colour}"/>'
        )
        parts.append(_svg_text(legend_x + 16, _TOP - 12, what, "start", "#222"))
    parts.append(_svg_text(_W / 2, _H - 12, name, "middle", "#222"))
    parts.append(_axis_title(14, _RATE, "alerts per 1,000 parties per month"))
    if t.labelled:
        over = t.scenario.typology if t.typology_positives else "suspicious"
        parts.append(_axis_title(_W - 8, "#444", f"precision, recall, F1 ({_cut(over, 24)})"))
    parts.append("</svg>")
    return "\n".join(parts)


def _svg_text(x: float, y: float, text: str, anchor: str, colour: str) -> str:
    return (
        f'<text x="{x:.1f}" y="{y:.1f}" font-size="11" text-anchor="{anchor}" '
        f'fill="{colour}">{_esc(text)}</text>'
    )


def _marker(x: float, colour: str, what: str, row: int) -> str:
    """A vertical line at the current or the chosen value, named at the plot's top (on the
    inner side, so the name stays in the drawing)."""
    return (
        f'<line x1="{x:.1f}" y1="{_TOP}" x2="{x:.1f}" y2="{_H - _BOTTOM}" stroke="{colour}" '
        f'stroke-width="1.5" stroke-dasharray="2 3"><title>{_esc(what)}</title></line>'
        + (
            _svg_text(x - 4, _TOP + 14 + 13 * row, what, "end", colour)
            if x > _W / 2
            else _svg_text(x + 4, _TOP + 14 + 13 * row, what, "start", colour)
        )
    )


def _nice(value: float) -> float:
    """The least of 1, 2, 2.5 and 5 times a power of ten that is at least ``value``."""
    power = 10 ** math.floor(math.log10(value))
    return float(next(m * power for m in (1, 2, 2.5, 5, 10) if m * power >= value * (1 - 1e-12)))


def _axis_title(x: float, colour: str, text: str) -> str:
    middle = _TOP + (_H - _TOP - _BOTTOM) / 2
    return (
        f'<text x="{x:.1f}" y="{middle:.1f}" font-size="11" text-anchor="middle" '
        f'fill="{colour}" transform="rotate(-90 {x:.1f} {middle:.1f})">{_esc(text)}</text>'
    )


def _cut(text: str, limit: int = 16) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"
