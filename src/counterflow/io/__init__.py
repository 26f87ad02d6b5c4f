"""The one place that opens user files: checks with limits the caller chooses, the CSV and
Parquet readers, JSON lines, TOML, XML, files that only grow (the audit trail, decisions),
atomic and private writes, and database transactions.

Every reader turns a problem into a :class:`counterflow.errors.DataError` (or ``ConfigError``
for settings files) that names the file, the line or record, and what is wrong; every writer
either puts a whole file in place or leaves nothing behind. ``-`` as an output path means
standard output.
"""

from counterflow.io.atomic import (
    STDOUT,
    PrivateAppendFile,
    Staged,
    atomic_folder,
    atomic_output,
    atomic_path,
    ensure_private_dir,
    is_stdout,
    make_private,
    open_private_append,
    staged_file,
    write_private_text,
)
from counterflow.io.csvfile import CsvFile, CsvOptions, read_csv
from counterflow.io.db import transaction
from counterflow.io.files import (
    check_file,
    decode,
    decode_text,
    files_hash,
    open_checked,
    read_bytes,
    read_head,
    read_lines,
    read_text,
    sniff_encoding,
)
from counterflow.io.journal import iter_byte_lines, read_from, read_last_line
from counterflow.io.structured import iter_json_lines, iter_xml_events, parse_xml, read_toml
from counterflow.io.table import (
    Table,
    TableRow,
    TableWriter,
    is_parquet,
    open_table,
    read_parquet,
    read_parquet_schema,
    write_parquet,
)

__all__ = [
    "STDOUT",
    "CsvFile",
    "CsvOptions",
    "PrivateAppendFile",
    "Staged",
    "Table",
    "TableRow",
    "TableWriter",
    "atomic_folder",
    "atomic_output",
    "atomic_path",
    "check_file",
    "decode",
    "decode_text",
    "ensure_private_dir",
    "files_hash",
    "is_parquet",
    "is_stdout",
    "iter_byte_lines",
    "iter_json_lines",
    "iter_xml_events",
    "make_private",
    "open_checked",
    "open_private_append",
    "open_table",
    "parse_xml",
    "read_bytes",
    "read_csv",
    "read_from",
    "read_head",
    "read_last_line",
    "read_lines",
    "read_parquet",
    "read_parquet_schema",
    "read_text",
    "read_toml",
    "sniff_encoding",
    "staged_file",
    "transaction",
    "write_parquet",
    "write_private_text",
]
