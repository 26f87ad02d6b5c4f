"""Run the examples in the documentation and compare what they print with what the page shows.

The rules, which docs/cli.md ("Examples are tested") states for writers:

- A ``console`` block is a session: ``$ `` starts a command (a line ending in ``\\`` continues
  it), and the lines up to the next command are what it prints, standard output and standard
  error together. A command with no lines under it must print nothing.
- ``…`` alone on a line stands for any number of lines; inside a line it stands for any text.
- Times, dates with a time, durations, random ids (API keys, decisions, audit hashes) and the
  sandbox's own path are normalised on both sides; nothing else is.
- A command expected to fail shows ``Error:`` (or ``Usage:``); any other must exit 0.
- A command ending in ``&`` runs in the background (a server): its first lines are awaited, and
  port 8000 is replaced by a free one everywhere on the page.
- Shell variables set by one command (``KEY=$(…)``) are seen by the next ones.
- A ``python`` block runs as a script, in page order with the sessions, and must exit 0.
- ``<!-- file: NAME -->`` just before a code block writes that block to NAME in the sandbox;
  ``<!-- not tested: REASON -->`` just before a console or python block leaves it out.

Each page runs in its own sandbox: a scratch folder whose ``../shared`` is the real data
folder and whose ``tests/`` is the repository's, with ``COUNTERFLOW_HOME`` set to ``ws`` inside
it and the ``counterflow`` of this environment first on the PATH.
"""

from __future__ import annotations

import os
import re
import shlex
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
ELLIPSIS = "…"
COMMAND_TIMEOUT = 600
SERVER_WAIT = 60
_FENCE = re.compile(r"^```(\w*)\s*$")
_DIRECTIVE = re.compile(r"^<!--\s*(file|not tested):\s*(.*?)\s*-->\s*$")

# what changes from run to run, normalised on both sides
_VOLATILE = [
    # an ISO or table timestamp (a date alone is content: edition dates, transaction days)
    (
        re.compile(r"\d{4}-\d\d-\d\d[T ]\d\d:\d\d(:\d\d(\.\d+)?)?(Z|[+-]\d\d:?\d\d)?"),
        "<time>",
    ),
    # durations: "in 0.2 s", "8.3" seconds columns are shown with their unit elsewhere
    (re.compile(r"\b\d+(\.\d+)? ?(s|ms|seconds)\b"), "<duration>"),
    (re.compile(r"\b[0-9a-f]{64}\b"), "<hash>"),
    (re.compile(r"\bd-[0-9a-f]{12}\b"), "d-<id>"),
    (re.compile(r"\b(key|keys|Key)([ :])[0-9a-f]{12}\b"), r"\1\2<key-id>"),
    (re.compile(r"\bcf_[A-Za-z0-9_-]{20,}"), "<api-key>"),
]


@dataclass
class Step:
    """One ``$`` command of a page and the output the page shows for it."""

    command: str
    expected: list[str]
    where: str
    background: bool = False


@dataclass
class FileBlock:
    """A code block the page asks to be written into the sandbox before the steps after it."""

    name: str
    content: str
    where: str


@dataclass
class PythonBlock:
    """A Python example: run as a script in the sandbox; it must not fail."""

    code: str
    where: str


@dataclass
class Page:
    path: Path
    items: list[Step | FileBlock | PythonBlock] = field(default_factory=list)

    @property
    def steps(self) -> list[Step]:
        return [i for i in self.items if isinstance(i, Step)]

    @property
    def runnable(self) -> bool:
        """The page has something to run: a console session or a Python example."""
        return any(isinstance(i, Step | PythonBlock) for i in self.items)


def read_page(path: Path) -> Page:
    """The console sessions and the files to write, in page order."""
    page = Page(path)
    lines = path.read_text(encoding="utf-8").splitlines()
    directive: tuple[str, str] | None = None
    number = 0
    while number < len(lines):
        line = lines[number]
        fence = _FENCE.match(line)
        found = _DIRECTIVE.match(line)
        if found:
            directive = (found.group(1), found.group(2))
            number += 1
            continue
        if not fence:
            if line.strip():
                directive = None
            number += 1
            continue
        start = number + 1
        end = start
        while end < len(lines) and not lines[end].startswith("```"):
            end += 1
        block = lines[start:end]
        where = f"{path.name}:{start + 1}"
        if directive and directive[0] == "file":
            page.items.append(FileBlock(directive[1], "\n".join(block) + "\n", where))
        elif directive and directive[0] == "not tested":
            pass
        elif fence.group(1) == "console":
            page.items.extend(_steps(block, path, start))
        elif fence.group(1) == "python":
            page.items.append(PythonBlock("\n".join(block) + "\n", where))
        directive = None
        number = end + 1
    return page


