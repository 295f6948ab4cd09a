"""Trade-off fronts by the epsilon-constraint method (``specialeplan frontier``).

Two criteria: f2, the one that is **bounded** (``--bound``: an objective term by its raw
value — travel in borgerforløb-minutes, designation cost, equity in minutes, ... — or the
number of ``designations`` / ``advisory_designations``, i.e. specialfunktioner /
rådgivningsfunktioner), and f1, the one that is
**minimised** (``--minimise``):

- ``objective`` (default): the scenario's whole objective without the bounded term, so the
  two criteria split the planner's objective into "everything else" and f2;
- a term name T: that term alone (at its scenario weight, or 1 when that is 0) plus the
  penalties ``unmet`` and ``reach_shortfall`` that keep every plan complete. Every other
  cost is then free (e.g. minimising ``travel`` alone uses outreach and help near the
  family as much as the rules allow).

The bounded term keeps a tiny weight (10⁻⁶ of its scenario weight, or 10⁻⁶) so that among
plans with equal f1 the one with the smaller f2 is chosen; f1 is reported without it.

Steps: the end with the least f1 is solved first (f2_hi = f2 of that plan), then f2 alone is
minimised (with the penalties; f2_lo). The front is the ``steps`` points ε_i evenly from
f2_hi down to f2_lo (integer and distinct for counts), each the scenario with f1 as its
objective and the limit f2 ≤ ε_i (family ``limits``): a sweep (:mod:`specialeplan.analyses.sweep`)
whose runs are written, checked and resumable like any other, each run a restriction of the
one before (so each re-uses the previous plan and bound). A point no other point dominates
(no worse in both criteria, better in one) is on the front; ``frontier.csv`` flags it and
``frontier.png`` draws the front. With ``mip_rel_gap`` > 0 each point is optimal to within
that gap; a dominated point shows where that leeway mattered.
"""

from __future__ import annotations

import dataclasses
import json
import math
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import scipy.sparse as sp

from specialeplan.analyses.sweep import FORCED, make_sweep, run_sweep
from specialeplan.analyses.sweep_report import pareto_front
from specialeplan.errors import InfeasibleError, SpecialeplanError, did_you_mean
from specialeplan.model.families import TERMS
from specialeplan.model.families.limits import COUNTS
from specialeplan.model.params import LEGACY_CRITERIA
from specialeplan.model.pricing import resolved_weights
from specialeplan.results.runfolder import write_atomic
from specialeplan.scenarios.schema import ResolvedScenario, load_scenario
from specialeplan.scenarios.sweep import SweepSpec

CRITERIA = (*TERMS, *COUNTS)
TIE_BREAK = 1e-6
PENALTIES = ("unmet", "reach_shortfall")
UNITS = {"travel": "borgerforløb-minutes", "outreach": "borgerforløb-minutes (staff)",
         "designation": "cost", "advisory": "cost", "unmet": "borgerforløb",
         "reach_shortfall": "municipality × speciale", "change": "designations changed",
         "near_family": "borgerforløb", "moved": "borgerforløb",
         "equity": "minutes (Σ over specialer)", "designations": "count",
         "advisory_designations": "count"}


def _check(name: str, what: str, extra: tuple[str, ...] = ()) -> None:
    known = [*extra, *CRITERIA]
    if name not in known:
        raise SpecialeplanError(f"{what}: unknown criterion {name!r}."
                                f"{did_you_mean(name, known)} Choose from: {', '.join(known)}")


def point_weights(weights: dict[str, float], minimise: str, bound: str) -> dict[str, float]:
    """The objective weights of every frontier point (module docstring)."""
    out = dict(weights)
    if minimise != "objective":
        keep = {minimise, *PENALTIES}
        out = {k: (v if k in keep else 0.0) for k, v in out.items()}
        if out[minimise] == 0:
            out[minimise] = 1.0
    if bound in TERMS:
        out[bound] = TIE_BREAK * (weights[bound] or 1.0)
    return out


def _raw_f2(problem: Any, bound: str) -> np.ndarray:
    """The raw f2 as a vector over the problem's columns (and its constant)."""
    if bound in COUNTS:
        c = np.zeros(problem.n_columns)
        c[problem.columns[COUNTS[bound]].slice] = 1.0
        return c
    t = problem.term_names.index(bound)
    return np.asarray(problem.terms[t].todense()).ravel()


