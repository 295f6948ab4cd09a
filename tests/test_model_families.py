"""One hand-solvable instance per constraint family, optimum derived in each docstring.

Unless a test says otherwise: three municipalities m0, m1, m2 on a line, travel 30 min
between neighbours, 60 min end to end, 5 min inside a municipality; providers P0, P1, P2 in
m0, m1, m2; one speciale A; demand 10 borgerforløb in each municipality. Every test runs over
every solver backend.
"""

from __future__ import annotations

import pytest

from specialeplan.api import build, solve
from specialeplan.errors import InfeasibleError, ScenarioError
from specialeplan.model.examples import tiny_instance
from specialeplan.model.params import ModelParams
from specialeplan.solvers.base import SolverOptions
from specialeplan.solvers.registry import available_backends

LINE = [[5, 30, 60], [30, 5, 30], [60, 30, 5]]
PROVIDERS = [{"id": "P0", "at": 0}, {"id": "P1", "at": 1}, {"id": "P2", "at": 2}]
EVEN = {(0, "A"): 10, (1, "A"): 10, (2, "A"): 10}
BACKENDS = available_backends()


def comp(cost: float = 0.0, **extra: object) -> list[dict]:
    return [{"id": p["id"], "speciale": "A", "designation_cost": cost, **extra}
            for p in PROVIDERS]


def solve_tiny(inst, backend: str, **params):  # noqa: ANN001, ANN201
    """``backend`` is ``name`` or ``name:volume_formulation``."""
    name, _, formulation = backend.partition(":")
    if formulation:
        params.setdefault("volume_formulation", formulation)
    outcome = solve(build(inst, ModelParams(**params)),
                    SolverOptions(name=name, mip_rel_gap=0.0))
    sol = outcome.solution
    assert sol is not None
    # the objective the solver reports equals the sum of the independently evaluated terms
    assert outcome.result.objective == pytest.approx(sol.kpis["objective_recomputed"], abs=1e-6)
    return outcome.result.objective, set(sol.designations["provider_id"]), sol


@pytest.fixture(params=[f"{b}:{f}" for b in BACKENDS for f in ("aggregate", "per_arc")])
def backend(request: pytest.FixtureRequest) -> str:
    """Every solver backend × both volume formulations (the same model, two row forms)."""
    return request.param


def test_designation_cost_vs_travel(backend: str) -> None:
    """Designation cost 400 each. {P1}: 400 + 10·30 + 10·5 + 10·30 = 1050;
    {P0,P2}: 800 + 50 + 300 + 50 = 1200; all three: 1200 + 150 = 1350 → {P1}, 1050."""
    inst = tiny_instance(LINE, PROVIDERS, EVEN, comp(400))
    obj, des, _ = solve_tiny(inst, backend)
    assert obj == pytest.approx(1050)
    assert des == {"P1"}


def test_travel_cutoff_and_unmet_demand(backend: str) -> None:
    """Only P0 is competent, cutoff 40 min, unmet costs 1000/borgerforløb: m2 (60 min) cannot
    be served → travel 10·5 + 10·30 = 350, unmet 10·1000 → 10350. Without the cutoff m2 is
    served at 60 min: 350 + 600 = 950."""
    inst = tiny_instance(LINE, PROVIDERS, EVEN, comp()[:1])
    obj, _, sol = solve_tiny(inst, backend, defaults={"max_travel_minutes": 40},
                             weights={"unmet": 1000})
    assert obj == pytest.approx(10350)
    cov = sol.coverage.set_index("municipality_code")
    assert cov.at["m2", "unmet"] == pytest.approx(10)
    obj, _, _ = solve_tiny(inst, backend, defaults={"max_travel_minutes": 40},
                           weights={"unmet": 1000}, families={"travel_cutoff": False})
    assert obj == pytest.approx(950)


