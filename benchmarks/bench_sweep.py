"""Section ``sweep``: re-solving many small variations of one scenario.

Variation j forbids one of today's designations (the j-th designated-today pair of the
scenario, sorted by speciale and provider): "what if this provider stops?". The Pyomo model
has no mutable parameters, so a forbidden designation is the cheap change a persistent
solver can take: fix ``y[p,s] = r[p,s] = 0`` (a bound change); min_cases or demand_growth
would change constraint coefficients and need rows rebuilt.

Modes, each in its own process:

* ``a`` rebuild + Pyomo: ``build`` + ``solve`` (backend ``highs``, Pyomo model) per variation;
* ``b`` persistent Pyomo: one Pyomo model (``built.pyomo``) and one ``PyomoHighs``; the base
  scenario is solved once (setup, not counted), then per variation un-fix the previous pair,
  fix the new one and re-solve; the previous variation's solution is the MIP start (APPSI
  warm start) instead of the constructive start heuristic (whose data would not know the
  fixing);
* ``c`` rebuild + direct: ``build`` + ``solve`` (backend ``highs-direct``).

(a) and (c) use the scenario's solver options, start heuristic included.
"""

from __future__ import annotations

import argparse
import statistics
import time
from typing import Any

from common import log, rel_diff, run_case, write_section

SCENARIO = "scenarios/small.yaml"
N_FULL, N_QUICK = 20, 2
MODES = {"a": "rebuild, Pyomo (highs)", "b": "persistent Pyomo model + one PyomoHighs",
         "c": "rebuild, direct (highs-direct)"}


def sweep_pairs(data: Any, n: int) -> list[tuple[int, str, str]]:
    """(pair index, provider_id, speciale) of the first ``n`` usable designated-today pairs."""
    pairs = data.pairs
    sel = pairs[pairs["designated_today"] & pairs["usable"] & ~pairs["fixed"]]
    sel = sel.sort_values(["function", "provider_id"]).head(n)
    if len(sel) < n:
        raise ValueError(f"only {len(sel)} designated-today pairs to forbid, need {n}")
    return [(int(i), str(p), str(s)) for i, p, s in
            zip(sel["pair"], sel["provider_id"], sel["function"], strict=True)]


def run_mode(mode: str, scenario: str, n: int) -> dict[str, Any]:
    """Run all ``n`` variations in mode ``a``, ``b`` or ``c`` (in this process)."""
    from specialeplan.api import build, load_dataset, solve
    from specialeplan.model.params import Designation
    from specialeplan.solvers.pyomo_highs import PyomoHighs

    resolved = load_scenario_(scenario)
    sc = resolved.scenario
    instance = load_dataset(sc.dataset, resolved.base_dir)
    name = "highs-direct" if mode == "c" else "highs"
    options = sc.solver.model_copy(update={"name": name, "verbose": False})
    t0 = time.perf_counter()
    base = build(instance, sc.model)
    variations = sweep_pairs(base.data, n)
    rows: list[dict[str, Any]] = []
    setup: dict[str, Any] = {}
    if mode == "b":
        backend = PyomoHighs()
        first = solve(base, options, backend=backend)
        setup = {"setup_s": time.perf_counter() - t0, "objective": first.result.objective}
        m = base.pyomo  # the Pyomo model the backend solves, changed in place below
        prev: int | None = None
        for j, (i, p, s) in enumerate(variations):
            t = time.perf_counter()
            if prev is not None:
                m.y[prev].unfix()
                m.r[prev].unfix()
            m.y[i].fix(0)
            m.r[i].fix(0)
            res, _ = backend.solve(base.problem, options)
            rows.append(_row(j, p, s, time.perf_counter() - t, res, 0.0))
            prev = i
    else:
        for j, (_i, p, s) in enumerate(variations):
            t = time.perf_counter()
            params = sc.model.model_copy(update={"forbidden": [
                *sc.model.forbidden, Designation(provider_id=p, speciale=s)]})
            built = build(instance, params)
            out = solve(built, options)
            rows.append(_row(j, p, s, time.perf_counter() - t, out.result, built.build_seconds))
    return {"mode": mode, "solver": name, "scenario": sc.name, "n": n,
            "time_limit": options.time_limit, "mip_rel_gap": options.mip_rel_gap,
            "variations": rows, **setup}


def load_scenario_(path: str) -> Any:
    """``load_scenario`` imported lazily (keeps this module light for the parent process)."""
    from specialeplan.scenarios.schema import load_scenario

    return load_scenario(path)


