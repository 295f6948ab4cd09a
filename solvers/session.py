"""Many small changes of one LP, solved fast: the problem is loaded into HiGHS once, and each
solve changes a few column bounds, warm-starts the dual simplex from the previous basis and
puts the bounds back.

A re-solve after fixing a handful of columns (an N-1 closure: one facility's columns at 0,
every other decision fixed) then costs a few simplex iterations instead of a fresh solve.
Knows nothing of the model: columns are positions in a :class:`LinearProblem`.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import highspy
import numpy as np
import scipy.sparse as sp

from specialeplan.solvers.base import SolveResult
from specialeplan.solvers.highs import collect_result, highs_lp

_KEEP = ("c", "offset", "A", "row_lower", "row_upper", "lower", "upper")


@dataclass
class LPArrays:
    """The arrays of an LP (picklable: what a worker process needs to open a session)."""

    c: np.ndarray
    offset: float
    A: sp.csr_matrix
    row_lower: np.ndarray
    row_upper: np.ndarray
    lower: np.ndarray
    upper: np.ndarray

    @classmethod
    def of(cls, problem: object) -> LPArrays:
        """The LP of a :class:`LinearProblem` (integrality dropped)."""
        return cls(**{k: getattr(problem, k) for k in _KEEP})


class LPSession:
    """One LP in one HiGHS instance, re-solved under temporary column-bound changes.

    ``threads``: HiGHS threads (1 when several sessions run side by side). ``time_limit``
    caps each solve (not the session: HiGHS's own ``time_limit`` counts its run time over
    all ``run()`` calls of one object, so it is moved on before each solve).
    """

    def __init__(self, lp: LPArrays, *, threads: int = 1,
                 time_limit: float | None = None) -> None:
        self.lp = lp
        h = highspy.Highs()
        h.setOptionValue("output_flag", False)
        h.setOptionValue("threads", int(threads))
        h.passModel(highs_lp(lp))
        self.h = h
        self.time_limit = None if time_limit is None else float(time_limit)
        self.n_solves = 0

    def solve(self, cols: np.ndarray | None = None, lower: np.ndarray | None = None,
              upper: np.ndarray | None = None) -> tuple[SolveResult, np.ndarray | None]:
        """Solve with columns ``cols`` bounded by ``lower``/``upper`` (the loaded bounds
        elsewhere); the bounds are restored afterwards, the basis is kept."""
        h = self.h
        changed = cols is not None and len(cols) > 0
        if self.time_limit is not None:  # HiGHS's clock runs on over the session's solves
            h.setOptionValue("time_limit", h.getRunTime() + self.time_limit)
        idx = np.asarray(cols if changed else [], dtype=np.int32)
        try:
            if changed:
                h.changeColsBounds(len(idx), idx, np.asarray(lower, dtype=float),
                                   np.asarray(upper, dtype=float))
            t0 = time.perf_counter()
            h.run()
            result = collect_result(h, "highs-session", time.perf_counter() - t0)
            z = np.asarray(h.getSolution().col_value) if result.has_solution else None
        finally:  # an interrupt must not leave a closure's bounds in the session
            if changed:
                h.changeColsBounds(len(idx), idx, self.lp.lower[idx], self.lp.upper[idx])
        self.n_solves += 1
        return result, z
