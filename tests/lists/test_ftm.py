from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from counterflow.cli.demo_cmd import sample_list_path
from counterflow.errors import DataError
from counterflow.lists import store
from counterflow.lists.formats.ftm import FtMParser, write_ftm
from counterflow.lists.formats.un_xml import UNConsolidatedParser
from counterflow.lists.registry import detect
from counterflow.workspace import Workspace


def test_opensanctions_style_file_folds_satellites(fixtures: Path) -> None:
    path = fixtures / "lists/ftm/sample.ftm.json"
    assert detect(path).format == "ftm"
    parsed = FtMParser().parse(path)
    assert parsed.list_id == "zz_example_sanctions"
    entries = {e.ref: e for e in parsed.entities}
    assert sorted(entries) == ["zz-example-org-1", "zz-example-person-1", "zz-example-vessel-1"]
    person = entries["zz-example-person-1"]
    assert person.id == "zz_example_sanctions:zz-example-person-1"
    assert person.get("weakAlias") == ["Umm Example"]
    assert person.get("passportNumber") == ["P0000001"]
    assert person.get("address") == ["1 Example Road, Sampleton"]
    assert person.sanction.get("program") == ["Example Programme"]
    assert person.sanction.get("listingDate") == ["2019-09-09"]
    assert entries["zz-example-org-1"].get("idNumber") == ["REG-0001"]
    assert entries["zz-example-vessel-1"].get("imoNumber") == ["IMO0000001"]


def test_export_then_import_round_trips(home: Path, tmp_path: Path) -> None:
    original = {e.id: e for e in UNConsolidatedParser().parse(sample_list_path()).entities}
    out = io.StringIO()
    lines = write_ftm(original.values(), out)
    assert lines == 10  # 5 entities, each with its Sanction
    records = [json.loads(line) for line in out.getvalue().splitlines()]
    assert {r["schema"] for r in records} == {"Person", "Organization", "Sanction"}
    sanction = next(r for r in records if r["schema"] == "Sanction")
    assert "listType" not in sanction["properties"]
    path = tmp_path / "export.ftm.json"
    path.write_text(out.getvalue(), encoding="utf-8")
    parsed = FtMParser().parse(path)
    assert parsed.list_id == "un-sc"
    again = {e.id: e for e in parsed.entities}
    assert again.keys() == original.keys()
    for entity_id, entity in original.items():
        for prop in entity.properties:
            assert again[entity_id].get(prop) == entity.get(prop), (entity_id, prop)
        assert again[entity_id].sanction.get("program") == entity.sanction.get("program")


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (
            '{"id": "a", "schema": "Person", "properties": {"name": ["A"]}}\n{"id": \n',
            r"line 2: invalid JSON",
        ),
        ('{"id": "a", "schema": "Person"}\n{"schema": "Person"}\n', r"line 2: not an FtM entity"),
        (
            '{"id": "a", "schema": "Person", "properties": {"name": "A"}}\n',
            r"line 1: property 'name' must be a list of strings",
        ),
        (
            '{"id": "a", "schema": "Person", "properties": ["name"]}\n',
            r"line 1: 'properties' must be an object",
        ),
        (
            '{"id": "a", "schema": "Person"}\n{"id": "a", "schema": "Person"}\n',
            r"line 2: duplicate entity id 'a' \(first on line 1\)",
        ),
        (
            '{"id": "a", "schema": "Person", "properties": {"name": [{"a": 1}]}}\n',
            r"line 1: property 'name' must be a list of strings",
        ),
        (
            '{"id": "a", "schema": "Person", "properties": {"name": ["A"]}}\n'
            + "[" * 100_000
            + "]" * 100_000
            + "\n",
            r"line 2: JSON nested too deeply",
        ),
        ('{"id": "a", "schema": "Vessel", "properties": {"birthDate": ["1970"]}}\n', None),
    ],
)
def test_bad_lines_are_named(tmp_path: Path, content: str, message: str | None) -> None:
    path = tmp_path / "bad.ftm.json"
    path.write_text(content, encoding="utf-8")
    if message is None:  # a property the schema does not have is dropped, not fatal
        (entity,) = FtMParser().parse(path).entities
        assert entity.get("birthDate") == []
        return
    with pytest.raises(DataError, match=r"bad\.ftm\.json, " + message):
        list(FtMParser().parse(path).entities)


def test_ftm_file_imports_into_a_workspace(home: Path, fixtures: Path) -> None:
    result = store.import_list(Workspace(home), fixtures / "lists/ftm/sample.ftm.json")
    assert result.edition.list_id == "zz_example_sanctions"
    assert result.edition.published is None
    assert result.edition.label == result.edition.content_hash[:12]
