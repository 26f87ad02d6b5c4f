"""CSV inputs as banks write them: delimiters and encodings found out, strict quoting, field
limits, and the caller's options over a mapping's."""

from __future__ import annotations

import re
from pathlib import Path

import duckdb
import pytest

from counterflow.errors import ConfigError, DataError, StoreError
from counterflow.io import CsvOptions
from counterflow.transactions import registry, store
from counterflow.transactions.formats.amlsim import AmlsimReader
from counterflow.transactions.formats.amlworld import AmlworldReader
from counterflow.transactions.formats.base import Batch
from counterflow.transactions.formats.tabular import ColumnMapping, TableReader
from counterflow.transactions.rates import Rates
from counterflow.workspace import Workspace

ROOT = Path(__file__).resolve().parents[2]
HEADER = ["tx_id", "timestamp", "amount", "currency", "channel", "remittance_text"]
BANK_MAPPING = """
[transactions]
tx_id = "Referenz"
timestamp = "Buchungsdatum"
amount = "Betrag"
currency = "Währung"
payer_name = "Auftraggeber"
channel = "Art"
remittance_text = "Verwendungszweck"
[channels]
"SEPA-Überweisung" = "wire"
"Bargeld" = "cash"
"Western Union" = "remittance"
"""


def _csv(path: Path, rows: list[list[str]], delimiter: str = ",", encoding: str = "utf-8") -> Path:
    """Rows as a CSV file, values holding the delimiter quoted."""
    lines = (delimiter.join(f'"{v}"' if delimiter in v else v for v in row) for row in rows)
    path.write_bytes(("\n".join(lines) + "\n").encode(encoding))
    return path


def _tx(number: int, text: str = "ok") -> list[str]:
    return [f"T{number}", "2026-05-02", "12.50", "EUR", "wire", text]


def _transactions(batches: list[Batch]) -> list[dict[str, object]]:
    return [t for b in batches for t in b.transactions]


def _ids(ws: Workspace) -> list[str]:
    with ws.connect(read_only=True) as conn:
        return [r[0] for r in conn.execute("SELECT tx_id FROM transactions ORDER BY 1").fetchall()]


@pytest.mark.parametrize("delimiter", [",", ";", "\t", "|"])
def test_canonical_columns_with_any_delimiter(tmp_path: Path, delimiter: str) -> None:
    path = _csv(tmp_path / "x.csv", [HEADER, _tx(1, "Rechnung, 17"), _tx(2)], delimiter)
    reader = registry.reader_for(path)
    assert isinstance(reader, TableReader)
    found = _transactions(list(reader.read(path)))
    assert [t["tx_id"] for t in found] == ["T1", "T2"]
    assert found[0]["remittance_text"] == "Rechnung, 17"


def test_a_semicolon_cp1252_export_without_file_options(fixtures: Path, tmp_path: Path) -> None:
    """The bank's [file] section is not needed: the delimiter and encoding are found out."""
    mapping = tmp_path / "bank.toml"
    mapping.write_text(BANK_MAPPING, encoding="utf-8")
    path = fixtures / "transactions" / "bank" / "export.csv"
    found = _transactions(list(TableReader(ColumnMapping.load(mapping)).read(path)))
    assert [t["tx_id"] for t in found] == ["DE-2026-000101", "DE-2026-000102", "DE-2026-000105"]
    assert found[0]["payer_name"] == "Müller Handels GmbH" and found[0]["amount"] == 1250.0


def test_the_callers_options_win_over_the_mapping(tmp_path: Path) -> None:
    mapping = tmp_path / "m.toml"
    mapping.write_text(
        '[file]\ndelimiter = ";"\n[transactions]\ntx_id = "ref"\ntimestamp = "day"\n'
        'amount = "amt"\ncurrency = "ccy"\nchannel = "type"\n',
        encoding="utf-8",
    )
    path = _csv(
        tmp_path / "x.csv", [["ref", "day", "amt", "ccy", "type"], ["A;1", *_tx(1)[1:5]]], "|"
    )
    reader = registry.reader_for(path, mapping=mapping, csv_options=CsvOptions(delimiter="|"))
    assert [t["tx_id"] for t in _transactions(list(reader.read(path)))] == ["A;1"]
    with pytest.raises(DataError, match="the column 'ref' \\(for tx_id\\) is not in the file"):
        list(registry.reader_for(path, mapping=mapping).read(path))  # the mapping's ";"


