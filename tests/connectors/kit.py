"""This repository's connectors in the connector test kit (`hub.testing`): their subjects, run by
`tests/connectors/test_kit.py`.

A connector joins the kit with one `Subject`: how to start its emulator, build the connector (with
good or wrong credentials), create and edit records directly in the emulator, and make valid and
invalid write operations. The Salesforce, Odoo and HubSpot subjects are here; the others are in the
`kit_*.py` modules beside this one. Each subject imports its connector only when a test opens it, so
a connector that does not import fails its own tests and no others.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from datetime import UTC, datetime
from pathlib import Path

from connectors.emulators.salesforce.ids import ManualClock
from connectors.emulators.server import EmulatorServer
from connectors.emulators.tls import ensure_tls_files
from hub.io.connections import parse_connection
from hub.io.connector import Connector, ObjectSpec
from hub.io.records import WriteOp
from hub.testing import QUICK, Subject

START = datetime(2024, 3, 1, 12, 0, tzinfo=UTC)
"""Where every subject's clock starts."""


@contextmanager
def salesforce(folder: Path) -> Iterator[Subject]:
    from connectors.emulators.salesforce import SalesforceEmulator
    from connectors.salesforce import SalesforceConnector

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


def odoo_subject(version: str) -> AbstractContextManager[Subject]:
    """Odoo at a version: 17 speaks JSON-RPC, 19 JSON-2 (chosen by the connector from /web/version)."""
    return _odoo(version)


@contextmanager
def _odoo(version: str) -> Iterator[Subject]:
    from connectors.emulators.odoo import OdooEmulator
    from connectors.emulators.odoo.rpc import OdooUser
    from connectors.odoo import OdooConnector

    clock = ManualClock(START)
    key = "kit-api-key-5f0c2a9d41e8b7c36a1d"
    app = OdooEmulator(clock=lambda: clock.now, server_version=version, users=[OdooUser(api_keys=(key,))])
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
            secret = password or (key if version >= "19" else "admin")
            url = f"odoo://admin:{secret}@{server.host}:{server.port}/omnihub"
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
            clock,
            obj,
            7,
            build,
            create,
            lambda record_id: app.edit("res.partner", int(record_id), {"name": "Edited"}),
            op,
            lambda: {str(r["id"]) for r in app.records("res.partner") if r["x_hub_id"]},
            key if version >= "19" else None,  # JSON-RPC: the password "admin" is also the login
        )


@contextmanager
def odoo(folder: Path) -> Iterator[Subject]:
    with odoo_subject("17.0") as made:
        yield made


@contextmanager
def odoo_json2(folder: Path) -> Iterator[Subject]:
    with odoo_subject("19.0") as made:
        yield made


@contextmanager
def hubspot(folder: Path) -> Iterator[Subject]:
    from connectors.emulators.hubspot import HubSpotEmulator
    from connectors.hubspot import HubSpotConnector

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
    "odoo_json2": "tests.connectors.kit:odoo_json2",
    "hubspot": "tests.connectors.kit:hubspot",
    "mailchimp": "tests.connectors.kit_mailchimp:mailchimp",
    "zendesk": "tests.connectors.kit_helpdesks:zendesk",
    "freshdesk": "tests.connectors.kit_helpdesks:freshdesk",
    "bamboohr": "tests.connectors.kit_bamboohr:bamboohr",
    "netsuite": "tests.connectors.kit_netsuite:netsuite",
    "netsuite_tba": "tests.connectors.kit_netsuite:netsuite_tba",
    "sql_sqlite": "tests.connectors.kit_sql:sql_sqlite",
    "sql_postgresql": "tests.connectors.kit_sql:sql_postgresql",
    "files_csv": "tests.connectors.kit_files:files_csv",
    "files_jsonl": "tests.connectors.kit_files:files_jsonl",
    "rest_freshdesk": "tests.connectors.kit_rest:rest_freshdesk",
}
"""Every subject of this repository's connectors ("module:function" of a context manager taking a
folder), imported only when a test opens it, so one subject's module never stops the others."""
