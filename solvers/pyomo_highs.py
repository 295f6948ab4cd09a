"""The Pyomo backend (``highs``): a :class:`LinearProblem` as a Pyomo model, solved with HiGHS
through Pyomo's persistent APPSI interface.

:func:`to_pyomo` gives every column block one ``Var`` and every row block one ``Constraint``
(named as the blocks, e.g. ``m.y``, ``m.min_volume``), and every objective term one
``Expression`` (``m.term_travel``), so a modeller can inspect the model, change it (fix a
variable, add a constraint) and solve it again: :class:`PyomoHighs` solves the cached model
of a problem *as it is*. Rows and columns are in the problem's order, so the model is the
same matrix as the direct backend's (``tests/test_structure.py`` checks this).
"""

from __future__ import annotations

import time

import numpy as np
import pyomo.environ as pyo
from pyomo.contrib.appsi.solvers.highs import Highs as AppsiHighs
from pyomo.core.expr.numeric_expr import LinearExpression

from specialeplan.errors import SolverError
from specialeplan.solvers.base import (
    Deadline,
    SolveHooks,
    SolveResult,
    SolverOptions,
    Status,
    interrupt_requested,
    interruptible,
)
from specialeplan.solvers.highs import (
    HighsBackend,
    cancel_after,
    collect_result,
    ctrl_c_cancels,
    highs_option_dict,
    interrupted_before_start,
    time_limit,
)
from specialeplan.solvers.problem import LinearProblem


def _bound(v: float) -> float | None:
    return float(v) if np.isfinite(v) else None


def to_pyomo(problem: LinearProblem) -> pyo.ConcreteModel:
    """Build the Pyomo model of ``problem`` (see the module docstring)."""
    m = pyo.ConcreteModel(name=problem.name)
    flat: list[pyo.Var] = []
    for block in problem.columns.values():
        sl = block.slice
        lo, hi, integer = problem.lower[sl], problem.upper[sl], problem.integer[sl]
        if integer.all() and (lo >= 0).all() and (hi <= 1).all():
            domain = pyo.Binary
        elif integer.any():
            domain = pyo.Integers
        else:
            domain = pyo.Reals
        var = pyo.Var(range(block.size), domain=domain,
                      bounds=lambda m, i, lo=lo, hi=hi: (_bound(lo[i]), _bound(hi[i])),
                      doc=block.doc)
        m.add_component(block.name, var)
        flat.extend(var[i] for i in range(block.size))
    A = problem.A.tocsr()
    indptr, indices, data = A.indptr, A.indices, A.data

    def expr(i: int) -> LinearExpression:
        s, e = indptr[i], indptr[i + 1]
        return LinearExpression(constant=0.0, linear_coefs=data[s:e].tolist(),
                                linear_vars=[flat[j] for j in indices[s:e]])

    lo, hi = problem.row_lower, problem.row_upper
    for block in problem.rows:
        start = block.start

        def rule(m: pyo.ConcreteModel, i: int, start: int = start) -> object:
            r = start + i
            if lo[r] == hi[r]:
                return expr(r) == float(lo[r])
            return (_bound(lo[r]), expr(r), _bound(hi[r]))

        m.add_component(block.name, pyo.Constraint(range(block.size), rule=rule))
    terms = problem.terms.tocsr()
    total = 0.0
    for t, name in enumerate(problem.term_names):
        s, e = terms.indptr[t], terms.indptr[t + 1]
        e_t = LinearExpression(constant=float(problem.term_offsets[t]),
                               linear_coefs=terms.data[s:e].tolist(),
                               linear_vars=[flat[j] for j in terms.indices[s:e]])
        m.add_component(f"term_{name}", pyo.Expression(expr=e_t))
        total = total + m.component(f"term_{name}")
    nz = np.flatnonzero(problem.c)
    if problem.elastic:  # diagnosis mode: minimise the total slack
        total = LinearExpression(constant=float(problem.offset),
                                 linear_coefs=problem.c[nz].tolist(),
                                 linear_vars=[flat[j] for j in nz])
    m.objective = pyo.Objective(expr=total, sense=pyo.minimize)
    m._columns = flat  # column order of the problem, for value extraction
    return m


