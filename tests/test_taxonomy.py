"""Specialfunktion types within specialer (seed 002, Figur 1), children and adults apart, and
the rådgivning duty per speciale: a hand-solved instance, checked from the files alone.

Two municipalities m0, m1 (codes 101, 147), 60 minutes apart, 10 minutes within one.
Specialer S and T. Functions (types): ``a_adult`` (S, adults, min 30), ``a_child`` (S,
children, min 20) and ``combo`` (S and T, children, min 20: the combined type of citizens
with both needs). Demand: m0 a_adult 30, a_child 25; m1 a_child 10, combo 20.
Providers: P0 at m0 (all; competent in a_adult and a_child), P1 at m1 (children; combo),
PA at m1 (adults; a_adult). Designation 100 a pair, rådgivning 50 a pair, reach 100 min
(every provider reaches both municipalities); unit-less prices (travel 1 per
borgerforløb-minute), no help near the family.

By hand:
- a_adult: P0 takes m0's 30 (30 = its minimum) at 10 min: 300. PA is not needed.
- a_child: the 10 children of m1 cannot go to PA, the adults-only tilbud in their own
  municipality: P0 takes them at 60 min (600) and m0's 25 at 10 (250): 35 ≥ 20.
- combo: P1 takes m1's 20 at 10 min (200); its 20 borgerforløb are counted once, against
  its own minimum 20, although the type belongs to S and T.
- rådgivning per speciale: T is reached only by combo's providers, so r[P1, combo] = 1,
  which also reaches S (any function of a speciale may carry the duty): one
  rådgivningsfunktion for both specialer.
- objective = 300 + 850 + 200 (travel) + 3·100 (designations) + 50 (rådgivning) = 1700.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from specialeplan.errors import DataValidationError, ScenarioError
from specialeplan.model.examples import tiny_instance, write_dataset

MINUTES = [[10, 60], [60, 10]]
FUNCTIONS = [{"id": "a_adult", "specialer": ["S"], "target_group": "adults"},
             {"id": "a_child", "specialer": ["S"], "target_group": "children"},
             {"id": "combo", "specialer": ["S", "T"], "target_group": "children"}]
PROVIDERS = [{"id": "P0", "at": 0}, {"id": "P1", "at": 1, "target_groups": "children"},
             {"id": "PA", "at": 1, "target_groups": "adults"}]
DEMAND = {(0, "a_adult"): 30, (0, "a_child"): 25, (1, "a_child"): 10, (1, "combo"): 20}
COSTS = {"designation_cost": 100, "advisory_cost": 50}
COMPETENCE = [{"id": "P0", "function": "a_adult", **COSTS},
              {"id": "P0", "function": "a_child", **COSTS},
              {"id": "P1", "function": "combo", **COSTS},
              {"id": "PA", "function": "a_adult", **COSTS}]
SCENARIO = """name: taxonomy
dataset: data
model:
  pricing: unit_less
  defaults: {reach_minutes: 100, min_cases: 20}
  per_function: {a_adult: {min_cases: 30}}
  families: {near_family: false}
