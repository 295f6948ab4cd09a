"""Results never lost, part two (issue 20): one folder rule for every command, names that
cannot collide, a crash-safe overwrite, and a checker that trusts nothing.

Every case here failed on the code before it: a sweep wrote into a run's folder, a rollout
into a sweep's, ``compare --out`` over a run's ``kpis.json``; a run named ``s`` deleted the
temp folder of a run named ``s.tmp-x``; a crash between the two renames of ``--overwrite``
lost the old result; a stray ``infeasibility.csv`` or an edited ``instance/`` passed
``check``; ``vulnerability`` analysed a tampered plan."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
from conftest import tree_digest
from typer.testing import CliRunner

import specialeplan.results.runfolder as rfmod
from specialeplan.cli.main import app
from specialeplan.results.runfolder import (
    RunFolder,
    RunFolderError,
    RunFolderExists,
    derived_name,
    folder_kind,
)

runner = CliRunner()


def cli(*args: str) -> tuple[int, str]:
    result = runner.invoke(app, list(args))
    return result.exit_code, result.output


def solved(tiny_scenario: Path, out: Path) -> Path:
    code, output = cli("run", str(tiny_scenario), "--out", str(out), "--quiet", "--no-excel")
    assert code == 0, output
    return out / "tiny"


def tiny_sweep(folder: Path) -> Path:
    path = folder / "sw.yaml"
    path.write_text("name: sw\nscenario: tiny.yaml\nruns:\n  a: {model.weights.travel: 1}\n"
                    "  b: {model.weights.travel: 2}\n", encoding="utf-8")
    return path


# ------------------------------------------------------------------ one folder rule
def test_every_folder_records_its_kind(tiny_scenario: Path, tmp_path: Path) -> None:
    run = solved(tiny_scenario, tmp_path / "out")
    assert json.loads((run / "specialeplan.json").read_text())["kind"] == "run"
    code, output = cli("sweep", str(tiny_sweep(tmp_path)), "--out", str(tmp_path / "s"))
    assert code == 0, output
    assert folder_kind(tmp_path / "s" / "sw") == "sweep"
    assert folder_kind(tmp_path / "s" / "sw" / "runs" / "a") == "run"


def test_sweep_into_a_run_folder_is_refused(tiny_scenario: Path, tmp_path: Path) -> None:
    run = solved(tiny_scenario, tmp_path / "out")
    before = tree_digest(run)
    code, output = cli("sweep", str(tiny_sweep(tmp_path)), "--out", str(run))
    assert code == 2, output
    assert "results folder of a run" in output and "Traceback" not in output
    assert tree_digest(run) == before


def test_run_overwrite_never_replaces_a_sweep(tiny_scenario: Path, tmp_path: Path) -> None:
    code, output = cli("sweep", str(tiny_sweep(tmp_path)), "--out", str(tmp_path / "out"))
    assert code == 0, output
    (tmp_path / "sw.yaml").unlink()
    before = tree_digest(tmp_path / "out" / "sw")
    code, output = cli("run", str(tiny_scenario), "--out", str(tmp_path / "out"), "--set",
                       "name=sw", "--overwrite", "--quiet")
    assert code == 2, output
    assert "results of a sweep, not of a run" in output
    assert tree_digest(tmp_path / "out" / "sw") == before


def test_compare_out_inside_a_run_is_refused(tiny_scenario: Path, tmp_path: Path) -> None:
    a = solved(tiny_scenario, tmp_path / "a")
    b = solved(tiny_scenario, tmp_path / "b")
    before = tree_digest(a)
    code, output = cli("compare", str(a), str(b), "--out", str(a / "kpis.json"))
    assert code == 2, output
    assert "results folder of a run" in output
    assert tree_digest(a) == before
    code, output = cli("compare", str(a), str(b), "--out", str(tmp_path / "c.json"))
    assert code == 0, output
    assert json.loads((tmp_path / "c.json").read_text())


def test_a_name_that_is_another_runs_temp_prefix(tmp_path: Path) -> None:
    """Run ``s.tmp-x`` is writing; run ``s`` starts, finishes, and must not touch it."""
    other = RunFolder(tmp_path, "s.tmp-x").__enter__()
    (other.tmp / "kpis.json").write_text("{}")
    with RunFolder(tmp_path, "s") as rf:
        (rf.tmp / "kpis.json").write_text("{}")
        rf.publish()
    assert (other.tmp / "kpis.json").is_file()  # the other run's work is intact
    assert other.publish() == tmp_path / "s.tmp-x"
    other.__exit__(None, None, None)


def test_derived_names_are_always_valid() -> None:
    long = "x" * 95
    name = derived_name(long, "_vulnerability_providers_allow_new")
    assert len(name) <= 100 and name.endswith("_vulnerability_providers_allow_new")
    assert derived_name("Plan for Nordjylland", "_vulnerability") == \
        "Plan for Nordjylland_vulnerability"
    assert derived_name("a@b/c", "") == "a_b_c"


# ------------------------------------------------------------------ crash-safe overwrite
def _old_result(root: Path) -> Path:
    old = root / "a"
    old.mkdir()
    (old / "kpis.json").write_text('{"status": "optimal", "objective": 1}')
    return old


def test_killed_between_the_renames_the_next_command_restores_the_old(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Where the system cannot swap folders atomically, the old result is renamed aside
    first; a process that dies right then leaves it aside, and the next command on the
    target puts it back before doing anything else."""
    _old_result(tmp_path)
    monkeypatch.setattr(rfmod, "exchange", lambda a, b: False)
    real_rename = os.rename
    calls: list[tuple[str, str]] = []

    def die_on_second(src, dst):  # noqa: ANN001, ANN202
        calls.append((str(src), str(dst)))
        if len(calls) == 2:
            raise KeyboardInterrupt  # stands for SIGKILL: nothing after this line runs
        return real_rename(src, dst)

    monkeypatch.setattr(rfmod.os, "rename", die_on_second)
    rf = RunFolder(tmp_path, "a", overwrite=True).__enter__()
    (rf.tmp / "kpis.json").write_text('{"status": "optimal", "objective": 2}')
    with pytest.raises(KeyboardInterrupt):
        rf.publish()
    rf.lock.release()  # the dead process's lock (the kernel drops it)
    monkeypatch.setattr(rfmod.os, "rename", real_rename)
    assert not (tmp_path / "a").exists()  # the window: the old result is aside
    with pytest.raises(RunFolderExists, match="already holds a run"):
        RunFolder(tmp_path, "a").__enter__()  # the next command finds it back in place
    assert json.loads((tmp_path / "a" / "kpis.json").read_text())["objective"] == 1


