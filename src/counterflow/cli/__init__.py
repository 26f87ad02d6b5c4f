"""The ``counterflow`` command: a thin shell over the library (see docs/cli.md)."""

from counterflow.cli.main import main

__all__ = ["main"]
