"""The screen pages (issue 14): one name with its explanation, clearing and escalating a hit
(CSRF-checked), batches with a progress bar and a CSV download; hostile names escaped."""

from __future__ import annotations

import csv
import io
import re
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from counterflow.api import create_app
from counterflow.cases.db import CaseStore
from counterflow.cases.users import add_user
from counterflow.cli.demo_cmd import sample_list_path
from counterflow.lists import store
from counterflow.screening.batch import RESULT_COLUMNS
from counterflow.settings import Settings
from counterflow.workspace import Workspace

from .conftest import ANALYST, sign_in

SCRIPT = "<script>alert(1)</script>"
IMG = "<img src=x onerror=alert(1)>"
HOSTILE = f"{SCRIPT} {IMG} EXAMPLE RELIEF FOUNDATION"
PASSWORD = "correct horse 1"


def hostile_edition(folder: Path) -> Path:
    """The sample list again, a later edition whose foundation is named with markup."""
    text = sample_list_path().read_text(encoding="utf-8")
    escaped = HOSTILE.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    text = text.replace(
        "<FIRST_NAME>EXAMPLE RELIEF FOUNDATION</FIRST_NAME>", f"<FIRST_NAME>{escaped}</FIRST_NAME>"
    )
    text = text.replace('dateGenerated="2026-01-15', 'dateGenerated="2026-02-01')
    path = folder / "sample_un_hostile.xml"
    path.write_text(text, encoding="utf-8")
    return path


