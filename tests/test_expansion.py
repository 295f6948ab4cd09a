"""Capacity where it is missing (issue 23): candidate expansions built next to the
designations, on a hand-solved instance, checked from the files alone.

Two municipalities m0, m1 (codes 101, 147), 60 minutes apart, 5 minutes within one. One
speciale A (one type, A). Demand 10 in each. P0 at m0: 10 places, designation 100. P1 at m1:
designation 2000. Unit-less prices (travel 1 per borgerforløb-minute, unmet 10,000), no
minimum volume, rådgivning free, reach 100 minutes, no help near the family.

By hand:
- without expansions: P0 and P1, everyone at home: 2 · 10 · 5 (travel) + 100 + 2000 = 2200
  (P0 alone leaves 10 unmet: 100,000 more);
- expansion of P0 by 10 places at 500 a year (annual_cost_dkk 500,000: the objective is in
  thousand): P0 takes all 20, m1's 10 at 60 minutes: 50 + 600 + 100 + 500 = 1250 < 2200, so it
  is built and P1 is not designated;
- the same expansion at 2000 a year: 2750 > 2200, not built;
- at 500 a year but an investment of 3 mio kr against a budget of 2 mio kr: not built, 2200.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pandas as pd
import pytest

from specialeplan.errors import ScenarioError
from specialeplan.model.examples import tiny_instance, write_dataset

MINUTES = [[5, 60], [60, 5]]
PROVIDERS = [{"id": "P0", "at": 0, "capacity": 10}, {"id": "P1", "at": 1}]
DEMAND = {(0, "A"): 10, (1, "A"): 10}
COMPETENCE = [{"id": "P0", "function": "A", "max_cases": 10, "designation_cost": 100,
               "advisory_cost": 0},
              {"id": "P1", "function": "A", "designation_cost": 2000, "advisory_cost": 0}]
SCENARIO = """name: expansion
dataset: data
model:
  pricing: unit_less
  defaults: {reach_minutes: 100, min_cases: 0}
  families: {near_family: false}
{extra}
solver: {{mip_rel_gap: 0}}
"""
EXPAND = "  expansions: [{provider_id: P0, function: A, places: 10, annual_cost_dkk: %s%s}]"


def _solve(root: Path, extra: str):  # noqa: ANN202
    from specialeplan.pipeline import solve_into_folder
    from specialeplan.scenarios.schema import load_scenario

    if not (root / "data").is_dir():
        write_dataset(tiny_instance(MINUTES, PROVIDERS, DEMAND, COMPETENCE,
                                    codes=["101", "147"]), root / "data")
    (root / "s.yaml").write_text(SCENARIO.replace("{extra}", extra).replace("{{", "{")
                                 .replace("}}", "}"), encoding="utf-8")
    return solve_into_folder(load_scenario(root / "s.yaml"), root / "out", excel=False,
                             overwrite=True)


def _kpis(folder: Path) -> dict:
    return json.loads((folder / "kpis.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    record = _solve(tmp_path_factory.mktemp("expansion"), EXPAND % (500_000, ""))
    assert record.check is not None and not record.check.violations
    return record.folder


def test_an_expansion_beats_a_far_away_designation_when_it_costs_less(built: Path) -> None:
    kpis = _kpis(built)
    assert kpis["objective"] == pytest.approx(1250.0)
    assert kpis["terms"]["expansion"] == pytest.approx(500.0)
    des = pd.read_csv(built / "designations.csv")
    assert des["provider_id"].tolist() == ["P0"] and des.at[0, "cases"] == pytest.approx(20)
    ch = pd.read_csv(built / "capacity_changes.csv")
    assert ch[["entry", "provider_id", "function", "places"]].values.tolist() == [
        [1, "P0", "A", 10]]
    assert ch.at[0, "places_before"] == 10 and ch.at[0, "places_after"] == 20
    assert ch.at[0, "cases"] == pytest.approx(20)
    assert kpis["expansions_built"] == 1 and kpis["expansion_places_built"] == 10


@pytest.mark.parametrize(("extra", "objective"), [
    (EXPAND % (2_000_000, ""), 2200.0),  # dearer than designating P1
    (EXPAND % (500_000, ", investment_dkk: 3000000") + "\n  expansion_budget_dkk: 2000000",
     2200.0),  # the budget binds
    ("", 2200.0),  # no expansions offered
])
def test_dear_or_over_budget_expansions_are_not_built(tmp_path: Path, extra: str,
                                                      objective: float) -> None:
    record = _solve(tmp_path, extra)
    assert record.check is not None and not record.check.violations
    assert _kpis(record.folder)["objective"] == pytest.approx(objective)
    assert set(pd.read_csv(record.folder / "designations.csv")["provider_id"]) == {"P0", "P1"}
    assert pd.read_csv(record.folder / "capacity_changes.csv").empty


def test_the_checker_verifies_the_expansions_from_the_files(built: Path,
                                                            tmp_path: Path) -> None:
    from specialeplan.checker import check_results

    assert check_results(built).ok

    def broken(name: str, edit) -> str:  # noqa: ANN001
        import yaml

        from specialeplan.results.writer import file_hashes

        folder = shutil.copytree(built, tmp_path / name)
        edit(folder)
        path = folder / "instance" / "scenario.resolved.yaml"
        doc = yaml.safe_load(path.read_text(encoding="utf-8"))
        doc["file_hashes"] = file_hashes(folder)  # the rule, not the tamper check, must catch it
        path.write_text(yaml.safe_dump(doc, sort_keys=False, allow_unicode=True),
                        encoding="utf-8")
        return check_results(folder).to_text()

    def edit_changes(fn):  # noqa: ANN001, ANN202
        def edit(folder: Path) -> None:
            ch = pd.read_csv(folder / "capacity_changes.csv")
            fn(ch).to_csv(folder / "capacity_changes.csv", index=False)
        return edit

    # without the expansion P0's 20 borgerforløb exceed its 10 places
    text = broken("dropped", edit_changes(lambda ch: ch.iloc[:0]))
    assert "exceed capacity 10" in text
    # a cheaper annual cost than the scenario states
    text = broken("cheap", edit_changes(lambda ch: ch.assign(annual_cost_dkk=1.0)))
    assert "annual_cost_dkk 1" in text
    # an expansion the scenario does not offer
    text = broken("unknown", edit_changes(lambda ch: ch.assign(entry=2)))
    assert "is not that entry of model.expansions" in text


@pytest.mark.parametrize(("entry", "message"), [
    ("{provider_id: P9, function: A, places: 5, annual_cost_dkk: 1}", "unknown provider 'P9'"),
    ("{provider_id: P0, function: B, places: 5, annual_cost_dkk: 1}", "unknown specialfunktion"),
    ("{provider_id: P0, function: A, places: 5}", "give annual_cost_dkk"),
])
def test_a_bad_expansion_entry_is_named(tmp_path: Path, entry: str, message: str) -> None:
    with pytest.raises(ScenarioError, match=message) as err:
        _solve(tmp_path, f"  expansions: [{entry}]")
    assert "model.expansions entry 1" in str(err.value)


def test_the_capacity_overview_shows_places_use_and_what_was_built(built: Path,
                                                                   tmp_path: Path) -> None:
    """`specialeplan capacity`: the one region R has demand 20, P0's 10 places plus the
    10 built, all taken; nationally the same."""
    from typer.testing import CliRunner

    from specialeplan.analyses.capacity import capacity_overview
    from specialeplan.cli import app

    table = capacity_overview(built)
    assert table["region"].tolist() == ["R", "national"]
    for _, row in table.iterrows():
        assert row["function"] == "A"
        assert (row["demand"], row["places"], row["served_designated"]) == (20, 20, 20)
        assert row["utilisation"] == pytest.approx(1.0)
        assert (row["expansion_places"], row["expansions"]) == (10, "P0 +10")
        assert (row["shortfall"], row["gap"], row["transitional"]) == (0, 0, 0)
    out = tmp_path / "capacity.csv"
    result = CliRunner().invoke(app, ["capacity", str(built), "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "national" in result.output and "100%" in result.output
    written = pd.read_csv(out)
    assert written["places"].tolist() == [20, 20]
    assert written["expansions"].tolist() == ["P0 +10", "P0 +10"]
    inside = CliRunner().invoke(app, ["capacity", str(built), "--out",
                                      str(built / "capacity.csv")])
    assert inside.exit_code != 0 and not (built / "capacity.csv").exists()


def test_a_new_site_is_built_where_it_is_cheapest(tmp_path: Path) -> None:
    """A new specialfunktion S1 in m1 (10 places, 300 a year, designation 100) instead of
    P1 (designation 2000) or P0's expansion: 2 · 10 · 5 + 100 + 100 + 300 = 600."""
    site = ("  new_sites: [{site_id: S1, municipality: '147', function: A, places: 10, "
            "annual_cost_dkk: 300000, designation_cost: 100}]")
    record = _solve(tmp_path, EXPAND % (500_000, "") + "\n" + site)
    assert record.check is not None and not record.check.violations
    assert _kpis(record.folder)["objective"] == pytest.approx(600.0)
    des = pd.read_csv(record.folder / "designations.csv")
    assert set(des["provider_id"]) == {"P0", "S1"}
    ch = pd.read_csv(record.folder / "capacity_changes.csv", dtype={"municipality_code": str})
    # entry 2: the new sites are numbered after the scenario's expansions
    assert ch[["entry", "provider_id", "municipality_code", "places"]].values.tolist() == [
        [2, "S1", "147", 10]]
    prov = pd.read_csv(record.folder / "instance" / "providers.csv")
    assert prov.set_index("provider_id").at["S1", "name"] == "new site: A in Kommune 1"
    with pytest.raises(ScenarioError, match="already a provider"):
        _solve(tmp_path, site.replace("site_id: S1", "site_id: P1"))


