"""NetSuite's OAuth 2.0 client-credentials tokens: fetched from the token endpoint with the integration
record's client id and secret (HTTP Basic), cached until 90% of `expires_in`, fetched again once after
a 401 unless another thread already replaced the token that failed.

    tokens = ClientCredentials("netsuite", connection, token_session, token_url)
    headers = {"Authorization": f"Bearer {tokens.token()}"}
    session.on_unauthorized = tokens.refresh
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

from hub.errors import AuthenticationError, ConfigError
from hub.io.connections import Connection
from hub.io.http import HubSession
from hub.io.redact import REDACTOR, redact
from hub.io.rest import json_body

DEFAULT_LIFETIME = 3600.0  # seconds, when the token endpoint names none
REUSED_SHARE = 0.9  # of a token's lifetime before it is fetched again


class ClientCredentials:
    """The access tokens of one connection, shared by the threads of its connector."""

    def __init__(
        self, system: str, connection: Connection, session: HubSession, token_url: Callable[[], str]
    ) -> None:
        self.system = system
        self.connection = connection
        self.session = session  # the token endpoint's own: no token refresh on its own 401s
        self.token_url = token_url
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

    def _fetch(self) -> None:
        """Ask the token endpoint for a new access token (call with the lock held)."""
        conn = self.connection
        if not conn.login or not conn.password:
            raise ConfigError(
                f"connection {conn.conn_id!r} needs the client id (login) and secret (password)"
            )
        response = self.session.request(
            "POST",
            self.token_url(),
            data={"grant_type": "client_credentials"},
            auth=(conn.login, conn.password),
            headers={"Accept": "application/json"},
            idempotent=True,
        )
        body = json_body(response)
        answer: dict[str, Any] = body if isinstance(body, dict) else {}
        if response.status_code != 200 or not answer.get("access_token"):
            reason = answer.get("error_description") or answer.get("error") or f"HTTP {response.status_code}"
            raise AuthenticationError(
                self.system,
                f"connection {conn.conn_id!r}: NetSuite refused the client credentials of client "
                f"{conn.login!r} ({redact(reason)[:200]})",
                status=response.status_code,
            )
        REDACTOR.add(str(answer["access_token"]))  # a bearer token is as secret as the client secret
        lifetime = float(answer.get("expires_in") or DEFAULT_LIFETIME)
        self._token, self._expires = str(answer["access_token"]), self.monotonic() + lifetime * REUSED_SHARE


__all__ = ["ClientCredentials"]
