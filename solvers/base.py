"""Solver options, results and the backend protocol (the registry is in ``registry``)."""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Protocol

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, NonNegativeFloat, PositiveInt

from specialeplan.solvers.problem import LinearProblem

_INTERRUPT = threading.Event()


def request_interrupt() -> None:
    """Record that the user pressed Ctrl-C (set by the backends' signal handler)."""
    _INTERRUPT.set()


def interrupt_requested() -> bool:
    """True once Ctrl-C was pressed since :func:`clear_interrupt`; loops of several solves
    (start heuristics, sweeps) check it between solves."""
    return _INTERRUPT.is_set()


def clear_interrupt() -> None:
    """Forget an earlier Ctrl-C (at the start of a run)."""
    _INTERRUPT.clear()


class Deadline:
    """The wall-clock end of a whole run; every solve inside it gets at most what is left."""

    def __init__(self, seconds: float | None) -> None:
        self.seconds = seconds
        self._end = None if seconds is None else time.monotonic() + max(float(seconds), 0.0)

    def remaining(self) -> float:
        """Seconds left (``inf`` without a limit, never negative)."""
        return math.inf if self._end is None else max(self._end - time.monotonic(), 0.0)

    def expired(self) -> bool:
        """True once the time is spent."""
        return self.remaining() <= 0.0

    def limit(self, budget: float | None = None, reserve: float = 0.0) -> float | None:
        """A time limit for one step: ``budget`` capped by what is left minus ``reserve``
        (``None`` = unlimited)."""
        left = self.remaining() - reserve
        out = min(left, math.inf if budget is None else budget)
        return None if math.isinf(out) else max(out, 0.0)


@dataclass
class SolveHooks:
    """Optional hooks into a running MIP solve (backends that support them: ``highs-direct``).

    ``incumbent()`` is polled while the solver runs and may return a new feasible column
    vector for it to use as incumbent (e.g. from a parallel primal heuristic);
    ``stop(bound, objective)`` is polled with the current dual bound and incumbent
    objective and stops the solve when it returns True.
    """

    incumbent: Callable[[], np.ndarray | None] | None = None
    stop: Callable[[float, float], bool] | None = None


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
    time_limit: NonNegativeFloat | None = Field(600.0, description="seconds; None = no limit")
    mip_rel_gap: NonNegativeFloat = Field(0.005, description="stop at this relative gap")
    threads: PositiveInt | None = Field(None, description="None = solver default")
    seed: int = Field(0, description="solver random seed (results are reproducible per seed)")
    warm_start: bool = Field(True, description="build a start solution first (LP-guided "
                             "restricted MIP) and hand it to the solver")
    parallel: bool | None = Field(
        None, description="run the primal heuristic in a second process beside the MIP and "
        "feed its solutions to the MIP (highs-direct); None = when the machine has 2+ cores "
        "and the model is large")
    verbose: bool = Field(False, description="stream the solver log (progress) to stdout")
    log_file: str | None = Field(None, description="write the solver log here")
    options: dict[str, Any] = Field(default_factory=dict,
                                    description="passed verbatim to the solver")


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

    def solve(self, problem: LinearProblem, options: SolverOptions,
              start: np.ndarray | None = None, hooks: SolveHooks | None = None,
              ) -> tuple[SolveResult, np.ndarray | None]:
        """Solve ``problem``; ``start`` (a full column vector) is a MIP start. ``hooks``:
        see :class:`SolveHooks` (ignored by backends that cannot run them). Returns the
        result and the column values (None without a solution)."""
        ...
