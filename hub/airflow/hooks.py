"""Airflow hooks: one declared class per shipped connector, so Airflow's UI has a connection type with
its form (the provider info in `connectors.registry`) and a Test button that logs in.

As Airflow's own provider hooks do, a hook declares its connection type, name and default connection
id as class attributes and builds its client lazily: importing this module imports no connector
module, and only `get_conn()` (the Test button, a task) imports the connector and reads the connection.

    hook = SalesforceHook()                  # connection salesforce_default
    ok, message = hook.test_connection()     # logs in; reads and writes nothing
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

from airflow.sdk import BaseHook
from airflow.sdk.exceptions import AirflowNotFoundException

from hub.errors import ConnectionNotFound
from hub.io.connections import Connection

if TYPE_CHECKING:
    from hub.io.connector import Connector


def airflow_connection(conn_id: str) -> Connection:
    """A connection from Airflow (its Connections, and so any secrets backend), as the hub uses it."""
    try:
        found = BaseHook.get_connection(conn_id)
    except AirflowNotFoundException:
        raise ConnectionNotFound(
            f"connection {conn_id!r} is not defined in Airflow (Admin > Connections, AIRFLOW_CONN_"
            f"{conn_id.upper()}, or a secrets backend)"
        ) from None
    return as_hub_connection(conn_id, found)


def as_hub_connection(conn_id: str, found: Any) -> Connection:
    """An Airflow connection (the Task SDK's or the metadata model's) as the hub uses it."""
    return Connection(
        conn_id,
        found.conn_type,
        found.host,
        found.login,
        found.password,
        found.schema,
        found.port,
        dict(found.extra_dejson or {}),
    )


class OmnihubHook(BaseHook):
    """The hooks' common behaviour: the connector of `system`, built from an Airflow connection."""

    conn_name_attr = "conn_id"
    system: ClassVar[str]
    conn_type: ClassVar[str]
    hook_name: ClassVar[str]
    default_conn_name: ClassVar[str]

    def __init__(self, conn_id: str | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.conn_id = conn_id or self.default_conn_name

    def get_conn(self) -> Connector:
        """The connector, built from the Airflow connection (it touches the network only when used)."""
        from connectors.registry import connector_class

        return connector_class(self.system)(airflow_connection(self.conn_id))

    def test_connection(self) -> tuple[bool, str]:
        """The UI's Test button: log in to the system (no records are read or written)."""
        connector = self.get_conn()
        try:
            return True, connector.check()
        except Exception as exc:  # every failure is the answer the form shows
            return False, f"{type(exc).__name__}: {exc}"
        finally:
            connector.close()


class SalesforceHook(OmnihubHook):
    """Salesforce (REST API through simple-salesforce)."""

    system = "salesforce"
    conn_type = "salesforce"
    hook_name = "Salesforce"
    default_conn_name = "salesforce_default"


class HubSpotHook(OmnihubHook):
    """HubSpot CRM (v3 objects, search and batch APIs)."""

    system = "hubspot"
    conn_type = "hubspot"
    hook_name = "HubSpot"
    default_conn_name = "hubspot_default"


class ZendeskHook(OmnihubHook):
    """Zendesk Support (REST API v2)."""

    system = "zendesk"
    conn_type = "zendesk"
    hook_name = "Zendesk Support"
    default_conn_name = "zendesk_default"


class FreshdeskHook(OmnihubHook):
    """Freshdesk (REST API v2)."""

    system = "freshdesk"
    conn_type = "freshdesk"
    hook_name = "Freshdesk"
    default_conn_name = "freshdesk_default"


class MailchimpHook(OmnihubHook):
    """Mailchimp Marketing (audience members)."""

    system = "mailchimp"
    conn_type = "mailchimp"
    hook_name = "Mailchimp"
    default_conn_name = "mailchimp_default"


class OdooHook(OmnihubHook):
    """Odoo ERP (external JSON-RPC API)."""

    system = "odoo"
    conn_type = "odoo"
    hook_name = "Odoo"
    default_conn_name = "odoo_default"


class NetSuiteHook(OmnihubHook):
    """NetSuite (SuiteTalk REST web services)."""

    system = "netsuite"
    conn_type = "netsuite"
    hook_name = "NetSuite"
    default_conn_name = "netsuite_default"


class BambooHRHook(OmnihubHook):
    """BambooHR (REST API)."""

    system = "bamboohr"
    conn_type = "bamboohr"
    hook_name = "BambooHR"
    default_conn_name = "bamboohr_default"


class SQLHook(OmnihubHook):
    """A SQL database through SQLAlchemy."""

    system = "sql"
    conn_type = "omnihub_sql"
    hook_name = "SQL database"
    default_conn_name = "sql_default"


class FilesHook(OmnihubHook):
    """Files (CSV, JSON Lines) in a folder or any fsspec URL."""

    system = "files"
    conn_type = "omnihub_files"
    hook_name = "Files (CSV, JSON Lines)"
    default_conn_name = "files_default"


HOOKS: tuple[type[OmnihubHook], ...] = (
    SalesforceHook,
    HubSpotHook,
    ZendeskHook,
    FreshdeskHook,
    MailchimpHook,
    OdooHook,
    NetSuiteHook,
    BambooHRHook,
    SQLHook,
    FilesHook,
)
"""Every hook, one per shipped connector (a test holds them to `connectors.registry`)."""
