"""Section ``national2030``: all 18 specialer (22 specialfunktion types) end to end, three
runs, time limit 120 s.

``specialeplan``'s own solve path on ``scenarios/national_2030.yaml`` with ``highs-direct``,
each run in a fresh process. Gaps are HiGHS's own (against the bound the run proved) and,
where ``reference`` has run, against the best known bound
(``results/reference_national_2030.json``). "start" is the first solution the primal search
delivered. Since issue 21 the objective is the plan's annual cost in thousand DKK above the
care floor, and the gap is measured on that (stricter than on the whole cost); "gap on the
annual cost" adds the floor back. ``--baseline PYTHON ROOT`` also runs another checkout (the
code before a change, in its own virtual environment), alternating with this tree.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
from pathlib import Path
from typing import Any

from common import RESULTS_DIR, log, run_case, write_section

SCENARIO = "scenarios/national_2030.yaml"
RUNS, QUICK_RUNS = 3, 1
TIME_LIMIT, QUICK_TIME_LIMIT = 120.0, 60.0


def best_known() -> dict[str, Any]:
    """The reference run's objective and bound (empty before it has run)."""
    path = RESULTS_DIR / "reference_national_2030.json"
    return json.loads(path.read_text()) if path.is_file() else {}


def run(quick: bool = False, time_limit: float | None = None,
        baseline: tuple[str, str] | None = None, baseline_label: str = "",
        runs: int | None = None) -> dict[str, Any]:
    """Three runs (one with ``quick``), each after one of ``baseline`` when given; write
    ``results/national2030.json``."""
    limit = time_limit or (QUICK_TIME_LIMIT if quick else TIME_LIMIT)
    ref = best_known()
    ref_bound, ref_obj = ref.get("best_bound"), ref.get("objective")
    rows = []
    spec = {"case": "scenario", "scenario": SCENARIO, "solver": "highs-direct",
            "time_limit": limit}
    for i in range(runs or (QUICK_RUNS if quick else RUNS)):
        if baseline is not None:
            log(f"national2030: run {i + 1}, baseline ({limit:g} s)")
            base = run_case(spec, timeout=limit + 600, python=baseline[0],
                            root=Path(baseline[1]))
            base.update(run=i + 1, code="baseline", load_1min=os.getloadavg()[0])
            rows.append(base)
        log(f"national2030: run {i + 1} ({limit:g} s)")
        rec = run_case(spec, timeout=limit + 600)
        rec.update(run=i + 1, code="this tree", load_1min=os.getloadavg()[0])
        floor = rec.get("care_floor_t")
        if floor and rec.get("objective") and rec.get("best_bound") is not None:
            rec["gap_total"] = ((rec["objective"] - rec["best_bound"])
                                / (rec["objective"] + floor))
        obj, start = rec.get("objective"), rec.get("start_objective")
        if ref_bound:
            rec["gap_best_known"] = (obj - ref_bound) / obj if obj else None
            rec["start_gap_best_known"] = (start - ref_bound) / start if start else None
        if rec.get("best_bound") and start:
            rec["start_gap"] = (start - rec["best_bound"]) / start
        rows.append(rec)
    ok = [r for r in rows if "error" not in r and r.get("code") != "baseline"]

    def median(key: str) -> float | None:
        vals = [r[key] for r in ok if r.get(key) is not None]
        return statistics.median(vals) if vals else None

    payload = {
        "title": f"All 18 specialer, 22 specialfunktion types, end to end ({SCENARIO}, "
                 f"highs-direct, {limit:g} s)",
        "scenario": SCENARIO, "time_limit": limit,
        "notes": [__doc__.split("\n\n")[1].replace("\n", " "),
                  *([f"code 'baseline' = {baseline_label or baseline[1]} (an earlier model: "
                     "its gap is measured on its own objective); 'this tree' = "
                     "the working tree; load = 1-min load average after the run"]
                    if baseline else []),
                  f"best known (reference run): objective {ref_obj}, bound {ref_bound}."],
        "summary": {"median_wall_s": median("wall_s"), "median_gap": median("gap"),
                    "median_start_s": median("start_s"),
                    "median_start_gap_best_known": median("start_gap_best_known"),
                    "median_gap_best_known": median("gap_best_known")},
        "columns": [
            ["run", "run", "int"], ["code", "code", "str"], ["load_1min", "load", "s"],
            ["rows", "rows", "int"], ["cols", "cols", "int"],
            ["binaries", "binaries", "int"], ["start_s", "first solution s", "s"],
            ["start_objective", "first solution", "obj"],
            ["start_gap_best_known", "first vs best-known bound", "pct"],
            ["primal_solutions", "search solutions", "int"], ["objective", "objective", "obj"],
            ["best_bound", "bound", "obj"], ["gap", "gap", "pct"],
            ["gap_total", "gap on the annual cost", "pct"],
            ["gap_best_known", "gap vs best-known bound", "pct"],
            ["status", "status", "str"], ["total_s", "total s", "s"], ["wall_s", "wall s", "s"],
            ["peak_mib", "peak MiB", "mib"], ["error", "error", "str"]],
        "rows": rows,
    }
    write_section("national2030", payload, quick=quick)
    return payload


def main() -> None:
    """CLI: ``python benchmarks/bench_national2030.py [--quick] [--time-limit S]``."""
    ap = argparse.ArgumentParser(description="national2030 section")
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--time-limit", type=float, default=None)
    ap.add_argument("--baseline", nargs=2, metavar=("PYTHON", "ROOT"), default=None,
                    help="also run another checkout, alternating with this tree")
    ap.add_argument("--baseline-label", default="", help="what the baseline is (for the notes)")
    ap.add_argument("--runs", type=int, default=None, help=f"runs (default {RUNS})")
    args = ap.parse_args()
    run(args.quick, args.time_limit, tuple(args.baseline) if args.baseline else None,
        args.baseline_label, args.runs)


if __name__ == "__main__":
    main()
