"""The one base of every JSON-over-HTTP connector: requests, refused credentials and error classification.

A REST connector declares where its API lives, how one request proves who it is, which statuses mean
"refused credentials" and how its system's error bodies read; sending, retrying (through the shared
`HubSession`), raising and parsing live here, as they do in singer-sdk's `RESTStream`:

    class AcmeConnector(RESTConnector):
        system, display_name = "acme", "Acme"
        auth_statuses = frozenset({401, 403})

        def api_root(self) -> str:
            return f"{self.connection.base_url()}/api/v2"

        def credentials(self) -> RequestAuth:
            return RequestAuth(headers={"X-Api-Key": self.connection.password or ""})

    contacts = connector.call("GET", "contacts", params={"page": 1})  # parsed JSON; errors raise

A system whose error bodies are JSON reads its code and message in `error_detail`; one that throttles
with more than 429 and 5xx says so in `retryable`; `hint` adds what the user can do about an error.

An auth status raises AuthenticationError naming the connection and the system's message, never the
secret. Any other error answer `call` meets becomes `failure(...)`: a RetryableAPIError when
`Connector.transient` says so (the session's retried statuses, 429 and 5xx, plus the connector's
`retryable`), else a FatalAPIError; its message names the request as `METHOD /path` (the URL's path:
no query string, secrets masked) and the system's own message, and carries the status and code.
"""

from __future__ import annotations

from abc import abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar
from urllib.parse import urlsplit

import requests
from requests.auth import AuthBase

from hub.errors import APIError, AuthenticationError, FatalAPIError, RetryableAPIError
from hub.io.connector import Connector
from hub.io.redact import redact

LONGEST = 500  # characters of a system's message kept in an error
LONGEST_REFUSAL = 200


@dataclass(frozen=True)
class RequestAuth:
    """What one request carries to prove who it is: headers, query parameters, HTTP Basic user/password,
    or a signer that signs each request as it is sent (OAuth 1.0a)."""

    headers: Mapping[str, str] = field(default_factory=dict)
    params: Mapping[str, str] = field(default_factory=dict)
    basic: tuple[str, str] | None = None
    signer: AuthBase | None = None


def json_body(response: requests.Response) -> Any:
    """The parsed JSON body, or None when the answer is empty or not JSON."""
    try:
        return response.json()
    except ValueError:
        return None


