"""The plan's cost in kroner and who pays it (docs/costs.md): the cost table and its
validation, the refusion tiers, ``kpis.json → cost_dkk`` and ``financing.csv`` on the tiny
instance by hand, and the checker's reconciliation.

Hand-derived numbers (tiny instance of ``conftest.write_tiny``: municipalities 101, 147,
151 on a line 30 min apart, 5 min inside one, 10 borgerforløb each of speciale A,
population 1000 each; the optimum designates P1 alone, in 147, as specialfunktion and
rådgivningsfunktion; designation_cost 400 and advisory_cost 10 thousand DKK):

- Refusion of one case at 2,500,000 kr (tiers 25 % 860,000–1,680,000, 50 % 1,680,000–
  2,120,000, 75 % above): 0.25·820,000 + 0.5·440,000 + 0.75·380,000 = 205,000 + 220,000 +
  285,000 = 710,000 kr. At 1,400,000 kr: 0.25·540,000 = 135,000 kr. At 800,000: 0.
- With ``costs: {price_residential: {default: 1000000, A: 2500000}}`` (A's own price):
  each municipality's 10 residential cases cost 25,000,000 kr, 7,100,000 kr are refunded,
  net 17,900,000 kr; care in all 75,000,000 kr.
- Advisory base funding: P1's advisory_cost 10 × 1,000 = 10,000 kr, split by population
  share 1/3: 3,333.33 kr per municipality; designations 400 × 1,000 = 400,000 kr.
- Family travel (default 24 visits, 3.81 kr/km, 95 km/h, 100 kr/h): Σ cases·minutes = 10·5
  (147 at home) + 10·30 + 10·30 = 650; 650 × 24 × 2 × (95 × 3.81 + 100) / 60 =
  650 × 0.8 × 461.95 = 240,214 kr.

Outreach instance (:func:`test_outreach_and_today_by_hand`): municipalities 101 and 147, 40
min apart (5 inside), populations 3000 and 1000; one outreach provider P0 in 101
(designation_cost 100, advisory_cost 20, 3 current cases, designated and advisory today);
demand 4 in 101 and 6 in 147; ``costs: {price_outreach: 900000}``:

- care 10 × 900,000 = 9,000,000 kr; refund per case 0.25 × 40,000 = 10,000 kr: 101 pays
  3,600,000 − 40,000 = 3,560,000, 147 pays 5,400,000 − 60,000 = 5,340,000;
- base funding 20,000 kr split 3/4 : 1/4 → 15,000 and 5,000 kr;
- staff travel: Σ cases·minutes = 4·5 + 6·40 = 260; 52 × 2 × (95 × 3.81 + 450) / 60 =
  1,407.38 kr per case-minute → 365,918.8 kr; family travel 0;
- today: 3 × 900,000 (an outreach provider's cases at the outreach price) = 2,700,000 kr
  care, 100,000 designations, 20,000 base funding; change in care +6,300,000.
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
import yaml
from conftest import write_tiny

from specialeplan.checker import check_results
from specialeplan.checker.files import recorded_hashes
from specialeplan.data.costs import (
    COSTS_FILE,
    PARAMETERS,
    TIERS_FILE,
    bundled_costs_dir,
    load_costs,
    read_costs,
    read_tiers,
    with_overrides,
)
from specialeplan.data.loader import load_instance_dir
from specialeplan.errors import DataValidationError, ScenarioError
from specialeplan.model.examples import tiny_instance, write_dataset
from specialeplan.pipeline import solve_into_folder
from specialeplan.scenarios.schema import load_scenario

SCENARIO = ("name: tiny\ndataset: tiny\nmodel:\n  defaults: {reach_minutes: 40}\n"
            "  weights: {unmet: 6000}\n"  # t.kr.: serving A (2.5 mio kr) beats leaving it unmet
            "solver: {mip_rel_gap: 0}\n"
            "costs: {price_residential: {default: 1000000, A: 2500000}}\n")


def test_refund_by_hand() -> None:
    table = load_costs()
    assert list(table.refund([2_500_000, 1_400_000, 800_000, 2_120_000])) == pytest.approx(
        [710_000, 135_000, 0, 0.25 * 820_000 + 0.5 * 440_000])


def test_bundled_table_has_every_parameter_with_unit_and_source() -> None:
    c = load_costs().costs
    assert set(c["parameter"]) == set(PARAMETERS)
    assert (c["unit"] != "").all() and (c["source"] != "").all()
    assert load_costs().value("km_rate") == 3.81


@pytest.fixture(scope="module")
def costed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("costs")
    record = solve_into_folder(load_scenario(write_tiny(root, SCENARIO)), root / "out")
    assert record.check is not None and not record.check.violations
    return record.folder


def test_cost_block_and_financing_by_hand(costed: Path) -> None:
    block = json.loads((costed / "kpis.json").read_text(encoding="utf-8"))["cost_dkk"]
    assert block["care"] == pytest.approx(75_000_000)
    assert block["designations"] == pytest.approx(400_000)
    assert block["advisory_base_funding"] == pytest.approx(10_000)
    assert block["family_travel"] == pytest.approx(240_214)
    assert block["outreach_staff_travel"] == 0
    # two designations differ from today's (none designated today): 2 × change_cost, once
    assert block["designation_changes"] == pytest.approx(2 * 50_000)
    assert block["moves"] == 0 and block["unmet_alternative"] == 0
    assert block["total"] == pytest.approx(75_000_000 + 400_000 + 10_000 + 240_214 + 100_000)
    assert block["refunded"] == pytest.approx(3 * 7_100_000)
    assert block["per_function"]["A"]["care"] == pytest.approx(75_000_000)
    fin = pd.read_csv(costed / "financing.csv", dtype={"municipality_code": str})
    assert list(fin["municipality_code"]) == ["101", "147", "151"]
    assert fin["care_cost_dkk"].tolist() == pytest.approx([25_000_000] * 3)
    assert fin["refunded_dkk"].tolist() == pytest.approx([7_100_000] * 3)
    assert fin["net_cost_dkk"].tolist() == pytest.approx([17_900_000] * 3)
    assert fin["base_funding_dkk"].tolist() == pytest.approx([10_000 / 3] * 3)
    assert fin["base_funding_dkk"].sum() == pytest.approx(block["advisory_base_funding"])
    costs = pd.read_csv(costed / "instance" / "costs.csv", keep_default_na=False)
    prices = costs[costs["parameter"] == "price_residential"].set_index("function")
    assert prices["value"].astype(float).to_dict() == {"": 1_000_000, "A": 2_500_000}
    assert "scenario override" in prices.at["A", "source"]
    assert (costed / "instance" / "refusion_tiers.csv").is_file()
    assert "costs" in pd.ExcelFile(costed / "results.xlsx").sheet_names
    resolved = yaml.safe_load((costed / "instance" / "scenario.resolved.yaml").read_text(
        encoding="utf-8"))
    assert resolved["costs"] == {"price_residential": {"default": 1e6, "A": 2.5e6}}


def _rehash(folder: Path, rel: str) -> None:
    """Record the edited file's hash, so that only the cost rule can object."""
    import hashlib

    path = folder / "instance" / "scenario.resolved.yaml"
    doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    doc["file_hashes"][rel] = hashlib.sha256((folder / rel).read_bytes()).hexdigest()
    path.write_text(yaml.safe_dump(doc, sort_keys=False, allow_unicode=True), encoding="utf-8")


