"""Constructive start solutions: decompose by speciale.

On national instances HiGHS proves a good bound at the root but finds no good incumbent for
minutes (its first ones are ~10× the optimum; see PERFORMANCE_NOTES). The specialer are
coupled only through the providers' shared capacity, the max-specialer-per-provider rule and
the global change limit, so :func:`construct_start` builds a feasible start in two steps:

1. :func:`sequential_start`: order the specialer by scarcity (demand ÷ competent capacity,
   scarcest first) and solve them in blocks, each with the capacity the earlier blocks left
   and with providers that already hold the maximum number of specialer blocked;
2. :func:`improve_groups`: large-neighbourhood search re-optimising random groups of
   specialer jointly, which trades capacity between them.

Every sub-MIP is small and built with the matrix builder; the result is a full
:class:`Values` for the whole model, passed to the solver as a MIP start.
"""

from __future__ import annotations

import dataclasses
import time

import numpy as np
import pandas as pd

from specialeplan.model.matrix import build_matrix
from specialeplan.model.sets import ModelData
from specialeplan.model.solution import Values
from specialeplan.solvers.base import (
    SolveResult,
    SolverOptions,
    Status,
    get_backend,
    interrupt_requested,
)


class StartInterrupted(Exception):  # noqa: N818 - it is a signal, not an error
    """Ctrl-C during the start heuristic; ``values`` is the (feasible) solution so far."""

    def __init__(self, values: Values) -> None:
        super().__init__("interrupted while building the start solution")
        self.values = values


def _stop_if_interrupted(result: SolveResult, val: Values) -> None:
    if result.status == Status.INTERRUPTED or interrupt_requested():
        raise StartInterrupted(val)


GROUP_SIZE = 5  # specialer re-optimised jointly (the size of a rollout wave)


def _renumber(df: pd.DataFrame, col: str, keep: pd.Index) -> pd.Series:
    return df[col].map(pd.Series(np.arange(len(keep)), index=keep))


def restrict(
    data: ModelData, group: list[str], capacity: pd.Series, blocked: np.ndarray
) -> tuple[ModelData, dict[str, np.ndarray]]:
    """The sub-model of some specialer, plus the global row positions of each of its tables.

    ``capacity``: capacity left for them per provider_id; ``blocked``: bool per global pair
    that may not be opened (provider already at its max number of specialer).
    """
    pairs = data.pairs[data.pairs["speciale"].isin(group)].copy()
    pairs.loc[blocked[pairs.index] & ~pairs["fixed"], "usable"] = False
    dem = data.dem[data.dem["speciale"].isin(group)].copy()
    need = data.need[data.need["speciale"].isin(group)].copy()
    arcs = data.arcs[data.arcs["speciale"].isin(group)].copy()
    reach = data.reach[data.reach["speciale"].isin(group)].copy()
    arcs["pair"] = _renumber(arcs, "pair", pairs.index)
    arcs["dem"] = _renumber(arcs, "dem", dem.index)
    reach["pair"] = _renumber(reach, "pair", pairs.index)
    reach["need"] = _renumber(reach, "need", need.index)
    index = {"pairs": pairs.index.to_numpy(), "arcs": arcs.index.to_numpy(),
             "dem": dem.index.to_numpy(), "reach": reach.index.to_numpy(),
             "need": need.index.to_numpy()}
    for df, col in ((pairs, "pair"), (dem, "dem"), (need, "need")):
        df[col] = np.arange(len(df))
    providers = data.instance.providers.assign(
        capacity=data.instance.providers["provider_id"].map(capacity).clip(lower=0))
    instance = dataclasses.replace(data.instance, providers=providers)
    fam = data.params.families.model_copy(update={"change_limit": False})
    params = data.params.model_copy(update={"families": fam, "max_changes": None})
    sub = dataclasses.replace(
        data, instance=instance, params=params, specialer=group,
        pairs=pairs.reset_index(drop=True), dem=dem.reset_index(drop=True),
        arcs=arcs.reset_index(drop=True), reach=reach.reset_index(drop=True),
        need=need.reset_index(drop=True))
    return sub, index


