"""Objective terms; each is reported separately in ``kpis.json`` (weights ``model.weights``)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from specialeplan.model.builder import ProblemBuilder
from specialeplan.model.registry import term

if TYPE_CHECKING:
    from specialeplan.model.sets import ModelData


@term("travel", explain="family travel: borgerforløb × one-way minutes")
def travel(data: ModelData, b: ProblemBuilder) -> None:
    """Travel = w_travel · Σ t[k,p]·x[k,p,s] (``radius_assignment`` adds it instead)."""
    if not b.has("x"):
        return
    x = b.var("x")
    b.cost("travel", x.linear(x.index, data.params.weights.travel * data.arcs["minutes"]
                              .to_numpy()))


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


@term("unmet", explain="penalty per unmet borgerforløb")
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


