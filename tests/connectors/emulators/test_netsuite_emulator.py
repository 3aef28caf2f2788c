"""The NetSuite emulator driven as users' code drives NetSuite: OAuth 2.0 client assertions signed with
PyJWT, token-based authentication signed by requests-oauthlib, SuiteQL paging, records, limits."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import jwt
import pytest
import requests
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from requests_oauthlib import OAuth1

from connectors.emulators.netsuite import NetSuiteEmulator
from connectors.emulators.netsuite.auth import ASSERTION_TYPE, signature_base
from connectors.emulators.netsuite.suiteql import AnyOf, Call, Column, Condition, Literal, SuiteQLError, parse
from connectors.emulators.salesforce.ids import ManualClock
from connectors.emulators.server import EmulatorServer

REAL = Path(__file__).parents[2] / "fixtures" / "real" / "netsuite"
START = datetime(2024, 3, 1, 12, 0, tzinfo=UTC)  # 04:00 in Los Angeles, the emulator's default zone
TOKEN = "/services/rest/auth/oauth2/v1/token"
SUITEQL = "/services/rest/query/v1/suiteql"
CUSTOMER = "/services/rest/record/v1/customer"
STAMP = "TO_CHAR(lastmodifieddate, 'YYYY-MM-DD\"T\"HH24:MI:SS') AS lastmodifieddate"


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


def pem(key: rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey) -> str:
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()


def assertion(server: EmulatorServer, app: NetSuiteEmulator, key: Any = None, **changes: Any) -> str:
    """A client assertion as NetSuite's documentation builds it (PyJWT): `changes` alter its claims,
    `alg`/`kid` its header."""
    now = int(time.time())
    claims = {"iss": app.client_id, "scope": "rest_webservices", "aud": server.url + TOKEN, "iat": now}
    claims |= {"exp": now + 600}
    header = {"kid": changes.pop("kid", app.certificate_id)}
    algorithm = changes.pop("alg", "PS256")
    claims |= changes
    return jwt.encode(claims, key or app.private_key, algorithm=algorithm, headers=header)


def grant(server: EmulatorServer, signed: str) -> requests.Response:
    form = {"grant_type": "client_credentials", "client_assertion_type": ASSERTION_TYPE}
    return requests.post(server.url + TOKEN, data=form | {"client_assertion": signed}, timeout=10)


def token(server: EmulatorServer, app: NetSuiteEmulator) -> str:
    answer = grant(server, assertion(server, app))
    assert answer.status_code == 200, answer.text
    return str(answer.json()["access_token"])


def api(server: EmulatorServer, bearer: str, method: str, path: str, **kwargs: Any) -> requests.Response:
    url = path if "://" in path else server.url + path
    headers = {"Authorization": f"Bearer {bearer}", **kwargs.pop("headers", {})}
    return requests.request(method, url, headers=headers, timeout=10, **kwargs)


def suiteql(server: EmulatorServer, bearer: str, q: str, **params: Any) -> requests.Response:
    return api(server, bearer, "POST", SUITEQL, json={"q": q}, params=params, headers={"Prefer": "transient"})


def error(response: requests.Response) -> dict[str, Any]:
    """The one `o:errorDetails` entry of a NetSuite error body, after checking the body's shape."""
    body = response.json()
    top = {"o:errorCode"} if response.status_code == 429 else set()  # as Oracle publishes the 429
    assert set(body) == {"type", "title", "status", "o:errorDetails"} | top
    assert body["status"] == response.status_code
    assert body["type"].startswith("https://www.w3.org/Protocols/rfc2616/rfc2616-sec10.html")
    assert len(body["o:errorDetails"]) == 1
    detail: dict[str, Any] = body["o:errorDetails"][0]
    assert detail["detail"] and detail["o:errorCode"]
    return detail


def test_client_assertions_are_traded_for_tokens_that_expire(
    app: NetSuiteEmulator, server: EmulatorServer, clock: ManualClock
) -> None:
    answer = grant(server, assertion(server, app)).json()
    assert set(answer) == {"access_token", "token_type", "expires_in"} and answer["expires_in"] == "3600"
    bearer = answer["access_token"]
    assert suiteql(server, bearer, "SELECT id FROM customer").status_code == 200
    assert app.audit[-1] == ("Success", f"OAuth 2.0 client credentials: client {app.client_id}")
    listed = assertion(server, app, scope=["restlets", "rest_webservices"])  # the documentation's example
    assert grant(server, listed).status_code == 200
    commas = assertion(server, app, scope="restlets,rest_webservices")  # its text: "separated by a comma"
    assert grant(server, commas).status_code == 200
    clock.advance(3601)
    expired = suiteql(server, bearer, "SELECT id FROM customer")
    assert expired.status_code == 401 and error(expired)["o:errorCode"] == "INVALID_LOGIN"
    assert 'error="invalid_token"' in expired.headers["WWW-Authenticate"]
    assert api(server, "made-up", "GET", f"{CUSTOMER}/101").status_code == 401


