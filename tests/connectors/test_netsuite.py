"""The NetSuite connector against the NetSuite emulator: SuiteQL reads and re-windowing, upserts by
external id, parallel writes under the concurrency limit, both ways of logging in (OAuth 2.0 client
assertions and token-based authentication), and secrets kept out of errors."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from connectors.emulators.netsuite import NetSuiteEmulator
from connectors.emulators.salesforce.ids import ManualClock
from connectors.emulators.server import EmulatorServer
from connectors.netsuite import NetSuiteConnector
from hub.errors import AuthenticationError, ConfigError, FatalAPIError
from hub.io.connections import parse_connection
from hub.io.connector import ObjectSpec
from hub.io.http import RetryPolicy
from hub.io.records import Page, WriteOp
from hub.io.redact import redact

START = datetime(2024, 3, 1, 12, 0, tzinfo=UTC)
CUSTOMERS = ObjectSpec(
    "customer",
    ("id", "lastmodifieddate", "externalid", "companyname", "email", "isinactive"),
    "id",
    "lastmodifieddate",
    "externalId",
)
SUITEQL = "POST /services/rest/query/v1/suiteql"
TOKEN = "POST /services/rest/auth/oauth2/v1/token"


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(START)


@pytest.fixture
def app(clock: ManualClock) -> NetSuiteEmulator:
    return NetSuiteEmulator(clock=clock)


@pytest.fixture
def server(app: NetSuiteEmulator) -> Iterator[EmulatorServer]:
    with EmulatorServer(app) as served:
        yield served


def connector(
    app: NetSuiteEmulator, server: EmulatorServer, attempts: int = 8, **override: Any
) -> NetSuiteConnector:
    spec = app.connection(server.url)
    extra = {**spec["extra"], **override.pop("extra", {})}
    conn = parse_connection("netsuite_default", json.dumps({**spec, **override, "extra": extra}))
    return NetSuiteConnector(conn, policy=RetryPolicy(max_attempts=attempts, base_delay=0.01, max_delay=0.05))


def customer(i: int, **values: Any) -> WriteOp:
    return WriteOp(
        str(uuid.uuid4()), {"companyname": f"Customer {i}", "email": f"c{i}@example.com", **values}
    )


def ids(pages: Iterator[Page] | list[Page]) -> list[str]:
    return [r["id"] for page in pages for r in page.records]


def test_full_and_incremental_reads_carry_the_cursor_in_utc(
    app: NetSuiteEmulator, server: EmulatorServer, clock: ManualClock
) -> None:
    made = []
    for i in range(9):
        made.append(str(app.create("customer", {"companyname": f"C{i}", "email": f"c{i}@example.com"})))
        clock.advance(10)
    ns = connector(app, server)
    pages = list(ns.read_changes(CUSTOMERS, None, 4))
    assert ids(pages) == made and [len(p.records) for p in pages] == [4, 4, 1]
    assert pages[-1].cursor == START + timedelta(seconds=80) and pages[0].total == 9
    first = pages[0].records[0]
    assert first == {
        "id": made[0],
        "lastmodifieddate": "2024-03-01T12:00:00Z",  # read as 04:00 in Los Angeles, handed on in UTC
        "externalid": None,
        "companyname": "C0",
        "email": "c0@example.com",
        "isinactive": "F",
    }
    clock.advance(600)
    app.edit("customer", int(made[3]), {"companyname": "Edited"})
    since = pages[-1].cursor
    assert since is not None
    changed = list(ns.read_changes(CUSTOMERS, since + timedelta(seconds=1), 4))
    assert ids(changed) == [made[3]] and changed[-1].cursor == clock.now
    assert ns.count(CUSTOMERS, since + timedelta(seconds=1)) == 1 and ns.count(CUSTOMERS, None) == 9


@pytest.mark.parametrize("zone", ["Asia/Kolkata", "UTC", "America/St_Johns"])
def test_the_users_time_zone_round_trips_exactly(clock: ManualClock, zone: str) -> None:
    app = NetSuiteEmulator(clock=clock, time_zone=zone)
    made = []
    for i in range(6):
        made.append(str(app.create("customer", {"companyname": f"C{i}"})))
        clock.advance(3600 * 5 + 7)
    with EmulatorServer(app) as server:
        ns = connector(app, server)
        since = START + timedelta(seconds=3 * (3600 * 5 + 7))  # the fourth record's instant, exactly
        pages = list(ns.read_changes(CUSTOMERS, since, 2))
        assert ids(pages) == made[3:]
        assert [p.cursor for p in pages] == [
            since + timedelta(seconds=18007),
            since + timedelta(seconds=36014),
        ]


def read_with_ceiling(app: NetSuiteEmulator, clock: ManualClock, **extra: Any) -> tuple[list[str], list[str]]:
    """Customers in runs sharing one lastmodifieddate, read 5 a page under a ceiling of 20 rows a query:
    (ids made, ids read)."""
    made: list[str] = []
    for size in (3, 7, 1, 33, 2, 9, 1, 24):  # 33 and 24 share an instant: more than one query holds
        made += [str(app.create("customer", {"companyname": f"C{len(made) + i}"})) for i in range(size)]
        clock.advance(1)
    app.query_ceiling = 20
    with EmulatorServer(app) as server:
        read = ids(connector(app, server, extra=extra).read_changes(CUSTOMERS, None, 5))
    return made, read


def test_reads_rewindow_at_the_query_ceiling_without_loss_or_duplicates(clock: ManualClock) -> None:
    app = NetSuiteEmulator(clock=clock)
    made, read = read_with_ceiling(app, clock)  # the connector believes 100000: it meets NetSuite's 400
    assert read == made
    assert app.stats[SUITEQL] > len(made) // 5  # restarted queries re-read pages


def test_rewindowing_before_the_ceiling_when_the_connection_names_it(clock: ManualClock) -> None:
    app = NetSuiteEmulator(clock=clock)
    made, read = read_with_ceiling(app, clock, query_ceiling=20)
    assert read == made


def test_an_incremental_read_from_inside_a_crowded_instant(clock: ManualClock) -> None:
    app = NetSuiteEmulator(clock=clock, query_ceiling=10)
    clock.advance(5)
    crowded = [str(app.create("customer", {"companyname": f"C{i}"})) for i in range(26)]
    clock.advance(1)
    later = [str(app.create("customer", {"companyname": f"L{i}"})) for i in range(4)]
    with EmulatorServer(app) as server:
        pages = list(connector(app, server).read_changes(CUSTOMERS, START + timedelta(seconds=5), 3))
    assert ids(pages) == crowded + later
    assert pages[-1].cursor == START + timedelta(seconds=6)


def test_upserts_by_external_id_are_idempotent(app: NetSuiteEmulator, server: EmulatorServer) -> None:
    ns = connector(app, server)
    ops = [customer(i) for i in range(6)]
    first = ns.write(CUSTOMERS, ops)
    assert all(r.ok and r.created for r in first)
    stored = {r["externalid"]: str(r["id"]) for r in app.records()}
    assert [r.id for r in first] == [stored[op.hub_id] for op in ops]  # ids from the Location headers
    replay = ns.write(CUSTOMERS, [*ops[:3], WriteOp(ops[4].hub_id, {"companyname": "Renamed"})])
    assert [r.id for r in replay] == [first[i].id for i in (0, 1, 2, 4)]
    assert not any(r.created for r in replay) and len(app.records()) == 6
    assert app.store.by_external_id("customer", ops[4].hub_id)["companyname"] == "Renamed"  # type: ignore[index]
    assert app.stats["PUT /services/rest/record/v1/(?P<type>[a-z_]+)/(?P<key>\\d+|eid:[^/]+)"] == 10


def test_a_mixed_batch_gives_one_result_per_record_in_order(
    app: NetSuiteEmulator, server: EmulatorServer
) -> None:
    ops = [
        customer(0, subsidiary=2),
        customer(1, companyname=None),
        customer(2, email="not-an-email"),
        customer(3, shoesize=44),
        customer(4, isinactive=True),
    ]
    results = connector(app, server).write(CUSTOMERS, ops)
    assert [r.ok for r in results] == [True, False, False, False, True]
    errors = [r.error for r in results]
    assert errors[1] is not None and errors[1].code == "USER_ERROR"
    assert errors[1].message == "Please enter value(s) for: Company Name" and errors[1].fields == (
        "companyName",
    )
    assert errors[2] is not None and errors[2].fields == ("email",)
    assert (
        errors[3] is not None and errors[3].code == "INVALID_PARAMETER" and errors[3].fields == ("shoesize",)
    )
    rows = {r["externalid"]: r for r in app.records()}
    assert set(rows) == {ops[0].hub_id, ops[4].hub_id}
    assert rows[ops[0].hub_id]["subsidiary"] == 2 and rows[ops[4].hub_id]["isinactive"] is True


def test_updates_by_target_id_and_fetch_and_find(app: NetSuiteEmulator, server: EmulatorServer) -> None:
    ns = connector(app, server)
    created = ns.write(CUSTOMERS, [customer(i) for i in range(3)])
    target = created[1].id
    assert target is not None
    updated = ns.write(CUSTOMERS, [WriteOp("HUB-X", {"companyName": "By id"}, target_id=target)])
    assert updated[0].ok and updated[0].id == target and not updated[0].created
    assert app.store.get("customer", int(target))["externalid"] == "HUB-X"  # type: ignore[index]
    missing = ns.write(CUSTOMERS, [WriteOp("HUB-Y", {"companyname": "Gone"}, target_id="999")])
    assert missing[0].error is not None and missing[0].error.code == "NONEXISTENT_ID"
    assert [r["companyname"] for r in ns.fetch(CUSTOMERS, [target, "999", "not-an-id"])] == ["By id"]
    found = ns.find(CUSTOMERS, {"email": ["c0@example.com", "c2@example.com"], "isinactive": [False]})
    assert sorted(r["email"] for r in found) == ["c0@example.com", "c2@example.com"]
    assert [r["id"] for r in ns.find(CUSTOMERS, {"externalId": ["HUB-X"]})] == [target]
    assert ns.find(CUSTOMERS, {"email": []}) == []


def test_long_id_lists_are_fetched_in_chunks(app: NetSuiteEmulator, server: EmulatorServer) -> None:
    made = [str(app.create("customer", {"companyname": f"C{i}"})) for i in range(30)]
    wanted = made + [str(n) for n in range(5000, 6170)]  # 1200 ids, most unknown
    before = app.stats[SUITEQL]
    fetched = connector(app, server).fetch(CUSTOMERS, wanted)
    assert sorted(r["id"] for r in fetched) == sorted(made)
    assert app.stats[SUITEQL] - before == 3  # 500 ids a query


def test_mapping_filters_become_where_terms(app: NetSuiteEmulator, server: EmulatorServer) -> None:
    active = app.create("customer", {"companyname": "Active"})
    app.create("customer", {"companyname": "Gone", "isinactive": True})
    app.create("customer", {"companyname": "Test", "comments": "test"})
    spec = ObjectSpec(
        "customer",
        ("id", "lastmodifieddate", "companyname"),
        "id",
        "lastmodifieddate",
        filter={"isinactive": False, "comments": {"not": "test"}},
    )
    assert ids(connector(app, server).read_changes(spec, None, 10)) == [str(active)]


def test_parallel_writes_stay_within_max_parallel(app: NetSuiteEmulator, server: EmulatorServer) -> None:
    app.faults.latency_ms = 20.0  # requests overlap, so the emulator sees real parallelism
    results = connector(app, server).write(CUSTOMERS, [customer(i) for i in range(24)])
    assert all(r.ok for r in results) and len(app.records()) == 24
    assert 1 < app.peak_in_flight <= 4 and app.stats["concurrency_rejections"] == 0


def test_concurrency_429s_are_retried_until_every_write_lands(
    app: NetSuiteEmulator, server: EmulatorServer
) -> None:
    app.concurrency_limit, app.faults.latency_ms = 2, 20.0
    ns = connector(app, server, attempts=40, extra={"max_parallel": 6})  # 6 writers, 2 slots
    results = ns.write(CUSTOMERS, [customer(i) for i in range(18)])
    assert all(r.ok for r in results) and len(app.records()) == 18
    assert app.stats["concurrency_rejections"] > 0
    assert ns.calls.retries()["netsuite"] == app.stats["concurrency_rejections"]


def test_the_token_is_cached_and_refreshed_on_expiry_or_401(
    app: NetSuiteEmulator, server: EmulatorServer, clock: ManualClock
) -> None:
    ns = connector(app, server)
    for i in range(3):
        ns.write(CUSTOMERS, [customer(i)])
    assert app.stats[TOKEN] == 1
    clock.advance(3601)  # the emulator expired the token; the connector's own clock has not moved
    assert len(list(ns.read_changes(CUSTOMERS, None, 10))) == 1 and app.stats[TOKEN] == 2
    app.revoke_tokens()
    assert len(ns.fetch(CUSTOMERS, [str(r["id"]) for r in app.records()])) == 3 and app.stats[TOKEN] == 3
    ns.tokens.monotonic = lambda: 10.0**9  # far in the future: the cached token has run out of time
    ns.fetch(CUSTOMERS, ["101"])
    assert app.stats[TOKEN] == 4


def key_pem(key: rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey, passphrase: bytes | None = None) -> str:
    encryption: serialization.KeySerializationEncryption = (
        serialization.BestAvailableEncryption(passphrase) if passphrase else serialization.NoEncryption()
    )
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, encryption
    ).decode()


def test_the_client_assertion_is_what_netsuite_documents(
    app: NetSuiteEmulator, server: EmulatorServer
) -> None:
    ns = connector(app, server)
    signed = ns.tokens.assertion()
    header = jwt.get_unverified_header(signed)
    claims = jwt.decode(signed, options={"verify_signature": False})
    assert header == {"alg": "PS256", "kid": app.certificate_id, "typ": "JWT"}
    assert claims["iss"] == app.client_id and claims["scope"] == "rest_webservices"
    assert claims["aud"] == server.url + "/services/rest/auth/oauth2/v1/token"
    assert 0 < claims["exp"] - claims["iat"] <= 3600
    assert ids(ns.read_changes(CUSTOMERS, None, 10)) == [] and app.stats[TOKEN] == 1
    # An EC certificate signs ES384 without being told; a key pasted into a one-line form field (its
    # line breaks lost) or with literal \n still reads; an encrypted key needs its passphrase.
    p384 = ec.generate_private_key(ec.SECP384R1())
    app.upload_certificate("cert-p384", app.client_id, key_pem(p384))
    one_line = key_pem(p384).replace("\n", "")
    ec_ns = connector(app, server, password=one_line, extra={"certificate_id": "cert-p384"})
    assert jwt.get_unverified_header(ec_ns.tokens.assertion())["alg"] == "ES384"
    assert ec_ns.check()
    escaped = key_pem(p384).replace("\n", "\\n")
    assert connector(app, server, password=escaped, extra={"certificate_id": "cert-p384"}).check()
    locked = key_pem(p384, b"open sesame")
    extra = {"certificate_id": "cert-p384", "private_key_passphrase": "open sesame"}
    assert connector(app, server, password=locked, extra=extra).check()
    with pytest.raises(ConfigError, match="private_key_passphrase"):
        connector(app, server, password=locked, extra={"certificate_id": "cert-p384"}).check()


def test_a_key_file_and_clear_errors_for_what_is_missing(
    app: NetSuiteEmulator, server: EmulatorServer, tmp_path: Any
) -> None:
    (tmp_path / "netsuite.pem").write_text(app.private_key)
    extra = {"private_key_file": str(tmp_path / "netsuite.pem")}
    assert connector(app, server, password=None, extra=extra).check()
    with pytest.raises(ConfigError, match=r"private_key_file .*cannot be read"):
        connector(app, server, extra={"private_key_file": str(tmp_path / "gone.pem")}).check()
    with pytest.raises(ConfigError, match="no client secret") as secret:
        connector(app, server, password="the-old-client-secret").check()  # how the old grant logged in
    assert "the-old-client-secret" not in str(secret.value)
    with pytest.raises(ConfigError, match="certificate_id"):
        connector(app, server, extra={"certificate_id": None}).check()
    with pytest.raises(ConfigError, match="RS256 is retired"):
        connector(app, server, extra={"algorithm": "RS256"}).check()
    with pytest.raises(ConfigError, match="login_flow"):
        connector(app, server, extra={"login_flow": "password"}).check()
    with pytest.raises(ConfigError, match="extra token_secret"):
        connector(app, server, extra={"login_flow": "tba", "token_id": "t-1"}).check()


def test_refused_assertions_never_show_the_key(app: NetSuiteEmulator, server: EmulatorServer) -> None:
    stranger = key_pem(rsa.generate_private_key(public_exponent=65537, key_size=2048))
    with pytest.raises(AuthenticationError) as caught:
        list(connector(app, server, password=stranger).read_changes(CUSTOMERS, None, 10))
    message = str(caught.value)
    assert "'netsuite_default'" in message and "invalid_client" in message
    assert app.certificate_id in message and "Login Audit Trail" in message
    assert "signature does not match" in app.audit[-1][1]
    body = "".join(stranger.splitlines()[1:-1])
    assert body[:40] not in message and app.private_key.splitlines()[1] not in message
    ns = connector(app, server)
    ns.write(CUSTOMERS, [customer(1)])
    app.revoke_certificate(app.certificate_id)  # the certificate was removed from the mapping
    app.revoke_tokens()
    with pytest.raises(AuthenticationError, match="invalid_client") as again:
        ns.write(CUSTOMERS, [customer(2)])
    assert "BEGIN PRIVATE KEY" not in str(again.value) and len(app.records()) == 1


def test_token_based_authentication_reads_and_writes(app: NetSuiteEmulator, server: EmulatorServer) -> None:
    spec = app.connection(server.url, login_flow="tba")
    conn = parse_connection("netsuite_default", json.dumps(spec))
    ns = NetSuiteConnector(conn, policy=RetryPolicy(max_attempts=3, base_delay=0.01, max_delay=0.05))
    results = ns.write(CUSTOMERS, [customer(i) for i in range(6)])
    assert all(r.ok for r in results) and len(app.records()) == 6
    assert len(ids(ns.read_changes(CUSTOMERS, None, 4))) == 6  # SuiteQL pages: limit and offset signed
    assert ns.fetch(CUSTOMERS, [results[0].id or ""])[0]["companyname"] == "Customer 0"
    assert app.stats[TOKEN] == 0 and app.audit == []  # nothing to fetch; nothing refused
    wrong = {**spec, "extra": {**spec["extra"], "token_secret": "Wrong-Token-Secret-77"}}
    bad = NetSuiteConnector(parse_connection("netsuite_default", json.dumps(wrong)), policy=ns.session.policy)
    with pytest.raises(AuthenticationError) as caught:
        bad.fetch(CUSTOMERS, ["1"])
    message = str(caught.value)
    assert "token-based authentication" in message and "INVALID_LOGIN" in message
    assert "realm '1234567_SB1'" in message
    for secret in ("Wrong-Token-Secret-77", app.token_keys.consumer_secret, app.token_keys.token_id):
        assert secret not in message and secret not in redact(message)
    assert "the signature does not match" in app.audit[-1][1]


def test_check_and_configuration_errors(app: NetSuiteEmulator, server: EmulatorServer) -> None:
    app.create("customer", {"companyname": "Acme"})
    assert (
        "1234567_SB1" in connector(app, server).check() and "(1 customers)" in connector(app, server).check()
    )
    with pytest.raises(ConfigError, match="time_zone"):
        list(connector(app, server, extra={"time_zone": "Mars/Olympus"}).read_changes(CUSTOMERS, START, 5))
    no_host = connector(app, server, host=None)
    assert no_host.base_url() == "https://1234567-sb1.suitetalk.api.netsuite.com"
    with pytest.raises(FatalAPIError, match="unknown object"):
        connector(app, server).fetch(ObjectSpec("customer; DROP", ("id",), "id"), ["1"])
    with pytest.raises(FatalAPIError, match="Record 'vendor' was not found"):
        connector(app, server).fetch(ObjectSpec("vendor", ("id",), "id"), ["1"])
