"""The OFAC legacy CSV set: hand-written fixtures for every mapping and bad input, and facts of
the real 2021 SDN and 2025 non-SDN sets."""

from __future__ import annotations

import csv
import re
import shutil
from collections import Counter
from pathlib import Path

import pytest

from counterflow.errors import DataError
from counterflow.io import read_head
from counterflow.lists.formats.ofac_csv import (
    OFACCsvParser,
    match_label,
    split_programs,
    split_remarks,
    strip_final_period,
)
from counterflow.lists.registry import detect
from counterflow.model import APPROXIMATE, Entity

PARSER = OFACCsvParser()


def entities(path: Path) -> dict[str, Entity]:
    return {e.ref: e for e in PARSER.parse(path).entities}


def values(entity: Entity, prop: str) -> list[tuple[str, str | None, str | None]]:
    return [(v.value, v.original, v.qualifier) for v in entity.properties.get(prop, [])]


@pytest.fixture
def sdn_dir(fixtures: Path) -> Path:
    return fixtures / "lists" / "ofac_csv" / "sdn"


@pytest.fixture
def sdn(sdn_dir: Path) -> dict[str, Entity]:
    return entities(sdn_dir)


@pytest.fixture
def copy(tmp_path: Path, sdn_dir: Path) -> Path:
    """A writable copy of the fixture set."""
    target = tmp_path / "set"
    shutil.copytree(sdn_dir, target)
    return target


def write(path: Path, *rows: str, eof: bool = True) -> None:
    path.write_bytes("".join(r + "\r\n" for r in rows).encode("ascii") + (b"\x1a" if eof else b""))


def only_primary(folder: Path, *rows: str) -> None:
    """Make the set hold just these primary rows, with empty alt/add files and no comments."""
    write(folder / "sdn.csv", *rows)
    write(folder / "alt.csv")
    write(folder / "add.csv")
    (folder / "sdn_comments.csv").unlink(missing_ok=True)


E = ",-0- " * 8  # Title … Remarks empty, after ent_num, name, type, program
PERSON = '90001,"DOE, John","individual","SDGT"' + E


# ---- helpers -------------------------------------------------------------------------------


def test_split_programs() -> None:
    assert split_programs("IRAN] [SDGT] [IRGC] [IFSR") == ["IRAN", "SDGT", "IRGC", "IFSR"]
    assert split_programs("SDGT") == ["SDGT"]
    assert split_programs("-0- ") == []


def test_split_remarks_keeps_bracketed_semicolons() -> None:
    text = "DOB 1969; (Derived data: DOB: 10 Oct 1969; POB: Nowhere); a.k.a. 'X'."
    assert split_remarks(text) == [
        "DOB 1969",
        "(Derived data: DOB: 10 Oct 1969; POB: Nowhere)",
        "a.k.a. 'X'.",
    ]
    assert split_remarks("a (b; c") == ["a (b", "c"]  # unbalanced: split everywhere


def test_strip_final_period_spares_abbreviations() -> None:
    assert strip_final_period("Gender Male.") == "Gender Male"
    assert strip_final_period("Tax ID No. AABA 670850 Y.") == "Tax ID No. AABA 670850 Y"
    assert strip_final_period("Linked To: R D I S.A.") == "Linked To: R D I S.A."
    assert strip_final_period("Linked To: KESTREL DYNAMICS LTD.") == (
        "Linked To: KESTREL DYNAMICS LTD."
    )


def test_match_label_prefers_longest_label() -> None:
    assert match_label("Passport Booklet A5250088 (Pakistan)") == (
        "passport booklet",
        "A5250088 (Pakistan)",
    )
    assert match_label("Nationality of Registration Russia") == (
        "nationality of registration",
        "Russia",
    )
    assert match_label("Organization Type: Mining") == ("organization type", "Mining")
    assert match_label("Phonetic spelling") is None


# ---- the hand-written SDN set --------------------------------------------------------------


def test_set_metadata(sdn_dir: Path) -> None:
    parsed = PARSER.parse(sdn_dir)
    assert parsed.list_id == "ofac-sdn"
    assert parsed.format == "ofac-csv"
    assert parsed.published is None
    assert [f.name for f in parsed.files] == ["sdn.csv", "alt.csv", "add.csv", "sdn_comments.csv"]
    found = list(parsed.entities)
    assert [e.ref for e in found] == ["90001", "90002", "90003", "90004", "90005", "90006", "90007"]
    assert Counter(e.schema.name for e in found) == {
        "Person": 3,
        "Organization": 2,
        "Vessel": 1,
        "Airplane": 1,
    }