def test_an_ec_certificate_signs_es256_and_es384(app: NetSuiteEmulator, server: EmulatorServer) -> None:
    for curve, algorithm in ((ec.SECP256R1(), "ES256"), (ec.SECP384R1(), "ES384")):
        key = ec.generate_private_key(curve)
        app.upload_certificate(f"cert-{algorithm}", app.client_id, pem(key))
        signed = assertion(server, app, key, kid=f"cert-{algorithm}", alg=algorithm)
        assert grant(server, signed).status_code == 200


def test_assertions_are_refused_as_netsuite_refuses_them(
    app: NetSuiteEmulator, server: EmulatorServer
) -> None:
    other = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    now = int(time.time())
    cases = [
        (assertion(server, app, other), 401, "invalid_client", "signature does not match"),
        (assertion(server, app, kid="cert-nobody-uploaded"), 401, "invalid_client", "no certificate"),
        (assertion(server, app, iss="someone-else"), 401, "invalid_client", "not the certificate's client"),
        (assertion(server, app, iat=now - 7200, exp=now - 3600), 400, "invalid_grant", "expired"),
        (assertion(server, app, iat=now, exp=now + 3600), 400, "invalid_grant", "not less than 60 minutes"),
        (assertion(server, app, aud="https://elsewhere.example/token"), 400, "invalid_grant", "aud"),
        (assertion(server, app, scope="restlets"), 400, "invalid_scope", "rest_webservices"),
        (assertion(server, app, alg="RS256"), 400, "invalid_request", "RS256"),
        (
            assertion(server, app, ec.generate_private_key(ec.SECP256R1()), alg="ES256"),
            401,
            "invalid_client",
            "ES256",
        ),
        ("not-a-jwt", 400, "invalid_request", "not a JWT"),
    ]
    for signed, status, code, reason in cases:
        refused = grant(server, signed)
        assert (refused.status_code, refused.json()) == (status, {"error": code}), reason
        assert app.audit[-1][0] == "Failure" and reason in app.audit[-1][1]
    # The secret of the old grant is no way in: M2M has no client secret.
    secret = requests.post(
        server.url + TOKEN,
        data={"grant_type": "client_credentials"},
        auth=(app.client_id, "a-client-secret"),
        timeout=10,
    )
    assert secret.status_code == 400 and secret.json() == {"error": "invalid_request"}
    other_grant = requests.post(server.url + TOKEN, data={"grant_type": "password"}, timeout=10)
    assert other_grant.status_code == 400 and other_grant.json()["error"] == "unsupported_grant_type"
    app.revoke_certificate(app.certificate_id)
    assert grant(server, assertion(server, app)).status_code == 401


def tba(app: NetSuiteEmulator, **changes: str) -> OAuth1:
    """Token-based authentication as users sign it with requests-oauthlib."""
    keys = app.token_keys
    given = {
        "client_key": keys.consumer_key,
        "client_secret": keys.consumer_secret,
        "resource_owner_key": keys.token_id,
        "resource_owner_secret": keys.token_secret,
        "signature_method": "HMAC-SHA256",
        "realm": app.account_id,
    } | changes
    return OAuth1(**given)


def test_token_based_authentication_signs_every_request(
    app: NetSuiteEmulator, server: EmulatorServer
) -> None:
    made = app.create("customer", {"companyname": "Signed Co"})
    shown = requests.get(f"{server.url}{CUSTOMER}/{made}", auth=tba(app), timeout=10)
    assert shown.status_code == 200 and shown.json()["companyName"] == "Signed Co"
    page = requests.post(
        server.url + SUITEQL,
        params={"limit": 5, "offset": 0},
        json={"q": "SELECT id, companyname FROM customer"},
        headers={"Prefer": "transient"},
        auth=tba(app),
        timeout=10,
    )
    assert page.status_code == 200 and page.json()["items"][0]["companyname"] == "Signed Co"
    created = requests.post(
        server.url + CUSTOMER, json={"companyName": "Made by TBA"}, auth=tba(app), timeout=10
    )
    assert created.status_code == 204 and created.headers["Location"].startswith(server.url)


