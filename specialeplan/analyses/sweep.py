"""Sweeps: many variations of one scenario, run sequentially or on a Dask cluster.

A sweep file (:mod:`specialeplan.scenarios.sweep`: the schema, validated strictly) names a
base scenario and either a grid of ``--set``-style keys and values or named runs.

Every run gets a readable name (``min_cases=20,max_travel_minutes=150``, or the name given
under ``runs:``), a **key** (a hash of its resolved scenario and the dataset's file hashes)
and its own results folder ``OUT/<sweep name>/runs/<run name>/``, written atomically by
:func:`~specialeplan.pipeline.solve_into_folder` as ``specialeplan run`` writes its folder
(with ``sweep_run.json``: name, key, swept values, what was reused).
``OUT/<sweep name>/summary.csv`` (and ``summary.parquet``) has one row per finished run
(:mod:`specialeplan.analyses.sweep_report`) and is rewritten atomically after each one;
``stability.csv``/``stability.png`` follow at the end.

**Execution** (:func:`run_sweep`, with the executors of
:mod:`specialeplan.analyses.sweep_exec`): in this process (default), on a local Dask cluster
(``workers=N``: ``LocalCluster(n_workers=N, threads_per_worker=1, processes=True)``) or on
an existing one (``scheduler=ADDRESS``). The dataset is loaded once by the client and handed
to every worker once (``scatter``); each task solves one run with ``solver.parallel: false``
(one core per run) and returns its results folder as files, which the client writes: the
workers need no shared file system, and only the client ever writes under ``OUT``. A run
that is infeasible, finds no solution or fails is a row with its status and reason, never
an exception that stops the sweep.

**Re-use** (``reuse: true``, the default): a run whose scenario only *restricts* an earlier
run of the same sweep (:func:`~specialeplan.model.resolve.bound_carries_over`: stricter
limits, larger weights, more forbidden or fixed designations; same dataset, specialer and
demand) is solved by :func:`specialeplan.api.resolve` from the most recent such run: the
earlier plan, repaired, is the start, and the bounds of all earlier runs it restricts still
hold (the highest is used), so a re-solve often stops as soon as the start, or the MIP's
incumbent, is within the gap. The parent of each run is chosen from the
sweep file alone, before anything runs, so the same sweep does the same computations
sequentially, on any number of workers and when resumed: the summary is the same (its
timing columns aside) whenever no run stops at its time limit. List grid values from loose
to tight (minimum volume rising, travel cutoff falling) to make each run a restriction of an
earlier one.

**Resume** (``resume=True``): runs whose folder is complete and records the same key are
kept (their rows come from their folders); the others run. A killed sweep leaves no
half-written folder (temp folders of killed runs are removed when the run is redone), and
an interrupted one (Ctrl-C, SIGTERM) discards the run in progress, so resuming loses nothing.
"""

from __future__ import annotations

import hashlib
import json
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
import yaml

from specialeplan.analyses.sweep_exec import (
    RUN_RECORD,
    DaskExecutor,
    ParentState,
    RunResult,
    Sequential,
    check_cluster_options,
    execute_run,
)
from specialeplan.errors import ScenarioError, SpecialeplanError
from specialeplan.model.instance import Instance
from specialeplan.model.params import ModelParams
from specialeplan.results.contract import SOLUTION_STATUSES
from specialeplan.results.runfolder import (
    SEP,
    RunFolderError,
    RunLock,
    check_command_folder,
    is_run_folder,
    write_atomic,
    write_folder_record,
)
from specialeplan.scenarios.schema import ResolvedScenario, load_scenario, locate_scenario
from specialeplan.scenarios.sweep import SweepSpec, bundled_sweep, grid_runs, read_sweep_spec

SWEEP_RECORD = "sweep.yaml"
SUMMARY = "summary.csv"
RUNS = "runs"
#: Solver options a sweep forces on every run: one core per run, no log on stdout.
FORCED = ("solver.parallel=false", "solver.verbose=false")


