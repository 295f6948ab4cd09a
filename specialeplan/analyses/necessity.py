"""What every good plan shares (issue 24, part 2): ``necessity.csv``.

Within the slack of a search for alternatives (:mod:`specialeplan.analyses.alternatives`:
plans that cost at most ``cap`` = (1 + slack) · the best plan's proven bound):

- each **designation of the best plan** is ``needed`` (no plan within the cap does without
  it), ``replaceable`` (a plan within the cap does without it; ``replacement``: the
  designations of the same specialfunktion type that plan adds, from the cheapest such plan
  found) or ``undecided`` (neither proven within the time for it);
- each **other candidate** (a provider competent for a type, not designated for it in the
  best plan) is ``possible`` (a plan within the cap designates it), ``never`` (none can)
  or ``undecided``.

Each case is settled by the cheapest evidence first (``settled_by``):

1. ``alternatives``: a plan already found (the best plan or an alternative) is the witness;
   ``moves``: a plan one move from the best plan is (:func:`by_moves`: a designation
   closed or moved to another provider of its type, a candidate added, the rest kept);
2. ``lp_bound``: the LP relaxation with the designation left out (the candidate forced in)
   costs more than the cap, so no plan does;
   the LPs are re-solved in one HiGHS instance from the previous basis
   (:class:`~specialeplan.solvers.session.LPSession`);
3. ``mip``: the MIP of the case for at most ``case_time_limit`` seconds with the cap as
   HiGHS's objective bound (``objective_bound``: it prunes every plan above the cap, so
   "infeasible" proves that no plan within the cap exists); a candidate's case also stops at
   the first plan within the cap (``objective_target``). These run side by side on a Dask
   cluster (``workers`` or ``scheduler``) or one after the other, on one thread each either
   way (the same search in both).

The map classes (``map_class``): ``always`` (needed), ``sometimes`` (replaceable, possible),
``never`` and ``undecided``.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from specialeplan.analyses.alternatives import Plan
from specialeplan.model.keys import PS
from specialeplan.results.contract import NECESSITY_MAP_CLASS
from specialeplan.results.reading import read_kpis_object
from specialeplan.results.runfolder import write_atomic

if TYPE_CHECKING:
    from specialeplan.analyses.alternatives import AlternativesResult
    from specialeplan.api import Built
    from specialeplan.model.instance import Instance
    from specialeplan.model.params import ModelParams
    from specialeplan.solvers.base import SolverOptions

NECESSITY = "necessity.csv"
COLUMNS = ("kind", "provider_id", "provider_name", "function", "specialer", "necessity",
           "map_class", "replacement", "witness", "witness_cost", "lower_bound",
           "settled_by", "seconds")
CAP_TOL = 1e-9  # relative: a plan this close to the cap is within it (solver noise)


@dataclass
class Case:
    """One question: a designation left out (its y column at 0) or a candidate forced in
    (its y column at 1)."""

    kind: str  # "designation" or "candidate"
    provider_id: str
    function: str
    col: int
    necessity: str = "undecided"
    replacement: str = ""
    witness: str = ""
    witness_cost: float | None = None
    lower_bound: float | None = None
    settled_by: str = ""
    seconds: float = 0.0
    extra: dict[str, Any] = field(default_factory=dict)


def run_necessity(result: AlternativesResult, *, case_time_limit: float = 20.0,
                  workers: int | None = None, scheduler: str | None = None,
                  candidates: bool = True,
                  on_progress: Callable[[int, int, str], None] | None = None) -> pd.DataFrame:
    """Classify the cases (module docstring) and write ``necessity.csv`` into the
    alternatives folder (atomically); returns the table. ``candidates=False``: the
    designations only (the candidates are still the places a designation may move to).
    Ctrl-C stops the MIPs: the cases left are ``undecided`` and the file is written all the
    same."""
    if result.built is None:
        raise ValueError("run_necessity needs the model the alternatives were searched on")
    cases = classify(result, make_cases(result.built, result.plans[0]),
                     case_time_limit=case_time_limit, workers=workers, scheduler=scheduler,
                     candidates=candidates, on_progress=on_progress)
    table = necessity_table(result.built, cases)
    write_atomic(result.folder / NECESSITY, lambda p: table.to_csv(p, index=False))
    return table


def classify(result: AlternativesResult, cases: list[Case], *, case_time_limit: float = 20.0,
             workers: int | None = None, scheduler: str | None = None,
             candidates: bool = True,
             on_progress: Callable[[int, int, str], None] | None = None) -> list[Case]:
    """Settle ``cases`` within ``result.cap`` (the plans found, one move, LP bounds, MIPs;
    module docstring); returns those classified: all, or without ``candidates`` the
    designations only (the candidate cases then serve as the places a designation may
    move to)."""
    from specialeplan.solvers.base import interrupt_requested, interruptible

    built = result.built
    say = on_progress or (lambda *a: None)
    cap = result.cap * (1.0 + CAP_TOL) if result.cap >= 0 else result.cap * (1.0 - CAP_TOL)
    kinds = {"designation", "candidate"} if candidates else {"designation"}
    mine = [c for c in cases if c.kind in kinds]
    with interruptible():
        costs = {p.name: read_kpis_object(p.folder).get("objective") for p in result.plans}
        by_plans(cases, result.plans, costs, cap)
        say(sum(c.settled_by != "" for c in mine), len(mine), "settled by the plans found")
        if result.start is not None:
            by_moves(built, cases, result.start, cap, kinds)
            say(sum(c.settled_by != "" for c in mine), len(mine),
                "settled by moving one designation of the best plan")
        by_lp_bound(built, mine, cap)
        say(sum(c.settled_by != "" for c in mine), len(mine), "settled by LP bounds")
        todo = [c for c in mine if not c.settled_by]
        if todo and not interrupt_requested():
            solve_cases(result, todo, cap, case_time_limit, workers, scheduler, say)
    return mine


def make_cases(built: Built, best: Plan) -> list[Case]:
    """A case per designation of the best plan, then per candidate (a pair the model may
    designate, not designated in the best plan), each in provider and type order
    (:func:`classify` decides which kinds it settles)."""
    problem = built.problem
    pairs = built.data.pairs[PS].reset_index(drop=True)
    y = problem.columns["y"]
    may = (problem.upper[y.slice] > 0) & (problem.lower[y.slice] < 1)
    key = list(zip(pairs["provider_id"], pairs["function"], strict=True))
    order = sorted(range(len(key)), key=lambda i: key[i])
    cases = [Case("designation", *key[i], y.start + i) for i in order
             if key[i] in best.designations]
    cases += [Case("candidate", *key[i], y.start + i) for i in order
              if may[i] and key[i] not in best.designations]
    return cases


def by_plans(cases: list[Case], plans: list[Plan], costs: dict[str, Any], cap: float) -> None:
    """Settle what the plans already found show: a plan within the cap without the
    designation (the cheapest such), or with the provider."""
    within = sorted((p for p in plans if isinstance(costs.get(p.name), int | float)
                     and costs[p.name] <= cap), key=lambda p: costs[p.name])
    best = plans[0].designations
    for case in cases:
        for plan in within:
            if case.kind == "designation" and (case.provider_id, case.function) \
                    not in plan.designations:
                case.necessity = "replaceable"
                case.replacement = _replacement(plan.designations - best, case.function)
            elif case.kind == "candidate" and (case.provider_id, case.function) \
                    in plan.designations:
                case.necessity = "possible"
            else:
                continue
            case.witness, case.witness_cost = plan.name, float(costs[plan.name])
            case.settled_by = "alternatives"
            break


def by_moves(built: Built, cases: list[Case], start: np.ndarray, cap: float,
             kinds: set[str] | frozenset[str] = frozenset({"designation", "candidate"}),
             ) -> None:
    """Settle by plans one move from the best plan (``start``: its column values), the rest
    of it kept: a designation closed alone or moved to a candidate of its type (which takes
    over its rådgivning; the :data:`MOVES` nearest), a candidate added. Each such plan is
    an LP (every integer column fixed), re-solved in one HiGHS instance from the last
    basis; a plan within the cap is the witness (replaceable: the cheapest move;
    possible). Only cases of ``kinds`` are settled (the candidates are move targets
    either way)."""
    from specialeplan.solvers.base import Status, interrupt_requested
    from specialeplan.solvers.session import LPArrays, LPSession

    todo = [c for c in cases if not c.settled_by and c.kind in kinds]
    if not todo:
        return
    problem = built.problem
    fixed = np.round(start)
    lp = LPArrays.of(problem)
    lp.lower, lp.upper = problem.lower.copy(), problem.upper.copy()
    lp.lower[problem.integer] = lp.upper[problem.integer] = fixed[problem.integer]
    session = LPSession(lp)
    y, r = problem.columns["y"], problem.columns["r"]
    shift = r.start - y.start  # r[i] is the rådgivning of pair i, as y[i]

    def cost(cols: list[int], values: list[float]) -> float | None:
        res, z = session.solve(np.array(cols), np.array(values), np.array(values))
        if res.status != Status.OPTIMAL or z is None or problem.violation(z) > 1e-6:
            return None
        return problem.objective(z)

    candidates: dict[str, list[Case]] = {}
    for case in cases:
        if case.kind == "candidate":
            candidates.setdefault(case.function, []).append(case)
    near = _nearest(built, candidates)
    for case in todo:
        if interrupt_requested():
            return
        if case.settled_by:  # a candidate a move of a designation has already shown
            continue
        t0 = time.perf_counter()
        if case.kind == "candidate":
            found = cost([case.col], [1.0])
            moves = [("", found)] if found is not None else []
        else:
            advisory = float(fixed[case.col + shift])
            moves = [("", cost([case.col, case.col + shift], [0.0, 0.0]))]
            for other in near(case):
                moves.append((other.provider_id, cost(
                    [case.col, case.col + shift, other.col, other.col + shift],
                    [0.0, 0.0, 1.0, advisory])))
                if moves[-1][1] is not None and moves[-1][1] <= cap and not other.settled_by:
                    _witness(other, "possible", "", f"moved from {case.provider_id}",
                             moves[-1][1])
        within = [(who, v) for who, v in moves if v is not None and v <= cap]
        case.seconds += time.perf_counter() - t0
        if within:
            who, v = min(within, key=lambda m: m[1])
            word = "replaceable" if case.kind == "designation" else "possible"
            _witness(case, word, who, "one move", v)


MOVES = 12
"""A designation is moved to at most this many candidates of its type, the nearest first
(the cheapest replacement is near: the borgerforløb it served stay close)."""


def _nearest(built: Built, candidates: dict[str, list[Case]]
             ) -> Callable[[Case], list[Case]]:
    """The :data:`MOVES` candidates of a designation's type nearest to it (travel minutes
    from its provider's municipality)."""
    inst = built.data.instance
    home = inst.providers.set_index("provider_id")["municipality_code"]
    pt = inst.provider_travel.set_index(["municipality_code", "provider_id"])["minutes"]

    def near(case: Case) -> list[Case]:
        pool = candidates.get(case.function, [])
        origin = home.get(case.provider_id)
        minutes = [float(pt.get((origin, c.provider_id), np.inf)) for c in pool]
        order = np.argsort(minutes, kind="stable")[:MOVES]
        return [pool[i] for i in order]

    return near


