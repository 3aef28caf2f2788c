"""Named crash points for the tests that prove a killed run loses and duplicates nothing.

`HUB_FAILPOINTS="after_write:3"` makes the process SIGKILL itself the third time it reaches the
`after_write` point. Unset (always, outside those tests) a failpoint is a set lookup.
"""

from __future__ import annotations

import os
import signal
from collections import Counter

_ARMED: dict[str, int] = {}
for _item in filter(None, os.environ.get("HUB_FAILPOINTS", "").split(",")):
    _name, _, _hit = _item.partition(":")
    _ARMED[_name.strip()] = int(_hit or 1)
_HITS: Counter[str] = Counter()


def failpoint(name: str) -> None:
    """Die here, as abruptly as a power cut, when this point is armed for this hit."""
    if name in _ARMED:
        _HITS[name] += 1
        if _HITS[name] == _ARMED[name]:
            os.kill(os.getpid(), signal.SIGKILL)
