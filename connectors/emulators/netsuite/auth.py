"""How the NetSuite emulator checks who is calling, as NetSuite does.

OAuth 2.0 client credentials (machine to machine) has no client secret: the token endpoint takes a
client assertion, a JWT signed with the private key of a certificate uploaded to the account, and
checks it: header `alg` PS256/PS384/PS512 or ES256/ES384/ES512 (RS256 is retired) and `kid` = the id
of an uploaded certificate; a signature that the certificate's public key verifies; `iss` = the
client id the certificate is mapped to; `aud` = the token endpoint's URL; `scope` naming
`rest_webservices` (a list, or names separated by commas); `iat` and `exp` present, `exp` in the
future and less than 60 minutes after `iat` (NetSuite help, "The Request Token Structure").

Token-based authentication signs every request with OAuth 1.0a (RFC 5849): `Authorization: OAuth
realm="<ACCOUNT_ID>", oauth_consumer_key, oauth_token, oauth_signature_method="HMAC-SHA256",
oauth_timestamp, oauth_nonce, oauth_version="1.0", oauth_signature`. The signature is checked here
from the signature base string (method, base URL, sorted parameters of the query, the form body and
the header), written from the RFC rather than with the library clients sign with, so that a client
library's mistake shows; a timestamp more than five minutes off, a nonce used twice, HMAC-SHA1 or a
wrong realm are refused as NetSuite refuses them: 401 `INVALID_LOGIN`.

NetSuite's answers say little (`{"error": "invalid_client"}`, "Invalid login attempt"); the reason
goes to its Login Audit Trail, here `audit`, which tests read; TBA refusals there start with the Detail
NetSuite writes (InvalidSignature, InvalidTimestamp, NonceRejected, UnknownIntegration).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
from dataclasses import dataclass
from functools import cache
from typing import Any
from urllib.parse import quote, unquote

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.asymmetric.types import PublicKeyTypes

ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
ALGORITHMS = ("PS256", "PS384", "PS512", "ES256", "ES384", "ES512")
LONGEST_ASSERTION = 3600  # seconds from iat to exp
CLOCK_SKEW = 300  # seconds a timestamp may be off
SCOPES = {"rest_webservices", "restlets", "suite_analytics"}
_OAUTH_PARAM = re.compile(r'([a-z_]+)="([^"]*)"')


class Refusal(Exception):
    """Why a login was refused: `error` is what the answer says, `reason` what the audit trail says."""

    def __init__(self, error: str, reason: str) -> None:
        super().__init__(reason)
        self.error, self.reason = error, reason


@dataclass(frozen=True)
class Certificate:
    """A certificate uploaded in OAuth 2.0 Client Credentials (M2M) Setup, mapped to one client."""

    kid: str
    client_id: str
    public_key: PublicKeyTypes


@cache
def sandbox_private_key() -> str:
    """The sandbox certificate's private key (PEM), made once per process (RSA 2048, signs PS256)."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    return pem.decode()


def public_key_of(private_pem: str) -> PublicKeyTypes:
    """The public half of a PEM private key (what uploading its certificate gives NetSuite)."""
    key = serialization.load_pem_private_key(private_pem.encode(), None)
    return key.public_key()


def check_assertion(
    form: dict[str, str], certificates: dict[str, Certificate], token_url: str, now: float
) -> str:
    """The client id whose assertion this form carries, or a Refusal saying why not."""
    if form.get("client_assertion_type") != ASSERTION_TYPE or not form.get("client_assertion"):
        raise Refusal(
            "invalid_request",
            "client credentials need client_assertion_type jwt-bearer and a client_assertion "
            "(there is no client secret in the M2M flow)",
        )
    assertion = form["client_assertion"]
    try:
        header = jwt.get_unverified_header(assertion)
    except jwt.PyJWTError:
        raise Refusal("invalid_request", "the client assertion is not a JWT") from None
    algorithm = header.get("alg")
    if algorithm not in ALGORITHMS:
        raise Refusal("invalid_request", f"unsupported signing algorithm {algorithm!r}")
    certificate = certificates.get(str(header.get("kid")))
    if certificate is None:
        raise Refusal("invalid_client", f"no certificate with id {header.get('kid')!r} is mapped")
    try:
        claims: dict[str, Any] = jwt.decode(
            assertion,
            certificate.public_key,  # type: ignore[arg-type]
            algorithms=[algorithm],
            options={"verify_exp": False, "verify_iat": False, "verify_aud": False, "verify_nbf": False},
        )
    except jwt.InvalidSignatureError:
        raise Refusal(
            "invalid_client", "InvalidSignature: the signature does not match the certificate"
        ) from None
    except (TypeError, ValueError, jwt.InvalidKeyError):
        raise Refusal("invalid_client", f"the certificate's key does not sign {algorithm}") from None
    except jwt.PyJWTError as exc:
        raise Refusal("invalid_request", f"the client assertion cannot be read ({exc})") from None
    if claims.get("iss") != certificate.client_id:
        raise Refusal("invalid_client", f"iss {claims.get('iss')!r} is not the certificate's client")
    audience = claims.get("aud")
    if token_url not in (audience if isinstance(audience, list) else [audience]):
        raise Refusal("invalid_grant", f"aud {audience!r} is not the token endpoint {token_url}")
    issued, expires = claims.get("iat"), claims.get("exp")
    if not isinstance(issued, int | float) or not isinstance(expires, int | float):
        raise Refusal("invalid_grant", "the client assertion needs iat and exp")
    if expires <= now:
        raise Refusal("invalid_grant", "the client assertion has expired")
    if expires - issued >= LONGEST_ASSERTION:
        raise Refusal("invalid_grant", "exp is not less than 60 minutes after iat")
    if issued > now + CLOCK_SKEW:
        raise Refusal("invalid_grant", "iat is in the future")
    scope = claims.get("scope")
    named = set(scope if isinstance(scope, list) else re.split(r"[\s,]+", str(scope or "")))
    if "rest_webservices" not in named or not named <= SCOPES:
        raise Refusal("invalid_scope", f"scope {scope!r} does not grant rest_webservices")
    return certificate.client_id


