"""EU FSF XML export: the hand-written fixture, parity with the CSV, and bad files."""

from __future__ import annotations

from pathlib import Path

import pytest

from counterflow.errors import DataError
from counterflow.io import read_head
from counterflow.lists.formats.eu_csv import EUCSVParser
from counterflow.lists.formats.eu_xml import NAMESPACE, EUXMLParser, NameRecord, main_name
from counterflow.lists.registry import detect
from counterflow.model import APPROXIMATE, Entity

PARSER = EUXMLParser()


def fixture_path(fixtures: Path) -> Path:
    return fixtures / "lists/eu_xml/eu_fsf_export.xml"


def parse(path: Path) -> dict[str, Entity]:
    return {e.ref: e for e in PARSER.parse(path).entities}


def values(entity: Entity, prop: str) -> list[tuple[str, str | None, str | None]]:
    return [(v.value, v.original, v.qualifier) for v in entity.properties.get(prop, [])]


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "eu.xml"
    path.write_text(text, encoding="utf-8")
    return path


def export(body: str, namespace: str = NAMESPACE, root: str = "export") -> str:
    return (
        f'<?xml version="1.0" encoding="UTF-8"?>\n<{root} xmlns="{namespace}" '
        f'generationDate="2020-01-01T00:00:00+01:00" globalFileId="1">\n{body}\n</{root}>\n'
    )


PERSON = (
    '<sanctionEntity logicalId="{ref}" euReferenceNumber="EU.1.1">'
    '<subjectType code="person" classificationCode="P"/>'
    '<nameAlias wholeName="Test PERSON {ref}" strong="true" logicalId="1"/>'
    "</sanctionEntity>"
)


# --- the fixture ----------------------------------------------------------------------------


def test_fixture_edition(fixtures: Path) -> None:
    parsed = PARSER.parse(fixture_path(fixtures))
    assert parsed.published == "2019-04-05T10:11:12.345+02:00"
    assert parsed.extra == {"globalFileId": "123456"}
    assert parsed.list_id == "eu" and parsed.format == "eu-xml"
    entities = {e.ref: e for e in parsed.entities}
    assert {ref: e.schema.name for ref, e in entities.items()} == {
        "9001": "Person", "9002": "Organization", "9003": "Person", "9004": "Organization",
        "9005": "Person",
    }  # fmt: skip


def test_person_with_several_birth_dates(fixtures: Path) -> None:
    boris = parse(fixture_path(fixtures))["9003"]
    assert boris.get("name") == ["Boris EXAMPLEMAN"]
    assert boris.get("weakAlias") == ["Abu Example"]  # strong="false"
    assert values(boris, "birthDate") == [
        ("1970-01-02", None, None),  # full date (year, month and day repeat it)
        ("1971", None, None),  # year only: precision kept
        ("1969", None, APPROXIMATE),  # circa="true"
        ("1968-07", None, None),  # month and year
        ("1965/1967", "1965 to 1967", APPROXIMATE),  # yearRangeFrom / yearRangeTo
    ]
    # a Hijri year is not a Gregorian one: kept in notes as published
    assert "Date of birth (ISLAMIC calendar): 1390" in boris.get("notes")
    assert "Birth: Year of birth as stated in the Hijri calendar." in boris.get("notes")
    assert boris.get("birthPlace") == ["Nowhere, North Province"]
    assert boris.get("birthCountry") == []  # "00" / UNKNOWN
    assert values(boris, "nationality") == [("iq", "IQ", None), ("ATLANTIS", None, None)]
    assert boris.get("idNumber") == ["ID-0000-42"]
    assert "Identification ID-0000-42: issued: 1 january 2001 expires: unknown" in boris.get(
        "notes"
    )
    sanction = boris.sanction
    assert sanction.get("unscId") == ["QDi.999"]
    assert sanction.get("startDate") == ["2005-06-07"]
    assert sanction.get("reason") == ["Designated for fictitious reasons."]
    assert sanction.get("listingDate") == ["2011-11-11"]
    assert sanction.get("authorityId") == ["EU.9003.33"]


