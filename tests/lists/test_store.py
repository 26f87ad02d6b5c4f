from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from counterflow.cli.demo_cmd import sample_list_path
from counterflow.errors import ConfigError, DataError, NotFoundError, StoreError
from counterflow.lists import store
from counterflow.settings import Settings, default_home
from counterflow.workspace import SCHEMA_VERSION, Workspace


def _edition_text(date: str, extra_alias: str | None = None) -> str:
    text = sample_list_path().read_text(encoding="utf-8")
    text = text.replace('dateGenerated="2026-01-15T00:00:00.000Z"', f'dateGenerated="{date}"')
    if extra_alias:
        text = text.replace(
            "<ALIAS_NAME>Sample Brigade</ALIAS_NAME>",
            f"<ALIAS_NAME>Sample Brigade; {extra_alias}</ALIAS_NAME>",
        )
    return text


def _counts(ws: Workspace) -> tuple[int, int]:
    with ws.connect(read_only=True) as conn:
        editions = conn.execute("SELECT count(*) FROM editions").fetchone()
        entities = conn.execute("SELECT count(*) FROM entities").fetchone()
    assert editions and entities
    return int(editions[0]), int(entities[0])


def test_import_is_idempotent(home: Path) -> None:
    ws = Workspace(home)
    first = store.import_list(ws, sample_list_path())
    assert first.created and first.edition.edition_id == "un-sc@2026-01-15"
    assert first.edition.schema_counts == {"Organization": 2, "Person": 3}
    again = store.import_list(ws, sample_list_path())
    assert not again.created and again.edition.edition_id == first.edition.edition_id
    assert _counts(ws) == (1, 5)


def test_newest_edition_is_active_unless_pinned(home: Path, tmp_path: Path) -> None:
    ws = Workspace(home)
    newer = tmp_path / "newer.xml"
    newer.write_text(_edition_text("2026-03-01T00:00:00Z", "Sample Battalion"), encoding="utf-8")
    store.import_list(ws, newer)
    store.import_list(ws, sample_list_path())  # older edition imported later
    with ws.connect() as conn:
        assert store.active_editions(conn)["un-sc"].label == "2026-03-01"
        pinned = store.pin_edition(conn, "un-sc", "2026-01")
        assert pinned.label == "2026-01-15"
        assert store.active_editions(conn)["un-sc"].label == "2026-01-15"
        found = store.find_entities(conn, "zze.001")
        assert [e.get("previousName") for _, e in found] == [["Sample Brigade"]]
        store.unpin(conn, "un-sc")
        found = store.find_entities(conn, "un-sc:ZZe.001")
        assert found[0][1].get("previousName") == ["Sample Brigade", "Sample Battalion"]
        first = store.first_seen(conn, "un-sc:ZZe.001")
        assert first is not None and first.label == "2026-01-15"
        with pytest.raises(NotFoundError, match="has no edition '1999'"):
            store.resolve_edition(conn, "un-sc", "1999")
        with pytest.raises(NotFoundError, match="no list 'eu'"):
            store.resolve_edition(conn, "eu")


def test_same_date_different_content_gets_its_own_edition(home: Path, tmp_path: Path) -> None:
    ws = Workspace(home)
    store.import_list(ws, sample_list_path())
    other = tmp_path / "same-date.xml"
    other.write_text(_edition_text("2026-01-15T00:00:00.000Z", "Sample Unit"), encoding="utf-8")
    result = store.import_list(ws, other)
    assert result.created and result.edition.edition_id.startswith("un-sc@2026-01-15+")


def test_an_exact_label_wins_over_a_prefix(home: Path, tmp_path: Path) -> None:
    """A corrected file with the same date, imported twice over: each edition can still be
    pinned by its exact label, and a prefix that fits several names only those."""
    ws = Workspace(home)
    older = tmp_path / "older.xml"
    older.write_text(_edition_text("2025-12-01T00:00:00Z"), encoding="utf-8")
    store.import_list(ws, older)
    original = store.import_list(ws, sample_list_path()).edition
    labels = [original.label]
    for number, alias in enumerate(("Sample Unit", "Sample Cell"), start=1):
        corrected = tmp_path / f"corrected-{number}.xml"
        corrected.write_text(_edition_text("2026-01-15T00:00:00.000Z", alias), encoding="utf-8")
        for _ in range(2):  # importing the same correction again changes nothing
            result = store.import_list(ws, corrected)
        assert not result.created
        labels.append(result.edition.label)
    assert labels[0] == "2026-01-15"
    assert all(label.startswith("2026-01-15+") for label in labels[1:])
    assert len(set(labels)) == 3 and _counts(ws)[0] == 4
    with ws.connect() as conn:
        for label in labels:
            assert store.pin_edition(conn, "un-sc", label).label == label
            assert store.active_editions(conn)["un-sc"].label == label
        by_id = store.resolve_edition(conn, "un-sc", original.edition_id)
        assert by_id.edition_id == "un-sc@2026-01-15"
        with pytest.raises(NotFoundError, match="ambiguous") as caught:
            store.resolve_edition(conn, "un-sc", "2026-01")
        listed = str(caught.value).split("fits ", 1)[1]
        assert all(label in listed for label in labels) and "2025-12-01" not in listed
        assert store.resolve_edition(conn, "un-sc", "2025").label == "2025-12-01"


