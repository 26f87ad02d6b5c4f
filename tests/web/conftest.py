"""The browser-test harness for the analyst's web UI (issue 14).

Playwright for Python drives Debian's ``chromium`` (``/usr/bin/chromium``, installed by
``.ci/run`` with apt-get); ``playwright install`` is never run. Tests that use the ``browser``
fixture are marked ``browser`` (and ``slow`` when they need the simulated world). Without
Chromium or Playwright they skip, saying why, unless COUNTERFLOW_REQUIRE_BROWSER=1 (as .ci/run
sets), which fails them instead.

Every page opened through :func:`ui_page` records console errors, uncaught page errors and
requests to any host other than the loopback ones (those are aborted, so nothing leaves the
machine); the test fails at teardown when there were any, listing them.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import pytest
from click.testing import CliRunner

from api.serving import serving
from counterflow.cli import main

if TYPE_CHECKING:
    from playwright.sync_api import (
        Browser,
        BrowserContext,
        ConsoleMessage,
        Page,
        Route,
        WebSocket,
    )

REQUIRE_BROWSER_ENV = "COUNTERFLOW_REQUIRE_BROWSER"
CHROMIUM = Path("/usr/bin/chromium")
#: the hosts a page may talk to: the test server's, never the internet's
LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})
#: schemes that leave the page over the network (data:, blob:, about: do not)
NETWORK_SCHEMES = frozenset({"http", "https", "ws", "wss", "ftp"})

VIEWPORT = {"width": 1280, "height": 800}
#: not UTC, so a page that prints UTC times as local ones (or the reverse) shows
TIMEZONE = "Asia/Amman"
LOCALE = "en-GB"

#: the case store's users the UI tests sign in as: (name, password)
ANALYST = ("ana", "correct horse 1")
REVIEWER = ("rev", "correct horse 2")
#: the real UN list, older edition first (so the lists pages have two editions to compare)
UN_EDITIONS = ("un_sc_2024-09-26.xml", "un_sc_2026-02-27.xml")
FIU_PROFILE = Path(__file__).resolve().parents[1] / "fixtures" / "reporting" / "fiu-generic.toml"
WORLD_PARTIES, WORLD_DAYS = 2000, 60


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark every test that drives the browser ``browser``; those needing the simulated world
    (``ui_home``, ``ui_server``) are ``slow`` too."""
    here = Path(__file__).parent
    for item in items:
        if not item.path.is_relative_to(here):
            continue
        names = getattr(item, "fixturenames", ())
        if "browser" in names:
            item.add_marker(pytest.mark.browser)
        if "ui_home" in names:
            item.add_marker(pytest.mark.slow)


def _browser_problem() -> str | None:
    """Why the browser tests cannot run here, or None."""
    if not CHROMIUM.exists():
        return f"Chromium is not installed at {CHROMIUM} (Debian: apt-get install chromium)"
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "playwright is not installed (pip install -e '.[dev]'; never 'playwright install')"
    return None


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    """Debian's Chromium, headless, for the session (no sandbox when running as root, as CI
    does: Chromium refuses its sandbox there)."""
    problem = _browser_problem()
    if problem:
        if os.environ.get(REQUIRE_BROWSER_ENV) == "1":
            pytest.fail(f"{problem}, but {REQUIRE_BROWSER_ENV}=1 makes the browser tests mandatory")
        pytest.skip(problem)
    from playwright.sync_api import sync_playwright

    args = ["--no-sandbox"] if os.geteuid() == 0 else []
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=args
        )
        try:
            yield launched
        finally:
            launched.close()


def is_loopback(url: str) -> bool:
    """True for a URL that stays on this machine (or does not use the network at all)."""
    parts = urlsplit(url)
    if parts.scheme.lower() not in NETWORK_SCHEMES:
        return True
    return (parts.hostname or "").lower() in LOOPBACK_HOSTS


@dataclass
class PageProblems:
    """What went wrong in the pages of one test: console errors, uncaught errors, and the
    requests to non-loopback hosts (aborted)."""

    console_errors: list[str] = field(default_factory=list)
    page_errors: list[str] = field(default_factory=list)
    outside_requests: list[str] = field(default_factory=list)

    def all(self) -> list[str]:
        return (
            [f"console error: {m}" for m in self.console_errors]
            + [f"page error: {m}" for m in self.page_errors]
            + [f"request to a non-loopback host: {u}" for u in self.outside_requests]
        )

    def clear(self) -> None:
        self.console_errors.clear()
        self.page_errors.clear()
        self.outside_requests.clear()


