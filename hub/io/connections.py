"""Connections resolved the way Airflow resolves them, so one definition serves the CLI and the DAGs.

Outside Airflow a connection comes from the environment variable `AIRFLOW_CONN_<ID>` (the id
upper-cased), in either of Airflow's two forms:

    AIRFLOW_CONN_ODOO_DEFAULT='odoo://admin:secret@erp.example.com:8069/production'
    AIRFLOW_CONN_ODOO_DEFAULT='{"conn_type": "odoo", "host": "erp.example.com", "extra": {...}}'

Inside Airflow, `hub.airflow` installs a resolver backed by Airflow's own Connections and secrets
backends. Either way every secret of a resolved connection is registered for redaction.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

from hub.errors import ConfigError, ConnectionNotFound
from hub.io.redact import REDACTOR, is_secret_key

ENV_PREFIX = "AIRFLOW_CONN_"
URI_FORM = "type://login:password@host:port/schema"
JSON_FORM = '{"conn_type": "type", "host": "...", "login": "...", "password": "...", "extra": {...}}'
TEXT_FIELDS = ("conn_type", "host", "login", "password", "schema")


@dataclass(frozen=True)
class Connection:
    """One connection: Airflow's fields, with `extra` already decoded from JSON."""

    conn_id: str
    conn_type: str | None = None
    host: str | None = None
    login: str | None = None
    password: str | None = field(default=None, repr=False)
    schema: str | None = None
    port: int | None = None
    extra: dict[str, Any] = field(default_factory=dict, repr=False)

    def secrets(self) -> list[str]:
        """The values that must never be shown: the password and secret-looking extras."""
        values = [self.password] if self.password else []
        values += [str(v) for k, v in self.extra.items() if is_secret_key(k) and v not in (None, "")]
        return values

    def option(self, name: str, default: Any = None) -> Any:
        """An extra field, accepting Airflow's old `extra__<type>__<name>` spelling too."""
        if name in self.extra:
            return self.extra[name]
        return self.extra.get(f"extra__{self.conn_type}__{name}", default)

    def base_url(self, default_scheme: str = "https") -> str:
        """`scheme://host[:port]` from host and port (host may carry the scheme)."""
        host = (self.host or "").rstrip("/")
        if not host:
            raise ConfigError(f"connection {self.conn_id!r} has no host")
        if "://" not in host:
            host = f"{default_scheme}://{host}"
        return f"{host}:{self.port}" if self.port and host.count(":") < 2 else host


def _normalize_conn_type(conn_type: str) -> str:
    if conn_type == "postgresql":
        return "postgres"
    return conn_type.replace("-", "_")


def _hostname(parts: Any) -> str:
    hostname = unquote(parts.hostname or "")
    if "/" in hostname:
        hostname = parts.netloc
        if "@" in hostname:
            hostname = hostname.rsplit("@", 1)[1]
        if ":" in hostname:
            hostname = hostname.split(":", 1)[0]
        hostname = unquote(hostname)
    return str(hostname)


def _decode_extra(conn_id: str, extra: Any) -> dict[str, Any]:
    if extra in (None, ""):
        return {}
    if isinstance(extra, dict):
        return extra
    try:
        decoded = json.loads(extra)
    except json.JSONDecodeError as exc:
        raise ConfigError(f"connection {conn_id!r}: extra is not valid JSON ({exc.msg})") from None
    if not isinstance(decoded, dict):
        raise ConfigError(f"connection {conn_id!r}: extra must be a JSON object")
    return decoded


