"""The shared connector test kit: what every connector must do against its emulator.

A connector joins the kit with one `Subject`: how to start its emulator, build the connector (with
good or wrong credentials), create and edit records directly in the emulator, and make valid and
invalid write operations. `tests/connectors/test_kit.py` runs the same checks over every subject.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from importlib import import_module
from pathlib import Path
from typing import Any

from connectors.emulators.hubspot import HubSpotEmulator
from connectors.emulators.odoo import OdooEmulator
from connectors.emulators.salesforce import SalesforceEmulator
from connectors.emulators.salesforce.ids import ManualClock
from connectors.emulators.server import EmulatorServer
from connectors.emulators.tls import ensure_tls_files
from connectors.hubspot import HubSpotConnector
from connectors.odoo import OdooConnector
from connectors.salesforce import SalesforceConnector
from hub.io.connections import parse_connection
from hub.io.connector import Connector, ObjectSpec
from hub.io.http import RetryPolicy
from hub.io.records import WriteOp

START = datetime(2024, 3, 1, 12, 0, tzinfo=UTC)
# Many attempts: the rate-limit check faults half of all requests, and parallel writers meet them in
# no fixed order, so eight tries would now and then all be refused.
QUICK = RetryPolicy(base_delay=0.01, max_delay=0.05, max_attempts=24)


@dataclass
class Subject:
    """One connector and its emulator, as the kit drives them."""

    name: str
    app: Any
    server: EmulatorServer | None  # None: no emulator (a real database, a folder)
    clock: ManualClock
    obj: ObjectSpec
    page: int  # a small page size the connector accepts
    build: Callable[[str | None], Connector]  # password override (None: the right one)
    create: Callable[[int], str]  # a record made in the emulator directly, by number; its id
    edit: Callable[[str], None]  # change a record in the emulator directly
    op: Callable[[int, bool], WriteOp]  # a write operation, valid or not
    stored: Callable[[], set[str]]  # ids of the records the kit's writes and creates made
    secret: str | None  # the right password, which no error may show (None: it is also the login)
    # Why the system has no rate limit or no credentials to refuse (a local file, SQLite); the kit
    # skips those checks with this reason. None: it has them, and the kit checks them.
    no_rate_limit: str | None = None
    no_credentials: str | None = None

    def connector(self, password: str | None = None) -> Connector:
        return self.build(password)

    def advance(self, seconds: float) -> None:
        self.clock.advance(seconds=seconds)


@contextmanager
def salesforce(folder: Path) -> Iterator[Subject]:
    clock = ManualClock(START)
    app = SalesforceEmulator(clock=clock)
    obj = ObjectSpec(
        "Contact",
        ("Id", "SystemModstamp", "Hub_Id__c", "LastName", "Email"),
        "Id",
        "SystemModstamp",
        "Hub_Id__c",
    )
    tls = ensure_tls_files(folder / "tls")
    with EmulatorServer(app, tls=tls) as server:
        spec = app.connection(server.url, tls.ca_cert)

        def build(password: str | None) -> Connector:
            given = {**spec, "password": password} if password is not None else spec
            return SalesforceConnector(
                parse_connection("salesforce_default", json.dumps(given)), policy=QUICK
            )

        def op(i: int, valid: bool) -> WriteOp:
            values = {"LastName": f"Kit {i}" if valid else None, "Email": f"kit{i}@example.com"}
            return WriteOp(str(uuid.uuid4()), values)

        yield Subject(
            "salesforce",
            app,
            server,
            clock,
            obj,
            200,
            build,
            lambda i: str(app.create("Contact", {"LastName": f"Direct {i}", "Hub_Id__c": str(uuid.uuid4())})),
            lambda record_id: app.edit("Contact", record_id, {"LastName": "Edited"}),
            op,
            lambda: {str(r["Id"]) for r in app.records("Contact")},
            spec["password"],
        )


@contextmanager
def odoo(folder: Path) -> Iterator[Subject]:
    clock = ManualClock(START)
    app = OdooEmulator(clock=lambda: clock.now)
    app.retry_after = "0"
    obj = ObjectSpec(
        "res.partner",
        ("id", "write_date", "x_hub_id", "is_company", "name", "email"),
        "id",
        "write_date",
        "x_hub_id",
        {"is_company": True},
    )
    with EmulatorServer(app) as server:

        def build(password: str | None) -> Connector:
            url = f"odoo://admin:{password or 'admin'}@{server.host}:{server.port}/omnihub"
            return OdooConnector(parse_connection("odoo_default", url), policy=QUICK)

        def op(i: int, valid: bool) -> WriteOp:
            values = {
                "name": f"Kit {i}" if valid else None,
                "email": f"kit{i}@example.com",
                "is_company": True,
            }
            return WriteOp(str(uuid.uuid4()), values)

        def create(i: int) -> str:
            return str(
                app.create("res.partner", {"name": f"Direct {i}", "is_company": True, "x_hub_id": f"D{i}"})
            )

        yield Subject(
            "odoo",
            app,
            server,
            clock,
            obj,
            7,
            build,
            create,
            lambda record_id: app.edit("res.partner", int(record_id), {"name": "Edited"}),
            op,
            lambda: {str(r["id"]) for r in app.records("res.partner") if r["x_hub_id"]},
            None,  # the emulator's admin password is "admin", which messages name as the login
        )


@contextmanager
def hubspot(folder: Path) -> Iterator[Subject]:
    clock = ManualClock(START)
    app = HubSpotEmulator(clock=clock)
    obj = ObjectSpec(
        "contacts",
        ("id", "lastmodifieddate", "hub_id", "lastname", "email"),
        "id",
        "lastmodifieddate",
        "hub_id",
    )
    with EmulatorServer(app) as server:
        spec = app.connection(server.url)

        def build(password: str | None) -> Connector:
            given = {**spec, "password": password} if password is not None else spec
            return HubSpotConnector(parse_connection("hubspot_default", json.dumps(given)), policy=QUICK)

        def op(i: int, valid: bool) -> WriteOp:
            email = f"kit{i}@example.com" if valid else f"kit{i} at example"
            return WriteOp(str(uuid.uuid4()), {"lastname": f"Kit {i}", "email": email})

        yield Subject(
            "hubspot",
            app,
            server,
            clock,
            obj,
            7,
            build,
            lambda i: app.create("contacts", {"lastname": f"Direct {i}", "hub_id": str(uuid.uuid4())}),
            lambda record_id: app.edit("contacts", record_id, {"lastname": "Edited"}),
            op,
            lambda: {str(r["id"]) for r in app.records("contacts")},
            app.token,
        )


SUBJECTS: dict[str, str] = {
    "salesforce": "tests.connectors.kit:salesforce",
    "odoo": "tests.connectors.kit:odoo",
    "hubspot": "tests.connectors.kit:hubspot",
    "mailchimp": "tests.connectors.kit_mailchimp:mailchimp",
    "zendesk": "tests.connectors.kit_helpdesks:zendesk",
    "freshdesk": "tests.connectors.kit_helpdesks:freshdesk",
    "bamboohr": "tests.connectors.kit_bamboohr:bamboohr",
    "netsuite": "tests.connectors.kit_netsuite:netsuite",
    "sql_sqlite": "tests.connectors.kit_sql:sql_sqlite",
    "sql_postgresql": "tests.connectors.kit_sql:sql_postgresql",
    "files_csv": "tests.connectors.kit_files:files_csv",
    "files_jsonl": "tests.connectors.kit_files:files_jsonl",
    "rest_freshdesk": "tests.connectors.kit_rest:rest_freshdesk",
}
"""Every subject in the kit ("module:function" of a context manager taking a folder), imported only
when a test opens it, so one subject's module never stops the others from running."""


def open_subject(name: str, folder: Path) -> Any:
    """The context manager of one subject of SUBJECTS."""
    module, _, function = SUBJECTS[name].partition(":")
    return getattr(import_module(module), function)(folder)


def read_ids(connector: Connector, obj: ObjectSpec, since: datetime | None, page: int) -> list[str]:
    return [connector.record_id(obj, r) for p in connector.read_changes(obj, since, page) for r in p.records]


def just_before(moment: datetime) -> datetime:
    return moment - timedelta(seconds=1)
