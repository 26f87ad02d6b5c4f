"""The matcher's word tables, kept as data (``screening/tables/*.csv``), not code.

- ``legal_forms.csv``: legal and organisational forms per language (GmbH, Gesellschaft mit
  beschränkter Haftung, JSC, OAO, L.L.C., …), dropped from organisation names;
- ``nicknames.csv``: given names and their short forms (Robert, Bob, Rob);
- ``romanisation.csv``: Korean and Chinese syllables in their usual romanisations (Choe / Choi,
  Hsi / Xi), one canonical spelling each.

Each file says in its header comment what it is for. Lines starting with ``#`` are comments.
Adding a row changes how names compare, so the persisted screening index (its stamp covers
these files) is rebuilt the next time it is loaded.
"""

from __future__ import annotations

from functools import cache
from importlib import resources

_PACKAGE = "counterflow.screening"


def _rows(filename: str) -> list[list[str]]:
    text = resources.files(_PACKAGE).joinpath("tables", filename).read_text(encoding="utf-8")
    rows = []
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            rows.append([cell.strip() for cell in line.split(",")])
    return rows


@cache
def legal_forms() -> frozenset[tuple[str, ...]]:
    """Every spelling of every legal form, as a tuple of lower-case ASCII words."""
    forms = set()
    for row in _rows("legal_forms.csv"):
        for spelling in row[2].split("|"):
            words = tuple(spelling.split())
            if words:
                forms.add(words)
    return frozenset(forms)


@cache
def longest_legal_form() -> int:
    return max(len(f) for f in legal_forms())


@cache
def nickname_groups() -> dict[str, frozenset[int]]:
    """Each given name (lower case) and the numbers of the nickname lines it is on."""
    groups: dict[str, set[int]] = {}
    for number, row in enumerate(_rows("nicknames.csv")):
        for name in row:
            groups.setdefault(name, set()).add(number)
    return {k: frozenset(v) for k, v in groups.items()}


@cache
def romanisation() -> dict[str, str]:
    """Each syllable spelling (lower case) and its canonical spelling."""
    table: dict[str, str] = {}
    for row in _rows("romanisation.csv"):
        canonical = row[0]
        for spelling in row:
            table.setdefault(spelling, canonical)
    return table


def source_files() -> list[bytes]:
    """The tables' bytes, for stamps that must change when a table does."""
    folder = resources.files(_PACKAGE).joinpath("tables")
    return [
        folder.joinpath(name).read_bytes()
        for name in ("legal_forms.csv", "nicknames.csv", "romanisation.csv")
    ]