def _witness(case: Case, necessity: str, replacement: str, witness: str, value: float
             ) -> None:
    case.necessity, case.replacement = necessity, replacement
    case.witness, case.witness_cost, case.settled_by = witness, float(value), "moves"


def _replacement(added: frozenset[tuple[str, str]] | set[tuple[str, str]], function: str
                 ) -> str:
    """The designations of ``function`` a plan adds (``provider_id`` list; '' = none: the
    type's other designations absorb the borgerforløb)."""
    return "; ".join(sorted(p for p, f in added if f == function))


def by_lp_bound(built: Built, cases: list[Case], cap: float) -> None:
    """Settle by the LP relaxation: left out (provider forced in) and still above the cap
    → needed (never). Every LP re-solves from the last basis in one HiGHS instance;
    ``lower_bound`` records the LP's bound on the case's plans."""
    from specialeplan.solvers.base import Status, interrupt_requested
    from specialeplan.solvers.session import LPArrays, LPSession

    todo = [c for c in cases if not c.settled_by]
    if not todo:
        return
    session = LPSession(LPArrays.of(built.problem))
    session.solve()  # the root LP: later solves start from its basis
    for case in todo:
        if interrupt_requested():
            return
        t0 = time.perf_counter()
        one = np.array([0.0 if case.kind == "designation" else 1.0])
        res, _ = session.solve(np.array([case.col]), one, one)
        bound = (math.inf if res.status == Status.INFEASIBLE else float(res.objective)
                 if res.status == Status.OPTIMAL and res.objective is not None else -math.inf)
        case.seconds += time.perf_counter() - t0
        case.lower_bound = bound if math.isfinite(bound) else case.lower_bound
        if bound > cap:
            case.necessity = "needed" if case.kind == "designation" else "never"
            case.settled_by = "lp_bound"


