"""Section ``reuse``: a sweep through the sweep engine, with and without re-use.

One sweep run twice through the sweep engine, sequentially, each time in a fresh process:
once rebuilding every run from scratch, once re-using earlier runs (plan as start, bounds
kept).

The same sweep (``specialeplan.analyses.sweep.run_sweep``, sequential, ``highs-direct``, one
core per run) is run twice, each time in a fresh process:

* ``rebuild``: ``reuse: false``: every run is built and solved from scratch (load once,
  build, start heuristic, HiGHS);
* ``reuse``: ``reuse: true``: a run that restricts an earlier one (here: every run after the
  first; the grid lists minimum volume rising and the travel cutoff falling) is solved by
  ``api.resolve`` from that run's plan, repaired, with its bound (a restriction keeps it).

Full: ``scenarios/base.yaml`` (five specialer, all 98 municipalities), minimum borgerforløb
20/25/30 × travel cutoff 210/180 minutes, the scenario's time limit and gap. ``--quick``:
``scenarios/small.yaml``, 15/20/25 × 210/150, HiGHS alone (no start heuristic), 60 s limit.
Times are each run's wall seconds (``summary.csv`` column ``seconds``: build, start, solve
and writing its folder).
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
from pathlib import Path
from typing import Any

from common import REPO, log, rel_diff, run_case, write_section

FULL = {"scenario": "scenarios/base.yaml",
        "grid": {"model.defaults.min_cases": [20, 25, 30],
                 "model.defaults.max_travel_minutes": [210, 180]},
        "set": {"solver.name": "highs-direct"}}
QUICK = {"scenario": "scenarios/small.yaml",
         "grid": {"model.defaults.min_cases": [15, 20, 25],
                  "model.defaults.max_travel_minutes": [210, 150]},
         "set": {"solver.name": "highs-direct", "solver.warm_start": False,
                 "solver.time_limit": 60, "solver.mip_rel_gap": 0.01}}


def run_mode(reuse: bool, scenario: str, grid: dict[str, list[Any]],
             sets: dict[str, Any]) -> dict[str, Any]:
    """Run the sweep once (in this process) and return its summary rows."""
    from specialeplan.analyses.sweep import make_sweep, run_sweep
    from specialeplan.scenarios.sweep import SweepSpec

    path = (REPO / scenario).resolve()
    spec = SweepSpec(name="bench-reuse" if reuse else "bench-rebuild", scenario=str(path),
                     set=sets, grid=grid, reuse=reuse, excel=False)
    with tempfile.TemporaryDirectory() as tmp:
        sweep = make_sweep(spec, path)
        table = run_sweep(sweep, Path(tmp))
    cols = ["run", "status", "objective", "best_bound", "gap", "seconds", "reused_from",
            "bound_reused", "designations"]
    rows = table[[c for c in cols if c in table]].astype(object).where(
        table[[c for c in cols if c in table]].notna(), None).to_dict("records")
    return {"reuse": reuse, "runs": rows, "time_limit": sweep.runs[0].resolved.scenario
            .solver.time_limit, "mip_rel_gap": sweep.runs[0].resolved.scenario.solver
            .mip_rel_gap}


def run(quick: bool = False) -> dict[str, Any]:
    """Both modes, each in a fresh process; write ``results/reuse.json``."""
    cfg = QUICK if quick else FULL
    by_mode: dict[str, dict[str, Any]] = {}
    for mode in ("rebuild", "reuse"):
        log(f"reuse: {mode} ({cfg['scenario']}, {len(cfg['grid'])} keys)")
        by_mode[mode] = run_case({"case": "reuse", "reuse": mode == "reuse", **cfg},
                                 timeout=7200)
    errors = {m: r["error"] for m, r in by_mode.items() if "error" in r}
    rows: list[dict[str, Any]] = []
    summary: dict[str, Any] = {}
    if not errors:
        gap = by_mode["rebuild"]["mip_rel_gap"]
        for a, b in zip(by_mode["rebuild"]["runs"], by_mode["reuse"]["runs"], strict=True):
            diff = rel_diff(a["objective"], b["objective"])
            rows.append({
                "run": a["run"], "rebuild_s": a["seconds"], "reuse_s": b["seconds"],
                "speedup": a["seconds"] / b["seconds"] if b["seconds"] else None,
                "rebuild_objective": a["objective"], "reuse_objective": b["objective"],
                "rebuild_gap": a["gap"], "reuse_gap": b["gap"],
                "reused_from": b["reused_from"], "bound_reused": b["bound_reused"],
                "rel_diff": diff, "within_gap": diff is not None and diff <= 2 * gap + 1e-9,
                "status": f"{a['status']}/{b['status']}"})
        later = rows[1:]
        summary = {
            "total_rebuild_s": sum(r["rebuild_s"] for r in rows),
            "total_reuse_s": sum(r["reuse_s"] for r in rows),
            "speedup_total": sum(r["rebuild_s"] for r in rows) / sum(r["reuse_s"] for r in rows),
            "speedup_reused_runs": (sum(r["rebuild_s"] for r in later)
                                    / sum(r["reuse_s"] for r in later)) if later else None,
            "speedup_median": statistics.median(r["speedup"] for r in later) if later else None,
            "all_within_gap": all(r["within_gap"] for r in rows),
        }
    payload = {
        "title": f"Sweep re-use vs rebuild ({cfg['scenario']}, {len(rows)} runs)",
        "scenario": cfg["scenario"], "grid": cfg["grid"], "set": cfg["set"],
        "notes": [__doc__.split("\n\n")[1].replace("\n", " "),
                  "speedup = rebuild s / re-use s per run; speedup_reused_runs: the runs "
                  "after the first (the first is cold in both); within gap: objectives "
                  "within twice mip_rel_gap of each other."],
        "errors": errors, "summary": summary,
        "columns": [
            ["run", "run", "str"], ["rebuild_s", "rebuild s", "s"],
            ["reuse_s", "re-use s", "s"], ["speedup", "speedup", "ratio"],
            ["rebuild_objective", "objective (rebuild)", "obj"],
            ["reuse_objective", "objective (re-use)", "obj"],
            ["rebuild_gap", "gap (rebuild)", "pct"], ["reuse_gap", "gap (re-use)", "pct"],
            ["reused_from", "re-used", "str"], ["bound_reused", "bound reused", "bool"],
            ["within_gap", "same within gap", "bool"], ["status", "status", "str"]],
        "rows": rows,
    }
    write_section("reuse", payload, quick=quick)
    return payload


def main() -> None:
    """CLI: ``python benchmarks/bench_reuse.py [--quick]``."""
    ap = argparse.ArgumentParser(description="reuse section")
    ap.add_argument("--quick", action="store_true")
    run(ap.parse_args().quick)


if __name__ == "__main__":
    main()
