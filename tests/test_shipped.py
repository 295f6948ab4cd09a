"""Shipped scenarios and sweeps, ``extends:`` by name, readable results folders (names next
to ids, no float noise, the KPI sheet first) and ``data providers``."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from conftest import write_tiny
from typer.testing import CliRunner

from specialeplan.analyses.sweep import load_sweep
from specialeplan.cli import app
from specialeplan.data import load_denmark
from specialeplan.errors import ScenarioError
from specialeplan.model.examples import tiny_instance, write_dataset
from specialeplan.model.sets import check_names
from specialeplan.results.contract import RESULT_TABLES
from specialeplan.scenarios.schema import bundled_scenario_dir, load_scenario

runner = CliRunner()
SCENARIOS = sorted(p.name for p in bundled_scenario_dir().glob("*.yaml"))
SWEEPS = sorted(p.name for p in (bundled_scenario_dir() / "sweeps").glob("*.yaml"))


@pytest.mark.parametrize("name", SCENARIOS)
def test_every_shipped_scenario_is_documented_and_valid(name: str) -> None:
    path = bundled_scenario_dir() / name
    assert path.read_text(encoding="utf-8").startswith("#"), "document it at its top"
    resolved = load_scenario(path)
    check_names(load_denmark(), resolved.scenario.model)


def test_the_issue_scenarios_are_shipped() -> None:
    assert {"demand_2030.yaml", "strict_volume.yaml", "close_to_family.yaml",
            "regional_kept.yaml", "region_loses_places.yaml"} <= set(SCENARIOS)
    assert {"volume_x_travel.yaml", "demand_growth.yaml"} <= set(SWEEPS)


@pytest.mark.parametrize("name", SWEEPS)
def test_every_shipped_sweep_loads(name: str) -> None:
    path = bundled_scenario_dir() / "sweeps" / name
    assert path.read_text(encoding="utf-8").startswith("#")
    sweep = load_sweep(path)
    assert 2 <= len(sweep.runs) <= 12  # small enough to run in minutes
    assert all(r.resolved.scenario.solver.time_limit <= 60 for r in sweep.runs)


@pytest.mark.parametrize("ref", ["base.yaml", "base", "small"])
def test_extends_a_bundled_scenario_from_anywhere(tmp_path: Path, ref: str) -> None:
    child = tmp_path / "mine.yaml"
    child.write_text(f"extends: {ref}\nmodel: {{defaults: {{min_cases: 25}}}}\n",
                     encoding="utf-8")
    sc = load_scenario(child).scenario
    assert sc.name == "mine" and sc.model.defaults.min_cases == 25
    assert sc.dataset == "denmark"


def test_extends_a_sibling_without_suffix(tmp_path: Path) -> None:
    (tmp_path / "parent.yaml").write_text("extends: small\nsolver: {time_limit: 7}\n",
                                          encoding="utf-8")
    (tmp_path / "child.yaml").write_text("extends: parent\n", encoding="utf-8")
    assert load_scenario(tmp_path / "child.yaml").scenario.solver.time_limit == 7
    (tmp_path / "bad.yaml").write_text("extends: smal\n", encoding="utf-8")
    with pytest.raises(ScenarioError, match="Did you mean 'small'"):
        load_scenario(tmp_path / "bad.yaml")


def test_wrong_names_get_did_you_mean(tmp_path: Path) -> None:
    result = runner.invoke(app, ["run", "small", "--set", "model.specialer=[autsme]",
                                 "--out", str(tmp_path)])
    assert result.exit_code == 2 and "Did you mean 'autisme'" in result.output
    result = runner.invoke(app, ["run", "small", "--out", str(tmp_path), "--set",
                                 "model.forbidden=[{provider_id: p0007, speciale: autisme}]"])
    assert result.exit_code == 2 and "Did you mean 'P0007'" in result.output
    result = runner.invoke(app, ["run", "small", "--out", str(tmp_path), "--set",
                                 "model.capacity_changes=[{region: Nordjyland, factor: 0.8}]"])
    assert result.exit_code == 2 and "Did you mean 'Nordjylland'" in result.output


def test_data_providers(tmp_path: Path) -> None:
    result = runner.invoke(app, ["data", "providers", "--speciale", "doevblindhed"])
    assert result.exit_code == 0, result.output
    assert "P0" in result.output and "max_cases" in result.output
    result = runner.invoke(app, ["data", "providers", "--municipality", "Aarhus"])
    assert result.exit_code == 0 and "Aarhus (751)" in result.output
    result = runner.invoke(app, ["data", "providers", "--speciale", "autsme"])
    assert result.exit_code == 2 and "Did you mean 'autisme'" in result.output
    result = runner.invoke(app, ["data", "providers", "--municipality", "Arhus"])
    assert result.exit_code == 2 and "Aarhus" in result.output


def test_data_providers_on_custom_data_with_a_provider_competent_in_nothing(
        tmp_path: Path) -> None:
    """P2 has no competence rows: listed with no specialer, not a crash on int(NaN)."""
    providers = [{"id": f"P{i}", "at": i} for i in range(3)]
    competence = [{"id": f"P{i}", "speciale": "A", "designated_today": i == 0}
                  for i in range(2)]
    inst = tiny_instance([[5, 30, 60], [30, 5, 30], [60, 30, 5]], providers,
                         {(k, "A"): 10 for k in range(3)}, competence,
                         codes=["101", "147", "151"])
    write_dataset(inst, tmp_path / "d")
    result = runner.invoke(app, ["data", "providers", "--data", str(tmp_path / "d")])
    assert result.exit_code == 0, result.output
    rows = {line.split()[1]: line for line in result.output.splitlines()
            if line.split()[1:2] and line.split()[1] in ("P0", "P1", "P2")}
    assert set(rows) == {"P0", "P1", "P2"}
    assert rows["P2"].split("│")[-3].strip() == "0"  # designated today
    assert rows["P0"].split("│")[-3].strip() == "1"


def test_results_are_readable_and_still_check(tmp_path: Path) -> None:
    scenario = write_tiny(tmp_path)
    out = tmp_path / "out"
    result = runner.invoke(app, ["run", str(scenario), "--out", str(out), "--quiet", "--set",
                                 "model.capacity_changes=[{provider_id: P1, factor: 0.5}]",
                                 "--set", "model.weights.travel=0.1"])
    assert result.exit_code == 0, result.output
    assert "check passed" in result.output
    folder = out / "tiny"
    # applications.csv belongs to model.mode applications only (tests/test_applications.py)
    assert not (folder / RESULT_TABLES["applications"].file).exists()
    for name, contract in RESULT_TABLES.items():
        if name == "applications":
            continue
        df = pd.read_csv(folder / contract.file, dtype=str, keep_default_na=False)
        cols = list(df.columns)
        for name_col, id_col in contract.names.items():
            assert cols.index(name_col) == cols.index(id_col) + 1 + sum(
                1 for n, i in contract.names.items() if i == id_col
                and list(contract.names).index(n) < list(contract.names).index(name_col)), name
        text = (folder / contract.file).read_text()
        assert "9999999" not in text and "0000000" not in text, name
    des = pd.read_csv(folder / "designations.csv")
    assert set(des["provider_name"]) <= {"P0", "P1", "P2"}  # tiny providers are named by id
    assert set(des["municipality_name"]) <= {"Kommune 0", "Kommune 1", "Kommune 2"}
    xl = pd.ExcelFile(folder / "results.xlsx")
    assert xl.sheet_names[0] == "kpis"
    kpi = pd.read_excel(xl, sheet_name="kpis").set_index("kpi")["value"]
    assert kpi["status"] == "optimal"
    assert float(kpi["objective"]) == pytest.approx(
        json.loads((folder / "kpis.json").read_text())["objective"])
    prov = pd.read_csv(folder / "instance" / "providers.csv").set_index("provider_id")
    assert prov.loc["P1", "capacity"] == pytest.approx(5e5)  # the solved capacity
