"""Syncs under injected faults against clean runs (issue 16, item 6).

    .venv/bin/python bench/faults.py [--rates 0.1,0.3] [--accounts 60] [--seeds 5,6]
        [--syncs crm_accounts_to_erp,...] [--kinds late,mixed]

For each sync (Salesforce → Odoo, HubSpot → Odoo, Salesforce → Zendesk), each fault kind alone and
all mixed, and each rate: a fresh sandbox with a fault proxy (tests/faults/proxy.py) in front of the
source's and the target's emulator, the sync run again until it settles (tests/faults/harness.py),
against a clean run on another fresh sandbox. It prints the runs needed, the wall time of the faulty
runs and of the clean one and their ratio, the faults injected, and whether the target ended
identical to the clean run's (same records by source id, none twice, none missing). The hub reads
with a 1 s read timeout here (late answers come after 1.5 s), and lost creates are looked for again
as soon as every held request has landed instead of after OUTCOME_SETTLE.
"""

from __future__ import annotations

import argparse
import logging
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.faults.harness import SCALE, SYNCS, run_case  # noqa: E402
from tests.faults.proxy import FAULT_KINDS  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rates", default="0.1,0.3")
    parser.add_argument("--accounts", type=int, default=SCALE["accounts"])
    parser.add_argument("--syncs", default=",".join(SYNCS))
    parser.add_argument("--seeds", default="5", help="several seeds draw the faults differently")
    parser.add_argument("--kinds", default="", help="fault kinds to try, `mixed` for all at once (all)")
    parser.add_argument("--max-runs", type=int, default=8)
    args = parser.parse_args()
    logging.disable(logging.WARNING)
    scale = {"accounts": args.accounts, "contacts": 5 * args.accounts}
    cases = [(kind,) for kind in FAULT_KINDS] + [FAULT_KINDS]
    if args.kinds:
        wanted = args.kinds.split(",")
        cases = [c for c in cases if ("mixed" if len(c) > 1 else c[0]) in wanted]
    print(
        f"{'sync':26} {'faults':13} {'rate':>5} {'seed':>4} {'runs':>4} {'wall s':>7} {'clean s':>7} "
        f"{'ratio':>6} {'injected':>8}  identical"
    )
    different = 0
    for sync in args.syncs.split(","):
        for kinds in cases:
            for rate in (float(r) for r in args.rates.split(",")):
                for seed in (int(s) for s in args.seeds.split(",")):
                    with tempfile.TemporaryDirectory() as folder:
                        clean, faulty = run_case(
                            Path(folder), sync, rate, kinds, max_runs=args.max_runs, seed=seed, scale=scale
                        )
                    same = (
                        faulty.settled
                        and faulty.target == clean.target
                        and faulty.unlinked == clean.unlinked == 0
                    )
                    doubled = sum(n - 1 for n in faulty.target.values() if n > 1)
                    missing = len(set(clean.target) - set(faulty.target))
                    verdict = (
                        "yes"
                        if same
                        else f"NO ({doubled} twice, {missing} missing, settled {faulty.settled})"
                    )
                    different += not same
                    name = "mixed" if len(kinds) > 1 else kinds[0]
                    print(
                        f"{sync:26} {name:13} {rate:5.2f} {seed:4d} {faulty.runs:4d} {faulty.wall_s:7.2f} "
                        f"{clean.wall_s:7.2f} {faulty.wall_s / clean.wall_s:6.1f} "
                        f"{sum(faulty.injected.values()):8d}  {verdict}",
                        flush=True,
                    )
    return 1 if different else 0


if __name__ == "__main__":
    sys.exit(main())
