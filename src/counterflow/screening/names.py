"""Names taken apart into tokens that compare across scripts, spellings and name customs.

A name is split into words, each transliterated (Arabic by counterflow's table, other scripts by
anyascii) and classified:

- articles (al-, el-, ul-, and the sun-letter forms an-, ar-, ash-, at-, …) are dropped: "an-Nusra"
  and "al-Nusrah" are the same word;
- particles are canonical and weigh little: bin / ibn / ben / ould → bin, abu / abou → abu,
  abd / abdul / abdel / abdur → abd (and "Abdulrahman" is split into abd + rahman);
- honorifics and titles (Sheikh, Mullah, Hajji, Maulavi, Dr, …) are dropped from person names;
- legal forms, abbreviated or written out in any language of ``tables/legal_forms.csv`` (Ltd,
  L.L.C., Gesellschaft mit beschränkter Haftung, OAO, …), and connecting words (and, &) are
  dropped from organisation names, and generic words (Front, Organization, Foundation,
  Islamic, of, the, …) weigh little;
- numbers, in digits or Roman numerals, are ``NUMBER`` tokens: they tell one of a series from
  another (Fund III, Trust 2004-1);
- Korean and Chinese syllables take one romanisation (``tables/romanisation.csv``), and words
  in Han or Hangul are romanised syllable by syllable and flagged ``syllabic``.

Every token keeps its phonetic form (see :mod:`.phonetic`) and consonant skeleton; tokens from
scripts without short vowels are flagged ``abjad`` and compared by skeleton.

Every name, listed or queried, is cleaned by :func:`counterflow.text.clean_name` before it is
split into words, and a word keeps its combining marks: an invisible character or a stray mark
inside a word ("La\u200bden", "d\u0335") never splits it.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from enum import StrEnum
from functools import lru_cache

from anyascii import anyascii

from counterflow.screening.phonetic import phonetic, skeleton, vowel_class
from counterflow.screening.tables import legal_forms, longest_legal_form, romanisation
from counterflow.screening.transliterate import arabic_word, is_abjad
from counterflow.text import WORD, clean_name

#: longest name text analysed; anything longer is cut (hostile or broken input)
MAX_NAME_LENGTH = 300


class Kind(StrEnum):
    NAME = "name"
    PARTICLE = "particle"  # bin, ibn, ould: connects a name to a father's
    PREFIX = "prefix"  # abd, abu, umm: forms a name with the next word (Abu Bakr is not Bakr)
    GENERIC = "generic"
    NUMBER = "number"  # 3, III, 2004: identifies one of a series (Fund III is not Fund IV)


class NameClass(StrEnum):
    """Which customs apply: a person's, an organisation's, or (unknown schema) both."""

    PERSON = "person"
    ORGANIZATION = "organization"
    ANY = "any"


_ARTICLES = {"al", "el", "ul", "il", "l"}
_SUN_ARTICLES = {
    f"{v}{c}": c
    for v in ("a", "e", "u")
    for c in ("n", "r", "s", "sh", "t", "d", "z", "dh", "th", "ts", "dz", "sz")
}
_PARTICLES = {
    "bin": "bin", "ibn": "bin", "ben": "bin", "bn": "bin", "bint": "bin", "binti": "bin",
    "ould": "bin", "uld": "bin", "walad": "bin", "wuld": "bin", "ibnu": "bin",
    "abu": "abu", "abou": "abu", "abo": "abu", "aboo": "abu", "abi": "abu", "bu": "abu",
    "abd": "abd", "abdu": "abd", "abdi": "abd", "abdul": "abd", "abdel": "abd", "abdal": "abd",
    "abdol": "abd", "abdur": "abd", "abdar": "abd", "abdus": "abd", "abdoul": "abd",
    "abdoel": "abd", "abn": "bin", "vld": "bin", "bnt": "bin",
    "umm": "umm", "um": "umm", "oum": "umm", "umm-e": "umm",
}  # fmt: skip
_ABD_PREFIX = re.compile(r"^ab(?:d|del|dul|dal|dol|dur|dar|dus|das|duz|daz|dun|din|dil)(?=.{3})")
_HONORIFICS = {
    "sheikh", "shaikh", "shaykh", "sheik", "shaik", "cheikh", "cheick", "sheykh", "shayk",
    "mullah", "mulla", "molla", "mollah", "mawla", "hajji", "haji", "hajj", "hadji", "hadj",
    "alhaj", "alhajj", "alhaji", "maulavi", "mawlawi", "maulvi", "molvi", "moulvi", "mawlavi",
    "maulawi", "mowlawi", "maulana", "mawlana", "moulana", "dr", "doctor", "qari", "mufti",
    "mr", "mrs", "ms", "miss", "mme", "mlle", "sir", "prof", "professor", "eng", "engineer",
    "gen", "general", "col", "colonel", "capt", "captain", "lt", "brig", "sgt", "sayyidi",
}  # fmt: skip
#: words that join the parts of an organisation's name and say nothing about it
_ORG_CONNECTORS = {"and", "und", "et", "y", "n"}
#: Roman numerals read as numbers: never the first word of a name, and the ones that are also
#: names or initials (I, V, X, Vi, Xi, Li) only at the end of an organisation's name
_ROMAN = {
    "ii": 2, "iii": 3, "iv": 4, "vii": 7, "viii": 8, "ix": 9, "xii": 12, "xiii": 13,
    "xiv": 14, "xv": 15, "xvi": 16, "xvii": 17, "xviii": 18, "xix": 19, "xx": 20,
}  # fmt: skip
_ROMAN_ORG_END = {"i": 1, "v": 5, "vi": 6, "x": 10, "xi": 11}
#: a dotted abbreviation: L.L.C., S.A.R.L., G.m.b.H., S.a. (joined into one word before lookup)
_DOTTED = re.compile(r"(?<![^\W\d_])(?:[^\W\d_]{1,2}\.){1,}[^\W\d_]{1,2}(?![^\W\d_])\.?")
_GENERIC = {
    "the", "of", "for", "and", "in", "on", "at", "to", "de", "du", "des", "la", "le", "les",
    "wa", "fi", "front", "organization", "organisation", "organizations", "group", "foundation",
    "association", "society", "network", "movement", "party", "army", "brigade", "brigades",
    "battalion", "committee", "council", "union", "international", "trading", "trade",
    "national", "islamic", "company", "bank", "center", "centre", "institute", "charity",
    "charitable", "relief", "services", "service", "industries", "industrial", "enterprise",
    "enterprises", "holding", "holdings", "shipping", "establishment", "agency", "office",
    "general", "fund", "trust", "global", "world", "state", "republic", "people", "peoples",
}  # fmt: skip
#: a romanised Korean or Chinese given name written in hyphenated syllables (Yu-ro, Jong-un)
#: is one name: joined, it compares as a unit
#: (Latin letters, accented ones too: an accent must not change how a name is cut up)
_LATIN = "A-Za-z\u00c0-\u00d6\u00d8-\u00f6\u00f8-\u024f\u1e00-\u1eff"
_SYLLABLES = re.compile(rf"\b([{_LATIN}]{{2,4}})-([{_LATIN}]{{2,4}})\b")
_INVERTED = re.compile(r"^([^,]+),\s*([^,]+)$")
_ABD_ABJAD = re.compile(r"^abd(?=.{3})")
_ABU_PREFIX = re.compile(r"^ab(?:u|ou|oo)(?=[^aeiou].{2})")
#: an article left at the front of a compound's second part: al-, el-, ul-, or assimilated
#: to a sun letter (Abderrahmane = Abd er-Rahmane)
_ASSIMILATED = re.compile(r"^(?:[aeu]l(?=.{2})|[aeu]([^aeiouy])(?=\1.{2}))")
_ALLAH = {"allah", "ullah", "ulla", "alla", "illah", "ollah", "olla", "lah"}
_SUFFIXES = (
    (re.compile(r"(?:ullah|ulla|allah|alla|illah|ollah|olla)$"), "allah"),
    (
        re.compile(r"(?:uddin|uddine|eddine|eddin|addin|oddin|uldin|aldin|eldin|uddeen|eddeen)$"),
        "din",
    ),
    (re.compile(r"(?:urrahman|errahman|arrahman|ulrahman|alrahman|elrahman)$"), "rahman"),
    (re.compile(r"(?:dzh|dj|j)an$"), "jan"),
)
#: Persian and Urdu ezafe and connectors ("Jaish-e-Mohammed", "Lashkar-i-Taiba")
_CONNECTORS = {"e", "i", "o", "y"}
#: a word of transliterated (ASCII) text
_LATIN_WORD = re.compile(r"[A-Za-z0-9]+")
_APOSTROPHES = re.compile(r"[’‘ʼʻ`´'ʾʿ]")


@dataclass(frozen=True, slots=True)
class Token:
    """One word of a name, ready to compare."""

    text: str  # lower-case Latin as written (after transliteration)
    phon: str  # canonical spelling, see .phonetic
    skel: str  # consonant skeleton
    vclass: str  # phonetic form with vowels reduced, see .phonetic.vowel_class
    kind: Kind
    abjad: bool  # from a script without short vowels: compare by skeleton
    initial: bool  # a single Latin letter as written ("A."), not a one-letter transliteration
    #: transliterated from a syllabic script (Han, Hangul, kana, Thai, Khmer, …): short
    #: syllables that only compare equal or not at all
    syllabic: bool = False


@dataclass(frozen=True, slots=True)
class AnalyzedName:
    """A name as published and its comparable tokens (articles, titles, legal forms removed)."""

    original: str
    tokens: tuple[Token, ...]

    @property
    def key(self) -> str:
        """The tokens' phonetic forms joined (abjad ones marked, since they compare and index
        differently): equal keys mean equal names to the matcher."""
        return " ".join(("~" if t.abjad else "") + t.phon for t in self.tokens)


def _join_syllables(match: re.Match[str]) -> str:
    first = match.group(1)
    word = first.lower() if first.isascii() else anyascii(first).lower()
    if word in _ARTICLES or word in _SUN_ARTICLES or word in _PARTICLES or word in _CONNECTORS:
        return match.group(0)
    # Hyok-Chol / Hyok-Cheol: each syllable in its usual spelling (accents gone first, so
    # that "Dáe-Dóng" and "Dae-Dong" are cut and spelled alike)
    table = romanisation()
    a, b = (anyascii(w).lower() for w in (first, match.group(2)))
    return table.get(a, a).capitalize() + table.get(b, b)


_SYLLABIC_SCRIPTS = ("CJK", "HANGUL", "HIRAGANA", "KATAKANA", "THAI", "KHMER", "LAO", "MYANMAR")
_ABUGIDAS = ("THAI", "KHMER", "LAO", "MYANMAR")
_HEBREW = re.compile(r"^[\u0590-\u05ff]")


def _script_of(char: str) -> str:
    name = unicodedata.name(char, "")
    for script in _SYLLABIC_SCRIPTS:
        if name.startswith(script):
            return script
    return ""


def _syllabic_words(raw: str, script: str, alone: bool) -> list[str]:
    """A word of Han or Hangul characters as romanised syllables, a full name cut into family
    name and given name the way it is written in Latin (张建平 -> zhang jianping)."""
    if script not in ("CJK", "HANGUL"):
        return [w.lower() for w in _LATIN_WORD.findall(anyascii(raw))]
    table = romanisation()
    syllables = []
    for char in raw:
        latin = anyascii(char).lower()
        if latin.isalpha():
            syllables.append(table.get(latin, latin))
    if not syllables:
        return []
    count = len(syllables)
    # one character, one syllable; a whole name written together is family name + given name
    cut = {2: 1 if script == "CJK" else 0, 3: 1, 4: 2}.get(count, 0) if alone else 0
    parts = [syllables[:cut], syllables[cut:]] if cut else [syllables]
    return ["".join(p) for p in parts if p]


def _join_dotted(text: str, organisation: bool) -> str:
    """Dotted abbreviations as one word (L.L.C. -> LLC) where they are a legal form or, in an
    organisation's name, an acronym; a person's "A.K." stays two initials."""

    def join(match: re.Match[str]) -> str:
        letters = "".join(ch for ch in match.group(0) if ch != ".")
        if organisation or (letters.lower(),) in legal_forms():
            return letters + " "
        return match.group(0)

    return _DOTTED.sub(join, text)


def _words(text: str, name_class: NameClass) -> list[tuple[str, bool, bool]]:
    """Lower-case Latin words with abjad and syllabic flags; Arabic words keep their article
    split off.

    ``text`` is already cleaned; it is cut only now, so invisible padding cannot push a name
    out of reach."""
    text = _APOSTROPHES.sub("", text[:MAX_NAME_LENGTH])
    if name_class is not NameClass.PERSON and "." in text:
        text = _join_dotted(text, name_class is NameClass.ORGANIZATION)
    text = _SYLLABLES.sub(_join_syllables, text)
    words: list[tuple[str, bool, bool]] = []
    for raw in WORD.findall(text):
        if is_abjad(raw) and not _HEBREW.match(raw):
            latin = arabic_word(raw)
            for part in latin.split("-"):
                if part:
                    words.append((part, True, False))
            continue
        script = "" if raw.isascii() else _script_of(raw[0])
        if script in _ABUGIDAS or _HEBREW.match(raw):
            # scripts whose transliteration loses vowels (Thai, Khmer, Hebrew): a skeleton
            for part in _LATIN_WORD.findall(anyascii(raw).lower()):
                words.append((phonetic(part), True, script in _ABUGIDAS))
            continue
        if script:
            for part in _syllabic_words(raw, script, alone=len(text.split()) == 1):
                words.append((part * 2 if len(part) == 1 else part, False, True))
            continue
        foreign = not raw.isascii()
        for part in _LATIN_WORD.findall(anyascii(raw).lower()):
            # a one-letter word from another script (Korean 이 -> "i") is a name, not an
            # initial: written twice it keeps its phonetic form but loses initial status
            words.append((part * 2 if foreign and len(part) == 1 else part, False, False))
    if name_class is not NameClass.PERSON:
        words = _without_legal_forms(words)
    return words


def _without_legal_forms(words: list[tuple[str, bool, bool]]) -> list[tuple[str, bool, bool]]:
    """The words without legal forms (GmbH, Gesellschaft mit beschränkter Haftung, OAO),
    longest form first; a name that is nothing but a legal form keeps it."""
    forms, longest = legal_forms(), longest_legal_form()
    kept: list[tuple[str, bool, bool]] = []
    i = 0
    while i < len(words):
        for size in range(min(longest, len(words) - i), 0, -1):
            span = words[i : i + size]
            if not any(abjad for _, abjad, _ in span) and tuple(w for w, _, _ in span) in forms:
                following = words[i + size][0] if i + size < len(words) else ""
                sun = _SUN_ARTICLES.get(span[0][0]) if size == 1 else None
                if not (sun and following.startswith(sun)):  # "as-Sahab" is an article
                    i += size
                    break
        else:
            kept.append(words[i])
            i += 1
    return kept if kept else words


def _token(text: str, abjad: bool, kind: Kind, syllabic: bool = False) -> Token:
    if kind is Kind.NUMBER:
        return Token(text, text, text, text, kind, False, False)
    if not abjad and not syllabic and 2 <= len(text) <= 6:
        text = romanisation().get(text, text)  # Choi / Choe, Lee / Ri: one spelling
    phon = text if abjad else phonetic(text)
    initial = len(text) == 1 and not abjad
    return Token(text, phon, skeleton(phon), vowel_class(phon), kind, abjad, initial, syllabic)


def _number(word: str, position: int, last: bool, name_class: NameClass) -> str | None:
    """The number a word stands for (12, XII), or None when it is no number."""
    if word.isdigit():
        return str(int(word)) if len(word) <= 12 else word
    if position == 0:
        return None
    value = _ROMAN.get(word)
    if value is not None and (last or name_class is not NameClass.PERSON):
        return str(value)
    if last and name_class is NameClass.ORGANIZATION and word in _ROMAN_ORG_END:
        return str(_ROMAN_ORG_END[word])
    return None


@lru_cache(maxsize=500_000)
def analyze(name: str, name_class: NameClass = NameClass.ANY) -> AnalyzedName:
    """Take a name apart into comparable tokens (cached: lists repeat names and words)."""
    text = clean_name(name)
    inverted = _INVERTED.match(text)
    # "AL-ZAWAHIRI, Ayman" (family name first, as OFAC writes) reads "Ayman AL-ZAWAHIRI"
    words = _words(f"{inverted.group(2)} {inverted.group(1)}" if inverted else text, name_class)
    tokens: list[Token] = []
    for i, (word, abjad, syllabic) in enumerate(words):
        following = words[i + 1][0] if i + 1 < len(words) else ""
        if syllabic:
            tokens.append(_token(word, abjad, Kind.NAME, syllabic=True))
            continue
        if word in _ARTICLES and following:
            continue
        if word in _CONNECTORS and 0 < i < len(words) - 1 and len(words[i - 1][0]) > 1:
            continue  # an ezafe between two words, not an initial
        if (
            name_class is not NameClass.PERSON
            and word in _ORG_CONNECTORS
            and 0 < i < len(words) - 1
        ):
            continue  # "Trading and Contracting", "Proyectos y Soluciones"
        sun = _SUN_ARTICLES.get(word)
        if sun and following.startswith(sun):
            continue  # "ash Sham", "an Nusra": the article assimilated to a sun letter
        if name_class is not NameClass.ORGANIZATION and word in _HONORIFICS and len(words) > 1:
            continue
        number = None if abjad else _number(word, i, i == len(words) - 1, name_class)
        if number is not None:
            tokens.append(_token(number, False, Kind.NUMBER))
            continue
        if word in _PARTICLES:
            canonical = _PARTICLES[word]
            tokens.append(_token(canonical, abjad, _particle_kind(canonical)))
            continue
        generic = name_class is not NameClass.PERSON and word in _GENERIC
        kind = Kind.GENERIC if generic else Kind.NAME
        tokens.extend(_compound(word, abjad, kind, name_class))
    if not tokens and words:  # a name made only of particles or generic words keeps them
        tokens = [_token(w, a, Kind.NAME, syllabic=y) for w, a, y in words]
    return AnalyzedName(name, tuple(tokens))


def _particle_kind(canonical: str) -> Kind:
    return Kind.PARTICLE if canonical == "bin" else Kind.PREFIX


def _compound(word: str, abjad: bool, kind: Kind, name_class: NameClass) -> list[Token]:
    """One word as one or more tokens: compounds written joined are split the way they are
    written apart (Abdulrahman / Abd al-Rahman, Nurullah / Nur Allah, Hesamuddin / Hesam
    al-Din, Walijan / Wali Jan), and Allah gets one spelling in every script."""
    if abjad and word == "lh":  # الله without its article
        return [_token("allah", False, kind)]
    prefix = _ABD_ABJAD.match(word) if abjad else _ABD_PREFIX.match(word)
    if prefix:  # Abdulrahman, Abdelaziz, Abdullah, عبدالحی: abd + the rest
        rest = _ASSIMILATED.sub("", word[prefix.end() :], count=1)
        return [_token("abd", False, Kind.PREFIX), *_compound(rest, abjad, kind, name_class)]
    abu = None if abjad else _ABU_PREFIX.match(word)
    if abu:  # Abubakar / Abu Bakr
        return [
            _token("abu", False, Kind.PREFIX),
            *_compound(word[abu.end() :], abjad, kind, name_class),
        ]
    if not abjad and name_class is not NameClass.ORGANIZATION:
        for pattern, canonical in _SUFFIXES:
            match = pattern.search(word)
            if match and match.start() >= 3:
                return [
                    *_compound(word[: match.start()], False, kind, name_class),
                    _token(canonical, False, kind),
                ]
    if not abjad and word in _ALLAH:
        return [_token("allah", False, kind)]
    return [_token(word, abjad, kind)]


def name_class_of(schema: str | None) -> NameClass:
    if schema == "Person":
        return NameClass.PERSON
    if schema in ("Organization", "Company", "Vessel", "Airplane"):
        return NameClass.ORGANIZATION
    return NameClass.ANY
