"""The command grammar (issue 10) on lists, screen, decisions, keys, audit and serve: global
options after the subcommand, one JSON document with --json, -o for outputs, --limit, tables
that fit 80 columns, and reading commands that never create a workspace."""

from __future__ import annotations

import csv
import json
import os
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from counterflow.cli import main
from counterflow.cli.demo_cmd import sample_list_path
from counterflow.settings import MAX_BODY_ENV, OPEN_MODE_ENV, RELOAD_ENV, Settings


def cli(*args: str) -> Result:
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def at(home: Path, *args: str) -> Result:
    """``args`` with --home after them: the global option follows the subcommand."""
    return cli(*args, "--home", str(home))


def as_json(result: Result) -> Any:
    """The one JSON document on standard output (nothing else may be there)."""
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


@pytest.fixture
def listed(home: Path) -> Path:
    """A workspace with the shipped sample list (un-sc, edition 2026-01-15)."""
    assert at(home, "lists", "import", str(sample_list_path())).exit_code == 0
    return home


def _newer_sample(tmp_path: Path) -> Path:
    text = sample_list_path().read_text(encoding="utf-8")
    newer = tmp_path / "newer.xml"
    newer.write_text(
        text.replace("2026-01-15T", "2026-02-20T").replace(
            "<FIRST_NAME>EXAMPLE RELIEF FOUNDATION</FIRST_NAME>",
            "<FIRST_NAME>EXAMPLE RELIEF AND AID FOUNDATION</FIRST_NAME>",
        ),
        encoding="utf-8",
    )
    return newer


# --- global options anywhere ---------------------------------------------------------------


def test_home_after_the_subcommand_is_the_same_as_before_it(listed: Path) -> None:
    before = cli("--home", str(listed), "lists", "--json")
    after = cli("lists", "--json", "--home", str(listed))
    deep = cli("lists", "show", "ZZi.002", "--home", str(listed), "--json")
    assert as_json(before) == as_json(after)
    assert as_json(after)[0]["list"] == "un-sc"
    assert as_json(deep)[0]["ref"] == "ZZi.002"
    screened = cli("screen", "Ivan Primerov", "--home", str(listed), "--json")
    assert as_json(screened)[0]["list_ref"] == "ZZi.002"


def test_quiet_drops_notes_but_not_results(listed: Path) -> None:
    loud = at(listed, "lists", "import", str(sample_list_path()))
    assert "nothing changed" in loud.stderr
    quiet = at(listed, "lists", "import", str(sample_list_path()), "-q")
    assert quiet.exit_code == 0 and quiet.output == ""
    shown = at(listed, "lists", "show", "ZZi.002", "--quiet")
    assert "IVAN PETROVICH PRIMEROV" in shown.stdout


# --- --json on every reporting command -----------------------------------------------------


def test_json_on_the_lists_commands(home: Path, tmp_path: Path) -> None:
    imported = as_json(at(home, "lists", "import", str(sample_list_path()), "--json"))
    assert imported["created"] is True and imported["entries"] == 5
    assert imported["edition"] == "2026-01-15" and imported["schemas"]["Person"] == 3
    assert (
        as_json(at(home, "lists", "import", str(sample_list_path()), "--json"))["created"] is False
    )
    at(home, "lists", "import", str(_newer_sample(tmp_path)))
    editions = as_json(at(home, "lists", "editions", "un-sc", "--json"))
    assert [(e["edition"], e["active"]) for e in editions] == [
        ("2026-02-20", True),
        ("2026-01-15", False),
    ]
    pinned = as_json(at(home, "lists", "pin", "un-sc", "2026-01-15", "--json"))
    assert pinned["edition"] == "2026-01-15" and pinned["pinned"] is True
    [active] = as_json(at(home, "lists", "--json"))
    assert active["edition"] == "2026-01-15" and active["pinned"] is True
    unpinned = as_json(at(home, "lists", "unpin", "un-sc", "--json"))
    assert unpinned["edition"] == "2026-02-20" and unpinned["pinned"] is False
    diff = as_json(at(home, "lists", "diff", "un-sc", "--json"))
    assert [c["ref"] for c in diff["changed"]] == ["ZZe.002"]
    [entry] = as_json(at(home, "lists", "show", "ZZe.002", "--json"))
    assert entry["ref"] == "ZZe.002"
    target = tmp_path / "un.ftm.json"
    exported = as_json(at(home, "lists", "export", "un-sc", "-o", str(target), "--json"))
    assert exported["records"] == len(target.read_text(encoding="utf-8").splitlines()) > 0
    failed = at(home, "lists", "update", "un-sc", "--url", "un-sc=http://127.0.0.1:9/x", "--json")
    assert failed.exit_code == 1
    [report] = json.loads(failed.stdout)
    assert report["list"] == "un-sc" and report["status"] == "failed"


