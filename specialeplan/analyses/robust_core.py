"""The robust core of a sweep (issue 24, part 4): the designations every run keeps and needs.

A sweep varies the parameters; a slack varies the plan within each run's near-optimal room.
:func:`sweep_core` asks, for every run of a sweep folder and every designation of its plan,
the necessity question of :mod:`specialeplan.analyses.necessity` within ``slack`` of that
run's own proven bound (plans one move away — to the nearest other competent providers of
the type —, LP bounds, a MIP per case left), and writes
``core.csv``: per (provider, specialfunktion type) designated in any run, in how many runs
it is designated and needed, and its class:

- ``core``: designated and needed in every run (robust to both the parameters and the
  near-optimality of each plan);
- ``always designated``: designated in every run, but replaceable within the slack in some;
- ``sometimes``: designated in some runs only.

Each run is rebuilt from its own folder (its ``instance/`` and resolved rules), so the
classification needs nothing but the sweep folder.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from pathlib import Path

import pandas as pd

from specialeplan.analyses.alternatives import AlternativesResult, plan_of
from specialeplan.analyses.necessity import classify, make_cases
from specialeplan.results.contract import SOLUTION_STATUSES
from specialeplan.results.reading import read_kpis_object
from specialeplan.results.runfolder import is_run_folder, write_atomic

CORE = "core.csv"
CLASSES = ("core", "always designated", "sometimes")


def sweep_core(root: str | Path, slack: float, *, case_time_limit: float = 20.0,
               on_progress: Callable[[str, int, int], None] | None = None) -> pd.DataFrame:
    """Classify every run's designations (module docstring) and write ``root/core.csv``
    (atomically); returns it. ``runs`` counts the runs with a plan (those without one are
    named in ``runs_without_plan``); a run without a proven bound is named in
    ``runs_without_bound`` and its designations are ``undecided``."""
    from specialeplan.api import build
    from specialeplan.model.resolve import previous_binaries, repair_start
    from specialeplan.results.contract import RESULT_TABLES
    from specialeplan.results.reading import read_csv
    from specialeplan.results.reload import load_run
    from specialeplan.solvers.base import Deadline, SolverOptions, interrupt_requested
    from specialeplan.solvers.registry import get_backend

    root = Path(root)
    runs_dir = root / "runs"
    folders = sorted(p for p in runs_dir.iterdir() if is_run_folder(p)) \
        if runs_dir.is_dir() else []
    solved = [f for f in folders
              if read_kpis_object(f).get("status") in SOLUTION_STATUSES]
    per_run: dict[str, dict[tuple[str, str], str]] = {}
    names: dict[str, str] = {}
    specialer: dict[str, str] = {}
    no_bound: list[str] = []
    for i, folder in enumerate(solved, start=1):
        if interrupt_requested():
            break
        if on_progress is not None:
            on_progress(folder.name, i, len(solved))
        loaded = load_run(folder)
        plan = plan_of(folder)
        names.update(loaded.instance.providers.set_index("provider_id")["name"].to_dict())
        specialer.update({f: ";".join(s) for f, s in loaded.instance.specialer_of().items()})
        bound = loaded.kpis.get("best_bound")
        if not isinstance(bound, int | float) or not math.isfinite(bound):
            no_bound.append(folder.name)
            per_run[folder.name] = dict.fromkeys(plan.designations, "undecided")
            continue
        options = SolverOptions.model_validate({**loaded.solver, "verbose": False,
                                                "log_file": None})
        built = build(loaded.instance, loaded.params)
        binaries = previous_binaries(built.data, read_csv(folder, RESULT_TABLES[
            "designations"]))
        start, _ = repair_start(built.data, built.problem, binaries,
                                set(built.data.functions), get_backend(options.name), options,
                                Deadline.after(options.time_limit))
        cap = (1.0 + slack) * bound if bound >= 0 else (1.0 - slack) * bound
        search = AlternativesResult(folder, [plan], pd.DataFrame(), float(bound), float(cap),
                                    built=built, instance=loaded.instance,
                                    params=loaded.params, options=options, start=start)
        cases = classify(search, make_cases(built, plan), candidates=False,
                         case_time_limit=case_time_limit)
        per_run[folder.name] = {(c.provider_id, c.function): c.necessity for c in cases}
    unsolved = [f.name for f in folders if f not in solved]
    table = core_table(per_run, len(solved), names, specialer, no_bound, unsolved)
    write_atomic(root / CORE, lambda p: table.to_csv(p, index=False))
    return table


def core_table(per_run: dict[str, dict[tuple[str, str], str]], n_runs: int,
               names: dict[str, str], specialer: dict[str, str],
               no_bound: list[str], unsolved: list[str]) -> pd.DataFrame:
    """``core.csv``: one row per (provider, type) designated in any run, core first; a
    column per run with its necessity there ('' = not designated)."""
    keys = sorted({k for run in per_run.values() for k in run})
    rows = []
    for p, f in keys:
        there = {run: v.get((p, f), "") for run, v in per_run.items()}
        designated = sum(bool(v) for v in there.values())
        needed = sum(v == "needed" for v in there.values())
        klass = ("core" if needed == n_runs else "always designated" if designated == n_runs
                 else "sometimes")
        rows.append({"provider_id": p, "provider_name": names.get(p, ""), "function": f,
                     "specialer": specialer.get(f, ""), "class": klass, "runs": n_runs,
                     "designated_in": designated, "needed_in": needed,
                     "replaceable_in": sum(v == "replaceable" for v in there.values()),
                     "undecided_in": sum(v == "undecided" for v in there.values()),
                     "runs_without_bound": "; ".join(no_bound),
                     "runs_without_plan": "; ".join(unsolved), **there})
    out = pd.DataFrame(rows)
    if out.empty:
        return pd.DataFrame(columns=["provider_id", "provider_name", "function", "specialer",
                                     "class", "runs", "designated_in", "needed_in",
                                     "replaceable_in", "undecided_in", "runs_without_bound",
                                     "runs_without_plan"])
    order = {c: i for i, c in enumerate(CLASSES)}
    return out.sort_values(["class", "needed_in", "designated_in", "provider_id", "function"],
                           key=lambda s: s.map(order) if s.name == "class" else s,
                           ascending=[True, False, False, True, True]).reset_index(drop=True)
