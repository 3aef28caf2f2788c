"""A fault-injecting forwarding proxy for the emulators: loopback only, bounded, HTTP or HTTPS.

    with FaultProxy(server.url, rate=0.3, kinds=("late",), tls=tls_files) as proxy:
        connection = app.connection(proxy.url, ca_bundle)   # the hub talks to the proxy

It listens on 127.0.0.1 only, forwards to an upstream that must be on the loopback too, serves each
client connection from its own thread and never more than `max_connections` at once (the rest wait in
the listen backlog). Each request draws, reproducibly from `seed`, whether to misbehave and how:

- `rate_limit`: 429 with `Retry-After`, not forwarded;
- `unavailable`: 503, not forwarded;
- `reset_before`: the connection is reset before the request is forwarded;
- `reset_after`: forwarded (the server applied it), then the connection is reset: no answer;
- `slow`: forwarded, answered after `slow_s` (less than the client's read timeout);
- `late`: held `late_s` (more than the client's read timeout), then forwarded and applied, as a
  request queued behind a busy server is; the client has given up, the answer goes nowhere;
- `truncated`: the answer's headers promise its whole length, half its body comes, the connection ends;
- `invalid_json`: a JSON answer's body is replaced by one that does not parse (its length consistent).

`drain()` waits until no held or forwarded request is still on its way, the stand-in in tests for
"long enough for every lost request to have landed".
"""

from __future__ import annotations

import contextlib
import http.client
import ipaddress
import random
import socket
import ssl
import struct
import threading
import time
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from typing import BinaryIO
from urllib.parse import urlsplit

from connectors.emulators.server import TLSFiles

FAULT_KINDS = (
    "rate_limit",
    "unavailable",
    "reset_before",
    "reset_after",
    "slow",
    "late",
    "truncated",
    "invalid_json",
)
"""Every fault the proxy injects, in the order reports list them."""
NOT_FORWARDED = frozenset({"rate_limit", "unavailable", "reset_before"})
HOP_BY_HOP = frozenset(
    {"connection", "keep-alive", "proxy-connection", "transfer-encoding", "te", "trailer", "upgrade"}
)
MAX_HEADER_LINES = 200


@dataclass
class ParsedRequest:
    """One request as read from the client."""

    method: str
    target: str
    headers: list[tuple[str, str]]
    body: bytes

    @property
    def keep_alive(self) -> bool:
        value = next((v for k, v in self.headers if k.lower() == "connection"), "")
        return value.strip().lower() != "close"


@dataclass
class Answer:
    """The upstream's answer, read whole."""

    status: int
    reason: str
    headers: list[tuple[str, str]]
    body: bytes

    def is_json(self) -> bool:
        content_type = next((v for k, v in self.headers if k.lower() == "content-type"), "")
        return "json" in content_type.lower() and bool(self.body.strip())


class ClientGone(Exception):
    """The client closed its connection (or sent something this proxy does not forward)."""


def _loopback(host: str) -> str:
    """`host` when it resolves to a loopback address; ValueError otherwise."""
    address = socket.gethostbyname(host)
    if not ipaddress.ip_address(address).is_loopback:
        raise ValueError(f"the fault proxy forwards to the loopback only, not {host} ({address})")
    return host


def _reset(sock: socket.socket) -> None:
    """Close with a TCP reset (SO_LINGER 0) instead of an orderly FIN."""
    with contextlib.suppress(OSError):
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    sock.close()


def _read_request(stream: BinaryIO) -> ParsedRequest:
    line = stream.readline(65537)
    if not line.strip():
        raise ClientGone
    method, target, _version = line.decode("latin-1").split(" ", 2)
    headers: list[tuple[str, str]] = []
    for _ in range(MAX_HEADER_LINES):
        raw = stream.readline(65537)
        if raw in (b"\r\n", b"\n", b""):
            break
        name, _, value = raw.decode("latin-1").partition(":")
        headers.append((name.strip(), value.strip()))
    if any(k.lower() == "transfer-encoding" for k, _ in headers):
        raise ClientGone  # clients of the emulators send a length; a chunked request is not forwarded
    length = int(next((v for k, v in headers if k.lower() == "content-length"), "0") or 0)
    body = stream.read(length) if length else b""
    if len(body) < length:
        raise ClientGone
    return ParsedRequest(method, target, headers, body)


