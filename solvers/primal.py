"""A primal heuristic for any MIP in :class:`LinearProblem` form (knows no domain).

HiGHS proves good bounds on large placement models quickly but finds good solutions slowly
(``benchmarks/BENCHMARKS.md``). :func:`lp_guided_search` finds them:

1. **LP-guided restricted MIP.** Solve the LP relaxation; fix every binary whose LP value is
   ≤ ``fix_low`` to 0 and every binary ≥ ``fix_high`` to 1; solve the remaining MIP (on the
   national instance ~220 free of 1,534 binaries) for part of the budget. Fixing only
   restricts, so its solutions are feasible for the whole problem.
2. **Large-neighbourhood search.** Repeatedly free the binaries of a few random *groups* of
   columns (the caller's groupings: e.g. specialer, or regions), fix every other binary at
   the incumbent, and re-solve from the incumbent. Neighbourhoods grow while they are solved
   to optimality quickly and shrink when they time out.

Every improvement is reported through ``on_solution(objective, z)`` at once, so a caller can
pass it on (to a running MIP, see :mod:`specialeplan.solvers.portfolio`) or stop any time.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from specialeplan.solvers.base import Backend, Deadline, SolveHooks, SolverOptions, Status
from specialeplan.solvers.problem import LinearProblem
from specialeplan.solvers.registry import get_backend


@dataclass
class SearchLog:
    """What the search did: one entry per step (``step``, ``seconds``, ``objective``)."""

    steps: list[dict[str, object]] = field(default_factory=list)
    lp_bound: float | None = None

    def add(self, step: str, t0: float, objective: float | None, **extra: object) -> None:
        """Record one step."""
        self.steps.append({"step": step, "seconds": round(time.perf_counter() - t0, 2),
                           "objective": objective, **extra})


def _binary(problem: LinearProblem) -> np.ndarray:
    return problem.integer & (problem.lower >= 0) & (problem.upper <= 1) & (problem.upper > 0)


def lp_fixings(problem: LinearProblem, z_lp: np.ndarray, fix_low: float = 0.01,
               fix_high: float = 0.99) -> tuple[np.ndarray, np.ndarray]:
    """Column bounds with the binaries fixed where the LP is decided (see module docstring)."""
    lower, upper = problem.lower.copy(), problem.upper.copy()
    binary = _binary(problem) & (problem.lower < problem.upper)
    upper[binary & (z_lp <= fix_low)] = 0.0
    lower[binary & (z_lp >= fix_high)] = 1.0
    return lower, upper


def lp_guided_search(
    problem: LinearProblem, options: SolverOptions, *, seconds: float | None,
    groupings: list[np.ndarray] | None = None, start: np.ndarray | None = None,
    on_solution: Callable[[float, np.ndarray], None] | None = None,
    should_stop: Callable[[], bool] | None = None, restricted_share: float = 0.4,
    lns_seconds: float = 12.0, lns_groups: int = 4, max_stale: int = 8,
    polish_only: bool = False, enough_gap: float | None = None, bound: float | None = None,
) -> tuple[np.ndarray | None, SearchLog]:
    """Run the search for at most ``seconds``; return the best solution found (or ``start``).

    ``groupings``: arrays of a group id per column (``-1`` = in no group); the LNS frees the
    binaries of ``lns_groups`` random groups of one grouping at a time, cycling through the
    groupings. ``start`` is a known feasible solution (it seeds the incumbent). The search
    stops after ``max_stale`` neighbourhoods in a row without improvement, at the deadline,
    or when ``should_stop()`` says so. ``polish_only``: skip the LP and the restricted MIP and
    improve ``start`` by the neighbourhood search alone (re-solves after a small change).
    ``enough_gap``: also stop once the incumbent is within this relative gap of the best
    known lower bound (the LP relaxation's, or ``bound``): a MIP solver can prove it then.
    """
    t0 = time.perf_counter()
    deadline = Deadline.after(seconds)
    log = SearchLog()
    backend = get_backend(options.name)
    rng = np.random.default_rng(options.seed)
    sub = options.model_copy(update={"verbose": False, "log_file": None, "threads": 1,
                                     "mip_rel_gap": min(options.mip_rel_gap, 1e-3) / 2})
    stop = should_stop or (lambda: False)
    best, best_z = np.inf, None

    def offer(z: np.ndarray | None, step: str) -> bool:
        nonlocal best, best_z
        if z is None or problem.violation(z) > 1e-6:
            return False
        value = problem.objective(z)
        if value >= best - 1e-6 * max(1.0, abs(best)):
            return False
        best, best_z = value, z
        log.add(step, t0, value)
        if on_solution is not None:
            on_solution(value, z)
        return True

    if start is not None:
        offer(np.asarray(start, dtype=float), "start")
    binary = _binary(problem)

    def good_enough() -> bool:
        lower = max(b for b in (log.lp_bound, bound, -np.inf) if b is not None)
        return (enough_gap is not None and best_z is not None and np.isfinite(lower)
                and best - lower <= enough_gap * max(abs(best), 1e-9))

    def hooks(step: str) -> SolveHooks:
        """Every improving solution of a sub-solve is offered at once; a stop request ends
        the sub-solve in progress."""
        return SolveHooks(improved=lambda z: offer(z, step),
                          stop=lambda bound, obj: stop())

    if polish_only and best_z is not None:
        return _neighbourhoods(problem, backend, sub, deadline, groupings, binary, rng, stop,
                               offer, lambda: best_z, lns_seconds, lns_groups, max_stale,
                               hooks, good_enough), log
    lp, z_lp = backend.solve(problem.relaxed(), sub.model_copy(
        update={"time_limit": deadline.limit()}))
    if z_lp is None or stop() or deadline.expired():
        log.add("lp", t0, None, status=str(lp.status))
        return best_z, log
    log.lp_bound = lp.objective
    log.add("lp", t0, None, lp_bound=lp.objective)
    lower, upper = lp_fixings(problem, z_lp)
    log.add("fix", t0, None, free=int((binary & (lower < upper)).sum()),
            at_0=int((binary & (upper == 0) & (problem.upper > 0)).sum()),
            at_1=int((binary & (lower == 1) & (problem.lower < 1)).sum()))
    restricted = problem.with_bounds(lower, upper)
    budget = None if seconds is None else max(restricted_share * seconds, 5.0)
    res, z = backend.solve(restricted, sub.model_copy(update={"time_limit": deadline.limit(
        budget)}), best_z if best_z is not None and restricted.violation(best_z) <= 1e-6
        else None, hooks("restricted"))
    if not offer(z, "restricted") and best_z is None:
        log.add("restricted", t0, None, status=str(res.status))
    if best_z is None:
        return None, log
    return _neighbourhoods(problem, backend, sub, deadline, groupings, binary, rng, stop, offer,
                           lambda: best_z, lns_seconds, lns_groups, max_stale, hooks,
                           good_enough), log


def _neighbourhoods(
    problem: LinearProblem, backend: Backend, options: SolverOptions, deadline: Deadline,
    groupings: list[np.ndarray] | None, binary: np.ndarray, rng: np.random.Generator,
    stop: Callable[[], bool], offer: Callable[[np.ndarray | None, str], bool],
    incumbent: Callable[[], np.ndarray], lns_seconds: float, size: int, max_stale: int,
    hooks: Callable[[str], SolveHooks], good_enough: Callable[[], bool],
) -> np.ndarray:
    """The large-neighbourhood search of :func:`lp_guided_search`; returns the incumbent."""
    # a grouping with fewer than two groups would free everything: no neighbourhood
    groupings = [g for g in groupings or [] if len(np.unique(g[binary & (g >= 0)])) >= 2]
    stale, k = 0, 0
    while (groupings and not stop() and not good_enough() and deadline.remaining() > 2.0
           and stale < max_stale):
        groups = groupings[k % len(groupings)]
        k += 1
        ids = np.unique(groups[binary & (groups >= 0)])
        chosen = rng.choice(ids, min(size, len(ids) - 1), replace=False)
        fix = binary & ~np.isin(groups, chosen)
        lo, hi = problem.lower.copy(), problem.upper.copy()
        best = incumbent()
        rounded = np.round(best)
        lo[fix], hi[fix] = rounded[fix], rounded[fix]
        step = f"lns {len(chosen)} groups"
        before = incumbent()
        res, z = backend.solve(problem.with_bounds(lo, hi), options.model_copy(
            update={"time_limit": deadline.limit(lns_seconds)}), best, hooks(step))
        improved = offer(z, step) or incumbent() is not before
        stale = 0 if improved else stale + 1
        if res.status == Status.OPTIMAL and size < len(ids) - 1:
            size += 1  # solved to the end: a larger neighbourhood may find more
        elif res.status == Status.TIME_LIMIT and not improved and size > 1:
            size -= 1
    return incumbent()
