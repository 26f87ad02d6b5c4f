from __future__ import annotations

from pathlib import Path

import pytest

from counterflow.cli.demo_cmd import sample_list_path
from counterflow.errors import DataError
from counterflow.lists.formats.un_xml import UNConsolidatedParser, split_alias
from counterflow.lists.registry import detect

PARSER = UNConsolidatedParser()


def parse(path: Path) -> dict[str, object]:
    parsed = PARSER.parse(path)
    return {e.ref: e for e in parsed.entities}


@pytest.mark.parametrize(
    ("packed", "expected"),
    [
        (
            "جبهة النصرة (the Victory Front; Jabhat al-Nusrah; Jabhet al-Nusra; Al-Nusrah Front; "
            "Al-Nusra Front)",
            [
                ("name", "جبهة النصرة"),
                ("name", "the Victory Front"),
                ("name", "Jabhat al-Nusrah"),
                ("name", "Jabhet al-Nusra"),
                ("name", "Al-Nusrah Front"),
                ("name", "Al-Nusra Front"),
            ],
        ),
        (
            "Hay’at Tahrir al-Sham (HTS) "
            "(هيئة تحرير الشام (original script); Hayat Tahrir al-Sham)",
            [
                ("name", "Hay’at Tahrir al-Sham"),
                ("acronym", "HTS"),
                ("name", "هيئة تحرير الشام"),
                ("name", "Hayat Tahrir al-Sham"),
            ],
        ),
        (
            "Al-Qaida Organization in the Arabian Peninsula (AQAP)",
            [("name", "Al-Qaida Organization in the Arabian Peninsula"), ("acronym", "AQAP")],
        ),
        (
            "شبكة أنصار المجاهدين (Ansar al-Mujahideen Network - sub-unit name)",
            [("name", "شبكة أنصار المجاهدين"), ("name", "Ansar al-Mujahideen Network")],
        ),
        (
            "Amir Khazmat (original script: Амир Хазмат)",
            [("name", "Amir Khazmat"), ("name", "Амир Хазмат")],
        ),
        (
            "Mohammed Sabet; Mohammad Sabet b) M. Javad Kareemi Sabet",
            [
                ("name", "Mohammed Sabet"),
                ("name", "Mohammad Sabet"),
                ("name", "M. Javad Kareemi Sabet"),
            ],
        ),
        ("Encep Nurjaman (birth name)", [("name", "Encep Nurjaman"), ("note", "birth name")]),
        (
            "SECOND ACADEMY OF NATURAL SCIENCES (KPE.018)",
            [("name", "SECOND ACADEMY OF NATURAL SCIENCES")],
        ),
        (
            "Leader (Hong Kong) International Trading Limited",
            [("name", "Leader (Hong Kong) International Trading Limited")],
        ),
        ("(Sheikh) Musa Hilal", [("note", "Sheikh"), ("name", "Musa Hilal")]),
        ("Lom-ali Butayev (Butaev)", [("name", "Lom-ali Butayev"), ("name", "Lom-ali Butaev")]),
        (
            "Safia Farkash Mohammed Al-Hadad, born 1 Jan. 1953 "
            "(Oman passport no.0000, date of issue)",
            [
                ("name", "Safia Farkash Mohammed Al-Hadad"),
                ("note", "born 1 Jan. 1953"),
                ("note", "Oman passport no.0000, date of issue"),
            ],
        ),
        ("Akhter Mohmad (اختر محمد ),", [("name", "Akhter Mohmad"), ("name", "اختر محمد")]),
        ("", []),
    ],
)
def test_split_alias(packed: str, expected: list[tuple[str, str]]) -> None:
    assert [(p.kind, p.text) for p in split_alias(packed)] == expected


def test_sample_list_parses_every_field() -> None:
    path = sample_list_path()
    assert detect(path) is not None and detect(path).format == "un-xml"
    parsed = PARSER.parse(path)
    assert parsed.published == "2026-01-15T00:00:00.000Z"
    entries = {e.ref: e for e in parsed.entities}
    person = entries["ZZi.001"]
    assert person.schema.name == "Person"
    assert person.get("name") == ["FULAN IBN ALLAN AL-MITHALI"]
    assert person.get("alias") == [
        "فلان بن علان المثالي",
        "Fulan Allan al-Mithali",
        "Foulane Alane el-Mithaly",
    ]
    assert person.get("weakAlias") == ["Abu Mithal"]
    assert [(v.value, v.qualifier) for v in person.properties["birthDate"]] == [
        ("1970-01-01", None),
        ("1971", "approximately"),
    ]
    assert person.get("passportNumber") == ["X0000001"]
    assert person.get("title") == ["Sheikh"] and person.get("position") == ["Treasurer"]
    assert person.get("birthPlace") == ["Example Town, Syrian Arab Republic"]
    assert person.sanction.get("program") == ["Sample"]
    assert person.sanction.get("listingDate") == ["2015-03-01"]
    ivan = entries["ZZi.002"]
    assert ivan.get("birthDate") == ["1980/1982"]
    assert "Ваня" in ivan.get("weakAlias")
    assert ivan.get("idNumber") == ["0000 000002"]
    front = entries["ZZe.001"]
    assert front.schema.name == "Organization"
    assert {"Jabhat al-Mithal", "Al-Mithal Front", "جبهة المثال"} <= set(front.get("alias"))
    assert front.get("previousName") == ["Sample Brigade"]
    assert front.get("weakAlias") == ["ELO"]