def _encode_answer(answer: Answer, body: bytes, length: int, *, close: bool) -> bytes:
    lines = [f"HTTP/1.1 {answer.status} {answer.reason}"]
    lines += [
        f"{k}: {v}"
        for k, v in answer.headers
        if k.lower() not in HOP_BY_HOP and k.lower() != "content-length"
    ]
    lines += [f"Content-Length: {length}", f"Connection: {'close' if close else 'keep-alive'}"]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body


class FaultProxy:
    """Forwards HTTP(S) requests from 127.0.0.1 to a loopback upstream, injecting faults at `rate`."""

    def __init__(
        self,
        upstream: str,
        *,
        rate: float = 0.0,
        kinds: Iterable[str] = FAULT_KINDS,
        seed: int = 0,
        max_connections: int = 64,
        tls: TLSFiles | None = None,
        slow_s: float = 0.2,
        late_s: float = 2.5,
        retry_after: int = 1,
    ) -> None:
        split = urlsplit(upstream)
        self.upstream_tls = split.scheme == "https"
        self.upstream_host = _loopback(split.hostname or "127.0.0.1")
        self.upstream_port = split.port or (443 if self.upstream_tls else 80)
        self.slow_s, self.late_s, self.retry_after = slow_s, late_s, retry_after
        self.injected: Counter[str] = Counter()
        self.requests = 0
        self._rng = random.Random(seed)
        self._lock = threading.Lock()
        self._idle = threading.Condition(self._lock)
        self._in_flight = 0
        self._slots = threading.BoundedSemaphore(max_connections)
        self._clients: set[socket.socket] = set()
        self._stopping = threading.Event()
        self._server_tls: ssl.SSLContext | None = None
        self._upstream_context: ssl.SSLContext | None = None
        if tls is not None:
            self._server_tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            self._server_tls.load_cert_chain(tls.cert, tls.key)
            self._upstream_context = ssl.create_default_context(cafile=tls.ca_cert)
        self.configure(rate, kinds)
        self._listener = socket.create_server(("127.0.0.1", 0), backlog=128)
        self._listener.settimeout(0.1)
        self._thread = threading.Thread(target=self._accept_loop, name="fault-proxy", daemon=True)

    @property
    def url(self) -> str:
        port = self._listener.getsockname()[1]
        return f"{'https' if self._server_tls else 'http'}://127.0.0.1:{port}"

    def configure(self, rate: float, kinds: Iterable[str] = FAULT_KINDS) -> None:
        """Inject `kinds` (drawn evenly) on a `rate` share of requests from now on."""
        chosen = tuple(kinds)
        unknown = set(chosen) - set(FAULT_KINDS)
        if unknown or not chosen:
            raise ValueError(f"unknown fault kinds {sorted(unknown)}; choose from {FAULT_KINDS}")
        if not 0.0 <= rate <= 1.0:
            raise ValueError("fault rate must be between 0 and 1")
        with self._lock:
            self.rate, self.kinds = rate, chosen

    def start(self) -> FaultProxy:
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop accepting, cut every open client connection and wait for the threads to end."""
        self._stopping.set()
        self._thread.join(timeout=5)
        self._listener.close()
        with self._lock:
            clients = list(self._clients)
        for client in clients:
            _reset(client)

    def drain(self, timeout: float = 30.0) -> None:
        """Wait until every request held or on its way upstream has been forwarded and answered."""
        deadline = time.monotonic() + timeout
        with self._idle:
            while self._in_flight:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise TimeoutError(f"{self._in_flight} requests still in flight after {timeout}s")
                self._idle.wait(left)

    def __enter__(self) -> FaultProxy:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # ---- inside ----

    def _pick(self) -> str | None:
        with self._lock:
            self.requests += 1
            if self.rate <= 0 or self._rng.random() >= self.rate:
                return None
            fault = self._rng.choice(self.kinds)
            self.injected[fault] += 1
            return fault

    def _accept_loop(self) -> None:
        while not self._stopping.is_set():
            if not self._slots.acquire(timeout=0.1):
                continue
            try:
                client, _ = self._listener.accept()
            except (TimeoutError, OSError):
                self._slots.release()
                continue
            threading.Thread(target=self._serve, args=(client,), name="fault-proxy-conn", daemon=True).start()

    def _serve(self, raw: socket.socket) -> None:
        upstream: http.client.HTTPConnection | None = None
        client = raw
        try:
            raw.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            if self._server_tls is not None:
                client = self._server_tls.wrap_socket(raw, server_side=True)
            with self._lock:
                self._clients.add(client)
            stream = client.makefile("rb")
            while not self._stopping.is_set():
                request = _read_request(stream)
                upstream = upstream or self._connect()
                if not self._exchange(client, upstream, request):
                    break
        except (ClientGone, OSError, ValueError, http.client.HTTPException):
            pass
        finally:
            with self._lock:
                self._clients.discard(client)
            if upstream is not None:
                upstream.close()
            client.close()
            self._slots.release()

    def _connect(self) -> http.client.HTTPConnection:
        if self.upstream_tls:
            return http.client.HTTPSConnection(
                self.upstream_host, self.upstream_port, timeout=60, context=self._upstream_context
            )
        return http.client.HTTPConnection(self.upstream_host, self.upstream_port, timeout=60)

    def _forward(self, upstream: http.client.HTTPConnection, request: ParsedRequest) -> Answer:
        with self._lock:
            self._in_flight += 1
        try:
            upstream.putrequest(request.method, request.target, skip_host=True, skip_accept_encoding=True)
            for name, value in request.headers:
                if name.lower() not in HOP_BY_HOP:
                    upstream.putheader(name, value)
            upstream.endheaders(request.body or None)
            response = upstream.getresponse()
            body = response.read()
            return Answer(response.status, response.reason, list(response.getheaders()), body)
        finally:
            with self._idle:
                self._in_flight -= 1
                self._idle.notify_all()

    def _exchange(
        self, client: socket.socket, upstream: http.client.HTTPConnection, request: ParsedRequest
    ) -> bool:
        """Answer one request, faulty or not; whether the connection may carry another."""
        fault = self._pick()
        if fault == "reset_before":
            _reset(client)
            return False
        if fault in ("rate_limit", "unavailable"):
            status, reason = (
                (429, "Too Many Requests") if fault == "rate_limit" else (503, "Service Unavailable")
            )
            headers = [("Content-Type", "application/json")]
            headers += [("Retry-After", str(self.retry_after))] if fault == "rate_limit" else []
            refusal = Answer(status, reason, headers, b'{"error": "injected by the fault proxy"}')
            client.sendall(_encode_answer(refusal, refusal.body, len(refusal.body), close=False))
            return request.keep_alive
        if fault == "late":
            with self._lock:
                self._in_flight += 1  # held: counts as on its way from now
            try:
                time.sleep(self.late_s)
                self._forward(upstream, request)
            finally:
                with self._idle:
                    self._in_flight -= 1
                    self._idle.notify_all()
            _reset(client)
            return False
        answer = self._forward(upstream, request)
        return self._answer(client, request, answer, fault)

    def _answer(
        self, client: socket.socket, request: ParsedRequest, answer: Answer, fault: str | None
    ) -> bool:
        body = b"" if request.method == "HEAD" else answer.body
        if fault == "reset_after":
            _reset(client)
            return False
        if fault == "slow":
            time.sleep(self.slow_s)
        if fault == "truncated" and len(body) > 1:
            client.sendall(_encode_answer(answer, body[: len(body) // 2], len(body), close=True))
            client.close()
            return False
        if fault == "invalid_json" and answer.is_json():
            body = b"{" + body[: len(body) // 2]
        client.sendall(_encode_answer(answer, body, len(body), close=not request.keep_alive))
        return request.keep_alive
