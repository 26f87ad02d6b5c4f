"""Seeded datasets for the screening benchmark, derived from the real lists in ../shared/data.

Why this exists: the 683 untreated UN positives are the list's own spellings, so they say little
about the spellings analysts actually meet. Issue 3 asks for recall on the variants that make the
ISIL & Al-Qaida list hard (typos, reordered and dropped name parts, initials, Arabic script,
Russian-press Cyrillic and its Latin re-renderings), for a pairwise test with hard non-matches,
and for speed against a million names. This module builds all three from a seed, so every run
(and every system compared in one run) sees exactly the same queries, pairs and candidates:

- :func:`hard_set`: queries that are realistic variants of UN names, each with its expected
  entity id and a category, so recall can be reported per category;
- :func:`labelled_pairs`: balanced name pairs labelled match / non-match, with categories;
- :func:`synthetic_entities`: a lazily generated list of Person and Organization entities whose
  names recombine real list and population name tokens (see :class:`NamePools`).

Nothing here writes into the repository; callers write to ``bench/results/`` (gitignored).
The Latin -> Cyrillic rules follow the Russian press's habits for Arabic names (sun-letter
assimilation of the article, дж for j, х for kh and h, е for a in closed syllables after дж);
they are this project's own and deliberately simple.
"""

from __future__ import annotations

import csv
import json
import random
import re
import unicodedata
from bisect import bisect
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import asdict, dataclass
from difflib import SequenceMatcher
from itertools import accumulate, combinations
from pathlib import Path
from typing import Any

from counterflow.lists.registry import detect
from counterflow.model import Entity

ROOT = Path(__file__).resolve().parents[2]
SHARED = ROOT.parent / "shared" / "data"
LISTS = SHARED / "lists"
UN_2026 = LISTS / "un_sc" / "un_sc_2026-02-27.xml"
OFAC_SDN = LISTS / "ofac_sdn_2021"
UK_OFSI = LISTS / "uk_ofsi_2018" / "sanctionsconlist.csv"
POSITIVES = SHARED / "screening" / "positives_un_untreated.csv"
NEGATIVES = SHARED / "screening" / "negatives_us.csv"

SEED = 20260227

#: Hard-set categories, in report order. Persons only: swap, drop_middle, initials.
CATEGORIES = (
    "typo_1",
    "typo_2",
    "swap",
    "drop_middle",
    "initials",
    "arabic_original",
    "arabic_variant",
    "cyrillic",
    "russian_latin",
)

#: UN programmes whose names are mostly Arabic (or Arabic-derived Pashto / Somali) in origin:
#: the ones the Russian press renders with the rules below.
ARABIC_PROGRAMMES = ("QD", "IQ", "LY", "YE", "SO", "SD", "TA")


def _words(text: str) -> frozenset[str]:
    """A word set from whitespace-separated text (keeps long word lists readable)."""
    return frozenset(text.split())


#: Words that attach to the next word to form one name part ("bin Laden", "Abu Bakr").
PARTICLES = _words(
    "al el ul bin ibn ben bint bn abu abou abd abdel abdul ould wuld ag ait de del da van von"
)
_ARTICLES = _words("al el ul ad adh ar as ash at ath az an")

#: English words in organisation names: a name holding one is not an Arabic-origin rendering.
ENGLISH_WORDS = _words(
    """
    the of for and in on at to from by with front army organization organisation foundation
    group company co ltd llc limited inc corporation corp trading trust bank international
    islamic state brigade brigades battalion battalions movement network party council committee
    society charity charitable relief fund office association union institute center centre
    league people peoples base victory assembly liberation conquest levant syria iraq yemen
    land two rivers holy sites world jews crusaders commission emirate caucasus east west north
    south central arabian peninsula region province branch unit forces force fighters
    soldiers martyrs supporters partisans revolutionary revolution national republic service
    services industries industrial enterprise enterprises agency media news shipping money
    exchange humanitarian aid welfare development
    """
)

_FRENCH_WORDS = _words(
    "pour le la les de du des et en au l d mouvement afrique ouest islamique stichting"
)
_ARABIC_ORG_WORDS = _words(
    """
    jamaat jamaah jamaa jamiat jabhat jabhet harakat ansar katibat katiba tanzim jaish
    jaysh hizb hayat tahrir majlis shura mujahidin mujahideen ittihad lashkar tehrik
    sarayat saraya liwa kataib qaida qaeda dawla dawlat khilafa imarat
    """
)
_PARENS = re.compile(r"\([^)]*\)")
_APOSTROPHES = dict.fromkeys(map(ord, "'’‘`´ʼʻʿʾ′"), None)
_NON_ALNUM = re.compile(r"[\W_]+")
_QWERTY_ROWS = ("qwertyuiop", "asdfghjkl", "zxcvbnm")


def _qwerty_neighbours() -> dict[str, str]:
    """Keys next to each letter on a staggered QWERTY keyboard."""
    stagger = (0.0, 0.25, 0.75)
    pos = {
        ch: (r, c + stagger[r]) for r, row in enumerate(_QWERTY_ROWS) for c, ch in enumerate(row)
    }
    return {
        ch: "".join(
            other
            for other, (r2, x2) in pos.items()
            if other != ch and abs(r - r2) <= 1 and abs(x - x2) <= 1
        )
        for ch, (r, x) in pos.items()
    }


_NEIGHBOURS = _qwerty_neighbours()


# --------------------------------------------------------------------------- text helpers


def normalize(text: str) -> str:
    """Case-folded, accent-free, punctuation-free form used to compare names for identity."""
    decomposed = unicodedata.normalize("NFKD", text.translate(_APOSTROPHES))
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return " ".join(_NON_ALNUM.sub(" ", stripped.casefold()).split())


def is_latin(text: str) -> bool:
    return any(ch.isalpha() for ch in text) and all(
        ord(ch) < 0x0250 or not ch.isalpha() for ch in text
    )


def is_arabic(text: str) -> bool:
    return any("\u0600" <= ch <= "\u06ff" for ch in text)