class RESTConnector(Connector):
    """A connector speaking JSON over HTTP; subclasses declare their API root, auth and error bodies."""

    auth_statuses: ClassVar[frozenset[int]] = frozenset({401})
    credential_name: ClassVar[str] = "the credentials"  # what a refusal says was refused

    # What a subclass declares -----------------------------------------------------------------
    @abstractmethod
    def api_root(self) -> str:
        """The URL request paths are relative to (`https://acme.example.com/api/v2`)."""

    def credentials(self) -> RequestAuth:
        """The credentials of one request (none by default)."""
        return RequestAuth()

    def default_headers(self) -> dict[str, str]:
        """Headers every request carries."""
        return {"Accept": "application/json"}

    def is_idempotent(self, method: str, path_or_url: str) -> bool:
        """Whether a request may be replayed after a lost connection: all but POST (creates) by default."""
        return method.upper() != "POST"

    def error_detail(self, response: requests.Response) -> tuple[str | None, str]:
        """The system's own code and message in an error answer; by default no code and the plain text
        (an HTML page says only its status's reason)."""
        html = "html" in str(response.headers.get("Content-Type", ""))
        text = "" if html else response.text.strip()
        return None, text or response.reason or "no message"

    def hint(self, method: str, path_or_url: str, response: requests.Response) -> str | None:
        """What the user can do about an error answer, added to its message (nothing by default)."""
        return None

    # What the base does -----------------------------------------------------------------------
    def absolute_url(self, path_or_url: str) -> str:
        """A full URL (kept as it is, such as a `Link` page) or a path under `api_root`."""
        if "://" in path_or_url:
            return path_or_url
        return f"{self.api_root().rstrip('/')}/{path_or_url.lstrip('/')}"

    def shown(self, method: str, path_or_url: str) -> str:
        """A request as errors name it: `GET /api/v2/contacts`, without query string or secrets."""
        return f"{method.upper()} {redact(urlsplit(self.absolute_url(path_or_url)).path) or '/'}"

    def request(
        self,
        method: str,
        path_or_url: str,
        *,
        params: Mapping[str, Any] | None = None,
        body: Any = None,
        headers: Mapping[str, str] | None = None,
        idempotent: bool | None = None,
    ) -> requests.Response:
        """One call through the shared session (retried, counted); an auth status raises
        AuthenticationError, every other answer returns."""
        url = self.absolute_url(path_or_url)
        auth = self.credentials()
        sent = {**self.default_headers(), **auth.headers, **(headers or {})}
        if body is not None:
            sent.setdefault("Content-Type", "application/json")
        query = {**(params or {}), **{k: v for k, v in auth.params.items() if f"{k}=" not in url}}
        response = self.session.request(
            method,
            url,
            params=query or None,
            json=body,
            headers=sent,
            auth=auth.signer or auth.basic,
            idempotent=self.is_idempotent(method, path_or_url) if idempotent is None else idempotent,
        )
        if response.status_code in self.auth_statuses:
            raise self.refusal(method, path_or_url, response)
        return response

    def call(
        self,
        method: str,
        path_or_url: str,
        *,
        params: Mapping[str, Any] | None = None,
        body: Any = None,
        headers: Mapping[str, str] | None = None,
        idempotent: bool | None = None,
        missing_ok: bool = False,
        expect: type | None = None,
    ) -> Any:
        """One call's parsed JSON body (None when empty, or for a 404 when `missing_ok`); error answers
        raise `failure`, and a body that is not of the `expect`ed JSON type (an array where the API
        answers an object: something in between answered) a RetryableAPIError naming what came."""
        response = self.request(
            method, path_or_url, params=params, body=body, headers=headers, idempotent=idempotent
        )
        if missing_ok and response.status_code == 404:
            return None
        if response.status_code >= 400:
            raise self.failure(method, path_or_url, response)
        answer = response.json() if response.content else None
        if expect is not None and answer is not None and not isinstance(answer, expect):
            came = {list: "an array", str: "a string", int: "a number", float: "a number", bool: "a boolean"}
            raise RetryableAPIError(
                self.system,
                f"{self.shown(method, path_or_url)}: answered HTTP {response.status_code} with "
                f"{came.get(type(answer), type(answer).__name__)} where {self.display_name} sends "
                f"{'an object' if expect is dict else 'an array'}",
                status=response.status_code,
            )
        return answer

    def failure(self, method: str, path_or_url: str, response: requests.Response) -> APIError:
        """The hub's error for an error answer: retryable by the one rule (`transient`), else fatal."""
        code, detail = self.error_detail(response)
        message = f"{self.shown(method, path_or_url)}: {redact(detail)[:LONGEST]}"
        hint = self.hint(method, path_or_url, response)
        kind = RetryableAPIError if self.transient(response) else FatalAPIError
        return kind(
            self.system, message + (f"; {hint}" if hint else ""), status=response.status_code, code=code
        )

    def refusal(self, method: str, path_or_url: str, response: requests.Response) -> AuthenticationError:
        """The error for refused credentials: the connection and the system's message, never the secret."""
        code, detail = self.error_detail(response)
        return AuthenticationError(
            self.system,
            f"connection {self.connection.conn_id!r}: {self.display_name} refused {self.credential_name} "
            f"({self.shown(method, path_or_url)}: {redact(detail)[:LONGEST_REFUSAL]})",
            status=response.status_code,
            code=code,
        )


__all__ = ["RESTConnector", "RequestAuth", "json_body"]
