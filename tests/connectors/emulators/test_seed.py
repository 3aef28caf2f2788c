"""The shared seed data: deterministic, realistic per country, and broken on purpose in exactly 1% of records."""

from __future__ import annotations

import re
from collections import Counter

import phonenumbers
import pytest

from connectors.emulators.seed import (
    BAD_PHONES,
    COUNTRIES,
    Company,
    Person,
    generate_companies,
    generate_people,
    invalid_count,
)

POSTCODES = {
    "US": r"\d{5}",
    "GB": r"[A-Z]{1,2}\d[A-Z\d]? \d[A-Z]{2}",
    "DE": r"\d{5}",
    "FR": r"\d{5}",
    "NL": r"\d{4} [A-Z]{2}",
    "ES": r"\d{5}",
    "IT": r"\d{5}",
    "CA": r"[A-Z]\d[A-Z] \d[A-Z]\d",
    "AU": r"\d{4}",
    "IE": r"[A-Z]\d{2} [A-Z0-9]{4}",
}
EMAIL = re.compile(r"[A-Za-z0-9._%+-]+@[a-z0-9-]+(\.[a-z0-9-]+)+")
PHONE = re.compile(r"\+?[\d ()./-]+")


@pytest.fixture(scope="module")
def companies() -> list[Company]:
    return generate_companies(2000, seed=7)


@pytest.fixture(scope="module")
def people(companies: list[Company]) -> list[Person]:
    return generate_people(10000, companies, seed=7)


def digits(phone: str) -> str:
    return re.sub(r"\D", "", phone)


def test_same_seed_gives_identical_data_and_another_seed_does_not(companies: list[Company]) -> None:
    again = generate_companies(2000, seed=7)
    assert again == companies
    assert generate_people(500, again, seed=7) == generate_people(500, companies, seed=7)
    assert generate_companies(2000, seed=8) != companies


def test_generating_2000_companies_and_10000_people_gives_that_many() -> None:
    people = generate_people(10000, generate_companies(2000, seed=3), seed=3)
    assert len(people) == 10000


@pytest.mark.parametrize(
    ("n", "expected"), [(10, 0), (49, 0), (50, 1), (100, 1), (150, 2), (2000, 20), (10000, 100)]
)
def test_exactly_one_percent_is_broken_and_at_least_one_from_50_records(n: int, expected: int) -> None:
    companies = generate_companies(n, seed=1)
    people = generate_people(n, companies, seed=1)
    assert invalid_count(n) == expected
    assert sum(c.invalid_reason is not None for c in companies) == expected
    assert sum(p.invalid_reason is not None for p in people) == expected


def test_each_broken_record_is_broken_the_way_its_reason_says(
    people: list[Person], companies: list[Company]
) -> None:
    broken = [r for r in [*people, *companies] if r.invalid_reason]
    reasons = Counter(str(r.invalid_reason).split(":")[0] for r in broken)
    assert set(reasons) == {"email", "phone", "country"}
    for record in broken:
        reason = str(record.invalid_reason)
        if reason == "email: missing domain":
            assert isinstance(record, Person) and record.email.endswith("@")
        elif reason == "email: missing @":
            assert isinstance(record, Person) and "@" not in record.email
        elif reason.startswith("phone:"):
            assert record.phone in BAD_PHONES
        else:
            assert record.country not in COUNTRIES and reason == f"country: unknown code {record.country}"


def test_valid_people_have_valid_unique_emails_phones_and_countries(people: list[Person]) -> None:
    valid = [p for p in people if p.invalid_reason is None]
    assert len({p.email.lower() for p in people}) == len(people)
    for person in valid:
        assert EMAIL.fullmatch(person.email), person
        assert person.country in COUNTRIES
        for phone in (person.phone, person.mobile):
            assert phone is None or (PHONE.fullmatch(phone) and 8 <= len(digits(phone)) <= 13), person


def test_people_use_their_company_domain_and_local_address_styles(
    people: list[Person], companies: list[Company]
) -> None:
    employed = [p for p in people if p.company is not None and p.invalid_reason is None]
    assert len(employed) > 0.9 * len(people)
    assert all(
        p.email.lower().endswith("@" + companies[p.company].domain) for p in employed if p.company is not None
    )
    for record in [*people, *companies]:
        if record.invalid_reason is None:
            assert re.fullmatch(POSTCODES[record.country], record.postal_code), record


def test_companies_look_real(companies: list[Company]) -> None:
    assert set(Counter(c.country for c in companies)) >= set(COUNTRIES)
    assert len({c.name for c in companies}) == len(companies)
    assert len({c.domain for c in companies}) == len(companies)
    revenues = [c.annual_revenue for c in companies if c.annual_revenue is not None]
    assert revenues and all(re.fullmatch(r"\d+\.\d{2}", r) for r in revenues)
    assert any(c.name.endswith("GmbH") for c in companies if c.country == "DE")
    assert any("\n" in (c.description or "") for c in companies), (
        "multi-line descriptions exercise CSV quoting"
    )


def test_phone_numbers_come_in_national_and_international_spellings(people: list[Person]) -> None:
    for code, prefix in (("GB", "+44 "), ("US", "+1 "), ("DE", "+49 ")):
        phones = [p.phone for p in people if p.country == code and p.phone and p.invalid_reason is None]
        assert any(phone.startswith(prefix) for phone in phones)
        assert any(not phone.startswith("+") for phone in phones)
    assert any(p.phone and re.fullmatch(r"\(\d{3}\) 555-01\d\d", p.phone) for p in people)
    assert any(p.phone and re.fullmatch(r"020 7946 0\d{3}", p.phone) for p in people)


def test_every_valid_phone_number_is_in_its_countrys_numbering_plan(
    people: list[Person], companies: list[Company]
) -> None:
    """libphonenumber (which `e164` reads numbers with) has every number of a valid record: Galway's
    six-digit numbers, mobiles in ranges that exist (not Ofcom's 07700 900 drama range)."""
    for record in [*people, *companies]:
        if record.invalid_reason is None:
            for phone in (record.phone, getattr(record, "mobile", None)):
                if phone is not None:
                    assert phonenumbers.is_valid_number(phonenumbers.parse(phone, record.country)), record
