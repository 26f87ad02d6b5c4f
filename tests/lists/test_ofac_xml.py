"""OFAC SDN.XML: the hand-written fixture, the same records as the CSV fixture giving the same
entities, and bad input."""

from __future__ import annotations

import shutil
from collections import Counter
from pathlib import Path

import pytest

from counterflow.errors import DataError
from counterflow.io import read_head
from counterflow.lists.formats.ofac_csv import OFACCsvParser
from counterflow.lists.formats.ofac_xml import OFACXmlParser, root_tag
from counterflow.lists.registry import detect
from counterflow.model import APPROXIMATE, Entity

PARSER = OFACXmlParser()


def entities(path: Path) -> dict[str, Entity]:
    return {e.ref: e for e in PARSER.parse(path).entities}


def values(entity: Entity, prop: str) -> list[tuple[str, str | None, str | None]]:
    return [(v.value, v.original, v.qualifier) for v in entity.properties.get(prop, [])]


@pytest.fixture
def sdn_xml(fixtures: Path) -> Path:
    return fixtures / "lists" / "ofac_xml" / "SDN.XML"


@pytest.fixture
def sdn(sdn_xml: Path) -> dict[str, Entity]:
    return entities(sdn_xml)


def test_publication(sdn_xml: Path) -> None:
    parsed = PARSER.parse(sdn_xml)
    assert parsed.list_id == "ofac-sdn"
    assert parsed.format == "ofac-xml"
    assert parsed.published == "2024-03-14"
    assert parsed.files == [sdn_xml]
    assert parsed.extra == {"record_count": "5"}
    found = list(parsed.entities)
    assert [e.ref for e in found] == ["90001", "90002", "90003", "90004", "90008"]
    assert Counter(e.schema.name for e in found) == {
        "Person": 2,
        "Organization": 1,
        "Vessel": 1,
        "Airplane": 1,
    }


def test_person(sdn: dict[str, Entity]) -> None:
    person = sdn["90001"]
    assert person.get("name") == ["ZORVANEK, Ilmar Quentin"]
    assert person.get("firstName") == ["Ilmar Quentin"]
    assert person.get("lastName") == ["ZORVANEK"]
    assert values(person, "birthDate") == [
        ("1961-02-03", "03 Feb 1961", None),
        ("1958", "circa 1958", APPROXIMATE),
        ("1955/1957", "1955 to 1957", None),
    ]
    assert values(person, "passportNumber") == [
        ("X1234567", "Passport X1234567 (Freedonia) issued 01 Jan 2010 expires 31 Dec 2020", None)
    ]
    assert person.get("gender") == ["male"]
    assert person.get("alias") == ["ZORVANEK, Ilmar"]
    assert person.get("previousName") == ["ZORVANIK, Ilmar Q."]
    assert values(person, "weakAlias") == [("THE FOX", "a.k.a. 'THE FOX'", None)]
    assert person.get("position") == ["Minister of Imaginary Affairs"]
    assert person.sanction.get("program") == ["SDGT", "IFSR"]
    assert person.get("notes") == [
        "(Linked To: KESTREL DYNAMICS LTD.)",
        "Linked To: KESTREL DYNAMICS LTD.",
    ]


def test_entity_with_weak_aka(sdn: dict[str, Entity]) -> None:
    org = sdn["90002"]
    assert org.schema.name == "Organization"
    assert org.get("weakAlias") == ["KDL"]
    assert org.get("alias") == ["KESTREL DYNAMICS LIMITED", "KESTREL HOLDINGS GROUP"]
    assert org.get("website") == ["www.kestrel-dynamics.example"]
    assert org.get("email") == ["info@kestrel-dynamics.example"]
    assert org.sanction.get("provisions") == [
        "Additional Sanctions Information - Subject to Secondary Sanctions"
    ]
    assert org.get("idNumber") == []  # the provision is not an identity number


