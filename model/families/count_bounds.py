"""Count families: national and regional bounds, specialer per provider, fixed
designations and the limit on changes from today's."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from specialeplan.model.builder import ProblemBuilder
from specialeplan.model.keys import PS
from specialeplan.model.registry import family
from specialeplan.solvers.problem import Labels

if TYPE_CHECKING:
    from specialeplan.model.sets import ModelData


@family("count_bounds", elastic=True, on="restricts",
        reads={"min_count": "lower_limit", "max_count": "upper_limit",
               "min_advisory": "lower_limit", "max_advisory": "upper_limit"},
        explain="the national count bounds on specialfunktioner or rådgivningsfunktioner "
                "cannot be met")
def count_bounds(data: ModelData, b: ProblemBuilder) -> None:
    """National count bounds per speciale (ranged rows, where a bound is set):
    min_count_s ≤ Σ_p y[p,s] ≤ max_count_s and min_advisory_s ≤ Σ_p r[p,s] ≤ max_advisory_s.
    """
    sp = data.function_params.loc[data.functions]
    sid = data.pairs["function"].map({s: i for i, s in enumerate(data.functions)}).to_numpy()
    for var, quantity, what, lo_col, hi_col in (
            ("y", "designation", "specialfunktioner", "min_count", "max_count"),
            ("r", "advisory", "raadgivningsfunktioner", "min_advisory", "max_advisory")):
        lo, hi = sp[lo_col].to_numpy(), sp[hi_col].to_numpy()  # NaN: no bound
        count = b.var(var).sum(by=sid, size=len(data.functions))  # Σ_p y[p,s] (or r)
        b.add_rows(f"{quantity}_count_range",
                   count.between(np.nan_to_num(lo, nan=-np.inf), np.nan_to_num(hi, nan=np.inf)),
                   Labels(pd.DataFrame({"function": data.functions}), extra={"what": what}),
                   where=~(np.isnan(lo) & np.isnan(hi)))


@family("region_bounds", elastic=True, on="restricts", reads={"region_bounds": "same"},
        explain="the regional count bounds cannot be met")
def region_bounds(data: ModelData, b: ProblemBuilder) -> None:
    """Regional count bounds for listed (speciale s, region g):
    min_{s,g} ≤ Σ_{p in g} y[p,s] ≤ max_{s,g}."""
    bounds = data.params.region_bounds
    if not bounds:
        return
    pairs = data.pairs
    members = [np.flatnonzero(((pairs["function"] == bd.function)
                               & (pairs["region"] == bd.region)).to_numpy()) for bd in bounds]
    bound_of = np.repeat(np.arange(len(bounds)), [len(m) for m in members])
    count = b.var("y")[np.concatenate(members)].sum(by=bound_of, size=len(bounds))
    lo = [-np.inf if bd.min_count is None else bd.min_count for bd in bounds]
    hi = [np.inf if bd.max_count is None else bd.max_count for bd in bounds]
    b.add_rows("region_designation_count_range", count.between(lo, hi),
               Labels(pd.DataFrame({"function": [bd.function for bd in bounds],
                                    "region": [bd.region for bd in bounds]})))


@family("max_specialer", elastic=True, on="restricts",
        reads={"max_specialer_per_provider": "upper_limit"},
        explain="the limit on specialer per provider is too tight")
def max_specialer(data: ModelData, b: ProblemBuilder) -> None:
    """A provider holds at most M specialer: Σ_s y[p,s] ≤ M
    (``model.max_specialer_per_provider``)."""
    limit = data.params.max_specialer_per_provider
    if limit is None or len(data.pairs) == 0:
        return
    provider, providers = pd.factorize(data.pairs["provider_id"])
    count = b.var("y").sum(by=provider, size=len(providers))  # Σ_s y[p,s]
    b.add_rows("provider_designation_count_max", count <= limit,
               Labels(pd.DataFrame({"provider_id": providers})))


@family("fixed", elastic=True, on="restricts",
        # keep_today keeps a designation only where it can meet the rules: forbidding it,
        # a higher minimum volume or the minimum volume switched on may drop the keeping
        reads={"fixed": "more", "keep_today": "more", "forbidden": "same with keep_today",
               "min_cases": "same with keep_today",
               "families.min_volume": "same with keep_today"},
        explain="a fixed (or kept) designation cannot be kept")
def fixed(data: ModelData, b: ProblemBuilder) -> None:
    """Fixed designations (scenario ``fixed`` and today's designations of ``keep_today``
    owners): y[p,s] ≥ 1. Forbidden ones have y = 0 as a bound (``variables``)."""
    b.add_rows("fixed_designation_min", b.var("y") >= 1, Labels(data.pairs, columns=PS),
               where=data.pairs["fixed"].to_numpy())


@family("change_limit", elastic=True, on="restricts", reads={"max_changes": "upper_limit"},
        explain="the limit on changes from today's designations is too tight")
def change_limit(data: ModelData, b: ProblemBuilder) -> None:
    """At most K designations differ from today's y0:
    Σ |y − y0| = Σ (1 − 2·y0[p,s])·y[p,s] + Σ y0 ≤ K (linear because y0 is data)."""
    limit = data.params.max_changes
    if limit is None:
        return
    y0 = data.pairs["designated_today"].to_numpy().astype(float)
    changes = ((1 - 2 * y0) * b.var("y")).sum() + y0.sum()  # Σ |y − y0|
    b.add_rows("change_count_max", changes <= limit,
               Labels(pd.DataFrame({"max_changes": [limit]})))