def _copy(src: Path, dst: Path) -> Path:
    import shutil

    shutil.copytree(src, dst)
    return dst


def test_checker_catches_a_broken_financing_row(costed: Path, tmp_path: Path) -> None:
    folder = _copy(costed, tmp_path / "f")
    fin = pd.read_csv(folder / "financing.csv", dtype=str, keep_default_na=False)
    fin.loc[1, "refunded_dkk"] = "26000000"  # more than the cost, and net no longer adds up
    fin.to_csv(folder / "financing.csv", index=False)
    _rehash(folder, "financing.csv")
    assert "financing.csv" in recorded_hashes(folder)
    messages = [v.message for v in check_results(folder).violations if v.family == "costs"]
    assert any("refunded 2.6e+07 exceeds the cost" in m or "exceeds the cost" in m
               for m in messages), messages
    assert any("net_cost_dkk" in m for m in messages), messages


def test_checker_catches_a_wrong_kpi_and_a_changed_cost_table(costed: Path,
                                                               tmp_path: Path) -> None:
    folder = _copy(costed, tmp_path / "k")
    kpis = json.loads((folder / "kpis.json").read_text(encoding="utf-8"))
    kpis["cost_dkk"]["care"] = 1.0
    (folder / "kpis.json").write_text(json.dumps(kpis), encoding="utf-8")
    messages = [v.message for v in check_results(folder).violations if v.family == "costs"]
    assert any(m.startswith("cost_dkk.care") for m in messages), messages
    assert any("Σ care_cost_dkk" in m for m in messages), messages
    folder = _copy(costed, tmp_path / "c")
    rel = "instance/costs.csv"
    text = (folder / rel).read_text(encoding="utf-8").replace("2500000.0", "2400000.0")
    (folder / rel).write_text(text, encoding="utf-8")
    _rehash(folder, rel)
    messages = [v.message for v in check_results(folder).violations if v.family == "costs"]
    assert any("financing.csv municipality 101" in m and "care_cost_dkk" in m
               for m in messages), messages


