"""The cases pages of the web UI (issue 14): the queue, a case opened from an alert of a small
simulated world, worked through comments, assignment and a proposal, approved by a reviewer
under the four-eyes rule (the proposer is offered no approve button and a forged approval is
refused by the library and changes nothing), the goAML file that validates against the real
schema, the printable report, CSRF refusals, and a hostile comment shown as text. One browser
test walks the journey in Chromium."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from click.testing import CliRunner
from fastapi.testclient import TestClient
from lxml import etree

from counterflow.api import create_app
from counterflow.cases.db import CaseStore
from counterflow.cases.lifecycle import get_case, list_cases
from counterflow.cases.users import add_user
from counterflow.cli import main
from counterflow.settings import Settings
from counterflow.workspace import Workspace

from .conftest import ANALYST, FIU_PROFILE, REVIEWER, UiPages, sign_in

if TYPE_CHECKING:
    from playwright.sync_api import Page

#: a second reviewer: one who proposes, to meet the four-eyes rule as a reviewer
OTHER_REVIEWER = ("rob", "correct horse 3")
HOSTILE = "<script>alert(1)</script><img src=x onerror=alert(1)>"
_CSRF = re.compile(r'name="csrf" value="([^"]+)"')


def _cli(home: Path, *args: str) -> None:
    result = CliRunner().invoke(main, ["--home", str(home), *args], catch_exceptions=False)
    assert result.exit_code == 0, result.output


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A small simulated world and its alerts (as tests/api/test_case_journey.py makes it)."""
    home = tmp_path_factory.mktemp("cases-ui") / "home"
    with pytest.MonkeyPatch.context() as mp:
        mp.delenv("COUNTERFLOW_CASES_URL", raising=False)
        _cli(
            home, "simulate", "-o", str(home.parent / "world"), "--parties", "2000", "--days", "60"
        )
        _cli(home, "monitor")
    return home


