"""Identity resolution's accuracy and cost against a known truth (issue 17, item 5).

    .venv/bin/python bench/identity.py [--people 40000] [--seed 17] [--names census|uniform]

A generator makes people who each appear in one to five systems (Salesforce, HubSpot, Zendesk,
Mailchimp, Odoo), every appearance with the noise real records have: typos, nicknames, given and
family names swapped, a private mailbox instead of the work one, e-mail case, phone numbers in
national and international forms, missing fields; people share names, and colleagues share a company
switchboard (`connectors/emulators/people.py`). Names are as often shared as the US census's
(`--names census`, the default), or drawn evenly from 79 given and 865 family names (`--names
uniform`: nearly everyone shares their whole name, and a name alone says nothing). It knows which
records are one person. Four resolutions run over the same records:

- the exact e-mail baseline: records with the same e-mail text are one;
- Omnihub's rules (`hub.identity.resolve`, the rules of `schemas/contact.schema.json`'s `x-identity`);
- the same, then every cluster's golden record by the contact's survivorship (`hub.identity.golden`);
- the rules and Splink's probable pairs (`hub.identity.linkage`, at `--threshold`).

For each it prints pairwise precision, recall and F1 of the clusters against the truth (a pair of
records is right when both put it in one cluster), the clusters made, the time taken and the
process's peak memory. `--people 250000` makes about 650,000 records; the generator's share of the
time and memory is printed apart.
"""

from __future__ import annotations

import argparse
import resource
import sys
import time
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from connectors.emulators.people import SYSTEMS, records  # noqa: E402
from hub.identity.golden import Member, golden_record  # noqa: E402
from hub.identity.linkage import probable_links  # noqa: E402
from hub.identity.resolve import Candidate, resolve  # noqa: E402
from hub.identity.settings import library_settings  # noqa: E402


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


def with_golden(candidates: list[Candidate], found: dict[str, str]) -> dict[str, str]:
    """The clusters, after building every cluster's golden record by the contact's survivorship rules
    (what `hub identity resolve` adds to the rules' time before it writes them)."""
    settings = library_settings("contact")
    assert settings is not None
    members: dict[str, list[Member]] = defaultdict(list)
    for c in candidates:
        members[found[c.key]].append(Member(c.system, c.id, c.values, None))
    fields = ("first_name", "last_name", "email", "phone", "mobile", "account")
    for cluster in members.values():
        golden_record(cluster, fields, settings.survivorship)
    return found


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--people", type=int, default=40_000)
    parser.add_argument("--seed", type=int, default=17)
    parser.add_argument("--threshold", type=float, default=0.9999, help="Splink's match probability to link")
    parser.add_argument(
        "--names", choices=("census", "uniform"), default="census", help="how names are drawn"
    )
    args = parser.parse_args()
    started = time.perf_counter()
    generated = records(args.people, args.seed, args.names)
    candidates = [Candidate(system, id, values) for system, id, values, _ in generated]
    truth = {f"{system}:{id}": person for system, id, _, person in generated}
    made = time.perf_counter() - started
    people_in = len(set(truth.values()))
    per_truth = Counter(truth.values())
    print(
        f"{len(candidates):,} records of {people_in:,} people in {len(SYSTEMS)} systems "
        f"({sum(1 for n in per_truth.values() if n > 1):,} in more than one; names: {args.names}); "
        f"generated in {made:.1f} s, "
        f"peak {peak_mb():.0f} MB"
    )
    heads = ("precision", 10), ("recall", 8), ("F1", 8), ("clusters", 10), ("seconds", 9), ("peak MB", 9)
    print(f"{'resolution':<22}" + "".join(f"{head:>{width}}" for head, width in heads))
    settings = library_settings("contact")
    assert settings is not None
    rules = settings.rules
    runs = {
        "exact e-mail": lambda: exact_email(candidates),
        "omnihub rules": lambda: resolve(candidates, rules, region="NL").golden,
        "rules + golden records": lambda: with_golden(
            candidates, resolve(candidates, rules, region="NL").golden
        ),
        "rules + splink": lambda: (
            resolve(
                candidates,
                rules,
                region="NL",
                probable=probable_links(candidates, threshold=args.threshold, region="NL"),
            ).golden
        ),
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