def test_token_based_signatures_are_refused_as_netsuite_refuses_them(
    app: NetSuiteEmulator, server: EmulatorServer
) -> None:
    url = f"{server.url}{CUSTOMER}/101"
    wrong = {
        "the signature does not match": tba(app, resource_owner_secret="not-the-token-secret"),
        "signature method": tba(app, signature_method="HMAC-SHA1"),
        "realm": tba(app, realm="9999999"),
        "UnknownIntegration": tba(app, client_key="someone-else"),
        "InvalidToken": tba(app, resource_owner_key="not-our-token"),
        "five minutes off": tba(app, timestamp=str(int(time.time()) - 900)),
    }
    for reason, auth in wrong.items():
        refused = requests.get(url, auth=auth, timeout=10)
        assert refused.status_code == 401 and error(refused)["o:errorCode"] == "INVALID_LOGIN", reason
        assert refused.headers["WWW-Authenticate"] == 'OAuth realm="1234567_SB1"'
        assert app.audit[-1][0] == "Failure" and reason in app.audit[-1][1]
    signed = requests.Request("GET", url, auth=tba(app)).prepare()
    with requests.Session() as session:
        assert session.send(signed, timeout=10).status_code == 404  # no customer 101: but signed right
        replayed = session.send(signed, timeout=10)  # the same nonce again
    assert replayed.status_code == 401 and "NonceRejected" in app.audit[-1][1]


def test_the_signature_base_string_is_rfc_5849s_own_example() -> None:
    """RFC 5849 §3.4.1.1: the request's query, form body and oauth parameters, sorted and encoded."""
    parameters = [("b5", "=%3D"), ("a3", "a"), ("c@", ""), ("a2", "r b"), ("c2", ""), ("a3", "2 q")]
    parameters += [
        ("oauth_consumer_key", "9djdj82h48djs9d2"),
        ("oauth_token", "kkk9d7dh3k39sjv7"),
        ("oauth_signature_method", "HMAC-SHA1"),
        ("oauth_timestamp", "137131201"),
        ("oauth_nonce", "7d8f3e4a"),
    ]
    assert signature_base("post", "http://example.com/request", parameters) == (
        "POST&http%3A%2F%2Fexample.com%2Frequest&a2%3Dr%2520b%26a3%3D2%2520q%26a3%3Da%26b5%3D%253D%25253D%26"
        "c%2540%3D%26c2%3D%26oauth_consumer_key%3D9djdj82h48djs9d2%26oauth_nonce%3D7d8f3e4a%26"
        "oauth_signature_method%3DHMAC-SHA1%26oauth_timestamp%3D137131201%26oauth_token%3Dkkk9d7dh3k39sjv7"
    )


def test_suiteql_pages_with_links_and_renders_every_value_as_text(
    app: NetSuiteEmulator, server: EmulatorServer, clock: ManualClock
) -> None:
    made = []
    for i in range(7):
        made.append(app.create("customer", {"companyname": f"Co {i}", "phone": None if i else "+1 555 0100"}))
        clock.advance(60)
    app.edit("customer", made[0], {"isinactive": True})  # moves last
    bearer = token(server, app)
    q = f"SELECT id, companyname, phone, isinactive, datecreated, {STAMP} FROM customer ORDER BY lastmodifieddate, id"
    first = suiteql(server, bearer, q, limit=3)
    body = first.json()
    assert first.status_code == 200 and "type=collection" in first.headers["Content-Type"]
    assert (body["count"], body["hasMore"], body["offset"], body["totalResults"]) == (3, True, 0, 7)
    links = {link["rel"]: link["href"] for link in body["links"]}
    assert links["next"].endswith("suiteql?limit=3&offset=3") and links["last"].endswith("offset=6")
    assert links["self"].endswith("suiteql?limit=3&offset=0")  # offset=0 spelled out, as Oracle's pages
    assert body["items"][0] == {
        "links": [],
        "id": str(made[1]),
        "companyname": "Co 1",
        "isinactive": "F",
        "datecreated": "3/1/2024",  # the user's date format, the date only
        "lastmodifieddate": "2024-03-01T04:01:00",  # TO_CHAR in the user's time zone
    }
    seen, url = [i["id"] for i in body["items"]], links["next"]
    while url:
        page = api(server, bearer, "POST", url, json={"q": q}, headers={"Prefer": "transient"}).json()
        seen += [i["id"] for i in page["items"]]
        url = next((link["href"] for link in page["links"] if link["rel"] == "next"), None)
    assert seen == [str(i) for i in made[1:] + made[:1]]
    assert page["items"][-1]["isinactive"] == "T" and "phone" in page["items"][-1]
    assert [link["rel"] for link in page["links"]] == ["previous", "first", "self"]  # no last on the last


