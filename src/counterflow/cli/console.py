"""Terminal output shared by the commands: a console, progress, and value formatting."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

from rich.console import Console
from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

from counterflow.model import Value

# markup off: list names and free text are data, never rich markup
console = Console(highlight=False, soft_wrap=True, markup=False)
err_console = Console(stderr=True, highlight=False, markup=False, soft_wrap=True)


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
        *columns, console=err_console, transient=True, disable=not err_console.is_terminal
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
        *columns, console=err_console, transient=True, disable=not err_console.is_terminal
    ) as progress:
        task = progress.add_task(description, total=None)

        def update(done: int, total: int | None) -> None:
            progress.update(task, completed=done, total=total)

        yield update


def describe(value: Value, *, width: int | None = None) -> str:
    """A value with its qualifier, shortened to ``width`` characters when given."""
    text = value.value
    if width and len(text) > width:
        text = text[: width - 1] + "…"
    return f"{text} ({value.qualifier})" if value.qualifier else text


def shorten(text: str, width: int = 100) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"
