"""Identity resolution's accuracy and cost against a known truth (issue 17, item 5).

    .venv/bin/python bench/identity.py [--people 40000] [--seed 17]

A generator makes people who each appear in one to five systems (Salesforce, HubSpot, Zendesk,
Mailchimp, Odoo), every appearance with the noise real records have: typos, nicknames, given and
family names swapped, a private mailbox instead of the work one, e-mail case, phone numbers in
national and international forms, missing fields; people share names, and colleagues share a company
switchboard. It knows which records are one person. Two resolutions run over the same records:

- the exact e-mail baseline: records with the same e-mail text are one;
- Omnihub's rules (`hub.identity.resolve`, the `contact` defaults).

For each it prints pairwise precision, recall and F1 of the clusters against the truth (a pair of
records is right when both put it in one cluster), the clusters made, the time taken and the
process's peak memory. `--people 250000` makes about 650,000 records; the generator's share of the
time and memory is printed apart.
"""

from __future__ import annotations

import argparse
import random
import resource
import sys
import time
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from hub.identity.resolve import DEFAULT_RULES, Candidate, resolve  # noqa: E402

SYSTEMS = ("salesforce", "hubspot", "zendesk", "mailchimp", "odoo")
ACCOUNTS = frozenset({"salesforce", "hubspot", "odoo"})  # the systems that keep a person's company
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
        email = (
            person.work
            if draw < 0.55
            else person.work.upper()
            if draw < 0.6
            else person.private
            if draw < 0.78
            else None
        )
        values: dict[str, object] = {"first_name": given, "last_name": family, "email": email}
        if system in ACCOUNTS:  # a CRM or an ERP knows the company (by its hub id, as canonical records do)
            values["account"] = f"company-{person.company}"
        if rng.random() < 0.45:
            values["mobile"] = phone_text(person.phone, rng)
        if rng.random() < 0.2:
            values["phone"] = phone_text(person.switchboard, rng)  # the company's, shared by colleagues
        yield system, values


def records(count: int, seed: int) -> tuple[list[Candidate], dict[str, int]]:
    rng = random.Random(seed)
    made: list[Candidate] = []
    truth: dict[str, int] = {}
    serial = Counter[str]()
    for person in people(count, rng):
        for system, values in appearances(person, rng):
            serial[system] += 1
            record = Candidate(system, str(serial[system]), values)
            made.append(record)
            truth[record.key] = person.truth
    return made, truth


def exact_email(candidates: list[Candidate]) -> dict[str, str]:
    """The baseline: one cluster per e-mail text as written; a record without one stands alone."""
    return {c.key: str(c.values.get("email") or c.key) for c in candidates}


def pairwise(found: Mapping[str, str], truth: Mapping[str, int]) -> tuple[float, float, float, int]:
    """Precision, recall and F1 over pairs of records, and the clusters found."""

    def pairs(counts: Iterable[int]) -> int:
        return sum(n * (n - 1) // 2 for n in counts)

    together = Counter((found[key], truth[key]) for key in found)
    right = pairs(together.values())
    predicted = pairs(Counter(found.values()).values())
    actual = pairs(Counter(truth.values()).values())
    precision = right / predicted if predicted else 1.0
    recall = right / actual if actual else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return precision, recall, f1, len(set(found.values()))


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--people", type=int, default=40_000)
    parser.add_argument("--seed", type=int, default=17)
    args = parser.parse_args()
    started = time.perf_counter()
    candidates, truth = records(args.people, args.seed)
    made = time.perf_counter() - started
    people_in = len(set(truth.values()))
    per_truth = Counter(truth.values())
    print(
        f"{len(candidates):,} records of {people_in:,} people in {len(SYSTEMS)} systems "
        f"({sum(1 for n in per_truth.values() if n > 1):,} in more than one); generated in {made:.1f} s, "
        f"peak {peak_mb():.0f} MB"
    )
    heads = ("precision", 10), ("recall", 8), ("F1", 8), ("clusters", 10), ("seconds", 9), ("peak MB", 9)
    print(f"{'resolution':<22}" + "".join(f"{head:>{width}}" for head, width in heads))
    runs = {
        "exact e-mail": lambda: exact_email(candidates),
        "omnihub rules": lambda: resolve(candidates, DEFAULT_RULES["contact"], region="NL").golden,
    }
    for name, run in runs.items():
        clock = time.perf_counter()
        found = run()
        spent = time.perf_counter() - clock
        precision, recall, f1, clusters = pairwise(found, truth)
        print(
            f"{name:<22}{precision:>10.4f}{recall:>8.4f}{f1:>8.4f}{clusters:>10,}{spent:>9.1f}{peak_mb():>9.0f}"
        )


if __name__ == "__main__":
    main()
