"""Sweeps: the file, run names and keys, the engine (sequential, local Dask cluster, an
existing scheduler), re-use, fault tolerance, resume after a kill, summary and stability."""

from __future__ import annotations

import json
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest
from conftest import tree_digest, write_tiny
from typer.testing import CliRunner

from specialeplan.analyses import sweep as sweep_module
from specialeplan.analyses.sweep import grid_runs, load_sweep, run_sweep, write_summary
from specialeplan.analyses.sweep_report import TIMING_COLUMNS, pareto_front, weighted_quantile
from specialeplan.checker import check_results
from specialeplan.cli import app
from specialeplan.errors import ScenarioError

runner = CliRunner()
REPO = Path(__file__).resolve().parents[1]


def write_sweep(folder: Path, body: str, name: str = "sw.yaml") -> Path:
    path = folder / name
    path.write_text(body, encoding="utf-8")
    return path


def complete_runs(root: Path) -> list[str]:
    runs = root / "runs"
    return sorted(p.name for p in runs.iterdir() if not p.name.startswith(".")) \
        if runs.is_dir() else []


def deterministic(summary: pd.DataFrame) -> pd.DataFrame:
    return summary.drop(columns=[c for c in TIMING_COLUMNS if c in summary])


# ----------------------------------------------------------------------------- the file
def test_grid_names_are_readable_unique_and_in_product_order() -> None:
    runs = grid_runs({"model.defaults.min_cases": [15, 20.5],
                      "model.per_speciale.A.min_cases": [1],
                      "model.forbidden": [[{"provider_id": "P1", "speciale": "A"}]]})
    assert [n for n, _ in runs] == [
        "defaults.min_cases=15,A.min_cases=1,forbidden=v1",
        "defaults.min_cases=20.5,A.min_cases=1,forbidden=v1"]
    assert runs[1][1]["model.defaults.min_cases"] == 20.5


@pytest.mark.parametrize(("body", "match"), [
    ("name: s\nscenario: tiny.yaml\n", "either 'grid'"),
    ("name: s\nscenario: tiny.yaml\ngrid: {a.b: [1]}\n", "not a scenario key path"),
    ("name: s\nscenario: tiny.yaml\ngrid: {model.demand_growth: []}\n", "empty"),
    ("name: ../x\nscenario: tiny.yaml\ngrid: {model.demand_growth: [1]}\n",
     "not a safe folder name"),
    ("name: s\nscenario: tiny.yaml\ngrid: {model.demand_growth: [1]}\nrunz: {}\n",
     "Extra inputs"),
    ("name: s\nscenario: nowhere.yaml\ngrid: {model.demand_growth: [1]}\n",
     "cannot find scenario 'nowhere.yaml'"),
    ("name: s\nscenario: tiny.yaml\nruns: {a: {model.specialer: [B]}}\n",
     "run a: unknown speciale 'B'"),
    ("name: s\nscenario: tiny.yaml\nruns: {a: {model.defaults.min_cases: -1}}\n",
     "greater than or equal to 0"),
])
def test_bad_sweep_files_are_clear_errors(tmp_path: Path, body: str, match: str) -> None:
    write_tiny(tmp_path)
    with pytest.raises(ScenarioError, match=match):
        load_sweep(write_sweep(tmp_path, body))


def test_wrong_speciale_gets_did_you_mean(tmp_path: Path) -> None:
    write_tiny(tmp_path)
    body = "name: s\nscenario: small\nruns: {a: {model.specialer: [autsme]}}\n"
    with pytest.raises(ScenarioError, match="Did you mean 'autisme'"):
        load_sweep(write_sweep(tmp_path, body))


def test_keys_follow_scenario_and_data_not_names(tmp_path: Path) -> None:
    write_tiny(tmp_path)
    body = ("name: s\nscenario: tiny\nruns:\n  a: {model.demand_growth: 1.0}\n"
            "  b: {model.demand_growth: 1.0}\n  c: {model.demand_growth: 1.5}\n")
    sw = load_sweep(write_sweep(tmp_path, body))
    a, b, c = sw.runs
    assert a.key == b.key != c.key  # same scenario, other name: same key
    assert load_sweep(write_sweep(tmp_path, body)).runs[2].key == c.key  # stable
    demand = tmp_path / "tiny" / "demand.csv"
    demand.write_text(demand.read_text().replace(",10", ",11"), encoding="utf-8")
    assert load_sweep(write_sweep(tmp_path, body)).runs[0].key != a.key  # data changed


