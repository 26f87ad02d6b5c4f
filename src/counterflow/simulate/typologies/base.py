"""What every planted channel shares: casting parties into roles and writing their payments.

A :class:`Stage` holds the population while the typologies run. ``cast`` takes a party that
no other channel uses, moves it where the channel needs it (a company to Gaziantep, trading
oil, its accounts opened a fortnight before its first sale) and records its role; ``pay``
writes one transaction between parties. Each planted pattern is cast inside ``instance``, so
that every party of it is labelled with the pattern's id (``oil/2``) as well as its role.
Look-alikes go through the same calls with ``typology=None``: benign, but shaped like the
channel they imitate, and in no instance.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from counterflow.simulate import geo, seasons
from counterflow.simulate.names import SURNAMES, company_name, npo_name
from counterflow.simulate.population import (
    COMPANY,
    NPO,
    PERSON,
    SECTOR_INDEX,
    SECTOR_NAMES,
    Population,
)

_PROFILE = {"wire": "office", "card": "card", "cash": "atm", "remittance": "remit",
            "cheque": "office", "crypto": "remit"}  # fmt: skip
_SOURCE = {
    "wire": "CREDIT-TRANSFER",
    "card": "CARD-POS",
    "cash": "CASH-WITHDRAWAL",
    "remittance": "MONEY-TRANSFER",
    "cheque": "CHEQUE",
    "crypto": "CRYPTO-TRANSFER",
}
KINDS = {"person": PERSON, "company": COMPANY, "npo": NPO}


class PlantingError(Exception):
    """A typology planted a party outside one of its instances: a bug in the typology, not a
    world too small for it (which is a ``RuntimeError``)."""


@dataclass
class Planted:
    """One planted (or look-alike) transaction between parties; accounts are the parties'
    main accounts, resolved when the world is written."""

    day: int
    ts: int
    payer: int  # party index, -1 for none (cash deposit)
    bene: int  # party index, -1 for none (cash withdrawal)
    amount: float
    currency: str
    channel: str
    source_type: str
    typology: str | None
    purpose: str | None = None
    remittance_text: str | None = None
    goods: str | None = None
    hs: str | None = None
    location: str | None = None
    payer_name: str | None = None  # the name written on the message, if not the party's
    beneficiary_name: str | None = None
    imitates: str | None = None  # for a look-alike row, the typology it resembles


@dataclass
class Stage:
    """The population while typologies cast parties and plant transactions."""

    pop: Population
    rng: np.random.Generator
    rows: list[Planted] = field(default_factory=list)
    #: party → (typology, role) for parties taking part in a planted channel
    labels: dict[int, tuple[str, str]] = field(default_factory=dict)
    #: party → (typology imitated, role) for benign look-alikes
    lookalikes: dict[int, tuple[str, str]] = field(default_factory=dict)
    #: planted instances per typology so far
    instances: Counter[str] = field(default_factory=Counter)
    #: party → the instance it takes part in ("oil/2"), for every party in ``labels``
    instance_of: dict[int, str] = field(default_factory=dict)
    #: listed-counterparty truth: which listed entry each variant imitates
    listed: list[dict[str, Any]] = field(default_factory=list)
    #: parties whose record holds no date of birth or registration (the bank never learnt it)
    unknown_born: set[int] = field(default_factory=set)
    #: while set, every row paid is a look-alike of this typology
    imitating: str | None = None
    #: while set, the instance every party cast into a planted role takes part in
    current: str | None = None
    _queues: dict[tuple[int, int], list[int]] = field(default_factory=dict)

    @property
    def days(self) -> int:
        return self.pop.days

    @property
    def span_us(self) -> int:
        return seasons.epoch_us(self.pop.start)

    @contextmanager
    def lookalike(self, typology: str) -> Iterator[None]:
        """Rows paid inside the block are benign look-alikes of ``typology``."""
        self.imitating = typology
        try:
            yield
        finally:
            self.imitating = None

    @contextmanager
    def instance(self, typology: str) -> Iterator[str]:
        """Plant one instance of ``typology`` inside the block: it is counted, and every party
        cast into one of its roles is labelled with its id, ``<typology>/<n>`` numbering the
        typology's instances from 1 in planting order (so the same seed gives the same ids).
        The id lets evaluation count patterns found, not only parties."""
        if self.current is not None:
            raise PlantingError(f"instance {self.current} is still being planted")
        self.instances[typology] += 1
        self.current = f"{typology}/{self.instances[typology]}"
        try:
            yield self.current
        finally:
            self.current = None

    # ------------------------------------------------------------------ choosing days

    def uniform(self, bounds: tuple[float, float]) -> float:
        return float(self.rng.uniform(bounds[0], bounds[1]))

    def integer(self, bounds: tuple[float, float]) -> int:
        return int(self.rng.integers(int(bounds[0]), int(bounds[1]) + 1))

    def window(self, duration: float, *, earliest: float = 0.0, tail: int = 0) -> tuple[int, int]:
        """A start day and a duration (shortened to fit) placing an episode inside the span,
        not before ``earliest`` (a fraction of the span), leaving ``tail`` days after it for
        the money's onward moves."""
        tail = min(tail, self.days - 2)
        length = int(min(max(duration, 1), self.days - 1 - tail))
        latest = self.days - length - tail  # exclusive
        lo = min(int(earliest * self.days), latest - 1)
        start = int(self.rng.integers(max(lo, 0), max(latest, lo + 1)))
        return start, length

    def squeeze(self, full_span: int) -> float:
        """How much to shorten an episode's delays in a span shorter than ``full_span``."""
        return min(1.0, (self.days - 2) / full_span)

    def choice(self, options: Sequence[Any]) -> Any:
        return options[int(self.rng.integers(len(options)))]

    # ------------------------------------------------------------------ casting

    def _queue(self, kind: int, country: int) -> list[int]:
        key = (kind, country)
        if key not in self._queues:
            members = np.flatnonzero((self.pop.kind == kind) & (self.pop.country == country))
            self._queues[key] = self.rng.permutation(members).tolist()
        return self._queues[key]

    def cast(
        self,
        kind: str,
        typology: str | None,
        role: str | None,
        *,
        countries: Sequence[str] | None = None,
        city: tuple[str, str] | None = None,
        sector: str | None = None,
        new_on: int | None = None,
        age: tuple[int, int] | None = None,
        male: bool | None = None,
        name: str | None = None,
        lookalike: bool = False,
    ) -> int:
        """An unused party of ``kind`` put into a role.

        It is taken from ``countries`` (or the country of ``city``) when one is free there,
        else moved there. ``new_on`` makes it a new customer whose accounts open on that day;
        otherwise its accounts predate the span. With ``lookalike`` the role is recorded as a
        benign look-alike of ``typology``; without a role the party is only reserved (a shop
        a traveller needs, say)."""
        pop, code = self.pop, KINDS[kind]
        wanted = [city[0]] if city else list(countries or [])
        order = self.rng.permutation(len(wanted)).tolist() if wanted else []
        party = -1
        for k in order:
            queue = self._queue(code, geo.COUNTRY_INDEX[wanted[k]])
            while queue and pop.reserved[queue[-1]]:
                queue.pop()
            if queue:
                party = queue.pop()
                break
        if party < 0:
            free = np.flatnonzero((pop.kind == code) & ~pop.reserved)
            if not len(free):
                raise RuntimeError(f"the world has no free {kind} left for {typology or role}")
            party = int(free[int(self.rng.integers(len(free)))])
        pop.reserved[party] = True
        moved = False
        if city:
            moved = self._place(party, city[0], city[1])
        elif wanted and geo.COUNTRY_CODES[int(pop.country[party])] not in wanted:
            moved = self._place(party, self.choice(wanted), None)
        if sector and SECTOR_NAMES[int(pop.sector[party])] != sector:
            pop.sector[party] = SECTOR_INDEX[sector]
            moved = True
        if moved and code in (COMPANY, NPO):
            self._rename(party)
        if name:
            pop.names[party] = name
        if age:
            years = self.rng.uniform(age[0], age[1])
            pop.born[party] = int(pop.epoch_day - years * 365.25)
        if male is not None:
            pop.female[party] = not male
        if new_on is not None:
            pop.new_from[party] = new_on
            if code != PERSON:  # registered shortly before it opened its accounts
                pop.born[party] = pop.epoch_day + new_on - int(self.rng.integers(5, 60))
        else:
            pop.established[party] = True
        if role is not None and typology is not None:
            if lookalike:
                self.lookalikes[party] = (typology, role)
            else:
                self._label(party, typology, role)
        return party

    def _label(self, party: int, typology: str, role: str) -> None:
        # a planted party belongs to the instance being planted; one cast outside an instance,
        # or into another typology's, would leave the truth without its pattern
        if self.current is None or not self.current.startswith(f"{typology}/"):
            raise PlantingError(
                f"a {typology} party ({role}) cast outside an instance of {typology}"
            )
        self.labels[party] = (typology, role)
        self.instance_of[party] = self.current

    def _place(self, party: int, country: str, city: str | None) -> bool:
        pop = self.pop
        ci = geo.COUNTRY_INDEX[country]
        if city is None:
            cities = np.flatnonzero(ci == geo.CITY_COUNTRY)
            city_index = int(cities[int(self.rng.integers(len(cities)))])
        else:
            city_index = geo.city(country, city)
        moved = int(pop.country[party]) != ci
        pop.country[party] = ci
        pop.city[party] = city_index
        return moved

    def _rename(self, party: int) -> None:
        pop = self.pop
        code = geo.COUNTRY_CODES[int(pop.country[party])]
        if pop.kind[party] == NPO:
            pop.names[party] = npo_name(self.rng, code, geo.CITY_NAMES[int(pop.city[party])])
            return
        culture = {"TR": 2, "DE": 3, "AT": 3, "GB": 4, "US": 4, "FR": 5}.get(code, 0)
        surname = self.choice(SURNAMES[culture])
        pop.names[party] = company_name(
            self.rng, code, SECTOR_NAMES[int(pop.sector[party])], surname
        )

    def shop_in(self, country: str, city: str) -> int:
        """A shop, restaurant or hotel in a city (one is opened there if the world has none)."""
        pop = self.pop
        shops = np.array([SECTOR_INDEX[s] for s in ("retail", "food & hospitality")])
        found = np.flatnonzero(
            (pop.city == geo.city(country, city))
            & (pop.kind == COMPANY)
            & np.isin(pop.sector, shops)
            & ~pop.reserved
        )
        if len(found):
            return int(found[int(self.rng.integers(len(found)))])
        return self.cast("company", None, None, city=(country, city), sector="retail")

    def banks_in(self, country: int) -> list[int]:
        """Bank parties of a country."""
        return [
            int(self.pop.bank_party[b])
            for b, (_, _, ci) in enumerate(self.pop.banks)
            if ci == country
        ]

    def city_name(self, party: int) -> str:
        return geo.CITY_NAMES[int(self.pop.city[party])]

    # ------------------------------------------------------------------ paying

    def currency_for(self, payer: int, bene: int) -> str:
        """Domestic payments in the local currency; between euro countries in euros; other
        cross-border payments in US dollars."""
        a = self.pop.country[payer] if payer >= 0 else self.pop.country[bene]
        b = self.pop.country[bene] if bene >= 0 else a
        if a == b:
            return geo.COUNTRIES[int(a)].currency
        if geo.EURO_COUNTRIES[a] and geo.EURO_COUNTRIES[b]:
            return "EUR"
        return "USD"

    def pay(
        self,
        day: int,
        payer: int,
        bene: int,
        usd: float,
        typology: str | None,
        *,
        channel: str = "wire",
        currency: str | None = None,
        source_type: str | None = None,
        purpose: str | None = None,
        text: str | None = None,
        goods: str | None = None,
        hs: str | None = None,
        location: str | None = None,
        payer_name: str | None = None,
        beneficiary_name: str | None = None,
        nice: bool = False,
    ) -> Planted:
        """One transaction of ``usd`` US dollars (in the payer's currency unless given).

        The place defaults to the beneficiary's city for transfers and the payer's for cash
        taken out, as in normal life. A business's transfer falling on a weekend of its
        country moves to the next working day (the returned row says when it happened)."""
        day = int(min(max(day, 0), self.days - 1))
        person = payer >= 0 and self.pop.kind[payer] == PERSON
        if channel in {"wire", "cheque"} and payer >= 0 and not person:
            day = self._workday(day, payer)
        if person and purpose in {"SUPP", "TRAD"}:
            purpose = None  # people do not make supplier or trade payments
        if person and channel == "cheque":
            channel = "wire"  # nor write cheques, in this world
        currency = currency or self.currency_for(payer, bene)
        actor = payer if payer >= 0 else bene
        if source_type is None:
            source_type = _SOURCE[channel]
            if (
                channel == "wire"
                and payer >= 0
                and bene >= 0
                and (self.pop.country[payer] != self.pop.country[bene])
            ):
                source_type = "SWIFT-MT103"
        if location is None:
            location = self.city_name(bene if bene >= 0 and channel != "cash" else actor)
        ts = seasons.one_timestamp(
            self.span_us,
            day,
            self.rng,
            _PROFILE[channel],
            int(geo.COUNTRY_OFFSET[self.pop.country[actor]]),
        )
        amount = geo.round_amount(usd, currency)
        if nice or channel in {"cash", "remittance"}:  # people choose round sums
            amount = float(geo.nice_round(np.array([amount]), down=True)[0])
        row = Planted(
            day=day,
            ts=ts,
            payer=payer,
            bene=bene,
            amount=amount,
            currency=currency,
            channel=channel,
            source_type=source_type,
            typology=typology,
            purpose=purpose,
            remittance_text=text,
            goods=goods,
            hs=hs,
            location=location,
            payer_name=payer_name,
            beneficiary_name=beneficiary_name,
            imitates=self.imitating if typology is None else None,
        )
        self.rows.append(row)
        return row

    def _workday(self, day: int, party: int) -> int:
        friday = bool(geo.COUNTRY_FRIDAY_WEEKEND[self.pop.country[party]])
        weekend = (4, 5) if friday else (5, 6)
        while (self.pop.start.weekday() + day) % 7 in weekend and day < self.days - 1:
            day += 1
        return day

    def invoice(self) -> str:
        """An invoice reference shaped like normal trade's."""
        return f"INV {self.pop.start.year % 100}-{int(self.rng.integers(1, 999_999)):06d}"
