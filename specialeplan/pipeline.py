"""Solve a scenario into a checked results folder: the one path from a scenario to
``ROOT/<name>/`` that ``specialeplan run``, ``sweep`` (and so ``frontier``) and ``rollout``
share.

:func:`solve_into_folder`

1. claims ``ROOT/<name>/`` (:class:`~specialeplan.results.runfolder.RunFolder`: lock, temp
   folder with a writability probe, a finished run refused unless ``overwrite``);
2. solves (:func:`specialeplan.api.run`: loads the dataset unless given one, builds and
   solves, or re-solves from an earlier result), the solver log going to ``solver.log`` in
   the folder; an infeasible scenario is a result (its diagnosis is written);
3. writes the folder (:func:`specialeplan.results.writer.write_results`), the maps when
   asked, and ``write_seconds`` into ``kpis.json``;
4. publishes it (an atomic rename). When writing or publishing fails, the result goes to a
   rescue folder under the system temp dir (``rescue=True``) and
   :class:`~specialeplan.errors.ResultsNotWritten` (exit code 4) says where;
5. checks the published folder with the independent checker (``check=True``, runs with a
   solution).

A run interrupted (Ctrl-C, SIGTERM) before it has a solution feasible for the whole model
writes nothing; with ``keep_interrupted=False`` (a sweep, whose ``--resume`` redoes it) no
interrupted run is written unless it proved optimality. It prints nothing: the caller hears
through the ``on_*`` callbacks and reads the returned :class:`RunRecord`.

Timings (:data:`~specialeplan.results.contract.TIMINGS`, seconds): ``load_seconds``,
``build_seconds``, ``solve_seconds``, ``total_seconds`` (the three together, up to the
solution) and ``write_seconds`` are in ``kpis.json``; ``check_seconds`` only in
:attr:`RunRecord.timings` (the check reads the published folder and never changes it).
"""

from __future__ import annotations

import json
import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from specialeplan.errors import InfeasibleError, ResultsNotWritten, SpecialeplanError
from specialeplan.results.contract import KPIS
from specialeplan.results.runfolder import RunFolder, os_reason, rescue_folder
from specialeplan.solvers.base import Deadline, Status, interrupt_requested, interruptible

if TYPE_CHECKING:
    from specialeplan.api import Built, RunOutcome
    from specialeplan.checker import CheckReport
    from specialeplan.model.instance import Instance
    from specialeplan.scenarios.schema import ResolvedScenario


@dataclass
class RunRecord:
    """What :func:`solve_into_folder` did: the solver's outcome, the published folder (None:
    nothing was written, the run was interrupted before a solution to keep), every timing,
    and the automatic check (its report, or the error that stopped it)."""

    outcome: RunOutcome
    folder: Path | None
    timings: dict[str, float | None] = field(default_factory=dict)
    check: CheckReport | None = None
    check_error: SpecialeplanError | None = None
    check_interrupted: bool = False  # Ctrl-C during the check of the published folder

    @property
    def status(self) -> str:
        """The run's status as in ``kpis.json`` (``optimal``, ``infeasible``, ...)."""
        return str(self.outcome.result.status)

    @property
    def check_ok(self) -> bool | None:
        """Whether the check passed; None when the folder was not checked."""
        if self.check_error is not None:
            return False
        return None if self.check is None else self.check.ok


def solve_into_folder(
    resolved: ResolvedScenario, root: Path, name: str | None = None, *,
    overwrite: bool = False, deadline: Deadline | None = None, excel: bool = True,
    maps: bool = False, verbose: bool = False, check: bool = True,
    instance: Instance | None = None, previous: RunOutcome | None = None,
    keep_interrupted: bool = True, rescue: bool = True, kept: str = "",
    within: tuple[str, ...] = (),
    solve: Callable[[Path, Deadline], RunOutcome] | None = None,
    on_start: Callable[[], None] | None = None,
    on_built: Callable[[Built], None] | None = None,
    on_warning: Callable[[str], None] | None = None,
    on_written: Callable[[Path, RunOutcome], None] | None = None,
) -> RunRecord:
    """Solve ``resolved`` into ``root/<name>/`` (default name: the scenario's), written
    atomically and checked (module docstring).

    ``deadline`` (default: ``solver.time_limit`` from now) bounds loading, building and
    solving; ``instance`` and ``previous`` as for :func:`specialeplan.api.run`. ``kept``: what
    stays intact when the folder cannot be written (added to the error). ``within``: the
    kinds of results folder ``root`` may lie inside (a sweep's ``runs/``, a rollout's
    folder; :class:`~specialeplan.results.runfolder.RunFolder`). ``solve(tmp, deadline)``
    replaces the solve (e.g. a near-optimal alternative of a built model): it gets the
    temporary folder (for ``solver.log``) and runs inside :func:`interruptible`. Callbacks:
    ``on_start()`` once the folder is claimed, ``on_built(built)`` before the solve,
    ``on_warning(text)`` for what does not stop the run (a map that cannot be drawn),
    ``on_written(folder, outcome)`` to add files to the temporary folder before it is
    published. Raises what claiming the folder raises
    (:class:`~specialeplan.errors.RunFolderError`), :class:`ResultsNotWritten` when the
    result cannot be written, and ``KeyboardInterrupt`` on a second interrupt.
    """
    t0 = time.perf_counter()
    deadline = deadline or Deadline.after(resolved.scenario.solver.time_limit, t0)
    with RunFolder(root, name or resolved.scenario.name, overwrite=overwrite,
                   within=within) as rf:
        if on_start is not None:
            on_start()
        if solve is not None:
            with interruptible():
                outcome = solve(rf.tmp, deadline)
        else:
            outcome = _solve(resolved, rf.tmp, deadline, verbose=verbose, instance=instance,
                             previous=previous, on_built=on_built)
        record = RunRecord(outcome, None, dict(outcome.timings))
        if not _keep(outcome, keep_interrupted):
            return record
        t_write = time.perf_counter()
        record.folder = _write(rf, outcome, resolved, excel=excel, maps=maps, rescue=rescue,
                               kept=kept, on_warning=on_warning, on_written=on_written)
        record.timings["write_seconds"] = time.perf_counter() - t_write
    record.timings["check_seconds"] = None
    if check and record.folder is not None and outcome.solution is not None:
        try:
            _check(record, record.folder)
        except KeyboardInterrupt:  # the result is complete and in place: say so
            record.check_interrupted = True
    return record