def pyomo_model(problem: LinearProblem) -> pyo.ConcreteModel:
    """The Pyomo model of ``problem``, built once and kept with it (change it in place)."""
    if "pyomo" not in problem.cache:
        problem.cache["pyomo"] = to_pyomo(problem)
    return problem.cache["pyomo"]


def column_values(m: pyo.ConcreteModel) -> np.ndarray:
    """The model's variable values in the problem's column order (unset = 0)."""
    return np.array([v.value if v.value is not None else 0.0 for v in m._columns], dtype=float)


class PyomoHighs(HighsBackend):
    """Pyomo → HiGHS through APPSI. Persistent: keep the backend (and the problem) to re-solve a
    changed model without translating it again."""

    name = "highs"

    def __init__(self) -> None:
        self._opt = AppsiHighs()

    def available(self) -> bool:
        """True when APPSI finds highspy."""
        return bool(self._opt.available())


    def solve(
        self, problem: LinearProblem, options: SolverOptions, start: np.ndarray | None = None,
        hooks: SolveHooks | None = None, *, deadline: Deadline | None = None,
    ) -> tuple[SolveResult, np.ndarray | None]:
        """Solve the Pyomo model of ``problem`` (:func:`pyomo_model`) as it stands.

        ``start`` is loaded into the variables and passed as a MIP start. The time limit is
        capped by ``deadline`` after the model is built and handed to HiGHS (both take time
        on large models). ``hooks`` are not supported through APPSI and are ignored (the
        parallel primal heuristic needs ``highs-direct``).
        """
        with interruptible():
            return self._solve(problem, options, start, deadline)

    def _solve(
        self, problem: LinearProblem, options: SolverOptions, start: np.ndarray | None,
        deadline: Deadline | None,
    ) -> tuple[SolveResult, np.ndarray | None]:
        if interrupt_requested():
            return interrupted_before_start(self.name, problem), None
        highs_options = highs_option_dict(options)
        model = pyomo_model(problem)
        if start is not None:
            for var, value in zip(model._columns, start, strict=True):
                if not var.fixed:
                    var.set_value(float(value), skip_validation=True)
        cfg = self._opt.config
        cfg.mip_gap = options.mip_rel_gap
        cfg.stream_solver = options.verbose
        cfg.load_solution = False
        cfg.warmstart = start is not None
        if options.log_file:
            cfg.logfile = options.log_file
        self._opt.highs_options = highs_options
        t0 = time.perf_counter()
        if model is not self._opt._model:
            self._opt.set_instance(model)
        cfg.time_limit = time_limit(options, deadline)  # translating the model took time
        # APPSI calls HiGHS's blocking run(); highspy handles Ctrl-C only in solve() (a
        # worker thread it can cancel), so route run() to solve() on this instance.
        h = self._opt._solver_model
        h.run = h.solve
        try:
            with ctrl_c_cancels(h) as pressed, cancel_after(h, cfg.time_limit) as overran:
                if pressed.is_set():  # came while the model was built: do not start
                    return interrupted_before_start(self.name, problem), None
                res = self._opt.solve(model)
        except (RuntimeError, ValueError) as exc:  # pragma: no cover - solver-internal failure
            raise SolverError(f"HiGHS failed: {exc}") from exc
        result = collect_result(h, self.name, time.perf_counter() - t0,
                                interrupted=pressed.is_set())
        if overran.is_set() and not pressed.is_set():
            result.status = Status.TIME_LIMIT if result.has_solution else Status.NO_SOLUTION
            result.extra["stopped_by"] = "time limit (HiGHS cancelled after overrunning it)"
        result.extra["appsi_termination"] = str(res.termination_condition)
        if not result.has_solution:
            return result, None
        res.solution_loader.load_vars()
        return result, column_values(model)
