from __future__ import annotations

from pathlib import Path

import pytest

from counterflow.errors import DataError
from counterflow.lists.formats.uk_fcdo_xml import UKSanctionsListParser
from counterflow.lists.registry import detect, get_parser
from counterflow.model import Entity

PARSER = UKSanctionsListParser()

DESIGNATION = """
  <Designation>
    <UniqueID>{ref}</UniqueID>
    <Names><Name><Name6>{name}</Name6><NameType>Primary Name</NameType></Name></Names>
    <IndividualEntityShip>{kind}</IndividualEntityShip>
  </Designation>"""


def sample(fixtures: Path) -> Path:
    return fixtures / "lists/uk_fcdo_xml/UK_Sanctions_List.xml"


def entities(path: Path) -> dict[str, Entity]:
    return {e.ref: e for e in PARSER.parse(path).entities}


def designation(ref: str = "TST0100", name: str = "EXAMPLE", kind: str = "Entity") -> str:
    return DESIGNATION.format(ref=ref, name=name, kind=kind)


def write(
    tmp_path: Path, *designations: str, generated: str = "03/02/2026", root: str = "Designations"
) -> Path:
    path = tmp_path / "UK_Sanctions_List.xml"
    body = "".join(designations)
    path.write_text(
        f'<?xml version="1.0" encoding="utf-8"?>\n<{root}>\n'
        f"  <DateGenerated>{generated}</DateGenerated>{body}\n</{root}>\n",
        encoding="utf-8",
    )
    return path


def test_sniff_and_registry(fixtures: Path) -> None:
    path = sample(fixtures)
    assert PARSER.sniff(path, path.read_bytes()[:4096])
    assert PARSER.sniff(path, b"\xef\xbb\xbf<Designations xmlns:xsi='x'>")
    assert not PARSER.sniff(path, b'<?xml version="1.0"?>\n<CONSOLIDATED_LIST>')
    assert not PARSER.sniff(path, b"Last Updated,13/04/2018,,")
    assert not PARSER.sniff(path, b"<html><body>Designations</body></html>")
    assert get_parser("uk-fcdo-xml") is not None
    assert detect(path).format == "uk-fcdo-xml"


def test_sample_metadata(fixtures: Path) -> None:
    parsed = PARSER.parse(sample(fixtures))
    assert (parsed.list_id, parsed.format, parsed.published) == ("uk", "uk-fcdo-xml", "2026-02-03")
    found = {e.ref: e for e in parsed.entities}
    assert {ref: e.schema.name for ref, e in found.items()} == {
        "TST0001": "Person",
        "TST0002": "Organization",
        "TST0003": "Vessel",
        "TST0004": "Organization",
        "TST0005": "Person",
    }
    assert all(e.id == f"uk:{e.ref}" and e.first("name") for e in found.values())


