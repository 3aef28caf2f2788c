"""Each connector declares exactly the mapping options its code reads: an option read but not declared
would be refused by `hub validate`, one declared but never read would be accepted and do nothing."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from connectors.registry import CONNECTORS, connector_class
from connectors.rest import EXAMPLES, declarative_connector

ROOT = Path(__file__).resolve().parents[2]
READ = re.compile(r"""(?:options\.get|_option)\(\s*(?:obj,\s*)?["'](\w+)["']""")
"""How connector code reads an option: `obj.options.get("name")`, or the Files connector's
`self._option(obj, "name")` (the mapping's option, else the connection's extra)."""
BASE = ROOT / "hub" / "io" / "connector.py"


def options_read(*sources: Path) -> set[str]:
    """The option names the Python files under `sources` read."""
    files = [
        f for source in sources for f in ([source] if source.is_file() else sorted(source.rglob("*.py")))
    ]
    return {name for f in files for name in READ.findall(f.read_text(encoding="utf-8"))}


def module_source(system: str) -> Path:
    """The file, or the package folder, of a shipped connector."""
    parts = CONNECTORS[system].partition(":")[0].split(".")
    package = ROOT.joinpath(*parts)
    return package if package.is_dir() else package.with_suffix(".py")


@pytest.mark.parametrize("system", sorted(CONNECTORS))
def test_a_shipped_connector_declares_the_options_it_reads(system: str) -> None:
    declared = set(connector_class(system).options_schema["properties"])
    assert options_read(module_source(system), BASE) == declared


def test_the_declarative_connector_declares_the_options_it_reads() -> None:
    cls = declarative_connector(EXAMPLES / "freshdesk.yaml")
    assert options_read(ROOT / "connectors" / "rest", BASE) == set(cls.options_schema["properties"])


def test_the_scan_sees_both_ways_of_reading_an_option(tmp_path: Path) -> None:
    sample = tmp_path / "sample.py"
    sample.write_text('a = obj.options.get("query")\nb = self._option(obj, "delimiter")\nc = get("x")\n')
    assert options_read(sample) == {"query", "delimiter"}
