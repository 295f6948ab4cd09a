"""One run, one folder, written atomically (``specialeplan.results.runfolder`` and ``run``'s use of
it): refusing a finished run, ``--overwrite`` only after success, infeasible and no-solution
re-runs in folders of their own, safe names, early writability checks, the rescue folder,
and the lock against a concurrent run (two real processes)."""

from __future__ import annotations

import errno
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest
from conftest import tree_digest
from typer.testing import CliRunner

from specialeplan.cli import app
from specialeplan.results.runfolder import (
    RunFolder,
    RunFolderBusy,
    RunFolderError,
    RunFolderExists,
    RunLock,
    check_folder_name,
)
from specialeplan.scenarios.schema import load_scenario

runner = CliRunner()
ROOT = Path(__file__).resolve().parents[1]


def run_cli(*args: str) -> tuple[int, str]:
    result = runner.invoke(app, ["run", *args, "--quiet", "--no-excel"])
    return result.exit_code, result.output


# ----------------------------------------------------------------- the module itself
def test_publish_is_atomic_and_cleans_up(tmp_path: Path) -> None:
    with RunFolder(tmp_path, "a") as rf:
        assert rf.tmp.is_dir() and rf.tmp.name.startswith(".a@tmp-")
        assert not (tmp_path / "a").exists()  # nothing visible before publishing
        assert (tmp_path / ".a@lock").read_text().strip() == str(os.getpid())
        (rf.tmp / "kpis.json").write_text("{}")
        assert rf.publish() == tmp_path / "a"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a"]  # no temp, no lock left
    assert json.loads((tmp_path / "a" / "specialeplan.json").read_text())["kind"] == "run"


def test_leaving_without_publish_keeps_the_old_run(tmp_path: Path) -> None:
    old = tmp_path / "a"
    old.mkdir()
    (old / "kpis.json").write_text('{"status": "optimal", "objective": 5}')
    before = tree_digest(old)
    with pytest.raises(RuntimeError), RunFolder(tmp_path, "a", overwrite=True) as rf:
        (rf.tmp / "kpis.json").write_text("{}")
        raise RuntimeError("the solve failed")
    assert tree_digest(old) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a"]


def test_overwrite_replaces_only_after_publish(tmp_path: Path) -> None:
    old = tmp_path / "a"
    old.mkdir()
    (old / "kpis.json").write_text('{"status": "optimal"}')
    (old / "stale.csv").write_text("x")
    with RunFolder(tmp_path, "a", overwrite=True) as rf:
        (rf.tmp / "kpis.json").write_text('{"status": "time_limit"}')
        assert (old / "stale.csv").exists()  # still the old run while the new one is written
        rf.publish()
    # nothing of the old run
    assert sorted(p.name for p in old.iterdir()) == ["kpis.json", "specialeplan.json"]
    assert "time_limit" in (old / "kpis.json").read_text()


def test_existing_run_is_refused_with_what_is_there(tmp_path: Path) -> None:
    old = tmp_path / "a"
    (old / "instance").mkdir(parents=True)
    (old / "kpis.json").write_text('{"status": "optimal", "objective": 1060.0}')
    (old / "instance" / "scenario.resolved.yaml").write_text("created: '2026-01-02T03:04:05'\n")
    with pytest.raises(RunFolderExists, match=r"status optimal, objective 1,060, created "
                                              r"2026-01-02T03:04:05.*--overwrite"):
        RunFolder(tmp_path, "a").__enter__()
    assert not (tmp_path / ".a@lock").exists()  # the refused run released its lock


def test_a_folder_that_is_no_run_is_never_replaced(tmp_path: Path) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "providers.csv").write_text("precious")
    with pytest.raises(RunFolderExists, match="not a specialeplan result"):
        RunFolder(tmp_path, "a", overwrite=True).__enter__()


def test_leftovers_of_killed_runs_are_removed(tmp_path: Path) -> None:
    (tmp_path / ".a@tmp-999999-deadbeef").mkdir()
    (tmp_path / ".b@tmp-1-x").mkdir()  # another target's: not ours to touch
    with RunFolder(tmp_path, "a") as rf:
        rf.publish()
    assert sorted(p.name for p in tmp_path.iterdir()) == [".b@tmp-1-x", "a"]


def test_stale_lock_file_is_taken_over(tmp_path: Path) -> None:
    (tmp_path / ".a@lock").write_text("999999\n")  # left by a killed run: nobody holds it
    with RunFolder(tmp_path, "a") as rf:
        assert (tmp_path / ".a@lock").read_text().strip() == str(os.getpid())
        rf.publish()


def test_held_lock_refuses_at_once_naming_the_pid(tmp_path: Path) -> None:
    with RunLock(tmp_path, "a"):
        t0 = time.perf_counter()
        with pytest.raises(RunFolderBusy, match=rf"PID {os.getpid()}") as info:
            RunFolder(tmp_path, "a").__enter__()
        assert info.value.pid == os.getpid()
        assert time.perf_counter() - t0 < 2.0


