"""The direct HiGHS backend (``highs-direct``): a :class:`LinearProblem` straight into highspy.

The matrix is handed over in one call (no modelling-layer objects), so building is cheap;
the Pyomo route is :mod:`specialeplan.solvers.pyomo_highs`. Both share the helpers here.

Ctrl-C during a solve asks HiGHS to stop: it keeps the best solution found and we report
status ``interrupted`` (a second Ctrl-C aborts).
"""

from __future__ import annotations

import math
import signal
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import highspy
import numpy as np
from pyomo.common.tee import capture_output

from specialeplan.solvers.base import (
    SolveHooks,
    SolveResult,
    SolverOptions,
    Status,
    request_interrupt,
)
from specialeplan.solvers.problem import LinearProblem

_MS = highspy.HighsModelStatus
_STATUS = {
    _MS.kOptimal: Status.OPTIMAL,
    _MS.kTimeLimit: Status.TIME_LIMIT,
    _MS.kInterrupt: Status.INTERRUPTED,
    _MS.kInfeasible: Status.INFEASIBLE,
    _MS.kUnboundedOrInfeasible: Status.INFEASIBLE,
    _MS.kUnbounded: Status.UNBOUNDED,
    _MS.kIterationLimit: Status.FEASIBLE,
    _MS.kSolutionLimit: Status.FEASIBLE,
    _MS.kObjectiveBound: Status.FEASIBLE,
    _MS.kObjectiveTarget: Status.FEASIBLE,
}


def _silent_first_instance() -> str:
    """HiGHS prints its banner to stdout when the first instance of a process is created;
    create that one with stdout captured so ``--json`` output stays clean."""
    with capture_output(capture_fd=True):
        h = highspy.Highs()
    return f"{h.versionMajor()}.{h.versionMinor()}.{h.versionPatch()}"


_VERSION = _silent_first_instance()


def highs_version() -> str:
    """The HiGHS version, e.g. ``1.16.0``."""
    return _VERSION


def highs_option_dict(options: SolverOptions) -> dict[str, Any]:
    """HiGHS option names for our typed options (time limit and gap set separately)."""
    out: dict[str, Any] = {"random_seed": int(options.seed)}
    if options.threads is not None:
        out["threads"] = int(options.threads)
    out.update(options.options)
    return out


@contextmanager
def ctrl_c_cancels(h: highspy.Highs) -> Iterator[threading.Event]:
    """While solving, Ctrl-C asks HiGHS to stop (it keeps its best solution) and is
    remembered; a second Ctrl-C aborts. highspy's own handler only cancels at some check
    points and does not tell the caller, so a cancelled solve could look like a time limit.
    """
    pressed = threading.Event()
    if threading.current_thread() is not threading.main_thread():
        yield pressed  # signal handlers can only be set from the main thread
        return

    def handler(signum: int, frame: object) -> None:
        if pressed.is_set():
            raise KeyboardInterrupt
        pressed.set()
        request_interrupt()
        h.cancelSolve()

    previous = signal.signal(signal.SIGINT, handler)
    try:
        yield pressed
    finally:
        signal.signal(signal.SIGINT, previous)


def collect_result(
    h: highspy.Highs, solver: str, seconds: float, *, interrupted: bool = False
) -> SolveResult:
    """Read status, objective and bound off a HiGHS object after a solve."""
    status = _STATUS.get(h.getModelStatus(), Status.ERROR)
    if interrupted and status != Status.OPTIMAL:
        status = Status.INTERRUPTED
    info = h.getInfo()
    has_sol = info.primal_solution_status == 2  # kSolutionStatusFeasible
    lp = h.getLp()
    n_int = sum(1 for t in (lp.integrality_ or []) if t != highspy.HighsVarType.kContinuous)
    is_mip = n_int > 0
    objective = float(info.objective_function_value) if has_sol else None
    if is_mip:
        bound = float(info.mip_dual_bound) if info.mip_node_count >= 0 else None
    else:
        bound = objective if status == Status.OPTIMAL else None
    if not has_sol and status in (Status.TIME_LIMIT, Status.INTERRUPTED, Status.FEASIBLE):
        status = Status.NO_SOLUTION
    return SolveResult(
        status=status, objective=objective, best_bound=bound, solver=solver,
        solver_version=highs_version(), solve_seconds=seconds, n_variables=h.getNumCol(),
        n_constraints=h.getNumRow(), n_binaries=n_int, n_nonzeros=h.getNumNz(),
        nodes=max(int(info.mip_node_count), 0),
    )


