"""Airflow: DAGs generated from the project's syncs, connections from Airflow, hooks for its UI.

The only package of the engine that imports Airflow; `dags/omnihub.py` and Airflow itself (for the
hooks named in the provider info) import it:

    hub.airflow.dags    build_dags: one DAG per sync and per reconciliation, parsed offline
    hub.airflow.tasks   the tasks' callables, which run the engine
    hub.airflow.hooks   one declared hook per connector (connection forms, the Test button)
    hub.airflow.stack   Airflow's processes for `hub airflow` and the tests

Importing it loads no connector module: the hooks import their connector only when they connect.
"""

from __future__ import annotations

from hub.airflow.dags import build_dags, identity_dag, reconcile_dag, sync_dag
from hub.airflow.hooks import (
    HOOKS,
    BambooHRHook,
    FilesHook,
    FreshdeskHook,
    HubSpotHook,
    MailchimpHook,
    NetSuiteHook,
    OdooHook,
    OmnihubHook,
    SalesforceHook,
    SQLHook,
    ZendeskHook,
    airflow_connection,
)
from hub.airflow.tasks import run_compare, run_identity, run_reconcile, run_spill, run_sync

__all__ = [
    "HOOKS",
    "BambooHRHook",
    "FilesHook",
    "FreshdeskHook",
    "HubSpotHook",
    "MailchimpHook",
    "NetSuiteHook",
    "OdooHook",
    "OmnihubHook",
    "SQLHook",
    "SalesforceHook",
    "ZendeskHook",
    "airflow_connection",
    "build_dags",
    "identity_dag",
    "reconcile_dag",
    "run_compare",
    "run_identity",
    "run_reconcile",
    "run_spill",
    "run_sync",
    "sync_dag",
]
