from __future__ import annotations

import collections
from pathlib import Path

import pytest

from counterflow.errors import DataError
from counterflow.lists.formats.uk_ofsi_csv import (
    COLUMNS,
    OFSIConsolidatedParser,
    document_numbers,
    split_numbered,
    un_references,
)
from counterflow.lists.registry import detect, get_parser
from counterflow.model import Entity

PARSER = OFSIConsolidatedParser()
HEADER = ",".join(COLUMNS)
FIRST_LINE = "Last Updated,13/04/2018" + "," * 27


def sample(fixtures: Path) -> Path:
    return fixtures / "lists/uk_ofsi_csv/sanctionsconlist.csv"


def entities(path: Path) -> dict[str, Entity]:
    return {e.ref: e for e in PARSER.parse(path).entities}


def row(**cells: str) -> str:
    """One data row in the 2018 layout; keyword names use _ for spaces."""
    values = {c: "" for c in COLUMNS}
    for key, value in cells.items():
        values[key.replace("_", " ")] = value
    return ",".join(f'"{v}"' if "," in v else v for v in values.values())


def write(tmp_path: Path, *lines: str, encoding: str = "cp1252") -> Path:
    path = tmp_path / "ConList.csv"
    path.write_bytes(("\n".join(lines) + "\n").encode(encoding))
    return path


GOOD_ROW = row(Name_6="EXAMPLE", Group_Type="Entity", Alias_Type="Prime Alias", Group_ID="1")


@pytest.mark.parametrize(
    ("text", "items"),
    [
        ("1) Saudi Arabia 2) Qatar", ["Saudi Arabia", "Qatar"]),
        ("(1) Afghan (2) Pakistani", ["Afghan", "Pakistani"]),
        ("a) French, b) Tunisian", ["French", "Tunisian"]),
        ("(a) Russian  (b) Georgia", ["Russian", "Georgia"]),
        ("(1)-(2) Tunisia (3) Libya", ["Tunisia", "Libya"]),
        ("(1) to (6) Algeria (7) Morocco", ["Algeria", "Morocco"]),
        ("(1) Beja (2) - (3) -", ["Beja"]),
        ("a) General b)Major General", ["General", "Major General"]),
        ("Iran (Islamic Republic of)", ["Iran (Islamic Republic of)"]),
        ("(1) Russian (2) USSR (until 1991)", ["Russian", "USSR (until 1991)"]),
        ("", []),
    ],
)
def test_split_numbered(text: str, items: list[str]) -> None:
    assert split_numbered(text) == items


@pytest.mark.parametrize(
    ("text", "numbers"),
    [
        ("Passport No: 592667 (Qatari passport issued on 3 May 2007).", ["592667"]),
        ("L 191609 (Tunisian). Issued on 28 Feb 1996. Expired on 27 Feb 2001", ["L 191609"]),
        ("SE-011697 (Afghan) Issued on 25 Jan 1988 in Kabul.", ["SE-011697"]),
        ("British passport no.205939411 (issued 21.07.2004 expired 21.04.2015)", ["205939411"]),
        (
            "Passport Number. 290220142. Service passport number: 836220035",
            ["290220142", "836220035"],
        ),
        ("2246 (Diplomatic)", ["2246"]),
        ("MM611523 (Filipino) (2004)", ["MM611523"]),
        ("EE947317 (Filipino) (2000-2001)", ["EE947317"]),
        ("Passport number DB0004470 (issued 08/06/2012 - expires 07/06/2017)", ["DB0004470"]),
        ("842 781", ["842 781"]),
        ("Uganda Passport.", []),
        ("(Eqypt). Issued 1993.", []),
    ],
)
def test_document_numbers(text: str, numbers: list[str]) -> None:
    assert document_numbers(text) == numbers


@pytest.mark.parametrize(
    ("text", "refs"),
    [
        ("UN Ref QDe.004. Emir for the eastern zone", ["QDe.004"]),
        ("UN REF:QE.A.146.14. Also referred to as", ["QE.A.146.14"]),
        ("Annex XIII. UN Listing. UN Ref.KPI.067.", ["KPI.067"]),
        ("UN Ref. CFi.001. Other text", ["CFi.001"]),
        ("Annex XIV [UN Listing (formerly temporary listing)]", []),
    ],
)
def test_un_references(text: str, refs: list[str]) -> None:
    assert un_references(text) == refs