class DirectHighs:
    """A :class:`LinearProblem` straight into highspy (no modelling-layer objects)."""

    name = "highs-direct"

    def available(self) -> bool:
        """Highspy is a hard dependency: always True."""
        return True

    def version(self) -> str:
        """The HiGHS version."""
        return highs_version()

    def solve(
        self, problem: LinearProblem, options: SolverOptions, start: np.ndarray | None = None,
        hooks: SolveHooks | None = None,
    ) -> tuple[SolveResult, np.ndarray | None]:
        """Solve; returns the result and the column values (None without a solution).

        ``hooks`` (:class:`SolveHooks`): solutions from ``hooks.incumbent()`` are handed to
        HiGHS as user solutions while it runs, and ``hooks.stop(bound, objective)`` can end
        the solve; a solve so ended is ``optimal`` when the gap target is met, else
        ``time_limit``.
        """
        h = highspy.Highs()
        h.setOptionValue("output_flag", bool(options.verbose or options.log_file))
        h.setOptionValue("log_to_console", bool(options.verbose))
        if options.log_file:
            h.setOptionValue("log_file", options.log_file)
        for key, value in highs_option_dict(options).items():
            h.setOptionValue(key, value)
        if options.time_limit is not None:
            h.setOptionValue("time_limit", float(options.time_limit))
        h.setOptionValue("mip_rel_gap", float(options.mip_rel_gap))
        lp = highspy.HighsLp()
        A = problem.A.tocsc()
        lp.num_col_, lp.num_row_ = A.shape[1], A.shape[0]
        lp.col_cost_ = problem.c
        lp.offset_ = float(problem.offset)
        lp.col_lower_, lp.col_upper_ = problem.lower, problem.upper
        lp.row_lower_, lp.row_upper_ = problem.row_lower, problem.row_upper
        lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
        lp.a_matrix_.start_ = A.indptr
        lp.a_matrix_.index_ = A.indices
        lp.a_matrix_.value_ = A.data
        lp.integrality_ = [highspy.HighsVarType.kInteger if i else
                           highspy.HighsVarType.kContinuous for i in problem.integer]
        h.passModel(lp)
        if start is not None:
            sol = highspy.HighsSolution()
            sol.col_value = list(start)
            sol.value_valid = True
            h.setSolution(sol)
        stopped = _attach_hooks(h, hooks, problem) if hooks is not None else None
        h.HandleKeyboardInterrupt = True
        t0 = time.perf_counter()
        with ctrl_c_cancels(h) as pressed:
            h.solve()  # not run(): solve() runs in a worker thread that can be cancelled
        result = collect_result(h, self.name, time.perf_counter() - t0,
                                interrupted=pressed.is_set())
        if stopped is not None and stopped.is_set() and not pressed.is_set():
            gap = result.mip_gap
            met = gap is not None and gap <= options.mip_rel_gap + 1e-12
            result.status = Status.OPTIMAL if met else (
                Status.TIME_LIMIT if result.has_solution else Status.NO_SOLUTION)
            result.extra["stopped_by"] = "gap reached" if met else "stop hook"
        z = np.asarray(h.getSolution().col_value) if result.has_solution else None
        return result, z


def _attach_hooks(h: highspy.Highs, hooks: SolveHooks, problem: LinearProblem
                  ) -> threading.Event:
    """Subscribe the hooks to HiGHS's MIP callbacks; the event is set when ``stop`` fired."""
    stopped = threading.Event()
    state = {"given": math.inf}

    def user_solution(event: highspy.highs.HighsCallbackEvent) -> None:
        z = hooks.incumbent() if hooks.incumbent is not None else None
        if z is None:
            return
        value = problem.objective(z)
        if value < min(state["given"], event.data_out.mip_primal_bound) - 1e-9:
            event.data_in.setSolution(np.asarray(z, dtype=float))
            event.data_in.user_has_solution = True
            state["given"] = value

    def interrupt(event: highspy.highs.HighsCallbackEvent) -> None:
        out = event.data_out
        if hooks.stop is not None and hooks.stop(out.mip_dual_bound, out.mip_primal_bound):
            stopped.set()
            event.interrupt()

    if hooks.incumbent is not None:
        h.cbMipUserSolution.subscribe(user_solution)
    if hooks.stop is not None:
        h.cbMipInterrupt.subscribe(interrupt)
    return stopped