def test_min_volume(backend: str) -> None:
    """Demand m0 = 10, m1 = 4, m2 = 10, no designation cost, m = 9. P1 would need 5 more
    borgerforløb but P0 and P2 must keep ≥ 9 of their 10 → P1 stays closed: m1 travels 30 →
    50 + 120 + 50 = 220. Without the minimum all three open: 50 + 20 + 50 = 120."""
    inst = tiny_instance(LINE, PROVIDERS, {(0, "A"): 10, (1, "A"): 4, (2, "A"): 10}, comp())
    obj, des, sol = solve_tiny(inst, backend, defaults={"min_cases": 9})
    assert obj == pytest.approx(220)
    assert des == {"P0", "P2"}
    assert (sol.designations["cases"] >= 9 - 1e-6).all()
    obj, _, _ = solve_tiny(inst, backend, defaults={"min_cases": 9},
                           families={"min_volume": False})
    assert obj == pytest.approx(120)


def test_shared_capacity_across_specialer(backend: str) -> None:
    """Specialer A and B, demand 10 each in m0; P0 (m0) holds both but has capacity 15, P2
    (m2, 60 min) is unlimited: 15·5 + 5·60 = 375 (instead of 20·5 = 100 uncapacitated)."""
    providers = [{"id": "P0", "at": 0, "capacity": 15}, {"id": "P2", "at": 2}]
    competence = [{"id": p, "speciale": s} for p in ("P0", "P2") for s in ("A", "B")]
    inst = tiny_instance(LINE, providers, {(0, "A"): 10, (0, "B"): 10}, competence,
                         specialer=("A", "B"))
    obj, _, _ = solve_tiny(inst, backend)
    assert obj == pytest.approx(375)
    obj, _, _ = solve_tiny(inst, backend, families={"capacity": False})
    assert obj == pytest.approx(100)


def test_speciale_capacity(backend: str) -> None:
    """Demand 10 in m0; P0 may take 6 borgerforløb of A, P2 (60 min) the rest:
    6·5 + 4·60 = 270."""
    providers = [{"id": "P0", "at": 0}, {"id": "P2", "at": 2}]
    competence = [{"id": "P0", "speciale": "A", "max_cases": 6}, {"id": "P2", "speciale": "A"}]
    inst = tiny_instance(LINE, providers, {(0, "A"): 10}, competence)
    obj, _, _ = solve_tiny(inst, backend)
    assert obj == pytest.approx(270)


@pytest.mark.parametrize("formulation", ["compact", "strong"])
def test_reach_and_advisory_capacity(backend: str, formulation: str) -> None:
    """Only m1 has demand (10); P0 and P2 are competent, designation 10, rådgivning 100 each.
    Reach 40 min: m0 needs P0, m2 needs P2 → both advisory: 20 + 200 + 10·30 = 520.
    Reach 70 min: one rådgivningsfunktion reaches all: 10 + 100 + 300 = 410.
    Advisory load counts borgerforløb, not municipalities: with capacity 6 each, the 10
    borgerforløb of m1 need both rådgivningsfunktioner (6 + 4) → 520, although 6 would cover
    all three municipalities by count; with capacity 10, one is enough again → 410."""
    providers = [{"id": "P0", "at": 0}, {"id": "P2", "at": 2}]
    competence = [{"id": p, "speciale": "A", "designation_cost": 10, "advisory_cost": 100}
                  for p in ("P0", "P2")]
    inst = tiny_instance(LINE, providers, {(1, "A"): 10}, competence)
    obj, des, sol = solve_tiny(inst, backend, defaults={"reach_minutes": 40},
                               reach_formulation=formulation)
    assert obj == pytest.approx(520)
    assert set(sol.designations.loc[sol.designations["is_advisory"], "provider_id"]) == des
    assert set(sol.reach["municipality_code"]) == {"m0", "m1", "m2"}
    obj, _, _ = solve_tiny(inst, backend, defaults={"reach_minutes": 70},
                           reach_formulation=formulation)
    assert obj == pytest.approx(410)
    for acap, expected in ((6, 520), (10, 410)):
        small = [{"id": "P0", "at": 0, "advisory_capacity": acap},
                 {"id": "P2", "at": 2, "advisory_capacity": acap}]
        inst2 = tiny_instance(LINE, small, {(1, "A"): 10}, competence)
        obj, _, sol = solve_tiny(inst2, backend, defaults={"reach_minutes": 70},
                                 reach_formulation=formulation)
        assert obj == pytest.approx(expected)
        assert (sol.designations["advisory_load"] <= acap + 1e-6).all()
        assert sol.designations["advisory_load"].sum() == pytest.approx(10)


