"""The assignment: decision variables, the demand balance, linking and the travel cutoff."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from specialeplan.model.builder import ProblemBuilder
from specialeplan.model.keys import KPSM, KS, PS
from specialeplan.model.registry import family
from specialeplan.solvers.problem import Labels

if TYPE_CHECKING:
    from specialeplan.model.sets import ModelData


@family("variables", switch=False, reads={"forbidden": "more"},
        explain="the decision variables")
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


@family("demand_balance", switch=False, elastic=True, reads={},
        explain="demand cannot be fully served (unmet demand is switched off)",
        options={"allow_unmet": (True, "penalised unmet demand u (else demand is hard)",
                                 "relaxes")})
def demand_balance(data: ModelData, b: ProblemBuilder) -> None:
    """Every borgerforløb is served or counted unmet: Σ_p x[k,p,s] + u[k,s] = d[k,s].

    With ``near_family`` on, that family adds its local help Σ_l g[k,l,s] to these rows (a
    third way to meet demand). u[k,s] ≥ 0 is declared here; with ``allow_unmet`` off it is
    fixed at 0 and the row is a hard rule (elastic in the diagnosis). In the radius
    formulation ``radius_assignment`` serves every client instead.
    """
    if data.assignment != "arcs":
        return
    dem = data.dem
    allow = data.params.families.allow_unmet
    u = b.variables("u", Labels(dem, columns=KS), upper=np.inf if allow else 0.0,
                    doc="unmet demand u[k,s]")
    served = b.var("x").sum(by=data.arcs["dem"].to_numpy(), size=len(dem))  # Σ_p x[k,p,s]
    b.add_rows("demand_balance", served + u == dem["demand"].to_numpy(),
               Labels(dem, columns=KS))


@family("linking", switch=False, reads={},
        explain="borgerforløb only at designated providers")
def linking(data: ModelData, b: ProblemBuilder) -> None:
    """Strong linking: flow only to designated providers, x[k,p,s] ≤ d[k,s]·y[p,s] — except
    today's residents, who stay where they live as a transitional arrangement (family
    ``moved``): x[k,p,s] ≤ d[k,s]·y[p,s] + a[k,p,s]·(1 − y[p,s]), a = min(d[k,s], c[p,s])
    with c[p,s] the pair's ``transitional_cases`` (0 with ``moved`` off).

    The disaggregated (per-arc) form gives a much tighter LP bound than the aggregated
    Σ_k x ≤ C·y; it is most of the rows, and HiGHS handles them well.
    """
    if data.assignment != "arcs":
        return
    arcs = data.arcs
    x, y = b.var("x"), b.var("y")
    d, y_arc = arcs["demand"].to_numpy(), y[arcs["pair"].to_numpy()]  # d[k,s], y[p,s] per arc
    a = np.minimum(d, data.pairs["transitional_cases"].to_numpy(dtype=float)[
        arcs["pair"].to_numpy()])
    b.add_rows("arc_volume_max", x <= (d - a) * y_arc + a, Labels(arcs, columns=KPSM))


@family("travel_cutoff", on="restricts", reads={"max_travel_minutes": "upper_limit"},
        explain="the family-travel cutoff leaves some demand without a competent provider")
def travel_cutoff(data: ModelData, b: ProblemBuilder) -> None:
    """Family-travel cutoff: a physical arc x[k,p,s,physical] exists only where t[k,p] ≤ T_s.

    (Outreach arcs have their own radius, see ``outreach``.) A restriction of the domain,
    not a row: :func:`specialeplan.model.sets.build_model_data`
    derives the arcs within the cutoff (sparse arcs are what keeps the national model small).
    Switched off, every arc with a travel time is kept.
    """
