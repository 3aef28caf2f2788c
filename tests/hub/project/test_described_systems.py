"""A system described in YAML alone (a project's `systems/*.yaml`, the declarative REST connector) is a
system like the shipped ones: mappings name it, `hub validate` checks it, syncs run against it."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from connectors.emulators.sandbox import Sandbox
from connectors.registry import connector_class
from hub.engine.sync import SyncEngine
from hub.project.checks import check_project
from hub.project.loading import Project
from hub.state import StateStore
from tests.emulated import start_sandbox

ROOT = Path(__file__).resolve().parents[3]
EXAMPLE = ROOT / "connectors" / "rest" / "examples" / "freshdesk.yaml"
MAPPING = """\
system: acme_desk
object: contacts
entity: contact
primary_key: id
cursor_field: updated_at
external_id_field: unique_external_id
fields:
  - canonical: first_name
    system: name
    direction: inbound
    inbound:
      - split: {sep: " ", maxsplit: 1, reverse: true, index: 0}
  - canonical: last_name
    system: name
    direction: inbound
    inbound:
      - split: {sep: " ", maxsplit: 1, reverse: true, index: 1}
  - canonical: email
    system: email
    transforms: [trim, lower]
  - canonical: updated_at
    system: updated_at
    inbound: [datetime]
    direction: inbound
"""
SYNC = """\
entity: contact
source: {system: acme_desk, connection: acme_desk_default, mapping: acme_desk/contact}
target: {system: salesforce, connection: salesforce_default, mapping: salesforce/contact}
mode: upsert
match: [[email]]
conflict:
  owners: {first_name: source, last_name: source, email: source}
  default: target
"""


def project_with_acme(folder: Path) -> Path:
    """The shipped project plus `acme_desk`: Freshdesk's API described in YAML under another name."""
    for name in ("schemas", "mappings"):
        shutil.copytree(ROOT / name, folder / name)
    (folder / "systems").mkdir()
    described = EXAMPLE.read_text().replace("system: freshdesk_rest", "system: acme_desk")
    (folder / "systems" / "acme_desk.yaml").write_text(
        described.replace("display_name:", "display_name: Acme Desk #")
    )
    (folder / "mappings" / "acme_desk").mkdir()
    (folder / "mappings" / "acme_desk" / "contact.yaml").write_text(MAPPING)
    (folder / "mappings" / "syncs" / "acme_contacts_to_crm.yaml").write_text(SYNC)
    return folder


@pytest.fixture
def sandbox(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Sandbox]:
    sandbox = start_sandbox(tmp_path / "sandbox", monkeypatch, accounts=20, contacts=60)
    freshdesk = sandbox.connection("freshdesk")
    monkeypatch.setenv("AIRFLOW_CONN_ACME_DESK_DEFAULT", json.dumps({**freshdesk, "conn_type": "acme_desk"}))
    yield sandbox
    sandbox.stop()


def test_a_described_system_is_validated_and_synced_like_a_shipped_one(
    tmp_path: Path, sandbox: Sandbox
) -> None:
    root = project_with_acme(tmp_path / "project")
    project = Project.load(root)
    assert project.problems == []
    assert connector_class("acme_desk").display_name == "Acme Desk"
    store = StateStore(f"sqlite:///{tmp_path / 'state.db'}")
    engine = SyncEngine(project, store)
    first = engine.sync("acme_contacts_to_crm")
    people = sandbox.apps["freshdesk"].records("contacts")  # type: ignore[attr-defined]
    assert first.counts.read == len(people) and first.api_calls["acme_desk"] >= 1
    assert first.counts.created + first.counts.updated + first.counts.quarantined == len(people)
    crm = {c["Email"].lower() for c in sandbox.apps["salesforce"].records("Contact") if c["Email"]}  # type: ignore[attr-defined]
    held = {q.record["email"].lower() for q in store.quarantined("acme_contacts_to_crm") if q.record}
    assert {p["email"].lower() for p in people if p["email"]} - crm <= held
    again = engine.sync("acme_contacts_to_crm")
    assert again.counts.created + again.counts.updated == 0
    store.close()


def test_a_broken_description_is_a_located_problem_of_hub_validate(tmp_path: Path) -> None:
    root = project_with_acme(tmp_path / "project")
    path = root / "systems" / "acme_desk.yaml"
    path.write_text(path.read_text().replace("style: link_header", "style: link_headr"))
    done = subprocess.run(
        [sys.executable, "-m", "hub", "validate", "--project", str(root)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 2, done.stdout + done.stderr
    [line] = [x for x in (done.stdout + done.stderr).splitlines() if x.startswith("systems/acme_desk.yaml:")]
    assert "paging.style" in line and "'link_headr' is not allowed" in line and "link_header" in line


def test_descriptions_that_cannot_be_used_are_reported_not_skipped(tmp_path: Path) -> None:
    root = project_with_acme(tmp_path / "project")
    (root / "systems" / "broken.yaml").write_text("system: acme_two\nbase_url: [unclosed\n")
    (root / "systems" / "twin.yaml").write_text((root / "systems" / "acme_desk.yaml").read_text())
    shipped = EXAMPLE.read_text().replace("system: freshdesk_rest", "system: salesforce")
    (root / "systems" / "shipped_name.yaml").write_text(shipped)
    found = [str(p) for p in Project.load(root).problems]
    assert found == [
        "systems/broken.yaml:3:1: invalid YAML: expected ',' or ']', but got '<stream end>'",
        "systems/shipped_name.yaml:1:1: system 'salesforce' is shipped; name this one differently",
        "systems/twin.yaml:1:1: system 'acme_desk' is described in systems/acme_desk.yaml too; "
        "name this one differently",
    ]


def test_a_mapping_naming_an_object_its_system_does_not_describe_is_located(tmp_path: Path) -> None:
    root = project_with_acme(tmp_path / "project")
    path = root / "mappings" / "acme_desk" / "contact.yaml"
    path.write_text(MAPPING.replace("object: contacts", "object: contact"))
    project = Project.load(root)
    assert [str(p) for p in check_project(project)] == [
        "mappings/acme_desk/contact.yaml:2:9: acme_desk describes no object 'contact' "
        "(did you mean 'contacts'?); it describes contacts"
    ]