def test_reach_shortfall_is_penalised(backend: str) -> None:
    """Reach 1 minute: nobody is in reach, every municipality is short: 3 · 50000 = 150000
    on top of the designation optimum 1050 of the cost-400 case → 151050."""
    inst = tiny_instance(LINE, PROVIDERS, EVEN, comp(400))
    obj, _, sol = solve_tiny(inst, backend, defaults={"reach_minutes": 1})
    assert obj == pytest.approx(151050)
    assert sol.kpis["reach_shortfalls"] == pytest.approx(3)


def test_count_bounds(backend: str) -> None:
    """No designation cost: at most 1 specialfunktion → the middle one, 300 + 50 + 300 = 650.
    Designation 400 but at least 3 → all open: 1200 + 150 = 1350 (free optimum is 1050)."""
    inst = tiny_instance(LINE, PROVIDERS, EVEN, comp())
    obj, des, _ = solve_tiny(inst, backend, defaults={"max_count": 1})
    assert (obj, des) == (pytest.approx(650), {"P1"})
    inst = tiny_instance(LINE, PROVIDERS, EVEN, comp(400))
    obj, des, _ = solve_tiny(inst, backend, defaults={"min_count": 3})
    assert obj == pytest.approx(1350)


def test_region_bounds(backend: str) -> None:
    """m0, m1 in region R1, m2 in R2; designation 400. At least one in R2 → {P1,P2} or
    {P0,P2}: 800 + 300 + 50 + 50 = 1200 ({P2} alone costs 400 + 600 + 300 + 50 = 1350)."""
    inst = tiny_instance(LINE, PROVIDERS, EVEN, comp(400), regions=["R1", "R1", "R2"])
    obj, des, _ = solve_tiny(inst, backend,
                             region_bounds=[{"speciale": "A", "region": "R2", "min_count": 1}])
    assert obj == pytest.approx(1200)
    assert "P2" in des


def test_max_specialer_per_provider(backend: str) -> None:
    """A and B demand 10 each in m0; P0 (m0) and P2 (m2) competent in both. With one
    speciale per provider one of them travels 60: 50 + 600 = 650 (else 100)."""
    providers = [{"id": "P0", "at": 0}, {"id": "P2", "at": 2}]
    competence = [{"id": p, "speciale": s} for p in ("P0", "P2") for s in ("A", "B")]
    inst = tiny_instance(LINE, providers, {(0, "A"): 10, (0, "B"): 10}, competence,
                         specialer=("A", "B"))
    obj, _, sol = solve_tiny(inst, backend, max_specialer_per_provider=1)
    assert obj == pytest.approx(650)
    assert sol.designations.groupby("provider_id").size().max() == 1


def test_fixed_forbidden_and_keep_today(backend: str) -> None:
    """Designation 400 (free optimum {P1}, 1050). Forbid P1 → {P0,P2}: 1200.
    Fix P0 → {P0,P1} or {P0,P2}: 1200. Keep today's regional P0 → same 1200."""
    inst = tiny_instance(LINE, PROVIDERS, EVEN, comp(400))
    obj, des, _ = solve_tiny(inst, backend, forbidden=[{"provider_id": "P1", "speciale": "A"}])
    assert (obj, des) == (pytest.approx(1200), {"P0", "P2"})
    obj, des, _ = solve_tiny(inst, backend, fixed=[{"provider_id": "P0", "speciale": "A"}])
    assert obj == pytest.approx(1200) and "P0" in des
    providers = [{**PROVIDERS[0], "owner": "regional"}, *PROVIDERS[1:]]
    competence = [{**c, "designated_today": c["id"] == "P0"} for c in comp(400)]
    inst = tiny_instance(LINE, providers, EVEN, competence)
    obj, des, _ = solve_tiny(inst, backend, keep_today=["regional"])
    assert obj == pytest.approx(1200) and "P0" in des