def _solve(resolved: ResolvedScenario, tmp: Path, deadline: Deadline, *, verbose: bool,
           instance: Instance | None, previous: RunOutcome | None,
           on_built: Callable[[Built], None] | None) -> RunOutcome:
    """:func:`specialeplan.api.run` with the log in ``tmp``; an infeasible scenario's
    outcome (with its diagnosis) is returned, not raised."""
    from specialeplan.api import RunOutcome
    from specialeplan.api import run as run_scenario

    with interruptible():  # Ctrl-C and SIGTERM: from here on they stop the solve, not us
        try:
            return run_scenario(resolved, verbose=verbose, log_file=str(tmp / "solver.log"),
                                on_built=on_built, deadline=deadline, instance=instance,
                                previous=previous)
        except InfeasibleError as exc:
            if not isinstance(exc.outcome, RunOutcome):  # pragma: no cover - api contract
                raise
            return exc.outcome


def _keep(outcome: RunOutcome, keep_interrupted: bool) -> bool:
    """Whether the outcome is written: never an interrupted run without a solution; with
    ``keep_interrupted=False`` no interrupted run unless it proved optimality."""
    status = outcome.result.status
    if status == Status.INTERRUPTED and outcome.solution is None:
        return False
    return keep_interrupted or not (interrupt_requested() and status != Status.OPTIMAL)


def _write(rf: RunFolder, outcome: RunOutcome, resolved: ResolvedScenario, *, excel: bool,
           maps: bool, rescue: bool, kept: str, on_warning: Callable[[str], None] | None,
           on_written: Callable[[Path, RunOutcome], None] | None) -> Path:
    """Write the run into the temp folder and publish it; on any failure the result goes to
    a rescue folder (with ``rescue``) and :class:`ResultsNotWritten` is raised."""
    from specialeplan.results import writer  # looked up at call time: tests patch it

    t0 = time.perf_counter()
    try:
        writer.write_results(outcome, resolved, rf.tmp, excel=excel)
        if maps and outcome.solution is not None:
            _draw_maps(rf.tmp, on_warning)
        if on_written is not None:
            on_written(rf.tmp, outcome)
        _stamp(rf.tmp / KPIS, "write_seconds", time.perf_counter() - t0)
        return rf.publish()
    except Exception as exc:  # noqa: BLE001 - whatever went wrong, keep the solution
        failure = exc
    raise _not_written(rf, outcome, resolved, failure, rescue=rescue, kept=kept) from failure


def _draw_maps(folder: Path, on_warning: Callable[[str], None] | None) -> None:
    try:
        from specialeplan.maps.interactive import write_all_maps  # only now: matplotlib and
        # folium take a second to import
        write_all_maps(folder)
    except Exception as exc:  # noqa: BLE001 - a map is no reason to lose a result
        if on_warning is not None:
            on_warning(f"could not draw the maps: {exc}")


def _stamp(path: Path, key: str, value: float) -> None:
    """Add ``key`` to ``kpis.json`` right after ``total_seconds`` (the other timings)."""
    kpis = json.loads(path.read_text(encoding="utf-8"))
    out: dict[str, object] = {}
    for k, v in kpis.items():
        out[k] = v
        if k == "total_seconds":
            out[key] = value
    out.setdefault(key, value)
    path.write_text(json.dumps(out, indent=2, ensure_ascii=False), encoding="utf-8")


def _not_written(rf: RunFolder, outcome: RunOutcome, resolved: ResolvedScenario,
                 failure: Exception, *, rescue: bool, kept: str) -> ResultsNotWritten:
    """The error for a result that could not be written where asked, after saving it to a
    rescue folder when ``rescue`` (the solution is never lost silently)."""
    from specialeplan.results import writer

    first = f"cannot write the results to {rf.target}: {os_reason(failure)}"
    if not rescue:
        return ResultsNotWritten(f"{first}; {kept}" if kept else first)
    try:
        saved = rescue_folder(rf.name)
        log = rf.tmp / "solver.log"
        if log.is_file():
            shutil.copy2(log, saved / "solver.log")
        writer.write_results(outcome, resolved, saved, excel=False)
    except Exception as exc:  # noqa: BLE001
        return ResultsNotWritten(f"{first}; and the rescue copy failed too: {exc}")
    return ResultsNotWritten(f"{first}.\nThe result was saved to {saved} instead (check it "
                             "with specialeplan check).", rescue=saved)


def _check(record: RunRecord, folder: Path) -> None:
    """Check the published ``folder`` (its report, or the error that stopped the check)."""
    from specialeplan.checker import check_results

    t0 = time.perf_counter()
    try:
        record.check = check_results(folder)
    except SpecialeplanError as exc:  # a folder just written must read back
        record.check_error = exc
    record.timings["check_seconds"] = time.perf_counter() - t0
