"""The library Omnihub ships: canonical schemas, mappings and syncs that a project uses by name.

An installed Omnihub carries them as package data (`hub/_library/`, put there by `setup.py` when the
wheel is built); a source checkout uses its own `schemas/` and `mappings/`, which are the library's
sources.
"""

from __future__ import annotations

from functools import cache
from importlib.metadata import PackageNotFoundError
from importlib.metadata import version as _distribution_version
from pathlib import Path

from hub.errors import ConfigError

PACKAGED = Path(__file__).parent / "_library"
SOURCE = Path(__file__).resolve().parents[1]


@cache
def root() -> Path:
    """The folder holding the library's `schemas/` and `mappings/`."""
    for candidate in (PACKAGED, SOURCE):
        if (candidate / "schemas").is_dir() and (candidate / "mappings").is_dir():
            return candidate.resolve()
    raise ConfigError(
        f"this Omnihub installation has no library (neither {PACKAGED} nor {SOURCE / 'schemas'} exists); "
        "reinstall it: pip install --force-reinstall omnihub"
    )


def version() -> str:
    """Omnihub's version, as the installed distribution names it."""
    try:
        return _distribution_version("omnihub")
    except PackageNotFoundError:  # a source tree on sys.path, not installed
        return "0+unknown"
