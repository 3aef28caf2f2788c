"""The one small interface every connector implements (`connectors/` subclasses it), and the object
description it works from. It lives in `hub` because connectors depend on the engine's public types,
never the reverse: the engine reaches connector modules only through `connectors.registry`.

A connector adapts one system's API: read records changed since a cursor, page by page; fetch
records by id; find records by field values (for match keys); write a batch and return one result
per record, in order; optionally read and apply deletes. It builds its client lazily: constructing a
connector touches neither the network nor a connection store.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from functools import cached_property
from typing import Any, ClassVar, Literal

from hub.errors import ConfigError, QuotaExhausted, UnsupportedOperation
from hub.io.budget import RateLimit, Throttle, default_budget
from hub.io.connections import Connection
from hub.io.http import ApiCalls, HubSession, RetryPolicy
from hub.io.records import Page, Record, WriteOp, WriteResult

ShardMode = Literal["window", "key", "filter"]


@dataclass(frozen=True)
class ObjectSpec:
    """What a connector needs to know about one object, taken from a mapping file."""

    name: str
    fields: tuple[str, ...]
    primary_key: str
    cursor_field: str | None = None
    external_id_field: str | None = None
    filter: Mapping[str, Any] = field(default_factory=dict)
    options: Mapping[str, Any] = field(default_factory=dict)
    shard: tuple[int, int] | None = None
    """For one part (index, count) of a backfill: a connector that can narrow its read to the
    records `hub.engine.pipeline.Shard.owns` gives that part does (the SQL connector on an integer
    key); one that cannot reads everything, and the engine keeps the part's records either way."""
    until: datetime | None = None
    """For one time window of a backfill: read only records changed before this moment (the cursor
    field below it; `since` is the window's start). Set only for a connector whose `shard_mode` is
    "window", which applies it in the query it sends."""


@dataclass(frozen=True)
class FieldInfo:
    """One field of a system's object, as the system describes it (`Connector.describe`)."""

    name: str
    """The field as a mapping's `system:` names it (a dotted path for a nested one: `merge_fields.FNAME`)."""
    label: str = ""
    """What the system's UI calls it ("Billing City"), when it says."""
    type: str = ""
    """The system's own type name (`email`, `phone`, `picklist`, `date`, `datetime`, `double`, `string`,
    `boolean`, `reference`, `integer`, `char`, `many2one`, ...), lowercase."""
    required: bool = False
    custom: bool = False
    """Added by the account (Salesforce's `__c`, Odoo's `x_`, a Zendesk user field, ...)."""
    readonly: bool = False
    options: tuple[str, ...] = ()
    """The values of an enumeration (a picklist, a selection), when the system lists them."""


@dataclass(frozen=True)
class ObjectShape:
    """A system object's fields and a sample of its records (`Connector.describe`): what `hub new
    mapping` proposes a mapping from."""

    object: str
    fields: tuple[FieldInfo, ...]
    sample: tuple[dict[str, Any], ...] = ()
    """Up to the asked number of records, each keyed by `FieldInfo.name` (nested values flattened to
    their dotted names), with the values a read gives a mapping."""


def filter_terms(obj: ObjectSpec) -> list[tuple[str, str, Any]]:
    """The mapping's filter as (field, operator, value) with operator one of =, !=, not in."""
    terms = []
    for name, value in obj.filter.items():
        if isinstance(value, dict) and "not" in value:
            terms.append((name, "!=", value["not"]))
        elif isinstance(value, dict) and "not_in" in value:
            terms.append((name, "not in", list(value["not_in"])))
        else:
            terms.append((name, "=", value))
    return terms


def _field(record: Record, name: str) -> Any:
    """A top-level field of a record (None when absent)."""
    return record.get(name)


