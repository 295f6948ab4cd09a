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

SEARCH_SHARE = 0.25
"""Sequential mode: the share of the time the primal search gets before HiGHS (at most
:data:`SEARCH_MAX` seconds): HiGHS improves a good start itself and needs the rest for
the bound."""
SEARCH_MAX = 30.0
SEQUENTIAL_STALE = 2
"""Sequential mode: neighbourhoods in a row without improvement before HiGHS takes over."""
SEQUENTIAL_LNS_SECONDS = 6.0
PARALLEL_MIN_BINARIES = 200
"""Below this the MIP alone is quick and a second process costs more than it brings."""


def primal_view(data: ModelData, problem: LinearProblem
                ) -> tuple[LinearProblem, sp.csr_matrix, sp.csr_matrix]:
    """The problem the primal search works on (the per-arc formulation of the same model),
    the matrix that maps its solutions to ``problem``'s columns, and the one back."""
    if data.params.volume_formulation == "per_arc":
        eye = sp.identity(problem.n_columns, format="csr")
        return problem, eye, eye
    params = data.params.model_copy(update={"volume_formulation": "per_arc"})
    primal = build_problem(dataclasses.replace(data, params=params))
    same_rows, same_cols, sum_rows, sum_cols = [], [], [], []
    for name, block in problem.columns.items():
        if name in primal.columns and primal.columns[name].size == block.size:
            same_rows.append(block.start + np.arange(block.size))
            same_cols.append(primal.columns[name].start + np.arange(block.size))
        elif name == "X":  # the pair volume: X[p,s] = Σ_k x[k,p,s]
            pair = data.arcs["pair"].to_numpy()
            sum_rows.append(block.start + pair)
            sum_cols.append(primal.columns["x"].start + np.arange(len(pair)))
        else:
            raise ValueError(f"column block {name!r} has no counterpart in the per-arc view")
    rows = np.concatenate(same_rows + sum_rows)
    cols = np.concatenate(same_cols + sum_cols)
    to_full = sp.csr_matrix((np.ones(len(rows)), (rows, cols)),
                            shape=(problem.n_columns, primal.n_columns))
    r, c = np.concatenate(same_rows), np.concatenate(same_cols)
    back = sp.csr_matrix((np.ones(len(r)), (c, r)), shape=(primal.n_columns, problem.n_columns))
    return primal, to_full, back


def column_groupings(data: ModelData, problem: LinearProblem) -> list[np.ndarray]:
    """Neighbourhoods for the search, as a group id per column: the speciale of a column,
    and the region of its provider (−1 where a column has none)."""
    region = data.instance.providers.merge(
        data.instance.municipalities[["code", "region"]], left_on="municipality_code",
        right_on="code", how="left").set_index("provider_id")["region"]
    specialer = {s: i for i, s in enumerate(data.functions)}
    regions = {r: i for i, r in enumerate(sorted(region.dropna().unique()))}
    by_speciale, by_region = [], []
    for block in problem.columns.values():
        s = block.labels.column("function")
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


def _adopt(result: SolveResult, problem: LinearProblem, z_new: np.ndarray | None,
           options: SolverOptions, bound: float | None = None) -> None:
    """Take a better solution (or bound) found beside the solver: the objective, the bound,
    and the status their gap earns (interrupted stays interrupted)."""
    if z_new is not None:
        result.objective = problem.objective(z_new)
    if bound is not None and (result.best_bound is None or bound > result.best_bound):
        result.best_bound = bound
    if result.status == Status.INTERRUPTED or result.objective is None:
        return
    gap = result.mip_gap
    result.status = (Status.OPTIMAL if gap is not None and gap <= options.mip_rel_gap + 1e-12
                     else Status.TIME_LIMIT)


def known_bound_hooks(known_bound: float | None, options: SolverOptions,
                      also: Any = None) -> SolveHooks | None:
    """Hooks that stop the MIP as soon as its incumbent is within the gap target of a lower
    bound known to hold (an earlier run's, for a restriction); ``also``: a further stop
    condition ``(bound, objective) -> bool``. None when there is nothing to watch."""
    if known_bound is None and also is None:
        return None

    def stop(bound: float, objective: float) -> bool:
        if also is not None and also(bound, objective):
            return True
        if known_bound is None or not np.isfinite(objective):
            return False
        best = max(bound, known_bound) if np.isfinite(bound) else known_bound
        return abs(objective - best) / max(abs(objective), 1e-9) <= options.mip_rel_gap

    return SolveHooks(stop=stop)


