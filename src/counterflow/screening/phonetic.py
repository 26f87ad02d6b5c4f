"""Phonetic forms of Latin name tokens: one spelling for the many renderings of one sound.

Names of Arabic, Persian, Pashto and Chechen origin reach Latin through English, French,
German and Russian conventions: Muhammad, Mohammed, Mokhammed, Mouhamad; Jabhat, Djebhat,
Dzhebkhat; Qaida, Kaida. :func:`phonetic` maps each token to a canonical spelling (dzh/dj/zh → j,
kh → h, q → k, sh/ch → x, w → v, ou/oo → u, o → u, e → a, y → i, doubled letters once, a final
h after a vowel dropped), so those variants become equal. :func:`skeleton` keeps only the
consonants that carry a word in scripts without short vowels: it is what an Arabic-script word
can be compared on, and a key the candidate index uses to find spelling variants.
"""

from __future__ import annotations

import re
from functools import lru_cache

# order matters: longer patterns first, and x (from "sh") only after the original x is gone
_RULES: tuple[tuple[str, str], ...] = (
    ("x", "ks"),
    ("dzh", "j"),
    ("dsh", "j"),
    ("tch", "x"),
    ("sch", "x"),
    ("dj", "j"),
    ("zh", "j"),
    ("kh", "h"),
    ("gh", "g"),
    ("ph", "f"),
    ("th", "t"),
    ("dh", "d"),
    ("sh", "x"),
    ("ch", "x"),
    ("ck", "k"),
    ("q", "k"),
    ("c", "k"),
    ("w", "v"),
    ("ou", "u"),
    ("oo", "u"),
    ("ee", "i"),
    ("ei", "ai"),
    ("ey", "ai"),
    ("ay", "ai"),
    ("y", "i"),
    ("o", "u"),
    ("e", "a"),
)
_DOUBLES = re.compile(r"(.)\1+")
#: the French mute e of Maghreb spellings (Abderrahmane, Slimane, Othmane)
_MUTE_E = re.compile(r"(?<=[bdfgklmnprstvz])e$")
_FINAL_H = re.compile(r"(?<=[aiu])h$")
_PINYIN_X = re.compile(r"^x[aeiouy]")
_SKELETON_DROP = re.compile(r"[aiuv]")


@lru_cache(maxsize=200_000)
def phonetic(token: str) -> str:
    """The canonical spelling of one lower-case ASCII token ("mokhammed" -> "muhamad")."""
    out = _MUTE_E.sub("", token) if len(token) >= 5 else token
    if _PINYIN_X.match(out):
        out = "sh" + out[1:]  # pinyin x before a vowel is a hushing s: Xi / Shi, Xu / Shu
    for pattern, replacement in _RULES:
        if pattern in out:
            out = out.replace(pattern, replacement)
    out = _DOUBLES.sub(r"\1", out)
    return _FINAL_H.sub("", out) or out


@lru_cache(maxsize=200_000)
def skeleton(phonetic_form: str) -> str:
    """The consonant skeleton of a phonetic form ("muhamad" -> "mhmd", "usama" -> "asm").

    Vowels and w/v go (Arabic script writes no short vowels, and و is w, v, u or ou); an
    opening vowel stays as "a", so Ahmad and Hamid, Usama and Sami keep apart. A final "-at"
    loses its t: the Arabic ta marbuta is written -a, -ah or -at (Jabha, Jabhat).
    """
    form = phonetic_form
    if len(form) > 3 and form.endswith("at"):
        form = form[:-1]
    opening = "a" if form[:1] in ("a", "i", "u") else ""
    consonants = _DOUBLES.sub(r"\1", _SKELETON_DROP.sub("", form))
    if len(consonants) > 2 and form.endswith("h"):
        consonants = consonants[:-1]  # Saleh / صالح: Latin spellings often lose the final h
    return opening + consonants


_BROAD = str.maketrans({"d": "t", "z": "t", "s": "t", "p": "b", "g": "k"})


def broad(skeleton_form: str) -> str:
    """A skeleton with the consonants that languages render differently merged: Arabic ض is d
    in Arabic names and z in Persian and Urdu ones (Fadl, Faiz), ث is th or s (Uthman, Usman),
    ب and پ, ك and گ."""
    return skeleton_form.translate(_BROAD)


_VOWEL_RUN = re.compile(r"[aiu]+")
_FINAL_VOWELS = re.compile(r"[aiu]+$")


@lru_cache(maxsize=200_000)
def vowel_class(phonetic_form: str) -> str:
    """The phonetic form with each vowel run reduced to "a", or "ai" for a diphthong.

    Arabic short vowels reach Latin as a, e or i almost at will (Khaled / Khalid, Zahed / Zahid,
    Adel / Adil), so forms equal here are spellings of one name. The diphthong stays apart:
    Husain / Hussein is not Hasan, and a final vowel stays as it is: Maria is not Mario.
    """
    final = _FINAL_VOWELS.search(phonetic_form)
    body = phonetic_form[: final.start()] if final else phonetic_form
    reduced = _VOWEL_RUN.sub(lambda m: "ai" if "ai" in m.group(0) else "a", body)
    return reduced + (final.group(0) if final else "")