@pytest.mark.parametrize("name", ["..", ".", ".hidden", "a/b", "a\\b", "", "x" * 101, "a@b",
                                  "a ", "a.", " a", "a\nb", "a\tb"])
def test_unsafe_names_are_refused(name: str) -> None:
    with pytest.raises(RunFolderError, match="not a safe folder name"):
        check_folder_name(name)


@pytest.mark.parametrize("name", ["base", "small-2030", "wave_1.v2", "A1", "x" * 100, "a b",
                                  "æøå", "Plan for Nordjylland", "min_cases=30,cutoff=150"])
def test_safe_names_pass(name: str) -> None:
    assert check_folder_name(name) == name


@pytest.mark.parametrize(("code", "word"), [(errno.ENOSPC, "disk is full"),
                                            (errno.EROFS, "read-only")])
def test_unwritable_output_fails_before_anything_runs(tmp_path: Path, monkeypatch:
                                                      pytest.MonkeyPatch, code: int,
                                                      word: str) -> None:
    import specialeplan.results.runfolder as rfmod

    real_open = open

    def failing_open(path, mode="r", *args, **kwargs):  # noqa: ANN001, ANN202
        if str(path).endswith(".probe"):
            raise OSError(code, os.strerror(code))
        return real_open(path, mode, *args, **kwargs)

    monkeypatch.setattr(rfmod, "open", failing_open, raising=False)
    with pytest.raises(RunFolderError, match=word):
        RunFolder(tmp_path, "a").__enter__()
    assert sorted(p.name for p in tmp_path.iterdir()) == []


