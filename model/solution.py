"""Solution tables from variable values — independent of the backend that produced them.

Every backend hands over plain numpy arrays (y, r per pair; x per arc; u per dem; v per reach
arc; q per need), and :func:`make_solution` turns them into the tidy tables documented in
``docs/results-format.md``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from specialeplan.model.sets import ModelData

TOL = 1e-6


@dataclass
class Values:
    """Raw variable values, one array per variable family (see model.sets)."""

    y: np.ndarray
    r: np.ndarray
    x: np.ndarray
    u: np.ndarray
    v: np.ndarray
    q: np.ndarray


@dataclass
class Solution:
    """Tidy result tables plus KPIs (a plain dict, JSON-ready)."""

    designations: pd.DataFrame
    assignments: pd.DataFrame
    coverage: pd.DataFrame
    reach: pd.DataFrame
    kpis: dict[str, Any] = field(default_factory=dict)

    def tables(self) -> dict[str, pd.DataFrame]:
        return {"designations": self.designations, "assignments": self.assignments,
                "coverage": self.coverage, "reach": self.reach}


def _clean(a: np.ndarray) -> np.ndarray:
    """Snap solver noise: tiny values to 0 and binaries to exact 0/1."""
    a = np.where(np.abs(a) < TOL, 0.0, a)
    return a


def objective_terms(data: ModelData, val: Values) -> dict[str, float]:
    """The six objective terms evaluated on ``val`` (same maths as the formulation)."""
    w = data.params.weights
    pairs = data.pairs
    y0 = pairs["designated_today"].to_numpy()
    return {
        "travel": float(w.travel * (data.arcs["minutes"].to_numpy() @ val.x)),
        "designation": float(w.designation * (pairs["designation_cost"].to_numpy() @ val.y)),
        "advisory": float(w.advisory * (pairs["advisory_cost"].to_numpy() @ val.r)),
        "unmet": float(w.unmet * val.u.sum()),
        "reach_shortfall": float(w.reach_shortfall * val.q.sum()),
        "change": float(w.change * np.abs(val.y - y0).sum()),
    }


def make_solution(data: ModelData, val: Values) -> Solution:
    """Build designations, assignments, coverage, reach tables and KPIs."""
    y = np.round(val.y)
    r = np.round(val.r) * y
    val = Values(y=y, r=r, x=_clean(val.x), u=_clean(val.u), v=_clean(val.v), q=_clean(val.q))
    pairs, arcs = data.pairs, data.arcs

    asg = arcs.assign(cases=val.x)
    asg = asg[asg["cases"] > 0]
    assignments = asg[["municipality_code", "provider_id", "speciale", "cases", "minutes"]].rename(
        columns={"minutes": "travel_minutes"}).reset_index(drop=True)

    cases = np.bincount(arcs["pair"].to_numpy(), weights=val.x, minlength=len(pairs))
    rch = data.reach.assign(share=val.v)
    rch = rch[rch["share"] > 0]
    advised = rch.groupby("pair").size().reindex(range(len(pairs)), fill_value=0).to_numpy()
    des = pairs.assign(cases=cases, is_advisory=r > 0.5, advised_municipalities=advised)
    designations = des[y > 0.5][
        ["provider_id", "municipality_code", "speciale", "cases", "is_advisory",
         "designated_today", "advised_municipalities"]].reset_index(drop=True)

    served = asg.groupby(["municipality_code", "speciale"])["cases"].sum().rename("served")
    wsum = (asg.assign(tx=asg["cases"] * asg["minutes"])
            .groupby(["municipality_code", "speciale"])["tx"].sum())
    cov = data.demand.set_index(["municipality_code", "speciale"])
    cov = cov.join(served)
    cov["served"] = cov["served"].fillna(0.0)
    unmet = pd.Series(val.u, index=pd.MultiIndex.from_frame(
        data.dem[["municipality_code", "speciale"]]))
    cov["unmet"] = unmet.reindex(cov.index).fillna(0.0)
    cov["mean_travel_minutes"] = (wsum.reindex(cov.index) / cov["served"]).where(
        cov["served"] > 0)
    coverage = cov.reset_index()[["municipality_code", "speciale", "demand", "served", "unmet",
                                  "mean_travel_minutes"]]

    reach_rows = rch[["municipality_code", "speciale", "provider_id", "minutes", "share"]].rename(
        columns={"provider_id": "advisory_provider_id", "minutes": "travel_minutes"})
    short = data.need.assign(share=val.q)
    short = short[short["share"] > 0][["municipality_code", "speciale", "share"]].assign(
        advisory_provider_id="", travel_minutes=np.nan)
    reach = pd.concat([reach_rows, short[reach_rows.columns]], ignore_index=True).sort_values(
        ["speciale", "municipality_code", "advisory_provider_id"]).reset_index(drop=True)

    kpis = _kpis(data, val, designations, assignments, coverage, short)
    return Solution(designations, assignments, coverage, reach, kpis)


def _kpis(
    data: ModelData, val: Values, designations: pd.DataFrame, assignments: pd.DataFrame,
    coverage: pd.DataFrame, short: pd.DataFrame,
) -> dict[str, Any]:
    terms = objective_terms(data, val)
    prov_muni = data.instance.providers.set_index("provider_id")["municipality_code"]
    total_cases = float(assignments["cases"].sum())
    outside = assignments["municipality_code"] != assignments["provider_id"].map(prov_muni)
    per = {}
    cov = coverage.groupby("speciale")[["demand", "served", "unmet"]].sum()
    for s in data.specialer:
        d = designations[designations["speciale"] == s]
        per[s] = {
            "specialfunktioner": int(len(d)),
            "raadgivningsfunktioner": int(d["is_advisory"].sum()),
            "demand": float(cov.at[s, "demand"]) if s in cov.index else 0.0,
            "served": float(cov.at[s, "served"]) if s in cov.index else 0.0,
            "unmet": float(cov.at[s, "unmet"]) if s in cov.index else 0.0,
        }
    return {
        "terms": terms,
        "objective_recomputed": float(sum(terms.values())),
        "per_speciale": per,
        "specialfunktioner": int(len(designations)),
        "raadgivningsfunktioner": int(designations["is_advisory"].sum()),
        "total_demand": float(coverage["demand"].sum()),
        "total_served": total_cases,
        "total_unmet": float(coverage["unmet"].sum()),
        "reach_shortfalls": float(short["share"].sum()),
        "share_outside_home_municipality": (
            float(assignments.loc[outside, "cases"].sum() / total_cases) if total_cases else 0.0),
        "mean_travel_minutes": (
            float((assignments["cases"] * assignments["travel_minutes"]).sum() / total_cases)
            if total_cases else 0.0),
        "max_travel_minutes": (float(assignments["travel_minutes"].max())
                               if len(assignments) else 0.0),
    }
