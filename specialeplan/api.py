"""Python API: load → build → solve → tables. The CLI is a thin wrapper around this.

>>> from specialeplan.api import load_scenario, run
>>> outcome = run(load_scenario("scenarios/small.yaml"))       # doctest: +SKIP
>>> outcome.solution.designations.head()                         # doctest: +SKIP
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pyomo.environ as pyo

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
from specialeplan.model.sets import ModelData, build_model_data
from specialeplan.model.solution import Solution, make_solution, polish
from specialeplan.model.strategy import solve_model
from specialeplan.scenarios.schema import ResolvedScenario, load_scenario
from specialeplan.solvers.base import (
    Backend,
    Deadline,
    SolveResult,
    SolverOptions,
    Status,
    clear_interrupt,
)
from specialeplan.solvers.problem import LinearProblem
from specialeplan.solvers.pyomo_highs import pyomo_model
from specialeplan.solvers.registry import get_backend

__all__ = ["Built", "RunOutcome", "build", "load_dataset", "load_scenario", "resolve", "run",
           "solve"]


def load_dataset(spec: str, base_dir: Path | None = None) -> Instance:
    """``denmark`` → the bundled dataset; otherwise a folder with the same CSV schema
    (relative paths are taken from ``base_dir``, normally the scenario file's folder)."""
    from specialeplan.data import load_denmark, load_instance_dir

    if spec == "denmark":
        return load_denmark()
    path = Path(spec)
    if not path.is_absolute() and base_dir is not None:
        path = base_dir / path
    if not path.is_dir():
        raise ScenarioError(f"dataset {spec!r}: no such folder ({path})")
    return load_instance_dir(path)


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
    access, no solver)."""
    start = time.perf_counter()
    data = build_model_data(instance, params)
    return Built(data=data, problem=build_problem(data),
                 build_seconds=time.perf_counter() - start)


def _gap(objective: float | None, bound: float | None) -> float | None:
    """(objective − bound) / objective, as HiGHS defines the gap; None without both."""
    if objective is None or bound is None or not math.isfinite(bound):
        return None
    return abs(objective - bound) / max(abs(objective), 1e-9)


@dataclass
class RunOutcome:
    """Everything a run produced; written to disk by :mod:`specialeplan.results`."""

    solution: Solution | None
    result: SolveResult
    data: ModelData
    build_seconds: float
    diagnosis: Diagnosis | None = None
    timings: dict[str, float] = field(default_factory=dict)


def solve(built: Built, options: SolverOptions, *, backend: Backend | None = None,
          deadline: Deadline | None = None) -> RunOutcome:
    """Solve a built model. Infeasible → :class:`InfeasibleError` with a diagnosis.

    With ``options.warm_start`` a primal heuristic finds solutions beside (or before) the
    MIP (:mod:`specialeplan.model.strategy`); ``result.extra`` records the start's objective
    and seconds. ``deadline`` (default: ``options.time_limit`` from now) bounds the whole
    solve.
    """
    t0 = time.perf_counter()
    solver = backend or get_backend(options.name)
    clear_interrupt()
    deadline = deadline or Deadline(options.time_limit)
    result, z, info = solve_model(built.data, built.problem, options, solver, deadline)
    return _outcome(built, result, z, info, options, t0)


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
    clear_interrupt()
    deadline = deadline or Deadline(options.time_limit)
    built = build(previous.data.instance, params)
    start, known, info = None, None, {"bound_reused": False}
    if previous.solution is not None:
        binaries = previous_binaries(built.data, previous.solution.designations)
        affected = affected_specialer(previous.data.params, params, built.data.specialer)
        start, repaired = repair_start(built.data, built.problem, binaries, affected, solver,
                                       options, deadline)
        info.update(repaired, repair_seconds=time.perf_counter() - t0)
        if (previous.data.specialer == built.data.specialer
                and bound_carries_over(previous.data.params, params, built.data.specialer)):
            known = previous.result.best_bound
            info["bound_reused"] = known is not None
    result, z, more = solve_model(built.data, built.problem, options, solver, deadline,
                                  start=start, known_bound=known)
    return _outcome(built, result, z, {**more, **info}, options, t0)


def _outcome(built: Built, result: SolveResult, z: np.ndarray | None, info: dict[str, Any],
             options: SolverOptions, t0: float) -> RunOutcome:
    """Diagnose an infeasible result, else turn the solution into tables."""
    result.extra.update(info)
    result.solve_seconds = time.perf_counter() - t0  # the start included
    if z is not None:
        result.extra["start_gap"] = _gap(info.get("start_objective"), result.best_bound)
    if z is not None:  # cost-only columns at their least values (never costlier)
        z = built.problem.join(polish(built.data, built.problem.split(z)))
        result.objective = built.problem.objective(z)
    if result.status in (Status.INFEASIBLE, Status.UNBOUNDED):
        diagnosis = diagnose(built.data, options)
        raise InfeasibleError(
            "the scenario is infeasible. A minimal relaxation that makes it feasible:\n"
            + diagnosis.to_text(), diagnosis)
    problem = built.problem
    solution = (make_solution(built.data, problem.split(z), problem.term_values(z))
                if z is not None else None)
    return RunOutcome(solution=solution, result=result, data=built.data,
                      build_seconds=built.build_seconds)


def run(
    resolved: ResolvedScenario,
    *,
    verbose: bool | None = None,
    log_file: str | None = None,
    on_built: Callable[[Built], None] | None = None,
) -> RunOutcome:
    """Load the scenario's dataset, build, solve; timings recorded in ``outcome.timings``.

    ``verbose``/``log_file`` override the scenario's solver options; ``on_built`` is called
    between build and solve (the CLI prints the model size there).
    """
    sc = resolved.scenario
    t0 = time.perf_counter()
    instance = load_dataset(sc.dataset, resolved.base_dir)
    t_load = time.perf_counter() - t0
    built = build(instance, sc.model)
    if on_built is not None:
        on_built(built)
    update: dict[str, object] = {}
    if verbose is not None:
        update["verbose"] = verbose
    if log_file is not None:
        update["log_file"] = log_file
    outcome = solve(built, sc.solver.model_copy(update=update))
    outcome.timings = {"load_seconds": t_load, "build_seconds": built.build_seconds,
                       "solve_seconds": outcome.result.solve_seconds,
                       "total_seconds": time.perf_counter() - t0}
    return outcome
