"""Probabilistic linkage with Splink: on people the generator knows the truth of, it links records
the rules cannot (a private mailbox, no e-mail) and keeps precision."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping

from connectors.emulators.people import records
from hub.identity.linkage import features, probable_links
from hub.identity.resolve import Candidate, resolve
from hub.identity.settings import library_settings


def scores(found: Mapping[str, str], truth: Mapping[str, int]) -> tuple[float, float]:
    def pairs(counts: Counter[object]) -> int:
        return sum(n * (n - 1) // 2 for n in counts.values())

    right = pairs(Counter((found[k], truth[k]) for k in found))
    return right / pairs(Counter(found.values())), right / pairs(Counter(truth.values()))


def test_splink_links_what_the_rules_cannot_and_keeps_precision() -> None:
    made = records(3000, seed=5)
    candidates = [Candidate(system, id, values) for system, id, values, _ in made]
    truth = {f"{system}:{id}": person for system, id, _, person in made}
    settings = library_settings("contact")
    assert settings is not None
    rules = resolve(candidates, settings.rules, region="NL")
    probable = probable_links(candidates, region="NL")
    both = resolve(candidates, settings.rules, region="NL", probable=probable)
    rules_precision, rules_recall = scores(rules.golden, truth)
    precision, recall = scores(both.golden, truth)
    assert rules_precision > 0.99 and precision > 0.97
    assert recall > rules_recall + 0.005  # what the rules left apart, Splink joined
    assert any(rule.startswith("probable (") for rule, _, _ in both.links)
    assert all(score >= 0.9999 for _, _, score in probable)


def test_features_are_the_match_values_splink_compares() -> None:
    record = Candidate(
        "hubspot",
        "9",
        {
            "first_name": "Zoë",
            "last_name": "de Jong",
            "email": "Zoe@Acme.com",
            "phone": "020 794 0958",
            "account": "h-1",
        },
    )
    assert features(record, "NL") == {
        "unique_id": "hubspot:9",
        "first_name": "zoe",
        "last_name": "de jong",
        "full_name": "de jong zoe",
        "email": "zoe@acme.com",
        "email_domain": "acme.com",
        "phone": "+31207940958",
        "account": "h-1",
    }
