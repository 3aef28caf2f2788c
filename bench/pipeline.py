"""The per-record path, compiled against naive, on 100,000 Salesforce contacts in one process.

    .venv/bin/python bench/pipeline.py [--records N] [--repeat R]

Per record: inbound map (Salesforce Contact → canonical contact), validate, hash, outbound map
(canonical → Odoo res.partner). Both sides use the same transform functions and produce the same
records (checked on the first 1,000); they differ in how they run them:

- naive: interprets the mapping's field list for every record (dotted paths split, transform names
  looked up, directions tested per field) and validates with jsonschema's Draft202012Validator;
- compiled: Omnihub's generated mapping functions and compiled validator (hub.project.mapping,
  hub.project.validation);
- interpreted + compiled validator: the naive side's mapping with the compiled validator, so the
  ratio against it says what the generated mapping functions alone are worth (the naive ratio mostly
  measures jsonschema's reference validator).

Phone numbers go through libphonenumber on both sides; its cache of numbers already seen is emptied
before every run. It prints records per second of each, best of R runs, and both ratios (target: at
least 20x against naive).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from jsonschema import Draft202012Validator  # noqa: E402

from connectors.emulators.salesforce.seeding import contact_values  # noqa: E402
from connectors.emulators.seed import generate_companies, generate_people  # noqa: E402
from hub.io.connector import written_filter  # noqa: E402
from hub.project.formats import format_checker  # noqa: E402
from hub.project.loading import Project  # noqa: E402
from hub.project.mapping import CompiledMapping, MappingFailure  # noqa: E402
from hub.project.transforms import REGISTRY, CompileContext  # noqa: E402
from hub.project.yamldoc import plain  # noqa: E402

HUB_ID = "00000000-0000-4000-8000-000000000001"


def salesforce_contacts(
    count: int,
) -> tuple[list[dict[str, Any]], dict[str, dict[str, str]], dict[str, dict[str, str]]]:
    """Contacts as the Salesforce connector returns them, plus the reference tables of their accounts."""
    companies = generate_companies(max(count // 5, 1), 11)
    people = generate_people(count, companies, 11)
    account_ids = [f"001{i:015d}" for i in range(len(companies))]
    hub_ids = [str(uuid.UUID(int=i + 1)) for i in range(len(companies))]
    records = []
    for person in people:
        record = contact_values(person, account_ids[person.company] if person.company is not None else None)
        record["Birthdate"] = record["Birthdate"].isoformat() if record["Birthdate"] else None
        record.update(
            {
                "Id": f"003{person.index:015d}",
                "SystemModstamp": "2024-01-15T14:22:10.456+0000",
                "Hub_Id__c": None,
            }
        )
        records.append(record)
    refs_in = {"account": dict(zip(account_ids, hub_ids, strict=True))}
    refs_out = {"account": {h: str(i + 10) for i, h in enumerate(hub_ids)}}
    return records, refs_in, refs_out


def _get(record: dict[str, Any], path: str) -> Any:
    value: Any = record
    for part in path.split("."):
        if not isinstance(value, dict):
            return None
        value = value.get(part)
    return value


def _set(record: dict[str, Any], path: str, value: Any) -> None:
    *parents, leaf = path.split(".")
    for part in parents:
        record = record.setdefault(part, {})
    record[leaf] = value


class NaiveMapper:
    """Runs a mapping by reading its field list for every record (what a first implementation does)."""

    def __init__(self, fields: list[dict[str, Any]], inbound: bool) -> None:
        self.fields, self.inbound = fields, inbound
        self.direction = "inbound" if inbound else "outbound"
        self.functions: dict[tuple[int, int], Callable[..., Any]] = {}

    def _function(self, i: int, j: int, name: str, args: Any) -> Callable[..., Any]:
        if (i, j) not in self.functions:  # the same transform callables as the compiled side
            self.functions[(i, j)] = REGISTRY[name].factory(
                args, CompileContext(getter=lambda p: lambda r: _get(r, p))
            )
        return self.functions[(i, j)]

    def run(self, record: dict[str, Any], refs: dict[str, dict[str, str]]) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for i, field in enumerate(self.fields):
            if field.get("direction", "both") not in ("both", self.direction):
                continue
            source = field.get("system") if self.inbound else field.get("canonical")
            target = field.get("canonical") if self.inbound else field.get("system")
            if target is None:
                continue
            value = field["value"] if "value" in field else (_get(record, source) if source else None)
            for j, entry in enumerate([*field.get("transforms", []), *field.get(self.direction, [])]):
                name, args = (entry, None) if isinstance(entry, str) else next(iter(entry.items()))
                spec, fn = REGISTRY[name], self._function(i, j, name, args)
                if spec.source:
                    value = fn(record)
                elif value is None and not spec.handles_none:
                    continue
                else:
                    value = fn(value, record) if spec.takes_record else fn(value)
            if field.get("ref") and value is not None:
                value = refs[field["ref"]][str(value)]
            if self.inbound:
                _set(out, target, value)
            else:
                out[target] = value  # system fields stay flat, dotted names included, as connectors take them
        return out


def build(project: Project) -> tuple[Callable[..., int], Callable[..., int], Callable[..., int]]:
    source, target = project.mappings["salesforce/contact"], project.mappings["odoo/contact"]
    compiled_in, compiled_out = CompiledMapping(source, project), CompiledMapping(target, project)
    validator = project.validator("contact")
    fast_valid, digest = validator.fast, compiled_out.digest
    assert fast_valid is not None
    naive_in = NaiveMapper(plain(source.doc.data["fields"]), inbound=True)
    naive_out = NaiveMapper(plain(target.doc.data["fields"]), inbound=False)
    reference = Draft202012Validator(
        validator.schema, registry=project.registry, format_checker=format_checker()
    )
    written = compiled_out.written_paths

    def compiled(
        records: list[dict[str, Any]], refs_in: Any, refs_out: Any, sink: list[Any] | None = None
    ) -> int:
        done = 0
        for record in records:
            try:
                canonical = compiled_in.to_canonical(record, refs_in)
            except MappingFailure:
                continue
            canonical["hub_id"] = HUB_ID
            if not fast_valid(canonical):
                continue
            values = compiled_out.to_system(canonical, refs_out)
            if sink is not None:
                sink.append((canonical, values, digest(canonical)))
            else:
                digest(canonical)
            done += 1
        return done

    def interpreting(valid: Callable[[dict[str, Any]], bool]) -> Callable[..., int]:
        """The interpreted mapping's loop, validating with `valid`."""

        def run(
            records: list[dict[str, Any]], refs_in: Any, refs_out: Any, sink: list[Any] | None = None
        ) -> int:
            done = 0
            for record in records:
                try:
                    canonical = naive_in.run(record, refs_in)
                except (ValueError, KeyError, TypeError):
                    continue
                canonical["hub_id"] = HUB_ID
                if not valid(canonical):
                    continue
                projection = {path: _get(canonical, path) for path in written}
                hashlib.sha256(json.dumps(projection, sort_keys=True, default=str).encode()).hexdigest()
                values = naive_out.run(canonical, refs_out)
                if sink is not None:
                    sink.append((canonical, {**values, **written_filter(target.filter)}, None))
                done += 1
            return done

        return run

    naive = interpreting(lambda canonical: not any(True for _ in reference.iter_errors(canonical)))
    interpreted = interpreting(fast_valid)
    return compiled, naive, interpreted


