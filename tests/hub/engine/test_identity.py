"""hub ids minted in bulk are random UUIDs, as `str(uuid4())` writes them."""

from __future__ import annotations

import uuid

from hub.engine.identity import mint_hub_ids


def test_minted_hub_ids_are_distinct_version_4_uuids_in_canonical_text() -> None:
    minted = mint_hub_ids(5_000)
    assert len(minted) == len(set(minted)) == 5_000
    for text in minted:
        parsed = uuid.UUID(text)
        assert (parsed.version, parsed.variant, str(parsed)) == (4, uuid.RFC_4122, text)
    assert {text[19] for text in minted} == set("89ab")  # every variant digit turns up
    assert mint_hub_ids(0) == []
