"""Who is asking, what they may do, and the CSRF token every action carries.

In Airflow's API server the console is one of its FastAPI apps: the user is the one Airflow's login
made (its JWT, in the `_token` cookie the UI sets, or an `Authorization: Bearer` header), and Airflow's
auth manager decides: reading DAGs lets one look, editing DAGs lets one act (retry, override, ignore,
heal). Under `hub console` the person who started it is the user, an editor unless `--read-only`.

CSRF: a page sets a random cookie (HttpOnly, SameSite=Strict) and puts into each form an HMAC of it
and the user's name under the console's secret; an action whose form token does not match its
cookie, or that comes from another origin, is refused before anything is read from its form.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
from dataclasses import dataclass
from typing import Any, Protocol
from urllib.parse import urlsplit

from starlette.requests import Request

CSRF_COOKIE = "omnihub_csrf"
CSRF_FIELD = "csrf"


@dataclass(frozen=True)
class Principal:
    name: str
    can_edit: bool
    can_view: bool = True


class Authority(Protocol):
    async def principal(self, request: Request) -> Principal | None:
        """The user asking, or None when nobody is logged in."""

    def login_url(self, request: Request) -> str | None:
        """Where to log in (None: nowhere, the console answers 401)."""


@dataclass(frozen=True)
class LocalAuthority:
    """`hub console`: whoever started it, an editor unless read-only."""

    name: str
    can_edit: bool = True

    async def principal(self, request: Request) -> Principal | None:
        return Principal(self.name, self.can_edit)

    def login_url(self, request: Request) -> str | None:
        return None


class AirflowAuthority:
    """Airflow's own login and authorisation (its configured auth manager)."""

    async def principal(self, request: Request) -> Principal | None:
        from airflow.api_fastapi.app import get_auth_manager
        from airflow.api_fastapi.auth.managers.base_auth_manager import COOKIE_NAME_JWT_TOKEN

        header = request.headers.get("authorization", "")
        token = (
            header[7:] if header.lower().startswith("bearer ") else request.cookies.get(COOKIE_NAME_JWT_TOKEN)
        )
        if not token:
            return None
        manager = get_auth_manager()
        try:
            user: Any = await manager.get_user_from_token(token)
        except Exception:  # expired or forged: log in again
            return None
        name = str(user.get_name())
        if not manager.is_authorized_dag(method="GET", user=user):
            return Principal(name, can_edit=False, can_view=False)
        return Principal(name, can_edit=bool(manager.is_authorized_dag(method="PUT", user=user)))

    def login_url(self, request: Request) -> str | None:
        from airflow.api_fastapi.app import get_auth_manager

        return str(get_auth_manager().get_url_login(next_url=str(request.url)))


class Csrf:
    """Form tokens bound to a browser's cookie and the user (see the module's description)."""

    def __init__(self, secret: bytes | None = None) -> None:
        configured = os.environ.get("HUB_CONSOLE_SECRET", "")
        self.secret = secret or (configured.encode() if configured else secrets.token_bytes(32))

    @staticmethod
    def cookie(request: Request) -> tuple[str, bool]:
        """The browser's CSRF cookie, and whether it is new (then the response must set it)."""
        found = request.cookies.get(CSRF_COOKIE, "")
        if len(found) == 43:
            return found, False
        return secrets.token_urlsafe(32), True

    def token(self, cookie: str, user: str) -> str:
        return hmac.new(self.secret, f"{cookie}|{user}".encode(), hashlib.sha256).hexdigest()

    def check(self, request: Request, user: str, sent: str) -> str | None:
        """Why an action is refused (None: it may go on)."""
        origin = request.headers.get("origin") or request.headers.get("referer")
        if origin:
            host = request.headers.get("host", "")
            if urlsplit(origin).netloc != host:
                return "the action came from another site"
        cookie = request.cookies.get(CSRF_COOKIE, "")
        if not cookie or not sent or not hmac.compare_digest(self.token(cookie, user), sent):
            return "the form's security token is missing or stale: reload the page and try again"
        return None
