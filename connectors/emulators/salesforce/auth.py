"""Logging in: the OAuth 2.0 token endpoint (password and client-credentials grants), the SOAP
`login()` call simple-salesforce uses for username + password + security token, and sessions.

Both are served at `/services/…` and, for clients that build `https://{domain}.salesforce.com/…`
URLs, at `/{domain}.salesforce.com/services/…`: pass `domain="127.0.0.1:PORT/login"` and the login
request lands on the emulator (see `SalesforceEmulator.login_domain`).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from datetime import datetime, timedelta
from html import escape

from connectors.emulators.salesforce.ids import Clock, truncate_ms
from connectors.emulators.salesforce.rest import Route
from connectors.emulators.server import Request, Response, basic_credentials

LOGIN_HOST = r"(?:/(?P<login_host>[\w.-]+)\.salesforce\.com)?"
PARTNER_NS = "urn:partner.soap.sforce.com"
SOAP_FAULT = (
    '<?xml version="1.0" encoding="UTF-8"?><soapenv:Envelope '
    'xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" xmlns:sf="urn:fault.partner.soap.sforce.com" '
    'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"><soapenv:Body><soapenv:Fault>'
    "<faultcode>sf:INVALID_LOGIN</faultcode><faultstring>INVALID_LOGIN: Invalid username, password, "
    'security token; or user locked out.</faultstring><detail><sf:LoginFault xsi:type="sf:LoginFault">'
    "<sf:exceptionCode>INVALID_LOGIN</sf:exceptionCode><sf:exceptionMessage>Invalid username, password, "
    "security token; or user locked out.</sf:exceptionMessage></sf:LoginFault></detail></soapenv:Fault>"
    "</soapenv:Body></soapenv:Envelope>"
)


@dataclass(frozen=True)
class Credentials:
    """The sandbox org's API user and connected app."""

    username: str = "integration@omnihub.sandbox"
    password: str = "sandbox-password"
    security_token: str = "SANDBOXSECURITYTOKEN0001"
    client_id: str = "3MVG9omnihub.sandbox.consumer.key"
    client_secret: str = "omnihub-sandbox-consumer-secret"


class Sessions:
    """Access tokens and when they expire."""

    def __init__(self, clock: Clock, ttl_seconds: float, org_id: str) -> None:
        self.clock, self.ttl, self.org_id = clock, timedelta(seconds=ttl_seconds), org_id
        self.expiry: dict[str, datetime] = {}

    def issue(self) -> str:
        token = f"{self.org_id[:15]}!{secrets.token_urlsafe(72)}"
        self.expiry[token] = truncate_ms(self.clock()) + self.ttl
        return token

    def valid(self, token: str) -> bool:
        expiry = self.expiry.get(token)
        return expiry is not None and truncate_ms(self.clock()) < expiry

    def expire_all(self) -> None:
        self.expiry.clear()

    def from_header(self, authorization: str | None) -> str | None:
        """The valid token of an `Authorization: Bearer …` (or `OAuth …`) header, else None."""
        scheme, _, token = (authorization or "").partition(" ")
        return token.strip() if scheme.lower() in ("bearer", "oauth") and self.valid(token.strip()) else None


def oauth_error(error: str, description: str) -> Response:
    return Response.json({"error": error, "error_description": description}, 400)


class LoginApi:
    """The token endpoint and SOAP login of one org."""

    def __init__(self, credentials: Credentials, sessions: Sessions, org_id: str, user_id: str) -> None:
        self.credentials, self.sessions, self.org_id, self.user_id = credentials, sessions, org_id, user_id

    def routes(self) -> list[Route]:
        return [
            ("POST", LOGIN_HOST + r"/services/oauth2/token", self.token),
            ("POST", LOGIN_HOST + r"/services/Soap/u/(?P<version>\d+\.\d)", self.soap_login),
        ]

    @staticmethod
    def base_url(request: Request) -> str:
        """This emulator's own https base URL, as the client reached it."""
        return f"https://{request.headers.get('Host') or 'localhost'}"

    def token(self, request: Request) -> Response:
        """`POST /services/oauth2/token`: the password and client-credentials grants."""
        form = request.form()
        client = basic_credentials(request.headers.get("Authorization"))
        client_id, client_secret = client or (form.get("client_id", ""), form.get("client_secret", ""))
        grant = form.get("grant_type", "")
        if grant not in ("password", "client_credentials"):
            return oauth_error("unsupported_grant_type", "grant type not supported")
        if client_id != self.credentials.client_id:
            return oauth_error("invalid_client_id", "client identifier invalid")
        if client_secret != self.credentials.client_secret:
            return oauth_error("invalid_client", "invalid client credentials")
        if grant == "password" and not self.password_ok(form.get("username", ""), form.get("password", "")):
            return oauth_error("invalid_grant", "authentication failure")
        return Response.json(self.token_body(self.base_url(request)))

    def password_ok(self, username: str, password: str) -> bool:
        expected = self.credentials.password + self.credentials.security_token
        return hmac.compare_digest(username, self.credentials.username) and hmac.compare_digest(
            password, expected
        )

    def token_body(self, base: str) -> dict[str, str]:
        """A new session as the token endpoint returns it."""
        token = self.sessions.issue()
        identity = f"{base}/id/{self.org_id}/{self.user_id}"
        issued_at = str(int(truncate_ms(self.sessions.clock()).timestamp() * 1000))
        digest = hmac.new(
            self.credentials.client_secret.encode(), (identity + issued_at).encode(), hashlib.sha256
        )
        return {
            "access_token": token,
            "instance_url": base,
            "id": identity,
            "token_type": "Bearer",
            "issued_at": issued_at,
            "signature": base64.b64encode(digest.digest()).decode(),
        }

    def soap_login(self, request: Request) -> Response:
        """`POST /services/Soap/u/NN.N`: the partner API's login(username, password+token)."""
        try:
            root = ET.fromstring(request.body)
        except ET.ParseError:
            return Response.text(SOAP_FAULT, 500, content_type="text/xml")
        username = root.findtext(f".//{{{PARTNER_NS}}}username") or ""
        password = root.findtext(f".//{{{PARTNER_NS}}}password") or ""
        if not self.password_ok(username, password):
            return Response.text(SOAP_FAULT, 500, content_type="text/xml")
        return Response.text(self.login_result(request, username), content_type="text/xml")

    def login_result(self, request: Request, username: str) -> str:
        """The SOAP loginResponse simple-salesforce reads sessionId and serverUrl from."""
        base, version = self.base_url(request), request.params["version"]
        org = self.org_id[:15]
        fields = {
            "metadataServerUrl": f"{base}/services/Soap/m/{version}/{org}",
            "passwordExpired": "false",
            "sandbox": "true",
            "serverUrl": f"{base}/services/Soap/u/{version}/{org}",
            "sessionId": self.sessions.issue(),
            "userId": self.user_id,
        }
        result = "".join(f"<{k}>{escape(v)}</{k}>" for k, v in fields.items())
        user_info = (
            f"<userInfo><organizationId>{self.org_id}</organizationId>"
            f"<userName>{escape(username)}</userName></userInfo>"
        )
        return (
            '<?xml version="1.0" encoding="UTF-8"?><soapenv:Envelope '
            'xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" xmlns="urn:partner.soap.sforce.com">'
            f"<soapenv:Body><loginResponse><result>{result}{user_info}</result></loginResponse>"
            "</soapenv:Body></soapenv:Envelope>"
        )