def test_overwrite_swaps_atomically(tmp_path: Path) -> None:
    _old_result(tmp_path)
    with RunFolder(tmp_path, "a", overwrite=True) as rf:
        (rf.tmp / "kpis.json").write_text('{"status": "optimal", "objective": 2}')
        rf.publish()
    assert json.loads((tmp_path / "a" / "kpis.json").read_text())["objective"] == 2
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a"]


WRITER = textwrap.dedent("""
    import json, sys, pathlib
    from specialeplan.results.runfolder import RunFolder
    root, n = pathlib.Path(sys.argv[1]), int(sys.argv[2])
    with RunFolder(root, "a", overwrite=True) as rf:
        print("writing", flush=True)
        for i in range(200):   # a write phase of many files, all stamped with this version
            (rf.tmp / f"t{i}.csv").write_text(f"{n}\\n" * 200)
        (rf.tmp / "kpis.json").write_text(json.dumps({"status": "optimal", "objective": n}))
        rf.publish()
""")


def _complete(folder: Path) -> int:
    """The version a complete folder holds (every file from the same writer)."""
    version = json.loads((folder / "kpis.json").read_text())["objective"]
    files = sorted(folder.glob("t*.csv"))
    assert len(files) == (200 if version else 0)
    assert all(f.read_text() == f"{version}\n" * 200 for f in files)
    return version