def test_enterprise_with_weak_aliases(fixtures: Path) -> None:
    gns = parse(fixture_path(fixtures))["9004"]
    assert gns.get("name") == ["GLOBAL NOWHERE SHIPPING"]
    # strong="false", and a strong one whose remark calls it low quality
    assert gns.get("weakAlias") == ["GNS", "Global Nowhere"]
    assert gns.get("alias") == []
    assert "Function: Operates fictitious vessels" in gns.get("notes")
    assert gns.get("address") == ["PO Box 0000, Harbourtown"]
    assert gns.get("country") == ["sy"]
    assert gns.get("email") == ["info@nowhere.invalid"]
    assert "Fax: +963 00 0000" in gns.get("notes")
    assert gns.sanction.get("program") == ["SYR"]


def test_non_latin_names(fixtures: Path) -> None:
    ivan = parse(fixture_path(fixtures))["9005"]
    # the Bulgarian name has the lowest logical id, but the name is the untagged one
    assert ivan.get("name") == ["Ivan PRIMEROV"]
    assert ivan.get("alias") == ["Иван ПРИМЕРОВ", "Ιβάν ΠΡΙΜΕΡΟΦ"]
    assert ivan.get("firstName") == ["Иван", "Ivan"]
    assert ivan.get("position") == ["Deputy Minister of Examples"]
    assert values(ivan, "nationality") == [("ru", "RU", None)]


def test_main_name_rule() -> None:
    names = [
        NameRecord("30", "Zed", language="FR"),
        NameRecord("20", "Weak One", strong=False),
        NameRecord("12", "Second"),
        NameRecord("9", "English", language="en"),
        NameRecord("x", "No number"),
    ]
    chosen = main_name(names)
    assert chosen is not None and chosen.whole == "English"  # numeric, not text, order
    only_french = main_name(
        [NameRecord("5", "B", language="FR"), NameRecord("4", "A", language="DE")]
    )
    assert only_french is not None and only_french.whole == "A"
    assert main_name([NameRecord(None, None)]) is None


def test_same_records_as_the_csv(fixtures: Path) -> None:
    """Records 9001 and 9002 are written in both fixtures: one entity, whatever the format."""
    from_xml = parse(fixture_path(fixtures))
    from_csv = {e.ref: e for e in EUCSVParser().parse(fixtures / "lists/eu_csv/eu_fsf_v1.csv")
                .entities}  # fmt: skip
    for ref in ("9001", "9002"):
        assert from_xml[ref].id == from_csv[ref].id
        assert from_xml[ref].comparable() == from_csv[ref].comparable()
        assert from_xml[ref].fingerprint() == from_csv[ref].fingerprint()
    ivo = from_xml["9001"]
    assert ivo.get("passportNumber") == ["X0000001"]
    assert ivo.get("position") == ["Director, Example Holding"]
    assert ivo.sanction.get("sourceUrl") == ["https://eur-lex.europa.eu/example/2019-999"]
    acme = from_xml["9002"]
    assert (acme.sanction.get("listingDate"), acme.sanction.get("modifiedAt")) == (
        ["2012-01-18"],
        ["2018-02-16"],
    )


def test_sniff(fixtures: Path, tmp_path: Path) -> None:
    path = fixture_path(fixtures)
    assert PARSER.sniff(path, read_head(path))
    assert detect(path).format == "eu-xml"
    assert PARSER.sniff(path, b'<ns2:export xmlns:ns2="' + NAMESPACE.encode() + b'">')
    assert not PARSER.sniff(path, export("", namespace="urn:other").encode())
    assert not PARSER.sniff(path, b'<?xml version="1.0"?><CONSOLIDATED_LIST dateGenerated="x">')
    assert not PARSER.sniff(path, b'"Date_file;Entity_logical_id;Subject_type"')
    # the namespace must be the root's, not merely somewhere in the head
    assert not PARSER.sniff(path, b'<list><export xmlns="' + NAMESPACE.encode() + b'"/></list>')


