"""Constructive start solutions: decompose by speciale.

On national instances HiGHS proves a good bound at the root but finds no good incumbent for
minutes (its first ones are ~10× the optimum; see PERFORMANCE_NOTES). The specialer are
coupled only through the providers' shared capacity, the max-specialer-per-provider rule and
the global change limit, so a sequential decomposition gives a near-optimal, feasible start:

1. order the specialer by scarcity (demand ÷ competent capacity, scarcest first);
2. solve each speciale's own MIP with the *remaining* provider capacity and with providers
   that already hold the maximum number of specialer blocked;
3. subtract the capacity it used, continue.


Each sub-MIP is small (one speciale: a few thousand columns) and is built with the matrix
builder. The result is a full :class:`Values` for the whole model, passed to the solver as a
MIP start. A speciale whose sub-MIP finds no solution leaves the start incomplete; the solver
then simply starts without it.
"""

from __future__ import annotations

import dataclasses
import time

import numpy as np
import pandas as pd

from specialeplan.model.matrix import build_matrix
from specialeplan.model.sets import ModelData
from specialeplan.model.solution import Values
from specialeplan.solvers.base import SolverOptions, get_backend


def _renumber(df: pd.DataFrame, col: str, keep: pd.Index) -> pd.Series:
    return df[col].map(pd.Series(np.arange(len(keep)), index=keep))


def restrict(
    data: ModelData, speciale: str, capacity: pd.Series, blocked: np.ndarray
) -> tuple[ModelData, dict[str, np.ndarray]]:
    """The sub-model of one speciale, plus the global row positions of each of its tables.

    ``capacity``: remaining capacity per provider_id; ``blocked``: bool per global pair that
    may not be opened (provider already at its max number of specialer).
    """
    pairs = data.pairs[data.pairs["speciale"] == speciale].copy()
    pairs.loc[blocked[pairs.index] & ~pairs["fixed"], "usable"] = False
    dem = data.dem[data.dem["speciale"] == speciale].copy()
    need = data.need[data.need["speciale"] == speciale].copy()
    arcs = data.arcs[data.arcs["speciale"] == speciale].copy()
    reach = data.reach[data.reach["speciale"] == speciale].copy()
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
        data, instance=instance, params=params, specialer=[speciale],
        pairs=pairs.reset_index(drop=True), dem=dem.reset_index(drop=True),
        arcs=arcs.reset_index(drop=True), reach=reach.reset_index(drop=True),
        need=need.reset_index(drop=True))
    return sub, index


def sequential_start(
    data: ModelData, options: SolverOptions, time_budget: float = 60.0
) -> tuple[Values | None, dict[str, float]]:
    """A feasible start for the full model (see module docstring) and per-speciale seconds."""
    backend = get_backend("highs-direct")
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
    comp_cap = data.pairs[data.pairs["usable"]].groupby("speciale")["max_cases"].sum()
    scarcity = (data.dem.groupby("speciale")["demand"].sum() / comp_cap).reindex(
        data.specialer).fillna(0.0)
    order = scarcity.sort_values(ascending=False, kind="stable").index
    sub_opts = _sub_options(options, max(time_budget / max(len(order), 1), 1.0))
    seconds: dict[str, float] = {}
    for s in order:
        t0 = time.perf_counter()
        blocked = np.zeros(len(data.pairs), dtype=bool)
        if limit is not None:
            blocked = data.pairs["provider_id"].map(held).to_numpy() >= limit
        sub, idx = restrict(data, s, capacity, blocked)
        problem = build_matrix(sub)
        result, z = backend.solve_matrix(problem, sub_opts)
        seconds[s] = time.perf_counter() - t0
        if z is None:
            return None, seconds
        part = problem.split(z)
        y = np.round(part.y)
        val.y[idx["pairs"]] = y
        val.r[idx["pairs"]] = np.round(part.r) * y
        val.x[idx["arcs"]] = part.x
        val.u[idx["dem"]] = part.u
        val.v[idx["reach"]] = part.v
        val.q[idx["need"]] = part.q
        used = pd.Series(part.x, index=sub.arcs["provider_id"]).groupby(level=0).sum()
        capacity = capacity.sub(used, fill_value=0.0)
        opened = sub.pairs.loc[y > 0.5, "provider_id"]
        held = held.add(opened.value_counts(), fill_value=0)
    return val, seconds


def _sub_options(options: SolverOptions, seconds: float) -> SolverOptions:
    return options.model_copy(update={
        "name": "highs-direct", "time_limit": seconds, "verbose": False, "log_file": None,
        "mip_rel_gap": min(options.mip_rel_gap, 0.005)})


def construct_start(
    data: ModelData, options: SolverOptions, time_budget: float = 60.0
) -> tuple[Values | None, dict[str, float]]:
    """The start handed to the solver (sequential decomposition).

    Tried and dropped: independent per-speciale MIPs followed by a restricted coupled MIP
    (the restricted MIP was as hard as the full one), and block-coordinate descent passes
    from the sequential start (no improvement: a speciale re-solved against the others'
    loads sees exactly the capacity it had; gains need capacity swaps between specialer).
    """
    return sequential_start(data, options, time_budget)
