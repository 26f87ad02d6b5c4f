"""The HTTP service: a yente-compatible screening API over a workspace.

``create_app`` is imported on first use, so the command line can read API keys
(``counterflow.api.keys``) without loading the web framework.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from counterflow.api.app import create_app

__all__ = ["create_app"]


def __getattr__(name: str) -> Any:
    if name == "create_app":
        from counterflow.api.app import create_app

        return create_app
    raise AttributeError(name)
