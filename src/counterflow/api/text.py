"""Text the service writes back or into its audit trail, made safe to encode and short.

A JSON body may carry a lone surrogate (``"\\ud800"``: half of a UTF-16 pair, not valid
Unicode), which Python decodes without complaint and then cannot encode as UTF-8. Anything the
service repeats from a request goes through :func:`safe_text` first.
"""

from __future__ import annotations

import re

#: the longest message, and the longest location part (a dict key), cited in an answer
MAX_TEXT = 300
_SURROGATE = re.compile("[\ud800-\udfff]")


def has_surrogate(text: str) -> bool:
    """Whether ``text`` holds a lone surrogate (ASCII text, the usual case, is checked fast)."""
    return not text.isascii() and _SURROGATE.search(text) is not None


def safe_text(text: str, limit: int = MAX_TEXT) -> str:
    """``text`` cut to ``limit`` characters, with lone surrogates written out as ``\\udXXX``
    so that it can be encoded as UTF-8 (JSON answers, the audit trail)."""
    if len(text) > limit:
        text = text[:limit] + "…"
    if has_surrogate(text):
        text = text.encode("utf-8", "backslashreplace").decode("utf-8")
    return text