def test_sample_individual(fixtures: Path) -> None:
    person = entities(sample(fixtures))["TST0001"]
    assert person.get("name") == ["IVAN PETROVICH ZED EXAMPLEOV"]
    assert (person.get("firstName"), person.get("middleName"), person.get("lastName")) == (
        ["IVAN"],
        ["PETROVICH ZED"],
        ["EXAMPLEOV"],
    )
    # the primary name variation and the good-quality alias are strong, the low-quality weak;
    # the empty <Name> is skipped; the Cyrillic name is an alias in original script
    assert person.get("alias") == [
        "Ivan Petrovitch Exampleoff",
        "Johnny Placeholder",
        "Иван Петрович ЭКЗАМПЛЕОВ",
    ]
    assert person.properties["alias"][2].qualifier == "original script"
    assert person.get("weakAlias") == ["The Example"]
    births = [(v.value, v.original) for v in person.properties["birthDate"]]
    assert births == [
        ("1961", "dd/mm/1961"),
        ("1962-07-05", "05/07/1962"),
        ("1963-07", "dd/07/1963"),
    ]
    assert person.get("title") == ["Colonel"]
    assert person.get("nationality") == ["Ruritania", "Freedonia"]
    assert person.get("position") == ["Commander of the Imaginary Brigade"]
    assert person.get("gender") == ["male"]
    assert person.get("birthPlace") == ["Strelsau, Ruritania"]
    assert person.get("birthCountry") == ["Ruritania"]
    passport = person.properties["passportNumber"][0]
    assert (passport.value, passport.original) == (
        "X0000001",
        "X0000001; Ruritanian passport, expired",
    )
    assert person.get("idNumber") == ["ID-123-456"]
    assert person.get("address") == ["1 Nowhere Street, Exampleville, 00000, Ruritania"]
    assert "OFSI Group ID: 90001" in person.get("notes")
    sanction = person.sanction
    assert sanction.get("authorityId") == ["TST0001"]
    assert sanction.get("unscId") == ["QDi.999"]
    assert sanction.get("program") == [
        "The Fictional Territory (Sanctions) (EU Exit) Regulations 2020"
    ]
    assert sanction.get("listType") == ["UN"]
    assert sanction.get("provisions") == ["Asset freeze", "Travel Ban"]
    assert sanction.get("reason") == ["Invented for counterflow's tests."]
    assert sanction.get("listingDate") == ["2001-01-25"]
    assert sanction.get("modifiedAt") == ["2026-01-14"]


def test_sample_entity_with_weak_alias(fixtures: Path) -> None:
    company = entities(sample(fixtures))["TST0002"]
    assert company.get("name") == ["FICTITIOUS TRADING COMPANY LIMITED (FTCL)"]
    assert company.get("weakAlias") == ["FTCL", "Fictitious Trading"]  # acronym; "ALias", Weak
    assert company.get("alias") == ["Imaginary Exports Co"]
    assert company.get("email") == ["info@ftcl.example", "sales@ftcl.example"]
    assert company.get("phone") == ["+000 0000 0000"]
    assert company.get("website") == ["www.ftcl.example"]
    assert company.get("legalForm") == ["Private limited company"]
    assert company.get("registrationNumber") == ["REG-0000-42"]
    assert company.get("country") == ["Freedonia", "Ruritania"]
    assert len(company.get("address")) == 2
    assert "Parent company: Imaginary Holdings" in company.get("notes")
    assert company.sanction.get("listType") == ["UK"]


def test_sample_ship(fixtures: Path) -> None:
    ship = entities(sample(fixtures))["TST0003"]
    assert ship.get("name") == ["SEA PHANTOM"] and ship.get("alias") == ["OCEAN MIRAGE"]
    imo = ship.properties["imoNumber"][0]
    assert (imo.value, imo.original) == ("IMO0000001", "0000001")
    assert ship.get("flag") == ["Freedonia"]
    assert ship.get("owner") == ["Fictitious Trading Company Limited"]
    assert ship.get("type") == ["Bulk Carrier"] and ship.get("tonnage") == ["7078"]
    assert ship.get("buildDate") == ["2011"]
    # a vessel has no phone property: the number is kept as a note rather than lost
    assert "Phone: +000 1111 1111" in ship.get("notes")
    assert "Previous flag: Ruritania" in ship.get("notes")
    assert ship.sanction.get("provisions") == ["Prohibition of port entry", "Deflag"]


def test_sample_odd_records(fixtures: Path) -> None:
    found = entities(sample(fixtures))
    aliases_only = found["TST0004"]
    assert aliases_only.get("name") == ["Phantom Network"]
    assert aliases_only.get("weakAlias") == ["Ghost Group"]
    person = found["TST0005"]
    assert person.get("name") == ["Abu Fulan AL-MITHAL"]  # NameType "primary name"
    assert person.get("alias") == ["أبو فلان المثال"]
    assert [(v.value, v.qualifier) for v in person.properties["birthDate"]] == [
        ("1975", None),
        ("1977", "approximately"),
    ]
    assert person.get("notes") == [
        "DOB: unknown",
        "Passport: Passport number not known",
        "DateDesignated: not known",
    ]
    assert "listingDate" not in person.sanction.properties