def test_json_on_screen_decisions_keys_and_audit(listed: Path, tmp_path: Path) -> None:
    hits = as_json(at(listed, "screen", "Fulan ibn Allan", "--json"))
    assert hits[0]["list_ref"] == "ZZi.001" and hits[0]["decision"] is None
    cleared = as_json(
        at(
            listed,
            "decisions",
            "clear",
            "ZZi.001",
            "--name",
            "Fulan ibn Allan",
            "--analyst",
            "A. Analyst",
            "--reason",
            "another man",
            "--json",
        )
    )
    assert cleared["entity_id"] == "un-sc:ZZi.001" and cleared["status"] == "cleared"
    again = as_json(at(listed, "screen", "Fulan ibn Allan", "--json"))
    assert again[0]["match"] is False and again[0]["decision"]["status"] == "cleared"
    [listed_decision] = as_json(at(listed, "decisions", "list", "--json"))
    assert listed_decision["decision_id"] == cleared["decision_id"]
    [revoked] = as_json(
        at(listed, "decisions", "revoke", "ZZi.001", "--analyst", "B", "--reason", "x", "--json")
    )
    assert revoked["decision_id"] == cleared["decision_id"] and revoked["status"] == "revoked"

    created = as_json(at(listed, "keys", "create", "--role", "screen", "--name", "gw", "--json"))
    assert created["key"].startswith(f"cf_{created['key_id']}_") and created["active"]
    [key] = as_json(at(listed, "keys", "list", "--json"))
    assert key["key_id"] == created["key_id"] and "key" not in key and "secret_hash" not in key
    assert as_json(at(listed, "keys", "revoke", created["key_id"], "--json"))["active"] is False

    verified = as_json(at(listed, "audit", "verify", "--json"))
    assert verified["ok"] and verified["records"] == 2 and verified["head"].startswith("2:")
    out = tmp_path / "audit.jsonl"
    exported = as_json(at(listed, "audit", "export", "-o", str(out), "--json"))
    assert exported == {
        "output": str(out),
        "format": "jsonl",
        "records": 2,
        "intact": True,
        "problems": 0,
    }


def test_json_with_data_on_standard_output_is_refused(listed: Path) -> None:
    for args in (
        ("lists", "export", "un-sc"),
        ("lists", "export", "un-sc", "-o", "-"),
        ("audit", "export"),
        ("screen", "--input", str(sample_list_path()), "-o", "-"),
    ):
        refused = at(listed, *args, "--json")
        assert refused.exit_code == 2 and "give -o FILE" in refused.output, args


# --- screen: one grammar for a name, a file and pairs --------------------------------------


