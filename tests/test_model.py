from __future__ import annotations

import pytest

from counterflow.model import APPROXIMATE, Entity, parse_date
from counterflow.model.dates import year_span


@pytest.mark.parametrize(
    ("text", "value", "approximate"),
    [
        ("1971", "1971", False),
        ("1971-05-03", "1971-05-03", False),
        ("03/05/1971", "1971-05-03", False),
        ("00/00/1960", "1960", False),
        ("00/04/1960", "1960-04", False),
        ("1960-00-00", "1960", False),
        ("circa 1960", "1960", True),
        ("approximately 1955", "1955", True),
        ("1958 to 1960", "1958/1960", False),
        ("Between 1960 and 1965", "1960/1965", False),
        ("1962-1960", "1960/1962", False),
        ("01 Jan 1960", "1960-01-01", False),
        ("1 Jan. 1960", "1960-01-01", False),
        ("Jan 1960", "1960-01", False),
        ("March 4, 1975", "1975-03-04", False),
        ("2026-02-27T00:00:09.554Z", "2026-02-27", False),
    ],
)
def test_parse_date_keeps_precision(text: str, value: str, approximate: bool) -> None:
    parsed = parse_date(text)
    assert parsed is not None
    assert (parsed.value, parsed.approximate) == (value, approximate)


@pytest.mark.parametrize("text", ["", "unknown", "31/02/1970", "1960-13-01", "0000", "Sometime"])
def test_parse_date_refuses_what_it_cannot_read(text: str) -> None:
    assert parse_date(text) is None


def test_year_span() -> None:
    assert year_span("1971-05-03") == (1971, 1971)
    assert year_span("1958/1960") == (1958, 1960)


def test_values_are_cleaned_deduplicated_and_keep_their_original() -> None:
    entity = Entity.make("un-sc", "QDi.999", "Person")
    stored = entity.add("name", "  ABU\n   EXAMPLE ")
    entity.add("name", "ABU EXAMPLE")
    entity.add("birthDate", "1970", original="circa 1970", qualifier=APPROXIMATE)
    assert stored is not None and stored.original == "  ABU\n   EXAMPLE "
    assert entity.get("name") == ["ABU EXAMPLE"]
    assert entity.properties["birthDate"][0].qualifier == APPROXIMATE
    assert entity.add("alias", "   ") is None
    assert entity.id == "un-sc:QDi.999" and entity.caption == "ABU EXAMPLE"


def test_property_must_fit_the_schema() -> None:
    vessel = Entity.make("ofac-sdn", "1", "Vessel")
    vessel.add("imoNumber", "IMO 1234567")
    with pytest.raises(ValueError, match="birthDate"):
        vessel.add("birthDate", "1970")
    with pytest.raises(ValueError, match="unknown schema"):
        Entity.make("x", "1", "Spaceship")


def test_json_round_trip_and_layout_free_fingerprint() -> None:
    a = Entity.make("un-sc", "QDe.1", "Organization")
    a.add("name", "EXAMPLE FRONT")
    a.add("notes", "line one\nline two")
    a.sanction.add("program", "Al-Qaida")
    b = Entity.from_json(a.to_json())
    assert b.to_json() == a.to_json()
    c = Entity.make("un-sc", "QDe.1", "Organization")
    c.add("name", "EXAMPLE   FRONT")
    c.add("notes", "line one line two")
    c.sanction.add("program", "Al-Qaida")
    assert c.fingerprint() == a.fingerprint()
    c.add("alias", "The Example")
    assert c.fingerprint() != a.fingerprint()
