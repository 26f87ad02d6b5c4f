"""Server time of the web UI's busiest pages on a large simulated world.

Builds (once, cached under bench/results/ui-cache/) a world of ``--parties`` customers over a
year (200,000 parties give about 10,000,000 transactions; 20,000 about 1,000,000) with the UN
list and the typology pack's alerts, serves it with ``counterflow serve`` on loopback, signs in
as an analyst and requests each page ``--requests`` times at concurrency ``--concurrency``. The
time is the server's own (its ``Server-Timing`` header), so the client's and the network's
are left out; the JSON API's ``GET /alerts?status=open`` is timed the same way from the
client for comparison.

    .venv/bin/python bench/ui/run.py --parties 200000       # the 10M world (issue 14)
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import re
import statistics
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tests"))

from api.serving import serving_process  # noqa: E402

PASSWORD = "correct horse 1"
OUT = ROOT / "bench" / "results" / "ui.json"


def build(cache: Path, parties: int, seed: int) -> Path:
    """The cached workspace: the world, its alerts, a user and a screening key."""
    home = cache / "home"
    if (cache / "ready").exists():
        return home
    world = _monitoring_bench()._world

    from counterflow.api.keys import KeyStore, Role
    from counterflow.cases.db import CaseStore
    from counterflow.cases.users import add_user
    from counterflow.monitoring import SCENARIOS, run_scenarios

    cache.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    ws = world(cache, parties, 365, seed, 1.0)
    run_scenarios(ws, "world", SCENARIOS)
    with CaseStore.open(ws.settings, write=True) as store:
        add_user(store, "bench", "analyst", PASSWORD)
    KeyStore(ws.home).create("bench", Role.SCREEN)
    (cache / "ready").write_text(f"{time.perf_counter() - started:.0f} s\n")
    return ws.home


def _monitoring_bench() -> Any:
    """bench/monitoring/run.py, whose world builder this bench shares."""
    spec = importlib.util.spec_from_file_location(
        "monitoring_bench", ROOT / "bench" / "monitoring" / "run.py"
    )
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _opener() -> urllib.request.OpenerDirector:
    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args: object, **kwargs: object) -> None:
            return None

    return urllib.request.build_opener(NoRedirect)


def sign_in(base: str) -> str:
    """The session cookie of the bench's analyst (sent by hand: the cookie is Secure, and
    Python's cookie jar does not count loopback HTTP as secure as browsers do)."""
    opener = _opener()
    with opener.open(f"{base}/ui/login", timeout=30) as page:
        html = page.read().decode()
        login_cookie = page.headers["set-cookie"].split(";")[0]
    token = re.search(r'name="csrf" value="([^"]+)"', html)
    assert token
    body = urllib.parse.urlencode(
        {"username": "bench", "password": PASSWORD, "csrf": token.group(1), "next": "/ui/"}
    ).encode()
    request = urllib.request.Request(
        f"{base}/ui/login", data=body, headers={"Cookie": login_cookie}
    )
    try:
        opener.open(request, timeout=60)
    except urllib.error.HTTPError as answer:  # the 303 to the dashboard
        cookie = answer.headers["set-cookie"]
        return str(cookie.split(";")[0])
    raise SystemExit("signing in did not redirect")


def timed(url: str, cookie: str) -> tuple[float, float]:
    """(server ms from Server-Timing, client ms) of one GET."""
    request = urllib.request.Request(url, headers={"Cookie": cookie})
    started = time.perf_counter()
    with urllib.request.urlopen(request, timeout=120) as answer:
        answer.read()
        timing = answer.headers.get("server-timing", "")
    client = (time.perf_counter() - started) * 1000
    found = re.search(r"dur=([0-9.]+)", timing)
    return (float(found.group(1)) if found else client), client


def measure(url: str, cookie: str, requests: int, concurrency: int) -> dict[str, float]:
    timed(url, cookie)  # warm: the first request opens the stores
    with ThreadPoolExecutor(concurrency) as pool:
        results = list(pool.map(lambda _: timed(url, cookie), range(requests)))
    server = sorted(r[0] for r in results)
    client = sorted(r[1] for r in results)
    p95 = server[max(int(len(server) * 0.95) - 1, 0)]
    return {
        "server_p50_ms": statistics.median(server),
        "server_p95_ms": p95,
        "client_p95_ms": client[max(int(len(client) * 0.95) - 1, 0)],
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--parties", type=int, default=20_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--requests", type=int, default=100)
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument(
        "--workers", type=int, default=2, help="serve's worker processes (one per core)"
    )
    args = parser.parse_args()
    home = build(
        ROOT / "bench" / "results" / "ui-cache" / f"p{args.parties}-s{args.seed}",
        args.parties,
        args.seed,
    )
    import duckdb

    conn = duckdb.connect(str(home / "counterflow.duckdb"), read_only=True)
    transactions = conn.execute("SELECT count(*) FROM transactions").fetchone()
    alerts = conn.execute("SELECT count(*) FROM alerts").fetchone()
    busiest = conn.execute(
        "SELECT payer_party, count(*) n FROM transactions WHERE payer_party IS NOT NULL "
        "GROUP BY 1 ORDER BY n DESC LIMIT 1"
    ).fetchone()
    alerted = conn.execute(
        "SELECT alert_id, subject_id FROM alerts ORDER BY score DESC, alert_id LIMIT 1"
    ).fetchone()
    conn.close()
    assert transactions and alerts and busiest and alerted
    with serving_process(home, "--workers", str(args.workers)) as (base, _server):
        cookie = sign_in(base)
        pages = {
            "dashboard": "/ui/",
            "alert queue": "/ui/alerts?status=open",
            "alert": f"/ui/alerts/{alerted[0]}",
            "party (alerted)": f"/ui/parties/world/{urllib.parse.quote(alerted[1])}",
            f"party (busiest, {busiest[1]:,} payments)": (
                f"/ui/parties/world/{urllib.parse.quote(busiest[0])}"
            ),
        }
        results = {
            name: measure(base + path, cookie, args.requests, args.concurrency)
            for name, path in pages.items()
        }
    report = {
        "transactions": transactions[0],
        "alerts": alerts[0],
        "requests": args.requests,
        "concurrency": args.concurrency,
        "workers": args.workers,
        "pages": results,
    }
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps(report, indent=2))
    print(
        f"\n{transactions[0]:,} transactions, {alerts[0]:,} alerts; "
        f"{args.requests} requests a page at concurrency {args.concurrency}\n"
    )
    print("| page | server p50 ms | server p95 ms | client p95 ms |\n|---|---:|---:|---:|")
    for name, r in results.items():
        print(
            f"| {name} | {r['server_p50_ms']:.0f} | {r['server_p95_ms']:.0f} | "
            f"{r['client_p95_ms']:.0f} |"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
