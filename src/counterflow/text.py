"""The one cleaning of names (and other screened values) before anything tokenises them.

Why: a word is a run of letters and digits, so any character that is *not* one splits the
word, and an invisible one does so without anyone seeing it: "La\\u200bden" is two words to a
tokeniser and one to an analyst. Screening, the service and batch files therefore all clean text
here first, the same way on the list side and the query side:

- compatibility forms fold to plain letters (NFKC): fullwidth "Ｏｓａｍａ", mathematical
  "𝐎𝐬𝐚𝐦𝐚", circled "Ⓞ", ligatures, superscripts, Arabic presentation forms, odd spaces;
- format characters and other default-ignorable code points go: zero-width spaces and joiners,
  soft hyphens, bidirectional controls, the byte-order mark, the combining grapheme joiner,
  variation selectors, Hangul fillers, Mongolian variation selectors, tag characters, and also
  the Arabic tatweel (a stretch of the line, no sound), noncharacters and lone surrogates
  (a JSON string can carry "\\ud800");
- control characters go, except that tabs, newlines and other breaks become spaces; every kind
  of Unicode space becomes one plain space;
- combining marks never split a word: :data:`WORD` keeps them inside it. Marks left after
  composition on a Latin, Greek or Cyrillic letter, or on a digit, are decoration (overlays such
  as "d\\u0335", stacked accents, stress marks: every letter those scripts write names with has
  a precomposed form, and transliteration drops the accent anyway) and go; marks on letters of
  other scripts (Devanagari and Thai vowel signs, Arabic harakat) carry sound and stay; a mark
  with no letter before it goes.

This module imports nothing else from counterflow, so any layer can use it.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Iterator

__all__ = ["WORD", "cite", "clean_name", "has_screenable_text"]

# Code points removed outright. Categories Cf (format), Cs (surrogates) and Cc (controls) that
# are not whitespace; Default_Ignorable_Code_Point of Unicode's DerivedCoreProperties (which
# adds U+034F, U+115F/U+1160, U+17B4/U+17B5, U+180B..U+180F, U+3164, U+FE00..U+FE0F, U+FFA0,
# the reserved U+2065, U+FFF0..U+FFF8 and U+E0000..U+E0FFF); noncharacters; the tatweel.
_REMOVED_RANGES: tuple[tuple[int, int], ...] = (
    (0x0000, 0x0008), (0x000E, 0x001B), (0x007F, 0x0084), (0x0086, 0x009F),  # controls
    (0x00AD, 0x00AD),  # soft hyphen
    (0x034F, 0x034F),  # combining grapheme joiner
    (0x0600, 0x0605), (0x061C, 0x061C), (0x0640, 0x0640), (0x06DD, 0x06DD),  # Arabic
    (0x070F, 0x070F), (0x0890, 0x0891), (0x08E2, 0x08E2),
    (0x115F, 0x1160), (0x3164, 0x3164), (0xFFA0, 0xFFA0),  # Hangul fillers
    (0x17B4, 0x17B5),  # Khmer inherent vowels
    (0x180B, 0x180F),  # Mongolian variation selectors and vowel separator
    (0x200B, 0x200F),  # zero-width space, non-joiner, joiner; left-to-right, right-to-left marks
    (0x202A, 0x202E),  # bidirectional embeddings and overrides
    (0x2060, 0x206F),  # word joiner, invisible operators, bidirectional isolates
    (0xD800, 0xDFFF),  # lone surrogates
    (0xFDD0, 0xFDEF),  # noncharacters
    (0xFE00, 0xFE0F),  # variation selectors
    (0xFEFF, 0xFEFF),  # byte-order mark, zero-width no-break space
    (0xFFF0, 0xFFFB),  # reserved; interlinear annotation
    (0x110BD, 0x110BD), (0x110CD, 0x110CD),  # Kaithi number signs
    (0x13430, 0x1343F),  # Egyptian hieroglyph format controls
    (0x1BCA0, 0x1BCA3),  # shorthand format controls
    (0x1D173, 0x1D17A),  # musical symbol format controls
    (0xE0000, 0xE0FFF),  # tags, variation selectors supplement, reserved
    *((plane + 0xFFFE, plane + 0xFFFF) for plane in range(0, 0x110000, 0x10000)),
)  # fmt: skip

# Spacing clones of accents ("¨", "˜", Greek tonos, the kana voicing marks ゛゜, Arabic
# isolated harakat): NFKC would make them a space and a combining mark, which splits the word.
# Their combining mark is used instead, so the accent stays on its letter; the acute "´",
# typed for an apostrophe ("Mu´min"), becomes one (’).
_SPACING_ACCENTS = (
    0x00A8, 0x00AF, 0x00B4, 0x00B8, 0x02D8, 0x02D9, 0x02DA, 0x02DB, 0x02DC, 0x02DD, 0x037A,
    0x0384, 0x0385, 0x1FBD, 0x1FBF, 0x1FC0, 0x1FC1, 0x1FCD, 0x1FCE, 0x1FCF, 0x1FDD, 0x1FDE,
    0x1FDF, 0x1FED, 0x1FEE, 0x1FFD, 0x1FFE, 0x309B, 0x309C, 0xFC5E, 0xFC5F, 0xFC60, 0xFC61,
    0xFC62, 0xFC63, 0xFE70, 0xFE72, 0xFE74, 0xFE76, 0xFE78, 0xFE7A, 0xFE7C, 0xFE7E, 0xFFE3,
)  # fmt: skip

# Arabic presentation forms that NFKC turns into a tatweel and harakat: the tatweel would come
# back after it was removed, so they map straight to their harakat.
_TATWEEL_FORMS = (0xFCF2, 0xFCF3, 0xFCF4, 0xFE71, 0xFE77, 0xFE79, 0xFE7B, 0xFE7D, 0xFE7F)

#: blocks holding no combining mark, skipped when the mark class is built (CJK ideographs,
#: Hangul syllables, surrogates, private use); the tests check this against the whole range
_MARKLESS_BLOCKS = ((0x3400, 0x4DBF), (0x4E00, 0x9FFF), (0xAC00, 0xD7AF), (0xD800, 0xF8FF))
#: marks above this are variation selectors only, which cleaning removes
_MARKS_END = 0x20000


def _escaped(code: int) -> str:
    if code < 0x100:
        return f"\\x{code:02x}"
    return f"\\u{code:04x}" if code < 0x10000 else f"\\U{code:08x}"


def _ranges(codes: Iterable[int]) -> list[tuple[int, int]]:
    """Sorted code points as (first, last) ranges of consecutive ones."""
    ranges: list[tuple[int, int]] = []
    for code in codes:
        if ranges and ranges[-1][1] == code - 1:
            ranges[-1] = (ranges[-1][0], code)
        else:
            ranges.append((code, code))
    return ranges


def _char_class(codes: Iterable[int]) -> str:
    """A regular-expression character class body, escaped, for sorted code points."""
    return "".join(
        _escaped(lo) if lo == hi else f"{_escaped(lo)}-{_escaped(hi)}" for lo, hi in _ranges(codes)
    )


def _mark_codes() -> Iterator[int]:
    """Combining marks (Mn, Mc, Me) below U+20000, from this Python's Unicode data."""
    start = 0x0300
    for skip_lo, skip_hi in (*_MARKLESS_BLOCKS, (_MARKS_END, _MARKS_END)):
        for code, category in enumerate(
            map(unicodedata.category, map(chr, range(start, skip_lo))), start
        ):
            if category[0] == "M":
                yield code
        start = skip_hi + 1


