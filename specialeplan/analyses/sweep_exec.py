"""Running a sweep's runs: one run (:func:`execute_run`), in this process or as Dask tasks.

:func:`execute_run` solves one run through
:func:`~specialeplan.pipeline.solve_into_folder` (the path ``specialeplan run`` takes),
re-using an earlier run's plan and bound when the run restricts it (:class:`ParentState`),
and never raises: a failed run is a :class:`RunResult` with status ``error``. The executors
(:class:`Sequential`: in sweep order, each run written straight into its folder;
:class:`DaskExecutor`: a local cluster or an existing scheduler, the workers returning their
folders as files that only the client writes) are driven by
:func:`specialeplan.analyses.sweep.run_sweep`.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import os
import re
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from specialeplan.errors import SpecialeplanError
from specialeplan.model.instance import Instance
from specialeplan.model.params import ModelParams
from specialeplan.results.runfolder import RunFolder, RunFolderError
from specialeplan.scenarios.schema import ResolvedScenario

#: A Dask scheduler address: ``tcp://host:port`` (or ``tls://``, ``ws://``, ``wss://``,
#: ``ucx://``), or ``host:port``
SCHEDULER_ADDRESS = re.compile(r"^(?:(?:tcp|tls|ws|wss|ucx)://)?\[?[A-Za-z0-9_.:-]+\]?:\d{1,5}$")


def check_cluster_options(workers: int | None, scheduler: str | None) -> None:
    """``--workers`` and ``--scheduler`` checked before any work: not both, at least one
    worker, and an address of the form Dask's client takes (``tcp://HOST:PORT``); a
    dashboard address (``http://…:8787``) is named as such."""
    if workers is not None and scheduler is not None:
        raise SpecialeplanError("give --workers or --scheduler, not both")
    if workers is not None and (isinstance(workers, bool) or workers < 1):
        raise SpecialeplanError(f"--workers must be at least 1, got {workers}")
    if scheduler is None:
        return
    if scheduler.lower().startswith(("http://", "https://")):
        raise SpecialeplanError(
            f"--scheduler {scheduler}: that is a web (dashboard) address; the scheduler's is "
            "tcp://HOST:PORT (port 8786 by default), as `dask scheduler` prints it")
    if not SCHEDULER_ADDRESS.fullmatch(scheduler.strip()):
        raise SpecialeplanError(
            f"--scheduler {scheduler!r} is not a Dask scheduler address: use tcp://HOST:PORT "
            "(e.g. tcp://127.0.0.1:8786, as `dask scheduler` prints it)")


#: The kinds of results folder a sweep's run folders may lie inside
WITHIN = ("sweep", "frontier", "alternatives")

if TYPE_CHECKING:
    from specialeplan.analyses.sweep import Sweep, SweepRun
    from specialeplan.api import RunOutcome

#: each run's record in its folder: name, key, swept values, what it re-used
RUN_RECORD = "sweep_run.json"


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
                   designations=des[["provider_id", "function", "is_advisory"]].copy(),
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
                root: Path | None = None,
                bounds: list[ParentState | RunResult | None] | None = None) -> RunResult:
    """Solve one run (in a worker process or in this one) into ``root/<run name>/``
    (:func:`~specialeplan.pipeline.solve_into_folder`: atomic, replacing an older folder
    of the run), or, without ``root``, into a temporary folder whose files are returned.
    ``parent``: the run whose plan is the start; ``bounds``: every earlier run this one
    restricts, whose best bound (the highest) is the re-solve's known bound. Never raises
    for a run that fails: the result says ``error`` and why; a run interrupted before it
    proved optimality writes nothing (``interrupted``: ``--resume`` redoes it)."""
    from specialeplan.pipeline import solve_into_folder
    from specialeplan.solvers.base import Deadline

    t0 = time.perf_counter()
    state = _start_state(parent, bounds)
    reused = task.parent if state is not None else None
    try:
        with contextlib.ExitStack() as stack:
            where = root if root is not None else Path(
                stack.enter_context(tempfile.TemporaryDirectory(prefix="specialeplan-run-")))
            run = solve_into_folder(
                task.resolved, where, task.name, overwrite=True, excel=task.excel,
                check=False, deadline=Deadline.after(task.resolved.scenario.solver.time_limit,
                                                     t0),
                instance=instance,
                previous=state.outcome(instance) if state is not None else None,
                keep_interrupted=False, rescue=False, within=WITHIN,
                on_written=lambda folder, outcome: _write_record(folder, task, reused, outcome))
            if run.folder is None:
                return RunResult(task.name, "interrupted", "interrupted by a signal",
                                 seconds=time.perf_counter() - t0)
            files = None if root is not None else {
                str(p.relative_to(run.folder)): p.read_bytes()
                for p in sorted(run.folder.rglob("*")) if p.is_file()}
            return _run_result(task, run.outcome, files, reused, time.perf_counter() - t0)
    except SpecialeplanError as exc:
        return RunResult(task.name, "error", str(exc), seconds=time.perf_counter() - t0)
    except Exception as exc:  # noqa: BLE001 - one run's failure never stops a sweep
        return RunResult(task.name, "error", f"{type(exc).__name__}: {exc}",
                         seconds=time.perf_counter() - t0)