def test_screen_takes_the_name_with_its_options_on_either_side(listed: Path) -> None:
    before = at(
        listed, "screen", "--schema", "Person", "--birth-date", "1970", "Fulan ibn Allan", "--wide"
    )
    after = at(
        listed, "screen", "Fulan ibn Allan", "--wide", "--schema", "Person", "--birth-date", "1970"
    )
    assert before.exit_code == 0, before.output
    assert "ZZi.001" in before.stdout and "birthDate match" in before.stdout
    assert before.stdout == after.stdout
    limited = as_json(
        at(listed, "screen", "--limit", "1", "--threshold", "0.1", "Mithal", "--json")
    )
    assert len(limited) == 1
    two = at(listed, "screen", "Fulan", "Allan")
    assert two.exit_code == 2 and "one NAME at a time" in two.output
    nothing = at(listed, "screen", "--schema", "Person")
    assert nothing.exit_code == 2 and "give a NAME" in nothing.output
    assert "Usage:" in at(listed, "screen").output  # bare: the help


def test_a_name_spelled_pairs_is_screened_after_a_double_dash(listed: Path) -> None:
    screened = cli("screen", "--home", str(listed), "--", "pairs")  # after --, only the NAME
    assert screened.exit_code == 0 and "for 'pairs'" in screened.output
    late = at(listed, "screen", "--", "pairs")
    assert late.exit_code == 2 and "one NAME at a time" in late.output
    routed = at(listed, "screen", "pairs", "Fulan ibn Allan", "Fulan bin Alan", "--json")
    assert as_json(routed)["name1"] == "Fulan ibn Allan"


def test_screen_pairs_still_works(tmp_path: Path) -> None:
    home = tmp_path / "nowhere"
    pairs = tmp_path / "pairs.csv"
    pairs.write_text("name1,name2\nAiman al-Zawahiri,Ayman al Zawahiry\nJohn Smith,Ivan Petrov\n")
    scored = tmp_path / "scored.csv"
    result = at(home, "screen", "pairs", "--input", str(pairs), "-o", str(scored))
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(scored.open(encoding="utf-8")))
    assert [r["is_match"] for r in rows] == ["True", "False"]
    one = at(home, "screen", "pairs", "Aiman al-Zawahiri", "Ayman al Zawahiry")
    assert one.exit_code == 0 and "a match" in one.stdout
    written = tmp_path / "one.csv"
    at(home, "screen", "pairs", "Aiman al-Zawahiri", "Ayman al Zawahiry", "-o", str(written))
    again = at(home, "screen", "pairs", "--input", str(written), "-o", "-")
    assert again.stdout.startswith("name1,name2,schema,score,is_match")
    assert not home.exists()  # pairs need no workspace


def test_screen_a_semicolon_file_sniffed_or_named(listed: Path, tmp_path: Path) -> None:
    parties = tmp_path / "parties.csv"
    parties.write_text("id;name;birth_date\nc1;Ivan Primerov;1981\nc2;John Smith;1970\n")
    for extra, written in (((), ","), (("--delimiter", ";"), ";")):
        out = tmp_path / "hits.csv"
        result = at(listed, "screen", "--input", str(parties), "-o", str(out), *extra)
        assert result.exit_code == 0, result.output
        assert "semicolon-separated" in result.stderr
        rows = list(csv.DictReader(out.open(encoding="utf-8"), delimiter=written))
        assert [(r["query_id"], r["list_ref"]) for r in rows] == [("c1", "ZZi.002")]
    summary = as_json(
        at(listed, "screen", "--input", str(parties), "-o", str(tmp_path / "h.csv"), "--json")
    )
    assert summary["read_as"] == "semicolon-separated utf-8"
    assert (summary["rows"], summary["screened"], summary["results"]) == (2, 2, 1)
    wrong = at(listed, "screen", "--input", str(parties), "--delimiter", "tab")
    assert wrong.exit_code == 1 and "no name column" in wrong.output
    assert "read as tab-separated" in wrong.output
    bad = at(listed, "screen", "--input", str(parties), "--delimiter", ":")
    assert bad.exit_code == 2 and "is not one of , ; tab |" in bad.output
    tabbed = tmp_path / "tabbed.tsv"
    tabbed.write_text("name\tbirth_date\nIvan Primerov\t1981\n")
    to_stdout = at(listed, "screen", "--input", str(tabbed), "--delimiter", "tab")
    assert to_stdout.exit_code == 0 and "ZZi.002" in to_stdout.stdout
    # CSV on stdout (with the delimiter it was given), notes on stderr
    assert to_stdout.stdout.startswith("query_id\trank\tscore")