def test_csv_options_reach_every_csv_reader(tmp_path: Path) -> None:
    options = CsvOptions(delimiter="|")
    for fmt in ("table", "amlworld", "amlsim"):
        reader = registry.reader_for(tmp_path / "x.csv", fmt, csv_options=options)
        assert reader.csv_options is options


def test_bad_file_options_in_a_mapping(tmp_path: Path) -> None:
    mapping = tmp_path / "m.toml"
    mapping.write_text('[file]\ndelimiter = ";;"\nencoding = "klingon"\n', encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        ColumnMapping.load(mapping)
    assert "[file] delimiter = ';;': must be one character" in str(caught.value)
    assert "[file] encoding = 'klingon': not a text encoding" in str(caught.value)
    mapping.write_bytes(b"[transactions\n")
    with pytest.raises(ConfigError, match=rf"^{re.escape(str(mapping))}: not a TOML column"):
        ColumnMapping.load(mapping)


def test_a_field_over_the_limit_fails_the_import_naming_it(home: Path, tmp_path: Path) -> None:
    """Python's csv module stops at 128 KiB with a traceback; here the limit is 1 MiB, and a
    field over it is an error naming the file, the line and the limit."""
    ws = Workspace(home)
    long_text = _csv(tmp_path / "long.csv", [HEADER, _tx(1), _tx(2, "x" * 200_000)])
    store.ingest(ws, long_text, registry.reader_for(long_text), dataset="long")
    with ws.connect(read_only=True) as conn:
        (kept,) = conn.execute("SELECT max(length(remittance_text)) FROM transactions").fetchone()
    assert kept == 2_000  # free text is cut, as documented
    huge = _csv(tmp_path / "huge.csv", [HEADER, _tx(1), _tx(2), _tx(3, "y" * 1_100_000)])
    with pytest.raises(DataError) as caught:
        store.ingest(ws, huge, registry.reader_for(huge), dataset="huge", max_errors=10)
    assert str(caught.value) == f"{huge}, line 4: a field is over the 1,048,576-character limit"
    assert _ids(ws) == ["T1", "T2"]  # the first dataset only
    assert not [p for p in tmp_path.iterdir() if "rejects" in p.name]


def test_an_unbalanced_quote_in_a_mapped_export_names_its_line(
    home: Path, fixtures: Path, tmp_path: Path
) -> None:
    """Not rows silently swallowed into one field: the import fails, naming the line, even
    with --max-errors."""
    source = fixtures / "transactions" / "bank"
    lines = (source / "export.csv").read_bytes().split(b"\n")
    lines[2] = lines[2].replace(b";Bargeld;", b';"Bargeld;')  # a quote never closed
    path = tmp_path / "export.csv"
    path.write_bytes(b"\n".join(lines))
    reader = TableReader(ColumnMapping.load(source / "bank-x.toml"))
    ws = Workspace(home)
    with pytest.raises(DataError) as caught:
        store.ingest(ws, path, reader, dataset="bank", max_errors=100)
    assert caught.value.location == "line 3"
    assert "a quote opened on line 3 is never closed" in caught.value.problem
    # closed again two lines later: the field would hold whole rows
    lines[4] = lines[4].replace(b"Western Union;;", b'Western Union";;')
    path.write_bytes(b"\n".join(lines))
    with pytest.raises(DataError) as caught:
        store.ingest(ws, path, reader, dataset="bank", max_errors=100)
    assert caught.value.location == "line 3" and "unbalanced quote" in caught.value.problem
    assert _ids(ws) == []


def test_rates_from_a_semicolon_file(tmp_path: Path) -> None:
    path = tmp_path / "rates.csv"
    path.write_text("currency;rate\nEUR;1.1\nGBP;1.3\n", encoding="utf-8")
    rates = Rates.from_csv(path, "usd")
    assert rates.to_base(10, "GBP") == pytest.approx(13.0) and rates.base == "USD"
    path.write_text("currency,rate\nEUR,1.1\nGBP,lots\n", encoding="utf-8")
    with pytest.raises(DataError, match=r"rates\.csv, line 3: rate 'lots' is not a number"):
        Rates.from_csv(path, "USD")
    path.write_text("code,value\nEUR,1.1\n", encoding="utf-8")
    with pytest.raises(DataError, match="needs the columns currency,rate; found code, value"):
        Rates.from_csv(path, "USD")


def test_amlsim_rows_of_the_wrong_width_are_rejects(tmp_path: Path) -> None:
    _csv(
        tmp_path / "nodes.csv",
        [
            ["nodeid", "isFraud", "init_balance", "fraudStep"],
            ["1", "0", "5", "0"],
            ["2", "1", "5", "3"],
        ],
    )
    _csv(
        tmp_path / "transactions.csv",
        [
            ["sourceNodeId", "targetNodeId", "value", "time"],
            ["1", "2", "10.5", "1"],
            ["2", "1", "3"],
        ],
    )
    batches = list(AmlsimReader().read(tmp_path))
    assert [t["tx_id"] for t in _transactions(batches)] == ["1"]
    rejects = [r for b in batches for r in b.rejects]
    assert [(r.location, r.problem) for r in rejects] == [
        ("transactions.csv line 3", "has 3 fields, the header has 4")
    ]


def test_amlworld_with_semicolons(fixtures: Path, tmp_path: Path) -> None:
    source = fixtures / "transactions" / "amlworld"
    text = (source / "Tiny_Trans.csv").read_text(encoding="utf-8").replace(",", ";")
    path = tmp_path / "Tiny_Trans.csv"
    path.write_text(text, encoding="utf-8")
    patterns = (source / "Tiny_Patterns.txt").read_text(encoding="utf-8").replace(",", ";")
    (tmp_path / "Tiny_Patterns.txt").write_text(patterns, encoding="utf-8")
    reader = registry.reader_for(path)
    assert isinstance(reader, AmlworldReader)
    found = _transactions(list(reader.read(path)))
    assert len(found) == 10 and sum(1 for t in found if t["typology"]) == 4


def test_the_registry_order_is_the_documented_one() -> None:
    order = tuple(r.format for r in registry.READERS)
    assert order == ("amlsim", "amlworld", "pacs.008", "mt103", "table")
    docs = (ROOT / "docs" / "transactions.md").read_text(encoding="utf-8")
    stated = re.search(r"Detection tries the readers in this order: (.+?)\.\n", docs)
    assert stated, "docs/transactions.md states the detection order"
    assert tuple(re.findall(r"`([a-z0-9.-]+)`", stated.group(1))) == order


def test_an_empty_file_is_named_before_sniffing(tmp_path: Path) -> None:
    path = tmp_path / "empty.txt"
    path.touch()
    with pytest.raises(DataError, match=r"empty\.txt: the file is empty"):
        registry.reader_for(path)


def test_a_database_error_while_loading_parquet_is_a_store_error(
    home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    bad = tmp_path / "transactions.parquet"
    duckdb.connect().execute(f"COPY (SELECT 1 AS tx_id) TO '{bad}' (FORMAT parquet)")
    monkeypatch.setattr(store, "check_parquet", lambda path, table: frozenset())
    ws = Workspace(home)
    with pytest.raises(StoreError) as caught:
        store.load_parquet(ws, "p", {"transactions": [bad]}, fmt="counterflow-parquet", source="t")
    assert str(caught.value).startswith("loading 'p' failed, nothing was written: ")
    assert isinstance(caught.value.__cause__, duckdb.Error)
    with ws.connect(read_only=True) as conn:
        assert store.list_datasets(conn) == []


def test_export_into_an_existing_empty_folder(home: Path, tmp_path: Path) -> None:
    ws = Workspace(home)
    path = _csv(tmp_path / "x.csv", [HEADER, _tx(1)])
    store.ingest(ws, path, registry.reader_for(path), dataset="x")
    out = tmp_path / "out"
    out.mkdir()
    written = store.export_dataset(ws, "x", out)
    assert sorted(p.name for p in out.iterdir()) == sorted(p.name for p in written.values())
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]