def test_sniff_and_registry(fixtures: Path) -> None:
    path = sample(fixtures)
    assert PARSER.sniff(path, path.read_bytes()[:4096])
    assert not PARSER.sniff(path, b'<?xml version="1.0"?><Designations/>')
    assert get_parser("uk-ofsi-csv") is not None
    assert detect(path).format == "uk-ofsi-csv"


def test_sample_groups_rows_into_targets(fixtures: Path) -> None:
    parsed = PARSER.parse(sample(fixtures))
    assert (parsed.list_id, parsed.format, parsed.published) == ("uk", "uk-ofsi-csv", "2019-03-02")
    found = {e.ref: e for e in parsed.entities}
    assert {ref: e.schema.name for ref, e in found.items()} == {
        "90101": "Person",
        "90102": "Organization",
        "90103": "Vessel",
        "90104": "Person",
        "90105": "Organization",
    }
    assert all(e.id == f"uk:{e.ref}" for e in found.values())


def test_sample_individual(fixtures: Path) -> None:
    person = entities(sample(fixtures))["90101"]
    assert person.get("name") == ["Ivan Petrovich Zed EXAMPLEOV"]
    assert (person.get("firstName"), person.get("middleName"), person.get("lastName")) == (
        ["Ivan"],
        ["Petrovich Zed"],
        ["EXAMPLEOV"],
    )
    assert person.get("alias") == ["Johnny PLACEHOLDER"]
    assert person.get("previousName") == ["Ivan OLDNAME"]
    births = [(v.value, v.original) for v in person.properties["birthDate"]]
    assert births == [
        ("1961", "00/00/1961"),
        ("1962-07-05", "05/07/1962"),
        ("1963-07", "00/07/1963"),
    ]
    assert person.get("title") == ["Colonel", "General"]
    assert person.get("nationality") == ["Ruritanian", "Freedonian"]
    assert person.properties["nationality"][0].original == "(1) Ruritanian (2) Freedonian"
    assert person.get("birthPlace") == ["Strelsau, Ruritania", "Zenda, Ruritania"]
    assert person.get("birthCountry") == ["Ruritania"]
    passports = person.properties["passportNumber"]
    assert [v.value for v in passports] == ["X0000001", "Y-0000002"]
    assert passports[0].original is not None and passports[0].original.startswith("Passport No:")
    assert person.get("idNumber") == ["123456789"]
    assert person.get("position") == ["Commander of the Imaginary Brigade"]
    assert person.get("address") == ["1 Nowhere Street, Exampleville, 00000, Ruritania"]
    assert person.get("country") == ["Ruritania"]
    assert person.get("notes") == [
        "UN Ref QDi.999. Fictitious test person’s record, invented for counterflow."
    ]
    sanction = person.sanction
    assert sanction.get("unscId") == ["QDi.999"]
    assert sanction.get("program") == ["The ISIL (Da'esh) and Al-Qaida organisations"]
    assert sanction.get("listingDate") == ["2001-01-25"]
    assert sanction.get("modifiedAt") == ["2019-01-14"]
    assert sanction.get("authorityId") == ["90101"]


def test_sample_entity_ship_and_odd_groups(fixtures: Path) -> None:
    found = entities(sample(fixtures))
    company = found["90102"]
    assert company.get("name") == ["FICTITIOUS TRADING COMPANY LIMITED (FTCL)"]
    assert company.get("alias") == ["IMAGINARY EXPORTS CO", "FICTITIOUS TRADING CO. LTD"]
    assert [(v.value, v.qualifier) for v in company.properties["weakAlias"]] == [
        ("FTCL", "acronym")
    ]
    assert company.sanction.get("unscId") == ["QE.F.999.01"]
    assert "firstName" not in company.properties
    ship = found["90103"]
    assert ship.get("name") == ["SEA PHANTOM"]
    assert ship.get("imoNumber") == ["IMO0000001"]
    # no primary-name row: the AKA leads, the FKA stays a former name, an unknown type is an alias
    nameless = found["90104"]
    assert nameless.get("name") == ["Abu Fulan AL-MITHAL"]
    assert nameless.get("previousName") == ["Fulan AL-SABIQ"]
    assert nameless.get("alias") == ["THE NICKNAME"]
    assert [(v.value, v.qualifier) for v in nameless.properties["birthDate"]] == [
        ("1970", "approximately")
    ]
    assert nameless.get("notes") == ["DOB: Unknown", "Listed On: 00/00/0000"]
    twice = found["90105"]
    assert twice.sanction.get("program") == ["Syria", "Terrorism and Terrorist Financing"]
    assert twice.sanction.get("listingDate") == ["2011-12-01", "2015-03-09"]