solver: {mip_rel_gap: 0}
"""


def _instance(competence: list[dict] = COMPETENCE):  # noqa: ANN202
    return tiny_instance(MINUTES, PROVIDERS, DEMAND, competence, specialer=("S", "T"),
                         codes=["101", "147"], functions=FUNCTIONS)


@pytest.fixture(scope="module")
def solved(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from specialeplan.pipeline import solve_into_folder
    from specialeplan.scenarios.schema import load_scenario

    root = tmp_path_factory.mktemp("taxonomy")
    write_dataset(_instance(), root / "data")
    (root / "taxonomy.yaml").write_text(SCENARIO, encoding="utf-8")
    record = solve_into_folder(load_scenario(root / "taxonomy.yaml"), root / "results",
                               excel=False)
    assert record.check is not None and not record.check.violations
    return record.folder


def test_the_hand_derived_plan(solved: Path) -> None:
    import json

    kpis = json.loads((solved / "kpis.json").read_text(encoding="utf-8"))
    assert kpis["objective"] == pytest.approx(1700.0)
    des = pd.read_csv(solved / "designations.csv").set_index(["provider_id", "function"])
    # two types of one speciale, designated separately, each with its own minimum volume
    assert des.loc[("P0", "a_adult"), "cases"] == pytest.approx(30.0)
    assert des.loc[("P0", "a_child"), "cases"] == pytest.approx(35.0)
    assert des.loc[("P0", "a_adult"), "speciale"] == des.loc[("P0", "a_child"), "speciale"] == "S"
    # the combined type: one designation, its cases counted once, rolled up to S and T
    assert des.loc[("P1", "combo"), "cases"] == pytest.approx(20.0)
    assert des.loc[("P1", "combo"), "speciale"] == "S;T"
    assert len(des) == 3 and ("PA", "a_adult") not in des.index
    # one rådgivningsfunktion advises on both specialer
    assert des["is_advisory"].tolist().count(True) == 1 and des.loc[("P1", "combo"),
                                                                    "is_advisory"]
    reach = pd.read_csv(solved / "reach.csv", dtype={"municipality_code": str})
    assert set(zip(reach["municipality_code"], reach["speciale"], strict=True)) == {
        ("101", "S"), ("147", "S"), ("101", "T"), ("147", "T")}
    assert set(reach["function"]) == {"combo"}
    # no child at the adults-only tilbud, although it is in their own municipality
    asg = pd.read_csv(solved / "assignments.csv", dtype={"municipality_code": str})
    kids = asg[asg["function"] == "a_child"]
    assert set(kids["provider_id"]) == {"P0"}
    assert kids.set_index("municipality_code").at["147", "cases"] == pytest.approx(10.0)
    assert set(asg["target_group"]) == {"adults", "children"}


def test_the_checker_verifies_each_rule_from_the_files(solved: Path, tmp_path: Path) -> None:
    """The folder checks; each rule is caught when the files break it."""
    import shutil

    from specialeplan.checker import check_results

    assert check_results(solved).ok

    def broken(name: str, edit) -> str:  # noqa: ANN001
        folder = shutil.copytree(solved, tmp_path / name)
        edit(folder)
        import yaml

        from specialeplan.results.writer import file_hashes

        # re-seal the hashes: the rule, not the tamper check, must catch it
        path = folder / "instance" / "scenario.resolved.yaml"
        doc = yaml.safe_load(path.read_text(encoding="utf-8"))
        doc["file_hashes"] = file_hashes(folder)
        path.write_text(yaml.safe_dump(doc, sort_keys=False, allow_unicode=True),
                        encoding="utf-8")
        return check_results(folder).to_text()

    def child_at_adult_tilbud(folder: Path) -> None:
        prov = pd.read_csv(folder / "instance" / "providers.csv")
        prov.loc[prov["provider_id"] == "P0", "target_groups"] = "adults"
        prov.to_csv(folder / "instance" / "providers.csv", index=False)

    assert "target group" in broken("adults_only", child_at_adult_tilbud)

    def advice_from_another_speciale(folder: Path) -> None:
        reach = pd.read_csv(folder / "reach.csv", dtype=str)
        reach.loc[reach["speciale"] == "T", "function"] = "a_child"
        reach.to_csv(folder / "reach.csv", index=False)

    text = broken("wrong_speciale", advice_from_another_speciale)
    assert "does not belong to that speciale" in text

    def below_own_minimum(folder: Path) -> None:
        fp = pd.read_csv(folder / "instance" / "function_params.csv")
        fp.loc[fp["function"] == "a_child", "min_cases"] = 40
        fp.to_csv(folder / "instance" / "function_params.csv", index=False)

    assert "below the minimum volume 40" in broken("minimum", below_own_minimum)


def test_a_child_function_at_an_adults_only_tilbud_is_a_data_error() -> None:
    bad = [*COMPETENCE, {"id": "PA", "function": "a_child"}]
    with pytest.raises(DataValidationError, match=r"row 6.*serves adults.*'a_child'.*children"):
        _instance(bad)


def test_unknown_speciale_of_a_function_and_a_speciale_without_one() -> None:
    fns = [*FUNCTIONS[:2], {"id": "combo", "specialer": ["S", "X"]}]
    with pytest.raises(DataValidationError, match="unknown speciale 'X'"):
        tiny_instance(MINUTES, PROVIDERS, DEMAND, COMPETENCE, specialer=("S", "T"),
                      functions=fns)
    with pytest.raises(DataValidationError, match="speciale 'T' has no specialfunktion"):
        tiny_instance(MINUTES, PROVIDERS, DEMAND, COMPETENCE, specialer=("S", "T"),
                      functions=[*FUNCTIONS[:2], {"id": "combo", "specialer": ["S"],
                                                  "target_group": "children"}])


def test_a_function_named_as_a_speciale_says_what_to_write(tmp_path: Path) -> None:
    from specialeplan.model.params import ModelParams
    from specialeplan.model.sets import resolve_functions

    inst = _instance()
    with pytest.raises(ScenarioError, match=r"'combo' in 'specialer' is a specialfunktion "
                                            r"type under speciale S and T.*functions: \[combo\]"):
        resolve_functions(inst, ModelParams(specialer=["combo"]))
    assert resolve_functions(inst, ModelParams(specialer=["T"])) == ["combo"]
    assert resolve_functions(inst, ModelParams(specialer=["S"])) == ["a_adult", "a_child",
                                                                    "combo"]
    assert resolve_functions(inst, ModelParams(functions=["a_child"])) == ["a_child"]


def test_the_bundled_base_names_only_specialer() -> None:
    """Scenarios written for the earlier specialer fail with the way to write them now."""
    from specialeplan.data.loader import load_denmark
    from specialeplan.model.params import ModelParams
    from specialeplan.model.sets import resolve_functions

    inst = load_denmark()
    with pytest.raises(ScenarioError, match="'spiseforstyrrelser' in 'specialer' is a "
                                            "specialfunktion type under speciale "
                                            "psykisk_saarbarhed_born_unge"):
        resolve_functions(inst, ModelParams(specialer=["spiseforstyrrelser"]))
    assert len(resolve_functions(inst, ModelParams(specialer=["autisme"]))) == 3


ROLLOUT = SCENARIO.replace("name: taxonomy", "name: taxonomy_rollout") + """rollout:
  base_year: 2026
  2027: [T]
  2028: [S]
  demand_growth: 1.0
