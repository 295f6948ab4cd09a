"""``frontier`` on the tiny line instance (``conftest.write_tiny``: m0–m1–m2 30 min apart,
10 borgerforløb each, providers P0..P2 with designation cost 400 and rådgivning cost 10,
reach 40 min, solved to gap 0).

Raw family travel by the set of specialfunktioner: {P1} 300 + 50 + 300 = 650, two of them
400 ({P0,P1}: 50 + 50 + 300), all three 150. Rådgivning: P1 reaches every municipality
within 40 min; P0 and P2 only their own and m1.

- minimise ``objective`` (without travel), bound ``travel``: {P1} costs 410 at travel 650;
  travel ≤ 400 needs two: {P0,P1} with P1 advising, 810; travel ≤ 150 needs all three, 1210.
- minimise ``travel``, bound ``specialfunktioner``: every other cost is free, so help near
  the family (at most 10 % of the 30 borgerforløb, at a local tilbud that is not a
  specialfunktion, coached by a rådgivningsfunktion within reach) takes 3 borgerforløb off a
  30-minute trip where it can: 1 → 650 − 90 = 560, 2 → 400 − 90 = 310, 3 → 150 (no local
  tilbud is left that is not a specialfunktion).
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from conftest import write_tiny
from typer.testing import CliRunner

from specialeplan.analyses.frontier import TIE_BREAK, run_frontier
from specialeplan.api import build, load_dataset, solve
from specialeplan.checker import check_results
from specialeplan.cli import app
from specialeplan.errors import SpecialeplanError
from specialeplan.scenarios.schema import load_scenario

runner = CliRunner()


def direct(scenario: Path, sets: list[str]) -> tuple[float, dict]:
    """Solve the scenario with these overrides directly (no frontier, no sweep)."""
    resolved = load_scenario(scenario, sets)
    inst = load_dataset(resolved.scenario.dataset, resolved.base_dir)
    out = solve(build(inst, resolved.scenario.model), resolved.scenario.solver)
    assert out.solution is not None
    return out.result.objective, out.solution.kpis


def assert_non_dominated(points: list[tuple[float, float]]) -> None:
    for i, (a1, a2) in enumerate(points):
        for j, (b1, b2) in enumerate(points):
            if i != j:
                assert not (b1 <= a1 and b2 <= a2 and (b1 < a1 or b2 < a2)), (i, j)


def test_objective_against_travel(tmp_path: Path) -> None:
    scenario = write_tiny(tmp_path)
    table = run_frontier(scenario, bound="travel", steps=3, out=tmp_path / "out")
    assert table["travel"].tolist() == pytest.approx([650, 400, 150])
    assert table["objective"].tolist() == pytest.approx([410, 810, 1210])
    assert table["non_dominated"].all() and set(table["status"]) == {"optimal"}
    assert_non_dominated(list(zip(table["travel"], table["objective"], strict=True)))
    for _, r in table.iterrows():  # each point is optimal for its bound
        obj, kpis = direct(scenario, [f"model.limits.travel={r['limit']}",
                                      f"model.weights.travel={TIE_BREAK}"])
        assert obj - kpis["terms"]["travel"] == pytest.approx(r["objective"], abs=1e-6)
    root = tmp_path / "out" / "tiny.frontier.objective-vs-travel"
    assert (root / "frontier.png").stat().st_size > 1000
    on_disk = pd.read_csv(root / "frontier.csv")
    assert on_disk["objective"].tolist() == pytest.approx([410, 810, 1210])
    for folder in (root / "runs").iterdir():
        assert check_results(folder).ok, folder.name  # the limits rule holds in each
    # every point after the first re-used the previous one (a tighter limit)
    summary = pd.read_csv(root / "summary.csv")
    assert summary["reused_from"].notna().tolist() == [False, True, True]


def test_travel_against_number_of_designations(tmp_path: Path) -> None:
    scenario = write_tiny(tmp_path)
    table = run_frontier(scenario, bound="designations", minimise="travel", steps=5,
                         out=tmp_path / "out")
    assert table["limit"].tolist() == [3, 2, 1]  # five steps, three distinct counts
    assert table["designations"].tolist() == [3, 2, 1]
    assert table["travel"].tolist() == pytest.approx([150, 310, 560])
    assert table["non_dominated"].all()
    for _, r in table.iterrows():
        zero = ("designation", "advisory", "change", "outreach", "near_family", "moved")
        obj, _ = direct(scenario, [f"model.limits.designations={r['limit']}",
                                   *(f"model.weights.{k}=0" for k in zero)])
        assert obj == pytest.approx(r["travel"], abs=1e-6)


def test_frontier_cli_and_errors(tmp_path: Path) -> None:
    scenario = write_tiny(tmp_path)
    result = runner.invoke(app, ["frontier", str(scenario), "--bound", "travel", "--steps",
                                 "2", "--out", str(tmp_path / "o")])
    assert result.exit_code == 0, result.output
    assert "non_dominated" in result.output.replace("\n", "") or "non_domi" in result.output
    bad = runner.invoke(app, ["frontier", str(scenario), "--bound", "travl"])
    assert bad.exit_code == 2 and "Did you mean 'travel'" in bad.output
    with pytest.raises(SpecialeplanError, match="can only be bounded"):
        run_frontier(scenario, bound="travel", minimise="designations")
    with pytest.raises(SpecialeplanError, match="same criterion"):
        run_frontier(scenario, bound="travel", minimise="travel")