def _steps(block: list[str], path: Path, first: int) -> Iterator[Step]:
    index = 0
    while index < len(block):
        line = block[index]
        if not line.startswith("$ "):
            raise ValueError(f"{path.name}:{first + index + 1}: output before any '$ ' command")
        where = f"{path.name}:{first + index + 1}"
        command = line[2:]
        while index + 1 < len(block):
            if command.endswith("\\"):
                command = command[:-1].rstrip() + " " + block[index + 1].strip()
            elif _open_quote(command):
                command += "\n" + block[index + 1]
            else:
                break
            index += 1
        index += 1
        expected: list[str] = []
        while index < len(block) and not block[index].startswith("$ "):
            expected.append(block[index])
            index += 1
        background = command.rstrip().endswith("&")
        if background:
            command = command.rstrip()[:-1].rstrip()
        yield Step(command, expected, where, background)


def _open_quote(command: str) -> bool:
    """Whether a shell command stops inside a quoted string (it goes on on the next line)."""
    try:
        shlex.split(command)
    except ValueError:
        return True
    return False


def normalise(text: str, sandbox: Path | None = None) -> str:
    if sandbox is not None:
        text = text.replace(str(sandbox) + os.sep, "").replace(str(sandbox), ".")
    for pattern, replacement in _VOLATILE:
        text = pattern.sub(replacement, text)
    return text


def _line_pattern(expected: str) -> re.Pattern[str]:
    parts = [re.escape(p) for p in expected.rstrip().split(ELLIPSIS)]
    return re.compile(".*".join(parts) + r"\s*")


def matches(expected: list[str], actual: list[str]) -> bool:
    """Whether the shown lines match the printed ones (``…`` lines stand for any number)."""
    patterns: list[re.Pattern[str] | None] = [
        None if line.strip() == ELLIPSIS else _line_pattern(line) for line in expected
    ]
    # reachable[j]: the first i patterns can consume the first j actual lines
    reachable = [True] + [False] * len(actual)
    for pattern in patterns:
        nxt = [False] * (len(actual) + 1)
        for j, ok in enumerate(reachable):
            if not ok:
                continue
            if pattern is None:
                for k in range(j, len(actual) + 1):
                    nxt[k] = True
                break
            if j < len(actual) and pattern.fullmatch(actual[j].rstrip()):
                nxt[j + 1] = True
        reachable = nxt
    return reachable[len(actual)]


def expects_failure(expected: list[str]) -> bool:
    return any(line.startswith(("Error:", "Usage:")) for line in expected)


