"""Designation, assignment, demand, volume and capacity families."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from specialeplan.model.builder import Coefs, ProblemBuilder, group_rows
from specialeplan.model.keys import KPSM, KS, PS
from specialeplan.model.registry import family
from specialeplan.solvers.problem import Labels

if TYPE_CHECKING:
    from specialeplan.model.sets import ModelData


@family("variables", switch=False, explain="the decision variables")
def variables(data: ModelData, b: ProblemBuilder) -> None:
    """Decisions per competence pair and per travel arc:

    y[p,s] ∈ {0,1} (specialfunktion), r[p,s] ∈ {0,1} (rådgivningsfunktion),
    x[k,p,s,mode] ≥ 0 (borgerforløb from k served by p, at p's place or by outreach in k;
    written x[k,p,s] where the mode does not matter: sums over (k,p,s) cover both). Pairs
    that cannot be designated (``max_cases`` = 0 or forbidden) get y = r = 0 as bounds, so
    they stay visible in the change count while presolve removes them.
    """
    usable = data.pairs["usable"].to_numpy().astype(float)
    pair_labels = Labels(data.pairs, columns=PS)
    b.variables("y", pair_labels, upper=usable, integer=True, doc="designation y[p,s]")
    b.variables("r", pair_labels, upper=usable, integer=True, doc="rådgivning duty r[p,s]")
    if data.assignment == "arcs":  # the radius formulation has no x (``radius_assignment``)
        b.variables("x", Labels(data.arcs, columns=KPSM), doc="borgerforløb x[k,p,s,mode]")


@family("demand_balance", switch=False, elastic=True,
        explain="demand cannot be fully served (unmet demand is switched off)",
        options={"allow_unmet": (True, "penalised unmet demand u (else demand is hard)")})
def demand_balance(data: ModelData, b: ProblemBuilder) -> None:
    """Every borgerforløb is served or counted unmet: Σ_p x[k,p,s] + u[k,s] = d[k,s].

    With ``near_family`` on, that family adds its local help Σ_l g[k,l,s] to these rows (a
    third way to meet demand). u[k,s] ≥ 0 is declared here; with ``allow_unmet`` off it is
    fixed at 0 and the row is a hard rule (elastic in the diagnosis). In the radius
    formulation ``radius_assignment`` serves every client instead.
    """
    if data.assignment != "arcs":
        return
    allow = data.params.families.allow_unmet
    u = b.variables("u", Labels(data.dem, columns=KS), upper=np.inf if allow else 0.0,
                    doc="unmet demand u[k,s]")
    x = b.var("x")
    d = data.dem["demand"].to_numpy()
    b.rows("demand_balance", Labels(data.dem, columns=KS),
           x.coef(data.arcs["dem"].to_numpy(), x.index), u.coef(u.index, u.index),
           lower=d, upper=d)


@family("linking", switch=False,
        explain="borgerforløb only at designated providers")
def linking(data: ModelData, b: ProblemBuilder) -> None:
    """Strong linking: flow only to designated providers, x[k,p,s] − d[k,s]·y[p,s] ≤ 0.

    The disaggregated (per-arc) form gives a much tighter LP bound than the aggregated
    Σ_k x ≤ C·y; it is most of the rows, and HiGHS handles them well.
    """
    if data.assignment != "arcs":
        return
    x, y = b.var("x"), b.var("y")
    a = x.index
    b.rows("linking", Labels(data.arcs, columns=KPSM),
           x.coef(a, a), y.coef(a, data.arcs["pair"].to_numpy(), -data.arcs["demand"].to_numpy()),
           upper=0.0)


@family("travel_cutoff",
        explain="the family-travel cutoff leaves some demand without a competent provider")
def travel_cutoff(data: ModelData, b: ProblemBuilder) -> None:
    """Family-travel cutoff: a physical arc x[k,p,s,physical] exists only where t[k,p] ≤ T_s.

    (Outreach arcs have their own radius, see ``outreach``.) A restriction of the domain,
    not a row: :func:`specialeplan.model.sets.build_model_data`
    derives the arcs within the cutoff (sparse arcs are what keeps the national model small).
    Switched off, every arc with a travel time is kept.
    """


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