def test_where_clauses_compare_in_the_users_time_zone(app: NetSuiteEmulator, server: EmulatorServer) -> None:
    ids = [app.create("customer", {"companyname": f"Co {i}", "externalid": f"E{i}"}) for i in range(4)]
    bearer = token(server, app)

    def found(where: str) -> list[str]:
        answer = suiteql(server, bearer, f"SELECT id FROM customer WHERE {where} ORDER BY id DESC")
        assert answer.status_code == 200, answer.text
        return [i["id"] for i in answer.json()["items"]]

    assert len(found("lastmodifieddate >= TO_DATE('2024-03-01 04:00:00', 'YYYY-MM-DD HH24:MI:SS')")) == 4
    assert found("lastmodifieddate > TO_TIMESTAMP('2024-03-01T04:00:00', 'YYYY-MM-DD\"T\"HH24:MI:SS')") == []
    assert found(f"id IN ({ids[0]}, {ids[2]}) AND externalid <> 'E0'") == [str(ids[2])]
    assert found("externalid NOT IN ('E0', 'E1') AND email IS NULL") == [str(ids[3]), str(ids[2])]
    assert found(f"customer.id = '{ids[1]}' AND isinactive = 'F'") == [str(ids[1])]
    assert found("(externalid = 'E1' OR externalid IS NULL OR id = 0) AND id > 0") == [str(ids[1])]


@pytest.mark.parametrize(
    ("query", "words"),
    [
        ("SELECT id FROM customer WHERE id = 1 OR id = 2", "does not support OR outside parentheses"),
        ("SELECT c.id FROM customer c JOIN contact t ON t.company = c.id", "aliases and joins"),
        ("SELECT nosuch FROM customer", "Field 'nosuch' for record 'customer' was not found"),
        ("SELECT id FROM vendor", "Record 'vendor' was not found"),
        ("SELECT id FROM customer WHERE lastmodifieddate > '2024-01-01'", "TO_DATE"),
        ("SELECT UPPER(email) FROM customer", "the function UPPER"),
        ("DELETE FROM customer", "expected SELECT"),
    ],
)
def test_queries_outside_the_subset_are_a_400_naming_the_problem(
    app: NetSuiteEmulator, server: EmulatorServer, query: str, words: str
) -> None:
    app.create("customer", {"companyname": "Acme"})
    answer = suiteql(server, token(server, app), query)
    assert answer.status_code == 400
    detail = error(answer)
    assert detail["o:errorCode"] == "INVALID_PARAMETER" and detail["o:errorQueryParam"] == "q"
    assert words in detail["detail"]


def test_paging_parameters_prefer_header_and_the_query_ceiling(
    app: NetSuiteEmulator, server: EmulatorServer
) -> None:
    for i in range(30):
        app.create("customer", {"companyname": f"Co {i}"})
    app.query_ceiling = 20
    bearer = token(server, app)
    q = "SELECT id FROM customer ORDER BY id"
    assert suiteql(server, bearer, q, limit=5, offset=15).json()["hasMore"] is True  # rows 16-20: allowed
    beyond = suiteql(server, bearer, q, limit=5, offset=20)
    assert beyond.status_code == 400
    detail = error(beyond)
    assert detail["o:errorCode"] == "INVALID_PARAMETER" and detail["o:errorQueryParam"] == "offset"
    assert "20 results" in detail["detail"]
    too_big = suiteql(server, bearer, q, limit=1001)
    assert too_big.status_code == 400 and error(too_big)["o:errorQueryParam"] == "limit"
    plain = api(server, bearer, "POST", SUITEQL, json={"q": q})
    assert plain.status_code == 400 and error(plain)["o:errorHeader"] == "Prefer"


