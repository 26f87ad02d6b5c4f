"""counterflow: counter the financing of terrorism.

Screen names against sanctions lists, monitor transactions, trace money and report to the FIU.
The public API is re-exported here; everything else is internal.
"""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("counterflow")
except PackageNotFoundError:  # running from a source tree without installation
    __version__ = "0.0.0"

from counterflow.errors import (
    ConfigError,
    CounterflowError,
    DataError,
    DownloadError,
    NotFoundError,
    StoreError,
)
from counterflow.model import Entity, Sanction, Value
from counterflow.screening import Match, Query, Screener, score_pair
from counterflow.workspace import Workspace

__all__ = [
    "ConfigError",
    "CounterflowError",
    "DataError",
    "DownloadError",
    "Entity",
    "Match",
    "NotFoundError",
    "Query",
    "Sanction",
    "Screener",
    "StoreError",
    "Value",
    "Workspace",
    "__version__",
    "score_pair",
]
