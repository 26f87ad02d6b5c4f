"""The UI's vendored libraries are what the manifest says, with their licences, and no
first-party template or static file makes the browser reach for a non-local URL.

The vendored files come from ``scripts/vendor_ui.py`` (see docs/ui.md, "Vendored assets").
"""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path
from typing import Any

import pytest

WEB = Path(__file__).resolve().parents[2] / "src" / "counterflow" / "web"
STATIC = WEB / "static"
TEMPLATES = WEB / "templates"
VENDOR = STATIC / "vendor"
MANIFEST = VENDOR / "manifest.json"
# permissive licences we may ship inside the package (0BSD is htmx 2.x's)
ALLOWED_LICENSES = {"MIT", "0BSD", "BSD-2-Clause", "BSD-3-Clause", "Apache-2.0", "ISC"}
EXPECTED_LIBRARIES = {"htmx.org", "cytoscape"}

# --- the manifest ---------------------------------------------------------------------------


def _libraries() -> list[dict[str, Any]]:
    manifest = json.loads(MANIFEST.read_text(encoding="utf-8"))
    libraries: list[dict[str, Any]] = manifest["libraries"]
    return libraries


def test_manifest_lists_the_expected_libraries() -> None:
    packages = {lib["package"] for lib in _libraries()}
    assert packages == EXPECTED_LIBRARIES


@pytest.mark.parametrize("library", _libraries(), ids=lambda lib: str(lib["name"]))
def test_vendored_files_match_the_manifest(library: dict[str, Any]) -> None:
    assert library["files"], f"{library['name']}: no files"
    for item in library["files"]:
        path = VENDOR / item["path"]
        assert path.resolve().is_relative_to(VENDOR.resolve()), item["path"]
        assert path.is_file(), f"{item['path']} is in the manifest but not on disk"
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
        assert digest == item["sha256"], (
            f"{item['path']}: sha256 {digest} but the manifest says {item['sha256']}; "
            "run `python scripts/vendor_ui.py` (never edit vendored files by hand)"
        )


@pytest.mark.parametrize("library", _libraries(), ids=lambda lib: str(lib["name"]))
def test_each_library_ships_its_licence(library: dict[str, Any]) -> None:
    assert library["license"] in ALLOWED_LICENSES, (
        f"{library['package']}@{library['version']}: licence {library['license']!r}"
    )
    assert library["license_file"] in {item["path"] for item in library["files"]}
    text = (VENDOR / library["license_file"]).read_text(encoding="utf-8")
    assert "permission" in text.lower(), f"{library['license_file']} does not read as a licence"


def test_no_unlisted_files_in_the_vendor_folder() -> None:
    listed = {item["path"] for lib in _libraries() for item in lib["files"]}
    on_disk = {p.relative_to(VENDOR).as_posix() for p in VENDOR.rglob("*") if p.is_file()} - {
        MANIFEST.name
    }
    assert on_disk == listed


# --- no non-local URLs in first-party pages, scripts and stylesheets -------------------------

# an absolute (http:, https:, ws:, wss:) or protocol-relative (//host) URL ...
_REMOTE = r"""["'`]?\s*(?:(?:https?|wss?):)?//"""
# ... where the browser would load or send to it. Namespaces such as
# xmlns="http://www.w3.org/2000/svg" load nothing and are not flagged.
_PATTERNS = [
    # HTML attributes, htmx's request attributes included
    re.compile(
        r"\b(?:src|href|action|formaction|poster|srcset|background|"
        r"hx-(?:get|post|put|patch|delete))\s*=\s*" + _REMOTE,
        re.IGNORECASE,
    ),
    # CSS
    re.compile(r"\burl\(\s*" + _REMOTE, re.IGNORECASE),
    re.compile(r"@import\s+(?:url\(\s*)?" + _REMOTE, re.IGNORECASE),
    # JavaScript
    re.compile(r"\bfetch\(\s*" + _REMOTE),
    re.compile(r"\bnew\s+(?:WebSocket|EventSource|Worker)\(\s*" + _REMOTE),
    re.compile(r"\bimport\s*(?:\(\s*|[\w{}*,\s]+\bfrom\s*)" + _REMOTE),
    re.compile(r"\.open\(\s*[\"'`]\w+[\"'`]\s*,\s*" + _REMOTE),
]
_BINARY_SUFFIXES = {".png", ".jpg", ".jpeg", ".gif", ".ico", ".webp", ".woff", ".woff2", ".ttf"}


