"""Run ONE benchmark case in this (fresh) process and write its record as JSON.

    python benchmarks/_case.py '{"case": "classic", "path": "...", "solver": "highs"}' out.json

``peak_mib`` is this process's ``ru_maxrss`` at the end (imports included), ``base_mib``
the same just before the case started (after imports), so ``peak_mib − base_mib`` is what
the case itself added to the high-water mark.
"""

from __future__ import annotations

import dataclasses
import json
import resource
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
import pyomo.environ as pyo
import scipy.sparse as sp

import specialeplan.classic as classic_mod
from specialeplan.api import build, load_dataset, solve
from specialeplan.data.orlib import read_classic
from specialeplan.scenarios.schema import load_scenario
from specialeplan.solvers.base import SolveResult, SolverOptions
from specialeplan.solvers.pyomo_highs import PyomoHighs
from specialeplan.solvers.registry import get_backend


def rss_mib() -> float:
    """High-water resident memory of this process in MiB (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def result_fields(res: SolveResult) -> dict[str, Any]:
    """The size, status and objective fields every record shares."""
    return {
        "rows": res.n_constraints, "cols": res.n_variables, "nonzeros": res.n_nonzeros,
        "binaries": res.n_binaries, "status": str(res.status), "objective": res.objective,
        "best_bound": res.best_bound, "gap": res.mip_gap, "nodes": res.nodes,
        "start_s": res.extra.get("start_seconds"),
        "start_objective": res.extra.get("start_objective"),
        "parallel": res.extra.get("parallel"),
        "primal_solutions": res.extra.get("primal_solutions"),
    }


def case_classic(spec: dict[str, Any]) -> dict[str, Any]:
    """An OR-Library instance through :func:`specialeplan.classic.solve_classic`."""
    problem = read_classic(spec["path"])
    options = SolverOptions(name=spec["solver"], mip_rel_gap=spec.get("gap", 0.0),
                            time_limit=spec.get("time_limit", 600.0),
                            warm_start=spec.get("warm_start", True))
    captured: list[Any] = []
    inner = classic_mod.solve

    def capture(*args: Any, **kwargs: Any) -> Any:  # keep the full SolveResult
        outcome = inner(*args, **kwargs)
        captured.append(outcome)
        return outcome

    classic_mod.solve = capture
    try:
        rec = classic_mod.solve_classic(problem, options)
    finally:
        classic_mod.solve = inner
    res = captured[0].result
    return {**result_fields(res), "instance": problem.name, "kind": problem.kind,
            "solver": spec["solver"], "build_s": rec["build_seconds"],
            "solve_s": rec["solve_seconds"], "total_s": rec["seconds"],
            "published": problem.published_optimum, "rel_error": rec.get("relative_error")}


def pulp_solver(gap: float) -> tuple[Any, str]:
    """PuLP's in-process HiGHS, else HiGHS_CMD, else CBC; with its name."""
    import pulp

    candidates = [("HiGHS (highspy)", lambda: pulp.HiGHS(msg=False, gapRel=gap)),
                  ("HiGHS_CMD", lambda: pulp.HiGHS_CMD(msg=False, gapRel=gap)),
                  ("PULP_CBC_CMD", lambda: pulp.PULP_CBC_CMD(msg=False, gapRel=gap))]
    for name, make in candidates:
        try:
            solver = make()
        except Exception:  # noqa: BLE001 - a missing solver class or binary
            continue
        if solver.available():
            return solver, name
    raise RuntimeError("no PuLP MIP solver available")


def case_spopt(spec: dict[str, Any]) -> dict[str, Any]:
    """spopt's PMedian on the same distance matrix, unit weights, solved through PuLP."""
    import numpy as np
    import pulp
    from spopt.locate import PMedian

    problem = read_classic(spec["path"])
    inst = problem.instance
    n = len(inst.municipalities)
    p = int(problem.params.defaults.max_count)
    cost = (inst.provider_travel.pivot(index="municipality_code", columns="provider_id",
                                       values="minutes")
            .reindex(index=inst.municipalities["code"], columns=inst.providers["provider_id"])
            .to_numpy(dtype=float))
    weights = np.ones(n)
    solver, solver_name = pulp_solver(spec.get("gap", 0.0))
    t0 = time.perf_counter()
    model = PMedian.from_cost_matrix(cost, weights, p_facilities=p)
    t1 = time.perf_counter()
    model = model.solve(solver)
    t2 = time.perf_counter()
    prob = model.problem
    return {
        "instance": problem.name, "n": n, "p": p, "solver": solver_name,
        "status": pulp.LpStatus[prob.status], "objective": pulp.value(prob.objective),
        "build_s": t1 - t0, "solve_s": t2 - t1, "total_s": t2 - t0,
        "rows": len(prob.constraints), "cols": len(prob.variables()),
        "published": problem.published_optimum,
    }


