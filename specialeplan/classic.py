"""Solve OR-Library classics through the normal build/solve path (regression references)."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from specialeplan.api import build, solve
from specialeplan.data.orlib import BENCHMARK_DIR, ClassicProblem, read_cflp, read_pmedian
from specialeplan.errors import DataValidationError, did_you_mean
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


def bundled_instances() -> list[str]:
    """Names of the OR-Library instances installed with the package (``pmed1``, ``cap41``)."""
    return sorted(p.stem for p in BENCHMARK_DIR.glob("*.txt"))


def instance_file(spec: str | Path) -> Path:
    """An instance file: ``spec`` itself when it is a file, else the bundled instance of that
    name (``pmed1`` or ``pmed1.txt``); a clear error naming the closest bundled ones."""
    path = Path(spec)
    if path.is_file():
        return path
    bundled = BENCHMARK_DIR / f"{path.stem}.txt"
    if path.parent == Path(".") and bundled.is_file():
        return bundled
    raise DataValidationError(
        f"no such file, and no bundled OR-Library instance named {path.stem!r}"
        + did_you_mean(path.stem, bundled_instances()) + " (bundled: "
        + ", ".join(bundled_instances()) + ")", file=str(spec))


def solve_classic_file(kind: str, path: str | Path, options: SolverOptions) -> dict[str, Any]:
    """Read an OR-Library file of ``kind`` (cflp or pmedian), or the bundled instance of that
    name, and solve it."""
    return solve_classic(READERS[kind](instance_file(path)), options)
