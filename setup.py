"""Puts the library (the canonical schemas and the shipped mappings and syncs, kept at the top of the
source tree where a checkout uses them) into the wheel as `hub/_library/`, where an installed Omnihub
finds them (`hub.library.root`). Everything else about the build is in pyproject.toml."""

from __future__ import annotations

import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

LIBRARY = ("schemas", "mappings")
HERE = Path(__file__).resolve().parent


class BuildWithLibrary(build_py):  # type: ignore[misc]
    """build_py, then the library's files copied under the built `hub` package."""

    def run(self) -> None:
        super().run()
        if self.editable_mode:  # an editable install reads the checkout's own folders
            return
        target = Path(self.build_lib) / "hub" / "_library"
        for folder in LIBRARY:
            shutil.rmtree(target / folder, ignore_errors=True)
            shutil.copytree(
                HERE / folder,
                target / folder,
                ignore=shutil.ignore_patterns(".*", "__pycache__"),
            )


setup(cmdclass={"build_py": BuildWithLibrary})
