"""Deterministic identity clusters: the hub's own links, each rule, keys too common to tell people
apart, golden ids that do not change when the same records are resolved again."""

from __future__ import annotations

import random

import pytest

from hub.identity.resolve import Candidate, Part, Rule, resolve
from hub.identity.settings import IdentitySettings, library_settings


def rules_of(entity: str) -> tuple[Rule, ...]:
    settings = library_settings(entity)
    assert isinstance(settings, IdentitySettings)
    return settings.rules


CONTACTS = rules_of("contact")


def person(system: str, id: str, hub_id: str | None = None, **values: object) -> Candidate:
    return Candidate(system, id, values, hub_id)


def test_records_sharing_a_hub_id_are_one_and_it_names_the_cluster() -> None:
    found = resolve(
        [person("salesforce", "003A", "h-2"), person("odoo", "7", "h-2"), person("hubspot", "9")], CONTACTS
    )
    assert found.golden == {"salesforce:003A": "h-2", "odoo:7": "h-2", "hubspot:9": "hubspot:9"}
    assert found.links == [("hub id", "salesforce:003A", "odoo:7")]


def test_one_mailbox_however_it_is_written_links_across_systems() -> None:
    found = resolve(
        [
            person("salesforce", "1", "h-1", email="Anna.deJong@Example.com"),
            person("zendesk", "55", email=" anna.dejong@example.com"),
            person("mailchimp", "ab", email="someone.else@example.com"),
        ],
        CONTACTS,
    )
    assert found.golden["zendesk:55"] == found.golden["salesforce:1"] == "h-1"
    assert found.golden["mailchimp:ab"] == "mailchimp:ab"
    assert ("e-mail", "salesforce:1", "zendesk:55") in found.links


def test_a_phone_links_only_with_the_same_person_named_in_either_order() -> None:
    found = resolve(
        [
            person("salesforce", "1", first_name="Anna", last_name="de Jong", phone="+31 20 794 0958"),
            person("hubspot", "2", first_name="de Jong", last_name="Anna", phone="020 794 0958"),
            person("zendesk", "3", first_name="Piet", last_name="de Jong", phone="020-7940958"),  # one line
        ],
        CONTACTS,
        region="NL",
    )
    assert found.golden["salesforce:1"] == found.golden["hubspot:2"] != found.golden["zendesk:3"]
    assert found.links == [("phone and name", "salesforce:1", "hubspot:2")]


def test_a_key_shared_by_more_records_than_max_group_links_nothing_and_is_reported() -> None:
    shared = [person("zendesk", str(i), email="info@acme.com") for i in range(4)]
    found = resolve(shared, CONTACTS, max_group=3)
    assert len(set(found.golden.values())) == 4
    assert found.too_common == {"e-mail: info@acme.com": 4}
    assert len(set(resolve(shared, CONTACTS, max_group=4).golden.values())) == 1


def test_organisations_link_by_tax_number_and_by_web_domain() -> None:
    rules = rules_of("account")
    found = resolve(
        [
            Candidate("salesforce", "001", {"name": "Acme BV", "tax_id": "NL853008716B01"}),
            Candidate("odoo", "12", {"name": "ACME B.V.", "tax_id": "nl 8530.08.716.b01"}),
            Candidate("hubspot", "77", {"name": "Acme", "website": "https://www.acme.com"}),
            Candidate("netsuite", "4", {"name": "Acme Group", "website": "acme.com/contact"}),
        ],
        rules,
    )
    assert found.golden["salesforce:001"] == found.golden["odoo:12"]
    assert found.golden["hubspot:77"] == found.golden["netsuite:4"] != found.golden["odoo:12"]


def test_golden_ids_stand_whatever_order_the_records_come_in() -> None:
    records = [
        person("salesforce", str(i), f"h-{i}" if i % 3 == 0 else None, email=f"p{i // 2}@example.com")
        for i in range(60)
    ]
    first = resolve(records, CONTACTS).golden
    shuffled = records[:]
    random.Random(7).shuffle(shuffled)
    assert resolve(shuffled, CONTACTS).golden == first


