"""Any REST system described in YAML (`connectors/rest/examples/*.yaml`), as a hub connector.

    FreshdeskRest = declarative_connector("connectors/rest/examples/freshdesk.yaml")
    connector = FreshdeskRest(get_connection(FreshdeskRest.default_conn_id))

Connection (Airflow conn_type: the description's `conn_type`): whatever fields its templates name,
        `{host}` `{login}` `{password}` `{schema}` `{port}` `{extra.NAME}`; extras `ca_bundle` and
        the `retry_*` settings, as every connector.
Reads:  `GET {base_url}/{list.path}?{list.params}&{since.param}=…` page by page in the described
        paging style (cursor, offset, page, link_header, next_url), records at `list.records`,
        oldest first; each page's cursor is its newest `cursor.field`. With `paging.max_page` the
        read restarts at the limit from the newest cursor value seen (see `connectors.rest.reads`).
        `fetch` GETs `get` per id (404s are left out); `find` uses `list.filters` or scans the list.
Writes: `write.create` / `write.update` one record a call (`write.parallel` requests in flight at
        once, 1 unless told), or `write.batch` many; the hub id goes
        into `write.external_id`; a `write.duplicate` answer turns a create into an update of the
        record it names (see `connectors.rest.writes`).
Quirks: error bodies are read at `errors.message` / `errors.code` / `errors.field`; `errors.auth`
        statuses raise AuthenticationError, `errors.rate_limited` ones are retried like 429s
        (honouring Retry-After, counted by the shared session).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from datetime import datetime
from functools import cache, cached_property
from pathlib import Path
from typing import Any, ClassVar
from urllib.parse import quote

import requests

from connectors.rest.answers import ErrorReader
from connectors.rest.auth import Authenticator, authenticator
from connectors.rest.paginators import PageCall, paginator
from connectors.rest.paths import fill, first
from connectors.rest.reads import ChangeReader
from connectors.rest.spec import ObjectRest, RestSpec, load_spec
from connectors.rest.writes import RecordWriter
from hub.errors import FatalAPIError, UnsupportedOperation
from hub.io.connections import Connection
from hub.io.connector import (
    ObjectSpec,
    batch_size_option,
    filter_terms,
    passes_filter,
    written_filter,
)
from hub.io.http import ApiCalls, RetryPolicy
from hub.io.records import Page, Record, WriteOp, WriteResult
from hub.io.redact import REDACTOR
from hub.io.rest import RequestAuth, RESTConnector, json_body

DEFAULT_BATCH = 100  # ops handed to one write call when each record is its own request


class DeclarativeRESTConnector(RESTConnector):
    """A connector whose whole behaviour comes from a `RestSpec`; build one with `declarative_connector`."""

    spec: ClassVar[RestSpec]
    max_batch = DEFAULT_BATCH
    max_page = 100

    def __init__(
        self, connection: Connection, *, calls: ApiCalls | None = None, policy: RetryPolicy | None = None
    ) -> None:
        if getattr(type(self), "spec", None) is None:
            raise TypeError("DeclarativeRESTConnector needs a description: use declarative_connector(path)")
        super().__init__(connection, calls=calls, policy=policy)

    # HTTP -------------------------------------------------------------------------------------
    def api_root(self) -> str:
        """The base URL with the connection's values filled in (https:// when it names no scheme)."""
        url = fill(self.spec.base_url, self.connection, "base_url").rstrip("/")
        return url if "://" in url else f"https://{url}"

    @cached_property
    def auth(self) -> Authenticator:
        REDACTOR.add(*self.connection.secrets())
        return authenticator(self.spec.auth, self.connection, self.session, self.system)

    @cached_property
    def errors(self) -> ErrorReader:
        return ErrorReader(self.spec.errors)

    def default_headers(self) -> dict[str, str]:
        """Accept JSON, and the described headers filled from the connection."""
        filled = {k: fill(v, self.connection, f"headers.{k}") for k, v in self.spec.headers.items()}
        return {**super().default_headers(), **filled}

    def credentials(self) -> RequestAuth:
        """The described auth's credentials for one request."""
        return self.auth.credentials()

    def error_detail(self, response: requests.Response) -> tuple[str | None, str]:
        """The code and message where the description's `errors` says they are."""
        return self.errors.detail(response)

    def retryable(self, response: Any) -> bool:
        return int(getattr(response, "status_code", 0)) in self.spec.errors.rate_limited

    def url(self, template: str, record_id: str | None = None) -> str:
        """An absolute URL from a path template under the base URL (or an absolute one)."""
        more = {"id": quote(record_id, safe="")} if record_id is not None else None
        return self.absolute_url(fill(template, self.connection, f"the path {template!r}", more))

    def send(
        self, method: str, template: str, body: Any, *, idempotent: bool, record_id: str | None = None
    ) -> requests.Response:
        """One write request to a path template (the writers' transport)."""
        return self.request(method, self.url(template, record_id), body=body, idempotent=idempotent)

    def get_json(self, call: PageCall) -> tuple[requests.Response, Any]:
        """GET one page; its answer and parsed body (error answers raise)."""
        response = self.request("GET", call.url, params=call.params)
        if response.status_code >= 400:
            raise self.failure("GET", call.url, response)
        return response, json_body(response)

    def check(self) -> str:
        if self.spec.check:
            self.get_json(PageCall(self.url(self.spec.check), None))
        else:
            rest = next(iter(self.spec.objects.values()))
            self.get_json(paginator(rest.list.paging, 1).first(self.url(rest.list.path), self._params(rest)))
        return f"{self.display_name} accepted the credentials of connection {self.connection.conn_id!r}"

    # Objects ----------------------------------------------------------------------------------
    def object(self, obj: ObjectSpec) -> ObjectRest:
        """The description of an object (FatalAPIError naming the described ones)."""
        try:
            return self.spec.objects[obj.name]
        except KeyError:
            known = ", ".join(self.spec.objects)
            raise FatalAPIError(
                self.system, f"unknown object {obj.name!r}; {self.spec.source} describes: {known}"
            ) from None

    def record_id(self, obj: ObjectSpec, record: Record) -> str:
        return str(first(record, self.object(obj).primary_key))

    def batch_size(self, obj: ObjectSpec) -> int:
        write = self.object(obj).write
        ceiling = write.batch.size if write and write.batch else DEFAULT_BATCH
        wanted = obj.options.get("batch_size")
        return min(int(wanted), ceiling) if wanted else ceiling

    def _params(self, rest: ObjectRest) -> dict[str, Any]:
        where = f"objects.{rest.name}.list.params"
        return {k: fill(v, self.connection, f"{where}.{k}") for k, v in rest.list.params.items()}

    def _reader(self, obj: ObjectSpec, rest: ObjectRest, size: int, more: Mapping[str, Any]) -> ChangeReader:
        size = max(1, min(size, rest.list.paging.page_size))
        params = {**self._params(rest), **more}
        return ChangeReader(self.system, rest, self.url(rest.list.path), params, size, filter_terms(obj))

    # Reads ------------------------------------------------------------------------------------
    def read_changes(self, obj: ObjectSpec, since: datetime | None, page_size: int) -> Iterator[Page]:
        rest = self.object(obj)
        if since is not None and rest.cursor_field is None:
            raise UnsupportedOperation(f"{self.display_name} {rest.name}: no cursor, so no incremental reads")
        yield from self._reader(obj, rest, page_size, {}).pages(self.get_json, since)

    def _scan(self, obj: ObjectSpec, rest: ObjectRest, more: Mapping[str, Any] | None = None) -> list[Record]:
        reader = self._reader(obj, rest, rest.list.paging.page_size, more or {})
        return [r for page in reader.pages(self.get_json, None) for r in page.records]

    def fetch(self, obj: ObjectSpec, ids: Sequence[str]) -> list[Record]:
        rest = self.object(obj)
        wanted = list(dict.fromkeys(str(i) for i in ids))
        if rest.get is None:
            return [r for r in self._scan(obj, rest) if str(first(r, rest.primary_key)) in wanted]
        found = [self.call("GET", self.url(rest.get, record_id), missing_ok=True) for record_id in wanted]
        return [r for r in found if isinstance(r, dict)]

    def find(self, obj: ObjectSpec, criteria: Mapping[str, Sequence[Any]]) -> list[Record]:
        """By primary key (`get`), by a field the list filters on, or by scanning the list."""
        rest = self.object(obj)
        filtered = [name for name in criteria if name in rest.list.filters]
        if rest.primary_key in criteria:
            candidates = self.fetch(obj, [str(v) for v in criteria[rest.primary_key]])
        elif filtered:
            name = filtered[0]
            candidates = [r for v in dict.fromkeys(criteria[name]) for r in self._scan(obj, rest, {name: v})]
        else:
            candidates = self._scan(obj, rest)
        terms = filter_terms(obj)
        return [
            r
            for r in candidates
            if passes_filter(terms, r, first)
            and all(_matches(first(r, name), values) for name, values in criteria.items())
        ]

    # Writes -----------------------------------------------------------------------------------
    def write(self, obj: ObjectSpec, ops: Sequence[WriteOp]) -> list[WriteResult]:
        rest = self.object(obj)
        if rest.write is None:
            raise UnsupportedOperation(
                f"{self.display_name} {rest.name}: {self.spec.source} describes no write"
            )
        external = obj.external_id_field or rest.write.external_id
        lookup = None
        if external and rest.write.duplicate is None and external in rest.list.filters:
            lookup = self._lookup(obj, rest, external)
        writer = RecordWriter(self, rest, external, written_filter(obj.filter), lookup)
        return writer.write(ops)

    def _lookup(self, obj: ObjectSpec, rest: ObjectRest, field: str) -> Any:
        def existing(hub_id: str) -> str | None:
            found = self._scan(obj, rest, {field: hub_id})
            return str(first(found[0], rest.primary_key)) if found else None

        return existing


