"""Drift alerts through Airflow's notifiers: whatever the deployment configured in `omnihub.yaml`
(`alerts: notifiers:`), e-mail (`airflow.providers.smtp.notifications.smtp.SmtpNotifier`), Slack, or the
webhook here. Each alert is sent through each notifier, made anew for it with the configured arguments;
Airflow renders their templated fields with the task's context and `alert` (its sync, run_id, metric,
value, median, deviation, baseline, runs and message): `text: "{{ alert.sync }}: {{ alert.message }}"`.
An alert that cannot be sent is logged; it never fails the run it is about (`hub alerts` keeps it)."""

from __future__ import annotations

import importlib
import json
import logging
from collections.abc import Mapping, Sequence
from typing import Any

from airflow.sdk import BaseNotifier

from hub.project.projectfile import NotifierSpec

log = logging.getLogger("hub.alerts")


class WebhookNotifier(BaseNotifier):
    """POSTs each alert as JSON (`{"alert": {...}, "dag_id": ..., "run_id": ...}`) to the URL an Airflow
    connection names: its host (a whole URL, or a host name with `schema` and `port`), `login` and
    `password` as basic authentication, `extra.headers` added to the request."""

    template_fields = ("conn_id",)

    def __init__(self, conn_id: str, timeout: float = 10.0) -> None:
        super().__init__()
        self.conn_id, self.timeout = conn_id, timeout

    def notify(self, context: Mapping[str, Any]) -> None:
        import requests

        from hub.io.connections import get_connection

        conn = get_connection(self.conn_id)
        host = conn.host or ""
        url = (
            host
            if "://" in host
            else f"{conn.schema or 'https'}://{host}{f':{conn.port}' if conn.port else ''}"
        )
        dag = context.get("dag")
        body = {
            "alert": context.get("alert"),
            "dag_id": getattr(dag, "dag_id", None),
            "run_id": context.get("run_id"),
        }
        auth = (conn.login, conn.password or "") if conn.login else None
        headers = {"Content-Type": "application/json", **(conn.extra.get("headers") or {})}
        answer = requests.post(
            url, data=json.dumps(body, default=str), headers=headers, auth=auth, timeout=self.timeout
        )
        answer.raise_for_status()


def send_alerts(
    notifiers: Sequence[NotifierSpec], alerts: Sequence[Mapping[str, Any]], context: Mapping[str, Any]
) -> int:
    """Send every alert through every notifier; returns how many were sent (failures are logged)."""
    sent = 0
    for spec in notifiers:
        try:
            module, _, name = spec.cls.rpartition(".")
            cls = getattr(importlib.import_module(module), name)
        except (ImportError, AttributeError) as exc:
            log.error("alert notifier %s cannot be loaded: %s", spec.cls, exc)
            continue
        for alert in alerts:
            try:
                cls(**spec.args)({**context, "alert": dict(alert)})
                sent += 1
            except Exception as exc:  # the run it is about has succeeded or failed on its own
                log.error("alert for %s not sent through %s: %s", alert.get("sync"), spec.cls, exc)
    return sent


def current_context() -> dict[str, Any]:
    """The running task's context (empty outside a task)."""
    try:
        from airflow.sdk import get_current_context

        return dict(get_current_context())
    except Exception:  # outside a running task: the alert still says what drifted
        return {}
