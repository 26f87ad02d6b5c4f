"""The HTTP service: a yente-compatible screening API over a workspace."""

from counterflow.api.app import create_app

__all__ = ["create_app"]
