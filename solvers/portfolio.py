"""Primal–dual portfolio: the primal heuristic in a second process beside the MIP solve.

On a 2-core machine HiGHS's MIP keeps one core busy proving the bound (its root cut loop is
serial) while the other idles. :class:`PrimalWorker` runs
:func:`~specialeplan.solvers.primal.lp_guided_search` in a spawned process on the other core
and streams every improved solution back through a queue; the MIP takes them as user
solutions (:class:`~specialeplan.solvers.base.SolveHooks`), so its own gap test stops it as
soon as bound and incumbent are close enough. The two processes share no state but the
queue: the worker ignores Ctrl-C and is stopped (or, failing that, terminated) by its owner,
which always keeps the best solution received so far.
"""

from __future__ import annotations

import multiprocessing as mp
import queue
import signal
import threading
import time
import traceback
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd

from specialeplan.solvers.base import SolverOptions
from specialeplan.solvers.primal import lp_guided_search
from specialeplan.solvers.problem import ColumnBlock, Labels, LinearProblem, RowBlock


def matrix_only(problem: LinearProblem) -> LinearProblem:
    """A copy without labels or cached objects: cheap to send to another process."""
    def bare(n: int) -> Labels:
        return Labels(pd.DataFrame(index=pd.RangeIndex(n)))

    columns = {n: ColumnBlock(b.name, b.family, b.start, b.size, bare(b.size))
               for n, b in problem.columns.items()}
    rows = [RowBlock(b.name, b.family, b.start, b.size, bare(b.size), b.elastic)
            for b in problem.rows]
    return LinearProblem(
        c=problem.c, offset=problem.offset, A=problem.A, row_lower=problem.row_lower,
        row_upper=problem.row_upper, lower=problem.lower, upper=problem.upper,
        integer=problem.integer, columns=columns, rows=rows, term_names=problem.term_names,
        terms=problem.terms, term_offsets=problem.term_offsets, name=problem.name)


def _worker(inbox: Any, out: Any, stop: Any) -> None:
    """Process entry point: run the search and put ``("solution", objective, z)`` messages,
    then ``("done", log)`` (or ``("error", text)``). Ctrl-C is ignored here: the owner
    decides when to stop. The search runs on a thread of its own so that the backends set no
    signal handlers in this process (they do only in a main thread)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    payload = inbox.get()
    thread = threading.Thread(target=_search, args=(payload, out, stop), daemon=True)
    thread.start()
    thread.join()


def _search(payload: dict[str, Any], out: Any, stop: Any) -> None:
    try:
        _, log = lp_guided_search(
            payload["problem"], payload["options"], seconds=payload["seconds"],
            groupings=payload["groupings"], start=payload["start"],
            on_solution=lambda value, z: out.put(("solution", value, z)),
            should_stop=stop.is_set, **payload["tuning"])
        out.put(("done", {"steps": log.steps, "lp_bound": log.lp_bound}))
    except Exception:  # noqa: BLE001 - reported to the owner, who carries on without us
        out.put(("error", traceback.format_exc()))


class PrimalWorker:
    """:func:`lp_guided_search` in a spawned process (see the module docstring)."""

    def __init__(self, problem: LinearProblem, options: SolverOptions, seconds: float | None,
                 groupings: list[np.ndarray] | None = None, start: np.ndarray | None = None,
                 **tuning: Any) -> None:
        ctx = mp.get_context("spawn")  # never fork a process that has HiGHS threads
        self._out = ctx.Queue()
        self._stop = ctx.Event()
        self._inbox = ctx.Queue()  # kept: the worker rebuilds its semaphores while starting
        self._proc = ctx.Process(target=_worker, args=(self._inbox, self._out, self._stop),
                                 daemon=True, name="specialeplan-primal")
        self._proc.start()
        # the problem goes through a queue (written by a feeder thread), not the start-up
        # pipe: a worker that dies while starting can then never block the owner
        self._inbox.put({"problem": matrix_only(problem), "options": options,
                         "seconds": seconds, "groupings": groupings, "start": start,
                         "tuning": tuning})
        self.best: tuple[float, np.ndarray] | None = None
        self.log: dict[str, Any] | None = None
        self.error: str | None = None
        self.received = 0

    def poll(self) -> tuple[float, np.ndarray] | None:
        """Take every waiting message; return the best solution so far (or None)."""
        while True:
            try:
                msg = self._out.get_nowait()
            except (queue.Empty, OSError, EOFError, ValueError):
                if (self.error is None and self.log is None and not self._proc.is_alive()
                        and self._proc.exitcode not in (None, 0)):
                    self.error = f"the search process ended with exit code {self._proc.exitcode}"
                return self.best
            self._take(msg)

    def _take(self, msg: tuple[Any, ...]) -> None:
        kind = msg[0]
        if kind == "solution":
            self.received += 1
            if self.best is None or msg[1] < self.best[0]:
                self.best = (float(msg[1]), np.asarray(msg[2], dtype=float))
        elif kind == "done":
            self.log = msg[1]
        else:
            self.error = msg[1]

    def newer(self, than: float) -> Callable[[], np.ndarray | None]:
        """A ``SolveHooks.incumbent`` that yields the best solution once it beats ``than``."""
        state = {"given": than}

        def incumbent() -> np.ndarray | None:
            best = self.poll()
            if best is None or best[0] >= state["given"]:
                return None
            state["given"] = best[0]
            return best[1]

        return incumbent

    def close(self, grace: float = 3.0) -> None:
        """Ask the worker to stop, collect what it sent, and make sure it is gone."""
        self._stop.set()
        end = time.monotonic() + grace
        while self._proc.is_alive() and time.monotonic() < end:
            self.poll()  # a child blocks on exit until its queued messages are taken
            self._proc.join(0.1)
        if self._proc.is_alive():
            self._proc.terminate()
            self._proc.join(2.0)
        self.poll()
        self._out.close()
        self._inbox.close()
        self._inbox.cancel_join_thread()  # an unread problem must not block the exit

    @property
    def alive(self) -> bool:
        """Whether the worker process is still running."""
        return self._proc.is_alive()
