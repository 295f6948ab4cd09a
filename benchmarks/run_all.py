"""Run the benchmark sections and render BENCHMARKS.md.

    python benchmarks/run_all.py --quick                     # small cases only (< 3 min)
    python benchmarks/run_all.py --only orlib,spopt          # some sections, full size
    python benchmarks/run_all.py --only national --national-time-limit 600
    python benchmarks/run_all.py --render-only               # re-render from results/*.json

Sections: orlib, spopt, national, national2030, bound, resolve, scaling, sweep, reuse,
vulnerability, rollout, alternatives (the
long reference run is benchmarks/reference_national.py, on its own). Each writes
``results/<section>.json``; the Markdown is rendered from every JSON present, so sections
can be re-run separately.
"""

from __future__ import annotations

import argparse
import sys
import time
import traceback
from collections.abc import Callable
from typing import Any

import bench_alternatives
import bench_bound
import bench_national
import bench_national2030
import bench_orlib
import bench_resolve
import bench_reuse
import bench_rollout
import bench_scaling
import bench_spopt
import bench_sweep
import bench_vulnerability
from common import log
from render import ORDER, render


def sections(args: argparse.Namespace) -> dict[str, Callable[[], Any]]:
    """Section name → a call that runs it with the command-line settings."""
    q = args.quick
    return {
        "orlib": lambda: bench_orlib.run(q),
        "spopt": lambda: bench_spopt.run(q),
        "national": lambda: bench_national.run(q, args.national_time_limit),
        "national2030": lambda: bench_national2030.run(q),
        "bound": lambda: bench_bound.run(q),
        "resolve": lambda: bench_resolve.run(q),
        "reference": lambda: None,  # benchmarks/reference_national.py, run on its own
        "scaling": lambda: bench_scaling.run(q, args.scaling_time_limit),
        "sweep": lambda: bench_sweep.run(q),
        "reuse": lambda: bench_reuse.run(q),
        "vulnerability": lambda: bench_vulnerability.run(q),
        "rollout": lambda: bench_rollout.run(q),
        "alternatives": lambda: bench_alternatives.run(q),
    }


def main(argv: list[str] | None = None) -> int:
    """Run the selected sections, then render; exit 1 if a section crashed."""
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true", help="small cases only (< 3 min)")
    ap.add_argument("--only", default=",".join(ORDER),
                    help=f"comma-separated sections (default all: {','.join(ORDER)})")
    ap.add_argument("--national-time-limit", type=float, default=None,
                    help="seconds per backend in 'national' (default: the scenario's "
                    "solver.time_limit)")
    ap.add_argument("--scaling-time-limit", type=float, default=None,
                    help="seconds per solve in 'scaling' (default 60; 15 with --quick)")
    ap.add_argument("--render-only", action="store_true", help="only re-render the Markdown")
    args = ap.parse_args(argv)
    chosen = [s.strip() for s in args.only.split(",") if s.strip()]
    unknown = sorted(set(chosen) - set(ORDER))
    if unknown:
        ap.error(f"unknown section(s) {unknown}; choose from {list(ORDER)}")
    failed = []
    if not args.render_only:
        runners = sections(args)
        for name in ORDER:
            if name not in chosen:
                continue
            t0 = time.perf_counter()
            try:
                runners[name]()
            except Exception:  # noqa: BLE001 - keep the other sections going
                traceback.print_exc()
                failed.append(name)
            log(f"== {name} done in {time.perf_counter() - t0:.0f} s")
    log(f"wrote {render()}")
    if failed:
        log(f"sections that crashed: {failed}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
