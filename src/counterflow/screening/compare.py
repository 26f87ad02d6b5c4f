"""How alike two names are, token by token, and why.

Tokens are aligned one to one, best pairs first. A pair's similarity is 1 for equal phonetic
forms; Jaro-Winkler on phonetic forms for Latin tokens (typos, vowel changes); the consonant
skeleton for tokens from scripts without short vowels; a matching initial for "A." against
"Aiman". The name score weighs every token by how rare it is (a shared "Muhammad" says little, a
shared "Zawahiri" a lot) and by its kind (particles and generic words weigh little):

    score = Σ matched credit(similarity)·w / (Σ matched w + α Σ unmatched query w
                                              + β Σ unmatched list w)

A query word with no counterpart counts against the match almost fully (α = 0.9). A list name's
extra words count less, because lists carry fuller names than queries do: a middle word (a
father's or grandfather's name) β = 0.2, its first or last word β = 0.5. Two different
established names aligned in one place (Hassan / Hussein) count against the match with more
than their weight.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass, replace

from rapidfuzz.distance import OSA, Indel, JaroWinkler, Levenshtein

from counterflow.screening.names import AnalyzedName, Kind, Token
from counterflow.screening.phonetic import broad, phonetic
from counterflow.screening.tables import nickname_groups

#: share of Levenshtein similarity blended into Jaro-Winkler for Latin spellings
LEVENSHTEIN_SHARE = 0.25
#: factor on the spelling similarity of words that do not start with the same letter
FIRST_LETTER = 0.92
#: words whose lengths differ more than this ratio lose similarity in proportion
LENGTH_RATIO = 0.75
#: shape of the credit curve above MIN_TOKEN_SIMILARITY (1 = linear; higher = steeper)
CREDIT_EXPONENT = 1.0
#: pairs below this similarity are not aligned at all
MIN_TOKEN_SIMILARITY = 0.7
#: weight of a query token left without a counterpart, relative to a matched one
UNMATCHED_QUERY = 0.9
#: weight of a list-name token left without a counterpart
UNMATCHED_LIST = 0.2
#: weight of an unmatched first or last word of a list name (a given name or a family name)
UNMATCHED_LIST_EDGE = 0.5
#: matched weight below which a name match is discounted: agreeing on one very common word
#: ("Muhammad") is not enough to call two names the same
MIN_INFORMATION = 0.8
#: corpus size below which document frequencies are smoothed (see idf_weigher)
MIN_CORPUS = 5000
#: share of a token's weight that an initial ("A." for "Ayman") carries
INITIAL_WEIGHT = 0.3
KIND_WEIGHT = {
    Kind.NAME: 1.0,
    Kind.PARTICLE: 0.2,
    Kind.PREFIX: 0.6,
    Kind.GENERIC: 0.3,
    Kind.NUMBER: 1.0,
}

Weigher = Callable[[Token], float]
Established = Callable[[Token], bool]
#: similarity of two spellings that differ only in their vowels' colour (Khaled / Khalid)
VOWEL_VARIANT = 0.97
#: highest similarity of two different words that are both established names
DISTINCT_NAMES = 0.75
#: factor on a name score that rests mostly on Latin-to-Arabic-script skeleton pairs
CROSS_SCRIPT = 0.9
#: extra weight, as a share of a token's, that a pair of two different names costs the match
DISTINCT_PENALTY = 1.5
#: similarity of a given name and its short form (Robert / Bob), see tables/nicknames.csv
NICKNAME = 0.9
#: similarity of a Russian name and its Latvian or Lithuanian form (Lavrov / Lavrovs)
BALTIC_ENDING = 0.95
#: highest score of two names that carry different numbers (Fund III / Fund IV)
NUMBER_CONFLICT = 0.45
#: factor on a name score that rests mostly on syllables transliterated from Han, Hangul or
#: another syllabic script matched against Latin: a name of two or three syllables from a small
#: pool says less than a Latin name of as many words, and the syllables were romanised by a
#: table, not by the person (a conflicting date of birth then takes it below the threshold)
SYLLABIC_CROSS_SCRIPT = 0.85
#: a common name word and a word it is not (Mohamed / Muayyad) below this similarity are two
#: different names, not a typo of one
COMMON_TYPO = 0.9


def uniform_weight(token: Token) -> float:
    return KIND_WEIGHT[token.kind]


@dataclass(frozen=True, slots=True)
class TokenPair:
    query: str
    listed: str
    similarity: float
    how: str  # equal, spelling, vowels, skeleton, initial, distinct


@dataclass(frozen=True, slots=True)
class NameComparison:
    score: float
    pairs: tuple[TokenPair, ...]
    unmatched_query: tuple[str, ...]
    unmatched_list: tuple[str, ...]


def token_similarity(
    a: Token, b: Token, established: Established | None = None
) -> tuple[float, str]:
    """Similarity of two tokens in [0, 1] and which rule gave it.

    ``established`` tells whether a token is a word the corpus knows well. Two different
    established words are two different names (Khalid and Khalil, Jamal and Kamal), however
    alike they look; a typo is rarely an established word, so it keeps its spelling similarity.
    A common name and a word that is not a close spelling of it are two names as well
    (Mohamed / Muayyad). Numbers compare equal or not at all, and so do syllables transliterated
    from a syllabic script: "jian" and "jiang" are two characters, not a typo.
    """
    if a.kind is Kind.NUMBER or b.kind is Kind.NUMBER:
        return (1.0, "equal") if a.phon == b.phon else (0.0, "number")
    if a.initial or b.initial:
        if a.text[0] == b.text[0] and not (a.initial and b.initial):
            return 0.9, "initial"
        return 0.0, "initial"
    if a.phon == b.phon:
        return 1.0, "equal"
    if a.abjad or b.abjad:
        if a.skel == b.skel and a.skel:
            return (1.0 if len(a.skel) >= 3 else 0.9), "skeleton"
        if broad(a.skel) == broad(b.skel) and len(a.skel) >= 3:
            return 0.93, "skeleton"
        return 0.9 * Indel.normalized_similarity(a.skel, b.skel), "skeleton"
    if a.syllabic or b.syllabic:
        return 0.0, "syllables"
    if _nicknames(a.text, b.text):
        return NICKNAME, "nickname"
    if a.vclass == b.vclass and abs(len(a.phon) - len(b.phon)) <= 1:
        return VOWEL_VARIANT, "vowels"
    ending = _baltic_ending(a.phon, b.phon)
    if ending:
        return ending, "ending"
    similarity = JaroWinkler.similarity(a.phon, b.phon)
    if LEVENSHTEIN_SHARE:
        # Jaro-Winkler rewards a shared beginning generously (Carter / Kakorere); blending in
        # edit distance keeps one or two typos close and unrelated words apart
        similarity = (1 - LEVENSHTEIN_SHARE) * similarity + LEVENSHTEIN_SHARE * (
            Levenshtein.normalized_similarity(a.phon, b.phon)
        )
    if a.phon[0] != b.phon[0]:
        similarity *= FIRST_LETTER  # people rarely get the first letter of a name wrong
    shorter, longer = sorted((len(a.phon), len(b.phon)))
    if shorter < LENGTH_RATIO * longer:
        # Jaro-Winkler forgives a long tail after a shared start (Kuni / Kuningam)
        similarity *= shorter / (LENGTH_RATIO * longer)
    if established is not None:
        known_a, known_b = established(a), established(b)
        if known_a and known_b:
            return min(similarity, DISTINCT_NAMES), "distinct"
        if (known_a or known_b) and similarity < COMMON_TYPO and not _typo(a.text, b.text):
            return min(similarity, DISTINCT_NAMES), "distinct"
    return similarity, "spelling"


def _typo(a: str, b: str) -> bool:
    """Whether two words as written are a slip of the keyboard apart: one edit in a short
    word, two in a longer one (a swap of neighbours counts as one)."""
    return OSA.distance(a, b) <= (1 if min(len(a), len(b)) <= 5 else 2)


def _nicknames(a: str, b: str) -> bool:
    """Whether two given names are one name and its short form (Robert / Bob, Ted / Edward)."""
    groups = nickname_groups()
    first, second = groups.get(a), groups.get(b)
    return bool(first and second and first & second)


#: nominative endings Latvian and Lithuanian add to foreign names (Lavrovs, Lavrovas, Igoris),
#: in phonetic spelling, longest first
_BALTIC_ENDINGS = ("ijus", "ius", "jus", "ijs", "js", "as", "is", "us", "s")
#: stems after which a bare "-s" is a Baltic ending, not an English surname's (Peters)
_SLAVIC_STEM = re.compile(r"(?:uv|av|in|ij|aj|ai|ui|ii|sk|ski|ki|ku|ix|uk|ar|ur|ig|ag|ug|is)$")


def _baltic_ending(a: str, b: str) -> float | None:
    """The similarity of a name and its Latvian or Lithuanian form, or None when the longer
    word is not the shorter one plus such an ending (Lavrov / Lavrovs, Igor / Igoris, Sergei /
    Sergejs: the j of the Baltic stem is the Russian i)."""
    shorter, longer = (a, b) if len(a) <= len(b) else (b, a)
    if longer[-1] != "s" or len(shorter) < 4 or not longer.startswith(shorter[:3]):
        return None
    for ending in _BALTIC_ENDINGS:
        if not longer.endswith(ending) or len(longer) - len(ending) < 3:
            continue
        stem = longer[: -len(ending)]
        if ending == "s" and not _SLAVIC_STEM.search(stem):
            continue
        joined_j = ending.startswith(("j", "ij")) and shorter in (stem + "i", stem + "ii")
        if stem == shorter or joined_j or (stem.endswith("j") and stem[:-1] + "i" == shorter):
            return BALTIC_ENDING
    return None


def _credit(similarity: float) -> float:
    """How much of a token's weight a pair earns: 1 when equal, falling fast below 0.9."""
    if similarity >= 1.0:
        return 1.0
    share = (similarity - MIN_TOKEN_SIMILARITY) / (1.0 - MIN_TOKEN_SIMILARITY)
    return float(share**CREDIT_EXPONENT)


