"""The lists pages (issue 14): editions with the active one marked, the diff of two editions,
one entry with every name and listing; hostile names escaped."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from counterflow.api import create_app
from counterflow.cases.db import CaseStore
from counterflow.cases.users import add_user
from counterflow.lists import store
from counterflow.settings import Settings
from counterflow.workspace import Workspace

from .test_screen_pages import IMG, PASSWORD, SCRIPT, csrf_of, ui

__all__ = ["ui"]  # the fixture, shared with the screen pages' tests


def test_lists_page_marks_the_active_edition(ui: TestClient) -> None:
    page = ui.get("/ui/lists")
    assert page.status_code == 200
    assert "un-sc" in page.text
    assert "2026-01-15" in page.text and "2026-02-01" in page.text
    assert page.text.count('class="badge high">active') == 1
    assert "/ui/lists/diff?list=un-sc&amp;from=2026-01-15&amp;to=2026-02-01" in page.text


def test_diff_shows_the_changed_entry_escaped(ui: TestClient) -> None:
    page = ui.get(
        "/ui/lists/diff", params={"list": "un-sc", "from": "2026-01-15", "to": "2026-02-01"}
    )
    assert page.status_code == 200
    assert "ZZe.002" in page.text
    assert SCRIPT not in page.text and IMG not in page.text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page.text
    for kind in ("added", "removed"):
        other = ui.get(
            "/ui/lists/diff",
            params={"list": "un-sc", "from": "2026-01-15", "to": "2026-02-01", "show": kind},
        )
        assert other.status_code == 200


def test_diff_defaults_to_the_two_newest_and_refuses_unknowns(ui: TestClient) -> None:
    page = ui.get("/ui/lists/diff", params={"list": "un-sc"})
    assert page.status_code == 200 and "2026-01-15 to 2026-02-01" in page.text
    assert ui.get("/ui/lists/diff", params={"list": "nope"}).status_code == 404
    bad = ui.get("/ui/lists/diff", params={"list": "un-sc", "from": SCRIPT})
    assert bad.status_code == 404 and SCRIPT not in bad.text


def test_entry_page_has_every_name_and_fact(ui: TestClient) -> None:
    page = ui.get("/ui/lists/entry/un-sc:ZZi.001")
    assert page.status_code == 200
    assert "فلان بن علان المثالي" in page.text  # the name in its original script
    assert "Foulane Alane el-Mithaly" in page.text
    assert "1970-01-01" in page.text and "Countries" in page.text
    assert "active" in page.text


def test_entry_page_escapes_a_hostile_name_and_shows_old_editions(ui: TestClient) -> None:
    page = ui.get("/ui/lists/entry/un-sc:ZZe.002")
    assert page.status_code == 200
    assert SCRIPT not in page.text and IMG not in page.text
    assert "&lt;img src=x onerror=alert(1)&gt;" in page.text
    old = ui.get("/ui/lists/entry/un-sc:ZZe.002", params={"edition": "2026-01-15"})
    assert old.status_code == 200 and "not the active edition" in old.text
    assert SCRIPT not in old.text
    assert ui.get("/ui/lists/entry/un-sc:nothing").status_code == 404


@pytest.mark.shared_data
def test_real_un_editions_diff_and_entry(
    tmp_path: Path, shared_data: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("COUNTERFLOW_CASES_URL", raising=False)
    home = tmp_path / "home"
    home.mkdir()
    for name in ("un_sc_2024-09-26.xml", "un_sc_2026-02-27.xml"):
        store.import_list(Workspace(home), shared_data / "lists" / "un_sc" / name)
    settings = Settings.defaults(home).with_(reload_seconds=0)
    with CaseStore.open(settings, write=True) as cases:
        add_user(cases, "ana", "analyst", PASSWORD)
    app = create_app(Workspace(settings=settings), settings)
    with TestClient(app, base_url="https://testserver") as client:
        login = client.get("/ui/login")
        client.post(
            "/ui/login", data={"username": "ana", "password": PASSWORD, "csrf": csrf_of(login.text)}
        )
        assert "2024-09-26" in client.get("/ui/lists").text
        diff = client.get("/ui/lists/diff", params={"list": "un-sc"})
        assert diff.status_code == 200 and "2024-09-26 to 2026-02-27" in diff.text
        entry = client.get("/ui/lists/entry/un-sc:QDe.137")
        assert entry.status_code == 200
        assert "QDe.137" in entry.text and "Nusra" in entry.text
