"""EU FSF CSV v1.0: the hand-written fixture, the real 2018 sample, and every kind of bad file."""

from __future__ import annotations

from pathlib import Path

import pytest

from counterflow.errors import DataError
from counterflow.io import read_head
from counterflow.lists.formats.eu_csv import EUCSVParser, csv_country, unparen
from counterflow.lists.formats.eu_xml import LOW_QUALITY, Country
from counterflow.lists.registry import detect
from counterflow.model import Entity

PARSER = EUCSVParser()
SAMPLE = "lists/eu_fsf_sample_2018/EUSanctionsShort.csv"


def fixture_path(fixtures: Path) -> Path:
    return fixtures / "lists/eu_csv/eu_fsf_v1.csv"


def parse(path: Path) -> dict[str, Entity]:
    return {e.ref: e for e in PARSER.parse(path).entities}


def values(entity: Entity, prop: str) -> list[tuple[str, str | None, str | None]]:
    return [(v.value, v.original, v.qualifier) for v in entity.properties.get(prop, [])]


def fixture_lines(fixtures: Path) -> list[str]:
    return fixture_path(fixtures).read_bytes().decode("cp1252").splitlines(keepends=True)


def write(tmp_path: Path, lines: list[str], encoding: str = "cp1252") -> Path:
    path = tmp_path / "eu.csv"
    path.write_bytes("".join(lines).encode(encoding))
    return path


# --- the fixture ----------------------------------------------------------------------------


def test_fixture_records_and_edition(fixtures: Path) -> None:
    parsed = PARSER.parse(fixture_path(fixtures))
    entities = {e.ref: e for e in parsed.entities}
    assert parsed.published == "2019-04-05"
    assert parsed.list_id == "eu" and parsed.format == "eu-csv"
    assert {ref: e.schema.name for ref, e in entities.items()} == {
        "9001": "Person", "9002": "Organization", "9101": "Person", "9102": "Organization",
    }  # fmt: skip
    assert entities["9001"].id == "eu:9001"


def test_person_record(fixtures: Path) -> None:
    ivo = parse(fixture_path(fixtures))["9001"]
    assert ivo.get("name") == ["Ivo Fictivus TESTOV"]
    assert ivo.get("alias") == ["Ivo TESTOFF", "Ivo Fictivoué Testov"]
    assert (ivo.get("firstName"), ivo.get("middleName"), ivo.get("lastName")) == (
        ["Ivo"],
        ["Fictivus"],
        ["TESTOV"],
    )
    assert ivo.get("gender") == ["male"] and ivo.get("title") == ["Dr"]
    # commas were written as tabs: restored, the published text kept
    assert values(ivo, "position") == [
        ("Director, Example Holding", "Director\t Example Holding", None)
    ]
    assert values(ivo, "birthPlace") == [
        ("Exampleville, near Testburg", "Exampleville\t near Testburg", None)
    ]
    assert ivo.get("birthDate") == ["1961-05-03", "1962"]
    assert values(ivo, "birthCountry") == [("be", "BEL", None)]
    assert values(ivo, "nationality") == [("be", "BEL", None)]
    assert values(ivo, "passportNumber") == [
        ("X0000001", "X0000001 (passport-National passport) ((passport))", None)
    ]
    assert ivo.get("address") == ["1 Example Street, 1000 Testburg"]
    assert ivo.get("notes") == [
        "Identification X0000001: (passport)",
        "Fictitious record for tests.",
    ]
    sanction = ivo.sanction
    assert sanction.get("program") == ["TERR"]
    assert sanction.get("authorityId") == ["EU.9001.11"]
    assert sanction.get("listingDate") == ["2019-03-01"]
    assert sanction.get("sourceUrl") == ["https://eur-lex.europa.eu/example/2019-999"]
    assert sanction.get("summary") == ["2019/999 (OJ L99)"]
    assert sanction.get("modifiedAt") == []


def test_regulations_and_remarks_accumulate(fixtures: Path) -> None:
    acme = parse(fixture_path(fixtures))["9002"]
    assert acme.get("name") == ["ACME PHANTOM TRADING LLC"]
    assert acme.get("alias") == ["Acme Phantom Trading", "Société ACME Fantôme"]
    assert acme.sanction.get("listingDate") == ["2012-01-18"]  # the earliest act
    assert acme.sanction.get("modifiedAt") == ["2018-02-16"]  # the latest amendment
    assert len(acme.sanction.get("sourceUrl")) == 2
    # "(a)\n(b)" in a quoted field holding a ";": two remarks, parentheses dropped
    assert acme.get("notes") == [
        "Fictitious company for tests.",
        "Second remark; with a semicolon.",
    ]
    assert acme.get("phone") == ["+357 00 000000", "+357 00 000001"]
    assert acme.get("address") == ["Unit 5, Harbour Road, Portville"]
    assert acme.get("idNumber") == ["HE000000"]
    assert acme.get("country") == ["cy"]


