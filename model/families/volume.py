"""Volume of a competence pair: its aggregate column, the minimum volume and the two
capacities (provider and per speciale)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from specialeplan.model.builder import Coefs, ProblemBuilder, group_rows
from specialeplan.model.keys import PS
from specialeplan.model.registry import family
from specialeplan.solvers.problem import Labels

if TYPE_CHECKING:
    from specialeplan.model.sets import ModelData


@family("pair_volume", switch=False,
        explain="the borgerforløb of a provider–speciale pair")
def pair_volume(data: ModelData, b: ProblemBuilder) -> None:
    """The volume of each competence pair as one column (``volume_formulation: aggregate``):
    X[p,s] − Σ_k x[k,p,s] = 0, with 0 ≤ X[p,s] ≤ Σ_{k in the pair's arcs} d[k,s].

    An exact rewrite: the minimum volume and both capacities below are then written on X
    instead of on the many x columns. The feasible set and the LP bound are the same, but
    HiGHS's root cuts work on the short rows and prove a much stronger bound on national
    instances (benchmarks/BENCHMARKS.md). With ``per_arc`` there is no X and the rows sum x.
    """
    if data.params.volume_formulation != "aggregate" or data.assignment != "arcs":
        return
    x = b.var("x")
    pairs = data.pairs
    vol = b.variables("X", Labels(pairs, columns=PS), upper=data.reachable_demand(),
                      doc="borgerforløb X[p,s] of a pair")
    i = np.arange(len(pairs))
    b.rows("pair_volume", Labels(pairs, columns=PS), vol.coef(i, i),
           x.coef(data.arcs["pair"].to_numpy(), x.index, -1.0), lower=0.0, upper=0.0)


def pair_volume_expr(data: ModelData, b: ProblemBuilder, rows_p: np.ndarray) -> Coefs:
    """Σ_k x[k,p,s] of the pairs ``rows_p`` (row j ↔ pair rows_p[j]): the X column
    (aggregate) or the pair's x columns (per_arc)."""
    if data.params.volume_formulation == "aggregate":
        return b.var("X").coef(np.arange(len(rows_p)), rows_p)
    x = b.var("x")
    keep = np.zeros(len(data.pairs), dtype=bool)
    keep[rows_p] = True
    r, ok, _ = group_rows(data.arcs["pair"].to_numpy(), keep)
    return x.coef(r[ok], x.index[ok])


@family("min_volume", elastic=True,
        explain="a designated specialfunktion cannot reach the minimum borgerforløb")
def min_volume(data: ModelData, b: ProblemBuilder) -> None:
    """Øvelse gør mester: a specialfunktion serves at least m_s borgerforløb,
    Σ_k x[k,p,s] − m_s·y[p,s] ≥ 0 (for usable pairs with m_s > 0; Σ_k x is X[p,s] in the
    aggregate volume formulation)."""
    pairs = data.pairs
    ms = pairs["speciale"].map(data.speciale_params["min_cases"]).astype(float).to_numpy()
    rows_p = np.flatnonzero((ms > 0) & pairs["usable"].to_numpy())
    j = np.arange(len(rows_p))
    b.rows("min_volume", Labels(pairs, positions=rows_p, columns=PS),
           pair_volume_expr(data, b, rows_p), b.var("y").coef(j, rows_p, -ms[rows_p]),
           lower=0.0)


@family("capacity", elastic=True, explain="provider capacity is too small")
def capacity(data: ModelData, b: ProblemBuilder) -> None:
    """Provider capacity shared by all its specialer: Σ_{k,s} x[k,p,s] ≤ C_p (Σ_s X[p,s] in
    the aggregate volume formulation).

    With ``near_family`` on, that family adds the local help Σ g[k,p,s] a provider gives
    near the family to these rows (and adds the row for a provider without arcs)."""
    prov = data.instance.providers
    has_arcs = np.bincount(data.arcs["pair"].to_numpy(), minlength=len(data.pairs)) > 0
    if data.params.volume_formulation == "aggregate":
        var, pid, cols = b.var("X"), data.provider_index(data.pairs["provider_id"]), has_arcs
    else:
        var, pid = b.var("x"), data.provider_index(data.arcs["provider_id"])
        cols = np.ones(len(pid), dtype=bool)
    keep = np.bincount(pid[cols], minlength=len(prov)) > 0
    r, ok, _ = group_rows(pid, keep)
    ok &= cols
    b.rows("capacity", Labels(prov, positions=np.flatnonzero(keep), columns=["provider_id"]),
           var.coef(r[ok], var.index[ok]), upper=prov["capacity"].to_numpy()[keep])


@family("speciale_capacity", elastic=True, explain="per-speciale capacity is too small")
def speciale_capacity(data: ModelData, b: ProblemBuilder) -> None:
    """Per-speciale capacity of a designated provider: Σ_k x[k,p,s] − V[p,s]·y[p,s] ≤ 0 with
    V[p,s] = min(C[p,s], C_p, Σ_{k in the pair's arcs} d[k,s]) (``pair_volume_cap``; C_p only
    while provider capacity is on): tighter than C[p,s] and equally valid."""
    a_pair = data.arcs["pair"].to_numpy()
    rows_p = np.flatnonzero(np.bincount(a_pair, minlength=len(data.pairs)) > 0)
    j = np.arange(len(rows_p))
    b.rows("speciale_capacity", Labels(data.pairs, positions=rows_p, columns=PS),
           pair_volume_expr(data, b, rows_p),
           b.var("y").coef(j, rows_p, -data.pair_volume_cap()[rows_p]), upper=0.0)
