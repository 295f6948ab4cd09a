"""Phased rollout (``specialeplan rollout``) on a hand-solved line instance.

Municipalities m0, m1, m2 (codes 101, 147, 151) on a line, 30 min apart, 5 min inside one;
providers P0, P1, P2 in them, P1 with capacity 30 (the others unlimited); specialer A (10
borgerforløb in each municipality) and B (30 in m1 only); designation cost 400 per pair.

Waves 2027: [A], 2028: [B].
- 2027: A alone → {P1}: 400 + 10·30 + 10·5 + 10·30 = 1050, P1 full (30).
- 2028: A's P1 and its 30 borgerforløb stay (the capacity is not offered again), A's other
  pairs stay closed; B cannot use P1 → {P0} (or {P2}): 400 + 30·30 = 1300; the year's
  plan costs 1050 + 1300 = 2350.
- All at once: B takes P1 (400 + 30·5 = 550), A goes to {P0, P2} (800 + 50 + 300 + 50 =
  1200): 1750. The price of phasing is 600, larger than the gaps (both proven optimal).
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from specialeplan.analyses.rollout import ALL_AT_ONCE, run_rollout
from specialeplan.cli import app
from specialeplan.model.examples import tiny_instance, write_dataset
from specialeplan.scenarios.schema import load_scenario

LINE = [[5, 30, 60], [30, 5, 30], [60, 30, 5]]
CODES = ["101", "147", "151"]
SCENARIO = """name: roll
dataset: data
model:
  families: {moved: false}
  pricing: unit_less             # the hand-derived figures use unit weights
solver: {mip_rel_gap: 0, warm_start: false, time_limit: 60}
rollout:
  2027: [A]
  2028: [B]
