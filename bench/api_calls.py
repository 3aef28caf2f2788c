"""API calls per 1,000 records written, per connector, against the minimum its batch ceiling allows.

    .venv/bin/python bench/api_calls.py [--records N]

Each connector writes N new records (then the same N again, as a replayed run would) to its emulator
through the hub's shared HTTP session; the calls counted include logins and any polling. The minimum
is ⌈N / batch ceiling⌉ write calls: Salesforce Collections 200, HubSpot batch 100, Odoo `create` with a
list (1,000 per call by the connector's batch size), Zendesk `create_or_update_many` 100 (plus the
job-status polls, counted apart), Mailchimp's list batch 500; NetSuite's and BambooHR's REST APIs
write one record per request (ceiling 1). Targets: HubSpot, Zendesk (writes), Mailchimp, NetSuite and
BambooHR within 10% of their minimum (issues 5 and 6); Salesforce at most the minimum + 3 (login, and
describe/bulk overhead; issue 2); Odoo has none (its overhead is authenticate, fields_get and one search
for records already there). The SQL connector (PostgreSQL: one INSERT … ON CONFLICT per batch of
1,000, its "calls" are statements) and the Files connector (one CSV rewritten per batch; its calls are
file operations: stat, read, write, stat) are shown for reference.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import tempfile
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from connectors.bamboohr import BambooHRConnector  # noqa: E402
from connectors.emulators.bamboohr import BambooHREmulator  # noqa: E402
from connectors.emulators.hubspot import HubSpotEmulator  # noqa: E402
from connectors.emulators.mailchimp import MailchimpEmulator  # noqa: E402
from connectors.emulators.netsuite import NetSuiteEmulator  # noqa: E402
from connectors.emulators.odoo import OdooEmulator  # noqa: E402
from connectors.emulators.salesforce import SalesforceEmulator  # noqa: E402
from connectors.emulators.server import EmulatorServer  # noqa: E402
from connectors.emulators.tls import ensure_tls_files  # noqa: E402
from connectors.emulators.zendesk import ZendeskEmulator  # noqa: E402
from connectors.files import FilesConnector  # noqa: E402
from connectors.hubspot import HubSpotConnector  # noqa: E402
from connectors.mailchimp import MailchimpConnector  # noqa: E402
from connectors.netsuite import NetSuiteConnector  # noqa: E402
from connectors.odoo import OdooConnector  # noqa: E402
from connectors.salesforce import SalesforceConnector  # noqa: E402
from connectors.sql import SQLConnector  # noqa: E402
from connectors.zendesk import ZendeskConnector  # noqa: E402
from hub.io.connections import parse_connection  # noqa: E402
from hub.io.connector import Connector, ObjectSpec  # noqa: E402
from hub.io.records import WriteOp  # noqa: E402

Case = tuple[
    str, Any, Callable[[Any, EmulatorServer], Connector], ObjectSpec, Callable[[int], dict[str, Any]], int
]
TARGETS: dict[str, tuple[str, Callable[[int, int], bool]]] = {
    "salesforce": ("<= minimum + 3", lambda calls, minimum: calls <= minimum + 3),
    "hubspot": ("<= minimum + 10%", lambda calls, minimum: calls <= minimum * 1.10),
    "mailchimp": ("<= minimum + 10%", lambda calls, minimum: calls <= minimum * 1.10),
    "zendesk": ("writes <= minimum + 10%, plus job polls", lambda calls, minimum: calls <= minimum * 1.10),
    "netsuite": ("<= minimum + 10%", lambda calls, minimum: calls <= minimum * 1.10),
    "bamboohr": ("<= minimum + 10%", lambda calls, minimum: calls <= minimum * 1.10),
}


def cases(tls_folder: Path) -> list[Case]:
    tls = ensure_tls_files(tls_folder)

    def salesforce(app: Any, server: EmulatorServer) -> Connector:
        spec = app.connection(server.url, tls.ca_cert)
        return SalesforceConnector(parse_connection("salesforce_default", json.dumps(spec)))

    def odoo(app: Any, server: EmulatorServer) -> Connector:
        return OdooConnector(
            parse_connection("odoo_default", f"odoo://admin:admin@{server.host}:{server.port}/omnihub")
        )

    def hubspot(app: Any, server: EmulatorServer) -> Connector:
        return HubSpotConnector(parse_connection("hubspot_default", json.dumps(app.connection(server.url))))

    def zendesk(app: Any, server: EmulatorServer) -> Connector:
        spec = {**app.connection(server.url), "extra": {"job_poll_interval": 0.01}}
        return ZendeskConnector(parse_connection("zendesk_default", json.dumps(spec)))

    def mailchimp(app: Any, server: EmulatorServer) -> Connector:
        return MailchimpConnector(
            parse_connection("mailchimp_default", json.dumps(app.connection(server.url)))
        )

    def netsuite(app: Any, server: EmulatorServer) -> Connector:
        return NetSuiteConnector(parse_connection("netsuite_default", json.dumps(app.connection(server.url))))

    def bamboohr(app: Any, server: EmulatorServer) -> Connector:
        return BambooHRConnector(parse_connection("bamboohr_default", json.dumps(app.connection(server.url))))

    return [
        (
            "salesforce",
            SalesforceEmulator(),
            salesforce,
            ObjectSpec(
                "Contact",
                ("Id", "SystemModstamp", "Hub_Id__c", "LastName", "Email"),
                "Id",
                "SystemModstamp",
                "Hub_Id__c",
            ),
            lambda i: {"LastName": f"Bench {i}", "Email": f"bench{i}@example.com"},
            200,
        ),
        (
            "odoo",
            OdooEmulator(),
            odoo,
            ObjectSpec(
                "res.partner",
                ("id", "write_date", "x_hub_id", "name", "email"),
                "id",
                "write_date",
                "x_hub_id",
            ),
            lambda i: {"name": f"Bench {i}", "email": f"bench{i}@example.com"},
            1000,
        ),
        (
            "hubspot",
            HubSpotEmulator(),
            hubspot,
            ObjectSpec(
                "contacts",
                ("id", "lastmodifieddate", "hub_id", "lastname", "email"),
                "id",
                "lastmodifieddate",
                "hub_id",
            ),
            lambda i: {"lastname": f"Bench {i}", "email": f"bench{i}@example.com"},
            100,
        ),
        (
            "zendesk",
            ZendeskEmulator(),
            zendesk,
            ObjectSpec(
                "users",
                ("id", "updated_at", "external_id", "name", "email"),
                "id",
                "updated_at",
                "external_id",
            ),
            lambda i: {"name": f"Bench {i}", "email": f"bench{i}@example.com"},
            100,
        ),
        (
            "mailchimp",
            MailchimpEmulator(),
            mailchimp,
            ObjectSpec(
                MailchimpEmulator.LIST_ID,
                ("id", "last_changed", "merge_fields.HUBID", "email_address", "status"),
                "id",
                "last_changed",
                "merge_fields.HUBID",
            ),
            lambda i: {"email_address": f"bench{i}@example.com", "status": "subscribed"},
            500,
        ),
        (
            "netsuite",
            NetSuiteEmulator(),
            netsuite,
            ObjectSpec(
                "customer",
                ("id", "lastmodifieddate", "externalid", "companyname", "email"),
                "id",
                "lastmodifieddate",
                "externalid",
            ),
            lambda i: {"companyname": f"Bench {i}", "email": f"bench{i}@example.com"},
            1,
        ),
        (
            "bamboohr",
            BambooHREmulator(),
            bamboohr,
            ObjectSpec(
                "employees",
                ("id", "lastChanged", "customHubId", "firstName", "lastName", "workEmail"),
                "id",
                "lastChanged",
                "customHubId",
            ),
            lambda i: {"firstName": "Bench", "lastName": f"Person {i}", "workEmail": f"bench{i}@example.com"},
            1,
        ),
    ]


def local_cases(
    folder: Path,
) -> list[tuple[str, Connector, ObjectSpec, Callable[[int], dict[str, Any]], int]]:
    """Connectors without an emulator: a SQLite table and a CSV file in `folder`."""
    import sqlalchemy as sa

    database = folder / "bench.sqlite"
    engine = sa.create_engine(f"sqlite:///{database}")
    sa.Table(
        "people",
        metadata := sa.MetaData(),
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("updated_at", sa.DateTime),
        sa.Column("hub_id", sa.String(64), unique=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("email", sa.String(200)),
    )
    metadata.create_all(engine)
    engine.dispose()
    sql = SQLConnector(
        parse_connection("sql_default", json.dumps({"extra": {"url": f"sqlite:///{database}"}}))
    )
    files = FilesConnector(parse_connection("files_default", json.dumps({"host": str(folder)})))
    fields = ("id", "updated_at", "hub_id", "name", "email")
    return [
        (
            "sql",
            sql,
            ObjectSpec("people", fields, "id", "updated_at", "hub_id"),
            _person,
            SQLConnector.max_batch,
        ),
        (
            "files",
            files,
            ObjectSpec("people.csv", fields, "id", None, "hub_id"),
            _person,
            FilesConnector.max_batch,
        ),
    ]


def _person(i: int) -> dict[str, Any]:
    return {"name": f"Bench {i}", "email": f"bench{i}@example.com"}


def polls(app: Any) -> int:
    """Job-status polls an emulator answered (Zendesk's asynchronous writes)."""
    return sum(n for route, n in app.stats.items() if "job_statuses" in route)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=1000)
    args = parser.parse_args()
    n = args.records
    verdicts: list[bool] = []
    print(f"{n:,} records written, then the same {n:,} again (a replayed run); calls include logins")
    print(f"{'system':<12}{'ceiling':>8}{'minimum':>9}{'first run':>11}{'replay':>8}  target")
    with tempfile.TemporaryDirectory(prefix="hub-api-calls-") as tmp:
        for system, app, build, obj, values, ceiling in cases(Path(tmp) / "tls"):
            tls = ensure_tls_files(Path(tmp) / "tls") if app.needs_tls else None
            with EmulatorServer(app, tls=tls) as server:
                connector = build(app, server)
                ops = [WriteOp(str(uuid.uuid4()), values(i)) for i in range(n)]
                results = connector.write(obj, ops)
                first, polls_first = connector.calls.total(system), polls(app)
                again = connector.write(obj, ops)
                replay, polls_replay = connector.calls.total(system) - first, polls(app) - polls_first
                connector.close()
            if not all(r.ok for r in results + again):
                raise SystemExit(f"{system}: some writes failed")
            minimum = math.ceil(n / ceiling)
            label, holds = TARGETS.get(system, ("none (reference)", lambda calls, least: True))
            met = holds(first - polls_first, minimum) and holds(replay - polls_replay, minimum)
            verdicts.append(met)
            shown = f"{label}: {'met' if met else 'NOT met'}" if system in TARGETS else label
            if polls_first:
                shown += f" ({first - polls_first} writes + {polls_first} job polls)"
            print(f"{system:<12}{ceiling:>8}{minimum:>9}{first:>11}{replay:>8}  {shown}")
        for system, connector, obj, values, ceiling in local_cases(Path(tmp)):
            ops = [WriteOp(str(uuid.uuid4()), values(i)) for i in range(n)]
            results = connector.write(obj, ops)
            first = connector.calls.total(system)
            again = connector.write(obj, ops)
            replay = connector.calls.total(system) - first
            connector.close()
            if not all(r.ok for r in results + again):
                raise SystemExit(f"{system}: some writes failed")
            unit = "statements" if system == "sql" else "file operations"
            print(f"{system:<12}{ceiling:>8}{math.ceil(n / ceiling):>9}{first:>11}{replay:>8}  none ({unit})")
    print(f"every target met: {all(verdicts)}")


if __name__ == "__main__":
    main()
