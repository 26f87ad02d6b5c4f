"""``simulate``: build a world, plant the channels, write it with its ground truth.

The steps, in order: draw the population; cast parties into the planted channels and plant
their transactions (a few thousand rows, kept in memory); draw accounts and normal-life
relationships; then generate normal life window by window (each window about a million
rows), merge the planted rows of that window, and write it. Memory stays bounded by one
window whatever the length of the span.

Random streams are derived from the seed and a fixed stream number per component (and the
window number for normal life), so the same seed and parameters give the same bytes.
"""

from __future__ import annotations

import time
from collections import Counter, defaultdict
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np

from counterflow.errors import ConfigError
from counterflow.simulate import geo
from counterflow.simulate.config import NormalConfig, TypologyConfig
from counterflow.simulate.normal import NormalLife, expected_per_party_day
from counterflow.simulate.population import build_accounts, build_population
from counterflow.simulate.relations import build_relations
from counterflow.simulate.typologies import SOURCES, TYPOLOGIES, Planted, Stage, plant_all
from counterflow.simulate.variants import fictitious_watchlist
from counterflow.simulate.writer import (
    GENERATOR,
    WorldWriter,
    check_output,
    output_folder,
    write_world_file,
)

FORMAT_VERSION = 1
MIN_PARTIES = 1_000
MIN_DAYS = 30
PART_ROWS = 1_000_000
#: rows of normal life generated (and held in memory) at a time
WINDOW_ROWS = 500_000
# stream numbers: one random stream per component (normal life is 1, per window)
_POPULATION, _CASTING, _ACCOUNTS, _RELATIONS, _WATCHLIST = 10, 11, 12, 13, 14


@dataclass(frozen=True)
class WorldSummary:
    """What a simulation wrote; ``world.json`` holds the same and more."""

    out: Path
    seed: int
    parties: int
    accounts: int
    transactions: int
    suspicious_transactions: int
    parts: int
    first_day: date
    last_day: date
    #: planted transactions per typology
    planted: dict[str, int] = field(default_factory=dict)
    #: planted instances per typology
    instances: dict[str, int] = field(default_factory=dict)
    watchlist: str = "fictitious"
    seconds: float = 0.0


def _rng(seed: int, stream: int) -> np.random.Generator:
    return np.random.Generator(np.random.PCG64(np.random.SeedSequence([seed, stream])))


def estimate_transactions(parties: int, days: int, normal: NormalConfig | None = None) -> int:
    """About how many transactions a world of this size holds (for progress bars)."""
    return round(parties * days * expected_per_party_day(normal or NormalConfig()))


def _check(parties: int, days: int, seed: int, part_rows: int) -> None:
    problems = []
    if parties < MIN_PARTIES:
        problems.append(f"parties must be at least {MIN_PARTIES:,} (got {parties:,})")
    if days < MIN_DAYS:
        problems.append(f"days must be at least {MIN_DAYS} (got {days})")
    if seed < 0:
        problems.append(f"seed must be zero or more (got {seed})")
    if part_rows < 1_000:
        problems.append(f"part_rows must be at least 1,000 (got {part_rows})")
    if problems:
        raise ConfigError("; ".join(problems))


def _clean_watchlist(watchlist: Sequence[tuple[str, str]]) -> list[tuple[str, str]]:
    entries = [(str(i), " ".join(str(n).split())) for i, n in watchlist]
    entries = [(i, n) for i, n in entries if i and n]
    return sorted(set(entries))


def simulate(
    out: Path,
    *,
    parties: int,
    days: int,
    seed: int,
    start: date = date(2025, 1, 1),
    watchlist: Sequence[tuple[str, str]] | None = None,
    typology_params: TypologyConfig | None = None,
    normal_params: NormalConfig | None = None,
    overwrite: bool = False,
    part_rows: int = PART_ROWS,
    progress: Callable[[int], None] | None = None,
) -> WorldSummary:
    """Write a synthetic world with planted terrorist-financing channels into ``out``.

    ``watchlist`` is ``(entity_id, name)`` pairs of listed people and organisations whose
    names the listed-counterparty channel varies; without one (or with an empty one) a
    fictitious watchlist is generated. ``progress`` is called with the number of
    transactions written since its last call. ``out`` must be empty, absent or an earlier
    simulation, unless ``overwrite``. Raises :class:`ConfigError` for bad parameters or an
    unusable ``out``."""
    _check(parties, days, seed, part_rows)
    check_output(Path(out), overwrite=overwrite)  # fail before the work, not after
    began = time.perf_counter()
    typologies = typology_params or TypologyConfig()
    normal_config = normal_params or NormalConfig()
    given = _clean_watchlist(watchlist or [])
    entries = given or fictitious_watchlist(_rng(seed, _WATCHLIST))

    pop = build_population(_rng(seed, _POPULATION), parties, start, days)
    stage = Stage(pop, _rng(seed, _CASTING))
    try:
        plant_all(stage, typologies, entries)
    except RuntimeError as error:
        raise ConfigError(f"the world is too small for the planted channels: {error}") from error
    accounts = build_accounts(_rng(seed, _ACCOUNTS), pop)
    relations = build_relations(_rng(seed, _RELATIONS), pop, accounts, normal_config)
    life = NormalLife(pop, accounts, relations, normal_config, seed)
    planted = sorted(stage.rows, key=lambda row: row.ts)

    with output_folder(Path(out), overwrite=overwrite) as folder:
        writer = WorldWriter(folder, pop, accounts, stage.unknown_born)
        writer.parties()
        writer.accounts()
        writer.labels(stage.labels, stage.lookalikes, stage.instance_of)
        per_day = max(parties * expected_per_party_day(normal_config), 1.0)
        # windows depend on the world's size only, so that part_rows changes the files'
        # boundaries but never the transactions
        window_days = max(1, int(WINDOW_ROWS / per_day))
        _write_transactions(writer, life, planted, days, window_days, part_rows, progress)
        meta = _world_json(
            seed=seed,
            start=start,
            days=days,
            parties=parties,
            typologies=typologies,
            normal=normal_config,
            part_rows=part_rows,
            stage=stage,
            writer=writer,
            accounts=len(accounts),
            watchlist=entries,
            given=bool(given),
        )
        write_world_file(folder, meta)
    return WorldSummary(
        out=Path(out),
        seed=seed,
        parties=parties,
        accounts=len(accounts),
        transactions=writer.written,
        suspicious_transactions=meta["counts"]["suspicious_transactions"],
        parts=writer.parts,
        first_day=start,
        last_day=start + timedelta(days=days - 1),
        planted={k: v["transactions"] for k, v in meta["typologies"].items()},
        instances={k: v["instances"] for k, v in meta["typologies"].items()},
        watchlist="given" if given else "fictitious",
        seconds=time.perf_counter() - began,
    )