def parse_uri(conn_id: str, uri: str) -> Connection:
    """Airflow's URI form, parsed exactly as the Airflow 3 Task SDK's `Connection.from_uri` does."""
    if uri.count("://") > 2:
        raise ConfigError(f"connection {conn_id!r}: invalid connection URI (too many '://')")
    with_protocol = uri.count("://") == 2
    scheme = urlsplit(uri).scheme
    rest = uri.replace(f"{scheme}://", "" if with_protocol else "//")
    if with_protocol:
        head = rest.split("://", 1)[0]
        if "@" in head or ":" in head:
            raise ConfigError(f"connection {conn_id!r}: invalid connection URI")
    parts = urlsplit(rest)
    host = _hostname(parts)
    if host and with_protocol:
        host = f"{parts.scheme}://{host}"
    extra: Any = None
    if parts.query:
        query = dict(parse_qsl(parts.query, keep_blank_values=True))
        extra = query["__extra__"] if "__extra__" in query else json.dumps(query)
    try:
        port = parts.port
    except ValueError:
        raise ConfigError(
            f"connection {conn_id!r}: the port is not a number from 1 to 65535 (as in {URI_FORM})"
        ) from None
    return Connection(
        conn_id=conn_id,
        conn_type=_normalize_conn_type(scheme),
        host=host or None,
        login=unquote(parts.username) if parts.username else None,
        password=unquote(parts.password) if parts.password else None,
        schema=unquote(parts.path[1:]),
        port=port,
        extra=_decode_extra(conn_id, extra),
    )


def parse_json(conn_id: str, text: str) -> Connection:
    """Airflow's JSON form."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ConfigError(
            f"connection {conn_id!r}: not valid JSON ({exc.msg} at column {exc.colno})"
        ) from None
    if not isinstance(data, dict):
        raise ConfigError(f"connection {conn_id!r}: the JSON form must be an object, as in {JSON_FORM}")
    for name in TEXT_FIELDS:
        if data.get(name) is not None and not isinstance(data[name], str):
            given = "" if name == "password" else f", not {data[name]!r}"  # a password is never shown
            raise ConfigError(f"connection {conn_id!r}: {name} must be text (a JSON string){given}")
    port = _json_port(conn_id, data.get("port"))
    conn_type = data.get("conn_type")
    return Connection(
        conn_id=conn_id,
        conn_type=_normalize_conn_type(conn_type) if conn_type else None,
        host=data.get("host"),
        login=data.get("login"),
        password=data.get("password"),
        schema=data.get("schema"),
        port=port,
        extra=_decode_extra(conn_id, data.get("extra")),
    )


def _json_port(conn_id: str, port: Any) -> int | None:
    try:
        number = int(port) if port not in (None, "") else None
    except (TypeError, ValueError):
        number = -1
    if number is not None and (not 1 <= number <= 65535 or isinstance(port, (bool, float))):
        raise ConfigError(f"connection {conn_id!r}: expected an integer port from 1 to 65535, got {port!r}")
    return number


def parse_connection(conn_id: str, value: str) -> Connection:
    """A connection from its serialised value, JSON or URI, as Airflow's secrets backends decide."""
    value = value.strip()
    if not value:
        raise ConfigError(f"connection {conn_id!r} is empty; give Airflow's URI form ({URI_FORM}) or JSON")
    if value[0] == "{":
        return parse_json(conn_id, value)
    if "://" not in value:
        raise ConfigError(
            f"connection {conn_id!r} is neither Airflow's URI form ({URI_FORM}) nor its JSON form "
            f"({JSON_FORM})"
        )
    return parse_uri(conn_id, value)


def from_environment(conn_id: str, environ: Mapping[str, str] | None = None) -> Connection:
    """The connection defined by `AIRFLOW_CONN_<ID>`."""
    env = os.environ if environ is None else environ
    value = env.get(ENV_PREFIX + conn_id.upper())
    if value is None:
        raise ConnectionNotFound(
            f"connection {conn_id!r} is not defined: set {ENV_PREFIX}{conn_id.upper()} "
            "(Airflow's URI or JSON form), or define it in Airflow"
        )
    try:
        return parse_connection(conn_id, value)
    except ConfigError as exc:  # say which variable to mend
        raise ConfigError(f"{ENV_PREFIX}{conn_id.upper()}: {exc}") from None


Resolver = Callable[[str], Connection]
_resolver: Resolver = from_environment


def set_resolver(resolver: Resolver | None) -> None:
    """Use another source of connections (Airflow installs its own); None restores the default."""
    global _resolver
    _resolver = resolver or from_environment


def get_connection(conn_id: str) -> Connection:
    """Resolve a connection id and register its secrets for redaction."""
    connection = _resolver(conn_id)
    REDACTOR.add(*connection.secrets())
    return connection
