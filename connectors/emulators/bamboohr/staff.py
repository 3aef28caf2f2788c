"""A deterministic, realistic company staff for the BambooHR sandbox.

    >>> staff = generate_staff(150, seed=7, domain="omnihub-demo.com")
    >>> staff[0].values["jobTitle"], staff[0].manager
    ('Chief Executive Officer', None)

One CEO without a supervisor; each department (Sales, Support, Engineering, Finance, Operations,
People) has a head reporting to the CEO, team leads reporting to the head (one for about seven
people) and staff reporting to a lead. About 10% of the staff have left (status Inactive with a
termination date), a few have no hire date on file, and every work e-mail is unique at `domain`.
Names and phone numbers come from the shared people of `connectors.emulators.seed`. Members come
supervisors first, so each `manager` is the index of an earlier member.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from connectors.emulators.seed import Person, ascii_slug, generate_people, international_phone

# department: (share of the staff, head's title, lead's title, staff titles)
DEPARTMENTS: dict[str, tuple[float, str, str, tuple[str, ...]]] = {
    "Sales": (0.20, "VP Sales", "Sales Team Lead", ("Account Executive", "Sales Development Representative")),
    "Support": (
        0.20,
        "Head of Customer Support",
        "Support Team Lead",
        ("Support Specialist", "Senior Support Specialist", "Technical Support Engineer"),
    ),
    "Engineering": (
        0.30,
        "VP Engineering",
        "Engineering Manager",
        ("Software Engineer", "Senior Software Engineer", "QA Engineer", "DevOps Engineer"),
    ),
    "Finance": (0.08, "Chief Financial Officer", "Finance Manager", ("Accountant", "Financial Analyst")),
    "Operations": (
        0.12,
        "Chief Operating Officer",
        "Operations Manager",
        ("Operations Analyst", "Office Manager", "Procurement Specialist"),
    ),
    "People": (0.10, "Head of People", "People Operations Lead", ("HR Business Partner", "Recruiter")),
}
OFFICES = {
    "US": ("New York", "North America"), "CA": ("Toronto", "North America"),
    "GB": ("London", "EMEA"), "IE": ("Dublin", "EMEA"), "DE": ("Berlin", "EMEA"),
    "FR": ("Paris", "EMEA"), "NL": ("Amsterdam", "EMEA"), "ES": ("Madrid", "EMEA"),
    "IT": ("Milan", "EMEA"), "AU": ("Sydney", "APAC"),
}  # fmt: skip
TEAM = 7  # people per team lead
FIRST_HIRE, LAST_DAY = date(2013, 1, 7), date(2023, 12, 29)


@dataclass(frozen=True, slots=True)
class StaffMember:
    """An employee to create: field values, and the index of the member they report to."""

    values: dict[str, Any]
    manager: int | None


def department_sizes(n: int) -> dict[str, int]:
    """How many of `n - 1` employees (the CEO aside) each department gets; the rest go to Engineering."""
    others = max(0, n - 1)
    sizes = {name: int(others * share) for name, (share, *_titles) in DEPARTMENTS.items()}
    sizes["Engineering"] += others - sum(sizes.values())
    return sizes


def _org_chart(n: int) -> list[tuple[str, str, int | None]]:
    """(department, job title, manager index) for every member, supervisors before their reports."""
    chart: list[tuple[str, str, int | None]] = [("Operations", "Chief Executive Officer", None)] if n else []
    teams: list[tuple[str, int, list[int]]] = []  # department, head index, lead indexes
    sizes = department_sizes(n)
    for name, size in sizes.items():
        if size:
            chart.append((name, DEPARTMENTS[name][1], 0))
            teams.append((name, len(chart) - 1, []))
    for name, head, leads in teams:
        for _ in range((sizes[name] - 1) // TEAM):
            chart.append((name, DEPARTMENTS[name][2], head))
            leads.append(len(chart) - 1)
    for name, head, leads in teams:
        titles = DEPARTMENTS[name][3]
        for k in range(sizes[name] - 1 - len(leads)):
            chart.append((name, titles[k % len(titles)], leads[k % len(leads)] if leads else head))
    return chart


def _email(person: Person, domain: str, taken: set[str]) -> str:
    local = f"{ascii_slug(person.first_name)}.{ascii_slug(person.last_name)}"
    candidate, n = local, 2
    while candidate in taken:
        candidate, n = f"{local}{n}", n + 1
    taken.add(candidate)
    return f"{candidate}@{domain}"


def _day(rng: random.Random, first: date, last: date) -> date:
    return first + timedelta(days=rng.randrange(max(1, (last - first).days)))


def generate_staff(n: int, seed: int, domain: str) -> list[StaffMember]:
    """`n` employees, the same ones for the same seed (see the module docstring)."""
    rng = random.Random(seed * 7_919 + 43)
    people = generate_people(n, [], seed)
    chart = _org_chart(n)
    managers = {m for _d, _t, m in chart if m is not None}
    staff = [i for i in range(len(chart)) if i not in managers and i != 0]
    leavers = set(rng.sample(staff, min(len(staff), round(n * 0.1))))
    undated = set(rng.sample(sorted(set(staff) - leavers), min(len(staff) - len(leavers), max(1, n // 50))))
    taken: set[str] = set()
    members = []
    for index, ((department, title, manager), person) in enumerate(zip(chart, people, strict=True)):
        office, division = OFFICES.get(person.country, ("Remote", "EMEA"))
        hired = FIRST_HIRE if index == 0 else _day(rng, FIRST_HIRE, LAST_DAY - timedelta(days=120))
        values = {
            "employeeNumber": str(1001 + index),
            "firstName": person.first_name,
            "lastName": person.last_name,
            "workEmail": _email(person, domain, taken),
            "workPhone": international_phone(person.phone, person.country),
            "mobilePhone": international_phone(person.mobile, person.country),
            "department": department,
            "division": division,
            "jobTitle": title,
            "location": office,
            "status": "Active",
            "hireDate": None if index in undated else hired.isoformat(),
            "terminationDate": None,
        }
        if index in leavers:
            left = _day(rng, hired + timedelta(days=60), LAST_DAY)
            values |= {"status": "Inactive", "terminationDate": left.isoformat()}
        members.append(StaffMember(values, manager))
    return members
