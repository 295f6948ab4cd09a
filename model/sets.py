"""Sparse index sets of the placement model, derived once with pandas.

:func:`build_model_data` turns an :class:`Instance` and :class:`ModelParams` into flat,
0-indexed tables that the constraint families (:mod:`specialeplan.model.families`), the
solution extraction and the results export share:

=========== ====================================================================== ========
table       one row per                                                            variable
=========== ====================================================================== ========
``pairs``   competence pair (p, s) of a planned speciale                           y, r
``dem``     (k, s) with demand d[k,s] > 0                                          u
``arcs``    (k, p, s): pair (p,s) usable, d[k,s] > 0 and t[k,p] <= T_s              x
``reach``   (k, p, s): pair (p,s) usable, t[k,p] <= R_s (specialer with reach on)    v
``need``    (k, s) for every municipality and speciale with reach on               q
=========== ====================================================================== ========

Integer columns (``pair``, ``dem``, ``need``) point into those tables, so a constraint
family is a ``groupby`` over integer ids rather than a dense k×p×s loop.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from specialeplan.errors import ScenarioError
from specialeplan.model.instance import Instance
from specialeplan.model.params import ModelParams


@dataclass(frozen=True)
class ModelData:
    """Resolved, sparse inputs of one model (see module docstring)."""

    instance: Instance
    params: ModelParams
    specialer: list[str]
    speciale_params: pd.DataFrame  # index speciale
    demand: pd.DataFrame  # all (k, s) of planned specialer, after growth
    pairs: pd.DataFrame
    dem: pd.DataFrame
    arcs: pd.DataFrame
    reach: pd.DataFrame
    need: pd.DataFrame

    def provider_index(self, provider_ids: pd.Series) -> np.ndarray:
        """Positions in ``instance.providers`` of the given provider ids (int64, also when
        empty: a speciale may have no arc left)."""
        prov = self.instance.providers["provider_id"]
        return provider_ids.map(pd.Series(np.arange(len(prov)), index=prov)).to_numpy(
            dtype=np.int64)

    @property
    def sizes(self) -> dict[str, int]:
        """Counts of the index tables (for logs and ``kpis.json``)."""
        return {
            "specialer": len(self.specialer),
            "municipalities": len(self.instance.municipalities),
            "providers": len(self.instance.providers),
            "pairs": len(self.pairs),
            "arcs": len(self.arcs),
            "reach_arcs": len(self.reach),
        }


def _resolve_specialer(instance: Instance, params: ModelParams) -> list[str]:
    known = instance.speciale_ids
    if params.specialer is None:
        return known
    unknown = [s for s in params.specialer if s not in known]
    if unknown:
        raise ScenarioError(f"unknown speciale {unknown[0]!r} in 'specialer'; known: {known}")
    if len(set(params.specialer)) != len(params.specialer):
        raise ScenarioError("'specialer' lists a speciale twice")
    return list(params.specialer)


def _check_designations(instance: Instance, params: ModelParams, specialer: list[str]) -> None:
    pids = set(instance.providers["provider_id"])
    for kind, items in (("fixed", params.fixed), ("forbidden", params.forbidden)):
        for d in items:
            if d.provider_id not in pids:
                raise ScenarioError(f"{kind}: unknown provider_id {d.provider_id!r}")
            if d.speciale not in specialer:
                raise ScenarioError(
                    f"{kind}: speciale {d.speciale!r} is unknown or not planned in this scenario")
    both = {(d.provider_id, d.speciale) for d in params.fixed} & {
        (d.provider_id, d.speciale) for d in params.forbidden}
    if both:
        p, s = sorted(both)[0]
        raise ScenarioError(f"designation {p}/{s} is both fixed and forbidden")
    regions = set(instance.municipalities["region"])
    for b in params.region_bounds:
        if b.speciale not in specialer:
            raise ScenarioError(f"region_bounds: speciale {b.speciale!r} is not planned")
        if b.region not in regions:
            raise ScenarioError(f"region_bounds: unknown region {b.region!r}; known: "
                                f"{sorted(regions)}")
    owners = set(instance.providers["owner"])
    for o in params.keep_today:
        if o not in owners:
            raise ScenarioError(f"keep_today: unknown owner {o!r}; known: {sorted(owners)}")


def build_model_data(instance: Instance, params: ModelParams) -> ModelData:
    """Derive the sparse sets; raises :class:`ScenarioError` for inconsistent scenarios."""
    specialer = _resolve_specialer(instance, params)
    _check_designations(instance, params, specialer)
    sp = params.speciale_table(specialer, instance.speciale_ids).set_index("speciale")
    fam = params.families

    demand = instance.demand[instance.demand["speciale"].isin(specialer)].copy()
    demand["demand"] = demand["demand"] * demand["speciale"].map(sp["demand_growth"])
    demand = demand.reset_index(drop=True)

    prov = instance.providers.merge(
        instance.municipalities[["code", "region"]].rename(columns={"code": "municipality_code"}),
        on="municipality_code", how="left")
    pairs = instance.competence[instance.competence["speciale"].isin(specialer)].merge(
        prov[["provider_id", "municipality_code", "region", "owner", "capacity",
              "advisory_capacity"]], on="provider_id", how="left")
    pairs = pairs.sort_values(["speciale", "provider_id"]).reset_index(drop=True)
    key = list(zip(pairs["provider_id"], pairs["speciale"], strict=True))
    fixed = {(d.provider_id, d.speciale) for d in params.fixed} if fam.fixed else set()
    forbidden = {(d.provider_id, d.speciale) for d in params.forbidden} if fam.fixed else set()
    missing = sorted(fixed - set(key))
    if missing:
        raise ScenarioError(f"fixed designation {missing[0][0]}/{missing[0][1]}: the provider "
                            "has no competence row for that speciale")
    keep = pairs["designated_today"] & pairs["owner"].isin(params.keep_today) & fam.fixed
    pairs["fixed"] = np.array([k in fixed for k in key], dtype=bool) | keep.to_numpy()
    pairs["forbidden"] = np.array([k in forbidden for k in key], dtype=bool)
    pairs["usable"] = (pairs["max_cases"] > 0) & ~pairs["forbidden"]
    bad = pairs["fixed"] & ~pairs["usable"]
    if bad.any():
        r = pairs[bad].iloc[0]
        raise ScenarioError(f"designation {r.provider_id}/{r.speciale} is fixed (or kept from "
                            "today) but the provider has max_cases = 0 for it")
    pairs["pair"] = np.arange(len(pairs))

    dem = demand[demand["demand"] > 0].reset_index(drop=True)
    dem["dem"] = np.arange(len(dem))

    usable = pairs[pairs["usable"]][["provider_id", "speciale", "pair"]]
    pt = instance.provider_travel
    arcs = (dem.merge(usable, on="speciale")
            .merge(pt, on=["municipality_code", "provider_id"], how="inner"))
    if fam.travel_cutoff:
        cutoff = arcs["speciale"].map(sp["max_travel_minutes"]).fillna(np.inf)
        arcs = arcs[arcs["minutes"] <= cutoff + 1e-9]
    arcs = arcs.sort_values(["dem", "pair"]).reset_index(drop=True)

    reach_specs = [s for s in specialer if fam.reach and not np.isnan(sp.at[s, "reach_minutes"])]
    munis = instance.municipalities[["code"]].rename(columns={"code": "municipality_code"})
    need = munis.merge(pd.DataFrame({"speciale": pd.Series(reach_specs, dtype=str)}),
                       how="cross")  # typed: an empty list must still merge on text
    need = need.sort_values(["speciale", "municipality_code"]).reset_index(drop=True)
    need["need"] = np.arange(len(need))
    reach = need.merge(usable, on="speciale").merge(
        pt, on=["municipality_code", "provider_id"], how="inner")
    reach = reach[reach["minutes"] <= reach["speciale"].map(sp["reach_minutes"]) + 1e-9]
    reach = reach.sort_values(["need", "pair"]).reset_index(drop=True)

    return ModelData(
        instance=instance, params=params, specialer=specialer, speciale_params=sp,
        demand=demand, pairs=pairs, dem=dem, arcs=arcs, reach=reach, need=need,
    )
