"""A REST description (YAML) loaded, checked against the meta-schema, and turned into typed specs.

    spec = load_spec(Path("connectors/rest/examples/freshdesk.yaml"))
    spec.objects["contacts"].list.paging.style        # 'link_header'

Bad input raises `ConfigError` whose problems read `path:line:column: field: message; fix`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, cast

from connectors.rest.times import TimeFormat
from connectors.rest.validation import schema_problems, semantic_problems
from hub.errors import ConfigError
from hub.project.yamldoc import Document, load_document, plain

AuthKind = Literal["basic", "bearer", "api_key", "oauth2", "none"]
PagingStyle = Literal["cursor", "offset", "page", "link_header", "next_url", "none"]
KeyPlace = Literal["header", "query"]
DEFAULT_SIZE_PARAMS: dict[str, str] = {"page": "per_page", "offset": "limit"}


@dataclass(frozen=True)
class AuthSpec:
    """How requests prove who they are; string fields are templates over the connection."""

    kind: AuthKind = "none"
    user: str = "{login}"
    password: str = "{password}"
    token: str = "{password}"
    name: str = ""
    where: KeyPlace = "header"
    value: str = "{password}"
    token_url: str = ""
    client_id: str = "{login}"
    client_secret: str = "{password}"
    scope: str | None = None

    def templates(self) -> dict[str, str]:
        """The templates this kind of auth fills, by field name."""
        names = {
            "basic": ("user", "password"),
            "bearer": ("token",),
            "api_key": ("value",),
            "oauth2": ("token_url", "client_id", "client_secret"),
        }.get(self.kind, ())
        return {name: getattr(self, name) for name in names}


@dataclass(frozen=True)
class PagingSpec:
    """How a list is paged (see `connectors.rest.paginators`)."""

    style: PagingStyle = "none"
    size_param: str | None = None
    page_size: int = 100
    max_page: int | None = None
    token: str = ""
    param: str = ""
    offset_param: str = "offset"
    total: str | None = None
    page_param: str = "page"
    first_page: int = 1
    url: str = ""


@dataclass(frozen=True)
class SinceSpec:
    """The query parameter of an incremental read, and how it writes the moment."""

    param: str
    format: TimeFormat


@dataclass(frozen=True)
class ListSpec:
    """How to list an object's records changed since a moment."""

    path: str
    params: Mapping[str, str] = field(default_factory=dict)
    records: str = ""
    since: SinceSpec | None = None
    filters: tuple[str, ...] = ()
    paging: PagingSpec = PagingSpec()


@dataclass(frozen=True)
class Call:
    """One write request: its method and path template."""

    method: str
    path: str


@dataclass(frozen=True)
class BatchSpec:
    """A batch write API: `size` records under `wrap`, results at `results`, in order."""

    size: int
    wrap: str
    results: str
    item: str | None = None


@dataclass(frozen=True)
class DuplicateSpec:
    """A create answered `status` (with `code`) names an existing record at `id`: update that one."""

    status: int
    id: tuple[str, ...]
    code: str | None = None


@dataclass(frozen=True)
class WriteSpec:
    """How records are created and updated."""

    create: Call | None = None
    update: Call | None = None
    wrap: str | None = None
    external_id: str | None = None
    batch: BatchSpec | None = None
    duplicate: DuplicateSpec | None = None
    parallel: int = 1


@dataclass(frozen=True)
class ObjectRest:
    """One object of a REST system."""

    name: str
    list: ListSpec
    primary_key: str = "id"
    cursor_field: str | None = None
    cursor_format: TimeFormat = field(default_factory=TimeFormat)
    get: str | None = None
    write: WriteSpec | None = None


@dataclass(frozen=True)
class ErrorSpec:
    """Where error bodies keep their message, code and fields, and what statuses mean."""

    message: tuple[str, ...] = ("message", "error.message", "error", "description", "detail", "title")
    code: tuple[str, ...] = ("code", "error.code", "errorCode", "error_code")
    field: tuple[str, ...] = ("field", "errors[].field")
    auth: frozenset[int] = frozenset({401, 403})
    rate_limited: frozenset[int] = frozenset()
    record: frozenset[int] = frozenset({400, 404, 409, 422})


@dataclass(frozen=True)
class RestSpec:
    """A whole REST system: identity, base URL, auth, error conventions and objects."""

    system: str
    display_name: str
    base_url: str
    auth: AuthSpec
    objects: Mapping[str, ObjectRest]
    conn_type: str
    default_conn_id: str
    headers: Mapping[str, str] = field(default_factory=dict)
    check: str | None = None
    errors: ErrorSpec = ErrorSpec()
    description: str = ""
    source: str = "<memory>"