def test_primary_file_path_reads_the_whole_set(sdn_dir: Path) -> None:
    by_file = PARSER.parse(sdn_dir / "sdn.csv")
    assert [f.name for f in by_file.files] == [f.name for f in PARSER.parse(sdn_dir).files]
    assert by_file.content_hash() == PARSER.parse(sdn_dir).content_hash()


def test_content_hash_covers_every_file(copy: Path) -> None:
    before = PARSER.parse(copy).content_hash()
    with open(copy / "add.csv", "ab") as fh:
        fh.write(b" ")
    assert PARSER.parse(copy).content_hash() != before


def test_person(sdn: dict[str, Entity]) -> None:
    person = sdn["90001"]
    assert person.id == "ofac-sdn:90001"
    assert person.get("name") == ["ZORVANEK, Ilmar Quentin"]
    assert person.get("lastName") == ["ZORVANEK"]
    assert person.get("firstName") == ["Ilmar Quentin"]
    assert values(person, "birthDate") == [
        ("1961-02-03", "03 Feb 1961", None),
        ("1958", "circa 1958", APPROXIMATE),
        ("1955/1957", "1955 to 1957", None),
    ]
    assert person.get("birthPlace") == ["Port Veltra, Freedonia"]
    assert person.get("nationality") == ["Freedonia"]
    assert person.get("citizenship") == ["Sylvania"]
    assert values(person, "passportNumber") == [
        ("X1234567", "Passport X1234567 (Freedonia) issued 01 Jan 2010 expires 31 Dec 2020", None)
    ]
    assert values(person, "idNumber") == [
        ("77-123-456", "National ID No. 77-123-456 (Sylvania)", None)
    ]
    assert person.get("gender") == ["male"]
    assert person.get("position") == ["Minister of Imaginary Affairs"]
    assert person.get("alias") == ["ZORVANEK, Ilmar"]
    assert person.get("previousName") == ["ZORVANIK, Ilmar Q."]
    assert values(person, "weakAlias") == [("THE FOX", "a.k.a. 'THE FOX'", None)]
    assert person.get("address") == ["12 Harbour Road, Port Veltra 10101, Freedonia"]
    assert person.get("country") == ["Freedonia"]
    assert person.sanction.get("program") == ["SDGT", "IFSR"]
    assert person.sanction.get("authorityId") == ["90001"]
    assert person.sanction.get("listType") == ["SDN List"]
    notes = person.get("notes")
    assert notes[0].startswith("DOB 03 Feb 1961; alt. DOB circa 1958;")
    assert notes[1:] == ["Linked To: KESTREL DYNAMICS LTD."]


def test_organisation(sdn: dict[str, Entity]) -> None:
    org = sdn["90002"]
    assert org.schema.name == "Organization"
    assert org.get("alias") == ["KESTREL DYNAMICS LIMITED", "KESTREL HOLDINGS GROUP"]
    assert org.get("weakAlias") == ["KDL"]
    assert org.get("website") == ["www.kestrel-dynamics.example"]
    assert org.get("email") == ["info@kestrel-dynamics.example"]
    assert values(org, "registrationNumber") == [
        ("5550001", "Registration Number 5550001 (Freedonia)", None)
    ]
    assert org.get("taxNumber") == ["FD-998877"]
    assert org.sanction.get("provisions") == [
        "Additional Sanctions Information - Subject to Secondary Sanctions"
    ]
    assert org.get("address") == ["Unit 4, Quay Street, Port Veltra, Freedonia", "Sylvania"]
    assert org.get("country") == ["Freedonia", "Sylvania"]
    assert "Linked To: ZORVANEK, Ilmar Quentin" in org.get("notes")


def test_vessel(sdn: dict[str, Entity]) -> None:
    vessel = sdn["90003"]
    assert vessel.schema.name == "Vessel"
    assert values(vessel, "imoNumber") == [
        ("IMO9999991", "Vessel Registration Identification IMO 9999991", None)
    ]
    assert vessel.get("mmsi") == ["999123456"]
    assert vessel.get("callSign") == ["9XQZ7"]
    assert vessel.get("type") == ["Crude Oil Tanker"]
    assert vessel.get("tonnage") == ["45,000"]
    assert vessel.get("grossRegisteredTonnage") == ["25,100"]
    assert vessel.get("flag") == ["Freedonia"]
    assert vessel.get("owner") == ["KESTREL DYNAMICS LTD."]
    assert vessel.get("previousName") == ["ARCTIC WRAITH"]
    assert values(vessel, "weakAlias") == [("POLAR GHOST", "f.k.a. 'POLAR GHOST'", None)]
    assert "Former Vessel Flag Sylvania" in vessel.get("notes")