def sequential_start(
    data: ModelData, options: SolverOptions, time_budget: float = 60.0, block: int = 1
) -> tuple[Values, dict[str, float]]:
    """A feasible start for the full model (see module docstring) and seconds per step.

    ``block`` specialer (in scarcity order) are solved jointly per step; blocks of five
    (the rollout waves' size) start much closer to the optimum than one at a time. With a
    max-specialer-per-provider limit the blocks are single specialer, so the limit can be
    tracked across steps. A block that finds no solution in its time is redone one speciale
    at a time; a speciale that still finds none stays unserved.
    """
    val = Values(y=np.zeros(len(data.pairs)), r=np.zeros(len(data.pairs)),
                 x=np.zeros(len(data.arcs)), u=np.zeros(len(data.dem)),
                 v=np.zeros(len(data.reach)), q=np.zeros(len(data.need)))
    val.u[:] = data.dem["demand"].to_numpy()  # until served
    val.q[:] = 1.0
    capacity = data.instance.providers.set_index("provider_id")["capacity"].astype(float)
    held = pd.Series(0, index=capacity.index)
    limit = data.params.max_specialer_per_provider
    if not data.params.families.max_specialer:
        limit = None
    if limit is not None:
        block = 1
    comp_cap = data.pairs[data.pairs["usable"]].groupby("speciale")["max_cases"].sum()
    scarcity = (data.dem.groupby("speciale")["demand"].sum() / comp_cap).reindex(
        data.specialer).fillna(0.0)
    order = list(scarcity.sort_values(ascending=False, kind="stable").index)
    steps = [order[i:i + block] for i in range(0, len(order), block)]
    sub_opts = _sub_options(options, max(time_budget / max(len(steps), 1), 1.0))
    seconds: dict[str, float] = {}
    try:
        _sequential_steps(data, val, steps, capacity, held, limit, sub_opts, seconds)
    except KeyboardInterrupt:  # between two sub-solves: val is feasible as it stands
        raise StartInterrupted(val) from None
    return val, seconds


def _sequential_steps(
    data: ModelData, val: Values, steps: list[list[str]], capacity: pd.Series,
    held: pd.Series, limit: int | None, sub_opts: SolverOptions, seconds: dict[str, float],
) -> None:
    backend = get_backend("highs-direct")
    for group in steps:
        t0 = time.perf_counter()
        blocked = np.zeros(len(data.pairs), dtype=bool)
        if limit is not None:
            blocked = data.pairs["provider_id"].map(held).to_numpy() >= limit
        sub, idx = restrict(data, group, capacity, blocked)
        problem = build_matrix(sub)
        result, z = backend.solve_matrix(problem, sub_opts)
        _stop_if_interrupted(result, val)
        seconds["+".join(group)] = time.perf_counter() - t0
        if z is None and len(group) > 1:  # no solution in time: one speciale at a time
            _sequential_steps(data, val, [[s] for s in group], capacity, held, limit,
                              sub_opts, seconds)
            continue
        if z is None:  # still nothing: leave it unserved (HiGHS repairs or drops the start)
            continue
        part = problem.split(z)
        _put(val, idx, part)
        used = pd.Series(part.x, index=sub.arcs["provider_id"]).groupby(level=0).sum()
        capacity -= used.reindex(capacity.index, fill_value=0.0)
        opened = sub.pairs.loc[np.round(part.y) > 0.5, "provider_id"].value_counts()
        held += opened.reindex(held.index, fill_value=0)


def _sub_options(options: SolverOptions, seconds: float) -> SolverOptions:
    return options.model_copy(update={
        "name": "highs-direct", "time_limit": seconds, "verbose": False, "log_file": None,
        "mip_rel_gap": min(options.mip_rel_gap, 0.005)})


def _loads(data: ModelData, x: np.ndarray) -> pd.DataFrame:
    """Borgerforløb per provider (rows) and speciale (columns)."""
    return (pd.DataFrame({"p": data.arcs["provider_id"], "s": data.arcs["speciale"], "x": x})
            .pivot_table(index="p", columns="s", values="x", aggfunc="sum", fill_value=0.0)
            .reindex(index=data.instance.providers["provider_id"], columns=data.specialer,
                     fill_value=0.0))


