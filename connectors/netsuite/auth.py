"""NetSuite's two ways for a program to log in, chosen by the connection (extra `login_flow`):

`oauth2` (the default): OAuth 2.0 client credentials, machine to machine. There is no client secret:
the connector signs a short JWT (the *client assertion*) with the private key of the certificate
uploaded in NetSuite (Setup > Integration > OAuth 2.0 Client Credentials (M2M) Setup), whose header
names that certificate's id as `kid`, and trades it at the token endpoint for an access token:

    POST /services/rest/auth/oauth2/v1/token
    grant_type=client_credentials
    &client_assertion_type=urn:ietf:params:oauth:client-assertion-type:jwt-bearer
    &client_assertion=<JWT: alg PS256|ES256|…, kid; iss = client id, scope, aud = this URL, iat, exp>

The access token is cached until 90% of `expires_in` and fetched again once after a 401, unless
another thread already replaced the token that failed.

`tba`: token-based authentication, OAuth 1.0a: every request is signed (HMAC-SHA256) with the
integration's consumer key and secret and the access token's id and secret, under
`realm="<ACCOUNT_ID>"`. Nothing is fetched; a refused signature is a 401 `INVALID_LOGIN`.

Connection fields: login = the client id (`oauth2`) or consumer key (`tba`); password = the private
key in PEM (`oauth2`; or extra `private_key_file`, a path, and `private_key_passphrase` when it is
encrypted) or the consumer secret (`tba`); extras `certificate_id`, `algorithm` (PS256 for an RSA
key, ES256/ES384/ES512 by an EC key's curve), `scope` (`rest_webservices`); `token_id` and
`token_secret` (`tba`). Without `login_flow`, a connection with a `token_id` uses `tba`.
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import jwt
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.serialization import load_pem_private_key
from requests.auth import AuthBase
from requests_oauthlib import OAuth1

from hub.errors import AuthenticationError, ConfigError
from hub.io.connections import Connection
from hub.io.http import HubSession
from hub.io.redact import REDACTOR, redact
from hub.io.rest import json_body

ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
ALGORITHMS = ("PS256", "PS384", "PS512", "ES256", "ES384", "ES512")  # RS256 is retired by NetSuite
CURVE_ALGORITHM = {"secp256r1": "ES256", "secp384r1": "ES384", "secp521r1": "ES512"}
ASSERTION_LIFETIME = 300  # seconds an assertion may be traded (NetSuite allows at most 3600)
DEFAULT_SCOPE = "rest_webservices"
DEFAULT_LIFETIME = 3600.0  # seconds, when the token endpoint names none
REUSED_SHARE = 0.9  # of a token's lifetime before it is fetched again
FLOWS = ("oauth2", "tba")
_PEM = re.compile(r"-----BEGIN ([A-Z ]*PRIVATE KEY)-----(.*?)-----END \1-----", re.DOTALL)
_REFUSAL_HINTS = {
    "invalid_client": "the client id, the certificate id (kid) or the key that signed the assertion",
    "invalid_grant": "the assertion's times (is this machine's clock right?) or its audience",
    "invalid_scope": "the scope: the integration record needs REST Web Services",
    "invalid_request": "the request's form",
}

PrivateKey = rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey


def login_flow(connection: Connection) -> str:
    """`oauth2` or `tba`, as the connection asks (a `token_id` alone means `tba`)."""
    named = connection.option("login_flow")
    if named is None:
        return "tba" if connection.option("token_id") else "oauth2"
    flow = str(named).strip().lower()
    if flow not in FLOWS:
        raise ConfigError(
            f"connection {connection.conn_id!r}: extra login_flow is {named!r}; use oauth2 (OAuth 2.0 "
            "client credentials with a certificate) or tba (token-based authentication)"
        )
    return flow


def read_private_key(connection: Connection) -> PrivateKey:
    """The private key of the certificate uploaded to NetSuite, from the password (PEM text, with its
    line breaks, literal `\\n`s or none at all, as form fields keep it) or extra `private_key_file`."""
    conn = connection
    path = conn.option("private_key_file")
    if path:
        try:
            text = Path(str(path)).expanduser().read_text()
        except OSError as exc:
            raise ConfigError(
                f"connection {conn.conn_id!r}: extra private_key_file {str(path)!r} cannot be read "
                f"({exc.strerror})"
            ) from None
    elif conn.password:
        text = conn.password
    else:
        raise ConfigError(
            f"connection {conn.conn_id!r} needs the private key of the certificate uploaded in NetSuite "
            "(Setup > Integration > OAuth 2.0 Client Credentials (M2M) Setup), as PEM in the password "
            "or as a file in extra private_key_file"
        )
    match = _PEM.search(text.replace("\\n", "\n"))
    if match is None:
        raise ConfigError(
            f"connection {conn.conn_id!r}: the private key is not a PEM private key. NetSuite's OAuth 2.0 "
            "client credentials flow has no client secret: give the private key (-----BEGIN PRIVATE "
            "KEY-----) of the certificate uploaded in OAuth 2.0 Client Credentials (M2M) Setup, or use "
            "token-based authentication (extras login_flow=tba, token_id, token_secret)"
        )
    body = "".join(match.group(2).split())
    lines = [body[i : i + 64] for i in range(0, len(body), 64)]
    pem = "\n".join([f"-----BEGIN {match.group(1)}-----", *lines, f"-----END {match.group(1)}-----", ""])
    passphrase = conn.option("private_key_passphrase")
    try:
        key = load_pem_private_key(pem.encode(), str(passphrase).encode() if passphrase else None)
    except (ValueError, TypeError) as exc:
        reason = "it is encrypted: give extra private_key_passphrase" if "encrypted" in str(exc) else ""
        raise ConfigError(
            f"connection {conn.conn_id!r}: the private key cannot be read"
            + (f" ({reason})" if reason else " (a damaged PEM, or a wrong private_key_passphrase)")
        ) from None
    if not isinstance(key, rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey):
        raise ConfigError(f"connection {conn.conn_id!r}: NetSuite takes RSA or EC certificates only")
    return key


def algorithm_for(connection: Connection, key: PrivateKey) -> str:
    """The signing algorithm: extra `algorithm`, else PS256 for RSA and ES256/384/512 by the curve."""
    named = connection.option("algorithm")
    if isinstance(key, ec.EllipticCurvePrivateKey):
        natural = CURVE_ALGORITHM.get(key.curve.name)
        if natural is None:
            raise ConfigError(
                f"connection {connection.conn_id!r}: NetSuite takes EC keys on P-256, P-384 or P-521 only"
            )
    else:
        natural = "PS256"
    algorithm = str(named).strip().upper() if named else natural
    if algorithm not in ALGORITHMS or algorithm[:2] != natural[:2]:
        raise ConfigError(
            f"connection {connection.conn_id!r}: extra algorithm {named!r} cannot sign with this key; "
            f"NetSuite accepts {', '.join(ALGORITHMS)} (RS256 is retired), and this key signs {natural}"
        )
    return algorithm


class ClientAssertion:
    """The access tokens of one connection (OAuth 2.0 client credentials with a signed JWT), shared by
    the threads of its connector."""

    def __init__(
        self, system: str, connection: Connection, session: HubSession, token_url: Callable[[], str]
    ) -> None:
        conn = connection
        if not conn.login:
            raise ConfigError(f"connection {conn.conn_id!r} needs the integration record's client id (login)")
        if not conn.option("certificate_id"):
            raise ConfigError(
                f"connection {conn.conn_id!r} needs extra certificate_id: the id NetSuite shows for the "
                "certificate in Setup > Integration > OAuth 2.0 Client Credentials (M2M) Setup"
            )
        self.system = system
        self.connection = connection
        self.key = read_private_key(connection)
        self.algorithm = algorithm_for(connection, self.key)
        self.certificate_id = str(conn.option("certificate_id"))
        self.session = session  # the token endpoint's own: no token refresh on its own 401s
        self.token_url = token_url
        self.clock: Callable[[], float] = time.time  # the assertion's iat and exp
        self.monotonic: Callable[[], float] = time.monotonic  # the cache's clock (tests move it)
        self._token: str | None = None
        self._expires = 0.0
        self._lock = threading.Lock()
        self._used = threading.local()  # the token each thread's request carried

    def token(self) -> str:
        """A valid access token (cached, or fetched when there is none or it has run out of time)."""
        with self._lock:
            if self._token is None or self.monotonic() >= self._expires:
                self._fetch()
            assert self._token is not None
            self._used.token = self._token
            return self._token

    def refresh(self) -> dict[str, str]:
        """The headers of a fresh token after a 401, unless another thread already replaced the one that
        failed (the session's `on_unauthorized`)."""
        with self._lock:
            if self._token is None or self._token == getattr(self._used, "token", None):
                self._fetch()
            assert self._token is not None
            self._used.token = self._token
            return {"Authorization": f"Bearer {self._token}"}

    def assertion(self) -> str:
        """A fresh client assertion: the JWT NetSuite trades for an access token."""
        now = int(self.clock())
        scope = str(self.connection.option("scope") or DEFAULT_SCOPE)
        scopes = [s for s in re.split(r"[\s,]+", scope) if s]
        claims: dict[str, Any] = {
            "iss": self.connection.login,
            "scope": ",".join(scopes),  # "separated by a comma" (NetSuite help, The Request Token Structure)
            "aud": self.token_url(),
            "iat": now,
            "exp": now + ASSERTION_LIFETIME,
        }
        headers = {"kid": self.certificate_id, "typ": "JWT"}
        return jwt.encode(claims, self.key, algorithm=self.algorithm, headers=headers)

    def _fetch(self) -> None:
        """Trade a new assertion for an access token (call with the lock held)."""
        conn = self.connection
        assertion = self.assertion()
        REDACTOR.add(assertion)  # a signed assertion is a credential for its few minutes
        response = self.session.request(
            "POST",
            self.token_url(),
            data={
                "grant_type": "client_credentials",
                "client_assertion_type": ASSERTION_TYPE,
                "client_assertion": assertion,
            },
            headers={"Accept": "application/json"},
            idempotent=True,
        )
        body = json_body(response)
        answer: dict[str, Any] = body if isinstance(body, dict) else {}
        if response.status_code != 200 or not answer.get("access_token"):
            code = str(answer.get("error") or f"HTTP {response.status_code}")
            told = answer.get("error_description")
            hint = _REFUSAL_HINTS.get(code, "the integration record and the certificate")
            raise AuthenticationError(
                self.system,
                f"connection {conn.conn_id!r}: NetSuite refused the client assertion of client "
                f"{conn.login!r} signed {self.algorithm} with certificate {self.certificate_id!r} "
                f"({redact(code)[:80]}{': ' + redact(told)[:200] if told else ''}); check {hint}; "
                "NetSuite's Login Audit Trail (Setup > Users/Roles > User Management) says why",
                status=response.status_code,
            )
        REDACTOR.add(str(answer["access_token"]))  # a bearer token is as secret as the key
        lifetime = float(answer.get("expires_in") or DEFAULT_LIFETIME)
        self._token, self._expires = str(answer["access_token"]), self.monotonic() + lifetime * REUSED_SHARE


def token_based(connection: Connection, realm: str) -> AuthBase:
    """The OAuth 1.0a signer of token-based authentication (HMAC-SHA256, NetSuite's realm)."""
    conn = connection
    missing = [
        name
        for name, value in (
            ("the consumer key (login)", conn.login),
            ("the consumer secret (password)", conn.password),
            ("extra token_id", conn.option("token_id")),
            ("extra token_secret", conn.option("token_secret")),
        )
        if not value
    ]
    if missing:
        raise ConfigError(
            f"connection {conn.conn_id!r}: token-based authentication needs {', '.join(missing)} "
            "(Setup > Users/Roles > Access Tokens gives the token id and secret)"
        )
    return OAuth1(
        client_key=str(conn.login),
        client_secret=str(conn.password),
        resource_owner_key=str(conn.option("token_id")),
        resource_owner_secret=str(conn.option("token_secret")),
        signature_method="HMAC-SHA256",
        realm=realm,
    )


__all__ = ["ALGORITHMS", "ASSERTION_TYPE", "ClientAssertion", "login_flow", "read_private_key", "token_based"]
