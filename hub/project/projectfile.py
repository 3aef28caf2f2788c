"""`omnihub.yaml`: a project's own file — its name, the project format it is written in, its state
store, and which of the library's mappings and syncs it uses.

    format: 1                  # the project format (see FORMATS); required
    name: acme-integrations    # required
    state: postgresql+psycopg://hub@db/hub   # optional; --state-url and HUB_STATE_URL override it
    library:                   # optional; nothing of the library's mappings and syncs by default
      mappings: all            # `all`, `none`, or a list of keys: [salesforce/account, odoo/account]
      syncs: [crm_accounts_to_erp]   # the library syncs the project runs; their mappings come along
    alerts:                    # optional: where Airflow sends drift alerts (hub.airflow.notifiers)
      notifiers:               # any Airflow notifier class, with its arguments (templated: {{ alert.* }})
        - class: hub.airflow.notifiers.WebhookNotifier
          with: {conn_id: ops_webhook}

Every mistake is a located `Problem`; nothing here raises for a user's file.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from hub.errors import Problem
from hub.project.hints import suggest
from hub.project.yamldoc import Document

PROJECT_FILE = "omnihub.yaml"
FORMAT = 1
"""The project format this Omnihub reads and `hub init` writes."""
FORMATS = {
    1: "omnihub.yaml with format, name, state and library; mappings/, syncs/, schemas/ (own entities and "
    "extensions of the library's)",
}
"""Every project format there has been, and what it introduced (CHANGELOG.md, 'Project format')."""
KEYS = ("format", "name", "description", "state", "library", "alerts")
DOTTED = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)+")
LIBRARY_KEYS = ("mappings", "syncs")
NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]*")


@dataclass(frozen=True)
class Selection:
    """Which of the library's mappings (or syncs) a project uses: all, or these names."""

    everything: bool = False
    names: tuple[str, ...] = ()
    where: dict[str, tuple[Any, ...]] = field(default_factory=dict, compare=False)  # name -> its path

    def __contains__(self, name: object) -> bool:
        return self.everything or name in self.names


@dataclass(frozen=True)
class NotifierSpec:
    """An Airflow notifier drift alerts go through: its class (a dotted path) and keyword arguments."""

    cls: str
    args: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class ProjectFile:
    """A project's `omnihub.yaml`, as read."""

    doc: Document
    name: str
    format: int
    state: str | None = None
    description: str = ""
    mappings: Selection = Selection()
    syncs: Selection = Selection()
    notifiers: tuple[NotifierSpec, ...] = ()


def read_project_file(doc: Document, version: str) -> tuple[ProjectFile | None, list[Problem]]:
    """The project file in `doc`, or None with the problems that stop it from being read."""
    data = doc.data
    if not isinstance(data, dict):
        return None, [
            doc.problem([], "omnihub.yaml holds a mapping: format, name, and optionally state and library")
        ]
    problems = [
        doc.problem([key], f"unknown key {key!r}{suggest(key, KEYS)}; known: {', '.join(KEYS)}", key=True)
        for key in data
        if key not in KEYS
    ]
    if (problem := _format_problem(doc, data.get("format"), version)) is not None:
        return None, [*problems, problem]  # another format: nothing more in it can be judged
    name = data.get("name")
    if not isinstance(name, str) or not NAME.fullmatch(name):
        problems.append(
            doc.problem(
                ["name"] if "name" in data else [],
                "name must be the project's name: letters, digits, '_', '.' and '-' "
                "(e.g. name: acme-integrations)",
            )
        )
    state = data.get("state")
    if state is not None and (not isinstance(state, str) or not state.strip()):
        problems.append(doc.problem(["state"], "state is a database URL (e.g. sqlite:///.hub/state.db)"))
    description = data.get("description", "")
    if not isinstance(description, str):
        problems.append(doc.problem(["description"], "description is text"))
    library = data.get("library", {})
    selections = {key: Selection() for key in LIBRARY_KEYS}
    if not isinstance(library, dict):
        problems.append(doc.problem(["library"], "library is a mapping with `mappings:` and `syncs:`"))
    else:
        for key in library:
            if key not in LIBRARY_KEYS:
                problems.append(
                    doc.problem(["library", key], f"unknown key {key!r}; known: mappings, syncs", key=True)
                )
        for key in LIBRARY_KEYS:
            if key in library:
                selection, found = _selection(doc, ["library", key], library[key])
                selections[key] = selection
                problems += found
    notifiers, found = _notifiers(doc, data.get("alerts"))
    problems += found
    if problems:
        return None, problems
    assert isinstance(name, str)
    return ProjectFile(
        doc,
        name,
        FORMAT,
        state.strip() if isinstance(state, str) else None,
        str(description),
        selections["mappings"],
        selections["syncs"],
        notifiers,
    ), []


