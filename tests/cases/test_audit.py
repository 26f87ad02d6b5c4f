"""The audit trail: every record seals the one before; any edit, deletion or cut is found."""

from __future__ import annotations

import json
import multiprocessing
from itertools import pairwise
from pathlib import Path

import pytest

from counterflow.cases import AuditLog, verify
from counterflow.cases.audit import parse_anchor, select
from counterflow.errors import ConfigError, StoreError


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