def test_a_results_folder_with_a_new_site_reloads_for_a_re_solve(tmp_path: Path) -> None:
    """vulnerability and resolve rebuild the model from the folder: the site is a provider
    there, so its entry comes back as an expansion, with the same entry number."""
    from specialeplan.model.sets import build_model_data
    from specialeplan.results.reload import load_run

    site = ("  new_sites: [{site_id: S1, municipality: '147', function: A, places: 10, "
            "annual_cost_dkk: 300000, designation_cost: 100}]")
    record = _solve(tmp_path, site)
    run = load_run(record.folder)
    assert run.params.new_sites == [] and run.params.expansions[0].provider_id == "S1"
    data = build_model_data(run.instance, run.params)
    assert data.expansions[["entry", "provider_id", "places"]].values.tolist() == [[1, "S1", 10]]


def test_candidates_at_every_pair_are_numbered_after_the_listed_ones(tmp_path: Path) -> None:
    """``expansion_candidates``: one option per competence pair (P0/A, P1/A), entries 2 and
    3 after the listed one. The listed expansion of P0 (500 a year) and the candidate at P0
    (600) are alike but for the price: the listed one is built (1250, as above)."""
    extra = (EXPAND % (500_000, "") + "\n  expansion_candidates: {places: 10, "
             "annual_cost_dkk: 600000}")
    record = _solve(tmp_path, extra)
    assert record.check is not None and not record.check.violations
    assert _kpis(record.folder)["objective"] == pytest.approx(1250.0)
    ch = pd.read_csv(record.folder / "capacity_changes.csv")
    assert ch[["entry", "provider_id"]].values.tolist() == [[1, "P0"]]
    # dearer listed option: the candidate (entry 2, P0) is built instead
    record = _solve(tmp_path, EXPAND % (900_000, "") + "\n  expansion_candidates: "
                    "{places: 10, annual_cost_dkk: 600000}")
    assert record.check is not None and not record.check.violations
    assert _kpis(record.folder)["objective"] == pytest.approx(1350.0)
    ch = pd.read_csv(record.folder / "capacity_changes.csv")
    assert ch[["entry", "provider_id", "annual_cost_dkk"]].values.tolist() == [
        [2, "P0", 600000]]
    with pytest.raises(ScenarioError, match="unknown specialfunktion type 'B'"):
        _solve(tmp_path, "  expansion_candidates: {places: 10, annual_cost_dkk: 1, "
               "functions: [B]}")