@pytest.fixture
def settings(world: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Settings:
    """The world with a fresh SQLite case store of its own and the users ana, rev and rob."""
    url = f"sqlite:///{tmp_path / 'cases.sqlite'}"
    monkeypatch.setenv("COUNTERFLOW_CASES_URL", url)
    found = Settings.defaults(world).with_(reload_seconds=0, fiu_profile=FIU_PROFILE, cases_url=url)
    with CaseStore.open(found, write=True) as store:
        add_user(store, ANALYST[0], "analyst", ANALYST[1])
        add_user(store, REVIEWER[0], "reviewer", REVIEWER[1])
        add_user(store, OTHER_REVIEWER[0], "reviewer", OTHER_REVIEWER[1])
    return found


@pytest.fixture
def app_clients(settings: Settings) -> Iterator[Clients]:
    app = create_app(Workspace(settings=settings), settings)
    with (
        TestClient(app, base_url="https://testserver") as ana,
        TestClient(app, base_url="https://testserver") as rev,
        TestClient(app, base_url="https://testserver") as rob,
    ):
        yield Clients(
            _signed_in(ana, *ANALYST), _signed_in(rev, *REVIEWER), _signed_in(rob, *OTHER_REVIEWER)
        )


class Clients:
    def __init__(self, ana: TestClient, rev: TestClient, rob: TestClient) -> None:
        self.ana, self.rev, self.rob = ana, rev, rob


def _signed_in(client: TestClient, user: str, password: str) -> TestClient:
    page = client.get("/ui/login")
    token = _token(page.text)
    done = client.post(
        "/ui/login",
        data={"username": user, "password": password, "csrf": token},
        follow_redirects=False,
    )
    assert done.status_code == 303, done.text
    return client


def _token(html: str) -> str:
    found = _CSRF.search(html)
    assert found is not None, html[:500]
    return found.group(1)


def _alerts(settings: Settings, count: int = 1) -> list[str]:
    with Workspace(settings=settings).connect(read_only=True) as conn:
        rows = conn.execute(
            "SELECT alert_id FROM alerts ORDER BY score DESC, alert_id LIMIT ?", [count]
        ).fetchall()
    return [str(r[0]) for r in rows]


def _open(client: TestClient, alert_id: str) -> str:
    token = _token(client.get("/ui/cases").text)
    made = client.post(
        "/ui/cases/open", data={"alert_id": alert_id, "csrf": token}, follow_redirects=False
    )
    assert made.status_code == 303, made.text
    location = made.headers["location"]
    assert re.fullmatch(r"/ui/cases/C-\d{6}", location), location
    return location.rsplit("/", 1)[1]


def _post(client: TestClient, case_id: str, action: str, **fields: str) -> object:
    page = client.get(f"/ui/cases/{case_id}")
    fields.setdefault("csrf", _token(page.text))
    return client.post(f"/ui/cases/{case_id}/{action}", data=fields, follow_redirects=False)


def _store_case(settings: Settings, case_id: str):  # type: ignore[no-untyped-def]
    with CaseStore.open(settings, write=False) as store:
        return get_case(store, case_id)


@pytest.mark.slow
@pytest.mark.shared_data
def test_the_case_journey(settings: Settings, app_clients: Clients, shared_data: Path) -> None:
    ana, rev = app_clients.ana, app_clients.rev
    (alert,) = _alerts(settings)
    case_id = _open(ana, alert)

    page = ana.get(f"/ui/cases/{case_id}")
    assert page.status_code == 200
    assert "new" in page.text and alert in page.text
    assert "Transactions" in page.text and "Parties" in page.text  # frozen evidence shown

    said = _post(ana, case_id, "comment", text="three listed payees")
    assert said.status_code == 303  # type: ignore[attr-defined]
    given = _post(ana, case_id, "assign", user="ana")
    assert given.status_code == 303  # type: ignore[attr-defined]
    proposed = _post(ana, case_id, "propose", decision="report", reason="funds to listed parties")
    assert proposed.status_code == 303  # type: ignore[attr-defined]

    page = ana.get(f"/ui/cases/{case_id}")
    assert 'id="approve"' not in page.text and "/approve" not in page.text
    assert "Approve is not offered to you" in page.text and "four-eyes rule" in page.text
    assert "three listed payees" in page.text  # the timeline
    forged = _post(ana, case_id, "approve", comment="me, myself")
    assert forged.status_code == 403  # type: ignore[attr-defined]
    assert _store_case(settings, case_id).case.status == "proposed"

    early = ana.get(f"/ui/cases/{case_id}/goaml.xml")
    assert early.status_code == 409 and "proposed" in early.text

    page = rev.get(f"/ui/cases/{case_id}")
    assert 'id="approve"' in page.text
    approved = _post(rev, case_id, "approve", comment="file it")
    assert approved.status_code == 303  # type: ignore[attr-defined]
    view = _store_case(settings, case_id)
    assert view.case.status == "approved" and view.case.approved_by == "rev"
    assert [e.kind for e in view.events] == [
        "opened",
        "comment",
        "assigned",
        "proposed",
        "approved",
    ]

    xml = ana.get(f"/ui/cases/{case_id}/goaml.xml")
    assert xml.status_code == 200, xml.text
    assert xml.headers["content-type"].startswith("application/xml")
    assert xml.headers["content-disposition"] == f'attachment; filename="goaml-{case_id}.xml"'
    schema = etree.XMLSchema(etree.parse(str(shared_data / "goaml" / "goAMLSchema_5.0.1.xsd")))
    root = etree.fromstring(xml.content)
    assert schema.validate(root), schema.error_log

    report = ana.get(f"/ui/cases/{case_id}/report")
    assert report.status_code == 200 and case_id in report.text
    assert report.headers["content-disposition"].startswith("inline;")
    assert "default-src 'none'" in report.headers["content-security-policy"]


@pytest.mark.slow
def test_the_four_eyes_rule_for_a_reviewer_who_proposed(
    settings: Settings, app_clients: Clients
) -> None:
    rob, rev = app_clients.rob, app_clients.rev
    (alert,) = _alerts(settings)
    case_id = _open(rob, alert)
    _post(rob, case_id, "propose", decision="no-report", reason="a known trade route")

    page = rob.get(f"/ui/cases/{case_id}")
    assert 'id="approve"' not in page.text
    assert "rob made this proposal and may not approve it" in page.text
    assert "/return" in page.text  # a reviewer may still return it
    forged = _post(rob, case_id, "approve")
    assert forged.status_code == 403  # type: ignore[attr-defined]
    assert "four-eyes rule" in forged.text  # type: ignore[attr-defined]
    assert _store_case(settings, case_id).case.status == "proposed"

    returned = _post(rev, case_id, "return", reason="look at the second payee")
    assert returned.status_code == 303  # type: ignore[attr-defined]
    assert _store_case(settings, case_id).case.status == "investigating"


@pytest.mark.slow
def test_a_form_without_its_token_is_refused_and_changes_nothing(
    settings: Settings, app_clients: Clients
) -> None:
    ana = app_clients.ana
    (alert,) = _alerts(settings)
    refused = ana.post("/ui/cases/open", data={"alert_id": alert}, follow_redirects=False)
    assert refused.status_code == 403
    with CaseStore.open(settings, write=False) as store:
        assert list_cases(store) == []
    wrong = ana.post(
        "/ui/cases/open", data={"alert_id": alert, "csrf": "x" * 43}, follow_redirects=False
    )
    assert wrong.status_code == 403

    case_id = _open(ana, alert)
    before = _store_case(settings, case_id)
    for action, fields in (
        ("comment", {"text": "sneaky"}),
        ("assign", {"user": "ana"}),
        ("propose", {"decision": "report", "reason": "forged"}),
    ):
        answer = ana.post(f"/ui/cases/{case_id}/{action}", data=fields, follow_redirects=False)
        assert answer.status_code == 403, (action, answer.text)
    assert _store_case(settings, case_id) == before


@pytest.mark.slow
def test_a_hostile_comment_is_text(settings: Settings, app_clients: Clients) -> None:
    ana = app_clients.ana
    (alert,) = _alerts(settings)
    case_id = _open(ana, alert)
    _post(ana, case_id, "comment", text=HOSTILE)
    page = ana.get(f"/ui/cases/{case_id}")
    assert HOSTILE not in page.text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;&lt;img src=x onerror=alert(1)&gt;" in page.text
    assert "<img src=x" not in page.text and "<script>alert" not in page.text


@pytest.mark.slow
def test_the_queue_views_sorting_and_paging(settings: Settings, app_clients: Clients) -> None:
    ana, rev = app_clients.ana, app_clients.rev
    alerts = _alerts(settings, 3)
    opened = [_open(ana, a) for a in alerts]
    _post(ana, opened[0], "assign", user="ana")
    _post(ana, opened[1], "assign", user="rev")

    mine = ana.get("/ui/cases", params={"view": "mine"}).text
    assert opened[0] in mine and opened[1] not in mine and opened[2] not in mine
    theirs = rev.get("/ui/cases", params={"view": "mine"}).text
    assert opened[1] in theirs and opened[0] not in theirs
    team = ana.get("/ui/cases", params={"view": "team"}).text
    assert all(c in team for c in opened)
    assert "No cases in this view" in ana.get("/ui/cases", params={"view": "overdue"}).text
    only_new = ana.get("/ui/cases", params={"view": "all", "status": "new"}).text
    assert opened[2] in only_new and opened[0] not in only_new

    first = ana.get("/ui/cases", params={"view": "all", "size": 2}).text
    assert "1–2 of 3" in first and 'rel="next"' in first
    second = ana.get("/ui/cases", params={"view": "all", "size": 2, "page": 2}).text
    assert "3–3 of 3" in second and 'rel="prev"' in second
    ascending = re.findall(r">(C-\d{6})</a>", ana.get("/ui/cases?view=all").text)
    descending = re.findall(r">(C-\d{6})</a>", ana.get("/ui/cases?view=all&sort=-due").text)
    assert ascending == list(reversed(descending)) and len(ascending) == 3
    assert ana.get("/ui/cases", params={"size": 10_000}).status_code == 422  # bounded
    assert ana.get("/ui/cases/C-999999").status_code == 404


def test_the_cases_pages_need_a_session(tmp_path: Path) -> None:
    settings = Settings.defaults(tmp_path / "home").with_(reload_seconds=0)
    with TestClient(
        create_app(Workspace(settings=settings), settings), base_url="https://testserver"
    ) as client:
        found = client.get("/ui/cases?view=mine", follow_redirects=False)
        assert found.status_code == 303
        assert found.headers["location"].startswith("/ui/login?next=/ui/cases")
        posted = client.post("/ui/cases/open", data={"alert_id": "A-1"}, follow_redirects=False)
        assert posted.status_code == 303


# ---------------------------------------------------------------------------- the browser


def _case_page(page: Page, base: str, alert: str) -> str:
    page.goto(f"{base}/ui/cases")
    page.get_by_label("Alert id").fill(alert)
    page.get_by_role("button", name="Open case").click()
    page.wait_for_url(re.compile(r".*/ui/cases/C-\d{6}$"))
    return page.url.rsplit("/", 1)[1]


def test_the_case_journey_in_a_browser(ui_home: Path, ui_server: str, ui_page: UiPages) -> None:
    with Workspace(settings=Settings.defaults(ui_home)).connect(read_only=True) as conn:
        (alert,) = conn.execute("SELECT alert_id FROM alerts ORDER BY alert_id LIMIT 1").fetchone()

    analyst = ui_page()
    sign_in(analyst, ui_server, *ANALYST)
    dialogs: list[str] = []
    analyst.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    case_id = _case_page(analyst, ui_server, str(alert))
    analyst.locator("#c-text").fill(HOSTILE)
    analyst.get_by_role("button", name="Add comment").click()
    analyst.wait_for_load_state()
    assert analyst.locator(".event-comment .case-comment").inner_text() == HOSTILE
    assert analyst.locator("img[src=x]").count() == 0 and dialogs == []
    analyst.get_by_label("Propose").select_option("report")
    analyst.get_by_label("Reason").fill("funds routed to listed parties")
    analyst.get_by_role("button", name="Propose for approval").click()
    analyst.wait_for_load_state()
    assert analyst.locator("#case-status").inner_text() == "proposed"
    assert analyst.get_by_role("button", name="Approve").count() == 0
    assert "four-eyes rule" in analyst.locator("#no-approve").inner_text()

    reviewer = ui_page(accept_downloads=True)
    sign_in(reviewer, ui_server, *REVIEWER)
    reviewer.goto(f"{ui_server}/ui/cases/{case_id}")
    reviewer.get_by_role("button", name="Approve").click()
    reviewer.wait_for_load_state()
    assert reviewer.locator("#case-status").inner_text() == "approved"
    with reviewer.expect_download() as info:
        reviewer.locator("#goaml").click()
    download = info.value
    assert download.suggested_filename == f"goaml-{case_id}.xml"
    saved = Path(download.path())
    root = etree.fromstring(saved.read_bytes())
    assert etree.QName(root).localname == "report"
