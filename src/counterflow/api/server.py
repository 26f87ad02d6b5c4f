"""How ``counterflow serve`` runs uvicorn.

With more than one worker, uvicorn binds the listening socket itself with protocol number 0,
and asyncio then skips ``TCP_NODELAY`` on accepted connections (it checks for IPPROTO_TCP).
Nagle's algorithm left on holds each small keep-alive answer for the peer's delayed ACK,
about 40 ms per request (uvicorn issue #3149). The protocol below sets the option itself.
"""

from __future__ import annotations

import asyncio
import socket

import uvicorn
from uvicorn.protocols.http.h11_impl import H11Protocol


class NoDelayH11Protocol(H11Protocol):
    """uvicorn's h11 protocol, with Nagle's algorithm off on every TCP connection."""

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        sock = transport.get_extra_info("socket")
        if sock is not None and sock.family in (socket.AF_INET, socket.AF_INET6):
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        super().connection_made(transport)


def run(host: str, port: int, workers: int) -> None:
    """Serve ``app_from_env`` (the workspace and settings come from the environment)."""
    uvicorn.run(
        "counterflow.api.app:app_from_env",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        http=NoDelayH11Protocol,
        log_level="warning",
    )
