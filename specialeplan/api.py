"""Python API: load → build → solve → tables. The CLI is a thin wrapper around this.

>>> from specialeplan.api import load_scenario, run
>>> outcome = run(load_scenario("scenarios/small.yaml"))       # doctest: +SKIP
>>> outcome.solution.designations.head()                         # doctest: +SKIP
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pyomo.environ as pyo

from specialeplan.errors import InfeasibleError, ScenarioError
from specialeplan.model.build import build_problem
from specialeplan.model.diagnose import Diagnosis, diagnose
from specialeplan.model.heuristic import StartInterrupted, construct_start
from specialeplan.model.instance import Instance
from specialeplan.model.params import ModelParams
from specialeplan.model.sets import ModelData, build_model_data
from specialeplan.model.solution import Solution, make_solution, polish
from specialeplan.scenarios.schema import ResolvedScenario, load_scenario
from specialeplan.solvers.base import Backend, SolveResult, SolverOptions, Status, clear_interrupt
from specialeplan.solvers.problem import LinearProblem, Values
from specialeplan.solvers.pyomo_highs import pyomo_model
from specialeplan.solvers.registry import get_backend

__all__ = ["Built", "RunOutcome", "build", "load_dataset", "load_scenario", "run", "solve"]


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


@dataclass
class RunOutcome:
    """Everything a run produced; written to disk by :mod:`specialeplan.results`."""

    solution: Solution | None
    result: SolveResult
    data: ModelData
    build_seconds: float
    diagnosis: Diagnosis | None = None
    timings: dict[str, float] = field(default_factory=dict)


def warm_start(built: Built, options: SolverOptions) -> tuple[Values | None, float]:
    """The constructive start (model.heuristic) when asked for and worth it (more than 20
    candidate designations; tiny models solve faster without); returns values and seconds
    spent."""
    data = built.data
    if not options.warm_start or len(data.pairs) <= 20:
        return None, 0.0
    t0 = time.perf_counter()
    # 40 % of the time for the start: HiGHS needs the rest to prove the bound (root LP and
    # cuts), and the start is where the objective is won on national instances
    budget = 0.4 * options.time_limit if options.time_limit else 240.0
    start, _ = construct_start(data, built.problem, options, time_budget=budget)
    return start, time.perf_counter() - t0


def _interrupted_outcome(built: Built, val: Values, solver: Backend) -> RunOutcome:
    val = polish(built.data, val)
    z = built.problem.join(val)
    result = SolveResult(status=Status.INTERRUPTED, objective=built.problem.objective(z),
                         best_bound=None, solver=solver.name, solver_version=solver.version(),
                         solve_seconds=0.0)
    return RunOutcome(solution=make_solution(built.data, val, built.problem.term_values(z)),
                      result=result, data=built.data, build_seconds=built.build_seconds)


def solve(built: Built, options: SolverOptions, *, backend: Backend | None = None) -> RunOutcome:
    """Solve a built model. Infeasible → :class:`InfeasibleError` with a diagnosis.

    With ``options.warm_start`` the constructive start solution is computed first and handed
    to the solver; its time is counted in ``result.extra['start_seconds']`` and in
    ``solve_seconds``.
    """
    solver = backend or get_backend(options.name)
    clear_interrupt()
    try:
        start, start_seconds = warm_start(built, options)
    except StartInterrupted as stop:  # Ctrl-C: keep the solution built so far
        return _interrupted_outcome(built, stop.values, solver)
    if options.time_limit is not None:  # the time limit covers start and solve together
        options = options.model_copy(
            update={"time_limit": max(options.time_limit - start_seconds, 10.0)})
    problem = built.problem
    z0 = problem.join(start) if start is not None else None
    result, z = solver.solve(problem, options, z0)
    if z is not None:  # cost-only columns at their least values (never costlier)
        z = problem.join(polish(built.data, problem.split(z)))
        result.objective = problem.objective(z)
    result.extra["start_seconds"] = start_seconds
    result.extra["start_objective"] = problem.objective(z0) if z0 is not None else None
    result.solve_seconds += start_seconds
    if result.status in (Status.INFEASIBLE, Status.UNBOUNDED):
        diagnosis = diagnose(built.data, options)
        raise InfeasibleError(
            "the scenario is infeasible. A minimal relaxation that makes it feasible:\n"
            + diagnosis.to_text(), diagnosis)
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
