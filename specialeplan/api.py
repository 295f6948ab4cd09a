"""Python API: load → build → solve → tables. The CLI is a thin wrapper around this.

>>> from specialeplan.api import load_scenario, run
>>> outcome = run(load_scenario("scenarios/small.yaml"))       # doctest: +SKIP
>>> outcome.solution.designations.head()                         # doctest: +SKIP
"""

from __future__ import annotations

import dataclasses
import math
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
import pyomo.environ as pyo

from specialeplan.data.costs import CostTable, run_cost_table, with_overrides
from specialeplan.data.loader import load_dataset
from specialeplan.errors import InfeasibleError, ScenarioError
from specialeplan.model.build import build_problem
from specialeplan.model.diagnose import Diagnosis, diagnose
from specialeplan.model.instance import Instance
from specialeplan.model.params import ModelParams
from specialeplan.model.resolve import (
    affected_specialer,
    bound_carries_over,
    previous_binaries,
    repair_start,
)
from specialeplan.model.sets import ModelData, build_model_data, check_names
from specialeplan.model.solution import Solution, make_solution, polish
from specialeplan.model.strategy import solve_model
from specialeplan.scenarios.schema import ResolvedScenario, load_scenario
from specialeplan.solvers.base import (
    Backend,
    Deadline,
    SolveResult,
    SolverOptions,
    Status,
    interrupt_requested,
    interruptible,
)
from specialeplan.solvers.problem import LARGE_VALUE, LinearProblem
from specialeplan.solvers.pyomo_highs import pyomo_model
from specialeplan.solvers.registry import check_solver_options, get_backend

__all__ = ["Built", "RunOutcome", "build", "load_dataset", "load_scenario", "resolve", "run",
           "solve"]


@dataclass
class Built:
    """A built model: its sparse data and the assembled :class:`LinearProblem`.

    Keep it to re-solve after small changes. ``pyomo`` is the Pyomo model of the same
    problem (built on first use and kept; change it in place and solve with the ``highs``
    backend to solve it as changed).
    """

    data: ModelData
    problem: LinearProblem
    build_seconds: float

    @property
    def pyomo(self) -> pyo.ConcreteModel:
        """The Pyomo model of :attr:`problem` (same rows and columns, named by family)."""
        return pyomo_model(self.problem)


def build(instance: Instance, params: ModelParams) -> Built:
    """Derive the sparse sets and assemble the model from the family registry (no file
    access, no solver). :class:`ScenarioError` when the model holds numbers too large (or
    not finite) for the solver to treat faithfully (:meth:`LinearProblem.magnitude_issues`):
    HiGHS would silently solve another model."""
    start = time.perf_counter()
    data = build_model_data(instance, params)
    with np.errstate(over="ignore", invalid="ignore"):  # reported below, in words
        problem = build_problem(data)
    issues = problem.magnitude_issues()
    if issues:
        raise ScenarioError(
            f"the model holds numbers too large to solve faithfully (from {LARGE_VALUE:.0e}, "
            "or not finite); check the scenario values and data behind them (minimum "
            "volumes, weights, demand and its growth, capacities, costs):\n"
            + "\n".join(f"  - {i}" for i in issues[:10]))
    return Built(data=data, problem=problem, build_seconds=time.perf_counter() - start)


def _gap(objective: float | None, bound: float | None) -> float | None:
    """(objective − bound) / objective, as HiGHS defines the gap; None without both."""
    if objective is None or bound is None or not math.isfinite(bound):
        return None
    return abs(objective - bound) / max(abs(objective), 1e-9)


@dataclass
class RunOutcome:
    """Everything a run produced; written to disk by :mod:`specialeplan.results.writer`."""

    solution: Solution | None
    result: SolveResult
    data: ModelData
    build_seconds: float
    diagnosis: Diagnosis | None = None
    timings: dict[str, float | None] = field(default_factory=dict)


FEASIBILITY_TOL = 1e-6  # a kept solution violates no row or bound of the full model by more


def write_reserve(problem: LinearProblem) -> float:
    """Seconds of the time limit kept back from the solver for writing the results folder
    (tables, Excel, check): 0.5 s plus 55 µs per column, at most 15 s. Measured 2026-12-07
    on 2 cores: national_2030 (181k columns) writes in 5.9 s and checks in 4.7 s (reserve
    10.4 s); base (79k columns) 2.4 s and 3.6 s (reserve 4.8 s)."""
    return min(0.5 + 5.5e-5 * problem.n_columns, 15.0)


