"""The small HTTP framework every emulator stands on: routing, fault injection, TLS and call stats.

An emulator is an `EmulatorApp` subclass that registers routes; `EmulatorServer` serves it from a
background thread on a local port. Fault injection (rate-limit answers, 503s, dropped connections,
latency) happens before a request reaches its handler, so an injected fault never half-applies a
write: exactly what the real services promise for their throttling responses.
"""

from __future__ import annotations

import base64
import json
import random
import re
import ssl
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from email.message import Message
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, ClassVar
from urllib.parse import parse_qs, urlsplit

from hub.io import exactjson

FAULT_KINDS = ("rate_limit", "unavailable", "disconnect")


@dataclass
class Request:
    """One HTTP request as a handler sees it."""

    method: str
    path: str
    query: dict[str, list[str]]
    headers: Message
    body: bytes
    params: dict[str, str] = field(default_factory=dict)

    def arg(self, name: str, default: str | None = None) -> str | None:
        """The first value of a query-string parameter."""
        values = self.query.get(name)
        return values[0] if values else default

    def json(self) -> Any:
        """The body parsed as JSON (raises ValueError on bad JSON)."""
        return json.loads(self.body or b"null")

    def form(self) -> dict[str, str]:
        """The body parsed as an urlencoded form."""
        return {k: v[0] for k, v in parse_qs(self.body.decode(), keep_blank_values=True).items()}


