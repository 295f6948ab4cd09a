"""Outreach (matrikelløse) specialfunktioner: delivery in the citizen's home municipality."""

from __future__ import annotations

from typing import TYPE_CHECKING

from specialeplan.model.builder import ProblemBuilder
from specialeplan.model.registry import family

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
