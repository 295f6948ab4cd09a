"""Regression against published optima (Beasley's OR-Library), through the normal path.

The placement model must reduce exactly to capacitated facility location (cap*) and
p-median (pmed*); any weakened or broken constraint family shows up here as a wrong
objective. Published cap* optima are rounded to three decimals → relative tolerance 1e-6.
"""

from __future__ import annotations

import dataclasses
import json

import pandas as pd
import pytest
from typer.testing import CliRunner

from specialeplan.classic import solve_classic
from specialeplan.cli import app
from specialeplan.data.orlib import BENCHMARK_DIR, read_classic
from specialeplan.solvers.base import SolverOptions

OPTIMA = pd.read_csv(BENCHMARK_DIR / "optima.csv")
LARGE = {"pmed16", "pmed31", "pmed40"}  # minutes each: benchmarks/bench_orlib.py, not CI
CASES = [(row.instance, row.kind, float(row.optimum)) for row in OPTIMA.itertuples()
         if row.instance not in LARGE]


@pytest.mark.parametrize("solver", ["highs", "highs-direct"])
@pytest.mark.parametrize(("name", "kind", "optimum"), CASES, ids=[c[0] for c in CASES])
def test_published_optimum(name: str, kind: str, optimum: float, solver: str) -> None:
    problem = read_classic(BENCHMARK_DIR / f"{name}.txt")
    record = solve_classic(problem, SolverOptions(name=solver, mip_rel_gap=0.0,
                                                  time_limit=300))
    assert record["status"] == "optimal"
    assert record["objective"] == pytest.approx(optimum, rel=1e-6)
    if kind == "pmedian":
        assert record["facilities_open"] == problem.params.defaults.min_count


def test_classic_cli_json() -> None:
    result = CliRunner().invoke(
        app, ["classic", "pmedian", str(BENCHMARK_DIR / "pmed1.txt"), "--json"])
    assert result.exit_code == 0, result.output
    record = json.loads(result.output)
    assert {"objective", "status", "seconds", "facilities_open"} <= set(record)
    assert record["objective"] == pytest.approx(5819)
    assert record["facilities_open"] == 5


def test_classic_cli_bad_file(tmp_path) -> None:  # noqa: ANN001
    bad = tmp_path / "cap_bad.txt"
    bad.write_text("16 50\n5000 7500\n")
    result = CliRunner().invoke(app, ["classic", "cflp", str(bad)])
    assert result.exit_code == 2
    assert "cap_bad.txt" in result.output


@pytest.mark.parametrize("name", ["pmed1", "pmed5"])
def test_radius_formulation_matches_the_arcs(name: str) -> None:
    """p-median is chosen in the radius formulation (every client to its nearest open site);
    forcing the per-arc assignment gives the same optimum with a larger model."""
    problem = read_classic(BENCHMARK_DIR / f"{name}.txt")
    options = SolverOptions(name="highs-direct", mip_rel_gap=0.0, time_limit=300)
    radius = solve_classic(problem, options)
    arcs = solve_classic(dataclasses.replace(problem, params=problem.params.model_copy(
        update={"assignment_formulation": "arcs"})), options)
    assert radius["objective"] == pytest.approx(arcs["objective"], rel=1e-9)
    assert radius["n_constraints"] < arcs["n_constraints"]
    assert radius["open"] == arcs["open"] or radius["objective"] == pytest.approx(
        arcs["objective"])


@pytest.mark.parametrize("optima", [
    "name,value\npmed1,3\n",                       # other columns
    "instance,kind,optimum\npmed1,pmedian,lots\n",  # not a number
    b"\xff\xfe\x00\x01binary",                      # not text
])
def test_classic_ignores_a_broken_optional_optima_file(tmp_path, optima) -> None:  # noqa: ANN001
    import shutil

    shutil.copy(BENCHMARK_DIR / "pmed1.txt", tmp_path / "pmed1.txt")
    path = tmp_path / "optima.csv"
    path.write_bytes(optima if isinstance(optima, bytes) else optima.encode())
    result = CliRunner().invoke(app, ["classic", "pmedian", str(tmp_path / "pmed1.txt"),
                                      "--json"])
    assert result.exit_code == 0, result.output
    assert "warning: ignoring" in result.stderr and "optima.csv" in result.stderr
    record = json.loads(result.stdout)
    assert record["objective"] == pytest.approx(5819) and record["published_optimum"] is None


def test_classic_infeasible_exits_3(tmp_path) -> None:  # noqa: ANN001
    """One facility of capacity 10, one customer with demand 30 (CFLP has no unmet demand)."""
    path = tmp_path / "capinf.txt"
    path.write_text("1 1\n10 5\n30 1\n")
    result = CliRunner().invoke(app, ["classic", "cflp", str(path)])
    assert result.exit_code == 3, result.output
    assert "infeasible" in result.output and "demand_balance" in result.output