def test_screen_refuses_options_that_do_not_go_together(listed: Path, tmp_path: Path) -> None:
    parties = tmp_path / "parties.csv"
    parties.write_text("name\nIvan Primerov\n")
    both = at(listed, "screen", "Ivan", "--input", str(parties))
    assert both.exit_code == 2 and "not both" in both.output
    described = at(listed, "screen", "--input", str(parties), "--schema", "Person")
    assert described.exit_code == 2 and "--schema describe one NAME" in described.output
    output = at(listed, "screen", "Ivan", "-o", str(tmp_path / "x.csv"))
    assert output.exit_code == 2 and "goes with --input" in output.output


# --- outputs -------------------------------------------------------------------------------


def test_lists_export_to_standard_output(
    listed: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    for args in (("-o", "-"), ()):
        result = at(listed, "lists", "export", "un-sc", *args)
        assert result.exit_code == 0, result.output
        records = [json.loads(line) for line in result.stdout.splitlines()]
        assert len(records) == 10 and all("schema" in r for r in records)
        assert result.stderr == ""
    assert not (tmp_path / "-").exists()


def test_the_old_out_spelling_works_but_is_not_shown(listed: Path, tmp_path: Path) -> None:
    ftm = tmp_path / "un.ftm.json"
    assert at(listed, "lists", "export", "un-sc", "--out", str(ftm)).exit_code == 0
    assert len(ftm.read_text(encoding="utf-8").splitlines()) == 10
    trail = tmp_path / "audit.jsonl"
    assert at(listed, "audit", "export", "--out", str(trail)).exit_code == 0
    assert trail.exists()
    for command in (("lists", "export"), ("audit", "export"), ("screen",), ("screen", "pairs")):
        shown = cli(*command, "--help").output
        assert "-o, --output FILE" in shown and "--out " not in shown, command


def test_audit_export_is_private(listed: Path, tmp_path: Path) -> None:
    at(listed, "decisions", "clear", "ZZi.001", "--name", "F", "--analyst", "A", "--reason", "r")
    out = tmp_path / "trail.csv"
    result = at(listed, "audit", "export", "-o", str(out))
    assert result.exit_code == 0 and "Wrote 1 records" in result.stderr
    assert out.stat().st_mode & 0o077 == 0
    assert [r["action"] for r in csv.DictReader(out.open(encoding="utf-8"))] == ["decision"]


# --- reading commands never create a workspace ---------------------------------------------


@pytest.mark.parametrize(
    "args",
    [
        ("lists",),
        ("lists", "--json"),
        ("lists", "editions"),
        ("decisions", "list"),
        ("keys", "list"),
        ("audit", "verify", "--new"),
        ("audit", "export"),
    ],
)
def test_listing_a_missing_workspace_creates_nothing(tmp_path: Path, args: tuple[str, ...]) -> None:
    home = tmp_path / "nowhere"
    result = at(home, *args)
    assert result.exit_code == 0, result.output
    assert not home.exists()
    if "--json" not in args and args[0] != "audit":
        assert str(home) in result.stderr  # the note says where it looked


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (("lists", "show", "ZZi.001"), "no entry 'ZZi.001' in the workspace"),
        (("lists", "diff", "un-sc"), "no list 'un-sc' in the workspace"),
        (("lists", "export", "un-sc"), "no list 'un-sc' in the workspace"),
        (("lists", "pin", "un-sc", "2026"), "no list 'un-sc' in the workspace"),
        (("lists", "unpin", "un-sc"), "no list 'un-sc' in the workspace"),
        (("screen", "Ivan"), "no list entries to screen against in the workspace"),
        (
            ("decisions", "clear", "ZZi.001", "--name", "F", "--analyst", "a", "--reason", "r"),
            "no list entry 'ZZi.001' in the workspace",
        ),
        (("decisions", "revoke", "d-1", "--analyst", "a", "--reason", "r"), "no decision"),
        (("keys", "revoke", "abc"), "no key 'abc'"),
        (("audit", "verify"), "the audit trail is missing"),
    ],
)
def test_a_missing_workspace_is_named_and_not_created(
    tmp_path: Path, args: tuple[str, ...], says: str
) -> None:
    home = tmp_path / "nowhere"
    result = at(home, *args)
    assert result.exit_code == 1, result.output
    assert says in result.output and str(home) in result.output
    assert "Traceback" not in result.output
    assert not home.exists()


