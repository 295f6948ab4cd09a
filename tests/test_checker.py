"""Tests for the independent results checker (:mod:`specialeplan.checker`).

The fixture is a tiny, complete results folder written by hand (not by the solver):

municipalities 101, 147 (Hovedstaden) and 751 (Midtjylland); providers P1 @101 (regional,
residential, capacity 100, advisory capacity 35 borgerforløb), P2 @147 (municipal,
residential, capacity 50), P3 @751 (private, kind ``both``: a place and an outreach team,
capacity 30); specialer ``autisme`` (min 5 cases, cutoff 120 min, reach 60 min, 1..2
specialfunktioner) and ``misbrug`` (min 2 cases, no cutoff, no reach); outreach radius 90 min
and near-family share 0.1 for both.

Travel t[k,p]: 101→(P1 10, P2 20, P3 180), 147→(20, 10, 170), 751→(180, 170, 15).

Designations: P1/autisme (18 cases, rådgivning, today's rådgivningsfunktion), P3/autisme (6),
P3/misbrug (5, of which 4 by outreach).
Assignments: autisme 101→P1 12, 147→P1 6, 751→P3 6; misbrug 751←P3 4 by outreach,
101→P3 1; misbrug in 101 has 2 of 3 unmet. Near family: 2 autisme borgerforløb of 147 at the
local P2, coached by P1 (advisory load of P1: 12 + 8 + κ 5 · 2 = 30 ≤ 35).
Reach (autisme): 101→P1, 147→P1, 751 shortfall.
Changes vs today (P1/autisme and P3/misbrug designated today): P3/autisme new → 1.
Moved: P2/autisme has 3 current cases and is not designated → 3 moved.

Weights travel 0.5, designation 1, advisory 1, unmet 100, reach_shortfall 1000, change 7,
outreach 0.5, near_family 60, moved 10:
travel 0.5·(12·10 + 6·20 + 6·15 + 1·180) = 0.5·510 = 255
designation 100 + 90 + 60 = 250; advisory 10; unmet 100·2 = 200; reach_shortfall 1000·1;
change 7·1 = 7; outreach 0.5·4·15 = 30; near_family 60·2 = 120; moved 10·3 = 30; equity 0
(off); objective = 1902.

Regions (region, speciale: demand = served_home + exported + near_family + unmet):
Hovedstaden autisme 20 = 18 + 0 + 2 + 0, misbrug 3 = 0 + 1 + 0 + 2 (capacity shortfall 3:
no specialfunktion there); Midtjylland autisme 6 = 6, misbrug 4 = 4 (+ 1 imported).
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from specialeplan.checker import CheckReport, Violation, check_results
from specialeplan.errors import DataValidationError
from specialeplan.model.params import ModelParams

A, M = "autisme", "misbrug"
TERMS = {"travel": 255.0, "designation": 250.0, "advisory": 10.0, "care": 0.0,
         "care_floor": 0.0, "unmet": 200.0,
         "reach_shortfall": 1000.0, "change": 7.0, "outreach": 30.0, "near_family": 120.0,
         "moved": 30.0, "equity": 0.0, "expansion": 0.0}
OBJECTIVE = 1902.0
REGIONS = [  # region, speciale, demand, served_home, exported, imported, served_in_region,
    # near_family, unmet, designated_capacity, capacity_shortfall
    ("Hovedstaden", A, 20.0, 18.0, 0.0, 0.0, 18.0, 2.0, 0.0, 40.0, 0.0),
    ("Hovedstaden", M, 3.0, 0.0, 1.0, 0.0, 0.0, 0.0, 2.0, 0.0, 3.0),
    ("Midtjylland", A, 6.0, 6.0, 0.0, 0.0, 6.0, 0.0, 0.0, 20.0, 0.0),
    ("Midtjylland", M, 4.0, 4.0, 0.0, 1.0, 5.0, 0.0, 0.0, 10.0, 0.0),
]
REGION_COLS = ["region", "function", "demand", "served_home", "exported", "imported",
               "served_in_region", "near_family", "unmet", "designated_capacity",
               "capacity_shortfall"]


def _params() -> ModelParams:
    return ModelParams.model_validate({
        "specialer": [A, M],
        "weights": {"travel": 0.5, "designation": 1, "advisory": 1, "unmet": 100,
                    "reach_shortfall": 1000, "change": 7, "outreach": 0.5,
                    "near_family": 60, "moved": 10},
        "keep_advisory_today": True,
        "families": {"allow_moves": True},  # the fixture moves P2's 3 residents
        "fixed": [{"provider_id": "P1", "function": A}],
        "forbidden": [{"provider_id": "P2", "function": A}],
        "keep_today": ["regional"],
        "region_bounds": [{"function": A, "region": "Hovedstaden", "min_count": 1,
                           "max_count": 1}],
        "max_specialer_per_provider": 2,
        "max_changes": 1,
    })


def write_tiny_results(folder: Path) -> Path:
    """Write the hand-built valid results folder described in the module docstring."""
    inst = folder / "instance"
    inst.mkdir(parents=True)
    travel = {("101", "P1"): 10, ("101", "P2"): 20, ("101", "P3"): 180,
              ("147", "P1"): 20, ("147", "P2"): 10, ("147", "P3"): 170,
              ("751", "P1"): 180, ("751", "P2"): 170, ("751", "P3"): 15}
    tables = {
        "instance/municipalities": pd.DataFrame({
            "code": ["101", "147", "751"], "name": ["København", "Frederiksberg", "Aarhus"],
            "region": ["Hovedstaden", "Hovedstaden", "Midtjylland"],
            "population": [650000, 100000, 360000], "lon": [12.5, 12.5, 10.2],
            "lat": [55.7, 55.7, 56.2], "area_km2": [90.0, 9.0, 470.0]}),
        "instance/providers": pd.DataFrame({
            "provider_id": ["P1", "P2", "P3"], "name": ["Tilbud 1", "Tilbud 2", "Tilbud 3"],
            "municipality_code": ["101", "147", "751"],
            "owner": ["regional", "municipal", "private"],
            "kind": ["residential", "residential", "both"],
            "capacity": [100.0, 50.0, 30.0], "advisory_capacity": [35.0, 2.0, np.inf]}),
        "instance/competence": pd.DataFrame({
            "provider_id": ["P1", "P2", "P3", "P1", "P3"], "function": [A, A, A, M, M],
            "max_cases": [40.0, 30.0, 20.0, 20.0, 10.0],
            "current_cases": [15.0, 3.0, 0.0, 0.0, 4.0],
            "designated_today": [True, False, False, False, True],
            "designation_cost": [100.0, 80.0, 90.0, 50.0, 60.0],
            "advisory_cost": [10.0, 8.0, 9.0, 5.0, 6.0],
            "advisory_today": [True, False, False, False, False]}),
        "instance/demand": pd.DataFrame({
            "municipality_code": ["101", "147", "751", "101", "147", "751"],
            "function": [A, A, A, M, M, M], "demand": [12.0, 8.0, 6.0, 3.0, 0.0, 4.0]}),
        "instance/provider_travel": pd.DataFrame(
            [{"municipality_code": k, "provider_id": p, "minutes": float(t)}
             for (k, p), t in travel.items()]),
        "instance/travel_minutes": pd.DataFrame({
            "from_code": ["101", "147", "751"], "to_code": ["101", "147", "751"],
            "minutes": [10.0, 10.0, 15.0]}),
        "instance/function_params": pd.DataFrame({
            "function": [A, M], "min_cases": [5.0, 2.0], "max_travel_minutes": [120.0, np.nan],
            "reach_minutes": [60.0, np.nan], "min_count": [1.0, np.nan],
            "max_count": [2.0, np.nan], "min_advisory": [np.nan, np.nan],
            "max_advisory": [np.nan, np.nan], "demand_growth": [1.0, 1.0],
            "outreach_minutes": [90.0, 90.0], "near_family_share": [0.1, 0.1]}),
        "designations": pd.DataFrame({
            "provider_id": ["P1", "P3", "P3"], "municipality_code": ["101", "751", "751"],
            "function": [A, A, M], "cases": [18.0, 6.0, 5.0], "outreach_cases": [0.0, 0.0, 4.0],
            "is_advisory": [True, False, False], "designated_today": [True, False, True],
            "advised_municipalities": [2, 0, 0], "coached_cases": [2.0, 0.0, 0.0],
            "advisory_load": [30.0, 0.0, 0.0]}),
        "assignments": pd.DataFrame({
            "municipality_code": ["101", "147", "751", "751", "101"],
            "provider_id": ["P1", "P1", "P3", "P3", "P3"], "function": [A, A, A, M, M],
            "mode": ["physical", "physical", "physical", "outreach", "physical"],
            "cases": [12.0, 6.0, 6.0, 4.0, 1.0],
            "travel_minutes": [10.0, 20.0, 15.0, 15.0, 180.0]}),
        "coverage": pd.DataFrame({
            "municipality_code": ["101", "147", "751", "101", "147", "751"],
            "function": [A, A, A, M, M, M], "demand": [12.0, 8.0, 6.0, 3.0, 0.0, 4.0],
            "served": [12.0, 6.0, 6.0, 1.0, 0.0, 4.0],
            "outreach": [0.0, 0.0, 0.0, 0.0, 0.0, 4.0],
            "near_family": [0.0, 2.0, 0.0, 0.0, 0.0, 0.0],
            "unmet": [0.0, 0.0, 0.0, 2.0, 0.0, 0.0],
            "mean_travel_minutes": [10.0, 20.0, 15.0, 180.0, np.nan, 0.0]}),
        "near_family": pd.DataFrame({
            "municipality_code": ["147"], "function": [A], "provider_id": ["P2"],
            "advisory_provider_id": ["P1"], "cases": [2.0]}),
        "regions": pd.DataFrame(REGIONS, columns=REGION_COLS),
        "reach": pd.DataFrame({
            "municipality_code": ["101", "147", "751"], "speciale": [A, A, A],
            "advisory_provider_id": ["P1", "P1", ""], "function": [A, A, ""],
            "travel_minutes": [10.0, 20.0, np.nan], "share": [1.0, 1.0, 1.0]}),
    }
    for name, df in tables.items():
        df.to_csv(folder / f"{name}.csv", index=False)
    resolved = {
        "name": "tiny", "description": "hand-built checker fixture", "extends_chain": [],
        "dataset": "tiny", "model": _params().model_dump(mode="json"),
        "solver": {"name": "highs"}, "data_hashes": {}, "package_version": "0.0.0",
        "created": "2024-01-01T00:00:00+00:00",
    }
    (inst / "scenario.resolved.yaml").write_text(
        yaml.safe_dump(resolved, sort_keys=False, allow_unicode=True), encoding="utf-8")
    kpis = {
        "objective": OBJECTIVE, "best_bound": OBJECTIVE, "mip_gap": 0.0, "status": "optimal",
        "solver": "highs", "solver_version": "1.8.0", "build_seconds": 0.01,
        "solve_seconds": 0.01, "total_seconds": 0.02, "n_variables": 40,
        "n_constraints": 60, "n_binaries": 10, "terms": TERMS,
        "objective_recomputed": OBJECTIVE,
        "per_function": {
            A: {"designations": 2, "advisory_designations": 1, "demand": 26.0,
                "served": 24.0, "outreach": 0.0, "near_family": 2.0, "unmet": 0.0,
                "moved": 3.0, "dropped_designations": 0, "worst_off_travel_minutes": 15.0},
            M: {"designations": 1, "advisory_designations": 0, "demand": 7.0,
                "served": 5.0, "outreach": 4.0, "near_family": 0.0, "unmet": 2.0,
                "moved": 0.0, "dropped_designations": 0, "worst_off_travel_minutes": 60.0}},
        "share_outside_home_municipality": 7.0 / 29.0, "mean_travel_minutes": 510.0 / 29.0,
        "max_travel_minutes": 180.0, "total_demand": 33.0, "total_served": 29.0,
        "total_unmet": 2.0, "reach_shortfalls": 1.0, "designations": 3,
        "advisory_designations": 1, "outreach_cases": 4.0,
        "near_family_cases": 2.0, "moved_cases": 3.0,
        "designations_today": 2, "dropped_designations": 0,
        "regions": {r[0]: {} for r in REGIONS},
    }
    for r in REGIONS:
        kpis["regions"][r[0]][r[1]] = dict(zip(REGION_COLS[2:], r[2:], strict=True))
    (folder / "kpis.json").write_text(json.dumps(kpis, indent=2), encoding="utf-8")
    (folder / "solver.log").write_text("hand-built fixture: no solver run\n", encoding="utf-8")
    return folder


@pytest.fixture(scope="module")
def valid_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_tiny_results(tmp_path_factory.mktemp("tiny") / "tiny")


@pytest.fixture
def folder(valid_folder: Path, tmp_path: Path) -> Path:
    """A fresh copy of the valid folder that a test may break."""
    return Path(shutil.copytree(valid_folder, tmp_path / "tiny"))


# ----------------------------------------------------------------------- mutation helpers
def rehash(folder: Path) -> None:
    """Record the files' hashes anew, as a forger who knows the format would: the rule tests
    below then see only the rule they break (the hash check has its own tests in
    test_output_folders.py)."""
    from specialeplan.results.contract import FILE_HASHES
    from specialeplan.results.writer import file_hashes

    path = folder / "instance" / "scenario.resolved.yaml"
    doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    if FILE_HASHES in doc:
        doc[FILE_HASHES] = file_hashes(folder)
        path.write_text(yaml.safe_dump(doc, sort_keys=False, allow_unicode=True),
                        encoding="utf-8")


def edit_csv(rel: str, fn: Callable[[pd.DataFrame], pd.DataFrame | None]) -> Callable[[Path],
                                                                                      None]:
    def mutate(folder: Path) -> None:
        path = folder / rel
        df = pd.read_csv(path, dtype=str, keep_default_na=False)
        out = fn(df)
        (df if out is None else out).to_csv(path, index=False)
        rehash(folder)
    return mutate


def set_cell(rel: str, where: dict[str, str], col: str, value: object) -> Callable[[Path],
                                                                                  None]:
    def fn(df: pd.DataFrame) -> None:
        mask = np.logical_and.reduce([df[k] == v for k, v in where.items()])
        assert mask.sum() == 1, (rel, where)
        df.loc[mask, col] = str(value)
    return edit_csv(rel, fn)


def edit_model(**changes: object) -> Callable[[Path], None]:
    def mutate(folder: Path) -> None:
        path = folder / "instance" / "scenario.resolved.yaml"
        doc = yaml.safe_load(path.read_text(encoding="utf-8"))
        for key, value in changes.items():
            if key == "families":
                doc["model"]["families"].update(value)
            else:
                doc["model"][key] = value
        path.write_text(yaml.safe_dump(doc, sort_keys=False), encoding="utf-8")
    return mutate


def edit_kpis(fn: Callable[[dict], None]) -> Callable[[Path], None]:
    def mutate(folder: Path) -> None:
        path = folder / "kpis.json"
        kpis = json.loads(path.read_text(encoding="utf-8"))
        fn(kpis)
        path.write_text(json.dumps(kpis), encoding="utf-8")
    return mutate


def _tamper_travel(k: dict) -> None:
    k["terms"]["travel"] += 1.0


def _move_assignment(df: pd.DataFrame) -> None:
    mask = (df["municipality_code"] == "147") & (df["function"] == A)
    df.loc[mask, ["provider_id", "travel_minutes"]] = ["P2", "10.0"]


def _reroute_reach(df: pd.DataFrame) -> None:
    mask = df["municipality_code"] == "101"
    df.loc[mask, ["advisory_provider_id", "travel_minutes"]] = ["P2", "20.0"]


def _make_p2_today(df: pd.DataFrame) -> None:
    df.loc[(df["provider_id"] == "P2") & (df["function"] == A), "designated_today"] = "True"


# (id, mutator, expected family, strings the message must name, Violation fields)
CASES = [
    ("unmet_hidden", set_cell("coverage.csv", {"municipality_code": "101", "function": M},
                              "unmet", 0.0),
     "demand_balance", ["101", M], {"municipality_code": "101", "function": M}),
    ("undesignated_provider", edit_csv("assignments.csv", _move_assignment),
     "linking", ["P2", A, "residents of today"], {"provider_id": "P2", "function": A}),
    ("capacity", set_cell("instance/providers.csv", {"provider_id": "P3"}, "capacity", 10.0),
     "capacity", ["P3"], {"provider_id": "P3"}),
    ("speciale_capacity", set_cell("instance/competence.csv",
                                   {"provider_id": "P1", "function": A}, "max_cases", 15.0),
     "speciale_capacity", ["P1", A], {"provider_id": "P1", "function": A}),
    ("min_volume", set_cell("instance/function_params.csv", {"function": A}, "min_cases", 7.0),
     "min_volume", ["P3", A], {"provider_id": "P3", "function": A}),
    ("travel_cutoff", set_cell("instance/function_params.csv", {"function": A},
                               "max_travel_minutes", 18.0),
     "travel_cutoff", ["147", "P1", A], {"municipality_code": "147", "provider_id": "P1"}),
    ("travel_table_mismatch", set_cell("assignments.csv",
                                       {"municipality_code": "101", "provider_id": "P1"},
                                       "travel_minutes", 11.0),
     "objective", ["101", "P1"], {"municipality_code": "101", "provider_id": "P1"}),
    ("municipality_without_reach", edit_csv(
        "reach.csv", lambda df: df[df["municipality_code"] != "147"]),
     "reach", ["147", A], {"municipality_code": "147", "speciale": A}),
    ("advisory_not_designated", edit_csv("reach.csv", _reroute_reach),
     "advisory_link", ["P2", "101"], {"provider_id": "P2", "municipality_code": "101"}),
    ("advisory_capacity", set_cell("instance/providers.csv", {"provider_id": "P1"},
                                   "advisory_capacity", 1.0),
     "advisory_capacity", ["P1", A], {"provider_id": "P1", "function": A}),
    ("max_count", set_cell("instance/function_params.csv", {"function": A}, "max_count", 1.0),
     "count_bounds", [A], {"function": A}),
    ("forbidden_designated", edit_model(forbidden=[{"provider_id": "P3", "function": M}]),
     "fixed", ["P3", M], {"provider_id": "P3", "function": M}),
    ("fixed_missing", edit_model(fixed=[{"provider_id": "P1", "function": M}]),
     "fixed", ["P1", M], {"provider_id": "P1", "function": M}),
    ("keep_today_missing", lambda f: (
        edit_csv("instance/competence.csv", _make_p2_today)(f),
        edit_model(keep_today=["regional", "municipal"], forbidden=[])(f)),
     "fixed", ["P2", A, "keep_today"], {"provider_id": "P2", "function": A}),
    ("objective_term", edit_kpis(_tamper_travel), "objective", ["travel"], {}),
    ("region_bounds", edit_model(region_bounds=[
        {"function": A, "region": "Midtjylland", "min_count": None, "max_count": 0}]),
     "region_bounds", [A, "Midtjylland"], {"function": A}),
    ("max_specialer", edit_model(max_specialer_per_provider=1),
     "max_specialer", ["P3"], {"provider_id": "P3"}),
    ("change_limit", edit_model(max_changes=0), "change_limit", ["max_changes"], {}),
    ("unmet_not_allowed", edit_model(families={"allow_unmet": False}),
     "demand_balance", ["101", M, "allow_unmet"], {"municipality_code": "101", "function": M}),
    ("shortfall_not_allowed", edit_model(families={"allow_reach_shortfall": False}),
     "reach", ["751", A], {"municipality_code": "751", "speciale": A}),
    ("kpis_total_unmet", edit_kpis(lambda k: k.update(total_unmet=0.0)),
     "kpis", ["total_unmet"], {}),
    ("duplicate_designation", edit_csv("designations.csv", lambda df: pd.concat(
        [df, df.iloc[[0]]])), "duplicates", ["P1", A], {}),
    # outreach (matrikelløse) specialfunktioner
    ("outreach_without_team", set_cell("instance/providers.csv", {"provider_id": "P3"}, "kind",
                                       "residential"),
     "outreach", ["P3", M, "residential"], {"provider_id": "P3", "function": M}),
    ("place_at_outreach_only", set_cell("instance/providers.csv", {"provider_id": "P1"},
                                        "kind", "outreach"),
     "outreach", ["P1", A, "physical place"], {"provider_id": "P1", "function": A}),
    ("outreach_radius", set_cell("instance/function_params.csv", {"function": M},
                                 "outreach_minutes", 10.0),
     "outreach", ["751", "P3", "outreach radius"], {"municipality_code": "751"}),
    # delivery need: ρ = 0.6 allows (1 − 0.6)·7 = 2.8 of misbrug's demand by outreach, not
    # 4 (P3, a team with a place too, has no outreach-only residents to keep)
    ("delivery_need", set_cell("instance/function_params.csv", {"function": M},
                               "residential_share", 0.6),
     "delivery_need", [M, "residential place", "2.8"], {"function": M}),
    ("outreach_switched_off", edit_model(families={"outreach": False}),
     "variables", ["P3", "families.outreach"], {"provider_id": "P3"}),
    ("outreach_cases_column", set_cell("designations.csv", {"provider_id": "P3", "function": M},
                                       "outreach_cases", 0.0),
     "linking", ["P3", M, "outreach_cases"], {"provider_id": "P3", "function": M}),
    # help near the family
    ("near_family_not_local", set_cell("near_family.csv", {"municipality_code": "147"},
                                       "provider_id", "P1"),
     "near_family", ["147", "P1", "not located"], {"municipality_code": "147"}),
    ("near_family_at_designation", lambda f: (
        set_cell("near_family.csv", {"municipality_code": "147"}, "municipality_code",
                 "751")(f),
        set_cell("near_family.csv", {"municipality_code": "751"}, "provider_id", "P3")(f)),
     "near_family", ["751", "P3", "is a specialfunktion"], {"municipality_code": "751"}),
    ("near_family_coach_not_advisory", set_cell("near_family.csv", {"municipality_code": "147"},
                                                "advisory_provider_id", "P3"),
     "near_family", ["147", "P3", "not a rådgivningsfunktion"], {"municipality_code": "147"}),
    ("near_family_out_of_reach", set_cell("instance/function_params.csv", {"function": A},
                                          "reach_minutes", 15.0),
     "near_family", ["147", "P1", "does not reach"], {"municipality_code": "147"}),
    ("near_family_share", set_cell("instance/function_params.csv", {"function": A},
                                   "near_family_share", 0.05),
     "near_family", [A, "near_family_share"], {"function": A}),
    ("near_family_hidden", set_cell("coverage.csv", {"municipality_code": "147", "function": A},
                                    "near_family", 0.0),
     "demand_balance", ["147", A, "near_family"], {"municipality_code": "147", "function": A}),
    ("near_family_uses_capacity", set_cell("instance/providers.csv", {"provider_id": "P2"},
                                           "capacity", 1.0),
     "capacity", ["P2"], {"provider_id": "P2"}),
    ("coaching_loads_advisory_capacity", set_cell("instance/providers.csv",
                                                  {"provider_id": "P1"},
                                                  "advisory_capacity", 25.0),
     "advisory_capacity", ["P1", A, "2 coached"], {"provider_id": "P1", "function": A}),
    ("advisory_load_column", set_cell("designations.csv", {"provider_id": "P1", "function": A},
                                      "advisory_load", 20.0),
     "advisory_capacity", ["P1", "advisory_load"], {"provider_id": "P1"}),
    # continuity
    ("moved_kpi", set_cell("instance/competence.csv", {"provider_id": "P2", "function": A},
                           "current_cases", 5.0),
     "moved", ["moved_cases", "5"], {}),
    ("advisory_today_dropped", set_cell("instance/competence.csv",
                                        {"provider_id": "P3", "function": M},
                                        "advisory_today", 1),
     "keep_advisory_today", ["P3", M, "advisory_today"], {"provider_id": "P3", "function": M}),
    ("kpis_dropped_designations", edit_kpis(lambda k: k.update(dropped_designations=1)),
     "kpis", ["dropped_designations"], {}),
    # equity
    ("equity_limit", edit_model(families={"equity": True},
                                equity={"measure": "max", "alpha": 0.1, "limit_minutes": 14}),
     "equity", [A, "15", "limit_minutes"], {"function": A}),
    ("kpis_worst_off", edit_kpis(lambda k: k["per_function"][M].update(
        worst_off_travel_minutes=50.0)), "kpis", [M, "worst_off_travel_minutes"], {}),
    # limits (frontier bounds): raw travel = 510 borgerforløb-minutes, 3 specialfunktioner
    ("limits_travel", edit_model(limits={"travel": 500.0}),
     "limits", ["travel", "510", "500"], {}),
    ("limits_count", edit_model(limits={"designations": 2}),
     "limits", ["designations", "3"], {}),
    # regional view
    ("regions_export_hidden", set_cell("regions.csv", {"region": "Hovedstaden", "function": M},
                                       "exported", 0.0),
     "regions", ["Hovedstaden", M, "exported"], {}),
    ("regions_capacity_shortfall", set_cell("instance/competence.csv",
                                            {"provider_id": "P3", "function": A},
                                            "max_cases", 2.0),
     "regions", ["Midtjylland", A, "capacity_shortfall"], {}),
    ("regions_kpis", edit_kpis(lambda k: k["regions"]["Midtjylland"][M].update(imported=0.0)),
     "regions", ["Midtjylland", M, "imported"], {}),
]


# ----------------------------------------------------------------------------- tests
def test_valid_folder_passes(valid_folder: Path) -> None:
    report = check_results(valid_folder)
    assert report.ok, report.to_text()
    assert report.violations == []
    assert report.objective_recomputed == pytest.approx(OBJECTIVE, abs=1e-9)
    assert report.objective_reported == OBJECTIVE
    assert report.terms == pytest.approx(TERMS, abs=1e-9)
    assert report.n_checks > 50
    assert report.skipped == ["backup_coverage", "equity"]  # off by default
    assert report.to_text().startswith("OK:")


@pytest.mark.parametrize(("mutate", "family", "names", "where"),
                         [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_broken_folder_reports_violation(
    folder: Path, mutate: Callable[[Path], None], family: str, names: list[str],
    where: dict[str, str],
) -> None:
    mutate(folder)
    report = check_results(folder)
    assert not report.ok
    hits = [v for v in report.violations if v.family == family]
    assert hits, f"no {family!r} violation in:\n{report.to_text()}"
    assert any(all(n in v.message for n in names)
               and all(getattr(v, k) == val for k, val in where.items()) for v in hits), (
        f"no {family!r} violation naming {names} / {where}:\n{report.to_text()}")
    assert f"[{family}]" in report.to_text()


def test_switched_off_family_is_skipped(folder: Path) -> None:
    set_cell("instance/providers.csv", {"provider_id": "P3"}, "capacity", 10.0)(folder)
    assert any(v.family == "capacity" for v in check_results(folder).violations)
    edit_model(families={"capacity": False})(folder)
    report = check_results(folder)
    assert report.ok, report.to_text()
    assert "capacity" in report.skipped


def test_solver_noise_within_tolerance(folder: Path) -> None:
    set_cell("assignments.csv", {"municipality_code": "101", "provider_id": "P1"},
             "cases", 12.0 + 3e-7)(folder)
    assert check_results(folder).ok


@pytest.mark.parametrize("rel", ["designations.csv", "kpis.json", "instance/demand.csv",
                                 "instance/scenario.resolved.yaml"])
def test_missing_file_raises(folder: Path, rel: str) -> None:
    (folder / rel).unlink()
    with pytest.raises(DataValidationError, match=rel.split("/")[-1]) as info:
        check_results(folder)
    assert info.value.file == rel


def test_garbled_number_names_file_row_and_field(folder: Path) -> None:
    set_cell("assignments.csv", {"municipality_code": "147", "provider_id": "P1"}, "cases",
             "lots")(folder)
    with pytest.raises(DataValidationError, match="assignments.csv.*row 3.*'cases'"):
        check_results(folder)


def test_missing_column_names_field(folder: Path) -> None:
    edit_csv("reach.csv", lambda df: df.drop(columns="share"))(folder)
    with pytest.raises(DataValidationError, match="reach.csv.*'share'"):
        check_results(folder)


def test_bad_model_section_names_field(folder: Path) -> None:
    edit_model(weights={"travel": 1, "bogus": 2})(folder)
    with pytest.raises(DataValidationError, match="scenario.resolved.yaml.*model.weights"):
        check_results(folder)


def test_kpis_without_terms_raises(folder: Path) -> None:
    edit_kpis(lambda k: k.pop("terms"))(folder)
    with pytest.raises(DataValidationError, match="kpis.json.*'terms'"):
        check_results(folder)


def test_to_text_truncates_long_families() -> None:
    report = CheckReport(
        violations=[Violation("reach", f"municipality {i}: no reach", "s", str(i), None)
                    for i in range(25)],
        objective_reported=1.0, objective_recomputed=1.0, terms={"travel": 1.0}, n_checks=30)
    text = report.to_text(max_lines=20)
    assert text.startswith("FAILED: 25 violation(s)")
    assert "[reach] 25 violation(s)" in text
    assert "municipality 19: no reach" in text
    assert "municipality 20: no reach" not in text
    assert "... and 5 more" in text


def test_radius_scenario_serves_the_nearest(folder: Path) -> None:
    """Without capacities, minimum volume and unmet demand every client must go to its
    nearest designated provider (the radius formulation); 751's autisme moved to P1 (180
    min, while P3 is 15 min away) breaks it."""
    edit_model(families={"capacity": False, "speciale_capacity": False, "min_volume": False,
                         "allow_unmet": False, "moved": False, "near_family": False,
                         "outreach": False})(folder)
    assert not [v for v in check_results(folder).violations if v.family == "radius_assignment"]
    edit_csv("assignments.csv", _move_751_to_p1)(folder)
    hits = [v for v in check_results(folder).violations if v.family == "radius_assignment"]
    assert hits and hits[0].municipality_code == "751" and "P1" in hits[0].message


def _move_751_to_p1(df: pd.DataFrame) -> None:
    mask = (df["municipality_code"] == "751") & (df["function"] == A)
    df.loc[mask, ["provider_id", "travel_minutes"]] = ["P1", "180.0"]


# ----------------------------------------------------------------------- kpis.json claims
CLAIMS = [
    ("status_infeasible_with_tables", lambda k: k.update(status="infeasible"),
     "solution tables"),
    ("status_unknown", lambda k: k.update(status="great"), "status 'great'"),
    ("bound_doubled", lambda k: k.update(best_bound=2 * OBJECTIVE, mip_gap=1.0),
     "above the objective"),
    ("gap_negative", lambda k: k.update(mip_gap=-5.0), "negative"),
    ("gap_wrong", lambda k: k.update(best_bound=OBJECTIVE / 2), "mip_gap 0"),
    ("gap_without_bound", lambda k: k.update(best_bound=None), "exactly when"),
    ("bound_not_a_number", lambda k: k.update(best_bound="low"), "best_bound"),
    ("optimal_above_target", lambda k: k.update(best_bound=OBJECTIVE * 0.9, mip_gap=0.1),
     "status optimal but the gap 10.0000%"),
]


@pytest.mark.parametrize(("mutate", "names"), [c[1:] for c in CLAIMS],
                         ids=[c[0] for c in CLAIMS])
def test_false_claims_in_kpis_are_violations(folder: Path, mutate: Callable[[dict], None],
                                             names: str) -> None:
    edit_kpis(mutate)(folder)
    _set_target_gap(folder, 0.005)  # what the run aimed for
    report = check_results(folder)
    hits = [v for v in report.violations if v.family == "claims"]
    assert hits, report.to_text()
    assert any(names in v.message for v in hits), report.to_text()


def _set_target_gap(folder: Path, gap: float) -> None:
    path = folder / "instance" / "scenario.resolved.yaml"
    doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    doc["solver"]["mip_rel_gap"] = gap
    path.write_text(yaml.safe_dump(doc, sort_keys=False), encoding="utf-8")


def test_consistent_gap_and_bound_pass(folder: Path) -> None:
    bound = OBJECTIVE * 0.99
    edit_kpis(lambda k: k.update(status="time_limit", best_bound=bound,
                                 mip_gap=(OBJECTIVE - bound) / OBJECTIVE))(folder)
    report = check_results(folder)
    assert report.ok, report.to_text()
    assert any("gap 1.00%" in w for w in report.warnings)


def test_folder_without_solution_is_reported(folder: Path) -> None:
    from specialeplan.results.contract import RESULT_TABLES

    for contract in RESULT_TABLES.values():
        (folder / contract.file).unlink(missing_ok=contract.optional)
    (folder / "kpis.json").write_text(json.dumps({"status": "infeasible", "objective": None}),
                                      encoding="utf-8")
    report = check_results(folder)
    assert not report.ok and not report.has_solution
    assert report.to_text().startswith("FAILED: no solution to check (status infeasible)")
    assert [v.message for v in report.violations] == [
        "kpis.json says status 'infeasible': this run has no solution to check "
        "(infeasibility.csv says which rules conflict)"]


# ----------------------------------------------------------------------- quality
def test_quality_warnings_name_gap_unmet_and_reach(folder: Path) -> None:
    from specialeplan.checker import QualityLimits

    edit_kpis(lambda k: k.update(status="time_limit", best_bound=OBJECTIVE * 0.08,
                                 mip_gap=0.92))(folder)
    report = check_results(folder)
    assert report.ok, report.to_text()  # feasible: the rules pass
    text = "\n".join(report.warnings)
    assert "gap 92.00% is above 0.00%" in text
    assert "2 borgerforløb unmet (limit 0): misbrug 2" in text
    assert "1 municipality × speciale without a rådgivningsfunktion" in text
    lenient = check_results(folder, limits=QualityLimits(max_gap=0.95, max_unmet=2,
                                                         max_reach_shortfalls=1))
    assert lenient.warnings == []


def test_check_strict_fails_on_quality_warnings(folder: Path) -> None:
    from typer.testing import CliRunner

    from specialeplan.cli import app

    runner = CliRunner()
    plain = runner.invoke(app, ["check", str(folder)])
    assert plain.exit_code == 0, plain.output
    assert "check passed" in plain.output and "warning: 2 borgerforløb unmet" in plain.output
    strict = runner.invoke(app, ["check", str(folder), "--strict"])
    assert strict.exit_code == 1
    assert "strict: 2 quality warning(s) fail the check" in strict.output
    ok = runner.invoke(app, ["check", str(folder), "--strict", "--max-unmet", "2",
                             "--max-reach-shortfalls", "1"])
    assert ok.exit_code == 0, ok.output
