"""The README tour, the examples in docs/*.md and every ``--help`` example, run for real.

Each page runs in a sandbox laid out like a clone beside ``../shared`` (see runner.py); a page
fails when what one of its commands prints has drifted from what the page shows. The help
examples are only required to run (exit 0): their output is not shown anywhere to compare.
"""

from __future__ import annotations

import functools
import http.server
import re
import threading
from collections.abc import Iterator
from pathlib import Path

import click
import pytest

from counterflow.cli import main

from .runner import ROOT, Sandbox, free_port, read_page, run_page

pytestmark = [pytest.mark.slow, pytest.mark.shared_data]

PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
TESTED_PAGES = [p for p in PAGES if read_page(p).runnable]
UN_LATEST = "un_sc/un_sc_2026-02-27.xml"


@pytest.fixture
def mirror(tmp_path: Path, shared_data: Path) -> Iterator[str]:
    """A local stand-in for the official list URLs: serves the real UN file as the UN
    publishes it (``consolidated.xml``)."""
    folder = tmp_path / "mirror"
    folder.mkdir()
    (folder / "consolidated.xml").symlink_to(shared_data / "lists" / UN_LATEST)
    handler = functools.partial(_QuietHandler, directory=str(folder))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


def _sandbox(tmp_path: Path, shared_data: Path, mirror: str) -> Sandbox:
    sandbox = Sandbox(tmp_path, shared_data)
    sandbox.env["COUNTERFLOW_LIST_URL_UN_SC"] = f"{mirror}/consolidated.xml"
    sandbox.substitutions["https://mirror.internal"] = mirror
    return sandbox


def test_pages_with_examples_are_found() -> None:
    names = {p.name for p in TESTED_PAGES}
    assert {"README.md", "service.md", "tracing.md", "monitoring.md"} <= names


@pytest.mark.parametrize("page", TESTED_PAGES, ids=lambda p: p.name)
def test_page_examples_print_what_the_page_shows(
    page: Path, tmp_path: Path, shared_data: Path, mirror: str
) -> None:
    failures = run_page(read_page(page), _sandbox(tmp_path, shared_data, mirror))
    assert not failures, f"{len(failures)} example(s) of {page.name} drifted:\n\n" + "\n\n".join(
        str(f) for f in failures
    )


def help_examples() -> list[tuple[str, str]]:
    """(command path, example line) for every example in every command's --help."""
    found: list[tuple[str, str]] = []

    def visit(command: click.Command, path: str) -> None:
        found.extend((path, line) for line in _examples(command.help or ""))
        if isinstance(command, click.Group):
            for name, sub in sorted(command.commands.items()):
                if not sub.hidden:
                    visit(sub, f"{path} {name}")

    visit(main, "counterflow")
    return found


def _examples(help_text: str) -> list[str]:
    lines = help_text.splitlines()
    out: list[str] = []
    for index, line in enumerate(lines):
        if re.match(r"\s*Examples?:\s*$", line):
            for following in lines[index + 1 :]:
                if not following.strip():
                    break
                text = following.strip()
                if text.startswith("counterflow "):
                    out.append(text)
    return out


#: a workspace in which every example has something to act on: both UN editions, OFAC, a small
#: simulated world with its alerts, and one API key
SETUP = [
    "counterflow lists import ../shared/data/lists/un_sc/un_sc_2024-09-26.xml",
    "counterflow lists import ../shared/data/lists/un_sc/un_sc_2026-02-27.xml",
    "counterflow lists import ../shared/data/lists/ofac_sdn_2021",
    "counterflow simulate -o world --parties 2000 --days 90",
    "counterflow monitor --dataset world",
]


def test_every_command_has_an_example() -> None:
    with_examples = {path for path, _ in help_examples()}
    missing = []

    def visit(command: click.Command, path: str) -> None:
        if isinstance(command, click.Group):
            for name, sub in command.commands.items():
                if not sub.hidden:
                    visit(sub, f"{path} {name}")
        elif path not in with_examples:
            missing.append(path)

    visit(main, "counterflow")
    assert not missing, f"--help without an example: {missing}"


def test_help_examples_run(tmp_path: Path, shared_data: Path, mirror: str) -> None:
    sandbox = _sandbox(tmp_path, shared_data, mirror)
    sandbox.substitutions["8000"] = str(free_port())
    for command in SETUP:
        rc, output = sandbox.run(command)
        assert rc == 0, f"setup {command!r} failed:\n{output}"
    failures = []
    try:
        for path, example in help_examples():
            command = sandbox.substitute(example)
            if command.endswith("&"):  # a server: started, awaited, stopped
                output = sandbox.start(command[:-1].strip(), tmp_path / "serve.log", wait_for=1)
                if "Serving" not in output:
                    failures.append(f"{path}: {example}\n{output}")
                sandbox.stop()
                sandbox.background.clear()
                continue
            rc, output = sandbox.run(command)
            if rc != 0:
                failures.append(f"{path}: {example}\n  exited {rc}:\n{output}")
    finally:
        sandbox.stop()
    assert not failures, "--help examples that do not run:\n\n" + "\n\n".join(failures)