def test_a_missing_entry_names_the_workspace(listed: Path) -> None:
    missing = at(listed, "lists", "show", "QDe.999")
    assert missing.exit_code == 1
    assert "no entry 'QDe.999' in the active editions" in missing.output
    assert str(listed) in missing.output
    nolist = at(listed, "lists", "diff", "eu")
    assert nolist.exit_code == 1 and "'eu'" in nolist.output and str(listed) in nolist.output
    other = at(listed, "screen", "Ivan", "--list", "eu")
    assert other.exit_code == 1 and "eu" in other.output and str(listed) in other.output


# --- audit verify --new --------------------------------------------------------------------


def test_audit_verify_fails_on_a_missing_or_empty_trail_unless_new(home: Path) -> None:
    missing = at(home, "audit", "verify")
    assert missing.exit_code == 1 and "NOT intact" in missing.output
    assert "add --new" in missing.output
    assert at(home, "audit", "verify", "--new").exit_code == 0
    trail = home / "audit" / "audit.jsonl"
    trail.parent.mkdir()
    trail.write_text("")
    empty = at(home, "audit", "verify", "--json")
    assert empty.exit_code == 1 and json.loads(empty.stdout)["ok"] is False
    assert as_json(at(home, "audit", "verify", "--new", "--json"))["ok"] is True
    trail.write_text("not json\n")
    damaged = at(home, "audit", "verify", "--new")
    assert damaged.exit_code == 1 and "line 1" in damaged.output  # --new still checks records


# --- keys and decisions: revoke by what people remember ------------------------------------


def test_keys_revoke_by_id_key_or_unambiguous_name(home: Path) -> None:
    def create(name: str) -> str:
        return at(home, "keys", "create", "--role", "screen", "--name", name).stdout.strip()

    gateway = create("payments gateway")
    assert at(home, "keys", "revoke", "payments gateway").exit_code == 0
    twice = [create("batch"), create("batch")]
    ambiguous = at(home, "keys", "revoke", "batch")
    assert ambiguous.exit_code == 2 and "2 live keys are named 'batch'" in ambiguous.output
    assert at(home, "keys", "revoke", twice[0]).exit_code == 0  # the whole key
    assert at(home, "keys", "revoke", "batch").exit_code == 0  # one live left: unambiguous
    again = at(home, "keys", "revoke", gateway.split("_")[1])  # by id, already revoked
    assert again.exit_code == 0
    assert not any(k["active"] for k in as_json(at(home, "keys", "list", "--json")))
    assert at(home, "keys", "revoke", "cf_000000000000_" + "x" * 43).exit_code == 1


def test_decisions_revoke_by_entry_withdraws_every_decision_on_it(listed: Path) -> None:
    for name in ("Fulan ibn Allan", "Fulan Allan"):
        at(
            listed,
            "decisions",
            "clear",
            "ZZi.001",
            "--name",
            name,
            "--analyst",
            "A",
            "--reason",
            "r",
        )
    revoked = as_json(
        at(
            listed,
            "decisions",
            "revoke",
            "un-sc:ZZi.001",
            "--analyst",
            "B",
            "--reason",
            "x",
            "--json",
        )
    )
    assert len(revoked) == 2 and {d["status"] for d in revoked} == {"revoked"}
    assert as_json(at(listed, "decisions", "list", "--json")) == []
    verified = as_json(at(listed, "audit", "verify", "--json"))
    assert verified["records"] == 4  # two decisions, two revocations


