"""How the placement model is solved: a primal heuristic for good solutions, HiGHS for the bound.

Measured on ``national_2030`` (``benchmarks/BENCHMARKS.md``): HiGHS proves a strong bound
on the aggregate volume formulation but finds good solutions slowly, while on the per-arc
formulation its heuristics find them much sooner. So :func:`solve_model`

- searches for solutions with :func:`~specialeplan.solvers.primal.lp_guided_search` on the
  **per-arc** view of the same model (LP-guided restricted MIP, then large-neighbourhood
  search over groups of specialer and of regions), mapping each solution to the model's
  columns (X[p,s] = Σ_k x[k,p,s]);
- proves the bound with HiGHS on the model itself (aggregate formulation).

With ``solver.parallel`` (default: on when the machine has two cores or more, the backend is
``highs-direct`` and the model has at least :data:`PARALLEL_MIN_BINARIES` binaries) both run
at once, the search in a second process whose solutions HiGHS takes as they come
(:mod:`specialeplan.solvers.portfolio`); otherwise the search runs first, for
:data:`SEARCH_SHARE` of the time, and its best solution is HiGHS's MIP start. Either way
the whole run stays inside the time limit (:class:`~specialeplan.solvers.base.Deadline`).
"""

from __future__ import annotations

import dataclasses
import os
import time
from typing import Any

import numpy as np
import pandas as pd
import scipy.sparse as sp

from specialeplan.model.build import build_problem
from specialeplan.model.sets import ModelData
from specialeplan.solvers.base import (
    Backend,
    Deadline,
    SolveHooks,
    SolveResult,
    SolverOptions,
    Status,
    interrupt_requested,
)
from specialeplan.solvers.portfolio import PrimalWorker
from specialeplan.solvers.primal import lp_guided_search
from specialeplan.solvers.problem import LinearProblem

PARALLEL_MIN_BINARIES = 600
"""Below this the MIP alone is quick and a second process costs more than it brings."""
SEARCH_SHARE = 0.4
"""Sequential mode: the share of the time the primal search gets before HiGHS."""
WRITE_RESERVE = 2.0
"""Seconds kept back from the time limit for extracting and writing the result."""


def primal_view(data: ModelData, problem: LinearProblem) -> tuple[LinearProblem, sp.csr_matrix]:
    """The problem the primal search works on (the per-arc formulation of the same model)
    and the matrix that maps its solutions to ``problem``'s columns."""
    if data.params.volume_formulation == "per_arc":
        return problem, sp.identity(problem.n_columns, format="csr")
    params = data.params.model_copy(update={"volume_formulation": "per_arc"})
    primal = build_problem(dataclasses.replace(data, params=params))
    rows, cols, vals = [], [], []
    for name, block in problem.columns.items():
        if name in primal.columns and primal.columns[name].size == block.size:
            rows.append(block.start + np.arange(block.size))
            cols.append(primal.columns[name].start + np.arange(block.size))
            vals.append(np.ones(block.size))
        elif name == "X":  # the pair volume: X[p,s] = Σ_k x[k,p,s]
            pair = data.arcs["pair"].to_numpy()
            rows.append(block.start + pair)
            cols.append(primal.columns["x"].start + np.arange(len(pair)))
            vals.append(np.ones(len(pair)))
        else:
            raise ValueError(f"column block {name!r} has no counterpart in the per-arc view")
    mapping = sp.csr_matrix((np.concatenate(vals), (np.concatenate(rows),
                                                    np.concatenate(cols))),
                            shape=(problem.n_columns, primal.n_columns))
    return primal, mapping


def column_groupings(data: ModelData, problem: LinearProblem) -> list[np.ndarray]:
    """Neighbourhoods for the search, as a group id per column: the speciale of a column,
    and the region of its provider (−1 where a column has none)."""
    region = data.instance.providers.merge(
        data.instance.municipalities[["code", "region"]], left_on="municipality_code",
        right_on="code", how="left").set_index("provider_id")["region"]
    specialer = {s: i for i, s in enumerate(data.specialer)}
    regions = {r: i for i, r in enumerate(sorted(region.dropna().unique()))}
    by_speciale, by_region = [], []
    for block in problem.columns.values():
        s = block.labels.column("speciale")
        p = block.labels.column("provider_id")
        by_speciale.append(np.full(block.size, -1) if s is None else
                           pd.Series(s).map(specialer).fillna(-1).to_numpy(dtype=int))
        by_region.append(np.full(block.size, -1) if p is None else
                         pd.Series(p).map(region).map(regions).fillna(-1).to_numpy(dtype=int))
    return [np.concatenate(by_speciale), np.concatenate(by_region)]


