"""Many good plans, not one: near-optimal alternatives (issue 24, modelling to generate
alternatives as PyPSA's MGA and calliope's SPORES do).

:func:`run_alternatives` solves a scenario's best plan, then up to ``count`` more plans, each

- **within the slack of the best plan's proven bound**: cost ≤ (1 + slack) · bound, so the
  promise "at most slack above the best possible plan" holds whatever the best plan's gap;
- **apart from every plan before it**: first the cheapest plan within the cap that keeps at
  most |P| − ⌈10 % · |P|⌉ of the designations of each earlier plan P (a cost-minimising MIP
  with one row per earlier plan, which HiGHS solves about as fast as the plan itself;
  :func:`apart_limits`), so two plans differ in at least :data:`DIFFERENT` of their
  designations where the slack allows it;
- **then as different as possible** (:func:`specialeplan.api.solve_alternative`, the rest
  of the time, at least a quarter): it minimises Σ w_(p,f) · y_(p,f), w = the number of
  earlier plans that designate provider p for specialfunktion type f (a designation no plan
  has used costs nothing), plus a tie-break of half a designation times cost / cap, so among
  equally different plans the cheapest wins (the tie-break never outweighs one
  designation: within the cap it moves by less than 0.5). Where the slack allows no plan
  10 % apart, this phase alone looks for the most different plan (alternatives.csv's
  ``note`` says so).

Each plan is an ordinary results folder, ``runs/best`` and ``runs/alt_01``…, written
atomically and checked; an alternative's ``kpis.json`` has status ``feasible``, its
``best_bound`` the best plan's bound and its ``solver.mip_rel_gap`` the slack (the quality
its promise sets, for ``check --strict``). ``alternatives.csv`` compares them
(:data:`TABLE_COLUMNS`). The search stops early when the slack leaves no plan that differs
from those found. Ctrl-C keeps the plans finished so far; ``resume`` continues.

:mod:`specialeplan.analyses.necessity` classifies each designation as needed or replaceable
within the same slack.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import math
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import yaml

from specialeplan.errors import InfeasibleError, RunFolderError, SpecialeplanError
from specialeplan.model.keys import PS
from specialeplan.results.contract import RESULT_TABLES, SOLUTION_STATUSES
from specialeplan.results.reading import read_csv, read_kpis_object
from specialeplan.results.runfolder import (
    SEP,
    RunLock,
    check_command_folder,
    is_run_folder,
    write_atomic,
    write_folder_record,
)

if TYPE_CHECKING:
    from specialeplan.api import Built
    from specialeplan.model.instance import Instance
    from specialeplan.model.params import ModelParams
    from specialeplan.scenarios.schema import ResolvedScenario
    from specialeplan.solvers.base import SolverOptions

KIND = "alternatives"
SUFFIX = "_alternatives"
RUNS = "runs"
RECORD = "alternatives.yaml"
TABLE = "alternatives.csv"
BEST = "best"
DIFFERENT = 0.10
"""Two plans count as genuinely different when at least this share of the designations of
either is not in both (:func:`difference`)."""
#: the KPI columns of alternatives.csv taken from each plan's kpis.json
KPI_COLUMNS = ("annual_cost_mio_dkk", "mean_travel_minutes_physical", "outreach_cases",
               "outreach_share", "near_family_cases", "moved_cases", "total_unmet")
TABLE_COLUMNS = ("plan", "status", "objective", "above_bound_pct", "gap_pct", "designations",
                 "added", "removed", "added_vs_best", "removed_vs_best",
                 "difference_to_nearest_pct", "nearest", *KPI_COLUMNS, "check", "note",
                 "folder")


class AlternativesInterrupted(SpecialeplanError):
    """Ctrl-C or SIGTERM stopped the search; the plans finished so far are kept."""


def parse_slack(text: str | float) -> float:
    """``2%``, ``2 %`` or ``0.02`` → 0.02; a clear error otherwise (0 ≤ slack ≤ 100 %)."""
    raw = str(text).strip()
    match = re.fullmatch(r"([0-9]*\.?[0-9]+)\s*(%?)", raw)
    if match is None:
        raise SpecialeplanError(f"--slack {text!r}: write a share of the bound, e.g. 2% or "
                                "0.02")
    value = float(match.group(1)) / (100.0 if match.group(2) else 1.0)
    if not 0.0 <= value <= 1.0:
        raise SpecialeplanError(f"--slack {text!r}: between 0 % and 100 % of the bound")
    return value


def difference(a: frozenset[tuple[str, str]], b: frozenset[tuple[str, str]]) -> float:
    """The share of the designations of two plans that is not in both: |a Δ b| / |a ∪ b|
    (0 = the same plan, 1 = nothing in common)."""
    union = a | b
    return len(a ^ b) / len(union) if union else 0.0


@dataclass
class Plan:
    """One plan found: its name (``best``, ``alt_01``…), folder and designations."""

    name: str
    folder: Path
    designations: frozenset[tuple[str, str]]


def plan_of(folder: Path) -> Plan:
    """A written plan's designations (``designations.csv``: provider_id, function)."""
    des = read_csv(folder, RESULT_TABLES["designations"])
    return Plan(folder.name, folder, frozenset(zip(des["provider_id"], des["function"],
                                                   strict=True)))