def name_parts(name: str) -> list[str]:
    """Whitespace tokens, with particles joined to the word they introduce."""
    parts: list[str] = []
    pending: list[str] = []
    for token in name.replace(",", " ").split():
        if normalize(token) in PARTICLES:
            pending.append(token)
            continue
        parts.append(" ".join([*pending, token]))
        pending = []
    if pending:
        if parts:
            parts[-1] = " ".join([parts[-1], *pending])
        else:
            parts.append(" ".join(pending))
    return parts


def _fold(token: str) -> str:
    """A rough spelling-neutral form of one token: for deciding what is "the same name"."""
    pieces = normalize(token).split()
    if len(pieces) > 1 and pieces[0] in _ARTICLES:
        pieces = pieces[1:]
    t = "".join(pieces)
    for a, b in (("dzh", "j"), ("kh", "h"), ("dh", "z"), ("th", "t"), ("gh", "g"), ("ou", "u")):
        t = t.replace(a, b)
    t = t.replace("q", "k").replace("ee", "i").replace("oo", "u").replace("y", "i")
    return re.sub(r"(.)\1+", r"\1", t)


def _skeleton(token: str) -> str:
    return re.sub(r"[aeiouw]", "", _fold(token)) or _fold(token)


def _token_close(a: str, b: str) -> bool:
    fa, fb = _fold(a), _fold(b)
    if fa == fb or _skeleton(a) == _skeleton(b):
        return True
    return SequenceMatcher(None, fa, fb).ratio() >= 0.8


def _significant(name: str) -> list[str]:
    return [t for t in normalize(name).split() if t not in PARTICLES and len(t) > 1]


def is_variant(a: str, b: str) -> bool:
    """True when two Latin names are spellings of one name: every significant token of the
    shorter has a close counterpart in the longer, and the longer adds at most two tokens."""
    ta, tb = _significant(a), _significant(b)
    if not ta or not tb:
        return False
    short, long_ = sorted((ta, tb), key=len)
    if len(long_) - len(short) > 2:
        return False
    return all(any(_token_close(s, t) for t in long_) for s in short)


# --------------------------------------------------------------------------- loading


def load_entities(path: Path) -> list[Entity]:
    """Every entity of one list file, parsed by counterflow's own parser."""
    return list(detect(path).parse(path).entities)


