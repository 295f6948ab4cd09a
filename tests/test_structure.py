"""Structural agreement of the two backends: the Pyomo model and the matrix are one problem.

Both come from the family registry through :class:`LinearProblem`; here the Pyomo model is
read back with Pyomo's own expression walker (``generate_standard_repn``), independently of
how it was built, and compared with the matrix row by row: the same rows, columns,
nonzeros, bounds, integrality and objective, in the same (documented) order, and the same
LP-relaxation optimum when each backend solves it.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyomo.environ as pyo
import pytest
import scipy.sparse as sp
from pyomo.repn import generate_standard_repn

from specialeplan.api import build, load_dataset
from specialeplan.scenarios.schema import load_scenario
from specialeplan.solvers.base import SolverOptions
from specialeplan.solvers.problem import LinearProblem
from specialeplan.solvers.pyomo_highs import to_pyomo
from specialeplan.solvers.registry import get_backend

SCENARIOS = Path(__file__).resolve().parents[1] / "scenarios"


def _column_of(problem: LinearProblem, var: pyo.Var) -> int:
    """Column of a Pyomo variable by its component name and index (not by build order)."""
    return problem.columns[var.parent_component().name].start + int(var.index())


def read_back(problem: LinearProblem, m: pyo.ConcreteModel) -> dict[str, np.ndarray]:
    """The matrix, bounds, integrality and objective of a Pyomo model, in the problem's
    row and column numbering."""
    rows, cols, vals = [], [], []
    lo, hi = np.full(problem.n_rows, np.nan), np.full(problem.n_rows, np.nan)
    for block in problem.rows:
        con = m.component(block.name)
        assert con is not None, f"row block {block.name} has no Pyomo constraint"
        assert len(con) == block.size, block.name
        for i in range(block.size):
            c = con[i]
            repn = generate_standard_repn(c.body, compute_values=True)
            assert not repn.nonlinear_vars and repn.constant == 0
            r = block.start + i
            rows += [r] * len(repn.linear_vars)
            cols += [_column_of(problem, v) for v in repn.linear_vars]
            vals += list(repn.linear_coefs)
            lo[r] = -np.inf if c.lower is None else pyo.value(c.lower)
            hi[r] = np.inf if c.upper is None else pyo.value(c.upper)
    n = problem.n_columns
    col_lo, col_hi = np.full(n, np.nan), np.full(n, np.nan)
    integer = np.zeros(n, dtype=bool)
    for var in m.component_data_objects(pyo.Var):
        j = _column_of(problem, var)
        col_lo[j] = -np.inf if var.lb is None else var.lb
        col_hi[j] = np.inf if var.ub is None else var.ub
        integer[j] = var.is_integer() or var.is_binary()
    obj = generate_standard_repn(m.objective.expr, compute_values=True)
    c = np.zeros(n)
    for v, coef in zip(obj.linear_vars, obj.linear_coefs, strict=True):
        c[_column_of(problem, v)] += coef
    A = sp.csr_matrix((vals, (rows, cols)), shape=(problem.n_rows, n))
    A.sum_duplicates()
    return {"A": A, "row_lower": lo, "row_upper": hi, "lower": col_lo, "upper": col_hi,
            "integer": integer, "c": c, "offset": float(obj.constant)}


CASES = [(s, r, v) for s in ("small", "base") for r in ("compact", "strong")
         for v in ("aggregate", "per_arc")]


@pytest.mark.parametrize(("scenario", "reach", "volume"), CASES)
def test_pyomo_model_is_the_matrix(scenario: str, reach: str, volume: str) -> None:
    sc = load_scenario(SCENARIOS / f"{scenario}.yaml", [
        f"model.reach_formulation={reach}", f"model.volume_formulation={volume}"]).scenario
    problem = build(load_dataset("denmark"), sc.model).problem
    m = to_pyomo(problem)
    got = read_back(problem, m)
    assert got["A"].shape == problem.A.shape
    assert got["A"].nnz == problem.A.nnz
    assert (got["A"] != problem.A).nnz == 0
    for key in ("row_lower", "row_upper", "lower", "upper"):
        np.testing.assert_array_equal(got[key], getattr(problem, key), err_msg=key)
    np.testing.assert_array_equal(got["integer"], problem.integer)
    np.testing.assert_allclose(got["c"], problem.c, rtol=0, atol=1e-12)
    assert got["offset"] == pytest.approx(problem.offset)
    # every row block and column block is a named Pyomo component, in the problem's order
    assert [c.name for c in m.component_objects(pyo.Constraint)] == [
        b.name for b in problem.rows]
    assert [v.name for v in m.component_objects(pyo.Var)] == list(problem.columns)


@pytest.mark.parametrize(("scenario", "reach", "volume"), CASES)
def test_both_backends_give_the_same_lp_relaxation(scenario: str, reach: str,
                                                   volume: str) -> None:
    sc = load_scenario(SCENARIOS / f"{scenario}.yaml", [
        f"model.reach_formulation={reach}", f"model.volume_formulation={volume}"]).scenario
    lp = build(load_dataset("denmark"), sc.model).problem.relaxed()
    options = SolverOptions(time_limit=300, mip_rel_gap=0.0, warm_start=False)
    objectives = {}
    for name in ("highs-direct", "highs"):
        result, z = get_backend(name).solve(lp, options.model_copy(update={"name": name}))
        assert result.status == "optimal", name
        assert lp.violation(z) < 1e-6, name
        objectives[name] = result.objective
    assert objectives["highs"] == pytest.approx(objectives["highs-direct"], rel=1e-9)