def passes_filter(
    terms: Sequence[tuple[str, str, Any]],
    record: Record,
    get: Callable[[Record, str], Any] = _field,
) -> bool:
    """Whether a record meets every `filter_terms` term, reading each field's value with `get`."""
    for name, operator, expected in terms:
        found = get(record, name)
        if operator == "=" and found != expected:
            return False
        if operator == "!=" and found == expected:
            return False
        if operator == "not in" and found in expected:
            return False
    return True


def written_filter(filter: Mapping[str, Any]) -> dict[str, Any]:
    """The equality conditions of a filter: values every written record gets."""
    return {name: value for name, value in filter.items() if not isinstance(value, dict)}


def options_object(properties: dict[str, Any], description: str) -> dict[str, Any]:
    """A connector's `options_schema`: a closed object, so that a misspelt option is an error in
    `hub validate` rather than a setting silently ignored at run time."""
    return {
        "type": "object",
        "description": description,
        "additionalProperties": False,
        "properties": properties,
    }


def batch_size_option(ceiling: int | None = None) -> dict[str, Any]:
    """The `batch_size` option every connector understands; a connector's ceiling is its default."""
    limit = f"at most {ceiling}, the API's ceiling" if ceiling else "never above the API's ceiling"
    option: dict[str, Any] = {
        "type": "integer",
        "minimum": 1,
        "description": (
            f"Records per write call: {limit} (a larger value is capped; `hub connectors` shows each "
            "ceiling). A sync's own batch_size takes precedence."
        ),
        "examples": [50],
    }
    return {**option, "default": ceiling} if ceiling else option


@dataclass(frozen=True)
class FormField:
    """One connection field as a UI shows it (Airflow's connection form, `hub connectors`)."""

    label: str
    description: str = ""
    secret: bool = False
    kind: str = "string"  # the JSON type a form offers: string, integer or number