def read_csv(path: Path) -> list[dict[str, str]]:
    with open(path, newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def latin_names(entity: Entity, props: Sequence[str] = ("name", "alias")) -> list[str]:
    return [v.value for p, v in entity.names() if p in props and is_latin(v.value)]


def arabic_originals(entity: Entity) -> list[str]:
    return [
        v.value
        for _, v in entity.names()
        if v.qualifier == "original script" and is_arabic(v.value)
    ]


def primary_name(entity: Entity) -> str | None:
    names = latin_names(entity, ("name",)) or latin_names(entity)
    return names[0] if names else None


# --------------------------------------------------------------------------- Cyrillic


_LAT_CYR_DIGRAPHS = (
    ("kh", "х"),
    ("sh", "ш"),
    ("ch", "ч"),
    ("th", "с"),
    ("dh", "з"),
    ("gh", "г"),
    ("zh", "ж"),
    ("ph", "ф"),
    ("ck", "к"),
    ("ou", "у"),
    ("oo", "у"),
    ("ee", "и"),
)
_LAT_CYR = {
    "a": "а",
    "b": "б",
    "c": "к",
    "d": "д",
    "e": "е",
    "f": "ф",
    "g": "г",
    "h": "х",
    "i": "и",
    "j": "дж",
    "k": "к",
    "l": "л",
    "m": "м",
    "n": "н",
    "o": "о",
    "p": "п",
    "q": "к",
    "r": "р",
    "s": "с",
    "t": "т",
    "u": "у",
    "v": "в",
    "w": "в",
    "x": "кс",
    "y": "й",
    "z": "з",
}
_IOTATED = {"a": "я", "u": "ю", "e": "е", "o": "йо"}
_VOWELS = set("aeiou")
#: Latin onsets of the Arabic sun letters, longest first, with their Cyrillic consonant.
_SUN = (
    ("sh", "ш"),
    ("th", "с"),
    ("dh", "з"),
    ("t", "т"),
    ("d", "д"),
    ("r", "р"),
    ("z", "з"),
    ("s", "с"),
    ("n", "н"),
)


def _cyr_word(word: str, rng: random.Random) -> str:
    """One Latin word (lower case, no apostrophes) in Russian-press Cyrillic."""
    if rng.random() < 0.5:  # the press often writes one letter for a doubled one
        word = re.sub(r"([^aeiou])\1", r"\1", word)
    out: list[str] = []
    i, n = 0, len(word)
    while i < n:
        ch = word[i]
        prev = word[i - 1] if i else ""
        nxt = word[i + 1] if i + 1 < n else ""
        pair = word[i : i + 2]
        digraph = next((cyr for lat, cyr in _LAT_CYR_DIGRAPHS if pair == lat), None)
        if digraph:
            out.append(digraph)
            i += 2
            continue
        if ch == "y":
            if nxt in _IOTATED and (not prev or prev in _VOWELS):
                out.append(_IOTATED[nxt])
                i += 2
                continue
            if nxt in _IOTATED:
                out.append("ь" + _IOTATED[nxt])
                i += 2
                continue
            out.append("й" if prev in _VOWELS else "и")
        elif ch == "w":
            out.append("в" if nxt in _VOWELS else "у")
        elif ch == "h" and not nxt and prev in _VOWELS and word != "allah":
            pass  # Nusrah -> Нусра, Hidayatullah -> Хидаятулла
        elif ch == "i" and i == 1 and prev == "a" and nxt and nxt not in _VOWELS:
            out.append("й")  # Aiman -> Айман (but Qaida -> Каида)
        elif ch == "e" and not prev:
            out.append("э")
        elif ch == "c":
            out.append("с" if nxt in ("e", "i", "y") else "к")
        elif ch == "j":
            out.append("дж")
            after = word[i + 2 : i + 4]
            if nxt == "a" and len(after) == 2 and not set(after) & _VOWELS:
                out.append("е")  # Jabhat -> Джебхат
                i += 1
        elif ch in _LAT_CYR:
            out.append(_LAT_CYR[ch])
        i += 1
    return "".join(out)


def _cap(text: str) -> str:
    return text[:1].upper() + text[1:]


def to_cyrillic(name: str, rng: random.Random) -> str:
    """An Arabic-origin name written in Latin, rendered in Cyrillic as the Russian press does.

    >>> to_cyrillic("Jabhat al-Nusrah", random.Random(1))
    'Джебхат ан-Нусра'
    """
    text = unicodedata.normalize("NFKD", name.translate(_APOSTROPHES).casefold())
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    text = re.sub(r"[^a-z\s-]", " ", text)
    units: list[str] = [u for u in re.split(r"[\s-]+", text) if u]
    out: list[str] = []
    i = 0
    while i < len(units):
        unit = units[i]
        if unit in _ARTICLES and i + 1 < len(units):
            stem = units[i + 1]
            vowel = "у" if unit == "ul" else "а"
            sun = next((cyr for lat, cyr in _SUN if stem.startswith(lat)), None)
            article = f"{vowel}{sun}-" if sun else f"{vowel}ль-"
            rendered = article + _cap(_cyr_word(stem, rng))
            out.append(_cap(rendered) if not out else rendered)
            i += 2
            continue
        word = _cyr_word(unit, rng)
        out.append(word if unit in ("bin", "ibn", "ben", "bint") and out else _cap(word))
        i += 1
    return " ".join(out)


_CYR_LAT = {
    "а": "a",
    "б": "b",
    "в": "v",
    "г": "g",
    "д": "d",
    "е": "e",
    "ё": "yo",
    "ж": "zh",
    "з": "z",
    "и": "i",
    "й": "y",
    "к": "k",
    "л": "l",
    "м": "m",
    "н": "n",
    "о": "o",
    "п": "p",
    "р": "r",
    "с": "s",
    "т": "t",
    "у": "u",
    "ф": "f",
    "х": "kh",
    "ц": "ts",
    "ч": "ch",
    "ш": "sh",
    "щ": "shch",
    "ъ": "",
    "ы": "y",
    "ь": "",
    "э": "e",
    "ю": "yu",
    "я": "ya",
}


def russian_latin(cyrillic: str, rng: random.Random) -> str:
    """The Latin a Russian-speaking clerk types for a Cyrillic name: dzh, kh, ash-Sham...

    Random touches: French-style "ou" for у, "e" for the article's vowel ("en-Nusra"), an
    apostrophe for the soft sign, and the casing (title, lower, or a shouted article).
    """
    french_u = rng.random() < 0.3
    article_e = rng.random() < 0.35
    soft_apostrophe = rng.random() < 0.3
    casing = rng.choices(("title", "lower", "upper_article"), weights=(6, 3, 2))[0]
    words: list[str] = []
    for word in cyrillic.split():
        head, sep, tail = word.partition("-")
        is_article = bool(sep) and len(head) <= 3 and head.lower()[:1] in "ау"
        pieces = []
        for piece in (head, tail) if sep else (word,):
            latin = []
            for ch in piece.lower():
                if ch == "у" and french_u and rng.random() < 0.6:
                    latin.append("ou")
                elif ch == "ь":
                    latin.append("'" if soft_apostrophe else "")
                else:
                    latin.append(_CYR_LAT.get(ch, ch))
            pieces.append("".join(latin))
        if is_article:
            art = pieces[0]
            if article_e and art.startswith("a"):
                art = "e" + art[1:]
            if casing == "upper_article":
                art = art.upper()
            elif casing == "title" and not words:
                art = _cap(art)
            rest = pieces[1] if casing == "lower" else _cap(pieces[1])
            words.append(f"{art}-{rest}")
        else:
            joined = "-".join(pieces)
            words.append(joined if casing == "lower" else _cap(joined))
    return " ".join(words)


# --------------------------------------------------------------------------- Arabic script

#: words that bind to the next one ("عبد الرحمن" is one name): never dropped, nor their partner
_ARABIC_BOUND = frozenset(("عبد", "ابو", "أبو", "بن", "ابن", "بنت", "ام", "أم"))
_ARABIC_HAMZA = str.maketrans({"أ": "ا", "إ": "ا", "آ": "ا"})
_ARABIC_MARKS = re.compile("[\u064b-\u0652\u0640]")  # harakat and tatweel


def arabic_variant(name: str, rng: random.Random, *, person: bool) -> str:
    """Everyday Arabic-script spelling of a listed original: hamza seats dropped, taa marbuta
    and alif maqsura written as ha and ya, and (for people with four names or more) a middle
    name left out."""
    text = _ARABIC_MARKS.sub("", name)
    if rng.random() < 0.8:
        text = text.translate(_ARABIC_HAMZA)
    if rng.random() < 0.6:
        text = re.sub("ة(?=\\s|$)", "ه", text)
    if rng.random() < 0.5:
        text = re.sub("ى(?=\\s|$)", "ي", text)
    words = text.split()
    droppable = [
        i
        for i in range(1, len(words) - 1)
        if words[i] not in _ARABIC_BOUND and words[i - 1] not in _ARABIC_BOUND
    ]
    if person and len(words) >= 4 and droppable and (rng.random() < 0.6 or text == name):
        del words[rng.choice(droppable)]
    return " ".join(words)


# --------------------------------------------------------------------------- Latin variants


def typo(name: str, edits: int, rng: random.Random) -> str | None:
    """``edits`` keyboard slips (substitution by a neighbour key, transposition, deletion,
    doubling), never on the first letter of a word, where people rarely slip."""
    chars = list(name)
    for _ in range(edits):
        spots = [
            i
            for i, ch in enumerate(chars)
            if ch.isalpha() and i > 0 and chars[i - 1].isalpha() and ch.lower() in _NEIGHBOURS
        ]
        if not spots:
            return None
        i = rng.choice(spots)
        op = rng.choice(("substitute", "transpose", "delete", "double"))
        ch = chars[i]
        if op == "substitute":
            new = rng.choice(_NEIGHBOURS[ch.lower()])
            chars[i] = new.upper() if ch.isupper() else new
        elif op == "transpose" and i + 1 < len(chars) and chars[i + 1].isalpha():
            chars[i], chars[i + 1] = chars[i + 1], chars[i]
        elif op == "delete":
            del chars[i]
        else:
            chars.insert(i, ch)
    out = "".join(chars)
    return out if normalize(out) != normalize(name) else None


def swap_parts(name: str, rng: random.Random) -> str | None:
    parts = name_parts(name)
    if len(parts) < 2:
        return None
    style = rng.choice(("last_first", "comma", "shuffle"))
    if style == "last_first":
        out = [parts[-1], *parts[:-1]]
    elif style == "comma":
        return f"{parts[-1]}, {' '.join(parts[:-1])}"
    else:
        out = parts[:]
        while out == parts:
            rng.shuffle(out)
    return " ".join(out)


def drop_middle(name: str, rng: random.Random) -> str | None:
    parts = name_parts(name)
    if len(parts) < 3:
        return None
    middle = list(range(1, len(parts) - 1))
    drop = set(rng.sample(middle, rng.randint(1, len(middle))))
    return " ".join(p for i, p in enumerate(parts) if i not in drop)


def initials(name: str, rng: random.Random) -> str | None:
    """'AIMAN MUHAMMED RABI AL-ZAWAHIRI' -> 'A. M. al-Zawahiri' and the like."""
    parts = name_parts(name)
    if len(parts) < 2:
        return None
    given = parts[:-1][: rng.randint(1, min(2, len(parts) - 1))]
    letters = [p[0].upper() for p in given]
    sep = rng.choice((". ", ".", " "))
    head = sep.join(letters) + ("." if sep.startswith(".") else "")
    last = parts[-1]
    if last.isupper() and rng.random() < 0.6:
        last = "-".join(
            w.lower() if w.lower() in _ARTICLES else w.capitalize() for w in last.split("-")
        )
        last = " ".join(w.lower() if w.lower() in PARTICLES else w for w in last.split())
    return f"{head} {last}"


# --------------------------------------------------------------------------- the hard set


@dataclass(frozen=True, slots=True)
class HardQuery:
    """One derived query: a variant of a listed name with the entity it must find."""

    id: str
    category: str
    schema: str
    name: str
    expected: str
    source_name: str

    def record(self) -> dict[str, str]:
        return {"id": self.id, "name": self.name, "schema": self.schema}


_ARABIC_LOOSE = str.maketrans({"ة": "ه", "ى": "ي", "ی": "ي", "ک": "ك", "ـ": None})


def loose_tokens(text: str) -> tuple[set[str], set[str]]:
    """The words of a name reduced to what survives any spelling (consonant skeletons for
    Latin, bare letters for Arabic script: no hamza seats, taa marbuta or article), without
    particles; and its initials (one-letter Latin words) apart."""
    words: set[str] = set()
    initials: set[str] = set()
    for token in normalize(text).split():
        if token in PARTICLES or token in _ARTICLES:
            continue
        if is_arabic(token):
            token = token.translate(_ARABIC_LOOSE)
            words.add(token[2:] if token.startswith("ال") and len(token) > 4 else token)
        elif len(token) == 1:
            initials.add(token)
        else:
            words.add(_skeleton(token))
    return words, initials


class _Context:
    """Indexes over the list for rejecting variants another entity could claim as well."""

    def __init__(self, entities: Sequence[Entity]) -> None:
        self.entities = list(entities)
        self.by_name: dict[str, set[str]] = defaultdict(set)
        self._names: list[tuple[str, frozenset[str]]] = []
        self._postings: dict[str, set[int]] = defaultdict(set)
        for entity in self.entities:
            for _, value in entity.names():
                key = normalize(value.value)
                if not key:
                    continue
                self.by_name[key].add(entity.id)
                letters = frozenset(t[0] for t in key.split())
                index = len(self._names)
                self._names.append((entity.id, letters))
                for token in loose_tokens(value.value)[0]:
                    self._postings[token].add(index)
        #: entities that share a name with another entity (duplicate listings): never sources
        self.shared = {i for ids in self.by_name.values() if len(ids) > 1 for i in ids}

    def own_name(self, entity: Entity, text: str) -> bool:
        return entity.id in self.by_name.get(normalize(text), set())

    def ambiguous(self, entity: Entity, text: str) -> bool:
        """True when another entity has a name holding every word of ``text`` (loosely, in
        any order) and a word for each of its initials: then there is no single right answer."""
        words, initials = loose_tokens(text)
        if not words:
            return True
        candidates: set[int] | None = None
        for word in words:
            posting = self._postings.get(word, set())
            candidates = set(posting) if candidates is None else candidates & posting
            if not candidates:
                return False
        return any(
            self._names[i][0] != entity.id and initials <= self._names[i][1]
            for i in candidates or ()
        )

    def usable(self, entity: Entity, text: str | None, *sources: str) -> bool:
        """A variant worth asking: new (not one of the entity's own names) and unambiguous,
        for itself and for the listed names it was made from."""
        if not text or self.own_name(entity, text):
            return False
        return not any(self.ambiguous(entity, t) for t in (text, *sources))


def _arabic_origin(entity: Entity, name: str) -> bool:
    """A Latin name that renders an Arabic-script one (what the press transliterates)."""
    if not entity.ref.startswith(ARABIC_PROGRAMMES):
        return False
    tokens = normalize(_PARENS.sub(" ", name)).split()
    if any(t in ENGLISH_WORDS or t in _FRENCH_WORDS for t in tokens):
        return False
    if entity.schema.name == "Person":
        return True
    return any(t in _ARTICLES or t in _ARABIC_ORG_WORDS for t in tokens)


Variant = tuple[str, str]  # (listed source name, variant)
Maker = Callable[[Entity, random.Random, _Context], Variant | None]


def _make_typo(edits: int, min_letters: int) -> Maker:
    def make(entity: Entity, rng: random.Random, ctx: _Context) -> Variant | None:
        name = primary_name(entity)
        if not name or sum(ch.isalpha() for ch in name) < min_letters:
            return None
        out = typo(name, edits, rng)
        return (name, out) if out and ctx.usable(entity, out) else None

    return make


def _person_only(build: Callable[[str, random.Random], str | None]) -> Maker:
    def make(entity: Entity, rng: random.Random, ctx: _Context) -> Variant | None:
        if entity.schema.name != "Person":
            return None
        name = primary_name(entity)
        if not name:
            return None
        out = build(name, rng)
        return (name, out) if out and ctx.usable(entity, out) else None

    return make


def _make_arabic_original(entity: Entity, rng: random.Random, ctx: _Context) -> Variant | None:
    originals = [n for n in arabic_originals(entity) if not ctx.ambiguous(entity, n)]
    if not originals:
        return None
    name = rng.choice(originals)
    return (name, name)


def _make_arabic_variant(entity: Entity, rng: random.Random, ctx: _Context) -> Variant | None:
    originals = arabic_originals(entity)
    if not originals:
        return None
    name = rng.choice(originals)
    out = arabic_variant(name, rng, person=entity.schema.name == "Person")
    return (name, out) if out != name and ctx.usable(entity, out, name) else None


def _arabic_source(entity: Entity, rng: random.Random) -> str | None:
    primary = primary_name(entity)
    if primary and _arabic_origin(entity, primary):
        return _PARENS.sub(" ", primary).strip()
    others = [n for n in latin_names(entity) if _arabic_origin(entity, n)]
    return _PARENS.sub(" ", rng.choice(others)).strip() if others else None


def _make_cyrillic(entity: Entity, rng: random.Random, ctx: _Context) -> Variant | None:
    name = _arabic_source(entity, rng)
    if not name:
        return None
    out = to_cyrillic(name, rng)
    if not out or ctx.own_name(entity, out) or ctx.ambiguous(entity, name):
        return None
    return (name, out)


def _make_russian_latin(entity: Entity, rng: random.Random, ctx: _Context) -> Variant | None:
    name = _arabic_source(entity, rng)
    if not name:
        return None
    out = russian_latin(to_cyrillic(name, rng), rng)
    return (name, out) if ctx.usable(entity, out, name) else None


MAKERS: dict[str, Maker] = {
    "typo_1": _make_typo(1, 6),
    "typo_2": _make_typo(2, 10),
    "swap": _person_only(swap_parts),
    "drop_middle": _person_only(drop_middle),
    "initials": _person_only(initials),
    "arabic_original": _make_arabic_original,
    "arabic_variant": _make_arabic_variant,
    "cyrillic": _make_cyrillic,
    "russian_latin": _make_russian_latin,
}


def hard_set(
    entities: Sequence[Entity], per_category: int = 200, seed: int = SEED
) -> list[HardQuery]:
    """Up to ``per_category`` queries per category, at most one per entity and category.

    Entities that share a name with another entity (duplicate listings) are never sources,
    and a variant another entity could equally claim is discarded, so each query has exactly
    one right answer.
    """
    ctx = _Context(list(entities))
    out: list[HardQuery] = []
    for category in CATEGORIES:
        rng = random.Random(f"{seed}:hard:{category}")
        order = [e for e in ctx.entities if e.id not in ctx.shared]
        rng.shuffle(order)
        made = 0
        for entity in order:
            if made >= per_category:
                break
            variant = MAKERS[category](entity, rng, ctx)
            if variant is None:
                continue
            source, name = variant
            made += 1
            out.append(
                HardQuery(
                    id=f"{category}-{made:04d}",
                    category=category,
                    schema=entity.schema.name,
                    name=name,
                    expected=entity.id,
                    source_name=source,
                )
            )
    return out


# --------------------------------------------------------------------------- pairs

#: Pairs of different Arabic given names that look alike in Latin script (the "Hassan /
#: Hussein" trap), each with the spellings lists use. Written for this benchmark.
CONFUSABLE_NAMES: tuple[tuple[tuple[str, ...], tuple[str, ...]], ...] = (
    (("hassan", "hasan"), ("hussein", "husain", "hussain", "husayn")),
    (("ahmed", "ahmad"), ("hamid", "hamed")),
    (("mohammed", "muhammad", "mohammad", "mohamed", "muhammed"), ("mahmoud", "mahmud")),
    (("ali",), ("alawi", "alwi")),
    (("khalid", "khaled"), ("khalil",)),
    (("saleh", "salih"), ("salem", "salim")),
    (("said", "saeed", "sayed"), ("saad", "sad")),
    (("abdullah", "abdallah"), ("abdulrahman", "abdelrahman", "abdurrahman")),
    (("yusuf", "yousef", "youssef"), ("yunus", "younis", "younes")),
    (("ibrahim",), ("ismail", "ismael")),
    (("hamza", "hamzah"), ("hamdan",)),
    (("nasser", "nasir", "naser"), ("mansour", "mansur")),
    (("karim", "kareem"), ("rahim", "raheem")),
    (("jamal",), ("kamal",)),
    (("faisal", "faysal"), ("fadel", "fadil")),
    (("hakim",), ("hashim", "hashem")),
    (("tariq", "tarek", "tarik"), ("talal",)),
    (("walid", "waleed"), ("khalid", "khaled")),
    (("majid", "majed"), ("rashid", "rashed")),
    (("adel", "adil"), ("adnan",)),
    (("bilal",), ("jalal",)),
    (("amin", "ameen"), ("amir", "ameer")),
    (("nabil", "nabeel"), ("nasir", "nasser")),
    (("omar", "umar"), ("ammar",)),
    (("abdulaziz", "abdelaziz"), ("abdulkarim", "abdelkarim")),
    (("mustafa", "mostafa"), ("murtada", "mortada")),
    (("zaid", "zayd"), ("ziad", "ziyad")),
)
_CONFUSABLE: dict[str, list[str]] = defaultdict(list)
for _left, _right in CONFUSABLE_NAMES:
    for _spelling in _left:
        _CONFUSABLE[_spelling].append(_right[0])
    for _spelling in _right:
        _CONFUSABLE[_spelling].append(_left[0])

#: Generic words organisations share without being the same organisation.
ORG_GENERIC = _words(
    """
    islamic front army brigade brigades battalion movement group organization organisation
    foundation charity society committee jihad ansar jamaat jamaah harakat katibat al mujahideen
    state company network council
    """
)


@dataclass(frozen=True, slots=True)
class Pair:
    """Two names, their schema, and whether they are the same name (a match)."""

    id: str
    name1: str
    name2: str
    schema: str
    match: bool
    category: str


def _substitute(name: str, rng: random.Random) -> str | None:
    tokens = name.split()
    spots = [i for i, t in enumerate(tokens) if normalize(t) in _CONFUSABLE]
    if not spots:
        return None
    i = rng.choice(spots)
    repl = rng.choice(_CONFUSABLE[normalize(tokens[i])])
    tokens[i] = repl.upper() if tokens[i].isupper() else repl.capitalize()
    return " ".join(tokens)


def labelled_pairs(
    entities: Sequence[Entity],
    negatives: Sequence[dict[str, str]],
    size: int = 3000,
    seed: int = SEED,
) -> list[Pair]:
    """``size`` pairs, half matches and half non-matches, each half split over categories.

    Matches: two list names of one entity that are spellings of one name (``is_variant``), a
    person's Latin name and its Arabic original, and the listed name against each generated
    variant kind. Non-matches: different listed persons (and different people in the
    negatives) who share a name part, a listed name with one given name swapped for a
    look-alike different name ("Hassan" -> "Hussein"), different organisations that share
    generic words, and random pairs. Non-match candidates that :func:`is_variant` calls
    spellings of one name are dropped, so labels err on the safe side.
    """
    ctx = _Context(list(entities))
    rng = random.Random(f"{seed}:pairs")
    usable = [e for e in ctx.entities if e.id not in ctx.shared]
    persons = [e for e in usable if e.schema.name == "Person"]
    orgs = [e for e in usable if e.schema.name == "Organization"]
    half = size // 2
    matches: dict[str, list[tuple[str, str, str]]] = defaultdict(list)

    # list aliases that are spellings of one name
    for entity in usable:
        names = latin_names(entity)
        variants = [(a, b) for a, b in combinations(names, 2) if normalize(a) != normalize(b)]
        variants = [(a, b) for a, b in variants if is_variant(a, b)]
        for a, b in rng.sample(variants, min(2, len(variants))):
            matches["alias_spelling"].append((a, b, entity.schema.name))
    for entity in persons:
        primary = primary_name(entity)
        for original in arabic_originals(entity)[:1]:
            if primary:
                matches["cross_script"].append((primary, original, "Person"))
    generated = ("typo_1", "typo_2", "swap", "drop_middle", "initials", "cyrillic", "russian_latin")
    for category in generated:
        grng = random.Random(f"{seed}:pairs:{category}")
        for entity in usable:
            made = MAKERS[category](entity, grng, ctx)
            if made:
                matches[f"gen_{category}"].append((*made, entity.schema.name))

    non: dict[str, list[tuple[str, str, str]]] = defaultdict(list)

    def different(a: Entity, b: Entity, na: str, nb: str) -> bool:
        if a.id == b.id or normalize(na) == normalize(nb):
            return False
        names_a = {normalize(v.value) for _, v in a.names()}
        if any(normalize(v.value) in names_a for _, v in b.names()):
            return False
        return not is_variant(na, nb)

    by_token: dict[str, list[tuple[Entity, str]]] = defaultdict(list)
    for entity in persons:
        name = primary_name(entity)
        if name:
            for token in sorted(set(_significant(name))):
                by_token[token].append((entity, name))
    for group in by_token.values():
        if len(group) < 2:
            continue
        for _ in range(min(3, len(group) // 2)):
            (a, na), (b, nb) = rng.sample(group, 2)
            if different(a, b, na, nb):
                non["shared_part_listed"].append((na, nb, "Person"))
    neg_by_token: dict[str, list[str]] = defaultdict(list)
    for row in negatives:
        name = row.get("full_name") or ""
        if is_latin(name):
            first, last = row.get("first_name", ""), row.get("last_name", "")
            for token in sorted({normalize(first), normalize(last)}):
                if token:
                    neg_by_token[token].append(name)
    for group in neg_by_token.values():
        if len(group) >= 2 and rng.random() < 0.3:
            na, nb = rng.sample(group, 2)
            if normalize(na) != normalize(nb) and not is_variant(na, nb):
                non["shared_part_people"].append((na, nb, "Person"))
    for entity in persons:
        for name in latin_names(entity)[:2]:
            out = _substitute(name, rng)
            if out and normalize(out) not in ctx.by_name:
                non["lookalike_name"].append((name, out, "Person"))
    org_by_word: dict[str, list[tuple[Entity, str]]] = defaultdict(list)
    for entity in orgs:
        for name in latin_names(entity):
            for token in sorted(set(normalize(name).split()) & ORG_GENERIC):
                org_by_word[token].append((entity, name))
    for group in org_by_word.values():
        for _ in range(min(40, len(group))):
            (a, na), (b, nb) = rng.sample(group, 2)
            if different(a, b, na, nb):
                non["shared_word_org"].append((na, nb, "Organization"))
    latin_people = [r["full_name"] for r in negatives if is_latin(r.get("full_name", ""))]
    for _ in range(half * 2):
        pool = rng.choice((persons, persons, orgs))
        a, b = rng.sample(pool, 2)
        na, nb = primary_name(a), primary_name(b)
        if na and nb and different(a, b, na, nb):
            non["random"].append((na, nb, a.schema.name))
        person = rng.choice(persons)
        pn = primary_name(person)
        if pn and latin_people:
            other = rng.choice(latin_people)
            if not is_variant(pn, other):
                non["random"].append((pn, other, "Person"))

    out: list[Pair] = []
    for label, pools in ((True, matches), (False, non)):
        chosen = _balanced_take(pools, half, rng)
        for category, (a, b, schema) in chosen:
            out.append(Pair(f"p{len(out) + 1:05d}", a, b, schema, label, category))
    return out


def _balanced_take(
    pools: dict[str, list[tuple[str, str, str]]], total: int, rng: random.Random
) -> list[tuple[str, tuple[str, str, str]]]:
    """``total`` items spread as evenly as the pools allow (deduplicated, shuffled)."""
    cleaned: dict[str, list[tuple[str, str, str]]] = {}
    seen: set[tuple[str, str]] = set()
    for category in sorted(pools):
        items = []
        for a, b, schema in pools[category]:
            na, nb = normalize(a), normalize(b)
            key = (min(na, nb), max(na, nb))
            if key in seen or na == nb:
                continue
            seen.add(key)
            items.append((a, b, schema))
        rng.shuffle(items)
        cleaned[category] = items
    taken: dict[str, int] = dict.fromkeys(cleaned, 0)
    remaining = total
    while remaining > 0:
        open_ = [c for c in cleaned if taken[c] < len(cleaned[c])]
        if not open_:
            break
        share = max(1, remaining // len(open_))
        for category in open_:
            take = min(share, len(cleaned[category]) - taken[category], remaining)
            taken[category] += take
            remaining -= take
            if remaining == 0:
                break
    out = [(c, item) for c in cleaned for item in cleaned[c][: taken[c]]]
    rng.shuffle(out)
    return out


# --------------------------------------------------------------------------- synthetic list

Weighted = tuple[list[str], list[float]]


def _weighted(counter: Counter[str]) -> Weighted:
    items = sorted(counter.items(), key=lambda kv: (-kv[1], kv[0]))
    return [k for k, _ in items], list(accumulate(float(v) for _, v in items))


def _draw(pool: Weighted, rng: random.Random) -> str:
    tokens, cum = pool
    return tokens[bisect(cum, rng.random() * cum[-1])]


def _split_person(name: str, last_name: str | None) -> tuple[list[str], list[str], str] | None:
    """(given tokens, family tokens, style) of one Latin person name."""
    if "," in name:
        family, _, given = name.partition(",")
        style = "comma"
    else:
        tokens = name.split()
        n_family = len(last_name.split()) if last_name and name.endswith(last_name) else 1
        given, family = " ".join(tokens[:-n_family]), " ".join(tokens[-n_family:])
        if name.isupper():
            style = "upper"
        elif family.isupper() and not given.isupper():
            style = "given_FAMILY"
        else:
            style = "title"
    g = name_parts(given)
    f = name_parts(family)
    if not f or len(g) > 4 or len(f) > 3:
        return None
    return [t.casefold() for t in g], [t.casefold() for t in f], style


def _script(text: str) -> str:
    """The Unicode script of the first letter ("LATIN", "CJK", "ARABIC", ...)."""
    letter = next((ch for ch in text if ch.isalpha()), "a")
    return unicodedata.name(letter, "LATIN").split()[0]


def _title(token: str) -> str:
    return "-".join(
        p if p in _ARTICLES or p in PARTICLES else p[:1].upper() + p[1:] for p in token.split("-")
    )


@dataclass
class NamePools:
    """Token frequencies and name shapes from real names, for recombination.

    Person names come with equal odds from ``listed`` (UN, OFAC and UK persons) or from the
    negatives (a general population), the latter split by script so that one name never mixes
    scripts; a name's shape (how many given and family parts, casing, "FAMILY, Given") is that
    of a real name of its source. Organisation names keep the shape and
    generic words of a real listed organisation name and replace its distinctive words with
    distinctive words drawn by their frequency across all listed organisation names.
    """

    given: dict[str, dict[str, int]]
    family: dict[str, dict[str, int]]
    shapes: dict[str, list[tuple[int, int, str]]]
    org_shapes: list[list[str]]
    org_words: dict[str, int]
    org_generic: list[str]
    countries: dict[str, int]

    @classmethod
    def build(cls, listed: Iterable[Entity], negatives: Iterable[dict[str, str]]) -> NamePools:
        given: dict[str, Counter[str]] = {"listed": Counter()}
        family: dict[str, Counter[str]] = {"listed": Counter()}
        shapes: dict[str, list[tuple[int, int, str]]] = {"listed": []}
        org_names: list[list[str]] = []
        org_counts: Counter[str] = Counter()
        countries: Counter[str] = Counter()
        for entity in listed:
            for prop in ("nationality", "country"):
                countries.update(v for v in entity.get(prop) if len(v) == 2)
            if entity.schema.name == "Person":
                last = entity.first("lastName")
                for name in latin_names(entity):
                    split = _split_person(name, last)
                    if split:
                        g, f, style = split
                        given["listed"].update(g)
                        family["listed"].update(f)
                        shapes["listed"].append((len(g), len(f), style))
            elif entity.schema.name in ("Organization", "Company", "LegalEntity"):
                for name in latin_names(entity):
                    tokens = name.split()
                    if 1 <= len(tokens) <= 12:
                        org_names.append(tokens)
                        org_counts.update(t.casefold() for t in tokens)
        for row in negatives:
            g = name_parts(row.get("first_name", "") + " " + row.get("middle_name", ""))
            f = name_parts(row.get("last_name", ""))
            if f:
                source = f"people:{_script(row.get('full_name', ''))}"
                given.setdefault(source, Counter()).update(t.casefold() for t in g)
                family.setdefault(source, Counter()).update(t.casefold() for t in f)
                shapes.setdefault(source, []).append((len(g), len(f), "title"))
        generic = {t for t, _ in org_counts.most_common(150)} | ORG_GENERIC | ENGLISH_WORDS
        words = Counter({t: c for t, c in org_counts.items() if t not in generic})
        org_shapes = [
            [t if t.casefold() in generic else ("" if t.isupper() else "_") for t in tokens]
            for tokens in org_names
        ]
        return cls(
            given={k: dict(v) for k, v in given.items()},
            family={k: dict(v) for k, v in family.items()},
            shapes=shapes,
            org_shapes=org_shapes,
            org_words=dict(words),
            org_generic=sorted(generic),
            countries=dict(countries),
        )

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> NamePools:
        data = dict(data)
        data["shapes"] = {k: [tuple(s) for s in v] for k, v in data["shapes"].items()}
        return cls(**data)


def synthetic_entities(
    count: int, pools: NamePools, seed: int = SEED, person_share: float = 0.75
) -> Iterator[Entity]:
    """``count`` fictitious entities on list ``synthetic``, one name each, made lazily.

    About ``person_share`` are persons (half with a birth date, half with a nationality);
    the rest organisations (half with a country).
    """
    rng = random.Random(f"{seed}:synthetic")
    given = {k: _weighted(Counter(v)) for k, v in pools.given.items()}
    family = {k: _weighted(Counter(v)) for k, v in pools.family.items()}
    words = _weighted(Counter(pools.org_words))
    countries = _weighted(Counter(pools.countries))
    people = sorted(s for s in pools.shapes if s != "listed")
    total = sum(len(pools.shapes[s]) for s in people)
    sources = _weighted(Counter({"listed": total, **{s: len(pools.shapes[s]) for s in people}}))
    for number in range(1, count + 1):
        ref = f"S{number:07d}"
        if rng.random() < person_share:
            source = _draw(sources, rng)
            n_given, n_family, style = rng.choice(pools.shapes[source])
            g = [_draw(given[source], rng) for _ in range(n_given)]
            f = [_draw(family[source], rng) for _ in range(n_family)]
            if style == "comma":
                name = f"{' '.join(f).upper()}, {' '.join(_title(t) for t in g)}"
            elif style == "upper":
                name = " ".join(g + f).upper()
            elif style == "given_FAMILY":
                name = " ".join([*(_title(t) for t in g), *(t.upper() for t in f)])
            else:
                name = " ".join(_title(t) for t in g + f)
            entity = Entity.make("synthetic", ref, "Person")
            entity.add("name", name)
            if rng.random() < 0.5:
                year = rng.randint(1940, 2002)
                entity.add(
                    "birthDate",
                    f"{year}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"
                    if rng.random() < 0.5
                    else str(year),
                )
            if rng.random() < 0.5:
                entity.add("nationality", _draw(countries, rng))
        else:
            shape = rng.choice(pools.org_shapes)
            tokens = []
            for slot in shape:
                if slot in ("", "_"):
                    word = _draw(words, rng)
                    tokens.append(word.upper() if slot == "" else _title(word))
                else:
                    tokens.append(slot)
            entity = Entity.make("synthetic", ref, "Organization")
            entity.add("name", " ".join(tokens))
            if rng.random() < 0.5:
                entity.add("country", _draw(countries, rng))
        yield entity


# --------------------------------------------------------------------------- positives etc.


@dataclass(frozen=True, slots=True)
class LabelledQuery:
    """A query record (screen CSV contract keys) with the entity ids that count as a hit."""

    id: str
    record: dict[str, str]
    schema: str
    expected: tuple[str, ...]
    category: str


def positives(
    entities: Sequence[Entity], path: Path = POSITIVES
) -> tuple[list[LabelledQuery], list[str]]:
    """The untreated positives mapped to UN entities by exact case-folded name; returns the
    mapped queries and the names that no list name matches."""
    index: dict[str, set[str]] = defaultdict(set)
    for entity in entities:
        for _, value in entity.names():
            index[value.value.casefold()].add(entity.id)
    mapped: list[LabelledQuery] = []
    unmapped: list[str] = []
    for number, row in enumerate(read_csv(path), start=1):
        ids = index.get(row["full_name"].casefold())
        if not ids:
            unmapped.append(row["full_name"])
            continue
        record = {k: v for k, v in row.items() if v}
        record["id"] = f"pos-{number:04d}"
        record["schema"] = "Person"
        mapped.append(LabelledQuery(record["id"], record, "Person", tuple(sorted(ids)), "positive"))
    return mapped, unmapped


def negatives(path: Path = NEGATIVES) -> list[LabelledQuery]:
    out = []
    for number, row in enumerate(read_csv(path), start=1):
        record = {k: v for k, v in row.items() if v}
        record["id"] = f"neg-{number:05d}"
        record["schema"] = "Person"
        out.append(LabelledQuery(record["id"], record, "Person", (), "negative"))
    return out


def hard_queries(items: Iterable[HardQuery]) -> list[LabelledQuery]:
    return [LabelledQuery(q.id, q.record(), q.schema, (q.expected,), q.category) for q in items]


#: screen-CSV record keys -> FtM properties, for handing the same query to the peer
RECORD_TO_FTM = {
    "name": "name",
    "full_name": "name",
    "first_name": "firstName",
    "middle_name": "middleName",
    "last_name": "lastName",
    "birth_date": "birthDate",
    "date_of_birth": "birthDate",
    "nationality": "nationality",
    "country": "country",
    "gender": "gender",
    "id_number": "idNumber",
    "place_of_birth": "birthPlace",
}


def record_to_ftm(query: LabelledQuery) -> dict[str, Any]:
    props: dict[str, list[str]] = defaultdict(list)
    for key, value in query.record.items():
        prop = RECORD_TO_FTM.get(key)
        if prop and value:
            props[prop].append(value)
    return {"id": query.id, "schema": query.schema, "properties": dict(props)}


def write_jsonl(path: Path, rows: Iterable[dict[str, Any]]) -> int:
    path.parent.mkdir(parents=True, exist_ok=True)
    count = 0
    with open(path, "w", encoding="utf-8") as fh:
        for row in rows:
            fh.write(json.dumps(row, ensure_ascii=False, sort_keys=True) + "\n")
            count += 1
    return count


def read_jsonl(path: Path) -> list[dict[str, Any]]:
    with open(path, encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]
