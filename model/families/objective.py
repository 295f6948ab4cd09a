"""Objective terms; each is reported separately in ``kpis.json``. With a cost table every
term is in DKK per year (prices ``model.weights``, derived from ``costs.csv`` by
:mod:`specialeplan.model.pricing`); the objective is the plan's annual cost above the care
floor no plan can avoid (``care_floor``), quality penalties included."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from specialeplan.model.builder import ProblemBuilder
from specialeplan.model.registry import term

if TYPE_CHECKING:
    from specialeplan.model.sets import ModelData


@term("travel", explain="family travel: borgerforløb × one-way minutes")
def travel(data: ModelData, b: ProblemBuilder) -> None:
    """Travel = w_travel · Σ_{physical arcs} t[k,p]·x[k,p,s] (outreach borgerforløb stay at
    home: their staff travel is the ``outreach`` term; ``radius_assignment`` adds travel
    itself)."""
    if not b.has("x"):
        return
    x = b.var("x")
    phys = (data.arcs["mode"] == "physical").to_numpy()
    b.cost("travel", x.linear(x.index[phys], data.params.weights.travel
                              * data.arcs["minutes"].to_numpy()[phys]))


@term("designation", explain="running a specialfunktion (competence.designation_cost)")
def designation(data: ModelData, b: ProblemBuilder) -> None:
    """Designation = w_designation · Σ f[p,s]·y[p,s]."""
    y = b.var("y")
    b.cost("designation", y.linear(y.index, data.params.weights.designation
                                   * data.pairs["designation_cost"].to_numpy()))


@term("advisory", explain="the rådgivning base funding (competence.advisory_cost)")
def advisory(data: ModelData, b: ProblemBuilder) -> None:
    """Advisory = w_advisory · Σ g[p,s]·r[p,s]."""
    r = b.var("r")
    b.cost("advisory", r.linear(r.index, data.params.weights.advisory
                                * data.pairs["advisory_cost"].to_numpy()))


@term("care", explain="care: price per borgerforløb by speciale and delivery mode")
def care(data: ModelData, b: ProblemBuilder) -> None:
    """Care = Σ_{arcs} p_mode[s]·x[k,p,s,mode] + Σ p_r[s]·g[k,l,s]: the price of every
    borgerforløb served, at a place (and near the family, at a local tilbud's place) p_r[s] =
    ``price_residential``, by an outreach team p_o[s] = ``price_outreach`` (DKK per year;
    0 without a cost table)."""
    if not b.has("x"):
        return
    price = data.care_prices()
    x = b.var("x")
    s_arc = data.arcs["function"]
    mode_price = np.where((data.arcs["mode"] == "outreach").to_numpy(),
                          s_arc.map(price["outreach"]).to_numpy(dtype=float),
                          s_arc.map(price["residential"]).to_numpy(dtype=float))
    parts = [x.linear(x.index, mode_price)]
    if b.has("g"):
        g = b.var("g")
        parts.append(g.linear(g.index, data.local["function"].map(
            price["residential"]).to_numpy(dtype=float)))
    b.cost("care", *parts)


@term("care_floor", explain="minus the care cost no plan can avoid (a constant)")
def care_floor(data: ModelData, b: ProblemBuilder) -> None:
    """care_floor = −Σ_{k,s} d[k,s]·[(1 − ρ')·min(p_o, m) + ρ'·m], m = min(p_r, w_unmet),
    ρ' = ρ_s where (k, s) has an outreach arc, else 1 (:func:`specialeplan.model.pricing.
    care_floor`): a constant, so the proven gap is measured on what a plan can change."""
    if data.assignment != "arcs":
        return
    b.cost("care_floor", constant=-float(data.care_floor().sum()))


@term("unmet", explain="per unmet borgerforløb: the alternative's cost plus a quality penalty")
def unmet(data: ModelData, b: ProblemBuilder) -> None:
    """Unmet = w_unmet · Σ u[k,s] (none in the radius formulation: everyone is served)."""
    if not b.has("u"):
        return
    u = b.var("u")
    b.cost("unmet", u.linear(u.index, data.params.weights.unmet))


@term("reach_shortfall", explain="penalty per municipality × speciale without rådgivning")
def reach_shortfall(data: ModelData, b: ProblemBuilder) -> None:
    """reach_shortfall = w_reach_shortfall · Σ q[k,s]."""
    if b.has("q"):
        q = b.var("q")
        b.cost("reach_shortfall", q.linear(q.index, data.params.weights.reach_shortfall))


@term("change", explain="penalty per designation that differs from today's")
def change(data: ModelData, b: ProblemBuilder) -> None:
    """Change = w_change · Σ |y − y0| = w_change · (Σ (1 − 2·y0[p,s])·y[p,s] + Σ y0)."""
    y = b.var("y")
    y0 = data.pairs["designated_today"].to_numpy().astype(float)
    w = data.params.weights.change
    b.cost("change", y.linear(y.index, w * (1 - 2 * y0)), constant=float(w * y0.sum()))




@term("outreach", explain="staff travel of outreach (matrikelløse) borgerforløb")
def outreach(data: ModelData, b: ProblemBuilder) -> None:
    """Outreach = w_outreach · Σ_{outreach arcs} t[k,p]·x[k,p,s,outreach]."""
    if not b.has("x"):
        return
    x = b.var("x")
    out = (data.arcs["mode"] == "outreach").to_numpy()
    if out.any():
        b.cost("outreach", x.linear(x.index[out], data.params.weights.outreach
                                    * data.arcs["minutes"].to_numpy()[out]))


@term("near_family", explain="per borgerforløb helped near the family by a coached local tilbud")
def near_family(data: ModelData, b: ProblemBuilder) -> None:
    """near_family = w_near_family · Σ g[k,l,s]."""
    if b.has("g"):
        g = b.var("g")
        b.cost("near_family", g.linear(g.index, data.params.weights.near_family))


@term("moved", explain="per borgerforløb of today's caseload moved away from its provider")
def moved(data: ModelData, b: ProblemBuilder) -> None:
    """Moved = w_moved · Σ m[p,s]."""
    if b.has("m"):
        m = b.var("m")
        b.cost("moved", m.linear(m.index, data.params.weights.moved))


@term("equity", explain="the worst-off municipalities' mean family travel (max or CVaR)")
def equity(data: ModelData, b: ProblemBuilder) -> None:
    """Equity = w_equity · Σ_s measure_s, measure_s = η_s (max) or
    η_s + 1/(α·n_s)·Σ_k z[k,s] (CVaR); see the ``equity`` family."""
    if not b.has("eta"):
        return
    from specialeplan.model.families.equity import tail_weight

    w = data.params.weights.equity
    eta = b.var("eta")
    parts = [eta.linear(eta.index, w)]
    if b.has("z"):
        sid = data.dem["function"].to_numpy()
        names, inv = np.unique(sid, return_inverse=True)
        n_s = np.bincount(inv)
        weight = tail_weight(n_s, data.params.equity.alpha)[inv]
        parts.append(b.var("z").linear(b.var("z").index, w * weight))
    b.cost("equity", *parts)