# ----------------------------------------------------------------------------- the runs
@dataclass(frozen=True)
class SweepRun:
    """One run of a sweep: its name, swept values, resolved scenario, key and reuse parent."""

    name: str
    values: dict[str, Any]
    resolved: ResolvedScenario
    key: str
    parent: str | None = None
    bounds_from: tuple[str, ...] = ()  # every earlier run it restricts (their bounds hold)

    @property
    def params(self) -> ModelParams:
        """The run's model parameters."""
        return self.resolved.scenario.model


@dataclass
class Sweep:
    """A loaded sweep: the file, its runs, the swept keys (summary columns), the dataset."""

    spec: SweepSpec
    path: Path
    runs: list[SweepRun]
    columns: list[str]
    instance: Instance
    scenario_path: Path

    @property
    def name(self) -> str:
        """The sweep's name (its folder under ``OUT``)."""
        return self.spec.name


def _override(key: str, value: Any) -> str:
    """``key=value`` in the ``--set`` syntax (the value as JSON, which YAML reads back)."""
    return f"{key}={json.dumps(value, ensure_ascii=False)}"


def run_key(resolved: ResolvedScenario, hashes: dict[str, str]) -> str:
    """The hash of everything that decides a run's result: dataset, model, solver options
    (not the log settings) and the data files' hashes. Names and descriptions do not count."""
    sc = resolved.scenario
    solver = {k: v for k, v in sc.solver.model_dump(mode="json").items()
              if k not in ("verbose", "log_file")}
    doc = {"dataset": sc.dataset, "model": sc.model.model_dump(mode="json"), "solver": solver,
           "data": dict(sorted(hashes.items()))}
    return hashlib.sha256(json.dumps(doc, sort_keys=True).encode()).hexdigest()[:16]


def _resolved_specialer(params: ModelParams, instance: Instance) -> list[str]:
    """The planned specialfunktion types (:func:`~specialeplan.model.sets.resolve_functions`)."""
    from specialeplan.model.sets import resolve_functions

    return resolve_functions(instance, params)


def restricted_runs(runs: list[SweepRun], run: SweepRun, instance: Instance) -> list[str]:
    """The earlier runs (most recent first) that ``run`` restricts, on the same dataset and
    specialer: each one's lower bound holds for ``run``."""
    from specialeplan.model.resolve import bound_carries_over

    specialer = _resolved_specialer(run.params, instance)
    sc = run.resolved.scenario
    out = []
    for earlier in reversed(runs):
        esc = earlier.resolved.scenario
        if esc.dataset != sc.dataset or (earlier.params.specialer, earlier.params.functions) != (
                run.params.specialer, run.params.functions):
            continue
        try:
            if bound_carries_over(earlier.params, run.params, specialer,
                                  instance.specialer_of()):
                out.append(earlier.name)
        except SpecialeplanError:
            continue
    return out


def reuse_parent(runs: list[SweepRun], run: SweepRun, instance: Instance) -> str | None:
    """The most recent earlier run that ``run`` restricts (its plan is the start); None
    when there is none."""
    found = restricted_runs(runs, run, instance)
    return found[0] if found else None


def load_sweep(path: str | Path, extra_set: list[str] | None = None,
               progress: Callable[[int, int], None] | None = None) -> Sweep:
    """Read and validate a sweep file, resolve every run's scenario, load the dataset once
    and check every run against it (unknown specialer, providers, ...: :class:`ScenarioError`
    naming the run). ``extra_set``: ``key=value`` overrides for every run (after ``set:``).
    ``progress(done, total)`` is told after each resolved run (a large grid takes a while)."""
    spec, path = read_sweep_spec(path)
    return make_sweep(spec, path, extra_set, progress)


