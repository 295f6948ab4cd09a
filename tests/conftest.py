"""Shared fixtures: a tiny dataset and scenario written to disk (fast CLI runs)."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from specialeplan.model.examples import tiny_instance, write_dataset

LINE = [[5, 30, 60], [30, 5, 30], [60, 30, 5]]
# unit-less weights (model.pricing): the hand-derived optimum 1060 below; tests of the
# objective in kroner write their own scenario (tests/test_costs.py)
TINY_SCENARIO = ("name: tiny\ndataset: tiny\nmodel:\n  defaults: {reach_minutes: 40}\n"
                 "  pricing: unit_less\n"
                 "solver: {mip_rel_gap: 0}\n")


def write_tiny(folder: Path, scenario: str = TINY_SCENARIO) -> Path:
    """Line instance m0–m1–m2 (codes 101, 147, 151; 30 min apart), 10 borgerforløb each,
    providers P0..P2 (designation 400, rådgivning 10), reach 40 min; optimum 1060 (P1
    alone). Returns the scenario file ``folder/tiny.yaml`` (dataset in ``folder/tiny``)."""
    providers = [{"id": f"P{i}", "at": i} for i in range(3)]
    competence = [{"id": f"P{i}", "speciale": "A", "designation_cost": 400,
                   "advisory_cost": 10, "designated_today": i == 0} for i in range(3)]
    inst = tiny_instance(LINE, providers, {(k, "A"): 10 for k in range(3)}, competence,
                         codes=["101", "147", "151"])
    write_dataset(inst, folder / "tiny")
    path = folder / "tiny.yaml"
    path.write_text(scenario, encoding="utf-8")
    return path


@pytest.fixture
def tiny_scenario(tmp_path: Path) -> Path:
    """The tiny scenario file (see :func:`write_tiny`)."""
    return write_tiny(tmp_path)


def tree_digest(folder: Path) -> dict[str, str]:
    """Relative path → sha256 of every file under ``folder`` (to prove it was not touched)."""
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def write_tie(folder: Path) -> Path:
    """Two specialer on the line m0–m1–m2 with a known tie (tests/test_alternatives.py
    derives the plans): type A, 10 borgerforløb in m0 and m2, P0 and P2 at 1,000, P1 at
    1,100; type B, 10 in m1, only P1 (500); unit-less pricing, no help near the family.
    Optimum 2,220 (P0 or P2 for A), next 2,270 (P1 for A). Returns ``folder/tie.yaml``."""
    providers = [{"id": f"P{i}", "at": i} for i in range(3)]
    competence = [
        {"id": "P0", "speciale": "A", "designation_cost": 1000, "advisory_cost": 10},
        {"id": "P1", "speciale": "A", "designation_cost": 1100, "advisory_cost": 10},
        {"id": "P2", "speciale": "A", "designation_cost": 1000, "advisory_cost": 10},
        {"id": "P1", "speciale": "B", "designation_cost": 500, "advisory_cost": 10}]
    inst = tiny_instance(LINE, providers, {(0, "A"): 10, (2, "A"): 10, (1, "B"): 10},
                         competence, codes=["101", "147", "151"], specialer=("A", "B"))
    write_dataset(inst, folder / "tie")
    path = folder / "tie.yaml"
    path.write_text("name: tie\ndataset: tie\nmodel:\n  defaults: {reach_minutes: 100, "
                    "max_travel_minutes: 100, near_family_share: 0}\n  pricing: unit_less\n"
                    "solver: {mip_rel_gap: 0, time_limit: 60}\n", encoding="utf-8")
    return path
