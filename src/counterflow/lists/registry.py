"""Which parser reads which file: by explicit format name, or by sniffing the file.

The built-in parsers come first, in the documented order of
:data:`counterflow.lists.formats.BUILT_IN`; formats a user registers with :func:`register` are
added after them and tried after them, in the order registered. A registered format never
replaces or hides a built-in one: a name already taken is refused.
"""

from __future__ import annotations

from pathlib import Path

from counterflow.errors import ConfigError, DataError
from counterflow.io import check_file, read_head
from counterflow.lists.base import MAX_LIST_FILE_BYTES, ListParser

_REGISTERED: dict[str, ListParser] = {}


def register(parser: ListParser) -> ListParser:
    """Add a format of one's own (a national list's layout); returns the parser."""
    name = getattr(parser, "format", None)
    if not isinstance(name, str) or not name:
        raise ConfigError(f"{type(parser).__name__} has no format name")
    if name in parsers():
        raise ConfigError(f"a list format named {name!r} is already registered")
    _REGISTERED[name] = parser
    return parser


def parsers() -> dict[str, ListParser]:
    """Every parser by format name, in the order they are tried: built-ins, then registered."""
    from counterflow.lists.formats import BUILT_IN

    found = {p.format: p for p in BUILT_IN}
    found.update(_REGISTERED)
    return found


def get_parser(fmt: str) -> ListParser:
    known = parsers()
    if fmt not in known:
        raise ConfigError(f"unknown list format {fmt!r} (known: {', '.join(known)})")
    return known[fmt]


def detect(path: Path) -> ListParser:
    """The first parser whose sniff accepts the file; a folder is looked into for a known set."""
    path = Path(path)
    probe = path
    if path.is_dir():
        for candidate in ("sdn.csv", "SDN.CSV", "cons_prim.csv", "CONS_PRIM.CSV"):
            if (path / candidate).exists():
                probe = path / candidate
                break
        else:
            raise DataError(
                "folder holds no list file counterflow knows (looked for the OFAC "
                "CSV set: sdn.csv or cons_prim.csv)",
                path=path,
            )
    check_file(probe, max_bytes=MAX_LIST_FILE_BYTES)
    head = read_head(probe)
    for parser in parsers().values():
        if parser.sniff(probe, head):
            return parser
    raise DataError(
        f"unrecognised list format; name it with --format ({', '.join(parsers())})",
        path=path,
    )
