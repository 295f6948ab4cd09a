"""Sweeps: many variations of one scenario, run sequentially or on a Dask cluster.

A sweep file (:mod:`specialeplan.scenarios.sweep`: the schema, validated strictly) names a
base scenario and either a grid of ``--set``-style keys and values or named runs.

Every run gets a readable name (``min_cases=20,max_travel_minutes=150``, or the name given
under ``runs:``), a **key** (a hash of its resolved scenario and the dataset's file hashes)
and its own results folder ``OUT/<sweep name>/runs/<run name>/``, written atomically through
:class:`~specialeplan.results.runfolder.RunFolder` (with ``sweep_run.json``: name, key, swept
values, what was reused). ``OUT/<sweep name>/summary.csv`` (and ``summary.parquet``) has one
row per finished run (:mod:`specialeplan.analyses.sweep_report`) and is rewritten atomically after
each one; ``stability.csv``/``stability.png`` follow at the end.

**Execution** (:func:`run_sweep`): in this process (default), on a local Dask cluster
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

import contextlib
import dataclasses
import hashlib
import json
import os
import tempfile
import time
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
import yaml

from specialeplan.errors import InfeasibleError, ScenarioError, SpecialeplanError
from specialeplan.model.instance import Instance
from specialeplan.model.params import ModelParams
from specialeplan.results.contract import SOLUTION_STATUSES
from specialeplan.results.runfolder import (
    RunFolder,
    RunFolderError,
    RunLock,
    is_run_folder,
    write_atomic,
)
from specialeplan.scenarios.schema import ResolvedScenario, load_scenario, locate_scenario
from specialeplan.scenarios.sweep import SweepSpec, bundled_sweep, grid_runs, read_sweep_spec

RUN_RECORD = "sweep_run.json"
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
    return list(params.specialer) if params.specialer is not None else instance.speciale_ids


def restricted_runs(runs: list[SweepRun], run: SweepRun, instance: Instance) -> list[str]:
    """The earlier runs (most recent first) that ``run`` restricts, on the same dataset and
    specialer: each one's lower bound holds for ``run``."""
    from specialeplan.model.resolve import bound_carries_over

    specialer = _resolved_specialer(run.params, instance)
    sc = run.resolved.scenario
    out = []
    for earlier in reversed(runs):
        esc = earlier.resolved.scenario
        if esc.dataset != sc.dataset or earlier.params.specialer != run.params.specialer:
            continue
        try:
            if bound_carries_over(earlier.params, run.params, specialer):
                out.append(earlier.name)
        except SpecialeplanError:
            continue
    return out


def reuse_parent(runs: list[SweepRun], run: SweepRun, instance: Instance) -> str | None:
    """The most recent earlier run that ``run`` restricts (its plan is the start); None
    when there is none."""
    found = restricted_runs(runs, run, instance)
    return found[0] if found else None


def load_sweep(path: str | Path, extra_set: list[str] | None = None) -> Sweep:
    """Read and validate a sweep file, resolve every run's scenario, load the dataset once
    and check every run against it (unknown specialer, providers, ...: :class:`ScenarioError`
    naming the run). ``extra_set``: ``key=value`` overrides for every run (after ``set:``)."""
    spec, path = read_sweep_spec(path)
    return make_sweep(spec, path, extra_set)


def make_sweep(spec: SweepSpec, path: Path, extra_set: list[str] | None = None) -> Sweep:
    """Resolve every run of ``spec`` (its ``scenario`` relative to ``path``'s folder), load
    the dataset once and check every run against it (see :func:`load_sweep`)."""
    from specialeplan.api import load_dataset
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
    assert instance is not None  # a sweep has at least one run (validated)
    return Sweep(spec=spec, path=path.resolve(), runs=runs, columns=columns,
                 instance=instance, scenario_path=scenario_path.resolve())


