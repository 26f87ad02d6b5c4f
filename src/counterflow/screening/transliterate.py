"""Any script to Latin, with name-aware rules for Arabic and Persian.

General scripts (Cyrillic, Greek, accents on Latin, CJK, …) go through ``anyascii`` (ISC
licence, maintained). Arabic-script names get counterflow's own table first, because a generic
transliterator renders ``الشام`` as "lshm": it drops the alif and glues the article to the word,
so "ash-Sham" and "al-Sham" would never meet it. Here the article is split off (``al-``), long
vowels become vowels (ا a, و u, ي i between consonants) and the letters take the spelling of
counterflow's phonetic alphabet (خ h, ش x, ق k; ع and ء dropped), so "جبهة النصرة" reads
"jbha al-nsra".
Short vowels are not written in Arabic script, so such words carry only a consonant skeleton;
:func:`is_abjad` tells the matcher to compare them by skeleton.
"""

from __future__ import annotations

import re
import unicodedata

from anyascii import anyascii

# letters map straight to the phonetic alphabet of .phonetic (sh -> x, kh -> h, q -> k, …), so
# that Arabic words never form false digraphs such as t + h read as "th"
_ARABIC_LETTERS = {
    "ا": "a", "أ": "a", "إ": "i", "آ": "a", "ٱ": "a", "ء": "", "ؤ": "", "ئ": "",
    "ب": "b", "ت": "t", "ث": "t", "ج": "j", "ح": "h", "خ": "h", "د": "d", "ذ": "d",
    "ر": "r", "ز": "z", "س": "s", "ش": "x", "ص": "s", "ض": "d", "ط": "t", "ظ": "z",
    "ع": "", "غ": "g", "ف": "f", "ق": "k", "ك": "k", "ل": "l", "م": "m", "ن": "n",
    "ه": "h", "ة": "a", "ى": "a", "پ": "p", "چ": "x", "ژ": "j", "گ": "g", "ک": "k",
    "ی": "y", "ۀ": "a", "ھ": "h", "ہ": "h", "ے": "e", "ٹ": "t", "ڈ": "d", "ڑ": "r",
    "َ": "a", "ُ": "u", "ِ": "i", "ً": "an", "ٌ": "un", "ٍ": "in", "ْ": "", "ّ": "",
    "ـ": "", "٠": "0", "١": "1", "٢": "2", "٣": "3", "٤": "4", "٥": "5", "٦": "6",
    "٧": "7", "٨": "8", "٩": "9", "\u0670": "a",  # superscript alef: a long a (رحمٰن)
}  # fmt: skip
_VOWEL_CARRIERS = {"و": "u", "ي": "i", "ی": "i"}
_CONSONANT_CARRIERS = {"و": "v", "ي": "i", "ی": "i"}
_ARABIC_WORD = re.compile(r"[\u0600-\u06ff\u0750-\u077f\ufb50-\ufdff\ufe70-\ufeff]+")
_ABJAD_RANGES = ((0x0590, 0x05FF), (0x0600, 0x06FF), (0x0750, 0x077F), (0xFB50, 0xFDFF),
                 (0xFE70, 0xFEFF))  # fmt: skip


def is_abjad(text: str) -> bool:
    """True when the text is written in a script without short vowels (Arabic, Persian, Hebrew)."""
    return any(lo <= ord(ch) <= hi for ch in text for lo, hi in _ABJAD_RANGES)


def arabic_word(word: str) -> str:
    """One Arabic-script word in the phonetic alphabet, its article split off as "al-"."""
    # NFKC folds presentation forms (U+FBxx, U+FExx) into the base letters first; marks that
    # are no letter (Quranic signs, a stray overlay) go before the letters are read, so that
    # they neither stay in the word nor hide the letter before a carrier (ای◌́وب is Ayub)
    word = unicodedata.normalize("NFKC", word)
    if not word.isascii():
        word = "".join(
            ch for ch in word if ch in _ARABIC_LETTERS or unicodedata.category(ch)[0] != "M"
        )
    article = ""
    if word.startswith("ال") and len(word) > 3:
        article, word = "al-", word[2:]
    out = []
    for i, ch in enumerate(word):
        if ch in _VOWEL_CARRIERS:
            # waw and ya are consonants at the start of a word or next to a vowel letter
            prev_vowel = i > 0 and word[i - 1] in "اأإآوىيی"
            out.append(_CONSONANT_CARRIERS[ch] if i == 0 or prev_vowel else _VOWEL_CARRIERS[ch])
        elif ch == "ع" and i == 0:
            out.append("a")  # Ali, Omar, Abbas: a name opening with ayn opens with a vowel
        else:
            out.append(_ARABIC_LETTERS.get(ch, ch))
    return article + "".join(out)


def to_latin(text: str) -> str:
    """Latin letters for any script; Arabic-script words by counterflow's name table."""
    if is_abjad(text):
        text = _ARABIC_WORD.sub(lambda m: arabic_word(m.group(0)), text)
    return anyascii(text)