def test_records_are_created_read_and_changed_in_the_rest_shape(
    app: NetSuiteEmulator, server: EmulatorServer, clock: ManualClock
) -> None:
    bearer = token(server, app)
    made = api(server, bearer, "POST", CUSTOMER, json={"companyName": "Acme", "subsidiary": {"id": "2"}})
    assert made.status_code == 204 and made.content == b""
    location = made.headers["Location"]
    assert location.startswith(server.url + CUSTOMER + "/")
    record = api(server, bearer, "GET", location).json()
    assert record["id"] == location.rsplit("/", 1)[1] and record["companyName"] == "Acme"
    assert record["subsidiary"]["id"] == "2" and record["subsidiary"]["refName"] == "Omnihub UK Ltd"
    assert record["isInactive"] is False and record["dateCreated"] == "2024-03-01T12:00:00Z"
    assert record["links"] == [{"rel": "self", "href": location}] and "email" not in record
    clock.advance(90)
    changed = api(server, bearer, "PATCH", location, json={"email": "ap@acme.example", "isInactive": True})
    assert changed.status_code == 204
    record = api(server, bearer, "GET", location).json()
    assert record["email"] == "ap@acme.example" and record["lastModifiedDate"] == "2024-03-01T12:01:30Z"
    missing = api(server, bearer, "GET", f"{CUSTOMER}/999")
    assert missing.status_code == 404 and error(missing)["o:errorCode"] == "NONEXISTENT_ID"
    assert api(server, bearer, "DELETE", location).status_code == 204 and app.records() == []


@pytest.mark.parametrize(
    ("body", "code", "path", "words"),
    [
        ({"email": "x@example.com"}, "USER_ERROR", "companyName", "Company Name"),
        ({"companyName": "A", "email": "not-an-email"}, "USER_ERROR", "email", "valid email"),
        ({"companyName": "A", "shoeSize": 44}, "INVALID_PARAMETER", "shoeSize", "Invalid field 'shoeSize'"),
        (
            {"companyName": "A", "lastModifiedDate": "2024-01-01T00:00:00Z"},
            "INVALID_PARAMETER",
            None,
            "read-only",
        ),
        ({"companyName": "A", "subsidiary": 2}, "INVALID_PARAMETER", "subsidiary", "reference"),
        (
            {"companyName": "A", "currency": {"id": "99"}},
            "USER_ERROR",
            "currency",
            "Invalid currency reference key 99",
        ),
    ],
)
def test_invalid_records_are_refused_with_the_field_at_fault(
    app: NetSuiteEmulator,
    server: EmulatorServer,
    body: dict[str, Any],
    code: str,
    path: str | None,
    words: str,
) -> None:
    answer = api(server, token(server, app), "POST", CUSTOMER, json=body)
    assert answer.status_code == 400
    detail = error(answer)
    assert detail["o:errorCode"] == code and words in detail["detail"]
    assert path is None or detail["o:errorPath"] == path
    assert app.records() == []


def test_external_id_upserts_never_duplicate(app: NetSuiteEmulator, server: EmulatorServer) -> None:
    bearer = token(server, app)
    first = api(server, bearer, "PUT", f"{CUSTOMER}/eid:HUB-1", json={"companyName": "Acme"})
    again = api(server, bearer, "PUT", f"{CUSTOMER}/eid:HUB-1", json={"companyName": "Acme Inc"})
    assert first.status_code == again.status_code == 204
    assert first.headers["Location"] == again.headers["Location"]
    [row] = app.records()
    assert row["externalid"] == "HUB-1" and row["companyname"] == "Acme Inc"
    by_eid = api(server, bearer, "GET", f"{CUSTOMER}/eid:HUB-1").json()
    assert by_eid["externalId"] == "HUB-1" and by_eid["id"] == str(row["id"])
    taken = api(server, bearer, "POST", CUSTOMER, json={"companyName": "Other", "externalId": "HUB-1"})
    assert taken.status_code == 400 and "HUB-1" in error(taken)["detail"]
    not_eid = api(server, bearer, "PUT", f"{CUSTOMER}/{row['id']}", json={"companyName": "X"})
    assert not_eid.status_code == 405