def _take(val: Values, idx: dict[str, np.ndarray]) -> Values:
    return Values(y=val.y[idx["pairs"]], r=val.r[idx["pairs"]], x=val.x[idx["arcs"]],
                  u=val.u[idx["dem"]], v=val.v[idx["reach"]], q=val.q[idx["need"]])


def _put(val: Values, idx: dict[str, np.ndarray], part: Values) -> None:
    y = np.round(part.y)
    val.y[idx["pairs"]] = y
    val.r[idx["pairs"]] = np.round(part.r) * y
    val.x[idx["arcs"]] = part.x
    val.u[idx["dem"]] = part.u
    val.v[idx["reach"]] = part.v
    val.q[idx["need"]] = part.q


def improve_groups(
    data: ModelData, val: Values, options: SolverOptions, time_budget: float,
    group_size: int = 5, seed: int = 0,
) -> tuple[Values, list[float]]:
    """Large-neighbourhood search over groups of specialer.

    Each step re-optimises a random group of ``group_size`` specialer jointly, with the
    capacity the other specialer leave free and the current values as MIP start, so it can
    trade capacity *between* the group's specialer (what one-at-a-time re-solving cannot)
    and never makes the solution worse. Groups are a fresh shuffle each pass, so every pair
    of specialer meets now and then. Returns the values and the objective after each step.
    Skipped when the per-provider or change limits couple specialer (not modelled here).
    """
    p = data.params
    if (p.families.max_specialer and p.max_specialer_per_provider is not None) or (
            p.families.change_limit and p.max_changes is not None) or len(data.specialer) <= 1:
        return val, []
    backend = get_backend("highs-direct")
    capacity = data.instance.providers.set_index("provider_id")["capacity"].astype(float)
    no_block = np.zeros(len(data.pairs), dtype=bool)
    rng = np.random.default_rng(seed)
    deadline = time.perf_counter() + time_budget
    size = min(group_size, len(data.specialer))
    trace: list[float] = []
    while True:
        order = list(rng.permutation(data.specialer))
        groups = [order[i:i + size] for i in range(0, len(order), size)]
        for group in groups:
            left = deadline - time.perf_counter()
            if left < 5.0:
                return val, trace
            loads = _loads(data, val.x)
            free = capacity - loads.drop(columns=group).sum(axis=1)
            sub, idx = restrict(data, group, free, no_block)
            problem = build_matrix(sub)
            z0 = problem.join(_take(val, idx))
            opts = _sub_options(options, min(left, max(20.0, time_budget / 3)))
            result, z = backend.solve_matrix(problem, opts, z0)
            _stop_if_interrupted(result, val)
            if z is not None and problem.c @ z < problem.c @ z0 - 1e-6:
                _put(val, idx, problem.split(z))
            trace.append(float(problem.c @ problem.join(_take(val, idx))))
        if len(groups) == 1:
            return val, trace


def construct_start(
    data: ModelData, options: SolverOptions, time_budget: float = 60.0
) -> tuple[Values, dict[str, float]]:
    """The start handed to the solver: the sequential decomposition in blocks of five
    specialer (40 % of the budget), then large-neighbourhood search over groups of
    specialer with the rest. With at most five specialer: one-at-a-time sequential only.

    Tried and dropped: independent per-speciale MIPs followed by a restricted coupled MIP
    (the independent optima overload shared providers by ~2,000 borgerforløb, so the
    restriction is poor), and re-solving one speciale at a time against the others' loads
    (no gain: a speciale re-solved alone sees exactly the capacity it had).
    """
    t0 = time.perf_counter()
    if len(data.specialer) <= GROUP_SIZE:
        # a group already is the whole model: a quick one-at-a-time start is all HiGHS needs
        return sequential_start(data, options, min(time_budget, 20.0), block=1)
    val, seconds = sequential_start(data, options, 0.4 * time_budget, block=GROUP_SIZE)
    left = time_budget - (time.perf_counter() - t0)
    if left > 10.0:
        t1 = time.perf_counter()
        try:
            val, _ = improve_groups(data, val, options, left, GROUP_SIZE, seed=options.seed)
        except KeyboardInterrupt:  # between two sub-solves: val is feasible as it stands
            raise StartInterrupted(val) from None
        seconds["improve_groups"] = time.perf_counter() - t1
    return val, seconds
