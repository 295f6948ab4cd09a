"""Ctrl-C (SIGINT) and SIGTERM: keep the best solution feasible for the whole model, or write
nothing when there is none yet.

In-process tests drive the interrupt flag at chosen moments (fast); the process tests send
real signals to ``specialeplan run`` during the start heuristic and during HiGHS (slow).
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from specialeplan.api import build, solve
from specialeplan.cli import app
from specialeplan.model.examples import tiny_instance
from specialeplan.model.params import ModelParams
from specialeplan.solvers.base import (
    Deadline,
    SolverOptions,
    Status,
    interrupt_requested,
    interruptible,
    request_interrupt,
)
from specialeplan.solvers.registry import get_backend

ROOT = Path(__file__).resolve().parents[1]
SPECIALER = [f"S{i}" for i in range(6)]
POSIX = pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")


def six_specialer() -> tuple:
    """3 municipalities on a line, 4 providers competent in 6 specialer (24 pairs: the start
    heuristic runs; 6 > 5 specialer: blocks of five, then large-neighbourhood search);
    every speciale needs one specialfunktion (min_count 1), so a start that has not reached
    every speciale is infeasible for the whole model."""
    minutes = [[5, 30, 60], [30, 5, 30], [60, 30, 5]]
    providers = [{"id": f"P{i}", "at": i % 3, "capacity": 60} for i in range(4)]
    competence = [{"id": f"P{i}", "speciale": s, "designation_cost": 100 + 10 * i}
                  for i in range(4) for s in SPECIALER]
    demand = {(k, s): 4 + k for k in range(3) for s in SPECIALER}
    inst = tiny_instance(minutes, providers, demand, competence, specialer=SPECIALER,
                         codes=["101", "147", "151"])
    params = ModelParams.model_validate({"defaults": {"min_count": 1, "min_cases": 2}})
    return build(inst, params)


class InterruptOnCall:
    """A backend that requests an interrupt when its ``n``-th solve starts (``after``: ends)
    — like a Ctrl-C arriving then — and otherwise solves with the real one."""

    def __init__(self, n: int, name: str = "highs-direct", after: bool = False) -> None:
        self.real, self.n, self.calls, self.after = get_backend(name), n, 0, after
        self.name = self.real.name

    def available(self) -> bool:
        return True

    def version(self) -> str:
        return self.real.version()

    def check_options(self, options: SolverOptions) -> None:
        self.real.check_options(options)

    def solve(self, problem, options, start=None, hooks=None, *,  # noqa: ANN001, ANN201
              deadline=None):
        self.calls += 1
        if self.calls == self.n and not self.after:
            request_interrupt()
        out = self.real.solve(problem, options, start, hooks, deadline=deadline)
        if self.calls == self.n and self.after:
            request_interrupt()
        return out


def _search_backend(monkeypatch: pytest.MonkeyPatch, n: int,
                    after: bool = False) -> InterruptOnCall:
    """The primal search's sub-solves (LP, restricted MIP, neighbourhoods) go through this."""
    import specialeplan.solvers.primal as primal

    backend = InterruptOnCall(n, after=after)
    monkeypatch.setattr(primal, "get_backend", lambda name: backend)
    return backend


# the model is small: the search runs before HiGHS, in this process
OPTIONS = SolverOptions(name="highs-direct", time_limit=12, mip_rel_gap=0.0, warm_start=True,
                        parallel=False)


