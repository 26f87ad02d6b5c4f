"""Spelling and transliteration variants of listed names, and a fictitious watchlist.

The listed-counterparty channel needs counterparties whose names are *not* the listed name
but would still be that party to an analyst: the shapes that the UN list itself records as
aliases ("Jabhat al-Nusrah", "Jabhet al-Nusra", "al-Nusrah Front") and the ones that payment
messages add (Cyrillic or Arabic script, dropped particles, typos). Each variant records the
changes it made, so that an evaluation can ask which kinds of variant a screener misses.

Without a watchlist from the workspace, :func:`fictitious_watchlist` invents one. Its names
are plausible Arabic names and group names put together from common words, and its entity
ids (``fictitious:…``) say what they are; any likeness to a real listed name is chance.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
from anyascii import anyascii

from counterflow.screening.transliterate import arabic_word, is_abjad
from counterflow.simulate.names import CULTURE_INDEX, FEMALE, MALE, SURNAMES

_ARTICLE = re.compile(r"\b([AaEe]l|[Aa][dnrstz]|[Aa]sh)([- ])(?=\w)")
_SUN_LETTERS = "tdrzsn"
_VOWEL_SWAPS = (
    ("ou", "u"), ("u", "ou"), ("oo", "u"), ("ee", "i"), ("i", "ee"), ("a", "e"), ("e", "a"),
    ("o", "u"), ("u", "o"), ("y", "i"), ("i", "y"), ("ah", "a"), ("ei", "ay"), ("aa", "a"),
)  # fmt: skip
_CONSONANT_SWAPS = (
    ("q", "k"), ("k", "q"), ("kh", "h"), ("kh", "ch"), ("j", "dj"), ("j", "dzh"),
    ("sh", "ch"), ("sh", "sch"), ("dh", "z"), ("th", "t"), ("w", "v"), ("gh", "g"),
    ("z", "dh"), ("ss", "s"), ("s", "ss"), ("f", "ph"), ("y", "j"),
)  # fmt: skip
_PARTICLES = {"bin", "ibn", "bint", "abu", "abd", "abdul", "abdel", "umm", "walad"}

_CYRILLIC = (
    ("shch", "щ"), ("dzh", "дж"), ("sh", "ш"), ("kh", "х"), ("ch", "ч"), ("zh", "ж"),
    ("ts", "ц"), ("ya", "я"), ("yu", "ю"), ("ou", "у"), ("ee", "и"), ("dh", "з"),
    ("th", "с"), ("gh", "г"), ("j", "дж"), ("q", "к"), ("a", "а"), ("b", "б"), ("c", "к"),
    ("d", "д"), ("e", "е"), ("f", "ф"), ("g", "г"), ("h", "х"), ("i", "и"), ("k", "к"),
    ("l", "л"), ("m", "м"), ("n", "н"), ("o", "о"), ("p", "п"), ("r", "р"), ("s", "с"),
    ("t", "т"), ("u", "у"), ("v", "в"), ("w", "у"), ("x", "кс"), ("y", "й"), ("z", "з"),
)  # fmt: skip
_ARABIC = (
    ("sh", "ش"), ("kh", "خ"), ("th", "ث"), ("dh", "ذ"), ("gh", "غ"), ("ou", "و"), ("oo", "و"),
    ("ee", "ي"), ("aa", "ا"), ("b", "ب"), ("t", "ت"), ("j", "ج"), ("h", "ح"), ("d", "د"),
    ("r", "ر"), ("z", "ز"), ("s", "س"), ("'", "ع"), ("f", "ف"), ("q", "ق"), ("k", "ك"),
    ("c", "ك"), ("l", "ل"), ("m", "م"), ("n", "ن"), ("w", "و"), ("y", "ي"), ("u", "و"),
    ("p", "ب"), ("v", "ف"), ("g", "ج"), ("x", "كس"),
)  # fmt: skip


@dataclass(frozen=True)
class Variant:
    """A variant of a listed name and the changes that made it."""

    name: str
    changes: tuple[str, ...]


def _latin(name: str) -> str:
    """Names in another script are varied from their Latin reading."""
    return name if name.isascii() else anyascii(name)


def _article(name: str, rng: np.random.Generator) -> str | None:
    matches = list(_ARTICLE.finditer(name))
    if not matches:
        return None
    m = matches[int(rng.integers(len(matches)))]
    rest = name[m.end() :]
    choice = int(rng.integers(4))
    if choice == 0:  # al- <-> el-
        new = ("el" if m.group(1).lower() == "al" else "al") + m.group(2)
    elif choice == 1:  # drop the article
        new = ""
    elif choice == 2:  # glue it on: alNusra, Al Nusra
        new = m.group(1).capitalize() + ("" if m.group(2) == "-" else "-")
    else:  # assimilate to a sun letter as spoken: an-Nusra, ar-Rahman
        first = rest[:1].lower()
        new = f"a{first}-" if first in _SUN_LETTERS else "el-"
    return name[: m.start()] + new + rest


def _swap(name: str, rng: np.random.Generator, table: tuple[tuple[str, str], ...]) -> str | None:
    options = [(a, b) for a, b in table if a in name.lower()]
    if not options:
        return None
    old, new = options[int(rng.integers(len(options)))]
    spots = [m.start() for m in re.finditer(re.escape(old), name.lower())]
    at = spots[int(rng.integers(len(spots)))]
    original = name[at : at + len(old)]
    replacement = new.capitalize() if original[:1].isupper() else new
    return name[:at] + replacement + name[at + len(old) :]


def _particles(name: str, rng: np.random.Generator) -> str | None:
    words = name.split()
    spots = [i for i, w in enumerate(words) if w.lower().strip(".") in _PARTICLES]
    if not spots:
        return None
    i = spots[int(rng.integers(len(spots)))]
    word = words[i].lower()
    if word in {"bin", "ibn"} and rng.random() < 0.5:
        words[i] = "b."
    elif word.startswith("abd") and i + 1 < len(words):
        # Abd al-Rahman -> Abdulrahman
        words[i : i + 2] = ["Abdul" + words[i + 1].split("-")[-1].lower()]
    else:
        del words[i]
    return " ".join(words) if words else None


def _reorder(name: str, rng: np.random.Generator) -> str | None:
    words = name.split()
    if len(words) < 2:
        return None
    return (
        " ".join([words[-1], *words[:-1]])
        if rng.random() < 0.7
        else ", ".join([words[-1], " ".join(words[:-1])])
    )


def _typo(name: str, rng: np.random.Generator) -> str | None:
    letters = [i for i, ch in enumerate(name) if ch.isalpha()]
    if len(letters) < 4:
        return None
    i = letters[int(rng.integers(1, len(letters)))]
    kind = int(rng.integers(4))
    if kind == 0:  # drop a letter
        return name[:i] + name[i + 1 :]
    if kind == 1:  # double it
        return name[:i] + name[i] + name[i:]
    if kind == 2 and i + 1 < len(name) and name[i + 1].isalpha():  # swap neighbours
        return name[:i] + name[i + 1] + name[i] + name[i + 2 :]
    near = "aeiouy" if name[i].lower() in "aeiouy" else "bdgkmnprst"
    return name[:i] + near[int(rng.integers(len(near)))] + name[i + 1 :]


def _script(name: str, table: tuple[tuple[str, str], ...], drop_short_vowels: bool) -> str:
    words = []
    for word in re.split(r"[\s]+", name.lower()):
        out = []
        if word.startswith(("al-", "el-")) and drop_short_vowels:
            out.append("ال")
            word = word[3:]
        i = 0
        while i < len(word):
            ch = word[i]
            if drop_short_vowels and ch in "aeio":
                # Arabic script writes long vowels only: keep a word-initial or final vowel
                if i == 0:
                    out.append("ا")
                elif i == len(word) - 1:
                    out.append("ة" if ch == "a" else "ي")
                i += 1
                continue
            for latin, letter in table:
                if word.startswith(latin, i):
                    out.append(letter)
                    i += len(latin)
                    break
            else:
                out.append(ch if ch == "-" and not drop_short_vowels else "")
                i += 1
        text = "".join(out)
        if not drop_short_vowels:
            text = "-".join(part[:1].upper() + part[1:] for part in text.split("-"))
        words.append(text)
    return " ".join(w for w in words if w)


_LATIN_OPS = ("article", "vowel", "consonant", "particle", "reorder", "typo")


_ARABIC_SPELLINGS = (("ة", "ه"), ("ه", "ة"), ("ى", "ي"), ("ي", "ى"), ("أ", "ا"), ("إ", "ا"),
                     ("ال", "ال "), ("ال ", "ال"))  # fmt: skip


def _arabic_variant(name: str, rng: np.random.Generator) -> Variant:
    """A name written in Arabic script, spelled another way in the same script (taa marbuta
    as haa, alif maqsura as yaa, hamza dropped, article split off) or read into Latin."""
    options = [(a, b) for a, b in _ARABIC_SPELLINGS if a in name]
    if options and rng.random() < 0.7:
        old, new = options[int(rng.integers(len(options)))]
        changed = name.replace(old, new, 1)
        if changed != name:
            return Variant(changed, ("arabic-spelling",))
    return Variant(" ".join(arabic_word(w) for w in name.split()), ("latin-reading",))


def variant(name: str, rng: np.random.Generator) -> Variant:
    """A spelling or transliteration variant of ``name``, never equal to it."""
    if is_abjad(name):
        return _arabic_variant(name, rng)
    base = _latin(name)
    person = listed_kind(name) == "person"
    roll = rng.random()
    if roll < 0.15:
        cyrillic = roll < 0.08
        written = _script(base, _CYRILLIC, False) if cyrillic else _script(base, _ARABIC, True)
        if written.strip() and _key(written) != _key(name):
            return Variant(written, ("cyrillic",) if cyrillic else ("arabic-script",))
    current, changes = base, [] if base == name else ["latin-reading"]
    wanted = 1 + int(rng.integers(3))
    for op in rng.permutation(len(_LATIN_OPS)).tolist():
        if len(changes) >= wanted:
            break
        if _LATIN_OPS[op] == "reorder" and not person:
            continue  # group names keep their word order
        result = _apply(_LATIN_OPS[op], current, rng)
        if result and result.strip() and result != current:
            current = " ".join(result.split())
            changes.append(_LATIN_OPS[op])
    while _key(current) == _key(name) or not current.strip():
        current = _typo(current, rng) or current + "a"
        changes.append("typo")
    if base.isupper():  # lists and messages often write names in capitals: keep them so
        current = current.upper()
    return Variant(current, tuple(changes))


def _key(text: str) -> str:
    """What a variant must differ in: letters and digits, whatever the script or case."""
    return "".join(ch for ch in anyascii(text).casefold() if ch.isalnum())


def _apply(op: str, name: str, rng: np.random.Generator) -> str | None:
    if op == "article":
        return _article(name, rng)
    if op == "vowel":
        return _swap(name, rng, _VOWEL_SWAPS)
    if op == "consonant":
        return _swap(name, rng, _CONSONANT_SWAPS)
    if op == "particle":
        return _particles(name, rng)
    if op == "reorder":
        return _reorder(name, rng)
    return _typo(name, rng)


# --------------------------------------------------------------------------- kinds

_ORG_WORDS = re.compile(
    r"\b(brigades?|battalions?|front|jabh\w*|jama\W?at\w*|harakat|movement|organi[sz]ation|"
    r"group|company|co\.?|llc|ltd|corp\w*|army|jaysh|jaish|katibat?|liwa|network|party|state|"
    r"exchange|establishment|bank|trading|islamic|isil|isis|daesh|qa\W?ida|committee|"
    r"foundation|charit\w*|society|association|relief|trust|institute|council|office|"
    r"sarayat|mu\W?assasat|tijara|ansar|wal-\w+)\b",
    re.IGNORECASE,
)
_NPO_WORDS = re.compile(
    r"\b(foundation|charit\w*|society|association|relief|trust|committee|waqf)\b", re.IGNORECASE
)


#: UN Consolidated List references: QDe.137 is an entity, QDi.006 an individual
_UN_ENTITY_REF = re.compile(r":[A-Z]{2}e\.\d+$")
_UN_PERSON_REF = re.compile(r":[A-Z]{2}i\.\d+$")


def listed_kind(name: str, entity_id: str = "") -> str:
    """Whether a listed name reads as a person, a company or a charity (party kinds).

    A UN reference says it outright (``QDe`` entity, ``QDi`` individual); otherwise group
    names carry organisation words and people's do not."""
    latin = _latin(name)
    if _UN_PERSON_REF.search(entity_id):
        return "person"
    if _UN_ENTITY_REF.search(entity_id):
        return "npo" if _NPO_WORDS.search(latin) else "company"
    if _NPO_WORDS.search(latin):
        return "npo"
    if _ORG_WORDS.search(latin) or len(latin.split()) > 5:
        return "company"
    return "person"


