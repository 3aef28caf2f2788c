"""The one HTTP session every connector uses: retries, backoff, Retry-After, call counts, redaction.

    session = HubSession("odoo", calls=calls, verify=ca_bundle)
    response = session.post(url, json=payload, idempotent=False)

- 429 and 5xx answers (and whatever a connector's `retry_on` adds, such as Salesforce's
  403 REQUEST_LIMIT_EXCEEDED) are retried with exponential backoff and full jitter, waiting at
  least what `Retry-After` asks for; those answers mean the request was not processed.
- Connection errors are retried when the request cannot have reached the server, or when it is
  idempotent. So is an answer that broke off (a truncated body) or a success whose JSON body does
  not parse: the request was sent, its answer is not usable. A non-idempotent request whose outcome
  is unknown raises `OutcomeUnknown` so the caller can check what happened instead of blindly
  repeating a create.
- A 401 calls `on_unauthorized` once (a connector refreshes its token there) and replays.
- Every answer is counted per system; URLs in logs and errors are redacted.
- With a `throttle` (`hub.io.budget`), each request first takes a token from its system's shared
  API budget, waiting when there is none, and each answer's limit headers and Retry-After go back
  to the budget, so every process calling the system waits when one is told to.
"""

from __future__ import annotations

import email.utils
import json
import logging
import random
import threading
import time
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import requests
from requests.exceptions import ChunkedEncodingError, ConnectTimeout, ContentDecodingError, Timeout
from requests.exceptions import ConnectionError as RequestsConnectionError
from urllib3.exceptions import MaxRetryError, NameResolutionError, NewConnectionError

from hub.errors import OutcomeUnknown, QuotaExhausted, RetryableAPIError
from hub.io.budget import Throttle
from hub.io.redact import redact

log = logging.getLogger("hub.http")
IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE"})


class ApiCalls:
    """Thread-safe counts of API calls (answers received) and retries, per system."""

    def __init__(self) -> None:
        self._calls: Counter[str] = Counter()
        self._retries: Counter[str] = Counter()
        self._lock = threading.Lock()

    def count(self, system: str, *, retry: bool = False) -> None:
        with self._lock:
            (self._retries if retry else self._calls)[system] += 1

    def snapshot(self) -> dict[str, int]:
        """Calls per system so far."""
        with self._lock:
            return dict(self._calls)

    def retries(self) -> dict[str, int]:
        with self._lock:
            return dict(self._retries)

    def total(self, system: str) -> int:
        with self._lock:
            return self._calls[system]


@dataclass(frozen=True)
class RetryPolicy:
    """How hard to try: attempts, backoff bounds, and which statuses mean "not processed, retry"."""

    max_attempts: int = 8
    base_delay: float = 0.5
    max_delay: float = 30.0
    max_retry_after: float = 300.0
    statuses: frozenset[int] = frozenset({429, 500, 502, 503, 504})

    def backoff(self, attempt: int, rng: random.Random) -> float:
        """Full-jitter exponential backoff for the given (1-based) attempt."""
        return rng.uniform(0, min(self.max_delay, self.base_delay * 2 ** (attempt - 1)))


