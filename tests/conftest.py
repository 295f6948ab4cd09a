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