def test_a_rule_reads_nested_fields_and_refuses_a_part_of_the_wrong_shape() -> None:
    rule = Rule("name and country", (Part("name", ("name",)), Part("name", ("billing_address.country",))))
    found = resolve(
        [
            Candidate("a", "1", {"name": "Acme", "billing_address": {"country": "NL"}}),
            Candidate("b", "2", {"name": "ACME", "billing_address": {"country": "nl"}}),
            Candidate("c", "3", {"name": "Acme", "billing_address": None}),
        ],
        [rule],
    )
    assert found.golden["a:1"] == found.golden["b:2"] != found.golden["c:3"]
    with pytest.raises(ValueError, match="reads 2 field"):
        Part("person", ("name",))
    with pytest.raises(ValueError, match="unknown match kind"):
        Part("vat", ("tax_id",))


def test_a_person_links_by_name_within_one_company_and_not_across_companies() -> None:
    found = resolve(
        [
            person("salesforce", "1", first_name="Anna", last_name="de Jong", account="h-acme"),
            person("odoo", "2", first_name="anna", last_name="De Jong", account="h-acme"),
            person("hubspot", "3", first_name="Anna", last_name="de Jong", account="h-other"),
            person("zendesk", "4", first_name="Anna", last_name="de Jong"),  # no company: no key
        ],
        CONTACTS,
    )
    assert found.golden["salesforce:1"] == found.golden["odoo:2"]
    assert len({found.golden["salesforce:1"], found.golden["hubspot:3"], found.golden["zendesk:4"]}) == 3


def test_a_work_mailbox_names_the_company_its_domain_belongs_to() -> None:
    found = resolve(
        [
            # Salesforce knows Anna works at Acme and writes to her at acme.com: acme.com is Acme's
            person(
                "salesforce",
                "1",
                first_name="Anna",
                last_name="de Jong",
                account="h-acme",
                email="a@acme.com",
            ),
            person("odoo", "2", first_name="Piet", last_name="Bos", account="h-acme"),  # no e-mail
            person("zendesk", "3", first_name="Piet", last_name="Bos", email="p.bos@ACME.com"),
            # the same name at another domain, at a free mailbox, at a domain two companies share
            person("zendesk", "4", first_name="Piet", last_name="Bos", email="piet@other.com"),
            person("mailchimp", "5", first_name="Piet", last_name="Bos", email="pietbos@gmail.com"),
            person("hubspot", "6", first_name="Kees", last_name="Smit", account="h-x", email="k@shared.net"),
            person(
                "hubspot", "7", first_name="Kees", last_name="Smit", account="h-y", email="kees@shared.net"
            ),
            person("zendesk", "8", first_name="Kees", last_name="Smit", email="ks@shared.net"),
            person("salesforce", "9", first_name="Eva", last_name="Mol", account="h-z", email="e@gmail.com"),
            person("zendesk", "10", first_name="Eva", last_name="Mol", email="eva@gmail.com"),
        ],
        CONTACTS,
    )
    assert found.golden["odoo:2"] == found.golden["zendesk:3"]
    assert ("name and organisation", "odoo:2", "zendesk:3") in found.links
    assert len({found.golden[f"{key}"] for key in ("odoo:2", "zendesk:4", "mailchimp:5")}) == 3
    assert len({found.golden[key] for key in ("hubspot:6", "hubspot:7", "zendesk:8")}) == 3
    assert found.golden["salesforce:9"] != found.golden["zendesk:10"]  # gmail.com is nobody's company


def test_a_switchboard_number_names_the_company_it_belongs_to() -> None:
    found = resolve(
        [
            # colleagues at Acme call from its switchboard: the number is Acme's
            person(
                "salesforce", "1", first_name="Anna", last_name="Mol", account="h-acme", phone="020 794 0958"
            ),
            person("odoo", "2", first_name="Piet", last_name="Bos", account="h-acme"),
            person(
                "zendesk",
                "3",
                first_name="Piet",
                last_name="Bos",
                phone="+31 20 7940958",
                email="pb@gmail.com",
            ),
            # a number two companies share names neither
            person(
                "hubspot", "4", first_name="Eva", last_name="Smit", account="h-x", phone="+31 10 123 4567"
            ),
            person("hubspot", "5", first_name="Jan", last_name="Smit", account="h-y", phone="010 1234567"),
            person("odoo", "6", first_name="Kees", last_name="Smit", account="h-x"),
            person("zendesk", "7", first_name="Kees", last_name="Smit", phone="010-1234567"),
        ],
        CONTACTS,
        region="NL",
    )
    assert found.golden["odoo:2"] == found.golden["zendesk:3"]
    assert found.golden["odoo:6"] != found.golden["zendesk:7"]


