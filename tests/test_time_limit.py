"""The time limit is a wall for the whole run: loading, building, the start heuristic with
every sub-solve, HiGHS and writing (``solvers.base.Deadline``)."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from specialeplan.api import build, load_dataset, solve
from specialeplan.cli import app
from specialeplan.scenarios.schema import load_scenario
from specialeplan.solvers.base import Deadline, SolverOptions, Status
from specialeplan.solvers.registry import get_backend

ROOT = Path(__file__).resolve().parents[1]


def test_deadline_arithmetic() -> None:
    none = Deadline.none()
    assert none.remaining() == float("inf") and not none.expired()
    assert none.cap(7.0) == 7.0 and none.cap(None) is None
    d = Deadline.after(10.0)
    assert 9.0 < d.remaining() <= 10.0
    assert d.cap(3.0) == 3.0 and 9.0 < d.cap(100.0) <= 10.0 and 9.0 < d.cap(None) <= 10.0
    assert d.earlier(4.0).remaining() <= 6.0
    assert d.within(2.0).remaining() <= 2.0 and d.within(100.0).end == d.end
    assert none.within(5.0).remaining() <= 5.0
    past = Deadline.after(1.0, start=time.perf_counter() - 5.0)
    assert past.expired() and past.remaining() == 0.0 and past.cap(10.0) == 0.0
    assert Deadline.after(None).end is None


@pytest.fixture(scope="module")
def base_built():  # noqa: ANN201
    sc = load_scenario(ROOT / "scenarios" / "base.yaml").scenario
    return build(load_dataset("denmark"), sc.model), sc.solver


def test_backends_cap_their_time_limit_by_the_deadline(base_built) -> None:  # noqa: ANN001
    built, solver = base_built
    built.pyomo  # noqa: B018 - the Pyomo model is built (and kept) before the clock starts
    for name in ("highs-direct", "highs"):
        options = solver.model_copy(update={"name": name, "time_limit": 600.0,
                                            "warm_start": False})
        t0 = time.perf_counter()
        result, _ = get_backend(name).solve(built.problem, options,
                                            deadline=Deadline.after(1.5))
        assert result.status in (Status.TIME_LIMIT, Status.NO_SOLUTION), name
        assert time.perf_counter() - t0 < 8, name  # model hand-over + 1.5 s + overshoot


def test_primal_search_stops_at_its_time(base_built) -> None:  # noqa: ANN001
    """The search (LP, restricted MIP, neighbourhoods) caps every sub-solve by what is left:
    given 2 s it ends within a few seconds, whatever it found."""
    from specialeplan.model.strategy import column_groupings, primal_view
    from specialeplan.solvers.primal import lp_guided_search

    built, solver = base_built
    primal, _, _ = primal_view(built.data, built.problem)
    options = solver.model_copy(update={"name": "highs-direct"})
    t0 = time.perf_counter()
    lp_guided_search(primal, options, seconds=2.0,
                     groupings=column_groupings(built.data, primal))
    assert time.perf_counter() - t0 < 5


def test_time_limit_zero_means_no_solving_time(tiny_scenario: Path, tmp_path: Path) -> None:
    resolved = load_scenario(tiny_scenario, ["solver.time_limit=0"])
    built = build(load_dataset("tiny", resolved.base_dir), resolved.scenario.model)
    t0 = time.perf_counter()
    outcome = solve(built, resolved.scenario.solver)
    assert time.perf_counter() - t0 < 1
    assert outcome.solution is None and outcome.result.status == Status.NO_SOLUTION
    assert "left no time to solve" in outcome.result.extra["note"]
    result = CliRunner().invoke(app, ["run", str(tiny_scenario), "--out", str(tmp_path / "o"),
                                      "--quiet", "--set", "solver.time_limit=0"])
    assert result.exit_code == 1
    assert "no solution (status no_solution: the time limit (0 s) left no time" in (
        result.output.replace("\n", " "))


def test_infinite_time_limit_is_refused() -> None:
    with pytest.raises(ValueError, match="finite"):
        SolverOptions(time_limit=float("inf"))


@pytest.mark.slow
@pytest.mark.parametrize(("scenario", "limit"), [("base", 5), ("national_2030", 30)])
def test_run_ends_within_its_time_limit(tmp_path: Path, scenario: str, limit: int) -> None:
    """The whole CLI process (Python start-up included) ends within the limit plus a few
    seconds (start-up, HiGHS's own overshoot, process exit). The scenarios are ones HiGHS
    cannot prove optimal (gap 0) inside the limit, so the limit is what stops them."""
    scenario_file = ROOT / "scenarios" / f"{scenario}.yaml"
    cmd = [sys.executable, "-m", "specialeplan.cli", "run", str(scenario_file),
           "--out", str(tmp_path), "--quiet", "--set", f"solver.time_limit={limit}",
           "--set", "solver.mip_rel_gap=0"]  # never done early: the limit must stop it
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=limit + 120)
    wall = time.perf_counter() - t0
    assert proc.returncode in (0, 1), proc.stdout + proc.stderr  # 1: no solution in 5 s
    assert wall <= limit + 6, f"{wall:.1f} s for a {limit} s limit"
    kpis = json.loads((tmp_path / scenario / "kpis.json").read_text())
    assert kpis["status"] in ("time_limit", "no_solution")
    if limit >= 30:
        assert kpis["objective"] is not None


class _FakeHighs:
    def __init__(self) -> None:
        self.cancelled = 0

    def cancelSolve(self) -> None:  # noqa: N802 - highspy's name
        self.cancelled += 1


def test_highs_is_cancelled_once_it_overruns_its_limit() -> None:
    """HiGHS's sub-MIP heuristics overran a 25 s limit by 8 s: a watchdog cancels the solve
    at the limit plus the grace; a solve that ends in time is left alone."""
    from specialeplan.solvers.highs import OVERRUN_GRACE, cancel_after

    slow = _FakeHighs()
    with cancel_after(slow, 0.05) as overran:
        time.sleep(0.05 + OVERRUN_GRACE + 0.3)
    assert overran.is_set() and slow.cancelled == 1
    fast = _FakeHighs()
    with cancel_after(fast, 0.05) as overran:
        pass
    time.sleep(0.05 + OVERRUN_GRACE + 0.2)  # the timer is stopped, not merely late
    assert not overran.is_set() and fast.cancelled == 0
    with cancel_after(fast, None) as overran:  # no limit, no watchdog
        pass
    assert not overran.is_set()