"""


def write_case(folder: Path, scenario: str = SCENARIO) -> Path:
    providers = [{"id": "P0", "at": 0}, {"id": "P1", "at": 1, "capacity": 30},
                 {"id": "P2", "at": 2}]
    competence = [{"id": p["id"], "speciale": s, "designation_cost": 400}
                  for p in providers for s in ("A", "B")]
    demand = {(0, "A"): 10, (1, "A"): 10, (2, "A"): 10, (1, "B"): 30}
    inst = tiny_instance(LINE, providers, demand, competence, specialer=("A", "B"),
                         codes=CODES)
    write_dataset(inst, folder / "data")
    path = folder / "roll.yaml"
    path.write_text(scenario, encoding="utf-8")
    return path


def _des(folder: Path) -> pd.DataFrame:
    return pd.read_csv(folder / "designations.csv", dtype={"municipality_code": str})


@pytest.fixture(scope="module")
def rolled(tmp_path_factory: pytest.TempPathFactory):  # noqa: ANN201
    root = tmp_path_factory.mktemp("roll")
    return run_rollout(load_scenario(write_case(root)), root / "out")


def test_waves_and_price_of_phasing(rolled) -> None:  # noqa: ANN001
    assert rolled.complete and [w.year for w in rolled.waves] == [2027, 2028]
    assert [w.objective for w in rolled.waves] == [pytest.approx(1050), pytest.approx(2350)]
    assert rolled.all_at_once.objective == pytest.approx(1750)
    p = rolled.phasing
    assert p["price"] == pytest.approx(600)
    assert p["price_low"] == pytest.approx(600, abs=1e-3)
    assert p["larger_than_gaps"] is True
    assert all(rolled.checks.values()) and set(rolled.checks) == {"2027", "2028",
                                                                   "all_at_once"}


def test_wave_one_designation_is_never_dropped(rolled) -> None:  # noqa: ANN001
    first = _des(rolled.root / "2027")
    later = _des(rolled.root / "2028")
    kept = first.merge(later, on=["provider_id", "function"], suffixes=("", "_later"))
    assert len(kept) == len(first) == 1  # P1/A, in both years
    assert (kept["cases_later"] >= kept["cases"] - 1e-6).all()
    assert (kept["is_advisory_later"] >= kept["is_advisory"]).all()
    # and the resolved scenario of 2028 records the commitment the checker verified
    import yaml

    doc = yaml.safe_load((rolled.root / "2028" / "instance" / "scenario.resolved.yaml")
                         .read_text(encoding="utf-8"))
    assert doc["model"]["committed"] == [{"provider_id": "P1", "function": "A",
                                          "advisory": False, "cases": 30.0}]


def test_capacity_used_by_earlier_waves_is_not_offered_again(rolled) -> None:  # noqa: ANN001
    """P1 (capacity 30) serves A's 30 borgerforløb from 2027; in 2028 B gets nothing there
    although B's demand sits in P1's own municipality."""
    asg = pd.read_csv(rolled.root / "2028" / "assignments.csv")
    at_p1 = asg[asg["provider_id"] == "P1"].groupby("function")["cases"].sum()
    assert at_p1.get("A", 0.0) == pytest.approx(30)
    assert at_p1.get("B", 0.0) == pytest.approx(0, abs=1e-6)
    b = asg[asg["function"] == "B"]
    assert b["cases"].sum() == pytest.approx(30) and set(b["provider_id"]) <= {"P0", "P2"}


def test_timeline_and_summary_files(rolled) -> None:  # noqa: ANN001
    tl = pd.read_csv(rolled.root / "timeline.csv")
    assert list(tl.columns)[:4] == ["year", "wave", "function", "new"]
    assert list(zip(tl["year"], tl["function"], tl["new"], strict=True)) == [
        (2027, "A", True), (2028, "A", False), (2028, "B", True)]
    assert tl.groupby("year")["cost"].sum().to_dict() == {
        2027: pytest.approx(1050), 2028: pytest.approx(2350)}
    b = tl[(tl["year"] == 2028) & (tl["function"] == "B")].iloc[0]
    assert b["mean_travel_minutes"] == pytest.approx(30) and b["designations"] == 1
    summary = json.loads((rolled.root / "rollout.json").read_text(encoding="utf-8"))
    assert summary["complete"] and summary["price_of_phasing"]["price"] == pytest.approx(600)
    book = pd.read_excel(rolled.root / "rollout.xlsx", sheet_name=None)
    assert list(book) == ["timeline", "waves", "price_of_phasing", "unmet_phased_vs_all"]
    assert list(book["waves"]["year"]) == [2027, 2028]
    assert book["price_of_phasing"].at[0, "price"] == pytest.approx(600)


def test_demand_grows_by_year_and_earlier_specialer_keep_their_designations(
        tmp_path: Path) -> None:
    """+10 % a year: A has 33 borgerforløb in 2028; P1 keeps its 30, A's other pairs stay
    closed, so 3 are unmet (the plan shows where an earlier wave runs short)."""
    scen = SCENARIO.replace("  2028: [B]\n", "  2028: [B]\n  demand_growth: 1.1\n")
    out = run_rollout(load_scenario(write_case(tmp_path, scen)), tmp_path / "out",
                      compare=False)
    tl = out.timeline.set_index(["year", "function"])
    assert tl.at[(2027, "A"), "demand"] == pytest.approx(30)
    assert tl.at[(2028, "A"), "demand"] == pytest.approx(33)
    assert tl.at[(2028, "B"), "demand"] == pytest.approx(33)
    assert tl.at[(2028, "A"), "unmet"] == pytest.approx(3)
    assert out.all_at_once is None and out.phasing["price"] is None
    # reopening the earlier specialer lets A add a specialfunktion for its growth instead
    scen2 = scen.replace("  demand_growth: 1.1\n", "  demand_growth: 1.1\n  reopen_earlier: true\n")
    out2 = run_rollout(load_scenario(write_case(tmp_path / "b", scen2)), tmp_path / "b" / "out",
                       compare=False)
    tl2 = out2.timeline.set_index(["year", "function"])
    assert tl2.at[(2028, "A"), "unmet"] == pytest.approx(0, abs=1e-6)
    assert tl2.at[(2028, "A"), "designations"] == 2


def test_cli_rollout_from_an_existing_folder(tmp_path: Path) -> None:
    """Wave 2027 solved by ``run`` first, then ``rollout --from`` takes it and plans 2028;
    a second rollout into the same place is refused without --overwrite."""
    path = write_case(tmp_path)
    first = tmp_path / "first.yaml"
    first.write_text("name: first\nextends: roll.yaml\nmodel: {specialer: [A]}\n",
                     encoding="utf-8")
    runner = CliRunner()
    res = runner.invoke(app, ["run", str(first), "--out", str(tmp_path / "r"), "--quiet"])
    assert res.exit_code == 0, res.output
    args = ["rollout", str(path), "--out", str(tmp_path / "out"), "--from",
            str(tmp_path / "r" / "first"), "--no-excel"]
    res = runner.invoke(app, args)
    assert res.exit_code == 0, res.output
    assert "price of phasing in 2028: 600" in res.output
    assert "larger than the gaps" in res.output
    summary = json.loads((tmp_path / "out" / "roll" / "rollout.json").read_text("utf-8"))
    assert summary["waves"][0]["source"].endswith("first")
    assert (tmp_path / "out" / "roll" / "2027" / "kpis.json").is_file()
    again = runner.invoke(app, args)
    assert again.exit_code == 2 and "--overwrite" in again.output
    res = runner.invoke(app, [*args, "--overwrite", "--no-compare"])
    assert res.exit_code == 0, res.output
    # the earlier rollout's all_at_once/ is gone: rollout.json now says there is none
    summary = json.loads((tmp_path / "out" / "roll" / "rollout.json").read_text("utf-8"))
    assert summary["all_at_once"] is None
    assert not (tmp_path / "out" / "roll" / ALL_AT_ONCE).exists()


def test_a_later_wave_keeps_its_cases_where_radius_would_be_chosen(
        tmp_path: Path) -> None:
    """With every rule off that needs per-arc flows, 'auto' picks the radius formulation
    for wave 2027; wave 2028's committed borgerforløb need the arcs, so 'auto' must pick
    them there (it raised "committed borgerforløb need the per-arc assignment")."""
    scen = SCENARIO.replace("families: {moved: false}", (
        "families: {moved: false, capacity: false, speciale_capacity: false, "
        "min_volume: false, allow_unmet: false, near_family: false, outreach: false}"))
    out = run_rollout(load_scenario(write_case(tmp_path, scen)), tmp_path / "out",
                      compare=False, excel=False)
    assert out.complete, out.stopped
    assert all(out.checks.values()) and set(out.checks) == {"2027", "2028"}
    from specialeplan.api import build
    from specialeplan.results.reload import load_run

    first = load_run(out.root / "2027")  # the case is one where radius is chosen
    assert build(first.instance, first.params).data.assignment == "radius"


@pytest.mark.parametrize(("extra", "message"), [
    ("  2029: [C]\n", "unknown speciale 'C'"),
    ("  2029: [A]\n", "speciale 'A' is in wave 2027 and wave 2029"),
])
def test_bad_rollouts_are_clear_errors(tmp_path: Path, extra: str, message: str) -> None:
    path = write_case(tmp_path, SCENARIO + extra)
    res = CliRunner().invoke(app, ["rollout", str(path), "--out", str(tmp_path / "out")])
    assert res.exit_code == 2
    assert message in res.output


def test_from_folder_must_plan_the_first_wave(tmp_path: Path) -> None:
    path = write_case(tmp_path)
    wrong = tmp_path / "wrong.yaml"
    wrong.write_text("name: wrong\nextends: roll.yaml\nmodel: {specialer: [B]}\n", "utf-8")
    runner = CliRunner()
    assert runner.invoke(app, ["run", str(wrong), "--out", str(tmp_path / "r"),
                               "--quiet"]).exit_code == 0
    res = runner.invoke(app, ["rollout", str(path), "--out", str(tmp_path / "out"), "--from",
                              str(tmp_path / "r" / "wrong")])
    assert res.exit_code == 2 and "must plan exactly the first wave" in res.output


def test_shipped_rollout_2030_covers_every_speciale_in_yearly_waves() -> None:
    from specialeplan.data import load_denmark

    ro = load_scenario(Path(__file__).resolve().parents[1] / "scenarios"
                       / "rollout_2030.yaml").scenario.rollout
    assert ro is not None and ro.years == [2027, 2028, 2029, 2030]
    assert [len(w) for w in ro.waves.values()] == [5, 3, 5, 5]  # 18 specialer
    assert sorted(ro.specialer) == sorted(load_denmark().speciale_ids)
    assert ro.growth("autisme", 2030) == pytest.approx(1.04 ** 4)
    assert ro.growth("misbrug", 2027) == pytest.approx(1.02)


def test_model_specialer_is_not_used_by_a_rollout(tmp_path: Path) -> None:
    write_case(tmp_path)
    child = tmp_path / "child.yaml"
    child.write_text("name: child\nextends: roll.yaml\nmodel: {specialer: [A]}\n", "utf-8")
    res = CliRunner().invoke(app, ["rollout", str(child), "--out", str(tmp_path / "out"),
                                   "--no-compare", "--no-excel"])
    assert res.exit_code == 0, res.output
    assert "model.specialer is not used by a rollout" in res.output.replace("\n", " ")
    assert (tmp_path / "out" / "child" / "2028" / "kpis.json").is_file()


def test_interrupt_after_a_wave_keeps_the_complete_waves(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Ctrl-C while wave 2027 solves: its plan is kept (complete, checked folder), wave 2028
    never starts, and rollout.json says the rollout is incomplete and why. It overwrites a
    complete rollout, whose 2028/ and all_at_once/ go (they would mix with this one)."""
    import specialeplan.api as api_module
    from specialeplan.solvers.base import clear_interrupt, request_interrupt

    real_solve = api_module.solve

    def solve_then_ctrl_c(*args, **kwargs):  # noqa: ANN002, ANN003, ANN202
        outcome = real_solve(*args, **kwargs)
        request_interrupt()  # as the signal handler does
        return outcome

    scenario = load_scenario(write_case(tmp_path))
    assert run_rollout(scenario, tmp_path / "out", excel=False).complete
    monkeypatch.setattr(api_module, "solve", solve_then_ctrl_c)
    try:
        result = run_rollout(scenario, tmp_path / "out", overwrite=True)
    finally:
        clear_interrupt()
    root = tmp_path / "out" / "roll"
    assert not result.complete and result.stopped == "interrupted before wave 2028"
    assert [w.year for w in result.waves] == [2027] and result.checks == {"2027": True}
    assert sorted(p.name for p in root.iterdir() if p.is_dir()) == ["2027"]
    summary = json.loads((root / "rollout.json").read_text("utf-8"))
    assert summary["complete"] is False and summary["stopped"] == result.stopped
    assert summary["price_of_phasing"] == {}
    assert set(pd.read_csv(root / "timeline.csv")["year"]) == {2027}


