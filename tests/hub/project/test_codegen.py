"""hub/project/codegen.py: generated mappings, digests and validators read like code in a file, for
tracebacks, pdb, inspect and `hub validate --show-generated`."""

from __future__ import annotations

import inspect
import linecache
import traceback

import pytest

from hub.project.codegen import load_generated
from hub.project.loading import Project
from hub.project.mapping import MappingFailure
from tests.hub.project.test_mapping import compiled, project

__all__ = ["project"]


def test_a_traceback_through_a_generated_mapping_shows_its_lines(project: Project) -> None:
    mapping = compiled(project)
    with pytest.raises(MappingFailure) as caught:
        mapping.to_canonical({"Id": "1", "LastName": "Lovelace", "Phone": "12", "SystemModstamp": "x"})
    shown = "".join(traceback.format_exception(caught.value))
    assert 'File "<omnihub mapping salesforce/person.to_canonical #' in shown
    assert "_fail(r, refs)" in shown  # the generated line itself, read back through linecache


def test_inspect_and_linecache_give_the_generated_source(project: Project) -> None:
    mapping = compiled(project)
    source = inspect.getsource(mapping.to_system)
    assert source.startswith("def to_system(c, refs=_E):") or source.startswith("def to_system(r, refs=_E):")
    assert "# Full_Name__c <- (built)" in source
    code = mapping.generated.to_system
    assert linecache.getlines(code.filename) == code.source.splitlines(keepends=True)
    linecache.checkcache()  # what traceback and pdb call first: the entry must survive it
    assert linecache.getlines(code.filename)
    digest_source = inspect.getsource(mapping.digest)
    assert digest_source.startswith("def digest(c, refs=_E):")


def test_a_generated_validator_is_readable_too(project: Project) -> None:
    code = project.validator("person").generated
    assert code is not None and "def validate(v):" in code.source
    assert code.filename.startswith("<omnihub validator https://omnihub.dev/schemas/person.schema.json #")
    assert "def validate(v):" in code.listing()


def test_each_source_gets_its_own_name_and_the_listing_says_what_names_stand_for() -> None:
    first = load_generated(
        "mapping", "x.f", "def f(v):\n    return _t1(v)\n", {"_t1": str.upper}, {"_t1": "upper"}
    )
    second = load_generated("mapping", "x.f", "def f(v):\n    return v\n", {})
    assert first.filename != second.filename
    listing = first.listing()
    assert listing.splitlines()[:4] == [
        "# mapping x.f",
        f"# runs as {first.filename}",
        "# names it uses:",
        "#   _t1 = upper",
    ]
    assert listing.endswith("def f(v):\n    return _t1(v)\n")