# ----------------------------------------------------------------------------- one run
@dataclass
class ParentState:
    """What a later run re-uses from an earlier one: its rules, its designations and its
    lower bound (small: it travels between Dask workers)."""

    params: ModelParams
    designations: pd.DataFrame  # provider_id, speciale, is_advisory
    best_bound: float | None

    def outcome(self, instance: Instance) -> Any:
        """A :class:`~specialeplan.api.RunOutcome` that :func:`specialeplan.api.resolve` can
        start from (the designations and bound; no other tables)."""
        from specialeplan.api import RunOutcome
        from specialeplan.model.sets import build_model_data
        from specialeplan.model.solution import Solution
        from specialeplan.solvers.base import SolveResult, Status

        data = build_model_data(instance, self.params)
        empty = pd.DataFrame()
        solution = Solution(designations=self.designations, assignments=empty,
                            coverage=empty, reach=empty, near_family=empty, regions=empty)
        result = SolveResult(status=Status.FEASIBLE, objective=None,
                             best_bound=self.best_bound, solver="", solver_version="",
                             solve_seconds=0.0)
        return RunOutcome(solution=solution, result=result, data=data, build_seconds=0.0)

    @classmethod
    def from_folder(cls, folder: Path, params: ModelParams) -> ParentState | None:
        """From a finished run's folder (None without a solution)."""
        from specialeplan.results.contract import RESULT_TABLES, SOLUTION_STATUSES
        from specialeplan.results.reading import read_csv, read_kpis_object

        kpis = read_kpis_object(folder)
        if kpis.get("status") not in SOLUTION_STATUSES:
            return None
        des = read_csv(folder, RESULT_TABLES["designations"])
        bound = kpis.get("best_bound")
        return cls(params=params,
                   designations=des[["provider_id", "speciale", "is_advisory"]].copy(),
                   best_bound=float(bound) if isinstance(bound, int | float) else None)


@dataclass
class RunTask:
    """What a worker needs to solve one run."""

    name: str
    key: str
    values: dict[str, Any]
    resolved: ResolvedScenario
    parent: str | None
    excel: bool


@dataclass
class RunResult:
    """What a worker returns: the run's status and folder (as files, unless it was written
    in place), and what a later run may re-use."""

    name: str
    status: str
    reason: str | None = None
    files: dict[str, bytes] | None = None
    state: ParentState | None = None
    seconds: float = 0.0
    reused_from: str | None = None
    info: dict[str, Any] = field(default_factory=dict)

    @property
    def written(self) -> bool:
        """True when the run has a results folder to publish (also infeasible runs)."""
        return self.status not in ("error", "interrupted")


def execute_run(task: RunTask, instance: Instance, parent: ParentState | RunResult | None,
                into: Path | None = None,
                bounds: list[ParentState | RunResult | None] | None = None) -> RunResult:
    """Solve one run (in a worker process or in this one) and write its results folder into
    ``into``, or into a temporary folder whose files are returned. ``parent``: the run whose
    plan is the start; ``bounds``: every earlier run this one restricts, whose best bound
    (the highest) is the re-solve's known bound. Never raises for a run that fails: the
    result says ``error`` and why."""
    from specialeplan.api import build, resolve, solve
    from specialeplan.results.writer import write_results
    from specialeplan.solvers.base import Deadline, interrupt_requested

    t0 = time.perf_counter()
    state = parent.state if isinstance(parent, RunResult) else parent
    if state is not None:
        known = [b.state if isinstance(b, RunResult) else b for b in bounds or []]
        values = [k.best_bound for k in known if k is not None and k.best_bound is not None]
        if state.best_bound is not None:
            values.append(state.best_bound)
        state = dataclasses.replace(state, best_bound=max(values) if values else None)
    sc = task.resolved.scenario
    try:
        with contextlib.ExitStack() as stack:
            folder = into if into is not None else Path(
                stack.enter_context(tempfile.TemporaryDirectory(prefix="specialeplan-run-")))
            options = sc.solver.model_copy(update={"verbose": False,
                                                   "log_file": str(folder / "solver.log")})
            deadline = Deadline.after(options.time_limit, t0)
            reused = None
            try:
                if state is not None:
                    previous = state.outcome(instance)
                    outcome = resolve(previous, sc.model, options, deadline=deadline)
                    reused = task.parent
                else:
                    outcome = solve(build(instance, sc.model), options, deadline=deadline)
            except InfeasibleError as exc:
                outcome = exc.outcome
            res = outcome.result
            if interrupt_requested() and str(res.status) != "optimal":
                return RunResult(task.name, "interrupted", "interrupted by a signal",
                                 seconds=time.perf_counter() - t0)
            outcome.timings = {"build_seconds": outcome.build_seconds,
                               "solve_seconds": res.solve_seconds,
                               "total_seconds": time.perf_counter() - t0}
            write_results(outcome, task.resolved, folder, excel=task.excel)
            info = {"repair": res.extra.get("repair"),
                    "bound_reused": bool(res.extra.get("bound_reused", False))}
            record = {"sweep_run": task.name, "key": task.key, "values": task.values,
                      "reuse_parent": task.parent, "reused_from": reused, **info}
            (folder / RUN_RECORD).write_text(json.dumps(record, indent=2, ensure_ascii=False,
                                                        default=str), encoding="utf-8")
            files = None if into is not None else {
                str(p.relative_to(folder)): p.read_bytes()
                for p in sorted(folder.rglob("*")) if p.is_file()}
            new_state = None
            if outcome.solution is not None:
                des = outcome.solution.designations
                new_state = ParentState(
                    params=sc.model, best_bound=res.best_bound,
                    designations=des[["provider_id", "speciale", "is_advisory"]].copy())
            return RunResult(task.name, str(res.status), res.extra.get("note"), files,
                             new_state, time.perf_counter() - t0, reused, info)
    except SpecialeplanError as exc:
        return RunResult(task.name, "error", str(exc), seconds=time.perf_counter() - t0)
    except Exception as exc:  # noqa: BLE001 - one run's failure never stops a sweep
        return RunResult(task.name, "error", f"{type(exc).__name__}: {exc}",
                         seconds=time.perf_counter() - t0)


