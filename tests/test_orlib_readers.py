"""OR-Library readers and their reduction to the placement model (no solver needed)."""

from __future__ import annotations

import itertools
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from specialeplan.data.orlib import (
    SPECIALE,
    ClassicProblem,
    read_cflp,
    read_classic,
    read_pmedian,
)
from specialeplan.errors import DataValidationError

ORLIB = Path(__file__).resolve().parents[1] / "data" / "orlib_instances"

CAP = {"cap41": (16, 50), "cap61": (16, 50), "cap81": (25, 50), "cap111": (50, 50),
       "cap121": (50, 50)}
PMED = {"pmed1": (100, 5), "pmed2": (100, 10), "pmed4": (100, 20), "pmed5": (100, 33),
        "pmed10": (200, 67), "pmed16": (400, 5), "pmed31": (700, 5), "pmed40": (900, 90)}


def travel_matrix(problem: ClassicProblem) -> np.ndarray:
    """provider_travel as a (customers x providers) array in c1.., f1.. order."""
    inst = problem.instance
    wide = inst.provider_travel.pivot(index="municipality_code", columns="provider_id",
                                      values="minutes")
    return wide.loc[inst.municipalities["code"], inst.providers["provider_id"]].to_numpy()


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


# ------------------------------------------------------------------ bundled files
def test_bundle_complete() -> None:
    names = {p.stem for p in ORLIB.glob("*.txt")}
    assert names == set(CAP) | set(PMED)
    assert "Beasley" in (ORLIB / "README.md").read_text()
    optima = pd.read_csv(ORLIB / "optima.csv")
    assert list(optima.columns) == ["instance", "kind", "optimum"]
    assert set(optima["instance"]) == names


@pytest.mark.parametrize("name", sorted(CAP))
def test_cflp_shapes(name: str) -> None:
    m, n = CAP[name]
    prob = read_cflp(ORLIB / f"{name}.txt")
    inst = prob.instance
    assert (prob.name, prob.kind) == (name, "cflp")
    assert len(inst.providers) == m and len(inst.municipalities) == n
    assert len(inst.competence) == m and len(inst.demand) == n
    assert len(inst.provider_travel) == n * m
    assert inst.speciale_ids == [SPECIALE]
    assert set(inst.providers["municipality_code"]) <= set(inst.municipality_codes)
    np.testing.assert_allclose(inst.municipalities["population"], inst.demand["demand"])
    assert prob.published_optimum is not None


@pytest.mark.parametrize("name", sorted(PMED))
def test_pmedian_shapes(name: str) -> None:
    n, p = PMED[name]
    prob = read_pmedian(ORLIB / f"{name}.txt")
    inst = prob.instance
    assert (prob.name, prob.kind) == (name, "pmedian")
    assert len(inst.providers) == n and len(inst.municipalities) == n
    assert len(inst.provider_travel) == n * n
    assert inst.demand["demand"].sum() == n
    assert prob.params.defaults.min_count == p == prob.params.defaults.max_count
    dist = travel_matrix(prob)
    assert np.isfinite(dist).all()
    np.testing.assert_array_equal(dist, dist.T)
    np.testing.assert_array_equal(np.diag(dist), 0.0)
    assert (dist[~np.eye(n, dtype=bool)] > 0).all()


def test_cap41_values() -> None:
    prob = read_cflp(ORLIB / "cap41.txt")
    inst = prob.instance
    assert inst.demand["demand"].sum() == pytest.approx(58268.0)
    t = travel_matrix(prob)
    # customer 1: demand 146, cost 6739.725 for all of it at facility 1
    assert t[0, 0] == pytest.approx(6739.725 / 146)
    # customer 3: demand 672, cost 4914 at facility 1 and 26409.6 at facility 2
    assert t[2, 0] == pytest.approx(4914.0 / 672)
    assert t[2, 1] == pytest.approx(26409.6 / 672)
    comp = inst.competence.set_index("provider_id")
    assert comp.loc["f1", "designation_cost"] == 7500.0
    assert comp.loc["f11", "designation_cost"] == 0.0
    assert (comp["max_cases"] == 5000.0).all()
    assert (inst.providers["capacity"] == 5000.0).all()
    assert not comp["designated_today"].any() and (comp["advisory_cost"] == 0).all()
    assert prob.published_optimum == pytest.approx(1040444.375)


