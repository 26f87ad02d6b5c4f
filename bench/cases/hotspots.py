"""Where the time of the case endpoints goes: cProfile over the app, in one thread.

``bench/cases/run.py`` times the endpoints over HTTP; this answers why they take what they
take. It builds the app over a workspace that ``run.py`` built (``--workspace``, the ``ws``
folder of its cache), makes an analyst's user key, and sends each endpoint ``--requests``
requests in process (httpx's ASGI transport, no sockets). FastAPI runs plain ``def`` routes
and their serialisation in a thread pool, where cProfile would not see them, so this runs
them inline on the event loop's thread instead: the figures are CPU time in one thread, as
one request at a time costs (no concurrency).

Run from the repository root::

    .venv/bin/python bench/cases/hotspots.py --workspace bench/results/cases-cache/KEY/ws

(with ``COUNTERFLOW_CASES_URL`` set as for ``run.py --postgres``, when the store is there).

Prints, per endpoint, the mean time per request and the top functions by cumulative and by
own time; ``--out`` also writes it to a file (default ``bench/results/cases-profile.txt``).
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import io
import pstats
import random
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
OUT = ROOT / "bench" / "results" / "cases-profile.txt"
CALLER = "Amira Haddad"
#: the cumulative table shows these (the client and event loop plumbing above them is noise)
FOCUS = r"counterflow/|fastapi/(routing|encoders|dependencies)|sqlalchemy/orm/session|pydantic"


def inline_threadpool() -> None:
    """Make FastAPI call sync routes, dependencies and response validation on the loop's
    thread (as a profiler must see them) instead of in its thread pool."""
    import fastapi.dependencies.utils as deps
    import fastapi.routing as routing

    async def inline(func: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        return func(*args, **kwargs)

    for module in (routing, deps):
        setattr(module, "run_in_threadpool", inline)  # noqa: B010


async def profile(home: Path, requests: int, seed: int, top: int, only: Sequence[str] = ()) -> str:
    import httpx

    from counterflow.api import create_app
    from counterflow.api.keys import KeyStore, Role
    from counterflow.cases.db import CaseStore
    from counterflow.cases.lifecycle import list_cases
    from counterflow.settings import Settings
    from counterflow.workspace import Workspace

    inline_threadpool()
    workspace = Workspace(home, settings=Settings.from_env(home=home))
    with CaseStore.open(workspace.settings, write=False) as store:
        cases = len(list_cases(store))
    _, key = KeyStore(home).create(f"profile-{time.time_ns()}", Role.ANALYST, user=CALLER)
    app = create_app(workspace, workspace.settings.with_(reload_seconds=0))
    rng = random.Random(f"{seed}:profile")
    paths = {
        "GET /cases": ["/cases"] * requests,
        "GET /cases/{id}": [f"/cases/C-{rng.randint(1, cases):06d}" for _ in range(requests)],
        "GET /alerts?status=open": ["/alerts?status=open"] * requests,
    }
    out = io.StringIO()
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(
            transport=transport,
            base_url="http://bench",
            headers={"Authorization": f"ApiKey {key}"},
            timeout=300,
        ) as client:
            for name, urls in paths.items():
                if only and name not in only:
                    continue
                answer = await client.get(urls[0])  # warm: the first read opens the stores
                answer.raise_for_status()
                profiler = cProfile.Profile()
                t0 = time.perf_counter()
                profiler.enable()
                for url in urls:
                    answer = await client.get(url)
                    answer.raise_for_status()
                profiler.disable()
                mean = (time.perf_counter() - t0) / len(urls)
                out.write(f"\n## {name}: {len(urls)} requests, {1000 * mean:.1f} ms each ")
                out.write(f"({len(answer.content):,} bytes in the last answer)\n")
                for order, only in (("cumulative", FOCUS), ("tottime", "")):
                    text = io.StringIO()
                    stats = pstats.Stats(profiler, stream=text)
                    stats.sort_stats(order).print_stats(only, top)
                    out.write(f"\n### by {order}{' (the app and its stores only)' * bool(only)}\n")
                    out.write(text.getvalue().split("\n\n", 2)[-1].rstrip() + "\n")
    return out.getvalue()


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--workspace", type=Path, required=True, help="built by run.py")
    parser.add_argument("--requests", type=int, default=10, help="per endpoint")
    parser.add_argument("--seed", type=int, default=20261207)
    parser.add_argument("--top", type=int, default=25, help="functions shown per table")
    parser.add_argument("--only", nargs="+", default=[], metavar="ENDPOINT")
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args(argv)
    home = args.workspace.resolve()
    report = asyncio.run(profile(home, args.requests, args.seed, args.top, args.only))
    print(report)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(report)
    print(f"wrote {args.out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
