"""Secrets never reach logs, reports, exceptions or XCom: every known secret is masked on the way out.

Connections register their secret values here when they are resolved; `redact` masks them (and
their URL-encoded forms) in any text, and `RedactingFilter` does it for every log record.
"""

from __future__ import annotations

import logging
import re
import threading
from urllib.parse import quote, quote_plus

MASK = "***"
_SECRET_KEYS = re.compile(r"pass|secret|token|key|credential|auth|private", re.IGNORECASE)
_QUERY_SECRETS = re.compile(
    r"((?:access_token|refresh_token|client_secret|password|api_key|apikey|token|sig|signature)=)[^&\s\"']+",
    re.IGNORECASE,
)


class Redactor:
    """The set of secret values known to this process, and the masking of them."""

    def __init__(self) -> None:
        self._secrets: set[str] = set()
        self._lock = threading.Lock()
        self._pattern: re.Pattern[str] | None = None

    def add(self, *values: object) -> None:
        """Remember secret values (short ones are ignored: masking 'a' would mask everything)."""
        with self._lock:
            for value in values:
                if isinstance(value, str) and len(value) >= 4:
                    self._secrets |= {value, quote(value, safe=""), quote_plus(value)}
            ordered = sorted(self._secrets, key=len, reverse=True)
            self._pattern = re.compile("|".join(map(re.escape, ordered))) if ordered else None

    def redact(self, text: str) -> str:
        """`text` with every known secret, and secret-looking query parameters, masked."""
        pattern = self._pattern
        if pattern is not None:
            text = pattern.sub(MASK, text)
        return _QUERY_SECRETS.sub(lambda m: m.group(1) + MASK, text)


REDACTOR = Redactor()


def redact(text: object) -> str:
    """Mask every known secret in `text` (converted to str)."""
    return REDACTOR.redact(str(text))


def is_secret_key(name: str) -> bool:
    """Whether a field name (in a connection's extras or a record) suggests a secret value."""
    return bool(_SECRET_KEYS.search(name))


class RedactingFilter(logging.Filter):
    """A logging filter that renders each record's message and masks secrets in it."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        masked = redact(message)
        if record.exc_info and record.exc_info[1] is not None:
            record.exc_text = redact(logging.Formatter().formatException(record.exc_info))
            record.exc_info = None
        if masked != message or record.args:
            record.msg, record.args = masked, None
        return True


def install_log_redaction(logger: logging.Logger | None = None) -> None:
    """Add the redacting filter to a logger's handlers (the root logger by default)."""
    target = logger or logging.getLogger()
    for handler in target.handlers:
        if not any(isinstance(f, RedactingFilter) for f in handler.filters):
            handler.addFilter(RedactingFilter())
