"""The people identity resolution is measured against: names as often shared as the census's are, and
the truth of which records are one person."""

from __future__ import annotations

import random
from collections import Counter

import pytest

from connectors.emulators.people import CENSUS, MALE, Names, _pool, people, records


@pytest.mark.parametrize(
    ("kind", "shares"),
    [
        ("male", {1: 0.033, 10: 0.232}),
        ("female", {1: 0.026, 36: 0.249}),
        ("family", {1: 0.0085, 25: 0.093, 239: 0.233, 88_799: 0.911}),
    ],
)
def test_names_occur_as_often_as_the_census_fit_says(kind: str, shares: dict[int, float]) -> None:
    pool, cumulative = _pool(kind)
    assert len(pool) == len(set(pool)) == CENSUS[kind][2]
    for rank, share in shares.items():
        assert cumulative[rank - 1] / cumulative[-1] == pytest.approx(share, abs=0.0015), rank
    real = {"male": MALE[0], "female": "Elizabeth", "family": "de Jong"}[kind]
    assert pool[0] == real  # the real names first, the made ones after


def test_few_people_share_a_whole_name_unless_names_are_drawn_evenly() -> None:
    def sharing(names: Names) -> float:
        made = people(42_000, random.Random(17), names)
        counts = Counter((p.given, p.family) for p in made)
        return sum(n for n in counts.values() if n > 1) / len(made)

    assert 0.02 < sharing("census") < 0.08
    assert sharing("uniform") > 0.4


def test_the_records_know_which_are_one_person_and_are_the_same_for_a_seed() -> None:
    made = records(500, seed=9)
    assert made == records(500, seed=9) and made != records(500, seed=10)
    assert len({person for *_, person in made}) == 500
    for system, _, values, _ in made:
        assert values["last_name"] and system in ("salesforce", "hubspot", "zendesk", "mailchimp", "odoo")