"""


def test_a_rollout_of_specialer_plans_and_dates_their_types(tmp_path: Path) -> None:
    """Waves name specialer; the plan, its fixings and timeline.csv are per type. The
    combined type (S and T) enters with T's wave 2027 and is not new in 2028, when S brings
    a_adult and a_child; the scenario's forbidden designation of a type of S reaches the
    waves that plan S; after 2027 only T's undesignated pairs stay closed."""
    from specialeplan.analyses.rollout import closed_pairs, run_rollout, wave_params
    from specialeplan.scenarios.schema import load_scenario

    write_dataset(_instance(), tmp_path / "data")
    text = ROLLOUT.replace("solver:", "  forbidden: [{provider_id: PA, function: a_adult}]\n"
                                      "solver:")
    (tmp_path / "rollout.yaml").write_text(text, encoding="utf-8")
    resolved = load_scenario(tmp_path / "rollout.yaml")
    outcome = run_rollout(resolved, tmp_path / "results", excel=False, progress=lambda _: None)
    assert outcome.complete and outcome.checks and all(outcome.checks.values())
    tl = outcome.timeline
    assert list(zip(tl["year"], tl["function"], tl["wave"], tl["new"], strict=True)) == [
        (2027, "combo", 2027, True),
        (2028, "a_adult", 2028, True), (2028, "a_child", 2028, True),
        (2028, "combo", 2027, False)]
    assert list(tl.loc[tl["year"] == 2028, "decided"]) == ["2028-01-01", "2028-01-01",
                                                          "2027-01-01"]

    inst = _instance()
    sc, ro = resolved.scenario, resolved.scenario.rollout
    both = wave_params(sc.model, ro, 2028, ["T", "S"], [], [], inst.functions_of(["T", "S"]))
    assert [(f.provider_id, f.function) for f in both.forbidden] == [("PA", "a_adult")]
    only_t = wave_params(sc.model, ro, 2027, ["T"], [], [], inst.functions_of(["T"]))
    assert only_t.forbidden == []
    designated = pd.DataFrame({"provider_id": ["P1"], "function": ["combo"]})
    assert closed_pairs(inst, ["T"], designated) == []
    assert closed_pairs(inst, ["S"], designated) == [
        {"provider_id": "P0", "function": "a_adult"}, {"provider_id": "P0", "function": "a_child"},
        {"provider_id": "PA", "function": "a_adult"}]


@pytest.mark.parametrize(("moves", "served"), [(False, 25.0), (True, 35.0)])
def test_residents_of_types_outside_the_plan_keep_their_places(
        tmp_path: Path, moves: bool, served: float) -> None:
    """P0 (capacity 40) houses 15 of today's a_adult residents. A plan of a_child alone
    leaves them their places: P0 takes 25 of the 35 children and 10 stay unmet (nobody else
    is competent in a_child); the results' providers.csv says so (held_places 15, capacity
    25) and the checker holds the plan to it. With moves allowed nothing is held."""
    import json

    from specialeplan.pipeline import solve_into_folder
    from specialeplan.scenarios.schema import load_scenario

    providers = [{**PROVIDERS[0], "capacity": 40}, *PROVIDERS[1:]]
    comp = [{**COMPETENCE[0], "current_cases": 15}, *COMPETENCE[1:]]
    write_dataset(tiny_instance(MINUTES, providers, DEMAND, comp, specialer=("S", "T"),
                                codes=["101", "147"], functions=FUNCTIONS), tmp_path / "data")
    allow = str(moves).lower()
    text = SCENARIO.replace("  families: {near_family: false}",
                            "  functions: [a_child]\n"
                            f"  families: {{near_family: false, allow_moves: {allow}}}")
    (tmp_path / "s.yaml").write_text(text, encoding="utf-8")
    record = solve_into_folder(load_scenario(tmp_path / "s.yaml"), tmp_path / "out",
                               excel=False)
    assert record.check is not None and not record.check.violations
    des = pd.read_csv(record.folder / "designations.csv")
    assert des[["provider_id", "function", "cases"]].values.tolist() == [["P0", "a_child",
                                                                          served]]
    kpis = json.loads((record.folder / "kpis.json").read_text(encoding="utf-8"))
    assert kpis["total_unmet"] == pytest.approx(35.0 - served)
    # the folder reloads (resolve, vulnerability) although per_function names a_adult,
    # a type of the dataset that this plan and so its folder do not hold
    from specialeplan.results.reload import load_run

    assert list(load_run(record.folder).params.per_function) == []
    prov = pd.read_csv(record.folder / "instance" / "providers.csv").set_index("provider_id")
    if moves:
        assert "held_places" not in prov and prov.loc["P0", "capacity"] == 40
    else:
        assert (prov.loc["P0", "held_places"], prov.loc["P0", "capacity"]) == (15, 25)