def use_parallel(options: SolverOptions, problem: LinearProblem) -> bool:
    """Whether :func:`solve_model` runs the search in a second process (module docstring)."""
    if options.parallel is not None:
        return options.parallel and options.name == "highs-direct"
    return ((os.cpu_count() or 1) >= 2 and options.name == "highs-direct"
            and problem.n_integer >= PARALLEL_MIN_BINARIES)


def _adopt(result: SolveResult, problem: LinearProblem, z_new: np.ndarray,
           options: SolverOptions) -> None:
    """Take a better solution found beside the solver: objective, and the status its gap
    to the solver's bound earns (interrupted stays interrupted)."""
    result.objective = problem.objective(z_new)
    if result.status == Status.INTERRUPTED:
        return
    gap = result.mip_gap
    result.status = (Status.OPTIMAL if gap is not None and gap <= options.mip_rel_gap + 1e-12
                     else Status.TIME_LIMIT)


def solve_model(
    data: ModelData, problem: LinearProblem, options: SolverOptions, backend: Backend,
    deadline: Deadline,
) -> tuple[SolveResult, np.ndarray | None, dict[str, Any]]:
    """Solve ``problem`` (see the module docstring); returns the result, the column values
    and what the start did (``start_objective``, ``start_seconds``, ``primal_steps``)."""
    t0 = time.perf_counter()
    info: dict[str, Any] = {"start_objective": None, "start_seconds": 0.0, "parallel": False}
    limit = deadline.limit(reserve=WRITE_RESERVE)
    if not options.warm_start or problem.n_integer == 0:
        result, z = backend.solve(problem, options.model_copy(update={"time_limit": limit}))
        return result, z, info
    primal, mapping = primal_view(data, problem)
    groupings = column_groupings(data, primal)
    if use_parallel(options, problem):
        return _solve_parallel(problem, primal, mapping, groupings, options, backend, deadline,
                               info, t0)
    budget = None if limit is None else SEARCH_SHARE * limit
    z_primal, log = lp_guided_search(primal, options, seconds=budget, groupings=groupings,
                                     should_stop=interrupt_requested)
    start = mapping @ z_primal if z_primal is not None else None
    info.update(start_seconds=time.perf_counter() - t0, primal_steps=log.steps,
                start_objective=problem.objective(start) if start is not None else None)
    if interrupt_requested():  # Ctrl-C during the search: the best solution so far
        result = SolveResult(status=Status.INTERRUPTED, objective=info["start_objective"],
                             best_bound=log.lp_bound, solver=backend.name,
                             solver_version=backend.version(), solve_seconds=0.0)
        if start is None:
            result.status = Status.NO_SOLUTION
        return result, start, info
    result, z = backend.solve(problem, options.model_copy(
        update={"time_limit": deadline.limit(reserve=WRITE_RESERVE)}), start)
    if start is not None and (z is None or problem.objective(start) < result.objective - 1e-9):
        _adopt(result, problem, start, options)
        z = start
    return result, z, info


def _solve_parallel(
    problem: LinearProblem, primal: LinearProblem, mapping: sp.csr_matrix,
    groupings: list[np.ndarray], options: SolverOptions, backend: Backend,
    deadline: Deadline, info: dict[str, Any], t0: float,
) -> tuple[SolveResult, np.ndarray | None, dict[str, Any]]:
    info["parallel"] = True
    one = {**options.options}
    solo = options.model_copy(update={"threads": 1, "options": one})
    worker = PrimalWorker(primal, solo, seconds=deadline.limit(reserve=WRITE_RESERVE + 1.0),
                          groupings=groupings)
    first: dict[str, float] = {}
    newer = worker.newer(np.inf)

    def incumbent() -> np.ndarray | None:
        z = newer()
        if z is None:
            return None
        if not first:
            first.update(objective=primal.objective(z), seconds=time.perf_counter() - t0)
        return mapping @ z

    try:
        result, z = backend.solve(
            problem, solo.model_copy(update={"time_limit": deadline.limit(
                reserve=WRITE_RESERVE)}), None,
            SolveHooks(incumbent=incumbent, stop=lambda bound, obj: interrupt_requested()))
    finally:
        worker.close()
    best = worker.best
    if best is not None:
        if not first:
            first.update(objective=best[0], seconds=time.perf_counter() - t0)
        z_best = mapping @ best[1]
        if z is None or problem.objective(z_best) < (result.objective or np.inf) - 1e-9:
            _adopt(result, problem, z_best, options)
            z = z_best
    info.update(start_objective=first.get("objective"), start_seconds=first.get("seconds", 0.0),
                primal_solutions=worker.received,
                primal_steps=(worker.log or {}).get("steps"), primal_error=worker.error)
    return result, z, info
