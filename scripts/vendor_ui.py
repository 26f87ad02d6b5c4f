#!/usr/bin/env python3
"""Vendor the web UI's JavaScript libraries from the npm registry, pinned and verified.

    python scripts/vendor_ui.py            # fetch what PINS asks for (a no-op when up to date)
    python scripts/vendor_ui.py --check    # verify the files on disk, without the network

For each pin: read ``https://registry.npmjs.org/<package>/<version>``, download ``dist.tarball``
(from the registry only), verify it against ``dist.integrity`` (sha512), check that the licence
in the tarball's package.json is the one pinned and an allowed one, and copy only the listed
files plus the package's licence file into ``src/counterflow/web/static/vendor/<name>/``.
``manifest.json`` beside them records package, version, licence and each file's sha256.
Nothing is executed from the packages; the tarball is read in memory, never extracted.

Standard library only, so it runs from a fresh clone without the venv.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import io
import json
import re
import sys
import tarfile
import urllib.parse
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any

# ---------------------------------------------------------------------------------------------
# The pins. To upgrade: change a version here, run the script, then run it with --check.
# `files` are paths inside the package; each is copied to vendor/<name>/<its base name>.
# `license` is the SPDX id the package must declare (a change of licence stops the script).


@dataclass(frozen=True)
class Pin:
    name: str
    package: str
    version: str
    license: str
    files: tuple[str, ...]


PINS: tuple[Pin, ...] = (
    # htmx 2.x (4.x is a rewrite with another API); htmx is 0BSD since 2.0.0
    Pin("htmx", "htmx.org", "2.0.11", "0BSD", ("dist/htmx.min.js",)),
    Pin("cytoscape", "cytoscape", "3.35.0", "MIT", ("dist/cytoscape.min.js",)),
)

# ---------------------------------------------------------------------------------------------

REGISTRY = "https://registry.npmjs.org"
ALLOWED_LICENSES = frozenset({"MIT", "0BSD", "BSD-2-Clause", "BSD-3-Clause", "Apache-2.0", "ISC"})
LICENSE_NAMES = re.compile(r"^(licen[cs]e|copying)(\.(md|txt))?$", re.IGNORECASE)
MAX_TARBALL_BYTES = 50 * 1024 * 1024
TIMEOUT_SECONDS = 60

ROOT = Path(__file__).resolve().parents[1]
VENDOR_DIR = ROOT / "src" / "counterflow" / "web" / "static" / "vendor"
MANIFEST_NAME = "manifest.json"
MANIFEST_NOTE = "Written by scripts/vendor_ui.py from its PINS; do not edit by hand."


class VendorError(Exception):
    """Something about a package or the files on disk is not as pinned."""


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _get(url: str) -> bytes:
    parsed = urllib.parse.urlsplit(url)
    if parsed.scheme != "https" or parsed.netloc != urllib.parse.urlsplit(REGISTRY).netloc:
        raise VendorError(f"refusing to fetch {url}: only {REGISTRY} is allowed")
    request = urllib.request.Request(
        url, headers={"Accept": "application/json", "User-Agent": "counterflow-vendor-ui"}
    )
    with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS) as response:
        data: bytes = response.read(MAX_TARBALL_BYTES + 1)
    if len(data) > MAX_TARBALL_BYTES:
        raise VendorError(f"{url} is larger than {MAX_TARBALL_BYTES} bytes")
    return data


def _metadata(pin: Pin) -> tuple[str, str]:
    """(tarball URL, sha512 integrity) of the pinned version, from the registry."""
    url = f"{REGISTRY}/{urllib.parse.quote(pin.package, safe='@')}/{pin.version}"
    meta: Any = json.loads(_get(url))
    if not isinstance(meta, dict) or meta.get("version") != pin.version:
        raise VendorError(f"{url}: not the metadata of {pin.package}@{pin.version}")
    dist = meta.get("dist")
    if not isinstance(dist, dict):
        raise VendorError(f"{url}: no dist")
    tarball, integrity = dist.get("tarball"), dist.get("integrity")
    if not isinstance(tarball, str) or not isinstance(integrity, str):
        raise VendorError(f"{url}: dist.tarball or dist.integrity is missing")
    if not integrity.startswith("sha512-"):
        raise VendorError(f"{url}: integrity {integrity!r} is not sha512")
    return tarball, integrity


def _verify_integrity(data: bytes, integrity: str, what: str) -> None:
    expected = base64.b64decode(integrity.removeprefix("sha512-"), validate=True)
    if hashlib.sha512(data).digest() != expected:
        raise VendorError(f"{what}: the tarball does not match dist.integrity {integrity}")


def _members(data: bytes) -> dict[str, bytes]:
    """The regular files of an npm tarball, by path below its top folder (``package/``)."""
    out: dict[str, bytes] = {}
    with tarfile.open(fileobj=io.BytesIO(data), mode="r:gz") as tar:
        for member in tar.getmembers():
            if not member.isfile():
                continue
            parts = member.name.split("/", 1)
            if len(parts) != 2:
                continue
            handle = tar.extractfile(member)
            if handle is not None:
                out[parts[1]] = handle.read()
    return out


def _license_file(members: dict[str, bytes], what: str) -> str:
    found = sorted(name for name in members if "/" not in name and LICENSE_NAMES.match(name))
    if not found:
        raise VendorError(f"{what}: the package has no licence file")
    return found[0]


def _declared_license(members: dict[str, bytes], what: str) -> str:
    try:
        package: Any = json.loads(members["package.json"])
    except (KeyError, ValueError) as exc:
        raise VendorError(f"{what}: no readable package.json") from exc
    declared = package.get("license") if isinstance(package, dict) else None
    if isinstance(declared, dict):  # the old {"type": ..., "url": ...} form
        declared = declared.get("type")
    if not isinstance(declared, str):
        raise VendorError(f"{what}: package.json declares no licence")
    return declared


def fetch(pin: Pin) -> tuple[dict[str, Any], dict[str, bytes]]:
    """The manifest entry of one pin and its files (path below the vendor folder → bytes)."""
    what = f"{pin.package}@{pin.version}"
    tarball, integrity = _metadata(pin)
    data = _get(tarball)
    _verify_integrity(data, integrity, what)
    members = _members(data)

    declared = _declared_license(members, what)
    if declared != pin.license:
        raise VendorError(f"{what}: package.json says licence {declared!r}, pinned {pin.license!r}")
    if declared not in ALLOWED_LICENSES:
        raise VendorError(f"{what}: licence {declared!r} is not one of {sorted(ALLOWED_LICENSES)}")

    license_source = _license_file(members, what)
    sources = [*pin.files, license_source]
    files: dict[str, bytes] = {}
    entries: list[dict[str, str]] = []
    for source in sources:
        if source not in members:
            raise VendorError(f"{what}: the package has no {source}")
        target = f"{pin.name}/{source.rsplit('/', 1)[-1]}"
        if target in files:
            raise VendorError(f"{what}: two files would be written to {target}")
        files[target] = members[source]
        entries.append({"path": target, "source": source, "sha256": sha256_hex(members[source])})
    entry: dict[str, Any] = {
        "name": pin.name,
        "package": pin.package,
        "version": pin.version,
        "license": declared,
        "license_file": f"{pin.name}/{license_source.rsplit('/', 1)[-1]}",
        "tarball": tarball,
        "integrity": integrity,
        "files": entries,
    }
    return entry, files


def render_manifest(libraries: list[dict[str, Any]]) -> bytes:
    manifest = {"note": MANIFEST_NOTE, "libraries": libraries}
    return (json.dumps(manifest, indent=2, ensure_ascii=False) + "\n").encode("utf-8")


def _safe_target(vendor_dir: Path, relative: str) -> Path:
    target = (vendor_dir / relative).resolve()
    if not target.is_relative_to(vendor_dir.resolve()) or target == vendor_dir.resolve():
        raise VendorError(f"{relative!r} points outside {vendor_dir}")
    return target


def _write_if_changed(path: Path, data: bytes) -> bool:
    if path.is_file() and path.read_bytes() == data:
        return False
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return True


def load_manifest(vendor_dir: Path) -> dict[str, Any]:
    path = vendor_dir / MANIFEST_NAME
    try:
        manifest: Any = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise VendorError(f"{path} does not exist: run scripts/vendor_ui.py") from exc
    except ValueError as exc:
        raise VendorError(f"{path} is not JSON: {exc}") from exc
    if not isinstance(manifest, dict) or not isinstance(manifest.get("libraries"), list):
        raise VendorError(f"{path} has no list of libraries")
    return manifest


def check(vendor_dir: Path, pins: tuple[Pin, ...] = PINS) -> list[str]:
    """Problems with the vendored files: the manifest against the pins and the files on disk."""
    try:
        manifest = load_manifest(vendor_dir)
    except VendorError as exc:
        return [str(exc)]
    problems: list[str] = []
    libraries: list[Any] = manifest["libraries"]
    by_name = {lib.get("name"): lib for lib in libraries if isinstance(lib, dict)}
    if [lib.get("name") for lib in libraries if isinstance(lib, dict)] != [p.name for p in pins]:
        problems.append(
            f"the manifest lists {sorted(map(str, by_name))}, the pins {[p.name for p in pins]}"
        )
    listed: set[Path] = set()
    for pin in pins:
        lib = by_name.get(pin.name)
        if lib is None:
            continue
        for key in ("package", "version", "license"):
            if lib.get(key) != getattr(pin, key):
                problems.append(
                    f"{pin.name}: manifest {key} {lib.get(key)!r}, pinned {getattr(pin, key)!r}"
                )
        if lib.get("license") not in ALLOWED_LICENSES:
            problems.append(f"{pin.name}: licence {lib.get('license')!r} is not allowed")
        files = lib.get("files")
        if not isinstance(files, list):
            problems.append(f"{pin.name}: no files in the manifest")
            continue
        sources = [f.get("source") for f in files if isinstance(f, dict)]
        if sources[: len(pin.files)] != list(pin.files) or len(sources) != len(pin.files) + 1:
            problems.append(f"{pin.name}: manifest files {sources}, pinned {list(pin.files)}")
        if lib.get("license_file") not in [f.get("path") for f in files if isinstance(f, dict)]:
            problems.append(f"{pin.name}: its licence file is not among its files")
        for item in files:
            relative, expected = item.get("path"), item.get("sha256")
            if not isinstance(relative, str) or not isinstance(expected, str):
                problems.append(f"{pin.name}: a file entry without path or sha256")
                continue
            try:
                path = _safe_target(vendor_dir, relative)
            except VendorError as exc:
                problems.append(f"{pin.name}: {exc}")
                continue
            listed.add(path)
            if not path.is_file():
                problems.append(f"{relative}: missing")
            elif sha256_hex(path.read_bytes()) != expected:
                problems.append(f"{relative}: sha256 differs from the manifest")
    manifest_path = (vendor_dir / MANIFEST_NAME).resolve()
    for path in sorted(vendor_dir.rglob("*")):
        if path.is_file() and path.resolve() not in listed and path.resolve() != manifest_path:
            problems.append(f"{path.relative_to(vendor_dir)}: not in the manifest")
    return problems


def vendor(vendor_dir: Path, pins: tuple[Pin, ...] = PINS, force: bool = False) -> list[str]:
    """Bring the vendor folder to the pins. Returns the paths written (empty: nothing to do)."""
    if not force and not check(vendor_dir, pins):
        return []
    previous: list[Any] = []
    if (vendor_dir / MANIFEST_NAME).is_file():
        try:
            previous = load_manifest(vendor_dir)["libraries"]
        except VendorError:
            previous = []
    libraries: list[dict[str, Any]] = []
    files: dict[str, bytes] = {}
    for pin in pins:  # everything is fetched and verified before anything is written
        entry, pin_files = fetch(pin)
        libraries.append(entry)
        files.update(pin_files)
    written = [
        rel for rel, data in files.items() if _write_if_changed(_safe_target(vendor_dir, rel), data)
    ]
    if _write_if_changed(vendor_dir / MANIFEST_NAME, render_manifest(libraries)):
        written.append(MANIFEST_NAME)
    # files of the previous manifest that the new one no longer lists
    for lib in previous:
        for item in lib.get("files", []) if isinstance(lib, dict) else []:
            relative = item.get("path") if isinstance(item, dict) else None
            if isinstance(relative, str) and relative not in files:
                stale = _safe_target(vendor_dir, relative)
                if stale.is_file():
                    stale.unlink()
                    written.append(f"{relative} (removed)")
                if stale.parent != vendor_dir.resolve() and not any(stale.parent.iterdir()):
                    stale.parent.rmdir()
    return written


def _say(message: str, *, error: bool = False) -> None:
    (sys.stderr if error else sys.stdout).write(message + "\n")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument(
        "--check", action="store_true", help="verify the files on disk against the manifest"
    )
    parser.add_argument(
        "--force", action="store_true", help="fetch again even when the files are up to date"
    )
    parser.add_argument("--dest", type=Path, default=VENDOR_DIR, help="the vendor folder")
    args = parser.parse_args(argv)
    dest: Path = args.dest
    if args.check:
        problems = check(dest)
        for problem in problems:
            _say(f"vendor check: {problem}", error=True)
        if problems:
            return 1
        _say(f"vendor check: {len(PINS)} libraries match {dest / MANIFEST_NAME}")
        return 0
    try:
        written = vendor(dest, force=args.force)
    except (VendorError, OSError, tarfile.TarError) as exc:
        _say(f"vendor: {exc}", error=True)
        return 1
    if not written:
        _say("vendor: up to date, nothing written")
    for path in written:
        _say(f"vendor: wrote {path}")
    problems = check(dest)
    for problem in problems:
        _say(f"vendor check: {problem}", error=True)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
