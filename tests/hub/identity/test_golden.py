"""Survivorship: each rule chooses a field's value among a cluster's records, ties fall to source
priority, then the newer record, and every chosen value keeps its source."""

from __future__ import annotations

import itertools

from hub.identity.golden import Member, completeness, golden_record, says_something
from hub.identity.settings import FieldRule, Survivorship

RULES = Survivorship(
    sources=("salesforce", "hubspot", "odoo"),
    fields={
        "phone": FieldRule("most_recent"),
        "description": FieldRule("most_complete"),
        "billing_address": FieldRule("most_complete"),
        "industry": FieldRule("most_frequent"),
        "website": FieldRule("source_priority", ("odoo", "hubspot")),
    },
)
MEMBERS = [
    Member(
        "salesforce",
        "001",
        {
            "name": "Acme BV",
            "phone": "+31201111111",
            "description": "Acme",
            "industry": "Retail",
            "website": "https://acme.nl",
            "billing_address": {"city": "Amsterdam", "country": "NL", "street": None},
        },
        "2024-01-01T00:00:00Z",
    ),
    Member(
        "hubspot",
        "9",
        {
            "name": "ACME",
            "phone": "+31202222222",
            "description": "Acme makes anvils for road runners",
            "industry": "Manufacturing",
            "website": "acme.nl",
            "billing_address": {"city": "Amsterdam", "country": "NL", "street": "Dam 1"},
        },
        "2025-06-01T00:00:00Z",
    ),
    Member(
        "odoo", "7", {"name": "Acme B.V.", "phone": "", "industry": "manufacturing "}, "2026-01-01T00:00:00Z"
    ),
    Member("zendesk", "5", {"name": None, "phone": "+31203333333", "industry": "MANUFACTURING"}, None),
]


def test_each_field_follows_its_rule_and_keeps_its_source() -> None:
    record, sources = golden_record(
        MEMBERS, ["name", "phone", "description", "industry", "website", "billing_address", "email"], RULES
    )
    assert record["name"] == "Acme BV" and sources["name"]["rule"] == "source_priority"  # salesforce first
    # most recent among those that say something: odoo's empty phone says nothing, zendesk's has no time
    assert record["phone"] == "+31202222222" and sources["phone"] == {
        "system": "hubspot",
        "id": "9",
        "updated": "2025-06-01T00:00:00Z",
        "rule": "most_recent",
    }
    assert record["description"] == "Acme makes anvils for road runners"
    assert record["billing_address"]["street"] == "Dam 1"  # more parts filled in
    assert record["industry"] == "Manufacturing"  # three say it, trimmed and folded, against two
    assert sources["industry"]["system"] == "hubspot"  # of those three, the strongest source
    assert record["website"] == "acme.nl"  # the field's own order: odoo (says nothing), then hubspot
    assert "email" not in record and "email" not in sources


def test_the_same_records_in_any_order_give_the_same_golden_record() -> None:
    fields = ["name", "phone", "description", "industry", "website", "billing_address"]
    first = golden_record(MEMBERS, fields, RULES)
    for order in itertools.permutations(MEMBERS):
        assert golden_record(list(order), fields, RULES) == first


def test_a_system_the_priority_does_not_name_comes_last_and_ties_fall_to_the_newer_record() -> None:
    older = Member("zendesk", "1", {"title": "CTO"}, "2024-01-01T00:00:00Z")
    newer = Member("zendesk", "2", {"title": "CEO"}, "2025-01-01T00:00:00Z")
    odoo = Member("odoo", "3", {"title": "Owner"}, "2020-01-01T00:00:00Z")
    record, _ = golden_record([older, newer], ["title"], RULES)
    assert record["title"] == "CEO"
    record, _ = golden_record([older, newer, odoo], ["title"], RULES)
    assert record["title"] == "Owner"


def test_what_says_something() -> None:
    assert (
        not says_something(" ")
        and not says_something({"city": None, "street": ""})
        and not says_something([])
    )
    assert says_something(0) and says_something(False) and says_something({"city": "Delft"})
    assert completeness({"city": "Delft", "street": "Markt 1"}) > completeness({"city": "Amsterdam"})
