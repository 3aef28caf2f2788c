from __future__ import annotations

import logging

import pytest

from hub.errors import ConfigError, ConnectionNotFound
from hub.io.connections import from_environment, get_connection, parse_connection, set_resolver
from hub.io.redact import RedactingFilter, redact


def test_uri_form_as_airflow_parses_it() -> None:
    conn = parse_connection(
        "odoo_default",
        "odoo://ad%40min:s%3Acret@erp.example.com:8069/prod%2Fdb?ca_bundle=%2Ftmp%2Fca.pem&x=1",
    )
    assert (conn.conn_type, conn.host, conn.port, conn.schema) == ("odoo", "erp.example.com", 8069, "prod/db")
    assert (conn.login, conn.password) == ("ad@min", "s:cret")
    assert conn.extra == {"ca_bundle": "/tmp/ca.pem", "x": "1"}


def test_uri_with_protocol_in_host_and_extra_json() -> None:
    conn = parse_connection(
        "sf",
        "salesforce://user:pw@https%3A%2F%2Flogin.example.com?__extra__=%7B%22security_token%22%3A+%22tok%22%7D",
    )
    assert conn.host == "https://login.example.com"
    assert conn.extra == {"security_token": "tok"}
    two_schemes = parse_connection("x", "my-type://https://host.example.com/path")
    assert (two_schemes.conn_type, two_schemes.host, two_schemes.schema) == (
        "my_type",
        "https://host.example.com",
        "path",
    )
    assert parse_connection("pg", "postgresql://u@h/db").conn_type == "postgres"


def test_json_form_with_extra_object_or_string() -> None:
    conn = parse_connection(
        "sf",
        ' {"conn_type": "salesforce", "host": "https://127.0.0.1:1", "login": "u", '
        '"password": "p", "port": "8443", "extra": {"client_id": "abc"}}',
    )
    assert (conn.host, conn.port, conn.extra) == ("https://127.0.0.1:1", 8443, {"client_id": "abc"})
    assert parse_connection("x", '{"extra": "{\\"a\\": 1}"}').extra == {"a": 1}


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ('{"port": "http"}', "expected an integer port"),
        ('{"conn_type": ', "not valid JSON"),
        ('{"extra": "[1, 2]"}', "extra must be a JSON object"),
        ("a://b://c://d", "too many"),
        ("", "is empty"),
    ],
)
def test_bad_connections_say_what_is_wrong(value: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        parse_connection("bad", value)


def test_environment_lookup_upper_cases_the_id() -> None:
    env = {"AIRFLOW_CONN_MY_ODOO": "odoo://u:p@h/db"}
    assert from_environment("my_odoo", env).schema == "db"
    with pytest.raises(ConnectionNotFound, match="set AIRFLOW_CONN_MISSING"):
        from_environment("missing", env)


def test_secrets_are_registered_and_redacted_from_logs(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setenv(
        "AIRFLOW_CONN_SECRETIVE",
        '{"conn_type": "x", "password": "hunter2-pass", "extra": {"api_token": "tok-9876", "region": "eu"}}',
    )
    conn = get_connection("secretive")
    assert sorted(conn.secrets()) == ["hunter2-pass", "tok-9876"]
    assert "hunter2-pass" not in repr(conn)
    assert (
        redact("login with hunter2-pass and tok-9876 in region eu") == "login with *** and *** in region eu"
    )
    assert redact("https://x/?access_token=abc.def&q=1") == "https://x/?access_token=***&q=1"
    logger = logging.getLogger("test.redaction")
    with caplog.at_level(logging.INFO, logger="test.redaction"):
        caplog.handler.addFilter(RedactingFilter())
        logger.info("password is %s", "hunter2-pass")
    assert "hunter2-pass" not in caplog.text
    assert "password is ***" in caplog.text


def test_a_custom_resolver_replaces_the_environment() -> None:
    from hub.io.connections import Connection

    set_resolver(lambda conn_id: Connection(conn_id, "odoo", host="h"))
    try:
        assert get_connection("anything").host == "h"
    finally:
        set_resolver(None)
