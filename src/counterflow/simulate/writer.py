"""Writing a world: the canonical Parquet tables, in chunks, into a folder that appears whole.

Everything is written into a hidden temporary folder beside ``out`` that takes its place at the
end (:func:`counterflow.io.atomic_folder`), so a run that fails (or is interrupted) leaves
nothing half-written; a previous world in ``out`` is replaced only once the new one is
complete. Parquet options are fixed, so the same world gives the same bytes.
"""

from __future__ import annotations

import json
from collections.abc import Collection, Iterator, Sequence
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa

from counterflow.errors import ConfigError, DataError
from counterflow.io import atomic_folder, atomic_output, read_text, write_parquet
from counterflow.simulate import geo
from counterflow.simulate.population import SECTOR_NAMES, Accounts, Population, party_ids
from counterflow.simulate.rows import PURPOSES, SOURCE_TYPES, Rows
from counterflow.simulate.typologies.base import Planted
from counterflow.transactions.schema import (
    ACCOUNTS,
    CHANNELS,
    PARTIES,
    PARTY_KINDS,
    PARTY_LABELS,
    TRANSACTIONS,
)

WORLD_FILE = "world.json"
#: a world.json larger than this is not one this module wrote (it holds counts, parameters
#: and the watchlist)
MAX_WORLD_FILE_BYTES = 256 * 1024 * 1024
GENERATOR = "counterflow.simulate"
#: fixed writer options: same table, same bytes
PARQUET_OPTIONS: dict[str, Any] = {
    "compression": "zstd",
    "compression_level": 3,
    "use_dictionary": True,
    "write_statistics": True,
    "version": "2.6",
    "row_group_size": 1_048_576,
}
_BODY = pa.schema([f for f in TRANSACTIONS if f.name != "tx_id"])


# --------------------------------------------------------------------------- the folder


def is_simulation(folder: Path) -> bool:
    """True if ``folder`` holds a world this module wrote."""
    try:
        meta = json.loads(read_text(folder / WORLD_FILE, max_bytes=MAX_WORLD_FILE_BYTES))
    except (DataError, ValueError):
        return False
    return isinstance(meta, dict) and meta.get("generator") == GENERATOR


def check_output(out: Path, *, overwrite: bool) -> None:
    """Refuse an ``out`` that is a file, or a non-empty folder that holds no earlier world
    (unless ``overwrite``): a simulation never silently deletes someone's files."""
    if out.exists() and not out.is_dir():
        raise ConfigError(f"{out} exists and is not a folder")
    if out.is_dir() and any(out.iterdir()) and not overwrite and not is_simulation(out):
        raise ConfigError(
            f"{out} is not empty and holds no earlier simulation; choose an empty folder "
            "or allow overwriting"
        )


@contextmanager
def output_folder(out: Path, *, overwrite: bool) -> Iterator[Path]:
    """A temporary folder to write the world into, which takes the place of ``out`` on success
    (:func:`counterflow.io.atomic_folder`; see :func:`check_output` for what is refused)."""
    out = Path(out)
    check_output(out, overwrite=overwrite)
    with ExitStack() as stack:
        try:
            # check_output has decided: what is in ``out`` is an earlier world, or may go
            folder = stack.enter_context(atomic_folder(out, replace=True))
        except DataError as error:
            raise ConfigError(f"cannot write into {out.parent}: {error.problem}") from error
        yield folder


def write_world_file(folder: Path, meta: dict[str, Any]) -> None:
    """The world's description, ``world.json``."""
    with atomic_output(folder / WORLD_FILE) as out:
        out.write(json.dumps(meta, indent=2, ensure_ascii=False, sort_keys=False) + "\n")


# --------------------------------------------------------------------------- tables


def _take(values: pa.Array, index: np.ndarray) -> pa.Array:
    """``values[index]`` with null where the index is negative."""
    return values.take(pa.array(np.where(index < 0, 0, index), mask=index < 0))