def _matches(value: Any, wanted: Sequence[Any]) -> bool:
    """Whether a record's value is one of the wanted ones (ids compare as text: 7 matches "7")."""
    return value in wanted or (value is not None and str(value) in {str(w) for w in wanted})


def _connection_fields(spec: RestSpec) -> set[str]:
    """The standard connection fields a description's templates name."""
    texts = [spec.base_url, spec.check or "", *spec.headers.values()]
    texts += list(spec.auth.templates().values())
    texts += [v for rest in spec.objects.values() for v in rest.list.params.values()]
    return {f for f in ("host", "login", "password", "schema", "port") if any(f"{{{f}}}" in t for t in texts)}


def _batch_size_option(spec: RestSpec) -> dict[str, Any]:
    """`batch_size` as a described system takes it: each object has its own ceiling (`write.batch.size`,
    else one write call takes DEFAULT_BATCH records, each its own request)."""
    ceilings = {
        name: rest.write.batch.size if rest.write and rest.write.batch else DEFAULT_BATCH
        for name, rest in spec.objects.items()
    }
    shown = ", ".join(f"{name} {ceiling}" for name, ceiling in ceilings.items())
    option = {
        **batch_size_option(),
        "description": (
            f"Records per write call, never above the object's ceiling ({shown}; a larger value is "
            "capped). A sync's own batch_size takes precedence."
        ),
    }
    return {**option, "default": ceilings.popitem()[1]} if len(set(ceilings.values())) == 1 else option


