"""Solver options, results, the backend protocol, the run's deadline and interrupts.

The registry of backends is in ``registry``. Two run-wide mechanisms live here because every
solve of a run (start heuristic, main solve, diagnosis) shares them:

* :class:`Deadline`: the time limit as a wall for the whole run; every solve gets
  ``min(own budget, deadline.remaining())`` as its time limit.
* interrupts: inside :func:`interruptible` SIGINT (Ctrl-C) and SIGTERM set a flag and cancel
  the solve in progress (:func:`cancel_on_interrupt`) instead of killing the process, so the
  caller can keep the best solution found; a second signal raises ``KeyboardInterrupt``.
"""

from __future__ import annotations

import math
import signal
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Annotated, Any, Protocol

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, PositiveInt

from specialeplan.solvers.problem import LinearProblem

_INTERRUPT = threading.Event()
_CANCEL: list[Callable[[], None]] = []  # cancel callbacks of the solves in progress
_DEPTH = 0  # nesting depth of interruptible()
INTERRUPT_SIGNALS = ("SIGINT", "SIGTERM")


def request_interrupt() -> None:
    """Record an interrupt (Ctrl-C or SIGTERM) and cancel the solves in progress."""
    _INTERRUPT.set()
    for cancel in list(_CANCEL):
        cancel()


def interrupt_requested() -> bool:
    """True once an interrupt was requested since :func:`clear_interrupt`; loops of several
    solves (start heuristics, sweeps) check it between solves."""
    return _INTERRUPT.is_set()


def clear_interrupt() -> None:
    """Forget an earlier interrupt (at the start of a run)."""
    _INTERRUPT.clear()


def _handler(signum: int, frame: object) -> None:
    if _INTERRUPT.is_set():  # the second one: stop now
        raise KeyboardInterrupt
    request_interrupt()


@contextmanager
def interruptible() -> Iterator[None]:
    """Inside: SIGINT and SIGTERM request an interrupt (the solve in progress stops and keeps
    its best solution) instead of killing the process; a second signal raises
    ``KeyboardInterrupt``. Nested use is fine; the outermost entry forgets an earlier
    interrupt. Signal handlers can only be set in the main thread; elsewhere only the flag
    works (set it with :func:`request_interrupt`)."""
    global _DEPTH
    if _DEPTH == 0:
        clear_interrupt()
    _DEPTH += 1
    previous: dict[signal.Signals, Any] = {}
    try:
        if threading.current_thread() is threading.main_thread():
            for name in INTERRUPT_SIGNALS:
                sig = getattr(signal, name, None)
                if sig is not None:
                    previous[sig] = signal.signal(sig, _handler)
        yield
    finally:
        for sig, old in previous.items():
            signal.signal(sig, old)
        _DEPTH -= 1


@contextmanager
def cancel_on_interrupt(cancel: Callable[[], None]) -> Iterator[None]:
    """While inside, an interrupt request also calls ``cancel`` (e.g. ``Highs.cancelSolve``).
    Called at once when an interrupt is already pending."""
    _CANCEL.append(cancel)
    try:
        if _INTERRUPT.is_set():
            cancel()
        yield
    finally:
        _CANCEL.remove(cancel)


@dataclass(frozen=True)
class Deadline:
    """The time limit of a whole run as a point in time (``time.perf_counter`` clock).

    ``end`` None means no limit. Every solve of the run gets at most :meth:`remaining`
    seconds (see :meth:`cap`); loops stop starting new work once :meth:`expired`.
    """

    end: float | None

    @classmethod
    def after(cls, seconds: float | None, start: float | None = None) -> Deadline:
        """``seconds`` after ``start`` (default: now); None = no limit."""
        if seconds is None:
            return cls(None)
        return cls((time.perf_counter() if start is None else start) + float(seconds))

    @classmethod
    def none(cls) -> Deadline:
        """No limit."""
        return cls(None)

    def remaining(self) -> float:
        """Seconds left (never negative; ``inf`` without a limit)."""
        if self.end is None:
            return math.inf
        return max(self.end - time.perf_counter(), 0.0)

    def expired(self, margin: float = 0.0) -> bool:
        """True when less than ``margin`` seconds are left."""
        return self.end is not None and self.remaining() <= margin

    def earlier(self, seconds: float) -> Deadline:
        """The deadline ``seconds`` earlier (a reserve for what comes after)."""
        return self if self.end is None else Deadline(self.end - seconds)

    def within(self, seconds: float | None) -> Deadline:
        """The earlier of this deadline and ``seconds`` from now."""
        other = Deadline.after(seconds)
        if other.end is None:
            return self
        return other if self.end is None else Deadline(min(self.end, other.end))

    def limit(self, budget: float | None = None, reserve: float = 0.0) -> float | None:
        """A time limit for one step: ``budget`` capped by what is left minus ``reserve``
        (None = unlimited)."""
        left = self.remaining() - reserve
        out = min(left, math.inf if budget is None else budget)
        return None if math.isinf(out) else max(out, 0.0)

    def cap(self, seconds: float | None) -> float | None:
        """``min(seconds, remaining())``; None when both are unlimited."""
        left = self.remaining()
        if seconds is None:
            return None if math.isinf(left) else left
        return max(min(float(seconds), left), 0.0)