def tx_ids(first: int, count: int) -> pa.Array:
    """``T0000000001``-style ids, built straight into an Arrow buffer (millions per second)."""
    width = 10
    digits = np.arange(first, first + count, dtype=np.int64)
    buf = np.empty((count, width + 1), dtype=np.uint8)
    buf[:, 0] = ord("T")
    for k in range(width):
        buf[:, width - k] = (digits // 10**k) % 10 + ord("0")
    offsets = np.arange(0, (count + 1) * (width + 1), width + 1, dtype=np.int32)
    return pa.StringArray.from_buffers(count, pa.py_buffer(offsets), pa.py_buffer(buf))


class WorldWriter:
    """Turns parties, accounts and transaction batches into canonical Parquet files."""

    def __init__(
        self,
        folder: Path,
        pop: Population,
        accounts: Accounts,
        unknown_born: Collection[int] = (),
    ) -> None:
        self.folder = folder
        self.unknown_born = np.zeros(len(pop), dtype=bool)
        self.unknown_born[list(unknown_born)] = True
        self.pop, self.acc = pop, accounts
        self.party_ids = party_ids(len(pop))
        party_id = pa.array(self.party_ids, pa.string())
        self.acct_id = pa.array(accounts.ids, pa.string())
        self.acct_party = party_id.take(pa.array(accounts.party))
        self.acct_name = pa.array(pop.names, pa.string()).take(pa.array(accounts.party))
        self.acct_country = pa.array(geo.COUNTRY_CODES).take(pa.array(accounts.country))
        self.acct_bank = pa.array([bic for _, bic, _ in pop.banks]).take(pa.array(accounts.bank))
        self.currencies = pa.array(geo.CURRENCIES)
        self.channels = pa.array(CHANNELS)
        self.sources = pa.array(SOURCE_TYPES)
        self.purposes = pa.array(PURPOSES)
        self.cities = pa.array(geo.CITY_NAMES)
        self.written = 0
        self.parts = 0

    def write(self, name: str, table: pa.Table) -> None:
        write_parquet(self.folder / name, table, **PARQUET_OPTIONS)

    def parties(self) -> None:
        pop = self.pop
        sector = np.asarray(pop.sector, dtype=np.int64)
        self.write(
            "parties.parquet",
            pa.Table.from_arrays(
                [
                    pa.array(self.party_ids, pa.string()),
                    pa.array(pop.names, pa.string()),
                    pa.array(PARTY_KINDS).take(pa.array(pop.kind)),
                    pa.array(geo.COUNTRY_CODES).take(pa.array(pop.country)),
                    self.cities.take(pa.array(pop.city)),
                    pa.array(pop.born.astype(np.int32), pa.date32(), mask=self.unknown_born),
                    _take(pa.array(SECTOR_NAMES), sector),
                ],
                schema=PARTIES,
            ),
        )

    def accounts(self) -> None:
        acc = self.acc
        self.write(
            "accounts.parquet",
            pa.Table.from_arrays(
                [
                    self.acct_id,
                    self.acct_party,
                    self.acct_bank,
                    self.acct_country,
                    pa.array(acc.opened.astype(np.int32), pa.date32()),
                ],
                schema=ACCOUNTS,
            ),
        )

    def labels(
        self,
        labels: dict[int, tuple[str, str]],
        lookalikes: dict[int, tuple[str, str]],
        instance_of: dict[int, str] | None = None,
    ) -> None:
        """One row per party: suspicious ones with typology, role and instance; look-alikes
        benign, their role naming the typology they imitate, with no instance."""
        n = len(self.pop)
        suspicious = np.zeros(n, dtype=bool)
        typology: list[str | None] = [None] * n
        role: list[str | None] = [None] * n
        instance: list[str | None] = [None] * n
        for party, (t, r) in labels.items():
            suspicious[party], typology[party], role[party] = True, t, r
        for party, (t, r) in lookalikes.items():
            role[party] = f"look-alike of {t}: {r}"
        for party, name in (instance_of or {}).items():
            instance[party] = name
        self.write(
            "party_labels.parquet",
            pa.Table.from_arrays(
                [
                    pa.array(self.party_ids, pa.string()),
                    pa.array(suspicious),
                    pa.array(typology, pa.string()),
                    pa.array(role, pa.string()),
                    pa.array(instance, pa.string()),
                ],
                schema=PARTY_LABELS,
            ),
        )

    def _normal(self, rows: Rows) -> pa.Table:
        n = len(rows)
        texts = pa.array(rows.texts, pa.string())
        bene_city = rows.location.astype(np.int64)
        return pa.Table.from_arrays(
            [
                pa.array(rows.ts, pa.timestamp("us", tz="UTC")),
                pa.array(rows.amount),
                self.currencies.take(pa.array(rows.currency)),
                pa.array(np.round(rows.amount / geo.RATE[rows.currency], 2)),
                _take(self.acct_id, rows.payer),
                _take(self.acct_party, rows.payer),
                _take(self.acct_name, rows.payer),
                _take(self.acct_country, rows.payer),
                _take(self.acct_bank, rows.payer),
                _take(self.acct_id, rows.bene),
                _take(self.acct_party, rows.bene),
                _take(self.acct_name, rows.bene),
                _take(self.acct_country, rows.bene),
                _take(self.acct_bank, rows.bene),
                self.channels.take(pa.array(rows.channel)),
                self.sources.take(pa.array(rows.source_type)),
                _take(self.purposes, rows.purpose.astype(np.int64)),
                _take(texts, rows.remit.astype(np.int64)),
                _take(texts, rows.goods.astype(np.int64)),
                _take(texts, rows.hs.astype(np.int64)),
                _take(self.cities, bene_city),
                pa.array(np.zeros(n, dtype=bool)),
                pa.nulls(n, pa.string()),
            ],
            schema=_BODY,
        )

    def _planted(self, planted: Sequence[Planted]) -> pa.Table:
        primary, names = self.acc.primary, self.pop.names
        payer = np.array([primary[p.payer] if p.payer >= 0 else -1 for p in planted], np.int64)
        bene = np.array([primary[p.bene] if p.bene >= 0 else -1 for p in planted], np.int64)
        payer_name = [p.payer_name or (names[p.payer] if p.payer >= 0 else None) for p in planted]
        bene_name = [
            p.beneficiary_name or (names[p.bene] if p.bene >= 0 else None) for p in planted
        ]
        amount = np.array([p.amount for p in planted], dtype=np.float64)
        rate = np.array([geo.USD_RATES[p.currency] for p in planted], dtype=np.float64)
        return pa.Table.from_arrays(
            [
                pa.array(np.array([p.ts for p in planted], np.int64), pa.timestamp("us", tz="UTC")),
                pa.array(amount),
                pa.array([p.currency for p in planted], pa.string()),
                pa.array(np.round(amount / rate, 2)),
                _take(self.acct_id, payer),
                _take(self.acct_party, payer),
                pa.array(payer_name, pa.string()),
                _take(self.acct_country, payer),
                _take(self.acct_bank, payer),
                _take(self.acct_id, bene),
                _take(self.acct_party, bene),
                pa.array(bene_name, pa.string()),
                _take(self.acct_country, bene),
                _take(self.acct_bank, bene),
                pa.array([p.channel for p in planted], pa.string()),
                pa.array([p.source_type for p in planted], pa.string()),
                pa.array([p.purpose for p in planted], pa.string()),
                pa.array([p.remittance_text for p in planted], pa.string()),
                pa.array([p.goods for p in planted], pa.string()),
                pa.array([p.hs for p in planted], pa.string()),
                pa.array([p.location for p in planted], pa.string()),
                pa.array([p.typology is not None for p in planted], pa.bool_()),
                pa.array([p.typology for p in planted], pa.string()),
            ],
            schema=_BODY,
        )

    def transactions(self, rows: Rows, planted: Sequence[Planted], part_rows: int) -> int:
        """Write one window's transactions in time order, numbering them on from the last
        window, in parts of at most ``part_rows`` rows. Returns the rows written."""
        rows = rows.take(np.argsort(rows.ts, kind="stable"))
        body = self._normal(rows)
        if planted:
            # a few planted rows slot in between normal ones: slicing and concatenating
            # Arrow tables is zero-copy, a sort of the whole table would copy every column
            extra = self._planted(planted)
            stamps = np.array([p.ts for p in planted], dtype=np.int64)
            order = np.argsort(stamps, kind="stable")
            at = np.searchsorted(rows.ts, stamps[order], side="right")
            pieces, previous = [], 0
            for k, position in zip(order.tolist(), at.tolist(), strict=True):
                pieces.append(body.slice(previous, position - previous))
                pieces.append(extra.slice(k, 1))
                previous = position
            pieces.append(body.slice(previous))
            body = pa.concat_tables(pieces)
        total = int(body.num_rows)
        folder = self.folder / "transactions"
        folder.mkdir(exist_ok=True)
        for offset in range(0, total, part_rows):
            piece = body.slice(offset, part_rows)
            ids = pa.chunked_array([tx_ids(self.written + 1, piece.num_rows)])
            table = pa.Table.from_arrays([ids, *piece.columns], schema=TRANSACTIONS)
            write_parquet(folder / f"part-{self.parts:05d}.parquet", table, **PARQUET_OPTIONS)
            self.parts += 1
            self.written += piece.num_rows
        return total