class UiPages:
    """Opens pages, each in a browser context of its own (its own cookies, so two users can be
    signed in at once) at 1280×800, in Asia/Amman time and the en-GB locale, and records
    what went wrong in any of them in :attr:`problems`."""

    def __init__(self, browser: Browser) -> None:
        self.browser = browser
        self.problems = PageProblems()
        self.contexts: list[BrowserContext] = []

    def __call__(self, **options: Any) -> Page:
        """A new page in a new context; ``options`` go to ``browser.new_context`` on top of
        the defaults (for example ``accept_downloads=True`` or another ``timezone_id``)."""
        settings: dict[str, Any] = {
            "viewport": VIEWPORT,
            "timezone_id": TIMEZONE,
            "locale": LOCALE,
            "service_workers": "block",  # so every request goes through the route below
            **options,
        }
        context = self.browser.new_context(**settings)
        self.contexts.append(context)
        context.route("**/*", self._route)
        page = context.new_page()
        self.watch(page)
        context.on("page", self.watch)  # pop-ups and new tabs too
        return page

    def watch(self, page: Page) -> None:
        page.on("console", self._console)
        page.on("pageerror", lambda error: self.problems.page_errors.append(f"{page.url}: {error}"))
        page.on("websocket", self._websocket)

    def _console(self, message: ConsoleMessage) -> None:
        if message.type == "error":
            where = message.location.get("url") or "?"
            self.problems.console_errors.append(f"{message.text} (at {where})")

    def _route(self, route: Route) -> None:
        url = route.request.url
        if is_loopback(url):
            route.continue_()
            return
        self.problems.outside_requests.append(url)
        route.abort("blockedbyclient")

    def _websocket(self, socket: WebSocket) -> None:
        if not is_loopback(socket.url):
            self.problems.outside_requests.append(socket.url)

    def settle(self) -> None:
        """Let events still on their way (a console error logged after the test's last step)
        arrive: the sync API delivers them only while it waits."""
        for context in self.contexts:
            for page in context.pages:
                page.wait_for_timeout(100)
                return

    def check(self) -> None:
        """Fail listing every problem recorded (and forget them)."""
        found = self.problems.all()
        self.problems.clear()
        assert not found, "the pages had problems:\n  " + "\n  ".join(found)

    def close(self) -> None:
        for context in self.contexts:
            context.close()
        self.contexts.clear()


@pytest.fixture
def ui_page(browser: Browser) -> Iterator[UiPages]:
    """A factory of watched pages: ``page = ui_page()``. At teardown the test fails if any of
    its pages logged a console error, threw, or asked for a non-loopback URL."""
    pages = UiPages(browser)
    try:
        yield pages
        pages.settle()
        pages.check()
    finally:
        pages.close()


def _cli(home: Path, *args: str, input: str | None = None) -> str:
    result = CliRunner().invoke(
        main, ["--home", str(home), *args], input=input, catch_exceptions=False
    )
    assert result.exit_code == 0, result.output
    return result.stdout


@pytest.fixture(scope="module")
def ui_home(tmp_path_factory: pytest.TempPathFactory, shared_data: Path) -> Iterator[Path]:
    """A workspace for the UI: the real UN list (two editions, so "dzhebhat EN-Nusra" finds
    QDe.137 and the lists pages have a diff), a small simulated world whose listed payees
    imitate it, its alerts, a screen-only API key (``serve`` wants one), and the users
    ``ana`` (analyst) and ``rev`` (reviewer) with the passwords of :data:`ANALYST` and
    :data:`REVIEWER`. The case store is SQLite in the workspace: COUNTERFLOW_CASES_URL is unset
    while the module runs."""
    home = tmp_path_factory.mktemp("ui") / "home"
    with pytest.MonkeyPatch.context() as mp:
        mp.delenv("COUNTERFLOW_CASES_URL", raising=False)
        for name in UN_EDITIONS:
            _cli(home, "lists", "import", str(shared_data / "lists" / "un_sc" / name))
        _cli(
            home,
            "simulate",
            "-o",
            str(home.parent / "world"),
            "--parties",
            str(WORLD_PARTIES),
            "--days",
            str(WORLD_DAYS),
        )
        _cli(home, "monitor")
        _cli(home, "keys", "create", "--role", "screen", "--name", "ui-tests")
        for (name, password), role in ((ANALYST, "analyst"), (REVIEWER, "reviewer")):
            _cli(home, "users", "add", name, "--role", role, "--password-stdin", input=password)
        yield home


@pytest.fixture(scope="module")
def ui_server(ui_home: Path) -> Iterator[str]:
    """``counterflow serve`` over :func:`ui_home` on a free loopback port, with the FIU profile
    of the reporting tests (for the goAML download) and a look for new editions every second;
    its base URL (``http://127.0.0.1:PORT``, no trailing slash)."""
    with pytest.MonkeyPatch.context() as mp:
        mp.delenv("COUNTERFLOW_CASES_URL", raising=False)
        with serving(ui_home, "--fiu-profile", str(FIU_PROFILE), "--reload-seconds", "1") as base:
            yield base


def sign_in(page: Page, base: str, username: str, password: str) -> None:
    """Sign in through the UI's login form (``/ui/login``: fields named ``username`` and
    ``password``, a submit button) and wait to leave the login page."""
    login = f"{base}/ui/login"
    page.goto(login)
    page.locator('input[name="username"]').fill(username)
    page.locator('input[name="password"]').fill(password)
    page.locator('form button[type="submit"], form input[type="submit"]').first.click()
    page.wait_for_url(lambda url: urlsplit(url).path.rstrip("/") != "/ui/login")