# --- bad files ------------------------------------------------------------------------------


def test_empty_file(tmp_path: Path) -> None:
    path = write(tmp_path, "")
    with pytest.raises(DataError, match="empty") as err:
        PARSER.parse(path)
    assert str(path) in str(err.value)


def test_truncated_file(fixtures: Path, tmp_path: Path) -> None:
    text = fixture_path(fixtures).read_text(encoding="utf-8")
    path = write(tmp_path, text[: len(text) // 2])
    with pytest.raises(DataError, match="malformed XML") as err:
        PARSER.parse(path)
    assert str(path) in str(err.value) and "line " in str(err.value)


def test_wrong_root(tmp_path: Path) -> None:
    path = write(tmp_path, export(PERSON.format(ref=1), root="list"))
    with pytest.raises(DataError, match="expected <export>") as err:
        PARSER.parse(path)
    assert str(path) in str(err.value)


def test_wrong_namespace(tmp_path: Path) -> None:
    path = write(tmp_path, export(PERSON.format(ref=1), namespace="http://example.org/x"))
    with pytest.raises(DataError, match="expected <export> in the EU namespace"):
        PARSER.parse(path)


def test_no_entities(tmp_path: Path) -> None:
    with pytest.raises(DataError, match="no <sanctionEntity>"):
        PARSER.parse(write(tmp_path, export("")))


def test_duplicate_logical_id(tmp_path: Path) -> None:
    body = PERSON.format(ref=7) + PERSON.format(ref=8) + PERSON.format(ref=7)
    path = write(tmp_path, export(body))
    with pytest.raises(DataError, match="duplicate reference '7'") as err:
        list(PARSER.parse(path).entities)
    message = str(err.value)
    assert str(path) in message and "<sanctionEntity> #3 (logicalId 7)" in message
    assert "first at <sanctionEntity> #1" in message


def test_missing_logical_id(tmp_path: Path) -> None:
    path = write(tmp_path, export(PERSON.format(ref=1) + PERSON.replace(' logicalId="{ref}"', "")))
    with pytest.raises(DataError, match="no logicalId") as err:
        list(PARSER.parse(path).entities)
    assert "<sanctionEntity> #2" in str(err.value)


def test_missing_subject_type(tmp_path: Path) -> None:
    body = PERSON.format(ref=3).replace('<subjectType code="person" classificationCode="P"/>', "")
    with pytest.raises(DataError, match="no <subjectType>") as err:
        list(PARSER.parse(write(tmp_path, export(body))).entities)
    assert "logicalId 3" in str(err.value)


def test_record_without_a_name(tmp_path: Path) -> None:
    body = PERSON.format(ref=4).replace('wholeName="Test PERSON 4" ', "")
    with pytest.raises(DataError, match="no name") as err:
        list(PARSER.parse(write(tmp_path, export(body))).entities)
    assert "logicalId 4" in str(err.value)


def test_unknown_subject_type_is_a_legal_entity(tmp_path: Path) -> None:
    body = PERSON.format(ref=5).replace('code="person" classificationCode="P"', 'code="vessel"')
    entity = next(iter(PARSER.parse(write(tmp_path, export(body))).entities))
    assert entity.schema.name == "LegalEntity"
    assert entity.get("notes") == ["Subject type: vessel"]


def test_bad_generation_date(tmp_path: Path) -> None:
    text = export(PERSON.format(ref=1)).replace("2020-01-01T00:00:00+01:00", "yesterday")
    with pytest.raises(DataError, match="generationDate 'yesterday'"):
        PARSER.parse(write(tmp_path, text))


def test_entity_expansion_is_refused(tmp_path: Path) -> None:
    bomb = (
        '<?xml version="1.0"?><!DOCTYPE export [<!ENTITY a "aaaa">]>'
        f'<export xmlns="{NAMESPACE}"><sanctionEntity logicalId="&a;"/></export>'
    )
    with pytest.raises(DataError, match="refused XML"):
        PARSER.parse(write(tmp_path, bomb))
