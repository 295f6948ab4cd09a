"""Count families: national and regional bounds, specialer per provider, fixed
designations and the limit on changes from today's."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from specialeplan.model.builder import ProblemBuilder, group_rows
from specialeplan.model.keys import PS
from specialeplan.model.registry import family
from specialeplan.solvers.problem import Labels

if TYPE_CHECKING:
    from specialeplan.model.sets import ModelData


@family("count_bounds", elastic=True,
        explain="the national count bounds on specialfunktioner or rådgivningsfunktioner "
                "cannot be met")
def count_bounds(data: ModelData, b: ProblemBuilder) -> None:
    """National count bounds per speciale (ranged rows, where a bound is set):
    min_count_s ≤ Σ_p y[p,s] ≤ max_count_s and min_advisory_s ≤ Σ_p r[p,s] ≤ max_advisory_s.
    """
    sp = data.speciale_params.loc[data.specialer]
    sid = data.pairs["speciale"].map({s: i for i, s in enumerate(data.specialer)}).to_numpy()
    p_idx = np.arange(len(data.pairs))
    for var, what, lo_col, hi_col in (("y", "specialfunktioner", "min_count", "max_count"),
                                      ("r", "raadgivningsfunktioner", "min_advisory",
                                       "max_advisory")):
        lo, hi = sp[lo_col].to_numpy(), sp[hi_col].to_numpy()
        keep = ~(np.isnan(lo) & np.isnan(hi))
        rows, ok, _ = group_rows(sid, keep)
        labels = Labels(pd.DataFrame({"speciale": data.specialer}),
                        positions=np.flatnonzero(keep), extra={"what": what})
        b.rows(f"count_bounds_{var}", labels, b.var(var).coef(rows[ok], p_idx[ok]),
               lower=np.nan_to_num(lo[keep], nan=-np.inf),
               upper=np.nan_to_num(hi[keep], nan=np.inf))


@family("region_bounds", elastic=True, explain="the regional count bounds cannot be met")
def region_bounds(data: ModelData, b: ProblemBuilder) -> None:
    """Regional count bounds for listed (speciale s, region g):
    min_{s,g} ≤ Σ_{p in g} y[p,s] ≤ max_{s,g}."""
    bounds = data.params.region_bounds
    if not bounds:
        return
    y = b.var("y")
    rows, cols = [], []
    for i, bd in enumerate(bounds):
        members = np.flatnonzero(((data.pairs["speciale"] == bd.speciale)
                                  & (data.pairs["region"] == bd.region)).to_numpy())
        rows.append(np.full(len(members), i))
        cols.append(members)
    labels = Labels(pd.DataFrame({"speciale": [bd.speciale for bd in bounds],
                                  "region": [bd.region for bd in bounds]}))
    b.rows("region_bounds", labels, y.coef(np.concatenate(rows), np.concatenate(cols)),
           lower=[-np.inf if bd.min_count is None else bd.min_count for bd in bounds],
           upper=[np.inf if bd.max_count is None else bd.max_count for bd in bounds])


@family("max_specialer", elastic=True, explain="the limit on specialer per provider is too tight")
def max_specialer(data: ModelData, b: ProblemBuilder) -> None:
    """A provider holds at most M specialer: Σ_s y[p,s] ≤ M
    (``model.max_specialer_per_provider``)."""
    limit = data.params.max_specialer_per_provider
    if limit is None or len(data.pairs) == 0:
        return
    ids, uniques = pd.factorize(data.pairs["provider_id"])
    b.rows("max_specialer", Labels(pd.DataFrame({"provider_id": uniques})),
           b.var("y").coef(ids, np.arange(len(ids))), upper=float(limit))


@family("fixed", elastic=True, explain="a fixed (or kept) designation cannot be kept")
def fixed(data: ModelData, b: ProblemBuilder) -> None:
    """Fixed designations (scenario ``fixed`` and today's designations of ``keep_today``
    owners): y[p,s] ≥ 1. Forbidden ones have y = 0 as a bound (``variables``)."""
    idx = np.flatnonzero(data.pairs["fixed"].to_numpy())
    b.rows("fixed", Labels(data.pairs, positions=idx, columns=PS),
           b.var("y").coef(np.arange(len(idx)), idx), lower=1.0)


@family("change_limit", elastic=True,
        explain="the limit on changes from today's designations is too tight")
def change_limit(data: ModelData, b: ProblemBuilder) -> None:
    """At most K designations differ from today's y0:
    Σ |y − y0| = Σ (1 − 2·y0[p,s])·y[p,s] + Σ y0 ≤ K (linear because y0 is data)."""
    limit = data.params.max_changes
    if limit is None:
        return
    y0 = data.pairs["designated_today"].to_numpy().astype(float)
    b.rows("change_limit", Labels(pd.DataFrame({"max_changes": [limit]})),
           b.var("y").coef(0, np.arange(len(y0)), 1 - 2 * y0), upper=limit - y0.sum())
