"""How a declarative REST connector proves who it is: basic, bearer, API key, OAuth 2 client credentials.

Every secret comes from the connection through a template (`{password}`, `{extra.api_key}`), never
from the YAML, and is registered for redaction before the first request carries it.

    auth = authenticator(spec.auth, connection, session)
    headers, params, basic = auth.credentials()
"""

from __future__ import annotations

import threading
from typing import Any

import requests

from connectors.rest.paths import fill
from connectors.rest.spec import AuthSpec
from hub.errors import AuthenticationError
from hub.io.connections import Connection
from hub.io.http import HubSession
from hub.io.redact import REDACTOR, redact
from hub.io.rest import RequestAuth


class Authenticator:
    """No authentication; subclasses add theirs."""

    def __init__(self, spec: AuthSpec, connection: Connection) -> None:
        self.spec = spec
        self.connection = connection

    def value(self, template: str, name: str) -> str:
        """A template filled from the connection, registered as a secret."""
        text = fill(template, self.connection, f"auth.{name}")
        REDACTOR.add(text)
        return text

    def credentials(self) -> RequestAuth:
        return RequestAuth()

    def refresh(self) -> dict[str, str]:
        """New headers after a 401 (only tokens that expire change)."""
        return dict(self.credentials().headers)


class BasicAuth(Authenticator):
    """HTTP Basic (Freshdesk: the API key as the user, X as the password)."""

    def credentials(self) -> RequestAuth:
        return RequestAuth(
            basic=(self.value(self.spec.user, "user"), self.value(self.spec.password, "password"))
        )


class BearerAuth(Authenticator):
    """`Authorization: Bearer <token>`."""

    def credentials(self) -> RequestAuth:
        return RequestAuth(headers={"Authorization": f"Bearer {self.value(self.spec.token, 'token')}"})


class ApiKeyAuth(Authenticator):
    """An API key in a header or a query parameter."""

    def credentials(self) -> RequestAuth:
        key = self.value(self.spec.value, "value")
        if self.spec.where == "query":
            return RequestAuth(params={self.spec.name: key})
        return RequestAuth(headers={self.spec.name: key})


class OAuth2ClientCredentials(Authenticator):
    """OAuth 2 client credentials: a token from `token_url`, fetched once and again after a 401."""

    def __init__(self, spec: AuthSpec, connection: Connection, session: HubSession, system: str) -> None:
        super().__init__(spec, connection)
        # Its own session (same counts and retries): a refused token request must not call the
        # API session's 401 hook, which would ask for a token again.
        self.session = HubSession(
            system,
            calls=session.calls,
            policy=session.policy,
            verify=session.custom_verify,
            timeout=session.timeout,
        )
        self.system = system
        self._token: str | None = None
        self._lock = threading.Lock()

    def credentials(self) -> RequestAuth:
        with self._lock:
            if self._token is None:
                self._token = self._fetch()
            return RequestAuth(headers={"Authorization": f"Bearer {self._token}"})

    def refresh(self) -> dict[str, str]:
        with self._lock:
            self._token = None
        return dict(self.credentials().headers)

    def token_url(self) -> str:
        url = fill(self.spec.token_url, self.connection, "auth.token_url")
        return url if "://" in url else f"{self.connection.base_url()}/{url.lstrip('/')}"

    def _fetch(self) -> str:
        form = {
            "grant_type": "client_credentials",
            "client_id": self.value(self.spec.client_id, "client_id"),
            "client_secret": self.value(self.spec.client_secret, "client_secret"),
        }
        if self.spec.scope:
            form["scope"] = self.spec.scope
        response = self.session.request("POST", self.token_url(), data=form, idempotent=True)
        token = _access_token(response)
        if token is None:
            raise AuthenticationError(
                self.system,
                f"connection {self.connection.conn_id!r}: the token endpoint refused the client "
                f"credentials ({redact(response.text.strip())[:200]})",
                status=response.status_code,
            )
        REDACTOR.add(token)
        return token


def _access_token(response: requests.Response) -> str | None:
    if response.status_code >= 300:
        return None
    try:
        body: Any = response.json()
    except ValueError:
        return None
    token = body.get("access_token") if isinstance(body, dict) else None
    return str(token) if token else None


def authenticator(spec: AuthSpec, connection: Connection, session: HubSession, system: str) -> Authenticator:
    """The authenticator of an auth kind; an OAuth one also refreshes the session's token on 401."""
    if spec.kind == "oauth2":
        oauth = OAuth2ClientCredentials(spec, connection, session, system)
        session.on_unauthorized = oauth.refresh
        return oauth
    kinds: dict[str, type[Authenticator]] = {"basic": BasicAuth, "bearer": BearerAuth, "api_key": ApiKeyAuth}
    return kinds.get(spec.kind, Authenticator)(spec, connection)