def feasible(problem: LinearProblem, z: np.ndarray | None) -> bool:
    """Whether ``z`` satisfies every row, bound and integrality of the full model
    (within :data:`FEASIBILITY_TOL`)."""
    return z is not None and problem.violation(z) <= FEASIBILITY_TOL


def solver_tolerance(problem: LinearProblem) -> float:
    """Violation accepted in a solver's own solution: :data:`FEASIBILITY_TOL` relative to the
    largest finite row bound (the solver's tolerances apply to its scaled model)."""
    bounds = np.abs(np.concatenate([problem.row_lower, problem.row_upper]))
    bounds = bounds[np.isfinite(bounds)]
    return FEASIBILITY_TOL * max(1.0, float(bounds.max()) if bounds.size else 1.0)


def _keep_best(problem: LinearProblem, result: SolveResult, z: np.ndarray | None,
               interrupted: bool) -> np.ndarray | None:
    """The solution if it is feasible for the whole model; ``result`` is updated to describe
    what is kept. An interrupt keeps status ``interrupted`` even without a solution (the CLI
    then writes nothing). A solver answer that breaks the model (numerical trouble) is not
    kept: status ``error``."""
    if z is not None and problem.violation(z) > solver_tolerance(problem):
        result.status = Status.ERROR
        result.extra["note"] = (
            f"the solver's solution violates the model by {problem.violation(z):.3g} "
            "(numerical trouble: check very large or very small numbers in the scenario and "
            "data)")
        z = None
    if z is None:
        result.objective = None
    if interrupted and result.status != Status.OPTIMAL:
        result.status = Status.INTERRUPTED
    elif z is not None and result.status in (Status.NO_SOLUTION, Status.ERROR):
        result.status = Status.TIME_LIMIT
    return z


def _unsolved(problem: LinearProblem, solver: Backend, status: Status,
              seconds: float, note: str) -> SolveResult:
    return SolveResult(status=status, objective=None, best_bound=None, solver=solver.name,
                       solver_version=solver.version(), solve_seconds=seconds,
                       n_variables=problem.n_columns, n_constraints=problem.n_rows,
                       n_binaries=problem.n_integer, n_nonzeros=int(problem.A.nnz),
                       extra={"note": note})


def _guarded(built: Built, options: SolverOptions, solver: Backend, deadline: Deadline,
             t0: float, *, start: np.ndarray | None = None, known_bound: float | None = None,
             ) -> tuple[SolveResult, np.ndarray | None, dict[str, Any]]:
    """:func:`~specialeplan.model.strategy.solve_model` unless an interrupt is pending or no
    time is left; the result checked against the whole model."""
    problem = built.problem
    if interrupt_requested():
        return _unsolved(problem, solver, Status.INTERRUPTED, time.perf_counter() - t0,
                         "interrupted before the solver started"), None, {}
    if deadline.expired():
        return _unsolved(problem, solver, Status.NO_SOLUTION, time.perf_counter() - t0,
                         f"the time limit ({options.time_limit:g} s) left no time to "
                         "solve"), None, {}
    result, z, info = solve_model(built.data, problem, options, solver, deadline,
                                  start=start, known_bound=known_bound)
    return result, _keep_best(problem, result, z, interrupt_requested()), info


def solve(built: Built, options: SolverOptions, *, backend: Backend | None = None,
          deadline: Deadline | None = None) -> RunOutcome:
    """Solve a built model. Infeasible → :class:`InfeasibleError` with a diagnosis (and the
    outcome, for a results folder).

    With ``options.warm_start`` a primal heuristic finds solutions beside (or before) the
    MIP (:mod:`specialeplan.model.strategy`); ``result.extra`` records the first solution's
    objective and seconds. The time limit is a wall: ``deadline`` (default:
    ``options.time_limit`` from now) less :func:`write_reserve` bounds every step.

    Ctrl-C or SIGTERM (see :func:`~specialeplan.solvers.base.interruptible`) stops the
    solve: the outcome keeps the best solution found that is feasible for the whole model
    (status ``interrupted``), or has ``solution`` None when there is none yet.
    """
    t0 = time.perf_counter()
    solver = backend or get_backend(options.name)
    deadline = (deadline or Deadline.after(options.time_limit)).earlier(
        write_reserve(built.problem))
    with interruptible():
        result, z, info = _guarded(built, options, solver, deadline, t0)
    return _outcome(built, result, z, info, options, t0, deadline)