@dataclass
class AlternativesResult:
    """What :func:`run_alternatives` wrote: its folder, the plans and ``alternatives.csv``."""

    folder: Path
    plans: list[Plan]
    table: pd.DataFrame
    bound: float
    cap: float
    stopped: str = ""
    """Why fewer plans than asked were found ('' when all were)."""
    necessity: pd.DataFrame | None = None
    notes: list[str] = field(default_factory=list)
    built: Built | None = None
    """The model the plans were searched on (and what built it: the priced dataset, the
    model parameters, the solver options), for :mod:`specialeplan.analyses.necessity`."""
    instance: Instance | None = None
    params: ModelParams | None = None
    options: SolverOptions | None = None
    start: np.ndarray | None = None
    """The best plan's column values (its designations with the rest re-solved)."""


def weights_for(built: Built, plans: list[Plan], cap: float) -> np.ndarray:
    """The diversity objective (module docstring): per column, w on the designation
    columns y (the number of ``plans`` designating the pair) plus the cost tie-break."""
    problem = built.problem
    pairs = built.data.pairs[PS]
    used = pd.Series([sum((p, f) in plan.designations for plan in plans)
                      for p, f in zip(pairs["provider_id"], pairs["function"], strict=True)],
                     dtype=float).to_numpy()
    weights = 0.5 * problem.c / max(abs(cap), 1.0)
    weights[problem.columns["y"].slice] += used
    return weights


def apart_limits(built: Built, plans: list[Plan]) -> list[tuple[np.ndarray, float]]:
    """Per earlier plan: its designation columns y and the most of them a new plan may keep
    (|P| − ⌈DIFFERENT·|P|⌉, so that at least DIFFERENT of the designations of either plan
    differ, :func:`difference`)."""
    pairs = built.data.pairs[PS]
    at = {k: i for i, k in enumerate(zip(pairs["provider_id"], pairs["function"],
                                         strict=True))}
    start = built.problem.columns["y"].start
    out = []
    for plan in plans:
        cols = np.array([start + at[k] for k in plan.designations if k in at], dtype=int)
        out.append((cols, float(len(cols) - math.ceil(DIFFERENT * len(cols)))))
    return out


def _record(resolved: ResolvedScenario, slack: float) -> dict[str, Any]:
    sc = resolved.scenario.model_copy(update={"solver": resolved.scenario.solver.model_copy(
        update={"time_limit": None})})  # another time limit is the same search
    dump = json.dumps(sc.model_dump(mode="json"), sort_keys=True, ensure_ascii=False)
    return {"scenario": resolved.scenario.name,
            "scenario_file": str(resolved.path) if resolved.path else None,
            "scenario_sha256": hashlib.sha256(dump.encode("utf-8")).hexdigest(),
            "slack": slack}


