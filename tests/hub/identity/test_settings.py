"""Identity rules in the project's YAML: the library's entities carry theirs (`x-identity`), a project's
extension (`schemas/<entity>.yaml`, `identity:`) replaces them, and `hub validate` names each mistake's
file, line and field."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from hub.cli import app
from hub.identity.resolve import Part, Rule
from hub.project.loading import Project
from tests.hub.kit_sql_project import two_databases


def test_the_library_entities_carry_their_rules_and_an_extension_replaces_them(tmp_path: Path) -> None:
    root, _ = two_databases(tmp_path, 1)
    project = Project.load(root)
    library = project.identity_settings("account")
    assert library is not None and [r.name for r in library.rules] == [
        "tax number",
        "web domain",
        "name and phone",
    ]
    assert project.identity_settings("product") is None
    (root / "schemas").mkdir(exist_ok=True)
    (root / "schemas" / "account.yaml").write_text(
        "identity:\n"
        "  max_group: 4\n"
        "  rules:\n"
        "    - {name: account number, keys: [{name: account_number}]}\n"
        "    - {name: city and name, keys: [{name: name}, {name: billing_address.city}]}\n"
    )
    own = Project.load(root).identity_settings("account")
    assert own is not None and own.max_group == 4 and own.threshold == 0.9999
    assert own.rules == (
        Rule("account number", (Part("name", ("account_number",)),)),
        Rule("city and name", (Part("name", ("name",)), Part("name", ("billing_address.city",)))),
    )


@pytest.mark.parametrize(
    ("identity", "expected"),
    [
        (
            "  rules:\n    - {name: e, keys: [{emial: email}]}\n",
            "unknown kind 'emial' (did you mean 'email'?)",
        ),
        (
            "  rules:\n    - {name: e, keys: [{email: mail}]}\n",
            "the entity has no field 'mail' (did you mean 'email'?)",
        ),
        ("  rules:\n    - {name: p, keys: [{person: name}]}\n", "a person key reads two fields"),
        (
            "  rules:\n    - {name: o, keys: [{organisation: account}]}\n",
            "reads two or three fields: [company, e-mail] or [company, e-mail, phone]",
        ),
        (
            "  rules:\n    - {name: a, keys: [{email: email}]}\n    - {name: a, keys: [{name: name}]}\n",
            "another rule is named 'a'",
        ),
        (
            "  max_group: 1\n  rules:\n    - {name: a, keys: [{email: email}]}\n",
            "max_group is a whole number from 2 up",
        ),
        (
            "  treshold: 0.9\n  rules:\n    - {name: a, keys: [{email: email}]}\n",
            "unknown key 'treshold' (did you mean 'threshold'?)",
        ),
        ("  rules: []\n", "rules: a list of rules"),
        (
            "  rules:\n    - {name: a, keys: [{rare_person: name}]}\n",
            "a rare_person key reads two fields: [given name, family name]",
        ),
        (
            "  rules:\n    - {name: a, keys: [{similar_persn: [name, name]}]}\n",
            "unknown kind 'similar_persn' (did you mean 'similar_person'?)",
        ),
        (
            "  rules:\n    - {name: a, keys: [{email: email}]}\n  blocking: [[emial]]\n",
            "unknown column 'emial' (did you mean 'email'?)",
        ),
        (
            "  rules:\n    - {name: a, keys: [{email: email}]}\n  survivorship: {default: most_recnt}\n",
            "unknown survivorship rule 'most_recnt' (did you mean 'most_recent'?)",
        ),
        (
            "  rules:\n    - {name: a, keys: [{email: email}]}\n"
            "  survivorship: {fields: {phnoe: most_recent}}\n",
            "the entity has no field 'phnoe' (did you mean 'phone'?)",
        ),
        (
            "  rules:\n    - {name: a, keys: [{email: email}]}\n"
            "  survivorship: {fields: {phone: {source_priority: hubspot}}}\n",
            "a field's own priority is {source_priority: [hubspot, salesforce]}",
        ),
    ],
)
def test_each_mistake_is_located_and_exits_2(tmp_path: Path, identity: str, expected: str) -> None:
    root, env = two_databases(tmp_path, 1)
    (root / "schemas").mkdir(exist_ok=True)
    (root / "schemas" / "account.yaml").write_text("identity:\n" + identity)
    result = CliRunner().invoke(app, ["validate", "--project", str(root)], env=env)
    assert result.exit_code == 2
    assert "schemas/account.yaml:" in result.output and expected in result.output, result.output


def test_survivorship_and_blocking_are_read_from_the_extension(tmp_path: Path) -> None:
    root, _ = two_databases(tmp_path, 1)
    (root / "schemas").mkdir(exist_ok=True)
    (root / "schemas" / "account.yaml").write_text(
        "identity:\n"
        "  rules:\n    - {name: a, keys: [{email: email}]}\n"
        "  blocking: [[email], [last_name, account]]\n"
        "  survivorship:\n"
        "    sources: [salesforce, hubspot]\n"
        "    default: most_recent\n"
        "    fields: {phone: {source_priority: [hubspot]}, name: most_frequent}\n"
    )
    own = Project.load(root).identity_settings("account")
    assert own is not None and own.blocking == (("email",), ("last_name", "account"))
    kept = own.survivorship
    assert kept.rule("website").rule == "most_recent" and kept.rule("name").rule == "most_frequent"
    assert kept.rule("phone").sources == ("hubspot",)
    assert kept.rank("salesforce") == 0 and kept.rank("hubspot@eu") == 1 and kept.rank("odoo") == 2
