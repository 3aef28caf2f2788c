"""The ops console inside Airflow's UI: a FastAPI app that Airflow's API server serves at /omnihub/,
and an entry in the UI's navigation that shows it (Airflow 3's `fastapi_apps` and `external_views`).

Airflow finds the plugin through the `airflow.plugins` entry point of this package, so installing
Omnihub beside Airflow is all it takes. Users log in to Airflow as ever; the console asks Airflow's
auth manager what each may do (`hub.console.auth.AirflowAuthority`): reading DAGs lets one look,
editing DAGs lets one act. The project is HUB_PROJECT, else the folder above Airflow's DAGs folder;
its state store and connections are the ones its tasks use.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

from airflow.plugins_manager import AirflowPlugin

from hub.console.auth import AirflowAuthority
from hub.console.web import create_app

if TYPE_CHECKING:
    from hub.console.service import ConsoleService
    from hub.engine.sync import SyncEngine
    from hub.io.connections import Connection

PREFIX = "/omnihub"


def project_root() -> Path:
    from airflow.configuration import conf

    configured = os.environ.get("HUB_PROJECT")
    return Path(configured) if configured else Path(conf.get("core", "dags_folder")).resolve().parent


def server_connection(conn_id: str) -> Connection:
    """A connection from Airflow's metadata database or secrets backends, as the API server reads them
    (outside a task, where the Task SDK's lookup is not available)."""
    from airflow.models.connection import Connection as AirflowConnection
    from airflow.sdk.exceptions import AirflowNotFoundException

    from hub.airflow.hooks import as_hub_connection
    from hub.errors import ConnectionNotFound

    try:
        found = AirflowConnection.get_connection_from_secrets(conn_id)
    except AirflowNotFoundException:
        raise ConnectionNotFound(f"connection {conn_id!r} is not defined in Airflow") from None
    return as_hub_connection(conn_id, found)


def console_service() -> ConsoleService:
    """The console's service over the project Airflow runs (made on the console's first request)."""
    from airflow.configuration import conf

    from hub.console.service import ConsoleService
    from hub.io.connections import set_resolver
    from hub.project.loading import Project
    from hub.project.projectfile import project_state
    from hub.report import reports_folder
    from hub.state import StateStore
    from hub.state.database import STATE_SETTING

    root = project_root()
    project = Project.load(root)
    configured = None if os.environ.get(STATE_SETTING) else project_state(project.root)
    store = StateStore.open(project.root, configured)

    def engine_for(sync: str) -> SyncEngine:
        from hub.airflow.tasks import engine_for as task_engine

        engine = task_engine(str(root), sync)
        set_resolver(server_connection)  # after engine_for set the tasks' resolver
        return engine

    base = conf.get("api", "base_url", fallback="") or ""
    return ConsoleService(project, store, engine_for, reports_folder(project.root), airflow_url=base or None)


console_app = create_app(console_service, AirflowAuthority())


class OmnihubPlugin(AirflowPlugin):
    name = "omnihub"
    fastapi_apps = [{"app": console_app, "url_prefix": PREFIX, "name": "Omnihub console"}]
    external_views = [
        {
            "name": "Omnihub",
            "href": f"{PREFIX}/",
            "destination": "nav",
            "url_route": "omnihub",
        }
    ]