def _claim(root: Path, record: dict[str, Any], *, resume: bool,
           overwrite: bool) -> None:
    """Make ``root`` the alternatives folder: refuse another command's folder, an earlier
    search without ``resume``/``overwrite``, and a resume with another scenario or slack."""
    check_command_folder(root, KIND, "search for alternatives")
    runs = root / RUNS
    existing = sorted(p.name for p in runs.iterdir() if not p.name.startswith(".")) \
        if runs.is_dir() else []
    if existing and not (resume or overwrite):
        raise RunFolderError(
            f"{root} already holds {len(existing)} plan(s) of a search for alternatives; use "
            "--resume to keep them and go on, or --overwrite to start again")
    if existing and resume and (root / RECORD).is_file():
        before = yaml.safe_load((root / RECORD).read_text(encoding="utf-8")) or {}
        for key, what in (("scenario_sha256", "scenario"), ("slack", "slack")):
            if before.get(key) != record[key]:
                raise SpecialeplanError(
                    f"--resume: {root} was searched with another {what} ("
                    f"{before.get(key)!r}); resume with the same one, or use --overwrite")
    if overwrite and not resume:
        import shutil

        for name in existing:
            shutil.rmtree(runs / name)
    runs.mkdir(parents=True, exist_ok=True)
    write_folder_record(root, KIND)
    write_atomic(root / RECORD, lambda p: p.write_text(
        yaml.safe_dump(record, sort_keys=False, allow_unicode=True), encoding="utf-8"))


def _complete(folder: Path) -> bool:
    """A plan folder that holds a solution (folders exist only once complete)."""
    if not is_run_folder(folder):
        return False
    return read_kpis_object(folder).get("status") in SOLUTION_STATUSES


def _alt_resolved(resolved: ResolvedScenario, name: str, slack: float, bound: float
                  ) -> ResolvedScenario:
    """The scenario an alternative records: the best plan's, its quality target the slack
    and its origin in ``extends_chain``."""
    sc = resolved.scenario
    solver = sc.solver.model_copy(update={"mip_rel_gap": slack})
    scenario = sc.model_copy(update={
        "name": f"{sc.name}_{name}", "solver": solver,
        "description": f"near-optimal alternative {name} of {sc.name}: cost within "
                       f"{slack:.2%} of the best plan's proven bound {bound:,.6g}, as "
                       "different as possible from the plans before it"})
    return dataclasses.replace(resolved, scenario=scenario, chain=[
        *resolved.chain, f"alternative {name} of {sc.name} within {slack:.4%} of bound "
        f"{bound!r}"])


