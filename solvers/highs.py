"""The direct HiGHS backend (``highs-direct``): a :class:`LinearProblem` straight into highspy.

The matrix is handed over in one call (no modelling-layer objects), so building is cheap;
the Pyomo route is :mod:`specialeplan.solvers.pyomo_highs`. Both share the helpers here.

Inside :func:`~specialeplan.solvers.base.interruptible`, Ctrl-C or SIGTERM during a solve
asks HiGHS to stop: it keeps the best solution found and we report status ``interrupted``
(a second signal aborts). ``solver.options`` are checked against HiGHS's own option list
(:func:`check_highs_options`) before any solve.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import highspy
import numpy as np
from pyomo.common.tee import capture_output

from specialeplan.errors import SolverError
from specialeplan.solvers.base import (
    Deadline,
    SolveHooks,
    SolveResult,
    SolverOptions,
    Status,
    cancel_on_interrupt,
    interrupt_requested,
    interruptible,
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


# HiGHS options that the typed solver options own (set them there, not in ``options``)
TYPED_OPTIONS = {"time_limit": "solver.time_limit", "mip_rel_gap": "solver.mip_rel_gap",
                 "threads": "solver.threads", "random_seed": "solver.seed",
                 "log_file": "solver.log_file", "output_flag": "solver.verbose",
                 "log_to_console": "solver.verbose"}
_TYPE_WORDS = {"kBool": "true or false", "kInt": "a whole number", "kDouble": "a number",
               "kString": "a text value"}


def _option_type(h: highspy.Highs, name: str) -> str | None:
    """``kBool``, ``kInt``, ``kDouble`` or ``kString``; None when HiGHS has no such option."""
    status, kind = h.getOptionType(name)
    if status != highspy.HighsStatus.kOk:
        return None
    return kind.name


def _coerce(kind: str, value: Any) -> Any:
    """What YAML gives → what HiGHS wants: ``1`` for a number option is a float; ``off``/``on``
    (YAML 1.1 reads them as booleans) for a text option such as ``presolve`` is the text."""
    if kind == "kDouble" and isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    if kind == "kString" and isinstance(value, bool):
        return "on" if value else "off"
    return value


def _highs_says(text: str) -> str:
    """HiGHS's own reason from its log line (``ERROR:   checkOptionValue: Value ...``)."""
    lines = [ln.split("ERROR:", 1)[-1].strip() for ln in text.splitlines() if ln.strip()]
    reason = lines[-1] if lines else ""
    head, sep, rest = reason.partition(": ")
    return rest if sep and " " not in head else reason


def check_highs_options(extra: dict[str, Any]) -> dict[str, Any]:
    """Check ``solver.options`` against HiGHS's own option list and types on a scratch
    instance; returns them ready for ``setOptionValue``. Raises :class:`SolverError` naming
    the first bad option (unknown name, wrong type, value out of range or not allowed) with
    HiGHS's own reason."""
    h = highspy.Highs()  # the banner was printed (captured) by the first instance
    h.setOptionValue("log_to_console", False)
    said: list[str] = []  # HiGHS's log lines reach us through the logging callback
    h.cbLogging.subscribe(lambda event: said.append(str(getattr(event, "message", event))))
    clean: dict[str, Any] = {}
    for name, value in extra.items():
        key = f"solver.options.{name}"
        if name in TYPED_OPTIONS:
            raise SolverError(f"{key}: set {TYPED_OPTIONS[name]} instead (the typed option "
                              "would override it)")
        kind = _option_type(h, str(name)) if isinstance(name, str) else None
        if kind is None:
            raise SolverError(f"{key}: HiGHS has no option {name!r} (the list: "
                              "https://ergo-code.github.io/HiGHS/stable/options/definitions/)")
        value = _coerce(kind, value)
        if isinstance(value, float) and not math.isfinite(value):
            raise SolverError(f"{key}: expected a finite number, got {value!r}")
        said.clear()
        try:
            status = h.setOptionValue(name, value)
        except (TypeError, RuntimeError, ValueError):
            status = highspy.HighsStatus.kError
        if status != highspy.HighsStatus.kOk:
            reason = _highs_says("".join(said))
            raise SolverError(f"{key}: HiGHS rejects {value!r}; it expects "
                              f"{_TYPE_WORDS.get(kind, kind)}" + (f" ({reason})" if reason
                                                                   else ""))
        clean[name] = value
    return clean


def highs_option_dict(options: SolverOptions) -> dict[str, Any]:
    """HiGHS option names for our typed options plus the checked ``options`` (time limit
    and gap set separately)."""
    out: dict[str, Any] = {"random_seed": int(options.seed)}
    if options.threads is not None:
        out["threads"] = int(options.threads)
    out.update(check_highs_options(options.options))
    return out


def time_limit(options: SolverOptions, deadline: Deadline | None) -> float | None:
    """The solve's time limit: ``options.time_limit`` capped by the run's deadline."""
    return (deadline or Deadline.none()).cap(options.time_limit)


@contextmanager
def ctrl_c_cancels(h: highspy.Highs) -> Iterator[threading.Event]:
    """While solving, an interrupt (Ctrl-C, SIGTERM; see
    :func:`~specialeplan.solvers.base.interruptible`) asks HiGHS to stop (it keeps its best
    solution); the event yielded tells whether one came. highspy's own handler only cancels
    at some check points and does not tell the caller, so a cancelled solve could look like
    a time limit. A second signal raises ``KeyboardInterrupt``.
    """
    pressed = threading.Event()

    def cancel() -> None:
        pressed.set()
        h.cancelSolve()

    with interruptible(), cancel_on_interrupt(cancel):
        yield pressed