def test_change_penalty_and_limit(backend: str) -> None:
    """Designation 400, P0 designated today. Change weight 500: {P1} costs 1050 + 2·500,
    {P0,P1} 1200 + 500, {P0} 1350 + 0 → {P0}, 1350. Limit 0 changes (weight 0) → {P0}."""
    competence = [{**c, "designated_today": c["id"] == "P0"} for c in comp(400)]
    inst = tiny_instance(LINE, PROVIDERS, EVEN, competence)
    obj, des, sol = solve_tiny(inst, backend, weights={"change": 500})
    assert (obj, des) == (pytest.approx(1350), {"P0"})
    assert sol.kpis["terms"]["change"] == pytest.approx(0)
    obj, des, _ = solve_tiny(inst, backend, max_changes=0)
    assert (obj, des) == (pytest.approx(1350), {"P0"})


def test_limits_on_a_term_and_a_count(backend: str) -> None:
    """Designation cost 400: the optimum {P1} has raw travel 300 + 50 + 300 = 650. With
    limits.travel 400 one provider is not enough: {P0,P2} or {P0,P1} (travel 400, cost 800)
    → 1200; all three (travel 150) cost 1350. With designation cost 0 all three open
    (travel 150); limits.designations 1 leaves P1 alone: 650. A limit holds whatever
    the term's weight: travel weight 0 and limits.travel 400 → two providers, objective 800."""
    inst = tiny_instance(LINE, PROVIDERS, EVEN, comp(400))
    obj, des, sol = solve_tiny(inst, backend, limits={"travel": 400})
    assert obj == pytest.approx(1200)
    assert len(des) == 2 and sol.kpis["terms"]["travel"] == pytest.approx(400)
    obj, des, _ = solve_tiny(inst, backend, limits={"travel": 400}, weights={"travel": 0})
    assert obj == pytest.approx(800) and len(des) == 2
    free = tiny_instance(LINE, PROVIDERS, EVEN, comp())
    obj, des, _ = solve_tiny(free, backend)
    assert obj == pytest.approx(150) and len(des) == 3
    obj, des, _ = solve_tiny(free, backend, limits={"designations": 1})
    assert obj == pytest.approx(650) and des == {"P1"}


def test_capacity_changes(backend: str) -> None:
    """Designation cost 400, P1 has 30 places: {P1} alone serves everyone, 1050. P1 loses
    half its places (capacity_changes, factor 0.5 → 15): {P1,P2} would cost 800 + 10·5 + 10·5
    + 5·30 + 5·60 = 1350, {P0,P2} 800 + 50 + 300 + 50 = 1200 → {P0,P2}, 1200. The solved
    capacities are the changed ones; the dataset as loaded is kept for re-solves."""
    providers = [{**p, "capacity": 30 if p["id"] == "P1" else 1e6} for p in PROVIDERS]
    inst = tiny_instance(LINE, providers, EVEN, comp(400))
    obj, des, _ = solve_tiny(inst, backend)
    assert obj == pytest.approx(1050) and des == {"P1"}
    change = [{"provider_id": "P1", "factor": 0.5}]
    obj, des, _ = solve_tiny(inst, backend, capacity_changes=change)
    assert obj == pytest.approx(1200) and des == {"P0", "P2"}
    built = build(inst, ModelParams(capacity_changes=[{"region": "R", "owner": "municipal",
                                                       "factor": 0.5}, *change]))
    cap = built.data.instance.providers.set_index("provider_id")["capacity"]
    assert cap["P1"] == pytest.approx(7.5) and cap["P0"] == pytest.approx(5e5)
    assert built.data.original.providers.set_index("provider_id")["capacity"]["P1"] == 30


def test_capacity_changes_name_errors() -> None:
    inst = tiny_instance(LINE, PROVIDERS, EVEN, comp())
    with pytest.raises(ScenarioError, match="unknown region 'Q'"):
        build(inst, ModelParams(capacity_changes=[{"region": "Q", "factor": 0.8}]))
    with pytest.raises(ScenarioError, match="Did you mean 'P1'"):
        build(inst, ModelParams(capacity_changes=[{"provider_id": "p1", "factor": 0.8}]))
    with pytest.raises(ValueError, match="names no region"):
        ModelParams(capacity_changes=[{"factor": 0.8}])


