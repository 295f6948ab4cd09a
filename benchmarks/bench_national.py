"""Section ``national``: the base scenario end to end, Pyomo (``highs``) vs ``highs-direct``.

Both in the same run, each in a fresh process, with the scenario's solver options (time
limit overridable). Columns: load (dataset), build (sets + model), translate (Pyomo only:
APPSI hands the model to HiGHS; inside ``solve`` in normal use, timed separately here), start
(constructive start heuristic), HiGHS (the MIP solve after the start), total (all of it).
``--quick`` uses scenarios/small.yaml instead of scenarios/base.yaml.
``--baseline PYTHON ROOT`` also times ``highs-direct`` with another checkout (e.g. the code
before a change, installed in its own virtual environment), alternating with this tree,
``--repeat`` times each, so a change's cost is measured under the same machine load.
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path
from typing import Any

from common import log, run_case, write_section

SOLVERS = ("highs", "highs-direct")
FULL, QUICK = "scenarios/base.yaml", "scenarios/small.yaml"


def run(quick: bool = False, time_limit: float | None = None,
        baseline: tuple[str, str] | None = None, repeat: int = 2,
        baseline_label: str = "") -> dict[str, Any]:
    """Solve the scenario with both backends; write ``results/national.json``.

    ``time_limit``: seconds per backend (None = the scenario's own ``solver.time_limit``).
    ``baseline``: (python, checkout root) to compare ``highs-direct`` with, ``repeat`` times.
    """
    scenario = QUICK if quick else FULL
    rows: list[dict[str, Any]] = []
    for solver in SOLVERS:
        log(f"national: {scenario} {solver} (time limit {time_limit or 'from scenario'})")
        rec = run_case({"case": "scenario", "scenario": scenario, "solver": solver,
                        "time_limit": time_limit}, timeout=(time_limit or 900) + 600)
        rec.setdefault("solver", solver)
        if rec.get("total_s"):
            rec["build_share"] = (rec["build_s"] + rec["translate_s"]) / rec["total_s"]
        rows.append(rec)
    by = {r["solver"]: r for r in rows}
    compare: dict[str, Any] = {}
    if baseline is not None:
        python, root = baseline
        spec = {"case": "scenario", "scenario": scenario, "solver": "highs-direct",
                "time_limit": time_limit}
        for i in range(repeat):
            for code, kw in (("baseline", {"python": python, "root": Path(root)}),
                             ("this tree", {})):
                log(f"national: {scenario} highs-direct, {code}, run {i + 1}/{repeat}")
                rec = run_case(spec, timeout=(time_limit or 900) + 600, **kw)
                rec.update(code=code, load_1min=os.getloadavg()[0])
                if rec.get("total_s"):
                    rec["build_share"] = (rec["build_s"] + rec["translate_s"]) / rec["total_s"]
                rows.append(rec)
        mean = {c: sum(r.get("total_s") or 0.0 for r in rows if r.get("code") == c) / repeat
                for c in ("baseline", "this tree")}
        compare = {"baseline_mean_total_s": mean["baseline"],
                   "this_tree_mean_total_s": mean["this tree"],
                   "ratio_this_over_baseline": (mean["this tree"] / mean["baseline"]
                                                if mean["baseline"] else None)}
    b_py, b_di = by["highs"].get("build_s"), by["highs-direct"].get("build_s")
    tr_py = by["highs"].get("translate_s") or 0.0
    payload = {
        "title": f"National scenario end to end ({scenario})",
        "scenario": scenario,
        "notes": [__doc__.split("\n\n")[1].replace("\n", " "),
                  "build share = (build + translate) / total.",
                  *([f"code 'baseline' = {baseline_label or baseline[1]}; 'this tree' = the "
                     "working tree; alternating, one after the other, load = 1-min load "
                     "average after the run"] if baseline else [])],
        "summary": {"build_ratio_pyomo_over_direct": b_py / b_di if b_py and b_di else None,
                    "build_translate_ratio_pyomo_over_direct":
                    (b_py + tr_py) / b_di if b_py and b_di else None, **compare},
        "columns": [
            ["scenario", "scenario", "str"], ["solver", "solver", "str"],
            ["code", "code", "str"], ["load_1min", "load", "s"],
            ["rows", "rows", "int"], ["cols", "cols", "int"], ["nonzeros", "nonzeros", "int"],
            ["binaries", "binaries", "int"], ["load_s", "load s", "s"],
            ["build_s", "build s", "s"], ["translate_s", "translate s", "s"],
            ["start_s", "start s", "s"], ["highs_s", "HiGHS s", "s"],
            ["total_s", "total s", "s"], ["build_share", "build share", "pct"],
            ["time_limit", "limit s", "s"], ["objective", "objective", "obj"],
            ["gap", "gap", "pct"], ["status", "status", "str"], ["peak_mib", "peak MiB", "mib"],
            ["error", "error", "str"]],
        "rows": rows,
    }
    write_section("national", payload, quick=quick)
    return payload


def main() -> None:
    """CLI: ``python benchmarks/bench_national.py [--quick] [--time-limit S]``."""
    ap = argparse.ArgumentParser(description="national section")
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--time-limit", type=float, default=None)
    ap.add_argument("--baseline", nargs=2, metavar=("PYTHON", "ROOT"), default=None,
                    help="also time highs-direct with this interpreter and checkout")
    ap.add_argument("--repeat", type=int, default=2, help="runs each for --baseline")
    ap.add_argument("--baseline-label", default="", help="what the baseline is (for the notes)")
    args = ap.parse_args()
    run(args.quick, args.time_limit, tuple(args.baseline) if args.baseline else None,
        args.repeat, args.baseline_label)


if __name__ == "__main__":
    main()
