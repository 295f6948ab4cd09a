"""End to end through the CLI on a tiny dataset folder: run → results folder → check."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from specialeplan.cli import app
from specialeplan.model.examples import tiny_instance, write_dataset

runner = CliRunner()
LINE = [[5, 30, 60], [30, 5, 30], [60, 30, 5]]


@pytest.fixture
def scenario(tmp_path: Path) -> Path:
    """Line instance m0–m1–m2 (30 min apart), designation 400 and rådgivning 10 per
    provider, reach 40 min."""
    providers = [{"id": f"P{i}", "at": i} for i in range(3)]
    competence = [{"id": f"P{i}", "speciale": "A", "designation_cost": 400,
                   "advisory_cost": 10, "designated_today": i == 0} for i in range(3)]
    inst = tiny_instance(LINE, providers, {(k, "A"): 10 for k in range(3)}, competence,
                         codes=["101", "147", "151"])
    write_dataset(inst, tmp_path / "tiny")
    path = tmp_path / "tiny.yaml"
    path.write_text("name: tiny\ndataset: tiny\nmodel:\n  defaults: {reach_minutes: 40}\n"
                    "  pricing: unit_less\n"  # the hand-derived 1060 below
                    "solver: {mip_rel_gap: 0}\n", encoding="utf-8")
    return path


def test_run_writes_a_checkable_folder(scenario: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    result = runner.invoke(app, ["run", str(scenario), "--out", str(out), "--quiet"])
    assert result.exit_code == 0, result.output
    folder = out / "tiny"
    assert "check passed" in result.output
    expected = {
        "designations.csv": ["provider_id", "municipality_code", "function", "speciale",
                             "target_group", "cases", "is_advisory"],
        "assignments.csv": ["municipality_code", "provider_id", "function", "mode", "cases",
                            "travel_minutes"],
        "coverage.csv": ["municipality_code", "function", "demand", "served", "outreach",
                         "near_family", "unmet", "mean_travel_minutes"],
        "near_family.csv": ["municipality_code", "function", "provider_id",
                            "advisory_provider_id", "advisory_function", "cases"],
        "regions.csv": ["region", "function", "demand", "served_home", "exported",
                        "imported", "near_family", "unmet", "capacity_shortfall"],
        "reach.csv": ["municipality_code", "speciale", "advisory_provider_id", "function",
                      "travel_minutes"],
        "instance/providers.csv": ["provider_id", "municipality_code", "capacity"],
        "instance/competence.csv": ["provider_id", "function", "max_cases"],
        "instance/demand.csv": ["municipality_code", "function", "demand"],
        "instance/functions.csv": ["function", "specialer", "target_group"],
        "instance/travel_minutes.csv": ["from_code", "to_code", "minutes"],
        "instance/function_params.csv": ["function", "min_cases", "max_travel_minutes",
                                         "reach_minutes"],
    }
    for name, cols in expected.items():
        df = pd.read_csv(folder / name)
        assert set(cols) <= set(df.columns), name
    kpis = json.loads((folder / "kpis.json").read_text())
    for key in ("objective", "best_bound", "status", "mip_gap", "build_seconds",
                "solve_seconds", "share_outside_home_municipality", "mean_travel_minutes",
                "max_travel_minutes", "per_function", "outreach_cases",
                "near_family_cases", "moved_cases", "dropped_designations",
                "regions"):
        assert key in kpis
    # P1 alone reaches every municipality within 30 min: 400 + 10 + (300 + 50 + 300) = 1060;
    # any two providers cost at least 800 + 10 + 400 = 1210
    assert kpis["objective"] == pytest.approx(1060)
    assert set(kpis["terms"]) == {"travel", "designation", "advisory", "care", "care_floor",
                                  "unmet", "reach_shortfall", "change", "outreach",
                                  "near_family", "moved", "equity", "expansion"}
    assert kpis["terms"]["care"] == 0  # unit-less pricing: no care term
    assert kpis["per_function"]["A"]["advisory_designations"] == 1
    assert pd.read_csv(folder / "designations.csv")["provider_id"].tolist() == ["P1"]
    assert (folder / "results.xlsx").is_file() and (folder / "solver.log").is_file()
    assert "regions" in pd.ExcelFile(folder / "results.xlsx").sheet_names
    resolved = (folder / "instance" / "scenario.resolved.yaml").read_text()
    assert "data_hashes" in resolved and "package_version" in resolved

    check = runner.invoke(app, ["check", str(folder)])
    assert check.exit_code == 0, check.output
    drawn = runner.invoke(app, ["map", str(folder)])
    assert drawn.exit_code == 0, drawn.output
    assert (folder / "maps" / "A.png").stat().st_size > 10_000
    assert runner.invoke(app, ["map", str(folder), "--speciale", "Z"]).exit_code == 2

    # a hand-broken folder fails the check with a readable violation
    asg = pd.read_csv(folder / "assignments.csv")
    asg.loc[0, "cases"] += 3
    asg.to_csv(folder / "assignments.csv", index=False)
    check = runner.invoke(app, ["check", str(folder)])
    assert check.exit_code == 1
    assert "demand_balance" in check.output


def test_infeasible_scenario_is_explained(scenario: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    result = runner.invoke(app, ["run", str(scenario), "--out", str(out), "--quiet",
                                 "--set", "model.defaults.min_cases=100",
                                 "--set", "model.defaults.min_count=1"])
    assert result.exit_code == 3, result.output
    assert "min_volume" in result.output
    table = pd.read_csv(out / "tiny" / "infeasibility.csv")
    assert {"family", "speciale", "amount"} <= set(table.columns)


def test_bad_inputs_exit_2_with_a_message(scenario: Path, tmp_path: Path) -> None:
    result = runner.invoke(app, ["run", str(scenario), "--out", str(tmp_path / "o"),
                                 "--set", "model.fixed=[{provider_id: P7, speciale: A}]"])
    assert result.exit_code == 2
    assert "unknown provider_id 'P7'" in result.output
    demand = tmp_path / "tiny" / "demand.csv"
    df = pd.read_csv(demand, dtype=str)
    df.loc[1, "demand"] = "-4"
    df.to_csv(demand, index=False)
    result = runner.invoke(app, ["run", str(scenario), "--out", str(tmp_path / "o")])
    assert result.exit_code == 2
    assert "demand.csv" in result.output and "row 3" in result.output
    assert "demand" in result.output


def test_unknown_solver(scenario: Path, tmp_path: Path) -> None:
    result = runner.invoke(app, ["run", str(scenario), "--out", str(tmp_path),
                                 "--set", "solver.name=gurobi"])
    assert result.exit_code == 2
    assert "unknown solver 'gurobi'" in result.output


def test_help_lists_commands() -> None:
    result = runner.invoke(app, ["--help"])
    assert result.exit_code == 0
    for command in ("run", "check", "data", "classic"):
        assert command in result.output
