"""Guards around a solve: numbers too large for the solver, a solver answer that breaks the
model, specialer without usable arcs, and the travel cutoff named in a diagnosis."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from specialeplan.api import build, solve
from specialeplan.errors import InfeasibleError, ScenarioError
from specialeplan.model.examples import tiny_instance
from specialeplan.model.params import ModelParams
from specialeplan.solvers.base import SolveResult, SolverOptions, Status

LINE = [[5, 30, 60], [30, 5, 30], [60, 30, 5]]
OPTIONS = SolverOptions(name="highs-direct", mip_rel_gap=0.0, time_limit=60)


def line(**params: object):  # noqa: ANN201
    """Three municipalities 30 min apart, a provider in each, 10 borgerforløb each."""
    providers = [{"id": f"P{i}", "at": i} for i in range(3)]
    competence = [{"id": f"P{i}", "speciale": "A", "designation_cost": 400}
                  for i in range(3)]
    inst = tiny_instance(LINE, providers, {(k, "A"): 10 for k in range(3)}, competence)
    return inst, ModelParams.model_validate(params)


def test_magnitude_issues_name_the_block() -> None:
    inst, params = line(weights={"travel": 1e14})
    with pytest.raises(ScenarioError, match="objective term 'travel': cost 6e\\+15"):
        build(inst, params)
    ok = build(*line())
    assert ok.problem.magnitude_issues() == []
    A = ok.problem.A.copy()
    A.data[0] = np.nan
    bad = dataclasses.replace(ok.problem, A=A, row_upper=ok.problem.row_upper * 1e20)
    issues = bad.magnitude_issues()
    assert any("coefficient nan" in i for i in issues)
    assert any("upper bound 1e+26" in i for i in issues)


class WrongAnswer:
    """A backend that claims 'optimal' for an all-zero vector (as HiGHS did for a model with
    coefficients of 1e15)."""

    name = "wrong"

    def version(self) -> str:
        return "0"

    def solve(self, problem, options, start=None, *, deadline=None):  # noqa: ANN001, ANN201
        return SolveResult(status=Status.OPTIMAL, objective=0.0, best_bound=0.0,
                           solver=self.name, solver_version="0",
                           solve_seconds=0.0), np.zeros(problem.n_columns)


def test_a_solver_answer_that_breaks_the_model_is_not_kept() -> None:
    built = build(*line())
    outcome = solve(built, OPTIONS, backend=WrongAnswer())
    assert outcome.solution is None
    assert outcome.result.status == Status.ERROR
    assert "violates the model by 10" in outcome.result.extra["note"]


@pytest.mark.parametrize("params", [
    {"defaults": {"max_travel_minutes": 1}},          # every arc beyond the cutoff
    {"demand_growth": 0},                             # no demand at all
    {"forbidden": [{"provider_id": f"P{i}", "speciale": "A"} for i in range(3)]},
], ids=["cutoff", "no_demand", "all_forbidden"])
@pytest.mark.parametrize("solver", ["highs", "highs-direct"])
def test_a_speciale_without_usable_arcs_is_a_plan(params: dict, solver: str) -> None:
    built = build(*line(**params))
    assert len(built.data.arcs) == 0
    outcome = solve(built, OPTIONS.model_copy(update={"name": solver}))
    assert outcome.result.status == Status.OPTIMAL
    kpis = outcome.solution.kpis
    assert kpis["total_served"] == 0
    assert kpis["total_unmet"] == kpis["total_demand"]


def test_the_diagnosis_names_the_travel_cutoff() -> None:
    """Cutoff 1 min, below every travel time (5 min at home): with unmet demand switched
    off the scenario is infeasible, and the cutoff (a domain restriction, no row) is named."""
    built = build(*line(defaults={"max_travel_minutes": 1}, families={"allow_unmet": False}))
    with pytest.raises(InfeasibleError) as info:
        solve(built, OPTIONS)
    notes = info.value.diagnosis.notes
    assert len(notes) == 1
    assert ("travel_cutoff: 3 municipalities with demand for A (30 borgerforløb) have "
            "competent providers only beyond max_travel_minutes = 1 (nearest 5 min)") in notes[0]
    assert "to at least 5" in notes[0] and notes[0] in str(info.value)


def test_no_cutoff_note_when_the_cutoff_is_not_the_cause() -> None:
    built = build(*line(defaults={"min_count": 4}))  # 4 specialfunktioner, 3 providers
    with pytest.raises(InfeasibleError, match="count_bounds") as info:
        solve(built, OPTIONS)
    assert info.value.diagnosis.notes == []
