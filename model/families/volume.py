"""Volume of a competence pair: its aggregate column, the minimum volume and the two
capacities (provider and per speciale)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from specialeplan.model.builder import Expr, ProblemBuilder
from specialeplan.model.keys import PS
from specialeplan.model.registry import family
from specialeplan.solvers.problem import Labels

if TYPE_CHECKING:
    from specialeplan.model.sets import ModelData


@family("pair_volume", switch=False, reads={},
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
    pairs = data.pairs
    volume = b.variables("X", Labels(pairs, columns=PS), upper=data.reachable_demand(),
                         doc="borgerforløb X[p,s] of a pair")
    arcs_sum = b.var("x").sum(by=data.arcs["pair"].to_numpy(), size=len(pairs))
    b.add_rows("pair_volume_balance", volume == arcs_sum, Labels(pairs, columns=PS))


def pair_volume_expr(data: ModelData, b: ProblemBuilder) -> Expr:
    """Σ_k x[k,p,s], one row per pair (row p of ``data.pairs``): the X column (aggregate
    volume formulation) or the sum of the pair's x columns (per_arc)."""
    if data.params.volume_formulation == "aggregate":
        return b.var("X").expr()
    return b.var("x").sum(by=data.arcs["pair"].to_numpy(), size=len(data.pairs))


@family("min_volume", elastic=True, on="restricts", reads={"min_cases": "lower_limit"},
        explain="a designated specialfunktion cannot reach the minimum borgerforløb")
def min_volume(data: ModelData, b: ProblemBuilder) -> None:
    """Øvelse gør mester: a specialfunktion serves at least m_s borgerforløb,
    Σ_k x[k,p,s] − m_s·y[p,s] ≥ 0 (for usable pairs with m_s > 0; Σ_k x is X[p,s] in the
    aggregate volume formulation)."""
    pairs = data.pairs
    ms = pairs["function"].map(data.function_params["min_cases"]).astype(float).to_numpy()
    volume, y = pair_volume_expr(data, b), b.var("y")
    b.add_rows("pair_volume_min", volume >= ms * y, Labels(pairs, columns=PS),
               where=(ms > 0) & pairs["usable"].to_numpy())


@family("capacity", elastic=True, on="restricts", reads={},
        explain="provider capacity is too small")
def capacity(data: ModelData, b: ProblemBuilder) -> None:
    """Provider capacity shared by all its specialer: Σ_{k,s} x[k,p,s] ≤ C_p (Σ_s X[p,s] in
    the aggregate volume formulation). C_p is what is left for the plan: the provider's
    capacity less the places today's residents of the types outside the plan hold
    (``held_places``; they stay where they live while ``moved`` is on without moves).

    With ``near_family`` on, that family adds the local help Σ g[k,p,s] a provider gives
    near the family to these rows (and adds the row for a provider without arcs)."""
    pairs, prov = data.pairs, data.instance.providers
    has_arcs = np.bincount(data.arcs["pair"].to_numpy(), minlength=len(pairs)) > 0
    provider = data.provider_index(pairs["provider_id"])  # p of each pair
    # Σ_{k,s} x[k,p,s]; a pair without arcs (X = 0) stays out of the row
    load = pair_volume_expr(data, b).where(has_arcs).sum(by=provider, size=len(prov))
    b.add_rows("provider_volume_max", load <= prov["capacity"].to_numpy(),
               Labels(prov, columns=["provider_id"]),
               where=np.bincount(provider[has_arcs], minlength=len(prov)) > 0)


@family("speciale_capacity", elastic=True, on="restricts", reads={},
        explain="per-speciale capacity is too small")
def speciale_capacity(data: ModelData, b: ProblemBuilder) -> None:
    """Per-speciale capacity of a designated provider: Σ_k x[k,p,s] ≤ V[p,s]·y[p,s] +
    c[p,s]·(1 − y[p,s]) with V[p,s] = min(C[p,s], C_p, Σ_{k in the pair's arcs} d[k,s])
    (``pair_volume_cap``; C_p only while provider capacity is on: tighter than C[p,s] and
    equally valid) and c[p,s] the residents a provider that is not designated keeps as a
    transitional arrangement (``transitional_cases``, family ``moved``; else 0)."""
    pairs = data.pairs
    volume, cap = pair_volume_expr(data, b), data.pair_volume_cap()
    c = pairs["transitional_cases"].to_numpy(dtype=float)
    b.add_rows("pair_volume_max", volume <= (cap - c) * b.var("y") + c,
               Labels(pairs, columns=PS),
               where=np.bincount(data.arcs["pair"].to_numpy(), minlength=len(pairs)) > 0)