# --------------------------------------------------------------------------- watchlists

_GROUP_WORDS = (
    "Fajr", "Nour", "Furqan", "Rayah", "Burhan", "Sabil", "Ghuraba", "Bayan", "Hadid",
    "Saqr", "Sharq", "Janub", "Badiya", "Wadi", "Jazira", "Firdaws", "Qalam", "Shuhub",
)  # fmt: skip
_GROUP_PATTERNS = (
    "Katibat al-{a} al-{b}", "Liwa al-{a}", "Jamaat Ansar al-{a}", "Harakat al-{a} wal-{b}",
    "Al-{a} Exchange Company", "Al-{a} Relief Foundation", "Mu'assasat al-{a} lil-Tijara",
    "Sarayat al-{a}",
)  # fmt: skip
_PLACES = ("Raqqawi", "Mosuli", "Halabi", "Anbari", "Dayri", "Tikriti", "Shami", "Iraqi")


def fictitious_watchlist(
    rng: np.random.Generator, persons: int = 24, groups: int = 12
) -> list[tuple[str, str]]:
    """An invented watchlist of ``(entity_id, name)``: Arabic names of people (some with a
    kunya "Abu …" or a place name) and group names built from common words."""
    arabic = CULTURE_INDEX["arabic"]
    out: list[tuple[str, str]] = []
    for i in range(persons):
        first = MALE[arabic][int(rng.integers(len(MALE[arabic])))]
        father = MALE[arabic][int(rng.integers(len(MALE[arabic])))]
        family = SURNAMES[arabic][int(rng.integers(len(SURNAMES[arabic])))]
        style = int(rng.integers(3))
        if style == 0:
            name = f"{first} {father} {family}"
        elif style == 1:
            son = MALE[arabic][int(rng.integers(len(MALE[arabic])))]
            name = f"Abu {son} al-{_PLACES[int(rng.integers(len(_PLACES)))]}"
        else:
            name = f"{first} bin {father} {family}"
        out.append((f"fictitious:QDi.{901 + i}", name))
    for i in range(groups):
        pattern = _GROUP_PATTERNS[i % len(_GROUP_PATTERNS)]
        a, b = rng.choice(len(_GROUP_WORDS), 2, replace=False).tolist()
        out.append(
            (f"fictitious:QDe.{901 + i}", pattern.format(a=_GROUP_WORDS[a], b=_GROUP_WORDS[b]))
        )
    return out


def namesake(name: str, rng: np.random.Generator) -> str:
    """A benign look-alike: shares a part of the listed name (a common family name or one
    word of a group's name) but is not the listed party."""
    latin = _latin(name)
    words = latin.split()
    arabic = CULTURE_INDEX["arabic"]
    if listed_kind(name) == "person":
        given = (FEMALE if rng.random() < 0.3 else MALE)[arabic]
        first = given[int(rng.integers(len(given)))]
        made = f"{first} {words[-1]}" if words else first
    else:
        keep = max(words, key=len).strip("'‘’").split("-")[-1].capitalize()
        made = f"{keep} {('Trading', 'Foods', 'Travel', 'Textiles')[int(rng.integers(4))]} LLC"
    return made.upper() if latin.isupper() else made