def _align(
    q: tuple[Token, ...], c: tuple[Token, ...], established: Established | None
) -> list[tuple[float, int, int, str]]:
    """One-to-one token pairs, most similar first (greedy; names have a handful of words)."""
    candidates = []
    for i, a in enumerate(q):
        for j, b in enumerate(c):
            sim, how = token_similarity(a, b, established)
            if sim >= MIN_TOKEN_SIMILARITY:
                candidates.append((sim, i, j, how))
    candidates.sort(key=lambda x: (-x[0], x[1], x[2]))
    used_q: set[int] = set()
    used_c: set[int] = set()
    aligned = []
    for sim, i, j, how in candidates:
        if i not in used_q and j not in used_c:
            used_q.add(i)
            used_c.add(j)
            aligned.append((sim, i, j, how))
    return aligned


def compare_names(
    query: AnalyzedName,
    listed: AnalyzedName,
    weight: Weigher = uniform_weight,
    established: Established | None = None,
) -> NameComparison:
    """Align two analysed names and score them (see the module docstring)."""
    q, c = query.tokens, listed.tokens
    if not q or not c:
        return NameComparison(0.0, (), tuple(t.text for t in q), tuple(t.text for t in c))
    if len(q) != len(c):
        # a word split or joined (Abbes Khaled / Abbeskhaled, Hyok Chol / Hyok-chol)
        q, c = _rejoined(q, c), _rejoined(c, q)
    if any(_glued(t) for t in q) or any(_glued(t) for t in c):
        q, c = _unglued(q, c), _unglued(c, q)
    aligned = _align(q, c, established)
    earned = agreed = disagreed = cross_script = syllabic = 0.0
    for sim, i, j, how in aligned:
        w = (weight(q[i]) + weight(c[j])) / 2
        if how == "initial":  # "A." agrees with "Ayman" but says little: it weighs less
            earned += sim * w * INITIAL_WEIGHT
            agreed += w * INITIAL_WEIGHT
        elif how == "distinct":
            # two different names in one place (Hassan for Hussein) speak against the match
            # however common they are: full weight, and a penalty on top
            disagreed += max(w, KIND_WEIGHT[q[i].kind]) * (1.0 + DISTINCT_PENALTY)
        else:
            earned += _credit(sim) * w
            agreed += w
            if q[i].abjad != c[j].abjad:
                cross_script += w
            if q[i].syllabic != c[j].syllabic:
                syllabic += w
    used_q = {i for _, i, _, _ in aligned}
    used_c = {j for _, _, j, _ in aligned}
    missing_q = [t for i, t in enumerate(q) if i not in used_q]
    missing_c = [(j, t) for j, t in enumerate(c) if j not in used_c]
    # one middle word replaced by another (… Abdul Karim … / … Wali Karim …): in a chain of
    # given name, father's and grandfather's names that is another person, not an omission
    for i, j in _substitutions(q, c, aligned):
        w = max(weight(q[i]), weight(c[j]), KIND_WEIGHT[q[i].kind])
        disagreed += w * (1.0 + DISTINCT_PENALTY)
        missing_q = [t for t in missing_q if t is not q[i]]
        missing_c = [(k, t) for k, t in missing_c if k != j]
    edges = (0, len(c) - 1)
    denominator = (
        agreed
        + disagreed
        + UNMATCHED_QUERY * sum(weight(t) for t in missing_q)
        + sum(
            (UNMATCHED_LIST_EDGE if j in edges else UNMATCHED_LIST) * weight(t)
            for j, t in missing_c
        )
    )
    score = earned / denominator if denominator else 0.0
    if aligned and all(how == "initial" for _, _, _, how in aligned):
        score = 0.0  # initials alone ("E.", "A. K.") name nobody
    if cross_script > agreed / 2:
        # a Latin name found only through an Arabic-script one (or the reverse) rests on a
        # consonant skeleton: short vowels are unknown, so the match is less certain
        score *= CROSS_SCRIPT
    if syllabic > agreed / 2:
        score *= SYLLABIC_CROSS_SCRIPT
    if agreed < MIN_INFORMATION:  # only common words agree: "Muhammad" = "Muhammad"
        score *= agreed / MIN_INFORMATION
    if any(t.kind is Kind.NUMBER for t in missing_q) and any(
        t.kind is Kind.NUMBER for _, t in missing_c
    ):
        score = min(score, NUMBER_CONFLICT)  # Fund III / Fund IV: two of a series
    if len(q) != len(c):  # a word joined or split ("Alnusra" / "al Nusra"): compare whole
        whole = Indel.normalized_similarity("".join(t.phon for t in q), "".join(t.phon for t in c))
        if whole >= 0.95 and not _numbers_differ(q, c) and not any(t.syllabic for t in q + c):
            score = max(score, 0.95 * _credit(whole))
    return NameComparison(
        round(min(score, 1.0), 4),
        tuple(TokenPair(q[i].text, c[j].text, round(sim, 3), how) for sim, i, j, how in aligned),
        tuple(t.text for t in missing_q),
        tuple(t.text for _, t in missing_c),
    )


