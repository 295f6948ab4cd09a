"""Re-solves that reuse an earlier result (model/resolve.py, api.resolve)."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from specialeplan.api import build, load_dataset, resolve, solve
from specialeplan.model.examples import tiny_instance
from specialeplan.model.params import Designation, ModelParams
from specialeplan.model.resolve import affected_specialer, bound_carries_over, loosening
from specialeplan.scenarios.schema import load_scenario
from specialeplan.solvers.base import SolverOptions

SCENARIOS = Path(__file__).resolve().parents[1] / "scenarios"
SPEC = ["A", "B"]
BASE = ModelParams(defaults={"min_cases": 5, "max_travel_minutes": 100, "min_count": 1},
                   weights={"travel": 1.0})  # as resolved: a number (api passes priced ones)


def _with(**update: object) -> ModelParams:
    return BASE.model_validate({**BASE.model_dump(), **update})


@pytest.mark.parametrize(("new", "carries"), [
    (_with(forbidden=[{"provider_id": "P0", "speciale": "A"}]), True),
    (_with(fixed=[{"provider_id": "P0", "speciale": "A"}]), True),
    (_with(defaults={"min_cases": 8, "max_travel_minutes": 100, "min_count": 1}), True),
    (_with(defaults={"min_cases": 5, "max_travel_minutes": 60, "min_count": 2}), True),
    (_with(weights={"travel": 2.0}), True),
    (_with(max_changes=3), True),
    (_with(defaults={"min_cases": 4, "max_travel_minutes": 100, "min_count": 1}), False),
    (_with(defaults={"min_cases": 5, "max_travel_minutes": None, "min_count": 1}), False),
    (_with(weights={"travel": 0.5}), False),
    (_with(demand_growth=1.1), False),
    (_with(per_speciale={"B": {"demand_growth": 1.2}}), False),
    (_with(families={"min_volume": False}), False),
    (_with(families={"allow_unmet": False}), True),
    (_with(region_bounds=[{"speciale": "A", "region": "R", "min_count": 1}]), False),
    (_with(volume_formulation="per_arc"), True),
])
def test_bound_carries_over_only_for_restrictions(new: ModelParams, carries: bool) -> None:
    assert bound_carries_over(BASE, new, SPEC) is carries


def test_affected_specialer() -> None:
    assert affected_specialer(BASE, _with(forbidden=[{"provider_id": "P0", "speciale": "B"}]),
                              SPEC) == {"B"}
    assert affected_specialer(BASE, _with(per_speciale={"A": {"min_cases": 9}}), SPEC) == {"A"}
    assert affected_specialer(BASE, _with(weights={"travel": 2.0}), SPEC) == {"A", "B"}


LINE = [[5, 30, 60], [30, 5, 30], [60, 30, 5]]
PROVIDERS = [{"id": "P0", "at": 0}, {"id": "P1", "at": 1}, {"id": "P2", "at": 2}]


@pytest.mark.parametrize("backend", ["highs", "highs-direct"])
def test_resolve_after_forbidding_reuses_bound(backend: str) -> None:
    """Designation 400: {P1} is optimal (1050). Forbidding P1 is a restriction: the repaired
    start (P1 dropped, borgerforløb reassigned by the LP) is infeasible for min_count 1... so
    the repair frees speciale A; the re-solve finds {P0,P2} (1200), the old bound 1050 is
    reused (it is below 1200, so HiGHS still proves the new optimum)."""
    comp = [{"id": p["id"], "speciale": "A", "designation_cost": 400} for p in PROVIDERS]
    inst = tiny_instance(LINE, PROVIDERS, {(0, "A"): 10, (1, "A"): 10, (2, "A"): 10}, comp)
    options = SolverOptions(name=backend, mip_rel_gap=0.0)
    first = solve(build(inst, ModelParams(defaults={"min_count": 1})), options)
    assert first.result.objective == pytest.approx(1050)
    new = ModelParams(defaults={"min_count": 1},
                      forbidden=[Designation(provider_id="P1", speciale="A")])
    again = resolve(first, new, options)
    assert again.result.objective == pytest.approx(1200)
    assert again.result.status == "optimal"
    assert again.result.extra["bound_reused"] is True
    assert "mip over A" in again.result.extra["repair"]
    assert set(again.solution.designations["provider_id"]) == {"P0", "P2"}


def test_resolve_national_change_matches_a_cold_solve() -> None:
    """small.yaml: forbid the busiest specialfunktion. The re-solve starts from the repaired
    plan and keeps the old bound; its result is feasible, within the gap of a cold solve of
    the changed scenario, and never below the reused bound."""
    sc = load_scenario(SCENARIOS / "small.yaml", ["solver.name=highs-direct",
                                                  "solver.time_limit=60"]).scenario
    instance = load_dataset("denmark")
    first = solve(build(instance, sc.model), sc.solver)
    des = first.solution.designations.sort_values("cases", ascending=False).iloc[0]
    params = sc.model.model_copy(update={"forbidden": [
        *sc.model.forbidden, Designation(provider_id=des.provider_id, function=des.function)]})
    again = resolve(first, params, sc.solver)
    cold = solve(build(instance, params), sc.solver)
    res = again.result
    assert res.extra["bound_reused"] is True
    assert res.best_bound >= first.result.best_bound - 1e-6
    assert res.objective >= res.best_bound - 1e-6
    # within the two runs' proven gaps (the re-solve may stop at its time limit)
    slack = (res.objective - res.best_bound) + (cold.result.objective - cold.result.best_bound)
    assert abs(res.objective - cold.result.objective) <= slack + 1e-6
    designated = set(zip(again.solution.designations["provider_id"],
                         again.solution.designations["function"], strict=True))
    assert (des.provider_id, des.function) not in designated
    assert np.isfinite(res.objective)


# ------------------------------------------------------------ what counts as a restriction
# The classification lives in the family registry (``on=`` and ``reads=`` of each family).
# Each case is solved on both sides: a change classified as a restriction must never lower the
# optimum, and the listed loosenings are real (the optimum falls) — each was once reported
# as a restriction, so a re-solve reused a bound above the new optimum.
FAR = [[5, 30, 200], [30, 5, 200], [200, 200, 5]]  # m2 is far from everything
# L2 can help near the family: competent in B, a related need (A and B: speciale S)
NEAR_FAMILY = tiny_instance(FAR, [{"id": "P0", "at": 0, "kind": "both"}, {"id": "L2", "at": 2}],
                            {(0, "A"): 10, (1, "A"): 10, (2, "A"): 10},
                            [{"id": "P0", "speciale": "A", "designation_cost": 100},
                             {"id": "L2", "function": "B", "designation_cost": 10_000,
                              "advisory_cost": 10_000}],
                            specialer=("S",), functions=[{"id": "A", "specialer": ["S"]},
                                                         {"id": "B", "specialer": ["S"]}])
KEPT = tiny_instance(LINE, [{"id": "P0", "at": 0}, {"id": "P1", "at": 1, "owner": "regional"},
                            {"id": "P2", "at": 2}],
                     {(0, "A"): 10, (1, "A"): 10, (2, "A"): 10},
                     [{"id": "P0", "speciale": "A", "designation_cost": 100},
                      {"id": "P1", "speciale": "A", "designation_cost": 5000,
                       "designated_today": True, "max_cases": 8},
                      {"id": "P2", "speciale": "A", "designation_cost": 100}])
#: NEAR_FAMILY whose dataset says ρ_A = 0.8 (delivery_need.csv): P0's outreach team is
#: cheaper than its place for m0 and m1, so a smaller ρ lowers the optimum
NEED = dataclasses.replace(NEAR_FAMILY, delivery_need=pd.DataFrame(
    {"function": ["A", "B"], "residential_share": [0.8, 0.8]}))
CUT = {"reach_minutes": 300, "max_travel_minutes": 60}
KEEP = {"keep_today": ["regional"]}
P1 = [{"provider_id": "P1", "speciale": "A"}]

LOOSENINGS = {  # name: (instance, old, new, what loosens)
    "outreach switched on": (NEAR_FAMILY, {"families": {"outreach": False}}, {},
                             "families.outreach"),
    "near_family switched on": (NEAR_FAMILY, {"families": {"near_family": False},
                                              "defaults": CUT}, {"defaults": CUT},
                                "families.near_family"),
    "reach radius set (coaching)": (NEAR_FAMILY, {"defaults": {"max_travel_minutes": 60}},
                                    {"defaults": CUT}, "reach_minutes"),
    "larger outreach radius": (NEAR_FAMILY, {"defaults": {"outreach_minutes": 20}},
                               {"defaults": {"outreach_minutes": 90}}, "outreach_minutes"),
    "larger near-family share": (NEAR_FAMILY, {"defaults": {**CUT, "near_family_share": 0.1}},
                                 {"defaults": {**CUT, "near_family_share": 0.5}},
                                 "near_family_share"),
    # unset means the dataset's ρ, which a comparison of two scenarios cannot see: 0.8 → 0.3
    "residential_share set below the dataset's": (NEED, {}, {"defaults": {
        "residential_share": 0.3}}, "residential_share"),
    "forbidding a kept designation": (KEPT, KEEP, {**KEEP, "forbidden": P1}, "forbidden"),
    "min_cases above a kept one's places": (KEPT, {**KEEP, "defaults": {"min_cases": 5}},
                                            {**KEEP, "defaults": {"min_cases": 9}},
                                            "min_cases"),
    "min_volume on with keep_today": (KEPT, {**KEEP, "defaults": {"min_cases": 9},
                                             "families": {"min_volume": False}},
                                      {**KEEP, "defaults": {"min_cases": 9}},
                                      "families.min_volume"),
}
RESTRICTIONS = {  # name: (instance, old, new)
    "near_family switched off": (NEAR_FAMILY, {"defaults": CUT},
                                 {"families": {"near_family": False}, "defaults": CUT}),
    "smaller outreach radius": (NEAR_FAMILY, {"defaults": {"outreach_minutes": 90}},
                                {"defaults": {"outreach_minutes": 20}}),
    "smaller near-family share": (NEAR_FAMILY, {"defaults": {**CUT, "near_family_share": 0.5}},
                                  {"defaults": {**CUT, "near_family_share": 0.1}}),
    "smaller reach radius": (NEAR_FAMILY, {"defaults": CUT},
                             {"defaults": {**CUT, "reach_minutes": 100}}),
    "reach radius set, near_family off": (
        NEAR_FAMILY, {"defaults": {"max_travel_minutes": 60}, "families": {"near_family": False}},
        {"defaults": CUT, "families": {"near_family": False}}),
    "delivery_need switched on": (NEED, {"families": {"delivery_need": False}}, {}),
    "forbidding without keep_today": (KEPT, {}, {"forbidden": P1}),
    "keeping today's regional designations": (KEPT, {}, KEEP),
    "higher min_cases without keep_today": (KEPT, {"defaults": {"min_cases": 5}},
                                            {"defaults": {"min_cases": 9}}),
    "keep_advisory_today": (KEPT, {}, {"keep_advisory_today": True}),
}


def _optimum(instance, params: ModelParams) -> float:  # noqa: ANN001
    return solve(build(instance, params),
                 SolverOptions(name="highs-direct", mip_rel_gap=0.0)).result.objective


@pytest.mark.parametrize("case", LOOSENINGS)
def test_loosenings_do_not_carry_the_bound(case: str) -> None:
    instance, old, new, what = LOOSENINGS[case]
    a, b = ModelParams(**old), ModelParams(**new)
    assert not bound_carries_over(a, b, ["A"])
    assert any(reason.startswith(what) for reason in loosening(a, b, ["A"])), \
        loosening(a, b, ["A"])
    assert _optimum(instance, b) < _optimum(instance, a) - 1.0  # a real loosening


@pytest.mark.parametrize("case", RESTRICTIONS)
def test_restrictions_carry_the_bound(case: str) -> None:
    instance, old, new = RESTRICTIONS[case]
    a, b = ModelParams(**old), ModelParams(**new)
    assert bound_carries_over(a, b, ["A"]), loosening(a, b, ["A"])
    assert _optimum(instance, b) >= _optimum(instance, a) - 1e-6