def resolve(previous: RunOutcome, params: ModelParams, options: SolverOptions, *,
            backend: Backend | None = None, deadline: Deadline | None = None) -> RunOutcome:
    """Solve a changed scenario (same dataset, new ``params``) starting from an earlier result.

    The earlier designations, repaired to the new rules, are the start; when the change only
    restricts the earlier scenario, the earlier bound still holds and the re-solve stops as
    soon as the start is within the gap target of it (:mod:`specialeplan.model.resolve`).
    ``result.extra`` says what was reused (``repair``, ``bound_reused``).
    """
    t0 = time.perf_counter()
    solver = backend or get_backend(options.name)
    built = build(previous.data.original, params)
    deadline = (deadline or Deadline.after(options.time_limit)).earlier(
        write_reserve(built.problem))
    start, known, info = None, None, {"bound_reused": False}
    with interruptible():
        if previous.solution is not None:
            binaries = previous_binaries(built.data, previous.solution.designations)
            taxonomy = built.data.instance.specialer_of()
            affected = affected_specialer(previous.data.params, built.data.params,
                                          built.data.functions, taxonomy)
            start, repaired = repair_start(built.data, built.problem, binaries, affected,
                                           solver, options, deadline)
            info.update(repaired, repair_seconds=time.perf_counter() - t0)
            if (previous.data.functions == built.data.functions
                    and bound_carries_over(previous.data.params, built.data.params,
                                           built.data.functions, taxonomy)):
                known = previous.result.best_bound
                info["bound_reused"] = known is not None
        result, z, more = _guarded(built, options, solver, deadline, t0, start=start,
                                   known_bound=known)
    return _outcome(built, result, z, {**more, **info}, options, t0, deadline)


DIVERSITY_SHARE = 0.25
"""The share of an alternative's time for the second phase (minimising the overlap), at
least: the first phase (the cheapest plan apart from the earlier ones) stops sooner when it
reaches the gap target, leaving the rest to the second."""