def _state_of(result: RunResult) -> ParentState | None:
    """The part of a finished run that a later one re-uses (a small Dask task)."""
    return result.state


# ----------------------------------------------------------------------------- executors
Callback = Callable[[SweepRun, RunResult], None]


class _Sequential:
    """Runs in this process, in sweep order, each written straight into its run folder."""

    def __init__(self, sweep: Sweep, runs_dir: Path) -> None:
        self.sweep, self.runs_dir = sweep, runs_dir
        self.running = 0

    def run(self, todo: list[SweepRun], states: dict[str, ParentState | None],
            done: Callback, stop: Callable[[], bool], tick: Callable[[], None]) -> None:
        from specialeplan.solvers.base import interruptible

        with interruptible():
            for run in todo:
                if stop():
                    return
                self.running = 1
                tick()
                parent = states.get(run.parent) if run.parent else None
                bounds = [states.get(b) for b in run.bounds_from]
                task = _task(self.sweep, run)
                try:
                    with RunFolder(self.runs_dir, run.name, overwrite=True) as rf:
                        result = execute_run(task, self.sweep.instance, parent, into=rf.tmp,
                                             bounds=bounds)
                        if result.written:
                            rf.publish()
                except RunFolderError as exc:
                    result = RunResult(run.name, "error", str(exc))
                self.running = 0
                if result.status == "interrupted":  # not a result: redone by --resume
                    return
                states[run.name] = result.state
                done(run, result)


class _Dask:
    """Runs as Dask tasks (a local cluster or an existing scheduler); the client writes."""

    def __init__(self, sweep: Sweep, runs_dir: Path, *, workers: int | None,
                 scheduler: str | None) -> None:
        self.sweep, self.runs_dir = sweep, runs_dir
        self.workers, self.scheduler = workers, scheduler
        self.running = 0

    @contextlib.contextmanager
    def _client(self) -> Iterator[Any]:
        import logging

        from dask.distributed import Client, LocalCluster

        if self.scheduler is not None:
            try:
                client = Client(self.scheduler, timeout="20s")
            except (OSError, TimeoutError) as exc:
                raise SpecialeplanError(f"cannot reach the Dask scheduler at "
                                        f"{self.scheduler}: {exc}") from None
            try:
                yield client
            finally:
                client.close()
            return
        cluster = LocalCluster(n_workers=self.workers, threads_per_worker=1, processes=True,
                               dashboard_address=None, silence_logs=logging.ERROR)
        client = Client(cluster)
        try:
            yield client
        finally:
            client.close()
            cluster.close()

    def run(self, todo: list[SweepRun], states: dict[str, ParentState | None],
            done: Callback, stop: Callable[[], bool], tick: Callable[[], None]) -> None:
        from dask.distributed import wait

        from specialeplan.solvers.base import interruptible

        with interruptible(), self._client() as client:
            inst = client.scatter(self.sweep.instance, broadcast=True)
            futures: dict[Any, SweepRun] = {}
            parents: dict[str, Any] = {}
            needed = {p for r in todo for p in (r.parent, *r.bounds_from) if p}

            def state(name: str | None) -> Any:
                if name is None:
                    return None
                return parents[name] if name in parents else states.get(name)

            for run in todo:
                fut = client.submit(execute_run, _task(self.sweep, run), inst,
                                    state(run.parent), None,
                                    [state(b) for b in run.bounds_from],
                                    pure=False, key=f"sweep-{run.key}-{os.urandom(4).hex()}")
                futures[fut] = run
                if run.name in needed:
                    parents[run.name] = client.submit(_state_of, fut, pure=False)
            pending = set(futures)
            while pending:
                if stop():
                    client.cancel(list(pending) + list(parents.values()))
                    return
                try:
                    finished, pending = wait(pending, timeout=0.5,
                                             return_when="FIRST_COMPLETED")
                except TimeoutError:  # nothing finished in this half second
                    finished = set()
                self.running = _processing(client, pending)
                for fut in finished:
                    run = futures[fut]
                    try:
                        result = fut.result()
                    except Exception as exc:  # noqa: BLE001 - e.g. the worker died
                        result = RunResult(run.name, "error", f"{type(exc).__name__}: {exc}")
                    fut.release()
                    if result.status == "interrupted":  # as in _Sequential: redone by --resume
                        continue
                    self._publish(run, result)
                    done(run, result)
                tick()

    def _publish(self, run: SweepRun, result: RunResult) -> None:
        if not result.written or result.files is None:
            return
        try:
            with RunFolder(self.runs_dir, run.name, overwrite=True) as rf:
                for rel, data in result.files.items():
                    target = rf.tmp / rel
                    target.parent.mkdir(parents=True, exist_ok=True)
                    target.write_bytes(data)
                rf.publish()
        except (RunFolderError, OSError) as exc:
            result.status, result.reason = "error", f"cannot write the run folder: {exc}"
        result.files = None


