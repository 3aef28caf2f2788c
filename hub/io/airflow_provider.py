"""Omnihub as an Airflow provider: the `apache_airflow_provider` entry point (pyproject.toml).

Airflow calls `provider_info()` whenever one of its processes starts (the scheduler, the DAG
processor, every task) to learn the connection types and their forms. They are read from
`airflow_provider.json`, written from the connectors' own declarations by
`python -m connectors.registry` (see `connectors.registry.airflow_provider_info`), so that starting
Airflow imports no connector module; a test fails when the file is out of date.
"""

from __future__ import annotations

import json
from importlib.metadata import version
from pathlib import Path
from typing import Any

PROVIDER_FILE = Path(__file__).with_name("airflow_provider.json")


def provider_info() -> dict[str, Any]:
    """The provider's name, version and connection types, as Airflow's provider manager reads them."""
    info: dict[str, Any] = json.loads(PROVIDER_FILE.read_text(encoding="utf-8"))
    return {**info, "versions": [version("omnihub")]}
