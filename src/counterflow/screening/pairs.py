"""Compare two names without a list: the pairwise scorer behind ``counterflow screen pairs``.

Without a list there is no corpus to tell common words from rare ones, so the weights come from
the hand-written table in :mod:`.vocabulary` of name words common across the populations
sanctions lists cover (Muhammad, Ali, Khan, John, Maria, …): sharing one of those says little,
and two different ones are two different names.
"""

from __future__ import annotations

from dataclasses import dataclass

from counterflow.errors import DataError
from counterflow.screening.compare import KIND_WEIGHT, NameComparison, compare_names
from counterflow.screening.names import Token, analyze, name_class_of
from counterflow.screening.phonetic import skeleton
from counterflow.screening.screener import DEFAULT_THRESHOLD
from counterflow.screening.vocabulary import COMMON_NAME_WORDS
from counterflow.text import cite, clean_name, has_screenable_text


def _weight(token: Token) -> float:
    common = token.phon in COMMON_NAME_WORDS or (token.abjad and token.skel in _COMMON_SKELETONS)
    return KIND_WEIGHT[token.kind] * (0.35 if common else 1.0)


_COMMON_SKELETONS = frozenset(skeleton(w) for w in COMMON_NAME_WORDS)


def _established(token: Token) -> bool:
    return token.phon in COMMON_NAME_WORDS


@dataclass(frozen=True)
class PairResult:
    score: float
    is_match: bool
    comparison: NameComparison


def score_pair(
    name1: str, name2: str, schema: str | None = None, threshold: float = DEFAULT_THRESHOLD
) -> PairResult:
    """How alike two names are (0-1), and whether that reaches the threshold.

    A name with no letter or digit to compare ("...", an emoji, a lone zero-width space) is
    refused with :class:`~counterflow.errors.DataError`, as :class:`.Query` refuses it: a score
    of 0 would read as "not the same party" when nothing was compared.
    """
    for name in (name1, name2):
        if not has_screenable_text(name):
            raise DataError(f"the name {cite(name)} has no letters or digits to screen")
    name_class = name_class_of(clean_name(schema) if schema else None)
    first, second = analyze(name1, name_class), analyze(name2, name_class)
    if len(first.tokens) > len(second.tokens):
        # the fuller name plays the list's part: its extra words (middle names) count less
        first, second = second, first
    comparison = compare_names(first, second, _weight, _established)
    return PairResult(comparison.score, comparison.score >= threshold, comparison)