class Connector(ABC):
    """Base of every connector; subclasses set the class attributes and implement the methods."""

    system: ClassVar[str]
    display_name: ClassVar[str]
    conn_type: ClassVar[str]
    default_conn_id: ClassVar[str]
    max_batch: ClassVar[int]
    max_page: ClassVar[int]
    supports_deletes: ClassVar[bool] = False
    # Whether read_changes honours ObjectSpec.until in the query it sends (records oldest first, the
    # cursor field at or after `since` and before `until`): a backfill then splits the source into
    # time windows, each part reading only its own (`shard_mode`).
    reads_windows: ClassVar[bool] = False
    # The request rate the vendor documents for one account (None: none documented, or not a rate:
    # only what its answers say applies). A connection's extra `rate_limit` overrides it: a plan that
    # allows more or less ("190/10"), no rate assumed ("none": an emulator that enforces none), or no
    # budget at all ("off"); limit headers the system sends override the rate as they come.
    rate_limit: ClassVar[RateLimit | None] = None
    form_fields: ClassVar[dict[str, FormField]] = {
        "ca_bundle": FormField(
            "CA bundle", "Path of a CA certificate file to trust (private CAs, sandboxes)"
        ),
        "retry_attempts": FormField(
            "Retry attempts", "Tries per request on 429/5xx and connection errors (8)", kind="integer"
        ),
        "retry_base_delay": FormField(
            "Retry base delay", "Seconds of the first backoff, doubled each retry (0.5)", kind="number"
        ),
        "retry_max_delay": FormField("Retry max delay", "Longest backoff in seconds (30)", kind="number"),
        "timeout": FormField(
            "Timeout",
            "Seconds to wait for an answer before retrying (120; connecting: at most 10)",
            kind="number",
        ),
    }
    # How a connection form shows the standard fields (host, schema, login, password, port, extra):
    # which are hidden, what they are called and what they hold by example (Airflow's
    # "ui-field-behaviour"; see connectors.registry.airflow_provider_info).
    standard_fields: ClassVar[dict[str, Any]] = {"hidden": [], "labels": {}, "placeholders": {}}
    # What a mapping's `options:` may say to this connector (JSON Schema 2020-12): `hub validate` checks
    # every mapping against its system's, and `hub schemas --export` hands them to editors. A connector
    # that reads more options declares them with `extended_options`.
    options_schema: ClassVar[dict[str, Any]] = options_object(
        {"batch_size": batch_size_option()}, "Options every connector understands."
    )

    def __init_subclass__(cls, **kwargs: Any) -> None:
        """Give `batch_size` this connector's own ceiling (`max_batch`) as its default and in its words,
        unless the class declares a `batch_size` option of its own."""
        super().__init_subclass__(**kwargs)
        ceiling = getattr(cls, "max_batch", None)
        own = cls.__dict__.get("options_schema", {}).get("properties", {}).get("batch_size")
        parent = next(base for base in cls.__mro__[1:] if issubclass(base, Connector))
        inherited = parent.options_schema["properties"].get("batch_size")
        if isinstance(ceiling, int) and own in (None, inherited):
            properties = {**cls.options_schema["properties"], "batch_size": batch_size_option(ceiling)}
            cls.options_schema = {**cls.options_schema, "properties": properties}

    @classmethod
    def extended_options(cls, properties: dict[str, Any], description: str) -> dict[str, Any]:
        """This class's `options_schema` with more properties, a subclass's own listed first."""
        inherited = {k: v for k, v in cls.options_schema["properties"].items() if k not in properties}
        return options_object({**properties, **inherited}, description)

    def __init__(
        self, connection: Connection, *, calls: ApiCalls | None = None, policy: RetryPolicy | None = None
    ) -> None:
        self.connection = connection
        self.calls = calls or ApiCalls()
        self.policy = policy

    @cached_property
    def session(self) -> HubSession:
        """The shared-rules HTTP session, trusting the connection's `ca_bundle` when it has one."""
        return HubSession(
            self.system,
            calls=self.calls,
            policy=self.policy or self._policy(),
            verify=self.connection.option("ca_bundle"),
            retry_on=self.retryable,
            exhausted=self.budget_spent,
            throttle=self.throttle(),
            timeout=self.timeout(),
        )

    def timeout(self) -> tuple[float, float]:
        """(connect, read) seconds: the connection's `timeout` extra for reading (connecting waits at
        most 10 s, or less when the timeout is shorter), else 10 and 120. A request that times out is
        retried as any transient failure; a write whose answer was lost is proved before it is sent
        again (`hub.engine.quarantine`)."""
        option = self.connection.option("timeout")
        if option is None or str(option).strip() == "":
            return (10.0, 120.0)
        try:
            seconds = float(option)
        except (TypeError, ValueError):
            seconds = -1.0
        if not seconds > 0 or seconds == float("inf"):
            raise ConfigError(
                f"connection {self.connection.conn_id!r}: timeout {option!r}: "
                "give seconds above 0, such as 30"
            )
        return (min(10.0, seconds), seconds)

    def throttle(self) -> Throttle | None:
        """This connection's share of the system's API budget (`hub.io.budget`): one bucket per system
        and connection for every process, at `rate_limit` or the connection's own; None when budgets
        are off (HUB_BUDGET_URL=off) or the connection's `rate_limit` is "off"."""
        limit, option = self.rate_limit, self.connection.option("rate_limit")
        if str(option).strip().lower() == "off":
            return None
        if option is not None:
            try:
                limit = RateLimit.parse(option)
            except ValueError as exc:
                raise ConfigError(f"connection {self.connection.conn_id!r}: {exc}") from None
        budget = default_budget()
        return Throttle(budget, f"{self.system}:{self.connection.conn_id}", limit) if budget else None

    def _policy(self) -> RetryPolicy:
        """Retry settings from the connection's extras (`retry_attempts`, `retry_base_delay`, …)."""
        default, option = RetryPolicy(), self.connection.option
        return RetryPolicy(
            max_attempts=int(option("retry_attempts") or default.max_attempts),
            base_delay=float(option("retry_base_delay") or default.base_delay),
            max_delay=float(option("retry_max_delay") or default.max_delay),
        )

    def batch_size(self, obj: ObjectSpec) -> int:
        """Records per write call: the sync's `batch_size` when set, never above the API's ceiling."""
        wanted = obj.options.get("batch_size")
        return min(int(wanted), self.max_batch) if wanted else self.max_batch

    def retryable(self, response: Any) -> bool:
        """Whether an answer outside 429/5xx still means "throttled, try again" for this system."""
        return False

    def budget_spent(self, response: Any) -> QuotaExhausted | None:
        """A QuotaExhausted when this answer says a budget that resets only much later (a day) is spent,
        or is about to be (read from the system's usage headers): the session raises it at once instead
        of retrying, so the run stops touching the system. None for every other answer."""
        return None

    def transient(self, response: Any) -> bool:
        """Whether an error answer means "not processed, try again later": the one rule by which the
        session retries (the policy's statuses, 429 and 5xx, plus `retryable`) and by which a failure
        that outlasted its retries is a RetryableAPIError rather than a FatalAPIError."""
        status = int(getattr(response, "status_code", 0))
        return status in self.session.policy.statuses or self.retryable(response)

    def record_id(self, obj: ObjectSpec, record: Record) -> str:
        """The system id of a record as text."""
        return str(record[obj.primary_key])

    def shard_mode(self, obj: ObjectSpec) -> ShardMode:
        """How a backfill splits a read of `obj` into parts: "window" (each part reads its own time
        window, `ObjectSpec.until`), "key" (each reads its own keys, `ObjectSpec.shard`), or "filter"
        (each reads everything and keeps its own keys' records)."""
        return "window" if self.reads_windows and obj.cursor_field else "filter"

    @abstractmethod
    def read_changes(self, obj: ObjectSpec, since: datetime | None, page_size: int) -> Iterator[Page]:
        """Pages of records modified at or after `since` (everything when None), oldest first."""

    @abstractmethod
    def fetch(self, obj: ObjectSpec, ids: Sequence[str]) -> list[Record]:
        """The records with these ids (missing ones are left out)."""

    @abstractmethod
    def find(self, obj: ObjectSpec, criteria: Mapping[str, Sequence[Any]]) -> list[Record]:
        """Records whose fields equal one of the given values, for every field in `criteria`."""

    @abstractmethod
    def write(self, obj: ObjectSpec, ops: Sequence[WriteOp]) -> list[WriteResult]:
        """Write records; one result per op, in order. Ops without target_id upsert by hub_id."""

    def count(self, obj: ObjectSpec, since: datetime | None) -> int | None:
        """How many records `read_changes` would return, when the system can say cheaply."""
        return None

    def read_deletes(self, obj: ObjectSpec, since: datetime | None) -> tuple[list[str], datetime | None]:
        """Ids of records deleted since `since`, and the time up to which the answer is complete."""
        raise UnsupportedOperation(f"{self.display_name} cannot report deleted records")

    def delete(self, obj: ObjectSpec, ids: Sequence[str]) -> list[WriteResult]:
        """Delete (or archive) records by id; one result per id."""
        raise UnsupportedOperation(f"{self.display_name} does not support deleting records")

    def describe(self, object_name: str, sample: int = 100) -> ObjectShape:
        """The object's fields as the system describes them (Salesforce's describe, HubSpot's
        properties, Odoo's fields_get, a table's columns, a CSV header, ...) and up to `sample` of its
        records, read without a mapping."""
        raise UnsupportedOperation(f"{self.display_name} cannot describe its objects yet")

    def check(self) -> str:
        """Log in and say so (a connection test: the Airflow UI's Test button, `hub connections`).

        Raises the connector's AuthenticationError or APIError when the system refuses."""
        raise UnsupportedOperation(f"{self.display_name} cannot test a connection")

    def close(self) -> None:
        """Release the HTTP session."""
        if "session" in self.__dict__:
            self.session.close()
