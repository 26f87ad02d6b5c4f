"""Terminal output shared by the commands: consoles, progress, JSON, tables that fit.

Results go to standard output; progress, notes and warnings to standard error, so a command's
output can be piped. ``--json`` replaces the human output with one JSON document. ``--quiet``
drops progress and notes. Tables fit the terminal (80 columns when output is not a terminal):
the key columns (ids, names of things) are never cut; explanations wrap. ``--wide`` lays
tables out at full width instead.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Literal

from rich.console import Console
from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

from counterflow.model import Value

#: the width of a terminal that reports none (a pipe, a file): what most terminals open at
DEFAULT_WIDTH = 80
WIDE = 10_000

# markup off: list names and free text are data, never rich markup
console = Console(highlight=False, soft_wrap=True, markup=False)
err_console = Console(stderr=True, highlight=False, markup=False, soft_wrap=True)
_quiet = False
_wide = False


def configure(*, quiet: bool, wide: bool) -> None:
    """Apply the global options to the consoles, once per invocation."""
    global _quiet, _wide
    _quiet, _wide = quiet, wide
    if wide:
        console.width = WIDE
    elif not console.is_terminal:
        console.width = DEFAULT_WIDTH


def quiet() -> bool:
    return _quiet


def note(text: str) -> None:
    """An informational line on standard error (a hint, a summary); dropped by --quiet."""
    if not _quiet:
        err_console.print(text)


def warn(text: str) -> None:
    """A warning on standard error; kept by --quiet."""
    err_console.print(f"warning: {text}")


def emit_json(data: Any) -> None:
    """One JSON document on standard output (``--json``)."""
    sys.stdout.write(json.dumps(data, ensure_ascii=False, indent=2, default=str) + "\n")
    sys.stdout.flush()


@contextmanager
def counting(description: str, unit: str = "entries") -> Iterator[Callable[[int], None]]:
    """A progress line on stderr that counts items while a long step runs."""
    columns = (
        SpinnerColumn(),
        TextColumn("[bold]{task.description}"),
        TextColumn(f"{{task.completed:,}} {unit}"),
        TimeElapsedColumn(),
    )
    with Progress(
        *columns,
        console=err_console,
        transient=True,
        disable=_quiet or not err_console.is_terminal,
    ) as progress:
        task = progress.add_task(description, total=None)
        yield lambda done: progress.update(task, completed=done)


@contextmanager
def transferring(description: str) -> Iterator[Callable[[int, int | None], None]]:
    """A byte progress bar on stderr for downloads."""
    columns = (
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        TextColumn("{task.completed:,} bytes"),
        TimeElapsedColumn(),
    )
    with Progress(
        *columns,
        console=err_console,
        transient=True,
        disable=_quiet or not err_console.is_terminal,
    ) as progress:
        task = progress.add_task(description, total=None)

        def update(done: int, total: int | None) -> None:
            progress.update(task, completed=done, total=total)

        yield update


Kind = Literal["key", "number", "text", "short"]


@dataclass(frozen=True)
class Column:
    """A table column. ``key``: an id or a name that identifies the row, never cut or wrapped;
    ``number``: right-aligned, never wrapped; ``short``: a few words, wrapped if it must;
    ``text``: an explanation, wrapped to the room left."""

    title: str
    kind: Kind = "short"


#: the narrowest a ``short`` and a ``text`` column are squeezed to (or their content, if less)
_FLOOR = {"short": 12, "text": 20}
#: a cell's padding: one space either side
_PADDING = 2


def table(columns: Sequence[Column], rows: Sequence[Sequence[str]]) -> Table:
    """A table laid out to fit the console: key and number columns at their full width,
    the short columns next, the text columns sharing what is left.

    The widths are decided here rather than by rich, which squeezes columns below their
    minimum (a column can vanish) and then cuts the keys. When the keys leave the other columns
    less than their floor, the table is wider than the console, every column whole, and the
    terminal wraps its lines."""
    out = Table(show_edge=False)
    # a cell or title of several lines is as wide as its longest line
    natural = [
        max([_longest(column.title), *(_longest(str(r[i])) for r in rows)])
        for i, column in enumerate(columns)
    ]
    for column, width in zip(columns, natural, strict=True):
        if column.kind in ("key", "number"):
            out.add_column(
                column.title,
                justify="right" if column.kind == "number" else "left",
                no_wrap=True,
                min_width=width,
            )
        else:
            out.add_column(column.title, overflow="fold")
    for row in rows:
        out.add_row(*(str(cell) for cell in row))
    _fit(out, columns, natural)
    return out


def _fit(out: Table, columns: Sequence[Column], natural: list[int]) -> None:
    flexible = [i for i, c in enumerate(columns) if c.kind in _FLOOR]
    room = console.width - (len(columns) - 1) - _PADDING * len(columns)
    room -= sum(w for i, w in enumerate(natural) if i not in flexible)
    if sum(natural[i] for i in flexible) <= room:
        return  # everything fits at its natural width
    width = {i: min(natural[i], _FLOOR[columns[i].kind]) for i in flexible}
    spare = room - sum(width.values())
    if spare < 0:
        out.width = console.width - spare  # wider than the console: nothing is cut
    for i in flexible:  # short columns first: a few words, better whole
        if columns[i].kind == "short" and spare > 0:
            grow = min(natural[i] - width[i], spare)
            width[i] += grow
            spare -= grow
    growing = [i for i in flexible if columns[i].kind == "text"]
    while spare > 0 and (growing := [i for i in growing if width[i] < natural[i]]):
        share = max(1, spare // len(growing))
        for i in growing:
            grow = min(share, natural[i] - width[i], spare)
            width[i] += grow
            spare -= grow
    for i, w in width.items():
        out.columns[i].width = w


def _longest(text: str) -> int:
    return max((len(line) for line in text.splitlines()), default=0)


def describe(value: Value, *, width: int | None = None) -> str:
    """A value with its qualifier, shortened to ``width`` characters when given."""
    text = value.value
    if width and len(text) > width:
        text = text[: width - 1] + "…"
    return f"{text} ({value.qualifier})" if value.qualifier else text


def shorten(text: str, width: int = 100) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"
