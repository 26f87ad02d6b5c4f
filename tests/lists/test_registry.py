"""The list-format registry: the built-ins in their documented order, and formats of one's own
added after them without disturbing them."""

from __future__ import annotations

import re
from collections.abc import Iterator
from importlib import resources
from pathlib import Path

import pytest

from counterflow.errors import ConfigError
from counterflow.io import read_lines
from counterflow.lists import ListParser, ParsedList, detect, get_parser, parsers, register
from counterflow.lists import registry as list_registry
from counterflow.lists.formats import BUILT_IN
from counterflow.model import Entity

ROOT = Path(__file__).resolve().parents[2]
#: the order the built-in formats are tried in, as docs/lists.md states it
ORDER = ("un-xml", "ofac-xml", "ofac-csv", "uk-fcdo-xml", "uk-ofsi-csv", "eu-xml", "eu-csv", "ftm")


def _fixture(fixtures: Path, fmt: str) -> Path:
    """A small file of each built-in format (the UN one ships inside the package)."""
    lists = fixtures / "lists"
    return {
        "un-xml": Path(str(resources.files("counterflow") / "data" / "sample_un.xml")),
        "ofac-xml": lists / "ofac_xml" / "SDN.XML",
        "ofac-csv": lists / "ofac_csv" / "sdn",
        "uk-fcdo-xml": lists / "uk_fcdo_xml" / "UK_Sanctions_List.xml",
        "uk-ofsi-csv": lists / "uk_ofsi_csv" / "sanctionsconlist.csv",
        "eu-xml": lists / "eu_xml" / "eu_fsf_export.xml",
        "eu-csv": lists / "eu_csv" / "eu_fsf_v1.csv",
        "ftm": lists / "ftm" / "sample.ftm.json",
    }[fmt]


class NationalListParser(ListParser):
    """A national list's own layout: a signature line, then ``ref|name`` lines."""

    format = "national-x"
    list_id = "national-x"
    title = "National list X (bar-separated text)"

    def sniff(self, path: Path, head: bytes) -> bool:
        return head.startswith(b"#NATIONAL-LIST-X")

    def parse(self, path: Path) -> ParsedList:
        def entities() -> Iterator[Entity]:
            for line in list(read_lines(path))[1:]:
                ref, name = line.rstrip("\n").split("|", 1)
                entity = Entity.make(self.list_id, ref, "Person")
                entity.add("name", name)
                yield entity

        return ParsedList(self.list_id, self.format, [path], entities())


@pytest.fixture
def registered(monkeypatch: pytest.MonkeyPatch) -> NationalListParser:
    """The user's format registered, for this test only."""
    monkeypatch.setattr(list_registry, "_REGISTERED", {})
    return register(NationalListParser())  # type: ignore[return-value]


def test_the_built_in_order_is_the_documented_one() -> None:
    assert tuple(p.format for p in BUILT_IN) == ORDER
    assert tuple(parsers()) == ORDER
    docs = (ROOT / "docs" / "lists.md").read_text(encoding="utf-8")
    stated = re.search(r"Detection tries the formats in this order: (.+?)\.\n", docs)
    assert stated, "docs/lists.md states the detection order"
    assert tuple(re.findall(r"`([a-z0-9-]+)`", stated.group(1))) == ORDER


def test_a_registered_format_comes_after_the_built_ins(
    registered: NationalListParser, fixtures: Path, tmp_path: Path
) -> None:
    assert tuple(parsers()) == (*ORDER, "national-x")
    assert get_parser("national-x") is registered
    path = tmp_path / "national.txt"
    path.write_text("#NATIONAL-LIST-X v1\nNX-1|Ivan Example\n", encoding="utf-8")
    assert detect(path) is registered
    (entity,) = registered.parse(path).entities
    assert entity.get("name") == ["Ivan Example"] and entity.list_id == "national-x"
    # every built-in still detects and parses its own files
    for fmt in ORDER:
        source = _fixture(fixtures, fmt)
        assert detect(source).format == fmt, fmt
        assert list(get_parser(fmt).parse(source).entities), fmt


def test_a_taken_name_is_refused(registered: NationalListParser) -> None:
    for taken in ("un-xml", "ftm", "national-x"):
        clash = NationalListParser()
        clash.format = taken  # type: ignore[misc]
        with pytest.raises(ConfigError, match=f"a list format named '{taken}' is already"):
            register(clash)
    assert tuple(parsers()) == (*ORDER, "national-x")
    assert get_parser("un-xml") is BUILT_IN[0]


def test_a_format_without_a_name_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(list_registry, "_REGISTERED", {})
    nameless = NationalListParser()
    nameless.format = ""  # type: ignore[misc]
    with pytest.raises(ConfigError, match="has no format name"):
        register(nameless)
    assert tuple(parsers()) == ORDER