FiniteNonNegative = Annotated[float, Field(ge=0, allow_inf_nan=False)]
"""A finite number >= 0 (``inf`` and ``nan`` are errors)."""


@dataclass
class SolveHooks:
    """Optional hooks into a running MIP solve (backends that support them: ``highs-direct``).

    ``incumbent()`` is polled while the solver runs and may return a new feasible column
    vector for it to use as incumbent (e.g. from a parallel primal heuristic);
    ``stop(bound, objective)`` is polled with the current dual bound and incumbent
    objective and stops the solve when it returns True; ``improved(z)`` is called with
    every improving solution the solver finds, as it finds it.
    """

    incumbent: Callable[[], np.ndarray | None] | None = None
    stop: Callable[[float, float], bool] | None = None
    improved: Callable[[np.ndarray], None] | None = None


class Status(StrEnum):
    """Outcome of a solve. Only ``optimal`` means the gap target was proven."""

    OPTIMAL = "optimal"
    TIME_LIMIT = "time_limit"
    INTERRUPTED = "interrupted"
    FEASIBLE = "feasible"  # stopped for another limit with a solution
    INFEASIBLE = "infeasible"
    UNBOUNDED = "unbounded"
    NO_SOLUTION = "no_solution"
    ERROR = "error"


class SolverOptions(BaseModel):
    """Typed solver options (scenario key ``solver``)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field("highs", description="backend: 'highs' (Pyomo reference path) or "
                      "'highs-direct' (sparse matrices straight into highspy)")
    time_limit: FiniteNonNegative | None = Field(
        600.0, description="seconds for the whole run (loading, start heuristic, solve, "
        "writing); None = no limit; 0 = no time to solve")
    mip_rel_gap: FiniteNonNegative = Field(0.005, description="stop at this relative gap")
    threads: PositiveInt | None = Field(None, description="None = solver default")
    seed: int = Field(0, description="solver random seed (results are reproducible per seed)")
    warm_start: bool = Field(
        False, description="search for solutions with the LP-guided primal heuristic (before "
        "or beside the solver, see solver.parallel) and hand them to it; off by default: "
        "HiGHS alone is faster on the bundled scenarios (benchmarks/BENCHMARKS.md)")
    parallel: bool | None = Field(
        None, description="run the primal heuristic in a second process beside the MIP and "
        "feed its solutions to the MIP (highs-direct); None = when the machine has 2+ cores "
        "and the model is large")
    verbose: bool = Field(False, description="stream the solver log (progress) to stdout")
    log_file: str | None = Field(None, description="write the solver log here")
    options: dict[str, Any] = Field(
        default_factory=dict, description="passed to the solver; names and types are checked "
        "against the solver's own option list before the solve")


@dataclass
class SolveResult:
    """What every backend returns; ``objective`` is None when no solution exists."""

    status: Status
    objective: float | None
    best_bound: float | None
    solver: str
    solver_version: str
    solve_seconds: float
    n_variables: int = 0
    n_constraints: int = 0
    n_binaries: int = 0
    n_nonzeros: int = 0
    nodes: int = 0
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def has_solution(self) -> bool:
        """True when the solve returned a (feasible) solution."""
        return self.objective is not None

    @property
    def mip_gap(self) -> float | None:
        """|obj − bound| / max(|obj|, 1e-9) as HiGHS defines it; None without both."""
        if self.objective is None or self.best_bound is None:
            return None
        if not math.isfinite(self.best_bound):
            return None
        denom = max(abs(self.objective), 1e-9)
        return abs(self.objective - self.best_bound) / denom


class Backend(Protocol):
    """What every solver backend offers; chosen by name with
    :func:`specialeplan.solvers.registry.get_backend`."""

    name: str

    def available(self) -> bool:
        """True when the backend's solver is installed."""
        ...

    def version(self) -> str:
        """The solver's version string."""
        ...

    def check_options(self, options: SolverOptions) -> None:
        """Raise :class:`~specialeplan.errors.SolverError` naming the option when
        ``options.options`` holds a name or value the solver does not accept."""
        ...

    def solve(self, problem: LinearProblem, options: SolverOptions,
              start: np.ndarray | None = None, hooks: SolveHooks | None = None, *,
              deadline: Deadline | None = None) -> tuple[SolveResult, np.ndarray | None]:
        """Solve ``problem``; ``start`` (a full column vector) is a MIP start. ``hooks``:
        see :class:`SolveHooks` (ignored by backends that cannot run them). The time limit
        is ``options.time_limit`` capped by ``deadline`` (applied right before the solver
        starts, after the model is passed). Inside :func:`interruptible` an interrupt cancels
        the solve (status ``interrupted``, the best solution kept); when one is already
        pending the solve does not start. Returns the result and the column values (None
        without a solution)."""
        ...
