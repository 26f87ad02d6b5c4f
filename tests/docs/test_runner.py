"""The example runner itself: a drifted output must fail, an elided one must pass."""

from __future__ import annotations

from pathlib import Path

from .runner import (
    FileBlock,
    Sandbox,
    expects_failure,
    matches,
    normalise,
    read_page,
    run_page,
)

PAGE = """# A page

Some prose.

<!-- file: names.csv -->
```
name
Osama
```

```console
$ echo hello
hello
$ printf 'a\\nb\\nc\\nd\\n'
a
…
d
$ KEY=$(echo secret)
$ echo "key is $KEY" \\
    "and more"
key is secret and more
```

<!-- not tested: needs the network -->
```console
$ curl https://example.org
```
"""


def test_read_page_finds_steps_files_and_skips(tmp_path: Path) -> None:
    path = tmp_path / "page.md"
    path.write_text(PAGE, encoding="utf-8")
    page = read_page(path)
    assert [i.name for i in page.items if isinstance(i, FileBlock)] == ["names.csv"]
    commands = [s.command for s in page.steps]
    assert commands == [
        "echo hello",
        "printf 'a\\nb\\nc\\nd\\n'",
        "KEY=$(echo secret)",
        'echo "key is $KEY" "and more"',
    ]
    assert page.steps[1].expected == ["a", "…", "d"]


def test_matches_elision_and_drift() -> None:
    assert matches(["a", "…", "d"], ["a", "b", "c", "d"])
    assert matches(["a", "…", "d"], ["a", "d"])
    assert matches(["Imported … in 0.2 s."], ["Imported un-sc edition 1 in 0.2 s."])
    assert not matches(["a", "…", "d"], ["a", "b", "c", "e"])
    assert not matches(["1,003 entries"], ["9,979 entries"])
    assert not matches([], ["something printed"])
    assert matches([], [])


def test_normalise_only_volatile_parts() -> None:
    line = "Imported un-sc edition 2024-09-26 in 0.2 s at 2026-11-29 02:10"
    assert normalise(line) == "Imported un-sc edition 2024-09-26 in <duration> at <time>"
    assert normalise("1,003 entries") == "1,003 entries"


def test_expects_failure() -> None:
    assert expects_failure(["Error: no list 'x'"])
    assert not expects_failure(["Imported"])


def test_run_page_passes_and_reports_drift(tmp_path: Path) -> None:
    shared = tmp_path / "shared-data"
    shared.mkdir()
    path = tmp_path / "page.md"
    path.write_text(PAGE, encoding="utf-8")
    assert run_page(read_page(path), Sandbox(tmp_path / "ok", shared)) == []

    path.write_text(PAGE.replace("key is secret", "key is public"), encoding="utf-8")
    failures = run_page(read_page(path), Sandbox(tmp_path / "drift", shared))
    assert len(failures) == 1
    assert "key is secret and more" in str(failures[0])
    assert failures[0].where == "page.md:19"


def test_file_blocks_are_written_before_later_steps(tmp_path: Path) -> None:
    shared = tmp_path / "shared-data"
    shared.mkdir()
    path = tmp_path / "page.md"
    path.write_text(PAGE + "\n```console\n$ cat names.csv\nname\nOsama\n```\n", encoding="utf-8")
    assert run_page(read_page(path), Sandbox(tmp_path / "files", shared)) == []