def test_2022_layout(fixtures: Path) -> None:
    path = fixtures / "lists/uk_ofsi_csv/ConList_2022_layout.csv"  # UTF-8 with a BOM, CRLF
    assert detect(path).format == "uk-ofsi-csv"
    parsed = PARSER.parse(path)
    assert parsed.published == "2024-02-01"
    found = {e.ref: e for e in parsed.entities}
    person = found["90201"]
    assert person.get("name") == ["Maria Ivanovna EXAMPLEOVA"]
    assert person.get("alias") == [
        "Mariya EKSAMPLEOVA",
        "Maria GOODALIAS",
        "Мария Ивановна ЭКЗАМПЛЕОВА",
    ]
    assert person.properties["alias"][2].qualifier == "original script"
    assert person.get("weakAlias") == ["MASHA"]  # Alias Quality "Low quality"
    assert person.get("passportNumber") == ["P000001", "P000002"]
    assert person.get("idNumber") == ["NI-0001"]
    assert "Passport Details: (1) Ruritanian, issued 2015 (2) Diplomatic" in person.get("notes")
    assert person.sanction.get("startDate") == ["2022-03-14"]
    assert person.sanction.get("listingDate") == ["2022-03-15"]
    ship = found["90202"]
    assert ship.schema.name == "Vessel" and ship.get("imoNumber") == ["IMO0000002"]


def test_utf8_file_is_read_as_utf8(tmp_path: Path) -> None:
    line = row(Name_6="ÉXAMPLE", Group_Type="Entity", Alias_Type="Prime Alias", Group_ID="7")
    path = write(tmp_path, FIRST_LINE, HEADER, line, encoding="utf-8-sig")
    assert entities(path)["7"].get("name") == ["ÉXAMPLE"]


def test_empty_file(tmp_path: Path) -> None:
    path = write(tmp_path, "")
    path.write_bytes(b"")
    with pytest.raises(DataError, match=r"ConList\.csv: the file is empty"):
        PARSER.parse(path)


def test_wrong_first_line(tmp_path: Path) -> None:
    path = write(tmp_path, HEADER, GOOD_ROW)
    with pytest.raises(DataError, match=r"ConList\.csv, line 1: expected 'Last Updated,<date>'"):
        PARSER.parse(path)


def test_bad_publication_date(tmp_path: Path) -> None:
    path = write(tmp_path, "Last Updated,April 2018", HEADER, GOOD_ROW)
    with pytest.raises(DataError, match=r"line 1: the 'Last Updated' date 'April 2018'"):
        PARSER.parse(path)


def test_missing_columns_are_named(tmp_path: Path) -> None:
    header = HEADER.replace("Group ID", "Group Identifier").replace(",DOB,", ",Birth,")
    path = write(tmp_path, FIRST_LINE, header, GOOD_ROW)
    with pytest.raises(DataError) as caught:
        PARSER.parse(path)
    message = str(caught.value)
    assert str(path) in message and "line 2" in message
    assert "missing columns DOB, Group ID" in message


def test_header_only(tmp_path: Path) -> None:
    with pytest.raises(DataError, match="header but no targets"):
        PARSER.parse(write(tmp_path, FIRST_LINE, HEADER))
    with pytest.raises(DataError, match="ends before its header"):
        PARSER.parse(write(tmp_path, FIRST_LINE))


def test_wrong_encoding(tmp_path: Path) -> None:
    path = tmp_path / "ConList.csv"
    data = "\n".join([FIRST_LINE, HEADER, GOOD_ROW, GOOD_ROW.replace("EXAMPLE", "EX\x00")])
    path.write_bytes(data.encode("ascii").replace(b"\x00", b"\x81\xff"))
    with pytest.raises(DataError, match=r"ConList\.csv, line 4: not valid cp1252"):
        PARSER.parse(path)


