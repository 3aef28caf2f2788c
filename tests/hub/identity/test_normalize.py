"""Match values: two systems' spellings of one fact become one key, and what says nothing is None."""

from __future__ import annotations

import pytest

from hub.identity import normalize


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        (" Anna.deJong@Example.COM ", "anna.dejong@example.com"),
        ("mailto:ops@acme.io", "ops@acme.io"),
        ("not an address", None),
        ("anna@localhost", None),
        ("@example.com", None),
        ("anna@corp@example.com", None),
        (None, None),
        (42, None),
    ],
)
def test_email(given: object, expected: str | None) -> None:
    assert normalize.email(given) == expected


@pytest.mark.parametrize(
    ("given", "region", "expected"),
    [
        ("+31 20 794 0958", None, "+31207940958"),
        ("020 794 0958", "NL", "+31207940958"),
        ("0031 (0)20-7940958", "NL", "+31207940958"),
        ("(415) 555-0132", "US", "+14155550132"),
        ("020 794 0958", None, None),  # a national number without its country says nothing
        ("12", "NL", None),
        ("", "NL", None),
    ],
)
def test_phone(given: str, region: str | None, expected: str | None) -> None:
    assert normalize.phone(given, region) == expected


def test_tax_id_keeps_letters_and_digits_alone() -> None:
    assert normalize.tax_id("NL 8530.08.716 B01") == normalize.tax_id("nl853008716b01") == "NL853008716B01"
    assert normalize.tax_id("12-3") is None and normalize.tax_id(None) is None


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("https://www.Acme.com/about?x=1", "acme.com"),
        ("acme.com:8443", "acme.com"),
        ("sales@acme.com", "acme.com"),
        ("anna@gmail.com", None),  # anyone's mailbox says nothing of a company
        ("www.", None),
        ("", None),
    ],
)
def test_domain(given: str, expected: str | None) -> None:
    assert normalize.domain(given) == expected


def test_names_fold_accents_case_and_spaces_and_a_person_is_one_key_in_either_order() -> None:
    assert normalize.name("  Zoë  DE Jong") == "zoe de jong"
    assert normalize.person("Anna", "de Jong") == normalize.person("de Jong", "Anna") == "anna de jong"
    assert normalize.person("Anna", " ") is None


def test_two_spellings_one_typo_apart_share_a_similar_key_and_short_names_stay_whole() -> None:
    anna = set(normalize.similar_people("Anna", "de Jong"))
    assert "anna dejong" in anna
    for typo in (("Ana", "de Jong"), ("Anan", "de Jong"), ("Anma", "de Jong"), ("Anna", "de Jnog")):
        assert anna & set(normalize.similar_people(*typo)), typo  # left out, swapped, changed
    assert anna & set(normalize.similar_people("Annna", "deJong"))  # one added, a space left out
    assert anna == set(normalize.similar_people("de Jong", "Anna"))  # either field holding either part
    assert not anna & set(normalize.similar_people("Anna", "de Vries"))
    assert not set(normalize.similar_people("Jan", "Bos")) & set(normalize.similar_people("Jan", "Vos"))
    assert not set(normalize.similar_people("Jan", "Bos")) & set(normalize.similar_people("Jen", "Bos"))
    assert normalize.similar_people("Anna", None) == ()