def connector_class(spec: RestSpec) -> type[DeclarativeRESTConnector]:
    """A connector class for one description: `system`, `display_name`, … come from the YAML."""
    used = _connection_fields(spec)
    batches = [r.write.batch.size for r in spec.objects.values() if r.write and r.write.batch]
    attributes: dict[str, Any] = {
        "__doc__": f"{spec.display_name}, described in {spec.source}.",
        "__module__": __name__,
        "spec": spec,
        "system": spec.system,
        "display_name": spec.display_name,
        "conn_type": spec.conn_type,
        "default_conn_id": spec.default_conn_id,
        "auth_statuses": spec.errors.auth,
        "max_batch": max([DEFAULT_BATCH, *batches]),
        "max_page": max(r.list.paging.page_size for r in spec.objects.values()),
        "options_schema": DeclarativeRESTConnector.extended_options(
            {"batch_size": _batch_size_option(spec)}, f"Options of the mappings of {spec.display_name}."
        ),
        "standard_fields": {
            "hidden": [f for f in ("host", "login", "password", "schema", "port") if f not in used],
            "labels": {},
            "placeholders": {},
        },
    }
    name = "".join(part.title() for part in spec.system.split("_")) + "Connector"
    return type(name, (DeclarativeRESTConnector,), attributes)


@cache
def _from_file(path: str, display: str) -> type[DeclarativeRESTConnector]:
    return connector_class(load_spec(path, display))


def declarative_connector(source: str | Path | RestSpec) -> type[DeclarativeRESTConnector]:
    """The connector class a YAML description (a path, loaded once) or a RestSpec defines."""
    if isinstance(source, RestSpec):
        return connector_class(source)
    return _from_file(str(Path(source).resolve()), str(source))