def test_aircraft(sdn: dict[str, Entity]) -> None:
    plane = sdn["90004"]
    assert plane.schema.name == "Airplane"
    assert plane.get("name") == ["XX-QZA"]
    assert plane.get("serialNumber") == ["0099", "4242000101"]
    assert plane.get("model") == ["FX-42 Skylark"]
    assert plane.get("buildDate") == ["1987"]
    assert "Aircraft Operator KESTREL AIR" in plane.get("notes")


def test_dates_asides_and_unknown_identifiers(sdn: dict[str, Entity]) -> None:
    person = sdn["90005"]
    assert person.get("name") == ["QUILLFEATHER"]
    assert person.get("lastName") == ["QUILLFEATHER"]
    assert person.get("firstName") == []
    assert person.get("birthDate") == ["1938-09", "1961-01-01/1962-12-31"]
    notes = person.get("notes")
    assert "DOB around the time of the flood" in notes  # unreadable dates are kept, not lost
    assert (
        "(Following data derived from a Sylvanian passport: DOB: 10 October 1969; POB: Nowhere)"
    ) in notes
    assert values(person, "idNumber") == [
        ("00998877", "Cedula No. 00998877 (Sylvania)", None),
        ("PL-0042", "Pilot License Number PL-0042 (Sylvania)", None),
    ]
    assert person.get("gender") == ["female"]


def test_remarks_continue_in_comments_file(sdn: dict[str, Entity]) -> None:
    org = sdn["90006"]
    # the 1,000-character field ends inside "Registration Number 1027700070518 " …
    assert values(org, "registrationNumber")[0] == (
        "1027700070518",
        "Registration Number 1027700070518 (Freedonia)",
        None,
    )
    # … and what follows exists only in sdn_comments.csv
    assert org.get("taxNumber") == ["7700112233"]
    assert org.get("weakAlias") == ["MERIDIAN"]
    assert org.get("notes")[0].endswith("Linked To: KESTREL DYNAMICS LTD.")
    assert org.get("incorporationDate") == ["2003-03-14"]
    assert org.get("address") == ["Mudwick, Sylvania"]


def test_name_with_suffix_and_no_remarks(sdn: dict[str, Entity]) -> None:
    person = sdn["90007"]
    assert person.get("name") == ["DELACROIX-VANE, Bartholomew Ignatius, Jr."]
    assert person.get("lastName") == ["DELACROIX-VANE"]
    assert person.get("firstName") == ["Bartholomew Ignatius, Jr."]
    assert person.get("notes") == []


def test_nonsdn_set(fixtures: Path) -> None:
    folder = fixtures / "lists" / "ofac_csv" / "nonsdn"
    parsed = PARSER.parse(folder / "cons_prim.csv")
    assert parsed.list_id == "ofac-nonsdn"
    assert [f.name for f in parsed.files] == ["cons_prim.csv", "cons_alt.csv", "cons_add.csv"]
    found = {e.ref: e for e in parsed.entities}
    org = found["95001"]
    assert org.id == "ofac-nonsdn:95001"
    assert org.sanction.get("program") == ["UKRAINE-EO13662", "RUSSIA-EO14024"]
    assert org.sanction.get("listType") == ["Consolidated Sanctions List (non-SDN)"]
    assert org.sanction.get("provisions") == [
        "Executive Order 13662 Directive Determination - Subject to Directive 2",
        "Listing Date (EO 14024 Directive 2): 24 Feb 2022",
    ]
    assert org.get("previousName") == ["OBLAST OIL OJSC"]
    assert found["95002"].get("birthDate") == ["1962"]
    assert found["95002"].get("birthPlace") == ["Sylvania"]


def test_sniff_and_detect(sdn_dir: Path, copy: Path, fixtures: Path) -> None:
    head = read_head(sdn_dir / "sdn.csv")
    assert PARSER.sniff(sdn_dir / "sdn.csv", head)
    assert PARSER.sniff(Path("SDN.CSV"), head)
    assert PARSER.sniff(Path("CONS_PRIM.csv"), head)
    assert not PARSER.sniff(sdn_dir / "alt.csv", read_head(sdn_dir / "alt.csv"))
    assert not PARSER.sniff(Path("sdn.csv"), b"ent_num,SDN_Name\r\n")
    assert detect(sdn_dir).format == "ofac-csv"
    assert detect(fixtures / "lists" / "ofac_csv" / "nonsdn").format == "ofac-csv"


