"""Structured files: JSON lines, XML and TOML, each read with its own guards.

JSON lines are read a line at a time with a cap on a line's size; a value nested deeper than
Python can recurse (an attack on the parser) is an error naming the line, not a crash. XML goes
through defusedxml: no entity expansion, no external DTDs; it is parsed whole
(:func:`parse_xml`) or streamed as events (:func:`iter_xml_events`) for files of any size.
TOML is for small settings files (mappings, parameters), so a problem there is a
:class:`ConfigError`.
"""

from __future__ import annotations

import json
import re
import tomllib
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any
from xml.etree.ElementTree import Element, ParseError

from defusedxml import ElementTree as SafeET
from defusedxml.common import DefusedXmlException

from counterflow.errors import ConfigError, DataError
from counterflow.io.files import check_file, open_checked, read_bytes

#: settings files (column mappings, scenario parameters) are small by nature
MAX_SETTINGS_BYTES = 1024 * 1024


def iter_json_lines(
    path: Path, *, max_line: int, max_bytes: int | None = None
) -> Iterator[tuple[int, Any]]:
    """(line number, value) for every non-blank line of a JSON-lines file."""
    with open_checked(path, max_bytes=max_bytes) as lines:
        number = 0
        # a line is read up to the limit, never whole: one line may be the whole file
        while raw := lines.readline(max_line + 1):
            number += 1
            if len(raw) > max_line and not (len(raw) == max_line + 1 and raw.endswith(b"\n")):
                raise DataError(
                    f"line is over the {max_line:,}-byte limit",
                    path=path,
                    location=f"line {number}",
                )
            if not raw.strip():
                continue
            yield number, _json(raw, path, number)


def _json(raw: bytes, path: Path, number: int) -> Any:
    where = f"line {number}"
    try:
        return json.loads(raw.decode("utf-8"))
    except UnicodeDecodeError as exc:
        raise DataError("not valid UTF-8", path=path, location=where) from exc
    except json.JSONDecodeError as exc:
        raise DataError(
            f"invalid JSON: {exc.msg} (column {exc.colno})", path=path, location=where
        ) from exc
    except RecursionError as exc:
        raise DataError("JSON nested too deeply to read", path=path, location=where) from exc


def parse_xml(path: Path, *, max_bytes: int) -> SafeET.Element:
    """A whole XML file, parsed safely; a truncated or malformed file is an error with the line
    and column of the problem."""
    check_file(path, max_bytes=max_bytes)
    try:
        return SafeET.parse(str(path)).getroot()
    except SafeET.ParseError as exc:
        line, column = getattr(exc, "position", (None, None))
        location = f"line {line}, column {column}" if line else None
        raise DataError(
            f"malformed XML: {getattr(exc, 'msg', exc)}", path=path, location=location
        ) from exc
    except RecursionError as exc:
        raise DataError("XML nested too deeply to read", path=path) from exc
    except Exception as exc:  # defusedxml refusals (entities, DTDs) name themselves
        raise DataError(f"refused XML: {type(exc).__name__}: {exc}", path=path) from exc


def iter_xml_events(
    path: Path,
    events: Sequence[str] = ("start", "end"),
    *,
    max_bytes: int | None = None,
) -> Iterator[tuple[str, Element]]:
    """The parse events of an XML file, streamed (the caller clears elements it is done with,
    so memory stays flat); a malformed file is an error with the line and column of the
    problem, and entity declarations are refused as in :func:`parse_xml`."""
    check_file(path, max_bytes=max_bytes)
    try:
        yield from SafeET.iterparse(str(path), events=tuple(events))
    except ParseError as exc:
        line, column = getattr(exc, "position", (0, 0))
        reason = re.sub(r": line \d+, column \d+$", "", str(exc))
        raise DataError(
            f"malformed XML: {reason}", path=path, location=f"line {line}, column {column}"
        ) from exc
    except DefusedXmlException as exc:
        raise DataError(f"refused XML: {type(exc).__name__}: {exc}", path=path) from exc
    except OSError as exc:
        raise DataError(f"cannot read: {exc.strerror}", path=path) from exc


def read_toml(path: Path, what: str) -> dict[str, Any]:
    """A small TOML settings file (``what``: "column mapping", "parameters")."""
    try:
        data = read_bytes(path, max_bytes=MAX_SETTINGS_BYTES)
        return tomllib.loads(data.decode("utf-8"))
    except DataError as exc:
        raise ConfigError(f"{path}: cannot read the {what}: {exc.problem}") from exc
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{path}: the {what} file is not UTF-8 text") from exc
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not a TOML {what} file: {exc}") from exc
