"""Emulators for tests: the sandbox started small, its connections in the environment of the test."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from connectors.emulators.sandbox import Sandbox


def start_sandbox(
    folder: Path,
    monkeypatch: pytest.MonkeyPatch,
    *,
    accounts: int = 100,
    contacts: int = 400,
    seed: int = 5,
    fast_retries: bool = True,
    back_office: dict[str, int] | None = None,
    **options: Any,
) -> Sandbox:
    """Both emulators, seeded; AIRFLOW_CONN_* set for the test (retries quick, for fault tests)."""
    # Odoo's departments (for the HR syncs), and what `back_office` adds (orders, customers, ...).
    scale = {"accounts": accounts, "contacts": contacts, "departments": 8, **(back_office or {})}
    sandbox = Sandbox.start(folder=folder, scale=scale, seed=seed, **options)
    for name, value in sandbox.environment().items():
        spec = json.loads(value)
        if fast_retries:
            spec.setdefault("extra", {}).update({"retry_base_delay": 0.01, "retry_max_delay": 0.05})
        monkeypatch.setenv(name, json.dumps(spec))
    return sandbox