def _row(j: int, p: str, s: str, seconds: float, res: Any, build_s: float) -> dict[str, Any]:
    return {"j": j, "forbid": f"{p}/{s}", "seconds": seconds, "build_s": build_s,
            "objective": res.objective, "gap": res.mip_gap, "status": str(res.status),
            "start_s": res.extra.get("start_seconds")}


def run(quick: bool = False) -> dict[str, Any]:
    """Run the three modes and write ``results/sweep.json``."""
    n = N_QUICK if quick else N_FULL
    by_mode: dict[str, dict[str, Any]] = {}
    for mode in MODES:
        log(f"sweep: mode {mode} ({MODES[mode]}), {n} variations")
        by_mode[mode] = run_case({"case": "sweep", "mode": mode, "scenario": SCENARIO, "n": n},
                                 timeout=3600)
    errors = {m: r["error"] for m, r in by_mode.items() if "error" in r}
    rows: list[dict[str, Any]] = []
    if not errors:
        gap_tol = by_mode["a"]["mip_rel_gap"]
        for j in range(n):
            va, vb, vc = (by_mode[m]["variations"][j] for m in "abc")
            objs = [v["objective"] for v in (va, vb, vc)]
            diff = max((rel_diff(x, y) or 0.0) for x in objs for y in objs) \
                if None not in objs else None
            rows.append({
                "j": j + 1, "forbid": va["forbid"], "a_s": va["seconds"], "b_s": vb["seconds"],
                "c_s": vc["seconds"], "b_over_a": vb["seconds"] / va["seconds"],
                "c_over_a": vc["seconds"] / va["seconds"], "obj_a": objs[0], "obj_b": objs[1],
                "obj_c": objs[2], "max_rel_diff": diff,
                "same_obj": diff is not None and diff <= gap_tol + 1e-9,
                "status": "/".join(v["status"] for v in (va, vb, vc)),
            })
    summary = _summary(rows, by_mode) if rows else {}
    payload = {
        "title": "Parameter sweep: rebuild vs persistent re-solve",
        "scenario": SCENARIO, "n_variations": n, "modes": MODES,
        "notes": [__doc__.split("\n\n")[1].replace("\n", " "),
                  "(b) re-solves with the previous variation's solution as MIP start; (a), (c) "
                  "run the constructive start heuristic each time. same_obj: all three "
                  "objectives within the scenario's mip_rel_gap of each other."],
        "errors": errors, "summary": summary,
        "setup": {m: {k: v for k, v in r.items() if k != "variations"}
                  for m, r in by_mode.items()},
        "columns": [
            ["j", "#", "int"], ["forbid", "forbidden pair", "str"],
            ["a_s", "(a) rebuild Pyomo s", "s"], ["b_s", "(b) persistent s", "s"],
            ["c_s", "(c) rebuild direct s", "s"], ["b_over_a", "time (b)/(a)", "ratio"],
            ["c_over_a", "time (c)/(a)", "ratio"], ["obj_a", "objective (a)", "obj"],
            ["max_rel_diff", "max rel diff", "sci"], ["same_obj", "same obj", "bool"],
            ["status", "status a/b/c", "str"]],
        "rows": rows,
    }
    write_section("sweep", payload, quick=quick)
    return payload


def _summary(rows: list[dict[str, Any]], by_mode: dict[str, dict[str, Any]]) -> dict[str, Any]:
    tot = {m: sum(r[f"{m}_s"] for r in rows) for m in "abc"}
    return {
        "total_a_s": tot["a"], "total_b_s": tot["b"], "total_c_s": tot["c"],
        "b_setup_s": by_mode["b"].get("setup_s"),
        "speedup_b_vs_a_total": tot["a"] / tot["b"],
        "speedup_b_vs_a_median": statistics.median(r["a_s"] / r["b_s"] for r in rows),
        "speedup_b_vs_a_min": min(r["a_s"] / r["b_s"] for r in rows),
        "speedup_c_vs_a_total": tot["a"] / tot["c"],
        "all_same_obj": all(r["same_obj"] for r in rows),
    }


def main() -> None:
    """CLI: ``python benchmarks/bench_sweep.py [--quick]``."""
    ap = argparse.ArgumentParser(description="sweep section")
    ap.add_argument("--quick", action="store_true")
    run(ap.parse_args().quick)


if __name__ == "__main__":
    main()
