"""People who each appear in several systems, with the noise real records have, and the truth of
which records are one person: what identity resolution is measured against (`bench/identity.py`,
`tests/hub/identity/`).

Each person appears in one to five systems (Salesforce, HubSpot, Zendesk, Mailchimp, Odoo); every
appearance has its own noise: typos, nicknames, given and family names swapped, a private mailbox
instead of the work one (15%), e-mail in capitals, no e-mail at all (how often depends on the system:
never in Mailchimp, whose members are their address, 3% in Zendesk, 10% in a CRM, 20% in the ERP),
phone numbers in national and international forms or none, a company switchboard colleagues share.
People share names, as real ones do. A CRM's or the ERP's record knows the person's company.
"""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

SYSTEMS = ("salesforce", "hubspot", "zendesk", "mailchimp", "odoo")
ACCOUNTS = frozenset({"salesforce", "hubspot", "odoo"})  # the systems that keep a person's company
WITHOUT_EMAIL = {"salesforce": 0.1, "hubspot": 0.1, "zendesk": 0.03, "mailchimp": 0.0, "odoo": 0.2}
"""How often a system's record has no e-mail: Mailchimp's members are their address, a helpdesk
requester nearly always has one, an ERP's contact often not."""
APPEARANCES = (1, 1, 1, 2, 2, 2, 3, 3, 4, 5)  # how many systems a person is in, drawn evenly
NICKNAMES = {
    "William": "Bill", "Robert": "Bob", "Elizabeth": "Liz", "Katherine": "Kate", "Johannes": "Jan",
    "Margaretha": "Greet", "Alexander": "Alex", "Jennifer": "Jen", "Michael": "Mike", "Thomas": "Tom",
    "Christopher": "Chris", "Nicholas": "Nick", "Catharina": "Tineke", "Wilhelmina": "Willy",
    "Jacobus": "Koos", "Cornelis": "Kees", "Hendrik": "Henk", "Gerardus": "Gert", "Daniel": "Dan",
    "Samantha": "Sam", "Rebecca": "Becky", "Anthony": "Tony", "Joseph": "Joe", "Susanne": "Sanne",
}  # fmt: skip
GIVEN = [
    *NICKNAMES, "Anna", "Emma", "Sophie", "Julia", "Lotte", "Sanne", "Eva", "Lisa", "Fleur", "Noa", "Daan",
    "Sem", "Lucas", "Levi", "Finn", "Milan", "Jesse", "Bram", "Ruben", "Lars", "Mark", "Peter", "Paul",
    "Maria", "Laura", "Sarah", "Hannah", "Lena", "Mia", "Lea", "Jonas", "Felix", "Paul", "Max", "Ben",
    "Olivia", "Amelia", "Isla", "Ava", "Noah", "Oliver", "George", "Harry", "Jack", "Leo", "Oscar",
    "Zoë", "Chloé", "Inès", "Léa", "Jérôme", "Frédéric", "Renée", "José", "Sören", "Jürgen",
]  # fmt: skip
FAMILY = [
    "de Jong", "Jansen", "de Vries", "van den Berg", "van Dijk", "Bakker", "Janssen", "Visser", "Smit",
    "Meijer", "de Boer", "Mulder", "de Groot", "Bos", "Vos", "Peters", "Hendriks", "van Leeuwen", "Dekker",
    "Brouwer", "de Wit", "Dijkstra", "Smits", "de Graaf", "van der Meer", "Müller", "Schmidt", "Schneider",
    "Fischer", "Weber", "Meyer", "Wagner", "Becker", "Schulz", "Hoffmann", "Smith", "Jones", "Taylor",
    "Brown", "Williams", "Wilson", "Johnson", "Davies", "Robinson", "Wright", "Thompson", "Evans",
    "Walker", "White", "Roberts", "Green", "Hall", "Wood", "Jackson", "Clarke", "Martin", "Bernard",
    "Dubois", "Thomas", "Robert", "Richard", "Petit", "Durand", "Leroy", "Moreau", "Simon", "Laurent",
]  # fmt: skip


