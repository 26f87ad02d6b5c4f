"""CSV files as users write them: delimiter and encoding found out, quoting checked strictly,
every fault an error naming the file and the line."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from counterflow.errors import ConfigError, DataError
from counterflow.io import CsvFile, CsvOptions


def _write(path: Path, text: str, encoding: str = "utf-8") -> Path:
    path.write_bytes(text.encode(encoding))
    return path


def _rows(csv_file: CsvFile) -> list[tuple[int, dict[str, str]]]:
    return list(csv_file.rows())


@pytest.mark.parametrize(
    ("delimiter", "described"),
    [(",", "comma"), (";", "semicolon"), ("\t", "tab"), ("|", "bar")],
)
def test_the_delimiter_is_sniffed(tmp_path: Path, delimiter: str, described: str) -> None:
    # the other candidates appear inside the values, so only consistency tells them apart
    rows = [["name", "amount", "note"], ["Müller, Anna", "1.250,00", "a;b|c"], ["B", "2", "x"]]
    text = "\n".join(delimiter.join(f'"{c}"' if delimiter in c else c for c in r) for r in rows)
    csv_file = CsvFile(_write(tmp_path / "f.csv", text + "\n"))
    assert csv_file.delimiter == delimiter
    assert csv_file.describe() == f"{described}-separated utf-8"
    assert csv_file.header == ["name", "amount", "note"]
    assert _rows(csv_file)[0] == (
        2,
        {"name": "Müller, Anna", "amount": "1.250,00", "note": "a;b|c"},
    )


def test_a_semicolon_file_with_decimal_commas(tmp_path: Path) -> None:
    """Excel in much of Europe: ``;`` between fields, ``,`` in the numbers."""
    path = _write(tmp_path / "f.csv", "Betrag;Währung\n1.250,00;EUR\n80,00;EUR\n", "cp1252")
    csv_file = CsvFile(path)
    assert (csv_file.delimiter, csv_file.encoding) == (";", "cp1252")
    assert [values for _, values in _rows(csv_file)] == [
        {"Betrag": "1.250,00", "Währung": "EUR"},
        {"Betrag": "80,00", "Währung": "EUR"},
    ]


def test_a_one_column_file_and_a_given_delimiter(tmp_path: Path) -> None:
    path = _write(tmp_path / "f.csv", "name\nAnna\nBen\n")
    assert CsvFile(path).delimiter == ","
    path = _write(tmp_path / "g.csv", "a;b|c\n1;2|3\n")
    assert CsvFile(path, CsvOptions(delimiter="|")).header == ["a;b", "c"]
    with pytest.raises(ConfigError, match="a CSV delimiter is one character"):
        CsvOptions(delimiter=";;")


def test_cp1252_is_decoded(tmp_path: Path) -> None:
    path = _write(tmp_path / "f.csv", "name,city\nSociété Générale,Paris\n", "cp1252")
    csv_file = CsvFile(path)
    assert csv_file.encoding == "cp1252"
    assert _rows(csv_file) == [(2, {"name": "Société Générale", "city": "Paris"})]


def test_utf16_with_a_byte_order_mark_is_decoded(tmp_path: Path) -> None:
    """Excel's "Unicode text": UTF-16 with a mark, tab-separated."""
    path = _write(tmp_path / "f.txt", "name\tcountry\r\nДжебхат ан-Нусра\tSY\r\n", "utf-16")
    csv_file = CsvFile(path)
    assert (csv_file.delimiter, csv_file.encoding) == ("\t", "utf-16")
    assert _rows(csv_file) == [(2, {"name": "Джебхат ан-Нусра", "country": "SY"})]


def test_a_utf8_byte_order_mark_is_not_part_of_the_header(tmp_path: Path) -> None:
    path = _write(tmp_path / "f.csv", "\ufeffname,city\nA,B\n")
    assert CsvFile(path).header == ["name", "city"]


def test_a_nul_byte_is_refused(tmp_path: Path) -> None:
    """UTF-16 without its mark, or a binary file: NUL bytes, refused naming the line."""
    path = _write(tmp_path / "f.csv", "name\r\nAnna\r\n", "utf-16-le")
    with pytest.raises(DataError, match=r"f\.csv, line 1: NUL byte in the file"):
        CsvFile(path)
    path.write_bytes(b"name\nAnna\nB\x00n\n")
    with pytest.raises(DataError, match=r"f\.csv, line 3: NUL byte"):
        CsvFile(path)


def test_a_bad_byte_in_a_named_encoding_names_its_line(tmp_path: Path) -> None:
    path = tmp_path / "f.csv"
    path.write_bytes(b"name\nAnna\nJos\xe9\n")
    with pytest.raises(DataError) as caught:
        list(CsvFile(path, CsvOptions(encoding="utf-8")).records())
    assert caught.value.location == "line 3"
    assert caught.value.problem.startswith("not valid utf-8 text (byte 0xe9 at offset 13)")


