"""Shared fixtures. Real-data tests read ../shared/data and skip, saying why, where it is absent;
with COUNTERFLOW_REQUIRE_SHARED_DATA=1 (as .ci/run sets) a missing folder fails them instead."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

# wide, stable terminal output for assertions on rich tables
os.environ["COLUMNS"] = "200"

ROOT = Path(__file__).resolve().parent.parent
SHARED_DATA = Path(os.environ.get("COUNTERFLOW_SHARED_DATA", ROOT.parent / "shared" / "data"))
FIXTURES = Path(__file__).resolve().parent / "fixtures"


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """The real data folder; skip (or fail under CI) when it is not beside the repository."""
    if not SHARED_DATA.is_dir():
        message = f"real data folder {SHARED_DATA} is absent (clone without ../shared)"
        if os.environ.get("COUNTERFLOW_REQUIRE_SHARED_DATA") == "1":
            pytest.fail(message + " but COUNTERFLOW_REQUIRE_SHARED_DATA=1 makes it mandatory")
        pytest.skip(message)
    return SHARED_DATA


@pytest.fixture
def fixtures() -> Path:
    return FIXTURES


@pytest.fixture
def home(tmp_path: Path) -> Path:
    """An empty workspace folder for one test."""
    path = tmp_path / "home"
    path.mkdir()
    return path


REQUIRE_POSTGRES_ENV = "COUNTERFLOW_REQUIRE_POSTGRES"


def postgres_bin() -> Path | None:
    """The folder of PostgreSQL's server programs (Debian's, the newest), or None."""
    versions = sorted(
        Path("/usr/lib/postgresql").glob("*/bin/initdb"),
        key=lambda p: int(p.parts[-3]) if p.parts[-3].isdigit() else 0,
    )
    if versions:
        return versions[-1].parent
    found = shutil.which("initdb")
    return Path(found).parent if found else None


@dataclass
class PostgresServer:
    """A throw-away PostgreSQL cluster on a loopback port, trusting local connections."""

    port: int
    user: str = "counterflow"

    def url(self, database: str = "postgres") -> str:
        return f"postgresql+psycopg://{self.user}@127.0.0.1:{self.port}/{database}"

    def _admin(self, sql: str) -> None:
        import psycopg

        dsn = f"host=127.0.0.1 port={self.port} user={self.user} dbname=postgres"
        with psycopg.connect(dsn, autocommit=True) as conn:
            conn.execute(sql)

    @contextmanager
    def database(self) -> Iterator[str]:
        """A fresh, empty database for one test; dropped after it (its URL)."""
        name = f"t_{uuid.uuid4().hex[:16]}"
        self._admin(f'CREATE DATABASE "{name}"')
        try:
            yield self.url(name)
        finally:
            self._admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _as_unprivileged() -> tuple[list[str], int, int]:
    """initdb refuses to run as root: the command prefix that drops to the ``postgres`` user
    (Debian's package makes it) or ``nobody``, with that user's ids; nothing when not root."""
    if os.geteuid() != 0:
        return [], os.getuid(), os.getgid()
    import pwd

    for name in ("postgres", "nobody"):
        try:
            entry = pwd.getpwnam(name)
        except KeyError:
            continue
        uid, gid = entry.pw_uid, entry.pw_gid
        if shutil.which("setpriv"):
            return ["setpriv", f"--reuid={uid}", f"--regid={gid}", "--clear-groups", "--"], uid, gid
        return ["runuser", "-u", name, "--"], uid, gid
    raise RuntimeError("running as root, and no 'postgres' or 'nobody' user to run initdb as")


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="session")
def postgres() -> Iterator[PostgresServer]:
    """A real PostgreSQL server for the session: initdb and pg_ctl in a temporary folder,
    listening on 127.0.0.1 only. Without PostgreSQL's programs (Debian: apt-get install
    postgresql) or psycopg, the tests that need it skip saying why, unless
    COUNTERFLOW_REQUIRE_POSTGRES=1 (as .ci/run sets), which fails them instead."""
    bindir = postgres_bin()
    problem = None
    if bindir is None:
        problem = (
            "PostgreSQL's server programs (initdb, pg_ctl) are not installed "
            "(Debian: apt-get install postgresql)"
        )
    else:
        try:
            import psycopg  # noqa: F401
        except ImportError:
            problem = "psycopg is not installed (pip install counterflow[postgres])"
    if problem:
        if os.environ.get(REQUIRE_POSTGRES_ENV) == "1":
            pytest.fail(f"{problem}, but {REQUIRE_POSTGRES_ENV}=1 makes PostgreSQL mandatory")
        pytest.skip(problem)
    assert bindir is not None
    prefix, uid, gid = _as_unprivileged()
    # not pytest's folder (0700, root's): the server's user must be able to reach it, and its
    # socket path must stay short
    folder = Path(tempfile.mkdtemp(prefix="counterflow-pg-", dir="/tmp" if prefix else None))
    os.chown(folder, uid, gid)
    data = folder / "data"
    log = folder / "server.log"

    def run(*args: str) -> None:
        done = subprocess.run(
            [*prefix, *args], cwd=folder, capture_output=True, text=True, timeout=120
        )
        if done.returncode != 0:
            tail = log.read_text(errors="replace")[-2000:] if log.exists() else ""
            raise RuntimeError(
                f"{args[0]} failed ({done.returncode}):\n{done.stdout}{done.stderr}{tail}"
            )

    started = False
    try:
        run(
            str(bindir / "initdb"),
            "-D",
            str(data),
            "-U",
            "counterflow",
            "-A",
            "trust",
            "-E",
            "UTF8",
            "--no-locale",
            "--no-sync",
        )
        for attempt in range(3):
            port = _free_port()
            options = (
                f"-p {port} -c listen_addresses=127.0.0.1 -c unix_socket_directories={folder} "
                "-c fsync=off -c synchronous_commit=off -c full_page_writes=off"
            )
            try:
                run(
                    str(bindir / "pg_ctl"),
                    "-D",
                    str(data),
                    "-l",
                    str(log),
                    "-w",
                    "-t",
                    "60",
                    "-o",
                    options,
                    "start",
                )
            except RuntimeError:
                if attempt == 2:
                    raise
                continue  # the port was taken meanwhile: another one
            started = True
            break
        yield PostgresServer(port=port)
    finally:
        if started:
            subprocess.run(
                [*prefix, str(bindir / "pg_ctl"), "-D", str(data), "-m", "immediate", "stop"],
                cwd=folder,
                capture_output=True,
                timeout=60,
            )
        shutil.rmtree(folder, ignore_errors=True)


REQUIRE_SPARK_ENV = "COUNTERFLOW_REQUIRE_SPARK"


@pytest.fixture(scope="session")
def spark() -> Iterator[object]:
    """A Spark session on ``local[2]`` for the whole run (the JVM starts once); skips, saying
    why, without pyspark or Java, unless COUNTERFLOW_REQUIRE_SPARK=1 (as .ci/run sets)."""
    os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
    from counterflow.engines.spark import spark_available, spark_session

    missing = spark_available() or (None if shutil.which("java") else "Java is not installed")
    if missing:
        if os.environ.get(REQUIRE_SPARK_ENV) == "1":
            pytest.fail(f"{missing}, but {REQUIRE_SPARK_ENV}=1 makes the Spark tests mandatory")
        pytest.skip(missing)
    session = spark_session("local[2]")
    yield session
    session.stop()