@pytest.mark.parametrize(("solves", "stopped", "compared"), [
    (2, "interrupted in wave 2028", False),  # the last wave, with its plan
    (3, "interrupted in the all-at-once plan", True),
])
def test_interrupt_in_the_last_wave_or_the_comparison_is_no_complete_rollout(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, solves: int, stopped: str,
        compared: bool) -> None:
    """Ctrl-C in the last wave (which keeps its plan) or in the all-at-once plan: every wave
    is written, but the rollout says it was interrupted (exit 130), not complete."""
    import specialeplan.api as api_module
    from specialeplan.solvers.base import clear_interrupt, request_interrupt

    real_solve = api_module.solve
    calls = []

    def solve_then_ctrl_c(*args, **kwargs):  # noqa: ANN002, ANN003, ANN202
        outcome = real_solve(*args, **kwargs)
        calls.append(1)
        if len(calls) == solves:
            request_interrupt()  # as the signal handler does
        return outcome

    monkeypatch.setattr(api_module, "solve", solve_then_ctrl_c)
    try:
        res = CliRunner().invoke(app, ["rollout", str(write_case(tmp_path)), "--out",
                                       str(tmp_path / "out"), "--no-excel"])
    finally:
        clear_interrupt()
    assert res.exit_code == 130, res.output
    assert stopped in res.output
    root = tmp_path / "out" / "roll"
    summary = json.loads((root / "rollout.json").read_text("utf-8"))
    assert summary["complete"] is False and summary["stopped"] == stopped
    assert [w["year"] for w in summary["waves"]] == [2027, 2028]
    assert (summary["all_at_once"] is not None) is compared
    assert (root / "all_at_once").is_dir() is compared


