"""Country names and codes as lists write them, to one form: FtM's lowercase ISO 3166 alpha-2.

UN and UK lists write names ("Syrian Arab Republic", "Democratic Republic of the Congo"), OFAC
short names ("Syria"), the EU alpha-3 codes ("SYR"). Screening compares countries, so every
parser's value goes through :func:`to_code`; the published text stays as the value's original.
The ISO table comes from the ``iso3166`` package; the variants lists use beyond it are here.
"""

from __future__ import annotations

import re
import unicodedata
from functools import cache

import iso3166

#: Names and codes lists use that the ISO 3166 table does not carry, by normalised key.
_VARIANTS: dict[str, str] = {
    "afghanistan islamic emirate of": "af",
    "bolivia": "bo",
    "brunei": "bn",
    "burma": "mm",
    "cape verde": "cv",
    "congo democratic republic": "cd",
    "democratic republic of congo": "cd",
    "democratic republic of the congo": "cd",
    "drc": "cd",
    "republic of the congo": "cg",
    "congo brazzaville": "cg",
    "czech republic": "cz",
    "ivory coast": "ci",
    "cote d ivoire": "ci",
    "east timor": "tl",
    "gaza": "ps",
    "gaza strip": "ps",
    "west bank": "ps",
    "palestine": "ps",
    "palestinian territories": "ps",
    "occupied palestinian territory": "ps",
    "state of palestine": "ps",
    "great britain": "gb",
    "britain": "gb",
    "united kingdom": "gb",
    "uk": "gb",
    "england": "gb",
    "holy see": "va",
    "vatican": "va",
    "iran": "ir",
    "kosovo": "xk",
    "xkx": "xk",
    "laos": "la",
    "macedonia": "mk",
    "the former yugoslav republic of macedonia": "mk",
    "micronesia": "fm",
    "moldova": "md",
    "north korea": "kp",
    "korea north": "kp",
    "dprk": "kp",
    "democratic people s republic of korea": "kp",
    "south korea": "kr",
    "korea south": "kr",
    "republic of korea": "kr",
    "russia": "ru",
    "soviet union": "suhh",
    "ussr": "suhh",
    "swaziland": "sz",
    "syria": "sy",
    "taiwan": "tw",
    "tanzania": "tz",
    "turkey": "tr",
    "turkiye": "tr",
    "united states": "us",
    "united states of america": "us",
    "usa": "us",
    "us": "us",
    "venezuela": "ve",
    "vietnam": "vn",
    "viet nam": "vn",
    "yugoslavia": "yucs",
    "serbia and montenegro": "csxx",
    "netherlands antilles": "an",
    "sudan south": "ss",
    "bosnia herzegovina": "ba",
    "bosnia": "ba",
    "the gambia": "gm",
    "the bahamas": "bs",
    "st kitts and nevis": "kn",
    "st lucia": "lc",
    "st vincent and the grenadines": "vc",
    "sao tome": "st",
    "united arab emirates": "ae",
    "uae": "ae",
}

_NON_WORD = re.compile(r"[\W_]+")


def _key(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text)
    ascii_only = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return " ".join(_NON_WORD.sub(" ", ascii_only.casefold()).split())


@cache
def _table() -> dict[str, str]:
    table: dict[str, str] = {}
    heads: dict[str, set[str]] = {}
    for country in iso3166.countries:
        code = country.alpha2.lower()
        for name in (country.name, country.apolitical_name, country.alpha3):
            table[_key(name)] = code
            # "Iran, Islamic Republic of" is also written "Islamic Republic of Iran"
            if "," in name:
                head, tail = (part.strip() for part in name.split(",", 1))
                table[_key(f"{tail} {head}")] = code
                heads.setdefault(_key(head), set()).add(code)
    for head, codes in heads.items():  # "Iran" alone, but not "Korea" or "Virgin Islands"
        if len(codes) == 1:
            table.setdefault(head, codes.pop())
    table.update(_VARIANTS)
    return table


def to_code(text: str | None) -> str | None:
    """The FtM country code for a name or ISO code, or None when the text is not a country.

    >>> to_code("Syrian Arab Republic"), to_code("SYR"), to_code("Türkiye"), to_code("Mars")
    ('sy', 'sy', 'tr', None)
    """
    if not text:
        return None
    key = _key(text)
    if len(key) == 2 and key.isalpha():
        return key if iso3166.countries_by_alpha2.get(key.upper()) or key == "xk" else None
    key = re.sub(r"^the ", "", key)
    return _table().get(key) or _table().get(f"the {key}")


def country_name(code: str) -> str:
    """A readable name for a code (the code itself when unknown)."""
    country = iso3166.countries_by_alpha2.get(code.upper())
    return country.name if country else code
