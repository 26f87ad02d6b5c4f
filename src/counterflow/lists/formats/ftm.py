"""FollowTheMoney entity JSON lines, as OpenSanctions publishes them: read and written.

Each line is ``{"id", "schema", "properties": {prop: [values]}, "datasets": [...]}``. Listed
parties (Person, Organization, Company, LegalEntity, Vessel, Airplane) become entities; the
satellite entities FtM uses around them are folded in so that nothing that matters for
screening is lost: a Sanction becomes the entity's sanction, Passport and Identification
numbers its passportNumber / idNumber, an Address its address. Other schemata are skipped.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any, TextIO

from counterflow.errors import DataError
from counterflow.io import iter_json_lines
from counterflow.lists.base import MAX_LIST_FILE_BYTES, ListParser, ParsedList
from counterflow.model import SCHEMATA, Entity, Sanction
from counterflow.model.schema import SANCTION_PROPERTIES

#: counterflow-only sanction fields that FtM's Sanction schema does not have
_NOT_FTM = {"listType"}
_ID_SCHEMATA = {"Passport": "passportNumber", "Identification": "idNumber"}
MAX_LINE = 16 * 1024 * 1024


def _read_lines(path: Path) -> Iterator[tuple[int, dict[str, Any]]]:
    """Every entity line, checked for FtM's shape: an id, a schema, and properties that map
    names to lists of strings (FtM values are always text; anything else is refused, not
    stored as the text of a Python object)."""
    for number, data in iter_json_lines(path, max_line=MAX_LINE, max_bytes=MAX_LIST_FILE_BYTES):
        where = f"line {number}"
        if (
            not isinstance(data, dict)
            or not isinstance(data.get("id"), str)
            or not isinstance(data.get("schema"), str)
        ):
            raise DataError(
                "not an FtM entity: needs string 'id' and 'schema'", path=path, location=where
            )
        props = data.get("properties", {})
        if not isinstance(props, dict):
            raise DataError("'properties' must be an object", path=path, location=where)
        for prop, values in props.items():
            if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
                raise DataError(
                    f"property {_cite(prop)} must be a list of strings (FtM values are text)",
                    path=path,
                    location=where,
                )
        yield number, data


def _cite(text: str) -> str:
    """A property name for a message: quoted, invisible characters escaped, cut short."""
    shown = text if len(text) <= 40 else text[:39] + "…"
    return ascii(shown) if not shown.isprintable() else repr(shown)


def _dataset_of(path: Path) -> str:
    for _, data in _read_lines(path):
        datasets = data.get("datasets") or []
        if datasets and isinstance(datasets[0], str):
            return str(datasets[0])
        break
    return path.name.split(".", 1)[0]


class FtMParser(ListParser):
    format = "ftm"
    list_id = "ftm"
    title = "FollowTheMoney entities (JSON lines)"

    def sniff(self, path: Path, head: bytes) -> bool:
        first = head.lstrip().split(b"\n", 1)[0]
        return first.startswith(b"{") and b'"schema"' in first and b'"id"' in first

    def parse(self, path: Path) -> ParsedList:
        list_id = _dataset_of(path)
        return ParsedList(
            list_id=list_id,
            format=self.format,
            files=[path],
            entities=self._entities(path, list_id),
            title=self.title,
        )

    def _entities(self, path: Path, list_id: str) -> Iterator[Entity]:
        main: dict[str, tuple[int, dict[str, Any]]] = {}
        satellites: dict[str, list[dict[str, Any]]] = defaultdict(list)
        addresses: dict[str, str] = {}
        for number, data in _read_lines(path):
            schema, props = data["schema"], data.get("properties", {})
            if schema in SCHEMATA:
                if data["id"] in main:
                    raise DataError(
                        f"duplicate entity id {data['id']!r} (first on line {main[data['id']][0]})",
                        path=path,
                        location=f"line {number}",
                    )
                main[data["id"]] = (number, data)
            elif schema == "Address":
                full = props.get("full") or []
                if full:
                    addresses[data["id"]] = str(full[0])
            else:
                for key in ("entity", "holder"):
                    for target in props.get(key, []):
                        satellites[str(target)].append(data)
        for ftm_id, (number, data) in main.items():
            try:
                yield self._entity(data, list_id, satellites.get(ftm_id, []), addresses)
            except (ValueError, TypeError) as exc:
                raise DataError(
                    str(exc), path=path, location=f"line {number} (entity {ftm_id!r})"
                ) from exc

    def _entity(
        self,
        data: dict[str, Any],
        list_id: str,
        satellites: list[dict[str, Any]],
        addresses: dict[str, str],
    ) -> Entity:
        ftm_id = data["id"]
        ref = ftm_id.split(":", 1)[1] if ftm_id.startswith(f"{list_id}:") else ftm_id
        entity = Entity.make(list_id, ref, data["schema"])
        for prop, values in data.get("properties", {}).items():
            if prop == "addressEntity":
                entity.add_all("address", (addresses[v] for v in values if v in addresses))
            elif prop in entity.schema.properties:
                entity.add_all(prop, values)
        for satellite in satellites:
            props = satellite.get("properties", {})
            if satellite["schema"] == "Sanction":
                _fold_sanction(entity.sanction, props)
            elif satellite["schema"] in _ID_SCHEMATA:
                target = _ID_SCHEMATA[satellite["schema"]]
                if target in entity.schema.properties:
                    entity.add_all(target, props.get("number", []))
        return entity


def _fold_sanction(sanction: Sanction, props: dict[str, list[Any]]) -> None:
    for prop, values in props.items():
        if prop in SANCTION_PROPERTIES:
            sanction.add_all(prop, values)


def entity_to_ftm(entity: Entity) -> list[dict[str, Any]]:
    """The FtM entities for one listed party: itself and, if listed, its Sanction."""
    props = {p: [v.value for v in vs] for p, vs in entity.properties.items() if vs}
    props.setdefault("topics", ["sanction"])
    main: dict[str, Any] = {
        "id": entity.id,
        "schema": entity.schema.name,
        "caption": entity.caption,
        "properties": props,
        "datasets": [entity.list_id],
    }
    out = [main]
    sanction_props: dict[str, list[str]] = {
        p: [v.value for v in vs]
        for p, vs in entity.sanction.properties.items()
        if vs and p not in _NOT_FTM
    }
    if sanction_props:
        sanction_props["entity"] = [entity.id]
        out.append(
            {
                "id": f"{entity.id}-sanction",
                "schema": "Sanction",
                "caption": entity.caption,
                "properties": sanction_props,
                "datasets": [entity.list_id],
            }
        )
    return out


def write_ftm(entities: Iterable[Entity], out: TextIO) -> int:
    """Write entities as FtM JSON lines; returns how many lines were written."""
    count = 0
    for entity in entities:
        for record in entity_to_ftm(entity):
            out.write(json.dumps(record, ensure_ascii=False, sort_keys=True) + "\n")
            count += 1
    return count