def _start_state(parent: ParentState | RunResult | None,
                 bounds: list[ParentState | RunResult | None] | None) -> ParentState | None:
    """The parent's plan with the highest bound of every run this one restricts."""
    state = parent.state if isinstance(parent, RunResult) else parent
    if state is None:
        return None
    known = [b.state if isinstance(b, RunResult) else b for b in bounds or []]
    values = [k.best_bound for k in known if k is not None and k.best_bound is not None]
    if state.best_bound is not None:
        values.append(state.best_bound)
    return dataclasses.replace(state, best_bound=max(values) if values else None)


def _info(outcome: RunOutcome) -> dict[str, Any]:
    extra = outcome.result.extra
    return {"repair": extra.get("repair"), "bound_reused": bool(extra.get("bound_reused",
                                                                          False))}


def _write_record(folder: Path, task: RunTask, reused: str | None,
                  outcome: RunOutcome) -> None:
    """``sweep_run.json``: the run's name, key, swept values and what it re-used."""
    record = {"sweep_run": task.name, "key": task.key, "values": task.values,
              "reuse_parent": task.parent, "reused_from": reused, **_info(outcome)}
    (folder / RUN_RECORD).write_text(json.dumps(record, indent=2, ensure_ascii=False,
                                                default=str), encoding="utf-8")


def _run_result(task: RunTask, outcome: RunOutcome, files: dict[str, bytes] | None,
                reused: str | None, seconds: float) -> RunResult:
    res = outcome.result
    state = None
    if outcome.solution is not None:
        des = outcome.solution.designations
        state = ParentState(params=task.resolved.scenario.model, best_bound=res.best_bound,
                            designations=des[["provider_id", "function", "is_advisory"]].copy())
    return RunResult(task.name, str(res.status), res.extra.get("note"), files, state,
                     seconds, reused, _info(outcome))


def _state_of(result: RunResult) -> ParentState | None:
    """The part of a finished run that a later one re-uses (a small Dask task)."""
    return result.state


# ----------------------------------------------------------------------------- executors
Callback = Callable[["SweepRun", RunResult], None]


class Sequential:
    """Runs in this process, in sweep order, each written straight into its run folder."""

    def __init__(self, sweep: Sweep, runs_dir: Path) -> None:
        self.sweep, self.runs_dir = sweep, runs_dir
        self.running = 0

    def run(self, todo: list[SweepRun], states: dict[str, ParentState | None],
            done: Callback, stop: Callable[[], bool], tick: Callable[[], None]) -> None:
        """Run ``todo`` in order (``states``: the re-usable state of every finished run, by
        name); ``done(run, result)`` after each, until ``stop()``."""
        from specialeplan.solvers.base import interruptible

        with interruptible():
            for run in todo:
                if stop():
                    return
                self.running = 1
                tick()
                parent = states.get(run.parent) if run.parent else None
                bounds = [states.get(b) for b in run.bounds_from]
                result = execute_run(_task(self.sweep, run), self.sweep.instance, parent,
                                     root=self.runs_dir, bounds=bounds)
                self.running = 0
                if result.status == "interrupted":  # not a result: redone by --resume
                    return
                states[run.name] = result.state
                done(run, result)


@contextlib.contextmanager
def dask_client(workers: int | None, scheduler: str | None) -> Iterator[Any]:
    """A Dask client of an existing scheduler (``scheduler``: its address), else of a local
    cluster of ``workers`` one-thread processes (closed on leaving)."""
    import logging

    from dask.distributed import Client, LocalCluster

    if scheduler is not None:
        try:
            client = Client(scheduler, timeout="20s")
        except (OSError, TimeoutError, ValueError) as exc:
            raise SpecialeplanError(f"cannot reach the Dask scheduler at {scheduler}: "
                                    f"{exc}") from None
        try:
            yield client
        finally:
            client.close()
        return
    cluster = LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                           dashboard_address=None, silence_logs=logging.ERROR)
    client = Client(cluster)
    try:
        yield client
    finally:
        client.close()
        cluster.close()


class DaskExecutor:
    """Runs as Dask tasks (a local cluster or an existing scheduler); the client writes."""

    def __init__(self, sweep: Sweep, runs_dir: Path, *, workers: int | None,
                 scheduler: str | None) -> None:
        self.sweep, self.runs_dir = sweep, runs_dir
        self.workers, self.scheduler = workers, scheduler
        self.running = 0

    def _client(self) -> contextlib.AbstractContextManager[Any]:
        return dask_client(self.workers, self.scheduler)

    def run(self, todo: list[SweepRun], states: dict[str, ParentState | None],
            done: Callback, stop: Callable[[], bool], tick: Callable[[], None]) -> None:
        """Submit ``todo`` (each run after the runs it re-uses, as Dask dependencies) and
        publish each finished run's folder; ``tick()`` every half second, until ``stop()``
        (which cancels what is left)."""
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
                    if result.status == "interrupted":  # as in Sequential: redone by --resume
                        continue
                    self._publish(run, result)
                    done(run, result)
                tick()

    def _publish(self, run: SweepRun, result: RunResult) -> None:
        if not result.written or result.files is None:
            return
        try:
            with RunFolder(self.runs_dir, run.name, overwrite=True, within=WITHIN) as rf:
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
