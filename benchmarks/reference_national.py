"""A long reference run of ``scenarios/national_2030.yaml``: the best known objective and bound.

Every gap in ``BENCHMARKS.md`` is a gap against the bound the run itself proved; this run
records, once, how far the best known solution and bound get with hours of HiGHS, so each
figure can also be read against them. Run it in the background (it takes as long as you let
it; one thread):

    nice python benchmarks/reference_national.py --hours 2.5

Steps: the LP relaxation; then HiGHS on the scenario's model (aggregate formulation, the
default) for ``--hours``, one thread. Incumbents and bounds are logged; the result
(objective, bound, gap, seconds, sizes, the designations of the best solution) goes to
``benchmarks/results/reference_national_2030.json``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import time
from pathlib import Path

from specialeplan.api import build, load_dataset
from specialeplan.scenarios.schema import load_scenario
from specialeplan.solvers.base import SolverOptions
from specialeplan.solvers.registry import get_backend

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "benchmarks" / "results" / "reference_national_2030.json"


def main() -> None:
    """Run the reference and write the JSON record."""
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--hours", type=float, default=2.5)
    ap.add_argument("--log", type=Path, default=Path("reference_national.log"))
    args = ap.parse_args()
    t0 = time.perf_counter()
    started = dt.datetime.now(dt.UTC)
    scenario = ROOT / "scenarios" / "national_2030.yaml"
    instance = load_dataset("denmark")
    full = build(instance, load_scenario(scenario).scenario.model).problem
    backend = get_backend("highs-direct")
    lp, _ = backend.solve(full.relaxed(), SolverOptions(
        name="highs-direct", time_limit=600, mip_rel_gap=0, threads=1))
    result, z = backend.solve(full, SolverOptions(
        name="highs-direct", time_limit=args.hours * 3600, mip_rel_gap=1e-4,
        log_file=str(args.log), threads=1, options={"mip_heuristic_effort": 0.3}))
    record = {
        "scenario": "scenarios/national_2030.yaml", "started": started.isoformat(
            timespec="seconds"), "hours_allowed": args.hours, "threads": 1,
        "load_at_start": os.getloadavg()[0], "lp_bound": lp.objective,
        "objective": result.objective,
        "best_bound": result.best_bound, "mip_gap": result.mip_gap, "status": str(result.status),
        "seconds": time.perf_counter() - t0, "sizes": full.sizes(),
        "designations": [] if z is None else [
            f"{pid}/{s}" for pid, s, yv in zip(full.columns["y"].labels.column("provider_id"),
                                              full.columns["y"].labels.column("function"),
                                              z[full.columns["y"].slice], strict=True)
            if yv > 0.5],
    }
    OUT.write_text(json.dumps(record, indent=1), encoding="utf-8")
    print(json.dumps({k: v for k, v in record.items() if k != "designations"}, indent=1))


if __name__ == "__main__":
    main()
