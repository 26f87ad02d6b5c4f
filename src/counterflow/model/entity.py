"""Entities as counterflow keeps them: FtM schema and properties, with provenance per value.

Each value keeps the text it was read from (when cleaning changed it) and a qualifier
("approximately", "low quality", …). The list and edition a value came from are those of the
entity, which is always read from exactly one edition of one list.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from counterflow.model.countries import to_code
from counterflow.model.schema import (
    NAME_PROPERTIES,
    PROPERTIES,
    SANCTION_DATES,
    SANCTION_PROPERTIES,
    PropType,
    Schema,
    get_schema,
)

#: Longest value kept; list fields longer than this are hostile or broken.
MAX_VALUE_LENGTH = 65_536


def clean_text(text: object) -> str | None:
    """Collapse whitespace and line breaks; empty becomes None. Changes in layout are not data."""
    if text is None:
        return None
    cleaned = " ".join(str(text).split())
    return cleaned or None


def _clean(ptype: PropType | None, text: str) -> str | None:
    cleaned = clean_text(text)
    if cleaned is None:
        return None
    if ptype is PropType.NAME:
        cleaned = cleaned.strip(" ,;").strip()
    elif ptype is PropType.COUNTRY:
        cleaned = to_code(cleaned) or cleaned
    elif ptype is PropType.GENDER:
        low = cleaned.lower()
        cleaned = {"m": "male", "f": "female"}.get(low, low)
    return cleaned[:MAX_VALUE_LENGTH] or None


@dataclass(frozen=True, slots=True)
class Value:
    """One property value: cleaned text, the source text when it differed, and a qualifier."""

    value: str
    original: str | None = None
    qualifier: str | None = None

    def to_json(self) -> Any:
        if self.original is None and self.qualifier is None:
            return self.value
        out: dict[str, str] = {"value": self.value}
        if self.original is not None:
            out["original"] = self.original
        if self.qualifier is not None:
            out["qualifier"] = self.qualifier
        return out

    @classmethod
    def from_json(cls, data: Any) -> Value:
        if isinstance(data, str):
            return cls(data)
        return cls(data["value"], data.get("original"), data.get("qualifier"))


class _PropertyBag:
    """Ordered, de-duplicated multi-valued properties with cleaning on the way in."""

    __slots__ = ()
    properties: dict[str, list[Value]]

    def _allowed(self, prop: str) -> bool:  # pragma: no cover - overridden
        raise NotImplementedError

    def _ptype(self, prop: str) -> PropType | None:
        return PROPERTIES.get(prop)

    def add(
        self,
        prop: str,
        value: object,
        *,
        original: str | None = None,
        qualifier: str | None = None,
    ) -> Value | None:
        """Add a value unless it is empty or already present; returns the stored Value."""
        if not self._allowed(prop):
            raise ValueError(f"property {prop!r} is not allowed on {self._owner()}")
        if value is None:
            return None
        raw = str(value)
        cleaned = _clean(self._ptype(prop), raw)
        if cleaned is None:
            return None
        source = original if original is not None else raw
        stored = Value(cleaned, source if source != cleaned else None, qualifier)
        values = self.properties.setdefault(prop, [])
        for existing in values:
            if existing.value == cleaned:
                return existing
        values.append(stored)
        return stored

    def add_all(self, prop: str, values: Iterable[object], qualifier: str | None = None) -> None:
        for value in values:
            self.add(prop, value, qualifier=qualifier)

    def get(self, prop: str) -> list[str]:
        return [v.value for v in self.properties.get(prop, ())]

    def first(self, prop: str) -> str | None:
        values = self.properties.get(prop)
        return values[0].value if values else None

    def _owner(self) -> str:  # pragma: no cover - overridden
        raise NotImplementedError

    def _props_json(self) -> dict[str, list[Any]]:
        return {p: [v.to_json() for v in vs] for p, vs in self.properties.items() if vs}

    def _load_props(self, data: dict[str, list[Any]]) -> None:
        for prop, values in data.items():
            if not self._allowed(prop):
                raise ValueError(f"property {prop!r} is not allowed on {self._owner()}")
            self.properties[prop] = [Value.from_json(v) for v in values]


class Sanction(_PropertyBag):
    """The listing itself: programme or regime, list type, listing date, authority and reference.

    Property names follow FtM's Sanction schema; ``listType`` is counterflow's own.
    """

    __slots__ = ("properties",)

    def __init__(self) -> None:
        self.properties = {}

    def _allowed(self, prop: str) -> bool:
        return prop in SANCTION_PROPERTIES

    def _ptype(self, prop: str) -> PropType | None:
        return PropType.DATE if prop in SANCTION_DATES else PropType.TEXT

    def _owner(self) -> str:
        return "Sanction"

    def to_json(self) -> dict[str, list[Any]]:
        return self._props_json()

    @classmethod
    def from_json(cls, data: dict[str, list[Any]]) -> Sanction:
        sanction = cls()
        sanction._load_props(data)
        return sanction


@dataclass(slots=True)
class Entity(_PropertyBag):
    """A listed person, organisation, company, vessel or aircraft from one list edition."""

    id: str
    schema: Schema
    list_id: str
    ref: str
    sanction: Sanction = field(default_factory=Sanction)
    properties: dict[str, list[Value]] = field(default_factory=dict)

    @classmethod
    def make(cls, list_id: str, ref: str, schema: str) -> Entity:
        """A new entity whose id is derived from the list and the source's own reference."""
        return cls(
            id=make_entity_id(list_id, ref), schema=get_schema(schema), list_id=list_id, ref=ref
        )

    def _allowed(self, prop: str) -> bool:
        return prop in self.schema.properties

    def moved_to(self, list_id: str) -> Entity:
        """This entry filed under another list (its id follows the list)."""
        self.list_id = list_id
        self.id = make_entity_id(list_id, self.ref)
        return self

    def _owner(self) -> str:
        return f"{self.schema.name} {self.id}"

    @property
    def caption(self) -> str:
        """The name to show: the first primary name, else any name, else the reference."""
        for prop in NAME_PROPERTIES:
            value = self.first(prop)
            if value:
                return value
        return self.ref

    def names(self) -> Iterator[tuple[str, Value]]:
        """Every name of the entity with the property it was listed under."""
        for prop in NAME_PROPERTIES:
            for value in self.properties.get(prop, ()):
                yield prop, value

    def to_json(self) -> dict[str, Any]:
        """counterflow's storage form: FtM-shaped, plus originals, qualifiers and the sanction."""
        return {
            "id": self.id,
            "schema": self.schema.name,
            "list": self.list_id,
            "ref": self.ref,
            "properties": self._props_json(),
            "sanction": self.sanction.to_json(),
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Entity:
        entity = cls(
            id=data["id"],
            schema=get_schema(data["schema"]),
            list_id=data["list"],
            ref=data["ref"],
            sanction=Sanction.from_json(data.get("sanction") or {}),
        )
        entity._load_props(data.get("properties") or {})
        return entity

    def comparable(self) -> dict[str, Any]:
        """What counts as the entry's content: cleaned values only, order-free.

        Originals are left out so that re-wrapped lines or changed spacing in a new edition
        are not reported as changes.
        """
        props = {
            p: sorted({v.value + (f" [{v.qualifier}]" if v.qualifier else "") for v in vs})
            for p, vs in self.properties.items()
            if vs
        }
        sanction = {
            p: sorted({v.value for v in vs}) for p, vs in self.sanction.properties.items() if vs
        }
        return {"schema": self.schema.name, "properties": props, "sanction": sanction}

    def fingerprint(self) -> str:
        """A stable hash of the content, for cheap change detection between editions."""
        blob = json.dumps(self.comparable(), sort_keys=True, ensure_ascii=False)
        return hashlib.sha1(blob.encode("utf-8")).hexdigest()


def make_entity_id(list_id: str, ref: str) -> str:
    """Entity ids are ``<list>:<reference>``, stable across editions of the same list."""
    return f"{list_id}:{' '.join(ref.split())}"
