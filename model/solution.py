"""Solution tables from variable values — independent of the backend that produced them.

Every backend hands over one column vector, split by block into :class:`Values` (y, r per
pair; x per arc; u per dem; v per reach arc; q per need; g per local arc; w per split; h
per coach arc; m per pair with current cases; eta, z for equity), and :func:`make_solution`
turns them into the tidy tables documented in ``docs/results-format.md``. The objective
terms come from the problem's own term rows, so they are the formulation's maths, not a
copy.
:func:`polish` sets the auxiliary columns that only measure a cost (moved borgerforløb, the
equity measure) to their least values for the x found, which the solver's incumbent need
not have done exactly.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from specialeplan.model.applications import STATUSES, application_status
from specialeplan.model.keys import KS, PS
from specialeplan.model.pricing import UNIT, UNIT_NAME, price_sources
from specialeplan.model.sets import ModelData
from specialeplan.solvers.problem import Values

TOL = 1e-6
RS = ["region", "function"]
#: columns of regions.csv after region and speciale (docs/results-format.md)
#: transitional.csv: a provider–speciale pair that is not (re)designated and keeps serving
#: today's residents (family ``moved``)
TRANSITIONAL_COLUMNS = ["provider_id", "municipality_code", "function", "current_cases",
                        "transitional_cases"]
#: seed 000: 39 % of botilbud residents live outside their handlekommune (the calibration
#: figure ``share_outside_home_municipality_physical`` is read against)
SEED_SHARE_OUTSIDE_HOME = 0.39

#: capacity_changes.csv: the candidate expansions built (family ``expansion``)
CAPACITY_CHANGE_COLUMNS = ["entry", "provider_id", "municipality_code", "function", "places",
                           "investment_dkk", "annual_cost_dkk", "places_before",
                           "places_after", "cases"]

REGION_COLUMNS = ["demand", "served_home", "exported", "imported", "served_in_region",
                  "near_family", "unmet", "designated_capacity", "capacity_shortfall"]


@dataclass
class Solution:
    """Tidy result tables plus KPIs (a plain dict, JSON-ready)."""

    designations: pd.DataFrame
    assignments: pd.DataFrame
    coverage: pd.DataFrame
    reach: pd.DataFrame
    near_family: pd.DataFrame
    regions: pd.DataFrame
    kpis: dict[str, Any] = field(default_factory=dict)
    #: providers not (re)designated that keep today's residents (transitional arrangement)
    transitional: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(
        columns=TRANSITIONAL_COLUMNS))
    #: candidate expansions built (family ``expansion``)
    capacity_changes: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(
        columns=CAPACITY_CHANGE_COLUMNS))
    #: the applications and what the plan does with them (``model.mode: applications``)
    applications: pd.DataFrame | None = None

    def tables(self) -> dict[str, pd.DataFrame]:
        """The result tables by name (the names of ``specialeplan.results.contract``)."""
        out = {"designations": self.designations, "assignments": self.assignments,
               "coverage": self.coverage, "reach": self.reach,
               "near_family": self.near_family, "regions": self.regions,
               "transitional": self.transitional, "capacity_changes": self.capacity_changes}
        if self.applications is not None:
            out["applications"] = self.applications
        return out


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


def family_travel(data: ModelData, x: np.ndarray) -> np.ndarray:
    """a[k,s]: mean family travel per borgerforløb of demand, per ``data.dem`` row
    (Σ_{physical arcs} t·x / d; outreach and near-family help travel 0)."""
    arcs = data.arcs
    phys = (arcs["mode"] == "physical").to_numpy()
    tx = np.bincount(arcs["dem"].to_numpy()[phys], weights=(arcs["minutes"].to_numpy()
                                                              * x)[phys],
                     minlength=len(data.dem))
    return tx / data.dem["demand"].to_numpy()


def worst_off(values: np.ndarray, measure: str, alpha: float) -> tuple[float, float]:
    """(η, measure) of ``values``: the maximum, or the CVaR_α (mean of the worst α share,
    with η the ⌈α·n⌉-th largest value, the Rockafellar–Uryasev minimiser)."""
    if len(values) == 0:
        return 0.0, 0.0
    desc = np.sort(np.asarray(values, dtype=float))[::-1]
    if measure == "max" or alpha * len(desc) <= 1.0:
        return float(desc[0]), float(desc[0])
    tail = alpha * len(desc)
    j = math.ceil(tail - 1e-9)
    eta = float(desc[j - 1])
    return eta, eta + float(np.maximum(desc - eta, 0.0).sum()) / tail


def polish(data: ModelData, val: Values) -> Values:
    """The same solution with m[p,s] = max(0, c[p,s] − Σ_k x[k,p,s]) and the equity columns
    (η, z) at their least values for the given x: feasible, never costlier."""
    out = val.copy()
    pairs = data.pairs
    if "m" in out and "x" in out:
        c = pairs["current_cases"].to_numpy(dtype=float)
        served = np.bincount(data.arcs["pair"].to_numpy(), weights=out["x"],
                             minlength=len(pairs))
        out["m"][:] = np.maximum(0.0, c - served)[c > 0]
    if "eta" in out and "x" in out:
        eq = data.params.equity
        a = family_travel(data, out["x"])
        sid = data.dem["function"].to_numpy()
        specs = [s for s in data.functions if s in set(sid)]
        for i, s in enumerate(specs):
            eta, _ = worst_off(a[sid == s], eq.measure, eq.alpha)
            out["eta"][i] = eta
            if "z" in out:
                out["z"][sid == s] = np.maximum(a[sid == s] - eta, 0.0)
    return out


def make_solution(data: ModelData, val: Mapping[str, np.ndarray],
                  terms: dict[str, float]) -> Solution:
    """Build the result tables and KPIs; ``terms`` are the objective terms at these values
    (``LinearProblem.term_values``)."""
    y = np.round(val["y"])
    r = np.round(val["r"]) * y
    e = np.round(_get(val, "e", len(data.expansions))) * (
        y[data.expansions["pair"].to_numpy(dtype=np.int64)] if len(data.expansions) else 0.0)
    x = val["x"] if "x" in val else nearest_assignment(data, y)
    val = Values({"y": y, "r": r, "x": _clean(x), "u": _clean(_get(val, "u", len(data.dem))),
                  "v": _clean(_get(val, "v", len(data.reach))),
                  "q": _clean(_get(val, "q", len(data.need))),
                  "g": _clean(_get(val, "g", len(data.local))),
                  "w": _clean(_get(val, "w", len(data.split))),
                  "h": _clean(_get(val, "h", len(data.coach)))})
    pairs, arcs = data.pairs, data.arcs
    kappa = data.params.near_family_advisory_load

    asg = arcs.assign(cases=val.x)
    asg = asg[asg["cases"] > 0]
    assignments = asg[["municipality_code", "provider_id", "function", "mode", "cases",
                       "minutes"]].rename(columns={"minutes": "travel_minutes"}).reset_index(
        drop=True)

    a_pair = arcs["pair"].to_numpy()
    out_x = np.where((arcs["mode"] == "outreach").to_numpy(), val.x, 0.0)
    cases = np.bincount(a_pair, weights=val.x, minlength=len(pairs))
    outreach_cases = np.bincount(a_pair, weights=out_x, minlength=len(pairs))
    rch = data.reach.assign(share=val.v)
    rch = rch[rch["share"] > 0]
    # municipalities advised (once, also where a function advises on two of its specialer)
    advised = rch.groupby("pair")["municipality_code"].nunique().reindex(
        range(len(pairs)), fill_value=0).to_numpy()
    advised_load = np.bincount(data.reach["pair"].to_numpy(),
                               weights=val.v * data.reach["demand"].to_numpy(),
                               minlength=len(pairs))
    coached = np.bincount(data.coach["pair"].to_numpy(dtype=np.int64), weights=val.h,
                          minlength=len(pairs))
    des = pairs.assign(cases=cases, outreach_cases=outreach_cases, is_advisory=r > 0.5,
                       advised_municipalities=advised, coached_cases=coached,
                       advisory_load=advised_load + kappa * coached)
    designations = des[y > 0.5][
        ["provider_id", "municipality_code", "function", "cases", "outreach_cases",
         "is_advisory", "designated_today", "advised_municipalities", "coached_cases",
         "advisory_load"]].reset_index(drop=True)

    near_family = _near_family_table(data, val.g, val.w, val.h)
    coverage = _coverage(data, asg, val.u, near_family)

    reach_rows = rch[["municipality_code", "speciale", "provider_id", "function", "minutes",
                      "share"]].rename(columns={"provider_id": "advisory_provider_id",
                                                "minutes": "travel_minutes"})
    short = data.need.assign(share=val.q)
    short = short[short["share"] > 0][["municipality_code", "speciale", "share"]].assign(
        advisory_provider_id="", function="", travel_minutes=np.nan)
    reach = pd.concat([reach_rows, short[reach_rows.columns]], ignore_index=True).sort_values(
        ["speciale", "municipality_code", "advisory_provider_id", "function"]).reset_index(
        drop=True)

    changes = _capacity_changes(data, e, cases)
    regions = regional_balance(data, designations, assignments, coverage, changes)
    moved = pairs["current_cases"].to_numpy(dtype=float) - cases
    moved = np.where(moved > 1e-7, moved, 0.0)  # solver noise is not a move
    kept = np.where((y < 0.5) & (cases > 0), cases, 0.0)  # served without a designation
    transitional = des[kept > 0].assign(transitional_cases=kept[kept > 0])[
        TRANSITIONAL_COLUMNS].reset_index(drop=True)
    kpis = _kpis(data, terms, designations, assignments, coverage, short, regions,
                 pairs.assign(moved=moved, transitional=kept), y, val.x)
    kpis["expansions_built"] = len(changes)
    kpis["expansion_places_built"] = int(changes["places"].sum())
    kpis["expansion_investment_dkk"] = float(changes["investment_dkk"].fillna(0.0).sum())
    kpis["expansion_annual_cost_dkk"] = float(changes["annual_cost_dkk"].sum())
    applications = _applications(data, designations, kpis)
    return Solution(designations, assignments, coverage, reach, near_family, regions, kpis,
                    transitional, changes, applications)


def _applications(data: ModelData, designations: pd.DataFrame,
                  kpis: dict[str, Any]) -> pd.DataFrame | None:
    """``applications.csv`` in applications mode (model/applications.py), with its counts
    in ``kpis``; None in the other modes."""
    params = data.params
    if params.mode != "applications" or data.instance.applications is None:
        return None
    table = application_status(data.instance.applications, designations, params.plan_year,
                               list(data.functions), {n.site_id for n in params.new_sites})
    for status in STATUSES:
        kpis[f"applications_{status}"] = int((table["status"] == status).sum())
    kpis["gap_cases"] = float(kpis["total_unmet"])  # borgerforløb no application serves
    return table


def _capacity_changes(data: ModelData, e: np.ndarray, cases: np.ndarray) -> pd.DataFrame:
    """One row per candidate expansion built: its places, investment and annual cost (DKK),
    the pair's places before and after (min(C[p,s], C_p) plus all its options built) and
    the borgerforløb the pair takes in the plan."""
    opts = data.expansions
    built = opts[np.asarray(e, dtype=float) > 0.5] if len(opts) else opts
    if built.empty:
        return pd.DataFrame(columns=CAPACITY_CHANGE_COLUMNS)
    pairs = data.pairs
    pair = built["pair"].to_numpy(dtype=np.int64)
    before = np.minimum(pairs["max_cases"].to_numpy(dtype=float),
                        pairs["capacity"].to_numpy(dtype=float))[pair]
    more = built.groupby("pair")["places"].transform("sum").to_numpy(dtype=float)
    out = built.assign(municipality_code=pairs["municipality_code"].to_numpy()[pair],
                       places_before=before, places_after=before + more,
                       cases=cases[pair])
    return out[CAPACITY_CHANGE_COLUMNS].reset_index(drop=True)


def _near_family_table(data: ModelData, g: np.ndarray, w: np.ndarray, h: np.ndarray
                       ) -> pd.DataFrame:
    """One row per (municipality, function, local tilbud, coaching rådgivningsfunktion): the
    local help g split over the coaching nodes (k, S) in proportion to w and over each
    node's coaches in proportion to h (a flow decomposition: summed over coaches it gives
    g, over local tilbud and types h)."""
    cols = ["municipality_code", "function", "provider_id", "advisory_provider_id",
            "advisory_function", "cases"]
    loc = data.local.assign(g=g)
    loc = loc[loc["g"] > 0]
    if loc.empty:
        return pd.DataFrame(columns=cols).astype({"cases": float})
    sp = data.split.assign(w=w)
    sp = sp[sp["w"] > 0][["dem", "need", "w"]]
    sp["w"] = sp["w"] / sp["dem"].map(sp.groupby("dem")["w"].sum())  # share of (k, s)'s help
    co = data.coach.assign(h=h)
    co = co[co["h"] > 0][["need", "provider_id", "function", "h"]].rename(
        columns={"provider_id": "advisory_provider_id", "function": "advisory_function"})
    co["h"] = co["h"] / co["need"].map(co.groupby("need")["h"].sum())  # share of the node's
    m = loc.merge(sp, on="dem").merge(co, on="need")
    m["cases"] = m["g"] * m["w"] * m["h"]
    # a coach of two of s's specialer is one row
    m = m.groupby(cols[:5], as_index=False)["cases"].sum()
    return m[cols].sort_values(cols[:5]).reset_index(drop=True)


def _coverage(data: ModelData, asg: pd.DataFrame, u: np.ndarray,
              near_family: pd.DataFrame) -> pd.DataFrame:
    """Per (municipality, speciale): demand = served + near_family + unmet."""
    served = asg.groupby(KS)["cases"].sum().rename("served")
    out = asg[asg["mode"] == "outreach"].groupby(KS)["cases"].sum().rename("outreach")
    phys = asg[asg["mode"] == "physical"]
    wsum = (phys.assign(tx=phys["cases"] * phys["minutes"]).groupby(KS)["tx"].sum())
    nf = near_family.groupby(KS)["cases"].sum().rename("near_family")
    cov = data.demand.set_index(KS).join(served).join(out).join(nf)
    cov[["served", "outreach", "near_family"]] = cov[["served", "outreach",
                                                      "near_family"]].fillna(0.0)
    unmet = pd.Series(u, index=pd.MultiIndex.from_frame(data.dem[KS]))
    cov["unmet"] = unmet.reindex(cov.index).fillna(0.0)
    cov["mean_travel_minutes"] = (wsum.reindex(cov.index).fillna(0.0) / cov["served"]).where(
        cov["served"] > 0)
    return cov.reset_index()[["municipality_code", "function", "demand", "served", "outreach",
                              "near_family", "unmet", "mean_travel_minutes"]]


def regional_balance(data: ModelData, designations: pd.DataFrame,
                     assignments: pd.DataFrame, coverage: pd.DataFrame,
                     changes: pd.DataFrame | None = None) -> pd.DataFrame:
    """Per region and speciale: demand of the region's municipalities; borgerforløb of its
    citizens served by its own specialfunktioner (``served_home``), exported to other
    regions' specialfunktioner and imported from other regions; ``served_in_region`` =
    served_home + imported; near-family help and unmet demand of its citizens; the
    per-speciale capacity (``max_cases``, plus the places of the expansions built,
    ``changes``) of its specialfunktioner and the shortfall max(0, demand − that capacity).
    demand = served_home + exported + near_family + unmet."""
    inst = data.instance
    region_of = inst.municipalities.set_index("code")["region"]
    prov_region = inst.providers.set_index("provider_id")["municipality_code"].map(region_of)
    grid = pd.MultiIndex.from_product([sorted(region_of.unique()), data.functions], names=RS)
    a = assignments.assign(home=assignments["municipality_code"].map(region_of),
                           at=assignments["provider_id"].map(prov_region))
    own = a[a["home"] == a["at"]]
    away = a[a["home"] != a["at"]]
    cov = coverage.assign(region=coverage["municipality_code"].map(region_of))
    maxc = data.pairs.set_index(PS)["max_cases"].astype(float)
    if changes is not None and len(changes):
        maxc = maxc.add(changes.groupby(PS)["places"].sum().astype(float), fill_value=0.0)
    des = designations.assign(
        region=designations["provider_id"].map(prov_region),
        cap=maxc.reindex(pd.MultiIndex.from_frame(designations[PS])).to_numpy())
    parts = {
        "demand": cov.groupby(RS)["demand"].sum(),
        "served_home": own.groupby(["home", "function"])["cases"].sum(),
        "exported": away.groupby(["home", "function"])["cases"].sum(),
        "imported": away.groupby(["at", "function"])["cases"].sum(),
        "near_family": cov.groupby(RS)["near_family"].sum(),
        "unmet": cov.groupby(RS)["unmet"].sum(),
        "designated_capacity": des.groupby(RS)["cap"].sum(),
    }
    out = pd.DataFrame({k: v.rename_axis(RS).reindex(grid) for k, v in parts.items()}).fillna(0.0)
    out["served_in_region"] = out["served_home"] + out["imported"]
    out["capacity_shortfall"] = (out["demand"] - out["designated_capacity"]).clip(lower=0.0)
    return out.reset_index()[[*RS, *REGION_COLUMNS]]


def _kpis(
    data: ModelData, terms: dict[str, float], designations: pd.DataFrame,
    assignments: pd.DataFrame, coverage: pd.DataFrame, short: pd.DataFrame,
    regions: pd.DataFrame, pairs: pd.DataFrame, y: np.ndarray, x: np.ndarray,
) -> dict[str, Any]:
    prov_muni = data.instance.providers.set_index("provider_id")["municipality_code"]
    total_cases = float(assignments["cases"].sum())
    phys = assignments[assignments["mode"] == "physical"]
    out = assignments[assignments["mode"] == "outreach"]
    outside = phys["municipality_code"] != phys["provider_id"].map(prov_muni)
    family_minutes = float((phys["cases"] * phys["travel_minutes"]).sum())
    physical_cases = float(phys["cases"].sum())
    outreach_cases = float(coverage["outreach"].sum())
    eq = data.params.equity
    a = family_travel(data, x)
    sid = data.dem["function"].to_numpy()
    dropped = pairs["designated_today"].to_numpy() & (y < 0.5)
    per = {}
    cov = coverage.groupby("function")[["demand", "served", "outreach", "near_family",
                                        "unmet"]].sum()
    for s in data.functions:
        d = designations[designations["function"] == s]
        rec = {"designations": int(len(d)),
               "advisory_designations": int(d["is_advisory"].sum())}
        for col in cov.columns:
            rec[col] = float(cov.at[s, col]) if s in cov.index else 0.0
        rec["physical"] = rec["served"] - rec["outreach"]  # at a specialfunktion's place
        rec["outreach_share"] = rec["outreach"] / rec["served"] if rec["served"] else 0.0
        rec["residential_share"] = float(data.function_params.at[s, "residential_share"])
        on_s = (pairs["function"] == s).to_numpy()
        rec["moved"] = float(pairs.loc[on_s, "moved"].sum())
        rec["transitional"] = float(pairs.loc[on_s, "transitional"].sum())
        rec["dropped_designations"] = int(dropped[on_s].sum())
        rec["worst_off_travel_minutes"] = worst_off(a[sid == s], eq.measure, eq.alpha)[1]
        per[s] = rec
    regions_kpi: dict[str, dict[str, dict[str, float]]] = {}
    for rec in regions.to_dict("records"):
        regions_kpi.setdefault(rec["region"], {})[rec["function"]] = {
            k: float(rec[k]) for k in REGION_COLUMNS}
    return {
        "terms": terms,
        "objective_recomputed": float(sum(terms.values())),
        "per_function": per,
        "designations": int(len(designations)),
        "advisory_designations": int(designations["is_advisory"].sum()),
        "total_demand": float(coverage["demand"].sum()),
        "total_served": total_cases,
        "total_unmet": float(coverage["unmet"].sum()),
        "outreach_cases": outreach_cases,
        "physical_cases": physical_cases,
        "outreach_share": outreach_cases / total_cases if total_cases else 0.0,
        "near_family_cases": float(coverage["near_family"].sum()),
        "moved_cases": float(pairs["moved"].sum()),
        "transitional_cases": float(pairs["transitional"].sum()),
        "current_cases": float(pairs["current_cases"].sum()),
        "designations_today": int(pairs["designated_today"].sum()),
        "dropped_designations": int(dropped.sum()),
        "reach_shortfalls": float(short["share"].sum()),
        "share_outside_home_municipality": (
            float(phys.loc[outside, "cases"].sum() / total_cases) if total_cases else 0.0),
        "share_outside_home_municipality_physical": (
            float(phys.loc[outside, "cases"].sum() / physical_cases) if physical_cases
            else 0.0),
        "mean_travel_minutes": family_minutes / total_cases if total_cases else 0.0,
        "mean_travel_minutes_physical": (family_minutes / physical_cases if physical_cases
                                         else 0.0),
        "max_travel_minutes": (float(phys["travel_minutes"].max()) if len(phys) else 0.0),
        "mean_staff_travel_minutes_outreach": (
            float((out["cases"] * out["travel_minutes"]).sum() / outreach_cases)
            if outreach_cases else 0.0),
        **objective_record(data),
        "keep_today_not_kept": data.not_kept.to_dict("records"),
        "regions": regions_kpi,
    }


def objective_record(data: ModelData) -> dict[str, Any]:
    """The objective's unit, the price of every weighted term and where it comes from, and
    the care floor (``kpis.json``; docs/results-format.md)."""
    priced = data.costs is not None
    floor = float(data.care_floor().sum()) if data.assignment == "arcs" else 0.0
    return {
        "objective_unit": (f"{UNIT_NAME} above the care floor (quality penalties included)"
                           if priced else "unit-less (no cost table)"),
        "objective_prices": price_sources(data.weights_given or data.params.weights,
                                          data.costs),
        "care_floor_dkk": floor * UNIT,
        "share_outside_home_municipality_seed": SEED_SHARE_OUTSIDE_HOME,
    }