def test_latin1_text_is_read_as_windows_1252(copy: Path) -> None:
    (copy / "sdn.csv").write_bytes(
        '90001,"PE\xd1A, Jos\xe9","individual","SDGT"'.encode("cp1252") + E.encode() + b"\r\n"
    )
    write(copy / "alt.csv")
    write(copy / "add.csv")
    (copy / "sdn_comments.csv").unlink()
    assert entities(copy)["90001"].get("name") == ["PEÑA, José"]


# ---- bad input -----------------------------------------------------------------------------


def expect_error(path: Path, *fragments: str) -> DataError:
    with pytest.raises(DataError) as info:
        list(PARSER.parse(path).entities)
    message = str(info.value)
    for fragment in fragments:
        assert fragment in message, message
    return info.value


def test_empty_file(copy: Path) -> None:
    (copy / "sdn.csv").write_bytes(b"")
    expect_error(copy, "sdn.csv", "empty")


def test_only_end_of_file_byte(copy: Path) -> None:
    (copy / "sdn.csv").write_bytes(b"\x1a")
    expect_error(copy, "sdn.csv", "no records")


def test_truncated_file(copy: Path) -> None:
    data = (copy / "sdn.csv").read_bytes()
    (copy / "sdn.csv").write_bytes(data[: data.index(b"Minister of")])
    expect_error(copy, "sdn.csv", "line 1", "a quote opened on line 1 is never closed")


def test_wrong_layout(copy: Path) -> None:
    write(copy / "sdn.csv", PERSON, '90002,"SHORT ROW","-0- "')
    expect_error(copy, "sdn.csv", "line 2", "expected 12 fields", "found 3")


def test_header_row(copy: Path) -> None:
    header = (
        "ent_num,SDN_Name,SDN_Type,Program,Title,Call_Sign,Vess_type,Tonnage,GRT,"
        "Vess_flag,Vess_owner,Remarks"
    )
    write(copy / "sdn.csv", header, PERSON)
    expect_error(copy, "sdn.csv", "line 1", "ent_num 'ent_num' is not a number")


def test_utf16_file_without_byte_order_mark(copy: Path) -> None:
    """UTF-16 with its mark is read (Excel's "Unicode text"); without one it cannot be told
    from a binary file, and is refused."""
    (copy / "sdn.csv").write_bytes((PERSON + "\r\n").encode("utf-16-le"))
    expect_error(copy, "sdn.csv", "line 1", "NUL byte")


def test_bytes_no_encoding_allows(copy: Path) -> None:
    write(copy / "sdn.csv", PERSON)
    with open(copy / "sdn.csv", "ab") as fh:
        fh.write(b'\r\n90002,"BAD \x81 BYTE","individual","SDGT"' + E.encode() + b"\r\n")
    expect_error(copy, "sdn.csv", "line 3", "not valid cp1252")


def test_duplicate_reference(copy: Path) -> None:
    only_primary(copy, PERSON, PERSON.replace("DOE, John", "DOE, Jane"))
    expect_error(
        copy, "sdn.csv", "line 2 (ent_num 90001)", "duplicate reference '90001'", "first at line 1"
    )


def test_alias_for_unknown_entry(copy: Path) -> None:
    rows = (copy / "alt.csv").read_bytes().rstrip(b"\x1a").decode("ascii").splitlines()
    write(copy / "alt.csv", *rows, '12345,99,"aka","NOBODY",-0- ')
    expect_error(copy, "alt.csv", "line 7", "ent_num 12345 is not in sdn.csv")


def test_end_of_file_byte_inside_the_file(copy: Path) -> None:
    with open(copy / "alt.csv", "ab") as fh:  # a second file appended after the first's 0x1A
        fh.write(b'12345,99,"aka","NOBODY",-0- \r\n\x1a')
    expect_error(copy, "alt.csv", "line 7", "is not a number")


def test_missing_sibling_file(copy: Path) -> None:
    (copy / "alt.csv").unlink()
    error = expect_error(copy, "alt.csv is missing")
    assert error.path is not None and error.path.endswith("alt.csv")


def test_missing_comments_file_with_full_remarks(copy: Path) -> None:
    (copy / "sdn_comments.csv").unlink()
    expect_error(copy, "sdn.csv", "line 6", "comments file", "missing")


