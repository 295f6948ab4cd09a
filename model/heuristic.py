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

Every sub-MIP is small, built from the same family registry (:func:`build_problem` on a
restricted :class:`ModelData`) and solved with the backend the options name; its blocks map
back into the full problem by their ``speciale`` labels. The result is a full column vector
for the whole model, passed to the solver as a MIP start.
"""

from __future__ import annotations

import dataclasses
import time

import numpy as np
import pandas as pd

from specialeplan.model.build import build_problem
from specialeplan.model.sets import ModelData
from specialeplan.solvers.base import (
    Deadline,
    SolveResult,
    SolverOptions,
    Status,
    interrupt_requested,
)
from specialeplan.solvers.problem import LinearProblem, Values
from specialeplan.solvers.registry import get_backend


class StartInterrupted(Exception):  # noqa: N818 - it is a signal, not an error
    """Ctrl-C during the start heuristic; ``values`` is the (feasible) solution so far."""

    def __init__(self, values: Values) -> None:
        super().__init__("interrupted while building the start solution")
        self.values = values


def _stop_if_interrupted(result: SolveResult, val: Values) -> None:
    if result.status == Status.INTERRUPTED or interrupt_requested():
        raise StartInterrupted(val)


GROUP_SIZE = 5  # specialer re-optimised jointly (the size of a rollout wave)
MIN_SUB_SOLVE = 1.0  # seconds: with less left before the deadline no new sub-solve starts


def _renumber(df: pd.DataFrame, col: str, keep: pd.Index) -> pd.Series:
    return df[col].map(pd.Series(np.arange(len(keep)), index=keep))


def restrict(
    data: ModelData, group: list[str], capacity: pd.Series, blocked: np.ndarray
) -> ModelData:
    """The sub-model of some specialer: every index table filtered to ``group`` (order kept).

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
    for df, col in ((pairs, "pair"), (dem, "dem"), (need, "need")):
        df[col] = np.arange(len(df))
    providers = data.instance.providers.assign(
        capacity=data.instance.providers["provider_id"].map(capacity).clip(lower=0))
    instance = dataclasses.replace(data.instance, providers=providers)
    fam = data.params.families.model_copy(update={"change_limit": False})
    params = data.params.model_copy(update={"families": fam, "max_changes": None})
    return dataclasses.replace(
        data, instance=instance, params=params, specialer=group,
        pairs=pairs.reset_index(drop=True), dem=dem.reset_index(drop=True),
        arcs=arcs.reset_index(drop=True), reach=reach.reset_index(drop=True),
        need=need.reset_index(drop=True))


class _Blocks:
    """Where each column block of the full problem lies per speciale (from its labels)."""

    def __init__(self, problem: LinearProblem) -> None:
        self.speciale: dict[str, np.ndarray] = {}
        for name, block in problem.columns.items():
            col = block.labels.column("speciale")
            if col is None:
                raise ValueError(f"column block {name!r} has no speciale label; the start "
                                 "heuristic cannot split it by speciale")
            self.speciale[name] = col

    def positions(self, group: list[str]) -> dict[str, np.ndarray]:
        """Per block, the positions of the columns of the specialer in ``group``."""
        return {n: np.flatnonzero(np.isin(s, group)) for n, s in self.speciale.items()}


def _take(val: Values, idx: dict[str, np.ndarray]) -> Values:
    return Values({name: val[name][pos] for name, pos in idx.items()})


def _put(val: Values, idx: dict[str, np.ndarray], part: Values) -> None:
    """Copy a sub-solution into the full values (binaries rounded, r ≤ y kept)."""
    for name, pos in idx.items():
        if len(part[name]) != len(pos):
            raise ValueError(f"sub-problem block {name!r} has {len(part[name])} columns, "
                             f"expected {len(pos)}")
        val[name][pos] = part[name]
    y = np.round(part["y"])
    val["y"][idx["y"]] = y
    val["r"][idx["r"]] = np.round(part["r"]) * y


