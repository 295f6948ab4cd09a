"""Approval after application and the gaps it leaves (issue 23, part 2), on a hand-solved
instance, checked from the files alone.

Two municipalities m0 (101, region Nord) and m1 (147, region Syd), 60 minutes apart, 5 within
one. One type A, demand 10 in each. P0 in m0 (designation 100) applies with 10 places from
2027; P1 in m1 (designation 2000) does not apply; P2 in m1 (designation 2500) applies from
2031. Unit-less prices
(travel 1 per borgerforløb-minute, unmet 10,000), reach 100 minutes, no minimum volume, no
help near the family.

By hand, ``plan_year: 2028`` (P2 not yet in force):
- only P0 may be designated; its 10 places take m0's 10 (5 minutes): 50 + 100 = 150, and m1's
  10 are the gap (Syd): 100,000 at the penalty; objective 100,150;
- the closure (P0 approved): an expansion of P0 by 10 places at 500 a year gives m1's 10 a
  place at 60 minutes: 600 + 500 = 1100 more than the 150 (objective 1250); a påbud to P1 costs
  2000 + 50 = 2050 more (objective 2200). The expansion closes the gap;
- the same expansion at 2000 a year (objective 2750): the påbud to P1 closes it (2200).
With ``plan_year: 2031``, P2 (10 places) is in force: designated, no gap, 50 + 100 + 50 + 2500
= 2700.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pandas as pd
import pytest

from specialeplan.errors import DataValidationError, ScenarioError, SpecialeplanError
from specialeplan.model.examples import tiny_instance, write_dataset

MINUTES = [[5, 60], [60, 5]]
PROVIDERS = [{"id": "P0", "at": 0}, {"id": "P1", "at": 1}, {"id": "P2", "at": 1}]
DEMAND = {(0, "A"): 10, (1, "A"): 10}
COMPETENCE = [{"id": p, "function": "A", "designation_cost": cost, "advisory_cost": 0}
              for p, cost in (("P0", 100), ("P1", 2000), ("P2", 2500))]
APPLICATIONS = "provider_id,function,places,from_year\nP0,A,10,2027\nP2,A,10,2031\n"
SCENARIO = """name: apps
dataset: data
model:
  pricing: unit_less
  mode: applications
  plan_year: {year}
  defaults: {{reach_minutes: 100, min_cases: 0}}
  families: {{near_family: false}}
  expansions: [{{provider_id: P0, function: A, places: 10, annual_cost_dkk: {annual}}}]
