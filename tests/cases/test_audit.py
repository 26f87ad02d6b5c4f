"""The audit trail: every record seals the one before; any edit, deletion or cut is found."""

from __future__ import annotations

import json
import multiprocessing
import os
import stat
from itertools import pairwise
from pathlib import Path

import pytest

from counterflow.cases import AuditLog, verify
from counterflow.cases import audit as audit_module
from counterflow.cases.audit import AuditWriteError, parse_anchor, select
from counterflow.errors import ConfigError, DataError, StoreError


def _filled(home: Path, count: int = 5) -> AuditLog:
    log = AuditLog.for_home(home)
    for i in range(count):
        log.append("match", "key:abc (tests)", queries={"q": {"name": [f"name {i}"]}})
    return log


def _lines(log: AuditLog) -> list[str]:
    return log.path.read_text(encoding="utf-8").splitlines()


def test_records_are_chained_and_verify(home: Path) -> None:
    log = _filled(home)
    records = [json.loads(line) for line in _lines(log)]
    assert [r["seq"] for r in records] == [1, 2, 3, 4, 5]
    assert records[0]["prev"] == "0" * 64
    assert all(b["prev"] == a["hash"] for a, b in pairwise(records))
    result = verify(log)
    assert result.ok and result.records == 5
    assert (result.head.seq, result.head.hash) == (5, records[-1]["hash"])


def test_a_second_writer_continues_the_chain(home: Path) -> None:
    _filled(home, 2)
    AuditLog.for_home(home).append("search", "cli:someone")
    _filled(home, 1)  # a writer whose cached head is stale must re-read it
    assert verify(AuditLog.for_home(home)).ok


def test_an_edited_record_is_found(home: Path) -> None:
    log = _filled(home)
    lines = _lines(log)
    lines[2] = lines[2].replace("name 2", "name X")
    log.path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = verify(log)
    assert not result.ok
    assert any("line 3 (seq 3): the hash does not match" in p for p in result.problems)


def test_an_edited_record_with_a_recomputed_hash_breaks_the_next_link(home: Path) -> None:
    from counterflow.cases.audit import canonical, record_hash

    log = _filled(home)
    lines = _lines(log)
    record = json.loads(lines[1])
    record["actor"] = "someone else"
    record["hash"] = record_hash(record)
    lines[1] = canonical(record).decode()
    log.path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    problems = verify(log).problems
    assert any(p.startswith("line 3 (seq 3): does not link") for p in problems)


def test_a_deleted_record_is_found(home: Path) -> None:
    log = _filled(home)
    lines = _lines(log)
    del lines[1]
    log.path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    problems = verify(log).problems
    assert any("expected seq 2" in p for p in problems)
    assert any("does not link" in p for p in problems)


def test_records_cut_from_the_end_are_found_with_an_anchor(home: Path) -> None:
    log = _filled(home)
    head = verify(log).head
    lines = _lines(log)
    log.path.write_text("\n".join(lines[:3]) + "\n", encoding="utf-8")
    assert verify(log).ok  # a shorter chain is still a chain…
    result = verify(log, (head.seq, head.hash))
    assert not result.ok and "seq 5 is missing" in result.problems[0]  # …but not the anchored one


def test_a_damaged_line_is_named(home: Path) -> None:
    log = _filled(home, 2)
    with open(log.path, "a", encoding="utf-8") as out:
        out.write("{not json\n")
    assert "line 3: not a JSON record" in verify(log).problems[0]
    with pytest.raises(StoreError, match="last record of the audit trail"):
        AuditLog.for_home(home).append("match", "x")


def _append_many(home: str, count: int) -> None:
    log = AuditLog.for_home(Path(home), fsync=False)
    for i in range(count):
        log.append("match", f"worker {i}")


def test_concurrent_processes_keep_one_chain(home: Path) -> None:
    context = multiprocessing.get_context("spawn")
    workers = [context.Process(target=_append_many, args=(str(home), 40)) for _ in range(4)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=120)
    result = verify(AuditLog.for_home(home))
    assert result.ok and result.records == 160


def test_select_by_date_range(home: Path) -> None:
    log = _filled(home, 3)
    day = json.loads(_lines(log)[0])["time"][:10]
    assert len(list(select(log, since=day))) == 3
    assert list(select(log, until=day)) == []
    assert len(list(select(log, since=f"{day}T00:00:00+00:00", until="2999-01-01"))) == 3
    with pytest.raises(ConfigError, match="--since 'yesterday'"):
        list(select(log, since="yesterday"))


