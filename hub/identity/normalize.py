"""Match values: a record's e-mail, phone, tax number, web domain and names as identity rules compare
them, so that two systems' spellings of one fact become one key.

Each function returns None when the value says nothing about identity: empty, unreadable, or shared
by too many people to tell them apart (a free mail provider's domain). They never raise: identity
resolution reads every record of every system, and a bad phone number is a missing key, not a failed
run.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from typing import Any

from hub.project.transforms.phone import PhoneError, to_e164

FREE_MAIL = frozenset(
    {
        "gmail.com", "googlemail.com", "yahoo.com", "yahoo.co.uk", "yahoo.fr", "hotmail.com", "hotmail.co.uk",
        "hotmail.fr", "outlook.com", "live.com", "msn.com", "aol.com", "icloud.com", "me.com", "mac.com",
        "proton.me", "protonmail.com", "gmx.de", "gmx.net", "web.de", "t-online.de", "orange.fr", "free.fr",
        "laposte.net", "libero.it", "mail.ru", "yandex.ru", "ziggo.nl", "kpnmail.nl", "hetnet.nl", "qq.com",
        "163.com",
    }
)  # fmt: skip
"""Domains of mailboxes anyone can open: a domain here says nothing about a person's company."""

_SPACES = re.compile(r"\s+")
_NOT_ALNUM = re.compile(r"[^0-9A-Z]")
_SCHEME = re.compile(r"^[a-z][a-z0-9+.-]*://")


def email(value: Any) -> str | None:
    """An address as one mailbox: trimmed and lowercased (`mailto:` dropped); None unless it has one
    `@` with text on both sides."""
    if not isinstance(value, str):
        return None
    text = value.strip().lower().removeprefix("mailto:")
    local, at, host = text.partition("@")
    if not at or not local or "@" in host or "." not in host or " " in text:
        return None
    return text


def phone(value: Any, region: str | None = None) -> str | None:
    """A phone number in E.164 (a national number read as one of `region`); None when unreadable."""
    if not isinstance(value, str) or not value.strip():
        return None
    try:
        return to_e164(value, region)
    except PhoneError:
        return None


def tax_id(value: Any) -> str | None:
    """A VAT or tax number as letters and digits alone, uppercased ("NL 8530.08.716 B01" and
    "nl853008716b01" are one); None when fewer than five remain."""
    if value is None:
        return None
    text = _NOT_ALNUM.sub("", fold(str(value)).upper())
    return text if len(text) >= 5 else None


def domain(value: Any) -> str | None:
    """The web domain a website or an e-mail address names (`https://www.acme.com/about` and
    `sales@acme.com` are `acme.com`), None for a free mail provider's."""
    if not isinstance(value, str) or not value.strip():
        return None
    text = value.strip().lower()
    if "@" in text:
        text = text.rpartition("@")[2]
    text = _SCHEME.sub("", text).split("/", 1)[0].split("?", 1)[0].split(":", 1)[0].strip(".")
    text = text.removeprefix("www.")
    if "." not in text or " " in text or text in FREE_MAIL:
        return None
    return text


@lru_cache(maxsize=1 << 18)
def fold(text: str) -> str:
    """Text without accents, case or repeated spaces: "  Zoë  DE Jong" is "zoe de jong"."""
    decomposed = unicodedata.normalize("NFKD", text)
    plain = "".join(c for c in decomposed if not unicodedata.combining(c))
    return _SPACES.sub(" ", plain).strip().casefold()


def name(value: Any) -> str | None:
    """A name folded (`fold`), None when empty."""
    if not isinstance(value, str):
        return None
    return fold(value) or None


def person(first: Any, last: Any) -> str | None:
    """A person's whole name as one key whichever field holds which part: the folded words sorted
    ("Jong, Anna de" and "Anna de Jong" are one); None without both parts."""
    given, family = name(first), name(last)
    if not given or not family:
        return None
    return " ".join(sorted(f"{given} {family}".replace(",", " ").split()))


def similar_people(first: Any, last: Any) -> tuple[str, ...]:
    """A person's whole name and every spelling of it one typo away from others, so that two spellings
    one typo apart (a letter left out, added, changed, or two letters swapped) share one of these:
    the given and the family name folded without spaces, in either order ("anna dejong", whichever
    field held which), and each with one letter left out ("ana dejong", "anna djong", ...). "Anna de
    Jong", "Ana de Jong", "Anna de Jnog", "Anna deJong" and "Jong, de / Anna" all meet. A name of
    three letters or fewer is kept whole: one letter there makes another name as often as a misspelt
    one (Bos and Vos, Jan and Jen). Empty without both parts."""
    given, family = name(first), name(last)
    if not given or not family:
        return ()
    return _similar(given, family)


@lru_cache(maxsize=1 << 16)
def _similar(given: str, family: str) -> tuple[str, ...]:
    parts = [given.replace(" ", "").replace(",", ""), family.replace(" ", "").replace(",", "")]
    found = {" ".join(sorted(parts))}
    for at, word in enumerate(parts):
        if len(word) < 4:
            continue
        for cut in range(len(word)):
            varied = [*parts]
            varied[at] = word[:cut] + word[cut + 1 :]
            found.add(" ".join(sorted(varied)))
    return tuple(sorted(found))
