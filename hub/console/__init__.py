"""The ops console: runs, quarantine triage, reports and alerts, in Airflow's UI (`hub.airflow.plugin`)
or alone (`hub console`). `service` reads and acts, `web` renders and checks, `auth` says who may."""

from hub.errors import HubError


class ActionRefused(HubError):
    """An action the console will not take: bad input, or nothing it applies to (a 4xx to the browser)."""