def test_unknown_type_and_empty_name(copy: Path) -> None:
    only_primary(copy, PERSON.replace('"individual"', '"spaceship"'))
    expect_error(copy, "sdn.csv", "line 1 (ent_num 90001)", "unknown SDN_Type 'spaceship'")
    only_primary(copy, PERSON.replace('"DOE, John"', "-0- "))
    expect_error(copy, "sdn.csv", "line 1 (ent_num 90001)", "SDN_Name is empty")


def test_not_a_primary_file(sdn_dir: Path, tmp_path: Path) -> None:
    with pytest.raises(DataError, match=r"sdn\.csv or cons_prim\.csv"):
        PARSER.parse(sdn_dir / "alt.csv")
    with pytest.raises(DataError, match=r"neither sdn\.csv nor cons_prim\.csv"):
        PARSER.parse(tmp_path)


# ---- the real files ------------------------------------------------------------------------


def read_alt(path: Path) -> list[list[str]]:
    text = path.read_text("ascii").rstrip("\x1a\r\n")
    return list(csv.reader(text.splitlines()))


@pytest.mark.shared_data
def test_real_sdn_2021(shared_data: Path) -> None:
    folder = shared_data / "lists" / "ofac_sdn_2021"
    parsed = PARSER.parse(folder)
    assert parsed.list_id == "ofac-sdn"
    assert [f.name for f in parsed.files] == ["sdn.csv", "alt.csv", "add.csv", "sdn_comments.csv"]
    found = {e.ref: e for e in parsed.entities}
    assert len(found) == 8976
    assert Counter(e.schema.name for e in found.values()) == {
        "Person": 4620,
        "Organization": 3673,
        "Vessel": 406,
        "Airplane": 277,
    }

    # every one of alt.csv's 11,910 rows is attached to its entry (two rows repeat a name
    # their entry already has, so 11,908 distinct names)
    rows = read_alt(folder / "alt.csv")
    assert len(rows) == 11910
    attached = {
        (ref, name) for ref, e in found.items() for name in e.get("alias") + e.get("previousName")
    }
    wanted = {(row[0], " ".join(row[3].split())) for row in rows}
    assert len(wanted) == 11908
    assert wanted <= attached

    # a birth date for every individual whose remarks give a DOB: 4,428 of 4,620
    with_dob = {
        r
        for r, e in found.items()
        if e.schema.name == "Person" and "DOB" in (e.first("notes") or "")
    }
    with_date = {r for r, e in found.items() if e.get("birthDate")}
    assert len(with_dob) == 4428
    assert with_date == with_dob

    # IMO numbers on 400 of the 406 vessels, all seven digits
    imo = [v for e in found.values() for v in e.get("imoNumber")]
    assert sum(1 for e in found.values() if e.get("imoNumber")) == 400
    assert all(re.fullmatch(r"IMO\d{7}", v) for v in imo)

    # weak a.k.a.s live only in Remarks, between single quotes
    assert sum(len(e.get("weakAlias")) for e in found.values()) == 2441
    assert "BNC" in found["306"].get("weakAlias")

    # the five Remarks continued in sdn_comments.csv are joined where OFAC cut them
    assert found["12300"].get("notes")[0].endswith("Linked To: R D I S.A.")
    assert "PROMO RAIZ S.A.S." in " ".join(found["12300"].get("notes"))
    assert "Linked To: LAZARUS GROUP" in found["28263"].get("notes")
    assert found["29703"].get("passportNumber") == ["4005504207"]


@pytest.mark.shared_data
def test_real_nonsdn_2025(shared_data: Path) -> None:
    folder = shared_data / "lists" / "ofac_nonsdn_2025"
    parsed = PARSER.parse(folder / "cons_prim.csv")
    assert parsed.list_id == "ofac-nonsdn"
    found = {e.ref: e for e in parsed.entities}
    assert len(found) == 442
    assert Counter(e.schema.name for e in found.values()) == {"Organization": 363, "Person": 79}
    rows = read_alt(folder / "cons_alt.csv")
    assert len(rows) == 1073
    attached = {
        (ref, name) for ref, e in found.items() for name in e.get("alias") + e.get("previousName")
    }
    assert {(row[0], " ".join(row[3].split())) for row in rows} <= attached
    assert all(
        e.get("birthDate")
        for e in found.values()
        if e.schema.name == "Person" and "DOB" in (e.first("notes") or "")
    )