def test_truncated_file(tmp_path: Path) -> None:
    cut = row(
        Name_6="EXAMPLE",
        Other_Information="a, b",
        Group_Type="Entity",
        Alias_Type="Prime Alias",
        Group_ID="2",
    )
    cut = cut[: cut.index("a, b") + 2]  # ends inside a quoted field
    path = write(tmp_path, FIRST_LINE, HEADER, GOOD_ROW, cut)
    with pytest.raises(DataError, match=r"ConList\.csv, line 4: a quote opened on line 4 is never"):
        PARSER.parse(path)


def test_short_row(tmp_path: Path) -> None:
    path = write(tmp_path, FIRST_LINE, HEADER, GOOD_ROW, "EXAMPLE,,,Entity")
    with pytest.raises(DataError, match=r"line 4: the row has 4 fields, the header 29"):
        PARSER.parse(path)


def test_row_without_group_id(tmp_path: Path) -> None:
    bad = row(Name_6="EXAMPLE", Group_Type="Entity", Alias_Type="AKA")
    with pytest.raises(DataError, match=r"line 4: the row has no Group ID"):
        PARSER.parse(write(tmp_path, FIRST_LINE, HEADER, GOOD_ROW, bad))


def test_row_without_name(tmp_path: Path) -> None:
    bad = row(Group_Type="Entity", Alias_Type="AKA", Group_ID="1")
    path = write(tmp_path, FIRST_LINE, HEADER, GOOD_ROW, bad)
    with pytest.raises(DataError, match=r"ConList\.csv, line 4: the row has no name"):
        list(PARSER.parse(path).entities)


def test_unknown_group_type(tmp_path: Path) -> None:
    bad = row(Name_6="X", Group_Type="Aircraft", Alias_Type="Prime Alias", Group_ID="5")
    path = write(tmp_path, FIRST_LINE, HEADER, bad)
    with pytest.raises(DataError, match=r"Group ID '5' \(line 3\): unknown Group Type 'Aircraft'"):
        list(PARSER.parse(path).entities)


def test_reused_group_id_for_another_target(tmp_path: Path) -> None:
    other = row(
        Name_6="SOMEONE",
        Name_1="Else",
        Group_Type="Individual",
        Alias_Type="Prime Alias",
        Group_ID="1",
    )
    path = write(tmp_path, FIRST_LINE, HEADER, GOOD_ROW, other)
    with pytest.raises(DataError, match=r"Group ID '1' \(line 3\): the rows disagree on Group"):
        list(PARSER.parse(path).entities)


@pytest.mark.shared_data
def test_ofsi_2018_edition_facts(shared_data: Path) -> None:
    path = shared_data / "lists/uk_ofsi_2018/sanctionsconlist.csv"
    assert detect(path).format == "uk-ofsi-csv"
    parsed = PARSER.parse(path)
    assert parsed.published == "2018-04-13"
    found = {e.ref: e for e in parsed.entities}
    assert len(found) == 2106
    assert collections.Counter(e.schema.name for e in found.values()) == {
        "Person": 1426,
        "Organization": 680,
    }
    assert all(e.first("name") for e in found.values())
    assert sum(1 for e in found.values() if e.sanction.get("unscId")) == 672
    assert sum(1 for e in found.values() if e.get("previousName")) == 7

    aqap = found["11044"]  # Al-Qaida in the Arabian Peninsula
    assert aqap.get("name") == ["AL-QAIDA IN THE ARABIAN PENINSULA (AQAP)"]
    assert aqap.sanction.get("unscId") == ["QDe.129"]
    assert aqap.sanction.get("program") == ["The ISIL (Da'esh) and Al-Qaida organisations"]
    assert "TANZIM QA'IDAT AL-JIHAD FI JAZIRAT AL-ARAB" in aqap.get("alias")
    assert "ANSAR AL-SHARI'A (AAS)" in aqap.get("alias")
    assert aqap.get("previousName") == ["AL-QAIDA IN YEMEN (AQY)"]
    assert "AQAP" in aqap.get("weakAlias")
    assert found["6965"].get("name") == ["AL-QAIDA"]
    assert found["6965"].sanction.get("unscId") == ["QE.A.4.01"]

    person = found["13349"]  # one name variant per row, two years of birth
    assert person.get("name") == ["Nayef Salam Muhammad Ujaym AL-HABABI"]
    assert len(person.get("alias")) == 7
    assert person.get("birthDate") == ["1980", "1981"]
    assert person.get("nationality") == ["sa", "qa"]
    assert person.get("passportNumber") == ["592667"]
    assert person.sanction.get("listingDate") == ["2016-04-01"]
