"""`hub init DIR`: a new project of a team's own, over the library Omnihub ships.

It writes omnihub.yaml (format, name, the library syncs it starts with), mappings/, syncs/ and
schemas/ with a note on what goes in each, dags/omnihub.py for Airflow, .env.example with the
connection variables its syncs need, a README, a CI example that runs `hub validate`, and a
.gitignore. Nothing is overwritten: a folder that already holds any of these files is refused.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from hub.errors import ConfigError
from hub.project.projectfile import FORMAT, NAME, PROJECT_FILE

STARTER_SYNCS = ("crm_accounts_to_erp", "crm_contacts_to_erp")
"""What a new project runs until it says otherwise: the README's sandbox walk-through."""


def project_name(folder: Path) -> str:
    """A project name from a folder's name (letters, digits, '_', '.', '-')."""
    name = re.sub(r"[^A-Za-z0-9_.-]+", "-", folder.resolve().name).strip("-._")
    return name if name and NAME.fullmatch(name) else "omnihub-project"


def init_project(folder: Path, name: str | None = None, syncs: Iterable[str] = STARTER_SYNCS) -> list[Path]:
    """Write a new project into `folder` (made when missing); the files written, in order."""
    from hub.project.loading import Project

    library = Project.load(_library_root())
    chosen = list(dict.fromkeys(syncs))
    unknown = [s for s in chosen if s not in library.syncs]
    if unknown:
        known = ", ".join(sorted(library.syncs))
        raise ConfigError(f"--syncs: the library has no sync {', '.join(map(repr, unknown))}; it has {known}")
    name = name or project_name(folder)
    if not NAME.fullmatch(name):
        raise ConfigError(f"--name {name!r}: a project name is letters, digits, '_', '.' and '-'")
    files = {
        PROJECT_FILE: _project_file(name, chosen, library),
        "README.md": README.format(name=name, syncs=", ".join(f"`{s}`" for s in chosen) or "none yet"),
        "mappings/README.md": MAPPINGS_NOTE,
        "syncs/README.md": SYNCS_NOTE,
        "schemas/README.md": SCHEMAS_NOTE,
        "dags/omnihub.py": DAGS_FILE,
        ".env.example": _env_example(chosen, library),
        ".github/workflows/omnihub.yml": CI_EXAMPLE,
        ".gitignore": ".hub/\n.env\n__pycache__/\n",
    }
    taken = [rel for rel in files if (folder / rel).exists()]
    if taken:
        raise ConfigError(
            f"{folder} already holds {', '.join(taken)}; hub init writes a new project and overwrites "
            "nothing: choose an empty folder"
        )
    written = []
    try:
        for rel, text in files.items():
            path = folder / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
            written.append(path)
    except OSError as exc:
        raise ConfigError(f"cannot write the project into {folder}: {exc.strerror or exc}") from None
    return written


def _library_root() -> Path:
    from hub import library

    return library.root()


def _project_file(name: str, syncs: list[str], library: Any) -> str:
    listed = "\n".join(f"    - {s}" for s in syncs) if syncs else "    []"
    offered = "\n".join(
        f"  #   {s:<28} {_summary(library.syncs[s].description)}" for s in sorted(library.syncs)
    )
    return f"""# The Omnihub project file. `hub validate` checks it with everything else in the project.
format: {FORMAT}                # the project format this file is written in (CHANGELOG.md: 'Project format')
name: {name}
# Where runs, cursors and cross-references are kept. Default: SQLite in .hub/state.db under this folder;
# --state-url and HUB_STATE_URL override it. For several workers use PostgreSQL:
# state: postgresql+psycopg://hub@db.internal:5432/hub

library:
  # The library's mappings this project's syncs may name (mappings: <system>/<name>): all, none, or a list.
  # A file of the project's at mappings/<system>/<name>.yaml replaces the library's.
  mappings: all
  # The library's syncs this project runs, each an Airflow DAG (a sync of the project's in syncs/ with
  # the same name replaces the library's). The library has:
{offered}
  syncs:
{listed}
"""


def _summary(description: str) -> str:
    text = " ".join(description.split())
    return text if len(text) <= 70 else text[:69].rstrip() + "…"