_TABLE: dict[int, str | None] = {
    code: None for lo, hi in _REMOVED_RANGES for code in range(lo, hi + 1)
}
_TABLE.update({c: unicodedata.normalize("NFKC", chr(c)).lstrip(" ") for c in _SPACING_ACCENTS})
_TABLE[0x00B4] = "\u2019"
_TABLE.update(
    {c: unicodedata.normalize("NFKC", chr(c)).replace("\u0640", "") for c in _TATWEEL_FORMS}
)
#: a character the table removes or replaces (rare: most names have none)
_SPECIAL = re.compile(f"[{_char_class(sorted(_TABLE))}]")
_MARKS = _char_class(_mark_codes())
_MARK = re.compile(f"[{_MARKS}]")
#: a run of marks and the character it follows (none at the start of the text)
_MARK_RUN = re.compile(f"([^{_MARKS}]?)([{_MARKS}]+)")
#: ASCII control characters that are not whitespace
_ASCII_CONTROLS = {code: None for code in (*range(0x00, 0x09), *range(0x0E, 0x1C), 0x7F)}
_DECORATED_SCRIPTS = ("LATIN ", "GREEK ", "CYRILLIC ")

#: a word: a letter or digit, then letters, digits and the combining marks attached to them
WORD = re.compile(f"[^\\W_](?:[^\\W_]|[{_MARKS}])*")


def _marks_kept_or_dropped(match: re.Match[str]) -> str:
    """Keep marks on a letter of a script they carry sound in; drop them anywhere else."""
    base = match.group(1)
    if (
        base
        and unicodedata.category(base)[0] == "L"
        and not unicodedata.name(base, "").startswith(_DECORATED_SCRIPTS)
    ):
        return match.group(0)  # a vowel sign, a virama, a haraka: part of the word
    return base  # decoration on Latin, Greek, Cyrillic or a digit, or a mark on nothing


def clean_name(text: str) -> str:
    """``text`` as screening compares it: compatibility forms folded (NFKC), invisible and
    control characters removed, marks kept only where they carry sound, spaces collapsed.

    Idempotent. Cheap on plain ASCII, which most names are.
    """
    if text.isascii():
        if not text.isprintable():
            text = text.translate(_ASCII_CONTROLS)
        return " ".join(text.split())
    if _SPECIAL.search(text):
        text = text.translate(_TABLE)
    text = unicodedata.normalize("NFKC", text)
    if _MARK.search(text):
        text = _MARK_RUN.sub(_marks_kept_or_dropped, text)
    return " ".join(text.split())


def has_screenable_text(text: str) -> bool:
    """True when ``text``, cleaned, has a letter or a digit of any script to screen on.

    Modifier letters alone (ʿ, ʼ, ー) do not count: they change a letter, they are not one.
    """
    for ch in clean_name(text):
        if ch.isalnum() and (ch.isascii() or unicodedata.category(ch) != "Lm"):
            return True
    return False


#: most characters of an input quoted in a message
CITE_LIMIT = 60


def cite(text: str, limit: int = CITE_LIMIT) -> str:
    """``text`` quoted for an error message: at most ``limit`` characters of it, with every
    invisible, control or combining character escaped (\\u200b), so the message shows what was
    wrong without passing hostile input on."""
    shown = text[:limit]
    out = []
    for ch in shown:
        code = ord(ch)
        if ch in "'\\":
            out.append("\\" + ch)
        elif (
            (not ch.isprintable() and ch != " ")
            or (code in _TABLE and _TABLE[code] is None)
            or unicodedata.category(ch)[0] == "M"
        ):
            out.append(_escaped(code))
        else:
            out.append(ch)
    return "'" + "".join(out) + ("…'" if len(text) > limit else "'")
