"""Hand-solved tests of the backup-coverage and rollout-commitment families, on every
backend and both volume formulations.

The line of ``tests/test_model_families.py``: municipalities m0, m1, m2, travel 30 min
between neighbours, 60 end to end, 5 inside; providers P0, P1, P2 in m0, m1, m2; one speciale
A with 10 borgerforløb in each municipality; designation cost 400 each, so the free optimum
is {P1}: 400 + 10·30 + 10·5 + 10·30 = 1050.
"""

from __future__ import annotations

import pytest
from test_model_families import EVEN, LINE, PROVIDERS, comp, solve_tiny

from specialeplan.api import build, solve
from specialeplan.errors import InfeasibleError
from specialeplan.model.examples import tiny_instance
from specialeplan.model.params import ModelParams
from specialeplan.solvers.base import SolverOptions


@pytest.fixture(params=["highs-direct:aggregate", "highs-direct:per_arc", "highs:aggregate",
                        "highs:per_arc"])
def backend(request: pytest.FixtureRequest) -> str:
    return request.param


BACKUP = {"backup_coverage": True}


def test_backup_coverage(backend: str) -> None:
    """Off: {P1}, 1050. On without a cutoff every provider is in range of everyone, so any
    two: {P0,P1}: 800 + 50 + 50 + 300 = 1200 (all pairs cost 1200). Cutoff 40 min: m0 sees
    only P0 and P1, m2 only P1 and P2, so all three open: 1200 + 150 = 1350. With the second
    allowed within backup_minutes 70 the first within 40 is enough: every pair costs 1200 again
    ({P0,P2}: m0 has P0 at 5 and P2 at 60, m2 the mirror, m1 both at 30); {P1} alone has no
    second: still excluded."""
    inst = tiny_instance(LINE, PROVIDERS, EVEN, comp(400))
    obj, des, _ = solve_tiny(inst, backend)
    assert (obj, des) == (pytest.approx(1050), {"P1"})
    obj, des, _ = solve_tiny(inst, backend, families=BACKUP)
    assert obj == pytest.approx(1200) and len(des) == 2
    obj, des, _ = solve_tiny(inst, backend, families=BACKUP,
                             defaults={"max_travel_minutes": 40})
    assert (obj, des) == (pytest.approx(1350), {"P0", "P1", "P2"})
    obj, des, _ = solve_tiny(inst, backend, families=BACKUP,
                             defaults={"max_travel_minutes": 40, "backup_minutes": 70})
    assert obj == pytest.approx(1200) and len(des) == 2


def test_backup_coverage_counts_outreach_teams(backend: str) -> None:
    """P2 is an outreach team (no place) with a 70-minute radius; cutoff 40 for places. m0
    sees P0, P1 by place and P2 by outreach, so {P0, P2} or {P1, P2} … every municipality
    needs two in range: P2 reaches all three, so one more is enough; the cheapest pair is
    {P1, P2}: 800 + travel m0→P1 300 + m1 at P1 50 + m2 by outreach from P2 (staff 5 min at
    weight 0.5 = 25) = 1175."""
    providers = [PROVIDERS[0], PROVIDERS[1], {"id": "P2", "at": 2, "kind": "outreach"}]
    inst = tiny_instance(LINE, providers, EVEN, comp(400))
    obj, des, _ = solve_tiny(inst, backend, families=BACKUP,
                             defaults={"max_travel_minutes": 40, "outreach_minutes": 70})
    assert des == {"P1", "P2"}
    assert obj == pytest.approx(1175)


def test_backup_coverage_infeasible_is_explained() -> None:
    """Only P0 is competent: nobody can have two specialfunktioner; the diagnosis names the
    family and the municipalities."""
    inst = tiny_instance(LINE, PROVIDERS, EVEN, comp(400)[:1])
    with pytest.raises(InfeasibleError, match="backup_coverage") as info:
        solve(build(inst, ModelParams(families=BACKUP)), SolverOptions())
    table = info.value.diagnosis.table
    assert set(table.loc[table["family"] == "backup_coverage", "municipality_code"]) == {
        "m0", "m1", "m2"}


def test_committed_designation_duty_and_volume(backend: str) -> None:
    """Commitments of an earlier wave. P0 with 25 borgerforløb: P0 must serve 25 of the 30,
    so m2 travels too: {P0} alone, 400 + 50 + 300 + 600 = 1350 ({P0,P2} would cost 800 +
    50 + 300 + 5·60 + 5·5 = 1475). A commitment above what P0 can take at all (100 > 30) is
    held at all it can take: the same 1350. P0 as a rådgivningsfunktion (reach 70 min,
    rådgivning 100 at P0 and 10 at P1, no borgerforløb): {P0,P1} or {P0,P2} with P0
    advising, 800 + 100 + 50 + 50 + 300 = 1300 (free: {P1} advising, 1060)."""
    inst = tiny_instance(LINE, PROVIDERS, EVEN, comp(400))
    for cases in (25, 100):
        obj, des, sol = solve_tiny(inst, backend, committed=[
            {"provider_id": "P0", "speciale": "A", "cases": cases}])
        assert (obj, des) == (pytest.approx(1350), {"P0"})
        assert sol.designations["cases"].sum() == pytest.approx(30)
    advisory = [{**c, "advisory_cost": 100 if c["id"] == "P0" else 10} for c in comp(400)]
    inst = tiny_instance(LINE, PROVIDERS, EVEN, advisory)
    obj, des, _ = solve_tiny(inst, backend, defaults={"reach_minutes": 70})
    assert (obj, des) == (pytest.approx(1060), {"P1"})
    obj, des, sol = solve_tiny(inst, backend, defaults={"reach_minutes": 70},
                               committed=[{"provider_id": "P0", "speciale": "A",
                                           "advisory": True}])
    assert obj == pytest.approx(1300) and "P0" in des and len(des) == 2
    d = sol.designations.set_index("provider_id")
    assert bool(d.at["P0", "is_advisory"])


def test_committed_forbidden_is_explained() -> None:
    inst = tiny_instance(LINE, PROVIDERS, EVEN, comp(400))
    params = ModelParams(committed=[{"provider_id": "P0", "speciale": "A", "cases": 5}],
                         forbidden=[{"provider_id": "P0", "speciale": "A"}])
    with pytest.raises(InfeasibleError, match="committed"):
        solve(build(inst, params), SolverOptions())


def test_committed_unknown_pair_is_an_error() -> None:
    from specialeplan.errors import ScenarioError

    inst = tiny_instance(LINE, PROVIDERS, EVEN, comp(400))
    with pytest.raises(ScenarioError, match="P9/A"):
        build(inst, ModelParams(committed=[{"provider_id": "P9", "speciale": "A"}]))