def test_a_record_split_off_is_joined_by_no_rule_but_still_by_its_hub_id() -> None:
    records = [
        person("salesforce", "1", "h-1", email="anna@example.com"),
        person("odoo", "4", "h-1"),
        person("zendesk", "2", email="anna@example.com"),
        person("hubspot", "3", email="anna@example.com"),
    ]
    found = resolve(records, CONTACTS, apart={"zendesk:2"})
    assert found.golden["zendesk:2"] == "zendesk:2"
    assert found.golden["hubspot:3"] == found.golden["odoo:4"] == "h-1"
    alone = resolve(records, CONTACTS, apart={"salesforce:1"})
    assert alone.golden["odoo:4"] == "h-1" and alone.golden["zendesk:2"] == alone.golden["hubspot:3"] != "h-1"


def test_a_merge_joins_what_no_rule_would_and_names_who_decided() -> None:
    records = [
        person("salesforce", "1", "h-1", email="anna@example.com"),
        person("zendesk", "2", email="a@b.nl"),
    ]
    found = resolve(records, CONTACTS, merges=[("merged by ops (#1)", "zendesk:2", "salesforce:1")])
    assert found.golden["zendesk:2"] == "h-1"
    assert ("merged by ops (#1)", "zendesk:2", "salesforce:1") in found.links


def test_one_typo_in_a_name_still_links_by_phone_or_company_but_not_across_companies() -> None:
    found = resolve(
        [
            person("salesforce", "1", first_name="Anna", last_name="de Jong", account="h-acme"),
            person("odoo", "2", first_name="Anan", last_name="de Jong", account="h-acme"),  # swapped
            person("hubspot", "3", first_name="Anna", last_name="deJong", account="h-acme"),
            person("hubspot", "4", first_name="Anna", last_name="de Jonge", account="h-other"),
            person("odoo", "5", first_name="Jan", last_name="Bos", account="h-acme"),
            person("salesforce", "6", first_name="Jan", last_name="Vos", account="h-acme"),  # a colleague
            person("zendesk", "7", first_name="Piet", last_name="Bakker", mobile="06 1234 5678"),
            person("mailchimp", "8", first_name="Piet", last_name="Bakkr", mobile="+31612345678"),
        ],
        CONTACTS,
        region="NL",
    )
    golden = found.golden
    assert golden["salesforce:1"] == golden["odoo:2"] == golden["hubspot:3"]
    assert golden["hubspot:4"] != golden["salesforce:1"]
    assert golden["odoo:5"] != golden["salesforce:6"]  # a name of three letters is kept whole
    assert golden["zendesk:7"] == golden["mailchimp:8"]
    rules = {rule for rule, _, _ in found.links}
    assert rules == {"name and organisation", "mobile and name"}


def test_a_rare_whole_name_links_records_with_no_other_evidence_and_a_common_one_does_not() -> None:
    draw = random.Random(3)
    common = ["Anna", "Jan", "Emma", "Daan", "Sanne"], ["de Jong", "Jansen", "de Vries", "Bakker", "Visser"]
    crowd = [
        person(
            "hubspot",
            f"c{n}",
            first_name=draw.choice(common[0]),
            last_name=draw.choice(common[1]),
            email=f"p{n}@example{n}.com",
        )
        for n in range(2000)
    ]
    found = resolve(
        [
            *crowd,
            person("zendesk", "1", first_name="Fenna", last_name="Oudehofdeneman", email="fenna77@gmail.com"),
            person("mailchimp", "2", first_name="fenna", last_name="OUDEHOFDENEMAN", email="f.o@icloud.com"),
            person("odoo", "3", first_name="Oudehofdeneman", last_name="Fenna"),  # read either way round
            person("zendesk", "4", first_name="Anna", last_name="Jansen", email="anna1@gmail.com"),
            person("mailchimp", "5", first_name="Anna", last_name="Jansen", email="anna2@gmail.com"),
        ],
        CONTACTS,
    )
    golden = found.golden
    assert golden["zendesk:1"] == golden["mailchimp:2"] == golden["odoo:3"]
    assert golden["zendesk:4"] != golden["mailchimp:5"]  # hundreds of Anna Jansens are expected
    assert {rule for rule, _, _ in found.links} == {"rare name"}
    assert len(set(golden.values())) == len(crowd) + 3