def _write(tmp_path: Path, text: str, name: str = "list.xml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_truncated_file_names_file_and_line(tmp_path: Path) -> None:
    text = sample_list_path().read_text(encoding="utf-8")
    path = _write(tmp_path, text[: len(text) // 2])
    with pytest.raises(DataError, match=r"list\.xml, line \d+, column \d+: malformed XML"):
        PARSER.parse(path)


def test_wrong_root_and_empty_file(tmp_path: Path) -> None:
    with pytest.raises(DataError, match="expected <CONSOLIDATED_LIST>"):
        PARSER.parse(_write(tmp_path, "<?xml version='1.0'?><OTHER/>"))
    with pytest.raises(DataError, match="the file is empty"):
        PARSER.parse(_write(tmp_path, "", "empty.xml"))


def test_duplicate_reference_is_refused(tmp_path: Path) -> None:
    text = sample_list_path().read_text(encoding="utf-8").replace("ZZi.002", "ZZi.001")
    with pytest.raises(DataError, match=r"<INDIVIDUAL> #2 \(ZZi.001\): duplicate reference"):
        list(PARSER.parse(_write(tmp_path, text)).entities)


def test_missing_reference_is_refused(tmp_path: Path) -> None:
    text = sample_list_path().read_text(encoding="utf-8")
    text = text.replace("<REFERENCE_NUMBER>ZZe.002</REFERENCE_NUMBER>", "").replace(
        "<DATAID>9900102</DATAID>", ""
    )
    with pytest.raises(DataError, match=r"<ENTITY> #2: record has no REFERENCE_NUMBER"):
        list(PARSER.parse(_write(tmp_path, text)).entities)


def test_wrong_encoding_is_refused(tmp_path: Path) -> None:
    text = sample_list_path().read_text(encoding="utf-8")
    path = tmp_path / "latin.xml"
    path.write_bytes(text.replace("Türkiye", "T\udcfcrkiye").encode("utf-8", "surrogateescape"))
    with pytest.raises(DataError, match=r"latin\.xml, line \d+.*malformed XML"):
        PARSER.parse(path)


def test_entity_expansion_is_refused(tmp_path: Path) -> None:
    bomb = (
        '<?xml version="1.0"?><!DOCTYPE l [<!ENTITY a "aaaa"><!ENTITY b "&a;&a;">]>'
        "<CONSOLIDATED_LIST><INDIVIDUALS/></CONSOLIDATED_LIST>"
    )
    with pytest.raises(DataError, match="refused XML"):
        PARSER.parse(_write(tmp_path, bomb))


def test_un_2026_edition_facts(shared_data: Path) -> None:
    path = shared_data / "lists/un_sc/un_sc_2026-02-27.xml"
    parsed = PARSER.parse(path)
    entries = {e.ref: e for e in parsed.entities}
    people = [e for e in entries.values() if e.schema.name == "Person"]
    groups = [e for e in entries.values() if e.schema.name == "Organization"]
    assert (len(people), len(groups)) == (730, 273)
    al_qaida = [r for r in entries if r.startswith(("QDi.", "QDe."))]
    assert len(al_qaida) == 252 + 89
    # 615 Low-quality aliases on individuals, a few more names once packed ones are split
    weak = sum(len(e.get("weakAlias")) for e in people)
    assert 615 <= weak <= 660
    nusrah = entries["QDe.137"]
    names = {v.value for _, v in nusrah.names()}
    assert {
        "Jabhat al-Nusrah",
        "Al-Nusrah Front",
        "Hay’at Tahrir al-Sham",
        "جبهة النصرة",
        "AL-NUSRAH FRONT FOR THE PEOPLE OF THE LEVANT",
        "HTS",
    } <= names
    assert nusrah.sanction.get("program") == ["Al-Qaida"]
    assert nusrah.sanction.get("listingDate") == ["2014-05-14"]
    # 53 individuals carry no date of birth; every other one has at least one
    assert sum(1 for e in people if not e.get("birthDate")) == 53
    arabic = sum(
        1
        for e in people
        if any(
            v.qualifier == "original script" and any("\u0600" <= c <= "\u06ff" for c in v.value)
            for v in e.properties.get("alias", [])
        )
    )
    assert arabic == 327
    zawahiri = entries["QDi.006"]
    assert any(d.startswith("1951") for d in zawahiri.get("birthDate"))
