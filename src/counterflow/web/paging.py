"""Pages of long tables: the rows a page shows and the links to its neighbours, for the
``pager`` macro. The page number and size travel in the query string with the page's other
parameters, so every page of a table has its own URL."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlencode


@dataclass(frozen=True)
class Page:
    """Rows ``first`` to ``last`` (from 1) of ``total``, with the links to the pages around."""

    first: int
    last: int
    total: int | None
    previous_url: str | None
    next_url: str | None


def page_of(
    path: str, query: dict[str, str], number: int, size: int, total: int, key: str = "page"
) -> Page:
    """Page ``number`` (from 1) of ``total`` rows, ``size`` a page; the links keep ``query``
    and set ``key`` (the first page's link leaves it out)."""

    def url(n: int) -> str:
        params = {**query, key: str(n)} if n > 1 else dict(query)
        return path + ("?" + urlencode(params) if params else "")

    first = (number - 1) * size + 1 if total else 0
    last = min(number * size, total)
    return Page(
        first,
        last,
        total,
        url(number - 1) if number > 1 else None,
        url(number + 1) if number * size < total else None,
    )