def test_requests_beyond_the_concurrency_limit_are_blocked_with_429(
    app: NetSuiteEmulator, server: EmulatorServer
) -> None:
    bearer = token(server, app)
    app.concurrency_limit, app.faults.latency_ms = 2, 150.0  # each request holds its slot a while
    answers: list[requests.Response] = []

    def call() -> None:
        answers.append(suiteql(server, bearer, "SELECT id FROM customer"))

    threads = [threading.Thread(target=call) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    blocked = [a for a in answers if a.status_code == 429]
    assert blocked and len(blocked) == app.stats["concurrency_rejections"]
    assert error(blocked[0]) == {
        "detail": "Concurrent request limit exceeded. Request blocked.",
        "o:errorCode": "CONCURRENCY_LIMIT_EXCEEDED",
    }
    assert "Retry-After" not in blocked[0].headers
    assert app.peak_in_flight <= 2 and app.in_flight == 0


def test_injected_rate_limits_use_netsuite_429_body(app: NetSuiteEmulator, server: EmulatorServer) -> None:
    bearer = token(server, app)
    app.faults.configure(1.0, ("rate_limit",))
    answer = suiteql(server, bearer, "SELECT id FROM customer")
    assert answer.status_code == 429 and error(answer)["o:errorCode"] == "CONCURRENCY_LIMIT_EXCEEDED"


def test_seeded_sandbox_and_its_connection(app: NetSuiteEmulator) -> None:
    app.seed_sandbox({"netsuite_customers": 40}, 7)
    rows = app.records()
    assert 38 <= len(rows) <= 40 and len({r["companyname"] for r in rows}) == len(rows)
    assert all(r["email"].startswith("accounts@") and r["defaultaddress"] for r in rows)
    assert {r["subsidiary"] for r in rows} <= {1, 2, 3}
    spec = app.connection("http://127.0.0.1:9", "/ca.pem")
    assert spec == {
        "conn_type": "netsuite",
        "host": "http://127.0.0.1:9",
        "login": app.client_id,
        "password": app.private_key,
        "schema": "1234567_SB1",
        "extra": {
            "ca_bundle": "/ca.pem",
            "rate_limit": "none",  # the emulator enforces no rate: the hub's API budget assumes none
            "time_zone": "America/Los_Angeles",
            "certificate_id": app.certificate_id,
        },
    }
    assert app.private_key.startswith("-----BEGIN PRIVATE KEY-----")
    keys = app.token_keys
    assert app.connection("http://127.0.0.1:9", login_flow="tba") == {
        "conn_type": "netsuite",
        "host": "http://127.0.0.1:9",
        "login": keys.consumer_key,
        "password": keys.consumer_secret,
        "schema": "1234567_SB1",
        "extra": {
            "rate_limit": "none",
            "time_zone": "America/Los_Angeles",
            "login_flow": "tba",
            "token_id": keys.token_id,
            "token_secret": keys.token_secret,
        },
    }


def test_the_parser_builds_the_tree_the_connector_relies_on() -> None:
    query = parse(
        "select id, TO_CHAR(LastModifiedDate, 'YYYY') AS y, TO_CHAR(datecreated, 'MM') from Customer "
        "where id in (1, 2) and email is not null order by y desc, id;"
    )
    assert query.table == "customer" and query.columns is not None
    assert [c.name for c in query.columns] == ["id", "y", "expr1"]
    assert query.columns[1].expr == Call("to_char", (Column("lastmodifieddate"), Literal("YYYY")))
    assert query.where == (
        Condition(Column("id"), "in", (Literal(1), Literal(2))),
        Condition(Column("email"), "is not null", ()),
    )
    assert [(k.expr, k.descending) for k in query.order] == [(Column("y"), True), (Column("id"), False)]
    quoted = parse("SELECT * FROM customer WHERE companyname = 'O''Brien' AND (id = 1 OR id <> 2)")
    assert quoted.columns is None and quoted.where == (
        Condition(Column("companyname"), "=", (Literal("O'Brien"),)),
        AnyOf((Condition(Column("id"), "=", (Literal(1),)), Condition(Column("id"), "<>", (Literal(2),)))),
    )
    with pytest.raises(SuiteQLError, match="Syntax error"):
        parse("SELECT id FROM customer WHERE id = 1 #")


def shape(value: Any) -> Any:
    """A body's keys and value types, recursively (lists by their first element)."""
    if isinstance(value, dict):
        return {key: shape(item) for key, item in value.items()}
    if isinstance(value, list):
        return [shape(value[0])] if value else []
    return type(value).__name__


def published(name: str) -> Any:
    return json.loads((REAL / name).read_text())


def rels(page: dict[str, Any]) -> list[str]:
    return [link["rel"] for link in page["links"]]


def test_collection_pages_have_the_shape_and_links_of_oracles_published_pages(
    app: NetSuiteEmulator, server: EmulatorServer
) -> None:
    """Oracle's "Collection Paging" pages (limit=2 over three customers): the same keys and types, the
    same links in the same order, items `{"links": [self], "id"}`. Oracle's page names the previous
    link `prev` there and `previous` in its paginated use case; the emulator says `previous`."""
    for i in range(3):
        app.create("customer", {"companyname": f"Co {i}"})
    bearer = token(server, app)
    first = api(server, bearer, "GET", f"{CUSTOMER}?limit=2").json()
    second = api(server, bearer, "GET", f"{CUSTOMER}?limit=2&offset=2").json()
    page_1, page_2 = published("customers_page_1.json"), published("customers_page_2.json")
    assert shape(first) == shape(page_1) and shape(second) == shape(page_2)
    assert rels(first) == rels(page_1) == ["next", "last", "self"]
    assert rels(second) == ["previous", "first", "self"] and rels(page_2) == ["prev", "first", "self"]
    assert first["links"][-1]["href"] == server.url + CUSTOMER + "?limit=2&offset=0"  # as published
    assert second["links"][1]["href"] == server.url + CUSTOMER + "?limit=2&offset=0"
    keys = ("count", "offset", "hasMore", "totalResults")
    assert [first[k] for k in keys] == [page_1[k] for k in keys]
    assert [second[k] for k in keys] == [page_2[k] for k in keys]
    assert [link["rel"] for item in first["items"] for link in item["links"]] == ["self", "self"]
    assert first["items"][0]["links"][0]["href"] == f"{server.url}{CUSTOMER}/{first['items'][0]['id']}"


def test_a_filtered_middle_page_answers_what_oracles_use_case_shows() -> None:
    """Oracle's "Fetching a List of All Customers with Pagination": 14 customers created in 2022,
    `q=dateCreated ON_OR_AFTER "1/1/2022" AND dateCreated BEFORE "1/1/2023"`, `limit=3&offset=6`:
    the emulator's page is the published one, links and all, once `<accountID>`'s host is its own."""
    clock = ManualClock(datetime(2021, 12, 31, 12, 0, tzinfo=UTC))
    app = NetSuiteEmulator(clock=clock)
    app.create("customer", {"companyname": "Late 2021"})
    for i in range(14):
        clock.advance(86400)
        app.create("customer", {"companyname": f"2022 no. {i}"})
    clock.advance((datetime(2023, 1, 1, 9, 0, tzinfo=UTC) - clock()).total_seconds())  # 1:00 in L.A.
    app.create("customer", {"companyname": "New Year 2023"})
    q = 'dateCreated ON_OR_AFTER "1/1/2022" AND dateCreated BEFORE "1/1/2023"'
    with EmulatorServer(app) as server:
        answer = api(server, token(server, app), "GET", CUSTOMER, params={"q": q, "limit": 3, "offset": 6})
    page = answer.json()
    expected = json.loads(
        (REAL / "customers_created_between_page.json")
        .read_text()
        .replace("https://<accountID>.suitetalk.api.netsuite.com", server.url)
    )
    assert page["links"] == expected["links"]
    assert shape(page) == shape(expected)
    assert {k: page[k] for k in ("count", "hasMore", "offset", "totalResults")} == {
        "count": 3,
        "hasMore": True,
        "offset": 6,
        "totalResults": 14,
    }
    assert [item["id"] for item in page["items"]] == [str(i) for i in range(108, 111)]


def test_suiteql_pages_have_the_envelope_and_links_of_oracles_published_pages(
    app: NetSuiteEmulator, server: EmulatorServer
) -> None:
    """SuiteQL answers in the collection envelope Oracle publishes (its SuiteQL example is shortened;
    its full pages are record collections): keys and types, and the links of a first, middle and
    last page, every href with limit and offset."""
    for i in range(7):
        app.create("customer", {"companyname": f"Co {i}"})
    bearer = token(server, app)
    pages = [
        suiteql(server, bearer, "SELECT id FROM customer ORDER BY id", limit=3, offset=o).json()
        for o in (0, 3, 6)
    ]
    envelope = {
        k: v for k, v in shape(published("customers_created_between_page.json")).items() if k != "items"
    }
    assert all({k: v for k, v in shape(p).items() if k != "items"} == envelope for p in pages)
    assert all(item["links"] == [] for p in pages for item in p["items"])  # as Oracle's SuiteQL example
    assert [rels(p) for p in pages] == [
        ["next", "last", "self"],
        ["previous", "first", "next", "last", "self"],
        ["previous", "first", "self"],
    ]
    middle = {link["rel"]: link["href"] for link in pages[1]["links"]}
    url = server.url + SUITEQL
    assert middle == {
        "previous": f"{url}?limit=3&offset=0",
        "first": f"{url}?limit=3&offset=0",
        "next": f"{url}?limit=3&offset=6",
        "last": f"{url}?limit=3&offset=6",
        "self": f"{url}?limit=3&offset=3",
    }
    refused = suiteql(server, bearer, "SELECT id FROM customer", limit=3, offset=4)
    assert refused.status_code == 400 and error(refused)["o:errorQueryParam"] == "offset"  # not a multiple


def test_errors_are_the_bodies_oracle_publishes(app: NetSuiteEmulator, server: EmulatorServer) -> None:
    """The emulator's 401, 404 and 429 are Oracle's published bodies ("Error Handling in REST Web
    Services"); the published 429 lacks a comma after its top-level `o:errorCode`, put back to read it."""
    missing = api(server, token(server, app), "GET", f"{CUSTOMER}/999")
    assert missing.status_code == 404 and missing.json() == published("nonexistent_id.json")
    unknown = api(server, "not-a-token", "POST", SUITEQL, json={"q": "SELECT id FROM customer"})
    assert unknown.status_code == 401 and unknown.json() == published("invalid_login.json")
    text = (REAL / "concurrency_limit_exceeded.json").read_text()
    limit_429 = json.loads(text.replace('"USER_ERROR"\n', '"USER_ERROR",\n'))
    answer = app.rate_limit_response()
    assert answer.status == 429 and json.loads(answer.body) == limit_429
    assert list(json.loads(answer.body)) == list(limit_429)  # the same keys in the same order


def test_governance_limits_answer_in_the_published_shape(
    app: NetSuiteEmulator, server: EmulatorServer
) -> None:
    bearer = token(server, app)
    account = api(server, bearer, "GET", "/services/rest/system/v1/governanceLimits").json()
    assert account == {
        "accountConcurrencyLimit": 5,
        "accountUnallocatedConcurrencyLimit": 5,
        "integrationLimitType": "accountLimit",
    }
    app.integration_limit = 2
    allocated = api(server, bearer, "GET", "/services/rest/system/v1/governanceLimits").json()
    assert allocated == {**published("governance_limits.json"), "accountUnallocatedConcurrencyLimit": 3}
    assert list(allocated) == list(published("governance_limits.json"))


def test_requests_beyond_the_integrations_own_limit_are_blocked(
    app: NetSuiteEmulator, server: EmulatorServer
) -> None:
    bearer = token(server, app)
    app.integration_limit, app.faults.latency_ms = 1, 150.0
    answers: list[requests.Response] = []
    threads = [
        threading.Thread(target=lambda: answers.append(suiteql(server, bearer, "SELECT id FROM customer")))
        for _ in range(3)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert any(a.status_code == 429 for a in answers) and app.peak_in_flight == 1


def test_the_metadata_catalog_describes_customer_as_json_schema(
    app: NetSuiteEmulator, server: EmulatorServer
) -> None:
    bearer = token(server, app)
    path = "/services/rest/record/v1/metadata-catalog/customer"
    answer = api(server, bearer, "GET", path, headers={"Accept": "application/schema+json"})
    assert answer.status_code == 200 and answer.headers["Content-Type"].startswith("application/schema+json")
    schema = answer.json()
    assert schema["type"] == "object" and schema["$schema"].startswith("https://json-schema.org/draft-06")
    properties = schema["properties"]
    assert properties["companyName"] == {"title": "Company Name", "type": "string", "nullable": True}
    assert properties["lastModifiedDate"]["format"] == "date-time"
    assert properties["currency"]["$ref"].endswith("/services/rest/record/v1/metadata-catalog/currency")
    made = app.create("customer", {"companyname": "Acme", "email": "ap@acme.example"})
    shown = api(server, bearer, "GET", f"/services/rest/record/v1/customer/{made}").json()
    assert set(shown) - {"links"} <= set(properties)  # a record carries only described fields
    assert api(server, bearer, "GET", path, headers={"Accept": "application/json"}).status_code == 406
    unknown = api(
        server,
        bearer,
        "GET",
        path.replace("customer", "nosuchtype"),
        headers={"Accept": "application/schema+json"},
    )
    assert unknown.status_code == 404
