"""Rules of the house style that a machine can hold: a name used across modules is public."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("hub", "connectors")


def _modules() -> list[Path]:
    return sorted(p for package in PACKAGES for p in (ROOT / package).rglob("*.py"))


def _ours(module: str | None) -> bool:
    return bool(module) and str(module).split(".")[0] in PACKAGES


def private_imports(source: str, shown: str) -> list[str]:
    """`from hub.x import _y` (or connectors.…), and `module._y` on a module imported from ours."""
    tree = ast.parse(source)
    found, modules = [], set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and _ours(node.module):
            for alias in node.names:
                if alias.name.startswith("_"):
                    found.append(f"{shown}:{node.lineno}: from {node.module} import {alias.name}")
                elif (ROOT / str(node.module).replace(".", "/") / alias.name).exists() or (
                    ROOT / str(node.module).replace(".", "/") / f"{alias.name}.py"
                ).exists():
                    modules.add(alias.asname or alias.name)  # `from hub import airflow`: a module
        elif isinstance(node, ast.Import):
            modules |= {a.asname or a.name for a in node.names if _ours(a.name)}
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Attribute)
            and node.attr.startswith("_")
            and not node.attr.startswith("__")
            and ast.unparse(node.value) in modules
        ):
            found.append(f"{shown}:{node.lineno}: {ast.unparse(node)}")
    return found


def test_no_module_uses_another_modules_private_names() -> None:
    found = [
        line
        for path in _modules()
        for line in private_imports(path.read_text(encoding="utf-8"), str(path.relative_to(ROOT)))
    ]
    assert found == [], "make these names public (no leading underscore):\n" + "\n".join(found)


def test_the_rule_sees_both_forms() -> None:
    source = "import hub.io.http as http\nfrom hub.io.redact import _SECRET_KEYS\nhttp._never_sent\n"
    assert private_imports(source, "sample.py") == [
        "sample.py:2: from hub.io.redact import _SECRET_KEYS",
        "sample.py:3: http._never_sent",
    ]
