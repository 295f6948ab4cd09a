"""Solution tables from variable values — independent of the backend that produced them.

Every backend hands over one column vector, split by block into :class:`Values` (y, r per
pair; x per arc; u per dem; v per reach arc; q per need), and :func:`make_solution` turns
them into the tidy tables documented in ``docs/results-format.md``. The objective terms
come from the problem's own term rows, so they are the formulation's maths, not a copy.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from specialeplan.model.sets import ModelData
from specialeplan.solvers.problem import Values

TOL = 1e-6


@dataclass
class Solution:
    """Tidy result tables plus KPIs (a plain dict, JSON-ready)."""

    designations: pd.DataFrame
    assignments: pd.DataFrame
    coverage: pd.DataFrame
    reach: pd.DataFrame
    kpis: dict[str, Any] = field(default_factory=dict)

    def tables(self) -> dict[str, pd.DataFrame]:
        """The four result tables by name (the names of ``specialeplan.contract``)."""
        return {"designations": self.designations, "assignments": self.assignments,
                "coverage": self.coverage, "reach": self.reach}


def _clean(a: np.ndarray) -> np.ndarray:
    """Snap solver noise: tiny values to 0 and binaries to exact 0/1."""
    a = np.where(np.abs(a) < TOL, 0.0, a)
    return a


def _get(val: Mapping[str, np.ndarray], name: str, n: int) -> np.ndarray:
    """A block's values, zeros when the block is absent (its family switched off)."""
    return val[name] if name in val else np.zeros(n)


def nearest_assignment(data: ModelData, y: np.ndarray) -> np.ndarray:
    """The borgerforløb x per arc when every client goes to its nearest designated provider
    (the radius formulation has no x): all of d[k,s] on the shortest arc to an open pair."""
    arcs = data.arcs
    open_arc = np.flatnonzero(y[arcs["pair"].to_numpy()] > 0.5)
    x = np.zeros(len(arcs))
    if len(open_arc):
        sub = arcs.iloc[open_arc]
        best = sub.assign(_a=open_arc).sort_values(["dem", "minutes", "pair"]).drop_duplicates(
            "dem")
        x[best["_a"].to_numpy()] = best["demand"].to_numpy()
    return x


def make_solution(data: ModelData, val: Mapping[str, np.ndarray],
                  terms: dict[str, float]) -> Solution:
    """Build designations, assignments, coverage, reach tables and KPIs; ``terms`` are the
    objective terms at these values (``LinearProblem.term_values``)."""
    y = np.round(val["y"])
    r = np.round(val["r"]) * y
    x = val["x"] if "x" in val else nearest_assignment(data, y)
    val = Values({"y": y, "r": r, "x": _clean(x), "u": _clean(_get(val, "u", len(data.dem))),
                  "v": _clean(_get(val, "v", len(data.reach))),
                  "q": _clean(_get(val, "q", len(data.need)))})
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

    kpis = _kpis(data, terms, designations, assignments, coverage, short)
    return Solution(designations, assignments, coverage, reach, kpis)


def _kpis(
    data: ModelData, terms: dict[str, float], designations: pd.DataFrame,
    assignments: pd.DataFrame, coverage: pd.DataFrame, short: pd.DataFrame,
) -> dict[str, Any]:
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
