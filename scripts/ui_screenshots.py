"""Screenshots of every page of the analyst's web UI at 1280x800, for docs/ui.md.

Builds a workspace (both real UN editions when ../shared/data is there, else the shipped sample
list; a small simulated world and its alerts; an analyst and a reviewer), serves it on a
loopback port, signs in with Debian's Chromium through Playwright, opens a case from the
top alert and walks the pages. Run it again after changing a page:

    .venv/bin/python scripts/ui_screenshots.py            # writes docs/ui/*.png
"""

from __future__ import annotations

import argparse
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "data"
CHROMIUM = "/usr/bin/chromium"
PASSWORD = "correct horse 1"


def _cli(home: Path, *args: str, stdin: str | None = None) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "counterflow", "--home", str(home), *args],
        input=stdin,
        capture_output=True,
        text=True,
        env={k: v for k, v in os.environ.items() if k != "COUNTERFLOW_CASES_URL"},
        check=False,
    )
    if done.returncode != 0:
        raise SystemExit(f"counterflow {' '.join(args)} failed:\n{done.stdout}{done.stderr}")
    return done.stdout


def build(home: Path) -> None:
    editions = sorted((SHARED / "lists" / "un_sc").glob("un_sc_*.xml"))
    if editions:
        for edition in editions:
            _cli(home, "lists", "import", str(edition))
    else:
        sample = ROOT / "src" / "counterflow" / "data" / "sample_un.xml"
        _cli(home, "lists", "import", str(sample))
    _cli(home, "simulate", "-o", str(home.parent / "world"), "--parties", "2000", "--days", "60")
    _cli(home, "monitor")
    _cli(home, "keys", "create", "--role", "screen", "--name", "screenshots")
    _cli(home, "users", "add", "ana", "--role", "analyst", "--password-stdin", stdin=PASSWORD)
    _cli(home, "users", "add", "rev", "--role", "reviewer", "--password-stdin", stdin=PASSWORD)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def serve(home: Path) -> tuple[subprocess.Popen[bytes], str]:
    port = _free_port()
    profile = ROOT / "tests" / "fixtures" / "reporting" / "fiu-generic.toml"
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "counterflow",
            "--home",
            str(home),
            "serve",
            "--port",
            str(port),
            "--fiu-profile",
            str(profile),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    for _ in range(300):
        try:
            with urllib.request.urlopen(f"{base}/readyz", timeout=1):
                return server, base
        except OSError:
            time.sleep(0.2)
    server.terminate()
    raise SystemExit("the server did not start")


def shoot(base: str, out: Path) -> list[Path]:
    from playwright.sync_api import sync_playwright

    made: list[Path] = []
    args = ["--no-sandbox"] if os.geteuid() == 0 else []
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=args)
        context = browser.new_context(
            viewport={"width": 1280, "height": 800}, timezone_id="Asia/Amman", locale="en-GB"
        )
        page = context.new_page()

        def snap(name: str) -> None:
            page.wait_for_load_state("networkidle")
            path = out / f"{name}.png"
            page.screenshot(path=str(path))
            made.append(path)

        page.goto(f"{base}/ui/login")
        snap("login")
        page.fill("input[name=username]", "ana")
        page.fill("input[name=password]", PASSWORD)
        page.click("button[type=submit]")
        page.wait_for_url(f"{base}/ui/")
        snap("dashboard")
        page.goto(f"{base}/ui/screen?q=dzhebhat%20EN-Nusra")
        snap("screen")
        page.goto(f"{base}/ui/alerts?status=open")
        snap("alerts")
        first_alert = page.locator("a[href^='/ui/alerts/A-']").first
        if first_alert.count():
            first_alert.click()
            snap("alert")
        party = page.locator("a[href^='/ui/parties/']").first
        if party.count():
            party.click()
            page.wait_for_timeout(1500)  # the graph lays itself out
            snap("party")
            page.locator("#party-graph").scroll_into_view_if_needed()
            page.wait_for_timeout(500)
            snap("party-graph")
        page.goto(f"{base}/ui/cases?view=team")
        snap("cases")
        case = page.locator("a[href^='/ui/cases/C-']").first
        if case.count():
            case.click()
            snap("case")
        page.goto(f"{base}/ui/lists")
        snap("lists")
        page.goto(f"{base}/ui/lists/entry/un-sc:QDe.137")
        snap("list-entry")
        browser.close()
    return made


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "ui")
    options = parser.parse_args()
    options.out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        home = Path(tmp) / "home"
        build(home)
        # a case to show: the top open alert's, opened as the analyst
        _cli(
            home,
            "--user",
            "ana",
            "cases",
            "open",
            "--password-stdin",
            "--alert",
            _top_alert(home),
            "--title",
            "Screenshots: the top alert",
            stdin=PASSWORD,
        )
        server, base = serve(home)
        try:
            for path in shoot(base, options.out):
                shown = path.relative_to(ROOT) if path.is_relative_to(ROOT) else path
                sys.stdout.write(f"wrote {shown}\n")
        finally:
            server.terminate()
            server.wait(timeout=10)


def _top_alert(home: Path) -> str:
    import json

    listed = json.loads(_cli(home, "alerts", "--status", "open", "--limit", "1", "--json"))
    rows = listed["alerts"] if isinstance(listed, dict) else listed
    return str(rows[0]["alert_id"])


if __name__ == "__main__":
    main()
