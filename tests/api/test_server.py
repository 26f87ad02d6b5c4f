"""The real server on loopback: ``counterflow serve`` in a subprocess, queried over HTTP while
another process imports a new list edition."""

from __future__ import annotations

import subprocess
import threading
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from counterflow.api.keys import KeyStore, Role
from counterflow.cases import AuditLog, verify
from counterflow.cli import main
from counterflow.cli.demo_cmd import sample_list_path
from counterflow.lists import store
from counterflow.workspace import Workspace

from .serving import counterflow_command, post, serving


def test_serve_answers_match_over_http_with_a_key(home: Path) -> None:
    store.import_list(Workspace(home), sample_list_path())
    _, key = KeyStore(home).create("tests", Role.SCREEN)
    body = {"queries": {"q": {"schema": "Organization", "properties": {"name": ["جبهة المثال"]}}}}
    with serving(home) as base:
        status, data = post(f"{base}/match/default", body, key)
        assert status == 200
        assert data["responses"]["q"]["results"][0]["id"] == "un-sc:ZZe.001"
        status, data = post(f"{base}/match/default", body, None)
        assert status == 401 and "API key" in data["detail"]
    result = verify(AuditLog.for_home(home))
    assert result.ok and result.records == 2  # the answer and the refusal


def test_serve_refuses_to_start_unsafely(home: Path) -> None:
    runner = CliRunner()
    no_keys = runner.invoke(main, ["--home", str(home), "serve"])
    assert no_keys.exit_code == 1 and "no API keys" in no_keys.output
    assert "--open" in no_keys.output
    wide_open = runner.invoke(main, ["--home", str(home), "serve", "--open", "--host", "0.0.0.0"])
    assert wide_open.exit_code == 2 and "loopback only" in wide_open.output


@pytest.mark.shared_data
def test_a_new_edition_imported_while_serving_is_picked_up_without_errors(
    home: Path, shared_data: Path
) -> None:
    """Real UN editions: serve 2024-09-26, import 2026-02-27 from another process while
    requests keep coming; every request succeeds and names the edition it used."""
    un = shared_data / "lists" / "un_sc"
    store.import_list(Workspace(home), un / "un_sc_2024-09-26.xml")
    _, key = KeyStore(home).create("tests", Role.SCREEN)
    body = {"queries": {"q": {"schema": "Person", "properties": {"name": ["Aiman al-Zawahiri"]}}}}
    answers: list[tuple[int, dict[str, str]]] = []
    stop = threading.Event()

    def keep_asking(url: str) -> None:
        while not stop.is_set():
            status, data = post(url, body, key)
            answers.append((status, data.get("editions", {})))

    with serving(home, "--reload-seconds", "0.2") as base:
        asker = threading.Thread(target=keep_asking, args=(f"{base}/match/un-sc",))
        asker.start()
        try:
            imported = subprocess.run(
                counterflow_command(home, "lists", "import", str(un / "un_sc_2026-02-27.xml")),
                capture_output=True,
                text=True,
                timeout=120,
            )
            assert imported.returncode == 0, imported.stderr
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline:
                if answers and answers[-1][1] == {"un-sc": "2026-02-27"}:
                    break
                time.sleep(0.1)
            time.sleep(0.3)  # a few more answers on the new edition
        finally:
            stop.set()
            asker.join(timeout=30)
    assert answers and all(status == 200 for status, _ in answers)
    used = [editions["un-sc"] for _, editions in answers]
    assert used[0] == "2024-09-26" and used[-1] == "2026-02-27"
    switch = used.index("2026-02-27")
    assert set(used[switch:]) == {"2026-02-27"}  # no flapping back to the old edition
    assert verify(AuditLog.for_home(home)).records == len(answers)
