"""The closure model of the N-1 analysis and its solver
(:mod:`specialeplan.analyses.vulnerability`).

With every binary of the plan fixed, closing a specialfunktion leaves a linear programme; the
:class:`ClosureModel` builds it once (elastic: the registry's elastic families get slack at a
penalty), and :class:`ClosureSolver` solves closure after closure from the previous basis in
one HiGHS session, in this process or in worker processes.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Iterable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from specialeplan.errors import ScenarioError
from specialeplan.model.build import active_families, build_problem
from specialeplan.model.families import FAMILIES
from specialeplan.model.resolve import previous_binaries
from specialeplan.model.sets import ModelData
from specialeplan.results.readable import name_lookups
from specialeplan.solvers.base import SolverOptions
from specialeplan.solvers.problem import LinearProblem
from specialeplan.solvers.session import LPArrays, LPSession

TOL = 1e-6
#: slack on these rules costs this many times the penalty (they give way last)
LAST_RESORT = {"demand_balance": 2.0, "reach": 2.0}


# ----------------------------------------------------------------------- the closure model
@dataclass(frozen=True)
class Closure:
    """What closes: one specialfunktion (``speciale`` set) or a whole provider (``speciale``
    empty: every specialfunktion of ``provider_id``)."""

    provider_id: str
    speciale: str
    pairs: tuple[int, ...]  # rows of data.pairs

    @property
    def key(self) -> str:
        """``P0042/autisme`` or ``P0042``."""
        return f"{self.provider_id}/{self.speciale}" if self.speciale else self.provider_id


@dataclass
class State:
    """A solution of the closure model, measured."""

    objective: float  # the plan's objective (weights), no penalty
    penalty: float  # the penalty for broken rules
    unmet: float
    travel: float  # family travel, borgerforløb × minutes
    outreach: float  # borgerforløb served by outreach (no family travel)
    near_family: float  # borgerforløb helped near the family (no family travel)
    volume: np.ndarray  # borgerforløb per pair
    short: np.ndarray  # need rows without reach (bool)
    saturated: np.ndarray  # designated pairs whose capacity is full (bool)
    designated: np.ndarray  # y per pair (bool)
    slack: dict[str, tuple[float, int]] = field(default_factory=dict)  # family → amount, rows
    below_min: int = 0
    over_capacity: float = 0.0


class ClosureModel:
    """The plan's model for closures: binaries fixed to the plan, elastic where a closure
    can break a rule (module docstring). ``penalty``: per unit of slack (default: ten times
    the largest per-unit cost of the plan's weights and at least 10⁴, so at least 10⁵)."""

    def __init__(self, data: ModelData, designations: pd.DataFrame,
                 penalty: float | None = None) -> None:
        if data.params.families.backup_coverage:  # a plan rule every closure breaks by
            fam = data.params.families.model_copy(update={"backup_coverage": False})  # design
            data = dataclasses.replace(data, params=data.params.model_copy(
                update={"families": fam}))
        self.data = data
        elastic = frozenset(f for f in active_families(data) if FAMILIES[f].elastic)
        problem = build_problem(data, elastic=elastic)
        w = data.params.weights
        costs = data.pairs[["designation_cost", "advisory_cost"]].to_numpy(dtype=float)
        self.penalty = penalty if penalty is not None else 10.0 * max(
            1e4, w.unmet, w.reach_shortfall, float(costs.max(initial=0.0))
            * max(w.designation, w.advisory))
        c = np.asarray(problem.terms.sum(axis=0)).ravel()
        self.is_slack = np.zeros(problem.n_columns, dtype=bool)
        self.slack_family: list[tuple[str, str, slice]] = []
        for s in problem.slacks:
            sl = problem.columns[s.column_block].slice
            c[sl] = self.penalty * LAST_RESORT.get(s.family, 1.0)
            self.is_slack[sl] = True
            self.slack_family.append((s.family, s.row_block, sl))
        self.c_plan = np.asarray(problem.terms.sum(axis=0)).ravel()
        self.offset = float(problem.term_offsets.sum())
        binaries = previous_binaries(data, designations)
        lower, upper = problem.lower.copy(), problem.upper.copy()
        self.cols: dict[str, np.ndarray] = {}
        for name in ("y", "r"):
            block = problem.columns[name]
            idx = np.arange(block.start, block.start + block.size)
            self.cols[name] = idx
            lower[idx] = upper[idx] = binaries[name]
        self.free_upper = problem.upper.copy()  # the model's own bounds (for --allow-new)
        self.problem = dataclasses.replace(problem, c=c, offset=self.offset, lower=lower,
                                           upper=upper, elastic=False, cache={})
        self.binaries = binaries
        pairs = data.pairs
        #: per pair, what running it costs in the plan (designation and rådgivning): a
        #: closure saves it, which is no benefit to citizens, so damage leaves it out
        self.own_cost = (w.designation * pairs["designation_cost"].to_numpy(dtype=float)
                         * binaries["y"] + w.advisory
                         * pairs["advisory_cost"].to_numpy(dtype=float) * binaries["r"])
        self.pair_of_provider = pairs.groupby("provider_id").indices
        prov = data.instance.providers  # for the rows' names, looked up once
        self.names = name_lookups(prov, data.instance.municipalities)
        self.provider_municipality = prov.set_index("provider_id")["municipality_code"]

    # -------------------------------------------------------------- closures
    def closures(self, by_provider: bool = False, only: Iterable[str] | None = None,
                 missing_ok: bool = False) -> list[Closure]:
        """Every designated specialfunktion (or provider with one), optionally only those
        named in ``only`` (``P0042`` or ``P0042/autisme``; a name the plan does not have is
        an error unless ``missing_ok``)."""
        pairs = self.data.pairs
        on = np.flatnonzero(self.binaries["y"] > 0.5)
        if by_provider:
            out = [Closure(p, "", tuple(int(i) for i in sorted(grp)))
                   for p, grp in pd.Series(on).groupby(pairs["provider_id"].to_numpy()[on])]
        else:
            out = [Closure(str(pairs.at[i, "provider_id"]), str(pairs.at[i, "speciale"]),
                           (int(i),)) for i in on]
        if only:
            wanted = set(only)
            unknown = wanted - {c.key for c in out} - {c.provider_id for c in out}
            if unknown and not missing_ok:
                raise ScenarioError(f"--only {sorted(unknown)[0]!r}: no such specialfunktion "
                                    "in the plan (use PROVIDER or PROVIDER/SPECIALE)")
            out = [c for c in out if c.key in wanted or c.provider_id in wanted]
        return sorted(out, key=lambda c: (c.speciale, c.provider_id))

    def fixings(self, closure: Closure, allow_new: bool
                ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """(columns, lower, upper, columns to make integer) of a closure: the closed pairs'
        y and r at 0; with ``allow_new`` the other pairs of the closed specialer free."""
        pairs = np.asarray(closure.pairs, dtype=np.int64)
        cols = [self.cols["y"][pairs], self.cols["r"][pairs]]
        lo = [np.zeros(2 * len(pairs))]
        hi = [np.zeros(2 * len(pairs))]
        free = np.zeros(0, dtype=np.int64)
        if allow_new:
            specs = self.data.pairs["speciale"].to_numpy()
            other = np.flatnonzero(np.isin(specs, specs[pairs]))
            other = other[~np.isin(other, pairs)]
            free = np.concatenate([self.cols["y"][other], self.cols["r"][other]])
            cols.append(free)
            lo.append(np.zeros(len(free)))
            hi.append(self.free_upper[free])
        return np.concatenate(cols), np.concatenate(lo), np.concatenate(hi), free

    # -------------------------------------------------------------- measuring
    def state(self, z: np.ndarray) -> State:
        """Measure a solution (see :class:`State`)."""
        data, problem = self.data, self.problem
        val = problem.split(z)
        arcs, pairs = data.arcs, data.pairs
        x = val["x"] if "x" in val else np.zeros(len(arcs))
        phys = (arcs["mode"] == "physical").to_numpy()
        volume = np.bincount(arcs["pair"].to_numpy(), weights=x, minlength=len(pairs))
        y = np.round(val["y"]) > 0.5
        fam = data.params.families
        full = np.zeros(len(pairs), dtype=bool)
        if fam.capacity:
            load = np.bincount(data.provider_index(pairs["provider_id"]), weights=volume,
                               minlength=len(data.instance.providers))
            if "g" in val and len(data.local):
                load += np.bincount(data.provider_index(data.local["provider_id"]),
                                    weights=val["g"], minlength=len(load))
            cap = data.instance.providers["capacity"].to_numpy()
            at = data.provider_index(pairs["provider_id"])
            full |= load[at] >= cap[at] - 1e-6 * np.maximum(1.0, cap[at])
        if fam.speciale_capacity:
            mc = pairs["max_cases"].to_numpy()
            full |= volume >= mc - 1e-6 * np.maximum(1.0, mc)
        slack: dict[str, tuple[float, int]] = {}
        below, over = 0, 0.0
        for family, _row_block, sl in self.slack_family:
            amount = z[sl]
            hit = amount > TOL
            if hit.any():
                a, n = slack.get(family, (0.0, 0))
                slack[family] = (a + float(amount[hit].sum()), n + int(hit.sum()))
                if family == "min_volume":
                    below += int(hit.sum())
                if family in ("capacity", "speciale_capacity"):
                    over += float(amount[hit].sum())
        short = val["q"] > TOL if "q" in val else np.zeros(0, dtype=bool)
        return State(
            objective=float(self.c_plan @ z + self.offset),
            penalty=float(self.problem.c[self.is_slack] @ z[self.is_slack]),
            unmet=float(val["u"].sum()) if "u" in val else 0.0,
            travel=float((arcs["minutes"].to_numpy() * x)[phys].sum()),
            outreach=float(x[~phys].sum()),
            near_family=float(val["g"].sum()) if "g" in val else 0.0,
            volume=volume, short=short, saturated=full & y, designated=y, slack=slack,
            below_min=below, over_capacity=over)


# ----------------------------------------------------------------------- solving closures
@dataclass
class ClosureSolver:
    """Solves closures of one :class:`ClosureModel` (picklable: a worker builds its own
    session from it). One HiGHS thread per solve."""

    lp: LPArrays
    integer: np.ndarray  # integrality of the model's columns (for --allow-new)
    mip_gap: float
    mip_time_limit: float
    _session: LPSession | None = None

    def session(self) -> LPSession:
        """The LP session (opened on first use, in the process that uses it)."""
        if self._session is None:
            self._session = LPSession(self.lp, threads=1, time_limit=self.mip_time_limit)
        return self._session

    def solve(self, cols: np.ndarray, lower: np.ndarray, upper: np.ndarray,
              free: np.ndarray) -> tuple[str, np.ndarray | None, float]:
        """Status, solution (None without one) and seconds of one closure: the LP; with
        ``free`` columns, the MIP over them, started from the plan's own designations."""
        t0 = time.perf_counter()
        if not len(free):
            result, z = self.session().solve(cols, lower, upper)
            return str(result.status), z, time.perf_counter() - t0
        # the closure with the free columns held at the plan: a feasible integer start (the
        # model is elastic), where the LP relaxation's fractional y would be none
        held = ~np.isin(cols, free)
        result, z = self.session().solve(cols[held], lower[held], upper[held])
        if z is None:
            return str(result.status), None, time.perf_counter() - t0
        from specialeplan.solvers.highs import DirectHighs

        lo, hi = self.lp.lower.copy(), self.lp.upper.copy()
        lo[cols], hi[cols] = lower, upper
        integer = np.zeros(len(lo), dtype=bool)
        integer[free] = self.integer[free]
        mip = LinearProblem(c=self.lp.c, offset=self.lp.offset, A=self.lp.A,
                            row_lower=self.lp.row_lower, row_upper=self.lp.row_upper,
                            lower=lo, upper=hi, integer=integer, columns={}, rows=[],
                            term_names=[], terms=self.lp.A[:0], term_offsets=np.zeros(0))
        options = SolverOptions(name="highs-direct", time_limit=self.mip_time_limit,
                                mip_rel_gap=self.mip_gap, threads=1, parallel=False,
                                warm_start=False)
        res2, z2 = DirectHighs().solve(mip, options, start=z)
        # the MIP's own status, and no values when it has no solution (e.g. interrupted
        # before it started): the held start is no answer to "the best re-plan"
        return str(res2.status), z2, time.perf_counter() - t0


_WORKER: ClosureSolver | None = None


def init_worker(solver: ClosureSolver) -> None:
    """Worker-process initialiser: this process's solver (it opens its own session)."""
    global _WORKER  # noqa: PLW0603 - one solver per worker process
    _WORKER = solver


def work(task: tuple[int, np.ndarray, np.ndarray, np.ndarray, np.ndarray]
         ) -> tuple[int, str, np.ndarray | None, float]:
    """Solve one closure task in a worker process: (index, status, solution, seconds)."""
    i, cols, lo, hi, free = task
    assert _WORKER is not None
    status, z, seconds = _WORKER.solve(cols, lo, hi, free)
    return i, status, z, seconds