def test_an_unterminated_quote_names_the_line_it_opened_on(tmp_path: Path) -> None:
    path = _write(tmp_path / "f.csv", 'id,name,note\n1,A,ok\n2,B,"never closed\n3,C,x\n4,D,y\n')
    records = CsvFile(path).records()
    assert next(records).line == 2  # the rows before it are read
    with pytest.raises(DataError) as caught:
        next(records)
    assert str(caught.value).startswith(f"{path}, line 3: a quote opened on line 3 is never closed")


def test_a_stray_quote_closed_later_is_refused(tmp_path: Path) -> None:
    """A lenient reader would make rows 3 to 5 one field, and lose two rows without a word."""
    path = _write(tmp_path / "f.csv", 'id,name,note\n1,A,ok\n2,B,"oops\n3,C,x\n4,D,"fine"\n5,E,z\n')
    with pytest.raises(DataError) as caught:
        list(CsvFile(path).records())
    assert caught.value.location == "line 3"
    assert "unbalanced quote on line 3" in caught.value.problem


def test_swallowed_rows_are_detected(tmp_path: Path) -> None:
    """The quote happens to close cleanly at a field's end: the field holds whole rows."""
    path = _write(tmp_path / "f.csv", 'id,name,note\n1,A,"oops\n2,B,x\n3,C,y"\n4,D,z\n')
    with pytest.raises(DataError) as caught:
        list(CsvFile(path).records())
    assert caught.value.location == "line 2"
    assert "runs from line 2 to line 4 and holds what look like whole rows" in (
        caught.value.problem
    )


def test_a_quoted_line_break_is_kept(tmp_path: Path) -> None:
    path = _write(tmp_path / "f.csv", 'id,address,country\n1,"Main St 4\nApt 2",DE\n2,x,FR\n')
    assert _rows(CsvFile(path)) == [
        (2, {"id": "1", "address": "Main St 4\nApt 2", "country": "DE"}),
        (4, {"id": "2", "address": "x", "country": "FR"}),
    ]


def test_a_field_over_the_limit_names_the_line_and_the_limit(tmp_path: Path) -> None:
    path = _write(tmp_path / "f.csv", "id,note\n1,short\n2," + "x" * 50 + "\n")
    with pytest.raises(DataError) as caught:
        list(CsvFile(path, CsvOptions(max_field=20)).records())
    assert str(caught.value) == f"{path}, line 3: a field is over the 20-character limit"
    # the default limit is 1 MiB, far above the csv module's own 128 KiB
    path = _write(tmp_path / "g.csv", "id,note\n1," + "y" * 200_000 + "\n")
    ((_, values),) = _rows(CsvFile(path))
    assert len(values["note"]) == 200_000


def test_each_file_keeps_its_own_field_limit(tmp_path: Path) -> None:
    """The csv module's limit is one per process: two files read in turn each keep theirs,
    and the process's is restored after."""
    before = csv.field_size_limit()
    small = _write(tmp_path / "small.csv", "a\n" + "\n".join(["x" * 15] * 3) + "\n")
    large = _write(tmp_path / "large.csv", "a\n" + "\n".join(["y" * 15] * 3) + "\n")
    strict = CsvFile(small, CsvOptions(max_field=10)).records()
    lenient = CsvFile(large, CsvOptions(max_field=100)).records()
    assert next(lenient).fields == ["y" * 15]
    with pytest.raises(DataError, match="over the 10-character limit"):
        next(strict)
    assert [r.line for r in lenient] == [3, 4]
    assert csv.field_size_limit() == before


def test_a_record_of_the_wrong_width(tmp_path: Path) -> None:
    path = _write(tmp_path / "f.csv", "a;b;c\n1;2;3\n4;5\n")
    with pytest.raises(DataError) as caught:
        _rows(CsvFile(path))
    assert caught.value.location == "line 3"
    assert caught.value.problem.startswith("2 fields where the header has 3 (read as semicolon")


def test_blank_lines_are_skipped_and_files_without_rows(tmp_path: Path) -> None:
    path = _write(tmp_path / "f.csv", "a,b\n\n1,2\n  ,  \n3,4\n")
    assert [line for line, _ in _rows(CsvFile(path))] == [3, 5]
    assert _rows(CsvFile(_write(tmp_path / "h.csv", "a,b\n"))) == []
    with pytest.raises(DataError, match="the file is empty"):
        CsvFile(_write(tmp_path / "e.csv", ""))
    with pytest.raises(DataError, match="no header row"):
        CsvFile(_write(tmp_path / "blank.csv", "\n\n"))


def test_without_a_header_and_with_a_dos_end_of_file(tmp_path: Path) -> None:
    path = _write(tmp_path / "f.csv", '1,"A"\r\n2,"B"\r\n\x1a')
    options = CsvOptions(delimiter=",", header=False, strip_eof=True)
    assert [(r.line, r.fields) for r in CsvFile(path, options).records()] == [
        (1, ["1", "A"]),
        (2, ["2", "B"]),
    ]


def test_a_file_over_the_size_limit(tmp_path: Path) -> None:
    path = _write(tmp_path / "f.csv", "a\n" + "1\n" * 100)
    with pytest.raises(DataError, match=r"the file is 202 bytes, over the 100 limit"):
        CsvFile(path, CsvOptions(max_bytes=100))
