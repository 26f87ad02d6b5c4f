"""Fetch the official list files and import them as new editions.

This is the only part of counterflow that goes to the network, and only when asked. A
download is written to a temporary file, checked (size, non-empty, the expected format), then
imported in one transaction; only then is the file kept under ``<home>/downloads``. Until that
moment the previous edition stays active. Closed networks point each list at a mirror with
``--url LIST=URL`` or ``COUNTERFLOW_LIST_URL_<LIST>`` (e.g. ``COUNTERFLOW_LIST_URL_UN_SC``).
"""

from __future__ import annotations

import urllib.error
import urllib.request
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

from counterflow import __version__
from counterflow.errors import ConfigError, DataError, DownloadError
from counterflow.io import atomic_output, ensure_private_dir, read_head, staged_file
from counterflow.lists.registry import get_parser
from counterflow.lists.store import ImportResult, import_list
from counterflow.workspace import Workspace

DEFAULT_TIMEOUT = 60.0
MAX_DOWNLOAD_BYTES = 256 * 1024 * 1024
_CHUNK = 1 << 16


@dataclass(frozen=True)
class Source:
    """Where a list is published and in which format."""

    list_id: str
    url: str
    format: str
    filename: str


SOURCES: dict[str, Source] = {
    s.list_id: s
    for s in (
        Source(
            "un-sc",
            "https://scsanctions.un.org/resources/xml/en/consolidated.xml",
            "un-xml",
            "consolidated.xml",
        ),
        Source(
            "ofac-sdn",
            "https://sanctionslistservice.ofac.treas.gov/api/PublicationPreview/exports/SDN.XML",
            "ofac-xml",
            "SDN.XML",
        ),
        Source(
            "ofac-nonsdn",
            "https://sanctionslistservice.ofac.treas.gov/api/PublicationPreview/exports/"
            "CONSOLIDATED.XML",
            "ofac-xml",
            "CONSOLIDATED.XML",
        ),
        Source(
            "uk",
            "https://sanctionslist.fcdo.gov.uk/docs/UK-Sanctions-List.xml",
            "uk-fcdo-xml",
            "UK_Sanctions_List.xml",
        ),
        Source(
            "eu",
            "https://webgate.ec.europa.eu/fsd/fsf/public/files/xmlFullSanctionsList_1_1"
            "/content?token=dG9rZW4tMjAxNw",
            "eu-xml",
            "eu_fsf.xml",
        ),
    )
}


def source_url(
    list_id: str,
    overrides: Mapping[str, str] | None = None,
    mirrors: Mapping[str, str] | None = None,
) -> str:
    """The URL to fetch a list from: an explicit override (``--url``), a configured mirror
    (``COUNTERFLOW_LIST_URL_<LIST>``, in :class:`counterflow.settings.Settings`), else the
    official source."""
    for chosen in (overrides, mirrors):
        if chosen and list_id in chosen:
            return chosen[list_id]
    return SOURCES[list_id].url


def update_list(
    workspace: Workspace,
    list_id: str,
    *,
    overrides: Mapping[str, str] | None = None,
    timeout: float = DEFAULT_TIMEOUT,
    max_bytes: int = MAX_DOWNLOAD_BYTES,
    progress: Callable[[int, int | None], None] | None = None,
) -> ImportResult:
    """Download one list and import it; the previous edition stays active on any failure."""
    if list_id not in SOURCES:
        raise ConfigError(
            f"no download source for list {list_id!r} (known: {', '.join(sorted(SOURCES))})"
        )
    source = SOURCES[list_id]
    url = source_url(list_id, overrides, workspace.settings.list_urls)
    folder = ensure_private_dir(workspace.home / "downloads" / list_id)
    # named after the edition inside, so kept under its final name only once it imported
    with staged_file(folder, source.filename) as staged:
        tmp = staged.path
        fetch(url, tmp, timeout=timeout, max_bytes=max_bytes, progress=progress)
        parser = get_parser(source.format)
        if not parser.sniff(tmp, read_head(tmp)):
            raise DownloadError(
                f"{url} did not return a {parser.title} file (first bytes: {read_head(tmp, 60)!r})"
            )
        try:
            result = import_list(workspace, tmp, fmt=source.format)
        except DataError as exc:
            raise DownloadError(f"{url} returned a file that does not import: {exc}") from exc
        staged.keep_as(folder / f"{result.edition.label}-{source.filename}")
    return result


def fetch(
    url: str,
    dest: Path,
    *,
    timeout: float = DEFAULT_TIMEOUT,
    max_bytes: int = MAX_DOWNLOAD_BYTES,
    progress: Callable[[int, int | None], None] | None = None,
) -> int:
    """Stream ``url`` into ``dest`` with a timeout and a size cap, whole or not at all; returns
    the bytes written."""
    if not url.startswith(("https://", "http://", "file://")):
        raise ConfigError(f"unsupported URL {url!r}: use https://, http:// or file://")
    request = urllib.request.Request(url, headers={"User-Agent": f"counterflow/{__version__}"})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            length = response.headers.get("Content-Length")
            total = int(length) if length and length.isdigit() else None
            if total is not None and total > max_bytes:
                raise DownloadError(f"{url} is {total:,} bytes, over the {max_bytes:,} limit")
            written = 0
            with atomic_output(dest, "wb") as out:
                while chunk := response.read(_CHUNK):
                    written += len(chunk)
                    if written > max_bytes:
                        raise DownloadError(f"{url} sent more than the {max_bytes:,} byte limit")
                    out.write(chunk)
                    if progress:
                        progress(written, total)
                if written == 0:  # before the file takes its name
                    raise DownloadError(f"{url} returned an empty file")
    except urllib.error.HTTPError as exc:
        raise DownloadError(f"{url} answered HTTP {exc.code} {exc.reason}") from exc
    except urllib.error.URLError as exc:
        raise DownloadError(
            f"cannot reach {url} ({exc.reason}); this machine may be offline: "
            "import a file with 'counterflow lists import PATH' or point the "
            "list at a mirror with --url"
        ) from exc
    except TimeoutError as exc:
        raise DownloadError(f"{url} did not answer within {timeout:g} seconds") from exc
    except OSError as exc:
        raise DownloadError(f"downloading {url} failed: {exc}") from exc
    return written
