"""The SVG chart builders: well-formed, escaped, bounded, deterministic and accessible."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Callable
from datetime import date, timedelta

import pytest

from counterflow.reporting import charts

SVG = "{http://www.w3.org/2000/svg}"
HOSTILE = "</svg><script>alert('x')</script>&amp;\"quoted\"\x00\x1b[31m"

BUILDERS: dict[str, Callable[[str], str]] = {
    "bar": lambda name: charts.bar_chart(
        [("Oil and fuel", 1_234_567.4), (name, 42.0)], title=f"By channel {name}"
    ),
    "stacked": lambda name: charts.stacked_bars(
        ["2025-01", "2025-02"],
        [("oil", [10.0, 20.0]), (name, [5.0, 0.0])],
        title=f"By month {name}",
    ),
    "timeline": lambda name: charts.timeline(
        [(date(2025, 1, 1), 10.0), (date(2025, 1, 9), 30.0)], title=f"Days {name}"
    ),
    "flow": lambda name: charts.flow_diagram(
        [("TR", "IQ", 100.0), ("IQ", "IQ", 50.0), (name, "SY", 20.0)], title=f"Flows {name}"
    ),
}


@pytest.mark.parametrize("kind", sorted(BUILDERS))
def test_a_hostile_name_stays_text_in_well_formed_svg(kind: str) -> None:
    svg = BUILDERS[kind](HOSTILE)
    root = ET.fromstring(svg)  # well-formed XML, whatever the names
    assert root.tag == f"{SVG}svg"
    assert "<script" not in svg and "</svg><" not in svg.removesuffix("</svg>")
    assert root.find(f"{SVG}script") is None
    texts = " ".join("".join(el.itertext()) for el in root.iter())
    assert "</svg><script>" in texts  # shown as the text it is
    assert "\x00" not in svg and "\x1b" not in svg


@pytest.mark.parametrize("kind", sorted(BUILDERS))
def test_charts_are_deterministic_and_accessible(kind: str) -> None:
    first, second = BUILDERS[kind]("name"), BUILDERS[kind]("name")
    assert first == second
    root = ET.fromstring(first)
    assert root.get("role") == "img"
    assert root.get("aria-label", "").strip()
    title = root.find(f"{SVG}title")
    assert title is not None and title.text == root.get("aria-label")


@pytest.mark.parametrize("kind", sorted(BUILDERS))
def test_empty_charts_say_so(kind: str) -> None:
    empty = {
        "bar": lambda: charts.bar_chart([], title="t"),
        "stacked": lambda: charts.stacked_bars([], [], title="t"),
        "timeline": lambda: charts.timeline([], title="t"),
        "flow": lambda: charts.flow_diagram([], title="t"),
    }[kind]()
    assert "no figures" in "".join(ET.fromstring(empty).itertext())


def test_money_is_whole_units_with_thousands_separators() -> None:
    assert charts.money(1_234_567.4) == "USD 1,234,567"
    assert charts.money(0) == "USD 0"
    assert charts.money(float("nan")) == "USD 0"
    assert charts.money(2_500.5, "EUR") == "EUR 2,500"
    svg = charts.bar_chart([("oil", 30_935_220.18)], title="t")
    assert "USD 30,935,220" in svg


def test_bars_are_bounded_and_keep_the_total() -> None:
    items = [(f"channel {i:03}", float(i + 1)) for i in range(100)]
    root = ET.fromstring(charts.bar_chart(items, title="many"))
    bars = root.findall(f"{SVG}rect")
    assert len(bars) == charts.MAX_BARS
    labels = [t.text for t in root.findall(f"{SVG}text")]
    assert charts.OTHERS in labels
    # the "others" bar carries what was left out: 1 + 2 + … + 81
    assert f"{charts.OTHERS}: {charts.money(sum(range(1, 82)))}" in "".join(root.itertext())


def test_long_labels_are_cut_and_negative_values_drawn_as_zero() -> None:
    svg = charts.bar_chart([("x" * 500, -5.0), ("y", 3.0)], title="t")
    root = ET.fromstring(svg)
    assert max(len(t.text or "") for t in root.findall(f"{SVG}text")) <= charts.MAX_LABEL + 20
    widths = [float(r.get("width", "0")) for r in root.findall(f"{SVG}rect")]
    assert min(widths) == 0.0


def test_stacked_bars_cap_periods_and_series() -> None:
    periods = [f"p{i:03}" for i in range(50)]
    series = [(f"s{i}", [1.0] * 50) for i in range(20)]
    root = ET.fromstring(charts.stacked_bars(periods, series, title="t"))
    rects = [r for r in root.findall(f"{SVG}rect") if r.find(f"{SVG}title") is not None]
    assert len(rects) == charts.MAX_PERIODS * charts.MAX_SERIES
    assert "p049" in "".join(root.itertext()) and "p000" not in "".join(root.itertext())


def test_timeline_adds_up_a_day_and_keeps_the_latest_days() -> None:
    day = date(2025, 1, 1)
    svg = charts.timeline([(day, 10.0), (day, 5.0)], title="t")
    assert "2025-01-01: USD 15" in svg
    many = [(day + timedelta(days=i), 1.0) for i in range(charts.MAX_POINTS + 10)]
    root = ET.fromstring(charts.timeline(many, title="t"))
    assert len(root.findall(f"{SVG}circle")) == charts.MAX_POINTS


def test_flow_diagram_merges_corridors_and_caps_them() -> None:
    flows = [("TR", "IQ", 10.0), ("TR", "IQ", 5.0)] + [
        (f"A{i:02}", f"B{i:02}", 1.0) for i in range(40)
    ]
    root = ET.fromstring(charts.flow_diagram(flows, title="t"))
    bands = root.findall(f"{SVG}path")
    assert len(bands) == charts.MAX_FLOWS
    text = "".join(root.itertext())
    assert "TR → IQ: USD 15" in text and f"{charts.OTHERS} → {charts.OTHERS}" in text
