"""Hand-solved instances for the model-fidelity families (issue 16): outreach, help near the
family, continuity, equity, advisory load by volume (in ``test_model_families``) and the
regional view. Every test runs over every solver backend.

Unless a test says otherwise: three municipalities m0, m1, m2 on a line, travel 30 min
between neighbours, 60 min end to end, 5 min inside a municipality; one speciale A.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pandas as pd
import pytest

from specialeplan.api import build, solve
from specialeplan.errors import InfeasibleError
from specialeplan.model.examples import tiny_instance
from specialeplan.model.params import ModelParams
from specialeplan.model.solution import worst_off
from specialeplan.solvers.base import SolverOptions
from specialeplan.solvers.registry import available_backends

LINE = [[5, 30, 60], [30, 5, 30], [60, 30, 5]]
PROVIDERS = [{"id": "P0", "at": 0}, {"id": "P1", "at": 1}, {"id": "P2", "at": 2}]
EVEN = {(0, "A"): 10, (1, "A"): 10, (2, "A"): 10}


def solve_tiny(inst, backend: str, **params):  # noqa: ANN001, ANN201
    outcome = solve(build(inst, ModelParams(**params)),
                    SolverOptions(name=backend, mip_rel_gap=0.0))
    sol = outcome.solution
    assert sol is not None
    assert outcome.result.objective == pytest.approx(sol.kpis["objective_recomputed"], abs=1e-6)
    return outcome.result.objective, set(sol.designations["provider_id"]), sol


@pytest.fixture(params=available_backends())
def backend(request: pytest.FixtureRequest) -> str:
    return request.param


# ----------------------------------------------------------------------- 1. outreach
def test_outreach_delivers_at_home(backend: str) -> None:
    """P1 in m1 is a matrikelløs team (kind outreach); demand 10 everywhere; staff travel
    weight 0.5, unmet 1000.

    - Outreach radius 90 (default) reaches all three: staff travel 0.5·(10·30 + 10·5 +
      10·30) = 325 and no family travel (a residential P1 would cost 650).
    - Radius 20: only m1 (5 min) is within it: 0.5·50 + 20 unmet · 1000 = 20025.
    - Kind ``both``, radius 20: m1 by outreach (0.5·50 = 25 < 50 physical), m0 and m2 at the
      place: 25 + 300 + 300 = 625.
    - ``families.outreach`` off: P1 delivers at its place, 300 + 50 + 300 = 650.
    """
    w = {"outreach": 0.5, "unmet": 1000}
    comp = [{"id": "P1", "speciale": "A"}]
    inst = tiny_instance(LINE, [{"id": "P1", "at": 1, "kind": "outreach"}], EVEN, comp)
    obj, _, sol = solve_tiny(inst, backend, weights=w)
    assert obj == pytest.approx(325)
    assert set(sol.assignments["mode"]) == {"outreach"}
    assert sol.kpis["terms"]["travel"] == pytest.approx(0)
    assert sol.kpis["outreach_cases"] == pytest.approx(30)
    assert sol.designations.at[0, "outreach_cases"] == pytest.approx(30)
    obj, _, sol = solve_tiny(inst, backend, weights=w, defaults={"outreach_minutes": 20})
    assert obj == pytest.approx(20025)
    assert sol.kpis["total_unmet"] == pytest.approx(20)
    both = tiny_instance(LINE, [{"id": "P1", "at": 1, "kind": "both"}], EVEN, comp)
    obj, _, sol = solve_tiny(both, backend, weights=w, defaults={"outreach_minutes": 20})
    assert obj == pytest.approx(625)
    modes = sol.assignments.set_index("municipality_code")["mode"].to_dict()
    assert modes == {"m0": "physical", "m1": "outreach", "m2": "physical"}
    obj, _, sol = solve_tiny(inst, backend, weights=w, families={"outreach": False})
    assert obj == pytest.approx(650)
    assert set(sol.assignments["mode"]) == {"physical"}


def _need(inst, share: float):  # noqa: ANN001, ANN202
    """``inst`` with a ``delivery_need`` table giving speciale A ρ = ``share``."""
    table = pd.DataFrame({"speciale": ["A"], "residential_share": [share],
                          "source": ["test"], "note": [""]})
    return dataclasses.replace(inst, delivery_need=table)


def test_delivery_need_keeps_residential_borgerforloeb_at_a_place(backend: str) -> None:
    """Demand 10 in m1 only. T1 in m1 is a matrikelløs team (kind outreach, staff 5 min);
    P0 in m0 has places (30 min family travel). Outreach weight 0.5, so outreach costs
    0.5·5 = 2.5 per borgerforløb and a place 30.

    - Without a delivery need (ρ = 0, the default without ``delivery_need``): all 10 by
      outreach, 10·2.5 = 25.
    - The dataset says ρ_A = 0.4: outreach ≤ (1 − 0.4)·10 = 6, so 6·2.5 + 4·30 = 135; the 4
      travel to P0 (mean travel of those who travel 30 min, of all 4·30/10 = 12 min).
    - The scenario overrides it: ``per_speciale: {A: {residential_share: 0}}`` → 25;
      ``defaults: {residential_share: 1}`` (the scenario's default wins over the dataset)
      → all 10 at P0, 10·30 = 300.
    - ``families.delivery_need`` off: 25 again.
    """
    w = {"outreach": 0.5}
    providers = [{"id": "P0", "at": 0}, {"id": "T1", "at": 1, "kind": "outreach"}]
    comp = [{"id": "P0", "speciale": "A"}, {"id": "T1", "speciale": "A"}]
    inst = tiny_instance(LINE, providers, {(1, "A"): 10}, comp)
    obj, _, sol = solve_tiny(inst, backend, weights=w)
    assert obj == pytest.approx(25)
    assert sol.kpis["outreach_share"] == pytest.approx(1.0)
    need = _need(inst, 0.4)
    obj, des, sol = solve_tiny(need, backend, weights=w)
    assert obj == pytest.approx(135) and des == {"P0", "T1"}
    modes = sol.assignments.groupby("mode")["cases"].sum().to_dict()
    assert modes == pytest.approx({"outreach": 6, "physical": 4})
    k = sol.kpis
    assert k["outreach_share"] == pytest.approx(0.6)
    assert k["physical_cases"] == pytest.approx(4)
    assert k["mean_travel_minutes_physical"] == pytest.approx(30)
    assert k["mean_travel_minutes"] == pytest.approx(12)
    assert k["share_outside_home_municipality_physical"] == pytest.approx(1.0)
    assert k["share_outside_home_municipality"] == pytest.approx(0.4)
    a = k["per_function"]["A"]
    assert (a["physical"], a["outreach"], a["near_family"]) == pytest.approx((4, 6, 0))
    assert a["residential_share"] == pytest.approx(0.4)
    obj, _, _ = solve_tiny(need, backend, weights=w,
                           per_speciale={"A": {"residential_share": 0.0}})
    assert obj == pytest.approx(25)
    obj, _, _ = solve_tiny(need, backend, weights=w, defaults={"residential_share": 1.0})
    assert obj == pytest.approx(300)
    obj, _, _ = solve_tiny(need, backend, weights=w, families={"delivery_need": False})
    assert obj == pytest.approx(25)


def test_delivery_need_infeasible_is_explained() -> None:
    """As above with ρ_A = 0.4, but the family-travel cutoff is 20 min, so P0's places
    (30 min) are out of reach, and unmet demand is off: 4 borgerforløb need a place that
    no tilbud in reach has. The diagnosis names delivery_need and speciale A."""
    providers = [{"id": "P0", "at": 0}, {"id": "T1", "at": 1, "kind": "outreach"}]
    comp = [{"id": "P0", "speciale": "A"}, {"id": "T1", "speciale": "A"}]
    inst = _need(tiny_instance(LINE, providers, {(1, "A"): 10}, comp), 0.4)
    params = ModelParams(defaults={"max_travel_minutes": 20},
                         families={"allow_unmet": False})
    with pytest.raises(InfeasibleError, match="delivery_need") as info:
        solve(build(inst, params), SolverOptions())
    diag = info.value.diagnosis
    rows = diag.table[diag.table["family"] == "delivery_need"]
    assert set(rows["function"]) == {"A"}  # one row per function
    assert "residential place" in str(info.value)


# ----------------------------------------------------------------------- 2. near family
def test_help_near_the_family(backend: str) -> None:
    """Only P0 (m0) is competent; demand 10 in m2 only, 60 min from P0. L2 is a local tilbud
    in m2 without competence in A, but in B, a related kind of need (A and B are the two
    functions of speciale S). Reach 70 min, so P0 (a rådgivningsfunktion anyway, for
    reach) can coach L2. Near-family help costs 20 per borgerforløb, travel 1 per minute.

    - share 0.5: 5 near family + 5 travel 60 min: 5·20 + 5·60 = 400;
    - share 1.0: all 10 near family: 200;
    - share 1.0, P0's advisory capacity 15 borgerforløb and κ = 1: load 10 (m2's demand) +
      coached ≤ 15 → 5 coached: 400 again;
    - share 1.0, L2's capacity 3: 3·20 + 7·60 = 480; two local tilbud of capacity 4 and 3:
      7·20 + 3·60 = 320, both coached by P0;
    - reach 50: P0 does not reach m2; the rådgivning duty is per speciale, so L2 becomes S's
      rådgivningsfunktion through its function B (designation 1 + rådgivning 1000) rather
      than leave m2 short (50000), and coaches its own near-family help: 1 + 1000 + 200 =
      1201;
    - ``families.near_family`` off: 600.
    """
    def near(providers: list[dict]):  # noqa: ANN202
        # a local tilbud L… knows a related kind of need: B, of the same speciale S as A
        # (no demand for B, so never designated), which lets it help near the family
        comp = [{"id": "P0", "speciale": "A"}] + [
            {"id": p["id"], "function": "B", "designation_cost": 1, "advisory_cost": 1000}
            for p in providers if p["id"].startswith("L")]
        return tiny_instance(LINE, providers, {(2, "A"): 10}, comp, specialer=("S",),
                             functions=[{"id": "A", "specialer": ["S"]},
                                        {"id": "B", "specialer": ["S"]}])

    inst = near([{"id": "P0", "at": 0}, {"id": "L2", "at": 2}])
    base = {"weights": {"near_family": 20}}
    obj, des, sol = solve_tiny(inst, backend, defaults={"reach_minutes": 70,
                                                        "near_family_share": 0.5}, **base)
    assert obj == pytest.approx(400) and des == {"P0"}
    nf = sol.near_family
    assert nf[["municipality_code", "provider_id", "advisory_provider_id"]].values.tolist() == [
        ["m2", "L2", "P0"]]
    assert nf["cases"].sum() == pytest.approx(5)
    assert sol.coverage.set_index("municipality_code").at["m2", "near_family"] == pytest.approx(5)
    assert sol.kpis["near_family_cases"] == pytest.approx(5)
    assert sol.designations.at[0, "coached_cases"] == pytest.approx(5)
    full = {"reach_minutes": 70, "near_family_share": 1.0}
    obj, _, _ = solve_tiny(inst, backend, defaults=full, **base)
    assert obj == pytest.approx(200)
    small_adv = near([{"id": "P0", "at": 0, "advisory_capacity": 15}, {"id": "L2", "at": 2}])
    obj, _, sol = solve_tiny(small_adv, backend, defaults=full, near_family_advisory_load=1.0,
                             **base)
    assert obj == pytest.approx(400)
    assert sol.designations.at[0, "advisory_load"] == pytest.approx(15)
    small_local = near([{"id": "P0", "at": 0}, {"id": "L2", "at": 2, "capacity": 3}])
    obj, _, _ = solve_tiny(small_local, backend, defaults=full, **base)
    assert obj == pytest.approx(480)
    two_local = near([{"id": "P0", "at": 0}, {"id": "L2a", "at": 2, "capacity": 4},
                      {"id": "L2b", "at": 2, "capacity": 3}])
    obj, _, sol = solve_tiny(two_local, backend, defaults=full, **base)
    assert obj == pytest.approx(7 * 20 + 3 * 60)
    assert sol.near_family.groupby("provider_id")["cases"].sum().to_dict() == {
        "L2a": pytest.approx(4), "L2b": pytest.approx(3)}
    assert sol.designations.at[0, "coached_cases"] == pytest.approx(7)
    obj, _, sol = solve_tiny(inst, backend, defaults={"reach_minutes": 50,
                                                      "near_family_share": 1.0}, **base)
    assert obj == pytest.approx(1201)
    assert sol.reach.set_index("municipality_code").at["m2", "function"] == "B"
    obj, _, _ = solve_tiny(inst, backend, defaults=full, families={"near_family": False},
                           **base)
    assert obj == pytest.approx(600)


def test_near_family_not_at_a_designation(backend: str) -> None:
    """As above (share 1.0, reach 70), but the local tilbud P2 in m2 is competent in A and
    fixed as a specialfunktion: it serves m2 itself (10·5 = 50) and is not a near-family
    tilbud. Not fixed and with designation cost 1000, it helps near the family instead:
    10·20 = 200."""
    providers = [{"id": "P0", "at": 0}, {"id": "P2", "at": 2}]
    comp = [{"id": "P0", "speciale": "A"},
            {"id": "P2", "speciale": "A", "designation_cost": 1000}]
    inst = tiny_instance(LINE, providers, {(2, "A"): 10}, comp)
    params = {"weights": {"near_family": 20},
              "defaults": {"reach_minutes": 70, "near_family_share": 1.0}}
    obj, des, sol = solve_tiny(inst, backend, **params)
    assert obj == pytest.approx(200) and des == {"P0"}
    assert set(sol.near_family["provider_id"]) == {"P2"}
    obj, des, sol = solve_tiny(inst, backend, fixed=[{"provider_id": "P2", "speciale": "A"}],
                               **params)
    assert obj == pytest.approx(1050) and "P2" in des  # 1000 + 50
    assert sol.near_family.empty


# ----------------------------------------------------------------------- 3. continuity
def test_moving_citizens_is_costed(backend: str) -> None:
    """Designation 400, demand 10 everywhere; P0 serves 10 citizens today (current_cases)
    and may not be designated (forbidden). With ``families.allow_moves`` a plan may move
    them at weights.moved each, or keep them at P0 as a transitional arrangement (800, see
    below): with moves allowed it keeps them (moving them to {P1} costs 1050 + 10·w).
    ``families.moved`` off: no protection, no transitional arrangement: {P1}, 1050, and the
    KPI still counts 10 moved."""
    comp = [{"id": p["id"], "speciale": "A", "designation_cost": 400,
             "current_cases": 10 if p["id"] == "P0" else 0, "designated_today": p["id"] == "P0"}
            for p in PROVIDERS]
    inst = tiny_instance(LINE, PROVIDERS, EVEN, comp)
    obj, des, sol = solve_tiny(inst, backend, weights={"moved": 10},
                               families={"allow_moves": True})
    assert obj == pytest.approx(800) and sol.kpis["moved_cases"] == pytest.approx(0)
    assert sol.kpis["transitional_cases"] == pytest.approx(10)
    obj, des, sol = solve_tiny(inst, backend, weights={"moved": 10}, families={"moved": False})
    assert (obj, des) == (pytest.approx(1050), {"P1"})
    assert sol.kpis["moved_cases"] == pytest.approx(10)
    assert sol.kpis["terms"]["moved"] == 0
    assert sol.kpis["transitional_cases"] == 0


def test_protected_residents_stay_as_a_transitional_arrangement(backend: str) -> None:
    """The same instance with today's residents protected (the default): P0's 10 citizens
    stay at P0 without a designation (a transitional arrangement), P1 serves m1 and m2
    (m1 10·5 min, m2 10·30) as the only specialfunktion: 400 + 10·5 (P0's residents, from
    m0) + 10·5 + 10·30 = 800 (P2 ties). Nobody moves."""
    comp = [{"id": p["id"], "speciale": "A", "designation_cost": 400,
             "current_cases": 10 if p["id"] == "P0" else 0, "designated_today": p["id"] == "P0"}
            for p in PROVIDERS]
    inst = tiny_instance(LINE, PROVIDERS, EVEN, comp)
    obj, des, sol = solve_tiny(inst, backend)
    assert obj == pytest.approx(800) and des in ({"P1"}, {"P2"})  # P2 ties with P1
    assert sol.kpis["moved_cases"] == pytest.approx(0)
    assert sol.kpis["transitional_cases"] == pytest.approx(10)
    t = sol.transitional
    assert list(t["provider_id"]) == ["P0"] and t["transitional_cases"].sum() == 10
    # the transitional arrangement keeps today's residents, no more: P0 serves exactly 10
    asg = sol.assignments
    assert asg.loc[asg["provider_id"] == "P0", "cases"].sum() == pytest.approx(10)


def test_protected_residents_beyond_capacity_are_explained() -> None:
    """P0 keeps 10 residents today but the scenario halves its places (capacity 10 → 5):
    they cannot all stay. The diagnosis names family moved and P0; with moves allowed the
    plan moves 5 of them."""
    providers = [{"id": "P0", "at": 0, "capacity": 10}, {"id": "P1", "at": 1}]
    comp = [{"id": "P0", "speciale": "A", "current_cases": 10, "max_cases": 10},
            {"id": "P1", "speciale": "A"}]
    inst = tiny_instance(LINE, providers, EVEN, comp)
    cut = [{"factor": 0.5, "provider_id": "P0"}]
    with pytest.raises(InfeasibleError, match="moved") as info:
        solve(build(inst, ModelParams(capacity_changes=cut)), SolverOptions())
    text = str(info.value)  # the capacity at P0, or else today's residents moving
    assert "provider_id=P0" in text and "today's residents cannot all stay" in text
    _, _, sol = solve_tiny(inst, "highs", capacity_changes=cut,
                           families={"allow_moves": True})
    assert sol.kpis["moved_cases"] == pytest.approx(5)


def test_keep_advisory_today(backend: str) -> None:
    """Only m1 has demand (10); P0 and P2 are competent, designation 10, rådgivning 100,
    reach 70: one rådgivningsfunktion reaches all, 10 + 100 + 300 = 410. Both are
    rådgivningsfunktioner today: kept, 20 + 200 + 300 = 520. Only P2 today: 410 with P2."""
    providers = [{"id": "P0", "at": 0}, {"id": "P2", "at": 2}]

    def inst(today: set[str]):  # noqa: ANN202
        comp = [{"id": p, "speciale": "A", "designation_cost": 10, "advisory_cost": 100,
                 "advisory_today": p in today} for p in ("P0", "P2")]
        return tiny_instance(LINE, providers, {(1, "A"): 10}, comp)

    params = {"defaults": {"reach_minutes": 70}, "keep_advisory_today": True}
    obj, _, _ = solve_tiny(inst(set()), backend, **params)
    assert obj == pytest.approx(410)
    obj, _, sol = solve_tiny(inst({"P0", "P2"}), backend, **params)
    assert obj == pytest.approx(520)
    assert sol.designations["is_advisory"].all()
    obj, _, sol = solve_tiny(inst({"P2"}), backend, **params)
    assert obj == pytest.approx(410)
    assert sol.designations.loc[sol.designations["is_advisory"], "provider_id"].tolist() == [
        "P2"]
    obj, _, _ = solve_tiny(inst({"P0", "P2"}), backend, defaults={"reach_minutes": 70})
    assert obj == pytest.approx(410)  # not kept without keep_advisory_today


def test_keep_advisory_today_infeasible_is_explained() -> None:
    """Kept today's rådgivningsfunktioner P0 and P2 but at most one allowed: the diagnosis
    names keep_advisory_today."""
    providers = [{"id": "P0", "at": 0}, {"id": "P2", "at": 2}]
    comp = [{"id": p, "speciale": "A", "advisory_today": True} for p in ("P0", "P2")]
    inst = tiny_instance(LINE, providers, {(1, "A"): 10}, comp)
    params = ModelParams(defaults={"reach_minutes": 70, "max_advisory": 1},
                         keep_advisory_today=True)
    with pytest.raises(InfeasibleError, match="keep_advisory_today") as info:
        solve(build(inst, params), SolverOptions())
    assert "keep_advisory_today" in info.value.diagnosis.sufficient


def test_keep_today_keeps_only_what_meets_the_rules(backend: str) -> None:
    """Designation 400, minimum volume 9; P0 (regional) and P2 (regional) are designated
    today, P0 may take only 5 borgerforløb (below the minimum), P2 any. keep_today
    [regional] keeps P2 and lists P0 as not kept: {P1,P2} or {P0,P2} would cost 1200, but P0
    can serve at most 5 < 9 and so stays closed: {P1, P2} 800 + 300 + 50 + 50 = 1200."""
    providers = [{**PROVIDERS[0], "owner": "regional"}, PROVIDERS[1],
                 {**PROVIDERS[2], "owner": "regional"}]
    comp = [{"id": p["id"], "speciale": "A", "designation_cost": 400,
             "designated_today": p["id"] in ("P0", "P2"),
             "max_cases": 5 if p["id"] == "P0" else 1e6} for p in PROVIDERS]
    inst = tiny_instance(LINE, providers, EVEN, comp)
    obj, des, sol = solve_tiny(inst, backend, keep_today=["regional"],
                               defaults={"min_cases": 9})
    assert (obj, des) == (pytest.approx(1200), {"P1", "P2"})
    assert [(r["provider_id"], r["reason"]) for r in sol.kpis["keep_today_not_kept"]] == [
        ("P0", "max_cases below the minimum volume min_cases")]


# ----------------------------------------------------------------------- 5. equity
EQ_MINUTES = [[5, 10, 80, 40], [10, 5, 70, 30], [80, 70, 5, 40], [40, 30, 40, 5]]


def test_equity_trades_total_travel_for_the_worst_off(backend: str) -> None:
    """m0 and m1 are close (10 min), m2 is far; m3 lies in between (30–40 min from all).
    Demand m0 10, m1 10, m2 2; one specialfunktion, at P1 (m1) or P3 (m3).

    - P1: travel 10·10 + 10·5 + 2·70 = 290; mean travel per municipality 10, 5, 70;
    - P3: 10·40 + 10·30 + 2·40 = 780; means 40, 30, 40.
    Equity off: P1, 290. ``max`` with weight 20: P1 290 + 20·70 = 1690, P3 780 + 20·40 =
    1580 → P3. CVaR_0.5 over the 3 municipalities (worst 1.5): P1 (70 + 0.5·10)/1.5 = 50,
    P3 (40 + 0.5·40)/1.5 = 40; weight 60: P1 290 + 3000 = 3290, P3 780 + 2400 = 3180 → P3;
    weight 20: P1 1290 < P3 1580 → P1. Cap max ≤ 45 (weight 0): only P3 → 780."""
    providers = [{"id": "P1", "at": 1}, {"id": "P3", "at": 3}]
    comp = [{"id": p, "speciale": "A"} for p in ("P1", "P3")]
    inst = tiny_instance(EQ_MINUTES, providers, {(0, "A"): 10, (1, "A"): 10, (2, "A"): 2},
                         comp)
    one = {"max_count": 1}
    obj, des, sol = solve_tiny(inst, backend, defaults=one)
    assert (obj, des) == (pytest.approx(290), {"P1"})
    assert sol.kpis["per_function"]["A"]["worst_off_travel_minutes"] == pytest.approx(
        worst_off([10, 5, 70], "cvar", 0.1)[1])
    on = {"equity": True}
    obj, des, sol = solve_tiny(inst, backend, defaults=one, families=on,
                               equity={"measure": "max"}, weights={"equity": 20})
    assert (obj, des) == (pytest.approx(1580), {"P3"})
    assert sol.kpis["terms"]["equity"] == pytest.approx(800)
    obj, des, sol = solve_tiny(inst, backend, defaults=one, families=on,
                               equity={"measure": "cvar", "alpha": 0.5}, weights={"equity": 60})
    assert (obj, des) == (pytest.approx(3180), {"P3"})
    assert sol.kpis["per_function"]["A"]["worst_off_travel_minutes"] == pytest.approx(40)
    obj, des, _ = solve_tiny(inst, backend, defaults=one, families=on,
                             equity={"measure": "cvar", "alpha": 0.5}, weights={"equity": 20})
    assert (obj, des) == (pytest.approx(1290), {"P1"})
    obj, des, _ = solve_tiny(inst, backend, defaults=one, families=on,
                             equity={"measure": "max", "limit_minutes": 45},
                             weights={"equity": 0})
    assert (obj, des) == (pytest.approx(780), {"P3"})


def test_worst_off_measure() -> None:
    """CVaR of (70, 10, 5) at α = 0.5 is (70 + 0.5·10)/1.5 = 50 with η = 10; at α = 1/3 (one
    municipality) and for ``max`` it is 70."""
    assert worst_off([10, 5, 70], "cvar", 0.5) == pytest.approx((10, 50))
    assert worst_off([10, 5, 70], "cvar", 1 / 3)[1] == pytest.approx(70)
    assert worst_off([10, 5, 70], "max", 0.5) == pytest.approx((70, 70))


# ----------------------------------------------------------------------- 7. regions
def test_regional_balance(backend: str) -> None:
    """m0, m1 in region R1 and m2 in R2; designation 400, P1 may take 30: the optimum {P1}
    (1050) serves everyone from R1. R1: demand 20, served at home 20, imports m2's 10 →
    served in the region 30, capacity 30, no shortfall. R2: demand 10, all exported, no
    specialfunktion → capacity 0, shortfall 10."""
    comp = [{"id": p["id"], "speciale": "A", "designation_cost": 400, "max_cases": 30}
            for p in PROVIDERS]
    inst = tiny_instance(LINE, PROVIDERS, EVEN, comp, regions=["R1", "R1", "R2"])
    obj, des, sol = solve_tiny(inst, backend)
    assert (obj, des) == (pytest.approx(1050), {"P1"})
    reg = sol.regions.set_index("region")
    assert reg.loc["R1", ["demand", "served_home", "exported", "imported", "served_in_region",
                          "unmet", "designated_capacity", "capacity_shortfall"]].tolist() == [
        pytest.approx(v) for v in (20, 20, 0, 10, 30, 0, 30, 0)]
    assert reg.loc["R2", ["demand", "served_home", "exported", "imported", "served_in_region",
                          "unmet", "designated_capacity", "capacity_shortfall"]].tolist() == [
        pytest.approx(v) for v in (10, 0, 10, 0, 0, 0, 0, 10)]
    assert sol.kpis["regions"]["R2"]["A"]["exported"] == pytest.approx(10)


@pytest.mark.parametrize("bad", [
    {"weights": {"outreach": float("inf")}}, {"weights": {"moved": -1}},
    {"defaults": {"near_family_share": 1.5}}, {"defaults": {"outreach_minutes": float("nan")}},
    {"equity": {"alpha": 0}}, {"equity": {"measure": "median"}},
    {"near_family_advisory_load": float("nan")},
])
def test_new_scenario_keys_are_finite_and_in_range(bad: dict) -> None:
    from pydantic import ValidationError

    with pytest.raises(ValidationError):
        ModelParams(**bad)


def test_keep_today_yields_to_the_places_today_s_residents_take(tmp_path: Path) -> None:
    """P0 (regional, 10 places) is a specialfunktion of A and B today; its 8 residents of A
    stay, so B keeps 2 places, below B's minimum volume 5: keep_today does not fix P0/B
    (listed with the reason), and the plan is feasible."""
    providers = [{"id": "P0", "at": 0, "capacity": 10, "owner": "regional"},
                 {"id": "P1", "at": 1}]
    comp = [{"id": "P0", "speciale": "A", "current_cases": 8, "designated_today": True},
            {"id": "P0", "speciale": "B", "designated_today": True},
            {"id": "P1", "speciale": "A"}, {"id": "P1", "speciale": "B"}]
    inst = tiny_instance(LINE, providers, {(0, "A"): 10, (1, "B"): 10}, comp,
                         specialer=("A", "B"))
    params = ModelParams(keep_today=["regional"], defaults={"min_cases": 5})
    outcome = solve(build(inst, params), SolverOptions(mip_rel_gap=0.0))
    not_kept = outcome.data.not_kept
    pairs = zip(not_kept["provider_id"], not_kept["function"], strict=True)
    assert list(pairs) == [("P0", "B")]
    assert "capacity left after today's residents" in not_kept["reason"].iloc[0]
    assert outcome.solution is not None
    # the checker derives the same exception from the files alone
    from specialeplan.checker import check_results
    from specialeplan.results.writer import write_results
    from specialeplan.scenarios.schema import ResolvedScenario, Scenario

    folder = write_results(outcome, ResolvedScenario(Scenario(name="kept", model=params),
                                                     None), tmp_path / "kept", excel=False)
    report = check_results(folder)
    assert report.ok, report.to_text()