@dataclass(frozen=True)
class TokenKeys:
    """The four keys of token-based authentication: the integration's and the access token's."""

    consumer_key: str
    consumer_secret: str
    token_id: str
    token_secret: str


def encode(text: str) -> str:
    """RFC 5849 §3.6 percent-encoding: everything but the unreserved characters."""
    return quote(text, safe="~")


def oauth_parameters(authorization: str) -> dict[str, str]:
    """The parameters of an `Authorization: OAuth ...` header, decoded."""
    return {k: unquote(v) for k, v in _OAUTH_PARAM.findall(authorization[len("OAuth ") :])}


def signature_base(method: str, base_url: str, parameters: list[tuple[str, str]]) -> str:
    """RFC 5849 §3.4.1: METHOD&base-url&sorted-parameters, each part percent-encoded."""
    pairs = sorted((encode(k), encode(v)) for k, v in parameters)
    normalized = "&".join(f"{k}={v}" for k, v in pairs)
    return "&".join((method.upper(), encode(base_url), encode(normalized)))


def check_signature(
    method: str,
    base_url: str,
    request_parameters: list[tuple[str, str]],
    authorization: str,
    keys: TokenKeys,
    realm: str,
    now: float,
    seen_nonces: set[tuple[str, str]],
) -> None:
    """Nothing when the OAuth 1.0a header signs this request with these keys; else a Refusal."""
    given = oauth_parameters(authorization)
    if given.get("realm") != realm:
        raise Refusal("INVALID_LOGIN", f"realm {given.get('realm')!r} is not the account {realm!r}")
    if given.get("oauth_signature_method") != "HMAC-SHA256":
        raise Refusal("INVALID_LOGIN", f"signature method {given.get('oauth_signature_method')!r}")
    if given.get("oauth_version", "1.0") != "1.0":
        raise Refusal("INVALID_LOGIN", "oauth_version is not 1.0")
    if given.get("oauth_consumer_key") != keys.consumer_key:
        raise Refusal("INVALID_LOGIN", "UnknownIntegration: unknown consumer key")
    if given.get("oauth_token") != keys.token_id:
        raise Refusal("INVALID_LOGIN", "InvalidToken: unknown token id")
    try:
        stamp = int(given.get("oauth_timestamp", ""))
    except ValueError:
        raise Refusal("INVALID_LOGIN", "no oauth_timestamp") from None
    if abs(stamp - now) > CLOCK_SKEW:
        raise Refusal("INVALID_LOGIN", "InvalidTimestamp: the timestamp is more than five minutes off")
    nonce = given.get("oauth_nonce", "")
    if not nonce or (keys.token_id, nonce) in seen_nonces:
        raise Refusal("INVALID_LOGIN", "NonceRejected: the nonce was used before")
    signed = [(k, v) for k, v in given.items() if k.startswith("oauth_") and k != "oauth_signature"]
    base = signature_base(method, base_url, request_parameters + signed)
    key = f"{encode(keys.consumer_secret)}&{encode(keys.token_secret)}"
    expected = base64.b64encode(hmac.new(key.encode(), base.encode(), hashlib.sha256).digest()).decode()
    if not hmac.compare_digest(expected, given.get("oauth_signature", "")):
        raise Refusal("INVALID_LOGIN", "InvalidSignature: the signature does not match")
    seen_nonces.add((keys.token_id, nonce))


__all__ = [
    "ASSERTION_TYPE",
    "Certificate",
    "Refusal",
    "TokenKeys",
    "check_assertion",
    "check_signature",
    "public_key_of",
    "sandbox_private_key",
    "signature_base",
]
