"""hub ids minted in bulk are time-ordered (version 7) UUIDs in canonical text, ascending."""

from __future__ import annotations

import time
import uuid

from hub.engine.identity import mint_hub_ids, resolve_hub_ids
from hub.state import StateStore


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


def test_a_first_load_claims_its_identities_without_looking_them_up_first(store: StateStore) -> None:
    """A page after an all-new page is claimed at once: one statement where lookup-then-claim was two,
    and the same hub ids when some records were known after all (the claim keeps those that stand)."""
    from sqlalchemy import event

    sent: list[str] = []
    event.listen(store.engine, "before_cursor_execute", lambda *args: sent.append(args[2]))

    def resolve(ids: list[str], claim_first: bool) -> tuple[dict[str, str], set[str]]:
        sent.clear()
        return resolve_hub_ids(
            store, "account", "crm", ids, last_modified={}, dry_run=False, claim_first=claim_first
        )

    first, minted = resolve(["1", "2", "3"], claim_first=False)
    assert minted == {"1", "2", "3"} and len(set(first.values())) == 3
    assert any("SELECT" in s for s in sent)  # looked up first: nothing was known
    second, minted = resolve(["4", "5"], claim_first=True)
    assert minted == {"4", "5"} and set(second) == {"4", "5"}
    if store.engine.dialect.name == "postgresql":
        assert len(sent) == 1 and sent[0].lstrip().startswith("INSERT")  # the claim alone
    mixed, minted = resolve(["5", "6", "2"], claim_first=True)
    assert minted == {"6"}  # only "6" is new: "5" and "2" keep the hub ids that stand
    assert mixed["5"] == second["5"] and mixed["2"] == first["2"] and mixed["6"] not in first.values()
    again, minted = resolve(["6", "7"], claim_first=False)
    assert minted == {"7"} and again["6"] == mixed["6"]


def test_a_plan_mints_in_memory_and_claims_nothing(store: StateStore) -> None:
    planned, minted = resolve_hub_ids(
        store, "account", "crm", ["1"], last_modified={}, dry_run=True, claim_first=True
    )
    assert minted == {"1"} and store.xrefs_by_external("account", "crm", ["1"]) == {}
    assert uuid.UUID(planned["1"]).version == 7