def make_sweep(spec: SweepSpec, path: Path, extra_set: list[str] | None = None,
               progress: Callable[[int, int], None] | None = None) -> Sweep:
    """Resolve every run of ``spec`` (its ``scenario`` relative to ``path``'s folder), load
    the dataset once and check every run against it (see :func:`load_sweep`)."""
    from specialeplan.data import load_dataset
    from specialeplan.model.sets import check_names
    from specialeplan.solvers.registry import check_solver_options

    scenario_path = locate_scenario(spec.scenario, path.parent)
    common = [_override(k, v) for k, v in spec.set.items()] + list(extra_set or [])
    if spec.grid is not None:
        points = grid_runs(spec.grid)
        columns = list(spec.grid)
    else:
        points = [(name, dict(over or {})) for name, over in (spec.runs or {}).items()]
        columns = list(dict.fromkeys(k for _, over in points for k in over))
    instance: Instance | None = None
    runs: list[SweepRun] = []
    checked_solvers: set[str] = set()
    for name, values in points:
        overrides = [*common, *(_override(k, v) for k, v in values.items()), *FORCED,
                     f"name={name}"]
        try:
            resolved = load_scenario(scenario_path, overrides)
        except ScenarioError as exc:
            raise ScenarioError(f"{path}: run {name}: {exc}") from None
        sc = resolved.scenario
        if instance is None:
            instance = load_dataset(sc.dataset, resolved.base_dir)
        elif sc.dataset != runs[0].resolved.scenario.dataset:
            raise ScenarioError(f"{path}: run {name}: every run of a sweep uses one dataset "
                                f"({runs[0].resolved.scenario.dataset!r}), not {sc.dataset!r}")
        solver_doc = json.dumps(sc.solver.model_dump(mode="json"), sort_keys=True)
        try:
            check_names(instance, sc.model)
            if solver_doc not in checked_solvers:
                check_solver_options(sc.solver)
                checked_solvers.add(solver_doc)
        except SpecialeplanError as exc:
            raise ScenarioError(f"{path}: run {name}: {exc}") from None
        run = SweepRun(name=name, values=values, resolved=resolved,
                       key=run_key(resolved, dict(instance.hashes)))
        if spec.reuse:
            earlier = restricted_runs(runs, run, instance)
            run = SweepRun(name, values, resolved, run.key, earlier[0] if earlier else None,
                           tuple(earlier))
        runs.append(run)
        if progress is not None:
            progress(len(runs), len(points))
    assert instance is not None  # a sweep has at least one run (validated)
    return Sweep(spec=spec, path=path.resolve(), runs=runs, columns=columns,
                 instance=instance, scenario_path=scenario_path.resolve())


