"""A query's identity (for cleared hits) is the party it describes, not how it was written."""

from __future__ import annotations

from counterflow.screening import Query


def test_the_same_party_written_differently_has_one_fingerprint() -> None:
    base = Query.from_properties(
        "Person", {"name": ["Fulan Allan"], "birthDate": ["1970"], "nationality": ["Iraq"]}
    )
    same = [
        Query.from_properties(
            "Person",
            {
                "firstName": ["FULAN"],
                "lastName": ["allan"],
                "birthDate": ["1970"],
                "country": ["IQ"],
            },
        ),
        Query.make("  fulan   ALLAN ", birth_date="1970", country="iraq"),  # no schema
    ]
    assert all(q.fingerprint() == base.fingerprint() for q in same)


def test_any_other_change_makes_another_query() -> None:
    base = Query.make("Fulan Allan", birth_date="1970", country="IQ")
    others = [
        Query.make("Foulane Allan", birth_date="1970", country="IQ"),
        Query.make("Fulan Allan", birth_date="1971", country="IQ"),
        Query.make("Fulan Allan", birth_date="1970"),
        Query.make("Fulan Allan", birth_date="1970", country="IQ", gender="male"),
        Query.make("Fulan Allan", birth_date="1970", country="IQ", identifier="A123"),
        Query.make(["Fulan Allan", "Abu Mithal"], birth_date="1970", country="IQ"),
    ]
    prints = {q.fingerprint() for q in others}
    assert len(prints) == len(others) and base.fingerprint() not in prints
