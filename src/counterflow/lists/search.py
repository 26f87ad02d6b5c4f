"""Look entries up by name across the active editions: token overlap on normalised names.

This is a lookup for analysts who know roughly what they are after ("nusra front"), not the
screening engine: it does not transliterate or score spelling variants. It ranks entries by the
share of name tokens they have in common with the query, after case folding and accent removal.
"""

from __future__ import annotations

import json
import re
import unicodedata
from dataclasses import dataclass

import duckdb

from counterflow.lists.store import active_editions
from counterflow.model import Entity

_NON_WORD = re.compile(r"[\W_]+", re.UNICODE)
MAX_QUERY_LENGTH = 1000


def name_tokens(text: str) -> frozenset[str]:
    """Lower-case, accent-free word tokens of a name ("Hay’at Tahrir" -> {"hay", "at", …})."""
    decomposed = unicodedata.normalize("NFKD", text[:MAX_QUERY_LENGTH])
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return frozenset(t for t in _NON_WORD.split(stripped.casefold()) if t)


@dataclass(frozen=True)
class LookupHit:
    entity: Entity
    edition_id: str
    matched_name: str
    score: float


def lookup(
    conn: duckdb.DuckDBPyConnection, query: str, *, limit: int = 10, list_id: str | None = None
) -> list[LookupHit]:
    """Entries sharing name tokens with ``query``, best first (Jaccard overlap of tokens)."""
    wanted = name_tokens(query)
    if not wanted:
        return []
    hits: list[LookupHit] = []
    for lid, edition in active_editions(conn).items():
        if list_id and lid != list_id:
            continue
        for (body,) in conn.execute(
            "SELECT body FROM entities WHERE edition_id = ?", [edition.edition_id]
        ).fetchall():
            entity = Entity.from_json(json.loads(body))
            best: tuple[float, str] = (0.0, "")
            for _, value in entity.names():
                tokens = name_tokens(value.value)
                if tokens:
                    score = len(wanted & tokens) / len(wanted | tokens)
                    best = max(best, (score, value.value))
            if best[0] > 0:
                hits.append(LookupHit(entity, edition.edition_id, best[1], round(best[0], 3)))
    hits.sort(key=lambda h: (-h.score, h.entity.id))
    return hits[:limit]
