"""What is screened: one party's names and what else is known about it.

Queries come from three places, all built here: a CSV or Parquet row (the column names of the
``counterflow screen`` contract), FtM-style properties (the yente ``/match`` API), and keyword
arguments in Python. Values are cleaned the way list values are: every name and value first by
:func:`counterflow.text.clean_name` (invisible and control characters out, compatibility forms
folded), then dates to partial ISO, countries to ISO codes, gender to male / female. A name with
no letter or digit to screen is refused like an empty one: screening it would find nothing and
look like a clean result.
"""

from __future__ import annotations

import hashlib
import json
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from counterflow.errors import DataError
from counterflow.model import SCHEMATA, parse_date
from counterflow.model.countries import to_code
from counterflow.model.schema import COUNTRY_PROPERTIES, IDENTIFIER_PROPERTIES
from counterflow.text import cite, clean_name, has_screenable_text

#: longest name accepted in a query
MAX_QUERY_NAME = 1000
#: most names one query may carry
MAX_QUERY_NAMES = 50

_GENDERS = {
    "m": "male",
    "male": "male",
    "man": "male",
    "f": "female",
    "female": "female",
    "woman": "female",
}
_NAME_COLUMNS = ("name", "full_name")
_DATE_COLUMNS = ("birth_date", "date_of_birth", "dob")


def _text(value: Any) -> str | None:
    """A value as text with its spaces collapsed, or None: names stay as written until
    :class:`Query` cleans them, so that a refusal can show what was sent."""
    if value is None:
        return None
    if isinstance(value, float) and value != value:  # NaN from pandas / Parquet
        return None
    text = " ".join(str(value).split())
    return text or None


def _cleaned(values: Iterable[str | None]) -> list[str]:
    """The values as screening sees them (:func:`counterflow.text.clean_name`), empty ones out."""
    return [t for t in (clean_name(v) for v in values if v) if t]


def _dates(values: Iterable[str | None]) -> tuple[str, ...]:
    out = []
    for value in values:
        parsed = parse_date(value) if value else None
        if parsed and parsed.value not in out:
            out.append(parsed.value)
    return tuple(out)


def _countries(values: Iterable[str | None]) -> tuple[str, ...]:
    out = []
    for value in values:
        code = to_code(value) if value else None
        if code and code not in out:
            out.append(code)
    return tuple(out)