def _notifiers(doc: Document, alerts: Any) -> tuple[tuple[NotifierSpec, ...], list[Problem]]:
    """`alerts: {notifiers: [{class: dotted.Path, with: {...}}]}`, checked for shape (the classes are
    imported where they are used: in Airflow's workers)."""
    if alerts is None:
        return (), []
    shape = "alerts: {notifiers: [{class: hub.airflow.notifiers.WebhookNotifier, with: {conn_id: ops}}]}"
    if not isinstance(alerts, dict) or set(alerts) - {"notifiers"}:
        return (), [doc.problem(["alerts"], shape)]
    listed = alerts.get("notifiers") or []
    if not isinstance(listed, list):
        return (), [doc.problem(["alerts", "notifiers"], shape)]
    found: list[NotifierSpec] = []
    problems: list[Problem] = []
    for index, entry in enumerate(listed):
        at: list[str | int] = ["alerts", "notifiers", index]
        if not isinstance(entry, dict) or "class" not in entry or set(entry) - {"class", "with"}:
            problems.append(
                doc.problem(at, "a notifier is {class: dotted.path.Notifier, with: {its arguments}}")
            )
            continue
        cls, args = entry["class"], entry.get("with") or {}
        wrong = []
        if not isinstance(cls, str) or not DOTTED.fullmatch(cls):
            wrong.append(doc.problem([*at, "class"], "class is a dotted path: module.path.ClassName"))
        if not isinstance(args, dict):
            wrong.append(doc.problem([*at, "with"], "with holds the notifier's keyword arguments"))
        problems += wrong
        if not wrong:  # each entry judged on its own
            found.append(NotifierSpec(cls, dict(args)))
    return tuple(found), problems


def _format_problem(doc: Document, value: Any, version: str) -> Problem | None:
    if value == FORMAT and type(value) is int:
        return None
    if value is None:
        return doc.problem(
            [], f"no `format:`; add `format: {FORMAT}`, the project format Omnihub {version} reads"
        )
    if type(value) is not int:
        return doc.problem(
            ["format"], f"format is a whole number; this Omnihub ({version}) reads format {FORMAT}"
        )
    if value > FORMAT:
        return doc.problem(
            ["format"],
            f"format {value} is newer than this Omnihub ({version}) reads (format {FORMAT}); upgrade Omnihub "
            f"(pip install --upgrade omnihub) or write the project in format {FORMAT}",
        )
    return doc.problem(
        ["format"],
        f"format {value} is older than any this Omnihub ({version}) reads; move the project to format "
        f"{FORMAT} ({FORMATS[FORMAT]}; CHANGELOG.md, 'Project format') and write `format: {FORMAT}`",
    )


def _selection(doc: Document, where: list[Any], value: Any) -> tuple[Selection, list[Problem]]:
    if value == "all":
        return Selection(everything=True), []
    if value == "none" or value is None:
        return Selection(), []
    if not isinstance(value, list):
        return Selection(), [doc.problem(where, f"{where[-1]} is `all`, `none` or a list of names")]
    problems = [
        doc.problem([*where, i], f"a name, not {type(item).__name__}")
        for i, item in enumerate(value)
        if not isinstance(item, str)
    ]
    names = [item for item in value if isinstance(item, str)]
    return Selection(
        False, tuple(names), {n: (*where, i) for i, n in enumerate(value) if isinstance(n, str)}
    ), problems


def project_file(root: Path) -> Path | None:
    """The project file under `root`, when there is one."""
    path = root / PROJECT_FILE
    return path if path.exists() else None


def project_state(root: Path) -> str | None:
    """omnihub.yaml's `state:` (a relative SQLite path in it taken from the project's root), or None
    when there is none or the file cannot be read (`hub validate` says why)."""
    from hub.errors import ConfigError
    from hub.project.yamldoc import load_document

    path = root / PROJECT_FILE
    if not path.is_file():
        return None
    try:
        settings, _ = read_project_file(load_document(path, PROJECT_FILE), "")
    except ConfigError:
        return None
    if settings is None or settings.state is None:
        return None
    url = settings.state
    for prefix in ("sqlite:///", "sqlite+pysqlite:///"):
        rest = url.removeprefix(prefix)
        if rest != url and rest and not rest.startswith(("/", ":memory:", "file:")):
            return prefix + str(root / rest)
    return url
