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
from specialeplan.solvers.base import SolveResult, SolverOptions
from specialeplan.solvers.problem import LinearProblem
from specialeplan.solvers.session import LPArrays, LPSession

TOL = 1e-6
#: slack on these rules costs this many times the penalty (they give way last)
LAST_RESORT = {"demand_balance": 2.0, "reach": 2.0}


# ----------------------------------------------------------------------- the closure model
@dataclass(frozen=True)
class AdvisoryChoice:
    """Candidates to take over a closed rådgivning duty in one speciale: their r columns,
    and per candidate the q columns (need rows) it would reach."""

    r_cols: np.ndarray
    reaches: tuple[np.ndarray, ...]


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
    advisory: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=bool))  # r/pair
    pair_minutes: np.ndarray = field(  # family travel per pair, borgerforløb × minutes
        default_factory=lambda: np.zeros(0))
    unmet_rows: np.ndarray = field(default_factory=lambda: np.zeros(0))  # u per data.dem row
    near_family_rows: np.ndarray = field(  # help near the family per data.dem row
        default_factory=lambda: np.zeros(0))


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
            out = [Closure(str(pairs.at[i, "provider_id"]), str(pairs.at[i, "function"]),
                           (int(i),)) for i in on]
        if only:
            wanted = set(only)
            unknown = wanted - {c.key for c in out} - {c.provider_id for c in out}
            if unknown and not missing_ok:
                raise ScenarioError(f"--only {sorted(unknown)[0]!r}: no such specialfunktion "
                                    "in the plan (use PROVIDER or PROVIDER/SPECIALE)")
            out = [c for c in out if c.key in wanted or c.provider_id in wanted]
        return sorted(out, key=lambda c: (c.speciale, c.provider_id))

    def advisory_choices(self, closure: Closure, allow_new: bool = False
                         ) -> list[AdvisoryChoice]:
        """Where a closed rådgivningsfunktion's duty may pass (a re-tender): per speciale in
        which the closure ends a duty, the speciale's other specialfunktioner that have none
        and may have one, each with the need rows (municipalities) it would reach. One of
        each group (or none) takes the duty; empty with ``allow_new`` (that re-plan frees
        them anyway) or without the reach family."""
        if allow_new or "q" not in self.problem.columns:
            return []
        pairs, reach = self.data.pairs, self.data.reach
        specs = pairs["function"].to_numpy()
        closed = np.asarray(closure.pairs, dtype=np.int64)
        y, r = self.binaries["y"] > 0.5, self.binaries["r"] > 0.5
        q0 = self.problem.columns["q"].start
        need_of = reach.groupby("pair")["need"].unique()
        out = []
        # the duty is per speciale: any specialfunktion of a speciale of the closed one
        inst = self.data.instance
        of = inst.specialer_of()
        ended = dict.fromkeys(sp for f in specs[closed[r[closed]]] for sp in of.get(f, [f]))
        for sp in ended:
            cand = np.flatnonzero(np.isin(specs, inst.functions_of([sp])) & y & ~r)
            cand = cand[~np.isin(cand, closed)]
            cand = cand[self.free_upper[self.cols["r"][cand]] >= 1.0 - TOL]
            cand = cand[np.isin(cand, need_of.index)]
            if len(cand):
                out.append(AdvisoryChoice(
                    self.cols["r"][cand],
                    tuple(q0 + np.asarray(need_of[i], dtype=np.int64) for i in cand)))
        return out

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
            specs = self.data.pairs["function"].to_numpy()
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
        minutes = np.where(phys, arcs["minutes"].to_numpy() * x, 0.0)
        pair_minutes = np.bincount(arcs["pair"].to_numpy(), weights=minutes,
                                   minlength=len(pairs))
        n_dem = len(data.dem)
        near = (np.bincount(data.local["dem"].to_numpy(dtype=np.int64), weights=val["g"],
                            minlength=n_dem) if "g" in val and len(data.local)
                else np.zeros(n_dem))
        return State(
            objective=float(self.c_plan @ z + self.offset),
            penalty=float(self.problem.c[self.is_slack] @ z[self.is_slack]),
            unmet=float(val["u"].sum()) if "u" in val else 0.0,
            travel=float((arcs["minutes"].to_numpy() * x)[phys].sum()),
            outreach=float(x[~phys].sum()),
            near_family=float(val["g"].sum()) if "g" in val else 0.0,
            volume=volume, short=short, saturated=full & y, designated=y, slack=slack,
            below_min=below, over_capacity=over,
            advisory=np.round(val["r"]) > 0.5 if "r" in val else np.zeros(len(pairs), bool),
            pair_minutes=pair_minutes,
            unmet_rows=np.asarray(val["u"], dtype=float) if "u" in val else np.zeros(n_dem),
            near_family_rows=near)


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
    #: q columns (need rows) short in the baseline: no closure's doing
    base_short: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))

    def session(self) -> LPSession:
        """The LP session (opened on first use, in the process that uses it)."""
        if self._session is None:
            self._session = LPSession(self.lp, threads=1, time_limit=self.mip_time_limit)
        return self._session

    def solve(self, cols: np.ndarray, lower: np.ndarray, upper: np.ndarray,
              free: np.ndarray, choices: Iterable[AdvisoryChoice] = ()
              ) -> tuple[str, np.ndarray | None, float]:
        """Status, solution (None without one) and seconds of one closure: the LP; with
        ``free`` columns, the MIP over them, started from the plan's own designations; with
        ``choices`` (:meth:`ClosureModel.advisory_choices`), the best of letting one
        candidate of each group (or none) take over the closed rådgivning duty."""
        t0 = time.perf_counter()
        if not len(free):
            result, z = self.session().solve(cols, lower, upper)
            for group in choices:
                cols, lower, upper, result, z = self._choose(cols, lower, upper, result, z,
                                                             group)
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


    def _choose(self, cols: np.ndarray, lower: np.ndarray, upper: np.ndarray,
                result: SolveResult, z: np.ndarray | None, group: AdvisoryChoice
                ) -> tuple[np.ndarray, np.ndarray, np.ndarray, SolveResult, np.ndarray | None]:
        """The closure's bounds (and solution) with the best candidate of ``group`` taking
        the duty, or none: ``result``/``z`` are those of the bounds as they are.

        Only a candidate that reaches a municipality the closure leaves without rådgivning
        (short now, not in the baseline) can help. With the binaries fixed each option is
        an LP. The LP with the duties of the candidates not tried yet in [0, 1] bounds each
        of them from below; the one with the largest duty there is tried next, until the
        best option found reaches that bound. So the choice is exact; of options equal
        within 1e-7 (relative) none wins, then the first candidate in the plan's order of
        pairs (the same choice whatever basis the LPs start from)."""
        if z is None:
            return cols, lower, upper, result, z
        lost = np.unique(np.concatenate(group.reaches))
        lost = lost[(z[lost] > TOL) & ~np.isin(lost, self.base_short)]
        rest = np.array([col for col, reach in zip(group.r_cols, group.reaches, strict=True)
                         if np.isin(reach, lost).any()], dtype=np.int64)
        best = (cols, lower, upper, result, z)
        best_value, best_col = float(self.lp.c @ z), None

        def tol(v: float) -> float:
            return 1e-7 * max(1.0, abs(v))

        def attempt(col: int) -> None:
            nonlocal best, best_value, best_col
            option = (np.append(cols, col), np.append(lower, 1.0), np.append(upper, 1.0))
            res, zz = self.session().solve(*option)
            if zz is None:
                return
            value = float(self.lp.c @ zz)
            if value < best_value - tol(best_value) or (
                    value <= best_value + tol(best_value) and best_col is not None
                    and col < best_col):
                best, best_value, best_col = (*option, res, zz), value, col

        def relaxed(some: np.ndarray) -> tuple[float, np.ndarray | None]:
            """The bound on the candidates ``some``: their duties in [0, 1]."""
            _, zr = self.session().solve(np.append(cols, some),
                                         np.append(lower, np.zeros(len(some))),
                                         np.append(upper, np.ones(len(some))))
            return (float(self.lp.c @ zr), zr) if zr is not None else (-np.inf, None)

        while len(rest):
            bound, zr = relaxed(rest)
            if best_value <= bound + 10 * tol(bound):
                break  # none of the others does better
            top = int(np.argmax(zr[rest])) if zr is not None else 0
            col, rest = int(rest[top]), np.delete(rest, top)
            attempt(col)
        # one earlier in the order may tie with the best candidate
        rest = np.sort(rest[rest < best_col]) if best_col is not None else rest[:0]
        while len(rest) and relaxed(rest)[0] <= best_value + tol(best_value):
            col, rest = int(rest[0]), rest[1:]
            attempt(col)
            if best_col == col:
                break
        return best


_WORKER: ClosureSolver | None = None


def init_worker(solver: ClosureSolver) -> None:
    """Worker-process initialiser: this process's solver (it opens its own session)."""
    global _WORKER  # noqa: PLW0603 - one solver per worker process
    _WORKER = solver


def work(task: tuple[int, np.ndarray, np.ndarray, np.ndarray, np.ndarray, list[np.ndarray]]
         ) -> tuple[int, str, np.ndarray | None, float]:
    """Solve one closure task in a worker process: (index, status, solution, seconds)."""
    i, cols, lo, hi, free, choices = task
    assert _WORKER is not None
    status, z, seconds = _WORKER.solve(cols, lo, hi, free, choices)
    return i, status, z, seconds