def solve_cases(result: AlternativesResult, todo: list[Case], cap: float,
                case_time_limit: float, workers: int | None, scheduler: str | None,
                say: Callable[[int, int, str], None]) -> None:
    """The MIP of each case left (module docstring), on Dask or here one after another."""
    from specialeplan.solvers.base import interrupt_requested

    specs = [_spec(c) for c in todo]
    args = (result.instance, result.params, result.options, cap, case_time_limit)
    n = len(todo)
    if workers is None and scheduler is None:
        _WORKER_CACHE["built"] = (_key(result.params), result.built)
        for i, (case, spec) in enumerate(zip(todo, specs, strict=True)):
            if interrupt_requested():
                return
            _settle(case, solve_case(spec, *args))
            say(i + 1, n, f"MIP {case.kind} {case.provider_id} {case.function}: "
                f"{case.necessity}")
        return
    from specialeplan.analyses.sweep_exec import dask_client

    with dask_client(workers, scheduler) as client:
        from dask.distributed import as_completed

        scattered = client.scatter(list(args[:2]), broadcast=True)
        futures = {client.submit(solve_case, spec, *scattered, *args[2:], pure=False): case
                   for spec, case in zip(specs, todo, strict=True)}
        for done, fut in enumerate(as_completed(futures), start=1):
            if interrupt_requested():
                client.cancel(list(futures))
                return
            case = futures[fut]
            try:
                _settle(case, fut.result())
            except Exception as exc:  # noqa: BLE001 - a dead worker leaves it undecided
                case.extra["error"] = f"{type(exc).__name__}: {exc}"
            say(done, n, f"MIP {case.kind} {case.provider_id} {case.function}: "
                f"{case.necessity}")