def _writer(script: Path, root: Path, n: int) -> tuple[subprocess.Popen[str], float]:
    proc = subprocess.Popen([sys.executable, str(script), str(root), str(n)],
                            stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None and proc.stdout.readline().strip() == "writing"
    return proc, time.perf_counter()


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")
def test_sigkill_at_any_point_of_the_write_leaves_old_or_new_complete(tmp_path: Path) -> None:
    """SIGKILL in a loop over the write phase (from its start to past its end): after each,
    the next command finds the old result or the new one, complete, never a mix."""
    script = tmp_path / "writer.py"
    script.write_text(WRITER)
    root = tmp_path / "out"
    root.mkdir()
    (root / "a").mkdir()
    (root / "a" / "kpis.json").write_text('{"status": "optimal", "objective": 0}')
    proc, start = _writer(script, root, 1)  # one undisturbed write: how long it takes
    proc.wait()
    write_time = time.perf_counter() - start
    assert _complete(root / "a") == 1
    seen = []
    for n in range(2, 14):
        proc, start = _writer(script, root, n)
        time.sleep(write_time * (n - 2) / 8)  # from the first file to well past publish
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        with RunFolder(root, "a", overwrite=True):  # the next command recovers first
            seen.append(_complete(root / "a"))
    assert seen[0] == 1  # killed at once: the old result
    assert len(set(seen)) >= 2  # and later kills came after publishing


# ------------------------------------------------------------------ the checker
def test_stray_infeasibility_csv_next_to_a_solution_fails(tiny_scenario: Path,
                                                          tmp_path: Path) -> None:
    run = solved(tiny_scenario, tmp_path / "out")
    (run / "infeasibility.csv").write_text("family,speciale\nmin_volume,A\n")
    code, output = cli("check", str(run))
    assert code == 1 and "infeasibility.csv lies next to a solution" in output


def test_an_edited_input_fails_the_check(tiny_scenario: Path, tmp_path: Path) -> None:
    run = solved(tiny_scenario, tmp_path / "out")
    path = run / "instance" / "providers.csv"
    path.write_text(path.read_text().replace(",100", ",101"))  # a capacity, still feasible
    code, output = cli("check", str(run))
    assert code == 1, output
    assert "instance/providers.csv was changed after the run" in output


@pytest.mark.parametrize("value", ["nan", "inf", "-0.1"])
def test_check_max_gap_must_be_a_finite_fraction(tiny_scenario: Path, tmp_path: Path,
                                                value: str) -> None:
    run = solved(tiny_scenario, tmp_path / "out")
    code, output = cli("check", str(run), "--max-gap", value)
    assert code == 2, output
    assert "max-gap" in output and "Traceback" not in output


def test_analyses_refuse_a_folder_the_checker_rejects(tiny_scenario: Path,
                                                      tmp_path: Path) -> None:
    run = solved(tiny_scenario, tmp_path / "out")
    other = solved(tiny_scenario, tmp_path / "other")
    des = run / "designations.csv"
    des.write_text(des.read_text().replace("P1", "P2"))  # a tampered plan
    code, output = cli("vulnerability", str(run), "--no-maps")
    assert code == 2, output
    assert "fails the independent check" in output
    assert not list((tmp_path / "out").glob("*_vulnerability*"))
    code, output = cli("compare", str(other), str(run))
    assert code == 2 and "fails the independent check" in output


# ------------------------------------------------------------------ messages
def test_decimal_comma_in_the_first_row_is_reported_at_row_2(tmp_path: Path) -> None:
    from conftest import write_tiny

    from specialeplan.data import load_instance_dir
    from specialeplan.errors import DataValidationError

    write_tiny(tmp_path)
    demand = tmp_path / "tiny" / "demand.csv"
    lines = demand.read_text().splitlines()
    lines[1] = lines[1] + ",5"  # 10 -> "10,5": a decimal comma
    demand.write_text("\n".join(lines) + "\n")
    with pytest.raises(DataValidationError, match="decimal comma") as info:
        load_instance_dir(tmp_path / "tiny")
    assert info.value.row == 2 and info.value.file.endswith("demand.csv")


def test_unknown_speciale_in_a_rollout_wave_gets_did_you_mean(tiny_scenario: Path,
                                                              tmp_path: Path) -> None:
    path = tmp_path / "roll.yaml"
    path.write_text("extends: tiny.yaml\nname: roll\nrollout:\n  2027: [a]\n",
                    encoding="utf-8")
    code, output = cli("rollout", str(path), "--out", str(tmp_path / "out"))
    assert code == 2, output
    assert "Did you mean 'A'?" in output and "2027" in output


def test_vulnerability_of_a_long_named_run_and_an_out_with_spaces(tmp_path: Path) -> None:
    from conftest import write_tiny

    long = "l" * 95
    scenario = write_tiny(tmp_path, f"name: {long}\ndataset: tiny\nmodel:\n  defaults: "
                                    "{reach_minutes: 40}\nsolver: {mip_rel_gap: 0}\n")
    code, output = cli("run", str(scenario), "--out", str(tmp_path / "out"), "--quiet",
                       "--no-excel")
    assert code == 0, output
    run = tmp_path / "out" / long
    code, output = cli("vulnerability", str(run), "--provider", "--allow-new", "--no-maps")
    assert code == 0, output
    assert len(list((tmp_path / "out").glob("l*_vulnerability_providers_allow_new"))) == 1
    code, output = cli("vulnerability", str(run), "--no-maps", "--out",
                       str(tmp_path / "Nordjylland æøå N-1"))
    assert code == 0, output
    assert (tmp_path / "Nordjylland æøå N-1" / "vulnerability.csv").is_file()


def test_a_run_folder_error_names_the_folder(tmp_path: Path) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "notes.txt").write_text("mine")
    with pytest.raises(RunFolderExists, match=r"a exists and holds files"):
        RunFolder(tmp_path, "a", overwrite=True).__enter__()
    with pytest.raises(RunFolderError, match="not a safe folder name"):
        RunFolder(tmp_path, "a@b")


