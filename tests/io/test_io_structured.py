"""JSON lines, XML and TOML, each read with its guards."""

from __future__ import annotations

from pathlib import Path

import pytest

from counterflow.errors import ConfigError, DataError
from counterflow.io import iter_json_lines, iter_xml_events, parse_xml, read_toml


def test_json_lines_with_their_numbers(tmp_path: Path) -> None:
    path = tmp_path / "f.jsonl"
    path.write_text('{"a": 1}\n\n[2]\n', encoding="utf-8")
    assert list(iter_json_lines(path, max_line=100)) == [(1, {"a": 1}), (3, [2])]


def test_a_json_line_over_the_limit(tmp_path: Path) -> None:
    path = tmp_path / "f.jsonl"
    path.write_text('{"a": 1}\n{"b": "' + "x" * 100 + '"}\n', encoding="utf-8")
    lines = iter_json_lines(path, max_line=50)
    assert next(lines) == (1, {"a": 1})
    with pytest.raises(DataError, match=r"f\.jsonl, line 2: line is over the 50-byte limit"):
        next(lines)


def test_json_nested_too_deeply_is_an_error_not_a_crash(tmp_path: Path) -> None:
    path = tmp_path / "f.jsonl"
    path.write_text("[1]\n" + "[" * 100_000 + "]" * 100_000 + "\n", encoding="utf-8")
    with pytest.raises(DataError, match=r"f\.jsonl, line 2: JSON nested too deeply to read"):
        list(iter_json_lines(path, max_line=1_000_000))


def test_bad_json_lines_are_named(tmp_path: Path) -> None:
    path = tmp_path / "f.jsonl"
    path.write_bytes(b'{"a": 1}\n{"a": \n')
    with pytest.raises(DataError, match=r"line 2: invalid JSON: Expecting value"):
        list(iter_json_lines(path, max_line=100))
    path.write_bytes(b'"caf\xe9"\n')
    with pytest.raises(DataError, match=r"line 1: not valid UTF-8"):
        list(iter_json_lines(path, max_line=100))


def test_read_toml_names_the_file(tmp_path: Path) -> None:
    path = tmp_path / "bank.toml"
    path.write_text('[file]\ndelimiter = ";"\n', encoding="utf-8")
    assert read_toml(path, "column mapping") == {"file": {"delimiter": ";"}}
    path.write_text("[file\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=rf"^{path}: not a TOML column mapping file"):
        read_toml(path, "column mapping")
    with pytest.raises(ConfigError, match=r"absent\.toml: cannot read the parameters: file not"):
        read_toml(tmp_path / "absent.toml", "parameters")
    path.write_bytes(b'name = "caf\xe9"\n')
    with pytest.raises(ConfigError, match=rf"^{path}: the parameters file is not UTF-8"):
        read_toml(path, "parameters")


def test_xml_streamed_and_refused(tmp_path: Path) -> None:
    path = tmp_path / "f.xml"
    path.write_text("<a><b>1</b><b>2</b></a>", encoding="utf-8")
    ends = [e.tag for event, e in iter_xml_events(path) if event == "end"]
    assert ends == ["b", "b", "a"]
    assert parse_xml(path, max_bytes=1000).tag == "a"
    path.write_text("<a>\n<b>1</b>\n<b>2</a>", encoding="utf-8")
    with pytest.raises(DataError) as caught:
        list(iter_xml_events(path))
    assert caught.value.location == "line 3, column 6"
    assert caught.value.problem.startswith("malformed XML: mismatched tag")
    path.write_text('<!DOCTYPE a [<!ENTITY e "boom">]><a>&e;</a>', encoding="utf-8")
    with pytest.raises(DataError, match="refused XML: EntitiesForbidden"):
        list(iter_xml_events(path))
    with pytest.raises(DataError, match="file not found"):
        list(iter_xml_events(tmp_path / "absent.xml"))