ROOTS = (
    "Berg", "Brink", "Hof", "Kamp", "Veld", "Wijk", "Bosch", "Dam", "Meer", "Horst", "Stein", "Feld", "Wald",
    "Wood", "Field", "Ham", "Ford", "Ley", "Well", "Brook", "Stone", "Hill", "Lind", "Holm", "Strand", "Dahl",
    "Berger", "Kirch", "Moor", "Rode", "Hage", "Heuvel", "Haven", "Lake", "Marsh", "Gate", "Mill", "Burn",
    "Cross", "Ash", "Oak", "Thorn", "Holt", "Hurst", "Combe", "Dene", "Wick", "Stoke", "Croft", "Garth",
)  # fmt: skip
ENDINGS = (
    "",
    "s",
    "er",
    "man",
    "sen",
    "ink",
    "ing",
    "ema",
    "stra",
    "a",
    "el",
    "hout",
    "beek",
    "ton",
    "by",
    "ley",
)
FAMILY += [f"{root}{ending}" for root in ROOTS for ending in ENDINGS]  # about 800 more, as real names vary


@dataclass
class Person:
    truth: int
    given: str
    family: str
    work: str
    private: str
    phone: str  # E.164, a mobile
    switchboard: str
    company: int


def people(count: int, rng: random.Random) -> list[Person]:
    """`count` people in companies of about eight; names repeat, as real ones do."""
    made, used = [], Counter[str]()
    for truth in range(count):
        company = truth // 8
        given, family = rng.choice(GIVEN), rng.choice(FAMILY)
        local = f"{given}.{family}".lower().replace(" ", "")
        used[f"{local}@{company}"] += 1
        if used[f"{local}@{company}"] > 1:
            local += str(used[f"{local}@{company}"])
        made.append(
            Person(
                truth,
                given,
                family,
                f"{local}@company{company}.com",
                f"{local}{rng.randint(1, 9999)}@{rng.choice(('gmail.com', 'outlook.com', 'icloud.com'))}",
                f"+316{rng.randint(10_000_000, 99_999_999)}",
                f"+3120{1_000_000 + company:07d}" if company % 2 else f"+4930{1_000_000 + company:07d}",
                company,
            )
        )
    return made


def typo(text: str, rng: random.Random) -> str:
    if len(text) < 4:
        return text
    at = rng.randrange(1, len(text) - 1)
    kind = rng.random()
    if kind < 0.4:  # two letters swapped
        return text[:at] + text[at + 1] + text[at] + text[at + 2 :]
    if kind < 0.7:  # one left out
        return text[:at] + text[at + 1 :]
    return text[:at] + rng.choice("aeiounrst") + text[at + 1 :]  # one mistyped


def phone_text(e164: str, rng: random.Random) -> str:
    """A number as people type it: international, with spaces, or national."""
    national = "0" + e164[3:]
    return rng.choice(
        (e164, f"{e164[:3]} {e164[3:4]} {e164[4:]}", national, f"{national[:2]}-{national[2:]}")
    )


def appearances(person: Person, rng: random.Random) -> Iterable[tuple[str, dict[str, object]]]:
    """The person's records in the systems they are in, each with its own noise."""
    for system in rng.sample(SYSTEMS, rng.choice(APPEARANCES)):
        given, family = person.given, person.family
        if rng.random() < 0.08 and given in NICKNAMES:
            given = NICKNAMES[given]
        if rng.random() < 0.05:
            given = typo(given, rng)
        if rng.random() < 0.05:
            family = typo(family, rng)
        if rng.random() < 0.03:
            given, family = family, given
        draw = rng.random()
        if draw < WITHOUT_EMAIL[system]:
            email = None
        elif draw < WITHOUT_EMAIL[system] + 0.15:
            email = person.private  # a newsletter sign-up, a support request from home
        else:
            email = person.work.upper() if rng.random() < 0.1 else person.work
        values: dict[str, object] = {"first_name": given, "last_name": family, "email": email}
        if system in ACCOUNTS:  # a CRM or an ERP knows the company (by its hub id, as canonical records do)
            values["account"] = f"company-{person.company}"
        if rng.random() < 0.45:
            values["mobile"] = phone_text(person.phone, rng)
        if rng.random() < 0.2:
            values["phone"] = phone_text(person.switchboard, rng)  # the company's, shared by colleagues
        yield system, values


def records(count: int, seed: int = 17) -> list[tuple[str, str, dict[str, object], int]]:
    """The records of `count` people: (system, id in it, canonical values, the person's number)."""
    rng = random.Random(seed)
    made = []
    serial = Counter[str]()
    for person in people(count, rng):
        for system, values in appearances(person, rng):
            serial[system] += 1
            made.append((system, str(serial[system]), values, person.truth))
    return made
