"""A closed-loop HTTP load generator: ``concurrency`` workers, each on one keep-alive connection.

Why closed-loop: it answers "how many requests per second does the service sustain with c
callers waiting on it, and how long does each wait", which is how screening clients (a batch
job with a thread pool, a payment gateway with a fixed pool) use it. Each worker sends its next
request as soon as the previous answer is read, so latency is measured per request from send
to last byte (``perf_counter``), and the rate is whatever the server gives. The flip side, known
as coordinated omission: a slow answer also delays the requests queued behind it, so tail
latencies read lower than an open-loop (fixed arrival rate) test would show.

Both bounds hold: no request starts after ``max_requests`` have started or after
``max_seconds``; requests in flight then finish (each at most ``timeout`` seconds). Bodies are
serialised once up front and sent round-robin, so the generator spends little CPU per request
(it shares the machine with the server).

Library use: :func:`run_load` (async) or :func:`load` (sync). CLI, from the repository root::

    .venv/bin/python bench/service/loadgen.py http://127.0.0.1:8000/match/default \\
        --body '{"queries": {"q": {"schema": "Person", "properties": {"name": ["Ali"]}}}}' \\
        -c 8 -n 3000 -t 30 [-H 'Authorization: ApiKey KEY'] [--bodies queries.jsonl]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import sys
import time
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp


@dataclass
class LoadResult:
    """What one load run saw: every latency (s) and status, plus the wall time it took."""

    concurrency: int
    seconds: float = 0.0
    latencies: list[float] = field(default_factory=list)
    statuses: Counter[str] = field(default_factory=Counter)
    errors: int = 0

    @property
    def requests(self) -> int:
        return len(self.latencies)

    def summary(self) -> dict[str, Any]:
        """Rate, latency percentiles (ms, nearest rank) and error count; JSON-ready."""
        ordered = sorted(self.latencies)

        def pct(p: float) -> float | None:
            if not ordered:
                return None
            return 1000 * ordered[max(0, math.ceil(p * len(ordered)) - 1)]

        return {
            "concurrency": self.concurrency,
            "requests": self.requests,
            "seconds": round(self.seconds, 3),
            "rps": self.requests / self.seconds if self.seconds else None,
            "p50_ms": pct(0.50),
            "p90_ms": pct(0.90),
            "p99_ms": pct(0.99),
            "max_ms": pct(1.0),
            "errors": self.errors,
            "statuses": dict(self.statuses),
        }


def encode(bodies: Sequence[Any]) -> list[bytes]:
    """JSON bodies as bytes, once, so the hot loop does no serialisation."""
    return [b if isinstance(b, bytes) else json.dumps(b).encode() for b in bodies]


async def run_load(
    url: str,
    bodies: Sequence[Any],
    *,
    concurrency: int,
    max_requests: int,
    max_seconds: float,
    headers: Mapping[str, str] | None = None,
    timeout: float = 10.0,
) -> LoadResult:
    """POST ``bodies`` (round-robin) to ``url`` from ``concurrency`` workers until a bound hits."""
    if not bodies:
        raise ValueError("no request bodies")
    payloads = encode(bodies)
    return await _closed_loop(
        lambda session, n: session.post(url, data=payloads[n % len(payloads)]),
        concurrency=concurrency,
        max_requests=max_requests,
        max_seconds=max_seconds,
        headers={"Content-Type": "application/json", **(headers or {})},
        timeout=timeout,
    )


async def run_get_load(
    base: str,
    paths: Sequence[str],
    *,
    concurrency: int,
    max_requests: int,
    max_seconds: float,
    headers: Mapping[str, str] | None = None,
    timeout: float = 10.0,
) -> LoadResult:
    """GET ``paths`` (round-robin) under ``base`` from ``concurrency`` workers until a bound
    hits."""
    if not paths:
        raise ValueError("no request paths")
    return await _closed_loop(
        lambda session, n: session.get(base + paths[n % len(paths)]),
        concurrency=concurrency,
        max_requests=max_requests,
        max_seconds=max_seconds,
        headers=dict(headers or {}),
        timeout=timeout,
    )


async def _closed_loop(
    request: Callable[[aiohttp.ClientSession, int], Any],
    *,
    concurrency: int,
    max_requests: int,
    max_seconds: float,
    headers: Mapping[str, str],
    timeout: float,
) -> LoadResult:
    """``concurrency`` workers, each sending ``request(session, n)`` one after the other on one
    kept-alive connection, until ``max_requests`` were sent or ``max_seconds`` passed."""
    result = LoadResult(concurrency)
    started = 0
    client_timeout = aiohttp.ClientTimeout(total=timeout)

    async def worker(deadline: float) -> None:
        nonlocal started
        # limit=1: this worker's requests go over one connection, kept alive between requests
        connector = aiohttp.TCPConnector(limit=1, force_close=False)
        async with aiohttp.ClientSession(
            connector=connector, timeout=client_timeout, headers=headers
        ) as session:
            while started < max_requests and time.perf_counter() < deadline:
                n = started
                started += 1
                t0 = time.perf_counter()
                try:
                    async with request(session, n) as response:
                        await response.read()
                        status = str(response.status)
                except (aiohttp.ClientError, TimeoutError) as exc:
                    status = type(exc).__name__
                result.latencies.append(time.perf_counter() - t0)
                result.statuses[status] += 1
                if status != "200":
                    result.errors += 1

    t_start = time.perf_counter()
    await asyncio.gather(*(worker(t_start + max_seconds) for _ in range(concurrency)))
    result.seconds = time.perf_counter() - t_start
    return result


def load(url: str, bodies: Sequence[Any], **kwargs: Any) -> LoadResult:
    """:func:`run_load` from synchronous code (its own event loop)."""
    return asyncio.run(run_load(url, bodies, **kwargs))


def _header(text: str) -> tuple[str, str]:
    name, sep, value = text.partition(":")
    if not sep:
        raise argparse.ArgumentTypeError(f"header {text!r} is not 'Name: value'")
    return name.strip(), value.strip()


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("url")
    parser.add_argument("--body", action="append", default=[], help="a JSON body (repeatable)")
    parser.add_argument("--bodies", type=Path, help="a file of JSON bodies, one per line")
    parser.add_argument("-c", "--concurrency", type=int, default=8)
    parser.add_argument("-n", "--requests", type=int, default=3000, help="at most this many")
    parser.add_argument("-t", "--seconds", type=float, default=30.0, help="at most this long")
    parser.add_argument("-H", "--header", type=_header, action="append", default=[])
    parser.add_argument("--timeout", type=float, default=10.0, help="per request, seconds")
    args = parser.parse_args(argv)
    bodies: list[Any] = [json.loads(b) for b in args.body]
    if args.bodies:
        with open(args.bodies, encoding="utf-8") as fh:
            bodies += [json.loads(line) for line in fh if line.strip()]
    if not bodies:
        parser.error("give --body or --bodies")
    result = load(
        args.url,
        bodies,
        concurrency=args.concurrency,
        max_requests=args.requests,
        max_seconds=args.seconds,
        headers=dict(args.header),
        timeout=args.timeout,
    )
    print(json.dumps(result.summary(), indent=2))
    return 1 if result.errors else 0


if __name__ == "__main__":
    sys.exit(main())