def test_v1_export_quirks(fixtures: Path) -> None:
    zed = parse(fixture_path(fixtures))["9101"]
    assert zed.get("name") == ["Zed SAMPLEMAN"]  # filed twice, listed once
    # inner quotes, doubled twice over (field quoting inside the line's wrapping)
    assert zed.get("alias") == ['Zed Sampleman "the Example"']
    # letters cp1252 lacks came out as "?": kept, but weak and flagged
    assert values(zed, "weakAlias") == [("??? ?????????", None, LOW_QUALITY)]
    assert zed.get("position") == ["Minister; later adviser", "Former Minister"]
    # "N/A" and "-" mean nothing; 00/00/1950 is a year; text no parser reads goes to notes
    assert values(zed, "birthDate") == [("1950", "00/00/1950", None)]
    assert zed.get("birthPlace") == ["Sample Town (J.O. FR)"]
    assert "Date of birth: sometime in the fifties" in zed.get("notes")
    assert not any("N/A" in v for prop in zed.properties for v in zed.get(prop))
    assert zed.get("phone") == ["042-000 00 00", "0300-000 00 00"]
    assert "Fax: 000 00 00" in zed.get("notes")
    assert zed.get("address") == ["offices, Testville"]
    assert zed.get("idNumber") == ["0000000/104", "NO-PATTERN-7"]
    assert "Identification 0000000/104: issued 12 september 1993" in zed.get("notes")
    assert "Date of UN designation: 2002-02-21" in zed.get("notes")
    assert zed.get("nationality") == ["zw"]
    front = parse(fixture_path(fixtures))["9102"]
    assert front.get("country") == ["ZZZ"]  # an unknown code stays as published


def test_plain_utf8_layout_reads_the_same(fixtures: Path, tmp_path: Path) -> None:
    """Lines not wrapped in quotes, UTF-8, header "Date_file": the same records."""
    plain = []
    for line in fixture_lines(fixtures):
        inner = line.rstrip("\n")[1:-1].rstrip("\t").replace('""', '"')
        plain.append(inner.replace("Date_filexxxx", "Date_file") + "\r\n")
    path = write(tmp_path, plain, encoding="utf-8")
    assert PARSER.sniff(path, read_head(path))
    wrapped = parse(fixture_path(fixtures))
    unwrapped = parse(path)
    assert {r: e.comparable() for r, e in unwrapped.items()} == {
        r: e.comparable() for r, e in wrapped.items()
    }


@pytest.mark.parametrize(
    ("text", "expected"),
    [("(a)", "a"), ("((a) b, (c) d)", "(a) b, (c) d"), ("(a) b (c)", "(a) b (c)"), ("a", "a")],
)
def test_unparen(text: str, expected: str) -> None:
    assert unparen(text) == expected


def test_countries() -> None:
    iraq = csv_country("IRQ")
    assert iraq is not None and (iraq.value, iraq.original) == ("iq", "IRQ")
    assert csv_country("irq") == Country("iq", "irq")
    assert csv_country("XKX") == Country("xk", "XKX")
    assert csv_country("") is None and csv_country("N/A") is None


def test_sniff(fixtures: Path) -> None:
    path = fixture_path(fixtures)
    assert PARSER.sniff(path, read_head(path))
    assert detect(path).format == "eu-csv"
    assert not PARSER.sniff(path, b'<?xml version="1.0"?><export/>')
    assert not PARSER.sniff(path, b"Last Updated,13/04/2018")


# --- the real sample ------------------------------------------------------------------------


@pytest.mark.shared_data
def test_real_2018_sample(shared_data: Path) -> None:
    path = shared_data / SAMPLE
    assert detect(path).format == "eu-csv"
    parsed = PARSER.parse(path)
    assert parsed.published == "2018-07-04"
    entities = {e.ref: e for e in parsed.entities}
    schemas = [e.schema.name for e in entities.values()]
    assert len(entities) == 93  # as the data README states
    assert (schemas.count("Person"), schemas.count("Organization")) == (61, 32)
    assert all(len(e.get("name")) == 1 and "?" not in e.get("name")[0] for e in entities.values())
    assert all(e.sanction.get("authorityId") for e in entities.values())
    assert not any(v == "N/A" for e in entities.values() for p in e.properties for v in e.get(p))
    # the sample stops at line 1,000 on a whole line; its last record is read as far as it goes
    assert list(entities)[-1] == "481"
    assert entities["481"].get("name") == ["Salafist Group for Call and Combat"]


