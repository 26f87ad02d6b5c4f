"""Sanctions lists: parsers per source format, versioned editions, deltas and downloads."""

from counterflow.lists.diff import ListDiff, diff_editions
from counterflow.lists.registry import detect, get_parser, parsers
from counterflow.lists.store import (
    Edition,
    ImportResult,
    active_editions,
    find_entities,
    import_list,
    iter_entities,
    list_editions,
    resolve_edition,
)

__all__ = [
    "Edition",
    "ImportResult",
    "ListDiff",
    "active_editions",
    "detect",
    "diff_editions",
    "find_entities",
    "get_parser",
    "import_list",
    "iter_entities",
    "list_editions",
    "parsers",
    "resolve_edition",
]
