"""One API budget per system and connection: the bucket's arithmetic, the vendors' headers, sharing
through Redis and PostgreSQL, and two processes writing to one rate-limited HubSpot emulator."""

from __future__ import annotations

import json
import multiprocessing
import os
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from requests.structures import CaseInsensitiveDict

from connectors.emulators.hubspot import HubSpotEmulator
from connectors.emulators.server import EmulatorApp, EmulatorServer, Request, Response
from connectors.hubspot import HubSpotConnector
from hub.errors import ConfigError
from hub.io import budget as budgets
from hub.io.budget import (
    BUDGET_SETTING,
    DatabaseBudget,
    LocalBudget,
    Observation,
    RateLimit,
    RedisBudget,
    Throttle,
    read_limits,
)
from hub.io.connections import parse_connection
from hub.io.connector import ObjectSpec
from hub.io.http import HubSession, RetryPolicy
from hub.io.records import WriteOp

REDIS_URL = "redis://127.0.0.1:6379/0"
CONTACTS = ObjectSpec(
    "contacts", ("id", "lastmodifieddate", "hub_id", "lastname", "email"), "id", "lastmodifieddate", "hub_id"
)


class Clock:
    def __init__(self) -> None:
        self.now = 1_000.0

    def __call__(self) -> float:
        return self.now


def test_a_bucket_gives_its_burst_then_paces_requests_at_the_documented_rate() -> None:
    clock = Clock()
    budget = LocalBudget(clock)
    limit = RateLimit(10, 1)
    assert [budget.take("hubspot:a", limit) for _ in range(10)] == [0.0] * 10
    waits = [budget.take("hubspot:a", limit) for _ in range(3)]
    assert waits == pytest.approx([1 / 9.5, 2 / 9.5, 3 / 9.5])  # slots promised one after another
    clock.now += 10
    assert budget.take("hubspot:a", limit) == 0.0
    assert budget.take("hubspot:b", limit) == 0.0  # another connection, another bucket


def test_a_retry_after_stops_the_bucket_for_everyone_until_then() -> None:
    clock = Clock()
    budget = LocalBudget(clock)
    limit = RateLimit(100, 10)
    budget.learn("zendesk:z", limit, read_limits(429, CaseInsensitiveDict({"Retry-After": "7"})))
    assert [budget.take("zendesk:z", limit) for _ in range(3)] == [7.0] * 3  # every taker waits till T
    clock.now += 7.5
    assert budget.take("zendesk:z", limit) == 0.0
    # a 429 that names no wait pauses the rolling window the headers named ...
    budget.learn("hubspot:h", RateLimit(10, 2), Observation(RateLimit(10, 2), throttled=True, window=2))
    assert budget.take("hubspot:h", None) == pytest.approx(2.0)
    # ... and, when they named none, spends the tokens: the documented rate again
    budget.learn("hubspot:i", RateLimit(10, 2), Observation(throttled=True))
    assert budget.take("hubspot:i", None) == pytest.approx(2 / 9.5)


def test_the_vendors_headers_set_the_limit_and_what_is_left() -> None:
    hubspot = CaseInsensitiveDict(
        {
            "X-HubSpot-RateLimit-Max": "190",
            "X-HubSpot-RateLimit-Remaining": "3",
            "X-HubSpot-RateLimit-Interval-Milliseconds": "10000",
        }
    )
    assert read_limits(200, hubspot) == Observation(RateLimit(190, 10), 3, window=10)
    zendesk = CaseInsensitiveDict({"X-Rate-Limit": "700", "X-Rate-Limit-Remaining": "0", "Retry-After": "31"})
    assert read_limits(429, zendesk) == Observation(RateLimit(700, 60), 0, 31, throttled=True)
    freshdesk = CaseInsensitiveDict({"X-RateLimit-Total": "400", "X-RateLimit-Remaining": "399"})
    assert read_limits(200, freshdesk) == Observation(RateLimit(400, 60), 399)
    assert not read_limits(200, CaseInsensitiveDict({"Retry-After": "5"}))  # only a refusal pauses
    clock = Clock()
    budget = LocalBudget(clock)
    budget.learn("hubspot:h", RateLimit(100, 10), read_limits(200, hubspot))
    assert [budget.take("hubspot:h", None) > 0 for _ in range(4)] == [False, False, False, True]
    # a connector that knows no rate learns it from the first answer, and has it all to spend
    budget.learn("rest:r", None, read_limits(200, freshdesk))
    assert [budget.take("rest:r", None) > 0 for _ in range(400)] == [False] * 399 + [True]