@pytest.mark.shared_data
def test_real_sample_records_checked_by_hand(shared_data: Path) -> None:
    entities = parse(shared_data / SAMPLE)
    mugabe = entities["1"]
    assert mugabe.get("name") == ["Robert Gabriel Mugabe"] and mugabe.get("alias") == []
    assert mugabe.get("birthDate") == ["1924-02-21"] and mugabe.get("birthPlace") == ["Kutama"]
    assert mugabe.get("passportNumber") == ["AD001095"]
    assert mugabe.get("position") == ["Former President", "president"]
    assert mugabe.sanction.get("program") == ["ZWE"]
    assert mugabe.sanction.get("authorityId") == ["EU.36.64"]
    assert mugabe.sanction.get("listingDate") == ["2002-09-13"]  # 1643/2002
    assert mugabe.sanction.get("modifiedAt") == ["2018-02-16"]  # 2018/223
    assert "Date of UN designation: 2002-02-21" in mugabe.get("notes")

    saddam = entities["13"]
    assert saddam.get("name") == ["Saddam Hussein Al-Tikriti"]
    assert saddam.get("alias") == ["Abu Ali", "Abou Ali"]
    assert (saddam.get("firstName"), saddam.get("lastName")) == (["Saddam"], ["Hussein Al-Tikriti"])
    assert values(saddam, "birthPlace") == [("al-Awja, near Tikrit", "al-Awja\t near Tikrit", None)]
    assert saddam.get("birthDate") == ["1937-04-28"] and saddam.get("gender") == ["male"]
    assert values(saddam, "nationality") == [("iq", "IRQ", None)]
    assert saddam.get("birthCountry") == ["iq"]
    assert saddam.sanction.get("authorityId") == ["EU.27.28"]

    # the English name, not the lowest-numbered French one, nor the Greek one cp1252 lost
    aqsa = entities["202"]
    assert aqsa.get("name") == ["Al-Aqsa Martyrs' Brigade"]
    assert "Brigade des martyrs d'Al-Aqsa" in aqsa.get("alias")
    assert all("?" in v.value and v.qualifier == LOW_QUALITY for v in aqsa.properties["weakAlias"])
    assert entities["221"].get("name") == ["Revolutionary People's Liberation Army/Front/Party"]
    # a quoted field holding ";" inside the quoted line
    assert "Former Governor of Karbala and An Najaf;" in entities["43"].get("position")
    # PHONE[…] and FAX[…] packed into Addr_other
    trust = entities["330"]
    assert "042-681 20 81" in trust.get("phone") and "Fax: 662 38 14" in trust.get("notes")
    assert trust.get("country") == ["pk"]


# --- bad files ------------------------------------------------------------------------------


def test_empty_file(tmp_path: Path) -> None:
    path = write(tmp_path, [])
    with pytest.raises(DataError, match="empty") as err:
        PARSER.parse(path)
    assert str(path) in str(err.value)


def test_header_only(fixtures: Path, tmp_path: Path) -> None:
    path = write(tmp_path, fixture_lines(fixtures)[:1])
    with pytest.raises(DataError, match="no records") as err:
        PARSER.parse(path)
    assert str(path) in str(err.value)


def test_wrong_layout_names_missing_columns(fixtures: Path, tmp_path: Path) -> None:
    lines = fixture_lines(fixtures)
    lines[0] = (
        lines[0].replace(";Naal_wholename;", ";Naal_fullname;").replace(";EU_ref_num", ";Reference")
    )
    path = write(tmp_path, lines)
    with pytest.raises(DataError) as err:
        PARSER.parse(path)
    message = str(err.value)
    assert str(path) in message and "line 1" in message
    assert "Naal_wholename" in message and "EU_ref_num" in message


def test_another_csv_is_refused(tmp_path: Path) -> None:
    path = write(tmp_path, ["Last Updated,13/04/2018\n", "Name 6,Name 1\n"])
    with pytest.raises(DataError, match="missing column"):
        PARSER.parse(path)


def test_truncated_last_line(fixtures: Path, tmp_path: Path) -> None:
    lines = fixture_lines(fixtures)
    lines[-1] = lines[-1][:60]  # cut mid-line: the wrapping quote is never closed
    path = write(tmp_path, lines)
    with pytest.raises(DataError, match="truncated file") as err:
        PARSER.parse(path)
    assert str(path) in str(err.value) and f"line {len(lines)}" in str(err.value)