def f2_minimum(resolved: ResolvedScenario, instance: Any, bound: str) -> float | None:
    """The least f2 over complete plans (f2 plus the penalties ``unmet``, ``reach_shortfall``);
    None when no plan is found."""
    from specialeplan.api import Built, build, solve

    sc = resolved.scenario
    weights = {k: 0.0 for k in sc.model.weights.model_dump()}
    for k in PENALTIES:
        weights[k] = getattr(sc.model.weights, k)
    if bound in TERMS:
        weights[bound] = 1.0
    params = sc.model.model_copy(update={"weights": sc.model.weights.model_copy(
        update=weights), "limits": {}})
    built = build(instance, params)
    p = built.problem
    # the objective as named terms (both backends read them): f2 raw, then the penalties
    rows = [_raw_f2(p, bound)]
    names, offsets = [bound], [float(p.term_offsets[p.term_names.index(bound)])
                               if bound in TERMS else 0.0]
    for k in PENALTIES:
        t = p.term_names.index(k)
        rows.append(np.asarray(p.terms[t].todense()).ravel())
        names.append(k)
        offsets.append(float(p.term_offsets[t]))
    terms = sp.csr_matrix(np.vstack(rows))
    problem = dataclasses.replace(p, c=np.asarray(terms.sum(axis=0)).ravel(),
                                  offset=float(sum(offsets)), terms=terms, term_names=names,
                                  term_offsets=np.array(offsets))
    built = Built(data=built.data, problem=problem, build_seconds=built.build_seconds)
    try:
        outcome = solve(built, sc.solver.model_copy(update={"warm_start": False,
                                                            "verbose": False}))
    except InfeasibleError:
        return None
    sol = outcome.solution
    if sol is None:
        return None
    return float(sol.kpis[bound] if bound in COUNTS else sol.kpis["terms"][bound])


def f2_at_best_f1(resolved: ResolvedScenario, instance: Any, bound: str) -> float | None:
    """f2 of the plan with the least f1 (no limit): where the front starts. ``resolved`` has
    the frontier's point weights (:func:`point_weights`)."""
    from specialeplan.api import build, solve

    sc = resolved.scenario
    try:
        outcome = solve(build(instance, sc.model.model_copy(update={"limits": {}})),
                        sc.solver.model_copy(update={"verbose": False}))
    except InfeasibleError:
        return None
    sol = outcome.solution
    if sol is None:
        return None
    if bound in COUNTS:
        return float(sol.kpis[bound])
    # point_weights gives the bounded term a positive (tie-break) weight: the raw value is
    # the weighted term divided by it
    return float(sol.kpis["terms"][bound]) / getattr(sc.model.weights, bound)


def epsilons(hi: float, lo: float, steps: int, integer: bool) -> list[float]:
    """``steps`` limits from ``hi`` down to ``lo`` (distinct integers for counts), at 10⁻⁶
    precision; the two ends are rounded up, so the plans that reached them stay feasible."""
    if steps < 1:
        raise SpecialeplanError("--steps must be at least 1")
    values = [hi] if steps == 1 or hi <= lo else [float(v) for v in np.linspace(hi, lo, steps)]
    if integer:
        return [float(v) for v in sorted({int(np.floor(v + 1e-9)) for v in values},
                                         reverse=True)]
    out = [round(v, 6) for v in values]
    out[0] = math.ceil(values[0] * 1e6 - 1e-6) / 1e6
    out[-1] = math.ceil(values[-1] * 1e6 - 1e-6) / 1e6
    return out


def _label(value: float) -> str:
    """A limit as it appears in a run name (plain decimals, no exponent)."""
    return f"{value:.6f}".rstrip("0").rstrip(".")


def frontier_name(resolved: ResolvedScenario, minimise: str, bound: str) -> str:
    """The frontier's folder: ``<scenario>.frontier.<minimise>-vs-<bound>``."""
    return f"{resolved.scenario.name}.frontier.{minimise}-vs-{bound}"