@dataclass(frozen=True)
class Query:
    """A party to screen. ``schema`` (FtM) narrows which list entries it can match."""

    names: tuple[str, ...]
    schema: str | None = None
    birth_dates: tuple[str, ...] = ()
    countries: tuple[str, ...] = ()
    gender: str | None = None
    identifiers: tuple[str, ...] = ()
    id: str | None = None

    def __post_init__(self) -> None:
        written = [n for n in (_text(n) for n in self.names) if n]
        if not written:
            raise DataError("the query has no name")
        if len(written) > MAX_QUERY_NAMES:
            raise DataError(f"the query has {len(written)} names, over the {MAX_QUERY_NAMES} limit")
        names: list[str] = []
        unscreenable: str | None = None
        for text in written:
            name = clean_name(text)
            if len(name) > MAX_QUERY_NAME:
                raise DataError(
                    f"a name is {len(name):,} characters long, over the {MAX_QUERY_NAME:,} limit"
                )
            if not has_screenable_text(name):
                # like an empty name: dropped, and refused when no other name is left
                unscreenable = unscreenable or text
            elif name not in names:
                names.append(name)
        if not names:
            raise DataError(
                f"the name {cite(unscreenable or '')} has no letters or digits to screen"
            )
        schema = None if self.schema is None else clean_name(self.schema) or None
        if schema is not None and schema not in SCHEMATA:
            known = ", ".join(sorted(SCHEMATA))
            raise DataError(f"unknown schema {cite(self.schema or '')} (known: {known})")
        object.__setattr__(self, "names", tuple(names))
        object.__setattr__(self, "schema", schema)
        object.__setattr__(self, "identifiers", tuple(_cleaned(self.identifiers)))

    def describe(self) -> dict[str, Any]:
        """The cleaned query as JSON: what it was screened as, for decisions and audit."""
        described: dict[str, Any] = {"schema": self.schema, "names": list(self.names)}
        for key in ("birth_dates", "countries", "identifiers"):
            if getattr(self, key):
                described[key] = list(getattr(self, key))
        if self.gender:
            described["gender"] = self.gender
        return described

    def fingerprint(self) -> str:
        """The query's identity for cleared hits: the party it describes, not how it was spelled
        out. Case, spacing, the order of values and the property names used (``nationality``
        or ``country``) do not matter, nor does the schema, which only narrows the entries a
        query can reach (the decision names the entry). Any other change makes another query."""

        def normal(values: Iterable[str]) -> list[str]:
            return sorted(
                {" ".join(unicodedata.normalize("NFC", v).casefold().split()) for v in values}
            )

        blob = json.dumps(
            [
                normal(self.names),
                sorted(self.birth_dates),
                sorted(self.countries),
                self.gender,
                normal(self.identifiers),
            ],
            ensure_ascii=False,
        )
        return hashlib.sha256(blob.encode("utf-8")).hexdigest()

    @classmethod
    def make(
        cls,
        name: str | Iterable[str],
        *,
        schema: str | None = None,
        birth_date: str | Iterable[str] | None = None,
        country: str | Iterable[str] | None = None,
        gender: str | None = None,
        identifier: str | Iterable[str] | None = None,
        id: str | None = None,
    ) -> Query:
        """A query from plain values, cleaned (text cleaned, dates parsed, countries coded)."""

        def many(value: str | Iterable[str] | None) -> list[str]:
            if value is None:
                return []
            return [value] if isinstance(value, str) else list(value)

        return cls(
            names=tuple(many(name)),
            schema=schema,
            birth_dates=_dates(_cleaned(many(birth_date))),
            countries=_countries(_cleaned(many(country))),
            gender=_GENDERS.get(clean_name(gender or "").lower()),
            identifiers=tuple(_cleaned(many(identifier))),
            id=id,
        )

    @classmethod
    def from_record(cls, record: Mapping[str, Any], *, default_id: str | None = None) -> Query:
        """A query from a row with the ``counterflow screen`` input columns.

        Columns: id, name (or full_name), first_name, middle_name, last_name, schema,
        birth_date (or date_of_birth), nationality, country, gender, id_number, place_of_birth.
        A full name and the parts joined are both tried when both are given.
        """
        get = {str(k).strip().lower(): _text(v) for k, v in record.items()}
        names = [n for n in (get.get(c) for c in _NAME_COLUMNS) if n]
        parts = [get.get(c) for c in ("first_name", "middle_name", "last_name")]
        joined = " ".join(p for p in parts if p)
        if joined and joined.lower() not in (n.lower() for n in names):
            names.append(joined)
        schema = get.get("schema")
        if schema is None and (get.get("first_name") or get.get("last_name")):
            schema = "Person"
        return cls.make(
            names,
            schema=schema,
            birth_date=[d for d in (get.get(c) for c in _DATE_COLUMNS) if d],
            country=[c for c in (get.get("nationality"), get.get("country")) if c],
            gender=get.get("gender"),
            identifier=[i for i in (get.get("id_number"),) if i],
            id=get.get("id") or default_id,
        )

    @classmethod
    def from_properties(
        cls, schema: str | None, properties: Mapping[str, Any], *, id: str | None = None
    ) -> Query:
        """A query from FtM-style properties, as yente's ``/match`` receives them."""

        def values(prop: str) -> list[str]:
            raw = properties.get(prop)
            if raw is None:
                return []
            items = raw if isinstance(raw, list | tuple) else [raw]
            return [t for t in (_text(v) for v in items) if t]

        names = [*values("name"), *values("alias"), *values("previousName")]
        parts = [" ".join(values(p)) for p in ("firstName", "middleName", "lastName")]
        joined = " ".join(p for p in parts if p)
        if joined:
            names.append(joined)
        genders = values("gender")
        return cls.make(
            names,
            schema=schema,
            birth_date=values("birthDate"),
            country=[c for p in COUNTRY_PROPERTIES for c in values(p)],
            gender=genders[0] if genders else None,
            identifier=[i for p in IDENTIFIER_PROPERTIES for i in values(p)],
            id=id,
        )
