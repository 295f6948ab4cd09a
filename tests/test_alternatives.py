"""Near-optimal alternatives and necessity (issue 24) on a tiny instance with a known tie.

The instance (line m0–m1–m2, 30 minutes apart, 5 minutes within a municipality; unit-less
pricing: 1 per borgerforløb-minute; no help near the family):

- type A: 10 borgerforløb in m0 and 10 in m2; P0 (at m0) and P2 (at m2) cost 1,000 to
  designate, P1 (at m1) 1,100; rådgivning 10 each;
- type B: 10 borgerforløb in m1; only P1 is competent (designation 500).

Plans for A: P0 alone 1,000 + 10 + 10·5 + 10·60 = 1,660, P2 alone the same (the tie), P1
alone 1,100 + 10 + 20·30 = 1,710, P0 and P2 2,000 + 10 + 20·5 = 2,110. B costs P1's
500 + 10 + 10·5 = 560 in every plan. So the optimum is 2,220 (P0 or P2 for A), the next plan
2,270 (P1 for A, 2.25 % above), and:

- slack 0: the best plan and one alternative (the other half of the tie), then no plan that
  differs; the A designation is replaceable by the other provider, P1's B designation is
  needed, P1 for A is never within the slack, the other A provider is possible;
- slack 3 % (cap 2,286.6): a second alternative, P1 for A, and P1 for A is possible.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from conftest import tree_digest, write_tie
from typer.testing import CliRunner

from specialeplan.analyses.alternatives import (
    AlternativesInterrupted,
    difference,
    parse_slack,
    run_alternatives,
)
from specialeplan.analyses.necessity import (
    make_cases,
    necessity_table,
    read_necessity,
    run_necessity,
    solve_cases,
)
from specialeplan.cli import app
from specialeplan.errors import SpecialeplanError
from specialeplan.scenarios.schema import load_scenario
from specialeplan.solvers.base import request_interrupt

runner = CliRunner()
OPTIMUM, NEXT = 2220.0, 2270.0
A_PAIR = {frozenset({("P0", "A"), ("P1", "B")}), frozenset({("P2", "A"), ("P1", "B")})}




@pytest.fixture
def tie(tmp_path: Path) -> Path:
    return write_tie(tmp_path)


def test_parse_slack_reads_percent_and_share() -> None:
    assert parse_slack("2%") == pytest.approx(0.02)
    assert parse_slack("2 %") == pytest.approx(0.02)
    assert parse_slack("0.02") == pytest.approx(0.02)
    assert parse_slack(0) == 0.0
    for bad in ("two", "-1%", "150%", "2%%"):
        with pytest.raises(SpecialeplanError, match="--slack"):
            parse_slack(bad)


def test_difference_is_the_share_not_in_both() -> None:
    a = frozenset({("P0", "A"), ("P1", "B")})
    assert difference(a, a) == 0.0
    assert difference(a, frozenset({("P2", "A"), ("P1", "B")})) == pytest.approx(2 / 3)
    assert difference(frozenset(), frozenset()) == 0.0


def test_slack_zero_finds_the_other_half_of_the_tie_and_stops(tie: Path,
                                                               tmp_path: Path) -> None:
    res = run_alternatives(load_scenario(tie), tmp_path / "out", slack=0.0, count=3)
    plans = [p.designations for p in res.plans]
    assert len(plans) == 2 and set(plans) == A_PAIR
    assert res.bound == pytest.approx(OPTIMUM) and res.cap == pytest.approx(OPTIMUM)
    assert "differs" in res.stopped
    t = pd.read_csv(res.folder / "alternatives.csv")
    assert list(t["plan"]) == ["best", "alt_01"]
    assert list(t["status"]) == ["optimal", "feasible"]
    assert t["objective"].tolist() == pytest.approx([OPTIMUM, OPTIMUM])
    assert t["above_bound_pct"].tolist() == pytest.approx([0.0, 0.0], abs=1e-9)
    assert t.loc[1, "difference_to_nearest_pct"] == pytest.approx(100 * 2 / 3)
    assert (t.loc[1, "added"], t.loc[1, "removed"]) == (1, 1)
    assert set(t["check"]) == {"passed"}
    assert not (res.folder / "runs" / "alt_02").exists()  # the repeat is not kept


def test_slack_three_percent_adds_the_next_plan(tie: Path, tmp_path: Path) -> None:
    res = run_alternatives(load_scenario(tie), tmp_path / "out", slack=0.03, count=4)
    assert len(res.plans) == 3
    assert set(p.designations for p in res.plans[:2]) == A_PAIR  # cheapest first (tie-break)
    assert res.plans[2].designations == {("P1", "A"), ("P1", "B")}
    t = pd.read_csv(res.folder / "alternatives.csv")
    assert t["objective"].tolist() == pytest.approx([OPTIMUM, OPTIMUM, NEXT])
    assert t.loc[2, "above_bound_pct"] == pytest.approx(100 * (NEXT / OPTIMUM - 1))
    assert t.loc[2, "removed_vs_best"].endswith(" A") and t.loc[2, "added_vs_best"] == "P1 A"


def _classes(table: pd.DataFrame) -> dict[tuple[str, str, str], str]:
    return {(r.kind, r.provider_id, r.function): r.necessity for r in table.itertuples()}


def test_necessity_is_the_known_one(tie: Path, tmp_path: Path) -> None:
    res = run_alternatives(load_scenario(tie), tmp_path / "out", slack=0.0, count=3)
    table = run_necessity(res)
    best_a = next(p for p, f in res.plans[0].designations if f == "A")
    other = "P2" if best_a == "P0" else "P0"
    assert _classes(table) == {("designation", best_a, "A"): "replaceable",
                               ("designation", "P1", "B"): "needed",
                               ("candidate", "P1", "A"): "never",
                               ("candidate", other, "A"): "possible"}
    row = table[table["provider_id"] == best_a].iloc[0]
    assert row["replacement"] == other and row["settled_by"] == "alternatives"
    assert row["map_class"] == "sometimes"
    assert read_necessity(res.folder)["necessity"].tolist() == table["necessity"].tolist()
    # the same classes from the MIPs alone (no plans, no LP bounds): the B designation and
    # P1 for A are proven impossible within the cap, the others found
    cases = make_cases(res.built, res.plans[0])
    solve_cases(res, cases, res.cap, 30.0, None, None, lambda *a: None)
    by_mip = necessity_table(res.built, cases)
    assert _classes(by_mip) == _classes(table)
    assert set(by_mip["settled_by"]) == {"mip"}


def test_necessity_of_designations_only(tie: Path, tmp_path: Path) -> None:
    res = run_alternatives(load_scenario(tie), tmp_path / "out", slack=0.0, count=0)
    table = run_necessity(res, candidates=False)
    assert set(table["kind"]) == {"designation"}
    best_a = next(p for p, f in res.plans[0].designations if f == "A")
    other = "P2" if best_a == "P0" else "P0"
    assert _classes(table) == {("designation", best_a, "A"): "replaceable",
                               ("designation", "P1", "B"): "needed"}
    row = table[table["provider_id"] == best_a].iloc[0]  # moved to the other half of the tie
    assert (row["replacement"], row["settled_by"]) == (other, "moves")


def test_necessity_with_slack_lets_p1_in(tie: Path, tmp_path: Path) -> None:
    res = run_alternatives(load_scenario(tie), tmp_path / "out", slack=0.03, count=0)
    table = run_necessity(res)  # only the best plan: the rest by bounds and MIPs
    assert _classes(table)[("candidate", "P1", "A")] == "possible"
    assert _classes(table)[("designation", "P1", "B")] == "needed"


def test_necessity_on_dask_workers_matches_sequential(tie: Path, tmp_path: Path) -> None:
    res = run_alternatives(load_scenario(tie), tmp_path / "out", slack=0.03, count=0)
    seq, par = make_cases(res.built, res.plans[0]), make_cases(res.built, res.plans[0])
    solve_cases(res, seq, res.cap, 30.0, None, None, lambda *a: None)
    solve_cases(res, par, res.cap, 30.0, 2, None, lambda *a: None)
    assert _classes(necessity_table(res.built, par)) == _classes(
        necessity_table(res.built, seq))


def test_interrupt_keeps_finished_plans_and_resume_goes_on(tie: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"

    def stop_at_second(kind: str, plan: str, info: dict) -> None:
        if kind == "start" and plan == "alt_02":
            request_interrupt()

    with pytest.raises(AlternativesInterrupted, match="--resume"):
        run_alternatives(load_scenario(tie), out, slack=0.03, count=3,
                         on_event=stop_at_second)
    root = out / "tie_alternatives"
    assert sorted(p.name for p in (root / "runs").iterdir()) == ["alt_01", "best"]
    assert list(pd.read_csv(root / "alternatives.csv")["plan"]) == ["best", "alt_01"]
    kept = tree_digest(root / "runs" / "alt_01")
    seen: list[tuple[str, str]] = []
    res = run_alternatives(load_scenario(tie), out, slack=0.03, count=3, resume=True,
                           on_event=lambda kind, plan, info: seen.append((kind, plan)))
    assert ("skip", "best") in seen and ("skip", "alt_01") in seen
    assert tree_digest(root / "runs" / "alt_01") == kept
    assert len(res.plans) == 3 and res.plans[2].designations == {("P1", "A"), ("P1", "B")}


def test_cli_alternatives_end_to_end(tie: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    result = runner.invoke(app, ["alternatives", str(tie), "--slack", "0%", "--count", "3",
                                 "--necessity", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "alternatives.csv" in result.output and "needed 1" in result.output
    root = out / "tie_alternatives"
    for plan in ("best", "alt_01"):
        strict = runner.invoke(app, ["check", str(root / "runs" / plan), "--strict"])
        assert strict.exit_code == 0, strict.output
    cmp = runner.invoke(app, ["compare", str(root / "runs" / "best"),
                              str(root / "runs" / "alt_01")])
    assert cmp.exit_code == 0, cmp.output
    again = runner.invoke(app, ["alternatives", str(tie), "--out", str(out)])
    assert again.exit_code == 2 and "--resume" in again.output
    other = runner.invoke(app, ["alternatives", str(tie), "--slack", "5%", "--out", str(out),
                                "--resume"])
    assert other.exit_code == 2 and "another slack" in other.output


@pytest.mark.parametrize("args, message", [
    (["--slack", "lots"], "--slack"), (["--count", "-1"], "--count"),
    (["--workers", "0"], "--workers"), (["--case-time-limit", "0"], "--case-time-limit")])
def test_cli_bad_options_are_named(tie: Path, tmp_path: Path, args: list[str],
                                   message: str) -> None:
    result = runner.invoke(app, ["alternatives", str(tie), "--out", str(tmp_path), *args])
    assert result.exit_code == 2 and message in result.output
    assert not (tmp_path / "tie_alternatives").exists()


def test_sweep_robust_core(tie: Path, tmp_path: Path) -> None:
    """Two runs (designation prices ×1 and ×2: the same tie for A): P1's B designation is
    needed in both (the core); the A designation of each run is replaceable by the other
    half of the tie, so never core."""
    sweep = tmp_path / "sw.yaml"
    sweep.write_text("name: tie-sweep\nscenario: tie.yaml\nexcel: false\nruns:\n"
                     "  plain: {}\n  dear: {model.weights.designation: 2}\n", encoding="utf-8")
    out = tmp_path / "out"
    result = runner.invoke(app, ["sweep", str(sweep), "--out", str(out), "--necessity",
                                 "--slack", "0%"])
    assert result.exit_code == 0, result.output
    assert "robust core: core 1" in result.output
    core = pd.read_csv(out / "tie-sweep" / "core.csv", keep_default_na=False)
    top = core.iloc[0]
    assert (top["provider_id"], top["function"], top["class"]) == ("P1", "B", "core")
    assert (top["runs"], top["designated_in"], top["needed_in"]) == (2, 2, 2)
    a_rows = core[core["function"] == "A"]
    assert set(a_rows["class"]) <= {"always designated", "sometimes"}
    assert a_rows["replaceable_in"].sum() == 2 and a_rows["needed_in"].sum() == 0
    assert set(core.columns) >= {"plain", "dear"}