class Sandbox:
    """A scratch folder laid out like a clone beside ``../shared``, with its own workspace."""

    def __init__(self, base: Path, shared_data: Path) -> None:
        base = base.resolve()
        self.root = base / "root"
        self.cwd = self.root / "counterflow"
        self.cwd.mkdir(parents=True)
        (self.root / "shared").mkdir()
        (self.root / "shared" / "data").symlink_to(shared_data.resolve())
        (self.cwd / "tests").symlink_to(ROOT / "tests")
        self.vars = base / "vars.sh"
        self.vars.write_text("")
        home = base / "user-home"
        home.mkdir()
        bin_dir = str(Path(sys.executable).parent)
        self.env = {
            key: value
            for key, value in os.environ.items()
            if not key.startswith("COUNTERFLOW_") and key not in {"COLUMNS", "LINES"}
        }
        self.env.update(
            PATH=bin_dir + os.pathsep + os.environ.get("PATH", ""),
            HOME=str(home),
            XDG_DATA_HOME=str(home / ".local" / "share"),
            COUNTERFLOW_HOME=str(self.cwd / "ws"),
            TERM="dumb",
            NO_COLOR="1",
            PYTHONUNBUFFERED="1",
        )
        self.background: list[subprocess.Popen[bytes]] = []
        self.substitutions: dict[str, str] = {}

    def substitute(self, text: str) -> str:
        for old, new in self.substitutions.items():
            text = text.replace(old, new)
        return text

    def script(self, command: str) -> str:
        # set -a: every variable a command sets is exported into the file the next one reads
        return (
            f"set -a\n. {shlex.quote(str(self.vars))}\n{command}\nrc=$?\n"
            f"export -p > {shlex.quote(str(self.vars))}\nexit $rc\n"
        )

    def run(self, command: str, timeout: float = COMMAND_TIMEOUT) -> tuple[int, str]:
        done = subprocess.run(
            ["bash", "-c", self.script(command)],
            cwd=self.cwd,
            env=self.env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            timeout=timeout,
            check=False,
        )
        return done.returncode, done.stdout.decode("utf-8", "replace")

    def start(self, command: str, log: Path, wait_for: int) -> str:
        """Start a server in the background; return its output once ``wait_for`` lines are
        printed (or the port answers)."""
        handle = log.open("wb")
        process = subprocess.Popen(
            ["bash", "-c", f"set -a\n. {shlex.quote(str(self.vars))}\nexec {command}"],
            cwd=self.cwd,
            env=self.env,
            stdout=handle,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        self.background.append(process)
        deadline = time.monotonic() + SERVER_WAIT
        port = _port_of(command)
        while time.monotonic() < deadline:
            text = log.read_text(encoding="utf-8", errors="replace")
            lines_ready = len(text.splitlines()) >= wait_for
            port_ready = port is None or _listening(port)
            if lines_ready and port_ready:
                return text
            if process.poll() is not None:
                return text
            time.sleep(0.2)
        return log.read_text(encoding="utf-8", errors="replace")

    def stop(self) -> None:
        for process in self.background:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
                try:
                    process.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    os.killpg(process.pid, signal.SIGKILL)
                    process.wait()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _port_of(command: str) -> int | None:
    found = re.search(r"--port[ =](\d+)", command)
    return int(found.group(1)) if found else None


def _listening(port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(0.5)
        return sock.connect_ex(("127.0.0.1", port)) == 0


@dataclass
class Failure:
    where: str
    command: str
    why: str
    expected: list[str]
    actual: list[str]

    def __str__(self) -> str:
        shown = "\n".join(f"    {line}" for line in self.expected) or "    (nothing)"
        printed = "\n".join(f"    {line}" for line in self.actual) or "    (nothing)"
        return (
            f"{self.where}: $ {self.command}\n  {self.why}\n  the page shows:\n{shown}\n"
            f"  the command printed:\n{printed}"
        )


def run_page(page: Page, sandbox: Sandbox) -> list[Failure]:
    """Run every step of a page in order; the failures, or an empty list.

    A step that fails does not stop the page: later steps often still tell something, and the
    writer sees every drift at once.
    """
    failures: list[Failure] = []
    sandbox.substitutions.setdefault("8000", str(free_port()))
    try:
        for item in page.items:
            if isinstance(item, FileBlock):
                (sandbox.cwd / item.name).write_text(item.content, encoding="utf-8")
                continue
            if isinstance(item, PythonBlock):
                script = sandbox.cwd.parent / "example.py"
                script.write_text(item.code, encoding="utf-8")
                rc, output = sandbox.run(f"python {shlex.quote(str(script))}")
                if rc != 0:
                    failures.append(
                        Failure(
                            item.where, "python example", f"exited {rc}", [], output.splitlines()
                        )
                    )
                continue
            failure = run_step(item, sandbox)
            if failure:
                failures.append(failure)
    finally:
        sandbox.stop()
    return failures


def run_step(step: Step, sandbox: Sandbox) -> Failure | None:
    command = sandbox.substitute(step.command)
    expected = [sandbox.substitute(line) for line in step.expected]
    if step.background:
        log = sandbox.cwd.parent / f"background-{len(sandbox.background)}.log"
        output = sandbox.start(command, log, wait_for=len(expected))
        rc = 0
        actual = normalise(output, sandbox.cwd).splitlines()[: len(expected)]
    else:
        try:
            rc, output = sandbox.run(command)
        except subprocess.TimeoutExpired:
            return Failure(step.where, command, "timed out", expected, [])
        actual = normalise(output, sandbox.cwd).splitlines()
    shown = [normalise(line) for line in expected]
    if expects_failure(expected) and rc == 0:
        return Failure(step.where, command, "the page shows an error; it exited 0", shown, actual)
    if not expects_failure(expected) and rc != 0:
        return Failure(step.where, command, f"exited {rc}", shown, actual)
    if not matches(shown, actual):
        return Failure(step.where, command, "what it printed differs", shown, actual)
    return None
