"""The checker's rules for backup coverage and rollout commitments, on hand-built and solved
folders that break them."""

from __future__ import annotations

import dataclasses
import shutil
from pathlib import Path

import pandas as pd
import pytest
from test_checker import A, edit_model, set_cell, write_tiny_results
from test_model_families import EVEN, LINE, PROVIDERS, comp

from specialeplan.api import build, solve
from specialeplan.checker import check_results
from specialeplan.model.examples import tiny_instance
from specialeplan.model.params import ModelParams
from specialeplan.results.reload import load_run
from specialeplan.results.writer import write_results
from specialeplan.scenarios.schema import ResolvedScenario, Scenario
from specialeplan.solvers.base import SolverOptions


@pytest.fixture(scope="module")
def hand_built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_tiny_results(tmp_path_factory.mktemp("hand") / "tiny")


@pytest.fixture
def folder(hand_built: Path, tmp_path: Path) -> Path:
    return Path(shutil.copytree(hand_built, tmp_path / "tiny"))


def _violations(folder: Path, family: str) -> list:
    return [v for v in check_results(folder).violations if v.family == family]


def test_backup_coverage_rule_on_the_hand_built_folder(folder: Path) -> None:
    """autisme: municipality 101 has P1 (10 min) in range, P3 is 180 min away (cutoff 120,
    outreach radius 90): one specialfunktion, backup coverage needs two. misbrug has one
    specialfunktion in all."""
    assert not _violations(folder, "backup_coverage")  # switched off: not checked
    edit_model(families={"backup_coverage": True})(folder)
    hits = _violations(folder, "backup_coverage")
    assert any(v.municipality_code == "101" and v.function == A and "needs 2" in v.message
               for v in hits), hits
    assert {v.function for v in hits} == {A, "misbrug"}


def _solved_backup_folder(root: Path) -> Path:
    """The line with cutoff 40 and backup coverage: all three open (each municipality at its
    own provider, 5 min)."""
    inst = tiny_instance(LINE, PROVIDERS, EVEN, comp(400))
    params = ModelParams(defaults={"max_travel_minutes": 40},
                         families={"backup_coverage": True})
    outcome = solve(build(inst, params), SolverOptions(mip_rel_gap=0.0))
    sc = Scenario(name="backup", model=params)
    return write_results(outcome, ResolvedScenario(sc, None), root / "backup", excel=False)


def test_backup_coverage_broken_folder_is_caught(tmp_path: Path) -> None:
    """A solved folder passes (its function_params.csv says backup_minutes 40: the default,
    the cutoff). A cutoff of 25 min in its inputs leaves every municipality with only its
    own provider in range (nothing is assigned farther than 5 min, so only backup coverage
    breaks)."""
    folder = _solved_backup_folder(tmp_path)
    report = check_results(folder)
    assert report.ok, report.to_text()
    for col in ("max_travel_minutes", "backup_minutes"):
        set_cell("instance/function_params.csv", {"function": "A"}, col, 25.0)(folder)
    report = check_results(folder)
    assert {v.family for v in report.violations} == {"backup_coverage"}, report.to_text()
    assert {v.municipality_code for v in report.violations} == {"m0", "m1", "m2"}
    # a longer backup cutoff (the second within 70 min) makes it hold again
    set_cell("instance/function_params.csv", {"function": "A"}, "backup_minutes", 70.0)(folder)
    assert check_results(folder).ok


@pytest.mark.parametrize(("committed", "names"), [
    ([{"provider_id": "P1", "speciale": A, "advisory": True, "cases": 18}], None),
    ([{"provider_id": "P1", "speciale": A, "cases": 20}], ["P1", "18", "20"]),
    ([{"provider_id": "P3", "speciale": A, "advisory": True}], ["P3", "rådgivning"]),
    ([{"provider_id": "P2", "speciale": A}], ["P2", "not designated"]),
], ids=["kept", "volume", "duty", "designation"])
def test_committed_rule(folder: Path, committed: list[dict], names: list[str] | None) -> None:
    """P1/autisme serves 18 borgerforløb as a rådgivningsfunktion; P3/autisme is no
    rådgivningsfunktion; P2/autisme is not designated."""
    edit_model(committed=committed)(folder)
    hits = _violations(folder, "committed")
    if names is None:
        assert not hits, hits
    else:
        assert any(all(n in v.message for n in names) for v in hits), hits


def test_delivery_need_folder_checks_reloads_and_is_caught(tmp_path: Path) -> None:
    """The hand-solved delivery-need instance (``test_model_fidelity``): ρ_A = 0.4 from the
    dataset, demand 10 in m1, 6 by T1's outreach team and 4 at P0's place. The folder
    writes ρ into ``function_params.csv`` and the table into ``instance/delivery_need.csv``,
    checks clean with the rule run, reloads with the same ρ; with ρ raised to 0.5 in the
    folder, 6 > (1 − 0.5)·10 = 5 by outreach is a violation."""
    providers = [{"id": "P0", "at": 0}, {"id": "T1", "at": 1, "kind": "outreach"}]
    inst = tiny_instance(LINE, providers, {(1, "A"): 10},
                         [{"id": "P0", "speciale": "A"}, {"id": "T1", "speciale": "A"}])
    inst = dataclasses.replace(inst, delivery_need=pd.DataFrame(
        {"speciale": ["A"], "residential_share": [0.4], "source": ["test"], "note": [""]}))
    params = ModelParams(weights={"outreach": 0.5})
    outcome = solve(build(inst, params), SolverOptions(mip_rel_gap=0.0))
    folder = write_results(outcome, ResolvedScenario(Scenario(name="need", model=params),
                                                     None), tmp_path / "need", excel=False)
    assert (folder / "instance" / "delivery_need.csv").is_file()
    report = check_results(folder)
    assert report.ok, report.to_text()
    assert "delivery_need" not in report.skipped
    assert load_run(folder).instance.residential_shares() == {"A": 0.4}
    set_cell("instance/function_params.csv", {"function": "A"}, "residential_share", 0.5)(folder)
    hits = _violations(folder, "delivery_need")
    # one row per speciale
    assert [(v.municipality_code, v.function) for v in hits] == [(None, "A")], hits
    assert "6 borgerforløb by outreach" in hits[0].message
