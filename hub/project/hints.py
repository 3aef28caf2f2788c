"""The "did you mean" hint every located problem about a name gives."""

from __future__ import annotations

import difflib
from collections.abc import Iterable


def suggest(word: str, options: Iterable[str]) -> str:
    """` (did you mean 'x'?)` when one of `options` is close to `word`, else nothing."""
    close = difflib.get_close_matches(word, list(options), n=1)
    return f" (did you mean {close[0]!r}?)" if close else ""