def test_vessel_with_imo(sdn: dict[str, Entity]) -> None:
    vessel = sdn["90003"]
    assert values(vessel, "imoNumber") == [
        ("IMO9999991", "Vessel Registration Identification IMO 9999991", None)
    ]
    assert vessel.get("mmsi") == ["999123456"]
    assert vessel.get("callSign") == ["9XQZ7"]
    assert vessel.get("flag") == ["Freedonia"]
    assert vessel.get("tonnage") == ["45,000"]
    assert vessel.get("grossRegisteredTonnage") == ["25,100"]
    assert values(vessel, "weakAlias") == [("POLAR GHOST", "f.k.a. 'POLAR GHOST'", None)]
    assert vessel.get("previousName") == ["ARCTIC WRAITH"]


def test_aircraft(sdn: dict[str, Entity]) -> None:
    plane = sdn["90004"]
    assert plane.schema.name == "Airplane"
    assert plane.get("serialNumber") == ["0099", "4242000101"]
    assert plane.get("model") == ["FX-42 Skylark"]
    assert plane.get("buildDate") == ["1987"]


def test_dates_addresses_and_unknown_id_types(sdn: dict[str, Entity]) -> None:
    person = sdn["90008"]
    assert values(person, "birthDate") == [
        ("1962-03/1963-02", "Mar 1962 to Feb 1963", None),
        ("1966-07-07", "circa 07 Jul 1966", APPROXIMATE),
    ]
    assert "DOB the year of the comet" in person.get("notes")
    assert person.get("address") == [
        "Flat 9, Lantern Court, Old Quarter, Mudwick, Lower Province SY-4401, Sylvania"
    ]
    assert values(person, "idNumber") == [
        ("PL-0042", "Pilot License Number PL-0042 (Sylvania)", None)
    ]
    assert person.get("notes")[-1] == "Member of the fictitious Board of Nowhere."


def test_same_shape_as_csv(sdn: dict[str, Entity], fixtures: Path) -> None:
    """The records written in both fixtures give the same entity, notes apart (the CSV keeps
    its whole Remarks text there)."""
    from_csv = {
        e.ref: e for e in OFACCsvParser().parse(fixtures / "lists" / "ofac_csv" / "sdn").entities
    }
    for ref in ("90001", "90002", "90003", "90004"):
        xml_entity, csv_entity = sdn[ref], from_csv[ref]
        assert xml_entity.id == csv_entity.id
        xml_view, csv_view = xml_entity.comparable(), csv_entity.comparable()
        xml_notes = xml_view["properties"].pop("notes")
        csv_notes = csv_view["properties"].pop("notes")
        assert xml_view == csv_view, ref
        for prop in csv_entity.properties:  # originals too
            if prop != "notes":
                assert values(xml_entity, prop) == values(csv_entity, prop), (ref, prop)
        # each fact the CSV keeps as a separate note, SDN.XML keeps too
        assert set(csv_entity.get("notes")[1:]) <= set(xml_entity.get("notes")), ref
        assert xml_notes and csv_notes


def test_consolidated_file_is_the_nonsdn_list(sdn_xml: Path, tmp_path: Path) -> None:
    target = tmp_path / "consolidated.xml"
    shutil.copy(sdn_xml, target)
    parsed = PARSER.parse(target)
    assert parsed.list_id == "ofac-nonsdn"
    assert parsed.title == "Consolidated Sanctions List (non-SDN)"
    first = next(iter(parsed.entities))
    assert first.id == "ofac-nonsdn:90001"
    assert first.sanction.get("listType") == ["Consolidated Sanctions List (non-SDN)"]


def test_namespaces_do_not_matter(sdn_xml: Path, tmp_path: Path) -> None:
    text = sdn_xml.read_text("utf-8")
    for replacement in (
        'xmlns="https://sanctionslistservice.ofac.treas.gov/api/PublicationPreview/exports/XML"',
        "",
    ):
        target = tmp_path / "sdn.xml"
        target.write_text(text.replace('xmlns="http://tempuri.org/sdnList.xsd"', replacement))
        assert len(entities(target)) == 5


