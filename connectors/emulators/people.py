"""People who each appear in several systems, with the noise real records have, and the truth of
which records are one person: what identity resolution is measured against (`bench/identity.py`,
`tests/hub/identity/`).

Each person appears in one to five systems (Salesforce, HubSpot, Zendesk, Mailchimp, Odoo); every
appearance has its own noise: typos, nicknames, given and family names swapped, a private mailbox
instead of the work one (15%), e-mail in capitals, no e-mail at all (how often depends on the system:
never in Mailchimp, whose members are their address, 3% in Zendesk, 10% in a CRM, 20% in the ERP),
phone numbers in national and international forms or none, a company switchboard colleagues share.
A CRM's or the ERP's record knows the person's company.

People share names as real ones do (`names="census"`, the default): given and family names are drawn
with the frequencies of the US census's name files, a few common names and a long tail of rare ones
(`CENSUS`). `names="uniform"` draws them evenly from 79 given and 865 family names instead, as this
generator did first: there nearly everyone shares their whole name with someone, and a name alone
says nothing.
"""

from __future__ import annotations

import bisect
import itertools
import random
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from typing import Literal

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

MALE = [
    "William", "Robert", "Johannes", "Alexander", "Michael", "Thomas", "Christopher", "Nicholas",
    "Jacobus", "Cornelis", "Hendrik", "Gerardus", "Daniel", "Anthony", "Joseph", "Daan", "Sem", "Lucas",
    "Levi", "Finn", "Milan", "Jesse", "Bram", "Ruben", "Lars", "Mark", "Peter", "Paul", "Jonas", "Felix",
    "Max", "Ben", "Noah", "Oliver", "George", "Harry", "Jack", "Leo", "Oscar", "Jérôme", "Frédéric", "José",
    "Sören", "Jürgen",
]  # fmt: skip
FEMALE = [name for name in dict.fromkeys(GIVEN) if name not in MALE]
CENSUS = {"male": (1.36, 12.0, 1_500), "female": (0.85, 1.75, 4_500), "family": (0.87, 4.5, 150_000)}
"""How often names occur: the name of rank r is drawn with weight (r + b) ** -a, over a pool of n
names, as (a, b, n). Fitted to the US census's name files (1990 for given names, 2000 and 2010 for
family names): the commonest male name is 3.3% of men and the ten commonest 23.2%; the commonest
female name 2.6% of women and the 36 commonest 24.5%; the commonest family name about 0.9% of
people, the 25 commonest 8.7%, the 239 commonest 25% and the 88,799 commonest about 90%. The fits
give 3.3% and 23.2%; 2.6% and 24.9%; 0.85%, 9.3%, 23.3% and 91%. The pools start with the real
names above; the rest are made of syllables."""


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


Names = Literal["census", "uniform"]


@cache
def _pool(kind: str) -> tuple[list[str], list[float]]:
    """A pool of names of `kind` (see `CENSUS`), commonest first, and its cumulative weights: the real
    names first, then names made of syllables, in an order of their own."""
    a, b, size = CENSUS[kind]
    if kind == "family":
        real = FAMILY
        prefixes = ("", "van ", "de ", "ter ", "van der ", "Ver", "Groot", "Klein", "Oude", "Hoog", "Nieuwen")
        made = [
            f"{_glued(prefix, first)}{second.lower()}{ending}"
            for prefix in prefixes
            for first in ROOTS
            for second in ROOTS
            if first != second
            for ending in ENDINGS[:6]
        ]
    else:
        real = MALE if kind == "male" else FEMALE
        starts = (
            "A Al An Ar Ba Be Bo Bri Ca Da De Do E El Em Fa Fe Ga Ge Ha He I Ja Je Jo Ka Ke Ki La Le Li "
            "Lo Ma Me Mi Mo Na Ne Ni No O Pa Pe Ra Re Ri Ro Sa Se Si So Ta Te Ti To Va Ve Vi Wi Ya Za Ze"
        )
        middles = ("", "de", "ri", "lo", "na", "li")
        ends = {
            "male": "n ran ren rik bert mar win ard mo der lan ton vin mon go dan rus nus ko kel",
            "female": (
                "na la ra lie ke tje lies ria ne ja via ssa line lle nda rina sa mi nie ta ya dra ena leen"
            ),
        }[kind]
        made = [
            start + middle + end for start in starts.split() for middle in middles for end in ends.split()
        ]
    known = set(real)
    tail = [name for name in dict.fromkeys(made) if name not in known]
    random.Random(kind).shuffle(tail)
    pool = [*dict.fromkeys(real), *tail][:size]
    return pool, list(itertools.accumulate((rank + b) ** -a for rank in range(1, len(pool) + 1)))


def _glued(prefix: str, root: str) -> str:
    """A family name's prefix and root: "van " and "Berg" are "van Berg", "Groot" and "Berg" "Grootberg"."""
    return f"{prefix}{root.lower()}" if prefix and not prefix.endswith(" ") else f"{prefix}{root}"


def _draw(kind: str, rng: random.Random) -> str:
    pool, cumulative = _pool(kind)
    return pool[bisect.bisect(cumulative, rng.random() * cumulative[-1])]


def people(count: int, rng: random.Random, names: Names = "census") -> list[Person]:
    """`count` people in companies of about eight; names repeat, as real ones do (`names`)."""
    made, used = [], Counter[str]()
    for truth in range(count):
        company = truth // 8
        if names == "uniform":
            given, family = rng.choice(GIVEN), rng.choice(FAMILY)
        else:
            given = _draw("male" if rng.random() < 0.5 else "female", rng)
            family = _draw("family", rng)
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


def records(
    count: int, seed: int = 17, names: Names = "census"
) -> list[tuple[str, str, dict[str, object], int]]:
    """The records of `count` people: (system, id in it, canonical values, the person's number)."""
    rng = random.Random(seed)
    made = []
    serial = Counter[str]()
    for person in people(count, rng, names):
        for system, values in appearances(person, rng):
            serial[system] += 1
            made.append((system, str(serial[system]), values, person.truth))
    return made
