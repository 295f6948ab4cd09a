"""A long reference run of ``scenarios/national_2030.yaml``: the best known objective and bound.

Every gap in ``BENCHMARKS.md`` is a gap against the bound the run itself proved; this run
records, once, how far the best known solution and bound get with hours of HiGHS, so each
figure can also be read against them. Run it in the background (it takes as long as you let
it; one thread):

    nice python benchmarks/reference_national.py --hours 2.5

Steps: the LP relaxation; the LP-guided restricted MIP on the per-arc formulation (a good
start quickly); then HiGHS on the full aggregate formulation with that start and
``--hours`` of time. Incumbents and bounds are logged; the result (objective, bound, gap,
seconds, sizes, the designations of the best solution) goes to
``benchmarks/results/reference_national_2030.json``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import time
from pathlib import Path

import numpy as np

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
    ap.add_argument("--start-seconds", type=float, default=120.0)
    ap.add_argument("--log", type=Path, default=Path("reference_national.log"))
    args = ap.parse_args()
    t0 = time.perf_counter()
    started = dt.datetime.now(dt.UTC)
    scenario = ROOT / "scenarios" / "national_2030.yaml"
    instance = load_dataset("denmark")
    full = build(instance, load_scenario(scenario).scenario.model).problem
    per_arc = build(instance, load_scenario(
        scenario, ["model.volume_formulation=per_arc"]).scenario.model)
    backend = get_backend("highs-direct")
    one = {"threads": 1}
    lp, z_lp = backend.solve(per_arc.problem.relaxed(), SolverOptions(
        name="highs-direct", time_limit=600, mip_rel_gap=0, warm_start=False, options=one))
    p = per_arc.problem
    binary = p.integer & (p.lower == 0) & (p.upper == 1)
    lower, upper = p.lower.copy(), p.upper.copy()
    upper[binary & (z_lp <= 0.01)] = 0.0
    lower[binary & (z_lp >= 0.99)] = 1.0
    _, z_start = backend.solve(p.with_bounds(lower, upper), SolverOptions(
        name="highs-direct", time_limit=args.start_seconds, mip_rel_gap=0.0005,
        warm_start=False, options=one))
    start = None
    if z_start is not None:  # per-arc → aggregate: X[p,s] = Σ_k x[k,p,s]
        values = dict(p.split(z_start))
        values["X"] = np.bincount(per_arc.data.arcs["pair"].to_numpy(), weights=values["x"],
                                  minlength=len(per_arc.data.pairs))
        start = full.join(values)
    start_obj = full.objective(start) if start is not None else None
    result, z = backend.solve(full, SolverOptions(
        name="highs-direct", time_limit=args.hours * 3600, mip_rel_gap=1e-4,
        log_file=str(args.log), options=one), start)
    record = {
        "scenario": "scenarios/national_2030.yaml", "started": started.isoformat(
            timespec="seconds"), "hours_allowed": args.hours, "threads": 1,
        "load_at_start": os.getloadavg()[0], "lp_bound": lp.objective,
        "start_objective": start_obj, "objective": result.objective,
        "best_bound": result.best_bound, "mip_gap": result.mip_gap, "status": str(result.status),
        "seconds": time.perf_counter() - t0, "sizes": full.sizes(),
        "designations": [] if z is None else [
            f"{pid}/{s}" for pid, s, yv in zip(full.columns["y"].labels.column("provider_id"),
                                              full.columns["y"].labels.column("speciale"),
                                              z[full.columns["y"].slice], strict=True)
            if yv > 0.5],
    }
    OUT.write_text(json.dumps(record, indent=1), encoding="utf-8")
    print(json.dumps({k: v for k, v in record.items() if k != "designations"}, indent=1))


if __name__ == "__main__":
    main()