def empty_start(data: ModelData, problem: LinearProblem) -> Values:
    """The trivially feasible start: nothing designated, all demand unmet, every reach short."""
    val = problem.split(np.zeros(problem.n_columns)).copy()
    val["u"][:] = data.dem["demand"].to_numpy()
    if "q" in val:
        val["q"][:] = 1.0
    return val


def sequential_start(
    data: ModelData, problem: LinearProblem, options: SolverOptions, time_budget: float = 60.0,
    block: int = 1, deadline: Deadline | None = None,
) -> tuple[Values, dict[str, float]]:
    """A feasible start for the full model (see module docstring) and seconds per step.

    ``block`` specialer (in scarcity order) are solved jointly per step; blocks of five
    (the rollout waves' size) start much closer to the optimum than one at a time. With a
    max-specialer-per-provider limit the blocks are single specialer, so the limit can be
    tracked across steps. A block that finds no solution in its time is redone one speciale
    at a time; a speciale that still finds none stays unserved. No sub-solve starts with
    less than ``MIN_SUB_SOLVE`` seconds left before ``deadline`` (the specialer not reached
    stay unserved) and each is capped by it.
    """
    val = empty_start(data, problem)
    blocks = _Blocks(problem)
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
        _sequential_steps(data, val, blocks, steps, capacity, held, limit, sub_opts, seconds,
                          deadline or Deadline.none())
    except KeyboardInterrupt:  # between two sub-solves: val is feasible as it stands
        raise StartInterrupted(val) from None
    return val, seconds


def _sequential_steps(
    data: ModelData, val: Values, blocks: _Blocks, steps: list[list[str]],
    capacity: pd.Series, held: pd.Series, limit: int | None, sub_opts: SolverOptions,
    seconds: dict[str, float], deadline: Deadline,
) -> None:
    backend = get_backend(sub_opts.name)
    for group in steps:
        if deadline.expired(MIN_SUB_SOLVE):
            return
        t0 = time.perf_counter()
        blocked = np.zeros(len(data.pairs), dtype=bool)
        if limit is not None:
            blocked = data.pairs["provider_id"].map(held).to_numpy() >= limit
        sub = restrict(data, group, capacity, blocked)
        idx = blocks.positions(group)
        problem = build_problem(sub)
        result, z = backend.solve(problem, sub_opts, deadline=deadline)
        _stop_if_interrupted(result, val)
        seconds["+".join(group)] = time.perf_counter() - t0
        if z is None and len(group) > 1:  # no solution in time: one speciale at a time
            _sequential_steps(data, val, blocks, [[s] for s in group], capacity, held, limit,
                              sub_opts, seconds, deadline)
            continue
        if z is None:  # still nothing: leave it unserved (HiGHS repairs or drops the start)
            continue
        part = problem.split(z)
        _put(val, idx, part)
        used = pd.Series(part["x"], index=sub.arcs["provider_id"]).groupby(level=0).sum()
        capacity -= used.reindex(capacity.index, fill_value=0.0)
        opened = sub.pairs.loc[np.round(part["y"]) > 0.5, "provider_id"].value_counts()
        held += opened.reindex(held.index, fill_value=0)


def _sub_options(options: SolverOptions, seconds: float) -> SolverOptions:
    return options.model_copy(update={
        "time_limit": seconds, "verbose": False, "log_file": None,
        "mip_rel_gap": min(options.mip_rel_gap, 0.005)})


def _loads(data: ModelData, x: np.ndarray) -> pd.DataFrame:
    """Borgerforløb per provider (rows) and speciale (columns)."""
    return (pd.DataFrame({"p": data.arcs["provider_id"], "s": data.arcs["speciale"], "x": x})
            .pivot_table(index="p", columns="s", values="x", aggfunc="sum", fill_value=0.0)
            .reindex(index=data.instance.providers["provider_id"], columns=data.specialer,
                     fill_value=0.0))