def test_checker_notes_a_folder_without_costs(costed: Path, tmp_path: Path) -> None:
    folder = _copy(costed, tmp_path / "old")
    for rel in ("financing.csv", "instance/costs.csv", "instance/refusion_tiers.csv"):
        (folder / rel).unlink()
    path = folder / "instance" / "scenario.resolved.yaml"
    doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    for rel in ("financing.csv", "instance/costs.csv", "instance/refusion_tiers.csv"):
        del doc["file_hashes"][rel]
    path.write_text(yaml.safe_dump(doc, sort_keys=False, allow_unicode=True), encoding="utf-8")
    kpis = json.loads((folder / "kpis.json").read_text(encoding="utf-8"))
    del kpis["cost_dkk"]
    care = kpis["terms"].pop("care") + kpis["terms"].pop("care_floor")  # not yet priced
    for key in ("objective", "objective_recomputed", "best_bound"):
        kpis[key] -= care
    (folder / "kpis.json").write_text(json.dumps(kpis), encoding="utf-8")
    report = check_results(folder)
    assert not report.violations
    assert any("costs in kroner were not checked" in n for n in report.notes)


def _bundled_text(name: str) -> str:
    return (bundled_costs_dir() / name).read_text(encoding="utf-8")


#: the row number (header = row 1) of a row appended to the bundled costs.csv
APPENDED = len(_bundled_text(COSTS_FILE).splitlines()) + 1


@pytest.mark.parametrize(("edit", "row", "field", "words"), [
    (lambda t: t.replace("km_rate,,3.81", "km_rat,,3.81"), 6, "parameter", "Did you mean"),
    (lambda t: t.replace("km_rate,,3.81", "km_rate,,abc"), 6, "value", "expected a number"),
    (lambda t: t.replace("km_rate,,3.81", "km_rate,,"), 6, "value", "missing value"),
    (lambda t: t.replace("km_rate,,3.81", "km_rate,,-3.81"), 6, "value", "must be >= 0"),
    (lambda t: t.replace("km_rate,,3.81", "km_rate,A,3.81"), 6, "function",
     "one value for all specialfunktioner"),
    (lambda t: t + "price_outreach,B,1,DKK,assumption: x,\n", APPENDED, "function",
     "unknown specialfunktion"),
    (lambda t: t + "price_outreach,,1,DKK,assumption: x,\n", APPENDED, "parameter",
     "already given in row 3"),
    (lambda t: t + "price_outreach,A,1,,assumption: x,\n", APPENDED, "unit", "empty unit"),
])
def test_bad_cost_rows_are_named(tmp_path: Path, edit, row: int, field: str,
                                 words: str) -> None:
    path = tmp_path / COSTS_FILE
    path.write_text(edit(_bundled_text(COSTS_FILE)), encoding="utf-8")
    with pytest.raises(DataValidationError) as err:
        read_costs(path, {"A"})
    assert (err.value.file, err.value.row, err.value.field) == (str(path), row, field)
    assert words in err.value.detail


@pytest.mark.parametrize(("text", "row", "field", "words"), [
    ("lower_dkk,upper_dkk,rate,source\n0,100,0.2,x\n50,200,0.5,x\n", 3, "lower_dkk",
     "overlaps"),
    ("lower_dkk,upper_dkk,rate,source\n0,100,-0.2,x\n", 2, "rate", "must be >= 0"),
    ("lower_dkk,upper_dkk,rate,source\n0,100,1.5,x\n", 2, "rate", "share in [0, 1]"),
    ("lower_dkk,upper_dkk,rate,source\n100,50,0.5,x\n", 2, "upper_dkk", "must be above"),
    ("lower_dkk,upper_dkk,rate,source\nabc,50,0.5,x\n", 2, "lower_dkk", "expected a number"),
])
def test_bad_tiers_are_named(tmp_path: Path, text: str, row: int, field: str,
                             words: str) -> None:
    path = tmp_path / TIERS_FILE
    path.write_text(text, encoding="utf-8")
    with pytest.raises(DataValidationError) as err:
        read_tiers(path)
    assert (err.value.row, err.value.field) == (row, field)
    assert words in err.value.detail


