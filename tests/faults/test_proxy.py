"""The fault proxy itself: each fault does to a client what it says, over HTTP and HTTPS."""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator

import pytest
import requests

from connectors.emulators.sandbox import Sandbox
from tests.faults.proxy import FaultProxy


@pytest.fixture(scope="module")
def sandbox(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Sandbox]:
    folder = tmp_path_factory.mktemp("proxy")
    sandbox = Sandbox.start(
        folder=folder, scale={"accounts": 5, "contacts": 5}, systems=["hubspot", "salesforce"]
    )
    yield sandbox
    sandbox.stop()


def hubspot(sandbox: Sandbox, kind: str, **options: float) -> FaultProxy:
    return FaultProxy(sandbox.servers["hubspot"].url, rate=1.0, kinds=(kind,), **options)  # type: ignore[arg-type]


def get(sandbox: Sandbox, proxy: FaultProxy, timeout: float = 5.0) -> requests.Response:
    token = sandbox.apps["hubspot"].token  # type: ignore[attr-defined]
    headers = {"Authorization": f"Bearer {token}"}
    return requests.get(f"{proxy.url}/crm/v3/objects/companies?limit=2", headers=headers, timeout=timeout)


def test_a_clean_proxy_forwards_and_keeps_the_connection(sandbox: Sandbox) -> None:
    with FaultProxy(sandbox.servers["hubspot"].url) as proxy, requests.Session() as session:
        token = sandbox.apps["hubspot"].token  # type: ignore[attr-defined]
        session.headers["Authorization"] = f"Bearer {token}"
        pages = [session.get(f"{proxy.url}/crm/v3/objects/companies?limit=2", timeout=5) for _ in range(3)]
    assert [p.status_code for p in pages] == [200] * 3
    assert len(pages[0].json()["results"]) == 2 and proxy.requests == 3 and not proxy.injected


@pytest.mark.parametrize(("kind", "status"), [("rate_limit", 429), ("unavailable", 503)])
def test_refusals_are_answered_by_the_proxy(sandbox: Sandbox, kind: str, status: int) -> None:
    with hubspot(sandbox, kind) as proxy:
        answer = get(sandbox, proxy)
    assert answer.status_code == status and proxy.injected == {kind: 1}
    assert (answer.headers.get("Retry-After") == "1") == (kind == "rate_limit")


@pytest.mark.parametrize("kind", ["reset_before", "reset_after"])
def test_resets_leave_the_client_without_an_answer(sandbox: Sandbox, kind: str) -> None:
    with hubspot(sandbox, kind) as proxy, pytest.raises(requests.ConnectionError):
        get(sandbox, proxy)


def test_a_late_answer_comes_after_the_read_timeout_and_the_server_applies_it(sandbox: Sandbox) -> None:
    app = sandbox.apps["hubspot"]
    before = len(app.stores["companies"].records)  # type: ignore[attr-defined]
    with FaultProxy(sandbox.servers["hubspot"].url, rate=1.0, kinds=("late",), late_s=0.6) as proxy:
        body = json.dumps({"properties": {"name": "Late Ltd"}})
        headers = {"Authorization": f"Bearer {app.token}", "Content-Type": "application/json"}  # type: ignore[attr-defined]
        with pytest.raises(requests.ReadTimeout):
            requests.post(f"{proxy.url}/crm/v3/objects/companies", data=body, headers=headers, timeout=0.3)
        assert len(app.stores["companies"].records) == before  # type: ignore[attr-defined]
        proxy.drain()
    assert len(app.stores["companies"].records) == before + 1  # type: ignore[attr-defined]


def test_a_truncated_body_breaks_off_short_of_its_length(sandbox: Sandbox) -> None:
    with hubspot(sandbox, "truncated") as proxy, pytest.raises(requests.exceptions.ChunkedEncodingError):
        get(sandbox, proxy)


def test_an_invalid_json_body_does_not_parse(sandbox: Sandbox) -> None:
    with hubspot(sandbox, "invalid_json") as proxy:
        answer = get(sandbox, proxy)
    assert answer.status_code == 200
    with pytest.raises(ValueError):
        answer.json()


def test_a_slow_answer_is_whole(sandbox: Sandbox) -> None:
    with hubspot(sandbox, "slow", slow_s=0.1) as proxy:
        assert len(get(sandbox, proxy).json()["results"]) == 2


def test_https_upstreams_are_served_over_tls_with_the_sandbox_ca(sandbox: Sandbox) -> None:
    server = sandbox.servers["salesforce"]
    assert server.tls is not None
    with FaultProxy(server.url, tls=server.tls) as proxy:
        assert proxy.url.startswith("https://127.0.0.1:")
        answer = requests.get(f"{proxy.url}/services/data", verify=sandbox.ca_bundle, timeout=5)
        with pytest.raises(requests.exceptions.SSLError):  # a certificate only the sandbox CA vouches for
            requests.get(f"{proxy.url}/services/data", timeout=5)
    assert answer.status_code == 200 and answer.json()


def test_only_the_loopback_is_listened_on_and_forwarded_to(sandbox: Sandbox) -> None:
    with pytest.raises(ValueError, match="loopback"):
        FaultProxy("http://192.0.2.1:80")
    with FaultProxy(sandbox.servers["hubspot"].url) as proxy:
        assert proxy.url.startswith("http://127.0.0.1:")
        port = int(proxy.url.rsplit(":", 1)[1])
        with socket.create_connection(("127.0.0.1", port), timeout=2):
            pass


def test_connections_beyond_the_bound_wait_for_a_free_one(sandbox: Sandbox) -> None:
    with FaultProxy(sandbox.servers["hubspot"].url, max_connections=1) as proxy:
        held = socket.create_connection(("127.0.0.1", int(proxy.url.rsplit(":", 1)[1])), timeout=2)
        with pytest.raises(requests.ReadTimeout):
            get(sandbox, proxy, timeout=0.5)  # accepted by the kernel, served by no thread
        held.close()
        assert get(sandbox, proxy).status_code == 200
