"""The one path from a scenario to a checked results folder (specialeplan/pipeline.py), shared by
``run``, ``sweep`` and ``rollout``: one set of timing keys, no printing, what is written when
a run is infeasible, interrupted or cannot be written."""

from __future__ import annotations

import errno
import json
from pathlib import Path

import pytest
from conftest import write_tiny

from specialeplan.analyses.sweep import run_sweep
from specialeplan.api import load_dataset
from specialeplan.errors import ResultsNotWritten
from specialeplan.pipeline import solve_into_folder
from specialeplan.results.contract import KPI_TIMINGS, TIMINGS
from specialeplan.scenarios.schema import load_scenario
from specialeplan.solvers.base import Status, clear_interrupt, request_interrupt


def test_a_run_is_written_checked_and_timed_without_printing(
        tiny_scenario: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    calls: list[str] = []
    record = solve_into_folder(load_scenario(tiny_scenario), tmp_path / "out",
                               on_start=lambda: calls.append("start"),
                               on_built=lambda built: calls.append("built"))
    assert calls == ["start", "built"]
    assert record.folder == tmp_path / "out" / "tiny" and record.status == "optimal"
    assert record.check is not None and record.check_ok is True
    assert list(record.timings) == [*KPI_TIMINGS, "check_seconds"]
    assert set(record.timings) == set(TIMINGS)
    assert all(v is not None and v >= 0 for v in record.timings.values())
    kpis = json.loads((record.folder / "kpis.json").read_text(encoding="utf-8"))
    timing_keys = [k for k in kpis if k.endswith("_seconds") and k in TIMINGS]
    assert timing_keys == list(KPI_TIMINGS)  # one block, in the contract's order
    assert kpis["write_seconds"] == pytest.approx(record.timings["write_seconds"], abs=0.5)
    assert "check_seconds" not in kpis
    assert capsys.readouterr() == ("", "")  # the caller prints, never the function


def test_a_given_dataset_is_not_loaded_again(tiny_scenario: Path, tmp_path: Path) -> None:
    resolved = load_scenario(tiny_scenario)
    instance = load_dataset(resolved.scenario.dataset, resolved.base_dir)
    record = solve_into_folder(resolved, tmp_path, "again", instance=instance, check=False)
    kpis = json.loads((tmp_path / "again" / "kpis.json").read_text(encoding="utf-8"))
    assert kpis["load_seconds"] is None and kpis["build_seconds"] >= 0
    assert record.check is None and record.timings["check_seconds"] is None


def test_an_infeasible_run_is_a_folder_without_a_check(tmp_path: Path) -> None:
    scenario = write_tiny(tmp_path, "name: tiny\ndataset: tiny\nmodel:\n  defaults: "
                                    "{min_count: 5}\n")  # five specialfunktioner, 3 providers
    record = solve_into_folder(load_scenario(scenario), tmp_path / "out")
    assert record.status == "infeasible" and record.outcome.diagnosis is not None
    assert (record.folder / "infeasibility.csv").is_file()
    assert record.check is None and record.check_ok is None
    kpis = json.loads((record.folder / "kpis.json").read_text(encoding="utf-8"))
    assert {"load_seconds", "total_seconds", "write_seconds"} <= set(kpis)


def test_a_write_failure_without_rescue_names_what_is_kept(
        tiny_scenario: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import specialeplan.results.writer as writer

    def full(*args, **kwargs):  # noqa: ANN002, ANN003, ANN202
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(writer, "write_results", full)
    with pytest.raises(ResultsNotWritten, match=r"disk is full\); the old ones stay") as info:
        solve_into_folder(load_scenario(tiny_scenario), tmp_path / "out", rescue=False,
                          kept="the old ones stay")
    assert info.value.rescue is None and info.value.exit_code == 4
    assert not (tmp_path / "out" / "tiny").exists()
    assert not list((tmp_path / "out").glob(".tiny.tmp-*"))  # nor its temporary folder


def test_an_interrupted_run_is_discarded_unless_kept(
        tiny_scenario: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A sweep (keep_interrupted=False) writes no run that an interrupt stopped before it
    proved optimality; run and rollout keep it (status interrupted, with its solution)."""
    import specialeplan.api as api

    real = api.solve

    def stopped(*args, **kwargs):  # noqa: ANN002, ANN003, ANN202
        outcome = real(*args, **kwargs)
        outcome.result.status = Status.INTERRUPTED
        request_interrupt()
        return outcome

    monkeypatch.setattr(api, "solve", stopped)
    resolved = load_scenario(tiny_scenario)
    try:
        dropped = solve_into_folder(resolved, tmp_path, "dropped", keep_interrupted=False)
        kept = solve_into_folder(resolved, tmp_path, "kept")
    finally:
        clear_interrupt()
    assert dropped.folder is None and not (tmp_path / "dropped").exists()
    assert kept.folder is not None and kept.status == "interrupted"


def test_sweep_runs_carry_the_same_timing_keys(tmp_path: Path) -> None:
    write_tiny(tmp_path)
    (tmp_path / "s.yaml").write_text(
        "name: s\nscenario: tiny.yaml\nruns:\n  one: {}\n", encoding="utf-8")
    table = run_sweep(tmp_path / "s.yaml", tmp_path / "out")
    kpis = json.loads((tmp_path / "out" / "s" / "runs" / "one" / "kpis.json").read_text(
        encoding="utf-8"))
    assert [k for k in kpis if k in TIMINGS] == list(KPI_TIMINGS)
    assert kpis["load_seconds"] is None  # the sweep loaded the dataset once
    assert table.loc[0, "seconds"] == pytest.approx(kpis["total_seconds"], abs=1e-6)
    assert table.loc[0, "write_seconds"] == pytest.approx(kpis["write_seconds"], abs=1e-6)
