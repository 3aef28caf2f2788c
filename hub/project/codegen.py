"""Code the hub generates and runs with `exec`, made as visible as code in a file.

Compiled mappings, digests and validators are Python source built from the project's YAML and JSON
Schema. Each is run through `load_generated`, which registers its source with `linecache` under a
name of its own (`<omnihub mapping salesforce/contact.to_canonical #1f2e3d4c>`), so tracebacks,
`pdb`, `inspect.getsource` and coverage show the generated lines, and keeps it as a
`GeneratedCode` that `hub validate --show-generated SYNC` prints:

    code = load_generated("mapping", "salesforce/contact.to_canonical", source, namespace)
    print(code.listing())
"""

from __future__ import annotations

import hashlib
import linecache
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import ModuleType
from typing import Any

LONGEST_CONSTANT = 100


@dataclass(frozen=True)
class GeneratedCode:
    """One piece of generated source: the name it runs under, the text, and what its names stand for."""

    kind: str  # mapping, digest, validator
    name: str
    filename: str
    source: str
    constants: Mapping[str, str] = field(default_factory=dict)  # name in the source -> what it is

    def listing(self) -> str:
        """The source as a reader wants it: a header, the constants it refers to, then the code."""
        head = [f"# {self.kind} {self.name}", f"# runs as {self.filename}"]
        if self.constants:
            head.append("# names it uses:")
            head += [f"#   {name} = {about}" for name, about in self.constants.items()]
        return "\n".join(head) + "\n" + self.source.rstrip() + "\n"


def load_generated(
    kind: str,
    name: str,
    source: str,
    namespace: dict[str, Any],
    about: Mapping[str, str] | None = None,
) -> GeneratedCode:
    """Compile and run `source` in `namespace`, registered with linecache under a unique name.

    `about` says what some of the namespace's names stand for (a transform with its arguments);
    the others are described from their values."""
    digest = hashlib.blake2b(source.encode(), digest_size=4).hexdigest()
    filename = f"<omnihub {kind} {name} #{digest}>"
    # mtime None: linecache.checkcache() keeps the entry, as it does for doctest's and IPython's code.
    linecache.cache[filename] = (len(source), None, source.splitlines(keepends=True), filename)
    known = dict(about or {})
    constants = {
        key: known.get(key) or _describe(value)
        for key, value in namespace.items()
        if key.startswith("_") and not key.startswith("__")
    }
    exec(compile(source, filename, "exec"), namespace)
    return GeneratedCode(kind, name, filename, source, constants)


def _describe(value: Any) -> str:
    """A value as a reader of the generated code needs it: a function by its full name, a bound method
    with its object (`re.compile('^[A-Z]{2}$').search`), anything else by its repr, cut short."""
    owner = getattr(value, "__self__", None)
    if callable(value) and owner is not None and not isinstance(owner, ModuleType):
        return _short(f"{owner!r}.{getattr(value, '__name__', '?')}")
    if callable(value):
        return f"{getattr(value, '__module__', '?')}.{getattr(value, '__qualname__', repr(value))}"
    return _short(repr(value))


def _short(text: str) -> str:
    return text if len(text) <= LONGEST_CONSTANT else text[: LONGEST_CONSTANT - 1] + "…"