def solve_alternative(built: Built, options: SolverOptions, *, cap: float,
                      weights: np.ndarray, bound: float,
                      apart: Sequence[tuple[np.ndarray, float]] = (),
                      start: np.ndarray | None = None, backend: Backend | None = None,
                      deadline: Deadline | None = None) -> RunOutcome:
    """One near-optimal alternative (modelling to generate alternatives), in two phases:

    1. **apart**: the cheapest plan with objective ≤ ``cap`` that, for each earlier plan in
       ``apart`` (the columns it sets to 1 and the most of them the new plan may keep),
       keeps no more of them: a cost-minimising MIP with a few rows more, which HiGHS
       solves about as fast as the plan itself;
    2. **diversity**: minimise ``weights``·z over the plans within the cap (and apart, when
       phase 1 found one: its plan is the start; else ``start``, a plan within the cap)
       (:meth:`~specialeplan.solvers.problem.LinearProblem.with_objective_cap`), for at
       least :data:`DIVERSITY_SHARE` of the time.

    The outcome describes the plan as a plan of ``built``: ``objective`` its cost,
    ``best_bound`` the given ``bound`` (a proven lower bound on every plan's cost, from the
    best plan's run), status ``feasible`` (``note`` says how each phase ended), or
    ``interrupted``/``no_solution`` without a plan. ``result.extra['alternative_apart']``:
    whether the plan keeps the ``apart`` limits (False when the cap allows no such plan or
    none was found in time).
    """
    t0 = time.perf_counter()
    solver = backend or get_backend(options.name)
    problem = built.problem
    deadline = (deadline or Deadline.after(options.time_limit)).earlier(
        write_reserve(problem))
    within = problem.with_objective_cap(cap)
    apart_rows = within
    for i, (cols, most) in enumerate(apart):
        row = np.zeros(problem.n_columns)
        row[np.asarray(cols, dtype=int)] = 1.0
        apart_rows = apart_rows.with_row(row.reshape(1, -1), -np.inf, float(most), f"apart_{i}")
    quiet = options.model_copy(update={"verbose": False})
    phase: dict[str, str] = {}
    with interruptible():
        if interrupt_requested() or deadline.expired():
            status = Status.INTERRUPTED if interrupt_requested() else Status.NO_SOLUTION
            return RunOutcome(solution=None, result=_unsolved(
                problem, solver, status, time.perf_counter() - t0, "no time to solve the "
                "alternative"), data=built.data, build_seconds=built.build_seconds)
        z_apart = None
        if apart:
            first = deadline.earlier(DIVERSITY_SHARE * deadline.remaining())
            res1, z_apart = solver.solve(apart_rows, options, deadline=first)
            if z_apart is not None and apart_rows.violation(z_apart) > solver_tolerance(
                    apart_rows):
                z_apart = None
            phase["apart"] = str(res1.status)
        mga = (apart_rows if z_apart is not None else within).with_objective(weights,
                                                                            "overlap")
        begin = z_apart if z_apart is not None else start
        if begin is not None and mga.violation(begin) > solver_tolerance(mga):
            begin = None
        result, z = (solver.solve(mga, quiet if apart else options, begin, deadline=deadline)
                     if not interrupt_requested() else (None, None))
        interrupted = interrupt_requested()
    if result is None:  # interrupted after phase 1: keep nothing (the search resumes)
        return RunOutcome(solution=None, result=_unsolved(
            problem, solver, Status.INTERRUPTED, time.perf_counter() - t0, "interrupted"),
            data=built.data, build_seconds=built.build_seconds)
    if z is not None and mga.violation(z) > solver_tolerance(mga):
        z = None
    if z is None and z_apart is not None:
        z = z_apart
    phase["diversity"] = str(result.status)
    if z is not None and z_apart is not None:  # what the second phase gained
        phase["diversity"] += (f" (overlap objective {float(weights @ z_apart):.4g} → "
                               f"{float(weights @ z):.4g})")
    result.best_bound = bound
    result.n_constraints, result.n_nonzeros = problem.n_rows, int(problem.A.nnz)
    if z is None:
        result.objective = None
        result.status = Status.INTERRUPTED if interrupted else Status.NO_SOLUTION
    else:
        result.status = Status.INTERRUPTED if interrupted else Status.FEASIBLE
        result.extra["note"] = (
            f"near-optimal alternative: cost at most {cap:,.6g} (objective units); "
            + "; ".join(f"{k} phase {v}" for k, v in phase.items()))
    return _outcome(built, result, z, {"alternative_cap": cap, "alternative_phases": phase,
                                       "alternative_apart": z_apart is not None},
                    options, t0, deadline)


def _outcome(built: Built, result: SolveResult, z: np.ndarray | None, info: dict[str, Any],
             options: SolverOptions, t0: float, deadline: Deadline) -> RunOutcome:
    """Diagnose an infeasible result, else turn the solution into tables."""
    result.extra.update(info)
    result.solve_seconds = time.perf_counter() - t0  # the start included
    problem = built.problem
    if z is not None:  # cost-only columns at their least values (never costlier)
        z = problem.join(polish(built.data, problem.split(z)))
        result.objective = problem.objective(z)
        result.extra["start_gap"] = _gap(info.get("start_objective"), result.best_bound)
    if result.status in (Status.INFEASIBLE, Status.UNBOUNDED):
        diagnosis = diagnose(built.data, options, deadline=deadline)
        outcome = RunOutcome(solution=None, result=result, data=built.data,
                             build_seconds=built.build_seconds, diagnosis=diagnosis)
        raise InfeasibleError(
            "the scenario is infeasible. A minimal relaxation that makes it feasible:\n"
            + diagnosis.to_text(), diagnosis, outcome)
    solution = (make_solution(built.data, problem.split(z), problem.term_values(z))
                if z is not None else None)
    return RunOutcome(solution=solution, result=result, data=built.data,
                      build_seconds=built.build_seconds)