def test_interrupt_in_the_search_before_a_solution_keeps_nothing(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """Interrupted in the first sub-solve of the search (its LP relaxation): no plan exists
    yet, so there is nothing to keep."""
    built = six_specialer()
    _search_backend(monkeypatch, n=1)
    outcome = solve(built, OPTIONS)
    assert outcome.result.status == Status.INTERRUPTED
    assert outcome.solution is None and outcome.result.objective is None
    assert outcome.result.extra["start_objective"] is None


def test_interrupt_in_the_improvement_keeps_the_feasible_start(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """Interrupted right after the restricted MIP: its plan covers every speciale and is
    feasible for the whole model, so it is kept (status interrupted)."""
    built = six_specialer()
    backend = _search_backend(monkeypatch, n=2, after=True)  # LP, then the restricted MIP
    outcome = solve(built, OPTIONS.model_copy(update={"time_limit": 60}))
    assert backend.calls == 2
    assert outcome.result.status == Status.INTERRUPTED
    assert outcome.solution is not None
    assert outcome.result.objective == pytest.approx(outcome.solution.kpis[
        "objective_recomputed"])
    assert all(outcome.solution.kpis["per_function"][s]["designations"] >= 1
               for s in SPECIALER)


def test_interrupt_before_highs_keeps_the_start(monkeypatch: pytest.MonkeyPatch) -> None:
    """The start heuristic finished; Ctrl-C as HiGHS starts: HiGHS has nothing, the
    (feasible) start is kept."""
    built = six_specialer()
    main = InterruptOnCall(1)
    outcome = solve(built, OPTIONS, backend=main)
    assert outcome.result.status == Status.INTERRUPTED
    assert outcome.solution is not None
    assert outcome.result.extra["solution_from"] == "start heuristic"
    assert outcome.result.objective == pytest.approx(outcome.result.extra["start_objective"])
    assert outcome.result.best_bound is None and outcome.result.mip_gap is None


def test_interrupt_keeps_only_solutions_feasible_for_the_whole_model() -> None:
    from specialeplan.api import feasible

    built = six_specialer()
    result, z = get_backend("highs-direct").solve(built.problem, OPTIONS)
    assert result.status == Status.OPTIMAL and feasible(built.problem, z)
    nothing = np.zeros(built.problem.n_columns)  # min_count and demand balance broken
    assert not feasible(built.problem, nothing)
    assert not feasible(built.problem, None)


@POSIX
def test_signals_set_the_flag_and_a_second_one_aborts() -> None:
    with interruptible():
        assert not interrupt_requested()
        os.kill(os.getpid(), signal.SIGTERM)  # would kill the process without the handler
        time.sleep(0.05)
        assert interrupt_requested()
        with pytest.raises(KeyboardInterrupt):
            os.kill(os.getpid(), signal.SIGINT)
            time.sleep(0.5)
    assert signal.getsignal(signal.SIGTERM) is signal.SIG_DFL
    with interruptible():  # a new run forgets the old interrupt
        assert not interrupt_requested()


def test_pending_interrupt_stops_a_solve_before_it_starts() -> None:
    built = six_specialer()
    with interruptible():
        request_interrupt()
        t0 = time.perf_counter()
        result, z = get_backend("highs-direct").solve(built.problem, OPTIONS,
                                                      deadline=Deadline.after(60))
    assert z is None and result.status == Status.NO_SOLUTION
    assert result.extra["interrupted_before_start"]
    assert time.perf_counter() - t0 < 5


def test_interrupt_before_anything_feasible_writes_no_folder(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Through the CLI (in-process): exit 130, a clear message, no results folder and no
    temp folder or lock left; an earlier result is untouched."""
    import specialeplan.solvers.primal as primal
    from specialeplan.model.examples import write_dataset

    built = six_specialer()
    write_dataset(built.data.instance, tmp_path / "six")
    scenario = tmp_path / "six.yaml"
    scenario.write_text("dataset: six\nmodel: {defaults: {min_count: 1, min_cases: 2}}\n"
                        "solver: {name: highs-direct, mip_rel_gap: 0, time_limit: 12,"
                        " warm_start: true}\n",
                        encoding="utf-8")
    backend = InterruptOnCall(1)  # during the search's LP: nothing feasible yet
    monkeypatch.setattr(primal, "get_backend", lambda name: backend)
    out = tmp_path / "out"
    result = CliRunner().invoke(app, ["run", str(scenario), "--out", str(out), "--quiet"])
    assert result.exit_code == 130, result.output
    assert "nothing was written" in result.output
    assert list(out.iterdir()) == []


# ----------------------------------------------------------------- real processes
def _run_and_signal(tmp_path: Path, scenario: str, wait_for: str, sig: signal.Signals,
                    *sets: str, delay: float = 1.0) -> tuple[int, str]:
    cmd = [sys.executable, "-m", "specialeplan.cli", "run",
           str(ROOT / "scenarios" / f"{scenario}.yaml"), "--out", str(tmp_path), "--no-excel",
           *(a for s in sets for a in ("--set", s))]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                            env={**os.environ, "COLUMNS": "250"})
    assert proc.stdout is not None
    seen = []
    for line in proc.stdout:
        seen.append(line)
        if wait_for in line:
            break
    else:
        pytest.fail(f"never saw {wait_for!r}:\n{''.join(seen)}")
    time.sleep(delay)
    proc.send_signal(sig)
    rest, _ = proc.communicate(timeout=120)
    return proc.returncode, "".join(seen) + rest


@pytest.mark.slow
@POSIX
@pytest.mark.parametrize(("sig", "solver"), [(signal.SIGINT, "highs-direct"),
                                             (signal.SIGINT, "highs"),
                                             (signal.SIGTERM, "highs-direct")],
                         ids=["SIGINT-direct", "SIGINT-pyomo", "SIGTERM-direct"])
def test_signal_in_the_start_heuristic_writes_nothing(tmp_path: Path, sig: signal.Signals,
                                                      solver: str) -> None:
    """All 20 specialer: 1 s into the solve (the search's LP relaxation, or HiGHS's presolve
    beside it) no solution exists yet, so nothing is kept: exit 130, no folder."""
    code, output = _run_and_signal(tmp_path, "national_2030", "solving (time limit", sig,
                                   f"solver.name={solver}", "solver.time_limit=120",
                                   "solver.warm_start=true")
    assert code == 130, output[-3000:]
    assert "nothing was written" in output
    assert list(tmp_path.iterdir()) == []  # no results, no temp folder, no lock


@pytest.mark.slow
@POSIX
@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_signal_in_highs_keeps_the_best_solution(tmp_path: Path, sig: signal.Signals) -> None:
    """base: HiGHS is in its branch-and-bound log (4 s after its header it has plans): the
    best solution is kept with status interrupted (exit 0) and passes the check."""
    # only the direct backend: through APPSI the solver log reaches stdout in bursts, so the
    # marker line is no reliable clock for when to send the signal
    code, output = _run_and_signal(tmp_path, "base", "B&B Tree", sig,
                                   "solver.name=highs-direct", "solver.time_limit=120",
                                   "solver.mip_rel_gap=0", delay=4.0)
    assert code == 0, output[-3000:]
    kpis = json.loads((tmp_path / "base" / "kpis.json").read_text())
    assert kpis["status"] == "interrupted"
    assert kpis["objective"] > 0 and kpis["best_bound"] is not None
    assert "check passed" in output
    assert sorted(p.name for p in tmp_path.iterdir()) == ["base"]