def _write_transactions(
    writer: WorldWriter,
    life: NormalLife,
    planted: Sequence[Planted],
    days: int,
    window_days: int,
    part_rows: int,
    progress: Callable[[int], None] | None,
) -> None:
    """Normal life window by window, each merged with the planted rows of its days."""
    cursor = 0
    for index, first in enumerate(range(0, days, window_days)):
        stop = min(first + window_days, days)
        mine: list[Planted] = []
        while cursor < len(planted) and planted[cursor].day < stop:
            mine.append(planted[cursor])
            cursor += 1
        written = writer.transactions(life.window(index, first, stop), mine, part_rows)
        if progress is not None:
            progress(written)


def _world_json(
    *,
    seed: int,
    start: date,
    days: int,
    parties: int,
    typologies: TypologyConfig,
    normal: NormalConfig,
    part_rows: int,
    stage: Stage,
    writer: WorldWriter,
    accounts: int,
    watchlist: Sequence[tuple[str, str]],
    given: bool,
) -> dict[str, Any]:
    """The world's description and ground-truth summary, deterministic (no clock time)."""
    ids = writer.party_ids
    rows_by = Counter(row.typology for row in stage.rows if row.typology)
    usd_by: defaultdict[str, float] = defaultdict(float)
    for row in stage.rows:
        if row.typology:
            usd_by[row.typology] += row.amount / geo.USD_RATES[row.currency]
    roles: defaultdict[str, Counter[str]] = defaultdict(Counter)
    for typology, role in stage.labels.values():
        roles[typology][role] += 1
    alike_rows = Counter(row.imitates for row in stage.rows if row.imitates)
    alike_roles: defaultdict[str, Counter[str]] = defaultdict(Counter)
    for typology, role in stage.lookalikes.values():
        alike_roles[typology][role] += 1
    end = start + timedelta(days=days)
    listed = [
        {"party_id": ids[e["party"]], **{k: v for k, v in e.items() if k != "party"}}
        for e in stage.listed
    ]
    return {
        "generator": GENERATOR,
        "format": FORMAT_VERSION,
        "seed": seed,
        "parameters": {
            "parties": parties,
            "days": days,
            "start": start.isoformat(),
            "part_rows": part_rows,
            "normal": asdict(normal),
            "typologies": typologies.as_json(),
        },
        "span": {
            "first": datetime(start.year, start.month, start.day, tzinfo=UTC).isoformat(),
            "end_exclusive": datetime(end.year, end.month, end.day, tzinfo=UTC).isoformat(),
            "days": days,
        },
        "base_currency": "USD",
        "usd_rates": dict(sorted(geo.USD_RATES.items())),
        "counts": {
            "parties": parties,
            "accounts": accounts,
            "transactions": writer.written,
            "suspicious_transactions": sum(rows_by.values()),
            "lookalike_transactions": sum(alike_rows.values()),
            "suspicious_parties": len(stage.labels),
            "lookalike_parties": len(stage.lookalikes),
            "parts": writer.parts,
        },
        "typologies": {
            t: {
                "source": SOURCES[t],
                "instances": stage.instances.get(t, 0),
                "transactions": rows_by.get(t, 0),
                "amount_usd": round(usd_by.get(t, 0.0), 2),
                "parties": dict(sorted(roles[t].items())),
            }
            for t in TYPOLOGIES
        },
        "lookalikes": {
            t: {
                "transactions": alike_rows.get(t, 0),
                "parties": dict(sorted(alike_roles[t].items())),
            }
            for t in TYPOLOGIES
            if alike_rows.get(t) or alike_roles.get(t)
        },
        "listed_counterparties": [e for e in listed if not e["lookalike"]],
        "listed_lookalikes": [e for e in listed if e["lookalike"]],
        "watchlist": {
            "source": "given" if given else "fictitious",
            "entries": len(watchlist),
            **({} if given else {"fictitious_entries": [list(e) for e in watchlist]}),
        },
    }