def test_a_connection_may_name_its_plans_rate_and_a_connector_shares_its_systems_bucket(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv(BUDGET_SETTING, "local")
    assert RateLimit.parse("190/10") == RateLimit(190, 10) and RateLimit.parse("700/min") == RateLimit(
        700, 60
    )
    assert RateLimit.parse("none") is None
    emulated = {"conn_type": "hubspot", "host": "h", "extra": {"rate_limit": "none"}}  # headers only
    assert HubSpotConnector(parse_connection("e", json.dumps(emulated))).throttle().limit is None  # type: ignore[union-attr]
    off = {"conn_type": "hubspot", "host": "h", "extra": {"rate_limit": "off"}}
    assert HubSpotConnector(parse_connection("sandbox", json.dumps(off))).session.throttle is None
    plain = HubSpotConnector(parse_connection("crm", json.dumps({"conn_type": "hubspot", "host": "h"})))
    throttle = plain.session.throttle
    assert throttle is not None and throttle.key == "hubspot:crm" and throttle.limit == RateLimit(100, 10)
    assert not throttle.budget.shared
    pro = {"conn_type": "hubspot", "host": "h", "extra": {"rate_limit": "190/10"}}
    assert HubSpotConnector(parse_connection("pro", json.dumps(pro))).throttle().limit == RateLimit(190, 10)  # type: ignore[union-attr]
    wrong = {"conn_type": "hubspot", "host": "h", "extra": {"rate_limit": "fast"}}
    with pytest.raises(ConfigError, match="rate_limit 'fast'"):
        HubSpotConnector(parse_connection("wrong", json.dumps(wrong))).throttle()
    monkeypatch.setenv(BUDGET_SETTING, "off")
    assert (
        HubSpotConnector(
            parse_connection("crm", json.dumps({"conn_type": "hubspot", "host": "h"}))
        ).throttle()
        is None
    )


class OnceRefused(EmulatorApp):
    """Refuses the first request with a 429 asking for `wait` seconds, then answers."""

    def __init__(self, wait: str) -> None:
        super().__init__()
        self.wait, self.answered = wait, 0
        self.route("GET", r"/thing", self.answer)

    def answer(self, request: Request) -> Response:
        self.answered += 1
        if self.answered == 1:
            return Response.text("Too Many Requests", 429, **{"Retry-After": self.wait})
        return Response.json({"ok": True})


def test_when_one_session_is_told_to_wait_every_session_on_the_budget_waits() -> None:
    budget, limit = LocalBudget(), RateLimit(100, 10)
    slept: dict[str, list[float]] = {"first": [], "second": [], "apart": []}

    def session(name: str, key: str = "zendesk:z") -> HubSession:
        throttle = Throttle(budget, key, limit)
        return HubSession(
            "zendesk", throttle=throttle, sleep=slept[name].append, policy=RetryPolicy(base_delay=0)
        )

    app = OnceRefused("20")
    with EmulatorServer(app) as server:
        assert session("first").get(server.url + "/thing").status_code == 200
        assert session("second").get(server.url + "/thing").status_code == 200
        assert session("apart", "zendesk:other").get(server.url + "/thing").status_code == 200
    assert slept["first"][0] >= 20  # its own retry waited what Retry-After asked
    assert len(slept["second"]) == 1 and 19 < slept["second"][0] <= 20  # never refused, it waited too
    assert app.answered == 4  # one 429 in all
    assert slept["apart"] == []  # another connection's budget is its own


@pytest.fixture(params=["redis", pytest.param("postgresql", marks=pytest.mark.postgres)])
def shared_url(request: pytest.FixtureRequest) -> str:
    if request.param == "redis":
        return REDIS_URL
    return str(request.getfixturevalue("pg_url"))


def test_a_shared_budget_is_one_bucket_for_every_process(shared_url: str) -> None:
    first, second = budgets.open_budget(shared_url), budgets.open_budget(shared_url)  # two processes' own
    assert isinstance(first, RedisBudget | DatabaseBudget) and isinstance(
        second, RedisBudget | DatabaseBudget
    )
    key, limit = f"hubspot:{uuid.uuid4().hex}", RateLimit(4, 1)
    try:
        assert [first.take(key, limit) for _ in range(2)] + [second.take(key, limit) for _ in range(2)] == [
            0.0
        ] * 4
        assert second.take(key, limit) > 0  # the other process spent the rest
        first.learn(key, limit, Observation(pause=30, throttled=True))  # one is told to wait 30 s ...
        assert second.take(key, limit) > 29  # ... and the other waits too
    finally:
        first.close()
        second.close()


def test_a_wrong_budget_url_is_one_line_naming_the_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(BUDGET_SETTING, "redis://:s3cret@127.0.0.1:sixty/0")
    connector = HubSpotConnector(parse_connection("crm", json.dumps({"conn_type": "hubspot", "host": "h"})))
    with pytest.raises(
        ConfigError, match=r"HUB_BUDGET_URL redis://:\*\*\*@127.0.0.1:sixty/0: Port"
    ) as raised:
        connector.throttle()
    assert "s3cret" not in str(raised.value)


def test_a_shared_store_out_of_reach_leaves_each_process_its_own_bucket() -> None:
    unreachable = RedisBudget("redis://127.0.0.1:1/0")
    assert unreachable.take("hubspot:x", RateLimit(1, 1)) == 0.0
    assert unreachable.take("hubspot:x", RateLimit(1, 1)) > 0  # a local bucket now, still paced


# Two processes writing to one HubSpot portal that allows 10 requests per rolling second -------------
LIMIT, INTERVAL_MS, WRITES, BATCH = 10, 1000, 30, 5


def write_contacts(connection: dict[str, Any], conn_id: str, budget_url: str, worker: int) -> tuple[int, int]:
    """One worker's sync: WRITES batches of BATCH contacts; how many were written and the 429s it saw."""
    os.environ[BUDGET_SETTING] = budget_url
    connector = HubSpotConnector(parse_connection(conn_id, json.dumps(connection)))
    written = 0
    for batch in range(WRITES):
        ops = [
            WriteOp(
                uuid.uuid4().hex,
                {"lastname": f"W{worker}-{batch}-{i}", "email": f"w{worker}.{batch}.{i}@{conn_id}.io"},
            )
            for i in range(BATCH)
        ]
        written += sum(1 for result in connector.write(CONTACTS, ops) if result.error is None)
    return written, connector.calls.retries().get("hubspot", 0)


@pytest.fixture
def limited_portal() -> Iterator[tuple[HubSpotEmulator, EmulatorServer]]:
    app = HubSpotEmulator(burst_limit=LIMIT, burst_interval_ms=INTERVAL_MS)
    with EmulatorServer(app) as server:
        yield app, server


def contend(app: HubSpotEmulator, server: EmulatorServer, budget_url: str) -> tuple[int, list[int]]:
    """Two processes write at once: the 429s the portal answered and what each wrote."""
    connection = app.connection(server.url)
    connection["extra"] = {"retry_attempts": 60, "retry_base_delay": 0.05, "retry_max_delay": 0.5}
    conn_id = f"hubspot_{uuid.uuid4().hex[:8]}"  # a bucket no earlier run touched
    before = app.stats["throttled"]
    with multiprocessing.get_context("spawn").Pool(2) as pool:
        runs = [pool.apply_async(write_contacts, (connection, conn_id, budget_url, w)) for w in range(2)]
        written = [run.get(timeout=120)[0] for run in runs]
    return app.stats["throttled"] - before, written


@pytest.mark.slow
def test_two_syncs_on_one_shared_budget_draw_far_fewer_429s_and_both_finish(
    limited_portal: tuple[HubSpotEmulator, EmulatorServer], shared_url: str
) -> None:
    app, server = limited_portal
    unshared, written = contend(app, server, "off")
    assert written == [WRITES * BATCH] * 2
    shared, written = contend(app, server, shared_url)
    assert written == [WRITES * BATCH] * 2
    assert unshared >= 20 and shared <= max(5, unshared // 5), (unshared, shared)  # seen: 41-58 and 0-2
    assert len(app.records("contacts")) == 4 * WRITES * BATCH


def test_a_command_shares_budgets_in_the_state_store_it_opened(
    pg_url: str, tmp_path: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """--state-url (or omnihub.yaml's `state:`), not only HUB_STATE_URL, makes the budgets shared: two
    commands on one PostgreSQL store draw on one bucket per system."""
    from hub.cli.base import state_store

    monkeypatch.delenv(BUDGET_SETTING, raising=False)
    monkeypatch.delenv("HUB_STATE_URL", raising=False)
    assert budgets.budget_url() == ""
    state_store(tmp_path, f"sqlite:///{tmp_path / 'state.db'}").close()
    assert budgets.budget_url() == ""  # SQLite is one machine's: each process keeps its own
    state_store(tmp_path, pg_url).close()
    assert budgets.budget_url() == pg_url
    monkeypatch.setenv(BUDGET_SETTING, "off")
    assert budgets.budget_url() == "off"  # the setting still decides first