def _processing(client: Any, pending: set[Any]) -> int:
    """How many of ``pending`` are on a worker right now."""
    try:
        keys = {k for ks in client.processing().values() for k in ks}
    except Exception:  # noqa: BLE001 - progress only
        return 0
    return sum(f.key in keys for f in pending)


def _task(sweep: Sweep, run: SweepRun) -> RunTask:
    return RunTask(name=run.name, key=run.key, values=run.values, resolved=run.resolved,
                   parent=run.parent, excel=sweep.spec.excel)


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
    | None = None,
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
    complete and raises :class:`SweepInterrupted`.
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

    if workers is not None and scheduler is not None:
        raise SpecialeplanError("give --workers or --scheduler, not both")
    if workers is not None and workers < 1:
        raise SpecialeplanError(f"--workers must be at least 1, got {workers}")
    if not isinstance(sweep, Sweep):
        sweep = load_sweep(sweep)
    out = Path(out)
    root = out / sweep.name
    runs_dir = root / RUNS
    if pareto is not None:
        _check_pareto(pareto)
    event = on_event or (lambda *a: None)
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise RunFolderError(f"cannot create {out}: {exc.strerror or exc}") from None
    with RunLock(out, sweep.name):
        if root.exists() and not root.is_dir():
            raise RunFolderError(f"{root} exists and is not a folder")
        existing = sorted(p.name for p in runs_dir.iterdir()
                          if not p.name.startswith(".")) if runs_dir.is_dir() else []
        if existing and not (resume or overwrite):
            raise RunFolderError(
                f"{root} already holds {len(existing)} run(s) of a sweep; use --resume to "
                "keep the complete ones and run the rest, or --overwrite to redo them all")
        runs_dir.mkdir(parents=True, exist_ok=True)
        for leftover in root.glob(".*.tmp-*"):  # summaries of a killed sweep
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

        executor: _Sequential | _Dask
        if workers is None and scheduler is None:
            executor = _Sequential(sweep, runs_dir)
        else:
            executor = _Dask(sweep, runs_dir, workers=workers, scheduler=scheduler)
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


def _check_pareto(pareto: tuple[str, str]) -> None:
    from specialeplan.analyses.sweep_report import PARETO_CHOICES

    for col in pareto:
        if col not in PARETO_CHOICES:
            from specialeplan.errors import did_you_mean

            raise SpecialeplanError(f"--pareto: unknown summary column {col!r}."
                                    f"{did_you_mean(col, PARETO_CHOICES)} Choose from: "
                                    f"{', '.join(PARETO_CHOICES)}")


__all__ = ["ParentState", "RunResult", "Sweep", "SweepInterrupted", "SweepRun", "SweepSpec",
           "bundled_sweep", "execute_run", "grid_runs", "load_sweep", "run_key", "run_sweep"]
