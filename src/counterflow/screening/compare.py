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
from collections.abc import Callable
from dataclasses import dataclass

from rapidfuzz.distance import Indel, JaroWinkler, Levenshtein

from counterflow.screening.names import AnalyzedName, Kind, Token
from counterflow.screening.phonetic import broad

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
KIND_WEIGHT = {Kind.NAME: 1.0, Kind.PARTICLE: 0.2, Kind.PREFIX: 0.6, Kind.GENERIC: 0.3}

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
    """
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
    if a.vclass == b.vclass and abs(len(a.phon) - len(b.phon)) <= 1:
        return VOWEL_VARIANT, "vowels"
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
    if established is not None and established(a) and established(b):
        return min(similarity, DISTINCT_NAMES), "distinct"
    return similarity, "spelling"


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
    aligned = _align(q, c, established)
    earned = agreed = disagreed = cross_script = 0.0
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
    used_q = {i for _, i, _, _ in aligned}
    used_c = {j for _, _, j, _ in aligned}
    missing_q = [t for i, t in enumerate(q) if i not in used_q]
    missing_c = [(j, t) for j, t in enumerate(c) if j not in used_c]
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
    if agreed < MIN_INFORMATION:  # only common words agree: "Muhammad" = "Muhammad"
        score *= agreed / MIN_INFORMATION
    if len(q) != len(c):  # a word joined or split ("Alnusra" / "al Nusra"): compare whole
        whole = Indel.normalized_similarity("".join(t.phon for t in q), "".join(t.phon for t in c))
        if whole >= 0.95:
            score = max(score, 0.95 * _credit(whole))
    return NameComparison(
        round(min(score, 1.0), 4),
        tuple(TokenPair(q[i].text, c[j].text, round(sim, 3), how) for sim, i, j, how in aligned),
        tuple(t.text for t in missing_q),
        tuple(t.text for _, t in missing_c),
    )


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
