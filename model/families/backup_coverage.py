"""Robustness: backup coverage, so that one closure does not leave a municipality without a
specialfunktion (Socialstyrelsen's national capacity steering, SPEC §1 and §2.8)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from specialeplan.model.builder import ProblemBuilder
from specialeplan.model.instance import PHYSICAL_KINDS
from specialeplan.model.keys import KS
from specialeplan.model.registry import family
from specialeplan.solvers.problem import Labels

if TYPE_CHECKING:
    from specialeplan.model.sets import ModelData


def backup_candidates(data: ModelData) -> tuple[pd.DataFrame, pd.DataFrame, list[str]]:
    """The specialfunktioner that can count for each (k, s) with demand, as two tables of
    (``dem``, ``pair``), and the specialer whose backup cutoff is longer than their
    family-travel cutoff:

    - ``first``: pairs with an assignment arc to (k, s) — a place within the family-travel
      cutoff T_s, or an outreach team within the outreach radius O_s (``data.arcs``);
    - ``second``: ``first`` plus usable pairs with a place within the backup cutoff B_s
      (``backup_minutes``; B_s = T_s when not set, so ``second`` = ``first``).
    """
    first = data.arcs[["dem", "pair"]].drop_duplicates().reset_index(drop=True)
    sp = data.function_params
    longer = [s for s in data.functions
              if np.isfinite(sp.at[s, "backup_minutes"])
              and not (sp.at[s, "backup_minutes"] <= sp.at[s, "max_travel_minutes"])]
    if not longer:
        return first, first, []
    pairs = data.pairs[data.pairs["usable"] & data.pairs["function"].isin(longer)]
    if data.params.families.outreach:
        pairs = pairs[pairs["kind"].isin(PHYSICAL_KINDS)]
    cand = (data.dem[data.dem["function"].isin(longer)][["dem", "municipality_code",
                                                          "function"]]
            .merge(pairs[["pair", "provider_id", "function"]], on="function")
            .merge(data.instance.provider_travel, on=["municipality_code", "provider_id"]))
    cand = cand[cand["minutes"] <= cand["function"].map(sp["backup_minutes"]) + 1e-9]
    second = pd.concat([first, cand[["dem", "pair"]]], ignore_index=True).drop_duplicates()
    return first, second.sort_values(["dem", "pair"]).reset_index(drop=True), longer


@family("backup_coverage", default=False, elastic=True, on="restricts",
        reads={"backup_minutes": "upper_limit", "families.outreach": "changes"},
        explain="a municipality with demand cannot have two specialfunktioner within reach "
                "(backup coverage)")
def backup_coverage(data: ModelData, b: ProblemBuilder) -> None:
    """Backup coverage (N-1): every municipality k with demand in speciale s keeps a
    specialfunktion within reach when any one of them closes. With F(k,s) the competent
    pairs that can serve k (a place within the family-travel cutoff T_s or an outreach team
    within the outreach radius O_s: the assignment arcs) and S(k,s) = F(k,s) plus the pairs
    with a place within the backup cutoff B_s (``backup_minutes``, default T_s):

        Σ_{p in S(k,s)} y[p,s] ≥ 2        (rows ``backup_cover_min``)
        Σ_{p in F(k,s)} y[p,s] ≥ 1        (rows ``direct_cover_min``, only where B_s > T_s)

    for every (k, s) with d[k,s] > 0. Double coverage alone is not robustness (the second
    specialfunktion also needs the capacity to take the citizens: ``specialeplan
    vulnerability`` measures that); this rule is the structural part. Off by default; a
    municipality with fewer than two competent providers in range makes the scenario
    infeasible, and the diagnosis names it.
    """
    first, second, longer = backup_candidates(data)
    y, dem = b.var("y"), data.dem
    has_demand = dem["demand"].to_numpy() > 0
    for name, table, need, keep in (
            ("backup_cover_min", second, 2.0, has_demand),
            ("direct_cover_min", first, 1.0, has_demand & dem["function"].isin(longer).to_numpy())):
        pair, k = table["pair"].to_numpy(dtype=np.int64), table["dem"].to_numpy(dtype=np.int64)
        covering = y[pair].sum(by=k, size=len(dem))  # Σ_{p in S(k,s)} y[p,s] (F(k,s) for direct)
        b.add_rows(name, covering >= need, Labels(dem, columns=KS), where=keep)