# --- tables fit 80 columns without cutting their keys --------------------------------------


def test_tables_fit_80_columns_and_never_cut_a_key(home: Path) -> None:
    long_list = "national-north"
    at(home, "lists", "import", str(sample_list_path()), "--list-id", long_list)
    for name in ("a key for the payments gateway of the northern region", "b"):
        at(home, "keys", "create", "--role", "admin", "--name", name)
    at(
        home,
        "decisions",
        "clear",
        f"{long_list}:ZZi.002",
        "--name",
        "Ivan Primerov",
        "--analyst",
        "A. Analyst",
        "--reason",
        "born elsewhere, a different father's name, and seen in person by the branch " * 2,
    )
    key_ids = [k["key_id"] for k in as_json(at(home, "keys", "list", "--json"))]
    [decision] = as_json(at(home, "decisions", "list", "--json"))
    outputs = {
        "lists": (at(home, "lists").stdout, [long_list, "2026-01-15"]),
        "editions": (at(home, "lists", "editions").stdout, [long_list]),
        "keys": (at(home, "keys", "list").stdout, key_ids),
        "decisions": (
            at(home, "decisions", "list").stdout,
            [decision["decision_id"], f"{long_list}:ZZi.002"],
        ),
        "screen": (at(home, "screen", "Ivan Primerov").stdout, [long_list, "ZZi.002"]),
    }
    for what, (text, keys) in outputs.items():
        assert text, what
        assert max(len(line) for line in text.splitlines()) <= 80, (what, text)
        for key in keys:
            assert key in text, (what, key, text)
    wide = at(home, "decisions", "list", "--wide").stdout
    assert max(len(line) for line in wide.splitlines()) > 80
    assert "seen in person by the branch born elsewhere" in wide  # one line, unwrapped


def test_keys_too_wide_for_80_columns_widen_the_table_whole(home: Path) -> None:
    """Keys that leave no room: the table is wider than 80 columns, but no column is cut or
    squeezed away (the terminal wraps the lines)."""
    long_list = "a-national-list-with-a-very-long-identifier-indeed"
    at(home, "lists", "import", str(sample_list_path()), "--list-id", long_list)
    text = at(home, "lists").stdout
    assert long_list in text and "2026-01-15" in text
    assert "Organization" in text and "3 Person" in text and "imported" in text


# --- serve hands its settings to the workers -----------------------------------------------


def test_serve_hands_its_settings_over_through_the_environment(
    listed: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from counterflow.api import server

    for name in Settings().to_env():
        monkeypatch.delenv(name, raising=False)  # restored after the test
    monkeypatch.setenv(RELOAD_ENV, "7")
    ran: list[tuple[str, int, int]] = []
    monkeypatch.setattr(
        server, "run", lambda host, port, workers: ran.append((host, port, workers))
    )
    result = at(listed, "serve", "--open", "--max-body-bytes", "2048", "--workers", "2")
    assert result.exit_code == 0, result.output
    assert ran == [("127.0.0.1", 8000, 2)]
    handed = Settings.from_env()
    assert handed.home == listed and handed.open_mode and handed.audit
    assert handed.max_body_bytes == 2048 and handed.reload_seconds == 7.0
    assert os.environ[OPEN_MODE_ENV] == "1" and os.environ[MAX_BODY_ENV] == "2048"
    assert "OPEN MODE" in result.stderr
    small = at(listed, "serve", "--open", "--max-body-bytes", "10")
    assert small.exit_code == 2 and "--max-body-bytes" in small.output
