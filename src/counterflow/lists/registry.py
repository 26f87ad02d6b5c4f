"""Which parser reads which file: by explicit format name, or by sniffing the file."""

from __future__ import annotations

from pathlib import Path

from counterflow.errors import ConfigError, DataError
from counterflow.lists.base import ListParser, check_file, read_head

_PARSERS: dict[str, ListParser] = {}


def register(parser: ListParser) -> ListParser:
    _PARSERS[parser.format] = parser
    return parser


def parsers() -> dict[str, ListParser]:
    """All parsers, by format name (loads the built-in ones on first use)."""
    if not _PARSERS:
        from counterflow.lists import formats  # noqa: F401 - registers on import
    return dict(_PARSERS)


def get_parser(fmt: str) -> ListParser:
    known = parsers()
    if fmt not in known:
        raise ConfigError(f"unknown list format {fmt!r} (known: {', '.join(sorted(known))})")
    return known[fmt]


def detect(path: Path) -> ListParser:
    """The parser whose sniff accepts the file; a folder is looked into for a known set."""
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
    check_file(probe)
    head = read_head(probe)
    for parser in parsers().values():
        if parser.sniff(probe, head):
            return parser
    raise DataError(
        f"unrecognised list format; name it with --format ({', '.join(sorted(parsers()))})",
        path=path,
    )
