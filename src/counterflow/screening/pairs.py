"""Compare two names without a list: the pairwise scorer behind ``counterflow screen pairs``.

Without a list there is no corpus to tell common words from rare ones, so the weights come from
a short hand-written table of name words that are very common across the populations sanctions
lists cover (Muhammad, Ali, Khan, John, Maria, …): sharing one of those says little.
"""

from __future__ import annotations

from dataclasses import dataclass

from counterflow.screening.compare import KIND_WEIGHT, NameComparison, compare_names
from counterflow.screening.names import Token, analyze, name_class_of
from counterflow.screening.phonetic import phonetic
from counterflow.screening.screener import DEFAULT_THRESHOLD

_COMMON_WORDS = (
    "muhammad", "ahmad", "ali", "hassan", "hussein", "hussain", "abdul", "abdullah", "ibrahim",
    "ismail", "khalid", "omar", "umar", "yusuf", "yousef", "mahmoud", "mustafa", "said", "saleh",
    "salih", "hamid", "hamad", "karim", "rahman", "aziz", "khan", "shah", "gul", "jan", "noor",
    "nur", "islam", "ahmed", "mohamed", "mohammad", "mohammed", "hasan", "husain", "abdel",
    "abd", "allah", "john", "james", "david", "michael", "robert", "william", "maria", "mary",
    "anna", "smith", "johnson", "williams", "brown", "jones", "garcia", "rodriguez", "martinez",
    "lopez", "gonzalez", "wang", "li", "zhang", "liu", "chen", "kim", "lee", "park", "nguyen",
    "singh", "kumar",
)  # fmt: skip
_COMMON = {phonetic(w) for w in _COMMON_WORDS}


def _weight(token: Token) -> float:
    common = token.phon in _COMMON or (token.abjad and token.skel in _COMMON_SKELETONS)
    return KIND_WEIGHT[token.kind] * (0.35 if common else 1.0)


_COMMON_SKELETONS = {analyze(w).tokens[0].skel for w in _COMMON if analyze(w).tokens}


@dataclass(frozen=True)
class PairResult:
    score: float
    is_match: bool
    comparison: NameComparison


def score_pair(
    name1: str, name2: str, schema: str | None = None, threshold: float = DEFAULT_THRESHOLD
) -> PairResult:
    """How alike two names are (0-1), and whether that reaches the threshold."""
    name_class = name_class_of(schema)
    comparison = compare_names(analyze(name1, name_class), analyze(name2, name_class), _weight)
    return PairResult(comparison.score, comparison.score >= threshold, comparison)