def test_reuse_parent_is_the_latest_run_it_restricts(tmp_path: Path) -> None:
    write_tiny(tmp_path)
    body = ("name: s\nscenario: tiny\ngrid:\n  model.defaults.min_cases: [0, 15]\n"
            "  model.defaults.max_travel_minutes: [60, 30]\n")
    sw = load_sweep(write_sweep(tmp_path, body))
    parents = {r.name: r.parent for r in sw.runs}
    assert parents == {
        "min_cases=0,max_travel_minutes=60": None,
        "min_cases=0,max_travel_minutes=30": "min_cases=0,max_travel_minutes=60",
        "min_cases=15,max_travel_minutes=60": "min_cases=0,max_travel_minutes=60",
        "min_cases=15,max_travel_minutes=30": "min_cases=15,max_travel_minutes=60"}
    off = load_sweep(write_sweep(tmp_path, body + "reuse: false\n"))
    assert all(r.parent is None for r in off.runs)


# ----------------------------------------------------------------------------- the engine
TINY_SWEEP = """name: tiny-sweep
scenario: tiny.yaml
set: {solver.time_limit: 30}
excel: false
runs:
  cheap: {model.weights.designation: 1}
  dear: {model.weights.designation: 2}
  three_at_least: {model.defaults.min_count: 3}
  five_at_least: {model.defaults.min_count: 5}
  broken: {model.weights.travel: 1.0e+14}
"""


@pytest.fixture
def tiny_sweep(tmp_path: Path) -> Path:
    """Five runs of the tiny line instance: two weights (the second restricts the first),
    three specialfunktioner (feasible), five (infeasible: three providers), and a run that
    fails while building (a travel weight that makes coefficients too large to solve)."""
    write_tiny(tmp_path)
    return write_sweep(tmp_path, TINY_SWEEP)


