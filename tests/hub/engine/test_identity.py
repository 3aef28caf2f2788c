"""hub ids minted in bulk are time-ordered (version 7) UUIDs in canonical text, ascending."""

from __future__ import annotations

import time
import uuid

from hub.engine.identity import mint_hub_ids


def test_minted_hub_ids_are_distinct_version_7_uuids_in_canonical_text() -> None:
    before = time.time_ns() // 1_000_000
    minted = mint_hub_ids(5_000)
    after = time.time_ns() // 1_000_000
    assert len(minted) == len(set(minted)) == 5_000
    for text in minted:
        parsed = uuid.UUID(text)
        assert (parsed.version, parsed.variant, str(parsed)) == (7, uuid.RFC_4122, text)
        assert before <= parsed.int >> 80 <= after  # the first 48 bits: when, in Unix milliseconds
    assert {text[19] for text in minted} == set("89ab")  # every variant digit turns up
    assert len({text[15:] for text in minted}) == 5_000  # the random bits, not a counter, tell them apart
    assert mint_hub_ids(0) == []


def test_hub_ids_sort_in_the_order_they_were_minted() -> None:
    """Ascending within a batch and from one batch to the next: indexes on hub ids grow at one end."""
    first = mint_hub_ids(1_000)
    time.sleep(0.002)
    second = mint_hub_ids(1_000)
    assert first == sorted(first) and second == sorted(second)
    assert first[-1] < second[0]
