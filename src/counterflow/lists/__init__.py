"""Sanctions lists: parsers per source format, versioned editions, deltas and downloads.

A list format of one's own (a national list's layout) is a :class:`ListParser` subclass added
with :func:`register`; it is tried after the built-in formats (see ``docs/lists.md``).
"""

from counterflow.lists.base import ListParser, ParsedList
from counterflow.lists.diff import ListDiff, diff_editions
from counterflow.lists.registry import detect, get_parser, parsers, register
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
    "ListParser",
    "ParsedList",
    "active_editions",
    "detect",
    "diff_editions",
    "find_entities",
    "get_parser",
    "import_list",
    "iter_entities",
    "list_editions",
    "parsers",
    "register",
    "resolve_edition",
]