def run_frontier(
    scenario: str | Path, *, bound: str, minimise: str = "objective", steps: int = 5,
    out: str | Path = "results", overrides: list[str] | None = None, reuse: bool = True,
    workers: int | None = None, scheduler: str | None = None, resume: bool = False,
    overwrite: bool = False, on_event: Any = None,
) -> pd.DataFrame:
    """Compute the front (module docstring) into ``out/<frontier name>/``; returns
    ``frontier.csv``: one row per point (``limit``, the achieved f2 and f1, status, gap,
    ``non_dominated``, the run folder), best f1 first."""
    from specialeplan.api import priced
    from specialeplan.data import load_dataset

    if isinstance(steps, bool) or not isinstance(steps, int) or steps < 1:
        raise SpecialeplanError(f"--steps must be a whole number ≥ 1, got {steps!r}")
    if workers is not None or scheduler is not None:  # before any solve, not after
        from specialeplan.analyses.sweep_exec import check_cluster_options

        check_cluster_options(workers, scheduler)
    bound = LEGACY_CRITERIA.get(bound, bound)  # the counts' earlier names still work
    _check(bound, "--bound")
    _check(minimise, "--minimise", ("objective",))
    if minimise == bound:
        raise SpecialeplanError("--minimise and --bound name the same criterion")
    if minimise in COUNTS:
        raise SpecialeplanError(f"--minimise {minimise}: a count can only be bounded; "
                                "minimise 'objective' or a term and bound the count")
    base = load_scenario(scenario, list(overrides or []))
    sc = base.scenario
    # the prices the scenario solves with (thousand DKK, from its cost table)
    costs = (priced(load_dataset(sc.dataset, base.base_dir), sc.costs).costs
             if sc.model.pricing == "kroner" else None)
    priced_weights = resolved_weights(sc.model.weights, costs)
    weights = point_weights(priced_weights.model_dump(), minimise, bound)
    point_set: dict[str, Any] = {f"model.weights.{k}": v for k, v in weights.items()}
    if "equity" in (bound, minimise):
        point_set["model.families.equity"] = True
    resolved = load_scenario(scenario, [*(overrides or []), *FORCED, *(
        f"{k}={json.dumps(v)}" for k, v in point_set.items())])
    instance = load_dataset(resolved.scenario.dataset, resolved.base_dir)
    hi = f2_at_best_f1(resolved, instance, bound)
    lo = f2_minimum(resolved, instance, bound)
    if hi is None or lo is None:
        raise SpecialeplanError(
            "the scenario has no feasible plan (or none was found in its time limit) to "
            "start the front from; run it with 'specialeplan run' to see why")
    eps = epsilons(hi, min(lo, hi), steps, bound in COUNTS)
    name = frontier_name(resolved, minimise, bound)
    runs = {f"{i + 1:02d}-{bound}={_label(e)}": {f"model.limits.{bound}": e}
            for i, e in enumerate(eps)}
    spec = SweepSpec(name=name, description=f"frontier: minimise {minimise}, bound {bound}",
                     scenario=str(Path(base.path or scenario).resolve()),
                     set={k: v for k, v in point_set.items()}, runs=runs, reuse=reuse)
    sweep = make_sweep(spec, Path(base.path or scenario).resolve(), list(overrides or []))
    run_sweep(sweep, out, workers=workers, scheduler=scheduler, resume=resume,
              overwrite=overwrite, on_event=on_event, kind="frontier")
    root = Path(out) / name
    table = frontier_table(root, sweep, bound, minimise, eps)
    write_atomic(root / "frontier.csv", lambda p: table.to_csv(p, index=False))
    write_frontier_plot(table, root / "frontier.png", bound=bound, minimise=minimise,
                        title=sc.name)
    table.attrs["name"] = name
    return table


def frontier_table(root: Path, sweep: Any, bound: str, minimise: str,
                   eps: list[float]) -> pd.DataFrame:
    """One row per point from its run folder: the limit, f2 (raw, from the files), f1 (the
    objective without the tie-break), status, gap and the non-dominated flag."""
    from specialeplan.checker import raw_terms
    from specialeplan.results.contract import SOLUTION_STATUSES
    from specialeplan.results.reading import read_kpis_object

    rows = []
    for run, e in zip(sweep.runs, eps, strict=True):
        folder = root / "runs" / run.name
        row: dict[str, Any] = {"point": run.name, "limit": e, bound: None, minimise: None,
                               "status": None, "gap": None}
        if folder.is_dir():
            kpis = read_kpis_object(folder)
            row.update(status=kpis.get("status"), gap=kpis.get("mip_gap"))
            if kpis.get("status") in SOLUTION_STATUSES:
                f2 = float(kpis[bound]) if bound in COUNTS else raw_terms(folder)[bound]
                tie = float(kpis["terms"].get(bound, 0.0)) if bound in TERMS else 0.0
                row[bound] = round(f2, 6)
                row[minimise] = round(float(kpis["objective"]) - tie, 6)
                row.update(designations=kpis.get("designations"),
                           mean_travel_minutes=kpis.get("mean_travel_minutes"),
                           total_unmet=kpis.get("total_unmet"))
        else:
            row["status"] = "error"
        rows.append(row)
    table = pd.DataFrame(rows)
    table["non_dominated"] = pareto_front(table, [bound, minimise]).to_numpy()
    return table


def write_frontier_plot(table: pd.DataFrame, path: Path, *, bound: str, minimise: str,
                        title: str = "") -> Path:
    """f1 against f2: every point, the front joined, each labelled with its limit."""
    from matplotlib.figure import Figure

    # a bare Figure, never pyplot: a frontier run from a notebook keeps its backend and figures
    fig = Figure(figsize=(7, 5))
    ax = fig.subplots()
    ok = table[table[bound].notna() & table[minimise].notna()]
    dom = ok[~ok["non_dominated"].astype(bool)]
    front = ok[ok["non_dominated"].astype(bool)].sort_values(bound)
    ax.plot(front[bound], front[minimise], "o-", color="tab:blue", label="front")
    if len(dom):
        ax.scatter(dom[bound], dom[minimise], color="0.6", label="dominated (gap)")
    for _, r in front.iterrows():
        ax.annotate(f"≤ {r['limit']:.4g}", (r[bound], r[minimise]), fontsize=7,
                    xytext=(4, 4), textcoords="offset points")
    ax.set_xlabel(f"{bound} ({UNITS.get(bound, '')})")
    ax.set_ylabel(minimise + ("" if minimise == "objective" else
                              f" ({UNITS.get(minimise, '')}, weighted)"))
    ax.set_title(f"{title}: minimise {minimise} with {bound} bounded\n({len(front)} of "
                 f"{len(ok)} points on the front)", fontsize=10)
    ax.grid(alpha=0.3)
    ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    return path
