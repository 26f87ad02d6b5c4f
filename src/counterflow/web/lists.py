"""The lists pages: the editions of each list (the active one marked), the diff between two
editions (:mod:`counterflow.lists.diff`, as ``counterflow lists diff``), and one entry with
every name, its listings across lists (the resolved parties of
:mod:`counterflow.lists.resolve`) and its dates, countries and identifiers."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse

from counterflow.api.security import service_of
from counterflow.errors import NotFoundError
from counterflow.lists import resolve
from counterflow.lists.diff import diff_editions
from counterflow.lists.store import (
    Edition,
    active_editions,
    find_entities,
    get_entity,
    list_editions,
    pinned_lists,
    resolve_edition,
)
from counterflow.model import Entity
from counterflow.model.schema import PROPERTIES, PropType
from counterflow.web.paging import page_of
from counterflow.web.render import render
from counterflow.web.session import AnalystViewer

router = APIRouter(prefix="/ui", include_in_schema=False)

#: rows per page of a diff's section
DIFF_PAGE = 100
Section = Literal["added", "removed", "changed"]
SpecParam = Annotated[str | None, Query(max_length=100)]


@router.get("/lists", response_class=HTMLResponse)
def lists_page(request: Request, viewer: AnalystViewer) -> HTMLResponse:
    svc = service_of(request)
    with svc.workspace.connect(read_only=True) as conn:
        editions = list_editions(conn)
        active = {k: v.edition_id for k, v in active_editions(conn).items()}
        pinned = pinned_lists(conn)
    by_list: dict[str, list[Edition]] = {}
    for edition in editions:
        by_list.setdefault(edition.list_id, []).append(edition)
    return render(
        request,
        "lists.html",
        viewer,
        by_list=sorted(by_list.items()),
        active=active,
        pinned=pinned,
    )


@router.get("/lists/diff", response_class=HTMLResponse)
def diff_page(
    request: Request,
    viewer: AnalystViewer,
    list_id: Annotated[str, Query(alias="list", min_length=1, max_length=64)],
    from_spec: Annotated[str | None, Query(alias="from", max_length=100)] = None,
    to_spec: Annotated[str | None, Query(alias="to", max_length=100)] = None,
    show: Section = "changed",
    page: Annotated[int, Query(ge=1, le=100_000)] = 1,
) -> HTMLResponse:
    svc = service_of(request)
    with svc.workspace.connect(read_only=True) as conn:
        editions = list_editions(conn, list_id)
        if not editions:
            raise NotFoundError(f"no list {list_id!r} in the workspace")
        new = resolve_edition(conn, list_id, to_spec or "latest")
        if from_spec:
            old = resolve_edition(conn, list_id, from_spec)
        else:
            ids = [e.edition_id for e in editions]  # newest first
            older = editions[ids.index(new.edition_id) + 1 :]
            if not older:
                raise NotFoundError(
                    f"list {list_id!r} has one edition ({new.label}): nothing to compare it with"
                )
            old = older[0]
        diff = diff_editions(conn, old, new)
    sections: dict[str, Sequence[object]] = {
        "added": diff.added,
        "removed": diff.removed,
        "changed": diff.changed,
    }
    items = sections[show]
    shown = items[(page - 1) * DIFF_PAGE : page * DIFF_PAGE]
    pager = page_of(
        "/ui/lists/diff",
        {"list": list_id, "from": old.label, "to": new.label, "show": show},
        page,
        DIFF_PAGE,
        len(items),
    )
    return render(
        request,
        "lists_diff.html",
        viewer,
        list_id=list_id,
        editions=editions,
        old=old,
        new=new,
        counts={k: len(v) for k, v in sections.items()},
        show=show,
        shown=shown,
        pager=pager,
    )


@dataclass(frozen=True)
class Facts:
    """An entry's values grouped as the page shows them: (property, value, original,
    qualifier) rows."""

    names: list[tuple[str, str, str, str]]
    dates: list[tuple[str, str, str, str]]
    countries: list[tuple[str, str, str, str]]
    identifiers: list[tuple[str, str, str, str]]
    other: list[tuple[str, str, str, str]]
    sanction: list[tuple[str, str, str, str]]

    @classmethod
    def of(cls, entity: Entity) -> Facts:
        groups: dict[str, list[tuple[str, str, str, str]]] = {
            k: [] for k in ("names", "dates", "countries", "identifiers", "other")
        }
        kinds = {
            PropType.NAME: "names",
            PropType.DATE: "dates",
            PropType.COUNTRY: "countries",
            PropType.IDENTIFIER: "identifiers",
        }
        for prop in sorted(entity.properties, key=_order):
            group = kinds.get(PROPERTIES.get(prop, PropType.TEXT), "other")
            for v in entity.properties[prop]:
                groups[group].append((prop, v.value, v.original or "", v.qualifier or ""))
        sanction = [
            (prop, v.value, v.original or "", v.qualifier or "")
            for prop in sorted(entity.sanction.properties)
            for v in entity.sanction.properties[prop]
        ]
        return cls(sanction=sanction, **groups)


_NAME_ORDER = ("name", "alias", "previousName", "weakAlias")


def _order(prop: str) -> tuple[int, str]:
    return (_NAME_ORDER.index(prop) if prop in _NAME_ORDER else len(_NAME_ORDER), prop)


@router.get("/lists/entry/{entity_id:path}", response_class=HTMLResponse)
def entry_page(
    request: Request,
    viewer: AnalystViewer,
    entity_id: str,
    edition: SpecParam = None,
) -> HTMLResponse:
    if len(entity_id) > 300:
        raise NotFoundError("no such entry")
    svc = service_of(request)
    with svc.workspace.connect(read_only=True) as conn:
        found: tuple[Edition, Entity] | None = None
        list_id = entity_id.partition(":")[0]
        if edition:
            chosen = resolve_edition(conn, list_id, edition)
            entity = get_entity(conn, chosen.edition_id, entity_id)
            if entity is not None:
                found = (chosen, entity)
        else:
            hits = [(e, x) for e, x in find_entities(conn, entity_id) if x.id == entity_id]
            if hits:
                found = hits[0]
            else:  # not in the active edition: the newest edition that has it
                for older in list_editions(conn, list_id):
                    entity = get_entity(conn, older.edition_id, entity_id)
                    if entity is not None:
                        found = (older, entity)
                        break
        if found is None:
            raise NotFoundError(f"no entry {entity_id!r} in the workspace")
        shown_edition, entity = found
        holding = [
            e
            for e in list_editions(conn, entity.list_id)
            if get_entity(conn, e.edition_id, entity_id) is not None
        ]
        active = active_editions(conn)
        resolution = resolve.stored(conn)
    state = svc.holder.state if svc.holder.ready else None
    party = list(state.screener.party(entity_id)) if state is not None else []
    others = [e for e in party if e.id != entity_id]
    links = resolution.links_of(entity_id) if resolution is not None else []
    return render(
        request,
        "lists_entry.html",
        viewer,
        entity=entity,
        edition=shown_edition,
        is_active=active.get(entity.list_id) == shown_edition,
        holding=holding,
        facts=Facts.of(entity),
        others=others,
        links=links,
    )