def test_sweep_records_every_run_and_never_stops(tiny_sweep: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    table = run_sweep(tiny_sweep, out)
    root = out / "tiny-sweep"
    assert table["run"].tolist() == ["cheap", "dear", "three_at_least", "five_at_least",
                                     "broken"]
    st = table.set_index("run")
    assert st.loc["cheap", "status"] == "optimal"
    # hand-derived (conftest.write_tiny): P1 alone, 400 + 10 + 650 = 1060; designation ×2
    assert st.loc["cheap", "objective"] == pytest.approx(1060)
    assert st.loc["dear", "objective"] == pytest.approx(1460)
    assert st.loc["dear", "reused_from"] == "cheap" and bool(st.loc["dear", "bound_reused"])
    assert st.loc["three_at_least", "designations"] == 3
    assert st.loc["five_at_least", "status"] == "infeasible"
    assert "count_bounds" in st.loc["five_at_least", "reason"]
    assert st.loc["broken", "status"] == "error"
    assert "too large" in st.loc["broken", "reason"]
    # every run with an outcome has a checked folder; the failed one has none
    assert complete_runs(root) == ["cheap", "dear", "five_at_least", "three_at_least"]
    for name in ("cheap", "dear", "three_at_least"):
        assert check_results(root / "runs" / name).ok, name
    on_disk = pd.read_csv(root / "summary.csv")
    assert on_disk["run"].tolist() == table["run"].tolist()
    assert (root / "summary.parquet").is_file()
    assert pd.read_parquet(root / "summary.parquet")["run"].tolist() == table["run"].tolist()
    stab = pd.read_csv(root / "stability.csv", dtype={"municipality_code": str})
    p1 = stab[stab["provider_id"] == "P1"].iloc[0]
    assert (p1["runs_designated"], p1["n_runs"], bool(p1["core"])) == (3, 3, True)
    assert set(stab.loc[stab["provider_id"] != "P1", "runs_designated"]) == {1}
    assert (root / "stability.png").stat().st_size > 1000


def test_existing_sweep_needs_resume_or_overwrite(tiny_sweep: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    run_sweep(tiny_sweep, out)
    root = out / "tiny-sweep"
    before = tree_digest(root / "runs")
    result = runner.invoke(app, ["sweep", str(tiny_sweep), "--out", str(out)])
    assert result.exit_code == 2 and "--resume" in result.output
    result = runner.invoke(app, ["sweep", str(tiny_sweep), "--out", str(out), "--resume"])
    assert result.exit_code == 1, result.output  # the broken run is retried and fails again
    assert "kept 4" in result.output
    assert tree_digest(root / "runs") == before  # nothing redone
    # a changed scenario changes the key: that run alone is redone
    tiny_sweep.write_text(TINY_SWEEP.replace("designation: 2", "designation: 3"),
                          encoding="utf-8")
    table = run_sweep(tiny_sweep, out, resume=True)
    after = tree_digest(root / "runs")
    changed = {k.split("/")[0] for k in set(before) ^ set(after)} | {
        k.split("/")[0] for k in before if k in after and before[k] != after[k]}
    assert changed == {"dear"}
    assert table.set_index("run").loc["dear", "objective"] == pytest.approx(1860)


def test_cli_sweep_pareto_and_progress(tiny_sweep: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    result = runner.invoke(app, ["sweep", str(tiny_sweep), "--out", str(out), "--pareto",
                                 "designations", "mean_travel_minutes"])
    assert result.exit_code == 1, result.output  # the broken run
    assert "done 3" in result.output and "failed 2" in result.output
    table = pd.read_csv(out / "tiny-sweep" / "summary.csv")
    front = set(table.loc[table["pareto"], "run"])
    # one specialfunktion (mean travel 20 min) vs three (5 min): both non-dominated;
    # 'dear' has the same plan as 'cheap' (a tie is not domination)
    assert front == {"cheap", "dear", "three_at_least"}
    assert (out / "tiny-sweep" / "pareto.png").is_file()
    bad = runner.invoke(app, ["sweep", str(tiny_sweep), "--out", str(tmp_path / "o2"),
                              "--pareto", "designatons", "objective"])
    assert bad.exit_code == 2 and "Did you mean 'designations'" in bad.output


def test_pareto_front_and_weighted_quantile_by_hand() -> None:
    t = pd.DataFrame({"run": list("abcde"), "status": ["optimal"] * 4 + ["infeasible"],
                      "x": [1, 2, 3, 2, 0], "y": [5, 3, 4, 3, 0]})
    # c is dominated by b (2,3) < (3,4); b and d tie; e has no solution
    assert pareto_front(t, ["x", "y"]).tolist() == [True, True, False, True, False]
    assert weighted_quantile([10, 20, 30], [1, 1, 8], 0.95) == 30
    assert weighted_quantile([10, 20, 30], [5, 4, 1], 0.5) == 10
    assert weighted_quantile([10, 20, 30], [5, 4, 1], 0.9) == 20


def test_show_prints_the_resolved_scenario(tmp_path: Path) -> None:
    child = tmp_path / "child.yaml"
    child.write_text("extends: small\nmodel: {defaults: {min_cases: 25}}\n", encoding="utf-8")
    result = runner.invoke(app, ["show", str(child), "--set", "solver.time_limit=30"])
    assert result.exit_code == 0, result.output
    assert "min_cases: 25.0" in result.output and "time_limit: 30.0" in result.output
    assert "spiseforstyrrelser" in result.output  # from small.yaml
    assert "--set solver.time_limit=30" in result.output
    assert runner.invoke(app, ["show", "smal"]).exit_code == 2


# ----------------------------------------------------------------------------- small.yaml
# small.yaml on one of its two specialer (the sweep machinery is the same; CI stays quick)
SMALL_SWEEP = """name: small-12
scenario: small.yaml
set:
  model.functions: [spiseforstyrrelser]
  solver.name: highs-direct
  solver.warm_start: false
  solver.time_limit: 120
  solver.mip_rel_gap: 0.01
excel: false
grid:
  model.defaults.min_cases: [15, 20, 25]
  model.defaults.max_travel_minutes: [240, 210, 180, 150]
"""


@pytest.mark.slow
def test_twelve_runs_identical_sequential_workers_and_scheduler(tmp_path: Path) -> None:
    from dask.distributed import LocalCluster

    path = write_sweep(tmp_path, SMALL_SWEEP)
    seq = run_sweep(path, tmp_path / "seq")
    assert len(seq) == 12 and set(seq["status"]) == {"optimal"}
    assert seq["reused_from"].notna().sum() == 11  # every run restricts an earlier one
    two = run_sweep(path, tmp_path / "two", workers=2)
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                      dashboard_address=None) as cluster:
        sched = run_sweep(path, tmp_path / "sched", scheduler=cluster.scheduler_address)
    pd.testing.assert_frame_equal(deterministic(seq), deterministic(two))
    pd.testing.assert_frame_equal(deterministic(seq), deterministic(sched))
    on_disk = [deterministic(pd.read_csv(tmp_path / m / "small-12" / "summary.csv"))
               for m in ("seq", "two", "sched")]
    pd.testing.assert_frame_equal(on_disk[0], on_disk[1])
    pd.testing.assert_frame_equal(on_disk[0], on_disk[2])


def _sweep_process(path: Path, out: Path, *extra: str) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "specialeplan.cli", "sweep", str(path),
                             "--out", str(out), *extra], cwd=REPO, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True)


def _wait_for_runs(root: Path, n: int, proc: subprocess.Popen, timeout: float = 240) -> None:
    t0 = time.time()
    while len(complete_runs(root)) < n:
        assert proc.poll() is None, proc.communicate()[0]
        assert time.time() - t0 < timeout, "the sweep did not get going"
        time.sleep(0.2)


