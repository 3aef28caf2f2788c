from __future__ import annotations

import base64
from datetime import UTC, datetime

import pytest

from connectors.emulators.server import MinuteWindow, basic_credentials


def basic(text: str) -> str:
    return "Basic " + base64.b64encode(text.encode()).decode()


def test_basic_credentials_are_the_user_and_password_of_a_basic_header() -> None:
    assert basic_credentials(basic("ada@example.com/token:s3cret")) == ("ada@example.com/token", "s3cret")
    assert basic_credentials(basic("key:pass:with:colons")) == ("key", "pass:with:colons")
    assert basic_credentials(basic("api-key")) == ("api-key", "")
    assert basic_credentials("Basic") == ("", "")
    assert basic_credentials("basic  " + basic("a:b").split()[1] + " ") == ("a", "b")


@pytest.mark.parametrize(
    "header",
    [None, "", "Bearer abc", "apikey abc", "Basic not*base64", "Basic Zm9", "Basic é", "Basic /w=="],
)
def test_anything_but_a_decodable_basic_header_has_no_credentials(header: str | None) -> None:
    assert basic_credentials(header) is None


def test_a_minute_window_counts_requests_until_the_minute_turns() -> None:
    window = MinuteWindow()
    at = datetime(2024, 5, 1, 12, 0, 5, tzinfo=UTC)
    assert [window.count(at), window.count(at.replace(second=59)), window.count(at)] == [1, 2, 3]
    assert window.count(at.replace(minute=1)) == 1
    assert window.count(at.replace(minute=1, second=30)) == 2