def test_dataset_folder_carries_its_own_cost_table(tmp_path: Path) -> None:
    write_tiny(tmp_path)
    own = _bundled_text(COSTS_FILE).replace("km_rate,,3.81", "km_rate,,2.5")
    (tmp_path / "tiny" / COSTS_FILE).write_text(own, encoding="utf-8")
    inst = load_instance_dir(tmp_path / "tiny")
    assert inst.sources["costs"] == str(tmp_path / "tiny" / COSTS_FILE)
    assert inst.sources["refusion_tiers"] == str(bundled_costs_dir() / TIERS_FILE)
    (tmp_path / "tiny" / COSTS_FILE).write_text(own.replace("km_rate,,2.5", "km_rate,,x"),
                                                encoding="utf-8")
    with pytest.raises(DataValidationError, match="row 6, field 'value'"):
        load_instance_dir(tmp_path / "tiny")


def test_scenario_cost_overrides(tmp_path: Path) -> None:
    bad = SCENARIO.replace("price_residential", "price_residentail", 1)
    with pytest.raises(ScenarioError, match="Did you mean 'price_residential'"):
        load_scenario(write_tiny(tmp_path, bad))
    with pytest.raises(ScenarioError, match="one number for all specialer"):
        load_scenario(write_tiny(tmp_path, SCENARIO.replace(
            "{price_residential: {default: 1000000, A: 2500000}}", "{km_rate: {A: 2}}")))
    resolved = load_scenario(write_tiny(tmp_path), ["costs.km_rate=2.5"])
    assert resolved.scenario.costs == {"km_rate": 2.5}  # --set and sweep axes reach costs
    table = with_overrides(load_costs(), {"price_outreach": {"default": 4e5, "A": 6e5}}, {"A"})
    assert table.price("outreach", "A") == 6e5
    assert table.price("outreach", "B") == 4e5
    with pytest.raises(ScenarioError, match="unknown speciale 'Z'"):
        with_overrides(load_costs(), {"price_outreach": {"Z": 1.0}}, {"A"})


def test_outreach_and_today_by_hand(tmp_path: Path) -> None:
    inst = tiny_instance([[5, 40], [40, 5]], [{"id": "P0", "at": 0, "kind": "outreach"}],
                         {(0, "A"): 4, (1, "A"): 6},
                         [{"id": "P0", "speciale": "A", "designation_cost": 100,
                           "advisory_cost": 20, "current_cases": 3, "designated_today": True,
                           "advisory_today": True}], codes=["101", "147"])
    write_dataset(inst, tmp_path / "out")
    munis = pd.read_csv(tmp_path / "out" / "municipalities.csv", dtype=str)
    munis["population"] = ["3000", "1000"]
    munis.to_csv(tmp_path / "out" / "municipalities.csv", index=False)
    scenario = tmp_path / "o.yaml"
    scenario.write_text("name: o\ndataset: out\nmodel:\n  defaults: {reach_minutes: 60}\n"
                        "solver: {mip_rel_gap: 0}\ncosts: {price_outreach: 900000}\n",
                        encoding="utf-8")
    record = solve_into_folder(load_scenario(scenario), tmp_path / "res")
    assert record.check is not None and not record.check.violations
    block = json.loads((record.folder / "kpis.json").read_text(encoding="utf-8"))["cost_dkk"]
    assert block["care"] == pytest.approx(9_000_000)
    assert block["refunded"] == pytest.approx(100_000)
    assert block["family_travel"] == 0
    assert block["outreach_staff_travel"] == pytest.approx(365_918.8)
    assert block["total"] == pytest.approx(9_000_000 + 100_000 + 20_000 + 365_918.8)
    assert block["today"]["care"] == pytest.approx(2_700_000)
    assert block["today"]["designations"] == pytest.approx(100_000)
    assert block["today"]["advisory_base_funding"] == pytest.approx(20_000)
    assert block["change_vs_today"]["care"] == pytest.approx(6_300_000)
    fin = pd.read_csv(record.folder / "financing.csv", dtype={"municipality_code": str})
    assert fin["population_share"].tolist() == pytest.approx([0.75, 0.25])
    assert fin["base_funding_dkk"].tolist() == pytest.approx([15_000, 5_000])
    assert fin["outreach_cases"].tolist() == pytest.approx([4, 6])
    assert fin["net_cost_dkk"].tolist() == pytest.approx([3_560_000, 5_340_000])
    # a wrong today figure is caught
    kpis = json.loads((record.folder / "kpis.json").read_text(encoding="utf-8"))
    kpis["cost_dkk"]["today"]["care"] = 4_200_000  # priced as residential places
    (record.folder / "kpis.json").write_text(json.dumps(kpis), encoding="utf-8")
    messages = [v.message for v in check_results(record.folder).violations]
    assert any(m.startswith("cost_dkk.today.care") for m in messages), messages


