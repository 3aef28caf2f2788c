"""Answers that break off or come garbled (issue 16): a body cut short of its Content-Length, a
chunked body that stops, a 200 whose JSON does not parse. A read is retried and succeeds; a write
whose answer is lost raises OutcomeUnknown, never a bare traceback; an error body that is a JSON list
is named, not crashed on."""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Iterator

import pytest

from connectors.hubspot import HubSpotConnector
from hub.errors import HubError, OutcomeUnknown
from hub.io.connections import parse_connection
from hub.io.connector import ObjectSpec
from hub.io.http import ApiCalls, HubSession, RetryPolicy

GOOD = b'{"results": [], "ok": true}'


class RawServer:
    """A loopback HTTP server answering each connection with the next scripted raw bytes (then the
    good answer), closing the connection after each."""

    def __init__(self, script: list[bytes]) -> None:
        self.script, self.asked = script, 0
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(8)
        self.url = f"http://127.0.0.1:{self.sock.getsockname()[1]}"
        self.thread = threading.Thread(target=self.serve, daemon=True)
        self.thread.start()

    def serve(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            with conn:
                data = b""
                while b"\r\n\r\n" not in data:
                    data += conn.recv(65536)
                head, _, rest = data.partition(b"\r\n\r\n")
                length = next(
                    (
                        int(line.split(b":")[1])
                        for line in head.split(b"\r\n")
                        if line.lower().startswith(b"content-length")
                    ),
                    0,
                )
                while len(rest) < length:
                    rest += conn.recv(65536)
                self.asked += 1
                answer = self.script.pop(0) if self.script else ok(GOOD)
                conn.sendall(answer)

    def close(self) -> None:
        self.sock.close()


def ok(body: bytes, content_type: str = "application/json", status: str = "200 OK") -> bytes:
    return (
        f"HTTP/1.1 {status}\r\nContent-Type: {content_type}\r\nContent-Length: {len(body)}\r\n"
        "Connection: close\r\n\r\n"
    ).encode() + body


def cut_short(body: bytes) -> bytes:
    """Headers promising the whole body, then only half of it, then the connection closes."""
    whole = ok(body)
    return whole[: len(whole) - len(body) // 2]


def chunk_stops(body: bytes) -> bytes:
    return (
        b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n"
        b"Connection: close\r\n\r\n" + f"{len(body):x}\r\n".encode() + body[:5]
    )


@pytest.fixture
def sleeps() -> list[float]:
    return []


def session(sleeps: list[float]) -> HubSession:
    return HubSession("raw", calls=ApiCalls(), sleep=sleeps.append, seed=1)


@pytest.mark.parametrize(
    "broken",
    [cut_short(GOOD), chunk_stops(GOOD), ok(b'{"results": [{"id": 1}, {"id"')],
    ids=["content-length-not-reached", "chunked-body-stops", "json-cut-off"],
)
def test_a_read_whose_answer_breaks_off_is_retried(broken: bytes, sleeps: list[float]) -> None:
    server = RawServer([broken])
    try:
        s = session(sleeps)
        answer = s.get(server.url + "/thing")
        assert answer.json() == json.loads(GOOD)
        assert server.asked == 2 and s.calls.retries() == {"raw": 1} and len(sleeps) == 1
    finally:
        server.close()


@pytest.mark.parametrize(
    "broken", [cut_short(GOOD), ok(b'{"id": "0013')], ids=["content-length-not-reached", "json-cut-off"]
)
def test_a_create_whose_answer_breaks_off_is_an_unknown_outcome_never_sent_twice(
    broken: bytes, sleeps: list[float]
) -> None:
    server = RawServer([broken])
    try:
        with pytest.raises(OutcomeUnknown, match=r"raw: POST http://127\.0\.0\.1:\d+/thing: connection lost"):
            session(sleeps).post(server.url + "/thing", json={"name": "Acme"}, idempotent=False)
        assert server.asked == 1
    finally:
        server.close()


@pytest.mark.parametrize(
    ("status", "words"),
    [
        ("400 Bad Request", "something broke (HTTP 400)"),
        ("200 OK", "answered HTTP 200 with an array where HubSpot sends an object"),
    ],
)
def test_a_json_list_where_hubspot_sends_an_object_is_named_not_crashed_on(status: str, words: str) -> None:
    listed = json.dumps([{"message": "something broke", "category": "INTERNAL"}]).encode()
    server = RawServer([ok(listed, status=status)] * 8)
    try:
        spec = {"conn_type": "hubspot", "host": server.url, "password": "pat-na1-secret"}
        c = HubSpotConnector(
            parse_connection("hubspot_default", json.dumps(spec)), policy=RetryPolicy(base_delay=0.001)
        )
        obj = ObjectSpec("contacts", ("email",), "id", "lastmodifieddate", "hub_id")
        for read in (lambda: list(c.read_changes(obj, None, 10)), lambda: c.fetch(obj, ["1"])):
            with pytest.raises(HubError) as caught:
                read()
            said = str(caught.value)
            assert (
                words in said and "hubspot: POST /crm/v3/objects/contacts/" in said and "secret" not in said
            )
    finally:
        server.close()


@pytest.fixture(autouse=True)
def _no_proxy(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy"):
        monkeypatch.delenv(name, raising=False)
    yield


def test_a_connections_timeout_extra_bounds_the_wait_for_an_answer(monkeypatch: pytest.MonkeyPatch) -> None:
    """The `timeout` extra: every try is sent with it, a read that timed out is retried (here once,
    then the error); a nonsense value is one line naming the connection."""
    import requests

    from hub.errors import ConfigError

    def connector(timeout: object) -> HubSpotConnector:
        extra = {"timeout": timeout, "retry_attempts": 2, "retry_base_delay": 0.01, "rate_limit": "off"}
        spec = {"conn_type": "hubspot", "host": "http://127.0.0.1:9", "password": "t", "extra": extra}
        return HubSpotConnector(parse_connection("crm", json.dumps(spec)))

    sent: list[object] = []

    def times_out(self: requests.Session, method: str, url: str, **kwargs: object) -> requests.Response:
        sent.append(kwargs.get("timeout"))
        raise requests.exceptions.ReadTimeout("no answer in time")

    monkeypatch.setattr(requests.Session, "request", times_out)
    assert connector(45).session.timeout == (10.0, 45.0)
    with pytest.raises(HubError):
        connector("0.3").session.get("http://127.0.0.1:9/crm/v3/objects/contacts")
    assert sent == [(0.3, 0.3), (0.3, 0.3)]  # two tries, each bounded by the connection's timeout
    for wrong in ("soon", 0, -5):
        with pytest.raises(ConfigError, match=r"connection 'crm': timeout .*give seconds above 0"):
            connector(wrong).timeout()
