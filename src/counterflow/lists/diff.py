"""What changed between two editions of a list: entries added, removed and changed.

Entries are matched by entity id (the source's own reference). Content is compared on cleaned
values, so re-wrapped lines or changed spacing in a new edition are not changes; for each
changed entry the diff names the fields and the values that left and arrived.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import duckdb

from counterflow.lists.store import Edition, get_entity
from counterflow.model import Entity


@dataclass(frozen=True)
class EntrySummary:
    entity_id: str
    ref: str
    schema: str
    caption: str


@dataclass(frozen=True)
class FieldChange:
    """One property whose values differ; ``sanction.`` prefixes the listing's own fields."""

    prop: str
    removed: tuple[str, ...]
    added: tuple[str, ...]


@dataclass(frozen=True)
class EntryChange:
    entry: EntrySummary
    old_caption: str
    fields: tuple[FieldChange, ...]

    def field(self, prop: str) -> FieldChange | None:
        return next((f for f in self.fields if f.prop == prop), None)


@dataclass
class ListDiff:
    list_id: str
    old: Edition
    new: Edition
    added: list[EntrySummary] = field(default_factory=list)
    removed: list[EntrySummary] = field(default_factory=list)
    changed: list[EntryChange] = field(default_factory=list)

    def only_fields(self, props: set[str]) -> ListDiff:
        """The same diff with only changes to ``props``; entries left with none are dropped."""
        kept = []
        for change in self.changed:
            fields = tuple(f for f in change.fields if f.prop in props)
            if fields:
                kept.append(EntryChange(change.entry, change.old_caption, fields))
        return ListDiff(self.list_id, self.old, self.new, self.added, self.removed, kept)

    def to_json(self) -> dict[str, Any]:
        def entry(e: EntrySummary) -> dict[str, str]:
            return {"id": e.entity_id, "ref": e.ref, "schema": e.schema, "caption": e.caption}

        return {
            "list": self.list_id,
            "from": self.old.edition_id,
            "to": self.new.edition_id,
            "added": [entry(e) for e in self.added],
            "removed": [entry(e) for e in self.removed],
            "changed": [
                {
                    **entry(c.entry),
                    "old_caption": c.old_caption,
                    "fields": [
                        {"property": f.prop, "removed": list(f.removed), "added": list(f.added)}
                        for f in c.fields
                    ],
                }
                for c in self.changed
            ],
        }


def diff_editions(conn: duckdb.DuckDBPyConnection, old: Edition, new: Edition) -> ListDiff:
    """Compare two editions of one list (fingerprints first; bodies only for changed entries)."""
    result = ListDiff(old.list_id, old, new)
    rows = conn.execute(
        """
        SELECT coalesce(n.entity_id, o.entity_id), coalesce(n.ref, o.ref),
               coalesce(n.schema, o.schema), coalesce(n.caption, o.caption),
               o.entity_id IS NULL AS is_added, n.entity_id IS NULL AS is_removed
        FROM (SELECT * FROM entities WHERE edition_id = ?) AS o
        FULL OUTER JOIN (SELECT * FROM entities WHERE edition_id = ?) AS n
          ON o.entity_id = n.entity_id
        WHERE o.entity_id IS NULL OR n.entity_id IS NULL OR o.fingerprint <> n.fingerprint
        ORDER BY 2
        """,
        [old.edition_id, new.edition_id],
    ).fetchall()
    for entity_id, ref, schema, caption, is_added, is_removed in rows:
        summary = EntrySummary(entity_id, ref, schema, caption)
        if is_added:
            result.added.append(summary)
        elif is_removed:
            result.removed.append(summary)
        else:
            before = get_entity(conn, old.edition_id, entity_id)
            after = get_entity(conn, new.edition_id, entity_id)
            assert before is not None and after is not None
            result.changed.append(
                EntryChange(summary, before.caption, tuple(compare_entities(before, after)))
            )
    return result


def compare_entities(before: Entity, after: Entity) -> list[FieldChange]:
    """The fields whose cleaned values differ between two versions of one entry."""
    old, new = before.comparable(), after.comparable()
    changes = []
    if old["schema"] != new["schema"]:
        changes.append(FieldChange("schema", (old["schema"],), (new["schema"],)))
    for section, prefix in (("properties", ""), ("sanction", "sanction.")):
        props = sorted(set(old[section]) | set(new[section]))
        for prop in props:
            a, b = set(old[section].get(prop, ())), set(new[section].get(prop, ()))
            if a != b:
                changes.append(
                    FieldChange(prefix + prop, tuple(sorted(a - b)), tuple(sorted(b - a)))
                )
    return changes