def load_spec(path: str | Path, display: str | None = None) -> RestSpec:
    """Read, check and build a REST description; ConfigError lists every problem found."""
    return document_spec(load_document(Path(path), display))


def document_spec(doc: Document) -> RestSpec:
    """The spec of an already parsed document (ConfigError when it has problems)."""
    problems = schema_problems(doc) or semantic_problems(doc)
    if problems:
        raise ConfigError(problems)
    return build_spec(plain(doc.data), doc.path)


def _paths(value: Any, default: tuple[str, ...]) -> tuple[str, ...]:
    if value is None:
        return default
    return (value,) if isinstance(value, str) else tuple(value)


def _statuses(value: Any, default: frozenset[int]) -> frozenset[int]:
    return default if value is None else frozenset(int(v) for v in value)


def _texts(value: Any) -> dict[str, str]:
    return {str(k): str(v) for k, v in (value or {}).items()}


def build_spec(data: dict[str, Any], source: str = "<memory>") -> RestSpec:
    """A RestSpec from plain data that already passed validation."""
    system = data["system"]
    return RestSpec(
        system=system,
        display_name=data["display_name"],
        base_url=data["base_url"],
        auth=_auth(data["auth"]),
        objects={name: _object(name, raw) for name, raw in data["objects"].items()},
        conn_type=data.get("conn_type", system),
        default_conn_id=data.get("default_conn_id", f"{system}_default"),
        headers=_texts(data.get("headers")),
        check=data.get("check"),
        errors=_errors(data.get("errors") or {}),
        description=data.get("description", ""),
        source=source,
    )


def _auth(raw: dict[str, Any]) -> AuthSpec:
    values = {k: v for k, v in raw.items() if k != "in"}
    if "in" in raw:
        values["where"] = raw["in"]
    return AuthSpec(**values)


def _errors(raw: dict[str, Any]) -> ErrorSpec:
    default = ErrorSpec()
    return ErrorSpec(
        message=_paths(raw.get("message"), default.message),
        code=_paths(raw.get("code"), default.code),
        field=_paths(raw.get("field"), default.field),
        auth=_statuses(raw.get("auth"), default.auth),
        rate_limited=_statuses(raw.get("rate_limited"), default.rate_limited),
        record=_statuses(raw.get("record"), default.record),
    )


def _object(name: str, raw: dict[str, Any]) -> ObjectRest:
    cursor = raw.get("cursor") or {}
    cursor_format = TimeFormat(cursor.get("format", "iso"))
    return ObjectRest(
        name=name,
        list=_list(raw["list"], cursor_format),
        primary_key=raw.get("primary_key", "id"),
        cursor_field=cursor.get("field"),
        cursor_format=cursor_format,
        get=raw.get("get"),
        write=_write(raw["write"]) if "write" in raw else None,
    )


def _list(raw: dict[str, Any], cursor_format: TimeFormat) -> ListSpec:
    since = raw.get("since")
    since_format = TimeFormat(since.get("format", cursor_format.pattern)) if since else cursor_format
    return ListSpec(
        path=raw["path"],
        params=_texts(raw.get("params")),
        records=raw.get("records", ""),
        since=SinceSpec(since["param"], since_format) if since else None,
        filters=tuple(raw.get("filters", ())),
        paging=_paging(raw.get("paging") or {"style": "none"}),
    )


def _paging(raw: dict[str, Any]) -> PagingSpec:
    style = cast(PagingStyle, raw["style"])
    values = {**raw, "size_param": raw.get("size_param", DEFAULT_SIZE_PARAMS.get(style))}
    return PagingSpec(**values)


def _call(text: str) -> Call:
    method, path = text.split(" ", 1)
    return Call(method, path.strip())


def _write(raw: dict[str, Any]) -> WriteSpec:
    batch, duplicate = raw.get("batch"), raw.get("duplicate")
    return WriteSpec(
        create=_call(raw["create"]) if "create" in raw else None,
        update=_call(raw["update"]) if "update" in raw else None,
        wrap=raw.get("wrap"),
        external_id=raw.get("external_id"),
        batch=BatchSpec(**batch) if batch else None,
        duplicate=DuplicateSpec(duplicate["status"], _paths(duplicate["id"], ()), duplicate.get("code"))
        if duplicate
        else None,
        parallel=int(raw.get("parallel", 1)),
    )