solver: {{mip_rel_gap: 0}}
"""


def _dataset(root: Path, applications: str = APPLICATIONS) -> Path:
    data = write_dataset(tiny_instance(MINUTES, PROVIDERS, DEMAND, COMPETENCE,
                                       codes=["101", "147"], regions=["Nord", "Syd"]),
                         root / "data")
    (data / "applications.csv").write_text(applications, encoding="utf-8")
    return data


def _solve(root: Path, year: int = 2028, annual: int = 500_000):  # noqa: ANN202
    from specialeplan.pipeline import solve_into_folder
    from specialeplan.scenarios.schema import load_scenario

    if not (root / "data").is_dir():
        _dataset(root)
    (root / "s.yaml").write_text(SCENARIO.format(year=year, annual=annual), encoding="utf-8")
    return solve_into_folder(load_scenario(root / "s.yaml"), root / "out", excel=False,
                             overwrite=True)


def _kpis(folder: Path) -> dict:
    return json.loads((folder / "kpis.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def plan(tmp_path_factory: pytest.TempPathFactory) -> Path:
    record = _solve(tmp_path_factory.mktemp("applications"))
    assert record.check is not None and not record.check.violations
    return record.folder


def test_only_applications_in_force_are_designated_and_the_rest_is_the_gap(plan: Path) -> None:
    kpis = _kpis(plan)
    assert kpis["objective"] == pytest.approx(100_150.0)
    assert kpis["gap_cases"] == pytest.approx(10.0)
    assert (kpis["applications_needed"], kpis["applications_not_needed"],
            kpis["applications_later"], kpis["applications_order"]) == (1, 0, 1, 0)
    des = pd.read_csv(plan / "designations.csv")
    assert des["provider_id"].tolist() == ["P0"] and des.at[0, "cases"] == pytest.approx(10)
    apps = pd.read_csv(plan / "applications.csv")
    assert apps[["provider_id", "status", "cases"]].values.tolist() == [
        ["P0", "needed", 10.0], ["P2", "later", 0.0]]
    # the places offered are the pair's places in the solved inputs; no expansion is built
    comp = pd.read_csv(plan / "instance" / "competence.csv").set_index("provider_id")
    assert comp.at["P0", "max_cases"] == 10
    assert pd.read_csv(plan / "capacity_changes.csv").empty
    reg = pd.read_csv(plan / "regions.csv").set_index("region")
    assert reg.at["Syd", "unmet"] == pytest.approx(10) and reg.at["Nord", "unmet"] == 0


def test_an_application_from_a_later_year_counts_in_that_year(tmp_path: Path) -> None:
    record = _solve(tmp_path, year=2031)
    assert record.check is not None and not record.check.violations
    kpis = _kpis(record.folder)
    assert kpis["objective"] == pytest.approx(2700.0) and kpis["gap_cases"] == 0
    apps = pd.read_csv(record.folder / "applications.csv")
    assert apps[["provider_id", "status"]].values.tolist() == [["P0", "needed"],
                                                               ["P2", "needed"]]


@pytest.mark.parametrize(("annual", "objective", "closed_by", "kind"), [
    (500_000, 1250.0, "P0 +10 (10)", "expansion"),
    (2_000_000, 2200.0, "påbud P1 (10)", "order"),
])
def test_a_gap_is_reported_with_its_cheapest_closure(tmp_path: Path, annual: int,
                                                     objective: float, closed_by: str,
                                                     kind: str) -> None:
    from typer.testing import CliRunner

    from specialeplan.analyses.capacity import capacity_overview
    from specialeplan.analyses.gaps import closure_actions, closure_folder
    from specialeplan.cli import app

    plan = _solve(tmp_path, annual=annual).folder
    result = CliRunner().invoke(app, ["capacity", str(plan), "--close-gaps"])
    assert result.exit_code == 0, result.output
    closure = closure_folder(plan)
    assert closure.name == "apps_closure" and "check passed" in result.output
    assert _kpis(closure)["objective"] == pytest.approx(objective)
    actions = closure_actions(closure)
    assert actions["kind"].tolist() == [kind]
    table = capacity_overview(plan, closure=closure).set_index("region")
    assert table.at["Syd", "gap"] == pytest.approx(10)
    assert table.at["Syd", "closed_by"] == closed_by
    assert table.at["Syd", "gap_after"] == 0 and table.at["Nord", "closed_by"] == ""
    assert "Gaps and what closes them" in result.output
    # the needed application stays approved in the closure
    apps = pd.read_csv(closure / "applications.csv")
    assert "P0" in set(apps.loc[apps["status"] == "needed", "provider_id"])
    # run again: the closure folder is kept unless --overwrite
    again = CliRunner().invoke(app, ["capacity", str(plan), "--close-gaps"])
    assert again.exit_code != 0 and "overwrite" in again.output
    assert CliRunner().invoke(app, ["capacity", str(plan), "--close-gaps",
                                    "--overwrite"]).exit_code == 0


def test_close_gaps_refuses_a_plan_that_is_not_of_applications(tmp_path: Path) -> None:
    from specialeplan.analyses.gaps import close_gaps

    plan = _solve(tmp_path).folder
    path = plan / "instance" / "scenario.resolved.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace("mode: applications",
                                                             "mode: designate"),
                    encoding="utf-8")
    with pytest.raises(SpecialeplanError, match="model.mode 'applications'"):
        close_gaps(plan)
    with pytest.raises(SpecialeplanError, match="no such results folder"):  # a typo
        close_gaps(plan.parent / "aplications")


def test_the_checker_verifies_the_applications_from_the_files(plan: Path,
                                                              tmp_path: Path) -> None:
    import yaml

    from specialeplan.checker import check_results
    from specialeplan.results.writer import file_hashes

    def broken(name: str, file: str, edit) -> str:  # noqa: ANN001
        folder = shutil.copytree(plan, tmp_path / name)
        df = pd.read_csv(folder / file)
        edit(df).to_csv(folder / file, index=False)
        path = folder / "instance" / "scenario.resolved.yaml"
        doc = yaml.safe_load(path.read_text(encoding="utf-8"))
        doc["file_hashes"] = file_hashes(folder)  # the rule, not the tamper check, must catch it
        path.write_text(yaml.safe_dump(doc, sort_keys=False, allow_unicode=True),
                        encoding="utf-8")
        report = check_results(folder)
        return "\n".join(v.message for v in report.violations if v.family == "applications")

    # more places than offered
    text = broken("places", "instance/competence.csv",
                  lambda df: df.assign(max_cases=df["max_cases"].where(
                      df["provider_id"] != "P0", 20)))
    assert "offers 10 places" in text
    # a designation without an application in force: P2 applies only from 2031
    text = broken("later", "instance/applications.csv",
                  lambda df: df.assign(from_year=2031))
    assert "P0/A is a specialfunktion in designations.csv but has no application" in text
    # a status the plan does not imply
    text = broken("status", "applications.csv",
                  lambda df: df.assign(status=df["status"].replace("needed", "not_needed")))
    assert "lacks P0/A with status needed" in text


@pytest.mark.parametrize(("text", "message"), [
    ("provider_id,function,places\nP9,A,10\n", "unknown provider id"),
    ("provider_id,function,places\nP0,A,ten\n", "expected a finite number"),
    ("provider_id,function,places,from_year\nP0,A,10,27.5\n", "from_year must be a year"),
    ("provider_id,function\nP0,A\n", "missing required column"),
])
def test_a_bad_applications_file_is_named(tmp_path: Path, text: str, message: str) -> None:
    from specialeplan.data.loader import load_instance_dir

    data = _dataset(tmp_path, text)
    with pytest.raises(DataValidationError, match=message) as err:
        load_instance_dir(data)
    assert "applications.csv" in str(err.value)


def test_applications_mode_needs_an_applications_file(tmp_path: Path) -> None:
    _dataset(tmp_path)
    (tmp_path / "data" / "applications.csv").unlink()
    with pytest.raises(ScenarioError, match="no applications.csv"):
        _solve(tmp_path)


def test_the_bundled_applications_scenario_runs_end_to_end(tmp_path: Path) -> None:
    """`specialeplan run applications`, then `capacity --close-gaps`: the 2030 gaps of the
    synthetic applications are closed, every folder checks, and the overview is written."""
    from typer.testing import CliRunner

    from specialeplan.cli import app

    run = CliRunner().invoke(app, ["run", "applications", "--out", str(tmp_path), "--quiet"])
    assert run.exit_code == 0, run.output
    assert "no application serves" in run.output and "--close-gaps" in run.output
    plan = tmp_path / "applications"
    kpis = _kpis(plan)
    resolved = (plan / "instance" / "scenario.resolved.yaml").read_text(encoding="utf-8")
    assert "dataset_synthetic: true" in resolved  # the bundled applications are drawn
    assert kpis["gap_cases"] > 1 and kpis["applications_needed"] > 0
    apps = pd.read_csv(plan / "applications.csv")
    assert set(apps["status"]) <= {"needed", "not_needed", "later"}
    out = tmp_path / "capacity.xlsx"
    cap = CliRunner().invoke(app, ["capacity", str(plan), "--close-gaps", "--out", str(out)])
    assert cap.exit_code == 0, cap.output
    assert "check passed" in cap.output and "Gaps and what closes them" in cap.output
    table = pd.read_excel(out)
    gaps = table[(table["gap"] > 0) & (table["region"] != "national")]
    assert len(gaps) and (gaps["gap_after"] < gaps["gap"]).all()
    assert (gaps["closed_by"].fillna("") != "").any()