def remote_references(text: str) -> list[tuple[int, str]]:
    """(line number, line) of each place in ``text`` that refers to a non-local URL."""
    found: list[tuple[int, str]] = []
    for number, line in enumerate(text.splitlines(), start=1):
        if any(pattern.search(line) for pattern in _PATTERNS):
            found.append((number, line.strip()))
    return found


def first_party_files() -> list[Path]:
    """Every template and static file of ours: all of templates/ and static/ but static/vendor."""
    files: list[Path] = []
    for folder in (TEMPLATES, STATIC):
        if not folder.is_dir():
            continue
        for path in sorted(folder.rglob("*")):
            if not path.is_file() or path.suffix.lower() in _BINARY_SUFFIXES:
                continue
            if path.resolve().is_relative_to(VENDOR.resolve()):
                continue
            files.append(path)
    return files


def test_no_first_party_file_refers_to_a_non_local_url() -> None:
    problems = []
    for path in first_party_files():
        text = path.read_text(encoding="utf-8", errors="replace")
        for number, line in remote_references(text):
            problems.append(f"{path.relative_to(WEB)}:{number}: {line}")
    assert not problems, "non-local URLs (vendor the asset or serve it from /ui):\n" + "\n".join(
        problems
    )


@pytest.mark.parametrize(
    "sample",
    [
        '<script src="https://cdn.example/x.js"></script>',
        "@import url(//fonts.example/x.css);",
        '@import "https://fonts.example/x.css";',
        "<link rel=stylesheet href='http://cdn.example/x.css'>",
        "body { background: url( 'https://img.example/bg.png' ) }",
        '<img srcset="//img.example/x.png 2x">',
        "<form action=https://evil.example/post>",
        '<button hx-post="https://api.example/x">',
        "fetch(`https://api.example/data`)",
        "const ws = new WebSocket('wss://push.example/')",
        'import cytoscape from "https://esm.example/cytoscape.js";',
        'xhr.open("GET", "//api.example/x")',
    ],
)
def test_the_scanner_flags_remote_urls(sample: str) -> None:
    assert remote_references(f"<p>ok</p>\n{sample}\n") == [(2, sample)]


@pytest.mark.parametrize(
    "sample",
    [
        '<script src="/ui/static/vendor/htmx/htmx.min.js"></script>',
        "<script src=\"{{ url_for('ui_static', path='vendor/htmx/htmx.min.js') }}\"></script>",
        '<a href="/ui/cases/17">case 17</a>',
        '<a href="?page=2">next</a>',
        '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 10 10"></svg>',
        "@import url(base.css);",
        "fetch('/ui/party/42/neighbours')",
        "// see https://htmx.org/docs/ for the attributes",
    ],
)
def test_the_scanner_passes_local_urls(sample: str) -> None:
    assert remote_references(sample) == []


def test_the_scan_covers_every_first_party_file() -> None:
    """Not vacuous: each template and non-vendored static text file is read by the scan."""
    expected = {
        p
        for folder in (TEMPLATES, STATIC)
        if folder.is_dir()
        for p in folder.rglob("*")
        if p.is_file() and p.suffix.lower() not in _BINARY_SUFFIXES and VENDOR not in p.parents
    }
    assert set(first_party_files()) == expected
    if TEMPLATES.is_dir() and any(TEMPLATES.rglob("*.html")):
        assert any(p.suffix == ".html" for p in first_party_files())
