"""Omnihub's DAGs: `sync__<name>` for every mappings/syncs/<name>.yaml, `reconcile__<name>` for each
sync with a `reconcile:` section. Adding a YAML file adds its DAGs; nothing here needs editing.

The project is the folder above this one, or HUB_PROJECT.
"""

from __future__ import annotations

import os
from pathlib import Path

from hub.airflow import build_dags

PROJECT = Path(os.environ.get("HUB_PROJECT") or Path(__file__).resolve().parent.parent)

globals().update(build_dags(PROJECT))