def run_alternatives(
    resolved: ResolvedScenario, out: str | Path = "results", *, slack: float = 0.02,
    count: int = 5, time_limit: float | None = None, resume: bool = False,
    overwrite: bool = False, on_event: Callable[[str, str, dict[str, Any]], None] | None = None,
) -> AlternativesResult:
    """Find the best plan and up to ``count`` alternatives (module docstring) into
    ``out/<scenario name>_alternatives/``. ``time_limit`` (default: the scenario's) bounds
    each plan. ``on_event(kind, plan, info)`` is told ``start``, ``skip`` (kept by
    ``resume``), ``done`` and ``stop`` (no further plan: ``info['reason']``). Raises
    :class:`AlternativesInterrupted` after Ctrl-C (what is finished is kept)."""
    from specialeplan.api import build, priced, solve_alternative
    from specialeplan.data.loader import load_dataset
    from specialeplan.model.resolve import previous_binaries, repair_start
    from specialeplan.model.sets import check_names
    from specialeplan.pipeline import solve_into_folder
    from specialeplan.solvers.base import (
        Deadline,
        Status,
        interrupt_requested,
        interruptible,
    )
    from specialeplan.solvers.registry import check_solver_options, get_backend

    if isinstance(count, bool) or count < 0:
        raise SpecialeplanError(f"--count must be 0 or more, got {count}")
    event = on_event or (lambda *a: None)
    sc = resolved.scenario
    options = sc.solver.model_copy(update={"verbose": False} | (
        {"time_limit": float(time_limit)} if time_limit is not None else {}))
    check_solver_options(options)
    resolved = dataclasses.replace(resolved, scenario=sc.model_copy(update={"solver": options}))
    out = Path(out)
    root = out / f"{sc.name}{SUFFIX}"
    runs = root / RUNS
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise RunFolderError(f"cannot create {out}: {exc.strerror or exc}") from None
    with RunLock(out, root.name), interruptible():
        _claim(root, _record(resolved, slack), resume=resume, overwrite=overwrite)
        for leftover in root.glob(f".*{SEP}tmp-*"):
            leftover.unlink(missing_ok=True)
        instance = load_dataset(sc.dataset, resolved.base_dir)
        built_box: list[Built] = []
        plans: list[Plan] = []
        within = (KIND,)
        if _complete(runs / BEST):
            event("skip", BEST, {})
        else:
            event("start", BEST, {})
            record = solve_into_folder(resolved, runs, BEST, overwrite=True, excel=False,
                                       instance=instance, keep_interrupted=False,
                                       within=within, on_built=built_box.append)
            if record.folder is None:
                raise AlternativesInterrupted("interrupted before the best plan had a "
                                              "solution: nothing was kept")
            if record.status not in SOLUTION_STATUSES:
                diagnosis = record.outcome.diagnosis
                if diagnosis is not None:
                    raise InfeasibleError(
                        "the scenario is infeasible, so there are no plans to compare "
                        f"({runs / BEST / 'infeasibility.csv'}). A minimal relaxation that "
                        "makes it feasible:\n" + diagnosis.to_text(), diagnosis)
                raise SpecialeplanError(f"the best plan has no solution (status "
                                        f"{record.status}): no alternatives to search")
            event("done", BEST, {"check_ok": record.check_ok})
        plans.append(plan_of(runs / BEST))
        kpis = read_kpis_object(runs / BEST)
        bound = kpis.get("best_bound")
        if not isinstance(bound, int | float) or not math.isfinite(bound):
            raise SpecialeplanError(
                f"{runs / BEST}: the best plan has no proven bound (status "
                f"{kpis.get('status')}); give it more time (--time-limit)")
        cap = (1.0 + slack) * bound if bound >= 0 else (1.0 - slack) * bound
        result = AlternativesResult(root, plans, pd.DataFrame(), float(bound), float(cap))
        if kpis.get("objective", math.inf) > cap:
            result.notes.append(
                f"the best plan itself is {kpis['objective'] / bound - 1:.2%} above the "
                f"bound, more than the slack {slack:.2%}: give it more time for a plan "
                "within the slack")
        inst = priced(instance, sc.costs)
        if built_box:
            built = built_box[0]
        else:
            check_names(inst, sc.model)
            built = build(inst, sc.model)
        result.built, result.instance, result.params = built, inst, sc.model
        result.options = options
        backend = get_backend(options.name)
        binaries = previous_binaries(built.data, read_csv(runs / BEST,
                                                          RESULT_TABLES["designations"]))
        start, _ = repair_start(built.data, built.problem, binaries, set(built.data.functions),
                                backend, options, Deadline.after(options.time_limit))
        result.start = start
        for k in range(1, count + 1):
            name = f"alt_{k:02d}"
            folder = runs / name
            if _complete(folder):
                plans.append(plan_of(folder))
                event("skip", name, {})
                continue
            if interrupt_requested():
                break
            event("start", name, {})
            weights = weights_for(built, plans, cap)
            found: dict[str, Any] = {}

            def solve(tmp: Path, deadline: Deadline, weights: np.ndarray = weights,
                      found: dict[str, Any] = found):  # noqa: ANN202
                t_solve = time.perf_counter()
                opts = options.model_copy(update={"log_file": str(tmp / "solver.log")})
                outcome = solve_alternative(built, opts, cap=cap, weights=weights,
                                            bound=float(bound), apart=apart_limits(built, plans),
                                            start=start, backend=backend, deadline=deadline)
                seconds = time.perf_counter() - t_solve
                outcome.timings = {"load_seconds": None, "build_seconds": 0.0,
                                   "solve_seconds": seconds, "total_seconds": seconds}
                if outcome.solution is not None:
                    des = outcome.solution.designations
                    new = frozenset(zip(des["provider_id"], des["function"], strict=True))
                    if any(new == p.designations for p in plans):
                        found["same"] = outcome.result.extra.get("alternative_status")
                        outcome.solution = None  # nothing new: not written
                        outcome.result.status = Status.NO_SOLUTION
                return outcome

            rec = solve_into_folder(_alt_resolved(resolved, name, slack, float(bound)), runs,
                                    name, overwrite=True, excel=False, keep_interrupted=False,
                                    within=within, solve=solve, instance=instance)
            if interrupt_requested():
                if rec.folder is not None and _complete(rec.folder):
                    plans.append(plan_of(rec.folder))
                break
            if "same" in found:
                _drop(rec.folder)
                result.stopped = (
                    f"no plan within {slack:.2%} of the bound differs from the {len(plans)} "
                    "found" if found["same"] == "optimal" else
                    f"no plan within {slack:.2%} of the bound that differs from the "
                    f"{len(plans)} found was found in {options.time_limit:g} s (give more "
                    "time: --time-limit)")
                event("stop", name, {"reason": result.stopped})
                break
            if rec.folder is None or not _complete(rec.folder):
                _drop(rec.folder)
                result.stopped = (f"{name}: no plan within {slack:.2%} of the bound found in "
                                  f"{options.time_limit:g} s (status {rec.status})")
                event("stop", name, {"reason": result.stopped})
                break
            plans.append(plan_of(rec.folder))
            event("done", name, {"check_ok": rec.check_ok})
        result.table = alternatives_table(runs, plans, bound)
        write_atomic(root / TABLE, lambda p: result.table.to_csv(p, index=False))
        if interrupt_requested():
            raise AlternativesInterrupted(
                f"interrupted: {len(plans)} plan(s) kept in {runs}; continue with --resume")
    return result