def test_sniff_and_detect(sdn_xml: Path) -> None:
    assert PARSER.sniff(sdn_xml, read_head(sdn_xml))
    assert root_tag(b'<?xml version="1.0"?><!-- a <comment> --><sdn:sdnList xmlns:sdn="x">') == (
        "sdnList"
    )
    assert not PARSER.sniff(Path("x.xml"), b'<?xml version="1.0"?><CONSOLIDATED_LIST>')
    assert not PARSER.sniff(Path("x.xml"), b"<root><sdnList/></root>")
    assert not PARSER.sniff(Path("x.xml"), b"<!-- unterminated")
    assert detect(sdn_xml).format == "ofac-xml"


# ---- bad input -----------------------------------------------------------------------------

HEAD = (
    '<?xml version="1.0"?>\n<sdnList xmlns="http://tempuri.org/sdnList.xsd">\n'
    "<publshInformation><Publish_Date>03/14/2024</Publish_Date>"
    "<Record_Count>1</Record_Count></publshInformation>\n"
)
ENTRY = (
    "<sdnEntry><uid>1</uid><lastName>FICTIONAL CO</lastName><sdnType>Entity</sdnType>"
    "<programList><program>SDGT</program></programList></sdnEntry>\n"
)


def xml_file(tmp_path: Path, body: str, head: str = HEAD, tail: str = "</sdnList>\n") -> Path:
    path = tmp_path / "SDN.XML"
    path.write_text(head + body + tail, "utf-8")
    return path


def expect_error(path: Path, *fragments: str) -> None:
    with pytest.raises(DataError) as info:
        list(PARSER.parse(path).entities)
    message = str(info.value)
    assert str(path) in message
    for fragment in fragments:
        assert fragment in message, message


def test_minimal_file_reads(tmp_path: Path) -> None:
    assert list(entities(xml_file(tmp_path, ENTRY))) == ["1"]


def test_empty_file(tmp_path: Path) -> None:
    path = tmp_path / "SDN.XML"
    path.write_bytes(b"")
    expect_error(path, "empty")


def test_truncated_file(sdn_xml: Path, tmp_path: Path) -> None:
    path = tmp_path / "SDN.XML"
    data = sdn_xml.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    expect_error(path, "malformed XML", "line ")


def test_wrong_root(tmp_path: Path) -> None:
    path = tmp_path / "SDN.XML"
    path.write_text("<CONSOLIDATED_LIST/>")
    expect_error(path, "root element is <CONSOLIDATED_LIST>")


def test_missing_or_bad_publish_date(tmp_path: Path) -> None:
    expect_error(xml_file(tmp_path, ENTRY, head='<sdnList xmlns="x">\n'), "Publish_Date is missing")
    bad = HEAD.replace("03/14/2024", "2024-03-14")
    expect_error(xml_file(tmp_path, ENTRY, head=bad), "Publish_Date '2024-03-14' is not MM/DD/YYYY")


def test_no_entries(tmp_path: Path) -> None:
    expect_error(xml_file(tmp_path, ""), "no <sdnEntry> records")


def test_record_problems(tmp_path: Path) -> None:
    expect_error(
        xml_file(tmp_path, ENTRY + ENTRY.replace("<uid>1</uid>", "")),
        "sdnEntry #2",
        "record has no <uid>",
    )
    expect_error(
        xml_file(tmp_path, ENTRY.replace("<lastName>FICTIONAL CO</lastName>", "")),
        "sdnEntry #1 (uid 1)",
        "record has no <lastName>",
    )
    expect_error(
        xml_file(tmp_path, ENTRY.replace(">Entity<", ">Spaceship<")),
        "sdnEntry #1 (uid 1)",
        "unknown sdnType 'Spaceship'",
    )


def test_duplicate_reference(tmp_path: Path) -> None:
    expect_error(
        xml_file(tmp_path, ENTRY + ENTRY),
        "sdnEntry #2 (uid 1)",
        "duplicate reference '1' (first at sdnEntry #1 (uid 1))",
    )


def test_wrong_encoding(tmp_path: Path) -> None:
    path = tmp_path / "SDN.XML"
    path.write_bytes(
        (HEAD + ENTRY.replace("FICTIONAL", "FICTION\xc9L")).encode("latin-1") + b"</sdnList>\n"
    )
    expect_error(path, "malformed XML", "line 4")
