"""Probabilistic linkage with Splink: on people the generator knows the truth of, it links records
the rules cannot (a private mailbox, no e-mail) and keeps precision."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping

from connectors.emulators.people import records
from hub.identity.linkage import VETO, _contradict, features, probable_links
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
    email = settings.rules[:1]  # the e-mail rule alone leaves every other kind of evidence to Splink
    assert [rule.name for rule in email] == ["e-mail"]
    rules = resolve(candidates, email, region="NL")
    probable = probable_links(candidates, region="NL")
    both = resolve(candidates, email, region="NL", probable=probable)
    rules_precision, rules_recall = scores(rules.golden, truth)
    precision, recall = scores(both.golden, truth)
    assert rules_precision > 0.99 and precision > 0.99
    assert recall > rules_recall + 0.1  # what the rule left apart, Splink joined
    assert any(rule.startswith("probable (") for rule, _, _ in both.links)
    assert all(score >= 0.9999 for _, _, score in probable)
    every = resolve(candidates, settings.rules, region="NL", probable=probable)
    assert scores(every.golden, truth)[0] > 0.99  # and with every rule, precision holds
    shown = {c.key: features(c, "NL") for c in candidates}
    assert not any(
        _contradict([shown[left][v] for v in VETO], [shown[right][v] for v in VETO])
        for left, right, _ in probable
    )


def test_namesakes_at_two_companies_are_never_one_whatever_splink_scores() -> None:
    assert VETO == ("email_domain", "account")
    assert _contradict(("acme.com", None), ("globex.com", None))  # two companies' mailboxes
    assert _contradict((None, "h-acme"), ("acme.com", "h-globex"))  # two companies named
    assert not _contradict(("acme.com", "h-acme"), (None, "h-acme"))
    assert not _contradict((None, None), ("acme.com", "h-acme"))  # a private mailbox says nothing


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