def _assert_no_half_written(root: Path) -> None:
    for name in complete_runs(root):
        folder = root / "runs" / name
        record = json.loads((folder / "sweep_run.json").read_text())
        assert record["sweep_run"] == name
        assert (folder / "kpis.json").is_file() and (folder / "instance").is_dir()
    # a kill during a summary's write may leave its hidden temp file (never a visible CSV,
    # and removed when the sweep resumes: asserted after the resume)
    leftovers = [p for p in root.glob("*") if p.name.startswith(".") and "tmp" in p.name]
    assert all(re.fullmatch(r"\.[\w.]+@tmp-\d+(\.\w+)?", p.name) for p in leftovers), leftovers


def _digest_runs(root: Path) -> dict[str, str]:
    """Digest of the complete run folders (a killed run leaves its lock file and temp
    folder, hidden, until the run is redone)."""
    return {k: v for k, v in tree_digest(root / "runs").items() if not k.startswith(".")}


@pytest.mark.slow
@pytest.mark.parametrize("sig", [signal.SIGKILL, signal.SIGTERM])
def test_killed_sweep_resumes_without_redoing_a_run(tmp_path: Path, sig: int) -> None:
    path = write_sweep(tmp_path, SMALL_SWEEP)
    out = tmp_path / "out"
    root = out / "small-12"
    proc = _sweep_process(path, out)
    _wait_for_runs(root, 3, proc)
    proc.send_signal(sig)
    output = proc.communicate(timeout=120)[0]
    if sig == signal.SIGTERM:
        assert proc.returncode == 130, output
        assert "--resume" in output
    _assert_no_half_written(root)
    done = complete_runs(root)
    assert 3 <= len(done) < 12
    before = _digest_runs(root)
    summary = pd.read_csv(root / "summary.csv")
    assert set(summary["run"]) <= set(done)  # the summary only lists complete runs
    proc = _sweep_process(path, out, "--resume")
    output = proc.communicate(timeout=600)[0]
    assert proc.returncode == 0, output
    assert f"kept {len(done)}" in output
    started = [line for line in output.splitlines() if ": optimal in" in line]
    assert len(started) == 12 - len(done)  # the rest, each once
    after = _digest_runs(root)
    assert {k: v for k, v in after.items() if k in before} == before  # none redone
    final = pd.read_csv(root / "summary.csv")
    assert len(final) == 12 and set(final["status"]) == {"optimal"}
    assert not [p for p in (root / "runs").iterdir() if p.name.startswith(".")]
    assert not list(root.glob(".*@tmp-*"))  # the killed sweep's temp files are gone
    for name in complete_runs(root):
        assert check_results(root / "runs" / name).ok


def test_sigterm_on_tiny_sweep_keeps_complete_runs(tmp_path: Path) -> None:
    write_tiny(tmp_path)
    runs = "\n".join(f"  w{i}: {{model.weights.travel: {1 + i / 10}}}" for i in range(30))
    path = write_sweep(tmp_path, f"name: many\nscenario: tiny\nexcel: false\nreuse: false\n"
                                 f"runs:\n{runs}\n")
    out = tmp_path / "out"
    proc = _sweep_process(path, out)
    _wait_for_runs(out / "many", 2, proc)
    proc.send_signal(signal.SIGTERM)
    output = proc.communicate(timeout=60)[0]
    assert proc.returncode in (0, 130), output
    _assert_no_half_written(out / "many")
    summary = pd.read_csv(out / "many" / "summary.csv")
    assert set(summary["run"]) == set(complete_runs(out / "many"))
    if proc.returncode == 130:
        assert "interrupted" in output and len(summary) < 30


def test_summary_without_a_parquet_engine_leaves_no_parquet_file(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """summary.csv is written; a stale summary.parquet is removed rather than left behind
    (or replaced by an empty file) when no engine can write the new one."""
    table = pd.DataFrame({"run": ["a", "b"], "objective": [1.0, 2.0]})
    write_summary(tmp_path, table)
    assert pd.read_parquet(tmp_path / "summary.parquet")["run"].tolist() == ["a", "b"]
    monkeypatch.setattr(sweep_module, "write_parquet", lambda df, path: False)
    write_summary(tmp_path, table.assign(objective=[3.0, 4.0]))
    assert not (tmp_path / "summary.parquet").exists()
    assert pd.read_csv(tmp_path / "summary.csv")["objective"].tolist() == [3.0, 4.0]
    assert [p.name for p in tmp_path.iterdir()] == ["summary.csv"]  # no temporary file left