def _glued(token: Token) -> bool:
    return token.phon[:2] in ("al", "ul", "ar", "as", "ad", "at", "an") and len(token.phon) > 5


def _unglued(tokens: tuple[Token, ...], other: tuple[Token, ...]) -> tuple[Token, ...]:
    """``tokens`` with an article glued to its word (Almuhajir, Arrahman) taken off where the
    other name writes the word without it (al Muhajir, Rahman)."""
    others = {t.phon: t for t in other if not t.abjad}
    return tuple(
        replace(others[t.phon[2:]], text=t.text, syllabic=t.syllabic)
        if _glued(t) and t.phon not in others and t.phon[2:] in others
        else t
        for t in tokens
    )


def _numbers_differ(q: tuple[Token, ...], c: tuple[Token, ...]) -> bool:
    numbers_q = sorted(t.phon for t in q if t.kind is Kind.NUMBER)
    numbers_c = sorted(t.phon for t in c if t.kind is Kind.NUMBER)
    return bool(numbers_q and numbers_c and numbers_q != numbers_c)


def _rejoined(tokens: tuple[Token, ...], other: tuple[Token, ...]) -> tuple[Token, ...]:
    """``tokens`` with two neighbours joined where the other name writes them as one word
    (Abbes Khaled / Abbeskhaled, Gotsan Yuk / Gotsanyuk). Only words with no equal of their
    own in the other name are joined, so "Abu Bakr" never swallows a matching "Bakr"."""
    if len(tokens) < 2:
        return tokens
    own = {t.phon for t in tokens}
    others = {
        t.phon: t
        for t in other
        if not t.abjad and t.kind is Kind.NAME and len(t.phon) >= 4 and t.phon not in own
    }
    if not others:
        return tokens
    own = {t.phon for t in other}
    out = list(tokens)
    i = 0
    while i < len(out) - 1:
        a, b = out[i], out[i + 1]
        if (
            not a.abjad
            and not b.abjad
            and a.kind is not Kind.NUMBER
            and b.kind is not Kind.NUMBER
            and not (a.phon in own and b.phon in own)
        ):
            joined = phonetic(a.text + b.text)
            match = others.get(joined)
            if match is not None:
                # the joined word is this name's own: it keeps this side's script
                out[i : i + 2] = [replace(match, text=a.text + b.text, syllabic=a.syllabic)]
                continue
        i += 1
    return tuple(out)


