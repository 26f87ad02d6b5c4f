"""The simulated world's geography: countries, cities, currencies, exchange rates and wages.

Every number here is a modelling assumption, written down once so that the documentation,
the tests and the generators agree. Exchange rates are approximate mid-market rates at the
start of 2025 and stay fixed for the whole simulation: ``base_amount`` is the amount in US
dollars at these rates, so that scenarios compare amounts across currencies without a market
feed. Wages are rough monthly net pay in US dollars, enough to give each country its own
scale of amounts.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from counterflow.transactions.rates import UNITS_PER_USD


@dataclass(frozen=True)
class Country:
    """One country of the simulated world."""

    code: str  # ISO 3166 alpha-2
    currency: str  # ISO 4217, the currency of accounts held there
    weight: float  # share of the world's parties who live there
    utc_offset: int  # hours ahead of UTC (no daylight saving)
    friday_weekend: bool  # weekend is Friday-Saturday (else Saturday-Sunday)
    wage_usd: float  # median monthly pay of an employed person
    diaspora: float  # share of residents who send money to family in another country
    origins: tuple[tuple[str, float], ...]  # where the diaspora comes from, with weights
    cultures: tuple[tuple[str, float], ...]  # name cultures of residents born there
    cities: tuple[tuple[str, float], ...]  # cities with their share of residents


# fmt: off
_ARAB = (("arabic", 1.0),)
COUNTRIES: tuple[Country, ...] = (
    Country("TR", "TRY", 0.17, 3, False, 900, 0.06, (("SY", 0.9), ("IQ", 0.1)),
            (("turkish", 0.85), ("kurdish", 0.1), ("arabic", 0.05)),
            (("Istanbul", 0.33), ("Ankara", 0.11), ("Izmir", 0.08), ("Bursa", 0.05),
             ("Antalya", 0.05), ("Konya", 0.04), ("Adana", 0.04), ("Mersin", 0.04),
             ("Gaziantep", 0.07), ("Şanlıurfa", 0.05), ("Diyarbakır", 0.03),
             ("Antakya", 0.03), ("Mardin", 0.02), ("Kilis", 0.02), ("Reyhanlı", 0.02),
             ("Akçakale", 0.02))),
    Country("IQ", "IQD", 0.07, 3, True, 600, 0.0, (), (("arabic", 0.75), ("kurdish", 0.25)),
            (("Baghdad", 0.33), ("Basra", 0.11), ("Erbil", 0.12), ("Mosul", 0.12),
             ("Sulaymaniyah", 0.07), ("Kirkuk", 0.07), ("Duhok", 0.05), ("Zakho", 0.04),
             ("Najaf", 0.04), ("Ramadi", 0.03), ("Al-Qa'im", 0.02))),
    Country("SY", "SYP", 0.01, 3, True, 100, 0.0, (), _ARAB,
            (("Damascus", 0.3), ("Aleppo", 0.22), ("Idlib", 0.12), ("Raqqa", 0.1),
             ("Deir ez-Zor", 0.1), ("Qamishli", 0.08), ("Al-Hasakah", 0.08))),
    Country("LB", "LBP", 0.04, 2, False, 500, 0.05, (("SY", 1.0),), _ARAB,
            (("Beirut", 0.6), ("Tripoli", 0.2), ("Sidon", 0.1), ("Zahle", 0.1))),
    Country("JO", "JOD", 0.04, 3, True, 650, 0.08, (("SY", 0.8), ("IQ", 0.2)), _ARAB,
            (("Amman", 0.7), ("Irbid", 0.14), ("Zarqa", 0.1), ("Mafraq", 0.06))),
    Country("AE", "AED", 0.04, 4, False, 3000, 0.4,
            (("LB", 0.2), ("JO", 0.2), ("IQ", 0.2), ("SY", 0.2), ("TR", 0.2)), _ARAB,
            (("Dubai", 0.6), ("Abu Dhabi", 0.3), ("Sharjah", 0.1))),
    Country("SA", "SAR", 0.03, 3, True, 2500, 0.3, (("JO", 0.3), ("SY", 0.4), ("LB", 0.3)),
            _ARAB, (("Riyadh", 0.5), ("Jeddah", 0.35), ("Dammam", 0.15))),
    Country("QA", "QAR", 0.015, 3, True, 3500, 0.5, (("JO", 0.3), ("SY", 0.4), ("LB", 0.3)),
            _ARAB, (("Doha", 1.0),)),
    Country("KW", "KWD", 0.015, 3, True, 3000, 0.4, (("JO", 0.3), ("SY", 0.4), ("IQ", 0.3)),
            _ARAB, (("Kuwait City", 1.0),)),
    Country("DE", "EUR", 0.13, 1, False, 3300, 0.18,
            (("TR", 0.5), ("SY", 0.25), ("IQ", 0.15), ("LB", 0.1)), (("german", 1.0),),
            (("Berlin", 0.25), ("Hamburg", 0.14), ("Munich", 0.14), ("Cologne", 0.12),
             ("Frankfurt", 0.12), ("Stuttgart", 0.1), ("Duisburg", 0.07), ("Dortmund", 0.06))),
    Country("GB", "GBP", 0.09, 0, False, 3100, 0.1,
            (("IQ", 0.3), ("SY", 0.2), ("TR", 0.2), ("LB", 0.15), ("JO", 0.15)),
            (("english", 1.0),),
            (("London", 0.55), ("Birmingham", 0.15), ("Manchester", 0.14), ("Leeds", 0.08),
             ("Luton", 0.08))),
    Country("FR", "EUR", 0.07, 1, False, 2600, 0.1,
            (("LB", 0.3), ("SY", 0.3), ("TR", 0.2), ("IQ", 0.2)), (("french", 1.0),),
            (("Paris", 0.5), ("Marseille", 0.2), ("Lyon", 0.15), ("Toulouse", 0.08),
             ("Lille", 0.07))),
    Country("NL", "EUR", 0.04, 1, False, 3200, 0.12, (("TR", 0.6), ("SY", 0.2), ("IQ", 0.2)),
            (("dutch", 1.0),),
            (("Amsterdam", 0.35), ("Rotterdam", 0.35), ("The Hague", 0.2), ("Utrecht", 0.1))),
    Country("BE", "EUR", 0.03, 1, False, 3100, 0.12, (("TR", 0.5), ("SY", 0.3), ("LB", 0.2)),
            (("dutch", 0.6), ("french", 0.4)),
            (("Brussels", 0.55), ("Antwerp", 0.3), ("Liège", 0.15))),
    Country("SE", "SEK", 0.04, 1, False, 3000, 0.15, (("SY", 0.5), ("IQ", 0.4), ("TR", 0.1)),
            (("swedish", 1.0),), (("Stockholm", 0.5), ("Gothenburg", 0.25), ("Malmö", 0.25))),
    Country("AT", "EUR", 0.02, 1, False, 3000, 0.12, (("TR", 0.5), ("SY", 0.3), ("IQ", 0.2)),
            (("german", 1.0),), (("Vienna", 0.7), ("Graz", 0.15), ("Linz", 0.15))),
    Country("CH", "CHF", 0.02, 1, False, 6000, 0.08, (("TR", 0.5), ("LB", 0.3), ("SY", 0.2)),
            (("german", 0.65), ("french", 0.35)),
            (("Zurich", 0.45), ("Geneva", 0.35), ("Basel", 0.2))),
    Country("US", "USD", 0.08, -5, False, 4500, 0.05, (("LB", 0.4), ("IQ", 0.3), ("SY", 0.3)),
            (("english", 1.0),),
            (("New York", 0.3), ("Los Angeles", 0.2), ("Chicago", 0.15), ("Houston", 0.15),
             ("Detroit", 0.1), ("Washington", 0.1))),
    Country("CA", "CAD", 0.02, -5, False, 3600, 0.08, (("LB", 0.4), ("SY", 0.4), ("IQ", 0.2)),
            (("english", 0.7), ("french", 0.3)),
            (("Toronto", 0.5), ("Montreal", 0.3), ("Ottawa", 0.2))),
    Country("AU", "AUD", 0.02, 10, False, 3800, 0.08, (("LB", 0.5), ("IQ", 0.3), ("TR", 0.2)),
            (("english", 1.0),), (("Sydney", 0.55), ("Melbourne", 0.45))),
)
# fmt: on
COUNTRY_CODES: tuple[str, ...] = tuple(c.code for c in COUNTRIES)
COUNTRY_INDEX: dict[str, int] = {c: i for i, c in enumerate(COUNTRY_CODES)}

#: cities along the Syrian and Iraqi borders and in the areas ISIL held in 2014-2015: the
#: conflict-border geography of the planted channels
CONFLICT_BORDER_CITIES: frozenset[str] = frozenset(
    {
        "Gaziantep",
        "Şanlıurfa",
        "Kilis",
        "Antakya",
        "Reyhanlı",
        "Mardin",
        "Akçakale",
        "Mosul",
        "Erbil",
        "Zakho",
        "Duhok",
        "Kirkuk",
        "Al-Qa'im",
        "Ramadi",
        "Raqqa",
        "Deir ez-Zor",
        "Idlib",
        "Qamishli",
        "Al-Hasakah",
        "Aleppo",
    }
)
#: the antiquities trade's transit hubs in this world: dealers in Beirut, Istanbul and Dubai,
#: markets in Geneva, London and Munich (a modelling choice)
ANTIQUITIES_HUBS: tuple[tuple[str, str], ...] = (
    ("LB", "Beirut"),
    ("TR", "Istanbul"),
    ("AE", "Dubai"),
    ("CH", "Geneva"),
    ("GB", "London"),
    ("DE", "Munich"),
)

# --------------------------------------------------------------------------- cities

CITY_NAMES: tuple[str, ...] = tuple(name for c in COUNTRIES for name, _ in c.cities)
CITY_COUNTRY = np.array([i for i, c in enumerate(COUNTRIES) for _ in c.cities], dtype=np.int16)
CITY_INDEX: dict[tuple[str, str], int] = {
    (c.code, name): k
    for k, (c, name) in enumerate((c, name) for c in COUNTRIES for name, _ in c.cities)
}


def city(country: str, name: str) -> int:
    """The index of a named city of a country."""
    return CITY_INDEX[(country, name)]


# --------------------------------------------------------------------------- money

#: the currencies accounts are held in, priced with counterflow's reference rates (units per
#: US dollar, fixed: the same table imports use for base amounts)
USD_RATES: dict[str, float] = {
    c: UNITS_PER_USD[c]
    for c in ("USD", "EUR", "GBP", "CHF", "SEK", "CAD", "AUD", "TRY", "IQD", "SYP", "LBP",
              "JOD", "AED", "SAR", "QAR", "KWD")
}  # fmt: skip
CURRENCIES: tuple[str, ...] = tuple(sorted(USD_RATES))
CURRENCY_INDEX: dict[str, int] = {c: i for i, c in enumerate(CURRENCIES)}
RATE = np.array([USD_RATES[c] for c in CURRENCIES], dtype=np.float64)
#: the smallest amount written in each currency: Iraqi dinars in 250s, Syrian pounds in 100s,
#: Lebanese pounds in 1,000s (nobody writes their cents), cents elsewhere
QUANTUM = np.array([{"IQD": 250.0, "SYP": 100.0, "LBP": 1000.0}.get(c, 0.01) for c in CURRENCIES])
COUNTRY_CURRENCY = np.array([CURRENCY_INDEX[c.currency] for c in COUNTRIES], dtype=np.int16)
USD = CURRENCY_INDEX["USD"]
EUR = CURRENCY_INDEX["EUR"]
EURO_COUNTRIES = np.array([c.currency == "EUR" for c in COUNTRIES], dtype=bool)

COUNTRY_WEIGHT = np.array([c.weight for c in COUNTRIES], dtype=np.float64)
COUNTRY_WEIGHT /= COUNTRY_WEIGHT.sum()
COUNTRY_OFFSET = np.array([c.utc_offset for c in COUNTRIES], dtype=np.int32)
COUNTRY_FRIDAY_WEEKEND = np.array([c.friday_weekend for c in COUNTRIES], dtype=bool)
COUNTRY_WAGE = np.array([c.wage_usd for c in COUNTRIES], dtype=np.float64)
COUNTRY_DIASPORA = np.array([c.diaspora for c in COUNTRIES], dtype=np.float64)


def to_currency(usd: np.ndarray, currency: np.ndarray) -> np.ndarray:
    """US dollar amounts in each row's currency, rounded to that currency's quantum."""
    amount = usd * RATE[currency]
    quantum = QUANTUM[currency]
    rounded = np.maximum(np.round(amount / quantum) * quantum, quantum)
    return np.asarray(np.round(rounded, 2), dtype=np.float64)


def nice_round(amount: np.ndarray, *, down: bool = False) -> np.ndarray:
    """Amounts as people choose them, to two significant digits: 173 → 170, 2,360 → 2,400
    (``down``: never more than asked, 2,360 → 2,300)."""
    step = 10 ** np.floor(np.log10(np.maximum(amount, 10.0)) - 1)
    rounded = (np.floor if down else np.round)(amount / step) * step
    return np.asarray(np.maximum(rounded, step), dtype=np.float64)


def nice_money(usd: np.ndarray, currency: np.ndarray) -> np.ndarray:
    """US dollar amounts in each row's currency, as people choose them (:func:`nice_round`)."""
    return nice_round(usd * RATE[currency])


def round_amount(usd: float, currency: str) -> float:
    """One US dollar amount in ``currency``, rounded as :func:`to_currency` does."""
    quantum = float(QUANTUM[CURRENCY_INDEX[currency]])
    return round(max(round(usd * USD_RATES[currency] / quantum) * quantum, quantum), 2)
