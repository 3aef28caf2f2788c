"""The ops console: runs, quarantine triage, reports and alerts, in Airflow's UI (`hub.airflow.plugin`)
or alone (`hub console`). `service` reads and acts, `web` renders and checks, `auth` says who may."""
