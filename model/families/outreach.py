"""Outreach (matrikelløse) specialfunktioner: delivery in the citizen's home municipality,
and only where the need allows (``delivery_need``)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from specialeplan.model.builder import ProblemBuilder
from specialeplan.model.registry import family
from specialeplan.solvers.problem import Labels

if TYPE_CHECKING:
    from specialeplan.model.sets import ModelData


@family("outreach", on="changes", reads={"outreach_minutes": "upper_limit"},
        explain="the outreach radius leaves some demand without a competent provider")
def outreach(data: ModelData, b: ProblemBuilder) -> None:
    """Matrikelløse specialfunktioner deliver in the citizen's home municipality.

    A provider's ``kind`` says how it delivers: ``residential`` at its place (physical arcs,
    within the family-travel cutoff T_s), ``outreach`` by a team that travels to the
    citizen, ``both`` either way. An outreach arc x[k,p,s,outreach] exists where
    kind_p ∈ {outreach, both} and the staff travel t[k,p] from p's base is within the
    outreach radius O_s (``outreach_minutes``). It costs no family travel but staff travel,
    w_outreach·t[k,p] per borgerforløb (objective term ``outreach``). Both modes of one
    provider count towards its minimum volume, capacities and linking alike, because every
    family sums x over (k,p,s) whatever the mode.

    A restriction of the domain, not a row: :func:`specialeplan.model.sets.build_model_data`
    derives the arcs with their mode. Switched off, every provider delivers physically, as
    if its kind were ``residential``.
    """


@family("delivery_need", elastic=True, on="restricts", reads={"residential_share": "same"},
        explain="the borgerforløb that need a residential place exceed the places in reach: "
        "outreach cannot serve them")
def delivery_need(data: ModelData, b: ProblemBuilder) -> None:
    """«For nogle borgere er den sociale indsats et sted, man bor»: outreach only where the
    need allows. A share ρ_s (``residential_share``) of a speciale's borgerforløb need a
    residential place (or a day/residential setting), so per speciale

    Σ_{k,p} x[k,p,s,outreach] ≤ max((1 − ρ_s)·D_s, P_s)   (row block ``outreach_volume_max``)

    with D_s = Σ_k d[k,s] and P_s today's residents of outreach-only teams, who stay with
    their team (family ``moved``; ``outreach_protected``): where today's outreach caseload
    already exceeds the need-based share, the plan adds no outreach beyond it. The other
    borgerforløb go to a physical place, near-family help or unmet demand (neither bounded
    here). ρ_s comes from the scenario (``per_speciale``, then ``defaults``), else from the
    dataset's ``delivery_need.csv``, else 0 (no row). Rows only where ρ_s > 0 and the
    speciale has an outreach arc; nothing to do in the radius formulation.

    Re-solve: ``residential_share`` is classified ``same`` (a larger ρ_s restricts, but an
    unset value stands for the dataset's, which the comparison of two scenarios cannot see).
    """
    if data.assignment != "arcs":
        return
    arcs = data.arcs
    sp = pd.Series(np.arange(len(data.functions)), index=data.functions)
    out = (arcs["mode"] == "outreach").to_numpy()
    by = arcs["function"].map(sp).to_numpy(dtype=np.int64)
    has_out = np.bincount(by[out], minlength=len(sp)) > 0
    outreach = b.var("x").where(out).sum(by=by, size=len(sp))  # Σ_{k,p} x[k,p,s,outreach]
    limit = data.outreach_limit().reindex(data.functions).to_numpy(dtype=float)
    rho = data.function_params["residential_share"].reindex(data.functions).astype(float)
    b.add_rows("outreach_volume_max", outreach <= limit,
               Labels(pd.DataFrame({"function": data.functions}), columns=["function"]),
               where=(rho.to_numpy() > 0) & has_out)
