"""How well `hub new mapping` proposes the shipped mappings: each one left out in turn.

    .venv/bin/python bench/propose.py [--sample 200] [--json]

For every mapping the library ships, the sandbox's emulator of its system is described live
(`Connector.describe`: its metadata API and a sample of records), and a mapping is proposed for that
object and entity from what the OTHER shipped mappings teach (the left-out one is not in the
knowledge). A shipped field (a canonical field paired with a system field) is reproduced when the
proposal pairs exactly those two; a proposed pair the shipped mapping does not have is counted wrong
(it may still be a fair proposal a human chose not to map). Target: at least 80% of the shipped
fields reproduced over all mappings. Systems whose connector cannot describe yet are listed apart.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from connectors.emulators.sandbox import Sandbox  # noqa: E402
from connectors.registry import connector_class  # noqa: E402
from hub.errors import UnsupportedOperation  # noqa: E402
from hub.io.connections import from_environment  # noqa: E402
from hub.project.loading import Project  # noqa: E402
from hub.project.propose import Knowledge, pairs, propose  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sample", type=int, default=200)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    project = Project.load(ROOT)
    mappings = sorted(project.mappings.values(), key=lambda m: m.key)
    rows, skipped = [], {}
    with tempfile.TemporaryDirectory() as folder:
        sandbox = Sandbox.start(folder=Path(folder), scale=Sandbox.demo_scale(0.1), seed=7)
        try:
            environ = sandbox.environment()
            shapes = {}
            for mapping in mappings:
                kind = connector_class(mapping.system)
                conn_id = kind.default_conn_id
                if f"AIRFLOW_CONN_{conn_id.upper()}" not in environ:
                    skipped[mapping.key] = f"no sandbox connection {conn_id}"
                    continue
                key = (mapping.system, mapping.object)
                if key not in shapes:
                    connector = kind(from_environment(conn_id, environ))
                    started = time.perf_counter()
                    try:
                        shapes[key] = (
                            connector.describe(mapping.object, args.sample),
                            time.perf_counter() - started,
                        )
                    except UnsupportedOperation as exc:
                        shapes[key] = (None, str(exc))
                    finally:
                        connector.close()
                shape, spent = shapes[key]
                if shape is None:
                    skipped[mapping.key] = str(spent)
                    continue
                knowledge = Knowledge.learn(mappings, leave_out=mapping.key)
                proposal = propose(project, mapping.system, shape, mapping.entity, knowledge)
                truth = pairs(mapping)
                proposed = {(p.canonical, p.system) for p in proposal.fields}
                rows.append(
                    {
                        "mapping": mapping.key,
                        "fields": len(truth),
                        "reproduced": len(truth & proposed),
                        "wrong": len(proposed - truth),
                        "missed": sorted(f"{c}<-{s}" for c, s in truth - proposed),
                        "extra": sorted(f"{c}<-{s}" for c, s in proposed - truth),
                        "described": len(shape.fields),
                        "sampled": len(shape.sample),
                        "describe_s": round(float(spent), 2),
                    }
                )
        finally:
            sandbox.stop()
    total = sum(r["fields"] for r in rows)
    reproduced = sum(r["reproduced"] for r in rows)
    wrong = sum(r["wrong"] for r in rows)
    share = reproduced / total if total else 0.0
    if args.json:
        print(
            json.dumps(
                {"rows": rows, "skipped": skipped, "reproduced": reproduced, "fields": total, "wrong": wrong}
            )
        )
    else:
        print(f"{'mapping':<28} {'fields':>6} {'reproduced':>10} {'wrong':>6}  described/sampled")
        for r in rows:
            print(
                f"{r['mapping']:<28} {r['fields']:>6} {r['reproduced']:>10} {r['wrong']:>6}  "
                f"{r['described']}/{r['sampled']}"
            )
            if os.environ.get("BENCH_VERBOSE"):
                print("    missed:", ", ".join(r["missed"]) or "-")
                print("    extra: ", ", ".join(r["extra"]) or "-")
        for key, why in skipped.items():
            print(f"{key:<28} skipped: {why}")
        verdict = "met" if share >= 0.8 else "NOT met"
        print(
            f"reproduced {reproduced} of {total} shipped fields ({share:.1%}; target >= 80%: {verdict}), "
            f"{wrong} proposed wrongly, over {len(rows)} mappings ({len(skipped)} skipped)"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
