"""Solve OR-Library classics through the normal build/solve path (regression references)."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from specialeplan.api import build, solve
from specialeplan.data.orlib import ClassicProblem, read_cflp, read_pmedian
from specialeplan.solvers.base import SolverOptions

READERS = {"cflp": read_cflp, "pmedian": read_pmedian}


def solve_classic(problem: ClassicProblem, options: SolverOptions) -> dict[str, Any]:
    """Build and solve a reduced classic; one JSON-ready record."""
    t0 = time.perf_counter()
    built = build(problem.instance, problem.params)
    outcome = solve(built, options)
    seconds = time.perf_counter() - t0
    res = outcome.result
    sol = outcome.solution
    opened = sorted(sol.designations["provider_id"]) if sol is not None else []
    record: dict[str, Any] = {
        "instance": problem.name,
        "kind": problem.kind,
        "objective": res.objective,
        "best_bound": res.best_bound,
        "mip_gap": res.mip_gap,
        "status": str(res.status),
        "seconds": seconds,
        "build_seconds": built.build_seconds,
        "solve_seconds": res.solve_seconds,
        "facilities_open": len(opened),
        "open": opened,
        "published_optimum": problem.published_optimum,
        "solver": res.solver,
        "n_variables": res.n_variables,
        "n_constraints": res.n_constraints,
    }
    if problem.published_optimum and res.objective is not None:
        record["relative_error"] = abs(res.objective - problem.published_optimum) / abs(
            problem.published_optimum)
    return record


def solve_classic_file(kind: str, path: Path, options: SolverOptions) -> dict[str, Any]:
    """Read an OR-Library file of ``kind`` (cflp or pmedian) and solve it."""
    return solve_classic(READERS[kind](path), options)
