"""Drift alerts through Airflow's notifiers: configured in omnihub.yaml, templated with the alert,
a webhook that posts it, and a notifier that fails without failing anything else."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from typing import Any, ClassVar

import pytest
from airflow.sdk import BaseNotifier
from typer.testing import CliRunner

from hub.airflow.notifiers import send_alerts
from hub.airflow.tasks import notify
from hub.cli import app
from hub.project.loading import Project
from hub.project.projectfile import NotifierSpec

ALERT = {"sync": "crm_to_erp", "run_id": "r-7", "metric": "read", "value": 0.0, "message": "read nothing"}


class Recorder(BaseNotifier):
    """A notifier as a deployment would configure one: a templated text, sent somewhere."""

    template_fields = ("text",)
    sent: ClassVar[list[str]] = []

    def __init__(self, text: str) -> None:
        super().__init__()
        self.text = text

    def notify(self, context: Any) -> None:
        Recorder.sent.append(self.text)


class Broken(BaseNotifier):
    def notify(self, context: Any) -> None:
        raise RuntimeError("the mail server is down")


@pytest.fixture(autouse=True)
def empty() -> None:
    Recorder.sent.clear()


def project_with(tmp_path: Path, alerts: str) -> Path:
    root = tmp_path / "p"
    assert CliRunner().invoke(app, ["init", str(root), "--syncs", ""]).exit_code == 0
    with (root / "omnihub.yaml").open("a") as file:
        file.write(alerts)
    return root


def test_each_alert_goes_through_each_configured_notifier_rendered_with_it(tmp_path: Path) -> None:
    root = project_with(
        tmp_path,
        "alerts:\n  notifiers:\n"
        f"    - class: {__name__}.Recorder\n"
        "      with: {text: 'Omnihub: {{ alert.sync }} {{ alert.message }}'}\n",
    )
    project = Project.load(root)
    assert project.problems == [] and project.settings is not None
    assert notify(project, [ALERT, {**ALERT, "message": "quarantined 300"}]) == 2
    assert Recorder.sent == ["Omnihub: crm_to_erp read nothing", "Omnihub: crm_to_erp quarantined 300"]
    assert notify(project, []) == 0


def test_a_notifier_that_fails_or_cannot_be_found_is_logged_and_the_others_still_send(
    caplog: pytest.LogCaptureFixture,
) -> None:
    specs = [
        NotifierSpec(f"{__name__}.Broken"),
        NotifierSpec("no_such_module.Notifier"),
        NotifierSpec(f"{__name__}.Recorder", {"text": "{{ alert.metric }}"}),
    ]
    assert send_alerts(specs, [ALERT], {}) == 1 and Recorder.sent == ["read"]
    assert (
        "the mail server is down" in caplog.text and "no_such_module.Notifier cannot be loaded" in caplog.text
    )


@pytest.mark.parametrize(
    ("alerts", "expected"),
    [
        ("alerts: [slack]\n", "alerts: {notifiers:"),
        ("alerts:\n  notifiers:\n    - {klass: x.Y}\n", "a notifier is {class: dotted.path.Notifier"),
        ("alerts:\n  notifiers:\n    - {class: Notifier}\n", "class is a dotted path"),
        (
            "alerts:\n  notifiers:\n    - {class: a.B, with: [1]}\n",
            "with holds the notifier's keyword arguments",
        ),
    ],
)
def test_a_wrong_alerts_setting_is_located(tmp_path: Path, alerts: str, expected: str) -> None:
    root = project_with(tmp_path, alerts)
    result = CliRunner().invoke(app, ["validate", "--project", str(root)])
    assert result.exit_code == 2 and "omnihub.yaml:" in result.output and expected in result.output


@pytest.fixture
def webhook() -> Iterator[tuple[str, list[dict[str, Any]]]]:
    received: list[dict[str, Any]] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"]))
            received.append(
                {
                    "body": json.loads(body),
                    "auth": self.headers.get("Authorization"),
                    "x": self.headers.get("X-Team"),
                }
            )
            self.send_response(204)
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            pass

    server = HTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/hooks/omnihub", received
    server.shutdown()


def test_the_webhook_posts_the_alert_to_its_connection(
    webhook: tuple[str, list[dict[str, Any]]], monkeypatch: pytest.MonkeyPatch
) -> None:
    url, received = webhook
    connection = {
        "conn_type": "http",
        "host": url,
        "login": "ops",
        "password": "s3cret",
        "extra": {"headers": {"X-Team": "integrations"}},
    }
    monkeypatch.setenv("AIRFLOW_CONN_OPS_WEBHOOK", json.dumps(connection))
    sent = send_alerts(
        [NotifierSpec("hub.airflow.notifiers.WebhookNotifier", {"conn_id": "ops_webhook"})],
        [ALERT],
        {"run_id": "manual__1"},
    )
    assert sent == 1
    (got,) = received
    assert got["body"] == {"alert": ALERT, "dag_id": None, "run_id": "manual__1"}
    assert got["auth"].startswith("Basic ") and got["x"] == "integrations"