def priced(instance: Instance, overrides: Mapping[str, Any]) -> Instance:
    """``instance`` with a scenario's ``costs:`` applied to its cost table (the objective's
    prices, :mod:`specialeplan.model.pricing`); a bad override fails here, before the solve.
    An instance without a cost table (a hand-built one, OR-Library) takes no overrides."""
    if instance.costs is None:
        if overrides:
            raise ScenarioError("costs: the dataset has no cost table (costs.csv) to override")
        return instance
    if not overrides:
        return instance
    table = with_overrides(CostTable(instance.costs, pd.DataFrame()), overrides,
                           set(instance.functions["function"]))
    return dataclasses.replace(instance, costs=table.costs)


def _same_prices(previous: RunOutcome, overrides: Mapping[str, Any]) -> bool:
    """Whether a scenario with cost ``overrides`` prices the objective as ``previous`` did
    (its cost table, the dataset's with the scenario's ``costs:``)."""
    inst = previous.data.original
    if inst.costs is None:
        return not overrides
    table = run_cost_table(inst.sources, overrides, set(inst.functions["function"])).costs
    key = ["parameter", "function", "value"]
    return table[key].reset_index(drop=True).equals(inst.costs[key].reset_index(drop=True))


def run(
    resolved: ResolvedScenario,
    *,
    verbose: bool | None = None,
    log_file: str | None = None,
    on_built: Callable[[Built], None] | None = None,
    deadline: Deadline | None = None,
    instance: Instance | None = None,
    previous: RunOutcome | None = None,
) -> RunOutcome:
    """Load the scenario's dataset, build, solve; timings recorded in ``outcome.timings``.

    ``verbose``/``log_file`` override the scenario's solver options; ``on_built`` is called
    between build and solve (the CLI prints the model size there). ``deadline`` (default:
    ``solver.time_limit`` from now) covers loading and building too. The solver options are
    checked first, so a bad one fails before any long work.

    ``instance``: the scenario's dataset, already loaded (a sweep or a rollout loads it once
    for all its runs; ``load_seconds`` is then None). ``previous``: an earlier result on the
    same dataset to start from (:func:`resolve`: its plan repaired to the new rules, its bound
    where it still holds); ``resolve`` builds the model itself, so ``on_built`` is not called.

    ``outcome.timings`` (also on the outcome of an :class:`InfeasibleError`): ``load_seconds``,
    ``build_seconds``, ``solve_seconds`` and ``total_seconds`` (wall time of all three), as
    named in :data:`specialeplan.results.contract.TIMINGS`;
    :func:`specialeplan.pipeline.solve_into_folder` adds the writing and the check.
    """
    sc = resolved.scenario
    t0 = time.perf_counter()
    deadline = deadline or Deadline.after(sc.solver.time_limit, t0)
    update: dict[str, object] = {}
    if verbose is not None:
        update["verbose"] = verbose
    if log_file is not None:
        update["log_file"] = log_file
    options = sc.solver.model_copy(update=update)
    check_solver_options(options)
    t_load: float | None = None
    try:
        with interruptible():
            if previous is not None and not _same_prices(previous, sc.costs):
                # other prices: a cold solve from the dataset's own table, priced once below
                original, previous = previous.data.original, None
                instance = dataclasses.replace(original, costs=run_cost_table(
                    original.sources, {}, set(original.functions["function"])).costs)
            if previous is not None:
                outcome = resolve(previous, sc.model, options, deadline=deadline)
            else:
                if instance is None:
                    instance = load_dataset(sc.dataset, resolved.base_dir)
                    t_load = time.perf_counter() - t0
                instance = priced(instance, sc.costs)
                check_names(instance, sc.model)  # every name, also of types not planned
                built = build(instance, sc.model)
                if on_built is not None:
                    on_built(built)
                outcome = solve(built, options, deadline=deadline)
    except InfeasibleError as exc:
        if isinstance(exc.outcome, RunOutcome):
            exc.outcome.timings = _timings(exc.outcome, t_load, t0)
        raise
    outcome.timings = _timings(outcome, t_load, t0)
    return outcome


def _timings(outcome: RunOutcome, load: float | None, t0: float) -> dict[str, float | None]:
    return {"load_seconds": load, "build_seconds": outcome.build_seconds,
            "solve_seconds": outcome.result.solve_seconds,
            "total_seconds": time.perf_counter() - t0}