def improve_groups(
    data: ModelData, problem: LinearProblem, val: Values, options: SolverOptions,
    time_budget: float, group_size: int = 5, seed: int = 0, deadline: Deadline | None = None,
) -> tuple[Values, list[float]]:
    """Large-neighbourhood search over groups of specialer.

    Each step re-optimises a random group of ``group_size`` specialer jointly, with the
    capacity the other specialer leave free and the current values as MIP start, so it can
    trade capacity *between* the group's specialer (what one-at-a-time re-solving cannot)
    and never makes the solution worse. Groups are a fresh shuffle each pass, so every pair
    of specialer meets now and then. Returns the values and the objective after each step.
    Skipped when the per-provider or change limits couple specialer (not modelled here).
    Stops at ``deadline`` too (the earlier of it and ``time_budget`` counts).
    """
    p = data.params
    if (p.families.max_specialer and p.max_specialer_per_provider is not None) or (
            p.families.change_limit and p.max_changes is not None) or len(data.specialer) <= 1:
        return val, []
    backend = get_backend(options.name)
    blocks = _Blocks(problem)
    capacity = data.instance.providers.set_index("provider_id")["capacity"].astype(float)
    no_block = np.zeros(len(data.pairs), dtype=bool)
    rng = np.random.default_rng(seed)
    deadline = (deadline or Deadline.none()).within(time_budget)
    size = min(group_size, len(data.specialer))
    trace: list[float] = []
    while True:
        order = list(rng.permutation(data.specialer))
        groups = [order[i:i + size] for i in range(0, len(order), size)]
        for group in groups:
            left = deadline.remaining()
            if left < 5.0:
                return val, trace
            loads = _loads(data, val["x"])
            free = capacity - loads.drop(columns=group).sum(axis=1)
            sub = restrict(data, group, free, no_block)
            idx = blocks.positions(group)
            sub_problem = build_problem(sub)
            z0 = sub_problem.join(_take(val, idx))
            opts = _sub_options(options, min(left, max(20.0, time_budget / 3)))
            result, z = backend.solve(sub_problem, opts, z0, deadline=deadline)
            _stop_if_interrupted(result, val)
            if z is not None and sub_problem.c @ z < sub_problem.c @ z0 - 1e-6:
                _put(val, idx, sub_problem.split(z))
            trace.append(problem.objective(problem.join(val)))
        if len(groups) == 1:
            return val, trace


def construct_start(
    data: ModelData, problem: LinearProblem, options: SolverOptions, time_budget: float = 60.0,
    deadline: Deadline | None = None,
) -> tuple[Values, dict[str, float]]:
    """The start handed to the solver: the sequential decomposition in blocks of five
    specialer (40 % of the budget), then large-neighbourhood search over groups of
    specialer with the rest. With at most five specialer: one-at-a-time sequential only.

    Tried and dropped: independent per-speciale MIPs followed by a restricted coupled MIP
    (the independent optima overload shared providers by ~2,000 borgerforløb, so the
    restriction is poor), and re-solving one speciale at a time against the others' loads
    (no gain: a speciale re-solved alone sees exactly the capacity it had).

    ``deadline``: no step runs past it (every sub-solve is capped, none starts with less
    than ``MIN_SUB_SOLVE`` seconds left); the start may then leave specialer unserved.
    """
    deadline = (deadline or Deadline.none()).within(time_budget)
    t0 = time.perf_counter()
    if len(data.specialer) <= GROUP_SIZE:
        # a group already is the whole model: a quick one-at-a-time start is all HiGHS needs
        return sequential_start(data, problem, options, min(time_budget, 20.0), block=1,
                                deadline=deadline)
    val, seconds = sequential_start(data, problem, options, 0.4 * time_budget,
                                    block=GROUP_SIZE, deadline=deadline)
    left = min(time_budget - (time.perf_counter() - t0), deadline.remaining())
    if left > 10.0:
        t1 = time.perf_counter()
        try:
            val, _ = improve_groups(data, problem, val, options, left, GROUP_SIZE,
                                    seed=options.seed, deadline=deadline)
        except KeyboardInterrupt:  # between two sub-solves: val is feasible as it stands
            raise StartInterrupted(val) from None
        seconds["improve_groups"] = time.perf_counter() - t1
    return val, seconds