def _substitutions(
    q: tuple[Token, ...], c: tuple[Token, ...], aligned: list[tuple[float, int, int, str]]
) -> list[tuple[int, int]]:
    """Unmatched name words that take the same place in both names, between two aligned
    neighbours: (query index, list index) pairs."""
    pairs_of = {i: j for _, i, j, how in aligned if how != "distinct"}
    used_c = {j for _, _, j, _ in aligned}
    if len(pairs_of) < 2 or len(q) < 3 or len(c) < 3:
        return []
    out = []
    for i in range(1, len(q) - 1):
        if i in pairs_of or q[i].kind not in (Kind.NAME, Kind.PREFIX):
            continue
        before, after = pairs_of.get(i - 1), pairs_of.get(i + 1)
        if before is None or after is None or after != before + 2:
            continue
        j = before + 1
        if j in used_c or c[j].kind not in (Kind.NAME, Kind.PREFIX) or c[j].initial:
            continue
        if q[i].initial or q[i].abjad or c[j].abjad or _typo(q[i].text, c[j].text):
            continue  # a typo or a skeleton is no evidence of another word
        out.append((i, j))
    return out


def idf_weigher(phonetic_df: dict[str, int], skeleton_df: dict[str, int], total: int) -> Weigher:
    """Token weights from how many indexed names carry the token (inverse document frequency).

    Latin tokens are counted by phonetic form, tokens from scripts without short vowels by
    skeleton (an Arabic "mhmd" is as common as "Muhammad"). Scaled so that a token found in one
    name in a thousand weighs about 1; common tokens fall towards 0.2, unseen ones rise to 1.6.
    """
    reference = math.log(1000.0)
    # a small list says little about which words are common: count it as if it held at least
    # MIN_CORPUS names, none of them with the token
    total = max(total, MIN_CORPUS)

    def weight(token: Token) -> float:
        df = skeleton_df.get(token.skel, 0) if token.abjad else phonetic_df.get(token.phon, 0)
        idf = math.log((total + 1) / (df + 1)) if df else math.log(total + 1) + 1
        return KIND_WEIGHT[token.kind] * min(1.6, max(0.2, idf / reference))

    return weight