def case_scenario(spec: dict[str, Any]) -> dict[str, Any]:
    """A scenario file built and solved end to end with one backend.

    For ``highs`` (Pyomo) the APPSI translation to HiGHS is timed on its own
    (``translate_s``) by handing the model to the persistent backend before ``solve``.
    """
    resolved = load_scenario(spec["scenario"])
    sc = resolved.scenario
    update: dict[str, Any] = {"name": spec["solver"], "verbose": False}
    if spec.get("time_limit") is not None:
        update["time_limit"] = float(spec["time_limit"])
    options = sc.solver.model_copy(update=update)
    t0 = time.perf_counter()
    instance = load_dataset(sc.dataset, resolved.base_dir)
    load_s = time.perf_counter() - t0
    backend = get_backend(options.name)
    built = build(instance, sc.model)
    translate_s = pyomo_s = 0.0
    if isinstance(backend, PyomoHighs):
        t = time.perf_counter()
        model = built.pyomo  # the Pyomo model of the problem, kept with it
        pyomo_s = time.perf_counter() - t
        t = time.perf_counter()
        backend._opt.set_instance(model)  # what PyomoHighs.solve does first
        translate_s = time.perf_counter() - t
    outcome = solve(built, options, backend=backend)
    total = time.perf_counter() - t0
    res = outcome.result
    kpis = outcome.solution.kpis if outcome.solution is not None else {}
    floor = kpis.get("care_floor_dkk")  # the objective is above it (issue 21's objective)
    return {**result_fields(res), "scenario": sc.name, "solver": options.name,
            "objective_unit": kpis.get("objective_unit", "unit-less"),
            "care_floor_t": floor / 1000.0 if isinstance(floor, int | float) else None,
            "time_limit": options.time_limit, "mip_rel_gap": options.mip_rel_gap,
            "load_s": load_s, "build_s": built.build_seconds + pyomo_s,
            "translate_s": translate_s,
            "solve_s": res.solve_seconds, "highs_s": res.solve_seconds - (res.extra.get(
                "start_seconds") or 0.0), "total_s": total}


def case_scale(spec: dict[str, Any]) -> dict[str, Any]:
    """A replicated instance (benchmarks/scale.py): build one kind, optionally solve."""
    from scale import scaled_instance

    t0 = time.perf_counter()
    instance = scaled_instance(int(spec["factor"]), int(spec.get("seed", 0)))
    gen_s = time.perf_counter() - t0
    resolved = load_scenario(spec["scenario"])
    sc = resolved.scenario
    params = sc.model.model_copy(update={"specialer": instance.speciale_ids[: int(spec["k"])]})
    base = rss_mib()
    built = build(instance, params)
    build_s = built.build_seconds
    if spec["kind"] == "pyomo":  # the matrix plus its Pyomo model
        t = time.perf_counter()
        m = built.pyomo
        build_s += time.perf_counter() - t
    build_mib = rss_mib()
    rec: dict[str, Any] = {"factor": spec["factor"], "k": spec["k"], "kind": spec["kind"],
                           "providers": len(instance.providers), "gen_s": gen_s,
                           "build_s": build_s, "build_base_mib": base,
                           "build_peak_mib": build_mib, **built.data.sizes}
    mp = built.problem
    rec.update(rows=int(mp.A.shape[0]), cols=int(mp.A.shape[1]), nonzeros=int(mp.A.nnz),
               binaries=int(mp.integer.sum()))
    if spec["kind"] == "pyomo":
        assert rec["rows"] == sum(1 for _ in m.component_data_objects(pyo.Constraint))
    if spec.get("solve"):
        options = sc.solver.model_copy(update={
            "name": "highs-direct", "time_limit": float(spec["time_limit"]),
            "mip_rel_gap": float(spec["gap"]), "verbose": False})
        outcome = solve(built, options)
        res = outcome.result
        rec.update({k: v for k, v in result_fields(res).items() if k not in ("rows", "cols")})
        rec.update(solve_s=res.solve_seconds, time_limit=options.time_limit,
                   mip_rel_gap=options.mip_rel_gap,
                   total_s=built.build_seconds + res.solve_seconds)
    return rec


def case_bound(spec: dict[str, Any]) -> dict[str, Any]:
    """LP bound and HiGHS's bound after ``seconds`` (no start, heuristics off) for one
    formulation variant of a scenario (``--set`` overrides in ``spec["set"]``)."""
    resolved = load_scenario(spec["scenario"], spec.get("set", []))
    sc = resolved.scenario
    built = build(load_dataset(sc.dataset, resolved.base_dir), sc.model)
    problem = built.problem
    if spec.get("knapsack"):
        problem = knapsack_rows(built)
    backend = get_backend("highs-direct")
    opts = SolverOptions(name="highs-direct", time_limit=600, mip_rel_gap=0.0,
                         warm_start=False, threads=1)
    t0 = time.perf_counter()
    lp, _ = backend.solve(problem.relaxed(), opts)
    lp_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    res, _ = backend.solve(problem, opts.model_copy(update={
        "time_limit": float(spec["seconds"]), "options": {"mip_heuristic_effort": 0.0}}))
    return {"variant": spec["variant"], "lp_bound": lp.objective, "lp_s": lp_s,
            "bound": res.best_bound, "mip_s": time.perf_counter() - t0,
            "seconds": spec["seconds"], **problem.sizes()}