def _spec(case: Case) -> dict[str, Any]:
    return {"kind": case.kind, "function": case.function, "col": case.col}


def _settle(case: Case, answer: dict[str, Any]) -> None:
    case.seconds += float(answer["seconds"])
    bound = answer.get("bound")
    if isinstance(bound, float) and math.isfinite(bound):
        case.lower_bound = max(bound, case.lower_bound or -math.inf)
    case.necessity = answer["necessity"]
    if case.necessity != "undecided":
        case.settled_by = "mip"
    if answer.get("cost") is not None and case.necessity in ("replaceable", "possible"):
        case.witness, case.witness_cost = "mip", float(answer["cost"])
        case.replacement = answer.get("replacement", "")


_WORKER_CACHE: dict[str, Any] = {}


def _key(params: ModelParams) -> str:
    return params.model_dump_json()


def solve_case(spec: dict[str, Any], instance: Instance, params: ModelParams,
               options: SolverOptions, cap: float, seconds: float) -> dict[str, Any]:
    """One case's MIP (module docstring), in a worker or here; the model is built once per
    process. Returns necessity, the plan's cost and replacement, the bound and seconds."""
    from specialeplan.api import build
    from specialeplan.solvers.base import Status
    from specialeplan.solvers.registry import get_backend

    t0 = time.perf_counter()
    key = _key(params)
    cached = _WORKER_CACHE.get("built")
    if cached is None or cached[0] != key:
        _WORKER_CACHE["built"] = (key, build(instance, params))
    built = _WORKER_CACHE["built"][1]
    problem = built.problem
    designation = spec["kind"] == "designation"
    lower, upper = problem.lower.copy(), problem.upper.copy()
    lower[spec["col"]] = upper[spec["col"]] = 0.0 if designation else 1.0
    case = problem.with_bounds(lower, upper)
    extra = {"objective_bound": float(cap)}
    if not designation:
        extra["objective_target"] = float(cap)
    opts = options.model_copy(update={
        "time_limit": float(seconds), "verbose": False, "log_file": None, "threads": 1,
        "options": {**options.options, **extra}})
    res, z = get_backend(options.name).solve(case, opts)
    out: dict[str, Any] = {"seconds": time.perf_counter() - t0, "bound": res.best_bound,
                           "necessity": "undecided", "cost": None}
    if res.status == Status.INFEASIBLE:
        out["necessity"], out["bound"] = ("needed" if designation else "never"), float(cap)
        return out
    if z is not None and problem.objective(z) <= cap:
        out["necessity"] = "replaceable" if designation else "possible"
        out["cost"] = problem.objective(z)
        if designation:
            pairs = built.data.pairs[PS][z[problem.columns["y"].slice] > 0.5]
            out["replacement"] = _replacement(set(zip(pairs["provider_id"], pairs["function"],
                                                      strict=True)), spec["function"])
    elif res.best_bound is not None and res.best_bound > cap:
        out["necessity"] = "needed" if designation else "never"
    return out


def necessity_table(built: Built, cases: list[Case]) -> pd.DataFrame:
    """``necessity.csv`` (:data:`COLUMNS`): one row per case, designations first."""
    inst = built.data.instance
    names = inst.providers.set_index("provider_id")["name"]
    specialer = inst.specialer_of()
    rows = [{
        "kind": c.kind, "provider_id": c.provider_id,
        "provider_name": names.get(c.provider_id, ""), "function": c.function,
        "specialer": ";".join(specialer.get(c.function, [])),
        "necessity": c.necessity, "map_class": NECESSITY_MAP_CLASS[c.necessity],
        "replacement": c.replacement, "witness": c.witness, "witness_cost": c.witness_cost,
        "lower_bound": c.lower_bound, "settled_by": c.settled_by or "undecided in time",
        "seconds": round(c.seconds, 3)} for c in cases]
    return pd.DataFrame(rows, columns=list(COLUMNS))


def read_necessity(folder: str | Path) -> pd.DataFrame:
    """``necessity.csv`` of an alternatives folder."""
    return pd.read_csv(Path(folder) / NECESSITY, keep_default_na=False,
                       na_values={"witness_cost": [""], "lower_bound": [""]})
