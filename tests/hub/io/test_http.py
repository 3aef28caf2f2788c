from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
import requests

from connectors.emulators.server import EmulatorApp, EmulatorServer, Request, Response
from connectors.emulators.tls import ensure_tls_files
from hub.errors import OutcomeUnknown, QuotaExhausted, RetryableAPIError
from hub.io.http import ApiCalls, HubSession, RetryPolicy, retry_after_seconds


class Scripted(EmulatorApp):
    """Answers each request with the next scripted status."""

    system = "scripted"

    def __init__(self) -> None:
        super().__init__()
        self.script: list[tuple[int, dict[str, str]]] = []
        self.seen: list[Request] = []
        self.route("GET", r"/thing", self.answer)
        self.route("POST", r"/thing", self.answer)

    def answer(self, request: Request) -> Response:
        self.seen.append(request)
        status, headers = self.script.pop(0) if self.script else (200, {})
        return Response.json({"n": len(self.seen)}, status, headers)


@pytest.fixture
def server() -> Iterator[tuple[Scripted, EmulatorServer]]:
    app = Scripted()
    with EmulatorServer(app) as srv:
        yield app, srv


def session(sleeps: list[float], **kwargs: object) -> HubSession:
    return HubSession("scripted", calls=ApiCalls(), sleep=sleeps.append, seed=1, **kwargs)  # type: ignore[arg-type]


def test_retries_429_and_5xx_honouring_retry_after(server: tuple[Scripted, EmulatorServer]) -> None:
    app, srv = server
    app.script = [(429, {"Retry-After": "3"}), (503, {}), (200, {})]
    sleeps: list[float] = []
    s = session(sleeps)
    response = s.get(srv.url + "/thing")
    assert response.status_code == 200
    assert len(app.seen) == 3
    assert 3.0 <= sleeps[0] <= 3.3
    assert 0 <= sleeps[1] <= 1.0
    assert s.calls.snapshot() == {"scripted": 3}
    assert s.calls.retries() == {"scripted": 2}


def test_gives_up_after_max_attempts_with_the_last_answer(server: tuple[Scripted, EmulatorServer]) -> None:
    app, srv = server
    app.script = [(503, {})] * 5
    sleeps: list[float] = []
    response = session(sleeps, policy=RetryPolicy(max_attempts=3)).get(srv.url + "/thing")
    assert response.status_code == 503
    assert len(app.seen) == 3 and len(sleeps) == 2


def test_backoff_grows_exponentially_within_bounds() -> None:
    import random

    policy = RetryPolicy(base_delay=1.0, max_delay=10.0)
    rng = random.Random(3)
    ceilings = [min(10.0, 2 ** (n - 1)) for n in range(1, 8)]
    delays = [policy.backoff(n, rng) for n in range(1, 8)]
    assert all(0 <= d <= c for d, c in zip(delays, ceilings, strict=True))
    assert max(delays[4:]) > 1.0


def test_connector_specific_throttling_signal_is_retried(server: tuple[Scripted, EmulatorServer]) -> None:
    app, srv = server
    app.script = [(403, {}), (200, {})]
    sleeps: list[float] = []
    s = session(sleeps, retry_on=lambda r: r.status_code == 403)
    assert s.get(srv.url + "/thing").status_code == 200
    assert len(sleeps) == 1


def test_a_spent_daily_budget_stops_at_once_without_retrying(server: tuple[Scripted, EmulatorServer]) -> None:
    app, srv = server
    app.script = [(429, {"X-Budget": "day"}), (200, {})]
    sleeps: list[float] = []
    resets = datetime(2026, 12, 4, tzinfo=UTC)

    def spent(response: requests.Response) -> QuotaExhausted | None:
        if response.headers.get("X-Budget") != "day":
            return None
        return QuotaExhausted("scripted", "daily limit reached", resets_at=resets, status=429)

    with pytest.raises(QuotaExhausted) as caught:
        session(sleeps, exhausted=spent).get(srv.url + "/thing")
    assert len(app.seen) == 1 and sleeps == []  # not retried: nothing more is sent
    assert caught.value.resets_at == resets
    assert str(caught.value) == (
        "scripted: daily limit reached; the budget resets at 2026-12-04T00:00+00:00 (HTTP 429)"
    )
    app.script = [(429, {}), (200, {})]  # a per-second limit is still retried
    assert session(sleeps, exhausted=spent).get(srv.url + "/thing").status_code == 200


def test_401_refreshes_the_token_once_and_replays(server: tuple[Scripted, EmulatorServer]) -> None:
    app, srv = server
    app.script = [(401, {}), (200, {})]
    s = session([])
    s.on_unauthorized = lambda: {"Authorization": "Bearer fresh"}
    assert s.get(srv.url + "/thing", headers={"Authorization": "Bearer stale"}).status_code == 200
    assert app.seen[1].headers["Authorization"] == "Bearer fresh"


def test_lost_connection_retries_idempotent_requests_only(server: tuple[Scripted, EmulatorServer]) -> None:
    app, srv = server
    app.faults.configure(1.0, ("disconnect",))
    sleeps: list[float] = []
    with pytest.raises(OutcomeUnknown, match="connection lost after sending"):
        session(sleeps).post(srv.url + "/thing", json={})
    assert sleeps == []
    with pytest.raises(RetryableAPIError, match="cannot connect after 3 attempts"):
        session(sleeps, policy=RetryPolicy(max_attempts=3)).get(srv.url + "/thing")
    assert len(sleeps) == 2


def test_refused_connections_are_retried_even_for_posts() -> None:
    sleeps: list[float] = []
    with pytest.raises(RetryableAPIError, match="cannot connect"):
        session(sleeps, policy=RetryPolicy(max_attempts=2)).post("http://127.0.0.1:9/thing", json={})
    assert len(sleeps) == 1


def test_a_private_ca_is_trusted_despite_requests_ca_bundle(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", "/etc/ssl/certs/ca-certificates.crt")
    tls = ensure_tls_files(tmp_path)
    with EmulatorServer(Scripted(), tls=tls) as srv:
        assert session([], verify=tls.ca_cert).get(srv.url + "/thing").status_code == 200


def test_retry_after_forms() -> None:
    assert retry_after_seconds("2.5") == 2.5
    assert retry_after_seconds("Wed, 21 Oct 2015 07:28:00 GMT", now=1445412470.0) == 10.0
    assert retry_after_seconds("soon") is None
    assert retry_after_seconds(None) is None