# ----------------------------------------------------------------- through `run`
def test_rerun_refuses_and_leaves_the_result_alone(tiny_scenario: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    assert run_cli(str(tiny_scenario), "--out", str(out))[0] == 0
    before = tree_digest(out / "tiny")
    code, output = run_cli(str(tiny_scenario), "--out", str(out), "--set",
                           "model.weights.travel=2")
    assert code == 2
    assert "already holds a run (status optimal, objective 1,060" in output
    assert "--overwrite" in output
    assert tree_digest(out / "tiny") == before
    assert sorted(p.name for p in out.iterdir()) == ["tiny"]


def test_overwrite_gives_a_clean_folder_and_a_fresh_log(tiny_scenario: Path,
                                                        tmp_path: Path) -> None:
    out = tmp_path / "out"
    assert runner.invoke(app, ["run", str(tiny_scenario), "--out", str(out), "--quiet",
                               "--maps"]).exit_code == 0
    log = (out / "tiny" / "solver.log").read_text()
    (out / "tiny" / "maps" / "B.png").write_bytes(b"a stale map of an unplanned speciale")
    code, output = run_cli(str(tiny_scenario), "--out", str(out), "--overwrite")
    assert code == 0, output
    assert not (out / "tiny" / "maps").exists()  # no stale maps
    assert not (out / "tiny" / "results.xlsx").exists()  # this run wrote none
    new_log = (out / "tiny" / "solver.log").read_text()
    assert new_log.count("MIP has") == log.count("MIP has") >= 1  # not appended


def test_infeasible_rerun_is_a_folder_of_its_own(tiny_scenario: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    assert run_cli(str(tiny_scenario), "--out", str(out))[0] == 0
    before = tree_digest(out / "tiny")
    bad = ["--set", "model.defaults.min_cases=100", "--set", "model.defaults.min_count=1"]
    code, output = run_cli(str(tiny_scenario), "--out", str(out), *bad)
    assert code == 2 and "already holds a run" in output
    assert tree_digest(out / "tiny") == before  # refused: the good result is still there
    code, output = run_cli(str(tiny_scenario), "--out", str(out), "--overwrite", *bad)
    assert code == 3, output
    files = sorted(p.name for p in (out / "tiny").iterdir())
    assert files == ["infeasibility.csv", "instance", "kpis.json", "solver.log",
                     "specialeplan.json"]
    assert json.loads((out / "tiny" / "kpis.json").read_text())["status"] == "infeasible"
    check = runner.invoke(app, ["check", str(out / "tiny")])
    assert check.exit_code == 1
    assert "no solution to check (status infeasible)" in check.output


def test_no_solution_run_writes_its_own_folder(tiny_scenario: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    code, output = run_cli(str(tiny_scenario), "--out", str(out), "--set",
                           "solver.time_limit=0")
    assert code == 1, output
    assert "no solution" in output and "left no time to solve" in output
    kpis = json.loads((out / "tiny" / "kpis.json").read_text())
    assert kpis["status"] == "no_solution" and kpis["objective"] is None
    assert not (out / "tiny" / "designations.csv").exists()


def test_set_name_dotdot_is_refused(tiny_scenario: Path, tmp_path: Path) -> None:
    out = tmp_path / "nest" / "out"
    out.mkdir(parents=True)
    (tmp_path / "nest" / "kpis.json").write_text("precious")
    for name in ("..", ".", "../x", "a/b"):
        code, output = run_cli(str(tiny_scenario), "--out", str(out), "--set", f"name={name}")
        assert code == 2, output
        assert "not a safe folder name" in output
    assert (tmp_path / "nest" / "kpis.json").read_text() == "precious"
    assert list(out.iterdir()) == []


def test_child_scenario_gets_its_own_name(tiny_scenario: Path, tmp_path: Path) -> None:
    child = tmp_path / "tiny_more.yaml"
    child.write_text("extends: tiny.yaml\nmodel: {demand_growth: 1.5}\n", encoding="utf-8")
    assert load_scenario(child).scenario.name == "tiny_more"
    out = tmp_path / "out"
    assert run_cli(str(tiny_scenario), "--out", str(out))[0] == 0
    before = tree_digest(out / "tiny")
    code, output = run_cli(str(child), "--out", str(out))
    assert code == 0, output
    assert tree_digest(out / "tiny") == before
    assert (out / "tiny_more" / "kpis.json").is_file()


def test_out_pointing_at_a_file_fails_before_solving(tiny_scenario: Path,
                                                     tmp_path: Path) -> None:
    target = tmp_path / "results.txt"
    target.write_text("not a folder")
    code, output = run_cli(str(tiny_scenario), "--out", str(target))
    assert code == 2
    assert "is a file, not a folder" in output
    assert "Traceback" not in output and "loading dataset" not in output
    code, output = run_cli(str(tiny_scenario), "--out", str(target / "sub"))
    assert code == 2 and "Traceback" not in output


@pytest.mark.parametrize(("error", "says"), [
    (OSError(errno.ENOSPC, "No space left on device"), "No space left on device"),
    (ValueError("a bug in the writer"), "a bug in the writer"),
], ids=["disk_full", "writer_bug"])
def test_write_failure_after_the_solve_goes_to_a_rescue_folder(
        tiny_scenario: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        error: Exception, says: str) -> None:
    import tempfile

    import specialeplan.results.writer as results

    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path / "sys-tmp"))
    (tmp_path / "sys-tmp").mkdir()
    real = results.write_results
    calls: list[Path] = []

    def disk_full_once(outcome, resolved, folder, *, excel=True):  # noqa: ANN001, ANN202
        calls.append(folder)
        if len(calls) == 1:
            raise error
        return real(outcome, resolved, folder, excel=excel)

    monkeypatch.setattr(results, "write_results", disk_full_once)
    out = tmp_path / "out"
    code, output = run_cli(str(tiny_scenario), "--out", str(out))
    assert code == 4, output
    rescued = list((tmp_path / "sys-tmp").glob("specialeplan-rescue-tiny-*"))
    assert len(rescued) == 1
    assert says in output and "saved to" in output
    assert rescued[0].name in output.replace("\n", "")
    assert pd.read_csv(rescued[0] / "designations.csv")["provider_id"].tolist() == ["P1"]
    assert runner.invoke(app, ["check", str(rescued[0])]).exit_code == 0
    assert not (out / "tiny").exists()  # nothing half-written at the target


# ----------------------------------------------------------------- two real processes
@pytest.mark.slow
@pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")
def test_second_concurrent_run_refuses_naming_the_first(tmp_path: Path) -> None:
    """A long first run holds the lock; a second run on the same target refuses at once
    naming the first's PID; the first one's result is complete and checkable."""
    scenario = ROOT / "scenarios" / "base.yaml"
    cmd = [sys.executable, "-m", "specialeplan.cli", "run", str(scenario), "--out",
           str(tmp_path), "--no-excel", "--set", "solver.time_limit=60", "--set",
           "solver.mip_rel_gap=0"]
    first = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                             env={**os.environ, "COLUMNS": "250"})
    assert first.stdout is not None
    for line in first.stdout:
        if "solving (time limit" in line:
            break
    second = subprocess.run(cmd, capture_output=True, text=True, timeout=60,
                            env={**os.environ, "COLUMNS": "250"})
    first_still_running = first.poll() is None
    first.send_signal(signal.SIGINT)  # let the first one finish with what it has
    rest, _ = first.communicate(timeout=120)
    assert second.returncode == 2, second.stdout + second.stderr
    assert f"PID {first.pid}" in second.stderr
    # refused at once, not after waiting for the lock: the first run (60 s limit, gap 0)
    # was still solving when the second gave up (no wall-clock bound: load cannot break it)
    assert first_still_running
    assert first.returncode in (0, 130), rest
    if first.returncode == 0:
        assert runner.invoke(app, ["check", str(tmp_path / "base")]).exit_code == 0
    assert not list(tmp_path.glob(".base@*"))  # no lock or temp folder left