def _drop(folder: Path | None) -> None:
    """Remove a folder written for a plan that is not kept (no solution, or a repeat)."""
    import shutil

    if folder is not None and folder.is_dir():
        shutil.rmtree(folder)


def alternatives_table(runs: Path, plans: list[Plan], bound: float) -> pd.DataFrame:
    """``alternatives.csv`` (:data:`TABLE_COLUMNS`) from the plans' folders: cost and how
    far above the bound (%), designations added and removed against the plan before the
    nearest earlier one and against the best plan, the difference to the nearest earlier
    plan (:func:`difference`, %), family travel, outreach, moves, unmet demand and whether
    the folder's check passed."""
    from specialeplan.checker import check_results

    rows = []
    best = plans[0].designations if plans else frozenset()
    for i, plan in enumerate(plans):
        kpis = read_kpis_object(plan.folder)
        obj = kpis.get("objective")
        earlier = plans[:i]
        nearest = min(earlier, key=lambda q: difference(plan.designations, q.designations),
                      default=None)
        near = nearest.designations if nearest is not None else plan.designations
        try:
            check = "passed" if check_results(plan.folder).ok else "failed"
        except SpecialeplanError as exc:
            check = f"failed: {exc}"
        rows.append({
            "plan": plan.name, "status": kpis.get("status"), "objective": obj,
            "above_bound_pct": 100.0 * (obj / bound - 1.0) if obj is not None and bound
            else None,
            "gap_pct": 100.0 * kpis["mip_gap"] if isinstance(kpis.get("mip_gap"), float)
            else None,
            "designations": len(plan.designations),
            "added": len(plan.designations - near), "removed": len(near - plan.designations),
            "added_vs_best": _names(plan.designations - best),
            "removed_vs_best": _names(best - plan.designations),
            "difference_to_nearest_pct": None if nearest is None
            else 100.0 * difference(plan.designations, nearest.designations),
            "nearest": nearest.name if nearest is not None else "",
            **{k: kpis.get(k) for k in KPI_COLUMNS},
            "check": check, "note": kpis.get("note") or "",
            "folder": str(Path(RUNS) / plan.name),
        })
    return pd.DataFrame(rows, columns=list(TABLE_COLUMNS))


def _names(pairs: frozenset[tuple[str, str]]) -> str:
    return "; ".join(f"{p} {f}" for p, f in sorted(pairs))