# ----------------------------------------------------------------------------- the sweep
def complete_run(folder: Path, key: str) -> bool:
    """Whether ``folder`` holds a finished run of this key (a folder only exists once
    complete: it is renamed into place)."""
    if not is_run_folder(folder):
        return False
    try:
        record = json.loads((folder / RUN_RECORD).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return isinstance(record, dict) and record.get("key") == key


def write_parquet(df: pd.DataFrame, path: Path) -> bool:
    """Write ``df`` as Parquet with fastparquet (a dependency) or pyarrow; False when
    neither is importable."""
    try:
        with warnings.catch_warnings():  # its import probes a deprecated pandas option
            warnings.simplefilter("ignore")
            import fastparquet
    except ImportError:
        try:
            df.to_parquet(path, index=False)
        except ImportError:
            warnings.warn("summary.parquet not written: neither fastparquet nor pyarrow "
                          "is installed (summary.csv has the same table)", stacklevel=2)
            return False
        return True
    try:
        fastparquet.write(str(path), df.reset_index(drop=True), write_index=False)
    except Exception as exc:  # noqa: BLE001 - Parquet is a convenience; summary.csv is kept
        warnings.warn(f"summary.parquet not written: {exc}", stacklevel=2)
        return False
    return True


def write_summary(root: Path, summary: pd.DataFrame) -> None:
    """``summary.csv`` and ``summary.parquet``, each replaced atomically."""
    write_atomic(root / SUMMARY, lambda p: summary.to_csv(p, index=False))
    parquet = root / "summary.parquet"

    def _parquet(tmp: Path) -> None:
        if not write_parquet(summary, tmp):
            raise _NoParquet

    try:
        write_atomic(parquet, _parquet)
    except _NoParquet:  # no stale or empty file that a reader would take for the summary
        parquet.unlink(missing_ok=True)


class _NoParquet(Exception):
    """No Parquet engine could write the summary (already warned)."""


@dataclass
class SweepProgress:
    """Counters the progress display shows."""

    total: int
    done: int = 0
    failed: int = 0
    skipped: int = 0
    running: int = 0


def _sweep_record(sweep: Sweep) -> dict[str, Any]:
    return {"name": sweep.name, "description": sweep.spec.description,
            "sweep_file": str(sweep.path), "scenario": str(sweep.scenario_path),
            "set": sweep.spec.set, "reuse": sweep.spec.reuse,
            "runs": [{"name": r.name, "key": r.key, "values": r.values,
                      "reuse_parent": r.parent, "bounds_from": list(r.bounds_from)}
                     for r in sweep.runs]}


def run_sweep(
    sweep: Sweep | str | Path, out: str | Path = "results", *, workers: int | None = None,
    scheduler: str | None = None, resume: bool = False, overwrite: bool = False,
    pareto: tuple[str, str] | None = None, on_event: Callable[[str, SweepProgress, SweepRun |
                                                               None, RunResult | None], None]
    | None = None, kind: str = "sweep",
) -> pd.DataFrame:
    """Run a sweep (a :class:`Sweep` or a sweep file) into ``out/<sweep name>/``; returns the
    summary (one row per run, in sweep order).

    ``workers``: a local Dask cluster of that many one-thread processes; ``scheduler``: the
    address of an existing Dask scheduler; neither: sequential in this process. ``resume``:
    keep the complete runs of an earlier sweep into the same folder; ``overwrite``: redo
    them all (each old folder replaced once its new run is complete). Without either, a
    folder that already holds runs is an error. ``pareto``: two summary columns to
    minimise: flags the non-dominated runs (``pareto`` column) and draws ``pareto.png``.
    ``on_event(kind, progress, run, result)`` is told ``start``, ``skip``, ``done`` and
    ``tick`` (progress displays). An interrupt (Ctrl-C, SIGTERM) stops after writing what is
    complete and raises :class:`SweepInterrupted`. ``kind``: what the folder is recorded as
    (a frontier runs as a sweep of kind ``frontier``).
    """
    from specialeplan.analyses.sweep_report import (
        STATUS_COLUMNS,
        SUMMARY_ORDER,
        pareto_front,
        scalar_values,
        stability,
        summary_row,
        write_pareto,
        write_stability,
    )
    from specialeplan.solvers.base import interrupt_requested

    check_cluster_options(workers, scheduler)
    if not isinstance(sweep, Sweep):
        sweep = load_sweep(sweep)
    out = Path(out)
    root = out / sweep.name
    runs_dir = root / RUNS
    if pareto is not None:
        pareto = _check_pareto(pareto)
    event = on_event or (lambda *a: None)
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise RunFolderError(f"cannot create {out}: {exc.strerror or exc}") from None
    with RunLock(out, sweep.name):
        check_command_folder(root, kind)
        existing = sorted(p.name for p in runs_dir.iterdir()
                          if not p.name.startswith(".")) if runs_dir.is_dir() else []
        if existing and not (resume or overwrite):
            raise RunFolderError(
                f"{root} already holds {len(existing)} run(s) of a sweep; use --resume to "
                "keep the complete ones and run the rest, or --overwrite to redo them all")
        runs_dir.mkdir(parents=True, exist_ok=True)
        write_folder_record(root, kind)
        for leftover in root.glob(f".*{SEP}tmp-*"):  # summaries of a killed sweep
            leftover.unlink(missing_ok=True)
        write_atomic(root / SWEEP_RECORD, lambda p: p.write_text(
            yaml.safe_dump(_sweep_record(sweep), sort_keys=False, allow_unicode=True),
            encoding="utf-8"))
        rows: dict[str, dict[str, Any]] = {}
        states: dict[str, ParentState | None] = {}
        progress = SweepProgress(total=len(sweep.runs))
        todo: list[SweepRun] = []
        for run in sweep.runs:
            folder = runs_dir / run.name
            if resume and complete_run(folder, run.key):
                rows[run.name] = summary_row(folder, run.values, run.name)
                states[run.name] = ParentState.from_folder(folder, run.params)
                progress.skipped += 1
                progress.done += 1
                event("skip", progress, run, None)
            else:
                todo.append(run)

        def summary() -> pd.DataFrame:
            ordered = [rows[r.name] for r in sweep.runs if r.name in rows]
            df = pd.DataFrame(ordered)
            cols = ["run", *sweep.columns, *SUMMARY_ORDER]
            rest = [c for c in df.columns if c not in cols]
            return df[[c for c in cols if c in df.columns] + rest] if len(df) else df

        def done(run: SweepRun, result: RunResult) -> None:
            folder = runs_dir / run.name
            if result.written and is_run_folder(folder) and result.status != "error":
                rows[run.name] = summary_row(folder, run.values, run.name)
            else:
                rows[run.name] = {"run": run.name, **scalar_values(run.values),
                                  "status": result.status,
                                  "reason": result.reason, "seconds": result.seconds}
            progress.done += 1
            # the statuses with a solution, as in the summary (an interrupted run without
            # one never gets here: it is redone by --resume)
            if rows[run.name].get("status") not in SOLUTION_STATUSES:
                progress.failed += 1
            write_summary(root, summary())
            event("done", progress, run, result)

        def tick() -> None:
            progress.running = executor.running
            event("tick", progress, None, None)

        executor: Sequential | DaskExecutor
        if workers is None and scheduler is None:
            executor = Sequential(sweep, runs_dir)
        else:
            executor = DaskExecutor(sweep, runs_dir, workers=workers, scheduler=scheduler)
        event("start", progress, None, None)
        if todo:
            executor.run(todo, states, done, interrupt_requested, tick)
        table = summary()
        if rows:
            write_summary(root, table)
        if interrupt_requested() or progress.done < progress.total:
            raise SweepInterrupted(
                f"interrupted: {progress.done} of {progress.total} runs are complete in "
                f"{root}; run the same command with --resume to finish the sweep",
                progress)
        table = table.reset_index(drop=True)
        if pareto is not None:
            table["pareto"] = pareto_front(table, pareto)
            write_summary(root, table)
            write_pareto(table, pareto, root / "pareto.png", title=sweep.name)
        ok = table[table["status"].isin(STATUS_COLUMNS)] if "status" in table else table
        names = [r.name for r in sweep.runs if r.name in set(ok["run"])]
        stab = stability([runs_dir / n for n in names])
        write_atomic(root / "stability.csv", lambda p: stab.to_csv(p, index=False))
        if len(stab):
            write_stability(stab, root / "stability.png", n_runs=len(names),
                            title=sweep.name)
        return table


class SweepInterrupted(SpecialeplanError):
    """A sweep stopped before every run was complete (Ctrl-C, SIGTERM); what was complete is
    written and ``--resume`` finishes it."""

    def __init__(self, message: str, progress: SweepProgress) -> None:
        super().__init__(message)
        self.progress = progress


def _check_pareto(pareto: tuple[str, str]) -> tuple[str, str]:
    """The two ``--pareto`` columns, earlier KPI names read as today's (``KPI_ALIASES``)."""
    from specialeplan.analyses.sweep_report import PARETO_CHOICES
    from specialeplan.results.contract import KPI_ALIASES

    a, b = (KPI_ALIASES.get(col, col) for col in pareto)
    for col in (a, b):
        if col not in PARETO_CHOICES:
            from specialeplan.errors import did_you_mean

            raise SpecialeplanError(f"--pareto: unknown summary column {col!r}."
                                    f"{did_you_mean(col, PARETO_CHOICES)} Choose from: "
                                    f"{', '.join(PARETO_CHOICES)}")
    return a, b


__all__ = ["ParentState", "RunResult", "Sweep", "SweepInterrupted", "SweepRun", "SweepSpec",
           "bundled_sweep", "execute_run", "grid_runs", "load_sweep", "run_key", "run_sweep"]