def forget_phone_numbers() -> None:
    """Empty the cache of numbers already normalised (hub.project.transforms.phone), which would
    otherwise make every repeat after the first, and small runs, look faster than a real load."""
    from hub.project.transforms.phone import clear_cache

    clear_cache()


def best_rate(
    run: Callable[..., int], records: list[dict[str, Any]], refs: tuple[Any, Any], repeat: int
) -> tuple[float, int]:
    best, done = 0.0, 0
    for _ in range(repeat):
        forget_phone_numbers()  # every run meets its numbers for the first time, as a first load does
        started = time.perf_counter()
        done = run(records, *refs)
        best = max(best, len(records) / (time.perf_counter() - started))
    return best, done


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--records", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=3)
    options = parser.parse_args()
    project = Project.load(ROOT)
    compiled, naive, interpreted = build(project)
    records, refs_in, refs_out = salesforce_contacts(options.records)
    same_compiled: list[Any] = []
    same_naive: list[Any] = []
    compiled(records[:1000], refs_in, refs_out, same_compiled)
    naive(records[:1000], refs_in, refs_out, same_naive)
    assert [(c, v) for c, v, _ in same_compiled] == [(c, v) for c, v, _ in same_naive], (
        "both sides must agree"
    )
    naive_rate, naive_done = best_rate(naive, records, (refs_in, refs_out), options.repeat)
    compiled_rate, compiled_done = best_rate(compiled, records, (refs_in, refs_out), options.repeat)
    mixed_rate, mixed_done = best_rate(interpreted, records, (refs_in, refs_out), options.repeat)
    assert naive_done == compiled_done == mixed_done
    print(
        f"records: {len(records):,} Salesforce contacts ({len(records) - compiled_done:,} invalid, set aside)"
    )
    print(f"naive    (interpreted mapping + jsonschema Draft202012Validator): {naive_rate:>10,.0f} records/s")
    print(
        f"compiled (generated mapping + compiled validator):              {compiled_rate:>10,.0f} records/s"
    )
    print(f"interpreted mapping + compiled validator:                       {mixed_rate:>10,.0f} records/s")
    print(f"ratio: {compiled_rate / naive_rate:.1f}x against naive (target >= 20x)")
    print(f"ratio: {compiled_rate / mixed_rate:.1f}x against the interpreted mapping, compiled validator")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