def test_namespaced_root_and_no_date(tmp_path: Path) -> None:
    path = tmp_path / "ns.xml"
    path.write_text(
        f'<Designations xmlns="urn:example">{designation()}</Designations>', encoding="utf-8"
    )
    parsed = PARSER.parse(path)
    assert parsed.published is None
    assert [e.get("name") for e in parsed.entities] == [["EXAMPLE"]]


def test_empty_file(tmp_path: Path) -> None:
    path = tmp_path / "UK_Sanctions_List.xml"
    path.write_bytes(b"")
    with pytest.raises(DataError, match=r"UK_Sanctions_List\.xml: the file is empty"):
        PARSER.parse(path)


def test_truncated_file(fixtures: Path, tmp_path: Path) -> None:
    data = sample(fixtures).read_bytes()
    path = tmp_path / "UK_Sanctions_List.xml"
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(DataError, match=r"UK_Sanctions_List\.xml, line \d+, column \d+: malformed"):
        PARSER.parse(path)


def test_wrong_encoding(tmp_path: Path) -> None:
    path = write(tmp_path, designation(name="EXAMPLE"))
    path.write_bytes(path.read_bytes().replace(b"EXAMPLE", b"EX\xe9MPLE"))
    with pytest.raises(DataError, match=r"UK_Sanctions_List\.xml, line 6, column \d+: malformed"):
        PARSER.parse(path)


def test_wrong_root(tmp_path: Path) -> None:
    path = write(tmp_path, designation(), root="CONSOLIDATED_LIST")
    with pytest.raises(DataError, match=r"root element is <CONSOLIDATED_LIST>, expected"):
        PARSER.parse(path)


def test_no_designations(tmp_path: Path) -> None:
    with pytest.raises(DataError, match=r"UK_Sanctions_List\.xml: the file holds no <Designation>"):
        PARSER.parse(write(tmp_path))


def test_bad_generation_date(tmp_path: Path) -> None:
    with pytest.raises(DataError, match="DateGenerated 'yesterday' is not a date"):
        PARSER.parse(write(tmp_path, designation(), generated="yesterday"))


def test_missing_unique_id(tmp_path: Path) -> None:
    path = write(tmp_path, designation("TST0100"), designation(""))
    with pytest.raises(DataError, match=r"xml, <Designation> #2: the designation has no UniqueID"):
        list(PARSER.parse(path).entities)


def test_duplicate_unique_id(tmp_path: Path) -> None:
    path = write(tmp_path, designation("TST0100"), designation("TST0100", name="OTHER"))
    with pytest.raises(DataError, match=r"<Designation> #2 \(TST0100\): duplicate reference"):
        list(PARSER.parse(path).entities)


def test_unknown_type(tmp_path: Path) -> None:
    path = write(tmp_path, designation(kind="Aircraft"))
    with pytest.raises(DataError, match=r"#1 \(TST0100\): IndividualEntityShip is 'Aircraft'"):
        list(PARSER.parse(path).entities)


def test_designation_without_name(tmp_path: Path) -> None:
    path = write(tmp_path, designation(name=""))
    with pytest.raises(DataError, match=r"#1 \(TST0100\): the designation has no name"):
        list(PARSER.parse(path).entities)


def test_entity_expansion_refused(tmp_path: Path) -> None:
    path = tmp_path / "bomb.xml"
    path.write_text(
        '<?xml version="1.0"?><!DOCTYPE d [<!ENTITY a "aaaa">]><Designations>&a;</Designations>',
        encoding="utf-8",
    )
    with pytest.raises(DataError, match="refused XML"):
        PARSER.parse(path)