def test_an_out_root_that_holds_a_run_is_refused(tmp_path: Path) -> None:
    """`specialeplan run` of the same scenario wrote OUT/roll/ (a plan): the rollout must not
    write its years into that folder, not even with --overwrite."""
    path = write_case(tmp_path)
    runner = CliRunner()
    res = runner.invoke(app, ["run", str(path), "--out", str(tmp_path / "out"), "--quiet"])
    assert res.exit_code == 0, res.output
    for extra in ([], ["--overwrite"]):
        res = runner.invoke(app, ["rollout", str(path), "--out", str(tmp_path / "out"),
                                  *extra])
        assert res.exit_code == 2, res.output
        assert "results of a run, not a rollout" in res.output
        assert "Traceback" not in res.output
    assert not (tmp_path / "out" / "roll" / "2027").exists()


def test_a_write_error_is_a_clear_message_with_exit_4(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A full disk while wave 2028 is written: exit 4, a message naming the cause, no
    traceback; wave 2027's folder stays."""
    import errno

    import specialeplan.results.writer as writer_module

    real = writer_module.write_results

    def full_disk(outcome, resolved, folder, **kw):  # noqa: ANN001, ANN003, ANN202
        if "2028" in str(resolved.chain[-1]):
            raise OSError(errno.ENOSPC, "No space left on device", str(folder / "x.csv"))
        return real(outcome, resolved, folder, **kw)

    monkeypatch.setattr(writer_module, "write_results", full_disk)
    res = CliRunner().invoke(app, ["rollout", str(write_case(tmp_path)), "--out",
                                   str(tmp_path / "out"), "--no-excel"])
    assert res.exit_code == 4, res.output
    assert "No space left on device" in res.output and "disk is full" in res.output
    assert res.exception is None or isinstance(res.exception, SystemExit)
    assert (tmp_path / "out" / "roll" / "2027" / "kpis.json").is_file()



# ----------------------------------------------------------------------- notice and people
def _record(year: int | str, new: list[str], unmet: dict[str, float], kpis: dict,
            objective: float | None = None, bound: float | None = None):  # noqa: ANN202
    from specialeplan.analyses.rollout import WaveRecord

    rows = pd.DataFrame({"function": list(unmet), "designations": 1,
                         "advisory_designations": 0, "demand": 10.0, "served": 10.0,
                         "near_family": 0.0, "unmet": list(unmet.values()),
                         "mean_travel_minutes": 5.0, "cost": 1.0, "places_built": 0.0,
                         "places_built_total": 0.0, "investment_dkk": 0.0})
    gap = None if objective is None or bound is None else (objective - bound) / objective
    return WaveRecord(year, new, list(unmet), None, "optimal", objective, bound, gap,
                      rows=rows, kpis=kpis)


def test_notice_weeks_dates_the_moves_of_each_wave() -> None:
    """A speciale's moves (kpis per_function.moved; 0 when absent) are dated by its own
    wave: decided 1 January of the wave's year, effective notice_weeks later (whole days,
    rounded up); a year that moves no one has no effective date."""
    from specialeplan.analyses.rollout import notice_lines, timeline_table
    from specialeplan.scenarios.rollout import Rollout

    waves = [_record(2027, ["A"], {"A": 0.0}, {"per_function": {"A": {"moved": 4.0}}}),
             _record(2028, ["B"], {"A": 0.0, "B": 0.0},
                     {"per_function": {"A": {"moved": 4.0}, "B": {}}})]
    ro = Rollout(waves={2027: ["A"], 2028: ["B"]})
    assert ro.notice_weeks == 14
    tl = timeline_table(ro, waves)
    assert list(zip(tl["year"], tl["function"], tl["moved_cases"], tl["decided"],
                    tl["moves_effective_from"], strict=True)) == [
        (2027, "A", 4.0, "2027-01-01", "2027-04-09"),  # 1 January + 98 days
        (2028, "A", 4.0, "2027-01-01", "2027-04-09"),  # decided with A's wave
        (2028, "B", 0.0, "2028-01-01", "")]
    assert notice_lines(tl, 14) == [
        "moves decided 2027-01-01: 4.0 borgerforløb of today's caseload (A 4.0), effective "
        "from 2027-04-09 at the earliest (rollout.notice_weeks: 14 weeks' notice)"]
    short = timeline_table(Rollout(waves={2027: ["A"], 2028: ["B"]}, notice_weeks=1.5), waves)
    assert list(short["moves_effective_from"]) == ["2027-01-12", "2027-01-12", ""]  # 11 days
    none = timeline_table(ro, [_record(2027, ["A"], {"A": 0.0}, {})])
    assert list(none["moved_cases"]) == [0.0] and list(none["moves_effective_from"]) == [""]
    assert "no borgerforløb of today's caseload are moved" in notice_lines(none, 14)[0]


@pytest.mark.parametrize(("value", "why"), [
    ("-1", "greater than or equal to 0"), ("x", "valid number"), ("true", "valid number"),
    ("600", "less than or equal to 520"), (".inf", "finite number")])
def test_a_bad_notice_period_is_a_clear_error(tmp_path: Path, value: str, why: str) -> None:
    path = write_case(tmp_path, SCENARIO + f"  notice_weeks: {value}\n")
    res = CliRunner().invoke(app, ["rollout", str(path), "--out", str(tmp_path / "out")])
    assert res.exit_code == 2, res.output
    assert "rollout.notice_weeks" in res.output and why in res.output
    assert "Traceback" not in res.output and not (tmp_path / "out").exists()


def test_price_of_phasing_in_its_unit_with_people_and_the_combined_gap() -> None:
    """The price keeps its keys and adds: the unit kpis.json names, the unmet borgerforløb
    phased vs all at once (in all and per speciale), the unmet penalty set apart, and whether
    the difference exceeds the sum of both absolute gaps."""
    from specialeplan.analyses.rollout import phasing_sentence, price_of_phasing

    kp = {"objective_unit": "DKK/yr", "terms": {"unmet": 3000.0, "travel": 1.0}}
    ka = {"objective_unit": "DKK/yr", "terms": {"unmet": 0.0, "travel": 1.0}}
    phased = _record(2028, ["B"], {"A": 3.0, "B": 1.0}, kp, objective=10_000, bound=9_900)
    together = _record("all_at_once", [], {"A": 0.0, "B": 1.0}, ka, objective=6_000,
                       bound=5_950)
    p = price_of_phasing(phased, together)
    assert p["price"] == pytest.approx(4_000) and p["price_low"] == pytest.approx(3_900)
    assert p["larger_than_gaps"] is True
    assert p["objective_unit"] == "DKK/yr"
    assert p["combined_gap"] == pytest.approx(150) and p["exceeds_combined_gaps"] is True
    assert (p["unmet_phased"], p["unmet_all_at_once"], p["unmet_added"]) == (4.0, 1.0, 3.0)
    assert p["unmet_per_speciale"] == {"A": {"phased": 3.0, "all_at_once": 0.0, "added": 3.0},
                                       "B": {"phased": 1.0, "all_at_once": 1.0, "added": 0.0}}
    assert p["unmet_penalty_difference"] == pytest.approx(3000)
    assert p["price_excluding_unmet_penalty"] == pytest.approx(1000)
    text = phasing_sentence(p)
    assert "price of phasing in 2028: 4,000 DKK/yr" in text
    assert "combined gap of the two solves: 150 DKK/yr; the difference exceeds it" in text
    assert "4.0 borgerforløb phased, 1.0 all at once (+3.0)" in text
    assert "A 3.0 vs 0.0" in text and "B 1.0" not in text  # only the specialer that differ
    # a difference within the combined gaps says so; an unnamed unit is "objective units"
    close = price_of_phasing(_record(2028, ["B"], {"A": 0.0}, {}, 6_100, 5_900),
                             _record("all_at_once", [], {"A": 0.0}, {}, 6_000, 5_950))
    assert close["combined_gap"] == pytest.approx(250)
    assert close["exceeds_combined_gaps"] is False and close["larger_than_gaps"] is False
    assert close["objective_unit"] == "objective units"
    assert close["unmet_penalty_difference"] is None  # the kpis have no terms
    assert "does not exceed it (not significant at this gap)" in phasing_sentence(close)
    # a side without a bound: no combined gap, no verdict on it
    nobound = price_of_phasing(_record(2028, ["B"], {"A": 0.0}, {}, 6_100, None),
                               _record("all_at_once", [], {"A": 0.0}, {}, 6_000, 5_950))
    assert nobound["combined_gap"] is None and nobound["exceeds_combined_gaps"] is None


def test_unmet_people_of_phasing_and_notice_in_the_files_and_the_cli(tmp_path: Path) -> None:
    """+10 % a year: phased, A's 2027 specialfunktion P1 (capacity 30) keeps its 30 and A's
    other pairs stay closed, so 3 of A's 33 borgerforløb are unmet in 2028; all at once none
    (see test_demand_grows_by_year...). No one of today's caseload is moved (no current
    borgerforløb), so no notice is needed."""
    from specialeplan.analyses.units import objective_unit, read_kpis

    scen = SCENARIO.replace("  2028: [B]\n", "  2028: [B]\n  demand_growth: 1.1\n")
    path = write_case(tmp_path, scen)
    res = CliRunner().invoke(app, ["rollout", str(path), "--out", str(tmp_path / "out")])
    assert res.exit_code == 0, res.output
    root = tmp_path / "out" / "roll"
    summary = json.loads((root / "rollout.json").read_text("utf-8"))
    assert summary["notice_weeks"] == 14 and summary["rollout"]["notice_weeks"] == 14
    assert summary["objective_unit"] == objective_unit(read_kpis(root / "2027"))
    p = summary["price_of_phasing"]
    assert p["objective_unit"] == objective_unit(read_kpis(root / "2028"))
    assert p["unmet_phased"] == pytest.approx(3) and p["unmet_all_at_once"] == pytest.approx(0)
    assert p["unmet_per_speciale"]["A"]["added"] == pytest.approx(3)
    assert p["unmet_per_speciale"]["B"]["added"] == pytest.approx(0, abs=1e-6)
    assert p["combined_gap"] == pytest.approx(0, abs=1e-3) and p["exceeds_combined_gaps"]
    terms = (read_kpis(root / "2028")["terms"]["unmet"]
             - read_kpis(root / "all_at_once")["terms"]["unmet"])
    assert p["unmet_penalty_difference"] == pytest.approx(terms)
    assert p["price_excluding_unmet_penalty"] == pytest.approx(p["price"] - terms)
    out = " ".join(res.output.split())
    assert "3.0 borgerforløb phased, 0.0 all at once (+3.0)" in out
    assert "A 3.0 vs 0.0" in out and "the difference exceeds it" in out
    assert f"price of phasing in 2028: {p['price']:,.0f} {p['objective_unit']}" in out
    assert "no borgerforløb of today's caseload are moved" in out
    tl = pd.read_csv(root / "timeline.csv", keep_default_na=False)
    assert list(tl.columns[-3:]) == ["moved_cases", "decided", "moves_effective_from"]
    assert set(tl["moves_effective_from"]) == {""}
    book = pd.read_excel(root / "rollout.xlsx", sheet_name=None)
    unmet = book["unmet_phased_vs_all"].set_index("function")
    assert unmet.at["A", "added"] == pytest.approx(3)


def test_the_timeline_takes_the_moves_from_each_year_s_kpis(tmp_path: Path) -> None:
    """P2 serves 10 of A's borgerforløb today: timeline.csv's moved_cases is each year
    folder's kpis per_function.moved, and a year that moves some gets the effective date
    (decided + 14 weeks)."""
    from specialeplan.analyses.units import read_kpis

    providers = [{"id": "P0", "at": 0}, {"id": "P1", "at": 1, "capacity": 30},
                 {"id": "P2", "at": 2}]
    competence = [{"id": p["id"], "speciale": s, "designation_cost": 400,
                   "current_cases": 10.0 if (p["id"], s) == ("P2", "A") else 0.0}
                  for p in providers for s in ("A", "B")]
    demand = {(0, "A"): 10, (1, "A"): 10, (2, "A"): 10, (1, "B"): 30}
    write_dataset(tiny_instance(LINE, providers, demand, competence, specialer=("A", "B"),
                                codes=CODES), tmp_path / "data")
    path = tmp_path / "roll.yaml"
    path.write_text(SCENARIO + "  notice_weeks: 2\n", encoding="utf-8")
    # today's residents stay by default: this rollout allows moves (a scenario choice)
    out = run_rollout(load_scenario(path, ["model.families.allow_moves=true"]),
                      tmp_path / "out", compare=False, excel=False)
    tl = pd.read_csv(out.root / "timeline.csv", keep_default_na=False)
    for r in tl.itertuples():
        kpis = read_kpis(out.root / str(r.year))
        assert r.moved_cases == pytest.approx(
            kpis["per_function"][r.function].get("moved", 0.0))
        assert r.decided == f"{r.wave}-01-01"
        assert r.moves_effective_from == (f"{r.wave}-01-15" if r.moved_cases > 1e-6 else "")
    assert list(tl["moved_cases"]) == [10.0, 10.0, 0.0]  # P2's 10 of A, both years


BUILD = """name: build
dataset: data
model:
  families: {moved: false}
  pricing: unit_less
  expansions:
    - {provider_id: P1, function: A, places: 10, investment_dkk: 1000000, annual_cost_dkk: 100000}
    - {provider_id: P1, function: B, places: 30, investment_dkk: 3000000, annual_cost_dkk: 300000}
  expansion_budget_dkk: %s
solver: {mip_rel_gap: 0, warm_start: false, time_limit: 60}
rollout:
  2027: [A]
  2028: [B]
"""


def _build_case(root: Path, budget: float) -> Path:
    """The line instance with P1's capacity 20 and two candidate expansions at P1 (annual
    cost 100 and 300, in thousand as the objective): issue 23, capacity built by waves."""
    providers = [{"id": "P0", "at": 0}, {"id": "P1", "at": 1, "capacity": 20},
                 {"id": "P2", "at": 2}]
    competence = [{"id": p["id"], "speciale": s, "designation_cost": 400}
                  for p in providers for s in ("A", "B")]
    demand = {(0, "A"): 10, (1, "A"): 10, (2, "A"): 10, (1, "B"): 30}
    write_dataset(tiny_instance(LINE, providers, demand, competence, specialer=("A", "B"),
                                codes=CODES), root / "data")
    (root / "build.yaml").write_text(BUILD % budget, encoding="utf-8")
    return root / "build.yaml"


def test_waves_build_capacity_and_later_waves_keep_it(tmp_path: Path) -> None:
    """By hand, P1 has 20 places:
    - 2027, A: {P1} + its 10 places (100 a year): 400 + 10·30 + 10·5 + 10·30 + 100 = 1150,
      cheaper than {P0, P2} or {P0, P1} (1200 each);
    - 2028, B (30 in m1): P1 is full with A's 30 (held); B's expansion at P1 (300 a year,
      3 mio kr within the 3 mio kr budget of the year): 400 + 30·5 + 300 = 850 < {P0} 1300;
      A's expansion stays (built in 2027, outside 2028's budget): 1150 + 850 = 2000;
    - with a budget of 2 mio kr a year, B's is out of reach: 1150 + 1300 = 2450."""
    outcome = run_rollout(load_scenario(_build_case(tmp_path, 3e6)), tmp_path / "out")
    assert outcome.complete and all(outcome.checks.values())
    assert [w.objective for w in outcome.waves] == [pytest.approx(1150), pytest.approx(2000)]
    ch = pd.read_csv(outcome.root / "2028" / "capacity_changes.csv")
    assert ch[["entry", "function", "places"]].values.tolist() == [[1, "A", 10], [2, "B", 30]]
    import yaml

    doc = yaml.safe_load((outcome.root / "2028" / "instance" / "scenario.resolved.yaml")
                         .read_text(encoding="utf-8"))
    assert [e["built"] for e in doc["model"]["expansions"]] == [True, False]
    tl = pd.read_csv(outcome.root / "timeline.csv").set_index(["year", "function"])
    assert tl.loc[(2027, "A"), ["places_built", "places_built_total"]].tolist() == [10, 10]
    assert tl.loc[(2028, "A"), ["places_built", "places_built_total"]].tolist() == [0, 10]
    assert tl.loc[(2028, "B"), ["places_built", "investment_dkk"]].tolist() == [30, 3e6]
    assert tl.groupby(level="year")["cost"].sum().to_dict() == {
        2027: pytest.approx(1150), 2028: pytest.approx(2000)}
    # the all-at-once plan gets both years' budgets (6 mio kr)
    doc = yaml.safe_load((outcome.root / ALL_AT_ONCE / "instance" / "scenario.resolved.yaml")
                         .read_text(encoding="utf-8"))
    assert doc["model"]["expansion_budget_dkk"] == 6e6
    tight = run_rollout(load_scenario(_build_case(tmp_path / "tight", 2e6)),
                        tmp_path / "tight" / "out", compare=False)
    assert [w.objective for w in tight.waves] == [pytest.approx(1150), pytest.approx(2450)]


def test_the_checker_rejects_a_wave_that_drops_what_an_earlier_wave_built(
        tmp_path: Path) -> None:
    import shutil

    import yaml

    from specialeplan.checker import check_results
    from specialeplan.results.writer import file_hashes

    outcome = run_rollout(load_scenario(_build_case(tmp_path, 3e6)), tmp_path / "out",
                          compare=False)
    folder = shutil.copytree(outcome.root / "2028", tmp_path / "dropped")
    ch = pd.read_csv(folder / "capacity_changes.csv")
    ch[ch["function"] != "A"].to_csv(folder / "capacity_changes.csv", index=False)
    path = folder / "instance" / "scenario.resolved.yaml"
    doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    doc["file_hashes"] = file_hashes(folder)
    path.write_text(yaml.safe_dump(doc, sort_keys=False, allow_unicode=True), encoding="utf-8")
    text = check_results(folder).to_text()
    assert "was built by an earlier wave (built: true) but is missing" in text


def test_each_wave_takes_the_applications_of_its_year() -> None:
    """In applications mode a wave's plan_year is its own year: applications with a later
    from_year are not in force yet (model/applications.py)."""
    from specialeplan.analyses.rollout import wave_params
    from specialeplan.model.params import ModelParams
    from specialeplan.scenarios.rollout import Rollout

    ro = Rollout.model_validate({2027: ["A"], 2028: ["B"]})
    base = ModelParams.model_validate({"mode": "applications", "plan_year": 2040})
    assert wave_params(base, ro, 2028, ["A", "B"], [], []).plan_year == 2028
    assert wave_params(ModelParams(), ro, 2028, ["A", "B"], [], []).plan_year is None


def test_the_timeline_costs_add_up_to_each_year_s_objective_in_kroner(tmp_path: Path) -> None:
    """Priced in kroner (bundled data), the per-type ``cost`` of timeline.csv includes the
    care term and minus its floor, and today's residents kept transitionally are no moves:
    the parts add up to the year's objective."""
    path = tmp_path / "kr.yaml"
    path.write_text("name: kr\nextends: base.yaml\nmodel: {specialer: null}\n"
                    "solver: {time_limit: 120, mip_rel_gap: 0.01}\n"
                    "rollout: {2027: [selvskade], 2028: [udadreagerende_unge]}\n",
                    encoding="utf-8")
    outcome = run_rollout(load_scenario(path), tmp_path / "out", compare=False)
    assert outcome.complete
    tl = pd.read_csv(outcome.root / "timeline.csv")
    for w in outcome.waves:
        assert tl.loc[tl["year"] == w.year, "cost"].sum() == pytest.approx(w.objective,
                                                                            rel=1e-6)
