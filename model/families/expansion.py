"""Capacity where it is missing: candidate expansions of existing providers, built next to
the designations (issue 23; seed 002: Socialstyrelsen sees that the capacity exists, and a
loan facility helps establish specialfunktioner where it is missing)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from specialeplan.model.builder import ProblemBuilder
from specialeplan.model.keys import PS
from specialeplan.model.registry import family, term
from specialeplan.solvers.problem import Labels

if TYPE_CHECKING:
    from specialeplan.model.sets import ModelData

#: the expansion options' label columns (``capacity_changes.csv``)
EXPANSION_KEY = ["entry", *PS]


@family("expansion", on="relaxes",
        reads={"expansions": "same", "new_sites": "same", "expansion_candidates": "same",
               "expansion_budget_dkk": "upper_limit"},
        explain="the candidate expansions within the budget cannot add the places needed")
def expansion(data: ModelData, b: ProblemBuilder) -> None:
    """Candidate expansions (``model.expansions``, table ``expansions``): option o adds P_o
    places for type s at provider p; e[o] ∈ {0, 1} builds it.

    - only at a specialfunktion: e[o] − y[p,s] ≤ 0;
    - the provider's capacity: Σ_{k,s} x[k,p,s] − Σ_{o at p} P_o·e[o] ≤ C_p (the row of
      family ``capacity``, extended);
    - the pair's places: Σ_k x[k,p,s] − Σ_{o of (p,s)} P_o·e[o] ≤ V[p,s]·y[p,s] +
      c[p,s]·(1 − y[p,s]) (the row of ``speciale_capacity``, extended);
    - the budget: Σ_{o not built} I_o·e[o] ≤ B, I_o the investment in DKK and B =
      ``expansion_budget_dkk`` (where set; per wave in a rollout);
    - built already (``built``: an earlier rollout wave built it): e[o] = 1.

    Options: the listed ``expansions``, the ``new_sites``, and ``expansion_candidates`` (P
    places at every competence pair of the planned types).

    Cost: a_o per option built, the annuity of its investment (objective term
    ``expansion``; ``model/expansions.py``). Expansions are never needed for feasibility
    (e = 0 is the plan without them), so the family is not elastic.
    """
    opts = data.expansions
    built_before = opts["built"].to_numpy(dtype=bool) if len(opts) else np.zeros(0, bool)
    e = b.variables("e", Labels(opts, columns=EXPANSION_KEY), upper=1.0, integer=True,
                    lower=built_before.astype(float), doc="expansion built e[o]")
    if len(opts) == 0:
        return
    fam = data.params.families
    pair = opts["pair"].to_numpy(dtype=np.int64)
    places = opts["places"].to_numpy(dtype=float)
    b.add_rows("expansion_designation_max", e <= b.var("y")[pair],
               Labels(opts, columns=EXPANSION_KEY))
    built = -places * e  # −P_o·e[o], one row per option
    if fam.capacity:
        provider = data.provider_index(opts["provider_id"])
        row = b.row_index("provider_volume_max", provider)  # -1: no capacity row (no arcs)
        b.extend("provider_volume_max", built.where(row >= 0).sum(by=row))
    if fam.speciale_capacity:
        row = b.row_index("pair_volume_max", pair)
        b.extend("pair_volume_max", built.where(row >= 0).sum(by=row))
    budget = data.params.expansion_budget_dkk
    if budget is not None:  # what an earlier wave built was paid from its own budget
        invest = np.where(built_before, 0.0, opts["investment_dkk"].to_numpy(dtype=float))
        b.add_rows("expansion_investment_max", (invest * e).sum() <= budget,
                   Labels(pd.DataFrame({"budget": ["expansion_budget_dkk"]})))


@term("expansion", explain="the annuity of the expansions built (capacity_changes.csv)")
def expansion_cost(data: ModelData, b: ProblemBuilder) -> None:
    """Expansion = Σ_o a_o·e[o], a_o the option's annual cost in thousand DKK per year (the
    annuity of its investment, or its stated ``annual_cost_dkk``); 0 without options."""
    if not b.has("e") or len(data.expansions) == 0:
        return
    e = b.var("e")
    b.cost("expansion", e.linear(e.index, data.expansions["annual_cost"].to_numpy(dtype=float)))
