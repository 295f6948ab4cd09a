"""``compare`` on two hand-made results folders: the deltas are derived by hand below.

A is the checker's hand-built folder (``test_checker.write_tiny_results``: objective 1902,
proven optimal, so its absolute gap is 0). B is a copy changed by hand:

- kpis.json: objective 1950 with best bound 1900 (absolute gap 50, so the combined gap is
  0 + 50 = 50); terms travel 255 → 300 (Δ 45 ≤ 50: not significant), designation 250 →
  350 (Δ 100 > 50: beyond the gap); the objective's Δ 48 ≤ 50: not significant;
  mean_travel_minutes 510/29 → 1500/29 (flag of the travel term: not significant).
- designations: P3/autisme removed, P1/misbrug added; P1/autisme and P3/misbrug kept.
- assignments: Aarhus (751) autisme goes to P1 (180 min) instead of P3 (15 min).
  Mean family travel per served borgerforløb (outreach counts 0):
  A: København (101) (12·10 + 1·180)/13 = 300/13, Frederiksberg (147) 20,
  Aarhus (751) (6·15 + 4·0)/10 = 9; B: Aarhus (6·180)/10 = 108, so Δ = +99 there, 0 elsewhere.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pandas as pd
import pytest
from test_checker import write_tiny_results
from typer.testing import CliRunner

from specialeplan.analyses.compare import NOT_SIGNIFICANT, SIGNIFICANT, compare_folders
from specialeplan.cli import app
from specialeplan.errors import DataValidationError

runner = CliRunner()


@pytest.fixture
def folders(tmp_path: Path) -> tuple[Path, Path]:
    a = write_tiny_results(tmp_path / "A")
    b = tmp_path / "B"
    shutil.copytree(a, b)
    kpis = json.loads((b / "kpis.json").read_text())
    kpis.update(objective=1950.0, best_bound=1900.0, mip_gap=50 / 1950, status="time_limit",
                mean_travel_minutes=1500 / 29)
    kpis["terms"].update(travel=300.0, designation=350.0)
    (b / "kpis.json").write_text(json.dumps(kpis))
    des = pd.read_csv(b / "designations.csv", dtype={"municipality_code": str})
    des = des[~((des["provider_id"] == "P3") & (des["function"] == "autisme"))]
    extra = des.iloc[[0]].assign(function="misbrug", speciale="misbrug", is_advisory=False)
    pd.concat([des, extra]).to_csv(b / "designations.csv", index=False)
    asg = pd.read_csv(b / "assignments.csv", dtype={"municipality_code": str})
    row = (asg["municipality_code"] == "751") & (asg["function"] == "autisme")
    asg.loc[row, ["provider_id", "travel_minutes"]] = ["P1", 180.0]
    asg.to_csv(b / "assignments.csv", index=False)
    return a, b


def test_hand_derived_deltas_and_gap_flags(folders: tuple[Path, Path]) -> None:
    a, b = folders
    c = compare_folders(a, b, verify=False)  # B is edited by hand: arithmetic only
    assert c.combined_gap == pytest.approx(50.0)
    k = c.kpis.set_index("metric")
    assert k.loc["objective", "delta"] == pytest.approx(48.0)
    assert k.loc["objective", "flag"] == NOT_SIGNIFICANT
    assert k.loc["term travel", "delta"] == pytest.approx(45.0)
    assert k.loc["term travel", "flag"] == NOT_SIGNIFICANT
    assert k.loc["term designation", "delta"] == pytest.approx(100.0)
    assert k.loc["term designation", "delta_pct"] == pytest.approx(0.4)
    assert k.loc["term designation", "flag"] == SIGNIFICANT
    assert k.loc["term unmet", "delta"] == 0 and k.loc["term unmet", "flag"] == NOT_SIGNIFICANT
    assert k.loc["mean_travel_minutes", "delta"] == pytest.approx(990 / 29)
    assert k.loc["mean_travel_minutes", "flag"] == NOT_SIGNIFICANT  # the travel term's flag
    assert pd.isna(k.loc["designations", "flag"])  # a count: no flag
    d = c.designations.set_index(["function", "provider_id"])
    assert d.loc[("autisme", "P3"), "change"] == "removed"
    assert d.loc[("misbrug", "P1"), "change"] == "added"
    assert d.loc[("misbrug", "P1"), "provider_name"] == "Tilbud 1"
    assert d.loc[("misbrug", "P1"), "municipality_name"] == "København"
    assert set(d.loc[d["change"] == "kept"].index) == {("autisme", "P1"), ("misbrug", "P3")}
    assert c.speciale_changes().set_index("speciale").loc["misbrug"].tolist() == [1, 0, 1]
    assert c.function_changes().set_index("function").loc["misbrug"].tolist() == [1, 0, 1]
    m = c.municipalities
    assert m.iloc[0]["municipality_name"] == "Aarhus"
    assert m.iloc[0]["mean_travel_a"] == pytest.approx(9.0)
    assert m.iloc[0]["delta"] == pytest.approx(99.0)
    assert m.set_index("municipality_code").loc["101", "mean_travel_a"] == \
        pytest.approx(300 / 13)
    assert m.set_index("municipality_code").loc["101", "delta"] == pytest.approx(0.0)


def test_a_larger_difference_is_beyond_the_gap(folders: tuple[Path, Path]) -> None:
    a, b = folders
    kpis = json.loads((b / "kpis.json").read_text())
    kpis.update(objective=1953.0, best_bound=1903.0)  # Δ 51 > combined gap 50
    (b / "kpis.json").write_text(json.dumps(kpis))
    kpis_rows = compare_folders(a, b, verify=False).kpis.set_index("metric")
    assert kpis_rows.loc["objective", "flag"] == SIGNIFICANT


@pytest.mark.parametrize("suffix", [".csv", ".xlsx", ".json"])
def test_cli_compare_prints_and_writes(folders: tuple[Path, Path], tmp_path: Path,
                                       suffix: str) -> None:
    a, b = folders
    out = tmp_path / f"cmp{suffix}"
    result = runner.invoke(app, ["compare", str(a), str(b), "--out", str(out), "--no-verify"])
    assert result.exit_code == 0, result.output
    assert NOT_SIGNIFICANT in result.output and "P1 Tilbud 1 (København)" in result.output
    assert "Aarhus (751)" in result.output and "+99.0" in result.output
    if suffix == ".csv":
        df = pd.read_csv(out)
        assert set(df["table"]) == {"kpis", "designations", "municipalities"}
    elif suffix == ".xlsx":
        assert pd.ExcelFile(out).sheet_names == ["kpis", "designations", "municipalities"]
    else:
        doc = json.loads(out.read_text())
        obj = next(r for r in doc["kpis"] if r["metric"] == "objective")
        assert obj["delta"] == pytest.approx(48.0) and obj["flag"] == NOT_SIGNIFICANT


def test_compare_needs_folders(tmp_path: Path) -> None:
    result = runner.invoke(app, ["compare", str(tmp_path / "x"), str(tmp_path / "y")])
    assert result.exit_code == 2 and "no such results folder" in result.output
    result = runner.invoke(app, ["compare", str(tmp_path)])
    assert result.exit_code == 2


def test_lost_service_is_listed_first(folders: tuple[Path, Path]) -> None:
    """B serves nobody in Aarhus (751): no delta, yet the largest change, listed first."""
    a, b = folders
    asg = pd.read_csv(b / "assignments.csv", dtype={"municipality_code": str})
    asg[asg["municipality_code"] != "751"].to_csv(b / "assignments.csv", index=False)
    m = compare_folders(a, b, top=1, verify=False).municipalities
    assert m.iloc[0]["municipality_name"] == "Aarhus" and m.iloc[0]["served_in"] == "A only"
    assert m.iloc[0]["mean_travel_a"] == pytest.approx(9.0)
    assert pd.isna(m.iloc[0]["mean_travel_b"]) and pd.isna(m.iloc[0]["delta"])
    assert set(compare_folders(
        b, a, verify=False).municipalities["served_in"]) == {"B only", "both"}
    result = runner.invoke(app, ["compare", str(a), str(b), "--no-verify"])
    assert result.exit_code == 0, result.output
    assert "not served in B" in result.output and "nan" not in result.output


def test_compare_out_must_be_csv_xlsx_or_json(folders: tuple[Path, Path],
                                              tmp_path: Path) -> None:
    a, b = folders
    result = runner.invoke(app, ["compare", str(a), str(b), "--out", str(tmp_path / "x.xls"),
                                  "--no-verify"])
    assert result.exit_code == 2 and isinstance(result.exception, SystemExit), result.output
    assert "use a .csv, .xlsx or .json file" in result.output
    assert not (tmp_path / "x.xls").exists()


def test_compare_names_the_folder_that_is_not_a_results_folder(
        folders: tuple[Path, Path], tmp_path: Path) -> None:
    a, _ = folders
    empty = tmp_path / "not_results"
    empty.mkdir()
    with pytest.raises(DataValidationError, match="not_results") as exc:
        compare_folders(a, empty)
    assert "kpis.json" in str(exc.value) and "results folder" in str(exc.value)
    # kpis.json there, instance/ missing: named, not a FileNotFoundError
    half = tmp_path / "half"
    shutil.copytree(a, half)
    shutil.rmtree(half / "instance")
    result = runner.invoke(app, ["compare", str(a), str(half)])
    assert result.exit_code == 2, result.output
    assert isinstance(result.exception, SystemExit)  # a message, no traceback
    assert "half" in result.output and "instance/" in result.output  # the missing file