def test_no_verify_analyses_a_rejected_folder_anyway(tiny_scenario: Path,
                                                     tmp_path: Path) -> None:
    run = solved(tiny_scenario, tmp_path / "out")
    other = solved(tiny_scenario, tmp_path / "other")
    kpis = run / "designations.csv"
    kpis.write_text(kpis.read_text() + "\n")  # an edit the hashes see, harmless otherwise
    assert cli("compare", str(other), str(run))[0] == 2
    code, output = cli("compare", str(other), str(run), "--no-verify")
    assert code == 0, output


def test_ctrl_c_after_the_results_are_published_says_where_they_are(
        tiny_scenario: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import specialeplan.pipeline as run_module

    def interrupted_check(record, folder):  # noqa: ANN001, ANN202 - Ctrl-C in the check
        raise KeyboardInterrupt

    monkeypatch.setattr(run_module, "_check", interrupted_check)
    code, output = cli("run", str(tiny_scenario), "--out", str(tmp_path / "out"), "--quiet",
                       "--no-excel")
    assert code == 130, output
    assert "complete in" in " ".join(output.split())
    assert str(tmp_path / "out" / "tiny") in output.replace("\n", "")  # where they are
    assert cli("check", str(tmp_path / "out" / "tiny"))[0] == 0


def test_a_large_grid_sweep_says_what_it_does_at_once(tiny_scenario: Path,
                                                      tmp_path: Path) -> None:
    from specialeplan.analyses.sweep import load_sweep

    path = tmp_path / "grid.yaml"
    path.write_text("name: grid\nscenario: tiny.yaml\ngrid:\n  model.weights.travel: "
                    f"{list(range(1, 41))}\n", encoding="utf-8")
    calls: list[tuple[int, int]] = []
    sweep = load_sweep(path, progress=lambda done, total: calls.append((done, total)))
    assert len(sweep.runs) == 40 and calls[0] == (1, 40) and calls[-1] == (40, 40)