@dataclass
class Response:
    """What a handler returns."""

    status: int = 200
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)

    @classmethod
    def json(cls, payload: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
        body = exactjson.dumps(payload, separators=(",", ":"), default=str).encode()
        return cls(status, body, {"Content-Type": "application/json;charset=UTF-8", **(headers or {})})

    @classmethod
    def text(cls, text: str, status: int = 200, content_type: str = "text/plain", **headers: str) -> Response:
        return cls(status, text.encode(), {"Content-Type": f"{content_type}; charset=utf-8", **headers})

    @classmethod
    def empty(cls, status: int = 204) -> Response:
        return cls(status, b"", {})


Handler = Callable[[Request], Response]


def basic_credentials(authorization: str | None) -> tuple[str, str] | None:
    """The user and password of an `Authorization: Basic …` header; None for another scheme or bad base64."""
    scheme, _, encoded = (authorization or "").partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        user, _, password = base64.b64decode(encoded.strip(), validate=True).decode().partition(":")
    except ValueError:  # bad base64, non-ASCII text or bytes that are not UTF-8
        return None
    return user, password


class Disconnect(Exception):
    """Raised by the fault injector: close the connection without answering."""


@dataclass
class FaultInjector:
    """Decides, request by request and reproducibly, whether to answer with a fault instead."""

    rate: float = 0.0
    kinds: tuple[str, ...] = ("rate_limit",)
    latency_ms: float = 0.0
    seed: int = 0
    _rng: random.Random = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self.configure(self.rate, self.kinds, self.latency_ms, self.seed)

    def configure(
        self, rate: float, kinds: tuple[str, ...] | list[str], latency_ms: float = 0.0, seed: int = 0
    ) -> None:
        unknown = set(kinds) - set(FAULT_KINDS)
        if unknown:
            raise ValueError(f"unknown fault kinds {sorted(unknown)}; choose from {FAULT_KINDS}")
        if not 0.0 <= rate <= 1.0:
            raise ValueError("fault rate must be between 0 and 1")
        self.rate, self.kinds, self.latency_ms, self.seed = rate, tuple(kinds), latency_ms, seed
        self._rng = random.Random(seed)

    def pick(self) -> str | None:
        """The fault to inject for the next request, or None."""
        if self.rate and self.kinds and self._rng.random() < self.rate:
            return self._rng.choice(self.kinds)
        return None


class MinuteWindow:
    """Requests counted per clock minute, for the rate-limit headers an emulator sends (count under
    the app's lock)."""

    def __init__(self) -> None:
        self.minute, self.used = 0, 0

    def count(self, now: datetime) -> int:
        """Count one request made at `now`: how many its minute has seen, this one included."""
        minute = int(now.timestamp()) // 60
        self.used = (self.used if self.minute == minute else 0) + 1
        self.minute = minute
        return self.used


class EmulatorApp:
    """Base of every emulator: routes, fault injection, and per-route call statistics."""

    system: ClassVar[str] = "emulator"
    needs_tls: ClassVar[bool] = False

    def __init__(
        self,
        *,
        fault_rate: float = 0.0,
        fault_kinds: tuple[str, ...] = ("rate_limit",),
        latency_ms: float = 0.0,
        seed: int = 0,
    ) -> None:
        self.faults = FaultInjector(fault_rate, fault_kinds, latency_ms, seed)
        self.stats: Counter[str] = Counter()
        self.lock = threading.RLock()
        self._routes: list[tuple[str, re.Pattern[str], str, Handler]] = []
        self.route("GET", r"/__emulator__/stats", self._admin_stats)
        self.route("POST", r"/__emulator__/faults", self._admin_faults)
        self.route("POST", r"/__emulator__/stats/reset", self._admin_reset_stats)

    def connection(self, base_url: str, ca_bundle: str | None = None) -> dict[str, Any]:
        """Airflow's JSON form of a connection to this emulator, with its sandbox credentials and the
        rate it really holds the hub to (`rate_limit`: none unless it enforces one), so the hub's API
        budget does not slow a sandbox down to a vendor's lowest plan."""
        extra: dict[str, Any] = {"ca_bundle": ca_bundle} if ca_bundle else {}
        extra["rate_limit"] = self.enforced_rate() or "none"
        return {"conn_type": self.system, "host": base_url, "extra": extra}

    def enforced_rate(self) -> str | None:
        """The request rate this emulator enforces, as a connection's `rate_limit` says it ("190/10");
        None: it answers as fast as asked (its injected faults aside)."""
        return None

    def seed_sandbox(self, scale: dict[str, int], seed: int) -> None:
        """Fill the emulator with deterministic demo data (`scale`: records per kind); none by default."""

    def route(self, method: str, pattern: str, handler: Handler) -> None:
        """Register `handler` for `method` and a path regex with named groups."""
        self._routes.append((method, re.compile(pattern + r"/?$"), pattern, handler))

    def handle(self, request: Request) -> Response:
        """Answer one request: admin routes, then latency and faults, then the handler."""
        if request.path.startswith("/__emulator__/"):
            return self._dispatch(request, count=False)
        if self.faults.latency_ms:
            time.sleep(self.faults.latency_ms / 1000.0)
        with self.lock:
            fault = self.faults.pick()
        if fault is not None:
            self.stats["faults"] += 1
            self.stats[f"faults:{fault}"] += 1
            if fault == "disconnect":
                raise Disconnect()
            return self.rate_limit_response() if fault == "rate_limit" else self.unavailable_response()
        return self._dispatch(request, count=True)

    def _dispatch(self, request: Request, *, count: bool) -> Response:
        allowed = False
        for method, regex, pattern, handler in self._routes:
            match = regex.match(request.path)
            if match is None:
                continue
            if method != request.method:
                allowed = True
                continue
            request.params = {k: v for k, v in match.groupdict().items() if v is not None}
            if count:
                self.stats["requests"] += 1
                self.stats[f"{method} {pattern}"] += 1
            with self.lock:
                return handler(request)
        return self.method_not_allowed(request) if allowed else self.not_found(request)

    # What the real service answers in each situation; subclasses give the system's own bodies.
    def rate_limit_response(self) -> Response:
        return Response.text("Too Many Requests", 429, **{"Retry-After": "1"})

    def unavailable_response(self) -> Response:
        return Response.text("Service Unavailable", 503, **{"Retry-After": "1"})

    def not_found(self, request: Request) -> Response:
        return Response.text(f"Not Found: {request.path}", 404)

    def method_not_allowed(self, request: Request) -> Response:
        return Response.text(f"Method {request.method} not allowed on {request.path}", 405)

    def _admin_stats(self, request: Request) -> Response:
        return Response.json(dict(self.stats))

    def _admin_reset_stats(self, request: Request) -> Response:
        self.stats.clear()
        return Response.json({"ok": True})

    def _admin_faults(self, request: Request) -> Response:
        body = request.json() or {}
        try:
            self.faults.configure(
                float(body.get("rate", 0.0)),
                tuple(body.get("kinds", ("rate_limit",))),
                float(body.get("latency_ms", 0.0)),
                int(body.get("seed", 0)),
            )
        except ValueError as exc:
            return Response.json({"error": str(exc)}, 400)
        return Response.json({"rate": self.faults.rate, "kinds": list(self.faults.kinds)})


class _RequestHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # Headers and body go out in two writes; with Nagle on, each keep-alive answer waits ~40 ms for an ACK.
    disable_nagle_algorithm = True
    app: EmulatorApp  # set on the per-server subclass

    def _serve(self) -> None:
        split = urlsplit(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        request = Request(
            self.command, split.path, parse_qs(split.query, keep_blank_values=True), self.headers, body
        )
        try:
            response = self.app.handle(request)
        except Disconnect:
            self.close_connection = True
            return
        self.send_response(response.status)
        for name, value in response.headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(response.body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(response.body)

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = _serve

    def log_message(self, format: str, *args: Any) -> None:
        """Stay quiet: emulators serve tests and demos, whose output must stay readable."""


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 64


@dataclass(frozen=True)
class TLSFiles:
    """A server certificate and key, and the certificate authority that signed them."""

    ca_cert: str
    cert: str
    key: str


class EmulatorServer:
    """Serves one emulator app on 127.0.0.1 from a background thread (with TLS when given)."""

    def __init__(
        self, app: EmulatorApp, *, host: str = "127.0.0.1", port: int = 0, tls: TLSFiles | None = None
    ) -> None:
        handler = type("Handler", (_RequestHandler,), {"app": app})
        self.app = app
        self.tls = tls
        self._httpd = _Server((host, port), handler)
        if tls is not None:
            context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            context.load_cert_chain(tls.cert, tls.key)
            self._httpd.socket = context.wrap_socket(self._httpd.socket, server_side=True)
        self._thread: threading.Thread | None = None

    @property
    def host(self) -> str:
        return str(self._httpd.server_address[0])

    @property
    def port(self) -> int:
        return int(self._httpd.server_address[1])

    @property
    def url(self) -> str:
        scheme = "https" if self.tls else "http"
        return f"{scheme}://{self.host}:{self.port}"

    def start(self) -> EmulatorServer:
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, args=(0.05,), name=f"{self.app.system}-emulator", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def __enter__(self) -> EmulatorServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
