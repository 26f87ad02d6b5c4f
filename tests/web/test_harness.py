"""The browser-test harness itself, against what the server has today: the local API docs page
loads in Chromium without a console error or a request off this machine, and the recorder of
non-loopback requests does catch one."""

from __future__ import annotations

import pytest

from .conftest import LOOPBACK_HOSTS, UiPages, is_loopback


def test_the_docs_page_loads_offline(ui_server: str, ui_page: UiPages) -> None:
    page = ui_page()
    page.goto(f"{ui_server}/docs")
    # Swagger UI has fetched /openapi.json and drawn the operations
    page.wait_for_selector(".opblock", timeout=15_000)
    assert "/match/{dataset}" in page.inner_text("#swagger-ui")
    page.wait_for_load_state("networkidle")
    # the page's time zone and locale are the harness's, not the machine's
    zone = page.evaluate("Intl.DateTimeFormat().resolvedOptions().timeZone")
    assert zone == "Asia/Amman"
    assert page.viewport_size == {"width": 1280, "height": 800}


def test_a_request_off_the_machine_is_caught_and_aborted(ui_page: UiPages) -> None:
    page = ui_page()
    page.set_content('<img id="x" src="http://example.invalid/x.png">')
    page.wait_for_function("document.getElementById('x').complete")
    assert page.evaluate("document.getElementById('x').naturalWidth") == 0  # never loaded
    assert ui_page.problems.outside_requests == ["http://example.invalid/x.png"]
    with pytest.raises(AssertionError, match=r"non-loopback host: http://example\.invalid/x"):
        ui_page.check()
    assert ui_page.problems.all() == []  # check() forgets what it reported: teardown passes


def test_console_and_page_errors_are_caught(ui_page: UiPages) -> None:
    page = ui_page()
    page.set_content("<script>console.error('spilled'); setTimeout(() => null.x, 0)</script>")
    page.wait_for_timeout(100)
    found = "\n".join(ui_page.problems.all())
    assert "console error: spilled" in found
    assert "page error:" in found
    ui_page.problems.clear()


@pytest.mark.parametrize(
    ("url", "local"),
    [
        ("http://127.0.0.1:8000/ui/", True),
        ("http://localhost/x", True),
        ("http://[::1]:9/", True),
        ("data:image/png;base64,AA==", True),
        ("https://cdn.jsdelivr.net/npm/htmx.org", False),
        ("wss://example.com/socket", False),
        ("http://127.0.0.2/", False),
    ],
)
def test_what_counts_as_loopback(url: str, local: bool) -> None:
    assert is_loopback(url) is local
    assert "127.0.0.1" in LOOPBACK_HOSTS