def test_bad_override_fails_before_the_solve(tmp_path: Path) -> None:
    scenario = write_tiny(tmp_path, SCENARIO.replace(
        "{price_residential: {default: 1000000, A: 2500000}}", "{price_outreach: {Z: 1}}"))
    with pytest.raises(ScenarioError, match="unknown speciale 'Z'"):
        solve_into_folder(load_scenario(scenario), tmp_path / "out")
    assert not (tmp_path / "out" / "tiny").exists()


# ----------------------------------------------------------- the objective in kroner (issue 21)
def test_objective_prices_trace_to_the_cost_table(costed: Path) -> None:
    """Every term's price says where it comes from; the table's travel price is
    24 visits × 2 × (95/60 km/min × 3.81 kr + 100/60 kr/min) = 369.56 kr per borgerforløb-
    minute, 0.36956 t.kr.; the unmet price was set by the scenario (6,000 t.kr.)."""
    kpis = json.loads((costed / "kpis.json").read_text(encoding="utf-8"))
    prices = kpis["objective_prices"]
    assert prices["travel"]["value"] == pytest.approx(24 * 2 * (95 / 60 * 3.81 + 100 / 60) / 1000)
    assert prices["travel"]["from"].startswith("costs.csv: family_visits_per_year")
    assert prices["unmet"] == {"value": 6000.0, "unit": "thousand DKK per unmet borgerforløb "
                               "per year", "from": "scenario model.weights.unmet"}
    assert kpis["objective_unit"].startswith("thousand DKK per year")
    # care − floor ≥ 0: the floor is a lower bound on care (every demand served here)
    assert kpis["terms"]["care"] + kpis["terms"]["care_floor"] >= -1e-6


def test_checker_catches_a_price_that_is_not_the_tables(costed: Path, tmp_path: Path) -> None:
    folder = _copy(costed, tmp_path / "p")
    kpis = json.loads((folder / "kpis.json").read_text(encoding="utf-8"))
    kpis["objective_prices"]["travel"]["value"] = 0.1
    (folder / "kpis.json").write_text(json.dumps(kpis), encoding="utf-8")
    messages = [v.message for v in check_results(folder).violations if v.family == "costs"]
    assert any("objective_prices.travel" in m and "instance/costs.csv" in m
               for m in messages), messages


def test_objective_reconciles_with_the_costs_when_the_table_prices_everything(
        tmp_path: Path) -> None:
    """Without a scenario price, objective × 1000 + care floor = cost_dkk.total + value
    judgements (the checker verifies it; here by hand too)."""
    plain = SCENARIO.replace("  weights: {unmet: 6000}\n", "")
    record = solve_into_folder(load_scenario(write_tiny(tmp_path, plain)), tmp_path / "out")
    assert record.check is not None and not record.check.violations
    kpis = json.loads((record.folder / "kpis.json").read_text(encoding="utf-8"))
    block = kpis["cost_dkk"]
    judged = block["value_judgements"]
    assert kpis["objective"] * 1000 + kpis["care_floor_dkk"] == pytest.approx(
        block["total"] + judged["unmet_quality_penalty"] + judged["reach_shortfall_penalty"])


def test_a_cost_override_reprices_the_objective(tmp_path: Path) -> None:
    """family_time_valued.yaml's kind of override: value_of_time 250 kr/h, 52 visits."""
    scenario = SCENARIO.replace("costs: {", "costs: {value_of_time: 250, "
                                "family_visits_per_year: 52, ")
    record = solve_into_folder(load_scenario(write_tiny(tmp_path, scenario)), tmp_path / "o")
    kpis = json.loads((record.folder / "kpis.json").read_text(encoding="utf-8"))
    assert kpis["objective_prices"]["travel"]["value"] == pytest.approx(
        52 * 2 * (95 / 60 * 3.81 + 250 / 60) / 1000)
    text = (record.folder / "instance" / "costs.csv").read_text(encoding="utf-8")
    assert "scenario override" in text
