"""Section ``scaling``: replicated Denmark instances (benchmarks/scale.py), build and solve.

Grid: providers ×1, ×2, ×4, ×8 and the first 5, 10, 20 specialer of the dataset, with the
base scenario's model rules. Per cell two fresh processes: (1) build the problem and its
Pyomo model (no solve); (2) build the problem and solve it with ``highs-direct`` (base
scenario's solver options, short time limit, gap 0.5 %, start heuristic included).
"build +MiB": what the build added to the process's memory high-water mark.
"""

from __future__ import annotations

import argparse
from typing import Any

from common import log, run_case, write_section

SCENARIO = "scenarios/base.yaml"
FACTORS, SPECIALER = (1, 2, 4, 8), (5, 10, 20)
QUICK_FACTORS, QUICK_SPECIALER = (1, 2), (5,)
TIME_LIMIT, QUICK_TIME_LIMIT, GAP = 60.0, 15.0, 0.005


def run(quick: bool = False, time_limit: float | None = None) -> dict[str, Any]:
    """Build both kinds and solve the matrix per grid cell; write ``results/scaling.json``."""
    factors = QUICK_FACTORS if quick else FACTORS
    ks = QUICK_SPECIALER if quick else SPECIALER
    limit = time_limit or (QUICK_TIME_LIMIT if quick else TIME_LIMIT)
    rows: list[dict[str, Any]] = []
    for k in ks:
        for f in factors:
            base = {"case": "scale", "factor": f, "k": k, "scenario": SCENARIO, "seed": 0}
            log(f"scaling: x{f}, {k} specialer, pyomo build")
            py = run_case({**base, "kind": "pyomo"}, timeout=1800)
            log(f"scaling: x{f}, {k} specialer, matrix build + highs-direct ({limit:g} s)")
            mx = run_case({**base, "kind": "matrix", "solve": True, "time_limit": limit,
                           "gap": GAP}, timeout=limit + 900)
            rows.append(_row(f, k, py, mx))
    payload = {
        "title": "Scaling: replicated providers × specialer",
        "scenario": SCENARIO, "time_limit": limit, "mip_rel_gap": GAP,
        "notes": [__doc__.split("\n\n")[1].replace("\n", " ")],
        "summary": {"min_build_ratio": min((r["build_ratio"] for r in rows
                                            if r.get("build_ratio")), default=None)},
        "columns": [
            ["factor", "×", "int"], ["k", "specialer", "int"], ["providers", "providers", "int"],
            ["rows", "rows", "int"], ["cols", "cols", "int"], ["nonzeros", "nonzeros", "int"],
            ["binaries", "binaries", "int"], ["matrix_build_s", "matrix build s", "s"],
            ["pyomo_build_s", "Pyomo build s", "s"], ["build_ratio", "Pyomo/matrix", "ratio"],
            ["matrix_build_mib", "matrix build +MiB", "mib"],
            ["pyomo_build_mib", "Pyomo build +MiB", "mib"], ["start_s", "start s", "s"],
            ["solve_s", "solve s", "s"], ["gap", "gap", "pct"], ["status", "status", "str"],
            ["objective", "objective", "obj"], ["peak_mib", "solve peak MiB", "mib"],
            ["error", "error", "str"]],
        "rows": rows,
    }
    write_section("scaling", payload, quick=quick)
    return payload


def _row(f: int, k: int, py: dict[str, Any], mx: dict[str, Any]) -> dict[str, Any]:
    errors = "; ".join(f"{n}: {r['error']}" for n, r in (("pyomo", py), ("matrix", mx))
                       if "error" in r)
    mb, pb = mx.get("build_s"), py.get("build_s")

    def added(r: dict[str, Any]) -> float | None:
        if "build_peak_mib" not in r:
            return None
        return r["build_peak_mib"] - r["build_base_mib"]

    return {
        "factor": f, "k": k, "providers": mx.get("providers"), "pairs": mx.get("pairs"),
        "arcs": mx.get("arcs"), "reach_arcs": mx.get("reach_arcs"), "rows": mx.get("rows"),
        "cols": mx.get("cols"), "nonzeros": mx.get("nonzeros"), "binaries": mx.get("binaries"),
        "pyomo_rows": py.get("rows"), "pyomo_cols": py.get("cols"),
        "matrix_build_s": mb, "pyomo_build_s": pb,
        "build_ratio": pb / mb if mb and pb else None,
        "matrix_build_mib": added(mx), "pyomo_build_mib": added(py),
        "pyomo_peak_mib": py.get("peak_mib"), "start_s": mx.get("start_s"),
        "solve_s": mx.get("solve_s"), "gap": mx.get("gap"), "status": mx.get("status"),
        "objective": mx.get("objective"), "peak_mib": mx.get("peak_mib"),
        "error": errors or None,
    }


def main() -> None:
    """CLI: ``python benchmarks/bench_scaling.py [--quick] [--time-limit S]``."""
    ap = argparse.ArgumentParser(description="scaling section")
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--time-limit", type=float, default=None)
    args = ap.parse_args()
    run(args.quick, args.time_limit)


if __name__ == "__main__":
    main()
