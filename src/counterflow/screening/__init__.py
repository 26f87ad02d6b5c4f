"""Screening: find listed people, organisations and vessels under any spelling or script.

``Screener`` indexes list entries and screens ``Query`` objects; ``score_pair`` compares two
names without a list. Every result explains itself (see ``Match.explanation``).
"""

from counterflow.screening.pairs import PairResult, score_pair
from counterflow.screening.query import Query
from counterflow.screening.screener import DEFAULT_THRESHOLD, Listing, Match, Screener

__all__ = ["DEFAULT_THRESHOLD", "Listing", "Match", "PairResult", "Query", "Screener", "score_pair"]