def test_infeasible_min_volume_is_explained() -> None:
    """m = 100 per specialfunktion but only 30 borgerforløb exist and at least one
    specialfunktion is required: the diagnosis names the families and speciale A."""
    inst = tiny_instance(LINE, PROVIDERS, EVEN, comp(100))
    with pytest.raises(InfeasibleError, match="count_bounds") as info:
        solve(build(inst, ModelParams(defaults={"min_cases": 100, "min_count": 1})),
              SolverOptions())
    diag = info.value.diagnosis
    assert "A" in set(diag.table["function"])
    assert set(diag.sufficient) >= {"min_volume", "count_bounds"}
    assert "min_volume" in str(info.value)


def test_infeasible_hard_reach_is_explained() -> None:
    """Reach 1 minute with shortfall switched off: every municipality lacks reach."""
    inst = tiny_instance(LINE, PROVIDERS, EVEN, comp())
    params = ModelParams(defaults={"reach_minutes": 1},
                         families={"allow_reach_shortfall": False})
    with pytest.raises(InfeasibleError, match="reach") as info:
        solve(build(inst, params), SolverOptions())
    table = info.value.diagnosis.table
    assert set(table.loc[table["family"] == "reach", "municipality_code"]) == {"m0", "m1", "m2"}


@pytest.mark.parametrize(("params", "match"), [
    ({"specialer": ["X"]}, "unknown speciale 'X'"),
    ({"fixed": [{"provider_id": "P9", "speciale": "A"}]}, "unknown provider_id 'P9'"),
    ({"fixed": [{"provider_id": "P0", "speciale": "A"}],
      "forbidden": [{"provider_id": "P0", "speciale": "A"}]}, "both fixed and forbidden"),
    ({"per_speciale": {"B": {"min_cases": 3}}}, "unknown speciale 'B'"),
    ({"region_bounds": [{"speciale": "A", "region": "Nowhere", "min_count": 1}]},
     "unknown region 'Nowhere'"),
])
def test_inconsistent_params_are_rejected(params: dict, match: str) -> None:
    inst = tiny_instance(LINE, PROVIDERS, EVEN, comp())
    with pytest.raises(ScenarioError, match=match):
        build(inst, ModelParams(**params))


def test_radius_assignment(backend: str) -> None:
    """p-median on the line: exactly one specialfunktion, no capacities, no minimum volume,
    demand must be served → every client goes to its nearest open provider and the model
    takes the radius formulation. The middle one is best: 10·30 + 10·5 + 10·30 = 650
    (an end one: 10·5 + 10·30 + 10·60 = 950)."""
    inst = tiny_instance(LINE, PROVIDERS, EVEN, comp())
    free = {"capacity": False, "speciale_capacity": False, "min_volume": False,
            "allow_unmet": False}
    params = {"defaults": {"min_count": 1, "max_count": 1}, "families": free}
    built = build(inst, ModelParams(**params))
    assert built.data.assignment == "radius" and "zr" in built.problem.columns
    assert "x" not in built.problem.columns
    obj, des, sol = solve_tiny(inst, backend, **params)
    assert (obj, des) == (pytest.approx(650), {"P1"})
    assert sol.assignments["cases"].sum() == pytest.approx(30)
    assert set(sol.assignments["provider_id"]) == {"P1"}
    # the same optimum through the per-arc assignment
    obj_arcs, _, _ = solve_tiny(inst, backend, assignment_formulation="arcs", **params)
    assert obj_arcs == pytest.approx(650)


def test_radius_needs_nearest_assignment() -> None:
    inst = tiny_instance(LINE, PROVIDERS, EVEN, comp())
    with pytest.raises(ScenarioError, match="capacity"):
        build(inst, ModelParams(assignment_formulation="radius"))
    assert build(inst, ModelParams()).data.assignment == "arcs"
