"""Rådgivning families: r ≤ y, reach over all municipalities and advisory capacity."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from specialeplan.model.builder import ProblemBuilder
from specialeplan.model.keys import KPR, KR, PS
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
    """Rådgivning reach per speciale S (seed 002: a selection of the specialfunktioner carry
    the rådgivning duty, and every municipality must be able to get advice in every
    speciale). A reach arc (k, p, s, S) exists for a function s of S with a reach limit R_s
    and t[k,p] ≤ R_s:

    - every municipality is advised or counted short: Σ_{p, s ∈ S} v[k,p,s,S] + q[k,S] = 1;
    - advice only from rådgivningsfunktioner, in one of two exact forms
      (``model.reach_formulation``):
      ``strong``: v[k,p,s,S] − r[p,s] ≤ 0 for every reach arc;
      ``compact``: covering rows Σ_{(p,s) within R_s of k, s ∈ S} r[p,s] + q[k,S] ≥ 1 (valid
      because v ≤ r) plus Σ_{k,S} v[k,p,s,S] − n_ps·r[p,s] ≤ 0 with n_ps = #reach arcs of
      (p, s): the same integer solutions with far fewer rows, LP ~5× faster.

    v ∈ [0,1] and q[k,S] ∈ [0,1] are declared here; with ``allow_reach_shortfall`` off q is
    fixed at 0 and the rows are hard (elastic in the diagnosis). A function that ties to
    two specialer advises on both.
    """
    need, rch = data.need, data.reach
    nN = len(need)
    allow = data.params.families.allow_reach_shortfall
    v = b.variables("v", Labels(rch, columns=KPR), upper=1.0,
                    doc="advisory share v[k,p,s,S]")
    q = b.variables("q", Labels(need, columns=KR), upper=1.0 if allow else 0.0,
                    doc="reach shortfall q[k,S]")
    if nN == 0:
        return
    r = b.var("r")
    r_need, r_pair = rch["need"].to_numpy(), rch["pair"].to_numpy()  # (k,S) and (p,s) of arcs
    advised = v.sum(by=r_need, size=nN)  # Σ_{p, s ∈ S} v[k,p,s,S]
    b.add_rows("reach_balance", advised + q == 1, Labels(need, columns=KR))
    if data.params.reach_formulation == "compact":
        in_reach = r[r_pair].sum(by=r_need, size=nN)  # Σ_{(p,s) within R_s of k} r[p,s]
        b.add_rows("reach_cover_min", in_reach + q >= 1, Labels(need, columns=KR))
        # ties v to r (the advisory capacity row counts borgerforløb and so cannot tie a
        # municipality without demand): Σ_k v ≤ #arcs·r
        n_arcs = np.bincount(r_pair, minlength=len(data.pairs)).astype(float)
        b.add_rows("pair_share_max", v.sum(by=r_pair, size=len(data.pairs)) <= n_arcs * r,
                   Labels(data.pairs, columns=PS), where=n_arcs > 0, elastic=False)
    else:
        b.add_rows("arc_share_max", v <= r[r_pair], Labels(rch, columns=KPR), elastic=False)


@family("advisory_capacity", switch=False, elastic=True, reads={},
        explain="advisory capacity is too small")
def advisory_capacity(data: ModelData, b: ProblemBuilder) -> None:
    """A rådgivningsfunktion advises at most A_p borgerforløb a year (providers with a finite
    A_p): the demand of the municipalities it advises counts, not their number,

        Σ_{k,S} d[k,S]·v[k,p,s,S] − A_p·r[p,s] ≤ 0,

    with d[k,S] the planned demand of speciale S in k, so a big speciale needs more
    rådgivningsfunktioner than a rare one. With ``near_family``
    on, that family adds κ·Σ_k h[k,p,s], the near-family borgerforløb p coaches, to these
    rows. On whenever reach is."""
    if not b.has("v") or len(data.reach) == 0:
        return
    v, r = b.var("v"), b.var("r")
    pairs = data.pairs
    v_pair = data.reach["pair"].to_numpy()
    weight = data.reach["demand"].to_numpy()  # d[k,S] of each reach arc
    acap = pairs["advisory_capacity"].to_numpy()
    # Σ_{k,S} d[k,S]·v[k,p,s,S]; a municipality without demand in S adds no load
    load = (weight * v).where(weight > 0).sum(by=v_pair, size=len(pairs))
    has_arcs = np.bincount(v_pair, minlength=len(pairs)) > 0
    b.add_rows("advisory_load_max", load <= acap * r, Labels(pairs, columns=PS),
               where=has_arcs & np.isfinite(acap))