OVERRUN_GRACE = 0.5
"""Seconds HiGHS may run past its ``time_limit`` before it is cancelled (both backends): its sub-MIP
heuristics check the limit rarely (measured: 8 s past a 25 s limit on national_2030)."""


@contextmanager
def cancel_after(h: highspy.Highs, limit: float | None) -> Iterator[threading.Event]:
    """While solving, cancel HiGHS once ``limit`` + :data:`OVERRUN_GRACE` seconds have
    passed, so the run's time limit holds; the event yielded tells whether it had to."""
    overran = threading.Event()
    if limit is None:
        yield overran
        return

    def cancel() -> None:
        overran.set()
        h.cancelSolve()

    timer = threading.Timer(limit + OVERRUN_GRACE, cancel)
    timer.daemon = True
    timer.start()
    try:
        yield overran
    finally:
        timer.cancel()


def interrupted_before_start(solver: str, problem: LinearProblem) -> SolveResult:
    """The result of a solve that did not start because an interrupt was pending."""
    return SolveResult(status=Status.NO_SOLUTION, objective=None, best_bound=None,
                       solver=solver, solver_version=highs_version(), solve_seconds=0.0,
                       n_variables=problem.n_columns, n_constraints=problem.n_rows,
                       n_binaries=problem.n_integer, n_nonzeros=int(problem.A.nnz),
                       extra={"interrupted_before_start": True})


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


class HighsBackend:
    """What both HiGHS backends share: the version and the option check."""

    def version(self) -> str:
        """The HiGHS version."""
        return highs_version()

    def check_options(self, options: SolverOptions) -> None:
        """Check ``options.options`` against HiGHS's option list (:class:`SolverError`)."""
        check_highs_options(options.options)


class DirectHighs(HighsBackend):
    """A :class:`LinearProblem` straight into highspy (no modelling-layer objects)."""

    name = "highs-direct"

    def available(self) -> bool:
        """Highspy is a hard dependency: always True."""
        return True

    def solve(
        self, problem: LinearProblem, options: SolverOptions, start: np.ndarray | None = None,
        hooks: SolveHooks | None = None, *, deadline: Deadline | None = None,
    ) -> tuple[SolveResult, np.ndarray | None]:
        """Solve; returns the result and the column values (None without a solution).
        The time limit is capped by ``deadline`` right before HiGHS starts.

        ``hooks`` (:class:`SolveHooks`): solutions from ``hooks.incumbent()`` are handed to
        HiGHS as user solutions while it runs, and ``hooks.stop(bound, objective)`` can end
        the solve; a solve so ended is ``optimal`` when the gap target is met, else
        ``time_limit``.
        """
        with interruptible():
            return self._solve(problem, options, start, hooks, deadline)

    def _solve(
        self, problem: LinearProblem, options: SolverOptions, start: np.ndarray | None,
        hooks: SolveHooks | None, deadline: Deadline | None,
    ) -> tuple[SolveResult, np.ndarray | None]:
        if interrupt_requested():
            return interrupted_before_start(self.name, problem), None
        h = highspy.Highs()
        h.setOptionValue("output_flag", bool(options.verbose or options.log_file))
        h.setOptionValue("log_to_console", bool(options.verbose))
        if options.log_file:
            h.setOptionValue("log_file", options.log_file)
        for key, value in highs_option_dict(options).items():
            h.setOptionValue(key, value)
        h.setOptionValue("mip_rel_gap", float(options.mip_rel_gap))
        lp = highs_lp(problem)
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
        limit = time_limit(options, deadline)  # after passing the model: that took time too
        if limit is not None:
            h.setOptionValue("time_limit", float(limit))
        t0 = time.perf_counter()
        with ctrl_c_cancels(h) as pressed, cancel_after(h, limit) as overran:
            if pressed.is_set():  # came while the model was passed: do not start
                return interrupted_before_start(self.name, problem), None
            h.solve()  # not run(): solve() runs in a worker thread that can be cancelled
        result = collect_result(h, self.name, time.perf_counter() - t0,
                                interrupted=pressed.is_set())
        if overran.is_set() and not pressed.is_set():
            result.status = Status.TIME_LIMIT if result.has_solution else Status.NO_SOLUTION
            result.extra["stopped_by"] = "time limit (HiGHS cancelled after overrunning it)"
        if stopped is not None and stopped.is_set() and not pressed.is_set():
            gap = result.mip_gap
            met = gap is not None and gap <= options.mip_rel_gap + 1e-12
            result.status = Status.OPTIMAL if met else (
                Status.TIME_LIMIT if result.has_solution else Status.NO_SOLUTION)
            result.extra["stopped_by"] = "gap reached" if met else "stop hook"
        z = np.asarray(h.getSolution().col_value) if result.has_solution else None
        return result, z


def highs_lp(problem: Any) -> highspy.HighsLp:
    """``problem``'s arrays (``c, offset, A, lower, upper, row_lower, row_upper``: a
    :class:`LinearProblem` or anything with them) as a HiGHS LP, column-wise, no
    integrality."""
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
    return lp


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

    def improving(event: highspy.highs.HighsCallbackEvent) -> None:
        hooks.improved(np.array(event.data_out.mip_solution, dtype=float))

    if hooks.incumbent is not None:
        h.cbMipUserSolution.subscribe(user_solution)
    if hooks.stop is not None:
        h.cbMipInterrupt.subscribe(interrupt)
    if hooks.improved is not None:
        h.cbMipImprovingSolution.subscribe(improving)
    return stopped
