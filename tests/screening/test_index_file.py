"""The persisted screening index: written when the active editions change, loaded instead of a
build, ignored and rebuilt whenever it is stale, damaged or from another matcher, and never a
reason for a different answer."""

from __future__ import annotations

import csv
import json
import logging
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from counterflow.api.state import ScreenerHolder
from counterflow.cli import main
from counterflow.cli.demo_cmd import sample_list_path
from counterflow.lists import store
from counterflow.lists.registry import detect
from counterflow.screening import Query, Screener, index_file
from counterflow.screening import screener as screener_module
from counterflow.workspace import Workspace

QUERIES = (
    "Jabhet al-Misal",
    "جبهة المثال",
    "Иван Примеров",
    "Mokhammed Abdel Misal",
    "Fulan Allan al-Mithali",
    "Example Relief Foundation",
    "John Smith",
)


def run(home: Path, *args: str) -> Result:
    result = CliRunner().invoke(main, ["--home", str(home), *args], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result


@pytest.fixture
def builds(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Counts the builds (name analyses) from here on: a load from the index makes none."""
    counted: list[int] = []
    analyse = screener_module._analyse

    def counting(*args: object, **kwargs: object) -> object:
        counted.append(1)
        return analyse(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(screener_module, "_analyse", counting)
    return counted


def _header(home: Path) -> dict[str, object]:
    data = (home / index_file.INDEX_FILENAME).read_bytes()
    assert data.startswith(index_file.MAGIC)
    line = data[len(index_file.MAGIC) : data.index(b"\n", len(index_file.MAGIC))]
    header: dict[str, object] = json.loads(line)
    return header


def _answers(screener: Screener, queries: Iterator[Query] | tuple[Query, ...]) -> list[object]:
    """Everything a result shows, for comparing two screeners."""
    return [
        [
            (m.entity.id, m.score, m.matched_name, m.matched_property, m.summary())
            for m in screener.screen(query, limit=10, threshold=0.5)
        ]
        for query in queries
    ]


def _second_edition(tmp_path: Path) -> Path:
    """The sample list as published later, with one name changed."""
    text = sample_list_path().read_text(encoding="utf-8")
    text = text.replace('dateGenerated="2026-01-15', 'dateGenerated="2026-03-01', 1)
    text = text.replace("<FIRST_NAME>IVAN</FIRST_NAME>", "<FIRST_NAME>IGOR</FIRST_NAME>", 1)
    path = tmp_path / "sample_2026-03-01.xml"
    path.write_text(text, encoding="utf-8")
    return path


def test_import_writes_the_index_and_screening_loads_it(home: Path, builds: list[int]) -> None:
    run(home, "lists", "import", str(sample_list_path()))
    path = home / index_file.INDEX_FILENAME
    assert path.is_file()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    header = _header(home)
    assert header["format"] == index_file.FORMAT_VERSION
    assert header["editions"] == {"un-sc": "un-sc@2026-01-15"}
    assert header["stamp"] == index_file.matcher_stamp()
    assert len(builds) == 1  # built once, at the import

    loaded = Screener.from_workspace(Workspace(home))
    assert len(builds) == 1  # loaded, not built
    assert loaded.built_from["un-sc"].edition_id == "un-sc@2026-01-15"
    assert loaded.editions == {"un-sc": "2026-01-15"}
    entities = list(detect(sample_list_path()).parse(sample_list_path()).entities)
    built = Screener(entities, editions={"un-sc": "2026-01-15"})
    queries = tuple(Query.make(q) for q in QUERIES)
    assert _answers(loaded, queries) == _answers(built, queries)
    # entries are decoded on demand, and the same as the list's
    match = loaded.screen(Query.make("Jabhet al-Misal"), limit=1)[0]
    assert match.entity.to_json() == built.entity(match.entity.id).to_json()  # type: ignore[union-attr]
    assert loaded.stats == built.stats


def test_rebuilt_after_a_new_edition_a_pin_and_an_unpin(
    home: Path, tmp_path: Path, builds: list[int]
) -> None:
    run(home, "lists", "import", str(sample_list_path()))
    run(home, "lists", "import", str(_second_edition(tmp_path)))
    assert _header(home)["editions"] == {"un-sc": "un-sc@2026-03-01"}
    assert len(builds) == 2
    names = {
        m.matched_name
        for m in Screener.from_workspace(Workspace(home)).screen(
            Query.make("Igor Primerov"), limit=3
        )
    }
    assert len(builds) == 2 and any("IGOR" in n.upper() for n in names)

    run(home, "lists", "pin", "un-sc", "2026-01-15")
    assert _header(home)["editions"] == {"un-sc": "un-sc@2026-01-15"}
    run(home, "lists", "pin", "un-sc", "2026-01-15")  # nothing changed: nothing rebuilt
    assert len(builds) == 3
    pinned = Screener.from_workspace(Workspace(home))
    assert pinned.editions == {"un-sc": "2026-01-15"} and len(builds) == 3
    assert "IVAN" in pinned.screen(Query.make("Ivan Primerov"), limit=1)[0].matched_name.upper()

    run(home, "lists", "unpin", "un-sc")
    assert _header(home)["editions"] == {"un-sc": "un-sc@2026-03-01"}
    assert len(builds) == 4


def test_an_index_of_other_editions_is_not_used(home: Path, builds: list[int]) -> None:
    """Editions imported by a program (no CLI hook): the first screen builds and saves."""
    workspace = Workspace(home)
    store.import_list(workspace, sample_list_path())
    Screener.from_workspace(workspace)
    assert len(builds) == 1 and _header(home)["editions"] == {"un-sc": "un-sc@2026-01-15"}
    store.import_list(workspace, sample_list_path(), list_id="other")
    both = Screener.from_workspace(workspace)
    assert len(builds) == 2 and both.stats.by_list == {"other": 5, "un-sc": 5}
    Screener.from_workspace(workspace)
    assert len(builds) == 2


def test_another_matcher_ignores_the_index(
    home: Path, builds: list[int], monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    workspace = Workspace(home)
    store.import_list(workspace, sample_list_path())
    Screener.from_workspace(workspace)
    monkeypatch.setattr(index_file, "matcher_stamp", lambda: "another matcher")
    with caplog.at_level(logging.WARNING, "counterflow.screening"):
        Screener.from_workspace(workspace)
    assert len(builds) == 2
    assert "another version of the matcher" in caplog.text
    assert _header(home)["stamp"] == "another matcher"  # saved again by the running one
    Screener.from_workspace(workspace)
    assert len(builds) == 2


def test_the_stamp_covers_the_matcher_code() -> None:
    sources = set(index_file._MATCHER_SOURCES)
    for module in ("names", "phonetic", "transliterate", "vocabulary", "compare", "screener"):
        assert f"screening/{module}.py" in sources
    assert len(index_file.matcher_stamp()) == 64


def _damage_truncated(data: bytes) -> bytes:
    return data[: len(data) // 2]


def _damage_flipped(data: bytes) -> bytes:
    at = len(data) - 1000
    return data[:at] + bytes([data[at] ^ 0xFF]) + data[at + 1 :]


def _damage_header(data: bytes) -> bytes:
    return index_file.MAGIC + b'{"format": 1, "editions": \n' + data[200:]


def _damage_garbage(data: bytes) -> bytes:
    return b"\x00\x01 not an index at all"


def _damage_empty(data: bytes) -> bytes:
    return b""


@pytest.mark.parametrize(
    "damage",
    [_damage_truncated, _damage_flipped, _damage_header, _damage_garbage, _damage_empty],
)
def test_a_damaged_index_is_rebuilt_with_a_warning(
    home: Path, builds: list[int], caplog: pytest.LogCaptureFixture, damage: object
) -> None:
    workspace = Workspace(home)
    store.import_list(workspace, sample_list_path())
    good = Screener.from_workspace(workspace)
    path = home / index_file.INDEX_FILENAME
    path.write_bytes(damage(path.read_bytes()))  # type: ignore[operator]
    with caplog.at_level(logging.WARNING, "counterflow.screening"):
        again = Screener.from_workspace(workspace)
    assert len(builds) == 2
    assert "rebuilding" in caplog.text
    queries = tuple(Query.make(q) for q in QUERIES)
    assert _answers(again, queries) == _answers(good, queries)
    Screener.from_workspace(workspace)  # and the rebuilt one was saved
    assert len(builds) == 2


def test_a_payload_that_does_not_fit_is_rebuilt(
    home: Path, builds: list[int], caplog: pytest.LogCaptureFixture
) -> None:
    """A file with a valid checksum but the wrong shape (only a changed writer could make one)."""
    workspace = Workspace(home)
    store.import_list(workspace, sample_list_path())
    Screener.from_workspace(workspace)
    index_file.write_index(home, {"un-sc": "un-sc@2026-01-15"}, ("not", "the", "layout"))
    with caplog.at_level(logging.WARNING, "counterflow.screening"):
        screener = Screener.from_workspace(workspace)
    assert len(builds) == 2 and len(screener) == 5
    assert "does not fit together" in caplog.text


def test_an_unwritable_index_is_kept_in_memory(home: Path, builds: list[int]) -> None:
    workspace = Workspace(home)
    store.import_list(workspace, sample_list_path())
    (home / index_file.INDEX_FILENAME).mkdir()  # the name is taken: the write must fail
    screener = Screener.from_workspace(workspace)
    assert len(screener) == 5 and len(builds) == 1
    assert screener.screen(Query.make("Jabhet al-Misal"), limit=1)
    Screener.from_workspace(workspace)
    assert len(builds) == 2  # nothing saved, so built again, and no failure either time


def test_an_empty_workspace_writes_nothing(home: Path) -> None:
    screener = Screener.from_workspace(Workspace(home / "nothing"))
    assert len(screener) == 0
    assert not (home / "nothing").exists()


def test_narrowing_is_the_same_as_building_over_those_lists(home: Path, builds: list[int]) -> None:
    workspace = Workspace(home)
    store.import_list(workspace, sample_list_path())
    store.import_list(workspace, sample_list_path(), list_id="other")
    Screener.from_workspace(workspace)
    assert len(builds) == 1
    narrowed = Screener.from_workspace(workspace, ["other"], threshold=0.6)
    assert len(builds) == 1  # narrowed from the loaded index, not built
    entities = list(detect(sample_list_path()).parse(sample_list_path()).entities)
    alone = Screener([e.moved_to("other") for e in entities], editions={"other": "2026-01-15"})
    queries = tuple(Query.make(q) for q in QUERIES)
    assert _answers(narrowed, queries) == _answers(alone, queries)
    assert narrowed.editions == {"other": "2026-01-15"} and narrowed.threshold == 0.6
    assert set(narrowed.built_from) == {"other"}
    assert narrowed.stats.by_list == {"other": 5}


def test_the_service_loads_the_index(home: Path, tmp_path: Path, builds: list[int]) -> None:
    run(home, "lists", "import", str(sample_list_path()))
    assert len(builds) == 1
    holder = ScreenerHolder(Workspace(home))
    assert holder.reload() is True
    assert len(builds) == 1  # loaded from the file the import wrote
    assert holder.state.edition_labels() == {"un-sc": "2026-01-15"}
    assert holder.state.screener.screen(Query.make("Jabhet al-Misal"), limit=1)
    assert holder.reload() is False
    run(home, "lists", "import", str(_second_edition(tmp_path)))
    assert len(builds) == 2
    assert holder.reload() is True
    assert len(builds) == 2  # the import rebuilt it; the service only loaded it
    assert holder.state.edition_labels() == {"un-sc": "2026-03-01"}


def _queries(shared: Path, count: int) -> list[Query]:
    path = shared / "screening/positives_un_untreated.csv"
    with open(path, encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    step = max(1, len(rows) // count)
    queries = []
    for row in rows[::step][:count]:
        queries.append(
            Query.make(
                row["full_name"],
                birth_date=row["date_of_birth"] or None,
                country=row["nationality"] or None,
            )
        )
    return queries


@pytest.mark.shared_data
@pytest.mark.slow
def test_real_lists_answer_alike_with_and_without_the_index(
    shared_data: Path, home: Path, builds: list[int]
) -> None:
    lists = shared_data / "lists"
    workspace = Workspace(home)
    store.import_list(workspace, lists / "un_sc/un_sc_2026-02-27.xml")
    store.import_list(workspace, lists / "eu_fsf_sample_2018/EUSanctionsShort.csv")
    store.import_list(workspace, lists / "ofac_nonsdn_2025", list_id="ofac-cons")
    built = Screener.from_workspace(workspace)  # builds and saves
    loaded = Screener.from_workspace(workspace)
    assert len(builds) == 1
    with workspace.connect(read_only=True) as conn:
        editions, entities = store.active_entities(conn)
    fresh = Screener(entities, editions={k: e.label for k, e in editions.items()})
    queries = _queries(shared_data, 300)
    expected = _answers(fresh, queries)
    assert sum(1 for found in expected if found) > 250  # the queries do find their entries
    assert _answers(loaded, queries) == expected
    assert _answers(built, queries) == expected

    before = len(builds)  # the fresh screener above was a build
    narrowed = Screener.from_workspace(workspace, ["un-sc"])
    assert len(builds) == before
    un = [e for e in entities if e.list_id == "un-sc"]
    alone = Screener(un, editions={"un-sc": editions["un-sc"].label})
    assert _answers(narrowed, queries[:100]) == _answers(alone, queries[:100])
