"""Rådgivning families: r ≤ y, reach over all municipalities and advisory capacity."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from specialeplan.model.builder import ProblemBuilder, group_rows
from specialeplan.model.keys import KPS, KS, PS
from specialeplan.model.registry import family
from specialeplan.solvers.problem import Labels

if TYPE_CHECKING:
    from specialeplan.model.sets import ModelData


@family("advisory_link", switch=False, explain="a rådgivningsfunktion must be a specialfunktion")
def advisory_link(data: ModelData, b: ProblemBuilder) -> None:
    """A rådgivningsfunktion is a specialfunktion: r[p,s] − y[p,s] ≤ 0."""
    r, y = b.var("r"), b.var("y")
    i = np.arange(len(data.pairs))
    b.rows("advisory_link", Labels(data.pairs, columns=PS), r.coef(i, i), y.coef(i, i, -1.0),
           upper=0.0)


@family("reach", elastic=True,
        explain="a municipality has no reachable rådgivningsfunktion (shortfall switched off)",
        options={"allow_reach_shortfall": (True, "penalised reach slack (else reach is hard)")})
def reach(data: ModelData, b: ProblemBuilder) -> None:
    """Rådgivning reach for specialer with a reach limit R_s (v only on arcs t[k,p] ≤ R_s):

    - every municipality is advised or counted short: Σ_p v[k,p,s] + q[k,s] = 1;
    - advice only from rådgivningsfunktioner, in one of two exact forms
      (``model.reach_formulation``):
      ``strong``: v[k,p,s] − r[p,s] ≤ 0 for every reach arc;
      ``compact``: covering rows Σ_{p within R_s of k} r[p,s] + q[k,s] ≥ 1 (valid because
      v ≤ r) plus Σ_k v[k,p,s] − n_p·r[p,s] ≤ 0 with n_p = #reach arcs of p: the same
      integer solutions with far fewer rows, LP ~5× faster.

    v[k,p,s] ∈ [0,1] and q[k,s] ∈ [0,1] are declared here; with ``allow_reach_shortfall``
    off q is fixed at 0 and the rows are hard (elastic in the diagnosis).
    """
    need, rch = data.need, data.reach
    nN, nR = len(need), len(rch)
    allow = data.params.families.allow_reach_shortfall
    v = b.variables("v", Labels(rch, columns=KPS), upper=1.0, doc="advisory share v[k,p,s]")
    q = b.variables("q", Labels(need, columns=KS), upper=1.0 if allow else 0.0,
                    doc="reach shortfall q[k,s]")
    if nN == 0:
        return
    r = b.var("r")
    r_need = rch["need"].to_numpy()
    r_pair = rch["pair"].to_numpy()
    n_idx = np.arange(nN)
    b.rows("reach_balance", Labels(need, columns=KS), v.coef(r_need, np.arange(nR)),
           q.coef(n_idx, n_idx), lower=1.0, upper=1.0)
    if data.params.reach_formulation == "compact":
        b.rows("reach_cover", Labels(need, columns=KS), r.coef(r_need, r_pair),
               q.coef(n_idx, n_idx), lower=1.0)
        # ties v to r (the advisory capacity row counts borgerforløb and so cannot tie a
        # municipality without demand): Σ_k v ≤ #arcs·r
        n_arcs = np.bincount(r_pair, minlength=len(data.pairs)).astype(float)
        keep = n_arcs > 0
        rows, ok, n = group_rows(r_pair, keep)
        rows_p = np.flatnonzero(keep)
        b.rows("reach_tie", Labels(data.pairs, positions=rows_p, columns=PS),
               v.coef(rows[ok], v.index[ok]), r.coef(np.arange(n), rows_p, -n_arcs[rows_p]),
               upper=0.0, elastic=False)
    else:
        a = np.arange(nR)
        b.rows("reach_link", Labels(rch, columns=KPS),
               v.coef(a, a), r.coef(a, r_pair, -1.0), upper=0.0, elastic=False)


@family("advisory_capacity", switch=False, elastic=True,
        explain="advisory capacity is too small")
def advisory_capacity(data: ModelData, b: ProblemBuilder) -> None:
    """A rådgivningsfunktion advises at most A_p borgerforløb a year (providers with a finite
    A_p): the demand of the municipalities it advises counts, not their number,

        Σ_k d[k,s]·v[k,p,s] − A_p·r[p,s] ≤ 0,

    so a big speciale needs more rådgivningsfunktioner than a rare one. With ``near_family``
    on, that family adds κ·Σ_k h[k,p,s], the near-family borgerforløb p coaches, to these
    rows. On whenever reach is."""
    if not b.has("v") or len(data.reach) == 0:
        return
    v, r = b.var("v"), b.var("r")
    pairs = data.pairs
    v_pair = data.reach["pair"].to_numpy()
    weight = data.reach["demand"].to_numpy()
    acap = pairs["advisory_capacity"].to_numpy()
    n_arcs = np.bincount(v_pair, minlength=len(pairs))
    keep = (n_arcs > 0) & np.isfinite(acap)
    rows, ok, n = group_rows(v_pair, keep)
    ok &= weight > 0  # a municipality without demand in s adds no load
    rows_p = np.flatnonzero(keep)
    b.rows("advisory_capacity", Labels(pairs, positions=rows_p, columns=PS),
           v.coef(rows[ok], v.index[ok], weight[ok]),
           r.coef(np.arange(n), rows_p, -acap[rows_p]), upper=0.0)