def test_cflp_params() -> None:
    par = read_cflp(ORLIB / "cap41.txt").params
    assert par.specialer == [SPECIALE]
    assert par.defaults.min_cases == 0 and par.defaults.max_travel_minutes is None
    assert par.defaults.reach_minutes is None
    assert (par.weights.travel, par.weights.designation, par.weights.advisory) == (1, 1, 0)
    assert par.weights.change == 0
    f = par.families
    assert f.capacity and f.speciale_capacity and not f.allow_unmet
    assert not (f.reach or f.min_volume or f.travel_cutoff or f.count_bounds
                or f.region_bounds or f.max_specialer)


def test_pmedian_params_and_sites() -> None:
    prob = read_pmedian(ORLIB / "pmed1.txt")
    par = prob.params
    assert (par.weights.travel, par.weights.designation) == (1, 0)
    f = par.families
    assert f.count_bounds and not f.allow_unmet
    assert not (f.capacity or f.speciale_capacity or f.reach or f.min_volume
                or f.travel_cutoff or f.region_bounds or f.max_specialer)
    prov = prob.instance.providers
    assert list(prov["municipality_code"]) == [f"c{i}" for i in range(1, 101)]
    assert list(prov["provider_id"]) == [f"f{i}" for i in range(1, 101)]
    assert (prob.instance.competence["designation_cost"] == 0).all()
    assert prob.published_optimum == 5819


def test_read_classic_dispatch(tmp_path: Path) -> None:
    assert read_classic(ORLIB / "cap41.txt").kind == "cflp"
    assert read_classic(ORLIB / "pmed1.txt").kind == "pmedian"
    with pytest.raises(DataValidationError):
        read_classic(write(tmp_path, "other.txt", "1 1 1"))


# ------------------------------------------------------------------ handmade files
def test_last_occurrence_counts(tmp_path: Path) -> None:
    # 1-2 first listed at cost 1, then again (reversed) at 50: 50 counts.
    # 2-3 listed at 10, then as 3-2 at 20: 20 counts. A self-loop is ignored.
    text = "3 6 1\n1 2 1\n2 3 10\n1 3 100\n2 1 50\n3 2 20\n2 2 7\n"
    dist = travel_matrix(read_pmedian(write(tmp_path, "tiny.txt", text)))
    expected = np.array([[0, 50, 70], [50, 0, 20], [70, 20, 0]], dtype=float)
    np.testing.assert_array_equal(dist, expected)


def test_pmed1_duplicate_edges_use_last() -> None:
    # pmed1 lists 19-20 at 22 then 30, and 70-30 at 5 then 74 (README: optimum 5819 needs last)
    dist = travel_matrix(read_pmedian(ORLIB / "pmed1.txt"))
    assert dist[18, 19] <= 30 and dist[18, 19] != 22
    assert dist[69, 29] <= 74 and dist[69, 29] != 5


def test_bruteforce_pmedian(tmp_path: Path) -> None:
    # square 1-2-3-4 with a long chord 1-4; distances by hand:
    hand = np.array([[0, 3, 7, 9], [3, 0, 4, 6], [7, 4, 0, 2], [9, 6, 2, 0]], dtype=float)
    text = "4 4 2\n1 2 3\n2 3 4\n3 4 2\n4 1 10\n"
    prob = read_pmedian(write(tmp_path, "square.txt", text))
    dist = travel_matrix(prob)
    np.testing.assert_array_equal(dist, hand)

    p = prob.params.defaults.min_count
    demand = prob.instance.demand.set_index("municipality_code").loc[
        prob.instance.municipality_codes, "demand"].to_numpy()

    def optimum(d: np.ndarray) -> float:
        return min(float(demand @ d[:, list(s)].min(axis=1))
                   for s in itertools.combinations(range(d.shape[1]), p))

    assert optimum(dist) == optimum(hand) == 5.0  # e.g. open {1, 3}: 3 + 2