def knapsack_rows(built: Any) -> Any:
    """The problem plus Σ_s m_s·y[p,s] ≤ C_p per provider (implied by min volume and
    capacity; tried as a cut generator for HiGHS)."""
    data, p = built.data, built.problem
    ms = data.pairs["function"].map(data.function_params["min_cases"]).to_numpy()
    pid = data.provider_index(data.pairs["provider_id"])
    y = p.columns["y"]
    rows = sp.csr_matrix((ms, (pid, y.start + np.arange(y.size))),
                         shape=(len(data.instance.providers), p.n_columns))
    keep = np.asarray(rows.getnnz(axis=1)) > 0
    return dataclasses.replace(
        p, A=sp.vstack([p.A, rows[keep]]).tocsr(),
        row_lower=np.r_[p.row_lower, np.full(int(keep.sum()), -np.inf)],
        row_upper=np.r_[p.row_upper, data.instance.providers["capacity"].to_numpy()[keep]],
        cache={})


def case_resolve(spec: dict[str, Any]) -> dict[str, Any]:
    """A cold solve of a scenario, then one change solved twice: cold, and by
    ``api.resolve`` from the first result. Seconds and gaps of both."""
    from specialeplan.api import resolve
    from specialeplan.model.params import Designation

    resolved = load_scenario(spec["scenario"])
    sc = resolved.scenario
    options = sc.solver.model_copy(update={"name": "highs-direct", "verbose": False,
                                           "time_limit": float(spec["time_limit"])})
    instance = load_dataset(sc.dataset, resolved.base_dir)
    t0 = time.perf_counter()
    first = solve(build(instance, sc.model), options)
    first_s = time.perf_counter() - t0
    des = first.solution.designations.sort_values("cases", ascending=False)
    change = spec["change"]
    if change == "forbid_busiest":
        top = des.iloc[0]
        params = sc.model.model_copy(update={"forbidden": [
            *sc.model.forbidden, Designation(provider_id=top.provider_id,
                                             function=top.function)]})
        what = f"forbid {top.provider_id}/{top.function} ({top.cases:.0f} borgerforløb)"
    elif change == "min_cases_plus_5":
        s = str(des.iloc[0].function)
        current = sc.model.function_table(
            [s], instance.function_ids, None, instance.specialer_of(),
            instance.speciale_ids).iloc[0]["min_cases"]
        per = {**sc.model.per_function}
        per[s] = sc.model.defaults.model_copy(update={"min_cases": float(current) + 5})
        params = sc.model.model_copy(update={"per_function": per})
        what = f"min_cases of {s} {current:g} → {current + 5:g}"
    else:
        raise ValueError(change)
    t0 = time.perf_counter()
    again = resolve(first, params, options)
    resolve_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    cold = solve(build(instance, params), options)
    cold_s = time.perf_counter() - t0
    ra, rc = again.result, cold.result
    return {"change": what, "first_s": first_s, "first_gap": first.result.mip_gap,
            "resolve_s": resolve_s, "resolve_gap": ra.mip_gap, "resolve_status": str(ra.status),
            "resolve_objective": ra.objective, "bound_reused": ra.extra.get("bound_reused"),
            "repair": ra.extra.get("repair"), "cold_s": cold_s, "cold_gap": rc.mip_gap,
            "cold_status": str(rc.status), "cold_objective": rc.objective,
            "speedup": cold_s / resolve_s if resolve_s else None}


def case_sweep(spec: dict[str, Any]) -> dict[str, Any]:
    """One mode of the parameter sweep (benchmarks/bench_sweep.py)."""
    from bench_sweep import run_mode

    return run_mode(spec["mode"], spec["scenario"], int(spec["n"]))


def case_reuse(spec: dict[str, Any]) -> dict[str, Any]:
    """One mode of the sweep re-use section (benchmarks/bench_reuse.py)."""
    from bench_reuse import run_mode

    return run_mode(bool(spec["reuse"]), spec["scenario"], spec["grid"], spec["set"])


CASES = {"classic": case_classic, "spopt": case_spopt, "scenario": case_scenario,
         "scale": case_scale, "sweep": case_sweep, "bound": case_bound,
         "resolve": case_resolve, "reuse": case_reuse}


def main() -> None:
    """Parse the spec, run the case, write the record."""
    spec = json.loads(sys.argv[1])
    out = Path(sys.argv[2])
    base = rss_mib()
    t0 = time.perf_counter()
    record = CASES[spec["case"]](spec)
    record.update(case_s=time.perf_counter() - t0, base_mib=base, peak_mib=rss_mib())
    out.write_text(json.dumps(record, default=lambda o: o.item() if hasattr(o, "item")
                              else str(o)))


if __name__ == "__main__":
    main()