def solve_model(
    data: ModelData, problem: LinearProblem, options: SolverOptions, backend: Backend,
    deadline: Deadline, *, start: np.ndarray | None = None, known_bound: float | None = None,
) -> tuple[SolveResult, np.ndarray | None, dict[str, Any]]:
    """Solve ``problem`` (see the module docstring); returns the result, the column values
    and what the search did (``start_objective``, ``start_seconds``, ``primal_steps``).

    ``start``: a known feasible solution (a repaired earlier one, :mod:`.resolve`);
    ``known_bound``: a lower bound known to hold (an earlier run's, when the change is a
    restriction). When the start is within the gap target of that bound nothing is solved,
    and the MIP stops as soon as its incumbent is (:func:`known_bound_hooks`).
    """
    t0 = time.perf_counter()
    info: dict[str, Any] = {"start_objective": None, "start_seconds": 0.0, "parallel": False}
    if start is not None:
        info.update(start_objective=problem.objective(start))
        early = SolveResult(status=Status.TIME_LIMIT, objective=info["start_objective"],
                            best_bound=None, solver=backend.name,
                            solver_version=backend.version(), solve_seconds=0.0)
        _adopt(early, problem, None, options, known_bound)
        if early.status == Status.OPTIMAL:
            early.extra["stopped_by"] = "start within the gap of the known bound"
            return early, start, info
    limit = deadline.limit()
    hooks = known_bound_hooks(known_bound, options)
    watch = {"hooks": hooks} if hooks is not None else {}  # only re-solves pass hooks
    if not options.warm_start or problem.n_integer == 0:
        result, z = backend.solve(problem, options.model_copy(update={"time_limit": limit}),
                                  start, **watch)
        _adopt(result, problem, None, options, known_bound)
        return result, z, info
    primal, to_full, back = primal_view(data, problem)
    groupings = column_groupings(data, primal)
    primal_start = back @ start if start is not None else None
    if use_parallel(options, problem):
        result, z = _solve_parallel(problem, primal, to_full, groupings, options, backend,
                                    deadline, info, t0, primal_start, start, known_bound)
    else:
        budget = SEARCH_MAX if limit is None else min(SEARCH_SHARE * limit, SEARCH_MAX)
        z_primal, log = lp_guided_search(
            primal, options, seconds=budget, groupings=groupings, start=primal_start,
            polish_only=primal_start is not None, should_stop=interrupt_requested,
            enough_gap=options.mip_rel_gap, bound=known_bound, max_stale=SEQUENTIAL_STALE,
            lns_seconds=SEQUENTIAL_LNS_SECONDS)
        found = to_full @ z_primal if z_primal is not None else None
        info.update(start_seconds=time.perf_counter() - t0, primal_steps=log.steps,
                    start_objective=problem.objective(found) if found is not None else None)
        if interrupt_requested():  # Ctrl-C during the search: the best solution so far
            result = SolveResult(status=Status.INTERRUPTED if found is not None
                                 else Status.NO_SOLUTION, objective=info["start_objective"],
                                 best_bound=log.lp_bound, solver=backend.name,
                                 solver_version=backend.version(), solve_seconds=0.0)
            return result, found, info
        result, z = backend.solve(problem, options.model_copy(
            update={"time_limit": deadline.limit()}), found, **watch)
        if found is not None and (z is None or problem.objective(found) < result.objective
                                  - 1e-9):
            _adopt(result, problem, found, options)
            result.extra["solution_from"] = "start heuristic"
            z = found
    _adopt(result, problem, None, options, known_bound)
    return result, z, info


def _solve_parallel(
    problem: LinearProblem, primal: LinearProblem, to_full: sp.csr_matrix,
    groupings: list[np.ndarray], options: SolverOptions, backend: Backend,
    deadline: Deadline, info: dict[str, Any], t0: float, primal_start: np.ndarray | None,
    start: np.ndarray | None, known_bound: float | None = None,
) -> tuple[SolveResult, np.ndarray | None]:
    info["parallel"] = True
    solo = options.model_copy(update={"threads": 1})
    worker = PrimalWorker(primal, solo, seconds=deadline.limit(reserve=1.0),
                          groupings=groupings, start=primal_start,
                          polish_only=primal_start is not None)
    first: dict[str, float] = {}
    newer = worker.newer(np.inf if start is None else problem.objective(start))

    def incumbent() -> np.ndarray | None:
        z = newer()
        if z is None:
            return None
        if not first:
            first.update(objective=primal.objective(z), seconds=time.perf_counter() - t0)
        return to_full @ z

    try:
        result, z = backend.solve(
            problem, solo.model_copy(update={"time_limit": deadline.limit()}), start,
            SolveHooks(incumbent=incumbent, stop=known_bound_hooks(
                known_bound, options, lambda bound, obj: interrupt_requested()).stop))
    finally:
        worker.close()
    best = worker.best
    if best is not None:
        if not first:
            first.update(objective=best[0], seconds=time.perf_counter() - t0)
        z_best = to_full @ best[1]
        if z is None or problem.objective(z_best) < (result.objective or np.inf) - 1e-9:
            _adopt(result, problem, z_best, options)
            z = z_best
    if start is None:
        info.update(start_objective=first.get("objective"),
                    start_seconds=first.get("seconds", 0.0))
    info.update(primal_solutions=worker.received, primal_error=worker.error,
                primal_steps=(worker.log or {}).get("steps"))
    return result, z
