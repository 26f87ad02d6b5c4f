from __future__ import annotations

from pathlib import Path

from counterflow.cli.demo_cmd import sample_list_path
from counterflow.lists import store
from counterflow.lists.diff import diff_editions
from counterflow.workspace import Workspace


def _import_pair(ws: Workspace, tmp_path: Path, change) -> None:
    text = sample_list_path().read_text(encoding="utf-8")
    newer = change(text).replace("2026-01-15T00:00:00.000Z", "2026-02-01T00:00:00.000Z")
    path = tmp_path / "newer.xml"
    path.write_text(newer, encoding="utf-8")
    store.import_list(ws, sample_list_path())
    store.import_list(ws, path)


def test_whitespace_and_line_breaks_are_not_changes(home: Path, tmp_path: Path) -> None:
    ws = Workspace(home)
    _import_pair(
        ws,
        tmp_path,
        lambda t: t.replace(
            "A fictitious armed group used to demonstrate counterflow.",
            "A fictitious armed group used\n          to demonstrate   counterflow.",
        ).replace("<FIRST_NAME>IVAN</FIRST_NAME>", "<FIRST_NAME>  IVAN </FIRST_NAME>"),
    )
    with ws.connect(read_only=True) as conn:
        result = diff_editions(
            conn,
            store.resolve_edition(conn, "un-sc", "2026-01-15"),
            store.resolve_edition(conn, "un-sc", "2026-02-01"),
        )
    assert (result.added, result.removed, result.changed) == ([], [], [])


def test_added_removed_and_changed_fields(home: Path, tmp_path: Path) -> None:
    ws = Workspace(home)

    def change(text: str) -> str:
        text = text.replace(
            "<FIRST_NAME>EXAMPLE RELIEF FOUNDATION</FIRST_NAME>",
            "<FIRST_NAME>EXAMPLE RELIEF AND AID FOUNDATION</FIRST_NAME>",
        )
        start = text.index("<INDIVIDUAL>", text.index("ZZi.002") - 400)
        end = text.index("</INDIVIDUAL>", start) + len("</INDIVIDUAL>")
        removed = text[:start] + text[end:]
        return removed.replace("ZZi.003", "ZZi.004")

    _import_pair(ws, tmp_path, change)
    with ws.connect(read_only=True) as conn:
        result = diff_editions(
            conn,
            store.resolve_edition(conn, "un-sc", "2026-01"),
            store.resolve_edition(conn, "un-sc", "latest"),
        )
    assert [e.ref for e in result.added] == ["ZZi.004"]
    assert sorted(e.ref for e in result.removed) == ["ZZi.002", "ZZi.003"]
    assert [c.entry.ref for c in result.changed] == ["ZZe.002"]
    name = result.changed[0].field("name")
    assert name is not None
    assert name.removed == ("EXAMPLE RELIEF FOUNDATION",)
    assert name.added == ("EXAMPLE RELIEF AND AID FOUNDATION",)
    as_json = result.to_json()
    assert as_json["changed"][0]["old_caption"] == "EXAMPLE RELIEF FOUNDATION"


def test_un_editions_2024_to_2026(shared_data: Path, home: Path) -> None:
    ws = Workspace(home)
    for name in ("un_sc_2024-09-26.xml", "un_sc_2026-02-27.xml"):
        store.import_list(ws, shared_data / "lists/un_sc" / name)
    with ws.connect(read_only=True) as conn:
        result = diff_editions(
            conn,
            store.resolve_edition(conn, "un-sc", "2024-09-26"),
            store.resolve_edition(conn, "un-sc", "2026-02-27"),
        )
    assert len(result.added) == 134
    assert sorted(e.ref for e in result.removed) == [
        "IQi.074",
        "LYi.020",
        "QDi.095",
        "QDi.317",
        "QDi.328",
        "QDi.336",
    ]
    changed = {c.entry.ref: c for c in result.changed}
    name_fields = ("name", "alias", "weakAlias", "previousName")

    def names(ref: str) -> tuple[set[str], set[str]]:
        fields = [f for f in changed[ref].fields if f.prop in name_fields]
        return ({v for f in fields for v in f.removed}, {v for f in fields for v in f.added})

    assert names("QDi.278")[0] >= {"MUTHANNA HARITH AL-DARI"}
    assert names("QDi.278")[1] >= {"MUTHANNA HARITH SALMAN AL-DARI"}
    assert names("QDi.282") == ({"Abu Hurayah al-Sana'ai"}, {"ABU HURAYRAH AL-SANA'AI"})
    assert names("QDi.355") == ({"Abou Fares al Libi"}, {"ABOU FARAI AL LIBI"})
    assert names("IQi.085")[1] == {"BASHAR AL-NASIRI"}
    assert "ABU UMAR" in names("QDi.337")[1]
    # re-wrapped comments alone never make an entry "changed"
    for change in result.changed:
        for field in change.fields:
            assert {" ".join(v.split()) for v in field.removed} != {
                " ".join(v.split()) for v in field.added
            }
