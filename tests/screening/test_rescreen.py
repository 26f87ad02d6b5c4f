"""Continuous re-screening: only what changed is screened, and the hits are screen's."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from counterflow.cases import DecisionStore
from counterflow.cli import main
from counterflow.errors import ConfigError, NotFoundError
from counterflow.lists.diff import diff_editions
from counterflow.lists.store import (
    active_editions,
    get_entity,
    import_list,
    iter_entities,
    resolve_edition,
)
from counterflow.screening import Query, Screener
from counterflow.screening.customers import import_customers, to_query
from counterflow.screening.rescreen import DEFAULT_LIMIT, rescreen
from counterflow.workspace import Workspace


def _person(
    entity_id: str, name: str, *aliases: str, born: str = "1970-01-01"
) -> dict[str, object]:
    return {
        "id": entity_id,
        "schema": "Person",
        "properties": {"name": [name], "alias": list(aliases), "birthDate": [born]},
    }


OLD = [
    _person("zz-1", "Viktor Petrovsky Example"),
    _person("zz-2", "Bertram Quellhorst"),
    _person("zz-3", "Carla Zumbrink"),
]
NEW = [
    _person("zz-1", "Viktor Petrovsky Example"),  # unchanged
    _person("zz-3", "Carla Zumbrink", "Karla Sumbrinck", born="1971-02-02"),  # changed
    _person("zz-4", "Dragomir Vukasinovic"),  # added; zz-2 removed
    {  # added, found through its passport whatever the name
        "id": "zz-5",
        "schema": "Person",
        "properties": {"name": ["Ilse Quandtmeyer"], "passportNumber": ["XZ998877"]},
    },
]
CUSTOMERS = [
    {"id": "c-viktor", "full_name": "Viktor Petrovsky Example"},
    {"id": "c-bertram", "full_name": "Bertram Quellhorst"},
    {"id": "c-carla", "full_name": "Carla Zumbrink"},
    {"id": "c-dragomir", "full_name": "Dragomir Vukasinovic", "date_of_birth": "1970-01-01"},
    {"id": "c-plain", "first_name": "Jean", "last_name": "Dupont"},
    {"id": "c-passport", "first_name": "Hannah", "last_name": "Smith", "id_number": "xz 998877"},
]


def _edition(path: Path, entities: list[dict[str, object]]) -> Path:
    path.write_text("".join(json.dumps(e) + "\n" for e in entities), encoding="utf-8")
    return path


def _customers(path: Path, rows: list[dict[str, str]]) -> Path:
    columns = ["id", "full_name", "first_name", "last_name", "date_of_birth", "id_number"]
    with path.open("w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, fieldnames=columns)
        writer.writeheader()
        writer.writerows(rows)
    return path


@pytest.fixture
def ws(tmp_path: Path, home: Path) -> Workspace:
    workspace = Workspace(home)
    import_list(workspace, _edition(tmp_path / "old.ftm.json", OLD), list_id="zz")
    import_customers(workspace, _customers(tmp_path / "customers.csv", CUSTOMERS))
    return workspace


def test_first_run_records_the_starting_point(ws: Workspace) -> None:
    report = rescreen(ws)
    assert [d.list_id for d in report.baselines] == ["zz"]
    assert report.screened_entries == () and report.hits == []
    with ws.connect(read_only=True) as conn:
        assert conn.execute("SELECT list_id FROM rescreen_state").fetchall() == [("zz",)]


def test_only_what_changed_is_screened(ws: Workspace, tmp_path: Path) -> None:
    rescreen(ws)  # the starting point: the old edition
    with ws.connect(read_only=True) as conn:
        old_edition = active_editions(conn)["zz"]
        carla_before = get_entity(conn, old_edition.edition_id, "zz:zz-3")
    assert carla_before is not None
    decisions = DecisionStore(ws.home)
    carla = to_query("c-carla", {"full_name": "Carla Zumbrink"})
    decisions.clear(
        carla, carla_before, edition=old_edition.label, analyst="A", actor="t", reason="born 1990"
    )
    import_list(ws, _edition(tmp_path / "new.ftm.json", NEW), list_id="zz")
    out = tmp_path / "hits.csv"
    report = rescreen(ws, decisions=decisions, output=out)
    assert sorted(report.screened_entries) == ["zz:zz-3", "zz:zz-4", "zz:zz-5"]
    assert report.removed_entries == ("zz:zz-2",)
    statuses = {(h.customer_id, h.entity_id): h.status for h in report.hits}
    assert statuses == {
        ("c-dragomir", "zz:zz-4"): "new",
        ("c-passport", "zz:zz-5"): "new",
        ("c-carla", "zz:zz-3"): "reraised",
        ("c-bertram", "zz:zz-2"): "lifted",
    }
    reraised = next(h for h in report.hits if h.status == "reraised")
    assert reraised.decision_id and reraised.change == "changed"
    with out.open(encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    assert {(r["status"], r["customer_id"], r["list_ref"]) for r in rows} == {
        ("new", "c-dragomir", "zz-4"),
        ("new", "c-passport", "zz-5"),
        ("reraised", "c-carla", "zz-3"),
        ("lifted", "c-bertram", "zz-2"),
    }
    with ws.connect(read_only=True) as conn:
        stored = conn.execute(
            "SELECT status, customer_id FROM rescreen_hits WHERE run_id = ? ORDER BY 2",
            [report.run_id],
        ).fetchall()
        assert stored == [
            ("lifted", "c-bertram"),
            ("reraised", "c-carla"),
            ("new", "c-dragomir"),
            ("new", "c-passport"),
        ]
    # nothing new since: nothing screened
    again = rescreen(ws)
    assert again.screened_entries == () and again.hits == []


def test_editions_can_be_named(ws: Workspace, tmp_path: Path) -> None:
    with ws.connect(read_only=True) as conn:
        old = active_editions(conn)["zz"].label
    import_list(ws, _edition(tmp_path / "new.ftm.json", NEW), list_id="zz")
    same = rescreen(ws, since=old, until=old)
    assert same.screened_entries == () and same.deltas[0].old == same.deltas[0].new
    named = rescreen(ws, since=old)  # no starting point remembered: --from gives one
    assert sorted(named.screened_entries) == ["zz:zz-3", "zz:zz-4", "zz:zz-5"]
    with pytest.raises(NotFoundError):
        rescreen(ws, since="1999-01-01")
    import_list(ws, _edition(tmp_path / "other.ftm.json", OLD), list_id="yy")
    with pytest.raises(ConfigError, match="one list"):
        rescreen(ws, since=old)


def test_needs_customers(home: Path, tmp_path: Path) -> None:
    workspace = Workspace(home)
    import_list(workspace, _edition(tmp_path / "old.ftm.json", OLD), list_id="zz")
    with pytest.raises(NotFoundError, match="no customers"):
        rescreen(workspace)


def test_cli(ws: Workspace, tmp_path: Path) -> None:
    runner = CliRunner()
    home = ["--home", str(ws.home)]
    result = runner.invoke(main, [*home, "rescreen"])
    assert result.exit_code == 0, result.output
    assert "starting point" in result.output
    import_list(ws, _edition(tmp_path / "new.ftm.json", NEW), list_id="zz")
    out = tmp_path / "hits.csv"
    result = runner.invoke(main, [*home, "rescreen", "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert "2 new" in result.output and "1 lifted" in result.output
    assert out.exists()


@pytest.mark.shared_data
def test_real_un_editions_match_a_full_screen(
    shared_data: Path, tmp_path: Path, home: Path
) -> None:
    """UN 2024-09-26 -> 2026-02-27: the added and changed entries are screened, nothing else,
    and the hits are exactly what a full screen of the same customers gives on them."""
    ws = Workspace(home)
    lists = shared_data / "lists" / "un_sc"
    import_list(ws, lists / "un_sc_2024-09-26.xml")
    import_list(ws, lists / "un_sc_2026-02-27.xml")
    rows: list[dict[str, str]] = []
    with (shared_data / "screening" / "positives_un_untreated.csv").open(encoding="utf-8") as f:
        rows += [{"id": f"p{n}", **r} for n, r in enumerate(csv.DictReader(f))]
    with (shared_data / "screening" / "negatives_us.csv").open(encoding="utf-8") as f:
        rows += [{"id": f"n{n}", **r} for n, r in zip(range(1500), csv.DictReader(f), strict=False)]
    path = tmp_path / "customers.csv"
    with path.open("w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    import_customers(ws, path)
    report = rescreen(ws, since="2024-09-26")

    with ws.connect(read_only=True) as conn:
        editions = active_editions(conn)
        old = resolve_edition(conn, "un-sc", "2024-09-26")
        diff = diff_editions(conn, old, editions["un-sc"])
        new_entities = list(iter_entities(conn, editions["un-sc"].edition_id))
        old_entities = list(iter_entities(conn, old.edition_id))
    assert (len(diff.added), len(diff.removed)) == (134, 6)
    changed = {c.entry.entity_id for c in diff.changed}
    screened = {e.entity_id for e in diff.added} | changed
    assert set(report.screened_entries) == screened  # nothing else
    assert len(report.screened_entries) == len(screened)

    def full(entities: list[object], entries: set[str]) -> dict[tuple[str, str], float]:
        screener = Screener(entities)  # type: ignore[arg-type]
        found = {}
        for row in rows:
            query = Query.from_record(row)
            for match in screener.screen(query, limit=DEFAULT_LIMIT):
                if match.entity.id in entries:
                    found[(str(query.id), match.entity.id)] = match.score
        return found

    expected = full(new_entities, screened)
    got = {(h.customer_id, h.entity_id): h.score for h in report.hits if h.status != "lifted"}
    assert expected and got == expected
    before = full(old_entities, {e.entity_id for e in diff.removed} | changed)
    lifted = {(h.customer_id, h.entity_id) for h in report.hits if h.status == "lifted"}
    assert lifted == set(before) - set(expected)


def test_customers_added_after_a_run_are_counted(ws: Workspace, tmp_path: Path) -> None:
    assert rescreen(ws).unscreened == 0
    more = _customers(tmp_path / "more.csv", [{"id": "c-new", "full_name": "Newly Joined"}])
    import_customers(ws, more)
    assert rescreen(ws).unscreened == 1
    assert rescreen(ws).unscreened == 0