def retry_after_seconds(value: str | None, now: float | None = None) -> float | None:
    """Seconds to wait from a Retry-After header (delta-seconds or HTTP-date)."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        moment = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, moment.timestamp() - (time.time() if now is None else now))


def _never_sent(exc: Exception) -> bool:
    """Whether a connection error happened before the request could reach the server."""
    if isinstance(exc, ConnectTimeout):
        return True
    reason = exc.args[0] if exc.args else None
    if isinstance(reason, MaxRetryError):
        reason = reason.reason
    return isinstance(reason, (NewConnectionError, NameResolutionError))


class GarbledAnswer(Exception):
    """A success whose JSON body does not parse: it broke off, or something in between mangled it."""

    def __init__(self, status: int) -> None:
        super().__init__(f"HTTP {status} with a JSON body that does not parse")


def _garbled(response: requests.Response) -> bool:
    """Whether a 2xx answer that says it is JSON holds something that is not (a cut-off body)."""
    if not 200 <= response.status_code < 300 or "json" not in response.headers.get("Content-Type", ""):
        return False
    body = response.content
    if not body.strip():
        return False
    try:
        json.loads(body)
    except ValueError:
        return True
    return False


class HubSession(requests.Session):
    """A requests session with the hub's retry, counting, token-refresh and redaction rules."""

    def __init__(
        self,
        system: str,
        *,
        calls: ApiCalls | None = None,
        policy: RetryPolicy | None = None,
        verify: str | bool | None = None,
        timeout: float | tuple[float, float] = (10.0, 120.0),
        retry_on: Callable[[requests.Response], bool] | None = None,
        exhausted: Callable[[requests.Response], QuotaExhausted | None] | None = None,
        sleep: Callable[[float], None] = time.sleep,
        seed: int | None = None,
        throttle: Throttle | None = None,
    ) -> None:
        super().__init__()
        self.system = system
        self.calls = calls or ApiCalls()
        self.policy = policy or RetryPolicy()
        self.custom_verify = verify
        self.timeout = timeout
        self.retry_on = retry_on
        self.exhausted = exhausted
        self.on_unauthorized: Callable[[], Mapping[str, str]] | None = None
        self._sleep = sleep
        self._rng = random.Random(seed)
        self.throttle = throttle

    def request(self, method: str | bytes, url: str | bytes, *args: Any, **kwargs: Any) -> requests.Response:
        """Send with retries; `idempotent=False` marks a request that must not be blindly replayed."""
        verb = method.decode() if isinstance(method, bytes) else method.upper()
        target = url.decode() if isinstance(url, bytes) else url
        idempotent = bool(kwargs.pop("idempotent", verb in IDEMPOTENT_METHODS))
        kwargs.setdefault("timeout", self.timeout)
        if self.custom_verify is not None:
            kwargs.setdefault("verify", self.custom_verify)  # beats REQUESTS_CA_BUNDLE, unlike session.verify
        refreshed = False
        for attempt in range(1, self.policy.max_attempts + 1):
            response = self._attempt(verb, target, attempt, idempotent, args, kwargs)
            if response is None:
                continue
            if self.exhausted is not None and (spent := self.exhausted(response)) is not None:
                raise spent  # a daily budget: waiting minutes cannot help, and nothing more is sent
            if response.status_code == 401 and self.on_unauthorized is not None and not refreshed:
                refreshed = True
                kwargs["headers"] = {**(kwargs.get("headers") or {}), **self.on_unauthorized()}
                continue
            if not self._should_retry(response) or attempt == self.policy.max_attempts:
                return response
            self._wait(verb, target, attempt, response)
        raise RetryableAPIError(self.system, f"{verb} {redact(target)} kept failing")  # pragma: no cover

    def _attempt(
        self, verb: str, url: str, attempt: int, idempotent: bool, args: Any, kwargs: dict[str, Any]
    ) -> requests.Response | None:
        if self.throttle is not None and (delay := self.throttle.wait()) > 0:
            self._sleep(delay)
        try:
            response = super().request(verb, url, *args, **kwargs)
        except (RequestsConnectionError, Timeout, ChunkedEncodingError, ContentDecodingError) as exc:
            self._connection_failed(verb, url, attempt, idempotent, exc)
            return None
        self.calls.count(self.system)
        if self.throttle is not None:
            self.throttle.answered(response.status_code, response.headers)
        if not kwargs.get("stream") and _garbled(response):
            self._connection_failed(verb, url, attempt, idempotent, GarbledAnswer(response.status_code))
            return None
        return response

    def _connection_failed(self, verb: str, url: str, attempt: int, idempotent: bool, exc: Exception) -> None:
        shown = f"{verb} {redact(url)}"
        reason = redact(str(exc) if isinstance(exc, GarbledAnswer) else type(exc).__name__)
        if not idempotent and not _never_sent(exc):
            raise OutcomeUnknown(self.system, f"{shown}: connection lost after sending ({reason})") from None
        if attempt >= self.policy.max_attempts:
            raise RetryableAPIError(
                self.system, f"{shown}: cannot connect after {attempt} attempts ({reason})"
            ) from None
        delay = self.policy.backoff(attempt, self._rng)
        log.warning("%s: %s failed (%s); retry %d in %.1fs", self.system, shown, reason, attempt, delay)
        self.calls.count(self.system, retry=True)
        self._sleep(delay)

    def _should_retry(self, response: requests.Response) -> bool:
        if response.status_code in self.policy.statuses:
            return True
        return bool(self.retry_on and self.retry_on(response))

    def _wait(self, verb: str, url: str, attempt: int, response: requests.Response) -> None:
        asked = retry_after_seconds(response.headers.get("Retry-After"))
        delay = self.policy.backoff(attempt, self._rng)
        if asked is not None:
            delay = min(self.policy.max_retry_after, asked) + self._rng.uniform(0, 0.1 * max(asked, 0.1))
        log.info(
            "%s: %s answered %d; retry %d in %.2fs",
            self.system,
            f"{verb} {redact(url)}",
            response.status_code,
            attempt,
            delay,
        )
        self.calls.count(self.system, retry=True)
        self._sleep(delay)
