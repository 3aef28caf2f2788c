"""Filling an org with the shared seed data: companies become Accounts, people become Contacts.

Records are loaded the way an org that predates its validation rules holds them: broken ones (about
1%, see `connectors.emulators.seed`) are stored as they are, for a sync to find and quarantine.
Creation and modification times spread over the two years before the clock's now, in id order.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from connectors.emulators.salesforce.objects import ACCOUNT, ACCOUNT_TYPES, CONTACT
from connectors.emulators.salesforce.store import Store
from connectors.emulators.seed import Company, Person, generate_companies, generate_people

HISTORY = timedelta(days=730)
ACCOUNT_TYPE_WEIGHTS = (35, 40, 10, 10, 5)


@dataclass
class SeedResult:
    """The ids a seeding created, and why each deliberately broken record is broken."""

    account_ids: list[str] = field(default_factory=list)
    contact_ids: list[str] = field(default_factory=list)
    invalid: dict[str, str] = field(default_factory=dict)


def account_values(company: Company, rng: random.Random) -> dict[str, Any]:
    """An Account's fields for a seeded company."""
    return {
        "Name": company.name,
        "AccountNumber": f"CD{rng.randrange(100000, 999999)}" if rng.random() < 0.6 else None,
        "Type": rng.choices(ACCOUNT_TYPES, ACCOUNT_TYPE_WEIGHTS)[0],
        "Industry": company.industry,
        "Phone": company.phone,
        "Website": company.website,
        "Description": company.description,
        "NumberOfEmployees": company.employees,
        "AnnualRevenue": float(company.annual_revenue) if company.annual_revenue else None,
        "BillingStreet": company.street,
        "BillingCity": company.city,
        "BillingState": company.region,
        "BillingPostalCode": company.postal_code,
        "BillingCountryCode": company.country,
    }


def contact_values(person: Person, account_id: str | None) -> dict[str, Any]:
    """A Contact's fields for a seeded person."""
    return {
        "FirstName": person.first_name,
        "LastName": person.last_name,
        "Email": person.email,
        "Phone": person.phone,
        "MobilePhone": person.mobile,
        "Title": person.title,
        "Department": person.department,
        "AccountId": account_id,
        "MailingStreet": person.street,
        "MailingCity": person.city,
        "MailingState": person.region,
        "MailingPostalCode": person.postal_code,
        "MailingCountryCode": person.country,
        "Birthdate": person.birthdate,
        "HasOptedOutOfEmail": person.email_opt_out,
    }


class Timeline:
    """Creation times rising with the record number over the history window; some later edits."""

    def __init__(self, now: datetime, rng: random.Random) -> None:
        self.start, self.now, self.rng = now - HISTORY, now, rng

    def stamps(self, position: float, earliest: datetime | None = None) -> tuple[datetime, datetime]:
        span_ms = int(HISTORY.total_seconds() * 1000)
        created = self.start + timedelta(milliseconds=int(position * span_ms) + self.rng.randrange(60_000))
        created = min(max(created, earliest or created), self.now)
        if self.rng.random() < 0.6:
            return created, created
        remaining_ms = int((self.now - created).total_seconds() * 1000)
        return created, created + timedelta(milliseconds=self.rng.randrange(max(remaining_ms, 1)))


def seed_org(store: Store, accounts: int, contacts: int, seed: int) -> SeedResult:
    """Load `accounts` Accounts and `contacts` Contacts generated from `seed`."""
    companies = generate_companies(accounts, seed)
    people = generate_people(contacts, companies, seed)
    rng = random.Random(seed * 7_919 + 3)
    timeline, result = Timeline(store.now(), rng), SeedResult()
    created_at: list[datetime] = []
    for company in companies:
        created, modified = timeline.stamps(company.index / max(accounts, 1))
        record_id = store.load(ACCOUNT, account_values(company, rng), created, modified)
        result.account_ids.append(record_id)
        created_at.append(created)
        if company.invalid_reason:
            result.invalid[record_id] = company.invalid_reason
    for person in people:
        company_index = person.company
        account_id = result.account_ids[company_index] if company_index is not None else None
        earliest = created_at[company_index] if company_index is not None else None
        created, modified = timeline.stamps(person.index / max(contacts, 1), earliest)
        record_id = store.load(CONTACT, contact_values(person, account_id), created, modified)
        result.contact_ids.append(record_id)
        if person.invalid_reason:
            result.invalid[record_id] = person.invalid_reason
    return result