def test_cflp_wrapped_tokens_and_zero_demand(tmp_path: Path) -> None:
    # 2 facilities, 2 customers; everything on a few odd lines; customer 2 has demand 0
    text = "2 2 10 5.\n 20 7 4\n 8.0 12\n 0 3\n 9\n"
    prob = read_cflp(write(tmp_path, "capx.txt", text))
    t = travel_matrix(prob)
    np.testing.assert_allclose(t, [[2.0, 3.0], [0.0, 0.0]])
    assert list(prob.instance.demand["demand"]) == [4.0, 0.0]
    assert list(prob.instance.providers["capacity"]) == [10.0, 20.0]
    assert list(prob.instance.competence["designation_cost"]) == [5.0, 7.0]
    assert prob.published_optimum is None


def test_published_optimum_from_csv(tmp_path: Path) -> None:
    shutil.copy(ORLIB / "pmed1.txt", tmp_path / "pmed1.txt")
    assert read_pmedian(tmp_path / "pmed1.txt").published_optimum is None
    (tmp_path / "optima.csv").write_text(
        "instance,kind,optimum\npmed1,pmedian,123\npmed1,cflp,7\n")
    assert read_pmedian(tmp_path / "pmed1.txt").published_optimum == 123.0


# ------------------------------------------------------------------ bad files
def test_truncated_cflp(tmp_path: Path) -> None:
    tokens = (ORLIB / "cap41.txt").read_text().split()
    cut = 2 + 2 * 16 + 37 * 17 + 5  # 37 whole customers and part of the 38th
    path = write(tmp_path, "cap41.txt", " ".join(tokens[:cut]))
    with pytest.raises(DataValidationError) as err:
        read_cflp(path)
    assert err.value.file == str(path) and err.value.field == "customers"
    assert "expected 50 customers, file ends after 37" in str(err.value)
    assert str(path) in str(err.value)


def test_truncated_facilities(tmp_path: Path) -> None:
    path = write(tmp_path, "capt.txt", "3 1\n10 1\n10")
    with pytest.raises(DataValidationError, match="expected 3 facilities, file ends after 1"):
        read_cflp(path)


def test_truncated_pmedian(tmp_path: Path) -> None:
    lines = (ORLIB / "pmed1.txt").read_text().splitlines()
    path = write(tmp_path, "pmed1.txt", "\n".join(lines[:101]))
    with pytest.raises(DataValidationError) as err:
        read_pmedian(path)
    assert err.value.file == str(path) and err.value.field == "edges"
    assert "expected 200 edges, file ends after 100" in str(err.value)


@pytest.mark.parametrize(
    ("reader", "text", "field", "match"),
    [
        (read_cflp, "2 1\n10 5\n10 x\n3 1 1\n", "facilities", "facility 2"),
        (read_cflp, "1 1\n10 5\n3 1\n99\n", "customers", "unexpected"),
        (read_cflp, "one 1\n", "header", "header"),
        (read_cflp, "1 1\n10 5\n-3 1\n", "customers", ">= 0"),
        (read_pmedian, "3 1 1\n1 4 5\n", "edges", "vertices are 1..3"),
        (read_pmedian, "3 1 1\n1 2.5 5\n", "edges", "whole numbers"),
        (read_pmedian, "3 1 1\n1 2 5\n", "edges", "disconnected"),
        (read_pmedian, "3 2 4\n1 2 5\n2 3 1\n", "header", "p <= n"),
        (read_pmedian, "", "header", "header"),
    ],
)
def test_garbled(tmp_path: Path, reader, text: str, field: str, match: str) -> None:
    path = write(tmp_path, "bad.txt", text)
    with pytest.raises(DataValidationError, match=match) as err:
        reader(path)
    assert err.value.file == str(path) and err.value.field == field