@pytest.mark.parametrize(
    ("damage", "message"),
    [
        (lambda t: t[: len(t) * 2 // 3], "malformed XML"),
        (lambda t: t.replace("ZZe.002", "ZZe.001"), "duplicate reference"),
        (lambda t: "", "the file is empty"),
    ],
)
def test_failed_import_leaves_previous_edition_active(
    home: Path, tmp_path: Path, damage, message: str
) -> None:
    ws = Workspace(home)
    store.import_list(ws, sample_list_path())
    bad = tmp_path / "bad.xml"
    bad.write_text(damage(_edition_text("2026-05-01T00:00:00Z")), encoding="utf-8")
    with pytest.raises(DataError, match=message):
        store.import_list(ws, bad, fmt="un-xml")
    assert _counts(ws) == (1, 5)
    with ws.connect(read_only=True) as conn:
        assert store.active_editions(conn)["un-sc"].label == "2026-01-15"


def test_file_of_unknown_format_is_named(home: Path, tmp_path: Path) -> None:
    path = tmp_path / "notes.txt"
    path.write_text("hello\n", encoding="utf-8")
    with pytest.raises(DataError, match=r"notes\.txt: unrecognised list format"):
        store.import_list(Workspace(home), path)


def test_entities_read_back_in_reference_order(home: Path) -> None:
    ws = Workspace(home)
    edition = store.import_list(ws, sample_list_path()).edition
    with ws.connect(read_only=True) as conn:
        refs = [e.ref for e in store.iter_entities(conn, edition.edition_id)]
    assert refs == sorted(refs) and len(refs) == 5


def test_reading_an_empty_workspace_creates_nothing(home: Path) -> None:
    ws = Workspace(home / "never")
    with ws.connect(read_only=True) as conn:
        assert store.active_editions(conn) == {}
    assert not ws.db_path.exists()


def test_schema_version_is_recorded_and_newer_databases_refused(home: Path) -> None:
    ws = Workspace(home)
    with ws.connect() as conn:
        row = conn.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
        assert row == (str(SCHEMA_VERSION),)
    conn = duckdb.connect(str(ws.db_path))
    conn.execute("UPDATE meta SET value = '999' WHERE key = 'schema_version'")
    conn.close()
    with pytest.raises(StoreError, match="newer counterflow"), ws.connect():
        pass
    with pytest.raises(StoreError, match="newer counterflow"), ws.connect(read_only=True):
        pass


def test_home_comes_from_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """$COUNTERFLOW_HOME is read once, into the settings; a workspace takes its home from the
    settings it is given, never from the environment behind their back."""
    monkeypatch.setenv("COUNTERFLOW_HOME", str(tmp_path / "envhome"))
    settings = Settings.from_env()
    assert settings.home == tmp_path / "envhome"
    assert Workspace(settings=settings).home == tmp_path / "envhome"
    # an explicit home wins over the settings' one, and keeps the other settings
    explicit = Workspace(tmp_path / "explicit", settings=settings)
    assert explicit.home == tmp_path / "explicit"
    assert explicit.settings.memory_limit == settings.memory_limit
    # without settings: the built-in ones, whatever the environment says
    assert Workspace().home == Settings.defaults().home == default_home()
    assert Workspace().home != tmp_path / "envhome"
    assert Workspace(None).settings == Settings.defaults()
    assert Workspace(tmp_path / "explicit").home == tmp_path / "explicit"


def test_entries_can_be_filed_under_another_list(home: Path) -> None:
    ws = Workspace(home)
    result = store.import_list(ws, sample_list_path(), list_id="national-x")
    assert result.edition.edition_id == "national-x@2026-01-15"
    with ws.connect(read_only=True) as conn:
        (found,) = store.find_entities(conn, "ZZe.001")
    assert found[1].id == "national-x:ZZe.001" and found[1].list_id == "national-x"
    with pytest.raises(ConfigError, match="list id 'Bad Id!'"):
        store.import_list(ws, sample_list_path(), list_id="Bad Id!")
