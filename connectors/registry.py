"""The one place that knows which connectors exist; the engine reaches connectors only through here.

Connector modules are imported lazily, so listing systems or validating a project never imports
client libraries or touches the network.
"""

from __future__ import annotations

from importlib import import_module
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from hub.errors import Problem
    from hub.io.connector import Connector

CONNECTORS: dict[str, str] = {
    "salesforce": "connectors.salesforce:SalesforceConnector",
    "odoo": "connectors.odoo:OdooConnector",
    "hubspot": "connectors.hubspot:HubSpotConnector",
    "mailchimp": "connectors.mailchimp:MailchimpConnector",
    "zendesk": "connectors.zendesk:ZendeskConnector",
    "freshdesk": "connectors.freshdesk:FreshdeskConnector",
    "netsuite": "connectors.netsuite:NetSuiteConnector",
    "bamboohr": "connectors.bamboohr:BambooHRConnector",
    "sql": "connectors.sql:SQLConnector",
    "files": "connectors.files:FilesConnector",
}

EMULATORS: dict[str, str] = {
    "salesforce": "connectors.emulators.salesforce:SalesforceEmulator",
    "odoo": "connectors.emulators.odoo:OdooEmulator",
    "hubspot": "connectors.emulators.hubspot:HubSpotEmulator",
    "mailchimp": "connectors.emulators.mailchimp:MailchimpEmulator",
    "zendesk": "connectors.emulators.zendesk:ZendeskEmulator",
    "freshdesk": "connectors.emulators.freshdesk:FreshdeskEmulator",
    "netsuite": "connectors.emulators.netsuite:NetSuiteEmulator",
    "bamboohr": "connectors.emulators.bamboohr:BambooHREmulator",
}


DESCRIBED: dict[str, Path] = {}
"""Systems described in YAML for the declarative REST connector (a project's `systems/*.yaml`), by name."""


def systems() -> list[str]:
    """Names of every system a mapping may name: the shipped ones and those described in YAML."""
    return sorted({*CONNECTORS, *DESCRIBED})


def shipped_systems() -> list[str]:
    """Names of the systems Omnihub ships a connector module for."""
    return sorted(CONNECTORS)


def describe_systems(folder: Path, root: Path) -> list[Problem]:
    """Register the systems the `*.yaml` (or `*.yml`) files of `folder` describe (each checked against the
    declarative REST connector's meta-schema) in place of those registered before: a process works
    on one project. Returns the problems of those that cannot be used, located."""
    from hub.project.yamldoc import yaml_files

    DESCRIBED.clear()
    paths = yaml_files(folder)
    if not paths:  # most projects: nothing more to import at DAG parse time
        return []
    from connectors.rest import load_spec
    from hub.errors import ConfigError, Problem

    problems: list[Problem] = []
    found: dict[str, str] = {}
    for path in paths:
        shown = str(path.relative_to(root)) if path.is_relative_to(root) else str(path)
        try:
            system = load_spec(path, shown).system
        except ConfigError as exc:  # a file that cannot be read is reported, never skipped
            problems.extend(exc.problems)
            continue
        taken = "is shipped" if system in CONNECTORS else f"is described in {found.get(system)} too"
        if system in CONNECTORS or system in found:
            problems.append(Problem(shown, 1, 1, f"system {system!r} {taken}; name this one differently"))
            continue
        found[system] = shown
        DESCRIBED[system] = path
    return problems


def _load(target: str) -> object:
    module, _, name = target.partition(":")
    return getattr(import_module(module), name)


def connector_class(system: str) -> type[Connector]:
    """The connector class of a system (KeyError for unknown systems)."""
    if system not in CONNECTORS and system in DESCRIBED:
        from connectors.rest import declarative_connector

        return declarative_connector(DESCRIBED[system])
    cls = _load(CONNECTORS[system])
    assert isinstance(cls, type)
    return cls


def airflow_provider_info() -> dict[str, Any]:
    """Omnihub as an Airflow provider, built from the connectors' declarations.

    One connection type per registered connector, with its form: the extra fields (`form_fields`,
    secrets as password fields) and how the standard fields are labelled or hidden. Airflow reads it
    through the `apache_airflow_provider` entry point, `hub.io.airflow_provider.provider_info`, from
    the file this writes (`python -m connectors.registry`): Airflow asks for it whenever one of its
    processes starts, and this function imports every connector. The package's version is added there.
    """
    types = []
    for system in shipped_systems():  # YAML-described systems belong to a project, not to the package
        cls = connector_class(system)
        fields = {
            name: {
                "label": field.label,
                "description": field.description,
                "schema": {"type": [field.kind, "null"], **({"format": "password"} if field.secret else {})},
            }
            for name, field in cls.form_fields.items()
        }
        standard = cls.standard_fields
        types.append(
            {
                "connection-type": cls.conn_type,
                "hook-class-name": f"hub.airflow.{cls.__name__.removesuffix('Connector')}Hook",
                "hook-name": cls.display_name,
                "conn-fields": fields,
                "ui-field-behaviour": {
                    "hidden-fields": [*standard.get("hidden", []), "extra"],
                    "relabeling": dict(standard.get("labels", {})),
                    "placeholders": dict(standard.get("placeholders", {})),
                },
            }
        )
    return {
        "package-name": "omnihub",
        "name": "Omnihub",
        "description": "Connection types of the systems Omnihub syncs and reconciles.",
        "connection-types": types,
    }


def sandbox_class() -> Any:
    """The class that starts every emulator at once (`connectors.emulators.sandbox.Sandbox`)."""
    return _load("connectors.emulators.sandbox:Sandbox")


def emulator_class(system: str) -> type:
    """The emulator app class of a system (KeyError when it has none)."""
    cls = _load(EMULATORS[system])
    assert isinstance(cls, type)
    return cls


if __name__ == "__main__":  # python -m connectors.registry: write the provider info Airflow reads
    import json

    from hub.io.airflow_provider import PROVIDER_FILE

    PROVIDER_FILE.write_text(json.dumps(airflow_provider_info(), indent=2, ensure_ascii=False) + "\n")
    print(f"wrote {PROVIDER_FILE}")