def csrf_of(html: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', html)
    assert found, "no CSRF token on the page"
    return found.group(1)


@pytest.fixture
def ui(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[TestClient]:
    """A signed-in analyst's client over the sample list (two editions, the later hostile)."""
    monkeypatch.delenv("COUNTERFLOW_CASES_URL", raising=False)
    home = tmp_path / "home"
    home.mkdir()
    workspace = Workspace(home)
    store.import_list(workspace, sample_list_path())
    store.import_list(workspace, hostile_edition(tmp_path))
    settings = Settings.defaults(home).with_(reload_seconds=0)
    with CaseStore.open(settings, write=True) as cases:
        add_user(cases, "ana", "analyst", PASSWORD)
    app = create_app(Workspace(settings=settings), settings)
    with TestClient(app, base_url="https://testserver") as client:
        page = client.get("/ui/login")
        answer = client.post(
            "/ui/login",
            data={"username": "ana", "password": PASSWORD, "csrf": csrf_of(page.text)},
            follow_redirects=False,
        )
        assert answer.status_code == 303, answer.text
        yield client


def test_screen_page_shows_results_with_their_explanation(ui: TestClient) -> None:
    page = ui.get("/ui/screen", params={"q": "Fulan Allan al-Mithali", "schema": "Person"})
    assert page.status_code == 200
    assert "ZZi.001" in page.text
    assert "Query word" in page.text and "Similarity" in page.text  # aligned tokens
    assert "Clear as false positive" in page.text and "Escalate to a case" in page.text
    assert re.search(r"un-sc@2026-02-01|@2026-02-01", page.text)  # the edition


def test_screen_takes_facts_as_query_parameters(ui: TestClient) -> None:
    page = ui.get(
        "/ui/screen",
        params={"q": "Fulan Allan al-Mithali", "nationality": "Syria", "birth_date": "1970"},
    )
    assert page.status_code == 200
    assert "Evidence" in page.text
    assert "country" in page.text


def test_screen_without_a_name_shows_the_form_and_a_bad_name_says_why(ui: TestClient) -> None:
    page = ui.get("/ui/screen")
    assert page.status_code == 200 and 'name="q"' in page.text
    bad = ui.get("/ui/screen", params={"q": "!!!"})
    assert bad.status_code == 422 and "no letters or digits" in bad.text


def test_screen_needs_a_session(tmp_path: Path, ui: TestClient) -> None:
    ui.cookies.clear()
    answer = ui.get("/ui/screen?q=x", follow_redirects=False)
    assert answer.status_code == 303 and "/ui/login" in answer.headers["location"]


@pytest.mark.parametrize("payload", [SCRIPT, IMG])
def test_hostile_query_and_entry_are_escaped(ui: TestClient, payload: str) -> None:
    page = ui.get("/ui/screen", params={"q": f"{payload} EXAMPLE RELIEF FOUNDATION"})
    assert page.status_code == 200
    assert payload not in page.text
    assert "&lt;script&gt;" in page.text or "&lt;img" in page.text
    assert "ZZe.002" in page.text  # the hostile entry is found, and shown as text


def _hit_form(ui: TestClient, q: str) -> dict[str, str]:
    page = ui.get("/ui/screen", params={"q": q})
    found = re.search(r'name="entity_id" value="([^"]+)"', page.text)
    assert found
    return {"q": q, "entity_id": found.group(1), "csrf": csrf_of(page.text)}


def test_clear_a_hit_then_it_shows_cleared(ui: TestClient) -> None:
    form = _hit_form(ui, "Fulan Allan al-Mithali")
    answer = ui.post(
        "/ui/screen/clear",
        data={**form, "reason": "our customer, born 1990"},
        follow_redirects=False,
    )
    assert answer.status_code == 303, answer.text
    page = ui.get(answer.headers["location"])
    assert "cleared" in page.text and "our customer, born 1990" in page.text


def test_clear_without_csrf_is_refused_and_changes_nothing(ui: TestClient) -> None:
    form = _hit_form(ui, "Fulan Allan al-Mithali")
    del form["csrf"]
    answer = ui.post("/ui/screen/clear", data={**form, "reason": "no token"})
    assert answer.status_code == 403
    page = ui.get("/ui/screen", params={"q": "Fulan Allan al-Mithali"})
    assert "no token" not in page.text and 'badge low">cleared' not in page.text
    escalate = ui.post("/ui/screen/escalate", data=form)
    assert escalate.status_code == 403


def test_clear_needs_a_reason(ui: TestClient) -> None:
    form = _hit_form(ui, "Fulan Allan al-Mithali")
    answer = ui.post("/ui/screen/clear", data={**form, "reason": "  "})
    assert answer.status_code == 400


def test_escalate_opens_a_case(ui: TestClient) -> None:
    form = _hit_form(ui, "Fulan Allan al-Mithali")
    answer = ui.post("/ui/screen/escalate", data=form, follow_redirects=False)
    assert answer.status_code == 303, answer.text
    assert answer.headers["location"].startswith("/ui/cases/")


def _upload(ui: TestClient, name: str, text: str) -> object:
    page = ui.get("/ui/screen/batch")
    return ui.post(
        "/ui/screen/batch",
        data={"csrf": csrf_of(page.text)},
        files={"file": (name, text.encode("utf-8"), "text/csv")},
        follow_redirects=False,
    )


def _finished(ui: TestClient, url: str) -> str:
    for _ in range(100):
        status = ui.get(url + "/status")
        assert status.status_code == 200
        if status.headers.get("hx-refresh") == "true":
            break
        time.sleep(0.05)
    return ui.get(url).text


def test_batch_screens_a_file_with_progress_and_download(ui: TestClient) -> None:
    text = f"id,name,birth_date\nc1,Fulan Allan al-Mithali,\nc2,Jane Nobody,\nc3,{HOSTILE},\n"
    answer = _upload(ui, "customers.csv", text)
    assert answer.status_code == 303, getattr(answer, "text", "")
    url = answer.headers["location"]  # type: ignore[attr-defined]
    page = _finished(ui, url)
    assert "<progress" in page
    assert "ZZi.001" in page and "Download CSV" in page
    assert SCRIPT not in page and IMG not in page
    download = ui.get(url + "/results.csv")
    assert download.status_code == 200
    assert "attachment" in download.headers["content-disposition"]
    rows = list(csv.DictReader(io.StringIO(download.text)))
    assert list(rows[0]) == list(RESULT_COLUMNS)
    assert {r["query_id"] for r in rows} >= {"c1", "c3"}


def test_batch_is_its_owners_only(ui: TestClient) -> None:
    answer = _upload(ui, "customers.csv", "name\nFulan Allan al-Mithali\n")
    url = answer.headers["location"]  # type: ignore[attr-defined]
    assert ui.get("/ui/screen/batch/not-a-job").status_code == 404
    ui.cookies.clear()
    assert ui.get(url, follow_redirects=False).status_code == 303  # signed out: sign in first


def test_batch_bad_file_names_the_file_and_line(ui: TestClient) -> None:
    answer = _upload(ui, "broken.csv", "id,name\nc1,Someone,extra\n")
    assert answer.status_code == 422  # type: ignore[attr-defined]
    text = answer.text  # type: ignore[attr-defined]
    assert "broken.csv" in text and "line" in text
    no_name = _upload(ui, "noname.csv", "id,city\nc1,Paris\n")
    assert no_name.status_code == 422 and "noname.csv" in no_name.text  # type: ignore[attr-defined]


def test_batch_upload_without_csrf_is_refused(ui: TestClient) -> None:
    answer = ui.post("/ui/screen/batch", files={"file": ("c.csv", b"name\nX Y\n", "text/csv")})
    assert answer.status_code == 403
    assert "c.csv" not in ui.get("/ui/screen/batch").text


def test_batch_over_the_row_cap_is_refused(ui: TestClient, monkeypatch: pytest.MonkeyPatch) -> None:
    from counterflow.web import screen

    monkeypatch.setattr(screen, "MAX_BATCH_ROWS", 3)
    answer = _upload(ui, "big.csv", "name\n" + "".join(f"Person {i}\n" for i in range(5)))
    assert answer.status_code == 422  # type: ignore[attr-defined]
    assert "big.csv has more than 3 rows" in answer.text  # type: ignore[attr-defined]


# ---------------------------------------------------------------------------- real data


@pytest.mark.shared_data
def test_real_un_list_finds_qde137(
    tmp_path: Path, shared_data: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("COUNTERFLOW_CASES_URL", raising=False)
    home = tmp_path / "home"
    home.mkdir()
    store.import_list(Workspace(home), shared_data / "lists" / "un_sc" / "un_sc_2026-02-27.xml")
    settings = Settings.defaults(home).with_(reload_seconds=0)
    with CaseStore.open(settings, write=True) as cases:
        add_user(cases, "ana", "analyst", PASSWORD)
    app = create_app(Workspace(settings=settings), settings)
    with TestClient(app, base_url="https://testserver") as client:
        login = client.get("/ui/login")
        client.post(
            "/ui/login", data={"username": "ana", "password": PASSWORD, "csrf": csrf_of(login.text)}
        )
        page = client.get("/ui/screen", params={"q": "dzhebhat EN-Nusra"})
        assert page.status_code == 200
        assert "QDe.137" in page.text and "Query word" in page.text


# ---------------------------------------------------------------------------- browser


def test_browser_screen_dzhebhat_en_nusra(ui_page, ui_server: str) -> None:  # type: ignore[no-untyped-def]
    page = ui_page()
    sign_in(page, ui_server, *ANALYST)
    page.goto(f"{ui_server}/ui/screen")
    page.get_by_label("Name").fill("dzhebhat EN-Nusra")
    page.get_by_role("button", name="Screen", exact=True).click()
    page.wait_for_url("**/ui/screen?q=*")
    results = page.locator("table.screen-results")
    results.wait_for()
    assert "QDe.137" in results.inner_text()
    explanation = page.locator("details.explanation").first
    assert explanation.is_visible()
    assert "Query word" in explanation.inner_text()


def test_browser_batch_with_progress_bar(ui_page, ui_server: str, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    customers = tmp_path / "customers.csv"
    customers.write_text(
        "id,name\nc1,dzhebhat EN-Nusra\nc2,Jane Nobody\nc3,Aiman al-Zawahiri\n", encoding="utf-8"
    )
    page = ui_page(accept_downloads=True)
    sign_in(page, ui_server, *ANALYST)
    page.goto(f"{ui_server}/ui/screen/batch")
    page.set_input_files('input[name="file"]', str(customers))
    page.get_by_role("button", name="Screen the file").click()
    page.wait_for_url("**/ui/screen/batch/*")
    assert page.locator("progress").count() == 1
    link = page.get_by_role("link", name="Download CSV")
    link.wait_for(timeout=30_000)
    shown = page.locator("main").inner_text()
    assert "QDe.137" in shown, shown[:3000]
    assert page.locator("table.batch-results").count() == 1
    with page.expect_download() as info:
        link.click()
    saved = tmp_path / "results.csv"
    info.value.save_as(saved)
    header = saved.read_text(encoding="utf-8").splitlines()[0]
    assert header.split(",")[:3] == ["query_id", "rank", "score"]