def test_anchor_syntax() -> None:
    assert parse_anchor("12:" + "A" * 64) == (12, "a" * 64)
    with pytest.raises(ConfigError, match="SEQ:HASH"):
        parse_anchor("12")


def test_a_missing_or_empty_trail_fails_unless_it_is_new(home: Path) -> None:
    log = AuditLog.for_home(home)
    missing = verify(log)
    assert not missing.ok and "missing" in missing.problems[0]
    assert verify(log, new=True).ok
    log.path.parent.mkdir()
    log.path.write_bytes(b"")
    empty = verify(log)
    assert not empty.ok and "empty" in empty.problems[0]
    assert verify(log, new=True).ok
    anchored = verify(log, (3, "a" * 64), new=True)
    assert not anchored.ok and "seq 3 is missing" in anchored.problems[0]


def test_new_still_checks_a_trail_that_has_records(home: Path) -> None:
    log = _filled(home, 3)
    assert verify(log, new=True).ok and verify(log, new=True).records == 3
    lines = _lines(log)
    log.path.write_text(lines[0] + "\n" + lines[2] + "\n", encoding="utf-8")
    assert not verify(log, new=True).ok


def test_the_trail_is_private(home: Path) -> None:
    old = os.umask(0o022)
    try:
        log = _filled(home, 1)
    finally:
        os.umask(old)
    assert stat.S_IMODE(log.path.stat().st_mode) == 0o600
    assert stat.S_IMODE(log.path.parent.stat().st_mode) == 0o700


def test_a_trail_left_readable_by_an_older_version_is_made_private(home: Path) -> None:
    log = _filled(home, 1)
    os.chmod(log.path, 0o644)
    AuditLog.for_home(home).append("match", "x")
    assert stat.S_IMODE(log.path.stat().st_mode) == 0o600


def test_text_with_a_lone_surrogate_is_recorded_escaped_and_verifies(home: Path) -> None:
    log = AuditLog.for_home(home)
    record = log.append("match", "cli:\udcff", queries={"q\ud800": {"name": ["a\udfffb"]}})
    assert record["actor"] == "cli:\\udcff"
    assert record["queries"] == {"q\\ud800": {"name": ["a\\udfffb"]}}
    log.append("search", "after")
    assert verify(log).ok and verify(log).records == 2


def test_a_hand_written_surrogate_is_an_edit_not_a_crash(home: Path) -> None:
    log = _filled(home, 2)
    lines = _lines(log)
    lines[0] = lines[0].replace("name 0", "name \\ud800")
    log.path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    assert any("line 1 (seq 1): the hash does not match" in p for p in verify(log).problems)


def test_an_unwritable_trail_is_an_audit_write_error(home: Path) -> None:
    log = AuditLog.for_home(home)
    log.path.parent.mkdir()
    log.path.mkdir()  # a folder where the file should be
    with pytest.raises(AuditWriteError, match="cannot write the audit trail") as caught:
        log.append("match", "x")
    assert isinstance(caught.value, StoreError) and caught.value.__cause__ is not None


def test_a_trail_that_cannot_be_read_is_an_audit_write_error(
    home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _filled(home, 2)
    log = AuditLog.for_home(home)  # a new writer reads the head from the file

    def unreadable(path: Path, size: int | None = None, *, chunk: int = 0) -> bytes:
        raise DataError("cannot read: Input/output error", path=path)

    monkeypatch.setattr(audit_module, "read_last_line", unreadable)
    with pytest.raises(AuditWriteError, match=r"cannot read the audit trail .*Input/output"):
        log.append("match", "x")
    monkeypatch.undo()
    assert log.append("match", "x")["seq"] == 3
    assert verify(log).ok


def test_records_streams_every_line_as_written(home: Path) -> None:
    log = _filled(home, 3)
    with open(log.path, "ab") as out:
        out.write(b"not json\n")
    got = list(log.records())
    assert [number for number, _, _ in got] == [1, 2, 3, 4]
    assert [raw for _, _, raw in got] == log.path.read_bytes().splitlines(keepends=True)
    assert got[3][1] is None and all(record for _, record, _ in got[:3])
    assert list(AuditLog.for_home(home / "elsewhere").records()) == []