def test_truncated_plain_line(fixtures: Path, tmp_path: Path) -> None:
    plain = [
        ln.rstrip("\n")[1:-1].rstrip("\t").replace('""', '"') + "\n"
        for ln in fixture_lines(fixtures)
    ]
    plain[-1] = plain[-1][:60] + "\n"
    path = write(tmp_path, plain)
    with pytest.raises(DataError, match="fields where the header has 59") as err:
        PARSER.parse(path)
    assert f"line {len(plain)}" in str(err.value)


def test_unclosed_quote_mid_file(fixtures: Path, tmp_path: Path) -> None:
    lines = fixture_lines(fixtures)
    lines[3] = lines[3].rstrip("\n").rstrip('"') + "\n"
    path = write(tmp_path, lines)
    with pytest.raises(DataError, match=r"malformed CSV|line break") as err:
        PARSER.parse(path)
    assert str(path) in str(err.value) and "line " in str(err.value)


def test_wrong_encoding(fixtures: Path, tmp_path: Path) -> None:
    path = write(tmp_path, fixture_lines(fixtures))
    data = path.read_bytes().replace(b"Ivo TESTOFF", b"Ivo TEST\x81FF")  # not cp1252
    path.write_bytes(data)
    with pytest.raises(DataError, match="not valid cp1252") as err:
        PARSER.parse(path)
    assert "line 3" in str(err.value)


def test_duplicate_reference(fixtures: Path, tmp_path: Path) -> None:
    """A record's rows must be consecutive: a second block for 9001 is a duplicate."""
    lines = fixture_lines(fixtures)
    lines.append(lines[2])  # another row of 9001, after 9102
    path = write(tmp_path, lines)
    with pytest.raises(DataError, match="duplicate reference '9001'") as err:
        list(PARSER.parse(path).entities)
    assert str(path) in str(err.value) and f"line {len(lines)}" in str(err.value)


def test_conflicting_subject_type(fixtures: Path, tmp_path: Path) -> None:
    lines = fixture_lines(fixtures)
    lines[3] = lines[3].replace(";9001;P;", ";9001;E;", 1)
    path = write(tmp_path, lines)
    with pytest.raises(DataError, match="Subject_type is 'E' here but 'P'") as err:
        list(PARSER.parse(path).entities)
    assert "line 4, record '9001'" in str(err.value)


def test_mixed_file_dates(fixtures: Path, tmp_path: Path) -> None:
    lines = fixture_lines(fixtures)
    lines[5] = lines[5].replace('"05/04/2019;', '"06/04/2019;', 1)
    path = write(tmp_path, lines)
    with pytest.raises(DataError, match="different file dates") as err:
        PARSER.parse(path)
    assert "line 6" in str(err.value)


def test_bad_file_date(fixtures: Path, tmp_path: Path) -> None:
    lines = [ln.replace('"05/04/2019;', '"someday;', 1) for ln in fixture_lines(fixtures)]
    with pytest.raises(DataError, match="Date_file 'someday'"):
        PARSER.parse(write(tmp_path, lines))


def test_missing_reference(fixtures: Path, tmp_path: Path) -> None:
    lines = fixture_lines(fixtures)
    lines[2] = lines[2].replace(";9001;P;", ";;P;", 1)
    with pytest.raises(DataError, match="Entity_logical_id is empty") as err:
        PARSER.parse(write(tmp_path, lines))
    assert "line 3" in str(err.value)


def test_section_of_another_entity(fixtures: Path, tmp_path: Path) -> None:
    lines = fixture_lines(fixtures)
    lines[2] = lines[2].replace(";502;9001;", ";502;9002;", 1)
    with pytest.raises(DataError, match="names entity '9002'") as err:
        PARSER.parse(write(tmp_path, lines))
    assert "line 3" in str(err.value)


def test_record_without_a_name(fixtures: Path, tmp_path: Path) -> None:
    lines = [ln for ln in fixture_lines(fixtures) if ";61;9102;" not in ln]
    path = write(tmp_path, lines)
    with pytest.raises(DataError, match="no name") as err:
        list(PARSER.parse(path).entities)
    assert "record '9102'" in str(err.value)


def test_unwrapped_line_in_a_wrapped_file(fixtures: Path, tmp_path: Path) -> None:
    lines = fixture_lines(fixtures)
    lines[4] = lines[4].rstrip("\n")[1:-1].rstrip("\t") + "\n"
    with pytest.raises(DataError, match="not wrapped in double quotes") as err:
        PARSER.parse(write(tmp_path, lines))
    assert "line 5" in str(err.value)