def _env_example(syncs: list[str], library: Any) -> str:
    from hub.io.connections import ENV_PREFIX

    provider = _provider_info()
    lines = [
        "# The connections this project's syncs use, as Airflow reads them (AIRFLOW_CONN_<ID> holding the",
        "# connection as JSON). Copy to .env, fill in, and never commit .env. `hub sandbox serve` prints",
        "# lines that reach the local emulators instead.",
    ]
    seen: set[str] = set()
    for sync in syncs:
        spec = library.syncs[sync]
        for endpoint in (spec.source, spec.target):
            if endpoint.connection in seen:
                continue
            seen.add(endpoint.connection)
            kind = provider.get(endpoint.system, {})
            behaviour = kind.get("ui-field-behaviour", {})
            labels = behaviour.get("relabeling", {})
            hidden = set(behaviour.get("hidden-fields", []))
            placeholders = behaviour.get("placeholders", {})
            shown = {
                field: _value(placeholders.get(field, ""))
                for field in ("host", "schema", "login", "password")
                if field not in hidden
            }
            told = ", ".join(f"{field} = {labels.get(field, field)}" for field in shown)
            body = json.dumps({"conn_type": kind.get("connection-type", endpoint.system), **shown})
            lines += [
                "",
                f"# {kind.get('hook-name', endpoint.system)}: {told}",
                f"{ENV_PREFIX}{endpoint.connection.upper()}='{body}'",
            ]
    return "\n".join(lines) + "\n"


def _value(placeholder: str) -> str:
    """A placeholder as an example value: its first word ('https://x (or y)' -> 'https://x')."""
    return placeholder.split(" ")[0] if placeholder else ""


def _provider_info() -> dict[str, dict[str, Any]]:
    from hub.io.airflow_provider import provider_info

    return {kind["connection-type"]: kind for kind in provider_info().get("connection-types", [])}


README = """# {name}

An [Omnihub](https://pypi.org/project/omnihub/) project: which records sync between which systems, as
YAML reviewed like code. It runs the library syncs {syncs} (`omnihub.yaml`), and whatever you add.

```sh
pip install "omnihub[airflow]"     # once, in this project's virtual environment
hub validate                       # every file checked; problems as path:line:column: message
hub sandbox serve > .hub/sandbox.env &   # local emulators of every system, seeded (Ctrl-C stops them)
sleep 6 && . .hub/sandbox.env      # the AIRFLOW_CONN_* lines that reach them
hub plan crm_contacts_to_erp       # what would happen; writes nothing
hub sync crm_contacts_to_erp       # run it
hub reconcile crm_contacts_to_erp  # where both systems disagree, field by field
```

| folder | holds |
|---|---|
| `omnihub.yaml` | the project's name, format, state store, and the library mappings and syncs it uses |
| `mappings/<system>/<name>.yaml` | your mappings; one with a library mapping's name replaces it |
| `syncs/<name>.yaml` | your syncs (each one an Airflow DAG `sync__<name>`) |
| `schemas/<entity>.yaml` | fields your systems carry that the canonical model lacks (`hub schemas ENTITY`) |
| `dags/omnihub.py` | the DAGs, for Airflow's DAGs folder |
| `.env.example` | the connections, as Airflow reads them from the environment |

## In your Airflow
Install `omnihub[airflow]` in the Airflow image, mount this folder, point the DAGs folder (or a DAG bundle)
at its `dags/`, and set `HUB_PROJECT` to this folder when `dags/` is not directly inside it. Each sync is
a DAG `sync__<name>`; each sync with a `reconcile:` section also gets `reconcile__<name>`.
"""

MAPPINGS_NOTE = """# mappings/

One folder per system, one file per object: `mappings/salesforce/account.yaml` maps Salesforce's Account
to the canonical `account`. A file here with the name of a library mapping replaces it; `hub validate`
says which definition each sync uses and where it is (`hub validate --origins`).
"""

SYNCS_NOTE = """# syncs/

One file per sync: `syncs/<name>.yaml` names the entity, a source and a target (system, connection and
mapping), the mode and, optionally, `reconcile:`. Each becomes an Airflow DAG. A file here with the name of
a library sync replaces it.
"""

SCHEMAS_NOTE = """# schemas/

The canonical models come from Omnihub's library (`hub schemas`). To carry a field the model lacks,
extend the entity in `schemas/<entity>.yaml` without copying it:

    # schemas/account.yaml
    properties:
      industry_segment:
        type: [string, "null"]
        maxLength: 80
        description: Salesforce's Industry_Segment__c

`hub schemas account` shows the merged model, each field with where it comes from. A new entity of your
own is a whole JSON Schema in `schemas/<entity>.schema.json`.
"""

DAGS_FILE = '''"""This project's Omnihub DAGs: `sync__<name>` per sync, `reconcile__<name>` per sync that
reconciles.

The project is the folder above this one, or HUB_PROJECT. Adding a sync adds its DAGs; nothing here needs
editing.
"""

from __future__ import annotations

import os
from pathlib import Path

from hub.airflow import build_dags

PROJECT = Path(os.environ.get("HUB_PROJECT") or Path(__file__).resolve().parent.parent)

globals().update(build_dags(PROJECT))
'''

CI_EXAMPLE = """# Checks every change to the project: every schema, mapping and sync, as `hub validate` does.
name: omnihub
on: [push, pull_request]
jobs:
  validate:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - uses: actions/setup-python@v5
        with:
          python-version: "3.11"
      - run: pip install omnihub
      - run: hub validate
"""
