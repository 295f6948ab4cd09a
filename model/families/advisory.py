"""Rådgivning families: r ≤ y, reach over all municipalities and advisory capacity."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from specialeplan.model.builder import ProblemBuilder
from specialeplan.model.keys import KPS, KS, PS
from specialeplan.model.registry import family
from specialeplan.solvers.problem import Labels

if TYPE_CHECKING:
    from specialeplan.model.sets import ModelData


@family("advisory_link", switch=False, reads={},
        explain="a rådgivningsfunktion must be a specialfunktion")
def advisory_link(data: ModelData, b: ProblemBuilder) -> None:
    """A rådgivningsfunktion is a specialfunktion: r[p,s] − y[p,s] ≤ 0."""
    b.add_rows("pair_advisory_max", b.var("r") <= b.var("y"), Labels(data.pairs, columns=PS))


@family("reach", elastic=True, on="restricts", reads={"reach_minutes": "upper_limit"},
        explain="a municipality has no reachable rådgivningsfunktion (shortfall switched off)",
        options={"allow_reach_shortfall": (True, "penalised reach slack (else reach is hard)",
                                           "relaxes")})
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
    nN = len(need)
    allow = data.params.families.allow_reach_shortfall
    v = b.variables("v", Labels(rch, columns=KPS), upper=1.0, doc="advisory share v[k,p,s]")
    q = b.variables("q", Labels(need, columns=KS), upper=1.0 if allow else 0.0,
                    doc="reach shortfall q[k,s]")
    if nN == 0:
        return
    r = b.var("r")
    r_need, r_pair = rch["need"].to_numpy(), rch["pair"].to_numpy()  # (k,s) and (p,s) of arcs
    advised = v.sum(by=r_need, size=nN)  # Σ_p v[k,p,s]
    b.add_rows("reach_balance", advised + q == 1, Labels(need, columns=KS))
    if data.params.reach_formulation == "compact":
        in_reach = r[r_pair].sum(by=r_need, size=nN)  # Σ_{p within R_s of k} r[p,s]
        b.add_rows("reach_cover_min", in_reach + q >= 1, Labels(need, columns=KS))
        # ties v to r (the advisory capacity row counts borgerforløb and so cannot tie a
        # municipality without demand): Σ_k v ≤ #arcs·r
        n_arcs = np.bincount(r_pair, minlength=len(data.pairs)).astype(float)
        b.add_rows("pair_share_max", v.sum(by=r_pair, size=len(data.pairs)) <= n_arcs * r,
                   Labels(data.pairs, columns=PS), where=n_arcs > 0, elastic=False)
    else:
        b.add_rows("arc_share_max", v <= r[r_pair], Labels(rch, columns=KPS), elastic=False)


@family("advisory_capacity", switch=False, elastic=True, reads={},
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
    weight = data.reach["demand"].to_numpy()  # d[k,s] of each reach arc
    acap = pairs["advisory_capacity"].to_numpy()
    # Σ_k d[k,s]·v[k,p,s]; a municipality without demand in s adds no load
    load = (weight * v).where(weight > 0).sum(by=v_pair, size=len(pairs))
    has_arcs = np.bincount(v_pair, minlength=len(pairs)) > 0
    b.add_rows("advisory_load_max", load <= acap * r, Labels(pairs, columns=PS),
               where=has_arcs & np.isfinite(acap))
